#!/bin/bash
# host-grants-v2.t: devmgr host gives a container exactly the devices it
# is granted on cgroup v2, where a BPF device program is the gate (issue
# 20). The test re-runs itself in new mount and pid namespaces; in there:
# cgroup2 and a private bpffs (tests/lib/cgroup2.sh), a cgroup whose
# runtime-like program allows c 1:3, c 1:5, b 7:R rw and mknod (compiled
# with clang, attached with bpftool, as runc's and crun's are), and a
# container: a process in its own mount and network namespaces, chrooted
# into a rootfs with tmpfs /dev and /run, moved into that cgroup. Probes
# (tests/tools/devaccess: faccessat, run in the cgroup) on scratch nodes
# show what the kernel allows, before, during and after a device's life:
#
#   a  before: loop N refused, c 1:7 refused, b 7:R and c 1:3 allowed;
#      the runtime's program is the one attached
#   b  loop N added: its node in the container, N allowed (devmgr's
#      program now in the runtime's place, asking it about the rest:
#      c 1:7 still refused, b 7:R, c 1:3 still allowed); the container
#      reads the device
#   c  loop N removed: N refused again, the others as before
#   d  loop R (the runtime's own) added and removed: allowed throughout
#   e  40 add/remove pairs of two devices: what is allowed ends as before
#   f  detach: the runtime's program is back, the very one, alone
#   g  the same with the runtime's program attached with BPF_F_ALLOW_MULTI
#      (runc's way): devmgr's replaces it in its slot (BPF_F_REPLACE) and
#      gives it back there
# Nothing is pinned on the host's bpffs; no cgroup is left.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "mount and pid namespaces, cgroup2, BPF programs, loop devices"

# ---------------------------------------------------------------- inside
if [ -n "${HG2_INNER:-}" ]; then
	work=$HG2_INNER
	n=$(cat "$work/n")
	. "$lib/cgroup2.sh"
	. "$lib/daemon.sh"
	CPID= HPID=
	inner_cleanup() {
		[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
		[ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
		echo "$n" >"$work/n"
		cg2_cleanup
		local l
		for l in "${loops[@]}"; do loop_del "$l" || echo "# could not remove loop$l"; done
		umount "$scratch" 2>/dev/null
	}
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM HUP

	scratch=$work/scratch
	N=$(loop_free 270)
	R=$(loop_free $((N + 1)))
	S=$(loop_free $((R + 1)))
	scratch=$work/scratch
	mkdir "$scratch" && mount -t tmpfs -o mode=0755 devmgr-test-hg2 "$scratch" &&
	    mknod "$scratch/null" c 1 3 && mknod "$scratch/full" c 1 7 &&
	    mknod "$scratch/loopN" b 7 "$N" && mknod "$scratch/loopR" b 7 "$R" ||
		{ echo "Bail out! cannot make the scratch nodes"; exit 1; }
	cg2_mount "$work/cgroup2" "$work/bpf" "$work" 2>"$work/err" ||
		{ diag <"$work/err"; echo "Bail out! cannot mount cgroup2 and bpffs"; exit 1; }
	cg=$(cg2_make grants) && cg2_allow "$cg" 'c 1:3 rw' 'c 1:5 rw' "b 7:$R rw" 'a *:* m' \
	    2>"$work/err" || { diag <"$work/err"; echo "Bail out! no runtime-like program"; exit 1; }
	runtime_id=$(cg2_prog_ids "$cg")

	root=$work/c2/rootfs
	mkdir -p "$root"/{bin,etc,dev,proc,run,tmp}
	cp "$(command -v busybox)" "$root/bin/busybox"
	for a in sh sleep dd; do ln -s busybox "$root/bin/$a"; done
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
	printf 'loop[0-9]+ root:root 0660\n' >"$root/etc/mdev.conf"
	# container: a process in its own mount and network namespaces,
	# chrooted, with a tmpfs /dev and /run; sets CPID
	container() {
		unshare -m -n sh -c 'mount -t tmpfs cdev "$1/dev" && mount -t tmpfs crun "$1/run" &&
			exec chroot "$1" /bin/sleep 1000' - "$root" &
		CPID=$!
		wait_for 5 eval "[ \"\$(readlink /proc/$CPID/root)\" = '$root' ]"
	}
	container
	cg2_enter "$cg" "$CPID" 2>"$work/err" || { diag <"$work/err"; echo "Bail out! cg2_enter"; exit 1; }

	# (exactly these three: the loop devices the host has already are
	# not given at attach, so the runtime's program stays until the first)
	printf '[host]\nsocket = %s\ncgroup = no\ncgroup2 = %s\n[container c2]\n' \
		"$work/host.sock" "$CG2_ROOT" >"$work/host.conf"
	printf 'device = b 7:%s\n' "$N" "$R" "$S" >>"$work/host.conf"
	printf '[container c3]\ndevice = b 7:%s\n' "$N" >>"$work/host.conf"
	"$devmgr" host -v --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
	HPID=$!
	wait_for 5 test -s "$work/host.ready"

	# allowed [CGROUP]: what the kernel says to a process in the
	# container's cgroup
	allowed() {
		cg2_run "${1:-$cg}" "$tools/devaccess" "$scratch/null" "$scratch/full" "$scratch/loopN" \
		    "$scratch/loopR" 2>&1 | sed "s|$scratch/||" | tr '\n' ' '
	}
	before="null ok full EPERM loopN EPERM loopR ok "
	granted="null ok full EPERM loopN ok loopR ok "
	# ---- a: before ---------------------------------------------------------
	is "a: the runtime's program alone: N refused, c 1:7 refused, R and c 1:3 allowed" \
	    "$(allowed)" "$before"
	"$devmgr" host attach --socket "$work/host.sock" c2 "$CPID" >"$work/attach.out" 2>&1
	is "a: attach c2" "$?" 0
	is "a: ... nothing given yet: the runtime's program is still the one attached" \
	    "$(cg2_prog_ids "$cg")" "$runtime_id"

	# ---- b: added -------------------------------------------------------------
	loop_add "$N"
	check "b: loop$N added: its node in c2" wait_for 5 test -b "/proc/$CPID/root/dev/loop$N"
	is "b: ... N allowed; c 1:7 still refused, R and c 1:3 still allowed" \
	    "$(allowed)" "$granted"
	ours=$(cg2_prog_ids "$cg")
	check "b: ... devmgr's program in the runtime's place, one program" \
	    eval "[ -n '$ours' ] && [ '$ours' != '$runtime_id' ] && [ \$(echo $ours | wc -w) = 1 ]"
	cg2_run "$cg" nsenter -t "$CPID" -m -r dd if="/dev/loop$N" of=/dev/null bs=512 count=1 \
	    >"$work/dd.out" 2>&1
	is "b: ... a process of the container reads the device" "$?" 0

	# ---- c: removed -------------------------------------------------------------
	loop_del "$N"
	check "c: loop$N removed: node gone" wait_for 5 eval "[ ! -e /proc/$CPID/root/dev/loop$N ]"
	wait_for 5 eval "[ \"\$(allowed)\" = '$before' ]"
	is "c: ... N refused again, the rest as before" "$(allowed)" "$before"

	# ---- d: the runtime's own device ---------------------------------------------
	loop_add "$R"
	wait_for 5 test -b "/proc/$CPID/root/dev/loop$R"
	is "d: loop$R (the runtime's): allowed while there" "$(allowed)" "$before"
	loop_del "$R"
	wait_for 5 eval "[ ! -e /proc/$CPID/root/dev/loop$R ]"
	is "d: ... and after its remove" "$(allowed)" "$before"

	# ---- e: a storm ---------------------------------------------------------------
	for i in $(seq 40); do
		loop_add "$N" && loop_add "$S" && loop_del "$N" && loop_del "$S" || break
	done
	wait_for 5 eval "[ ! -e /proc/$CPID/root/dev/loop$N ] && [ ! -e /proc/$CPID/root/dev/loop$S ]"
	wait_for 5 eval "[ \"\$(allowed)\" = '$before' ]"
	is "e: 40 add/remove pairs of loop$N and loop$S: what is allowed ends as it began" \
	    "$(allowed)" "$before"

	# ---- f: detach -------------------------------------------------------------------
	loop_add "$N"
	wait_for 5 eval "[ \"\$(allowed)\" = '$granted' ]"
	is "f: loop$N given again" "$(allowed)" "$granted"
	"$devmgr" host detach --socket "$work/host.sock" c2 >"$work/detach.out" 2>&1
	is "f: detach c2" "$?" 0
	is "f: ... the runtime's program is back, the very one, alone" \
	    "$(cg2_prog_ids "$cg")" "$runtime_id"
	is "f: ... N refused again (loop$N still on the host)" "$(allowed)" "$before"
	loop_del "$N"
	check "f: the daemon's log names the grants" \
	    grep -q "c2: b 7:$N rw allowed by devmgr's device program" "$work/host.log"

	# ---- g: a program attached with BPF_F_ALLOW_MULTI (as runc does) -------------
	c2pid=$CPID
	cgm=$(cg2_make multi) && cg2_allow "$cgm" 'c 1:3 rw' "b 7:$R rw" 'a *:* m' 2>"$work/err" ||
		{ diag <"$work/err"; echo "Bail out! no program for g"; exit 1; }
	mid=$(cg2_prog_ids "$cgm")
	bpftool cgroup detach "$cgm" cgroup_device id "$mid" &&
	    bpftool cgroup attach "$cgm" cgroup_device id "$mid" multi
	flags() { bpftool cgroup show "$cgm" | awk -v id="$1" '$1 == id { print $3 }'; }
	is "g: the runtime-like program of cgroup 2 attached with multi" "$(flags "$mid")" multi
	container
	cg2_enter "$cgm" "$CPID" 2>"$work/err" || { diag <"$work/err"; echo "Bail out! cg2_enter"; exit 1; }
	"$devmgr" host attach --socket "$work/host.sock" c3 "$CPID" >"$work/attach3.out" 2>&1
	is "g: attach c3" "$?" 0
	loop_add "$N"
	wait_for 5 test -b "/proc/$CPID/root/dev/loop$N"
	wait_for 5 eval "[ \"\$(allowed '$cgm')\" = '$granted' ]"
	is "g: loop$N added: allowed in c3" "$(allowed "$cgm")" "$granted"
	ours=$(cg2_prog_ids "$cgm")
	check "g: ... devmgr's program replaced the runtime's (BPF_F_REPLACE), multi, alone" \
	    eval "[ '$ours' != '$mid' ] && [ \$(echo $ours | wc -w) = 1 ] && [ \"\$(flags '$ours')\" = multi ]"
	loop_del "$N"
	wait_for 5 eval "[ \"\$(allowed '$cgm')\" = '$before' ]"
	is "g: removed: refused again" "$(allowed "$cgm")" "$before"
	"$devmgr" host detach --socket "$work/host.sock" c3 >"$work/detach3.out" 2>&1
	is "g: detach c3: the runtime's program back, multi" "$(cg2_prog_ids "$cgm"):$(flags "$mid")" \
	    "$mid:multi"
	kill "$c2pid" 2>/dev/null
	exit 0
fi

# ---------------------------------------------------------------- outside
tap_skip_unless_built "$tools/devaccess"
tap_skip_unless_built "$tools/loopctl"
for t in clang bpftool busybox; do
	if ! command -v "$t" >/dev/null; then
		echo "1..1"; echo "not ok 1 - needs $t (make deps installs it)"; exit 1
	fi
done
tap_workdir host-grants-v2
chmod 755 "$work"
echo 0 >"$work/n"
CG2_OUTER_MNTNS=$(readlink /proc/self/ns/mnt) HG2_INNER=$work \
    unshare -m -p -f --mount-proc bash "$0"
n=$(cat "$work/n")
mkdir "$work/fresh"
check "no cgroup of the test is left" \
    eval "! unshare -m sh -c 'mount -t cgroup2 none \"\$1\" && ls \"\$1\"' - '$work/fresh' | grep -q devmgr-test-cg2-"
echo "1..$n"
