#!/bin/bash
# faults.t: devmgr -d when /dev refuses changes, and when it is killed.
#
#   prove -v tests/integration/faults.t      (as root, from the repo root,
#                                            after make && make tools)
#   DEVMGR=/path/to/devmgr prove ...         (default: ./devmgr)
#   KEEP=1 prove -v ...                      (keep the work directory)
#
# Each part holds private mount and network namespaces open with a
# sleeping process whose fresh tmpfs /dev and /run outlive the daemons
# started in them (nsenter), so that a daemon can be killed and another
# started on the same /dev.  Events are real: loop devices numbered 300
# and up added and removed through /dev/loop-control (every one is
# removed again on exit), and "add"/"remove" written to
# /sys/class/mem/urandom/uevent (synthetic: every listener hears them,
# devtmpfs does not act on them).  The host's /dev and /run are not
# written.
#
#   a  /dev read-only: refused events are kept, not published; after
#      mount -o remount,rw and SIGHUP (or the next event that changes
#      /dev), the nodes come, the refused events are published with the
#      node there (or gone), their commands run once
#   b  /dev full (a tmpfs out of inodes): the node comes by itself once
#      space is freed, on the daemon's own retry
#   c  a daemon started on a read-only /dev starts, and catches up
#   d  SIGKILL in the middle of a storm, devices removed and added while
#      no daemon runs, restart: /dev matches /sys, the directories it made
#      go when empty, devices found again run no command; one daemon per
#      /dev

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, mknod, uevents, mount"
tap_skip_unless_built "$devmgr"
if [ ! -x "$tools/loopctl" ] || [ ! -x "$tools/udevclient" ]; then
	echo "1..1"; echo "not ok 1 - cannot run: $tools/loopctl and udevclient not built (run make tools)"
	exit 1
fi
if ! unshare -m -n true 2>/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: cannot create mount and network namespaces"
	exit 1
fi
if [ ! -c /dev/loop-control ] || [ ! -w /sys/class/mem/urandom/uevent ]; then
	echo "1..1"; echo "not ok 1 - cannot run: no /dev/loop-control or /sys/class/mem/urandom/uevent"
	exit 1
fi

tap_workdir faults

echo "1..65"

tap_small_etc
. "$lib/daemon.sh"

i=$(loop_free 300)
if ! loop_add "$i" 2>/dev/null || ! loop_del "$i"; then
	for k in $(seq 65); do skip "loop devices cannot be added here"; done
	exit 0
fi

# Twelve loop numbers no device has; the rules name exactly these, so the
# host's own loop devices stay out of the way.
L=()
i=299
for k in $(seq 12); do
	i=$(loop_free $((i + 1)))
	L+=("$i")
done
alt=$(IFS='|'; echo "${L[*]}")
rules=$work/mdev.conf
cat >"$rules" <<RULES
^loop($alt)\$ root:disk 0660 =fault/ *echo \$ACTION \$MDEV >>/run/cmds
RULES
conf=$work/devmgr.conf
: >"$conf"

# hold NAME: namespaces with a fresh tmpfs /dev and /run, kept by a
# sleeping process; sets INIT, DEV, RUN
hold() {
	unshare -m -n -- /bin/bash -c 'mount -t tmpfs -o mode=0755 fault-test /dev &&
	    mount -t tmpfs -o mode=0755 fault-test /run && exec sleep infinity' \
	    </dev/null >"$work/$1.hold" 2>&1 &
	INIT=$!
	upids+=("$INIT")
	DEV=/proc/$INIT/root/dev RUN=/proc/$INIT/root/run
	wait_for 5 held
}
held() { [ "$(readlink "/proc/$INIT/exe")" = "$(readlink -f /bin/sleep)" ]; }

# dstart NAME: devmgr -d -f -v -D 3 in the held namespaces, in the
# background; returns once it is ready.  Sets DPID, LOG, STATUS.
dstart() {
	local name=$1
	shift
	LOG=$work/$name.log STATUS=$work/$name.status READY=$work/$name.ready
	: >"$READY"
	rm -f "$STATUS"
	(
		# nsenter without -p execs: $! is the daemon itself
		nsenter -t "$INIT" -m -n -- env -i PATH=$kpath "$devmgr" -d -f -D 3 -v \
		    --config "$conf" --etc "$etc" --rules "$rules" "$@" 3>"$READY" \
		    </dev/null >"$LOG" 2>&1 &
		echo $! >"$work/$name.pid"
		wait $!
		echo $? >"$STATUS"
	) 2>/dev/null &
	others+=("$!")
	wait_for 5 test -s "$work/$name.pid" || return 1
	DPID=$(cat "$work/$name.pid")
	others+=("$DPID")
	wait_for 10 test -s "$READY"
}
alive() { kill -0 "$DPID" 2>/dev/null; }
dstop() {
	kill -"${1:-TERM}" "$DPID" 2>/dev/null
	wait_for 5 test -s "$STATUS"
}
lnode() { node "$DEV/fault/loop$1"; }
want() { echo "block special file 7:$1 660 0 6"; }
cmds() { grep -cx "${2:-add} fault/loop$1" "$RUN/cmds" 2>/dev/null; }
entry() { [ -e "$RUN/udev/data/b7:$1" ] && echo present || echo absent; }
client() {
	rm -f "$work/$1.cready"
	ns_exec "$tools/udevclient" monitor -s block/disk -w 30000 -r "$work/$1.cready" \
	    >"$work/$1.out" 2>&1 &
	others+=("$!")
	wait_for 5 test -e "$work/$1.cready"
}
show() { { echo "$1:"; cat "$1"; } | diag; }
remount() { ns_exec mount -o "remount,$1" /dev; }

# ---- a: read-only /dev ------------------------------------------------------

hold a || { fail "a: namespaces held"; exit 1; }
check "a: daemon started" dstart a
loop_add "${L[0]}"
wait_for 5 test -b "$DEV/fault/loop${L[0]}"
is "a: loop${L[0]} added: its node" "$(lnode "${L[0]}")" "$(want "${L[0]}")"
check "a: /dev remounted read-only" remount ro
loop_add "${L[1]}"
wait_for 5 grep -q "refuses changes" "$LOG"
check "a: loop${L[1]} added: the refusal logged" grep -q "cannot create directory.*fault.*Read-only file system\|cannot create block node.*loop${L[1]}.*Read-only" "$LOG"
loop_del "${L[0]}"
wait_for 5 grep -q "cannot remove .*/fault/loop${L[0]}: Read-only" "$LOG"
check "a: loop${L[0]} removed: the refusal logged" grep -q "cannot remove .*/fault/loop${L[0]}: Read-only" "$LOG"
check "a: daemon still running" alive
is "a: ... no node for loop${L[1]}" "$(lnode "${L[1]}")" absent
is "a: ... loop${L[0]}'s node still there" "$(lnode "${L[0]}")" "$(want "${L[0]}")"
is "a: ... its add not published (no database entry)" "$(entry "${L[1]}")" absent
is "a: ... the remove not published (entry kept)" "$(entry "${L[0]}")" present
is "a: ... no command for loop${L[1]}" "$(cmds "${L[1]}")" 0
client a || fail "a: libudev client listening"
check "a: /dev remounted read-write" remount rw
kill -HUP "$DPID"
wait_for 5 grep -q "caught up" "$LOG"
# (the daemon's own retry may come first: either way, the same catch-up)
check "a: SIGHUP: caught up" grep -q "catching up with /dev (.*): trying 2 refused events" "$LOG"
is "a: ... loop${L[1]}'s node made" "$(lnode "${L[1]}")" "$(want "${L[1]}")"
is "a: ... loop${L[0]}'s node removed" "$(lnode "${L[0]}")" absent
wait_for 5 has a "^remove block disk /dev/fault/loop${L[0]} "
is "a: ... libudev client: the remove, published with the node gone" \
    "$(grep "^remove block disk /dev/fault/loop${L[0]} " "$work/a.out")" \
    "remove block disk /dev/fault/loop${L[0]} init=1 node=missing"
wait_for 5 has a "^add block disk /dev/fault/loop${L[1]} "
is "a: ... libudev client: the add, published with the node there" \
    "$(grep "^add block disk /dev/fault/loop${L[1]} " "$work/a.out")" \
    "add block disk /dev/fault/loop${L[1]} init=1 node=b7:${L[1]}:0660:0:6"
is "a: ... database: entry for loop${L[1]}, none for loop${L[0]}" \
    "$(entry "${L[1]}") $(entry "${L[0]}")" "present absent"
is "a: ... loop${L[1]}'s add command ran once" "$(cmds "${L[1]}")" 1
is "a: ... loop${L[0]}'s remove command ran once (not again on each try)" \
    "$(cmds "${L[0]}" remove)" 1

# Again, without SIGHUP: the next event that changes /dev starts it.
check "a: /dev read-only again" remount ro
loop_add "${L[2]}"
wait_for 5 grep -q "cannot create block node.*loop${L[2]}.*Read-only" "$LOG"
is "a: loop${L[2]} added: no node" "$(lnode "${L[2]}")" absent
check "a: /dev read-write" remount rw
uevent urandom remove	# a change that works: /dev/urandom goes
wait_for 5 test -b "$DEV/fault/loop${L[2]}"
is "a: next event: loop${L[2]}'s node made" "$(lnode "${L[2]}")" "$(want "${L[2]}")"
uevent urandom add
wait_for 5 test -c "$DEV/urandom"
is "a: ... and the event itself handled" "$(node "$DEV/urandom")" "character special file 1:9 660 0 0"
wait_for 5 has a "^add block disk /dev/fault/loop${L[2]} "
is "a: ... its add published" "$(grep -c "^add block disk /dev/fault/loop${L[2]} init=1 node=b7:${L[2]}:0660:0:6" "$work/a.out")" 1
check "a: SIGTERM: exit 0" dstop
is "a: ... status" "$(cat "$STATUS" 2>/dev/null)" 0
loop_del "${L[1]}"
loop_del "${L[2]}"

# ---- b: /dev full -----------------------------------------------------------

hold b || { fail "b: namespaces held"; exit 1; }
check "b: daemon started" dstart b
loop_add "${L[3]}"
wait_for 5 test -b "$DEV/fault/loop${L[3]}"
# statfs of that very file system: df would report the mount of the
# host's that its table matches the path with (the host's /dev)
used=$(stat -f -c '%c %d' "$DEV/." | awk '{ print $1 - $2 }')
# Room for a disk's add once the space is freed: the question to the
# kernel (a node made and removed), its node, its by-diskseq name
check "b: /dev shrunk to $used inodes + 3" remount "nr_inodes=$((used + 3))"
nfill=0
while [ "$nfill" -lt 10000 ] && touch "$DEV/fill.$nfill" 2>/dev/null; do nfill=$((nfill + 1)); done
is "b: ... and filled: no inode left" "$(touch "$DEV/probe" 2>&1 | grep -c "No space left")" 1
loop_add "${L[4]}"
wait_for 5 grep -q "cannot create block node.*loop${L[4]}.*No space left" "$LOG"
check "b: loop${L[4]} added: 'No space left' logged" grep -q "cannot create block node.*loop${L[4]}.*No space left" "$LOG"
is "b: ... no node" "$(lnode "${L[4]}")" absent
check "b: ... daemon running" alive
sleep 1.5	# a retry or two while still full
rm -f "$DEV"/fill.*
wait_for 10 test -b "$DEV/fault/loop${L[4]}"
is "b: space freed (no event, no signal): the node comes" "$(lnode "${L[4]}")" "$(want "${L[4]}")"
check "b: ... 'caught up' logged" wait_for 5 grep -q "caught up" "$LOG"
is "b: ... its command ran once" "$(cmds "${L[4]}")" 1
is "b: ... its database entry" "$(entry "${L[4]}")" present
check "b: SIGTERM: exit 0" dstop
loop_del "${L[3]}"
loop_del "${L[4]}"

# ---- c: started on a read-only /dev -----------------------------------------

hold c || { fail "c: namespaces held"; exit 1; }
remount ro
check "c: daemon started on a read-only /dev" dstart c
check "c: ... said so" grep -q "Read-only file system. Starting anyway" "$LOG"
is "c: ... no /dev/null yet" "$(node "$DEV/null")" absent
remount rw
kill -HUP "$DPID"
wait_for 5 test -c "$DEV/null"
is "c: read-write, SIGHUP: /dev/null made" "$(node "$DEV/null")" "character special file 1:3 660 0 0"
check "c: SIGTERM: exit 0" dstop

# ---- d: SIGKILL, restart ----------------------------------------------------

K=("${L[@]:4:8}")	# 8 devices
hold d || { fail "d: namespaces held"; exit 1; }
check "d: daemon started" dstart d1
for k in "${K[@]}"; do loop_add "$k"; done
for k in "${K[@]}"; do wait_for 5 test -b "$DEV/fault/loop$k"; done
ok=1
for k in "${K[@]}"; do [ "$(lnode "$k")" = "$(want "$k")" ] || ok=; done
check "d: 8 loop devices: their nodes" test -n "$ok"
check "d: the record kept in /run/devmgr/dev.nodes" grep -q "^+	b	7	${K[0]}	fault/loop${K[0]}$" "$RUN/devmgr/dev.nodes"

# storm ROUND: remove and add the 8 devices over and over, SIGKILL the
# daemon in the middle; then, with no daemon, remove the first half, and
# start a new one: /dev must match /sys
consistent() {
	local k bad=
	for k in "${K[@]}"; do
		if loop_exists "$k"; then
			[ "$(lnode "$k")" = "$(want "$k")" ] || bad="$bad loop$k:$(lnode "$k")"
		else
			[ "$(lnode "$k")" = absent ] || bad="$bad loop$k:left"
		fi
	done
	[ -z "$bad" ] || echo "$bad" | diag
	[ -z "$bad" ]
}
for round in 1 2 3; do
	(
		for r in $(seq 20); do
			for k in "${K[@]}"; do
				"$tools/loopctl" remove "$k" >/dev/null 2>&1
				"$tools/loopctl" add "$k" >/dev/null 2>&1
			done
		done
	) &
	storm=$!
	sleep "0.$((round * 2))"
	kill -KILL "$DPID"
	wait "$storm"
	wait_for 5 test -s "$STATUS"
	for k in "${K[@]:0:4}"; do loop_del "$k"; done
	for k in "${K[@]:4}"; do loop_exists "$k" || loop_add "$k"; done
	check "d: round $round: SIGKILL mid-storm, restarted" dstart "d$((round + 1))"
	check "d: ... /dev matches /sys (4 gone, 4 there)" consistent
	for k in "${K[@]:0:4}"; do loop_add "$k"; done
	for k in "${K[@]:0:4}"; do wait_for 5 test -b "$DEV/fault/loop$k"; done
done
check "d: ... and the daemon goes on: the 4 added again have nodes" consistent

# At rest: killed and restarted, nothing changes and no command runs.
before=$(wc -l <"$RUN/cmds")
inodes=$(for k in "${K[@]}"; do stat -c %i "$DEV/fault/loop$k"; done | tr '\n' ' ')
kill -KILL "$DPID"
wait_for 5 test -s "$STATUS"
check "d: killed at rest, restarted" dstart d5
is "d: ... no command ran again" "$(wc -l <"$RUN/cmds")" "$before"
is "d: ... the nodes untouched (same inodes)" \
    "$(for k in "${K[@]}"; do stat -c %i "$DEV/fault/loop$k"; done | tr '\n' ' ')" "$inodes"

dstart_second() {
	ns_exec env -i PATH=$kpath "$devmgr" -d -f --config "$conf" --etc "$etc" --rules "$rules" \
	    </dev/null >"$work/second.log" 2>&1
}
dstart_second
is "d: a second daemon on the same /dev: exit 1" "$?" 1
check "d: ... saying why" grep -q "another devmgr daemon manages /dev" "$work/second.log"
check "d: ... the first still running" alive

# Every device gone while no daemon runs: the nodes and the directory
# the rules made go at the next start.
kill -KILL "$DPID"
wait_for 5 test -s "$STATUS"
for k in "${K[@]}"; do loop_del "$k"; done
check "d: all 8 removed while no daemon ran; restarted" dstart d6
check "d: ... no node left" consistent
is "d: ... fault/ (made by the killed daemon) removed" "$(node "$DEV/fault")" absent
is "d: ... their database entries gone" \
    "$(for k in "${K[@]}"; do entry "$k"; done | sort -u)" absent
check "d: SIGTERM: exit 0" dstop
