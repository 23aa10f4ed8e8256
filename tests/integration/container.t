#!/bin/bash
# container.t: devmgr inside a real container (runc, Debian's package),
# with a real device cgroup and real kernel events.
#
# The OCI bundle is built here: a rootfs with the static devmgr, Debian's
# static busybox for a shell, /etc/passwd and /etc/group with a group the
# host does not know ("loopers", 4321), an mdev.conf giving loop devices
# to it, and the test's libudev client with its libraries. The container
# gets its own mount, pid and network namespaces (made by root, so owned
# by the host user namespace: the kernel's uevents reach it), CAP_MKNOD,
# CAP_CHOWN and CAP_NET_ADMIN, and a device cgroup that allows block
# major 7 (loop) on top of runc's defaults. Its entrypoint is
# "devmgr -d && touch /ready && exec sleep". Then, from the host:
#   a  a loop device added through /dev/loop-control: its node appears in
#      the container within 100 ms, owner and mode from the container's
#      rule and /etc/group; the container can open it; a libudev client in
#      the container gets the add event with the node in place
#   b  removed: the node goes
#   c  no node for devices the cgroup forbids (/dev/mem, /dev/kvm...),
#      though mknod would let them be made (runc allows "c *:* m")
#   d  devmgr -s in the same bundle: exactly the permitted devices, by
#      [policy] allow, and, with cgroup v1, by the cgroup's devices.list
# runc keeps its state in the work directory (--root); the container's
# cgroup is named devmgr-test-*; everything is deleted on exit.

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
tools=$top/build/tools
static=$top/build/static/devmgr
devmgr=$static		# daemon.sh's helpers want these
exe=$static
kpath=/sbin:/bin:/usr/sbin:/usr/bin

. "$lib/tap.sh" 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "runc, device cgroups, loop devices"
runc=$(command -v runc || command -v crun)
busybox=$(command -v busybox)
if [ -z "$runc" ]; then
	# a missing tool is a failure, never a skip: CI installs it
	echo "1..1"
	echo "not ok 1 - neither runc nor crun installed (make deps installs runc)"
	exit 1
fi
# ldd fails on a static binary
if [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "1..1"; echo "not ok 1 - cannot run: no static busybox (Debian: busybox-static)"
	exit 1
fi
for t in udevclient loopctl; do
	if [ ! -x "$tools/$t" ]; then
		echo "1..1"; echo "not ok 1 - cannot run: $tools/$t not built (run make tools)"
		exit 1
	fi
done
if [ ! -c /dev/loop-control ]; then
	echo "1..1"; echo "not ok 1 - cannot run: no /dev/loop-control"
	exit 1
fi

tap_workdir container
tap_small_etc
. "$lib/daemon.sh"

if ! make -s -C "$top" STATIC=1 BUILD=build/static BIN=build/static/devmgr >"$work/make.log" 2>&1; then
	echo "1..1"; echo "not ok 1 - cannot run: the static build failed (see static.t)"
	exit 1
fi
echo "1..20"

ids=()
state=$work/runc-state
rt() { "$runc" --root "$state" "$@"; }
container_cleanup() {
	local id
	for id in "${ids[@]}"; do
		rt kill "$id" KILL >/dev/null 2>&1
		rt delete -f "$id" >/dev/null 2>&1
	done
	cleanup
}
trap container_cleanup EXIT

# ---- the bundle -----------------------------------------------------------

bundle=$work/bundle
root=$bundle/rootfs
mkdir -p "$root"/{bin,etc,dev,proc,sys,run,tmp,sdev}
cp "$static" "$root/devmgr"
cp "$busybox" "$root/bin/busybox"
for a in sh ls cat sleep touch dd stat mknod find sort tr wc rm; do ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nloopers:x:4321:\n' >"$root/etc/group"
printf 'loop[0-9]+ root:loopers 0640\n' >"$root/etc/mdev.conf"
printf '[policy]\nallow = block 7:* rwm\n' >"$root/etc/devmgr.conf"
# the libudev client and what it links
cp "$tools/udevclient" "$root/udevclient"
for l in $(ldd "$tools/udevclient" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
done

# spec: runc's default, then what devmgr needs
(cd "$bundle" && rt spec) || { echo "Bail out! runc spec failed"; exit 1; }
python3 "$lib/ocispec.py" "$bundle/config.json" \
    --args '["/bin/sh", "-c", "/devmgr -d -v 2>/tmp/devmgr.log && touch /ready && exec sleep 1000"]' \
    --caps CAP_MKNOD,CAP_CHOWN,CAP_FOWNER,CAP_DAC_OVERRIDE,CAP_NET_ADMIN,CAP_KILL \
    --allow 'b 7 * rwm' --cgroups-path "/devmgr-test-${work##*/}"

# run ID: start the bundle's container detached; sets CPID (its init)
run() {
	local id=$1
	ids+=("$id")
	rm -f "$root/ready"
	(cd "$bundle" && rt run -d "$id" </dev/null >"$work/$id.out" 2>&1) || return 1
	CPID=$(rt state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	[ -n "$CPID" ]
}

# ---- a: hot-plug ----------------------------------------------------------

run c1 || { fail "container started"; diag <"$work/c1.out"; exit 1; }
wait_for 10 test -e "$root/ready"
check "container started; devmgr -d returned ready" test -e "$root/ready"
cdev=/proc/$CPID/root/dev
N=$(loop_free 200)
rt exec c1 /udevclient monitor -s block/disk -n 2 -w 10000 -r /tmp/client.ready \
    >"$work/client.out" 2>&1 &
client=$!
wait_for 5 test -e "$root/tmp/client.ready"
loop_add_timed "$cdev" "$N"
check "loop$N added on the host: node in the container" test -b "$cdev/loop$N"
check "... within 100 ms (${MS} ms)" [ "$MS" -le 100 ]
is "... owner root, group loopers (4321, from the container's /etc/group), 0640" \
    "$(stat -c '%t:%T %U %g %a' "$cdev/loop$N" 2>&1)" "$(printf '7:%x root 4321 640' "$N")"
rt exec c1 dd if="/dev/loop$N" of=/dev/null bs=512 count=1 >"$work/dd.out" 2>&1
is "... the container can open it (dd exit status)" $? 0
wait_for 5 grep -q "^add " "$work/client.out"
is "libudev client in the container: the add, node in place" \
    "$(grep '^add ' "$work/client.out")" \
    "add block disk /dev/loop$N init=1 node=b7:$N:0640:0:4321"

# ---- b: remove ------------------------------------------------------------

loop_del "$N"
wait_for 5 absent "$cdev/loop$N"
check "loop$N removed: the node is gone" absent "$cdev/loop$N"
wait $client
is "libudev client: the remove, node gone" "$(grep '^remove ' "$work/client.out")" \
    "remove block disk /dev/loop$N init=1 node=missing"

# ---- c: what the cgroup forbids -------------------------------------------

for d in mem kvm port vda; do
	check "no /dev/$d in the container" absent "$cdev/$d"
done
rt exec c1 sh -c 'mknod /tmp/mem c 1 1 && dd if=/tmp/mem of=/dev/null count=1' \
    >"$work/mem.out" 2>&1
rc=$?
check "control: a /dev/mem made by hand cannot be opened (exit $rc)" [ "$rc" != 0 ]
check "... 'Operation not permitted'" grep -q "Operation not permitted" "$work/mem.out"
check "devmgr logged what it left alone" grep -q ": left alone; not in \[policy\] allow" "$root/tmp/devmgr.log"
rt kill c1 TERM
wait_for 5 sh -c "! $runc --root $state state c1 2>/dev/null | grep -q running"
rt delete -f c1 >/dev/null 2>&1

# ---- d: devmgr -s -----------------------------------------------------------

# exactly the devices of a policy that exist on this host
expect() {
	local t=$1 want=
	# $1: the allowed "type major" pairs as "b 7|c 1|..."
	for e in /sys/dev/block/* /sys/dev/char/*; do
		k=b; [ "${e#/sys/dev/char/}" != "$e" ] && k=c
		mm=${e##*/}
		grep -qx "$k ${mm%%:*}" <<<"$t" && want="$want $k$mm"
	done
	tr ' ' '\n' <<<"$want" | grep . | sort | tr '\n' ' '
}
listing() {
	find "$root/sdev" \( -type b -o -type c \) -exec stat -c '%F %Hr:%Lr' {} + |
	    sed 's/^block special file /b/; s/^character special file /c/' | sort | tr '\n' ' '
}
set_args() {
	python3 - "$bundle/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sh", "-c", sys.argv[2]]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
}
set_args "/devmgr -s --dev /sdev 2>/tmp/s.log; echo \$? >/tmp/s.rc; touch /ready"
rm -rf "$root/sdev" "$root/run/udev" && mkdir "$root/sdev"
run c2 && wait_for 10 test -e "$root/ready"
is "devmgr -s in the bundle: exit 0" "$(cat "$root/tmp/s.rc" 2>&1)" 0
is "... [policy] allow = block 7:* rwm: the loop devices, nothing else" "$(listing)" \
    "$(expect 'b 7')"
rt delete -f c2 >/dev/null 2>&1

if [ -e /sys/fs/cgroup/devices/devices.list ]; then
	# no [policy]: the cgroup's list (runc's defaults and block 7)
	: >"$root/etc/devmgr.conf"
	rm -rf "$root/sdev" "$root/run/udev" && mkdir "$root/sdev"
	set_args "cat /sys/fs/cgroup/devices/devices.list >/tmp/list; /devmgr -s -v --dev /sdev 2>/tmp/s.log; echo \$? >/tmp/s.rc; touch /ready"
	run c3 && wait_for 10 test -e "$root/ready"
	is "cgroup v1: devmgr -s exit 0" "$(cat "$root/tmp/s.rc" 2>&1)" 0
	check "... the kernel is asked per device" \
	    grep -q "device policy: the kernel is asked per device" "$root/tmp/s.log"
	# every "TYPE MAJ:* rw.." or "TYPE MAJ:MIN rw.." line of the list
	allowed=$(awk '$3 ~ /[rw]/ { split($2, n, ":"); print $1, n[1], n[2] }' "$root/tmp/list")
	want=
	for e in /sys/dev/block/* /sys/dev/char/*; do
		k=b; [ "${e#/sys/dev/char/}" != "$e" ] && k=c
		mm=${e##*/}
		if awk -v k="$k" -v ma="${mm%%:*}" -v mi="${mm##*:}" \
		    '($1 == k || $1 == "a") && ($2 == ma || $2 == "*") && ($3 == mi || $3 == "*") { f = 1 } END { exit !f }' \
		    <<<"$allowed"; then
			want="$want $k$mm"
		fi
	done
	is "... exactly the devices the cgroup's devices.list allows" "$(listing)" \
	    "$(tr ' ' '\n' <<<"$want" | grep . | sort | tr '\n' ' ')"
	rt delete -f c3 >/dev/null 2>&1
else
	for i in 1 2 3; do skip "no cgroup v1 devices hierarchy here (cgroup v2 offers no list)"; done
fi
