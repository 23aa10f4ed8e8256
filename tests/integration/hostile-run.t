#!/bin/bash
# hostile-run.t: things planted in /run/udev, the udev database the daemon
# keeps, against devmgr -d on real kernel uevents (loop devices numbered
# 200 and up, removed again on exit, also on failure). Whoever can write
# there must not be able to stop the daemon, have it read a file
# elsewhere and multicast its lines, have it write through a link, or
# silence it. After each attack a later device still gets its node and
# its event, and the log names what was refused.
#
#   a  a FIFO at data/b7:N, read on the device's remove (and on a change
#      of another device with one): the daemon must not block
#   b  a symlink at data/b7:N to a root-only file holding a secret: no
#      listener hears the secret, the file is not even read
#   c  a symlink and a FIFO planted as tag marks, tags/seat/b7:N
#   d  at the temporary name of an atomic replace, data/.#b7:N.PID: a
#      hard link to a file outside the database, a symlink, a FIFO
#   e  /run/udev/control before devmgr starts: e1 a socket bound by a
#      process that does not listen, e2 a listening socket of another uid,
#      e3 a FIFO (none stops devmgr writing the database and publishing),
#      e4 a listening root socket as systemd-udevd's (devmgr leaves the
#      database and the libudev-format events to it)
#
# Each daemon runs in private namespaces with its own tmpfs /dev and /run
# (tests/lib/daemon.sh); clients run in there too (publish.t's way).

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
py=/usr/bin/python3	# plants the sockets of part e
tap_skip_unless_root "namespaces, mknod, uevents"
tap_skip_unless_built "$devmgr"
for t in udevclient nlrecv loopctl; do
	if [ ! -x "$tools/$t" ]; then
		echo "1..1"; echo "not ok 1 - cannot run: $tools/$t not built (run make tools)"
		exit 1
	fi
done
if [ ! -x "$py" ] || ! command -v setpriv >/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: needs $py and setpriv (make deps)"
	exit 1
fi
if ! unshare -m -n -p -f --mount-proc true 2>/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: cannot create mount, network and pid namespaces"
	exit 1
fi
if [ ! -c /dev/loop-control ] || [ ! -w /sys/class/mem/urandom/uevent ]; then
	echo "1..1"; echo "not ok 1 - cannot run: no /dev/loop-control or /sys/class/mem uevents here"
	exit 1
fi

tap_workdir hostile-run
echo "1..75"

tap_small_etc
. "$lib/daemon.sh"

bail() {
	[ -n "${LOG:-}" ] && [ -s "$LOG" ] && { echo "daemon log:"; cat "$LOG"; } | diag
	echo "Bail out! $*"
	exit 1
}
# listen NAME CMD...: client (daemon.sh), or bail out
listen() { client "$@" || bail "client $1 did not start"; }
disk_client() { listen "$1" "$tools/udevclient" monitor -s block/disk -w 120000 -p; }
heard() { wait_for 5 has "$1" "^$2 block disk /dev/loop$3 "; }
not() { ! "$@"; }

# every block device is tagged "seat": its entry has tag marks
conf=$work/seat.conf
printf '[publish]\ntag = block seat\n' >"$conf"
start() {
	daemon_start "$1" "$empty" --config "$conf" || bail "daemon $1 did not start"
	D=$RUN/udev/data
}
stop() { stop_clients; daemon_stop; }
# pick: L, a loop number no device has and this test has not used yet (a
# client's output never shows an earlier device of the same name)
next=200
pick() {
	L=$(loop_free "$next")
	next=$((L + 1))
}
new_loop() {
	pick
	loop_add "$L" || bail "cannot add loop$L"
}
# later PART CLIENT: the daemon still works: a new loop device gets its
# node, and CLIENT hears its add
later() {
	new_loop
	check "$1: a later device, loop$L, gets its node" wait_for 5 test -b "$DEV/loop$L"
	check "$1: ... and a libudev client hears its add" heard "$2" add "$L"
	loop_del "$L"
}
entry_ok() { [ -f "$1" ] && [ ! -L "$1" ] && grep -q '^I:[0-9]' "$1" && grep -qx 'V:1' "$1"; }

# ---- a: a FIFO as a database entry ----------------------------------------

start a
disk_client a
new_loop
N=$L
wait_for 5 entry_ok "$D/b7:$N" || bail "no database entry b7:$N"
rm -f "$D/b7:$N" && mkfifo "$D/b7:$N" || bail "cannot plant a FIFO at data/b7:$N"
loop_del "$N" || bail "cannot remove loop$N"
check "a: remove of loop$N, a FIFO at its entry: the remove is published" heard a remove "$N"
check "a: ... the node is gone" wait_for 5 absent "$DEV/loop$N"
check "a: ... the FIFO went with the entry" wait_for 5 absent "$D/b7:$N"
log_has "a: ... the FIFO was refused, by name" "refusing /run/udev/data/b7:$N: a FIFO"
later a a
stop

start a2
disk_client a2
new_loop
M=$L
wait_for 5 entry_ok "$D/b7:$M" || bail "no database entry b7:$M"
rm -f "$D/b7:$M" && mkfifo "$D/b7:$M" || bail "cannot plant a FIFO at data/b7:$M"
echo change >"/sys/block/loop$M/uevent"
check "a: change of loop$M, a FIFO at its entry: the change is published" heard a2 change "$M"
check "a: ... the entry is devmgr's own file again" wait_for 5 entry_ok "$D/b7:$M"
log_has "a: ... the FIFO was refused, by name" "refusing /run/udev/data/b7:$M: a FIFO"
check "a: ... the daemon goes on (sentinel)" sentinel
later a a2
loop_del "$M"
stop

# ---- b: a symlink as a database entry, to a root-only secret ---------------

secret=$work/secret
token=devmgr-secret-$RANDOM$RANDOM
printf 'E:DEVMGR_SECRET=%s\nS:%s\nG:%s\n' "$token" "$token" "$token" >"$secret"
chmod 600 "$secret"
fp() { stat -c '%i %s %a %u %Y' -- "$secret"; }
secret_fp=$(fp)
secret_atime=$(stat -c %x -- "$secret")

start b
disk_client b
listen b2 "$tools/nlrecv" 0x2 -w 120000
listen b4 "$tools/nlrecv" 0x4 -w 120000
new_loop
N=$L
wait_for 5 entry_ok "$D/b7:$N" || bail "no database entry b7:$N"
plant_secret() { rm -f "$D/b7:$N" && ln -s "$secret" "$D/b7:$N" || bail "cannot plant a symlink at data/b7:$N"; }
plant_secret
echo change >"/sys/block/loop$N/uevent"
check "b: change of loop$N, its entry a symlink to a secret: the change is published" heard b change "$N"
check "b: ... the entry is devmgr's own file" wait_for 5 entry_ok "$D/b7:$N"
# (never through a symlink: the test must not read the secret itself)
check "b: ... and holds nothing of the secret" \
    sh -c '[ ! -L "$1" ] && ! grep -qF "$2" "$1"' - "$D/b7:$N" "$token"
plant_secret
loop_del "$N" || bail "cannot remove loop$N"
check "b: remove of loop$N, the symlink again: the remove is published" heard b remove "$N"
wait_for 5 grep -qF "ACTION=remove\\0DEVPATH=/devices/virtual/block/loop$N\\0" "$work/b4.out"
wait_for 5 grep -qF "ACTION=remove\\0DEVPATH=/devices/virtual/block/loop$N\\0" "$work/b2.out"
check "b: no listener (libudev, group 0x2, group 0x4) received the secret" \
    not grep -qF "$token" "$work/b.out" "$work/b2.out" "$work/b4.out"
is "b: the secret file is untouched (inode, size, mode, owner, mtime)" "$(fp)" "$secret_fp"
is "b: ... not even read (atime)" "$(stat -c %x -- "$secret")" "$secret_atime"
log_has "b: the symlink was refused, by name" "refusing /run/udev/data/b7:$N: a symlink"
later b b
stop

# ---- c: tag marks -----------------------------------------------------------

start c
disk_client c
marks=$RUN/udev/tags/seat
mkdir -p "$marks" || bail "cannot make tags/seat"
target=$work/mark-target
pick
N=$L
ln -s "$target" "$marks/b7:$N" || bail "cannot plant a symlink at tags/seat/b7:$N"
loop_add "$N" || bail "cannot add loop$N"
check "c: symlink as the tag mark of loop$N: the add is published" heard c add "$N"
check "c: ... its entry is written" wait_for 5 entry_ok "$D/b7:$N"
check "c: ... nothing made where the symlink points" absent "$target"
is "c: ... the symlink left as it was" "$(readlink "$marks/b7:$N")" "$target"
log_has "c: ... refused, by name" "refusing /run/udev/tags/seat/b7:$N: a symlink"
pick
M=$L
mkfifo "$marks/b7:$M" || bail "cannot plant a FIFO at tags/seat/b7:$M"
loop_add "$M" || bail "cannot add loop$M"
check "c: FIFO as the tag mark of loop$M: the add is published" heard c add "$M"
check "c: ... its entry is written" wait_for 5 entry_ok "$D/b7:$M"
check "c: ... the FIFO left as it was" test -p "$marks/b7:$M"
log_has "c: ... refused, by name" "refusing /run/udev/tags/seat/b7:$M: a FIFO"
loop_del "$N" || bail "cannot remove loop$N"
loop_del "$M" || bail "cannot remove loop$M"
check "c: the removes are published" heard c remove "$M"
check "c: ... and the planted marks went with the entries" \
    wait_for 5 absent "$marks/b7:$N" "$marks/b7:$M" "$D/b7:$N" "$D/b7:$M"
later c c
stop

# ---- d: the temporary file of an atomic replace ------------------------------

start d
disk_client d
pid=$(awk '/^NSpid:/ { print $NF }' "/proc/$DPID/status")
[ -n "$pid" ] || bail "no pid of the daemon in its namespace"
temp() { echo "$D/.#b7:$1.$pid"; }
same_fs=$RUN/outside	# beside /run/udev, on its file system: a hard link can be made
printf 'precious\n' >"$same_fs" || bail "cannot write $same_fs"
same_fp=$(stat -c '%i %s %Y %h' -- "$same_fs")

pick
N=$L
ln "$same_fs" "$(temp "$N")" || bail "cannot plant a hard link at the temporary name"
loop_add "$N" || bail "cannot add loop$N"
check "d: hard link to a file outside at the temporary name: the add is published" heard d add "$N"
check "d: ... the entry is written" wait_for 5 entry_ok "$D/b7:$N"
is "d: ... the outside file keeps its content" "$(cat "$same_fs")" precious
is "d: ... and its inode, size and mtime; the planted link is gone" \
    "$(stat -c '%i %s %Y %h' -- "$same_fs")" "$same_fp"
check "d: ... the entry is a new file, not the outside one" \
    test "$(stat -c %i -- "$D/b7:$N")" != "$(stat -c %i -- "$same_fs")"
log_has "d: ... said" "removing /run/udev/data/.#b7:$N.$pid: a regular file with 2 links"

pick
M=$L
target=$work/temp-target
ln -s "$target" "$(temp "$M")" || bail "cannot plant a symlink at the temporary name"
loop_add "$M" || bail "cannot add loop$M"
check "d: symlink at the temporary name: the add is published" heard d add "$M"
check "d: ... the entry is written" wait_for 5 entry_ok "$D/b7:$M"
check "d: ... nothing made where the symlink points, the symlink gone" \
    absent "$target" "$(temp "$M")"
log_has "d: ... said" "removing /run/udev/data/.#b7:$M.$pid: a symlink"

pick
P=$L
mkfifo "$(temp "$P")" || bail "cannot plant a FIFO at the temporary name"
loop_add "$P" || bail "cannot add loop$P"
check "d: FIFO at the temporary name: the add is published" heard d add "$P"
check "d: ... the entry is written" wait_for 5 entry_ok "$D/b7:$P"
check "d: ... the FIFO gone" absent "$(temp "$P")"
log_has "d: ... said" "removing /run/udev/data/.#b7:$P.$pid: a FIFO"
check "d: the daemon goes on (sentinel)" sentinel
later d d
stop

# ---- e: /run/udev/control ------------------------------------------------------

# holder.py PATH bind|listen READY: a unix SOCK_SEQPACKET socket (as
# systemd-udevd's control) bound at PATH, listening or not, kept open
# until the namespace ends
cat >"$work/holder.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
if sys.argv[2] == "listen":
    s.listen(16)
open(sys.argv[3], "w").close()
while True:
    time.sleep(3600)
PY

# plant MODE: a script devmgr is started through, in its namespaces: it
# plants MODE at /run/udev/control, then becomes devmgr:
#   bound   a socket whose process does not listen
#   nobody  a listening socket of uid 65534
#   udevd   a listening socket of root
#   fifo    a FIFO
plant() {
	cat >"$work/plant-$1" <<EOF
#!/bin/bash
mkdir -p /run/udev /run/plant && chmod 1777 /run/plant || exit 97
cp "$work/holder.py" /run/plant/ && chmod 644 /run/plant/holder.py || exit 97
hold() { "$py" /run/plant/holder.py "\$@" <&0 3>&- & }
case $1 in
bound)	hold /run/udev/control bind /run/plant/ready ;;
udevd)	hold /run/udev/control listen /run/plant/ready ;;
nobody)	setpriv --reuid=65534 --regid=65534 --clear-groups \\
	    "$py" /run/plant/holder.py /run/plant/control listen /run/plant/ready <&0 3>&- & ;;
fifo)	mkfifo /run/udev/control && touch /run/plant/ready ;;
esac
for i in \$(seq 250); do [ -e /run/plant/ready ] && break; sleep 0.02; done
[ -e /run/plant/ready ] || exit 98
[ $1 != nobody ] || mv /run/plant/control /run/udev/control || exit 98
exec "$devmgr" "\$@"
EOF
	chmod +x "$work/plant-$1"
}
# estart NAME MODE: the daemon, started through plant MODE; fails when it
# does not get ready (which the attack may cause: a check, not a bail out)
estart() {
	local real=$devmgr rc
	plant "$2"
	devmgr=$work/plant-$2
	daemon_start "$1" "$empty" --config "$conf"
	rc=$?
	devmgr=$real
	[ -n "$INIT" ] || bail "daemon $1 not found in its namespace"
	RUN=/proc/$INIT/root/run DEV=/proc/$INIT/root/dev D=/proc/$INIT/root/run/udev/data
	return $rc
}
# keeps PART: devmgr went on with the database and publishing: control
# is its own file, coldplug wrote entries, a libudev client hears a loop
# device's add, whose entry is written
keeps() {
	check "$1: ... control is devmgr's own file now" test -f "$RUN/udev/control"
	check "$1: ... coldplug wrote the database (data/c1:3)" entry_ok "$D/c1:3"
	disk_client "$1"
	new_loop
	check "$1: ... a libudev client hears loop$L's add" heard "$1" add "$L"
	check "$1: ... whose entry is written" wait_for 5 entry_ok "$D/b7:$L"
	loop_del "$L"
}

check "e1: a socket at control whose process does not listen: devmgr starts" estart e1 bound
log_has "e1: ... says what it found" "/run/udev/control is a socket nobody listens on"
keeps e1
stop

check "e2: a listening socket of uid 65534 at control: devmgr starts" estart e2 nobody
log_has "e2: ... says what it found" "/run/udev/control is a socket of uid 65534, not root's"
keeps e2
stop

check "e3: a FIFO at control: devmgr starts" estart e3 fifo
log_has "e3: ... says what it found" "/run/udev/control is a FIFO"
keeps e3
stop

check "e4: a listening root socket at control, as systemd-udevd's: devmgr starts" estart e4 udevd
log_has "e4: ... concludes a udevd runs" "a udevd runs here"
listen e4u "$tools/nlrecv" 0x2 -w 120000
listen e4z "$tools/nlrecv" 0x4 -w 120000
uevent null change
wait_for 5 grep -qF "ACTION=change\\0DEVPATH=/devices/virtual/mem/null\\0" "$work/e4z.out"
check "e4: ... its events in libudev-zero's format still go out" \
    grep -qF "ACTION=change\\0DEVPATH=/devices/virtual/mem/null\\0" "$work/e4z.out"
sleep 0.3	# anything else would have arrived by now
is "e4: ... none in systemd's libudev format (udevd's to send)" "$(wc -l <"$work/e4u.out")" 0
check "e4: ... no database written, control still the socket" \
    sh -c "[ ! -e '$D' ] && [ -S '$RUN/udev/control' ]"
stop
