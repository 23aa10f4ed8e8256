#!/bin/bash
# publish.t: devmgr -d republishes the kernel's events for libudev
# clients, and keeps the udev database; checked with real clients on real
# kernel events (loop devices, /sys/class/mem uevents):
#   - build/tools/udevclient, linked to Debian's systemd libudev: filters
#     by subsystem/devtype and by tag (the kernel runs its socket filter on
#     our header's hashes and bloom), devnode, is_initialized, and what
#     is at the node when the event arrives; udev_enumerate on the database;
#   - udevadm monitor --udev --property, from Debian's udev package
#     (unpacked into .deps/ by make deps; the test skips those checks
#     without it);
#   - build/tools/nlrecv: the bytes on the wire, group 0x2 and 0x4
#     (libudev-zero's format, which it parses with no header and exactly
#     one each of ACTION, DEVPATH, SUBSYSTEM and SEQNUM).
# The daemon's /dev and /run are tmpfs in its namespaces (tests/lib/
# daemon.sh), so libudev's monitor listens only when /run/udev/control
# exists: part b shows it stays deaf without the database.
#
#   a  default settings: both formats, database, tags from [publish] tag
#   b  database = no: no /run/udev, libudev clients hear nothing
#   c  udev = no, zero_groups = 0x8: groups chosen by the settings
#   d  the hotplug helper publishes its one event too
#   e  a device flapping 100 times: every event out, in order, and the
#      database ends right (its changes are coalesced within a batch)
#   f  several devices in one batch (the daemon stopped while they come):
#      each entry its own; tags changed by a reload lose their old marks

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
udevadm=$top/.deps/udev/bin/udevadm
[ -x "$udevadm" ] || udevadm=$(command -v udevadm || echo /nonexistent)
tap_skip_unless_root "namespaces, mknod, uevents"
tap_skip_unless_built "$devmgr"
for t in udevclient nlrecv loopctl; do
	if [ ! -x "$tools/$t" ]; then
		echo "1..1"; echo "not ok 1 - cannot run: $tools/$t not built (run make tools)"
		exit 1
	fi
done
if ! unshare -m -n -p -f --mount-proc true 2>/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: cannot create mount, network and pid namespaces"
	exit 1
fi
if [ ! -c /dev/loop-control ] || [ ! -w /sys/class/mem/null/uevent ]; then
	echo "1..1"; echo "not ok 1 - cannot run: no /dev/loop-control or /sys/class/mem uevents here"
	exit 1
fi

tap_workdir publish
echo "1..68"

tap_small_etc
. "$lib/daemon.sh"

lines() { grep -c -e "$2" "$work/$1.out"; }
show() { { echo "$1.out:"; cat "$work/$1.out"; } | diag; }

# ---- a: default settings --------------------------------------------------

N=$(loop_free 200)
M=$(loop_free $((N + 1)))
rules=$work/mdev.conf
cat >"$rules" <<RULES
loop$N root:disk 0660
loop$M root:disk 0640 >disk/lp$M
null root:root 0666
RULES
conf=$work/a.conf
printf '[publish]\ntag = block seat\ntag = mem uaccess\n' >"$conf"

daemon_start a "$rules" --config "$conf" || { fail "daemon a started"; show a; exit 1; }
pass "daemon started with publishing on"
check "/run/udev/control exists" test -f "$RUN/udev/control"
is "coldplug wrote a database entry for /dev/null" \
    "$(grep -c '^I:[0-9][0-9]*$' "$RUN/udev/data/c1:3" 2>&1)" 1

client disk "$tools/udevclient" monitor -s block/disk -n 4 -w 20000 -p
client tty "$tools/udevclient" monitor -s tty -w 20000
client seat "$tools/udevclient" monitor -t seat -w 20000
client uaccess "$tools/udevclient" monitor -t uaccess -w 20000 -p
client zero "$tools/nlrecv" 0x4 -w 20000
client udevwire "$tools/nlrecv" 0x2 -w 20000
have_udevadm=
if [ -x "$udevadm" ]; then
	ns_exec "$udevadm" monitor --udev --property >"$work/udevadm.out" 2>&1 &
	bg+=("$!")
	wait_for 5 grep -qs "UDEV - the event" "$work/udevadm.out" && have_udevadm=1
	sleep 0.3	# it prints its banner before it binds
fi

loop_add "$N"
wait_for 5 has disk "^add block disk /dev/loop$N " || show disk
is "libudev client (block/disk): add of loop$N, node already there with the rule's mode" \
    "$(grep "^add block disk /dev/loop$N " "$work/disk.out")" \
    "add block disk /dev/loop$N init=1 node=b7:$N:0660:0:6"
entry=$RUN/udev/data/b7:$N
seqN=$(cat "/sys/block/loop$N/diskseq")
check "database entry b7:$N written" test -f "$entry"
is "entry: S: (its by-diskseq name), I:, G:seat, Q:seat, V:1" \
    "$(sed 's/^I:[0-9]*$/I:usec/' "$entry" 2>&1 | tr '\n' ' ')" \
    "S:disk/by-diskseq/$seqN I:usec G:seat Q:seat V:1 "
is "udev_enumerate sees loop$N initialised, tagged, with its link" \
    "$(ns_exec "$tools/udevclient" enumerate block | grep "^loop$N ")" \
    "loop$N /dev/loop$N init=1 tags=:seat links=/dev/disk/by-diskseq/$seqN, usec=1"
usec=$(sed -n 's/^I://p' "$entry")
is "the event's USEC_INITIALIZED is the entry's I:" \
    "$(awk -v d="add block disk /dev/loop$N " 'index($0, d) == 1 { f = 1; next } /^[a-z]/ { f = 0 } f && /USEC_INITIALIZED=/' "$work/disk.out" | tr -d ' ')" \
    "USEC_INITIALIZED=$usec"

loop_add "$M"
wait_for 5 has disk "^add block disk /dev/disk/lp$M " || show disk
is "renamed by a rule: DEVNAME is the rule's path" \
    "$(grep "^add block disk /dev/disk/lp$M " "$work/disk.out")" \
    "add block disk /dev/disk/lp$M init=1 node=b7:$M:0640:0:6"
seqM=$(cat "/sys/block/loop$M/diskseq")
is "renamed: its > link is in DEVLINKS (with its by-diskseq name)" \
    "$(awk -v d="add block disk /dev/disk/lp$M " 'index($0, d) == 1 { f = 1; next } /^[a-z]/ { f = 0 } f && /DEVLINKS=/' "$work/disk.out" |
       sed 's/^ *DEVLINKS=//' | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "/dev/disk/by-diskseq/$seqM /dev/loop$M "
is "renamed: the entry has S:loop$M" "$(grep '^S:' "$RUN/udev/data/b7:$M" 2>&1 | tr '\n' ' ')" \
    "S:disk/by-diskseq/$seqM S:loop$M "
is "udev_enumerate: devlinks of loop$M" \
    "$(ns_exec "$tools/udevclient" enumerate block | grep "^loop$M " | sed 's/.* links=//')" \
    "/dev/disk/by-diskseq/$seqM,/dev/loop$M, usec=1"

loop_del "$N"
wait_for 5 has disk "^remove block disk /dev/loop$N " || show disk
is "remove of loop$N: the node is gone when the client hears of it" \
    "$(grep "^remove block disk /dev/loop$N " "$work/disk.out")" \
    "remove block disk /dev/loop$N init=1 node=missing"
check "database entry b7:$N removed" absent "$entry"
loop_del "$M"
wait_for 5 has disk "^remove block disk /dev/disk/lp$M " || show disk
is "remove of renamed loop$M: DEVNAME is the rule's path, node gone" \
    "$(grep "^remove block disk /dev/disk/lp$M " "$work/disk.out")" \
    "remove block disk /dev/disk/lp$M init=1 node=missing"
check "database entry b7:$M removed" absent "$RUN/udev/data/b7:$M"
is "4 events for the block/disk client, in order" \
    "$(awk '/^[a-z]/ { printf "%s %s|", $1, $4 }' "$work/disk.out")" \
    "add /dev/loop$N|add /dev/disk/lp$M|remove /dev/loop$N|remove /dev/disk/lp$M|"

uevent null change
wait_for 5 has uaccess "^change mem - /dev/null " || show uaccess
is "tag client (uaccess): change of null, mode from the rule" \
    "$(grep "^change mem - /dev/null " "$work/uaccess.out")" \
    "change mem - /dev/null init=1 node=c1:3:0666:0:0"
check "change kept the first initialisation time" \
    grep -qx "  USEC_INITIALIZED=$(sed -n 's/^I://p' "$RUN/udev/data/c1:3")" "$work/uaccess.out"
check "TAGS and CURRENT_TAGS are :uaccess:" \
    grep -qx -e "  TAGS=:uaccess:" -e "  CURRENT_TAGS=:uaccess:" "$work/uaccess.out"
sleep 0.5	# anything else would have arrived by now
is "tag client (seat): the block events only" \
    "$(awk '/^[a-z]/ { printf "%s %s %s|", $1, $2, $4 }' "$work/seat.out")" \
    "add block /dev/loop$N|add block /dev/disk/lp$M|remove block /dev/loop$N|remove block /dev/disk/lp$M|"
is "tag client (uaccess): no block event" "$(lines uaccess '^[a-z]* block ')" 0
is "subsystem client (tty): nothing" "$(wc -l <"$work/tty.out")" 0

# On the wire. nlrecv shows NUL as \0.
# each loop add or remove is two events: the disk and its bdi device
is "group 0x4: one message per event (4 disk, 4 bdi, 1 change)" "$(lines zero '^pid=')" 9
is "group 0x4: from our process, as uid 0" \
    "$(grep '^pid=' "$work/zero.out" | sed 's/pid=[0-9]*/pid=P/; s/len=[0-9]*/len=L/' | sort -u)" \
    "pid=P groups=4 uid=0 len=L"
zadd=$(grep -F "ACTION=add\\0DEVPATH=/devices/virtual/block/loop$N\\0" "$work/zero.out")
is "group 0x4: libudev-zero format, no header" "${zadd:0:23}" 'UDEV_DATABASE_VERSION=1'
check "group 0x4: DEVNAME relative, as libudev-zero prefixes /dev/" \
    grep -qF "\\0DEVNAME=loop$N\\0" <<<"$zadd"
for k in ACTION DEVPATH SUBSYSTEM SEQNUM; do
	is "group 0x4: $k exactly once (libudev-zero drops the event otherwise)" \
	    "$(grep -oF "\\0$k=" <<<"\\0$zadd" | wc -l)" 1
done
check "group 0x4: MAJOR, MINOR, DEVTYPE and USEC_INITIALIZED" \
    grep -qE "MAJOR=7.0MINOR=$N.0DEVTYPE=disk.0.*USEC_INITIALIZED=[0-9]+.0$" <<<"$zadd"
check "group 0x4: the renamed node as disk/lp$M" \
    grep -qF "\\0DEVNAME=disk/lp$M\\0" "$work/zero.out"
is "group 0x2: one message per event" "$(lines udevwire '^pid=')" 9
uadd=$(grep -F "ACTION=add\\0DEVPATH=/devices/virtual/block/loop$N\\0" "$work/udevwire.out")
# header: "libudev\0", magic fe ed ca fe, sizes 40 (host order), length,
# MurmurHash2 "block" f0031db7, "disk" 7bcbc5ee, bloom of "seat"
seat_bloom='\x00\x10\x00\x00\x00\x00\x00\x05\x01'
is "group 0x2: libudev header prefix, magic, header size and offset" "${uadd:0:39}" \
    'libudev\0\xfe\xed\xca\xfe(\0\0\0(\0\0\0'
check "group 0x2: subsystem and devtype hashes (block, disk)" \
    grep -qF '\xf0\x03\x1d\xb7{\xcb\xc5\xee' <<<"$uadd"
check "group 0x2: DEVNAME absolute" grep -qF "\\0DEVNAME=/dev/loop$N\\0" <<<"$uadd"

if [ -n "$have_udevadm" ]; then
	wait_for 3 grep -q "^UDEV .* change *\/devices\/virtual\/mem\/null (mem)" "$work/udevadm.out"
	check "udevadm monitor: add of loop$N" \
	    grep -q "^UDEV .* add *\/devices\/virtual\/block\/loop$N (block)" "$work/udevadm.out"
	check "udevadm monitor: remove of loop$M" \
	    grep -q "^UDEV .* remove *\/devices\/virtual\/block\/loop$M (block)" "$work/udevadm.out"
	check "udevadm monitor: DEVNAME=/dev/disk/lp$M" grep -qx "DEVNAME=/dev/disk/lp$M" "$work/udevadm.out"
	check "udevadm monitor: TAGS=:seat:" grep -qx "TAGS=:seat:" "$work/udevadm.out"
	is "udevadm monitor: 9 events" "$(grep -c '^UDEV  ' "$work/udevadm.out")" 9
else
	for i in 1 2 3 4 5; do fail "udevadm not found (make deps unpacks it into .deps/)"; done
fi
stop_clients
daemon_stop
is "daemon a exit status" "$(cat "$STATUS")" 0
log_has "published count in the stop line" "18 messages published, 0 failed, 0 with no listener"

# ---- b: database = no -----------------------------------------------------

printf '[publish]\ndatabase = no\n' >"$work/b.conf"
daemon_start b "$rules" --config "$work/b.conf" || { fail "daemon b started"; show b; exit 1; }
check "no /run/udev" absent "$RUN/udev"
client deaf "$tools/udevclient" monitor -w 20000
client wire "$tools/nlrecv" 0x2 -w 20000
uevent null change
wait_for 5 grep -qF "ACTION=change\\0DEVPATH=/devices/virtual/mem/null\\0" "$work/wire.out"
check "events still sent on group 0x2" grep -qF "DEVNAME=/dev/null\\0" "$work/wire.out"
sleep 0.5
is "without /run/udev/control, libudev's monitor on a tmpfs /dev hears nothing" \
    "$(wc -l <"$work/deaf.out")" 0
ns_exec mkdir -p /run/udev
ns_exec touch /run/udev/control
client hears "$tools/udevclient" monitor -n 1 -w 5000
uevent null change
wait_for 5 has hears "^change mem"
is "with it (made by hand here), the same client hears" "$(lines hears '^change mem - /dev/null init=1')" 1
stop_clients
daemon_stop
# group 0x4 (libudev-zero's) had no socket joined in this namespace: its
# two messages were never sent, which costs the kernel nothing
log_has "no listener on 0x4: not sent" "2 messages published, 0 failed, 2 with no listener"

# ---- c: chosen groups -----------------------------------------------------

printf '[publish]\nudev = no\nzero_groups = 0x8\n' >"$work/c.conf"
daemon_start c "$rules" --config "$work/c.conf" || { fail "daemon c started"; show c; exit 1; }
client g2 "$tools/nlrecv" 0x2 -w 20000
client g4 "$tools/nlrecv" 0x4 -w 20000
client g8 "$tools/nlrecv" 0x8 -n 1 -w 5000
uevent null change
wait_for 5 grep -q '^pid=' "$work/g8.out"
check "zero_groups = 0x8: the event arrives on 0x8" grep -qF "ACTION=change\\0" "$work/g8.out"
sleep 0.5
is "udev = no: nothing on 0x2" "$(wc -l <"$work/g2.out")" 0
is "nothing on 0x4 any more" "$(wc -l <"$work/g4.out")" 0
stop_clients
daemon_stop

# ---- d: hotplug helper ----------------------------------------------------

cat >"$work/helper.sh" <<'HELPER'
set -u
work=$1 tools=$2 devmgr=$3 rules=$4 etc=$5 empty=$6
exec 5</dev/null	# a background job's stdin, before /dev is emptied
mount -t tmpfs -o mode=0755 pubtest /dev && mount -t tmpfs -o mode=0755 pubtest /run || exit 99
"$tools/nlrecv" 0x4 -n 1 -w 5000 -r "$work/h.ready" >"$work/h.out" <&5 &
while [ ! -e "$work/h.ready" ]; do sleep 0.02; done
env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin ACTION=add DEVPATH=/devices/virtual/mem/null \
    SUBSYSTEM=mem MAJOR=1 MINOR=3 DEVNAME=null SEQNUM=77 HOME=/ \
    "$devmgr" --config "$empty" --rules "$rules" --etc "$etc" 2>"$work/h.err"
echo "status=$?"
wait
stat -c '%F %t:%T %a' /dev/null
sed 's/^I:[0-9]*$/I:usec/' /run/udev/data/c1:3 | tr '\n' ' '
echo
HELPER
out=$(unshare -m -n -- bash "$work/helper.sh" "$work" "$tools" "$devmgr" "$rules" "$etc" "$empty" 2>&1)
is "hotplug helper: node made, database entry written" "$out" \
    "status=0
character special file 1:3 666
I:usec V:1 "
is "hotplug helper: its event on 0x4, environment keys HOME and PATH left out" \
    "$(sed -n 2p "$work/h.out" | sed 's/USEC_INITIALIZED=[0-9]*/USEC_INITIALIZED=U/')" \
    'UDEV_DATABASE_VERSION=1\0ACTION=add\0DEVPATH=/devices/virtual/mem/null\0SUBSYSTEM=mem\0MAJOR=1\0MINOR=3\0SEQNUM=77\0DEVNAME=null\0USEC_INITIALIZED=U\0'

# ---- e: flapping ------------------------------------------------------------

daemon_start e "$rules" --config "$conf" || { fail "daemon e started"; show e; exit 1; }
client flap "$tools/udevclient" monitor -s mem -n 201 -w 20000
for i in $(seq 100); do uevent null remove; uevent null add; done
uevent null change
wait_for 10 has flap "^change mem"
is "201 events, in order: remove/add x100, change" \
    "$(awk '{ printf "%s ", $1 }' "$work/flap.out" | md5sum)" \
    "$( (for i in $(seq 100); do printf 'remove add '; done; printf 'change ') | md5sum)"
is "the node is there at the end" "$(tail -1 "$work/flap.out")" \
    "change mem - /dev/null init=1 node=c1:3:0666:0:0"
is "the database entry is there, with its tag" \
    "$(sed 's/^I:[0-9]*$/I:usec/' "$RUN/udev/data/c1:3" 2>&1 | tr '\n' ' ')" \
    "I:usec G:uaccess Q:uaccess V:1 "
check "and the tag mark" test -f "$RUN/udev/tags/uaccess/c1:3"
stop_clients
daemon_stop

# ---- f: one batch, several devices; tags after a reload --------------------

printf 'null root:root 0666 >nulllink\nzero root:root 0666 >zerolink\n' >"$work/f.rules"
printf '[publish]\ntag = mem uaccess\n' >"$work/f.conf"
daemon_start f "$work/f.rules" --config "$work/f.conf" || { fail "daemon f started"; show f; exit 1; }
client fmon "$tools/udevclient" monitor -s mem -n 5 -w 20000
kill -STOP "$DPID"
wait_for 5 stopped
uevent null change
uevent zero change
uevent full remove
uevent full add
uevent urandom change
kill -CONT "$DPID"
wait_for 10 has fmon "^change mem - /dev/urandom"
d=$RUN/udev/data
is "batch: null's entry has its own link (> leaves one at the kernel name)" "$(grep '^S:' "$d/c1:3" 2>&1)" "S:null"
is "batch: zero's entry has its own link" "$(grep '^S:' "$d/c1:5" 2>&1)" "S:zero"
is "batch: full, removed and added, has its entry and tag mark" \
    "$(grep -c '^G:uaccess$' "$d/c1:7" 2>&1) $(ls "$RUN/udev/tags/uaccess/" | tr '\n' ' ')" \
    "1 c1:11 c1:3 c1:5 c1:7 c1:8 c1:9 "
printf '[publish]\ntag = mem seat\n' >"$work/f.conf"
kill -HUP "$DPID"
wait_for 5 log_count "reloaded" >/dev/null
sleep 0.2
uevent null change
wait_for 5 test -e "$RUN/udev/tags/seat/c1:3"
is "reload: null's entry now tagged seat" "$(grep '^[GQ]:' "$d/c1:3" | tr '\n' ' ')" "G:seat Q:seat "
check "reload: its uaccess mark is gone" absent "$RUN/udev/tags/uaccess/c1:3"
check "reload: zero's uaccess mark stays until zero changes" test -e "$RUN/udev/tags/uaccess/c1:5"
# devmgr monitor: the kernel's event and devmgr's, as they arrive
ns_exec "$devmgr" monitor --kernel --udev --zero --property --count 3 >"$work/mon.out" 2>&1 &
mon=$!
bg+=("$mon")
wait_for 5 grep -qs "^monitoring:" "$work/mon.out"
sleep 0.2
uevent zero change
wait_for 5 sh -c "[ \$(grep -c '^[A-Z]* *\[' '$work/mon.out') = 3 ]"
is "monitor: the kernel's event, devmgr's two" \
    "$(sed -n 's/^\([A-Z]*\) *\[[0-9.]*\] \(.*\)/\1 \2/p' "$work/mon.out" | sort | tr -s ' ')" \
    "KERNEL change /devices/virtual/mem/zero (mem)
UDEV change /devices/virtual/mem/zero (mem)
ZERO change /devices/virtual/mem/zero (mem)"
is "monitor: the properties: DEVNAME as each format says it (renamed by >)" \
    "$(grep -e '^DEVNAME=' "$work/mon.out" | sort | tr '\n' ' ')" \
    "DEVNAME=/dev/zerolink DEVNAME=zero DEVNAME=zerolink "
stop_clients
daemon_stop

printf '[publish]\n\nzero_groups = 0x3\n' >"$work/bad.conf"
out=$("$devmgr" -s --config "$work/bad.conf" --dev "$work" 2>&1)
is "group 0x1 refused in the config: exit 2" "$?" 2
is "... with file and line" "$out" \
    "devmgr: $work/bad.conf:3: [publish] zero_groups = 0x3: group 0x1 is the kernel's: publishing there would forge kernel events"
