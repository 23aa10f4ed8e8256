#!/bin/bash
# clientprops.t: the properties client packages' own udev rules set, on a
# generated sysfs tree (no sound card or modem can be plugged here), as
# Debian 12's rules files say (systemd 252's 78-sound-card.rules,
# ModemManager 1.20's 80-mm-candidate.rules):
#   a  devmgr -s: ID_MM_CANDIDATE=1 in the database entries of ttys (ttyS0,
#      ttyUSB0), none for an input device, a disk or a virtual RFCOMM tty
#   b  the sound card's control device added: devmgr asks the card for its
#      "change" (writes it to the card's uevent), and the card's change
#      event gets SOUND_INITIALIZED=1 in its entry; its add does not
#   c  cdc-wdm (usbmisc) and a PCI wwan AT port: candidates, the port
#      typed; a wwan port under USB and a wwan_dev: not
#   d  [publish] ids = no: none of them

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "mknod"
tap_skip_unless_built "$devmgr"
tap_workdir clientprops
echo "1..13"
tap_small_etc
sys=$work/sys
"$lib/gensysfs.sh" "$sys" || { echo "Bail out! gensysfs.sh failed"; exit 1; }
nopub=$work/nopub.conf
printf '[publish]\nudev = no\nzero = no\n' >"$nopub"
printf '.* 0:0 0660\n' >"$work/rules"
mkdir -p "$work/dev"

# device DEVPATH CLASS MAJ:MIN DEVNAME [DEVTYPE]: a char device of the
# tree, as the kernel lays it out
device() {
	local d=$sys$1
	mkdir -p "$d" "$sys/class/$2"
	ln -sfn "$(realpath --relative-to="$d" "$sys/class/$2")" "$d/subsystem"
	printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n%s' "${3%:*}" "${3#*:}" "$4" \
	    "${5:+DEVTYPE=$5
}" >"$d/uevent"
	echo "$3" >"$d/dev"
	ln -sfn "../..$1" "$sys/dev/char/$3"
}
pci=/devices/pci0000:00
device "$pci/0000:00:14.0/usb1/1-3/1-3:1.8/usbmisc/cdc-wdm0" usbmisc 180:176 cdc-wdm0
device "$pci/0000:00:1c.0/0000:03:00.0/wwan/wwan0/wwan0at0" wwan 234:0 wwan0at0 wwan_port
echo AT >"$sys$pci/0000:00:1c.0/0000:03:00.0/wwan/wwan0/wwan0at0/type"
device "$pci/0000:00:14.0/usb1/1-4/1-4:1.0/wwan/wwan1/wwan1at0" wwan 234:1 wwan1at0 wwan_port
device /devices/virtual/tty/rfcomm0 tty 216:0 rfcomm0
mkdir -p "$sys/bus/usb"
ln -sfn ../../../bus/usb "$sys$pci/0000:00:14.0/usb1/subsystem"
# the card itself: no node, a uevent to write "change" to
card=$pci/0000:00:1b.0/sound/card0
: >"$sys$card/uevent"
ln -sfn "$(realpath --relative-to="$sys$card" "$sys/class/sound")" "$sys$card/subsystem"

db() { grep -h "^E:$2" "$work/run/data/$1" 2>/dev/null | tr '\n' ' '; }
# run VAR=value...: devmgr as the hotplug helper; scan: devmgr -s
run() {
	env -i PATH=$kpath "$@" "$devmgr" --config "${CONF:-$nopub}" --sys "$sys" \
	    --run "$work/run" --dev "$work/dev" --rules "$work/rules" --etc "$etc"
}
scan() {
	env -i PATH=$kpath "$devmgr" --config "${CONF:-$nopub}" --sys "$sys" \
	    --run "$work/run" --dev "$work/dev" --rules "$work/rules" --etc "$etc" -s
}

# ---- a: coldplug
scan 2>"$work/a.err"
is "a: devmgr -s: exit 0" "$?" 0
is "a: ttyS0 (c4:64): ID_MM_CANDIDATE=1" "$(db c4:64 ID_MM)" "E:ID_MM_CANDIDATE=1 "
is "a: ttyUSB0 (c188:0) too" "$(db c188:0 ID_MM_CANDIDATE)" "E:ID_MM_CANDIDATE=1 "
is "a: not an input device (c13:64), a disk (b8:0), a virtual RFCOMM tty (c216:0)" \
    "$(db c13:64 ID_MM)$(db b8:0 ID_MM)$(db c216:0 ID_MM)" ""

# ---- b: the sound card
ev=(ACTION=add "DEVPATH=$card/controlC0" SUBSYSTEM=sound MAJOR=116 MINOR=0
    DEVNAME=snd/controlC0 SEQNUM=100)
run "${ev[@]}" 2>"$work/b.err"
is "b: the control device's add: \"change\" written to the card's uevent" "$(cat "$sys$card/uevent")" "change"
run ACTION=add "DEVPATH=$card" SUBSYSTEM=sound SEQNUM=101 2>>"$work/b.err"
is "b: the card's add: no SOUND_INITIALIZED" "$(db +sound:card0 SOUND)" ""
run ACTION=change "DEVPATH=$card" SUBSYSTEM=sound SEQNUM=102 2>>"$work/b.err"
is "b: the card's change: SOUND_INITIALIZED=1 in its entry" "$(db +sound:card0 SOUND)" "E:SOUND_INITIALIZED=1 "
out=$("$devmgr" test --config "$nopub" --sys "$sys" --dev "$work/dev" --rules "$work/rules" \
    --etc "$etc" "$sys/dev/char/116:0" 2>&1)
check "b: devmgr test of the control device (a scan, no daemon): no card step" \
    eval '! grep -q "card " <<<"$out"'
: >"$sys$card/uevent"
run ACTION=remove "DEVPATH=$card/controlC0" SUBSYSTEM=sound MAJOR=116 MINOR=0 \
    DEVNAME=snd/controlC0 SEQNUM=103 2>>"$work/b.err"
is "b: its remove asks nothing" "$(cat "$sys$card/uevent")" ""

# ---- c: modem ports
scan 2>"$work/c.err"
is "c: cdc-wdm0 (usbmisc): a candidate" "$(db c180:176 ID_MM)" "E:ID_MM_CANDIDATE=1 "
is "c: a PCI wwan AT port: a candidate, the primary AT port" "$(db c234:0 ID_MM)" \
    "E:ID_MM_CANDIDATE=1 E:ID_MM_PORT_TYPE_AT_PRIMARY=1 "
is "c: a wwan port of a USB modem: not (ModemManager takes those by their tty or cdc-wdm)" \
    "$(db c234:1 ID_MM)" ""

# ---- d: ids = no
printf '[publish]\nudev = no\nzero = no\nids = no\n' >"$work/d.conf"
rm -rf "$work/run"
CONF=$work/d.conf scan 2>"$work/d.err"
is "d: ids = no: no ID_MM_CANDIDATE anywhere" "$(cat "$work/run/data/"* | grep -c ID_MM)" 0
