#!/bin/bash
# Uevent storm benchmark: devmgr -df and busybox mdev -df side by side.
#
#   tests/bench/storm.sh [PAIRS]        (default 100000 remove+add pairs)
#
# For each manager, in private mount, network and pid namespaces with a
# tmpfs /dev and Alpine's rules (commands stripped): start it, remove the
# sentinel's node, then tests/tools/ueventfire writes remove+add PAIRS times
# spread over real devices' uevent files (/sys/class/mem/*), then one add
# for the sentinel (kmsg), and waits until the sentinel's node is back: the
# manager has handled every event before it. Reports events/s, handling
# time over firing time (1.0x = keeps pace with the kernel), whether every
# stormed device still has its node, and the manager's RSS when idle and
# after the storm. Default settings for both. Needs root.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
pairs=${1:-100000}
devmgr=${DEVMGR:-$top/devmgr}
busybox=${BUSYBOX:-$(command -v busybox)}
fire=$top/build/tools/ueventfire
. "$top/tests/lib/ns.sh"

[ "$(id -u)" = 0 ] || { echo "storm.sh: needs root" >&2; exit 1; }
[ -x "$devmgr" ] && [ -x "$fire" ] || { echo "storm.sh: run make && make tools first" >&2; exit 1; }
alpine=${ALPINE_CONF:-$top/../shared/data/alpine-mdev.conf}
[ -r "$alpine" ] || { echo "storm.sh: $alpine not found (set ALPINE_CONF)" >&2; exit 1; }

stormed="null zero full random urandom"
ndev=$(echo $stormed | wc -w)
work=$(mktemp -d /tmp/devmgr-storm.XXXXXX)
trap 'rm -rf "$work"' EXIT
sed -E 's/[[:space:]]+[@$*][^[:space:]].*$//' "$alpine" >"$work/rules"
ns_mketc "$work/etc" "$work/rules"
# DEVMGR_CONF=FILE: devmgr's settings for the run (e.g. publishing off)
[ -z "${DEVMGR_CONF:-}" ] || cp "$DEVMGR_CONF" "$work/etc/devmgr.conf"

# run NAME CMD...: one manager through one storm; prints a result line
run() {
	local name=$1
	shift
	unshare -m -n -p -f --mount-proc /bin/bash -c '
		set -u
		work=$1 fire=$2 per=$3 stormed=$4; shift 4
		mount --bind "$work/etc" /etc
		mount -t tmpfs -o mode=0755 storm /dev
		mount -t tmpfs -o mode=0755 storm /run
		"$@" >"$work/log" 2>&1 || { echo "start failed: $(cat "$work/log")"; exit 1; }
		pid=$(pgrep -n -f "^$1 ")
		idle=$(awk "/^VmRSS/ {print \$2}" /proc/$pid/status)
		rm -f /dev/kmsg
		uevents=
		for d in $stormed; do uevents="$uevents /sys/class/mem/$d/uevent"; done
		out=$("$fire" "$per" /sys/class/mem/kmsg/uevent /dev/kmsg $uevents)
		after=$(awk "/^VmRSS/ {print \$2}" /proc/$pid/status 2>/dev/null || echo dead)
		lost=0
		for d in $stormed; do [ -c "/dev/$d" ] || lost=$((lost + 1)); done
		kill $pid 2>/dev/null
		echo "$out lost=$lost idle_kb=$idle after_kb=$after"
	' storm "$work" "$fire" "$((pairs / ndev))" "$stormed" "$@" | sed "s/^/$name /"
}

res_bb=$(run busybox "$busybox" mdev -d)
res_dm=$(run devmgr "$devmgr" -d)
echo "$res_bb" >"$work/res"
echo "$res_dm" >>"$work/res"

printf 'storm: %d remove+add pairs over %d devices (/sys/class/mem), Alpine rules, %d CPUs\n' \
	"$pairs" "$ndev" "$(nproc)"
printf '%-9s %9s %9s %10s %11s %12s %11s %10s\n' manager events fire_ms handle_ms events/s \
	handle/fire "lost nodes" "RSS idle"
awk '{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["handle_ms"] == "timeout" || v["handle_ms"] == "") {
		printf "%-9s %9s %9s %10s %11s %12s %11s %8s kB  (did not finish: %s)\n", $1, v["events"], v["fire_ms"], "-", "-", "-", v["lost"], v["idle_kb"], $0
	} else {
		printf "%-9s %9d %9.0f %10.0f %11.0f %11.2fx %11d %7d kB\n", $1, v["events"], v["fire_ms"], v["handle_ms"], v["events"] / (v["handle_ms"] / 1000), v["handle_ms"] / v["fire_ms"], v["lost"], v["idle_kb"]
	}
}' "$work/res"
