#!/bin/bash
# hostile-limits.t: two more of the review's suspicions, reproduced (both
# failed before the fixes):
#   a  a directory devmgr has open (cached) renamed out of the dev root
#      while the daemon runs: the next node for it is made inside the dev
#      root, never where the directory went (the dev root is a plain
#      directory here; a mount point cannot lose a directory by rename)
#   b  a device that keeps sending events while its command runs: the
#      events waiting behind it are bounded; the ones dropped are said,
#      and the last one is still handled, so /dev ends as the device is

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, mknod, uevents"
tap_skip_unless_built "$devmgr"
[ -x "$tools/loopctl" ] || { echo "Bail out! $tools/loopctl not built (make tools)"; exit 1; }
tap_workdir hostile-limits
tap_small_etc
. "$lib/daemon.sh"
echo "1..8"

# ---- a: a cached directory renamed out of the dev root ----------------------

rules=$work/rules
printf 'loop([0-9]+)\t0:0\t0600\t=sub/lp%%1\n' >"$rules"
# the dev root: a directory in the namespace's /dev tmpfs, not a mount
READY=$work/a.ready
: >"$READY"
ns_launch a sh -c 'mkdir /dev/devroot && exec "$@"' sh env -i PATH=$kpath "$devmgr" -d -f -D 3 \
    -v --config "$empty" --etc "$etc" --rules "$rules" --dev /dev/devroot 3>"$READY"
check "a: daemon started on a dev root that is no mount point" \
    wait_for 10 eval 'ns_found && test -s "$READY"'
DEV=/proc/$INIT/root/dev
L=$(loop_free 520)
loop_add "$L"
check "a: loop$L: sub/lp$L made (sub/ is now open in the daemon)" \
    wait_for 5 test -b "$DEV/devroot/sub/lp$L"
mv "$DEV/devroot/sub" "$DEV/outside"
M=$(loop_free $((L + 1)))
loop_add "$M"
check "a: sub/ renamed out of the dev root, loop$M: its node is under the dev root" \
    wait_for 5 test -b "$DEV/devroot/sub/lp$M"
check "a: ... and nothing was made where sub/ went" absent "$DEV/outside/lp$M"
daemon_stop
loop_del "$M"
loop_del "$L"

# ---- b: events piling up behind a slow command -------------------------------

printf 'urandom\t0:0\t0666\t@sleep 4\n' >"$rules"
check "b: daemon started" daemon_start b "$rules"
uevent urandom add			# its command: 4 s
for i in $(seq 6000); do echo change; done >/sys/class/mem/urandom/uevent 2>/dev/null ||
    for i in $(seq 6000); do uevent urandom change; done
uevent urandom remove			# the last event: the node goes
check "b: the events waiting were bounded: the log says how many were dropped" \
    wait_for 10 grep -q 'events of /devices/virtual/mem/urandom dropped' "$LOG"
check "b: the last event (remove) was handled: no urandom node" \
    wait_for 10 absent "$DEV/urandom"
uevent urandom add
check "b: the daemon goes on: add brings the node back" wait_for 10 test -c "$DEV/urandom"
daemon_stop
