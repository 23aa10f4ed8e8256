#!/bin/bash
# engine-podman.t: devmgr in a real rootful Podman container (Debian's
# podman, with runc: crun refuses this cgroup v1 host's hybrid layout),
# the way a user runs it: the image of docker/Dockerfile's final stage
# (tests/lib/engine.sh), "podman import"ed, entrypoint "devmgr -d && app",
# on podman's default bridge network (netavark), with the README's flags:
#   --cap-add MKNOD --cap-add NET_ADMIN --device-cgroup-rule 'b 7:* rmw'
# (and --ulimit nofile/nproc: root here may not raise its hard limits to
# podman's defaults).
#
# Podman keeps its storage, run state, libpod state, locks, events and
# network config in the work directory (--root, --runroot, --tmpdir,
# --network-config-dir, lock_type = "file"). Rootful podman 4.3 still
# writes some things to fixed host paths whatever it is told: the netns
# bind mounts in /run/netns (and a shared mount there), netavark's IPAM
# database in /run/containers/networks, the runtime's state in /run/runc,
# the image blob cache in /var/lib/containers/cache. So the test runs in
# a private mount namespace of its own, with empty tmpfs over /run,
# /var/lib and /var/tmp and copies of /etc/containers and /etc/cni bound
# over the originals: whatever podman, conmon and runc write there goes
# away with the namespace. What it does to the host outside the
# filesystem is undone on exit, also when failing midway: its containers
# and image are removed, the podman0 bridge deleted, iptables restored
# (tests/lib/engine.sh), net.ipv4.ip_forward set back, the cgroups it made
# (libpod_parent/...) removed, everything under the work directory
# unmounted, the loop devices removed.
#   a  coldplug: a loop device present at start has its node, with the
#      image's group (loopers, which the host lacks) and mode, though
#      podman masks /sys/dev/block (devmgr says so, and finds them through
#      /sys/class/block); the shipped rules apply with the shipped
#      /etc/group (tty root:tty 0666), and none of their lines is dropped;
#      forbidden devices get no node
#   b  hot-plug: a loop device added on the host: node in the container
#      (latency measured), openable there; pyudev and udevadm monitor in
#      the container hear add with the node there and remove with it gone
#   c  a burst of 20 loop devices, added and removed
#   d  restart: a device added while the container was stopped is there
#      after the restart, and hot-plug works again
#   e  the messages: without MKNOD, without NET_ADMIN, without CHOWN, in a
#      user namespace (--uidmap: with podman's network namespace, and with
#      the host's), with a terminal (-t: the engine's console is left
#      alone quietly)
#   f  --uidmap served from the host: devmgr host, the container attached
#      by devmgr's hook in --hooks-dir (annotation devmgr.name): a loop
#      device's node appears, the container reads it (devmgr host allows
#      exactly that device in its v1 devices cgroup: podman 4.3 drops
#      --device-cgroup-rule under --uidmap), it goes with its entry;
#      podman rm detaches it

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
tools=$top/build/tools
devmgr=$top/build/static/devmgr
exe=$devmgr
kpath=/sbin:/bin:/usr/sbin:/usr/bin

. "$lib/tap.sh" 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "podman, device cgroups, loop devices"

# Into a private mount namespace (see above), once.
if [ "${DEVMGR_PODMAN_NS:-}" != 1 ]; then
	command -v unshare >/dev/null || { echo "Bail out! unshare is not installed"; exit 1; }
	DEVMGR_PODMAN_NS=1 exec unshare -m --propagation private -- "$BASH" "$0" "$@"
	echo "Bail out! cannot enter a private mount namespace"
	exit 1
fi

tap_workdir engine-podman
tap_small_etc
. "$lib/daemon.sh"
. "$lib/engine.sh"
engine_require podman runc conmon unshare ip iptables-save iptables-restore
[ -x /usr/lib/podman/netavark ] || engine_bail "netavark is not installed (make deps installs it)"
[ -d /etc/containers ] || engine_bail "no /etc/containers (podman's configuration)"

P=$work/podman	# the path stays short: podman refuses a runroot over 50 characters
mkdir -p "$P"/{etc-containers,etc-cni,net,tmp,libpod,root,run}
image=localhost/devmgr-podman-test:latest
names=()
mntns=$(readlink /proc/$$/ns/mnt)
fwd=$(cat /proc/sys/net/ipv4/ip_forward)
cgparents=()	# libpod_parent cgroups that did not exist before
for c in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[ -e "$c/cgroup.procs" ] && [ ! -e "$c/libpod_parent" ] && cgparents+=("${c%/}/libpod_parent")
done

p() {
	TMPDIR=$P/tmp podman --root "$P/root" --runroot "$P/run" --tmpdir "$P/libpod" \
	    --cgroup-manager cgroupfs --events-backend file --runtime runc \
	    --network-backend netavark --network-config-dir "$P/net" "$@"
}

# rmdir_tree DIR: DIR and the directories under it, deepest first (a
# cgroup directory goes once it has no processes)
rmdir_tree() {
	[ -d "$1" ] || return 0
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
}

podman_cleanup() {
	local c pid
	for c in "${names[@]}"; do p rm -f -t 0 "$c" >/dev/null 2>&1; done
	p rm -a -f -t 0 >/dev/null 2>&1
	p rmi -f "$image" >/dev/null 2>&1
	# a conmon left behind would keep this namespace, and its mounts, alive:
	# ours are those in this mount namespace (runc's state here is ours too)
	for pid in $(pgrep -x conmon); do
		[ "$(readlink "/proc/$pid/ns/mnt")" = "$mntns" ] && kill -KILL "$pid" 2>/dev/null
	done
	for c in $(runc list -q 2>/dev/null); do runc delete -f "$c" >/dev/null 2>&1; done
	ip link del podman0 2>/dev/null
	engine_restore_iptables
	echo "$fwd" >/proc/sys/net/ipv4/ip_forward
	for c in "${cgparents[@]}"; do rmdir_tree "$c"; done
	# nothing mounted may stay under the work directory it deletes
	grep -F " $work" /proc/self/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount -l
}
engine_extra_cleanup=podman_cleanup

# podman's configuration, all of it here: the copies go over the host's
cp -a /etc/containers/. "$P/etc-containers/" || engine_bail "cannot copy /etc/containers"
cat >"$P/etc-containers/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"

[network]
network_backend = "netavark"
network_config_dir = "$P/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "$P/libpod"
lock_type = "file"
EOF
cat >"$P/etc-containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$P/root"
runroot = "$P/run"
EOF
[ -d /etc/cni ] && cp -a /etc/cni/. "$P/etc-cni/"
mount --bind "$P/etc-containers" /etc/containers || engine_bail "cannot bind over /etc/containers"
if [ -d /etc/cni ]; then
	mount --bind "$P/etc-cni" /etc/cni || engine_bail "cannot bind over /etc/cni"
fi
for d in /run /var/lib /var/tmp; do
	mount -t tmpfs -o mode=0755 devmgr-podman-test "$d" || engine_bail "cannot mount a tmpfs on $d"
done
chmod 1777 /var/tmp

engine_save_iptables
p info >"$P/info.log" 2>&1 || engine_bail "podman info failed: $(tail -5 "$P/info.log")"

engine_rootfs "$work/rootfs"
engine_tar "$work/rootfs" "$work/rootfs.tar"
p import --change 'ENTRYPOINT ["/entry"]' "$work/rootfs.tar" "$image" >"$P/import.log" 2>&1 ||
    engine_bail "podman import failed: $(tail -3 "$P/import.log")"

base=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
flags=(--cap-add MKNOD --cap-add NET_ADMIN --device-cgroup-rule 'b 7:* rmw'
       -v /usr:/usr:ro -v "$udevdir:/udev:ro")

# run NAME ARGS...: a container from the image, detached, devmgr -v; sets
# ROOT (its root as seen from here) once it is ready, or returns 1
run() {
	local name=$1
	shift
	names+=("$name")
	p run -d --name "$name" "${base[@]}" "$@" "$image" -v >/dev/null 2>"$work/$name.err" ||
	    { diag <"$work/$name.err"; return 1; }
	started "$name"
}
started() {
	local pid
	wait_for 20 p exec "$1" test -e /ready || return 1
	pid=$(p inspect -f '{{.State.Pid}}' "$1") || return 1
	ROOT=/proc/$pid/root
}
logs() { p logs "$1" 2>&1; }

# ---- a: coldplug, the shipped rules and accounts, the policy --------------

A=$(loop_free 300)
loop_add "$A"
run dm "${flags[@]}" || engine_bail "the container did not get ready: $(logs dm | tail -5)"
dmlog=$(logs dm)	# its coldplug, for e's -t
engine_check_shipped "$A" logs dm
check "a: podman masks /sys/dev/block: devmgr says so and looks in /sys/class/block" \
    grep -qE 'dev/block is (empty|unreadable) \(masked by the container engine\?\)' <(logs dm)
check "a: the buffer said as configured: 128 MiB" grep -q 'ready: uevent buffer 134217728 bytes' \
    <(logs dm)
engine_check_forbidden

# ---- b: hot-plug, with two libudev clients in the container ----------------

p exec -d dm sh -c '/usr/bin/python3 /pyudev-monitor >/pyudev.out 2>&1' >/dev/null
p exec -d dm sh -c '/udev/bin/udevadm monitor --udev --property >/udevadm.out 2>&1' >/dev/null
engine_check_hotplug podman $((A + 1)) p exec dm

# ---- c: a burst of 20 ------------------------------------------------------

engine_check_burst $((B + 1))

# ---- d: restart ------------------------------------------------------------

# /ready is in the container's own root, which a restart keeps: remove it,
# so that "ready" means this start's devmgr -d returned
p exec dm rm -f /ready
p stop -t 2 dm >/dev/null 2>&1	# sleep, pid 1, ignores SIGTERM: SIGKILL after 2 s
check "d: the container stopped" test "$(p inspect -f '{{.State.Running}}' dm)" = false
C=$(loop_free $((LAST + 1)))
loop_add "$C"
p start dm >/dev/null
check "d: restarted container gets ready" started dm
is "d: loop$C, added while it was stopped: its node" \
    "$(node "$ROOT/dev/loop$C")" "block special file 7:$C 640 0 4321"
is "d: loop$A still there" "$(node "$ROOT/dev/loop$A")" "block special file 7:$A 640 0 4321"
D=$(loop_free $((C + 1)))
latency_ms "$ROOT" "$D"; ms=$MS
check "d: hot-plug after the restart (${ms} ms)" test "$ms" != timeout
echo "# podman: hot-plug latency after the restart ${ms} ms"
p rm -f -t 0 dm >/dev/null

# ---- e: what a user is told ------------------------------------------------

out=$(p run --rm "${base[@]}" --cap-drop MKNOD --cap-add NET_ADMIN \
    --device-cgroup-rule 'b 7:* rmw' "$image" 2>&1)
rc=$?
check "e: without MKNOD: devmgr -d fails (exit $rc)" test "$rc" != 0
check "e: ... and names the remedy: --cap-add MKNOD" grep -q -- '--cap-add MKNOD' <<<"$out"
[ "$rc" != 0 ] || printf '%s\n' "$out" | diag

E=$(loop_free $((D + 1)))
if run nonet --cap-add MKNOD --device-cgroup-rule 'b 7:* rmw'; then
	pass "e: without NET_ADMIN: the container gets ready"
	loop_add "$E"
	check "e: without NET_ADMIN: the node is made all the same" wait_for 5 test -b "$ROOT/dev/loop$E"
	check "e: ... and the log names the remedy: --cap-add NET_ADMIN" \
	    wait_for 5 eval "p logs nonet 2>&1 | grep -q -- '--cap-add NET_ADMIN'"
else
	fail "e: without NET_ADMIN: the container gets ready"
	logs nonet | diag
fi
p rm -f -t 0 nonet >/dev/null

if run nochown "${flags[@]}" --cap-drop CHOWN; then
	pass "e: without CHOWN: the container gets ready"
	check "e: without CHOWN: the log names the remedy: --cap-add CHOWN" \
	    grep -q -- '--cap-add CHOWN' <(logs nochown)
	is "e: ... once" "$(logs nochown | grep -c -- '--cap-add CHOWN')" 1
else
	fail "e: without CHOWN: the container gets ready"
	logs nochown | diag
fi
p rm -f -t 0 nochown >/dev/null

# --uidmap alone: podman gives the container a network namespace that its
# user namespace owns: no uevents there
out=$(p run --rm "${base[@]}" --uidmap 0:100000:65536 --cap-add MKNOD --cap-add NET_ADMIN \
    --device-cgroup-rule 'b 7:* rmw' "$image" 2>&1)
rc=$?
check "e: --uidmap: devmgr -d fails (exit $rc)" test "$rc" != 0
check "e: ... and names the remedy: --userns host" grep -q -- '--userns host' <<<"$out"
[ "$rc" != 0 ] && grep -q -- '--userns host' <<<"$out" || printf '%s\n' "$out" | diag

# --uidmap with the host's network: uevents come, but no node can be made
out=$(p run --rm "${base[@]}" --uidmap 0:100000:65536 --network host --cap-add MKNOD \
    --cap-add NET_ADMIN --device-cgroup-rule 'b 7:* rmw' "$image" 2>&1)
rc=$?
check "e: --uidmap --network host: devmgr -d fails (exit $rc)" test "$rc" != 0
check "e: ... and says why: the user namespace" grep -q 'user namespace' <<<"$out"
check "e: ... and names the remedy: --userns host" grep -q -- '--userns host' <<<"$out"
check "e: ... and does not blame CAP_MKNOD" eval '! grep -q -e CAP_MKNOD -e "--cap-add MKNOD" <<<"$out"'
[ "$rc" != 0 ] && grep -q -- '--userns host' <<<"$out" || printf '%s\n' "$out" | diag

if run tty -t "${flags[@]}"; then
	pass "e: with -t: the container gets ready"
	check "e: with -t: /dev/console is the engine's pty, left alone" \
	    test "$(stat -c %t "$ROOT/dev/console")" != 5
	# podman's device cgroup has no c 5:1: with -v, devmgr's policy report
	# names console (the first of major 5 it left alone) in every podman
	# container, with a terminal or not; -t must add nothing to that (the
	# log of a container with a terminal has CR LF line ends)
	ttylog=$(logs tty | tr -d '\r')
	is "e: ... quietly: no line about the console but -v's policy report, as without -t" \
	    "$(grep -i console <<<"$ttylog")" "$(grep -i console <<<"$dmlog")"
	is "e: ... and that report is the policy's, not a complaint" \
	    "$(grep -i console <<<"$ttylog" | grep -v ': left alone; ')" ""
else
	fail "e: with -t: the container gets ready"
	logs tty | diag
fi
p rm -f -t 0 tty >/dev/null

# ---- f: --uidmap, served from the host ---------------------------------------
# devmgr host on the host, the container attached by podman's hooks.d
# (poststart and poststop, for containers annotated devmgr.name)
mkdir -p "$work/hooks.d"
cat >"$work/hooks.d/devmgr.json" <<EOF
{"version": "1.0.0",
 "hook": {"path": "$exe", "args": ["devmgr", "host", "hook", "--socket", "$work/host.sock"]},
 "when": {"annotations": {"devmgr.name": ".+"}},
 "stages": ["poststart", "poststop"]}
EOF
printf '[host]\nsocket = %s\n[container pu]\ndevice = b 7:*\n' "$work/host.sock" >"$work/host.conf"
"$devmgr" host --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
hostd=$!
others+=("$hostd")
wait_for 5 test -s "$work/host.ready"
names+=(pu)
if p run -d --name pu "${base[@]}" --uidmap 0:100000:65536 --device-cgroup-rule 'b 7:* rmw' \
    --hooks-dir "$work/hooks.d" --annotation devmgr.name=pu --entrypoint /bin/sleep \
    "$image" 1000 >/dev/null 2>"$work/pu.err"; then
	pass "f: --uidmap with devmgr's hook in --hooks-dir: the container runs"
else
	fail "f: --uidmap with devmgr's hook in --hooks-dir: the container runs"
	diag <"$work/pu.err"
fi
PU=$(p inspect -f '{{.State.Pid}}' pu 2>/dev/null)
check "f: ... the hook attached it" grep -q "^pu pid=$PU userns=own" \
    <("$devmgr" host list --socket "$work/host.sock")
# podman 4.3 drops --device-cgroup-rule under --uidmap (the devices
# cgroup lists no b 7:*): devmgr host allows exactly the device given in
# the container's v1 devices cgroup, and the container reads it
served_loop f "$PU" 250 p exec pu
p rm -f -t 0 pu >/dev/null 2>&1
wait_for 5 eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^pu '"
check "f: podman rm: detached (poststop, or its init's exit)" \
    eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^pu '"
kill "$hostd"
wait "$hostd"
is "f: devmgr host stops cleanly" $? 0

echo "1..$n"
