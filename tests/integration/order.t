#!/bin/bash
# order.t: the order in which devmgr runs rule commands and publishes
# events, when /dev refuses changes, during rescans, and in coldplug.
#
#   prove -v tests/integration/order.t       (as root, from the repo root,
#                                            after make devmgr tools)
#   DEVMGR=/path/to/devmgr prove ...         (default: ./devmgr)
#   KEEP=1 prove -v ...                      (keep the work directory)
#
# Parts a-c run devmgr -d on real kernel uevents, as faults.t does: a
# sleeping process holds private mount and network namespaces with a
# fresh tmpfs /dev and /run, and the daemons are started in them with
# nsenter; "mount -o remount,ro|rw" of that /dev makes it refuse changes
# and take them again.  The devices are loop devices numbered 600 and up
# (build/tools/loopctl; every one is removed again on exit), and
# synthetic "add"/"change" written to /sys/block/loopN/uevent.  Rule
# commands run $work/cmd, which logs "TIME ACTION MDEV SEQNUM begin" and
# "... end" lines (SEQNUM "scan" for a rescan's device) to a file outside
# /dev, sleeping in between as long as $work/PART.delay.ACTION says.
# The daemons' [policy] allows only the test's loop devices: the other
# devices of the host, and their uevents (another test's), are left alone.
# Part d runs devmgr -s and busybox mdev -s on a generated sysfs tree in
# private mount namespaces (tests/lib/ns.sh).  Parts e and f hold
# namespaces as a-c do: e starts devmgr -d without -f (it forks; its
# daemon is found by a /proc scan) with a [policy] of /dev/null alone,
# and sends synthetic "change" to /sys/class/mem/null/uevent; f is
# part c with a remove command.  The host's /dev, /run and /etc are
# never written.  Nothing is skipped: a missing tool is a failure.
#
#   a  catch-up: an event /dev refused, whose commands ran, is tried again
#      while a command of the same device still runs: its commands must
#      not run again, nor after the newer event's
#   b  the rescans (the start's, a resync's after ENOBUFS, a catch-up's)
#      must not wait for a device's slow command before handling other
#      devices: a loop device added meanwhile gets its node at once
#   c  /dev just turned read-only: the remove of a device whose node
#      cannot go must not be published while the node is still there;
#      after remount rw and SIGHUP the node goes, and then the remove is
#      published
#   d  coldplug: busybox mdev -s, devmgr -s -j 1 and devmgr -s with the
#      default workers leave the same /dev/modem from Alpine's
#      "ttyUSB[0-9] root:dialout 0660 @ln -sf $MDEV modem" (the last
#      ttyUSB in scan order)
#   e  devmgr -d without -f: the start scan's commands are the forked
#      daemon's own children, so a later event of the same device waits
#      for the scan's command to end; devmgr -d returns 0 with the daemon
#      running, and once it stopped no command is left behind
#   f  part c for a remove whose plan has a command ($, run at once, not
#      held back to the batch's end): with /dev read-only the remove is
#      not published while the node is there; after remount rw and
#      SIGHUP the node goes and the remove is published, once
#
# Every part documents a bug of the program as it was when this file was
# written: each of its checks fails until that bug is fixed.

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
tools=$top/build/tools
devmgr=${DEVMGR:-$top/devmgr}
case $devmgr in /*) ;; *) devmgr=$top/$devmgr ;; esac
exe=$(readlink -f "$devmgr")
kpath=/sbin:/bin:/usr/sbin:/usr/bin
bb=$(command -v busybox)

# Never a silent skip: whatever is missing is a failure.
missing=
[ "$(id -u)" = 0 ] || missing="$missing root"
[ -f "$lib/tap.sh" ] || missing="$missing tests/lib (run from the repository root)"
[ -x "$devmgr" ] || missing="$missing $devmgr (make devmgr)"
for t in loopctl udevclient; do
	[ -x "$tools/$t" ] || missing="$missing $tools/$t (make tools)"
done
[ -n "$bb" ] && "$bb" --list 2>/dev/null | grep -qx mdev ||
	missing="$missing busybox-with-mdev (apt-get install busybox-static)"
for t in unshare nsenter perl timeout; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
[ -c /dev/loop-control ] || missing="$missing /dev/loop-control"
[ -w /sys/class/mem/null/uevent ] || missing="$missing writable /sys/class/mem/null/uevent"
if [ -z "$missing" ] && ! unshare -m -n true 2>/dev/null; then
	missing="$missing mount-and-network-namespaces"
fi
if [ -n "$missing" ]; then
	echo "Bail out! missing:$missing"
	exit 1
fi

. "$lib/tap.sh"
tap_workdir order

echo "1..16"

tap_small_etc
. "$lib/daemon.sh"
. "$lib/ns.sh"

# Ten loop numbers no device has, from 600; the rules name exactly
# these, and the daemons' [policy] allows only these: every other device
# is left alone, so that uevents of other devices on the host (another
# test's) cannot make /dev refuse a change before the test's own do.
L=()
declare -A num	# loop number -> MAJ:MIN
conf=$work/devmgr.conf
echo "[policy]" >"$conf"
i=599
for k in $(seq 10); do
	i=$(loop_free $((i + 1)))
	L+=("$i")
	loop_add "$i" && num[$i]=$(cat "/sys/block/loop$i/dev") && loop_del "$i" ||
		{ echo "Bail out! cannot add loop$i"; exit 1; }
	echo "allow = block ${num[$i]} rwm" >>"$conf"
done

# The rule command: $work/cmd LOG.  Nothing in it may touch /dev (it may
# be read-only, or lack /dev/null).
cat >"$work/cmd" <<'EOF'
#!/bin/sh
log=$1
delay=0
if [ -r "${log%.cmds}.delay.$ACTION" ]; then
	read -r delay <"${log%.cmds}.delay.$ACTION"
fi
echo "$(date +%s.%N) $ACTION $MDEV ${SEQNUM:-scan} begin" >>"$log"
sleep "$delay"
echo "$(date +%s.%N) $ACTION $MDEV ${SEQNUM:-scan} end" >>"$log"
EOF
chmod +x "$work/cmd"

# hold NAME: namespaces with a fresh tmpfs /dev and /run, kept by a
# sleeping process; sets INIT, DEV, RUN
hold() {
	unshare -m -n -- /bin/bash -c 'mount -t tmpfs -o mode=0755 order-test /dev &&
	    mount -t tmpfs -o mode=0755 order-test /run && exec sleep infinity' \
	    </dev/null >"$work/$1.hold" 2>&1 &
	INIT=$!
	upids+=("$INIT")
	DEV=/proc/$INIT/root/dev RUN=/proc/$INIT/root/run
	wait_for 5 held
}
held() { [ "$(readlink "/proc/$INIT/exe")" = "$(readlink -f /bin/sleep)" ]; }

# dlaunch NAME RULES [ARGS...]: devmgr -d -f -v -D 3 in the held
# namespaces, in the background; returns once it runs, not once it is
# ready (dready).  Sets DPID, LOG, STATUS, READY.
dlaunch() {
	local name=$1 rules=$2
	shift 2
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
}
dready() { wait_for 10 test -s "$READY"; }
dstart() { dlaunch "$@" && dready; }
dstop() {
	kill -TERM "$DPID" 2>/dev/null
	wait_for 10 test -s "$STATUS"
}
remount() { ns_exec mount -o "remount,$1" /dev; }
buevent() { echo "$2" >"/sys/block/loop$1/uevent"; }
# listen NAME: a libudev client (every subsystem) in the held namespaces,
# output to $work/NAME.out; returns once it listens
listen() {
	rm -f "$work/$1.cready"
	ns_exec "$tools/udevclient" monitor -w 60000 -r "$work/$1.cready" \
	    >"$work/$1.out" 2>&1 &
	others+=("$!")
	wait_for 5 test -e "$work/$1.cready"
}
# cmdlog PART PATTERN: the lines of PART's command log matching PATTERN
cmdlog() { grep -e "$2" "$work/$1.cmds" 2>/dev/null; }
# cmdstate PART MDEV SEQ: "not started", "running" or "done"
cmdstate() {
	if cmdlog "$1" " $2 $3 end\$" >/dev/null; then
		echo done
	elif cmdlog "$1" " $2 $3 begin\$" >/dev/null; then
		echo running
	else
		echo "not started"
	fi
}
# cmddone PART MDEV SEQ: that command ended
cmddone() { [ "$(cmdstate "$@")" = done ]; }
# cmdends PART PATTERN N: at least N lines match
cmdends() { [ "$(cmdlog "$1" "$2" | wc -l)" -ge "$3" ]; }
showfile() { { echo "$1:"; cat "$1" 2>&1; } | diag; }
want() { echo "block special file ${num[$1]} 660 0 6"; }

# ---- a: catch-up runs a retried event's commands again ----------------------
# Rules for loop A: a "-" rule with a command for every action and the
# node loopA, then the node order/loopA.  /dev/order/loopA is deleted by
# hand and /dev made read-only; a synthetic "add" (R, SEQNUM s1) then
# finds loopA right (nothing to write: its command runs) but cannot make
# order/loopA: refused, kept, with "its commands ran".  R's command
# sleeps 2 s; a "change" (C, s2) sent meanwhile waits behind it, and its
# command (4 s) starts the moment R is done and kept, so every catch-up
# from then on (the daemon's own timed one, and the test's remount rw +
# SIGHUP, sent while C's command runs) finds C's job running: R waits in
# its backlog.  A last "change" (s3, no delay) is the sync point: once
# its command ended, everything before it did.  Commands must have run
# for: add s1, change s2, change s3, in that order, each once.

A=${L[0]}
cat >"$work/a.rules" <<RULES
-^loop$A\$ root:disk 0660 *$work/cmd $work/a.cmds
^loop$A\$ root:disk 0660 =order/
RULES
echo 0 >"$work/a.delay.add"
echo 4 >"$work/a.delay.change"
s1= s2= s3=
hold a || echo "a: namespaces not held" | diag
dstart a "$work/a.rules" || echo "a: daemon did not start" | diag
loop_add "$A"
wait_for 5 test -b "$DEV/order/loop$A" || echo "a: no order/loop$A at first" | diag
wait_for 5 cmdends a "add loop$A [0-9]* end" 1 || echo "a: the first add's command did not end" | diag
rm -f "$DEV/order/loop$A"
remount ro || echo "a: remount ro failed" | diag
echo 2 >"$work/a.delay.add"
buevent "$A" add
wait_for 5 cmdends a "add loop$A [0-9]* begin" 2 || echo "a: R's command did not start" | diag
s1=$(cmdlog a "add loop$A [0-9]* begin" | sed -n 2p | awk '{ print $4 }')
buevent "$A" change
wait_for 5 cmdends a "change loop$A [0-9]* begin" 1 || echo "a: C's command did not start" | diag
s2=$(cmdlog a "change loop$A [0-9]* begin" | head -1 | awk '{ print $4 }')
grep -q "cannot create block node .*order/loop$A.*Read-only" "$LOG" ||
	echo "a: R was not refused (no 'cannot create block node ... Read-only' in the log)" | diag
remount rw || echo "a: remount rw failed" | diag
kill -HUP "$DPID"
wait_for 5 grep -q "catching up .*(SIGHUP)" "$LOG"
# (C's command still runs here: the catch-up found its job running)
during=$(cmdstate a "loop$A" "$s2")
echo 0 >"$work/a.delay.change"
wait_for 10 cmdends a "change loop$A [0-9]* end" 1
buevent "$A" change
wait_for 10 cmdends a "change loop$A [0-9]* end" 2
s3=$(cmdlog a "change loop$A [0-9]* end" | sed -n 2p | awk '{ print $4 }')
is "a: catch-up (SIGHUP) while C's command ran; R (add s$s1) refused, its command ran once" \
    "$during; add s$s1 ran $(cmdlog a "add loop$A $s1 end" | wc -l)x" "running; add s$s1 ran 1x"
is "a: commands in event order, none again after the newer event's (begin lines after the first add)" \
    "$(cmdlog a " begin\$" | tail -n +2 | awk '{ printf "%s s%s, ", $2, $4 }')" \
    "add s$s1, change s$s2, change s$s3, "
is "a: ... and the node R could not make, made by the catch-up" "$(node "$DEV/order/loop$A")" "$(want "$A")"
showfile "$work/a.cmds"
dstop || echo "a: daemon did not stop" | diag
loop_del "$A"

# ---- b: rescans wait for commands --------------------------------------------
# Loop A (rule: =order/, and an add command sleeping 4 s) comes in a
# rescan, whose device handling calls the handler directly: A's command
# runs during the rescan.  Once it began, loop B (rule: =order/, no
# command) is added; B's node must come within 2 s, while A's command
# still runs.  Three rescans: the daemon's start (A present, no record:
# a device no earlier daemon handled runs its command); a resync (the
# daemon stopped, --rcvbuf 4096, 200 events, A added, 200 more, SIGCONT:
# ENOBUFS, A's event lost); a catch-up (a daemon started on a read-only
# /dev, A present: its node refused, no command; remount rw, SIGHUP: the
# catch-up's rescan makes A's node and runs its command).

# bcase TAG A B: after A's command began (a rescan's: SEQNUM "scan"), add
# B, and say what is there 2 s later at most: B's node, A's command
bcase() {
	local tag=$1 a=$2 b=$3
	wait_for 10 cmdlog "$tag" "add order/loop$a scan begin" >/dev/null ||
		echo "$tag: loop$a's command never began in a rescan" | diag
	loop_add "$b"
	wait_for 2 test -b "$DEV/order/loop$b"
	echo "loop$b: $(node "$DEV/order/loop$b"); loop$a's command: $(cmdstate "$tag" "order/loop$a" scan)"
}
# bafter TAG A B: once A's command ended, B's node must come (else the
# test is broken); said with when it came, against A's command's end
bafter() {
	local tag=$1 a=$2 b=$3
	wait_for 10 cmddone "$tag" "order/loop$a" scan
	if wait_for 5 test -b "$DEV/order/loop$b"; then
		echo "$tag: loop$b's node made (ctime, coarse clock) at $(stat -c %.9Z "$DEV/order/loop$b");" \
		    "loop$a's command: $(cmdlog "$tag" "order/loop$a scan" | awk '{ printf "%s %s, ", $5, $1 }')" | diag
	else
		echo "$tag: loop$b never got its node" | diag
	fi
}
bwant() { echo "loop$2: $(want "$2"); loop$1's command: running"; }
brules() {
	cat >"$work/$1.rules" <<RULES
^loop$2\$ root:disk 0660 =order/ @$work/cmd $work/$1.cmds
^loop$3\$ root:disk 0660 =order/
RULES
	echo 4 >"$work/$1.delay.add"
}

# b1: the start's scan
A=${L[1]} B=${L[2]}
brules b1 "$A" "$B"
loop_add "$A"
hold b1 || echo "b1: namespaces not held" | diag
dlaunch b1 "$work/b1.rules" || echo "b1: daemon not launched" | diag
got=$(bcase b1 "$A" "$B")
is "b: start scan: loop$B's node made while loop$A's command still runs" "$got" "$(bwant "$A" "$B")"
dready || echo "b1: daemon not ready" | diag
bafter b1 "$A" "$B"
dstop || echo "b1: daemon did not stop" | diag
loop_del "$A"
loop_del "$B"

# b2: a resync after ENOBUFS
A=${L[3]} B=${L[4]}
brules b2 "$A" "$B"
hold b2 || echo "b2: namespaces not held" | diag
dstart b2 "$work/b2.rules" --rcvbuf 4096 || echo "b2: daemon did not start" | diag
kill -STOP "$DPID"
wait_for 5 stopped || echo "b2: daemon not stopped" | diag
for k in $(seq 200); do uevent null add; done
loop_add "$A"
for k in $(seq 200); do uevent null add; done
kill -CONT "$DPID"
got=$(bcase b2 "$A" "$B")
grep -q "the kernel dropped uevents" "$LOG" || echo "b2: no overrun logged" | diag
is "b: resync: loop$B's node made while loop$A's command still runs" "$got" "$(bwant "$A" "$B")"
bafter b2 "$A" "$B"
dstop || echo "b2: daemon did not stop" | diag
loop_del "$A"
loop_del "$B"

# b3: a catch-up
A=${L[5]} B=${L[6]}
brules b3 "$A" "$B"
loop_add "$A"
hold b3 || echo "b3: namespaces not held" | diag
remount ro || echo "b3: remount ro failed" | diag
dstart b3 "$work/b3.rules" || echo "b3: daemon did not start" | diag
grep -q "Starting anyway" "$LOG" || echo "b3: the daemon did not find /dev read-only" | diag
remount rw || echo "b3: remount rw failed" | diag
kill -HUP "$DPID"
got=$(bcase b3 "$A" "$B")
grep -q "catching up" "$LOG" || echo "b3: no catch-up logged" | diag
is "b: catch-up: loop$B's node made while loop$A's command still runs" "$got" "$(bwant "$A" "$B")"
bafter b3 "$A" "$B"
dstop || echo "b3: daemon did not stop" | diag
loop_del "$A"
loop_del "$B"

# ---- c: a remove published while its node is still there --------------------
# Loops C and D (rule: =order/, no command: a removal is done within the
# batch, held back to the batch's end) are added; a libudev client
# listens; /dev is made read-only and C removed.  The daemon does not
# know yet that /dev refuses changes, so C's removal is held back, fails
# at the batch's end, and the remove must stay unpublished.  A "change"
# of D (published once handled; it writes nothing to /dev) proves the
# client heard everything before it.  Then remount rw + SIGHUP: C's node
# goes, and the remove is published, with the node gone.

C=${L[7]} D=${L[8]}
echo "^loop($C|$D)\$ root:disk 0660 =order/" >"$work/c.rules"
hold c || echo "c: namespaces not held" | diag
dstart c "$work/c.rules" || echo "c: daemon did not start" | diag
loop_add "$C"
loop_add "$D"
wait_for 5 test -b "$DEV/order/loop$C" -a -b "$DEV/order/loop$D" ||
	echo "c: no order/loop$C and order/loop$D at first" | diag
listen c || echo "c: libudev client not listening" | diag
remount ro || echo "c: remount ro failed" | diag
loop_del "$C"
wait_for 5 grep -q "cannot remove .*order/loop$C: Read-only" "$LOG" ||
	echo "c: the refused removal is not logged" | diag
buevent "$D" change
wait_for 5 has c "^change block disk /dev/order/loop$D " || echo "c: the client did not hear loop$D's change" | diag
is "c: /dev read-only, loop$C removed: its node there, no remove published" \
    "$(node "$DEV/order/loop$C"); published: $(grep "^remove block disk /dev/order/loop$C " "$work/c.out")" \
    "$(want "$C"); published: "
remount rw || echo "c: remount rw failed" | diag
kill -HUP "$DPID"
wait_for 5 absent "$DEV/order/loop$C"
wait_for 5 has c "^remove block disk /dev/order/loop$C .*node=missing"
is "c: remount rw, SIGHUP: node gone; the remove published once, with the node gone" \
    "$(node "$DEV/order/loop$C"); published: $(grep "^remove block disk /dev/order/loop$C " "$work/c.out")" \
    "absent; published: remove block disk /dev/order/loop$C init=1 node=missing"
showfile "$work/c.out"
stop_clients
dstop || echo "c: daemon did not stop" | diag
loop_del "$D"

# ---- d: coldplug workers and the order of commands ---------------------------
# gensysfs.sh with 80 more devices: ttyUSB0..9 are char 188:0..9, among
# 117 entries of dev/char.  In a private mount namespace the tree is made
# on a tmpfs, whose directory order follows creation (forwards or
# backwards, by kernel: the order is checked with ls -f), and dev/char is
# laid out so that ttyUSB0..8 are entries 0, 12, ..., 96 and ttyUSB9
# entry 107, the last ttyUSB: whatever the number of workers (2-4; worker
# W takes every entry I with I % N == W), worker 0 runs the nine commands
# of ttyUSB0..8 and another ttyUSB9's, long before worker 0 is done.  A
# scan in order leaves /dev/modem -> ttyUSB9.  Five fresh runs with the
# default number of workers.

dsys=$work/dsys
mkdir "$dsys"
printf 'ttyUSB[0-9]\troot:dialout 0660 @ln -sf $MDEV modem\n' >"$work/d.rules"
ns_mketc "$work/detc" "$work/d.rules"
unshare -m -- /bin/bash -c '
	. "$1/ns.sh"
	lib=$1 sys=$2 etc=$3 out=$4 bb=$5 devmgr=$6 kpath=$7
	mount -t tmpfs order-sysfs "$sys" || exit 1
	"$lib/gensysfs.sh" "$sys" 80 || exit 1
	cd "$sys/dev/char" || exit 1
	tty=() plain=()
	for e in *; do
		t=$(readlink "$e")
		case $e in
		188:[0-9]) [ "${t##*/}" = "ttyUSB${e#188:}" ] && tty[${e#188:}]=$e ;;
		*) plain+=("$e") ;;
		esac
	done
	[ ${#tty[@]} = 10 ] || { echo "no ttyUSB0..9 at 188:0..9" >"$out.setup"; exit 1; }
	order=() p=0
	for ((pos = 0; pos < ${#tty[@]} + ${#plain[@]}; pos++)); do
		if ((pos % 12 == 0 && pos / 12 <= 8)); then
			order+=("${tty[pos / 12]}")
		elif ((pos == 107)); then
			order+=("${tty[9]}")
		else
			order+=("${plain[p++]}")
		fi
	done
	declare -A target
	for e in "${order[@]}"; do target[$e]=$(readlink "$e"); done
	cd "$sys/dev"
	# lay out dev/char anew, forwards; backwards if the kernel lists so
	for way in forward backward; do
		rm -rf char.new
		mkdir char.new
		if [ $way = forward ]; then list=("${order[@]}"); else
			list=(); for ((k = ${#order[@]} - 1; k >= 0; k--)); do list+=("${order[k]}"); done
		fi
		for e in "${list[@]}"; do ln -s "${target[$e]}" "char.new/$e"; done
		[ "$(ls -f char.new | grep -v "^\.\.\?$" | tr "\n" " ")" = "${order[*]} " ] && break
	done
	[ "$(ls -f char.new | grep -v "^\.\.\?$" | tr "\n" " ")" = "${order[*]} " ] ||
		{ echo "cannot lay out dev/char in order on tmpfs" >"$out.setup"; exit 1; }
	rm -rf char && mv char.new char
	ls -f char | grep -v "^\.\.\?$" >"$out.order"
	modem() {
		ns_run "$sys" "$etc" /bin/sh -c "env -i PATH=$kpath \"\$@\" 2>>$out.err; readlink /dev/modem 2>>$out.err || echo none" modem "$@"
	}
	modem "$bb" mdev -s >"$out.bb"
	modem "$devmgr" -s -j 1 >"$out.j1"
	# several workers whatever the CPUs here: -j 2, 3, 4 and the default twice
	for j in 2 3 4 "" ""; do modem "$devmgr" -s ${j:+-j $j}; done >"$out.jdef"
' order-d "$lib" "$dsys" "$work/detc" "$work/d" "$bb" "$devmgr" "$kpath"
[ -e "$work/d.setup" ] && showfile "$work/d.setup"
bbmodem=$(cat "$work/d.bb" 2>/dev/null)
is "d: busybox mdev -s: /dev/modem -> the last ttyUSB in scan order" "$bbmodem" ttyUSB9
is "d: devmgr -s -j 1: the same /dev/modem as busybox" "$(cat "$work/d.j1" 2>/dev/null)" "${bbmodem:-?}"
is "d: devmgr -s -j 2, -j 3, -j 4 and default ($(nproc) CPUs) twice: the same /dev/modem as busybox" \
    "$(tr '\n' ' ' <"$work/d.jdef" 2>/dev/null)" "$(printf '%s ' "${bbmodem:-?}" "${bbmodem:-?}" "${bbmodem:-?}" "${bbmodem:-?}" "${bbmodem:-?}")"

# ---- e: devmgr -d without -f: the start scan's commands -----------------------
# Rule for null: a command for every action ($work/cmd; the add's sleeps
# 3 s, the change's 1 s), and a [policy] that allows null alone, so that
# the start scan runs one command: null's add.  devmgr -d (no -f) forks
# before its scan, so that command must be the daemon's own child: a
# "change" sent the moment devmgr -d returned must wait for it, as any
# later event of a device waits for its earlier commands.  The daemon
# is found as the devmgr process in the held namespaces that leads its
# own session (it calls setsid; a command's fork before its exec does not).

# nsprocs: "PID NAME" of every process in the held namespaces but INIT
nsprocs() {
	local p mnt
	mnt=$(readlink "/proc/$INIT/ns/mnt")
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != "$INIT" ] && [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] &&
			echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
	done
}
# nsdaemon: the pids of the forked daemons in the held namespaces
nsdaemon() {
	local p rest
	for p in $(nsprocs | awk '{ print $1 }'); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] || continue
		rest=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)	# STATE PPID PGRP SID ...
		[ "$(echo "$rest" | awk '{ print $4 }')" = "$p" ] && echo "$p"
	done
}
# gone PID: PID ended (or is a zombie its new parent has not reaped yet)
gone() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $1 }')
	[ -z "$st" ] || [ "$st" = Z ]
}

econf=$work/e.conf
printf '[policy]\nallow = char %s rwm\n' "$(cat /sys/class/mem/null/dev)" >"$econf"
echo "null 0:0 0666 *$work/cmd $work/e.cmds" >"$work/e.rules"
echo 3 >"$work/e.delay.add"
echo 1 >"$work/e.delay.change"
hold e || echo "e: namespaces not held" | diag
LOG=$work/e.log
timeout 20 nsenter -t "$INIT" -m -n -- env -i PATH=$kpath "$devmgr" -d -v \
    --config "$econf" --etc "$etc" --rules "$work/e.rules" </dev/null >"$LOG" 2>&1
erc=$?
uevent null change
DPID=$(nsdaemon)
others+=($DPID)
is "e: devmgr -d returned 0, its daemon runs" \
    "returned $erc; daemons: $(echo $DPID | wc -w)" "returned 0; daemons: 1"
wait_for 15 cmdends e "change null [0-9]* end" 1 ||
	echo "e: the change's command did not end" | diag
wait_for 5 cmdends e "add null scan end" 1 || echo "e: the scan's command did not end" | diag
is "e: the change's command waits for the scan's (log of null's commands)" \
    "$(cmdlog e " null " | awk '{ printf "%s %s, ", $2, $5 }')" \
    "add begin, add end, change begin, change end, "
showfile "$work/e.cmds"
[ -n "$DPID" ] && kill -TERM $DPID 2>/dev/null
wait_for 10 gone "${DPID:-0}" || echo "e: daemon did not stop" | diag
is "e: once the daemon stopped, nothing of it is left (no sh, no sleep)" \
    "$(nsprocs | awk '{ printf "%s %s, ", $1, $2 }')" ""

# ---- f: a remove with a command published while its node is still there ------
# Part c again, for loop A whose remove plan has a command: "-" rule
# =order/, then the rule =order/ with a $ command (sleeping 1 s).  A
# libudev client listens; /dev is made read-only and A removed: its
# command runs, its node cannot go, and the remove must stay unpublished
# (3 s).  Then remount rw + SIGHUP: the node goes, and the remove is
# published, once.

A=${L[9]}
cat >"$work/f.rules" <<RULES
-^loop$A\$ root:disk 0660 =order/
^loop$A\$ root:disk 0660 =order/ \$$work/cmd $work/f.cmds
RULES
echo 1 >"$work/f.delay.remove"
hold f || echo "f: namespaces not held" | diag
dstart f "$work/f.rules" || echo "f: daemon did not start" | diag
loop_add "$A"
wait_for 5 test -b "$DEV/order/loop$A" || echo "f: no order/loop$A at first" | diag
listen f || echo "f: libudev client not listening" | diag
flisten=${others[-1]}
remount ro || echo "f: remount ro failed" | diag
loop_del "$A"
wait_for 5 cmddone f "order/loop$A" "[0-9]*" || echo "f: the remove's command did not end" | diag
wait_for 5 grep -q "cannot remove .*order/loop$A: Read-only" "$LOG" ||
	echo "f: the refused removal is not logged" | diag
wait_for 3 has f "^remove block disk /dev/order/loop$A "
is "f: /dev read-only, loop$A removed (command ran): its node there, no remove published" \
    "$(node "$DEV/order/loop$A"); published: $(grep "^remove block disk /dev/order/loop$A " "$work/f.out")" \
    "$(want "$A"); published: "
remount rw || echo "f: remount rw failed" | diag
kill -HUP "$DPID"
wait_for 5 absent "$DEV/order/loop$A"
wait_for 5 has f "^remove block disk /dev/order/loop$A .*node=missing"
sleep 1	# a second remove, if any, comes now
is "f: remount rw, SIGHUP: node gone; the remove published once, with the node gone" \
    "$(node "$DEV/order/loop$A"); published: $(grep "^remove block disk /dev/order/loop$A " "$work/f.out")" \
    "absent; published: remove block disk /dev/order/loop$A init=1 node=missing"
showfile "$work/f.out"
showfile "$work/f.cmds"
kill_tree "$flisten"
wait "$flisten" 2>/dev/null
dstop || echo "f: daemon did not stop" | diag
