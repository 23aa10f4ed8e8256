#!/bin/bash
# settle.t: "devmgr settle" returns once the daemon has handled every
# uevent the kernel sent before the call, commands included, as scripts
# use "udevadm settle". Real loop devices, the daemon in its own
# namespaces (tests/lib/daemon.sh), settle run in there as another
# process:
#   a  a loop device added, then settle at once: when it returns 0, the
#      node is there and the rule's command (sleep 1, then a mark) is done
#   b  nothing in hand: settle returns 0; as nobody (uid 65534) too
#   c  a command of 5 s: settle --timeout 1 exits 1 and says it timed
#      out, before the command is done
#   d  no daemon: settle returns 0 and waits for nothing; the daemon
#      stopped, its control socket is gone

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, mknod, uevents"
tap_skip_unless_built "$devmgr"
[ -x "$tools/loopctl" ] || { echo "Bail out! $tools/loopctl not built (make tools)"; exit 1; }
tap_workdir settle
tap_small_etc
. "$lib/daemon.sh"
echo "1..11"

L=$(loop_free 540)
M=$(loop_free $((L + 1)))
rules=$work/rules
printf 'loop%s\t0:0\t0660\t@sleep 1; touch /run/done-$MDEV\n' "$L" >"$rules"
printf 'loop%s\t0:0\t0660\t@sleep 5; touch /run/done-$MDEV\n' "$M" >>"$rules"
# the state (record, control socket) outside the namespace, to be seen
# after the daemon has gone
printf '[paths]\nstate = %s/state\n' "$work" >"$work/a.conf"
chmod 0711 "$work"	# as /run is: nobody may pass to the socket
daemon_start a "$rules" --config "$work/a.conf" || { fail "daemon a started"; exit 1; }
S="--state $work/state"

# ---- a: an add, then settle at once
loop_add "$L"
out=$(ns_exec "$devmgr" settle $S --timeout 20 2>&1)
rc=$?
# what was there when settle returned
there=$(ns_exec sh -c "test -b /dev/loop$L && echo node; test -e /run/done-loop$L && echo done" | tr '\n' ' ')
is "a: settle right after loop$L's add: exit 0" "$rc:$out" "0:"
is "a: ... and then the node is there and its command has run" "$there" "node done "

# ---- b: nothing in hand
is "b: settle with nothing in hand: exit 0" "$(ns_exec "$devmgr" settle $S 2>&1; echo "rc=$?")" "rc=0"
is "b: ... as nobody (uid 65534) too" \
    "$(ns_exec setpriv --reuid 65534 --regid 65534 --clear-groups "$devmgr" settle $S 2>&1; echo "rc=$?")" "rc=0"
check "b: the control socket is there, for anyone" \
    test "$(stat -c '%F %a' "$work/state/control" 2>&1)" = "socket 666"

# ---- c: a command that takes longer than the caller waits
loop_add "$M"
out=$(ns_exec "$devmgr" settle $S --timeout 1 2>&1)
rc=$?
is "c: a 5 s command, settle --timeout 1: exit 1" "$rc" 1
is "c: ... saying it timed out" "$out" \
    "devmgr: settle: timed out after 1 s: the daemon still handles events or runs their commands"
check "c: ... while the command is not done yet" test ! -e "$RUN/done-loop$M"
is "c: settle without a time limit then waits for it: exit 0" \
    "$(ns_exec "$devmgr" settle $S --timeout 0 2>&1; echo "rc=$?")" "rc=0"

# ---- d: no daemon
daemon_stop
check "d: the daemon stopped: its control socket is gone (its record stays)" \
    eval 'absent "$work/state/control" && test -d "$work/state"' 
is "d: settle where no daemon listens: exit 0, nothing to wait for" \
    "$("$devmgr" settle --state "$work/nowhere" 2>&1; echo "rc=$?")" "rc=0"
loop_del "$M"
loop_del "$L"
