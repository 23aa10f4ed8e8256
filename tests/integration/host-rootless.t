#!/bin/bash
# host-rootless.t: a rootless Podman container served by devmgr host.
# Podman runs as nobody with subordinate ids 200000-265535: /etc/subuid
# and /etc/subgid are files of the test's, bound over the host's in a
# mount namespace of its own, where newuidmap reads them. The container's
# root is nobody (65534) on the host, its other ids 200000 on; it has no
# network but its own namespace (--network none: slirp4netns may not open
# /dev/net/tun as nobody) and, rootless on cgroup v1, no device cgroup.
# It attaches itself: podman's hooks (--hooks-dir) run devmgr host hook
# as nobody, whom host.conf names in users = for rl* containers.
#   a  the poststart hook attached it; nobody may not list, attach a
#      container whose section does not name it, a process outside its
#      own user namespaces or one of its user namespace left in the
#      host's mount namespace, nor detach what root attached; eight silent
#      connections of nobody's keep neither root's request nor the
#      devices below waiting
#   b  a loop device added on the host: its node in the container,
#      root:loopers 0640 as the container's own files say, mapped
#      (65534:204320 on the host); the container opens it
#   c  removed: the node goes; podman rm: its poststop hook detached it,
#      no worker left
#   d  the socket is 0666 while host.conf names users, 0600 once a reload
#      takes them out
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
echo "1..17"

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
	# called "podman"); whatever else of nobody's is in it goes too. (No
	# container ran: the namespace is known by the pause process's pid.)
	local pause
	if [ -z "$uns" ] && pause=$(cat "$R/run/libpod/tmp/pause.pid" 2>/dev/null); then
		uns=$(readlink "/proc/$pause/ns/user" 2>/dev/null)
	fi
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
# The daemon first: the container attaches itself from podman's hooks,
# which run as nobody; host.conf names nobody for rl* containers only.
cat >"$work/host.conf" <<CONF
[host]
socket = $work/host.sock
[container rl*]
users = nobody
device = b 7:*
[container other]
device = b 7:*
CONF
"$devmgr" host --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
HPID=$!
wait_for 5 test -s "$work/host.ready"
mkdir -p "$work/hooks"
printf '{"version": "1.0.0", "hook": {"path": "%s", "args": ["devmgr", "host", "hook", "--socket", "%s"]}, "when": {"annotations": {"devmgr.name": ".+"}}, "stages": ["poststart", "poststop"]}\n' \
    "$devmgr" "$work/host.sock" >"$work/hooks/devmgr.json"
U --hooks-dir "$work/hooks" run -d --name rl --annotation devmgr.name=rl --network none \
    localhost/devmgr-rootless:latest /bin/sleep 1000 >"$work/run.out" 2>&1
rc=$?
is "... and runs it, with devmgr's hooks" "$rc" 0
[ "$rc" = 0 ] || diag <"$work/run.out"
P=$(U inspect -f '{{.State.Pid}}' rl 2>/dev/null)
uns=$(readlink "/proc/$P/ns/user")
is "its user namespace maps 0 to nobody, 1 on to 200000" \
    "$(tr -s ' ' <"/proc/$P/uid_map" | sed 's/^ //' | paste -sd,)" "0 65534 1,1 200000 65536"
wait_for 5 eval "'$devmgr' host list --socket '$work/host.sock' | grep -q '^rl '"
check "its poststart hook, run as nobody, attached it" \
    eval "'$devmgr' host list --socket '$work/host.sock' | grep -q '^rl '"

# What nobody may not do
N() { setpriv --reuid=65534 --regid=65534 --clear-groups "$devmgr" host "$@"; }
out=$(N list --socket "$work/host.sock" 2>&1)
like "nobody may not list" "$out" "only root may list containers and reload"
out=$(N attach --socket "$work/host.sock" other "$P" 2>&1)
like "nobody may not attach a container whose section does not name it" "$out" \
    "other's section of .* does not name uid 65534"
sleep 1000 & RPID=$!
out=$(N attach --socket "$work/host.sock" rlx "$RPID" 2>&1)
like "... nor a process outside its own user namespaces (root's sleep as rlx)" "$out" \
    "not in a user namespace of uid 65534's"
kill "$RPID"
# nobody's own user namespace, but the host's mount namespace: its nodes
# would be mounted in the host's
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Ur sleep 1000 & UPID=$!
wait_for 5 eval '[ "$(readlink /proc/$UPID/ns/user)" != "$(readlink /proc/self/ns/user)" ]'
out=$(N attach --socket "$work/host.sock" rlu "$UPID" 2>&1)
like "... nor a process of its user namespace left in the host's mount namespace" "$out" \
    "not in a mount namespace of uid 65534's"
kill "$UPID"
"$devmgr" host attach --socket "$work/host.sock" rl-root "$P" >/dev/null 2>&1
out=$(N detach --socket "$work/host.sock" rl-root 2>&1)
like "... nor detach a container root attached" "$out" "rl-root was attached by uid 0"
"$devmgr" host detach --socket "$work/host.sock" rl-root >/dev/null 2>&1
wait_for 5 eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^rl-root '"
# Connections that never say anything hold the daemon for nothing: eight
# of nobody's (four wait, the rest are refused at once) while root asks
setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c '
import socket, sys, time
s = [socket.socket(socket.AF_UNIX) for _ in range(8)]
for c in s: c.connect(sys.argv[1])
print("held", flush=True); time.sleep(8)' "$work/host.sock" >"$work/silent.out" 2>&1 &
SPID=$!
wait_for 5 grep -q held "$work/silent.out"
out=$(timeout 3 "$devmgr" host list --socket "$work/host.sock" 2>&1)
like "root is answered while nobody holds eight silent connections" "$out" "^rl "

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
# users = taken out of host.conf and reloaded: the socket is root's again
is "the socket is open to all while a section names users" "$(stat -c %a "$work/host.sock")" 666
sed -i '/^users = /d' "$work/host.conf"
"$devmgr" host reload --socket "$work/host.sock" >/dev/null 2>&1
is "... reloaded without users =: root's alone (0600)" "$(stat -c %a "$work/host.sock")" 600
