#!/bin/bash
# Coldplug benchmark: busybox `mdev -s` and `devmgr -s` side by side, in one
# run, on the same generated sysfs (10,000 extra devices by default) with
# Alpine's real rule file (command fields stripped: they call /lib/mdev
# scripts). Each tool fills an empty tmpfs /dev in a private mount
# namespace; the host's /dev, /etc and /sys are never touched.
#
#   tests/bench/coldplug.sh [COUNT] [RUNS]
#   COLDPLUG_SYS=/sys tests/bench/coldplug.sh 0 [RUNS]   (this machine's own
#                                   devices instead of a generated tree)
#
# devmgr runs with /run on a tmpfs and, as in a Docker container, on an
# overlay whose upper layer is on the disk (under /tmp, or under RUN_DISK:
# a directory on the file system to measure, such as Docker's
# /var/lib/docker; left as it was).
# Prints wall time (best of RUNS), system calls per device (strace -c -f),
# and the ratios. Needs root, busybox-static and strace.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-10000}
runs=${2:-5}
devmgr=${DEVMGR:-$top/devmgr}
busybox=${BUSYBOX:-$(command -v busybox)}
. "$top/tests/lib/ns.sh"

[ "$(id -u)" = 0 ] || { echo "coldplug.sh: needs root (mount namespaces, mknod)" >&2; exit 1; }
[ -x "$devmgr" ] || { echo "coldplug.sh: build devmgr first (make)" >&2; exit 1; }

work=$(mktemp -d /tmp/devmgr-bench.XXXXXX)
disk=$(mktemp -d "${RUN_DISK:-$work}/devmgr-bench-run.XXXXXX")
trap 'rm -rf "$work" "$disk"' EXIT
if [ -n "${COLDPLUG_SYS:-}" ]; then
	mkdir -p "$work/sys" && mount --bind "$COLDPLUG_SYS" "$work/sys"
	trap 'umount "$work/sys"; rm -rf "$work" "$disk"' EXIT
else
	"$top/tests/lib/gensysfs.sh" "$work/sys" "$count" >/dev/null
fi
ndev=$(( $(ls "$work/sys/dev/char" | wc -l) + $(ls "$work/sys/dev/block" | wc -l) ))
# Strip the command field (@ $ * and what follows) but keep =path/>path.
alpine=${ALPINE_CONF:-$top/../shared/data/alpine-mdev.conf}
[ -r "$alpine" ] || { echo "coldplug.sh: $alpine not found (set ALPINE_CONF)" >&2; exit 1; }
sed -E 's/[[:space:]]+[@$*][^[:space:]].*$//' "$alpine" >"$work/rules"
ns_mketc "$work/etc" "$work/rules"

# "best-microseconds entries": best wall time of RUNS runs of CMD, each
# into a fresh tmpfs /dev, and how many entries that /dev ends up with.
best_us() {
	local best= t us n ondisk=${NS_RUN_DISK:-} i
	for i in $(seq "$runs"); do
		# a fresh upper layer each run, all removed at the end: on an
		# ext4 without a journal (this machine's) each new inode is
		# searched for past those deleted in the last minute, and
		# emptying the last run's /run just before would time that
		[ -z "$ondisk" ] || export NS_RUN_DISK=$ondisk.$BASHPID.$i
		# (no /dev/null in there: /dev is the empty tmpfs under test)
		t=$(ns_run "$work/sys" "$work/etc" /bin/sh -c '
			log=$1; shift
			# let the previous run'"'"'s /dev teardown (deferred
			# freeing of ~10k inodes) finish before timing
			sleep 1
			s=$(date +%s%N); "$@" >"$log" 2>&1; e=$(date +%s%N)
			echo $(( (e - s) / 1000 )) $(find /dev | wc -l)' timer "$work/run.log" "$@")
		us=${t% *} n=${t#* }
		if [ -z "$best" ] || [ "$us" -lt "$best" ]; then best=$us; fi
	done
	[ -z "$ondisk" ] || export NS_RUN_DISK=$ondisk
	echo "$best $n"
}

# System calls per device, counted by strace -c -f (every call, including
# process start-up), divided by the number of devices.
syscalls() {
	ns_run "$work/sys" "$work/etc" strace -f -c -o "$work/strace.out" "$@" >"$work/run.log" 2>&1 || true
	awk '$NF == "total" { print $4 }' "$work/strace.out" \
		| tail -1
}

# devmgr also writes the udev database (/run/udev/data, a file per
# device) and reads the USB devices' ID_* attributes for it (40% of the
# generated devices are USB); busybox does neither, so devmgr is also
# timed making nodes only.
printf '[publish]\ndatabase = no\nids = no\n[links]\npersistent = no\n' >"$work/nodb.conf"
read -r bb_us bb_nodes < <(best_us "$busybox" mdev -s)
read -r dm_us dm_nodes < <(best_us "$devmgr" -s)
read -r d1_us d1_nodes < <(best_us "$devmgr" -s -j 1)
read -r dn_us dn_nodes < <(best_us "$devmgr" -s --config "$work/nodb.conf")
export NS_RUN_DISK=$disk/run
read -r do_us do_nodes < <(best_us "$devmgr" -s)
read -r dno_us dno_nodes < <(best_us "$devmgr" -s --config "$work/nodb.conf")
do_sc=$(syscalls "$devmgr" -s)
unset NS_RUN_DISK
bb_sc=$(syscalls "$busybox" mdev -s)
dm_sc=$(syscalls "$devmgr" -s)
d1_sc=$(syscalls "$devmgr" -s -j 1)
dn_sc=$(syscalls "$devmgr" -s --config "$work/nodb.conf")

printf 'coldplug: %d devices, Alpine mdev.conf (commands stripped), best of %d runs, %d CPUs\n' \
	"$ndev" "$runs" "$(nproc)"
printf '%-24s %10s %14s %16s %9s\n' tool "time (ms)" "/dev entries" "syscalls/device" speed-up
row() {	# name us nodes syscalls
	printf '%-24s %10.1f %14d %16.1f %8.1fx\n' "$1" "$(echo "$2/1000" | bc -l)" "$3" \
		"$(echo "$4/$ndev" | bc -l)" "$(echo "$bb_us/$2" | bc -l)"
}
row "busybox mdev -s" "$bb_us" "$bb_nodes" "$bb_sc"
row "devmgr -s" "$dm_us" "$dm_nodes" "$dm_sc"
row "devmgr -s -j 1" "$d1_us" "$d1_nodes" "$d1_sc"
row "devmgr -s, nodes only" "$dn_us" "$dn_nodes" "$dn_sc"
row "devmgr -s, /run on disk" "$do_us" "$do_nodes" "$do_sc"
row "  nodes only, on disk" "$dno_us" "$dno_nodes" "$dn_sc"
# Nodes only, devmgr makes busybox's tree; with its defaults it adds
# udev's persistent names (disk/by-diskseq/... here), the same each run.
[ "$bb_nodes" = "$dn_nodes" ] && [ "$bb_nodes" = "$dno_nodes" ] || \
	echo "WARNING: the nodes-only tree differs from busybox's; see tests/integration/conformance.t"
[ "$dm_nodes" = "$d1_nodes" ] && [ "$dm_nodes" = "$do_nodes" ] || \
	echo "WARNING: devmgr's trees differ from run to run"
[ "$dm_nodes" = "$bb_nodes" ] ||
	echo "(devmgr's default tree has $((dm_nodes - bb_nodes)) entries more: udev's persistent names)"
