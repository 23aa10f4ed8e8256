#!/bin/bash
# probe.t: with no [policy] allow, devmgr asks the kernel per device
# whether the container may use it, on cgroup v2 (a real device program,
# tests/lib/cgroup2.sh) and on cgroup v1 (a devices cgroup of our own).
#
# In new mount, network and pid namespaces, devmgr runs inside a cgroup
# whose device program allows null (c 1:3), zero (c 1:5) and every loop
# device (b 7:*), and mknod of anything; it manages a tmpfs dev root
# from the real /sys with rules that give every device a node:
#   a  devmgr -s: nodes for exactly the allowed devices; -v says why
#      full (c 1:7) is left alone; no probe node stays behind
#   b  devmgr test: a refused device names the device cgroup and the
#      engine settings to change; an allowed one says it may be used
#   c  devmgr -d: full's add event (echo add > uevent) gives no node;
#      the program replaced to allow full (as docker update does), its
#      next add does; random allowed too, SIGHUP alone gives its node;
#      zero refused then, SIGHUP takes its node away
#   d  [policy] probe = no: the old behaviour, a node for every device
#   e  cgroup v1: a devices cgroup allowing the same, devmgr -s inside
#      and devmgr -d there: full allowed later (devices.allow written),
#      its next add makes the node
#   f  the other layers "devmgr test" names: CAP_MKNOD dropped from the
#      bounding set (setpriv), a user namespace (unshare -U -r), a nodev
#      dev root
# A missing clang or bpftool is a failure, not a skip.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, cgroups, BPF programs"

# ---------------------------------------------------------------- inside
if [ -n "${PROBE_T_INNER:-}" ]; then
	work=$PROBE_T_INNER
	n=$(cat "$work/n")
	. "$lib/cgroup2.sh"
	v1cg=
	cleanup_inner() {
		pkill -KILL -f "^$devmgr " 2>/dev/null
		cg2_cleanup
		if [ -n "$v1cg" ] && [ -d "$v1cg" ]; then
			for p in $(cat "$v1cg/cgroup.procs"); do echo "$p" >"$v1root/cgroup.procs"; done
			rmdir "$v1cg"
		fi
		echo "$n" >"$work/n"
	}
	trap cleanup_inner EXIT

	check "clang is installed" eval 'command -v clang >/dev/null'
	check "bpftool is installed" eval 'command -v bpftool >/dev/null'
	dev=$work/dev
	mkdir -p "$dev" "$work/run" "$work/state"
	mount -t tmpfs -o mode=0755 devmgr-probe "$dev" && mount -t tmpfs devmgr-probe "$work/run"
	printf '.* root:root 0666\n' >"$work/rules"
	cat >"$work/conf" <<-EOF
	[paths]
	dev = $dev
	run = $work/run/udev
	state = $work/state
	rules = $work/rules
	etc = $work/etc
	[modules]
	load = no
	EOF
	if ! cg2_mount "$work/cgroup2" "$work/bpf" "$work" 2>"$work/err"; then
		fail "cg2_mount"; diag <"$work/err"; echo "Bail out! cannot mount cgroup2"; exit 1
	fi
	cg=$(cg2_make probe)
	check "a device program allowing c 1:3, c 1:5, b 7:*, mknod of all" \
	    cg2_allow "$cg" 'c 1:3 rw' 'c 1:5 rw' 'b 7:* rw' 'a *:* m'

	# numbers: "TYPE MAJ:MIN" of every node under the dev root
	numbers() {
		find "$dev" \( -type c -o -type b \) -exec stat -c '%F %Hr:%Lr' {} + |
		    sed 's/^character special file/c/; s/^block special file/b/' | sort -u
	}
	allowed() { grep -Evx 'c 1:3|c 1:5|b 7:[0-9]+' ; }

	# ---- a: devmgr -s in the cgroup
	cg2_run "$cg" "$devmgr" -s -v --config "$work/conf" 2>"$work/a.log"
	is "a: devmgr -s exit status" "$?" 0
	check "a: null made (c 1:3)" test -c "$dev/null"
	check "a: zero made (c 1:5)" test -c "$dev/zero"
	check "a: loop0 made (b 7:0)" test -b "$dev/loop0"
	check "a: no full (c 1:7)" test ! -e "$dev/full"
	check "a: no random (c 1:8)" test ! -e "$dev/random"
	check "a: no tty (c 5:0)" test ! -e "$dev/tty"
	is "a: every node is of an allowed device" "$(numbers | allowed)" ""
	loops=$(ls -d /sys/class/block/loop* 2>/dev/null | grep -c 'loop[0-9]*$')
	is "a: a node for each of the host's $loops loop devices" "$(ls "$dev" | grep -c '^loop[0-9]*$')" "$loops"
	check "a: -v says why full is left alone" \
	    grep -q "char 1:7 (full): left alone; the device cgroup refuses it (the kernel said EPERM to read and write); to allow it: docker/podman run --device-cgroup-rule 'c 1:7 rwm'" "$work/a.log"
	check "a: the start says how the policy is decided" \
	    grep -q "device policy: the kernel is asked per device" "$work/a.log"
	is "a: no probe node left behind" "$(ls -a "$dev" | grep -c devmgr-probe)" 0

	# ---- b: devmgr test
	out=$(cg2_run "$cg" "$devmgr" test --config "$work/conf" /sys/class/mem/full 2>&1)
	check "b: test full: refused by the device cgroup" \
	    grep -q "refused  the device cgroup refuses it (the kernel said EPERM to read and write)" <<<"$out"
	check "b: ... with the engine settings to change" \
	    grep -q "lxc.cgroup2.devices.allow = c 1:7 rwm" <<<"$out"
	out=$(cg2_run "$cg" "$devmgr" test --config "$work/conf" /sys/class/mem/null 2>&1)
	check "b: test null: the cgroup lets it be read and written" \
	    grep -q "use      the device cgroup lets this container read and write it" <<<"$out"
	out=$("$devmgr" test --config "$work/conf" /sys/class/mem/full 2>&1)
	check "b: outside the cgroup full may be used" \
	    grep -q "use      the device cgroup lets this container read and write it" <<<"$out"

	# ---- c: devmgr -d, and the program replaced
	rm -rf "${dev:?}"/* "$work/run/udev" "$work/state"/*
	cg2_run "$cg" "$devmgr" -d -v --config "$work/conf" 2>"$work/c.log"
	is "c: devmgr -d ready" "$?" 0
	pid=$(pgrep -n -f "^$devmgr -d")
	check "c: the daemon is in the cgroup" grep -qx "0::/${cg##*/}" "/proc/$pid/cgroup"
	check "c: no full at start" test ! -e "$dev/full"
	echo add >/sys/class/mem/full/uevent
	echo add >/sys/class/mem/zero/uevent
	wait_for 5 test -c "$dev/zero"
	sleep 0.3
	check "c: full's add while refused: still no node" test ! -e "$dev/full"
	check "c: program replaced to allow full too" \
	    cg2_allow "$cg" 'c 1:3 rw' 'c 1:5 rw' 'c 1:7 rw' 'b 7:* rw' 'a *:* m'
	echo add >/sys/class/mem/full/uevent
	check "c: full's next add: its node" wait_for 5 test -c "$dev/full"
	check "c: program replaced to allow random too" \
	    cg2_allow "$cg" 'c 1:3 rw' 'c 1:5 rw' 'c 1:7 rw' 'c 1:8 rw' 'b 7:* rw' 'a *:* m'
	check "c: no event for random: no node yet" test ! -e "$dev/random"
	kill -HUP "$pid"
	check "c: SIGHUP: random's node" wait_for 5 test -c "$dev/random"
	is "c: every node is of an allowed device" \
	    "$(numbers | grep -Evx 'c 1:3|c 1:5|c 1:7|c 1:8|b 7:[0-9]+')" ""
	check "c: program replaced: zero no longer allowed" \
	    cg2_allow "$cg" 'c 1:3 rw' 'c 1:7 rw' 'c 1:8 rw' 'b 7:* rw' 'a *:* m'
	kill -HUP "$pid"
	check "c: SIGHUP: zero's node, made while it was allowed, goes" \
	    wait_for 5 test ! -e "$dev/zero"
	check "c: ... null's stays" test -c "$dev/null"
	kill -TERM "$pid"
	wait_for 5 eval "! kill -0 $pid 2>/dev/null"

	# ---- d: probe = no
	rm -rf "${dev:?}"/* "$work/run/udev" "$work/state"/*
	cp "$work/conf" "$work/d.conf"
	printf '[policy]\nprobe = no\n' >>"$work/d.conf"
	cg2_run "$cg" "$devmgr" -s --config "$work/d.conf" 2>"$work/d.log"
	check "d: probe = no: a node for tty too (nobody asked)" test -c "$dev/tty"
	cg2_cleanup

	# ---- e: cgroup v1
	rm -rf "${dev:?}"/* "$work/run/udev" "$work/state"/*
	v1root=$(awk '{ split($0, a, " - "); split(a[2], f, " ") }
	    f[1] == "cgroup" && f[3] ~ /(^|,)devices(,|$)/ { print $5; exit }' /proc/self/mountinfo)
	if [ -z "$v1root" ]; then
		fail "e: no cgroup v1 devices hierarchy mounted"
	else
		v1root=$v1root$(awk -F: '$2 ~ /(^|,)devices(,|$)/ { print $3 }' /proc/self/cgroup)
		v1root=${v1root%/}
		v1cg=$(mktemp -d "$v1root/devmgr-test-probe.XXXXXX")
		echo a >"$v1cg/devices.deny"
		for r in 'c 1:3 rwm' 'c 1:5 rwm' 'b 7:* rwm' 'c *:* m' 'b *:* m'; do
			echo "$r" >"$v1cg/devices.allow"
		done
		(echo "$BASHPID" >"$v1cg/cgroup.procs" && exec "$devmgr" -s -v --config "$work/conf") \
		    2>"$work/e.log"
		is "e: v1: devmgr -s exit status" "$?" 0
		check "e: v1: null and loop0 made" test -c "$dev/null" -a -b "$dev/loop0"
		check "e: v1: no full" test ! -e "$dev/full"
		is "e: v1: every node is of an allowed device" "$(numbers | allowed)" ""
		# the daemon, and a device allowed later (as docker update does
		# on cgroup v1: a line written to devices.allow)
		rm -rf "${dev:?}"/* "$work/run/udev" "$work/state"/*
		(echo "$BASHPID" >"$v1cg/cgroup.procs" && exec "$devmgr" -d --config "$work/conf") \
		    2>"$work/e2.log"
		is "e: v1: devmgr -d ready" "$?" 0
		pid=$(pgrep -n -f "^$devmgr -d")
		echo add >/sys/class/mem/full/uevent
		echo add >/sys/class/mem/zero/uevent
		wait_for 5 test -c "$dev/zero"
		sleep 0.3
		check "e: v1: full's add while refused: no node" test ! -e "$dev/full"
		echo 'c 1:7 rwm' >"$v1cg/devices.allow"
		echo add >/sys/class/mem/full/uevent
		check "e: v1: allowed later: full's next add makes its node" wait_for 5 test -c "$dev/full"
		kill -TERM "$pid"
		wait_for 5 eval "! kill -0 $pid 2>/dev/null"
	fi
	exit 0
fi

# --------------------------------------------------------------- outside
tap_skip_unless_built "$devmgr"
tap_workdir probe
echo "1..47"
tap_small_etc
echo "$n" >"$work/n"
PROBE_T_INNER=$work CG2_OUTER_MNTNS=$(readlink /proc/self/ns/mnt) devmgr=$devmgr \
    unshare -m -n -p -f --mount-proc -- bash "$0"
rc=$?
n=$(cat "$work/n")
is "the namespace part exited 0" "$rc" 0
mkdir "$work/fresh"
left=$(unshare -m -- sh -c 'mount -t cgroup2 none "$1" && find "$1" -mindepth 1 -type d' sh "$work/fresh" 2>&1)
is "no devmgr-test-cg2-probe cgroup left" "$(grep -c "/devmgr-test-cg2-probe" <<<"$left")" 0
is "no v1 devmgr-test-probe cgroup left" "$(find /sys/fs/cgroup/devices -maxdepth 3 -name 'devmgr-test-probe.*' | wc -l)" 0

# ---- f: the other layers
mkdir -p "$work/f-dev"
printf '[paths]\ndev = %s\nrules = %s\netc = %s\n[modules]\nload = no\n' "$work/f-dev" \
    "$work/f.rules" "$etc" >"$work/f.conf"
printf 'full root:root 0660\n' >"$work/f.rules"
out=$(unshare -m sh -c 'mount -t tmpfs devmgr-probe "$1" &&
    exec setpriv --bounding-set=-mknod "$2" test --config "$3" /sys/class/mem/full' \
    sh "$work/f-dev" "$devmgr" "$work/f.conf" 2>&1)
check "f: without CAP_MKNOD: test names it and the flag" \
    grep -q "refused  devmgr lacks CAP_MKNOD, so no node can be made (docker/podman run --cap-add MKNOD" <<<"$out"
echo "$out" | diag
out=$(unshare -U -r -m sh -c 'mount -t tmpfs devmgr-probe "$1" &&
    exec "$2" test --config "$3" /sys/class/mem/full' sh "$work/f-dev" "$devmgr" "$work/f.conf" 2>&1)
check "f: in a user namespace: test names it, and host mode" \
    grep -q "refused  devmgr runs in a user namespace, where the kernel refuses device nodes" <<<"$out"
echo "$out" | diag
out=$("$devmgr" test --config "$work/f.conf" /sys/class/mem/full 2>&1)
check "f: as root here: full may be used, mode 0660 opens for root and group 0" \
    grep -q "use      mode 0660: only uid 0 and group 0 can open it" <<<"$out"
out=$(unshare -m sh -c 'mount -t tmpfs -o nodev devmgr-probe "$1" &&
    exec "$2" test --config "$3" /sys/class/mem/full' sh "$work/f-dev" "$devmgr" "$work/f.conf" 2>&1)
check "f: a dev root mounted nodev: test says so" \
    grep -q "use      $work/f-dev is mounted nodev: no device node there can be opened" <<<"$out"
