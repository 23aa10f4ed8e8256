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
# latency_ms ROOT N      add loop N; ms until ROOT/dev/loopN is a block node
# engine_pyudev_script   path of a pyudev monitor for the container
#                        (prints "ACTION DEVNAME node=yes|no" per event)

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

# latency_ms ROOT N: adds loop N and prints the milliseconds until
# ROOT/dev/loopN is a block node (polled every millisecond), or "timeout"
latency_ms() {
	local root=$1 n=$2 t0 t1 i=0
	t0=$(date +%s%N)
	loop_add "$n"
	until [ -b "$root/dev/loop$n" ]; do
		i=$((i + 1))
		[ "$i" -lt 5000 ] || { echo timeout; return 1; }
		sleep 0.001
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# iptables as they were before the engine added its chains and rules,
# restored on exit: each table is flushed and its own chains deleted, then
# what was there is put back (a table that did not exist comes back empty,
# with the built-in chains accepting).
engine_save_iptables() {
	local t
	for t in filter nat; do
		iptables-save -t "$t" 2>/dev/null | grep -v '^#' >"$work/iptables.$t"
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
	done
}

engine_cleanup() {
	[ -n "$engine_extra_cleanup" ] && "$engine_extra_cleanup"
	cleanup
}
trap engine_cleanup EXIT
