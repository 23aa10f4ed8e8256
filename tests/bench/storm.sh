#!/bin/bash
# Uevent storm benchmark: devmgr -df and busybox mdev -df side by side.
#
#   tests/bench/storm.sh [PAIRS] [SCENARIO...]   (default 100000 remove+add
#                                                 pairs; every scenario)
#
# Scenarios, each busybox then devmgr in one run:
#   few-tmpfs      5 devices (/sys/class/mem), /run on a tmpfs
#   many-tmpfs     ~90 distinct devices (mem, misc, tty, loop0-6), tmpfs /run
#   many-overlay   the same, /run an overlay whose upper layer is on the
#                  disk under /tmp: a Docker container's /run
#   disks          8 loop devices holding ext4 filesystems, PAIRS/100
#                  pairs: every add is a libblkid probe for devmgr (a
#                  child process), none for busybox; not run by default
# For each manager, in private mount, network and pid namespaces with a
# tmpfs /dev and Alpine's rules (commands stripped): start it, note /dev,
# remove the sentinel's node, then tests/tools/ueventfire writes
# remove+add PAIRS times spread over the devices' uevent files, then one
# add for the sentinel (kmsg), and waits until the sentinel's node is
# back: the manager has handled every event before it. Reports events/s,
# handling time over firing time (1.0x = keeps pace with the kernel),
# whether /dev is as it was before the storm, and the manager's RSS when
# idle and after the storm. Default settings for both. Needs root.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
pairs=${1:-100000}
shift || true
scenarios=${*:-few-tmpfs many-tmpfs many-overlay}
devmgr=${DEVMGR:-$top/devmgr}
busybox=${BUSYBOX:-$(command -v busybox)}
fire=$top/build/tools/ueventfire
. "$top/tests/lib/ns.sh"

[ "$(id -u)" = 0 ] || { echo "storm.sh: needs root" >&2; exit 1; }
[ -x "$devmgr" ] && [ -x "$fire" ] || { echo "storm.sh: run make && make tools first" >&2; exit 1; }
alpine=${ALPINE_CONF:-$top/../shared/data/alpine-mdev.conf}
[ -r "$alpine" ] || { echo "storm.sh: $alpine not found (set ALPINE_CONF)" >&2; exit 1; }

few="/sys/class/mem/null /sys/class/mem/zero /sys/class/mem/full /sys/class/mem/random /sys/class/mem/urandom"
many=$few
for d in /sys/class/misc/* /sys/class/tty/* /sys/class/block/loop[0-6]; do
	[ -w "$d/uevent" ] && many="$many $d"
done
work=$(mktemp -d /tmp/devmgr-storm.XXXXXX)
disk_loops=
# The disks scenario's loop devices: detached and removed again
undisk() {
	local n
	for n in $disk_loops; do
		losetup -d "/dev/loop$n" 2>/dev/null || true
		"$top/build/tools/loopctl" remove "$n" >/dev/null 2>&1 || true
	done
}
trap 'undisk; umount -l "$work"/*/ov 2>/dev/null || true; rm -rf "$work"' EXIT
# disks_setup: 8 loop devices (numbers from 600 on) holding ext4
disks_setup() {
	local n=600 i
	for i in 1 2 3 4 5 6 7 8; do
		while [ -e "/sys/block/loop$n" ] || [ -e "/dev/loop$n" ]; do n=$((n + 1)); done
		truncate -s 16M "$work/disk$i.img"
		mkfs.ext4 -q -L "storm$i" "$work/disk$i.img"
		"$top/build/tools/loopctl" add "$n" >/dev/null
		disk_loops="$disk_loops $n"
		losetup "/dev/loop$n" "$work/disk$i.img"
		disks="$disks /sys/class/block/loop$n"
		n=$((n + 1))
	done
}
disks=""

sed -E 's/[[:space:]]+[@$*][^[:space:]].*$//' "$alpine" >"$work/rules"
ns_mketc "$work/etc" "$work/rules"
# DEVMGR_CONF=FILE: devmgr's settings for the run (e.g. publishing off)
[ -z "${DEVMGR_CONF:-}" ] || cp "$DEVMGR_CONF" "$work/etc/devmgr.conf"

# run NAME RUNFS DEVICES CMD...: one manager through one storm; prints a
# result line
run() {
	local name=$1 runfs=$2 devices=$3
	shift 3
	local ndev per
	ndev=$(echo $devices | wc -w)
	per=$(( (pairs + ndev - 1) / ndev ))
	mkdir -p "$work/$name-$runfs"
	unshare -m -n -p -f --mount-proc /bin/bash -c '
		set -u
		work=$1 fire=$2 per=$3 devices=$4 runfs=$5 etc=$6; shift 6
		mount --bind "$etc" /etc
		mount -t tmpfs -o mode=0755 storm /dev
		if [ "$runfs" = overlay ]; then
			# the image layer below, the container layer on the disk
			mkdir -p "$work/lower/udev" "$work/upper" "$work/ovwork" "$work/ov"
			mount -t overlay storm -o "lowerdir=$work/lower,upperdir=$work/upper,workdir=$work/ovwork" /run
		else
			mount -t tmpfs -o mode=0755 storm /run
		fi
		"$@" >"$work/log" 2>&1 || { echo "start failed: $(cat "$work/log")"; exit 1; }
		pid=$(pgrep -n -f "^$1 ")
		idle=$(awk "/^VmRSS/ {print \$2}" /proc/$pid/status)
		( cd /dev && find . ! -name kmsg -printf "%p %y %m %u %g %D\n" | sort ) >"$work/before"
		rm -f /dev/kmsg
		uevents=
		for d in $devices; do uevents="$uevents $d/uevent"; done
		# CPU time the manager spent (user+system, in clock ticks)
		cpu() { awk "{ print \$14 + \$15 }" /proc/$pid/stat 2>/dev/null || echo 0; }
		cpu0=$(cpu)
		out=$("$fire" "$per" /sys/class/mem/kmsg/uevent /dev/kmsg $uevents)
		cpu_ms=$(( ($(cpu) - cpu0) * 1000 / $(getconf CLK_TCK) ))
		after=$(awk "/^VmRSS/ {print \$2}" /proc/$pid/status 2>/dev/null || echo dead)
		( cd /dev && find . ! -name kmsg -printf "%p %y %m %u %g %D\n" | sort ) >"$work/after"
		lost=$(diff "$work/before" "$work/after" | grep -c "^[<>]")
		kill $pid 2>/dev/null
		echo "$out lost=$lost idle_kb=$idle after_kb=$after cpu_ms=$cpu_ms"
	' storm "$work/$name-$runfs" "$fire" "$per" "$devices" "$runfs" "$work/etc" "$@" |
		sed "s/^/$name /"
}

table() {
	printf '%-9s %9s %9s %10s %11s %12s %10s %10s %10s %9s\n' manager events fire_ms handle_ms \
		events/s handle/fire "/dev diff" "RSS idle" "RSS after" "CPU ms"
	awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["handle_ms"] == "timeout" || v["handle_ms"] == "") {
			printf "%-9s %9s %9s %10s %11s %12s %10s %7s kB  (did not finish: %s)\n", $1, v["events"], v["fire_ms"], "-", "-", "-", v["lost"], v["idle_kb"], $0
		} else {
			rate[NR] = v["events"] / (v["handle_ms"] / 1000)
			printf "%-9s %9d %9.0f %10.0f %11.0f %11.2fx %10d %7d kB %7s kB %9d\n", $1, v["events"], v["fire_ms"], v["handle_ms"], rate[NR], v["handle_ms"] / v["fire_ms"], v["lost"], v["idle_kb"], v["after_kb"], v["cpu_ms"]
		}
	} END { if (rate[1] && rate[2]) printf "devmgr/busybox: %.1fx the events per second\n", rate[2] / rate[1] }' "$1"
}

for sc in $scenarios; do
	case $sc in
	few-tmpfs) devices=$few runfs=tmpfs ;;
	many-tmpfs) devices=$many runfs=tmpfs ;;
	many-overlay) devices=$many runfs=overlay ;;
	disks) [ -n "$disks" ] || disks_setup
	       devices=$disks runfs=tmpfs ;;
	*) echo "storm.sh: unknown scenario $sc" >&2; exit 2 ;;
	esac
	all=$pairs
	[ "$sc" != disks ] || pairs=$((all / 100))
	run busybox "$runfs" "$devices" "$busybox" mdev -d >"$work/res"
	run devmgr "$runfs" "$devices" "$devmgr" -d >>"$work/res"
	printf '\nstorm %s: %d remove+add pairs over %d devices, /run on %s, Alpine rules, %d CPUs\n' \
		"$sc" "$pairs" "$(echo $devices | wc -w)" "$([ $runfs = overlay ] && echo "an overlay on the disk" || echo a tmpfs)" "$(nproc)"
	table "$work/res"
	pairs=$all
done
