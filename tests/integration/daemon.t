#!/bin/bash
# daemon.t: devmgr -d on real kernel uevents.
#
#   prove -v tests/integration/daemon.t      (as root, from the repo root,
#                                            after make && make tools)
#   DEVMGR=/path/to/devmgr prove ...         (default: ./devmgr)
#   KEEP=1 prove -v ...                      (keep the work directory)
#
# Every daemon runs in its own private mount, network and pid namespaces
# (unshare -m -n -p -f --mount-proc) as the child of a small bash init
# that mounts a fresh tmpfs over /dev first: the daemon manages that /dev
# (default paths; --rules, --etc and an empty --config from the work
# directory) and the test looks at it through /proc/INIT/root/dev.  The
# host's /dev, /etc and /sys are never written; uevents come from the
# kernel, which sends them to every network namespace owned by the initial
# user namespace:
#   - synthetic ones: "add", "remove" or "change" written to
#     /sys/class/mem/{null,full,zero,urandom}/uevent (harmless: only the
#     listeners see them, devtmpfs does not);
#   - real devices: loop devices numbered 200 and up, added and removed
#     through /dev/loop-control (build/tools/loopctl); every one added is
#     removed again on exit, also on failure.
# Outcomes are polled for (at most 5 s, 20 ms steps).  What must NOT
# happen is checked after a sentinel (see sentinel()) that proves the
# daemon has handled everything sent before it.
#
#   a  readiness: devmgr -d returns once coldplug is done (20 runs); -D FD;
#      NOTIFY_SOCKET
#   b  add / remove / change of /sys/class/mem devices, with rules
#   c  real devices: loop add and remove, =dir/ and directory pruning
#   d  forged uevents (multicast on group 1, unicast to the daemon's port)
#   e  receive buffer overrun: resync from sysfs
#   f  SIGHUP reload, and a broken or deleted rule file keeps the old rules
#   g  SIGTERM and SIGINT: exit 0
#   h  refusing to start: user namespace, no CAP_MKNOD

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, mknod, uevents"
tap_skip_unless_built "$devmgr"
if [ ! -x "$tools/nlsend" ] || [ ! -x "$tools/loopctl" ]; then
	echo "1..1"; echo "not ok 1 - cannot run: $tools/nlsend and loopctl not built (run make tools)"
	exit 1
fi
if ! unshare -m -n -p -f --mount-proc true 2>/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: cannot create mount, network and pid namespaces"
	exit 1
fi
if [ ! -w /sys/class/mem/null/uevent ] || [ ! -w /sys/class/mem/urandom/uevent ]; then
	echo "1..1"; echo "not ok 1 - cannot run: /sys/class/mem/*/uevent not writable: no way to make uevents"
	exit 1
fi

tap_workdir daemon

echo "1..99"

# ---- helpers --------------------------------------------------------------

tap_small_etc

. "$lib/daemon.sh"

# Can loop devices be added and removed here? (c and e need it.)
loop_ok=
if [ -c /dev/loop-control ] && [ -d /sys/block ]; then
	i=$(loop_free 200)
	loop_add "$i" 2>/dev/null && loop_del "$i" && loop_ok=1
fi

# ---- a: readiness -----------------------------------------------------------
# devmgr -d (forking) 20 times, each in fresh namespaces; the init script
# checks, the instant devmgr returns, that /dev/null is there and that
# the daemon process (found by its /proc/PID/exe) exists; then that a new
# event is handled, and that SIGTERM ends the daemon.  One result line per
# run.

readyrun=$work/readyrun
cat >"$readyrun" <<'EOF'
#!/bin/bash
exec 5<>/dev/null
mount -t tmpfs -o mode=0755 devmgr-daemon-test /dev || { echo "mount failed"; exit 1; }
mount -t tmpfs -o mode=0755 devmgr-daemon-test /run || { echo "mount failed"; exit 1; }
exe=$1
shift
"$@" <&5
rc=$?
null=$(stat -c '%F %Hr:%Lr' /dev/null 2>&1)
dpids=()
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>&5)" = "$exe" ] && dpids+=("${p#/proc/}")
done
stdout=$(readlink "/proc/${dpids[0]}/fd/1" 2>&5)
rm -f /dev/full
echo add >/sys/class/mem/full/uevent
i=0
while [ ! -c /dev/full ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
full=$(stat -c '%F %Hr:%Lr' /dev/full 2>&1)
stopped=no
if [ ${#dpids[@]} -gt 0 ]; then
	kill -TERM "${dpids[@]}"
	i=0
	while [ $i -lt 250 ]; do
		alive=0
		for p in "${dpids[@]}"; do
			st=
			read -r _ _ st _ 2>&5 <"/proc/$p/stat" && [ "$st" != Z ] && alive=1
		done
		[ $alive = 0 ] && { stopped=yes; break; }
		sleep 0.02
		i=$((i + 1))
	done
fi
echo "rc=$rc|null=$null|daemons=${#dpids[@]}|full=$full|stdout=$stdout|stopped=$stopped"
EOF
chmod +x "$readyrun"

: >"$work/a.out"
for i in $(seq 20); do
	unshare -m -n -p -f --mount-proc -- "$readyrun" "$exe" env -i PATH=$kpath "$devmgr" -d \
	    --config "$empty" --etc "$etc" --rules "$empty" </dev/null >>"$work/a.out" 2>>"$work/a.log"
done
# all20 DESC FIXED-STRING: every one of the 20 result lines has it
all20() {
	local got
	got=$(grep -cF -e "$2" "$work/a.out")
	if [ "$got" = 20 ]; then
		pass "$1"
	else
		fail "$1"
		{ echo "$got of 20 runs had '$2':"; cat "$work/a.out"; cat "$work/a.log"; } | diag
	fi
}
all20 "a: devmgr -d exits 0 (20 runs)" "rc=0|"
all20 "a: ... /dev/null is char 1:3 the instant it returns" "|null=character special file 1:3|"
all20 "a: ... and exactly one devmgr process, the daemon, is running" "|daemons=1|"
all20 "a: ... which then handles a new event (full re-created)" "|full=character special file 1:7|"
all20 "a: ... and stops on SIGTERM" "|stopped=yes"
# The daemon never writes to stdout and must not keep the caller's:
# whoever reads it to the end (x=$(devmgr -d), devmgr -d | ...) would wait
# forever although devmgr -d has returned.  (stderr is kept: the log.)
got=$(grep -cF -e "|stdout=$work/a.out|" "$work/a.out")
is "a: ... and has let go of the caller's stdout (0 of 20 hold it)" "$got" 0

# -f -D 3, fd 3 a fifo: /dev/null must be there when the newline arrives,
# and as many nodes as the coldplug reported
fifo=$work/a.fifo
mkfifo "$fifo"
exec {ffd}<>"$fifo"
ns_launch a-fifo env -i PATH=$kpath "$devmgr" -d -f -D 3 -v --config "$empty" --etc "$etc" \
    --rules "$empty" 3>"$fifo"
c=x
IFS= read -r -t 10 -n 1 -d '' -u "$ffd" c
INIT=$(children "$UPID")
INIT=${INIT%% *}
got=$(node "/proc/$INIT/root/dev/null")
nodes=$(find "/proc/$INIT/root/dev" \( -type c -o -type b \) | wc -l)
exec {ffd}<&-
is "a: -f -D 3 writes one newline to fd 3" "$(printf %q "$c")" "$(printf %q $'\n')"
is "a: ... /dev/null exists when it arrives" "$got" "character special file 1:3 660 0 0"
made=$(sed -n 's/.*coldplug: [0-9]* devices, \([0-9]*\) nodes.*/\1/p' "$LOG")
is "a: ... and so do all $made nodes the coldplug made" "$nodes" "${made:-?}"
wait_for 5 ns_found
daemon_stop

# NOTIFY_SOCKET: a datagram socket bound by python3 in the namespace,
# which looks at /dev/null the moment READY=1 comes
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -n "$py" ] && [ -x "$py" ]; then
	cat >"$work/notify.py" <<'EOF'
import os, socket, stat, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(10)
try:
    msg = s.recv(4096).decode(errors="replace")
except socket.timeout:
    msg = "(nothing in 10 s)"
try:
    st = os.stat("/dev/null")
    null = "char %d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) \
        if stat.S_ISCHR(st.st_mode) else "not a char device"
except OSError:
    null = "absent"
with open(out, "w") as f:
    f.write("%s|%s\n" % (msg, null))
EOF
	cat >"$work/notifyrun" <<'EOF'
#!/bin/bash
exec 5<>/dev/null
mount -t tmpfs -o mode=0755 devmgr-daemon-test /dev && mount -t tmpfs -o mode=0755 devmgr-daemon-test /run || exit 99
py=$1 sock=$2 out=$3
shift 3
"$py" -I "${out%/*}/notify.py" "$sock" "$out" <&5 &
pypid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
"$@" <&5 &
dpid=$!
wait $pypid
kill -TERM $dpid
wait $dpid
EOF
	chmod +x "$work/notifyrun"
	unshare -m -n -p -f --mount-proc -- "$work/notifyrun" "$py" "$work/notify.sock" \
	    "$work/notify.out" env -i PATH=$kpath NOTIFY_SOCKET="$work/notify.sock" \
	    "$devmgr" -d -f --config "$empty" \
	    --etc "$etc" --rules "$empty" </dev/null >"$work/notify.log" 2>&1
	got=$(cat "$work/notify.out" 2>&1)
	is "a: NOTIFY_SOCKET gets READY=1, /dev/null already there" "$got" "READY=1|char 1:3"
else
	skip "a: NOTIFY_SOCKET: no python3 to listen on a unix datagram socket"
fi

# ---- b: add / remove / change of mem devices --------------------------------

rules=$work/b.rules
cat >"$rules" <<'EOF'
full root:disk 0640 >mem/full
zero root:tty 0620
null root:root 0666
EOF
check "b: daemon started" daemon_start b "$rules"
is "b: coldplug made mem/full" "$(node "$DEV/mem/full")" "character special file 1:7 640 0 6"
is "b: ... and full -> mem/full" "$(link "$DEV/full")" mem/full
uevent full remove
wait_for 5 absent "$DEV/mem/full" "$DEV/full" "$DEV/mem"
is "b: remove of full deletes mem/full" "$(node "$DEV/mem/full")" absent
is "b: ... the symlink full" "$(node "$DEV/full")" absent
is "b: ... and the directory mem it made" "$(node "$DEV/mem")" absent
uevent full add
wait_for 5 test -c "$DEV/mem/full" -a -L "$DEV/full"
is "b: add of full makes mem/full root:disk 0640" "$(node "$DEV/mem/full")" \
    "character special file 1:7 640 0 6"
is "b: ... and full -> mem/full" "$(link "$DEV/full")" mem/full
# change: an add would set 0640 again and a remove would delete it
chmod 0600 "$DEV/mem/full"
before=$(ino "$DEV/mem/full")
uevent full change
check "b: (sentinel after change)" sentinel
is "b: change of full leaves the node alone (mode, inode)" \
    "$(node "$DEV/mem/full") $(ino "$DEV/mem/full")" "character special file 1:7 600 0 6 $before"
is "b: ... and the symlink" "$(link "$DEV/full")" mem/full
# remove and add in one batch (both queued while the daemon is stopped):
# the node is kept, not unlinked and made again (README: held-back
# removals), and fixed to the rule's mode
kill -STOP "$DPID"
wait_for 5 stopped
uevent full remove
uevent full add
kill -CONT "$DPID"
check "b: (sentinel after remove+add)" sentinel
is "b: remove+add of full in one batch: node kept (same inode), mode 0640 again" \
    "$(node "$DEV/mem/full") $(ino "$DEV/mem/full")" "character special file 1:7 640 0 6 $before"
is "b: ... and full -> mem/full" "$(link "$DEV/full")" mem/full
uevent zero remove
wait_for 5 absent "$DEV/zero"
is "b: remove of zero deletes it" "$(node "$DEV/zero")" absent
uevent zero change
check "b: (sentinel after change)" sentinel
is "b: change of zero, which has no node, creates none" "$(node "$DEV/zero")" absent
uevent zero add
wait_for 5 test -c "$DEV/zero"
is "b: add of zero makes it root:tty 0620" "$(node "$DEV/zero")" "character special file 1:5 620 0 5"
uevent null remove
wait_for 5 absent "$DEV/null"
is "b: remove of null deletes it" "$(node "$DEV/null")" absent
uevent null add
wait_for 5 test -c "$DEV/null"
is "b: add of null makes it root:root 0666" "$(node "$DEV/null")" "character special file 1:3 666 0 0"
daemon_stop

# ---- c: real devices: loop -------------------------------------------------

if [ -n "$loop_ok" ]; then
	N1=$(loop_free 200)
	N2=$(loop_free $((N1 + 1)))
	N3=$(loop_free $((N2 + 1)))
	rules=$work/c.rules
	cat >"$rules" <<EOF
loop$N1 root:disk 0640
loop($N2) root:disk 0660 =loop/%1
loop($N3) root:disk 0660 =held/%1
EOF
	check "c: daemon started" daemon_start c "$rules"
	is "c: no loop/ directory before" "$(node "$DEV/loop")" absent
	mkdir "$DEV/held"
	loop_add "$N1"
	devnum=$(cat "/sys/block/loop$N1/dev" 2>&1)
	wait_for 5 test -b "$DEV/loop$N1"
	is "c: loopctl add $N1: loop$N1 block $devnum root:disk 0640" "$(node "$DEV/loop$N1")" \
	    "block special file $devnum 640 0 6"
	loop_del "$N1"
	wait_for 5 absent "$DEV/loop$N1"
	is "c: loopctl remove $N1: loop$N1 gone" "$(node "$DEV/loop$N1")" absent
	loop_add "$N2"
	devnum=$(cat "/sys/block/loop$N2/dev" 2>&1)
	wait_for 5 test -b "$DEV/loop/$N2"
	is "c: loop([0-9]+) ... =loop/%1: loop/$N2 block $devnum 0660" \
	    "$(node "$DEV/loop/$N2")" "block special file $devnum 660 0 6"
	is "c: ... and no loop$N2" "$(node "$DEV/loop$N2")" absent
	loop_del "$N2"
	wait_for 5 absent "$DEV/loop/$N2" "$DEV/loop"
	is "c: remove: loop/$N2 gone" "$(node "$DEV/loop/$N2")" absent
	is "c: ... and the directory loop/ it made, now empty" "$(node "$DEV/loop")" absent
	loop_add "$N3"
	wait_for 5 test -b "$DEV/held/$N3"
	is "c: =held/%1 with held/ made by hand: held/$N3" "$(node "$DEV/held/$N3")" \
	    "block special file $(cat "/sys/block/loop$N3/dev" 2>&1) 660 0 6"
	loop_del "$N3"
	wait_for 5 absent "$DEV/held/$N3"
	is "c: remove: held/$N3 gone" "$(node "$DEV/held/$N3")" absent
	check "c: (sentinel after remove)" sentinel
	is "c: ... but held/, not devmgr's, is kept" "$(stat -c %F "$DEV/held" 2>&1)" directory
	daemon_stop
else
	for i in $(seq 12); do skip "c: cannot add and remove loop devices (/dev/loop-control)"; done
fi

# ---- d: forged uevents ------------------------------------------------------
# The same keys through the hotplug helper make a node "forged" (control:
# the message is one devmgr acts on; the helper takes the numbers from
# sysfs, 1:3, where the daemon would take the event's 1:99); sent by a
# process, on the kernel's multicast group or to the daemon's own port,
# they must be dropped.

ctl=$work/d-control
mkdir "$ctl"
forged=(ACTION=add DEVPATH=/devices/virtual/mem/null SUBSYSTEM=mem MAJOR=1 MINOR=99
	DEVNAME=forged SEQNUM=1)
printf '[publish]\nudev = no\nzero = no\n' >"$work/nopub.conf"	# host netns: say nothing
env -i PATH=$kpath "${forged[@]}" "$devmgr" --config "$work/nopub.conf" --etc "$etc" \
    --rules "$empty" --dev "$ctl" --run "$work/d-run" 2>"$work/d-control.err"
is "d: control: these keys through the hotplug helper make 'forged'" "$(node "$ctl/forged")" \
    "character special file 1:3 660 0 0"

check "d: daemon started" daemon_start d "$empty"
nlsend() { nsenter -t "$DPID" -n "$tools/nlsend" "$@"; }
drop="dropped a uevent not sent by the kernel"
nlsend multicast 1 "${forged[@]}"
is "d: nlsend multicast 1 (add forged 1:99) sent" $? 0
check "d: (sentinel)" sentinel
is "d: ... nothing created" "$(node "$DEV/forged")" absent
is "d: ... and the drop logged, as multicast" "$(grep -F "$drop" "$LOG" | grep -c multicast)" 1
# the daemon's port: that of its socket (by inode, in /proc/net/netlink
# of its netns) in group 1; the other one, which it publishes on, has none
socks=$(readlink "/proc/$DPID/fd/"* | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
port=$(nsenter -t "$DPID" -n cat /proc/net/netlink |
    awk -v inos=" $socks" '$2 == 15 && $4 == "00000001" && index(inos, " " $10 " ") { print $3 }')
check "d: the daemon's netlink port found (${port:-?})" nonzero "$port"
nlsend unicast "${port:-1}" "${forged[@]/DEVNAME=forged/DEVNAME=forged2}"
is "d: nlsend unicast to it (add forged2 1:99) sent" $? 0
check "d: (sentinel)" sentinel
is "d: ... nothing created" "$(node "$DEV/forged2")" absent
is "d: ... and the drop logged, as unicast" "$(grep -F "$drop" "$LOG" | grep -c unicast)" 1
before="$(node "$DEV/null") $(ino "$DEV/null")"
rmnull=(ACTION=remove DEVPATH=/devices/virtual/mem/null SUBSYSTEM=mem MAJOR=1 MINOR=3
	DEVNAME=null SEQNUM=2)
nlsend multicast 1 "${rmnull[@]}"
nlsend unicast "${port:-1}" "${rmnull[@]}"
check "d: (sentinel)" sentinel
is "d: forged remove of null (multicast and unicast): null kept, same inode" \
    "$(node "$DEV/null") $(ino "$DEV/null")" "$before"
is "d: four drops logged in all" "$(log_count "$drop")" 4
daemon_stop

# ---- e: receive buffer overrun ----------------------------------------------
# --rcvbuf 4096, and the daemon stopped (SIGSTOP) while 2000 events are
# fired; among them loop L1 is added, loop L2 (node gone/loopL2 and
# symlink loopL2, by a ">gone/" rule) removed, loop L3 removed and added
# again; zero's node is deleted by hand before.  Those events are lost
# with the overrun: after SIGCONT only the resync can make it all right.

if [ -n "$loop_ok" ]; then
	L2=$(loop_free 200)
	L1=$(loop_free $((L2 + 1)))
	L3=$(loop_free $((L1 + 1)))
	rules=$work/e.rules
	echo "loop$L2 root:disk 0660 >gone/" >"$rules"
	check "e: daemon started with --rcvbuf 4096" daemon_start e "$rules" --rcvbuf 4096
	buf=$(sed -n 's/.*ready: uevent buffer \([0-9]*\) bytes.*/\1/p' "$LOG")
	check "e: the buffer is small (${buf:-?} bytes)" at_most "$buf" 65536
	loop_add "$L2"
	loop_add "$L3"
	devnum2=$(cat "/sys/block/loop$L2/dev" 2>&1)
	devnum3=$(cat "/sys/block/loop$L3/dev" 2>&1)
	wait_for 5 test -b "$DEV/gone/loop$L2" -a -L "$DEV/loop$L2" -a -b "$DEV/loop$L3"
	is "e: before: gone/loop$L2" "$(node "$DEV/gone/loop$L2")" "block special file $devnum2 660 0 6"
	is "e: ... loop$L2 -> gone/loop$L2" "$(link "$DEV/loop$L2")" "gone/loop$L2"
	is "e: ... and loop$L3" "$(node "$DEV/loop$L3")" "block special file $devnum3 660 0 0"
	rm -f "$DEV/zero"
	kill -STOP "$DPID"
	wait_for 5 stopped
	for i in $(seq 200); do uevent null add; done
	loops+=("$L1")
	storm=$({ "$tools/loopctl" add "$L1" && "$tools/loopctl" remove "$L2" &&
		"$tools/loopctl" remove "$L3" && "$tools/loopctl" add "$L3" && echo ok; } 2>&1)
	for i in $(seq 1800); do uevent null add; done
	kill -CONT "$DPID"
	is "e: during the storm: loop$L1 added, loop$L2 removed, loop$L3 removed and added" \
	    "${storm##*$'\n'}" ok
	wait_for 20 grep -qF "resync done" "$LOG"
	log_has "e: the overrun is logged" "the kernel dropped uevents"
	log_has "e: ... and the resync" "resync done"
	wait_for 5 test -c "$DEV/zero"
	is "e: zero, deleted by hand, is back" "$(node "$DEV/zero")" "character special file 1:5 660 0 0"
	wait_for 5 test -b "$DEV/loop$L1"
	is "e: loop$L1, added in the storm, has its node" "$(node "$DEV/loop$L1")" \
	    "block special file $(cat "/sys/block/loop$L1/dev" 2>&1) 660 0 0"
	wait_for 5 absent "$DEV/gone/loop$L2" "$DEV/loop$L2" "$DEV/gone"
	is "e: loop$L2, removed in the storm: gone/loop$L2 deleted" "$(node "$DEV/gone/loop$L2")" absent
	is "e: ... the symlink loop$L2" "$(node "$DEV/loop$L2")" absent
	is "e: ... and the directory gone/" "$(node "$DEV/gone")" absent
	log_has "e: ... by the resync" "resync: gone/loop$L2 is gone"
	is "e: loop$L3, removed and added in the storm, has its node" "$(node "$DEV/loop$L3")" \
	    "block special file $devnum3 660 0 0"
	check "e: events after the resync are handled (sentinel)" sentinel
	loop_del "$L1"
	loop_del "$L3"
	wait_for 5 absent "$DEV/loop$L1" "$DEV/loop$L3"
	is "e: remove of loop$L1 after the resync deletes its node" "$(node "$DEV/loop$L1")" absent
	is "e: ... and of loop$L3" "$(node "$DEV/loop$L3")" absent
	daemon_stop
else
	for i in $(seq 18); do skip "e: cannot add and remove loop devices (/dev/loop-control)"; done
fi

# ---- f: SIGHUP reload -------------------------------------------------------

rules=$work/f.rules
echo 'null root:root 0600' >"$rules"
check "f: daemon started" daemon_start f "$rules"
is "f: null root:root 0600 at start" "$(node "$DEV/null")" "character special file 1:3 600 0 0"
echo 'null root:root 0644' >"$rules"
kill -HUP "$DPID"
wait_for 5 grep -qF "reloaded $rules" "$LOG"
log_has "f: SIGHUP: reload logged" "reloaded $rules: 1 rules"
uevent null add
wait_for 5 mode_is "$DEV/null" 644
is "f: ... the next add of null uses the new mode 0644" "$(node "$DEV/null")" \
    "character special file 1:3 644 0 0"
printf 'null root:root 0640\nfu(ll root:root 0603\n' >"$rules"
kill -HUP "$DPID"
wait_for 5 grep -qF "keeping the rules in force" "$LOG"
log_has "f: a rule file with a bad line: SIGHUP says it keeps the rules" \
    "reload: $rules has 1 bad line; keeping the rules in force"
log_has "f: ... and names the line" "$rules:2:"
is "f: ... and does not say 'reloaded' again" "$(log_count "reloaded $rules")" 1
chmod 0600 "$DEV/null"
uevent null add
wait_for 5 mode_not "$DEV/null" 600
is "f: ... the next add of null still uses 0644, not the file's 0640" "$(node "$DEV/null")" \
    "character special file 1:3 644 0 0"
rm "$rules"
kill -HUP "$DPID"
wait_for 5 grep -qF "is gone; keeping the rules in force" "$LOG"
log_has "f: the rule file deleted: SIGHUP keeps the rules" \
    "reload: $rules is gone; keeping the rules in force"
chmod 0600 "$DEV/null"
uevent null add
wait_for 5 mode_not "$DEV/null" 600
is "f: ... null still gets 0644, not the default 0660" "$(node "$DEV/null")" \
    "character special file 1:3 644 0 0"
daemon_stop

# ---- g: SIGTERM, SIGINT -----------------------------------------------------

for sig in TERM INT; do
	check "g: daemon started (-f, for SIG$sig)" daemon_start "g-$sig" "$empty"
	pid=$DPID
	daemon_stop "$sig"
	is "g: SIG$sig: devmgr -d -f exits with status 0" "$(cat "$STATUS" 2>&1)" 0
	check "g: ... its process is gone" absent "/proc/$pid"
	log_has "g: ... after logging that it stops" "stopping on signal $(kill -l "$sig")"
done

# ---- h: refusing to start ---------------------------------------------------

hdev=$work/h-dev
mkdir "$hdev"
if unshare -U -r -n true 2>/dev/null; then
	unshare -U -r -m -n -p -f --mount-proc -- env -i PATH=$kpath "$devmgr" -d --dev "$hdev" \
	    --config "$empty" --etc "$etc" --rules "$empty" </dev/null >"$work/h-userns.out" \
	    2>"$work/h-userns.err"
	rc=$?
	check "h: network namespace of another user namespace: exit non-zero ($rc)" nonzero "$rc"
	if grep -q "user namespace" "$work/h-userns.err"; then
		pass "h: ... stderr mentions 'user namespace'"
	else
		fail "h: ... stderr mentions 'user namespace'"
		diag <"$work/h-userns.err"
	fi
	is "h: ... and nothing is made" "$(ls -A "$hdev")" ""
else
	for i in 1 2 3; do skip "h: cannot create a user namespace (unshare -U -r)"; done
fi

cat >"$work/nocap" <<'EOF'
#!/bin/bash
# without CAP_MKNOD: mknod must fail, then devmgr -d must refuse to start
exec 5<>/dev/null
mount -t tmpfs -o mode=0755 devmgr-daemon-test /dev && mount -t tmpfs -o mode=0755 devmgr-daemon-test /run || exit 99
out=$1
shift
mknod /dev/probe c 1 3 2>&5 && echo "mknod=works" >"$out" || echo "mknod=refused" >"$out"
rm -f /dev/probe
"$@" <&5
echo "rc=$?" >>"$out"
echo "dev=$(ls -A /dev | tr '\n' ' ')" >>"$out"
EOF
chmod +x "$work/nocap"
dropcap=()
if command -v capsh >/dev/null; then
	dropcap=(capsh --drop=cap_mknod --)
elif setpriv --help 2>/dev/null | grep -q -- --bounding-set; then
	dropcap=(setpriv --bounding-set -mknod --inh-caps -mknod /bin/bash)
fi
if [ ${#dropcap[@]} -gt 0 ]; then
	unshare -m -n -p -f --mount-proc -- "${dropcap[@]}" "$work/nocap" "$work/h-nocap.out" \
	    env -i PATH=$kpath "$devmgr" -d --config "$empty" --etc "$etc" --rules "$empty" \
	    </dev/null >"$work/h-nocap.log" 2>"$work/h-nocap.err"
	out=$(cat "$work/h-nocap.out" 2>&1)
	is "h: without CAP_MKNOD (${dropcap[0]}) mknod is refused" "$(sed -n 1p <<<"$out")" \
	    "mknod=refused"
	rc=$(sed -n 's/^rc=//p' <<<"$out")
	check "h: ... and devmgr -d exits non-zero (${rc:-?})" nonzero "$rc"
	if grep -q CAP_MKNOD "$work/h-nocap.err"; then
		pass "h: ... stderr mentions CAP_MKNOD"
	else
		fail "h: ... stderr mentions CAP_MKNOD"
		diag <"$work/h-nocap.err"
	fi
	is "h: ... and leaves /dev empty" "$(sed -n 's/^dev=//p' <<<"$out")" ""
else
	for i in 1 2 3 4; do skip "h: neither capsh nor setpriv to drop CAP_MKNOD"; done
fi

[ "$n" = 99 ] || echo "# planned 99 tests but ran $n"
