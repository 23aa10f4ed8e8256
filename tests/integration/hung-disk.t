#!/bin/bash
# hung-disk.t: a disk that never answers costs the daemon one time limit.
# A real hung block device: a loop device on a file of a FUSE file system
# whose reads can be held (tests/tools/stallfs.c, tests/lib/stall.sh);
# a held read waits in the kernel, uninterruptibly, as on a dead disk.
# The daemon runs with [disks] timeout = 500 (ms):
#   a  reads answered: the ext4 label on it is found (by-label/SLOW)
#   b  reads held, a change event: the daemon's probe is given up after
#      the time limit, with a warning; an add of another device fired
#      right after it is handled (its node comes) while the probe's child
#      still waits in the kernel (state D), holding none of the daemon's
#      sockets
#   c  another change while that child waits: not probed again (one
#      warning), handled at once
#   d  reads answered again: the child ends and is reaped; the next
#      change finds the label again; no child of the daemon is left
#   e  held again, the daemon stopped: it exits though its probe cannot
#      be killed, and says so; the child ends when the disk goes

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, loop devices, FUSE"
tap_skip_unless_built "$devmgr"
for t in loopctl stallfs; do
	[ -x "$tools/$t" ] || { echo "Bail out! $tools/$t not built (make tools)"; exit 1; }
done
for t in losetup mkfs.ext4 blockdev; do
	command -v "$t" >/dev/null || { echo "Bail out! $t is missing (make deps)"; exit 1; }
done
[ -c /dev/fuse ] || { echo "Bail out! no /dev/fuse: the fuse module is needed"; exit 1; }
tap_workdir hung
tap_small_etc
. "$lib/daemon.sh"
. "$lib/stall.sh"

st=$work/stall
trap 'stall_stop "$st"; cleanup' EXIT

echo "1..16"

rules=$work/rules
printf 'loop[0-9]*\t0:6\t0660\n' >"$rules"
printf '[disks]\ntimeout = 500\n' >"$work/h.conf"
stall_start "$st" 64 >/dev/null || { echo "Bail out! stallfs did not start"; exit 1; }
mkfs.ext4 -q -F -L SLOW "$st/backing"
daemon_start h "$rules" --config "$work/h.conf" || { fail "daemon started"; exit 1; }

# the daemon's children (its probes; it runs no command here)
kids() { ps -o pid=,stat= --ppid "$DPID" 2>/dev/null | awk '{ print $2 }' | tr '\n' ' '; }
warned() { log_count "did not answer the filesystem probe within 500 ms"; }

# ---- a: reads answered
S=$(stall_losetup "$st") || { echo "Bail out! no loop device on stallfs"; exit 1; }
S=${S#/dev/}
wait_for 5 test -L "$DEV/disk/by-label/SLOW"
is "a: by-label/SLOW -> the node (read through FUSE)" \
    "$(readlink "$DEV/disk/by-label/SLOW" 2>&1)" "../../$S"

# ---- b: held
stall_hold "$st"
N=$(loop_free 590)
t0=$(date +%s%N)
echo change >"/sys/block/$S/uevent"
loop_add "$N"
wait_for 5 test -b "$DEV/loop$N"
t1=$(date +%s%N)
check "b: loop$N, added right after the hung disk's change, has its node" test -b "$DEV/loop$N"
echo "# the add after the hung disk's change was handled $(( (t1 - t0) / 1000000 )) ms after the change was fired" 
wait_for 5 test "$(warned)" = 1
is "b: one warning, naming the device and the time limit" "$(warned)" 1
log_has "b: ... and what it means" "no ID_FS_* or disk/by-* names for it"
is "b: the probe's child waits in the kernel (D), killed but not dead" "$(kids)" "D "
kid=$(ps -o pid= --ppid "$DPID" | tr -d ' ')
is "b: ... holding none of the daemon's sockets (the uevent socket's buffer)" \
    "$(ls -l "/proc/$kid/fd" 2>/dev/null | grep -c 'socket:')" 0
is "b: meanwhile the disk has no by-label name" "$(readlink "$DEV/disk/by-label/SLOW" || echo absent)" absent

# ---- c: another change while it waits
M=$(loop_free $((N + 1)))
echo change >"/sys/block/$S/uevent"
loop_add "$M"
wait_for 5 test -b "$DEV/loop$M"
sentinel
check "c: another change, then an add: handled (loop$M's node)" test -b "$DEV/loop$M"
is "c: ... the disk was not probed again: still one warning" "$(warned)" 1

# ---- d: answered again
stall_release "$st"
wait_for 5 test -z "$(kids)"
is "d: released: the child ends, and is reaped at once" "$(kids)" ""
echo change >"/sys/block/$S/uevent"
wait_for 5 test -L "$DEV/disk/by-label/SLOW"
is "d: released: the next change finds the label again" \
    "$(readlink "$DEV/disk/by-label/SLOW" 2>&1)" "../../$S"
is "d: no child of the daemon is left" "$(kids)" ""

# ---- e: held again, the daemon stopped
stall_hold "$st"
echo change >"/sys/block/$S/uevent"
wait_for 5 test "$(warned)" = 2
is "e: held again: a second warning (its child was reaped)" "$(warned)" 2
kid=$(ps -o pid= --ppid "$DPID" | tr -d ' ')
# Not daemon_stop: the namespace cannot end (its init waits in the
# kernel for every process in it) before the child does.
kill -TERM "$DPID"
wait_for 5 test -s "$STATUS"
is "e: the daemon stopped, exit 0, though its probe could not be killed" "$(cat "$STATUS" 2>&1)" 0
log_has "e: ... saying so" "still waits for the device in the kernel"
stall_stop "$st"
wait_for 5 eval '[ -z "$kid" ] || ! kill -0 "$kid" 2>/dev/null'
wait "$UPID" 2>/dev/null
check "e: the disk gone (its FUSE server killed): the probe's child ended" \
    eval '[ -n "$kid" ] && ! kill -0 "$kid" 2>/dev/null'
