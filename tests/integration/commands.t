#!/bin/bash
# commands.t: rule commands (@ $ *), busybox mdev against devmgr, and
# devmgr's daemon running them without holding up other devices.
#
#   a  hotplug helper, same events and rule file for both tools (busybox
#      1.35 mdev and devmgr, each in its own private namespaces on the
#      same generated sysfs): what every command saw (its whole
#      environment, sorted, its working directory, the node it found) and
#      did (files it wrote), and the /dev trees, must be the same
#   b  the daemon: a slow command for one device does not hold up
#      another's; a device's second event waits for its first's command;
#      a command over [commands] timeout is killed; a missing command is
#      logged and nothing stops; an add is published after its command ran

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
busybox=${BUSYBOX:-$(command -v busybox)}
tap_skip_unless_root "namespaces, mknod"
tap_skip_unless_built "$devmgr"
if [ -z "$busybox" ] || ! "$busybox" mdev --help 2>&1 | grep -q mdev; then
	echo "1..1"; echo "not ok 1 - cannot run: no busybox with mdev (Debian: busybox-static)"
	exit 1
fi
. "$lib/ns.sh"
tap_workdir commands
echo "1..25"

# ---- a: busybox and devmgr, hotplug helper ----------------------------------
# (ls prints no times: a minute that turns between the two runs is no
# difference)

sys=$work/sys
"$lib/gensysfs.sh" "$sys" >/dev/null || { echo "Bail out! gensysfs.sh failed"; exit 1; }
out=$work/out	# the commands write here: $out/<tool>/...
rules=$work/mdev.conf
cat >"$rules" <<RULES
null	root:root	0666	@env | grep -v ^TOOL= | sort >$out/\$TOOL/null.env; pwd >>$out/\$TOOL/null.env; ls -l --time-style=+ \$MDEV >>$out/\$TOOL/null.env
zero	root:root	0666	\$ls -l --time-style=+ /dev/zero >$out/\$TOOL/zero.remove; echo "\$ACTION \$MDEV \$MAJOR:\$MINOR" >>$out/\$TOOL/zero.remove
full	root:root	0666	*echo "\$ACTION \$MDEV \$SUBSYSTEM \$DEVPATH" >>$out/\$TOOL/full.log
urandom	root:root	0444	=urnd	@echo "\$MDEV \$DEVNAME" >$out/\$TOOL/urandom; ls -l --time-style=+ urnd >>$out/\$TOOL/urandom
tty5	root:tty	0620	!	@echo "no node: \$MDEV" >$out/\$TOOL/tty5; ls tty5 >>$out/\$TOOL/tty5 2>&1
-loop3	root:disk	0660	@echo "first \$MDEV" >>$out/\$TOOL/loop3
loop([0-9]+)	root:disk	0660	>lp/%1	*echo "second \$MDEV \$ACTION" >>$out/\$TOOL/loop3
kmsg	root:root	0600	@/lib/mdev/nonexistent-helper
-random	root:root	0600	!	@echo "bang \$MDEV" >>$out/\$TOOL/bang
random	root:root	0644	=rnd	@echo "second \$MDEV" >>$out/\$TOOL/bang; (sleep 1; echo late >>$out/\$TOOL/bang) &
RULES
ns_mketc "$work/etc-a" "$rules"

# kernel_env MAJ:MIN char|block ACTION: the environment the kernel gives a
# hotplug helper for that device of the generated sysfs
kernel_env() {
	local dir
	dir=$(readlink -f "$sys/dev/$2/$1")
	EV=("ACTION=$3" "DEVPATH=${dir#"$sys"}" "SUBSYSTEM=$(basename "$(readlink "$dir/subsystem")")"
	    "SEQNUM=$((seq++))" HOME=/ "PATH=$kpath")
	while IFS= read -r line; do EV+=("$line"); done <"$dir/uevent"
}
events=(
	"1:3 char add" "1:5 char add" "1:5 char remove" "1:7 char add" "1:7 char change"
	"1:7 char remove" "1:9 char add" "4:5 char add" "7:3 block add" "7:3 block remove"
	"1:11 char add" "1:8 char add"
)
for tool in busybox devmgr; do
	mkdir -p "$out/$tool"
	seq=1000
	script=$work/$tool.sh
	{
		echo 'set -u'
		for e in "${events[@]}"; do
			set -- $e
			kernel_env "$1" "$2" "$3"
			printf 'env -i TOOL=%s' "$tool"
			printf ' %q' "${EV[@]}"
			if [ "$tool" = busybox ]; then printf ' %q mdev' "$busybox"; else printf ' %q' "$devmgr"; fi
			echo " 2>>$work/$tool.err"
		done
	} >"$script"
	ns_devtree "$sys" "$work/etc-a" "$work/$tool.tree" /bin/sh "$script"
	is "a: $tool ran every event" "$?" 0
done
sleep 1.5	# what the random command left in the background
for f in null.env zero.remove full.log urandom tty5 loop3 bang; do
	if [ -s "$out/devmgr/$f" ] && cmp -s "$out/busybox/$f" "$out/devmgr/$f"; then
		pass "a: command output $f the same"
	else
		fail "a: command output $f the same"
		diff "$out/busybox/$f" "$out/devmgr/$f" 2>&1 | diag
	fi
done
is "a: the null command saw MDEV, ACTION, DEVPATH, SUBSYSTEM, DEVNAME, MAJOR, MINOR, SEQNUM" \
    "$(grep -c -e '^MDEV=null$' -e '^ACTION=add$' -e '^DEVPATH=/devices/virtual/mem/null$' \
    -e '^SUBSYSTEM=mem$' -e '^DEVNAME=null$' -e '^MAJOR=1$' -e '^MINOR=3$' -e '^SEQNUM=1000$' \
    "$out/devmgr/null.env" 2>&1)" 8
is "a: ... in /dev, after the node was made" "$(sed -n '$p' "$out/devmgr/null.env" 2>&1 | cut -c1-3)" "crw"
is "a: \$ ran before the node went" "$(head -c 3 "$out/devmgr/zero.remove" 2>&1)" "crw"
if cmp -s "$work/busybox.tree" "$work/devmgr.tree"; then
	pass "a: the same /dev trees"
else
	fail "a: the same /dev trees"
	diff "$work/busybox.tree" "$work/devmgr.tree" | diag
fi
check "a: devmgr logged the missing helper" grep -q "nonexistent-helper.*not found" "$work/devmgr.err"

# ---- b: the daemon --------------------------------------------------------------

tap_small_etc
. "$lib/daemon.sh"
log=$work/cmd.log	# the commands write "WHAT ACTION TIME" lines here
cat >"$work/b.rules" <<RULES
null	root:root	0666	*echo "null-start \$ACTION \$(date +%s%N)" >>$log; sleep 2; echo "null-end \$ACTION \$(date +%s%N)" >>$log
zero	root:root	0666	*echo "zero \$ACTION \$(date +%s%N)" >>$log
full	root:root	0666	*sleep 30
random	root:root	0666	*/lib/mdev/nonexistent
urandom	root:root	0666	@sleep 1; echo "urandom-cmd add \$(date +%s%N)" >>$log
kmsg	root:root	0600	*echo started; (sleep 1; echo "background \$ACTION 0" >>$log; echo "more output") &
RULES
printf '[commands]\ntimeout = 3\n' >"$work/b.conf"
# stamp WHAT: the time of WHAT's first line
stamp() { sed -n "s/^$1 [a-z]* //p" "$log" | head -1; }
daemon_start b "$work/b.rules" --config "$work/b.conf" || { fail "b: daemon started"; exit 1; }
: >"$log"
uevent null change
uevent null change
sleep 0.2
uevent zero change
wait_for 10 sh -c "[ \$(grep -c '^null-end' '$log') = 2 ]"
zero=$(stamp zero)
nullend=$(stamp null-end)
check "b: zero's command ran while null's still slept ($zero < $nullend)" \
    [ "${zero:-9}" -lt "${nullend:-0}" ]
second_start=$(sed -n 's/^null-start change //p' "$log" | sed -n 2p)
check "b: null's second command started after its first ended (order per device)" \
    [ "${second_start:-0}" -ge "${nullend:-99999999999999999999}" ]
uevent full change
uevent random change
wait_for 8 grep -q "'sleep 30' (full) still runs after 3 s: killed" "$LOG"
check "b: the command over the 3 s limit was killed" \
    grep -q "'sleep 30' (full) still runs after 3 s: killed" "$LOG"
check "b: the missing command was logged" \
    grep -q "'/lib/mdev/nonexistent' (random) exited with status 127" "$LOG"
# publishing waits for the command: urandom's add event leaves after it.
# The client takes the first mem event: full's and random's, published
# once their commands are reaped, must be out of the way first.
wait_for 5 grep -q "'sleep 30' (full) killed by signal" "$LOG"
sleep 0.3
ns_exec "$tools/udevclient" monitor -s mem -n 1 -w 30000 -r "$work/b.ready" \
    >"$work/b.client" 2>&1 &
client=$!
wait_for 5 test -e "$work/b.ready"
uevent urandom add
wait "$client"
arrived=$(date +%s%N)
cmd=$(stamp urandom-cmd)
check "b: the add event was published after its command ran" [ -n "$cmd" ]
is "b: ... the client got it, the node in place" "$(cut -d' ' -f1,4,6 "$work/b.client")" \
    "add /dev/urandom node=c1:9:0666:0:0"
check "b: ... and only after the command's second of sleep" [ "${cmd:-0}" -le "$arrived" ]
uevent kmsg change
wait_for 5 grep -q '^background change' "$log"
check "b: what a command left in the background runs on, its output read" \
    grep -q '^background change' "$log"
wait_for 3 grep -q "(kmsg): more output" "$LOG"
check "b: ... its later output is in the log" grep -q "(kmsg): more output" "$LOG"
uevent zero change
wait_for 5 sh -c "[ \$(grep -c '^zero' '$log') = 2 ]"
is "b: still handling events" "$(grep -c '^zero' "$log")" 2
daemon_stop
is "b: daemon stopped cleanly" "$(cat "$STATUS")" 0
