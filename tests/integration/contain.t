#!/bin/bash
# contain.t: tests/lib/contain.sh, which runs the suite, fails a run that
# leaves a process running (even one that left its parent for init) or a
# loop device on the host, names them, and kills the process; a clean
# run passes with the command's own status.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "cgroups, loop devices"
[ -x "$tools/loopctl" ] || { echo "Bail out! $tools/loopctl not built (make tools)"; exit 1; }
tap_workdir contain
. "$lib/daemon.sh"
echo "1..9"

# contained CMD...: contain.sh CMD, its output in $work/out and kept in
# $work/all, shown if a cgroup is left at the end
contained() {
	"$lib/contain.sh" "$@" >"$work/out" 2>&1
	local rc=$?
	{ echo "== contain.sh $* (exit $rc)"; cat "$work/out"; } >>"$work/all"
	return $rc
}

contained true
is "a clean run passes" "$?:$(cat "$work/out")" "0:"
contained sh -c 'exit 3'
is "... with the command's own status" $? 3

# a process that outlives its parent, reparented to init, with a marker
# in its command line
tag=contain-t-$$
contained sh -c "(setsid bash -c 'exec -a $tag sleep 300' &) ; exit 0"
is "a run that leaves a process fails" $? 1
# (under load it may be read before bash has exec'd sleep: the tag is in
# both command lines)
check "... naming it with its command line" grep -q "pid [0-9]*: .*$tag" "$work/out"
check "... and the process is gone" wait_for 5 eval "! pgrep -f '^$tag' >/dev/null"

L=$(loop_free 390)
contained "$tools/loopctl" add "$L"
is "a run that leaves a loop device fails" $? 1
check "... naming it" grep -q "block device: loop$L" "$work/out"
loops+=("$L")
loop_del "$L"

contained true
is "... and once it is gone, a run passes again" $? 0
# the suite's own run may be in one (make check runs prove in contain.sh)
own=$(sed -n 's/^[0-9]*:pids:\///p; s/^0::\///p' /proc/self/cgroup | head -1)
left=$(find /sys/fs/cgroup -maxdepth 2 -name 'devmgr-tests.*' ! -name "${own:-none}")
is "no cgroup of these runs is left" "$left" ""
[ -z "$left" ] || diag <"$work/all"
