#!/bin/bash
# host-rootless.t: a rootless Podman container served by devmgr host.
# Podman runs as nobody with subordinate ids 200000-265535: /etc/subuid
# and /etc/subgid are files of the test's, bound over the host's in a
# mount namespace of its own, where newuidmap reads them. The container's
# root is nobody (65534) on the host, its other ids 200000 on; it has no
# network but its own namespace (--network none: slirp4netns may not open
# /dev/net/tun as nobody) and, rootless on cgroup v1, no device cgroup.
# It is attached by hand, as root: its hooks run as nobody, who may not
# use the daemon's root-only socket.
#   a  a loop device added on the host: its node in the container,
#      root:loopers 0640 as the container's own files say, mapped
#      (65534:204320 on the host); the container opens it
#   b  removed: the node goes; podman rm: detached, no worker left
# Everything podman keeps is in the work directory; its pause process
# (which holds the user namespace) is killed at the end.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "rootless podman as nobody, loop devices"
if [ -z "${DEVMGR_ROOTLESS_NS:-}" ]; then
	DEVMGR_ROOTLESS_NS=1 exec unshare -m --propagation private -- "$BASH" "$0" "$@"
	echo "Bail out! cannot enter a private mount namespace"
	exit 1
fi
for t in podman runc newuidmap setpriv busybox; do
	command -v "$t" >/dev/null || { echo "1..1"; echo "not ok 1 - $t is missing (make deps installs it)"; exit 1; }
done
tap_skip_unless_built "$tools/loopctl"
tap_workdir host-rootless
. "$lib/daemon.sh"
echo "1..9"

chmod 755 "$work"
R=$work/rl
mkdir -p "$R"/{home,run,rootfs/bin,rootfs/etc,rootfs/dev,rootfs/proc,rootfs/sys}
chown nobody:nogroup "$R/home" "$R/run"
chmod 700 "$R/run"
echo "nobody:200000:65536" >"$work/subid"
mount --bind "$work/subid" /etc/subuid && mount --bind "$work/subid" /etc/subgid ||
	{ echo "Bail out! cannot bind our subordinate ids over /etc/subuid"; exit 1; }

U() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env HOME="$R/home" XDG_RUNTIME_DIR="$R/run" XDG_CONFIG_HOME="$R/home/.config" \
	    podman --cgroup-manager cgroupfs --events-backend file --runtime runc "$@"
}
HPID=
uns=
rootless_cleanup() {
	U rm -f -t 0 rl >/dev/null 2>&1
	U rmi -f localhost/devmgr-rootless:latest >/dev/null 2>&1
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	# podman's pause process holds the rootless user namespace (and is
	# called "podman"); whatever else of nobody's is in it goes too
	for p in $(pgrep -u nobody); do
		[ -n "$uns" ] && [ "$(readlink "/proc/$p/ns/user" 2>/dev/null)" = "$uns" ] &&
			kill -KILL "$p" 2>/dev/null
	done
	grep -F " $work" /proc/self/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount -l
	cleanup
}
trap rootless_cleanup EXIT

root=$R/rootfs
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh sleep head stat; do ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0::/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nloopers:x:4321:\n' >"$root/etc/group"
printf 'loop[0-9]+ root:loopers 0640\n' >"$root/etc/mdev.conf"
tar -C "$root" -cf "$R/rootfs.tar" . && chmod 644 "$R/rootfs.tar"
U import "$R/rootfs.tar" localhost/devmgr-rootless:latest >"$work/import.out" 2>&1
is "rootless podman (as nobody) imports the image" $? 0
U run -d --name rl --network none localhost/devmgr-rootless:latest /bin/sleep 1000 \
    >"$work/run.out" 2>&1
rc=$?
is "... and runs it" "$rc" 0
[ "$rc" = 0 ] || diag <"$work/run.out"
P=$(U inspect -f '{{.State.Pid}}' rl 2>/dev/null)
uns=$(readlink "/proc/$P/ns/user")
is "its user namespace maps 0 to nobody, 1 on to 200000" \
    "$(tr -s ' ' <"/proc/$P/uid_map" | sed 's/^ //' | paste -sd,)" "0 65534 1,1 200000 65536"

printf '[host]\nsocket = %s\n[container rl]\ndevice = b 7:*\n' "$work/host.sock" >"$work/host.conf"
"$devmgr" host --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
HPID=$!
wait_for 5 test -s "$work/host.ready"
"$devmgr" host attach --socket "$work/host.sock" rl "$P" >"$work/attach.out" 2>&1
is "attached by hand, as root" "$?" 0

N=$(loop_free 260)
loop_add_timed "/proc/$P/root/dev" "$N"
is "loop$N added: its node in the container ($MS ms), 65534:204320 0640 on the host" \
    "$(stat -c '%t:%T %u %g %a' "/proc/$P/root/dev/loop$N" 2>&1)" \
    "$(printf '7:%x 65534 204320 640' "$N")"
is "... root:loopers as the container sees it" \
    "$(U exec rl stat -c '%u %g' "/dev/loop$N" 2>&1)" "0 4321"
U exec rl head -c 1 "/dev/loop$N" >/dev/null 2>"$work/head.out"
is "... the container opens it (no device cgroup: rootless on cgroup v1)" \
    "$?:$(cat "$work/head.out")" "0:"
loop_del "$N"
wait_for 5 absent "/proc/$P/root/dev/loop$N"
check "removed: the node goes" absent "/proc/$P/root/dev/loop$N"
U rm -f -t 0 rl >/dev/null 2>&1
wait_for 5 eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^rl '"
check "podman rm: detached, no worker left" \
    eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^rl ' && [ -z \"\$(pgrep -P $HPID)\" ]"
