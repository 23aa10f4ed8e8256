#!/bin/bash
# engine-lxc.t: devmgr in a real LXC container (Debian's lxc 5.0), the way
# a user runs it: a privileged container whose rootfs is the image of
# docker/Dockerfile's final stage (tests/lib/engine.sh), as a dir: rootfs,
# with LXC's common.conf (lxc.tty.dir = lxc, 4 ttys, the device cgroup
# list, the capability drops), "lxc.cgroup.devices.allow = b 7:* rwm" for
# the loop devices, init "/entry -v" (devmgr -d && app), on LXC's default
# bridge lxcbr0 set up by lxc-net.
#
# The whole test runs in a private mount namespace (it re-executes itself
# under unshare -m) with fresh tmpfs over /run and /var/lib/misc: LXC's
# locks (/run/lock/lxc), lxc-net's state (/run/lxc/network_up, dnsmasq's
# pid file) and dnsmasq's leases (/var/lib/misc) stay there and go with it;
# the containers' configurations, logs and rootfs are in the work
# directory (lxc-* -P).  On exit it stops and removes its containers
# (also the cgroups LXC leaves), stops lxc-net (and its dnsmasq), deletes
# lxcbr0 and lxc-net's nft tables, or restores iptables as they were if
# lxc-net used iptables, and turns ip_forward off again if it was off.
#   a  coldplug: a loop device present at start has its node, with the
#      image's group (loopers, which the host lacks) and mode; the shipped
#      rules apply (tty root:tty 0666), none of their lines is dropped;
#      the policy: the kernel's answer per device, whether or not the
#      container can read its cgroup's devices.list (no /dev/mem, no
#      "no device policy" warning); LXC's /dev/tty1..4
#      symlinks (to lxc/ttyN) and its /dev/console (a pty mounted there)
#      are left alone, quietly
#   b  hot-plug: a loop device added on the host: node in the container
#      (latency measured), openable there; pyudev and udevadm monitor in
#      the container hear add with the node there and remove with it gone
#   c  a burst of 20 loop devices, added and removed
#   d  restart: a device added while the container was stopped is there
#      after the restart, and hot-plug works again
#   e  the messages: in an unprivileged container (lxc.idmap: a user
#      namespace), without CAP_MKNOD, without CAP_NET_ADMIN

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
tools=$top/build/tools
devmgr=$top/build/static/devmgr
exe=$devmgr
kpath=/sbin:/bin:/usr/sbin:/usr/bin

. "$lib/tap.sh" 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "lxc, device cgroups, loop devices"

# A private mount namespace for the whole test (see above): nothing
# mounted here is seen outside, and it ends with the test's processes.
if [ -z "${DEVMGR_LXC_PRIVATE:-}" ]; then
	command -v unshare >/dev/null || { echo "Bail out! unshare is not installed"; exit 1; }
	DEVMGR_LXC_PRIVATE=1 exec unshare -m --propagation private -- /bin/bash "$0" "$@"
	echo "Bail out! unshare -m failed"
	exit 1
fi
varlib=/var/lib/misc
[ -d "$varlib" ] || varlib=/var/lib
mount -t tmpfs -o mode=0755 devmgr-lxc-run /run &&
    mkdir -p /run/lock && chmod 1777 /run/lock &&
    mount -t tmpfs -o mode=0755 devmgr-lxc-varlib "$varlib" ||
    { echo "Bail out! cannot mount a private /run and $varlib"; exit 1; }

tap_workdir engine-lxc
tap_small_etc
. "$lib/daemon.sh"
. "$lib/engine.sh"
lxcnet=/usr/libexec/lxc/lxc-net
engine_require lxc-start lxc-stop lxc-info lxc-attach dnsmasq ip pgrep iptables-save iptables-restore
[ -x "$lxcnet" ] || engine_bail "no $lxcnet (the lxc package ships it)"
[ -r /usr/share/lxc/config/common.conf ] || engine_bail "no /usr/share/lxc/config/common.conf"
if [ -e /sys/class/net/lxcbr0 ]; then
	engine_bail "lxcbr0 exists already (lxc-net runs?): this test starts its own (stop the other first)"
fi

# The containers' root must be reachable by the unprivileged container's
# root (host uid 100000) too: the work directory is searchable.
chmod 0711 "$work"
lx=$work/lxc
mkdir -p "$lx"
names=()
# the containers (LXC names its cgroups after them: lxc.payload.NAME)
DM=devmgr-dm USERNS=devmgr-userns NOMKNOD=devmgr-nomknod NONET=devmgr-nonet
binds=()	# files bound over in this mount namespace (see idmaps)
idbin=		# put first on lxc-start's PATH when set (see idmaps)
forward=$(cat /proc/sys/net/ipv4/ip_forward)
# LXC leaves an empty "lxc.pivot" cgroup in each hierarchy (where its
# monitor waits at the end): removed again unless it was there before
pivots=()
for c in /sys/fs/cgroup/*/; do
	[ -d "${c}lxc.pivot" ] || pivots+=("${c}lxc.pivot")
done

# monitors: the pids of LXC's monitors for our containers (each
# "[lxc monitor] LXCPATH NAME"; one outlives lxc-stop by the post-stop hook)
monitors() { pgrep -f "^\[lxc monitor\] $lx " | tr '\n' ' '; }
lxc_cleanup() {
	local c pid gone
	gone=$(monitors)
	for c in "${names[@]}"; do
		lxc-stop -P "$lx" -n "$c" -k >/dev/null 2>&1
	done
	wait_for 10 test -z "$(monitors)" || kill -KILL $(monitors) 2>/dev/null
	for c in "${names[@]}"; do
		rm -rf "${lx:?}/$c"
		# what LXC could not remove (a container that failed to start
		# leaves its monitor's cgroup)
		find /sys/fs/cgroup/*/ -maxdepth 1 -type d \
		    \( -name "lxc.payload.$c" -o -name "lxc.monitor.$c" \) 2>/dev/null |
		    while read -r pid; do find "$pid" -depth -type d -exec rmdir {} + 2>/dev/null; done
	done
	if [ -n "${lxcnet_started:-}" ]; then
		"$lxcnet" stop >"$work/lxc-net-stop.log" 2>&1
		pid=$(cat "$work/dnsmasq.pid" 2>/dev/null)
		if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe")" = "$(command -v dnsmasq)" ]; then
			kill -KILL "$pid"
		fi
		gone="$gone $pid"
		ip link del lxcbr0 2>/dev/null
		if [ -n "${lxcnft:-}" ]; then
			nft delete table inet lxc 2>/dev/null
			nft delete table ip lxc 2>/dev/null
		fi
	fi
	# the daemons were orphans: gone once init has reaped them
	for pid in $gone; do wait_for 10 test ! -e "/proc/$pid"; done
	[ -n "${lxcnft:-}" ] || engine_restore_iptables
	for c in "${binds[@]}"; do umount "$c"; done
	for c in "${pivots[@]}"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
	# lxc-net turns forwarding on
	[ "$forward" = 0 ] && echo 0 >/proc/sys/net/ipv4/ip_forward
	# nothing mounted may stay under the work directory it deletes
	grep -F " $work" /proc/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount -l
}
engine_extra_cleanup=lxc_cleanup

engine_save_iptables
lxcnet_started=1
"$lxcnet" start >"$work/lxc-net.log" 2>&1 ||
    engine_bail "lxc-net start failed: $(tail -5 "$work/lxc-net.log")"
cp /run/lxc/dnsmasq.pid "$work/dnsmasq.pid" 2>/dev/null
# lxc-net uses nft when it works (its own tables, inet lxc and ip lxc,
# deleted by lxc-net stop), iptables otherwise: only then are iptables
# put back as they were (restoring them after nft would also take away
# what another engine, started meanwhile, added there)
nft list table inet lxc >/dev/null 2>&1 && lxcnft=1
[ -e /sys/class/net/lxcbr0 ] || engine_bail "lxc-net made no lxcbr0"

engine_rootfs "$work/rootfs"

# config NAME [LINES...]: the container's configuration (on top of
# common.conf and the test's own lines)
config() {
	local name=$1 l
	shift
	mkdir -p "$lx/$name"
	{
		echo "lxc.include = /usr/share/lxc/config/common.conf"
		echo "lxc.uts.name = $name"
		echo "lxc.rootfs.path = dir:${rootfs:-$work/rootfs}"
		echo "lxc.init.cmd = /entry -v"
		echo "lxc.cgroup.devices.allow = b 7:* rwm"
		echo "lxc.mount.entry = /usr usr none bind,ro 0 0"
		echo "lxc.mount.entry = $udevdir udev none bind,ro 0 0"
		echo "lxc.net.0.type = veth"
		echo "lxc.net.0.link = lxcbr0"
		echo "lxc.net.0.flags = up"
		for l; do echo "$l"; done
	} >"$lx/$name/config"
}

# start NAME: start it, detached, its console logged to $lx/NAME.console
# (appended to on a restart), LXC's own log to $lx/NAME.log; the ready
# mark of an earlier run goes first
start() {
	local name=$1
	case " ${names[*]} " in *" $name "*) ;; *) names+=("$name") ;; esac
	rm -f "$(sed -n 's/^lxc.rootfs.path = dir://p' "$lx/$name/config")/ready"
	PATH=${idbin:+$idbin:}$PATH \
	    lxc-start -P "$lx" -n "$name" -d -L "$lx/$name.console" -o "$lx/$name.log" -l INFO
}
state() { lxc-info -P "$lx" -n "$1" -s -H 2>/dev/null; }
# started NAME: waits until it is ready; sets ROOT (its root as seen from
# here), or returns 1
started() {
	local pid
	wait_for 20 eval "[ \"\$(state '$1')\" = RUNNING ]" || return 1
	pid=$(lxc-info -P "$lx" -n "$1" -p -H) || return 1
	[ -n "$pid" ] || return 1
	ROOT=/proc/$pid/root
	wait_for 20 test -e "$ROOT/ready"
}
run() { config "$@" && start "$1" && started "$1"; }
# halted NAME: waits until it is stopped
halted() { wait_for 20 eval "[ \"\$(state '$1')\" = STOPPED ]"; }
logs() { cat "$lx/$1.console" 2>/dev/null; }
att() {
	local name=$1
	shift
	lxc-attach -P "$lx" -n "$name" --clear-env -v PATH=/bin:/sbin:/usr/bin -- "$@"
}

# ---- a: coldplug, the shipped rules and accounts, the policy, LXC's /dev --

A=$(loop_free 400)
loop_add "$A"
run "$DM" || engine_bail "the container did not get ready: $(logs "$DM" | tail -5; tail -5 "$lx/$DM.log")"
ls /sys/class/net/lxcbr0/brif/veth* >/dev/null 2>&1 ||
    engine_bail "the container's veth is not on lxcbr0: $(grep -i veth "$lx/$DM.log" | tail -3)"
logs "$DM" | diag
engine_check_shipped "$A" logs "$DM"
# LXC's cgroup:mixed mounts nothing when the kernel has cgroup namespaces
# (the container is left to mount them): then devmgr has no list to read,
# but asks the kernel per device all the same
is "a: no \"no device policy\" warning (the kernel is asked)" \
    "$(logs "$DM" | grep 'no device policy')" ""
is "a: /dev/mem (the cgroup forbids it): no node" "$(node "$ROOT/dev/mem")" absent
ttys=
for i in 1 2 3 4; do ttys="$ttys $(readlink "$ROOT/dev/tty$i" || echo "tty$i:$(node "$ROOT/dev/tty$i")")"; done
is "a: LXC's /dev/tty1..4 are still its symlinks to lxc/ttyN" "$ttys" " lxc/tty1 lxc/tty2 lxc/tty3 lxc/tty4"
is "a: ... to its ptys, which devmgr left alone" \
    "$(stat -c '%t' "$ROOT"/dev/lxc/tty[1-4] | sort -u)" 88
check "a: /dev/console is still LXC's pty, mounted there" \
    grep -q ' /dev/console ' "${ROOT%/root}/mounts"
is "a: ... a pty (136:N), not the 5:1 node" "$(stat -c '%F %t' "$ROOT/dev/console")" \
    "character special file 88"
is "a: ... quietly: no console message in the log" "$(logs "$DM" | grep -i console)" ""

# ---- b: hot-plug, with two libudev clients in the container ----------------

att "$DM" sh -c '/usr/bin/python3 /pyudev-monitor </dev/null >/pyudev.out 2>&1 &'
att "$DM" sh -c '/udev/bin/udevadm monitor --udev --property </dev/null >/udevadm.out 2>&1 &'
engine_check_hotplug lxc $((A + 1)) att "$DM"

# ---- c: a burst of 20 ------------------------------------------------------

engine_check_burst $((B + 1))

# ---- d: restart ------------------------------------------------------------

lxc-stop -P "$lx" -n "$DM" -t 2 >/dev/null 2>&1
check "d: lxc-stop stopped the container" halted "$DM"
C=$(loop_free $((LAST + 1)))
loop_add "$C"
start "$DM"
check "d: restarted container gets ready" started "$DM"
is "d: loop$C, added while it was stopped: its node" \
    "$(node "$ROOT/dev/loop$C")" "block special file 7:$C 640 0 4321"
is "d: loop$A still there" "$(node "$ROOT/dev/loop$A")" "block special file 7:$A 640 0 4321"
D=$(loop_free $((C + 1)))
latency_ms "$ROOT" "$D"; ms=$MS
check "d: hot-plug after the restart (${ms} ms)" test "$ms" != timeout
lxc-stop -P "$lx" -n "$DM" -k >/dev/null 2>&1
halted "$DM"

# ---- e: what a user is told ------------------------------------------------

# failed NAME ROOTFS: waits until it stopped; sets RC to its init's exit
# status as LXC logged it ("ready" if it got ready, "running" if it did
# not stop)
failed() {
	RC=running
	halted "$1" || return 1
	RC=ready
	[ ! -e "$2/ready" ] || return 1
	RC=$(sed -n 's/.*Child <[0-9]*> ended on error (\([0-9]*\)).*/\1/p' "$lx/$1.log" | tail -1)
}

# An unprivileged container, its root (host uid 100000) owning a copy of
# the rootfs.  LXC started by root writes the id maps itself only when it
# finds no setuid newuidmap on its PATH; with one (the uidmap package,
# which lxc recommends) it runs newuidmap/newgidmap, which want root's
# range in /etc/subuid and /etc/subgid ("root:100000:65536", as LXC's
# docs say): given here in the test's own mount namespace, bound over the
# host's files.  A host without those files has nothing to bind over:
# there lxc-start finds non-setuid copies first on its PATH ($idbin)
# instead, and maps the ids itself.
idmaps() {
	local f
	if [ -f /etc/subuid ] && [ -f /etc/subgid ]; then
		for f in /etc/subuid /etc/subgid; do
			{ cat "$f"; echo "root:100000:65536"; } >"$work/${f##*/}"
			mount --bind "$work/${f##*/}" "$f" || return 1
			binds+=("$f")
		done
	else
		idbin=$work/idbin
		mkdir -p "$idbin"
		for f in newuidmap newgidmap; do
			f=$(command -v "$f") || continue
			install -m 0755 "$f" "$idbin/" || return 1
		done
	fi
}
idmaps || engine_bail "cannot provide root's id ranges for lxc.idmap"
cp -a "$work/rootfs" "$work/rootfs-userns"
rm -f "$work/rootfs-userns/ready"
chown -hR 100000:100000 "$work/rootfs-userns"
rootfs=$work/rootfs-userns config "$USERNS" "lxc.idmap = u 0 100000 65536" "lxc.idmap = g 0 100000 65536"
start "$USERNS"
failed "$USERNS" "$work/rootfs-userns"
is "e: unprivileged (lxc.idmap): devmgr -d fails, the container stops" "$RC" 1
logs "$USERNS" | diag
check "e: ... the message names the user namespace" grep -q 'user namespace' <(logs "$USERNS")
check "e: ... and LXC's remedy: a privileged container (no lxc.idmap)" \
    grep -qF 'LXC a privileged container (no lxc.idmap)' <(logs "$USERNS")

config "$NOMKNOD" "lxc.cap.drop = mknod"
start "$NOMKNOD"
failed "$NOMKNOD" "$work/rootfs"
is "e: without CAP_MKNOD (lxc.cap.drop = mknod): devmgr -d fails, the container stops" "$RC" 1
logs "$NOMKNOD" | diag
check "e: ... and the message names CAP_MKNOD" grep -q 'CAP_MKNOD' <(logs "$NOMKNOD")

config "$NONET" "lxc.cap.drop = net_admin"
start "$NONET"
check "e: without NET_ADMIN (lxc.cap.drop = net_admin): the container gets ready" started "$NONET"
E=$(loop_free $((D + 1)))
loop_add "$E"
check "e: ... a hot-added node is made all the same" wait_for 5 test -b "$ROOT/dev/loop$E"
check "e: ... and the log then says publishing needs CAP_NET_ADMIN" \
    wait_for 5 eval 'logs "$NONET" | grep -q "cannot publish events: .*CAP_NET_ADMIN"'
logs "$NONET" | diag
lxc-stop -P "$lx" -n "$NONET" -k >/dev/null 2>&1

echo "1..$n"
