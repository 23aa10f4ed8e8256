#!/bin/sh
# Runs every fuzz target built in build/fuzz/ for SECONDS each, on a copy of
# its seed corpus in a temporary directory (tests/fuzz/corpus is never
# written). Builds nothing: run `make fuzz` first.
#   tests/fuzz/run.sh SECONDS [TARGET...]
# Prints "TARGET: N execs, K crashes" per target; exits 1 if any target
# crashed (the crash input's path is printed and kept), 2 on usage errors.
set -u

secs=${1:-}
case $secs in
''|*[!0-9]*) echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2 ;;
esac
shift

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bindir=$root/build/fuzz

if [ $# -eq 0 ]; then
	set --
	for f in "$here"/fuzz_*.c; do
		[ -e "$f" ] || continue
		set -- "$@" "$(basename "$f" .c)"
	done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/devmgr-fuzz.XXXXXX") || exit 2
failed=0
ran=0

for t in "$@"; do
	bin=$bindir/$t
	if [ ! -x "$bin" ]; then
		echo "$t: not built ($bin missing; run make fuzz)" >&2
		failed=1
		continue
	fi
	ran=$((ran + 1))
	corpus=$work/$t/corpus
	art=$work/$t/artifacts
	mkdir -p "$corpus" "$art"
	if [ -d "$here/corpus/$t" ]; then
		cp -R "$here/corpus/$t/." "$corpus/"
	fi
	log=$work/$t/log
	"$bin" -max_total_time="$secs" -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$art/" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ -z "$execs" ]; then
		execs=$(sed -n 's/^#\([0-9]*\)[[:space:]].*DONE.*/\1/p' "$log" | tail -n 1)
	fi
	[ -n "$execs" ] || execs=0
	ncrash=$(find "$art" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
		ncrash=1	# died without leaving an artifact (e.g. a timeout of the runner)
	fi
	echo "$t: $execs execs, $ncrash crashes"
	if [ "$rc" -ne 0 ] || [ "$ncrash" -ne 0 ]; then
		failed=1
		echo "  libFuzzer exited $rc; log: $log"
		for a in "$art"/*; do
			[ -f "$a" ] && echo "  crash file: $a"
		done
		grep -m 1 -E 'ERROR: |runtime error:|check failed:|deadly signal' "$log" | sed 's/^/  /'
	fi
done

if [ "$failed" -eq 0 ] || [ "$ran" -eq 0 ]; then
	rm -rf "$work"
else
	echo "kept: $work"
fi
[ "$ran" -gt 0 ] || exit 2
exit "$failed"
