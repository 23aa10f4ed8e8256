#!/bin/bash
# valgrind.t: the daemon under valgrind's memcheck through a storm of real
# uevents (1,000 remove+add pairs on /sys/class/mem devices, with a rule
# command on one of them), then SIGTERM: no memory error, and every heap
# block freed at exit. In private mount, network and pid namespaces with
# a tmpfs /dev and /run, like daemon.t.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, uevents"
tap_skip_unless_built "$devmgr"
if ! command -v valgrind >/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: no valgrind (Debian: valgrind)"
	exit 1
fi
if nm "$devmgr" 2>/dev/null | grep -q __asan_init || ldd "$devmgr" 2>/dev/null | grep -q libasan; then
	echo "1..1"; echo "not ok 1 - cannot run: $devmgr is built with AddressSanitizer: valgrind cannot run it"
	exit 1
fi
if [ ! -x "$tools/ueventfire" ] || [ ! -w /sys/class/mem/null/uevent ]; then
	echo "1..1"; echo "not ok 1 - cannot run: no ueventfire (make tools) or no writable /sys/class/mem uevents"
	exit 1
fi
tap_workdir valgrind
echo "1..5"

printf 'null root:root 0666 *true\nzero root:root 0666\n' >"$work/rules"
printf '[commands]\ntimeout = 5\n' >"$work/conf"
tap_small_etc
cat >"$work/run.sh" <<'EOF'
set -u
work=$1 devmgr=$2 fire=$3 etc=$4
exec 5</dev/null
mount -t tmpfs -o mode=0755 vg /run && mount -t tmpfs -o mode=0755 vg "$work/dev" || exit 99
valgrind --leak-check=full --show-leak-kinds=all --error-exitcode=3 --log-file="$work/vg.log" \
    "$devmgr" -df -v --dev "$work/dev" --rules "$work/rules" --config "$work/conf" --etc "$etc" \
    <&5 2>"$work/devmgr.log" &
v=$!
i=0
while [ ! -c "$work/dev/kmsg" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1	# coldplug done and listening: kmsg is made at coldplug, not ready
rm -f "$work/dev/kmsg"
"$fire" 500 /sys/class/mem/kmsg/uevent "$work/dev/kmsg" /sys/class/mem/null/uevent \
    /sys/class/mem/zero/uevent >"$work/fire.out"
sleep 1
kill -TERM "$(pgrep -P $v | head -1)" 2>/dev/null
kill -TERM $v 2>/dev/null
wait $v
echo "exit=$?"
EOF
mkdir "$work/dev"
out=$(timeout 300 unshare -m -n -p -f --mount-proc bash "$work/run.sh" "$work" "$devmgr" \
    "$tools/ueventfire" "$etc" 2>&1)
check "the storm was handled (the sentinel's node came back)" \
    grep -q "^events=2001 .*handle_ms=[0-9]" "$work/fire.out"
is "valgrind's exit status" "$(sed -n 's/^exit=//p' <<<"$out")" 0
check "no memory error" grep -q "ERROR SUMMARY: 0 errors" "$work/vg.log"
check "every heap block freed at exit" grep -q "All heap blocks were freed" "$work/vg.log"
check "devmgr stopped on SIGTERM, counting the events" grep -q "stopping on signal 15: 200[0-9] events" "$work/devmgr.log"
if ! grep -q "All heap blocks were freed" "$work/vg.log"; then
	diag <"$work/vg.log"
fi
