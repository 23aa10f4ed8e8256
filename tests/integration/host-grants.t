#!/bin/bash
# host-grants.t: devmgr host gives a container exactly the devices it is
# granted, in its cgroup v1 device controller (issue 20, first part), run
# by runc with a user namespace. The container's runtime rules allow no
# loop device but one (loop R, "b 7:R rw", the runtime's own).
#
#   a  with "cgroup = no" in host.conf: loop N's node is there, but the
#      runtime's list has no entry for it and the container's open is
#      refused (EPERM); then host.conf without it, reloaded (SIGHUP)
#   b  loop N added on the host: its node in the container, "b 7:N rw"
#      in its devices.list, nothing wider (no b 7:*); the container reads
#      it
#   c  loop N removed: the entry is gone again, the list as it began
#   d  loop R, which the runtime allowed: nothing is added, and its
#      remove leaves the runtime's entry there
#   e  a storm: 40 add+remove pairs of two loop devices: the list ends
#      exactly as it began
#   f  detach with devices given: their entries go with it, the list is
#      the runtime's again
#   g  a device access tree: / gives b 7:* rw on, /lab narrows it to r:
#      the container gets exactly b 7:N r (reads, cannot write); /lab
#      widened within what / gives, reloaded: rw at once; b 7:* taken from
#      / while /lab declares it: the reload is refused, nothing changes;
#      recursive: /lab's grant is dropped, the node and entry go; / gives
#      c 1:3 on: g1's /dev/null, runc's bind of the host's node, is left
#      as it is (devmgr once chowned the host's /dev/null through it)
# Nothing of the host's /dev, /run or /etc is touched.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "runc, user namespaces, loop devices"
runc=$(command -v runc)
busybox=$(command -v busybox)
if [ -z "$runc" ] || [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - needs runc and a static busybox (make deps installs them)"
	exit 1
fi
cgv1=/sys/fs/cgroup/devices
if [ ! -w "$cgv1/devices.allow" ]; then
	echo "1..1"
	echo "not ok 1 - no cgroup v1 devices controller at $cgv1 (this test needs one)"
	exit 1
fi
tap_skip_unless_built "$tools/loopctl"
tap_workdir host-grants
. "$lib/daemon.sh"
echo "1..32"

chmod 755 "$work"
state=$work/runc-state
sock=$work/host.sock
rt() { "$runc" --root "$state" "$@"; }
HPID=
null_was=
grants_cleanup() {
	# (had devmgr changed the host's /dev/null through runc's bind of it,
	# the test failed: it is put back)
	if [ -n "$null_was" ] && [ "$(stat -c '%u:%g:%a' /dev/null)" != "$null_was" ]; then
		chown "${null_was%:*}" /dev/null && chmod "${null_was##*:}" /dev/null
	fi
	rt kill g1 KILL >/dev/null 2>&1
	rt delete -f g1 >/dev/null 2>&1
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	cleanup
}
trap grants_cleanup EXIT

: >"$work/stdin"	# (the container's standard input: not the host's /dev/null)
N=$(loop_free 260)
R=$(loop_free $((N + 1)))
S=$(loop_free $((R + 1)))

root=$work/g1/rootfs
mkdir -p "$root"/{bin,etc,dev,proc,sys,run,tmp}
cp "$busybox" "$root/bin/busybox"
for a in sh sleep dd; do ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'loop[0-9]+ root:root 0660\n' >"$root/etc/mdev.conf"
(cd "$work/g1" && rt spec) || { echo "Bail out! runc spec"; exit 1; }
python3 "$lib/ocispec.py" "$work/g1/config.json" --args '["/bin/sleep", "1000"]' --run-tmpfs \
    --allow "b 7 $R rw" --cgroups-path /devmgr-test-grants-g1 --userns 100000

conf() {
	printf '[host]\nsocket = %s\n%s\n[container g1]\ndevice = b 7:*\n' "$sock" "$1" \
		>"$work/host.conf"
}
conf "cgroup = no"
"$devmgr" host -v --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
HPID=$!
wait_for 5 test -s "$work/host.ready"
(cd "$work/g1" && rt run -d g1 <"$work/stdin" >"$work/g1.out" 2>&1) ||
	{ echo "Bail out! container g1 did not start: $(cat "$work/g1.out")"; exit 1; }
G1=$(rt state g1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
list=$cgv1/devmgr-test-grants-g1/devices.list
check "g1's device cgroup is $list" test -r "$list"
sorted() { sort "$list"; }
sorted >"$work/list.before"
dev=/proc/$G1/root/dev
opens() { rt exec g1 dd if="/dev/$1" of=/dev/null bs=512 count=1 >"$work/dd.out" 2>&1; }

# ---- a: cgroup = no --------------------------------------------------------------

"$devmgr" host attach --socket "$sock" g1 "$G1" >"$work/attach.out" 2>&1
loop_add "$N"
wait_for 5 test -b "$dev/loop$N"
opens "loop$N"
check "a: cgroup = no: loop$N's node is there, the container's open is refused (EPERM)" \
    eval "[ -b '$dev/loop$N' ] && grep -q 'Operation not permitted' '$work/dd.out'"
is "a: ... the list unchanged, no entry for b 7:$N" "$(sorted)" "$(cat "$work/list.before")"
loop_del "$N"
wait_for 5 eval "[ ! -e '$dev/loop$N' ]"
"$devmgr" host detach --socket "$sock" g1 >"$work/detach0.out" 2>&1
conf ""
kill -HUP "$HPID"
wait_for 5 grep -q "reloaded" "$work/host.log"
"$devmgr" host attach --socket "$sock" g1 "$G1" >"$work/attach.out" 2>&1
is "a: host.conf reloaded without it; attach g1 again" "$?" 0
# (the loop devices the host has already were given at attach)
sorted >"$work/list.attached"

# ---- b: added --------------------------------------------------------------------

loop_add "$N"
check "b: loop$N added on the host: its node in g1" wait_for 5 test -b "$dev/loop$N"
check "b: ... b 7:$N rw in g1's devices.list" wait_for 5 grep -qx "b 7:$N rw" "$list"
check "b: ... nothing wider (no b 7:*)" eval "! grep -q '^b 7:\\*' '$list'"
opens "loop$N"
is "b: ... the container opens it (dd's exit status)" "$?" 0
log_has_host() { grep -qF "$1" "$work/host.log"; }
check "b: ... the log says so" log_has_host "g1: b 7:$N rw allowed in its device cgroup"

# ---- c: removed --------------------------------------------------------------------

loop_del "$N"
check "c: loop$N removed: node gone" wait_for 5 eval "[ ! -e '$dev/loop$N' ]"
check "c: ... its entry gone from the list" wait_for 5 eval "! grep -q '^b 7:$N ' '$list'"
is "c: ... the list as it was after attach" "$(sorted)" "$(cat "$work/list.attached")"

# ---- d: the runtime's own device ----------------------------------------------------

loop_add "$R"
check "d: loop$R (the runtime allows b 7:$R rw): its node" wait_for 5 test -b "$dev/loop$R"
is "d: ... the list unchanged" "$(sorted)" "$(cat "$work/list.attached")"
loop_del "$R"
wait_for 5 eval "[ ! -e '$dev/loop$R' ]"
check "d: removed: the runtime's entry is still there" grep -qx "b 7:$R rw" "$list"

# ---- e: a storm ---------------------------------------------------------------------

for i in $(seq 40); do
	loop_add "$N" && loop_add "$S" && loop_del "$N" && loop_del "$S" ||
		{ fail "e: storm pair $i"; break; }
done
loop_add "$N"
wait_for 5 test -b "$dev/loop$N"
loop_del "$N"
check "e: 40 pairs of loop$N and loop$S, then one more: the last node gone" \
    wait_for 5 eval "[ ! -e '$dev/loop$N' ] && [ ! -e '$dev/loop$S' ]"
wait_for 5 eval "[ \"\$(sort '$list')\" = \"\$(cat '$work/list.attached')\" ]"
is "e: ... the list exactly as it was before" "$(sorted)" "$(cat "$work/list.attached")"

# ---- f: detach with a device given --------------------------------------------------

loop_add "$N"
wait_for 5 grep -qx "b 7:$N rw" "$list"
check "f: loop$N given again" grep -qx "b 7:$N rw" "$list"
"$devmgr" host detach --socket "$sock" g1 >"$work/detach.out" 2>&1
is "f: detach g1" "$?" 0
is "f: ... the list as before attach (loop$N still on the host)" "$(sorted)" "$(cat "$work/list.before")"
loop_del "$N"

# ---- g: a device access tree, changed while the container runs ----------------

conf_tree() {	# ROOT_LINE LAB_LINE
	printf '[host]\nsocket = %s\n[group /]\n%s\n[group /lab]\n%s\n[container g1]\ngroup = /lab\n' \
		"$sock" "$1" "$2" >"$work/host.conf"
}
null_was=$(stat -c '%u:%g:%a' /dev/null)
conf_tree "device = b 7:* rw inherit" "device = b 7:* r inherit"
"$devmgr" host devices --config "$work/host.conf" g1 >"$work/devices.out" 2>&1
is "g: devmgr host devices g1: / gives b 7:* rw on, /lab narrows it to r" \
    "$(sed -n 's/  */ /g; 2p' "$work/devices.out")" "block 7 all r - true true /lab:6"
nr=$(grep -c reloaded "$work/host.log")
kill -HUP "$HPID"
wait_for 5 eval "[ \$(grep -c reloaded '$work/host.log') -gt $nr ]"
"$devmgr" host attach --socket "$sock" g1 "$G1" >"$work/attach3.out" 2>&1
loop_add "$N"
wait_for 5 grep -q "^b 7:$N " "$list"
is "g: loop$N added: b 7:$N r only in g1's devices.list" "$(grep "^b 7:$N " "$list")" "b 7:$N r"
rt exec g1 dd if="/dev/loop$N" of=/dev/null bs=512 count=1 >/dev/null 2>&1
r=$?
rt exec g1 dd if=/dev/zero of="/dev/loop$N" bs=512 count=1 >"$work/ddw.out" 2>&1
is "g: ... the container reads it, its write is refused" "$r:$?:$(grep -c 'not permitted' "$work/ddw.out")" "0:1:1"
conf_tree "device = b 7:* rw inherit" "device = b 7:* rw inherit"
"$devmgr" host reload --socket "$sock" >"$work/reload1.out" 2>&1
is "g: /lab gives rw now; devmgr host reload" "$?" 0
is "g: ... at once: b 7:$N rw" "$(grep "^b 7:$N " "$list")" "b 7:$N rw"
conf_tree "device = c 1:3 rw inherit" "device = b 7:* rw inherit"
"$devmgr" host reload --socket "$sock" >"$work/reload2.out" 2>&1
is "g: b 7:* taken from / while /lab declares it: the reload is refused" \
    "$?:$(grep -c 'settings in force are kept' "$work/reload2.out")" "1:1"
check "g: ... the log names /lab's line" \
    grep -q "host.conf:6: \[group /lab\]: a child cannot widen what its parent gives: not provided by group /" "$work/host.log"
is "g: ... and g1 keeps loop$N" "$(grep "^b 7:$N " "$list"):$([ -b "$dev/loop$N" ] && echo node)" "b 7:$N rw:node"
"$devmgr" host reload --socket "$sock" --recursive >"$work/reload3.out" 2>&1
is "g: devmgr host reload --recursive" "$?" 0
# g1 now inherits c 1:3 from /: its /dev/null is runc's bind of the
# host's own node, which must not become the container's
wait_for 5 grep -q "dev/null is a mount of the engine's" "$work/host.log"
is "g: ... c 1:3 now given on: g1's /dev/null, the host's node bound by runc, is left as it was" \
    "$(stat -c '%u:%g:%a' /dev/null):$(grep -c "dev/null is a mount of the engine's" "$work/host.log")" \
    "$null_was:1"
check "g: ... /lab's grant dropped: loop$N's node goes from g1" wait_for 5 eval "[ ! -e '$dev/loop$N' ]"
check "g: ... and its entry from the devices cgroup" eval "! grep -q '^b 7:$N ' '$list'"
loop_del "$N"

kill "$HPID" && wait "$HPID"
HPID=
