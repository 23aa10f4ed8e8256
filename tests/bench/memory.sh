#!/bin/bash
# Memory through storms of distinct devices: busybox mdev -d and devmgr -d
# side by side.
#
#   tests/bench/memory.sh [DEVICES] [ROUNDS] [RUNFS]
#        (default 1000 loop devices, 5 rounds, /run on a tmpfs; RUNFS
#         overlay puts /run on an overlay whose upper layer is on the disk)
#
# Each round adds DEVICES new loop devices through /dev/loop-control (one
# LOOP_CTL_ADD each: genuine kernel add uevents for devices no manager has
# seen), waits until the manager has made every node, removes them all
# again and waits until every node is gone. The manager's resident memory
# (VmRSS) is read when idle and after each round: a manager that keeps
# something per device it has ever seen grows round after round. Also
# reports each round's time, and whether /dev is as before. In private
# mount, network and pid namespaces with a tmpfs /dev and Alpine's rules
# (commands stripped). The loop devices are numbered above every loop
# device the host has, and removed at exit whatever happens. Needs root.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-1000}
rounds=${2:-5}
runfs=${3:-tmpfs}
devmgr=${DEVMGR:-$top/devmgr}
busybox=${BUSYBOX:-$(command -v busybox)}
loopctl=$top/build/tools/loopctl
. "$top/tests/lib/ns.sh"

[ "$(id -u)" = 0 ] || { echo "memory.sh: needs root" >&2; exit 1; }
[ -x "$devmgr" ] && [ -x "$loopctl" ] || { echo "memory.sh: run make && make tools first" >&2; exit 1; }
[ -e /dev/loop-control ] || { echo "memory.sh: no /dev/loop-control (modprobe loop)" >&2; exit 1; }
alpine=${ALPINE_CONF:-$top/../shared/data/alpine-mdev.conf}
[ -r "$alpine" ] || { echo "memory.sh: $alpine not found (set ALPINE_CONF)" >&2; exit 1; }

# above every loop device there is, so no host device is touched
base=$(ls /sys/block | sed -n 's/^loop\([0-9]*\)$/\1/p' | sort -n | tail -1)
base=$(( ${base:-0} + 1000 ))
last=$(( base + count - 1 ))
work=$(mktemp -d /tmp/devmgr-memory.XXXXXX)
cleanup() {
	local i
	for i in $(seq "$base" "$last"); do
		[ ! -e "/sys/block/loop$i" ] || "$loopctl" remove "$i" >/dev/null 2>&1 || true
	done
	umount -l "$work"/*/ov 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
sed -E 's/[[:space:]]+[@$*][^[:space:]].*$//' "$alpine" >"$work/rules"
ns_mketc "$work/etc" "$work/rules"
mknod "$work/loop-control" c 10 237

# run NAME CMD...: one manager through the rounds; a line per reading
run() {
	local name=$1
	shift
	mkdir -p "$work/$name"
	unshare -m -n -p -f --mount-proc /bin/bash -c '
		set -u
		work=$1 loopctl=$2 base=$3 last=$4 rounds=$5 runfs=$6 etc=$7 control=$8; shift 8
		mount --bind "$etc" /etc
		mount -t tmpfs -o mode=0755 memory /dev
		if [ "$runfs" = overlay ]; then
			mkdir -p "$work/lower/udev" "$work/upper" "$work/ovwork"
			mount -t overlay memory -o "lowerdir=$work/lower,upperdir=$work/upper,workdir=$work/ovwork" /run
		else
			mount -t tmpfs -o mode=0755 memory /run
		fi
		"$@" >"$work/log" 2>&1 || { echo "start failed: $(cat "$work/log")"; exit 1; }
		pid=$(pgrep -n -f "^$1 ")
		rss() { awk "/^VmRSS/ {print \$2}" /proc/$pid/status 2>/dev/null || echo dead; }
		# nodes of our range in /dev
		ours() { ls /dev | awk -v lo=$base -v hi=$last "/^loop[0-9]+\$/ { n = substr(\$0, 5) + 0; if (n >= lo && n <= hi) c++ } END { print c + 0 }"; }
		# waitfor N: until /dev holds N of our nodes (60 s at most)
		waitfor() {
			local i
			for i in $(seq 6000); do
				[ "$(ours)" = "$1" ] && return 0
				sleep 0.01
			done
			return 1
		}
		listing() { ( cd /dev && find . -printf "%p %y %m %u %g %D\n" | sort ); }
		sleep 0.5
		listing >"$work/before"
		echo "round=0 rss_kb=$(rss) ms=0"
		for r in $(seq "$rounds"); do
			t0=$(date +%s%N)
			CONTROL=$control "$loopctl" add "$base-$last" || { echo "round=$r failed: loopctl add"; break; }
			waitfor $((last - base + 1)) || { echo "round=$r failed: $(ours) nodes after the adds"; break; }
			CONTROL=$control "$loopctl" remove "$base-$last" || { echo "round=$r failed: loopctl remove"; break; }
			waitfor 0 || { echo "round=$r failed: $(ours) nodes left after the removes"; break; }
			t1=$(date +%s%N)
			echo "round=$r rss_kb=$(rss) ms=$(( (t1 - t0) / 1000000 ))"
		done
		listing >"$work/after"
		echo "round=end diff=$(diff "$work/before" "$work/after" | grep -c "^[<>]")"
		kill $pid 2>/dev/null
	' memory "$work/$name" "$loopctl" "$base" "$last" "$rounds" "$runfs" "$work/etc" \
		"$work/loop-control" "$@" | sed "s/^/$name /"
}

run busybox "$busybox" mdev -d >"$work/res"
run devmgr "$devmgr" -d >>"$work/res"
printf '\nmemory: %d rounds of %d loop devices added and removed, /run on %s, Alpine rules, %d CPUs\n' \
	"$rounds" "$count" "$([ "$runfs" = overlay ] && echo "an overlay on the disk" || echo a tmpfs)" "$(nproc)"
awk '
	/failed/ { print; bad = 1; next }
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	v["round"] == "end" { diff[$1] = v["diff"]; next }
	{ rss[$1, v["round"]] = v["rss_kb"]; ms[$1, v["round"]] = v["ms"]; if (v["round"] > n) n = v["round"] }
	END {
		printf "%-6s %14s %10s %14s %10s\n", "round", "busybox RSS", "ms", "devmgr RSS", "ms"
		for (r = 0; r <= n; r++)
			printf "%-6s %11s kB %10s %11s kB %10s\n", r ? r : "idle", rss["busybox", r], r ? ms["busybox", r] : "-", rss["devmgr", r], r ? ms["devmgr", r] : "-"
		printf "after the last round / idle: busybox %.2fx, devmgr %.2fx\n", rss["busybox", n] / rss["busybox", 0], rss["devmgr", n] / rss["devmgr", 0]
		printf "/dev changed lines after the rounds: busybox %s, devmgr %s\n", diff["busybox"], diff["devmgr"]
		exit bad
	}' "$work/res"
