#!/bin/bash
# engine-docker.t: devmgr in a real Docker container (Debian's docker.io),
# the way a user runs it: the image of docker/Dockerfile's final stage
# (tests/lib/engine.sh), "docker import"ed, entrypoint "devmgr -d && app",
# on Docker's default bridge network, with the README's flags:
#   --cap-add MKNOD --cap-add NET_ADMIN --device-cgroup-rule 'b 7:* rmw'
# The test starts its own dockerd (data, exec root, socket and pid file in
# its work directory) and on exit removes its containers and image, stops
# it, deletes docker0 and restores iptables as they were.
#   a  coldplug: a loop device present at start has its node, with the
#      image's group (loopers, which the host lacks) and mode; the shipped
#      rules apply with the shipped /etc/group (tty root:tty 0666), and
#      none of their lines is dropped; forbidden devices get no node
#   b  hot-plug: a loop device added on the host: node in the container
#      (latency measured), openable there; pyudev and udevadm monitor in
#      the container hear add with the node there and remove with it gone
#   c  a burst of 20 loop devices, added and removed
#   d  restart: a device added while the container was stopped is there
#      after the restart, and hot-plug works again
#   e  the messages: without MKNOD, without NET_ADMIN, without CHOWN, with
#      a terminal (-t: the engine's console is left alone quietly)
#   f  in a user namespace (a second dockerd with userns-remap): the
#      message names the remedy, and the remedy (--userns host) works
#   g  a userns-remapped container served from the host instead: devmgr
#      host attached by hand gives it a loop device's node and exactly
#      that device in its devices cgroup (it has no rule for loop devices)
#   h  the same, attached by itself: run with docker/runc-devmgr as its
#      runtime (daemon.json "runtimes", with runtimeArgs), which attaches
#      each container after "runc start"

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
tools=$top/build/tools
devmgr=$top/build/static/devmgr
exe=$devmgr
kpath=/sbin:/bin:/usr/sbin:/usr/bin

. "$lib/tap.sh" 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "docker, device cgroups, loop devices"
tap_workdir engine-docker
tap_small_etc
. "$lib/daemon.sh"
. "$lib/engine.sh"
engine_require dockerd docker iptables-save iptables-restore
if pgrep -x dockerd >/dev/null; then
	engine_bail "a dockerd runs already: this test starts its own (stop the other first)"
fi

dk=$work/docker
mkdir -p "$dk"
sock=unix://$dk/sock
d() { docker -H "$sock" "$@"; }
image=devmgr-engine-test:latest
names=()

docker_cleanup() {
	local c
	for c in "${names[@]}"; do d rm -f "$c" >/dev/null 2>&1; done
	d rmi -f "$image" >/dev/null 2>&1
	if [ -s "$dk/pid" ]; then
		kill -TERM "$(cat "$dk/pid")" 2>/dev/null
		wait_for 20 test ! -e "/proc/$(cat "$dk/pid")"
	fi
	kill -KILL "$DOCKERD" 2>/dev/null
	wait "$DOCKERD" 2>/dev/null
	ip link del docker0 2>/dev/null
	engine_restore_iptables
	# the cgroups dockerd made in each hierarchy, when there were none
	[ -n "$had_cgroups" ] || find /sys/fs/cgroup/*/docker -depth -type d -exec rmdir {} + 2>/dev/null
	# nothing mounted may stay under the work directory it deletes
	grep -F " $dk" /proc/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount -l
}
engine_extra_cleanup=docker_cleanup

engine_save_iptables
had_cgroups=$(ls -d /sys/fs/cgroup/*/docker 2>/dev/null)
dockerd --data-root "$dk/data" --exec-root "$dk/exec" --pidfile "$dk/pid" -H "$sock" \
    >"$dk/dockerd.log" 2>&1 &
DOCKERD=$!
wait_for 30 d info >/dev/null 2>&1 || engine_bail "dockerd did not start: $(tail -5 "$dk/dockerd.log")"

engine_rootfs "$work/rootfs"
engine_tar "$work/rootfs" "$work/rootfs.tar"
d import --change 'ENTRYPOINT ["/entry"]' "$work/rootfs.tar" "$image" >/dev/null ||
    engine_bail "docker import failed"

flags=(--cap-add MKNOD --cap-add NET_ADMIN --device-cgroup-rule 'b 7:* rmw'
       -v /usr:/usr:ro -v "$udevdir:/udev:ro")

# run NAME ARGS...: a container from the image, detached; sets ROOT (its
# root as seen from here) once it is ready, or returns 1
run() {
	local name=$1
	shift
	names+=("$name")
	d run -d --name "$name" "$@" "$image" -v >/dev/null || return 1
	started "$name"
}
started() {
	local pid
	wait_for 20 d exec "$1" test -e /ready || return 1
	pid=$(d inspect -f '{{.State.Pid}}' "$1") || return 1
	ROOT=/proc/$pid/root
}
logs() { d logs "$1" 2>&1; }

# ---- a: coldplug, the shipped rules and accounts, the policy --------------

A=$(loop_free 200)
loop_add "$A"
run dm "${flags[@]}" || engine_bail "the container did not get ready: $(logs dm | tail -5)"
engine_check_shipped "$A" logs dm
check "a: the buffer said as configured: 128 MiB" grep -q 'ready: uevent buffer 134217728 bytes' \
    <(logs dm)
check "a: the image has no /run: devmgr made /run/udev/data" test -d "$ROOT/run/udev/data"
check "a: ... and its record, /run/devmgr/dev.nodes" test -s "$ROOT/run/devmgr/dev.nodes"
engine_check_forbidden

# ---- b: hot-plug, with two libudev clients in the container ----------------

d exec -d dm sh -c '/usr/bin/python3 /pyudev-monitor >/pyudev.out 2>&1'
d exec -d dm sh -c '/udev/bin/udevadm monitor --udev --property >/udevadm.out 2>&1'
engine_check_hotplug docker $((A + 1)) d exec dm

# ---- c: a burst of 20 ------------------------------------------------------

engine_check_burst $((B + 1))

# ---- d: restart ------------------------------------------------------------

d stop -t 2 dm >/dev/null
C=$(loop_free $((LAST + 1)))
loop_add "$C"
d start dm >/dev/null
check "d: restarted container gets ready" started dm
is "d: loop$C, added while it was stopped: its node" \
    "$(node "$ROOT/dev/loop$C")" "block special file 7:$C 640 0 4321"
is "d: loop$A still there" "$(node "$ROOT/dev/loop$A")" "block special file 7:$A 640 0 4321"
D=$(loop_free $((C + 1)))
latency_ms "$ROOT" "$D"; ms=$MS
check "d: hot-plug after the restart (${ms} ms)" test "$ms" != timeout
d rm -f dm >/dev/null

# ---- e: what a user is told ------------------------------------------------

out=$(d run --rm --cap-drop MKNOD --cap-add NET_ADMIN --device-cgroup-rule 'b 7:* rmw' \
    "$image" 2>&1)
rc=$?
check "e: without MKNOD: devmgr -d fails (exit $rc)" test "$rc" != 0
check "e: ... and names the remedy: --cap-add MKNOD" grep -q -- '--cap-add MKNOD' <<<"$out"

run nonet --cap-add MKNOD --device-cgroup-rule 'b 7:* rmw' ||
    fail "e: without NET_ADMIN: the container gets ready"
E=$(loop_free $((D + 1)))
loop_add "$E"
check "e: without NET_ADMIN: the node is made all the same" wait_for 5 test -b "$ROOT/dev/loop$E"
check "e: ... and the log names the remedy: --cap-add NET_ADMIN" \
    wait_for 5 eval "d logs nonet 2>&1 | grep -q -- '--cap-add NET_ADMIN'"
d rm -f nonet >/dev/null

run nochown "${flags[@]}" --cap-drop CHOWN ||
    fail "e: without CHOWN: the container gets ready"
check "e: without CHOWN: the log names the remedy: --cap-add CHOWN" \
    grep -q -- '--cap-add CHOWN' <(logs nochown)
is "e: ... once" "$(logs nochown | grep -c -- '--cap-add CHOWN')" 1
d rm -f nochown >/dev/null

run tty -t "${flags[@]}" || fail "e: with -t: the container gets ready"
check "e: with -t: /dev/console is the engine's pty, left alone" \
    test "$(stat -c %t "$ROOT/dev/console")" != 5
is "e: ... quietly" "$(logs tty | grep -i console)" ""
d rm -f tty >/dev/null

# ---- f: Docker with userns-remap ---------------------------------------------
# A second dockerd remapping users, in a private mount namespace where
# copies of /etc/passwd, /etc/group, /etc/subuid and /etc/subgid with a
# "dmremap" user are mounted over the host's (which stay untouched); no
# bridge and no iptables rules, so it cannot disturb the first.

un=$work/docker-userns
mkdir -p "$un"
# the remapped root must be able to pass through to its data root
chmod 0711 "$work" "$un"
cp /etc/passwd /etc/group "$un/"
echo 'dmremap:x:2999:2999::/:/bin/false' >>"$un/passwd"
echo 'dmremap:x:2999:' >>"$un/group"
echo 'dmremap:200000:65536' >"$un/subuid"
cp "$un/subuid" "$un/subgid"
for f in subuid subgid; do
	[ -e "/etc/$f" ] || engine_bail "/etc/$f is missing (Debian's passwd package has it)"
done
usock=unix://$un/sock
u() { docker -H "$usock" "$@"; }
userns_cleanup() {
	local c
	for c in userns userns-host served wrapped; do u rm -f "$c" >/dev/null 2>&1; done
	u rmi -f "$image" >/dev/null 2>&1
	if [ -s "$un/pid" ]; then
		kill -TERM "$(cat "$un/pid")" 2>/dev/null
		wait_for 20 test ! -e "/proc/$(cat "$un/pid")"
	fi
	kill -KILL "$UDOCKERD" 2>/dev/null
	wait "$UDOCKERD" 2>/dev/null
	docker_cleanup
}
engine_extra_cleanup=userns_cleanup
# (h: devmgr's runtime wrapper, with the arguments Docker passes it first)
cat >"$un/daemon.json" <<JSON
{"runtimes": {"runc-devmgr": {"path": "$top/docker/runc-devmgr",
  "runtimeArgs": ["--devmgr-socket=$work/host.sock", "--devmgr=$devmgr",
                  "--devmgr-log=$work/runc-devmgr.log"]}}}
JSON
unshare -m --propagation private sh -c '
	for f in passwd group subuid subgid; do mount --bind "$1/$f" "/etc/$f" || exit 1; done
	exec dockerd --userns-remap=dmremap --bridge none --iptables=false \
	    --config-file "$1/daemon.json" \
	    --data-root "$1/data" --exec-root "$1/exec" --pidfile "$1/pid" -H "$2"' \
    sh "$un" "$usock" >"$un/dockerd.log" 2>&1 &
UDOCKERD=$!
wait_for 30 u info >/dev/null 2>&1 || engine_bail "dockerd --userns-remap did not start: $(tail -5 "$un/dockerd.log")"
u import --change 'ENTRYPOINT ["/entry"]' "$work/rootfs.tar" "$image" >/dev/null ||
    engine_bail "docker import (userns-remap) failed"
out=$(u run --name userns --network none --cap-add MKNOD --cap-add NET_ADMIN "$image" 2>&1)
rc=$?
check "f: userns-remap: devmgr -d fails (exit $rc)" test "$rc" != 0
check "f: ... and says why: a user namespace other than the host's" \
    grep -q 'belongs to a user namespace other than the host' <<<"$out"
check "f: ... and names the remedy: --userns host" grep -q -- '--userns host' <<<"$out"
u run -d --name userns-host --userns host --network none --cap-add MKNOD --cap-add NET_ADMIN \
    --device-cgroup-rule 'b 7:* rmw' "$image" >/dev/null
check "f: the remedy works: with --userns host the container gets ready" \
    wait_for 20 u exec userns-host test -e /ready

# ---- g: userns-remap served from the host ----------------------------------------
# devmgr host gives a userns-remapped container (no device cgroup rule
# for loop devices) exactly the loop device added: its node, and the
# entry in its devices cgroup

printf '[host]\nsocket = %s\n[container served]\ndevice = b 7:*\n[container *]\ndevice = b 7:*\n' \
    "$work/host.sock" >"$work/host.conf"
"$devmgr" host --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
others+=("$!")
wait_for 5 test -s "$work/host.ready"
u run -d --name served --network none --entrypoint /bin/sleep "$image" 1000 >/dev/null
SPID=$(u inspect -f '{{.State.Pid}}' served 2>/dev/null)
"$devmgr" host attach --socket "$work/host.sock" served "$SPID" >"$work/served.out" 2>&1
is "g: a userns-remapped container attached to devmgr host by hand" "$?" 0
served_loop g "$SPID" 280 u exec served
u rm -f served >/dev/null 2>&1
check "g: docker rm: detached (its init's exit)" \
    wait_for 5 eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^served '"

# ---- h: the runtime wrapper attaches it -------------------------------------
u run -d --runtime runc-devmgr --name wrapped --network none --entrypoint /bin/sleep \
    "$image" 1000 >"$work/wrapped.out" 2>&1
is "h: docker run --runtime runc-devmgr (userns-remap)" "$?" 0
WID=$(u inspect -f '{{.Id}}' wrapped 2>/dev/null)
WPID=$(u inspect -f '{{.State.Pid}}' wrapped 2>/dev/null)
check "h: attached by the wrapper after runc start, under its id" \
    wait_for 5 eval "'$devmgr' host list --socket '$work/host.sock' | grep -q '^$WID '"
[ -s "$work/runc-devmgr.log" ] && diag <"$work/runc-devmgr.log"
served_loop h "$WPID" 290 u exec wrapped
u rm -f wrapped >/dev/null 2>&1
check "h: docker rm: detached" \
    wait_for 5 eval "! '$devmgr' host list --socket '$work/host.sock' | grep -q '^$WID '"

echo "1..$n"
