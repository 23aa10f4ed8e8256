#!/bin/bash
# cgroup2.t: the cgroup v2 device-program fixture (tests/lib/cgroup2.sh)
# against the real kernel.
#
#   make tools && prove -v tests/integration/cgroup2.t   (as root, from the repo root)
#
# The test re-runs itself in new mount and pid namespaces (unshare -m -p
# -f --mount-proc).  In there: a tmpfs scratch directory with the nodes
# null (c 1:3), zero (c 1:5), full (c 1:7) and loop0 (b 7:0, a node only:
# it is never opened, so no loop device is touched); cgroup2 and a private
# bpffs mounted by cg2_mount; a cgroup allowing
#   c 1:3 rw, c 1:5 rw, b 7:* rw, a *:* m
# and a child shell moved into it.  The child's view (devaccess:
# faccessat(R_OK|W_OK, AT_EACCESS), and -o: open O_RDWR) is then checked
# while the program is replaced twice under it, as `docker update
# --device` does: the last program wins, programs are not stacked.  Also
# checked: mknod needs the m access; the cgroup v1 devices.list of the
# same process still says "a *:* rwm" (v1 knows nothing of the program).
# Back outside, once that namespace is gone: no cgroup of the fixture is
# left in the cgroup2 hierarchy (seen through a fresh cgroup2 mount), no
# program it loaded is still loaded, no mount or pin is left.
#
# A missing clang or bpftool is a failure, not a skip.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "mount and pid namespaces, cgroup2, BPF programs"

# ---------------------------------------------------------------- inside
if [ -n "${CG2_T_INNER:-}" ]; then
	work=$CG2_T_INNER
	n=$(cat "$work/n")
	. "$lib/cgroup2.sh"
	trap 'cg2_cleanup; echo "$n" >"$work/n"' EXIT
	trap 'exit 130' INT TERM HUP

	gone() { ! bpftool prog show id "$1" >/dev/null 2>&1; }
	# fresh_cgroups: the top-level cgroups, seen through a new cgroup2
	# mount in a new mount namespace
	mkdir "$work/fresh-inner"
	fresh_cgroups() {
		unshare -m -- sh -c 'mount -t cgroup2 none "$1" && find "$1" -mindepth 1 -maxdepth 1 -type d -printf "%f/\n"' sh "$work/fresh-inner"
	}

	check "clang is installed" eval 'command -v clang >/dev/null'
	check "bpftool is installed" eval 'command -v bpftool >/dev/null'

	scratch=$work/scratch
	mkdir "$scratch" && mount -t tmpfs -o mode=0755 devmgr-test-cg2 "$scratch" &&
	    mknod -m 0666 "$scratch/null" c 1 3 && mknod -m 0666 "$scratch/zero" c 1 5 &&
	    mknod -m 0666 "$scratch/full" c 1 7 && mknod -m 0660 "$scratch/loop0" b 7 0
	check "scratch tmpfs with null, zero, full and loop0" test -b "$scratch/loop0"

	if ! cg2_mount "$work/cgroup2" "$work/bpf" "$work" 2>"$work/err"; then
		fail "cg2_mount"
		diag <"$work/err"
		echo "Bail out! cannot mount cgroup2 and bpffs"
		exit 1
	fi
	pass "cg2_mount: cgroup2 and a private bpffs"
	cg=$(cg2_make dev)
	check "cg2_make: a new cgroup" test -e "$cg/cgroup.procs"
	check "... named devmgr-test-cg2-dev.XXXXXX ($cg)" eval '[[ ${cg##*/} =~ ^devmgr-test-cg2-dev\.[A-Za-z0-9]{6}$ ]]'

	# allow RULE...: cg2_allow, its stderr into the TAP comments; sets ID
	# to the attached program and adds it to $work/ids
	allow() {
		local t0=$EPOCHREALTIME rc
		cg2_allow "$cg" "$@" 2>"$work/err"
		rc=$?
		took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
		[ -s "$work/err" ] && diag <"$work/err"
		ID=$(cg2_prog_ids "$cg" | tr '\n' ' ')
		ID=${ID% }
		echo "$ID" >>"$work/ids"
		return "$rc"
	}
	check "cg2_allow c 1:3 rw, c 1:5 rw, b 7:* rw, a *:* m" \
	    allow 'c 1:3 rw' 'c 1:5 rw' 'b 7:* rw' 'a *:* m'
	echo "cg2_allow (generate, compile, load, attach) took $took ms" | diag
	first=$ID
	check "... one program attached to the cgroup (id $first)" test -n "$first" -a "$first" = "${first%% *}"

	# the child shell, in the cgroup: it reads command lines, and after
	# each one says "__done__ STATUS"
	coproc CH { cd "$scratch" && exec bash --norc --noprofile 2>&1; }
	cpid=$CH_PID
	in_child() {
		local line
		printf '%s; echo "__done__ $?"\n' "$1" >&"${CH[1]}"
		while IFS= read -r -t 10 line <&"${CH[0]}"; do
			case $line in
			"__done__ "*) return "${line#__done__ }" ;;
			esac
			printf '%s\n' "$line"
		done
		echo "(no answer from the child shell)"
		return 124
	}
	if cg2_enter "$cg" "$cpid" 2>"$work/err"; then pass "cg2_enter: the child shell"; else
		fail "cg2_enter: the child shell"; diag <"$work/err"; fi
	is "... its children are in the cgroup too" "$(in_child 'sed -n "s/^0:://p" /proc/self/cgroup')" "/${cg##*/}"

	da="$tools/devaccess"
	t0=$EPOCHREALTIME
	out=$(in_child "$da null zero full loop0")
	took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
	is "in the cgroup: null, zero, loop0 allowed, full EPERM (faccessat)" "$out" \
	    "null ok
zero ok
full EPERM
loop0 ok"
	echo "one probe (devaccess of 4 nodes, forked by the child shell) took $took ms" | diag
	is "... the same with open O_RDWR" "$(in_child "$da -o null zero full")" \
	    "null ok
zero ok
full EPERM"
	is "... writing to full: EPERM" "$(in_child '(echo x >full) 2>&1 | sed "s/.*: //"')" \
	    "Operation not permitted"
	is "outside the cgroup, full is allowed" "$(cd "$scratch" && "$da" full)" "full ok"
	check "mknod c 1:3 in the cgroup (a *:* m)" in_child 'mknod made-null c 1 3'
	check "mknod c 1:7 in the cgroup: m is enough" in_child 'mknod made-full c 1 7'
	check "... whose node is then EPERM" test "$(in_child "$da made-full")" = "made-full EPERM"

	# cgroup v1: the same process, in the v1 devices hierarchy
	v1=$(awk '{ split($0, a, " - "); split(a[2], f, " ") }
	    f[1] == "cgroup" && f[3] ~ /(^|,)devices(,|$)/ { print $5; exit }' /proc/self/mountinfo)
	if [ -z "$v1" ]; then
		skip "no cgroup v1 devices hierarchy is mounted here: v1 not compared"
	else
		v1cg=$(awk -F: '$2 ~ /(^|,)devices(,|$)/ { print $3 }' "/proc/$cpid/cgroup")
		is "cgroup v1 devices.list of the child still says a *:* rwm" \
		    "$(cat "$v1${v1cg%/}/devices.list")" "a *:* rwm"
	fi

	# replace: full allowed, zero no longer; same child shell
	check "cg2_allow again: c 1:3 rw, c 1:7 rw, b 7:* rw, a *:* m" \
	    allow 'c 1:3 rw' 'c 1:7 rw' 'b 7:* rw' 'a *:* m'
	second=$ID
	check "... exactly one program attached, a new one (id $first -> $second)" \
	    test -n "$second" -a "$second" = "${second%% *}" -a "$second" != "$first"
	check "... the first program is gone (detached and unpinned)" \
	    wait_for 2 gone "$first"
	is "the running child now sees full ok, zero EPERM (replaced, not stacked)" \
	    "$(in_child "$da null zero full loop0")" \
	    "null ok
zero EPERM
full ok
loop0 ok"
	is "... and open O_RDWR agrees" "$(in_child "$da -o null zero full")" \
	    "null ok
zero EPERM
full ok"

	# a wildcard minor, and no m: mknod refused
	check "cg2_allow a third time: c 1:* rw only" allow 'c 1:* rw'
	is "... null, zero, full ok; loop0 EPERM" "$(in_child "$da null zero full loop0")" \
	    "null ok
zero ok
full ok
loop0 EPERM"
	out=$(in_child 'mknod made-zero c 1 5')
	is "... mknod without m: EPERM" "$?:$out" "1:mknod: made-zero: Operation not permitted"

	# a bad rule: refused loudly, the program in place stays
	third=$ID
	cg2_allow "$cg" 'c 1:3 rw' 'x 1:5 rw' 2>"$work/err"
	is "cg2_allow with a bad rule fails" "$?:$(grep -c "bad rule 'x 1:5 rw'" "$work/err")" "1:1"
	is "... and leaves the program attached before" "$(cg2_prog_ids "$cg" | tr '\n' ' ')" "$third "
	cg2_allow "$work" 'c 1:3 rw' 2>"$work/err"
	is "cg2_allow on a directory that is no cgroup of ours fails" \
	    "$?:$(grep -c 'not a cgroup made by cg2_make' "$work/err")" "1:1"

	# clean up while the child is still in there: it is moved out
	check "cg2_cleanup (the child shell still in the cgroup)" cg2_cleanup
	is "... the cgroup is gone (a fresh cgroup2 mount)" "$(fresh_cgroups | grep -c "^${cg##*/}/")" 0
	is "... the child shell was moved back to our cgroup" \
	    "$(sed -n 's/^0:://p' "/proc/$cpid/cgroup")" "$(sed -n 's/^0:://p' /proc/self/cgroup)"
	is "... now full and zero are both allowed for it" "$(in_child "$da zero full")" \
	    "zero ok
full ok"
	is "... cgroup2 and bpffs unmounted" \
	    "$(awk -v w="$work" '$5 == w "/cgroup2" || $5 == w "/bpf"' /proc/self/mountinfo)" ""
	check "cg2_cleanup a second time does nothing and succeeds" cg2_cleanup
	kill -KILL "$cpid"
	wait "$cpid" 2>/dev/null
	exit 0
fi

# --------------------------------------------------------------- outside
tap_skip_unless_built "$tools/devaccess"
tap_workdir cgroup2
echo "1..44"

# the guard: in this (the host's) mount namespace cg2_mount refuses
(
	. "$lib/cgroup2.sh"
	CG2_OUTER_MNTNS=$(readlink /proc/self/ns/mnt)
	cg2_mount "$work/refused" "$work/refused-bpf" "$work" 2>"$work/err"
	rc=$?
	cg2_cleanup
	exit $rc
)
is "cg2_mount refuses to mount in the host's mount namespace" "$?:$(grep -c 'mount namespace' "$work/err")" "1:1"
check "... and mounted nothing" eval "! grep -q ' $work/refused' /proc/mounts"

echo "$n" >"$work/n"
: >"$work/ids"
CG2_T_INNER=$work CG2_OUTER_MNTNS=$(readlink /proc/self/ns/mnt) \
    unshare -m -p -f --mount-proc -- bash "$0"
rc=$?
n=$(cat "$work/n")
is "the namespace part exited 0" "$rc" 0

# after the namespace: nothing of ours anywhere
mkdir "$work/fresh"
left=$(unshare -m -- sh -c 'mount -t cgroup2 none "$1" && find "$1" -mindepth 1 -type d' sh "$work/fresh" 2>&1)
is "a fresh cgroup2 mount: no devmgr-test-cg2-* cgroup left" "$(grep "/devmgr-test-cg2-" <<<"$left")" ""
others=$(grep "/devmgr-test-" <<<"$left" | grep -v "/devmgr-test-cg2-")
[ -n "$others" ] && { echo "other devmgr-test-* cgroups (not this fixture's):"; echo "$others"; } | diag
ids=$(tr ' ' '\n' <"$work/ids" | grep . | sort -u)
is "the test loaded three programs" "$(echo "$ids" | grep -c .)" 3
still=
for id in $ids; do
	bpftool prog show id "$id" >/dev/null 2>&1 && still+=" $id"
done
is "bpftool prog show: none of them is loaded" "$still" ""
is "... and no program named devmgr_cg2_dev at all" "$(bpftool prog show 2>&1 | grep -c 'name devmgr_cg2_dev')" 0
is "no mount left under the work directory" "$(grep -c " $work/" /proc/mounts)" 0
is "no pin on the host's /sys/fs/bpf" "$(ls /sys/fs/bpf 2>/dev/null | grep -c devmgr)" 0
