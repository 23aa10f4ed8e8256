#!/bin/bash
# devmgr.t: what devmgr does on purpose differently from, or beyond,
# busybox mdev.
#
#   prove -v tests/integration/devmgr.t      (as root, from the repo root)
#   DEVMGR=/path/to/devmgr prove ...         (default: ./devmgr)
#   KEEP=1 prove -v ...                      (keep the work directory)
#
# Everything runs on scratch directories under one mktemp -d, through
# --sys, --dev, --rules, --etc and --config (an empty file, so that a
# host /etc/devmgr.conf cannot interfere): no mount, no namespace, and
# the host's /dev, /etc and /sys are never used.  Every devmgr call runs
# under `env -i`, with only the variables a kernel helper call would get.
#
#   a  remove of a node renamed by an @major,minor rule
#   b  remove deletes only a node with the device's type and numbers
#   c  an existing right node is fixed in place; a wrong one is replaced
#   d  rule targets leaving the dev root are refused
#   e  symlinks planted in the dev root are not followed
#   g  /dev/mdev.seq
#   h  ACTION=remove with FIRMWARE set removes nothing
#   i  ACTION=change creates and removes nothing
#   j  a missing rule file is the same as an empty one
#   k  -j 1 and the default number of jobs give the same tree
#   l  --config: errors with FILE:LINE, [paths] honoured, command line wins
#   m  --help, --version, no arguments
#   n  the udev database on a generated sysfs: ID_* of a USB serial
#      adapter (udev's usb_id), none for others, ids = no
#   o  device policy: [policy] allow, outside = node, a bad rule
#   p  firmware requests served from [firmware] dir, "-1" when missing
#   r  persistent names: serial/by-id, serial/by-path made with the node
#      (and in the database), removed with it; [links] persistent = no
#   s  the dry run: devmgr test PATH, -s -n: rule line, node, links,
#      commands printed, nothing made
#   q  modules for MODALIAS through libkmod, in a dry run on the test
#      module tree (tests/data/modules): hotplug add, coldplug, blacklist
# (f, broken rule lines, is badrules.t.)
#

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "mknod, chown"
tap_skip_unless_built "$devmgr"

tap_workdir t

echo "1..132"

# err_has DESC FIXED-STRING: a "devmgr: " line of the last stderr has it
err_has() {
	if grep '^devmgr: ' "$err" | grep -qF -e "$2"; then
		pass "$1"
	else
		fail "$1"
		{ echo "no 'devmgr: ...$2...' on stderr:"; cat "$err"; } | diag
	fi
}
ino() { stat -c %i -- "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- inputs -------------------------------------------------------------

sys=$work/sys
"$lib/gensysfs.sh" "$sys" || { echo "Bail out! gensysfs.sh failed"; exit 1; }
tap_small_etc
err=$work/stderr
# Outside a network namespace, the hotplug helper must not publish its
# made-up events to the host's listeners.
nopub=$work/nopub.conf
printf '[publish]\nudev = no\nzero = no\n' >"$nopub"

# kernel_env MAJ:MIN [char|block]: EV=(the keys the kernel gives a
# helper for that device of $sys: DEVPATH, SUBSYSTEM, uevent keys)
kernel_env() {
	local dir line
	dir=$(readlink -f "$sys/dev/${2:-char}/$1")
	EV=("DEVPATH=${dir#"$sys"}" "SUBSYSTEM=$(basename "$(readlink "$dir/subsystem")")")
	while IFS= read -r line; do EV+=("$line"); done <"$dir/uevent"
}

# hp VAR=value...: devmgr as hotplug helper on $DEV with $RULES
hp() {
	env -i PATH=$kpath "$@" "$devmgr" --config "$nopub" --sys "$sys" \
	    --run "$work/run" --dev "$DEV" --rules "$RULES" --etc "$etc" 2>"$err"
}
# scan [ARGS]: devmgr -s on ${SYS:-$sys}, $DEV, $RULES
scan() {
	env -i PATH=$kpath "$devmgr" --config "$empty" --sys "${SYS:-$sys}" \
	    --run "$work/run" --dev "$DEV" --rules "$RULES" --etc "$etc" -s "$@" 2>"$err"
}
# newdev NAME: fresh $work/NAME/dev as $DEV, $work/NAME/rules as $RULES
newdev() {
	mkdir -p "$work/$1/dev"
	DEV=$work/$1/dev
	RULES=$work/$1/rules
	: >"$RULES"
}

kernel_env 4:64
TTYS0=("${EV[@]}")
kernel_env 1:3
NULL=("${EV[@]}")
case ${TTYS0[0]} in DEVPATH=/devices/*tty/ttyS0) ;; *)
	echo "Bail out! no ttyS0 at 4:64 in the generated sysfs"; exit 1 ;;
esac

# ---- a: remove of a node renamed by @major,minor --------------------------
# busybox never reads MAJOR/MINOR on remove, so an @4,64 rule cannot match
# and the renamed node outlives its device; devmgr matches it.

newdev a
echo '@4,64 root:root 0600 =tts/serial0' >"$RULES"
hp ACTION=add "${TTYS0[@]}"
is "a: add exits 0" $? 0
is "a: @4,64 =tts/serial0 makes tts/serial0" "$(node "$DEV/tts/serial0")" \
    "character special file 4:64 600 0 0"
is "a: ... and no ttyS0" "$(node "$DEV/ttyS0")" absent
hp ACTION=remove "${TTYS0[@]}"
is "a: remove exits 0" $? 0
is "a: remove with MAJOR=4 MINOR=64 deletes tts/serial0" "$(node "$DEV/tts/serial0")" absent

# ---- b: remove deletes only a node of the device's numbers ----------------

newdev b
hp ACTION=add "${TTYS0[@]}"
is "b: add makes ttyS0" "$(node "$DEV/ttyS0")" "character special file 4:64 660 0 0"
rm -f "$DEV/ttyS0"
mknod -m 0600 "$DEV/ttyS0" c 4 99
hp ACTION=remove "${TTYS0[@]}"
is "b: a char 4:99 node at ttyS0 survives remove of 4:64" "$(node "$DEV/ttyS0")" \
    "character special file 4:99 600 0 0"
rm -f "$DEV/ttyS0"
mknod -m 0600 "$DEV/ttyS0" b 4 64
hp ACTION=remove "${TTYS0[@]}"
is "b: a BLOCK 4:64 node at ttyS0 survives remove of char 4:64" "$(node "$DEV/ttyS0")" \
    "block special file 4:64 600 0 0"
rm -f "$DEV/ttyS0"
echo keep >"$DEV/ttyS0"
hp ACTION=remove "${TTYS0[@]}"
is "b: a regular file at ttyS0 survives remove" "$(node "$DEV/ttyS0"):$(cat "$DEV/ttyS0" 2>&1)" \
    "regular file 0:0 644 0 0:keep"
rm -f "$DEV/ttyS0"
ln -s tts/0 "$DEV/ttyS0"
hp ACTION=remove "${TTYS0[@]}"
is "b: a symlink at ttyS0 survives remove" "$(readlink "$DEV/ttyS0")" tts/0
rm -f "$DEV/ttyS0"
# control: the same remove event does delete the device's own node
hp ACTION=add "${TTYS0[@]}"
hp ACTION=remove "${TTYS0[@]}"
is "b: the same remove deletes a char 4:64 node" "$(node "$DEV/ttyS0")" absent

# ---- c: existing nodes are fixed in place or replaced ---------------------

newdev c
echo 'ttyS0 0:5 0640' >"$RULES"
mknod -m 0600 "$DEV/ttyS0" c 4 64
chown 7:7 "$DEV/ttyS0"
before=$(ino "$DEV/ttyS0")
hp ACTION=add "${TTYS0[@]}"
is "c: right node: same inode afterwards" "$(ino "$DEV/ttyS0")" "$before"
is "c: right node: mode and owner fixed" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 640 0 5"
rm -f "$DEV/ttyS0"
mknod -m 0600 "$DEV/ttyS0" c 4 99
before=$(ino "$DEV/ttyS0")
hp ACTION=add "${TTYS0[@]}"
is "c: wrong numbers (4:99): replaced by 4:64" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 640 0 5"
check "c: ... as a new inode" [ "$(ino "$DEV/ttyS0")" != "$before" ]
rm -f "$DEV/ttyS0"
mknod -m 0600 "$DEV/ttyS0" b 4 64
hp ACTION=add "${TTYS0[@]}"
is "c: wrong type (block 4:64): replaced by char 4:64" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 640 0 5"
is "c: no temporary file left in the dev root" "$(ls -A "$DEV")" ttyS0

# ---- d: targets outside the dev root are refused --------------------------
# A private sysfs with one more device whose DEVNAME is "evil..", so that
# "evil(.*)" captures "..".

dsys=$work/dsys
"$lib/gensysfs.sh" "$dsys"
mkdir -p "$dsys/devices/virtual/misc/evil"
printf '10:250\n' >"$dsys/devices/virtual/misc/evil/dev"
printf 'MAJOR=10\nMINOR=250\nDEVNAME=evil..\n' >"$dsys/devices/virtual/misc/evil/uevent"
ln -s ../../class/misc "$dsys/devices/virtual/misc/evil/subsystem"
ln -s ../../devices/virtual/misc/evil "$dsys/dev/char/10:250"
newdev d
abs=$work/d/abs-escape
cat >"$RULES" <<EOF
null root:root 0600 =../escape
zero root:root 0600 =$abs
full root:root 0600 >../x
evil(.*) root:root 0600 =%1/evil-x
EOF
SYS=$dsys scan
is "d: -s exits 0" $? 0
err_has "d: '=../escape' refused on stderr" "'../escape'"
err_has "d: '=$abs' refused on stderr" "'$abs'"
err_has "d: '>../x' refused on stderr" "'../x'"
err_has "d: '%1/evil-x' with %1='..' refused on stderr" "'../evil-x'"
is "d: nothing created beside the dev root" "$(ls -A "$work/d")" "$(printf 'dev\nrules')"
is "d: the absolute target does not exist" "$(node "$abs")" absent
is "d: other devices still made: ttyS0" "$(node "$DEV/ttyS0")" "character special file 4:64 660 0 0"
is "d: other devices still made: input/event0" "$(node "$DEV/input/event0")" \
    "character special file 13:64 660 0 0"
is "d: other devices still made: sda" "$(node "$DEV/sda")" "block special file 8:0 660 0 0"
# hotplug: a DEVNAME from the environment is checked the same way
: >"$RULES"
hp ACTION=add "${NULL[@]}" DEVNAME=../hp-escape
err_has "d: hotplug DEVNAME=../hp-escape refused on stderr" "'../hp-escape'"
is "d: ... and nothing created beside the dev root" "$(ls -A "$work/d")" "$(printf 'dev\nrules')"

# ---- e: planted symlinks are not followed ---------------------------------

newdev e
outdir=$work/e/outside-dir
outfile=$work/e/outside-file
outfile2=$work/e/outside-file2
mkdir "$outdir"
echo keep >"$outfile"
echo keep >"$outfile2"
chmod 0644 "$outfile" "$outfile2"
chown 1234:1234 "$outfile" "$outfile2"
ln -s "$outdir" "$DEV/input"
ln -s "$outfile" "$DEV/null"
ln -s ../outside-file2 "$DEV/zero"
# a rule that names zero replaces the symlink; none names null, whose
# symlink is then taken for the engine's and kept (not followed)
printf 'zero\troot:root\t0660\n' >"$RULES"
scan -v
is "e: -s exits 0" $? 0
is "e: DEV/input -> outside dir: nothing created in it" "$(ls -A "$outdir")" ""
err_has "e: ... and the error is logged" "$DEV/input"
is "e: DEV/input is left a symlink" "$(readlink "$DEV/input")" "$outdir"
is "e: DEV/null -> outside file (absolute): the file keeps mode and owner" \
    "$(node "$outfile"):$(cat "$outfile")" "regular file 0:0 644 1234 1234:keep"
is "e: ... and DEV/null, named by no rule, is left as it is" "$(readlink "$DEV/null")" \
    "$outfile"
err_has "e: ... which is said" "$DEV/null is a symlink to $outfile that devmgr did not make"
is "e: DEV/zero -> ../outside-file2 (relative): the file keeps mode and owner" \
    "$(node "$outfile2"):$(cat "$outfile2")" "regular file 0:0 644 1234 1234:keep"
is "e: ... and DEV/zero, named by a rule, is now char 1:5" "$(node "$DEV/zero")" \
    "character special file 1:5 660 0 0"
is "e: other devices still made: ttyS0" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 660 0 0"
# the hotplug helper does not follow it either
kernel_env 13:64
hp ACTION=add "${EV[@]}"
is "e: hotplug add of input/event0: nothing in the outside dir" "$(ls -A "$outdir")" ""

# ---- g: /dev/mdev.seq ---------------------------------------------------

newdev g
seqf=$DEV/mdev.seq
echo 5 >"$seqf"
hp ACTION=add "${TTYS0[@]}" SEQNUM=5
is "g: file 5, SEQNUM=5: event handled" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 660 0 0"
is "g: ... and the file holds 6" "$(cat "$seqf")" 6
rm -f "$DEV/ttyS0"
: >"$seqf"
hp ACTION=add "${TTYS0[@]}" SEQNUM=17
is "g: empty file, SEQNUM=17: event handled" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 660 0 0"
is "g: ... and the file holds 18" "$(cat "$seqf")" 18
rm -f "$DEV/ttyS0"
echo 100 >"$seqf"
t0=$(now_ms)
hp ACTION=add "${TTYS0[@]}" SEQNUM=17
t1=$(now_ms)
check "g: file 100 (a later helper ran), SEQNUM=17: no wait ($((t1 - t0)) ms < 1000)" \
    [ $((t1 - t0)) -lt 1000 ]
is "g: ... event handled" "$(node "$DEV/ttyS0")" "character special file 4:64 660 0 0"
# as busybox 1.35: the file is closed without writing, or the helper for
# SEQNUM=100 would then wait the full 2 s
is "g: ... and the later number 100 is kept" "$(cat "$seqf")" 100
rm -f "$DEV/ttyS0"
# the other side of the 1 s check: an earlier number makes it wait (2 s)
echo 3 >"$seqf"
t0=$(now_ms)
hp ACTION=add "${TTYS0[@]}" SEQNUM=17
t1=$(now_ms)
check "g: file 3, SEQNUM=17: waits for its turn ($((t1 - t0)) ms >= 1500)" \
    [ $((t1 - t0)) -ge 1500 ]
is "g: ... then handles the event anyway" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 660 0 0"
is "g: ... and the file holds 18" "$(cat "$seqf")" 18

# ---- h: remove with FIRMWARE removes nothing ------------------------------

newdev h
hp ACTION=add "${TTYS0[@]}"
is "h: add makes ttyS0" "$(node "$DEV/ttyS0")" "character special file 4:64 660 0 0"
hp ACTION=remove "${TTYS0[@]}" FIRMWARE=x
is "h: remove with FIRMWARE=x exits 0" $? 0
is "h: ... and ttyS0 is still there" "$(node "$DEV/ttyS0")" "character special file 4:64 660 0 0"
echo 7 >"$DEV/mdev.seq"
hp ACTION=remove "${TTYS0[@]}" FIRMWARE=x SEQNUM=7
is "h: ... also with SEQNUM: ttyS0 still there" "$(node "$DEV/ttyS0")" \
    "character special file 4:64 660 0 0"
# as busybox: the event still takes its turn, or the helper for SEQNUM=8
# would wait the full 2 s
is "h: ... and mdev.seq advances to 8" "$(cat "$DEV/mdev.seq")" 8
rm -f "$DEV/mdev.seq"
hp ACTION=remove "${TTYS0[@]}"
is "h: control: the same remove without FIRMWARE deletes ttyS0" "$(node "$DEV/ttyS0")" absent

# ---- i: ACTION=change creates and removes nothing -------------------------

newdev i
hp ACTION=add "${TTYS0[@]}"
chmod 0600 "$DEV/ttyS0"	# an add would set the rule's 0660 again
before=$("$lib/devtree.sh" "$DEV")
hp ACTION=change "${TTYS0[@]}"
is "i: change of ttyS0 exits 0" $? 0
is "i: change of ttyS0 leaves the tree as it was" "$("$lib/devtree.sh" "$DEV")" "$before"
hp ACTION=change "${NULL[@]}"
is "i: change of null creates no node" "$(node "$DEV/null")" absent
is "i: ... and the tree is as it was" "$("$lib/devtree.sh" "$DEV")" "$before"
check "i: (the tree has ttyS0 0600)" grep -qx 'ttyS0 c 0600 0 0 4:64' <<<"$before"

# ---- j: a missing rule file means the container defaults; an empty one --
# ---- means root:root 0660 for all, as with busybox ------------------------

newdev j
mkdir "$work/j/dev2"
RULES=$work/j/missing.conf scan
is "j: missing rule file: -s exits 0" $? 0
"$lib/devtree.sh" "$DEV" >"$work/j/missing.tree"
DEV=$work/j/dev2 scan
is "j: empty rule file: -s exits 0" $? 0
"$lib/devtree.sh" "$work/j/dev2" >"$work/j/empty.tree"
want=$(find "$sys/dev/char" "$sys/dev/block" -mindepth 1 -maxdepth 1 | wc -l)
is "j: missing rule file: one node per sysfs device" \
    "$(grep -Ec '^[^ ]+ [cb] ' "$work/j/missing.tree")" "$want"
is "j: empty rule file: one node per sysfs device" \
    "$(grep -Ec '^[^ ]+ [cb] ' "$work/j/empty.tree")" "$want"
open='^(null|zero|full|random|urandom|tty|ptmx) '
is "j: missing rule file: null, zero, full, random, urandom, tty, ptmx root:root 0666" \
    "$(grep -E "$open" "$work/j/missing.tree" | awk '{print $1, $3, $4, $5}' | sort | tr '\n' ' ')" \
    "full 0666 0 0 null 0666 0 0 ptmx 0666 0 0 random 0666 0 0 tty 0666 0 0 urandom 0666 0 0 zero 0666 0 0 "
is "j: missing rule file: every other node root:root 0660" \
    "$(grep -Ev "$open" "$work/j/missing.tree" |
       awk '($2 == "c" || $2 == "b") && $3 " " $4 " " $5 != "0660 0 0"')" ""
is "j: empty rule file: every node root:root 0660, as with busybox" \
    "$(awk '($2 == "c" || $2 == "b") && $3 " " $4 " " $5 != "0660 0 0"' "$work/j/empty.tree")" ""

# ---- k: -j 1 and the default jobs give the same tree ----------------------

ksys=$work/ksys
"$lib/gensysfs.sh" "$ksys" 500
newdev k
mkdir "$work/k/dev2"
cat >"$RULES" <<'EOF'
sd[a-z]+[0-9]* root:disk 0640 =disk/
ttyUSB([0-9]+) root:tty 0660 =usb/tty%1
hidraw.* root:root 0600 >hid/
input/event.* root:root 0640
EOF
SYS=$ksys scan -j 1
is "k: -j 1 exits 0" $? 0
"$lib/devtree.sh" "$DEV" >"$work/k/j1.tree"
DEV=$work/k/dev2 SYS=$ksys scan
is "k: default jobs exits 0" $? 0
"$lib/devtree.sh" "$work/k/dev2" >"$work/k/jdef.tree"
if cmp -s "$work/k/j1.tree" "$work/k/jdef.tree"; then
	pass "k: -j 1 and default jobs give the same tree"
else
	fail "k: -j 1 and default jobs give the same tree"
	diff -u "$work/k/j1.tree" "$work/k/jdef.tree" | head -40 | diag
fi
want=$(find "$ksys/dev/char" "$ksys/dev/block" -mindepth 1 -maxdepth 1 | wc -l)
is "k: one node per sysfs device ($want)" "$(grep -Ec '^[^ ]+ [cb] ' "$work/k/j1.tree")" "$want"
check "k: the rules took effect (disk/sda, usb/tty0, hid/hidraw0 and its link)" \
    grep -qx -e 'disk/sda b 0640 0 6 8:0' "$work/k/j1.tree"
check "k: ... usb/tty0" grep -qx 'usb/tty0 c 0660 0 5 188:0' "$work/k/j1.tree"
check "k: ... hidraw0 -> hid/hidraw0" grep -qx 'hidraw0 l 0777 0 0 -> hid/hidraw0' "$work/k/j1.tree"

# ---- l: --config ----------------------------------------------------------

newdev l
cfg=$work/l/bad.conf
printf '# devmgr.conf\n[paths]\nsys = %s\n\n[paths]\nbogus = 1\n' "$sys" >"$cfg"
env -i PATH=$kpath "$devmgr" --run "$work/run" --config "$cfg" --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
is "l: unknown key: exit 2" $? 2
err_has "l: ... reported as FILE:LINE" "$cfg:6:"
is "l: ... and nothing done" "$(ls -A "$DEV")" ""
mkdir "$work/l/cfgdev" "$work/l/cfgdev2" "$work/l/clidev"
printf '[paths]\nsys = %s\ndev = %s\nrules = %s\netc = %s\n' \
    "$sys" "$work/l/cfgdev" "$RULES" "$etc" >"$work/l/good.conf"
env -i PATH=$kpath "$devmgr" --run "$work/run" --config "$work/l/good.conf" -s 2>"$err"
is "l: [paths] dev = DIR: exit 0" $? 0
is "l: ... the node appears in DIR" "$(node "$work/l/cfgdev/null")" \
    "character special file 1:3 660 0 0"
printf '[paths]\nsys = %s\ndev = %s\nrules = %s\netc = %s\n' \
    "$sys" "$work/l/cfgdev2" "$RULES" "$etc" >"$work/l/good2.conf"
env -i PATH=$kpath "$devmgr" --run "$work/run" --config "$work/l/good2.conf" --dev "$work/l/clidev" -s 2>"$err"
is "l: --dev overrides [paths] dev: exit 0" $? 0
is "l: ... the node appears in the --dev dir" "$(node "$work/l/clidev/null")" \
    "character special file 1:3 660 0 0"
is "l: ... and not in the config's dir" "$(ls -A "$work/l/cfgdev2")" ""

# ---- m: --help, --version, no arguments -----------------------------------

out=$(env -i PATH=$kpath "$devmgr" --help 2>"$err")
is "m: --help exits 0" $? 0
check "m: --help mentions -s" grep -q -e '^ *-s ' <<<"$out"
version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
out=$(env -i PATH=$kpath "$devmgr" --version 2>"$err")
is "m: --version exits 0" $? 0
is "m: --version prints 'devmgr $version'" "$out" "devmgr $version"
env -i PATH=$kpath "$devmgr" >"$work/m.out" 2>"$err"
is "m: no arguments, no ACTION: exit 2" $? 2
err_has "m: ... with a message" "nothing to do"
env -i PATH=$kpath DEVPATH=/devices/x "$devmgr" >"$work/m.out" 2>"$err"
is "m: DEVPATH without ACTION: exit 2" $? 2

# ---- n: udev database and ID_* ------------------------------------------

usb=$sys/devices/pci0000:00/0000:00:14.0/usb1/1-2
printf '0403\n' >"$usb/idVendor"
printf '6001\n' >"$usb/idProduct"
printf 'FTDI\n' >"$usb/manufacturer"
printf 'FT232R USB UART\n' >"$usb/product"
printf 'A9XYZ123\n' >"$usb/serial"
printf '0600\n' >"$usb/bcdDevice"
for a in InterfaceNumber:00 InterfaceClass:ff InterfaceSubClass:ff InterfaceProtocol:ff; do
	printf '%s\n' "${a#*:}" >"$usb/1-2:1.0/b${a%%:*}"
done
newdev n
rm -rf "$work/run"	# the other parts' scans left entries
scan
is "n: -s exit 0" $? 0
data=$work/run/data
is "n: one database entry per sysfs device" "$(ls "$data" | grep -c '^[cb][0-9]*:[0-9]*$')" \
    "$(find "$sys/dev/char" "$sys/dev/block" -mindepth 1 | wc -l)"
is "n: ttyUSB0 (c188:0): udev's usb_id properties" \
    "$(grep '^E:ID_\(BUS\|VENDOR\|VENDOR_ID\|MODEL\|MODEL_ID\|SERIAL\|SERIAL_SHORT\|REVISION\|TYPE\|USB_INTERFACE_NUM\)=' "$data/c188:0" | tr '\n' ' ')" \
    "E:ID_BUS=usb E:ID_MODEL=FT232R_USB_UART E:ID_MODEL_ID=6001 E:ID_SERIAL=FTDI_FT232R_USB_UART_A9XYZ123 E:ID_SERIAL_SHORT=A9XYZ123 E:ID_VENDOR=FTDI E:ID_VENDOR_ID=0403 E:ID_REVISION=0600 E:ID_TYPE=generic E:ID_USB_INTERFACE_NUM=00 "
is "n: ... and I:, V:1" "$(grep -c '^I:[0-9][0-9]*$\|^V:1$' "$data/c188:0")" 2
# (ModemManager's rule takes every tty; ModemManager itself leaves the
# virtual ones alone)
is "n: tty0: no E: line but ModemManager's candidate mark" "$(grep '^E:' "$data/c4:0")" \
    "E:ID_MM_CANDIDATE=1"
printf '[publish]\nids = no\n' >"$work/noids.conf"
rm -rf "$work/run"
newdev n2
env -i PATH=$kpath "$devmgr" --config "$work/noids.conf" --sys "$sys" --run "$work/run" \
    --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
is "n: ids = no: the entry has no E: lines" "$(grep -c '^E:' "$data/c188:0" 2>&1)" 0

# ---- o: device policy -----------------------------------------------------

printf '[policy]\nallow = char 1:* rw\nallow = block 7:0 r\nallow = c 4:* m\n' >"$work/o.conf"
newdev o
rm -rf "$work/run"
env -i PATH=$kpath "$devmgr" --config "$work/o.conf" --sys "$sys" --run "$work/run" \
    --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
is "o: -s with a policy: exit 0" $? 0
want=$(cd "$sys/dev" && { ls char | grep '^1:' | sed 's/^/c/'; echo b7:0; } | sort | tr '\n' ' ')
is "o: nodes only for char 1:* and block 7:0 (4:* is mknod only)" \
    "$(find "$DEV" \( -type c -o -type b \) -exec stat -c '%F %Hr:%Lr' {} + |
       sed 's/^block special file /b/; s/^character special file /c/' | sort | tr '\n' ' ')" \
    "$want"
is "o: database entries for the same devices only" "$(ls "$work/run/data" | sort | tr '\n' ' ')" "$want"
err_has "o: the skipped devices counted, with where the policy came from" \
    "devices the container may not use were left alone (device policy from [policy] allow"
printf '[policy]\nallow = char 1:* rw\noutside = node\n' >"$work/o2.conf"
newdev o2
rm -rf "$work/run"
env -i PATH=$kpath "$devmgr" --config "$work/o2.conf" --sys "$sys" --run "$work/run" \
    --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
is "o: outside = node: every device has its node" "$(find "$DEV" \( -type c -o -type b \) | wc -l)" \
    "$(find "$sys/dev/char" "$sys/dev/block" -mindepth 1 | wc -l)"
is "o: ... but only the allowed ones are in the database" "$(ls "$work/run/data" | grep -vc '^c1:')" 0
printf '[policy]\nallow = char 1:* rw\nallow = tape 1:1 r\n' >"$work/o3.conf"
env -i PATH=$kpath "$devmgr" --config "$work/o3.conf" --sys "$sys" --run "$work/run" \
    --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
is "o: a bad allow rule: exit 2" $? 2
err_has "o: ... reported with file and line" \
    "$work/o3.conf:3: [policy] allow = tape 1:1 r: type must be char, block or any (c, b, a)"

newdev o4
env -i PATH=$kpath "$devmgr" --config "$top/etc/devmgr.conf" --sys "$sys" --run "$work/run" \
    --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
is "o: the shipped etc/devmgr.conf, every key at its default, loads (exit 0)" $? 0

# ---- p: firmware -------------------------------------------------------------

fw=$work/firmware
mkdir -p "$fw/intel" "$sys/devices/virtual/firmware/ibt.sfi" "$sys/devices/virtual/firmware/gone.bin"
head -c 70000 /dev/urandom >"$fw/intel/ibt.sfi"
for r in ibt.sfi gone.bin; do
	: >"$sys/devices/virtual/firmware/$r/loading"
	: >"$sys/devices/virtual/firmware/$r/data"
done
printf '[firmware]\ndir = %s\n[publish]\nudev = no\nzero = no\n' "$fw" >"$work/p.conf"
newdev p
fwreq() {	# NAME FILE: the kernel's request for FILE, through the hotplug helper
	env -i PATH=$kpath ACTION=add DEVPATH="/devices/virtual/firmware/$1" SUBSYSTEM=firmware \
	    FIRMWARE="$2" SEQNUM=5 "$devmgr" --config "$work/p.conf" --sys "$sys" --run "$work/run" \
	    --dev "$DEV" --rules "$RULES" --etc "$etc" 2>"$err"
}
fwreq ibt.sfi intel/ibt.sfi
is "p: firmware request: exit 0" $? 0
is "p: loading ends as 0" "$(cat "$sys/devices/virtual/firmware/ibt.sfi/loading")" 0
check "p: data holds the file's 70000 bytes" \
    cmp "$fw/intel/ibt.sfi" "$sys/devices/virtual/firmware/ibt.sfi/data"
fwreq gone.bin nothere.bin
is "p: missing firmware: loading -1, so the driver does not wait" \
    "$(cat "$sys/devices/virtual/firmware/gone.bin/loading")" -1
is "p: ... nothing in data" "$(wc -c <"$sys/devices/virtual/firmware/gone.bin/data")" 0
: >"$sys/devices/virtual/firmware/gone.bin/loading"
fwreq gone.bin ../../etc/passwd
is "p: a name leaving the firmware directory: -1" \
    "$(cat "$sys/devices/virtual/firmware/gone.bin/loading")" -1

# ---- r: persistent names ------------------------------------------------------

printf '0\n' >"$usb/1-2:1.0/ttyUSB0/port_number"
# the subsystem links udev's path_id walks (devices/ depth: 3, 5, 6, 7)
mkdir -p "$sys/bus/pci" "$sys/bus/usb" "$sys/bus/usb-serial"
ln -sfn ../../../bus/pci "$sys/devices/pci0000:00/0000:00:14.0/subsystem"
ln -sfn ../../../../../bus/usb "$usb/subsystem"
ln -sfn ../../../../../../bus/usb "$usb/1-2:1.0/subsystem"
ln -sfn ../../../../../../../bus/usb-serial "$usb/1-2:1.0/ttyUSB0/subsystem"
# ... and the uevent files that make a directory a device
for d in "$sys/devices/pci0000:00/0000:00:14.0" "$usb/1-2:1.0/ttyUSB0"; do
	[ -e "$d/uevent" ] || : >"$d/uevent"
done
printf 'DEVTYPE=usb_device\n' >"$usb/uevent"
printf 'DEVTYPE=usb_interface\n' >"$usb/1-2:1.0/uevent"
gone() {
	local f
	for f; do
		[ -e "$f" ] || [ -L "$f" ] && return 1
	done
	return 0
}
newdev r
rm -rf "$work/run"
scan
is "r: -s exit 0" $? 0
byid=serial/by-id/usb-FTDI_FT232R_USB_UART_A9XYZ123-if00-port0
bypath=serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0
is "r: $byid -> ../../ttyUSB0" "$(readlink "$DEV/$byid" 2>&1)" "../../ttyUSB0"
is "r: $bypath -> ../../ttyUSB0" "$(readlink "$DEV/$bypath" 2>&1)" "../../ttyUSB0"
check "r: ... which leads to the node" test -c "$DEV/$byid"
is "r: the database entry names both (S:)" "$(grep '^S:' "$work/run/data/c188:0" | sort | tr '\n' ' ')" \
    "S:$byid S:$bypath "
is "r: ... and ID_PATH" "$(grep '^E:ID_PATH=' "$work/run/data/c188:0")" "E:ID_PATH=pci-0000:00:14.0-usb-0:2:1.0"
kernel_env 188:0
hp ACTION=remove "${EV[@]}"
is "r: hotplug remove: exit 0" $? 0
check "r: ... the links are gone with the node" gone "$DEV/$byid" "$DEV/$bypath" "$DEV/ttyUSB0"
check "r: ... and serial/by-id, emptied (ttyUSB1 keeps a by-path name)" gone "$DEV/serial/by-id"
printf '[links]\npersistent = no\n' >"$work/r.conf"
newdev r2
env -i PATH=$kpath "$devmgr" --config "$work/r.conf" --sys "$sys" --run "$work/run" \
    --dev "$DEV" --rules "$RULES" --etc "$etc" -s 2>"$err"
check "r: persistent = no: none" gone "$DEV/serial"

# ---- s: dry run ---------------------------------------------------------------

printf 'ttyUSB[0-9]+\troot:tty\t0640\t@echo hello\nnull\t0:0\t0666\t>nul\n' >"$work/s.rules"
newdev s
out=$(env -i PATH=$kpath "$devmgr" test --config "$nopub" --sys "$sys" --run "$work/s-run" \
    --dev "$DEV" --rules "$work/s.rules" --etc "$etc" "$sys/class/tty/ttyUSB0" 2>"$err")
is "s: devmgr test: exit 0" $? 0
is "s: ... what would be done with ttyUSB0" "$(sed 's/ DEVPATH=.*//' <<<"$out")" \
"ttyUSB0 (char 188:0) add SUBSYSTEM=tty
  $work/s.rules:1
    node     $DEV/ttyUSB0 char 188:0 owner 0:5 mode 0640
    link     $DEV/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0 -> ttyUSB0 (persistent name)
    link     $DEV/serial/by-id/usb-FTDI_FT232R_USB_UART_A9XYZ123-if00-port0 -> ttyUSB0 (persistent name)
    command  echo hello  (sh -c, in $DEV, MDEV=ttyUSB0)
  use      the device cgroup lets this container read and write it (the kernel was asked)
  use      mode 0640: only uid 0 and group 5 can open it; run the app as one of them (docker run --user, --group-add 5)"
env -i PATH=$kpath "$devmgr" -s -n --config "$nopub" --sys "$sys" --run "$work/s-run" \
    --dev "$DEV" --rules "$work/s.rules" --etc "$etc" >"$work/s.out" 2>"$err"
is "s: -s -n: exit 0" $? 0
is "s: ... a report for every device" "$(grep -c '^[^ ].* add ' "$work/s.out")" \
    "$(find "$sys/dev/char" "$sys/dev/block" -mindepth 1 | wc -l)"
check "s: ... the > link of null" grep -qx "    link     $DEV/null -> nul" "$work/s.out"
is "s: ... and nothing made: no node, no database" "$(find "$DEV" "$work/s-run" -mindepth 1 2>/dev/null | wc -l)" 0

# ---- q: modules -----------------------------------------------------------------

if grep -q -- '-lkmod' <(ldd "$devmgr" 2>/dev/null; echo) || ldd "$devmgr" 2>/dev/null | grep -q libkmod; then
	mroot=$work/modroot
	mkdir -p "$mroot/etc/modprobe.d"
	ln -s "$top/tests/data/modules/lib" "$mroot/lib"
	printf '[modules]\nload = yes\nroot = %s\nrelease = 6.0.0-test\ndry_run = yes\n[publish]\nudev = no\nzero = no\n' \
	    "$mroot" >"$work/q.conf"
	newdev q
	modev() {	# ACTION MODALIAS: a hotplug event with that alias
		env -i PATH=$kpath ACTION="$1" DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0 \
		    SUBSYSTEM=usb DEVTYPE=usb_interface MODALIAS="$2" SEQNUM=9 "$devmgr" -v \
		    --config "$work/q.conf" --sys "$sys" --run "$work/run" --dev "$DEV" --rules "$RULES" \
		    --etc "$etc" 2>"$err"
	}
	ftdi=usb:v0403p6001d0600dc00dsc00dp00icFFiscFFipFFin00
	modev add "$ftdi"
	is "q: add with an FTDI MODALIAS: its module after its dependency" \
	    "$(sed -n 's/^devmgr: kernel modules: would insert //p' "$err" | tr '\n' ' ')" \
	    "dmtest_usbserial dmtest_ftdi_sio "
	modev change "$ftdi"
	is "q: change: nothing loaded" "$(grep -c 'would insert' "$err")" 0
	printf 'blacklist dmtest_ftdi_sio\n' >"$mroot/etc/modprobe.d/q.conf"
	modev add "$ftdi"
	is "q: blacklisted in modprobe.d: nothing loaded" "$(grep -c 'would insert' "$err")" 0
	rm "$mroot/etc/modprobe.d/q.conf"
	# coldplug: every bus device's modalias
	mkdir -p "$sys/bus/usb/devices"
	printf '%s\n' "$ftdi" >"$sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/modalias"
	ln -sfn ../../../devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0 "$sys/bus/usb/devices/1-2:1.0"
	env -i PATH=$kpath "$devmgr" -v -s --config "$work/q.conf" --sys "$sys" --run "$work/run" \
	    --dev "$DEV" --rules "$RULES" --etc "$etc" 2>"$err"
	is "q: -s loads the drivers of bus devices too" \
	    "$(sed -n 's/^devmgr: kernel modules: would insert //p' "$err" | sort | tr '\n' ' ')" \
	    "dmtest_ftdi_sio dmtest_usbserial "
	printf '[modules]\nload = no\nroot = %s\nrelease = 6.0.0-test\ndry_run = yes\n' "$mroot" >"$work/q2.conf"
	env -i PATH=$kpath "$devmgr" -v -s --config "$work/q2.conf" --sys "$sys" --run "$work/run" \
	    --dev "$DEV" --rules "$RULES" --etc "$etc" 2>"$err"
	is "q: load = no: nothing" "$(grep -c 'kernel modules' "$err")" 0
else
	for i in 1 2 3 4 5; do skip "q: devmgr built without libkmod"; done
fi

[ "$n" = 129 ] || echo "# planned 129 tests but ran $n"
