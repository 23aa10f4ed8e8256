#!/bin/bash
# hostile-record.t: the daemon's record of the nodes it made
# (/run/devmgr/dev.nodes) is not taken on its word at restart.
#
#   prove -v tests/integration/hostile-record.t   (as root, from the repo
#                                                 root, after make && make tools)
#   DEVMGR=/path/to/devmgr prove ...              (default: ./devmgr)
#   KEEP=1 prove -v ...                           (keep the work directory)
#
# As in faults.t, each part holds private mount and network namespaces
# open with a sleeping process whose fresh tmpfs /dev and /run outlive the
# daemons started in them, so that a daemon can be killed and another
# started on the same /dev and record.  Devices are real loop devices
# numbered 300 and up (removed again on exit, also on failure).  Before
# any daemon runs, the test plays the container engine: it makes nodes of
# devices sysfs does not know (nvidia0 195:0, nvidiactl 195:255, as
# docker --device makes them) and the engine's links (fd -> /proc/self/fd,
# stdout, core, a link to nvidia0, a dangling pts/9 link).  The host's
# /dev and /run are not written.
#
#   a  a genuine record with lines appended (nodes and links devmgr never
#      made, absolute and '..' names): after a SIGKILL and a restart the
#      engine's nodes and links are all still there, the bad lines are
#      dropped and said; the normal reconcile still works (the node of a
#      device that went while no daemon ran is removed, the device still
#      there keeps its node and runs no command again)
#   b  records that are not trusted: the file a symlink, owned by another
#      uid, other-writable, with a hard link; the state directory
#      group-writable, a symlink, owned by another uid.  Each is refused
#      with a log line, nothing it names is unlinked (a node it lists,
#      made after the record, of a device that is not there; the engine's
#      nvidia0), and the device it lists that is there runs its command
#      again.  The same record, trusted, for comparison: that node goes.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, mknod, uevents, mount"
tap_skip_unless_built "$devmgr"

bail() { echo "Bail out! $*"; exit 1; }
[ -x "$tools/loopctl" ] || bail "$tools/loopctl not built (run make tools)"
unshare -m -n true 2>/dev/null || bail "cannot create mount and network namespaces"
[ -c /dev/loop-control ] || bail "no /dev/loop-control"
for d in char/195:0 char/195:255 char/250:1 char/250:2 char/250:3 char/136:9; do
	[ -e "/sys/dev/$d" ] && bail "/sys/dev/$d exists: the test needs numbers no device has"
done

tap_workdir hostile-record

echo "1..75"

tap_small_etc
. "$lib/daemon.sh"

i=$(loop_free 300)
{ loop_add "$i" 2>/dev/null && loop_del "$i"; } || bail "loop devices cannot be added here"

# Three loop numbers no device has: L0 stays, L1 goes while no daemon
# runs, L2 never exists (a node of it is planted).
L=()
i=299
for k in 1 2 3; do
	i=$(loop_free $((i + 1)))
	L+=("$i")
done
L0=${L[0]} L1=${L[1]} L2=${L[2]}
rules=$work/mdev.conf
cat >"$rules" <<RULES
^loop(${L0}|${L1}|${L2})\$ root:disk 0660 =fault/ *echo \$ACTION \$MDEV >>/run/cmds
RULES
conf=$work/devmgr.conf
: >"$conf"

# hold NAME: namespaces with a fresh tmpfs /dev and /run, kept by a
# sleeping process; sets INIT, DEV, RUN, REC (the record)
hold() {
	unshare -m -n -- /bin/bash -c 'mount -t tmpfs -o mode=0755 record-test /dev &&
	    mount -t tmpfs -o mode=0755 record-test /run && exec sleep infinity' \
	    </dev/null >"$work/$1.hold" 2>&1 &
	INIT=$!
	upids+=("$INIT")
	DEV=/proc/$INIT/root/dev RUN=/proc/$INIT/root/run
	REC=$RUN/devmgr/dev.nodes
	wait_for 5 held
}
held() { [ "$(readlink "/proc/$INIT/exe")" = "$(readlink -f /bin/sleep)" ]; }

# dstart NAME: devmgr -d -f -v -D 3 in the held namespaces, in the
# background; returns once it is ready.  Sets DPID, LOG, STATUS.
dstart() {
	local name=$1
	LOG=$work/$name.log STATUS=$work/$name.status READY=$work/$name.ready
	: >"$READY"
	rm -f "$STATUS"
	(
		nsenter -t "$INIT" -m -n -- env -i PATH=$kpath "$devmgr" -d -f -D 3 -v \
		    --config "$conf" --etc "$etc" --rules "$rules" 3>"$READY" \
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
dstop() {
	kill -"${1:-TERM}" "$DPID" 2>/dev/null
	wait_for 5 test -s "$STATUS"
}
dkill() { dstop KILL; }
lnode() { node "$DEV/fault/loop$1"; }
want() { echo "block special file 7:$1 660 0 6"; }
cmds() { grep -cx "add fault/loop$1" "$RUN/cmds" 2>/dev/null; }
lacks() { ! grep -qF -e "$1" "$LOG"; }

# The engine's nodes and links, made before devmgr ever runs: no sysfs
# entry has their numbers.  What is there already stays (part b puts back
# what an unfixed devmgr removed, so that each variant counts alone).
engine() {
	mk() { [ -e "$1" ] || [ -L "$1" ] || mknod -m 0666 "$@"; }
	ln_s() { [ -L "$2" ] || ln -s "$1" "$2"; }
	mk "$DEV/nvidia0" c 195 0 &&
	    mk "$DEV/nvidiactl" c 195 255 &&
	    ln_s /proc/self/fd "$DEV/fd" &&
	    ln_s /proc/self/fd/1 "$DEV/stdout" &&
	    ln_s /proc/kcore "$DEV/core" &&
	    ln_s nvidia0 "$DEV/gpu0" &&
	    ln_s pts/9 "$DEV/term9" &&
	    { [ -e "$RUN/victim" ] || mknod -m 0644 "$RUN/victim" b 7 "$L2"; } &&
	    ln_s fault/x "$RUN/victimlink"
}
# what engine made, as it is now
engine_state() {
	local f
	for f in nvidia0 nvidiactl; do echo "$f: $(node "$DEV/$f") $(ino "$DEV/$f")"; done
	for f in fd stdout core gpu0 term9; do echo "$f -> $(link "$DEV/$f")"; done
	echo "victim: $(node "$RUN/victim")"
	echo "victimlink -> $(link "$RUN/victimlink")"
}
engine_intact() {
	local now
	now=$(engine_state)
	[ "$now" = "$engine_was" ] && return 0
	diff <(echo "$engine_was") <(echo "$now") | diag
	return 1
}

# ---- a: lines appended to a genuine record ---------------------------------

hold a || bail "a: cannot hold namespaces"
engine || bail "a: cannot make the engine's nodes and links"
engine_was=$(engine_state)
sleep 0.05	# the engine's work is done well before devmgr starts
loop_add "$L0" || bail "cannot add loop$L0"
loop_add "$L1" || bail "cannot add loop$L1"
check "a: daemon started" dstart a1
check "a: ... the record kept" grep -q "^+	b	7	$L0	fault/loop$L0$" "$REC"
wait_for 5 test "$(cmds "$L0")" = 1
is "a: ... loop$L0's command ran" "$(cmds "$L0")" 1
inode0=$(ino "$DEV/fault/loop$L0")
check "a: SIGKILL" dkill
loop_del "$L1" || bail "cannot remove loop$L1"
cat >>"$REC" <<EOF
+	c	195	0	nvidia0	gpu0
+	c	195	255	nvidiactl
+	c	250	1	/proc/self/fd	fd
+	c	250	2	/proc/self/fd/1	stdout
+	c	250	3	/proc/kcore	core
+	c	136	9	pts/9	term9
+	b	7	$L2	../run/victim
+	b	7	$L2	fault/x	../run/victimlink
d	../run
EOF
check "a: restarted on the appended record" dstart a2
check "a: ... the engine's nodes and links all still there, the same" engine_intact
is "a: ... nvidia0 (char 195:0, no sysfs entry) kept" "$(node "$DEV/nvidia0")" \
    "character special file 195:0 666 0 0"
is "a: ... fd -> /proc/self/fd kept" "$(link "$DEV/fd")" /proc/self/fd
is "a: ... gpu0 -> nvidia0 kept" "$(link "$DEV/gpu0")" nvidia0
is "a: ... term9 -> pts/9 (dangling) kept" "$(link "$DEV/term9")" pts/9
check "a: ... nvidia0 said left alone, older than the record" \
    grep -q "nvidia0 left alone: older than devmgr's record" "$LOG"
check "a: ... term9 said left alone" grep -q "term9 left alone" "$LOG"
check "a: ... absolute node names dropped, said" \
    test "$(grep -c "node name refused (absolute path): line dropped" "$LOG")" = 3
check "a: ... a '..' node name dropped, said" \
    grep -q "node name refused ('..' component): line dropped" "$LOG"
check "a: ... a '..' link name dropped, said" \
    grep -q "link name refused ('..' component): line dropped" "$LOG"
check "a: ... a '..' directory dropped, said" \
    grep -q "directory name refused ('..' component): line dropped" "$LOG"
check "a: ... the bad lines named by line number" grep -q "dev.nodes, line [0-9]*: " "$LOG"
is "a: ... /run/victim ('..' node) kept" "$(node "$RUN/victim")" "block special file 7:$L2 644 0 0"
is "a: ... the record no longer names them" \
    "$(grep -c "nvidia\|/proc\|\.\./\|pts/9" "$REC")" 0
is "a: reconcile still works: loop$L1 (gone while no daemon ran) removed" "$(lnode "$L1")" absent
is "a: ... loop$L0 kept its node" "$(lnode "$L0")" "$(want "$L0")"
is "a: ... the same inode" "$(ino "$DEV/fault/loop$L0")" "$inode0"
sleep 0.3
is "a: ... and ran no command again" "$(cmds "$L0")" 1
check "a: SIGTERM: exit 0" dstop
is "a: ... status" "$(cat "$STATUS" 2>/dev/null)" 0
check "a: ... nothing of the engine's gone at exit" engine_intact

# ---- b: records that are not trusted ---------------------------------------

hold b || bail "b: cannot hold namespaces"
engine || bail "b: cannot make the engine's nodes and links"
engine_was=$(engine_state)
sleep 0.05
check "b: daemon started" dstart b0
wait_for 5 test "$(cmds "$L0")" = 1
check "b: SIGKILL" dkill
header=$(head -n 1 "$REC")
[ -n "$header" ] || bail "b: the daemon wrote no record"

# plant: the record to test, with the daemon's own header: the device
# that is there, a planted node of one that is not (made now, after the
# record began: a trusted record would have it removed), the engine's
# nvidia0; into FILE (default: the record)
plant() {
	local file=${1:-$REC}
	rm -f "$DEV/fault/loop$L2"
	mknod -m 0660 "$DEV/fault/loop$L2" b 7 "$L2" && chown 0:6 "$DEV/fault/loop$L2" ||
	    bail "b: cannot plant loop$L2"
	engine || bail "b: cannot put back the engine's nodes and links"
	engine_was=$(engine_state)
	printf '%s\n+\tb\t7\t%s\tfault/loop%s\n+\tb\t7\t%s\tfault/loop%s\n+\tc\t195\t0\tnvidia0\tgpu0\n' \
	    "$header" "$L0" "$L0" "$L2" "$L2" >"$file" || bail "b: cannot write $file"
}
# fresh: what the last variant left in /run goes
fresh() {
	rm -rf "$RUN/devmgr" "$RUN/elsewhere" "$RUN/state-real" "$RUN/hardlink"
	mkdir -m 0755 "$RUN/devmgr" || bail "b: cannot make $RUN/devmgr"
}
# refused NAME DESC MESSAGE: start on the planted record; it must be
# refused with MESSAGE, unlink nothing, and suppress no command
refused() {
	local name=$1 desc=$2 msg=$3 before
	before=$(cmds "$L0")
	check "b: $desc: started" dstart "$name"
	check "b: $desc: refused, said" grep -qF -e "$msg" "$LOG"
	is "b: $desc: the planted loop$L2 node not removed" "$(lnode "$L2")" "$(want "$L2")"
	check "b: $desc: the engine's nvidia0 and links untouched" engine_intact
	wait_for 5 test "$(cmds "$L0")" = $((before + 1))
	is "b: $desc: loop$L0's command not held back" "$(cmds "$L0")" $((before + 1))
	dstop
}

fresh
plant
check "b: a trusted record (for comparison): started" dstart b1
is "b: ... the planted loop$L2 node, made after the record began: removed" "$(lnode "$L2")" absent
check "b: ... the engine's nvidia0 and links untouched" engine_intact
sleep 0.3
is "b: ... loop$L0's command not run again" "$(cmds "$L0")" 1
dstop

fresh
mkdir -m 0755 "$RUN/elsewhere"
plant "$RUN/elsewhere/dev.nodes"
ln -s ../elsewhere/dev.nodes "$REC"
refused b2 "the record a symlink" "dev.nodes is not trusted: it is a symlink"
is "b: ... the symlink moved aside" "$(link "$REC.refused")" ../elsewhere/dev.nodes
check "b: ... a fresh record in its place" test -f "$REC" -a ! -L "$REC"

fresh
plant
chown 1234 "$REC"
refused b3 "the record owned by uid 1234" "dev.nodes is not trusted: it is owned by uid 1234"

fresh
plant
chmod 0666 "$REC"
refused b4 "the record mode 0666" "dev.nodes is not trusted: its mode 0666 lets"

fresh
plant
mkdir -m 0755 "$RUN/hardlink"
ln "$REC" "$RUN/hardlink/dev.nodes"
refused b5 "the record with a hard link" "dev.nodes is not trusted: it has 2 links"

fresh
plant
chmod 0775 "$RUN/devmgr"
refused b6 "the state directory group-writable" "/run/devmgr is not trusted: its mode 0775 lets"
is "b: ... the record there left as it was" "$(grep -c "loop$L2" "$REC")" 1

fresh
rmdir "$RUN/devmgr"
mkdir -m 0755 "$RUN/state-real"
ln -s state-real "$RUN/devmgr"
plant
refused b7 "the state directory a symlink" "/run/devmgr is not trusted: /run/devmgr is a symlink"
is "b: ... no record written through it" "$(grep -c "loop$L2" "$RUN/state-real/dev.nodes")" 1

fresh
plant
chown 1234 "$RUN/devmgr"
refused b8 "the state directory owned by uid 1234" "/run/devmgr is not trusted: it is owned by uid 1234"

fresh
check "b: a fresh state directory: started" dstart b9
check "b: ... a record kept, mode 0600, owned by root" test "$(stat -c '%a %u %h' "$REC")" = "600 0 1"
check "b: ... nothing said untrusted" lacks "not trusted"
dstop
is "b: ... status" "$(cat "$STATUS" 2>/dev/null)" 0
