# engine.sh: sourced by the tests that run devmgr under a real container
# engine (engine-docker.t, engine-podman.t, engine-lxc.t), after tap.sh
# and daemon.sh (loop devices, wait_for, cleanup), with $top, $work and
# $tools set.
#
# The image is the final stage of docker/Dockerfile, as far as it can be
# built without a registry: its COPY lines are carried out by this script
# (--from=build is the static devmgr, built as that stage builds it), then
# for the tests Debian's static busybox (/bin), an empty /usr and lib
# links for the host's /usr mounted read-only (python3 and pyudev) and
# /udev for the unpacked udevadm, an /etc/group line for a group only the
# image knows (loopers, 4321) and one rule line giving it the loop devices,
# ahead of the shipped rules:
#   loop[0-9]+  root:loopers 0640
#
# engine_rootfs DIR      build that root in DIR
# engine_tar DIR FILE    pack it for "docker import" / "podman import"
# engine_extra_cleanup   set to a function: run first by the EXIT trap
# latency_ms ROOT N      add loop N; MS = ms until ROOT/dev/loopN is a node
# engine_pyudev_script   path of a pyudev monitor for the container
#                        (prints "ACTION DEVNAME node=yes|no" per event)
# engine_check_shipped, engine_check_forbidden, engine_check_hotplug,
# engine_check_burst     the checks every engine test makes

static=$top/build/static/devmgr
busybox=$(command -v busybox)
udevdir=$top/.deps/udev
engine_extra_cleanup=

engine_bail() { echo "Bail out! $*"; exit 1; }

# The engines are part of what CI runs: a missing one is a failure.
engine_require() {
	local t
	for t; do
		command -v "$t" >/dev/null || engine_bail "$t is not installed (make deps installs it)"
	done
	[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 ||
	    engine_bail "no static busybox (make deps installs busybox-static)"
	[ -x "$udevdir/bin/udevadm" ] || engine_bail "no $udevdir/bin/udevadm (make deps)"
	/usr/bin/python3 -c 'import pyudev' 2>/dev/null ||
	    engine_bail "python3-pyudev is not installed (make deps installs it)"
	[ -c /dev/loop-control ] || engine_bail "no /dev/loop-control"
	make -s -C "$top" STATIC=1 BUILD=build/static BIN=build/static/devmgr \
	    >"$work/make.log" 2>&1 || engine_bail "the static build failed: $(tail -3 "$work/make.log")"
	make -s -C "$top" tools >>"$work/make.log" 2>&1 || engine_bail "make tools failed"
}

engine_rootfs() {
	local root=$1 src dst a
	# no /run: the final stage has none, and devmgr must make what it needs
	mkdir -p "$root"/{bin,usr,udev,dev,proc,sys}
	# the final stage's COPY lines
	awk '/^FROM /{ last = NR } { line[NR] = $0 } END {
		for (i = last; i in line; i++) if (line[i] ~ /^COPY /) print line[i] }' \
	    "$top/docker/Dockerfile" >"$work/final-copies"
	while read -r _ a src dst; do
		if [ "${a#--from=}" != "$a" ]; then
			[ "$src" = /src/devmgr ] || engine_bail "unknown COPY $a $src"
			install -D -m 0755 "$static" "$root$dst"
		else
			dst=$src src=$a
			install -D -m 0644 "$top/$src" "$root$dst"
		fi
	done <"$work/final-copies"
	[ -x "$root/sbin/devmgr" ] && [ -s "$root/etc/mdev.conf" ] ||
	    engine_bail "docker/Dockerfile's final stage has no /sbin/devmgr or /etc/mdev.conf"
	cp "$busybox" "$root/bin/busybox"
	for a in sh cat ls stat sleep touch test grep kill ln mkdir rm readlink echo head \
	    wc find sort tr date true; do
		ln -s busybox "$root/bin/$a"
	done
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	echo 'loopers:x:4321:' >>"$root/etc/group"
	{ printf 'loop[0-9]+\troot:loopers\t0640\n'; cat "$root/etc/mdev.conf"; } >"$work/mdev.conf"
	cp "$work/mdev.conf" "$root/etc/mdev.conf"
	cp "$(engine_pyudev_script)" "$root/pyudev-monitor"
	# devmgr -d returns once ready; the app then marks the container ready
	cat >"$root/entry" <<-'EOF'
	#!/bin/sh
	rm -f /ready
	devmgr -d "$@" && touch /ready && exec sleep 100000
	EOF
	chmod 0755 "$root/entry"
}

engine_tar() {
	tar -C "$1" --numeric-owner -cf "$2" .
}

engine_pyudev_script() {
	local f=$work/pyudev-monitor.py
	if [ ! -e "$f" ]; then
		cat >"$f" <<-'EOF'
		#!/usr/bin/python3
		# Prints each udev event for block devices as a client would see
		# it, and whether its node existed when the event arrived.
		import os, sys, pyudev
		ctx = pyudev.Context()
		mon = pyudev.Monitor.from_netlink(ctx, source='udev')
		mon.filter_by('block')
		mon.start()
		print('listening', flush=True)
		for dev in iter(mon.poll, None):
		    node = dev.device_node or ''
		    print(dev.action, node, 'node=' + ('yes' if node and os.path.exists(node) else 'no'),
		          flush=True)
		EOF
	fi
	echo "$f"
}

# latency_ms ROOT N: adds loop N and sets MS to the milliseconds until
# ROOT/dev/loopN is a block node (polled every millisecond), or "timeout".
# Not for $(...): loop_add must record N where cleanup sees it.
latency_ms() {
	local root=$1 k=$2 t0 t1 i=0
	t0=$(date +%s%N)
	loop_add "$k"
	until [ -b "$root/dev/loop$k" ]; do
		i=$((i + 1))
		[ "$i" -lt 5000 ] || { MS=timeout; return 1; }
		sleep 0.001
	done
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

# served_loop LABEL PID FROM EXEC...: a loop device (the first free from
# FROM) added on the host reaches a container that devmgr host serves
# (its init PID): its node, which the container reads (EXEC...: the
# engine's exec and the container's name) through exactly b 7:N rw in its
# devices cgroup; removed, node and entry go. Three checks.
served_loop() {
	local label=$1 pid=$2 k
	k=$(loop_free "$3")
	shift 3
	latency_ms "/proc/$pid/root" "$k"
	check "$label: loop$k added on the host: its node in the container ($MS ms)" \
	    test -b "/proc/$pid/root/dev/loop$k"
	"$@" head -c 512 "/dev/loop$k" >/dev/null 2>"$work/served.head"
	is "$label: ... the container reads it through exactly b 7:$k rw" \
	    "$?:$(cat "$work/served.head"):$(loop_entries "$pid" "$k")" "0::1:1:0"
	loop_del "$k"
	wait_for 5 absent "/proc/$pid/root/dev/loop$k"
	is "$label: removed: node and entry gone" \
	    "$([ -e "/proc/$pid/root/dev/loop$k" ] && echo node):$(loop_entries "$pid" "$k")" ":0:0:0"
}

# loop_entries PID K: of the devices.list of process PID's cgroup v1
# devices cgroup, "E:N:W": E lines that are exactly "b 7:K rw", N for
# loop K with any access, W that give every loop device ("b 7:* ...").
# devmgr host's exact grant is 1:1:0, and 0:0:0 once taken back.
loop_entries() {
	local list
	list=/sys/fs/cgroup/devices$(sed -n 's/^[0-9]*:devices://p' "/proc/$1/cgroup")/devices.list
	echo "$(grep -cx "b 7:$2 rw" "$list"):$(grep -c "^b 7:$2 " "$list"):$(grep -c '^b 7:\*' "$list")"
}

# engine_check_shipped A LOGS...: check a's part common to every engine,
# once the container started with loop A present is ready: A's node with
# the image's group, the shipped rules with the shipped accounts, no
# rule line dropped. LOGS... prints the container's log.
engine_check_shipped() {
	local a=$1
	shift
	is "a: loop$a, there at start: root:loopers 0640 (a group only the image knows)" \
	    "$(node "$ROOT/dev/loop$a")" "block special file 7:$a 640 0 4321"
	is "a: /dev/tty by the shipped rules and /etc/group: root:tty 0666" \
	    "$(node "$ROOT/dev/tty")" "character special file 5:0 666 0 5"
	is "a: /dev/null root:root 0666" "$(node "$ROOT/dev/null")" \
	    "character special file 1:3 666 0 0"
	is "a: no rule line dropped, no complaint" \
	    "$("$@" | grep -E 'line ignored|unknown (user|group)|cannot' | head -3)" ""
}

# engine_check_forbidden: with the README's flags the device cgroup allows
# loop devices and the engine's defaults: another block device, /dev/mem
# and /dev/kmsg get no node
engine_check_forbidden() {
	local e forbidden=
	for e in /sys/dev/block/*; do
		case $(cat "$e/uevent") in *DEVNAME=loop*) continue ;; esac
		forbidden=$(sed -n 's/^DEVNAME=//p' "$e/uevent")
		break
	done
	[ -n "$forbidden" ] || engine_bail "no block device other than loop devices on this host"
	is "a: a block device the cgroup forbids ($forbidden): no node" \
	    "$(node "$ROOT/dev/$forbidden")" absent
	is "a: /dev/mem (forbidden): no node" "$(node "$ROOT/dev/mem")" absent
	is "a: /dev/kmsg (forbidden): no node" "$(node "$ROOT/dev/kmsg")" absent
}

# engine_check_hotplug ENGINE FIRST INSIDE...: check b of every engine
# test, once the test has started /pyudev-monitor (to /pyudev.out) and
# "udevadm monitor --udev --property" (to /udevadm.out) in the container.
# INSIDE... runs a command there ("d exec dm"); ROOT is its root as seen
# from here. Loop B (the first free number from FIRST) is added and
# removed: its node, its owner and mode, that the container can open it,
# what both clients heard. Sets B.
engine_check_hotplug() {
	local engine=$1 first=$2
	shift 2
	check "b: pyudev listens in the container" wait_for 10 grep -qs listening "$ROOT/pyudev.out"
	check "b: udevadm monitor listens in the container" \
	    wait_for 10 grep -qs 'UDEV - the event' "$ROOT/udevadm.out"
	B=$(loop_free "$first")
	latency_ms "$ROOT" "$B"
	check "b: hot-added loop$B appears in the container ($MS ms)" test "$MS" != timeout
	echo "# $engine: hot-plug latency $MS ms"
	is "b: ... root:loopers 0640" "$(node "$ROOT/dev/loop$B")" "block special file 7:$B 640 0 4321"
	check "b: ... and the container can open it" "$@" sh -c "exec 3</dev/loop$B"
	check "b: pyudev heard add with the node there" \
	    wait_for 5 grep -qx "add /dev/loop$B node=yes" "$ROOT/pyudev.out"
	check "b: udevadm heard add" \
	    wait_for 5 grep -q "^UDEV .* add .*/loop$B (block)" "$ROOT/udevadm.out"
	check "b: ... with DEVNAME=/dev/loop$B" grep -qx "DEVNAME=/dev/loop$B" "$ROOT/udevadm.out"
	loop_del "$B"
	check "b: removed: the node goes" wait_for 5 absent "$ROOT/dev/loop$B"
	check "b: pyudev heard remove with the node gone" \
	    wait_for 5 grep -qx "remove /dev/loop$B node=no" "$ROOT/pyudev.out"
	check "b: udevadm heard remove" \
	    wait_for 5 grep -q "^UDEV .* remove .*/loop$B (block)" "$ROOT/udevadm.out"
}

# engine_check_burst FIRST: check c: 20 loop devices (free numbers from
# FIRST) added at once, then removed; the pyudev monitor of check b hears
# each. Sets LAST, the highest number used.
engine_check_burst() {
	local k i burst=() bad= adds removes
	k=$1
	for i in $(seq 20); do k=$(loop_free "$k"); burst+=("$k"); k=$((k + 1)); done
	LAST=$((k - 1))
	adds=$(grep -c "^add /dev/loop.* node=yes" "$ROOT/pyudev.out")
	removes=$(grep -c "^remove /dev/loop.* node=no" "$ROOT/pyudev.out")
	for k in "${burst[@]}"; do loop_add "$k"; done
	check "c: 20 loop devices added at once: 20 nodes" wait_for 10 all_nodes b "${burst[@]}"
	for k in "${burst[@]}"; do
		[ "$(node "$ROOT/dev/loop$k")" = "block special file 7:$k 640 0 4321" ] ||
		    bad="$bad loop$k"
	done
	is "c: ... each root:loopers 0640" "$bad" ""
	check "c: pyudev heard the 20 adds, each with its node there" \
	    wait_for 10 at_least $((adds + 20)) "^add /dev/loop.* node=yes"
	for k in "${burst[@]}"; do loop_del "$k"; done
	check "c: removed: the 20 nodes go" wait_for 10 all_nodes gone "${burst[@]}"
	check "c: pyudev heard the 20 removes, each with its node gone" \
	    wait_for 10 at_least $((removes + 20)) "^remove /dev/loop.* node=no"
}
# all_nodes b|gone N...: every ROOT/dev/loopN is a block node, or absent
all_nodes() {
	local want=$1 k
	shift
	for k; do
		if [ "$want" = b ]; then [ -b "$ROOT/dev/loop$k" ] || return 1
		else absent "$ROOT/dev/loop$k" || return 1; fi
	done
}
# at_least COUNT PATTERN: the pyudev monitor printed COUNT such lines
at_least() { [ "$(grep -c "$2" "$ROOT/pyudev.out")" -ge "$1" ]; }

# iptables as they were before the engine added its chains and rules,
# restored on exit: each table is flushed and its own chains deleted, then
# what was there is put back; a table that did not exist is deleted again
# (iptables-nft: it is an nft table), so that a clean host stays clean.
engine_save_iptables() {
	local t
	for t in filter nat; do
		iptables-save -t "$t" 2>/dev/null | grep -v '^#' >"$work/iptables.$t"
		rm -f "$work/iptables.$t.new"
		# (iptables-save -t prints a table's built-in chains even when
		# there is no table; a whole save lists the tables there are)
		iptables-save 2>/dev/null | grep -qx "\*$t" || : >"$work/iptables.$t.new"
		[ -s "$work/iptables.$t" ] && continue
		case $t in
		filter) printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n' ;;
		nat) printf '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n' ;;
		esac >"$work/iptables.$t"
		{ echo ':OUTPUT ACCEPT [0:0]'; [ $t = nat ] && echo ':POSTROUTING ACCEPT [0:0]'
		  echo COMMIT; } >>"$work/iptables.$t"
	done
}
engine_restore_iptables() {
	local t
	for t in filter nat; do
		[ -s "$work/iptables.$t" ] && iptables-restore <"$work/iptables.$t"
		[ -e "$work/iptables.$t.new" ] && nft delete table ip "$t" 2>/dev/null
	done
	return 0
}

engine_cleanup() {
	[ -n "$engine_extra_cleanup" ] && "$engine_extra_cleanup"
	cleanup
}
trap engine_cleanup EXIT
