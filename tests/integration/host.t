#!/bin/bash
# host.t: devmgr host, on the host, serving containers that cannot hear
# the kernel (a user namespace of their own) and one that could, run by
# runc (or crun) from a bundle built here.
#
#   a  a container with a user namespace (0 -> 100000, 65536 ids),
#      attached by hand: a loop device added on the host gets its node in
#      the container's /dev within 100 ms (a bind mount of a node on the
#      host's tmpfs: its own /dev takes no device node), owner and mode
#      from the container's mdev.conf and /etc/group, mapped; the
#      container opens it; a libudev client in it hears the add with the
#      node there (systemd's libudev: the sender must be its root); the
#      database is in its /run/udev; remove: node, entry gone, heard
#   b  a second container, whose host.conf section grants it nothing:
#      neither node nor event
#   c  the devices there at attach are given at attach
#   d  detach by hand: its nodes go, its worker too; its init exiting
#      detaches it by itself
#   e  a container without a user namespace: a real node, made by mknod
#   f  the OCI hook: poststart attaches, poststop detaches, under runc
#   g  a hostile container: a symlink to a host file planted at its node's
#      name, /etc/mdev.conf and /etc/passwd linking to host files, a FIFO
#      at /run/udev: nothing outside its /dev and /run changes, the
#      daemon keeps answering
# Nothing of the host's /dev, /run or /etc is touched: the control
# socket and runc's state are in the work directory.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "runc, user namespaces, loop devices"
runc=$(command -v runc || command -v crun)
busybox=$(command -v busybox)
if [ -z "$runc" ] || [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - needs runc (or crun) and a static busybox (make deps installs them)"
	exit 1
fi
tap_skip_unless_built "$tools/udevclient"
tap_skip_unless_built "$tools/loopctl"
tap_skip_unless_built "$tools/nlrecv"
tap_workdir host
. "$lib/daemon.sh"
echo "1..46"

# the mapped root must reach the bundles
chmod 755 "$work"
state=$work/runc-state
sock=$work/host.sock
rt() { "$runc" --root "$state" "$@"; }
ids=()
HPID=
host_cleanup() {
	local id
	for id in "${ids[@]}"; do
		rt kill "$id" KILL >/dev/null 2>&1
		rt delete -f "$id" >/dev/null 2>&1
	done
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	cleanup
}
trap host_cleanup EXIT

# ---- bundles --------------------------------------------------------------

# bundle DIR USERNS(yes|no) [HOOKS]: a rootfs with busybox, the libudev
# client and its libraries, a group the host does not know (loopers,
# 4321) and an mdev.conf giving loop devices to it; tmpfs /run; a device
# cgroup that allows loop devices
bundle() {
	local dir=$1 root=$1/rootfs
	mkdir -p "$root"/{bin,etc,dev,proc,sys,run,tmp}
	chmod 1777 "$root/tmp"
	cp "$busybox" "$root/bin/busybox"
	for a in sh ls cat sleep stat dd readlink; do ln -s busybox "$root/bin/$a"; done
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nloopers:x:4321:\n' >"$root/etc/group"
	printf 'loop[0-9]+ root:loopers 0640\n' >"$root/etc/mdev.conf"
	cp "$tools/udevclient" "$root/udevclient"
	cp "$tools/nlrecv" "$root/nlrecv"
	for l in $(ldd "$tools/udevclient" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
	done
	(cd "$dir" && rt spec) || return 1
	python3 - "$dir/config.json" "$2" "$devmgr" "$sock" "${3:-}" "$(basename "$dir")" <<'PY'
import json, sys
path, userns, devmgr, sock, hooks, name = sys.argv[1:7]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sleep", "1000"]
c["root"]["readonly"] = False
c["mounts"].append({"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=755"]})
c["linux"]["resources"]["devices"] = [
    {"allow": False, "access": "rwm"},
    {"allow": True, "type": "b", "major": 7, "access": "rwm"},
]
c["linux"]["cgroupsPath"] = "/devmgr-test-host-" + name
if userns == "yes":
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # sysfs cannot be mounted there without its own network namespace's
    # owner: runc's default spec has one
if hooks:
    h = {"path": devmgr, "args": ["devmgr", "host", "hook", "--socket", sock]}
    c["hooks"] = {"poststart": [h], "poststop": [h]}
    c["annotations"] = {"devmgr.name": name}
json.dump(c, open(path, "w"), indent=1)
PY
}

# run ID DIR: start the bundle in DIR detached; sets CPID (its init)
run() {
	ids+=("$1")
	(cd "$2" && rt run -d "$1" </dev/null >"$work/$1.out" 2>&1) || return 1
	CPID=$(rt state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	[ -n "$CPID" ]
}

for b in u1 u2 h1; do
	bundle "$work/$b" "$([ "$b" = h1 ] && echo no || echo yes)" ||
		{ echo "Bail out! cannot build bundle $b"; exit 1; }
done
bundle "$work/k1" yes hooks || { echo "Bail out! cannot build bundle k1"; exit 1; }

cat >"$work/host.conf" <<EOF2
[host]
socket = $sock

[container u1]
device = b 7:*

[container h1]
subsystem = block

[container k*]
device = b 7:*
EOF2

${HOST_WRAP:-} "$devmgr" host -vv --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
HPID=$!
wait_for 5 test -s "$work/host.ready"
check "devmgr host is ready" test -S "$sock"

# ---- a: a container with a user namespace ----------------------------------

run u1 "$work/u1" || { fail "container u1 started"; diag <"$work/u1.out"; exit 1; }
U1=$CPID
is "u1 has a user namespace of its own" \
    "$([ "$(readlink /proc/$U1/ns/user)" != "$(readlink /proc/self/ns/user)" ] && echo own)" own
run u2 "$work/u2" || { fail "container u2 started"; exit 1; }
U2=$CPID
"$devmgr" host attach --socket "$sock" u1 "$U1" >"$work/attach.out" 2>&1
is "attach u1 by hand" "$?" 0
"$devmgr" host attach --socket "$sock" u2 "$U2" >"$work/attach2.out" 2>&1
check "attach u2: nothing to serve" grep -q "nothing to serve" "$work/attach2.out"

N=$(loop_free 230)
rt exec u1 /udevclient monitor -s block/disk -n 2 -w 10000 -r /tmp/client.ready \
    >"$work/client.out" 2>&1 &
c1=$!
rt exec u2 /udevclient monitor -s block/disk -n 1 -w 3000 -r /tmp/client.ready \
    >"$work/client2.out" 2>&1 &
c2=$!
rt exec u1 /nlrecv 0x6 -n 4 -w 5000 -r /tmp/nl.ready >"$work/nl.out" 2>&1 &
nl=$!
wait_for 5 test -e "$work/u1/rootfs/tmp/nl.ready"
wait_for 5 test -e "$work/u1/rootfs/tmp/client.ready"
wait_for 5 test -e "$work/u2/rootfs/tmp/client.ready"
cdev=/proc/$U1/root/dev
t0=${EPOCHREALTIME/[.,]/}
loop_add "$N"
while :; do
	t=${EPOCHREALTIME/[.,]/}
	[ -b "$cdev/loop$N" ] || [ $((t - t0)) -gt 2000000 ] && break
done
ms=$(((t - t0) / 1000))
check "loop$N added on the host: node in u1" test -b "$cdev/loop$N"
check "... within 100 ms (${ms} ms)" [ "$ms" -le 100 ]
is "... owner root:loopers as mapped (100000, 104321 on the host), 0640" \
    "$(stat -c '%t:%T %u %g %a' "$cdev/loop$N" 2>&1)" "$(printf '7:%x 100000 104321 640' "$N")"
is "... seen from inside: 0 and 4321" \
    "$(rt exec u1 stat -c '%u %g' "/dev/loop$N" 2>&1)" "0 4321"
check "... a mount point (bound from the host's tmpfs)" \
    grep -q " /dev/loop$N " "/proc/$U1/mountinfo"
rt exec u1 dd if="/dev/loop$N" of=/dev/null bs=512 count=1 >"$work/dd.out" 2>&1
is "... u1 can open it (dd's exit status)" $? 0
wait_for 5 grep -q "^add " "$work/client.out"
is "libudev client in u1: the add, node in place" "$(grep '^add ' "$work/client.out")" \
    "add block disk /dev/loop$N init=1 node=b7:$N:0640:0:4321"
check "u1's /run/udev/data/b7:$N" test -f "/proc/$U1/root/run/udev/data/b7:$N"
check "... owned by u1's root" [ "$(stat -c %u "/proc/$U1/root/run/udev/data/b7:$N")" = 100000 ]
check "host's own /dev/loop$N untouched by devmgr (the kernel's devtmpfs)" \
    [ "$(stat -c %u:%g "/dev/loop$N" 2>/dev/null || echo absent)" != 100000:104321 ]

loop_del "$N"
wait_for 5 absent "$cdev/loop$N"
check "loop$N removed: the node is gone from u1" absent "$cdev/loop$N"
check "... no mount left there" eval "! grep -q ' /dev/loop$N ' /proc/$U1/mountinfo"
check "... its database entry too" absent "/proc/$U1/root/run/udev/data/b7:$N"
wait "$c1" "$nl"
is "on the wire in u1: both formats, add and remove, from uid 0 (u1's root)" \
    "$(sed -n 's/^pid=[0-9]* groups=\([0-9]*\) uid=\([0-9]*\) .*/\1 \2/p' "$work/nl.out" | sort | uniq -c | awk '{ print $1, $2, $3 }' | paste -sd,)" \
    "2 2 0,2 4 0"
is "libudev client in u1: the remove" "$(grep '^remove ' "$work/client.out")" \
    "remove block disk /dev/loop$N init=1 node=missing"

# ---- b: what u2 is not given -----------------------------------------------

wait "$c2"
check "u2: no node" absent "/proc/$U2/root/dev/loop$N"
is "u2's libudev client heard nothing" "$(grep -c '^add\|^remove' "$work/client2.out")" 0
