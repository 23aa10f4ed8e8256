#!/bin/bash
# disks.t: disks by label and UUID. Real loop devices holding real
# filesystems (mkfs.ext4, mkfs.vfat, mkfs.btrfs) and a GPT image, hot
# added under the daemon (tests/lib/daemon.sh: its own namespaces, a
# tmpfs /dev and /run):
#   a  an ext4 filesystem attached (losetup: a "change" of the loop
#      device): disk/by-label, by-uuid and by-diskseq links to the node,
#      ID_FS_* in the udev database, as udevadm, pyudev and lsblk (as
#      nobody, who cannot read the device: the database only) read them
#   b  relabelled (e2label, then a change event): the link moves
#   c  hostile labels: "../../etc", "..", a newline, invalid UTF-8, 255
#      bytes of "/" (btrfs): encoded as udev encodes them, every name
#      inside /dev/disk/by-label or none at all
#   d  a GPT image: partitions added (partx: this kernel has no partition
#      table parsers, so the kernel is told of them with BLKPG, which is
#      real partition devices and events all the same): by-partlabel
#      (a hostile name among them), by-partuuid, by-label of the vfat in
#      p1, ID_PART_ENTRY_* and ID_PART_TABLE_*; removed: links gone
#   e  detached (losetup -d, a change to an empty device): the names go,
#      the node stays; removed: the node goes
#   f  the same tree read by a coldplug (-s) in fresh namespaces
#   g  [disks] probe = no: no ID_FS_*, no by-label

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "namespaces, mknod, loop devices"
tap_skip_unless_built "$devmgr"
[ -x "$tools/loopctl" ] || { echo "Bail out! $tools/loopctl not built (make tools)"; exit 1; }
for t in losetup partx sfdisk mkfs.ext4 e2label mkfs.vfat mkfs.btrfs lsblk blkid setpriv; do
	command -v "$t" >/dev/null || { echo "Bail out! $t is missing (make deps)"; exit 1; }
done
udevadm=$top/.deps/udev/bin/udevadm
[ -x "$udevadm" ] || { echo "Bail out! $udevadm is missing (make deps)"; exit 1; }
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pyudev' 2>/dev/null ||
	{ echo "Bail out! python3-pyudev is missing (make deps)"; exit 1; }
tap_workdir disks
tap_small_etc
. "$lib/daemon.sh"

# Loop devices bound here are detached before daemon.sh removes them.
bound=()
detach_all() {
	local d
	for d in "${bound[@]}"; do
		partx -d "$d" 2>/dev/null
		losetup -d "$d" 2>/dev/null
	done
	cleanup
}
trap detach_all EXIT
attach() {	# attach N FILE: loop N (made first) holds FILE
	loop_add "$1"
	bound+=("/dev/loop$1")
	losetup "/dev/loop$1" "$2"
}

echo "1..42"

# ---- the images
truncate -s 32M "$work/ext.img"
mkfs.ext4 -q -L BACKUP "$work/ext.img"
uuid=$(blkid -o value -s UUID "$work/ext.img")
truncate -s 64M "$work/gpt.img"
sfdisk -q "$work/gpt.img" <<'EOF'
label: gpt
start=2048, size=40960, name="DATA one", type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=43008, size=40960, name="../../etc", type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOF
mkfs.vfat -C -n MYSTICK "$work/p1.img" 20480 >/dev/null
dd if="$work/p1.img" of="$work/gpt.img" bs=512 seek=2048 conv=notrunc status=none
p1uuid=$(sfdisk --part-uuid "$work/gpt.img" 1 | tr A-Z a-z)
p2uuid=$(sfdisk --part-uuid "$work/gpt.img" 2 | tr A-Z a-z)
fatuuid=$(blkid -o value -s UUID "$work/p1.img")
truncate -s 256M "$work/btrfs.img"
mkfs.btrfs -q -L "$(printf '/%.0s' $(seq 255))" "$work/btrfs.img" >/dev/null

rules=$work/rules
printf 'loop[0-9p]*\t0:6\t0660\n' >"$rules"
printf '[disks]\ntimeout = 5000\n' >"$work/d.conf"
daemon_start d "$rules" --config "$work/d.conf" || { fail "daemon started"; exit 1; }

L=$(loop_free 570)
G=$(loop_free $((L + 1)))
B=$(loop_free $((G + 1)))
lnk() { readlink "$DEV/disk/$1" 2>/dev/null || echo absent; }
db() { grep -s "^$2" "$RUN/udev/data/b$1" | tr '\n' ' '; }

# ---- a: ext4 attached
attach "$L" "$work/ext.img"
wait_for 5 test -L "$DEV/disk/by-label/BACKUP"
is "a: by-label/BACKUP -> the node" "$(lnk by-label/BACKUP)" "../../loop$L"
is "a: by-uuid/$uuid -> the node" "$(lnk "by-uuid/$uuid")" "../../loop$L"
is "a: by-diskseq/N -> the node" "$(lnk "by-diskseq/$(cat /sys/block/loop$L/diskseq)")" "../../loop$L"
is "a: the database: ID_FS_TYPE, ID_FS_USAGE" "$(db 7:$L "E:ID_FS_TYPE=\|E:ID_FS_USAGE=")" \
    "E:ID_FS_TYPE=ext4 E:ID_FS_USAGE=filesystem "
is "a: the database: ID_FS_LABEL(_ENC), ID_FS_UUID(_ENC)" \
    "$(db 7:$L "E:ID_FS_LABEL\|E:ID_FS_UUID")" \
    "E:ID_FS_LABEL=BACKUP E:ID_FS_LABEL_ENC=BACKUP E:ID_FS_UUID=$uuid E:ID_FS_UUID_ENC=$uuid "
is "a: the database: the links (S:)" "$(db 7:$L "S:disk/by-[lu]")" \
    "S:disk/by-uuid/$uuid S:disk/by-label/BACKUP "
is "a: udevadm info --query=property: the filesystem" \
    "$(ns_exec "$udevadm" info --query=property --name="loop$L" | grep -E '^ID_FS_(TYPE|LABEL|UUID)=' | tr '\n' ' ')" \
    "ID_FS_LABEL=BACKUP ID_FS_UUID=$uuid ID_FS_TYPE=ext4 "
is "a: udevadm info: DEVLINKS has by-label" \
    "$(ns_exec "$udevadm" info --query=symlink --name="loop$L" | tr ' ' '\n' | grep by-label)" \
    "disk/by-label/BACKUP"
is "a: pyudev: ID_FS_LABEL, ID_FS_TYPE" \
    "$(ns_exec /usr/bin/python3 -c "
import pyudev
d = pyudev.Devices.from_name(pyudev.Context(), 'block', 'loop$L')
print(d.properties.get('ID_FS_LABEL'), d.properties.get('ID_FS_TYPE'))" 2>&1)" "BACKUP ext4"
is "a: lsblk -f as nobody (the database only): FSTYPE UUID LABEL" \
    "$(ns_exec setpriv --reuid 65534 --regid 65534 --clear-groups \
        lsblk -n -o FSTYPE,UUID,LABEL "/dev/loop$L" 2>&1 | tr -s ' ')" "ext4 $uuid BACKUP"
check "a: ... and nobody could not have read the device" \
    eval '! ns_exec setpriv --reuid 65534 --regid 65534 --clear-groups head -c1 "/dev/loop$L" >/dev/null 2>&1'

# ---- b: relabelled
e2label "/dev/loop$L" ARCHIVE
echo change >"/sys/block/loop$L/uevent"
wait_for 5 test -L "$DEV/disk/by-label/ARCHIVE"
is "b: e2label + change: by-label/ARCHIVE -> the node" "$(lnk by-label/ARCHIVE)" "../../loop$L"
is "b: ... by-label/BACKUP is gone" "$(lnk by-label/BACKUP)" absent
is "b: ... by-uuid stays" "$(lnk "by-uuid/$uuid")" "../../loop$L"
is "b: ... the database says ARCHIVE" "$(db 7:$L "E:ID_FS_LABEL=")" "E:ID_FS_LABEL=ARCHIVE "

# ---- c: hostile labels, one after another on the same filesystem
relabel() {	# relabel LABEL: e2label, change, until the database has it
	e2label "/dev/loop$L" "$1"
	echo change >"/sys/block/loop$L/uevent"
	wait_for 5 grep -qsxF "E:ID_FS_LABEL_ENC=$2" "$RUN/udev/data/b7:$L"
}
bylabel() { find "$DEV/disk/by-label" -mindepth 1 -printf '%P -> %l\n' 2>/dev/null | sort; }
relabel "../../etc" '..\x2f..\x2fetc'
is "c: ../../etc: by-label/..\\x2f..\\x2fetc, the only name there" "$(bylabel)" \
    "..\\x2f..\\x2fetc -> ../../loop$L"
relabel ".." ".."
is "c: '..': no by-label name (udev would make one that is the directory above)" "$(bylabel)" ""
is "c: ... the database still says the label" "$(db 7:$L "E:ID_FS_LABEL=")" "E:ID_FS_LABEL=.. "
relabel "$(printf 'a\nb')" 'a\x0ab'
is "c: a newline: by-label/a\\x0ab; ID_FS_LABEL has it as '_'" \
    "$(bylabel)|$(db 7:$L "E:ID_FS_LABEL=")" "a\\x0ab -> ../../loop$L|E:ID_FS_LABEL=a_b "
relabel "$(printf 'x\377\376y')" 'x\xff\xfey'
is "c: invalid UTF-8: by-label/x\\xff\\xfey" "$(bylabel)" "x\\xff\\xfey -> ../../loop$L"
check "c: no database line was split by a label (every line is KEY:VALUE)" \
    sh -c "! grep -v '^[A-Z]:' '$RUN/udev/data/b7:$L'"
attach "$B" "$work/btrfs.img"
wait_for 5 grep -qs "E:ID_FS_TYPE=btrfs" "$RUN/udev/data/b7:$B"
is "c: btrfs, 255 times '/': no by-label name (1,020 bytes encoded: too long to be one)" \
    "$(bylabel | grep -c "loop$B")" 0
blen=$(blkid -p -o value -s LABEL "$work/btrfs.img" | tr -d '\n' | wc -c)
is "c: ... ID_FS_LABEL_ENC is the label's $blen escapes (as blkid -p reads it)" \
    "$(grep -s '^E:ID_FS_LABEL_ENC=' "$RUN/udev/data/b7:$B" | sed 's/^E:ID_FS_LABEL_ENC=//; s/\\x2f//g')|$(grep -s '^E:ID_FS_LABEL_ENC=' "$RUN/udev/data/b7:$B" | wc -c)" \
    "|$((18 + blen * 4 + 1))"
check "c: ... by-uuid is there" test -L "$DEV/disk/by-uuid/$(blkid -o value -s UUID "$work/btrfs.img")"
is "c: nothing in /dev/disk but by-* directories and the links in them; no other link in /dev but root" \
    "$(cd "$DEV" && find . -path ./disk -prune -o -type l -print | tr '\n' ' ')|$(find "$DEV/disk" -mindepth 1 -maxdepth 1 ! -name 'by-*')|$(find "$DEV/disk" -mindepth 3)|$(find "$DEV/disk" -mindepth 2 ! -type l)" \
    "./root |||"

# ---- d: a GPT image and its partitions
attach "$G" "$work/gpt.img"
partx -a "/dev/loop$G"
wait_for 5 test -L "$DEV/disk/by-partlabel/DATA\\x20one"
p1=$(cat "/sys/block/loop$G/loop${G}p1/dev")
is "d: by-partlabel/DATA\\x20one -> p1" "$(lnk 'by-partlabel/DATA\x20one')" "../../loop${G}p1"
is "d: by-partlabel/..\\x2f..\\x2fetc -> p2" "$(lnk 'by-partlabel/..\x2f..\x2fetc')" "../../loop${G}p2"
is "d: by-partuuid -> p1, p2" "$(lnk "by-partuuid/$p1uuid") $(lnk "by-partuuid/$p2uuid")" \
    "../../loop${G}p1 ../../loop${G}p2"
is "d: the vfat in p1: by-label/MYSTICK, by-uuid" \
    "$(lnk by-label/MYSTICK) $(lnk "by-uuid/$fatuuid")" "../../loop${G}p1 ../../loop${G}p1"
is "d: p1's database: ID_PART_ENTRY_*" \
    "$(db "$p1" "E:ID_PART_ENTRY_\(SCHEME\|NAME\|UUID\|NUMBER\|OFFSET\|SIZE\|DISK\)=")" \
    "E:ID_PART_ENTRY_SCHEME=gpt E:ID_PART_ENTRY_NAME=DATA\\x20one E:ID_PART_ENTRY_UUID=$p1uuid E:ID_PART_ENTRY_NUMBER=1 E:ID_PART_ENTRY_OFFSET=2048 E:ID_PART_ENTRY_SIZE=40960 E:ID_PART_ENTRY_DISK=7:$G "
is "d: the disk's database: ID_PART_TABLE_TYPE=gpt" "$(db "7:$G" "E:ID_PART_TABLE_TYPE=")" \
    "E:ID_PART_TABLE_TYPE=gpt "
is "d: udevadm: p1's ID_FS_TYPE and ID_PART_ENTRY_NAME" \
    "$(ns_exec "$udevadm" info --query=property --name="loop${G}p1" | grep -E '^ID_(FS_TYPE|PART_ENTRY_NAME)=' | tr '\n' ' ')" \
    "ID_FS_TYPE=vfat ID_PART_ENTRY_NAME=DATA\\x20one "
partx -d "/dev/loop$G"
wait_for 5 eval "[ ! -e '$DEV/loop${G}p1' ] && [ ! -L '$DEV/disk/by-label/MYSTICK' ]"
is "d: partitions removed: their nodes and names are gone" \
    "$(node "$DEV/loop${G}p1") $(lnk by-label/MYSTICK) $(lnk "by-partuuid/$p1uuid") $(lnk 'by-partlabel/DATA\x20one')" \
    "absent absent absent absent"
check "d: ... their database entries too" test ! -e "$RUN/udev/data/b$p1"

# ---- e: detached, then removed
losetup -d "/dev/loop$L"
wait_for 5 eval "[ ! -L '$DEV/disk/by-uuid/$uuid' ]"
is "e: detached (a change, size 0): its names are gone" "$(lnk "by-uuid/$uuid")|$(bylabel | grep -c "loop$L\$")" "absent|0"
is "e: ... its node stays" "$(node "$DEV/loop$L")" "block special file 7:$L 660 0 6"
check "e: ... the database has no ID_FS_* left" sh -c "! grep -q ID_FS_ '$RUN/udev/data/b7:$L'"
seq_b=$(cat /sys/block/loop$B/diskseq)
losetup -d "/dev/loop$B"
loop_del "$B"
wait_for 5 eval "[ ! -e '$DEV/loop$B' ]"
is "e: removed: its node and by-diskseq name are gone" "$(node "$DEV/loop$B") $(lnk "by-diskseq/$seq_b")" "absent absent"

daemon_stop

# ---- f: coldplug of what is there now (the GPT disk, partitions back)
partx -a "/dev/loop$G"
cold() {	# cold ARGS: devmgr -s in fresh namespaces; the links it made
	unshare -m -n -p -f --mount-proc -- sh -c '
		mount -t tmpfs none /dev && mount -t tmpfs none /run || exit 99
		"$@" >/dev/null 2>&1 || echo "exit $?"
		cd /dev/disk 2>/dev/null && find . -type l -printf "%p -> %l\n" | sort
		grep -h "^E:ID_FS_TYPE" /run/udev/data/b* 2>/dev/null | sort -u' sh \
	    "$devmgr" -s --config "$empty" --etc "$etc" --rules "$rules" "$@"
}
out=$(cold)
check "f: -s: by-label/MYSTICK, by-partlabel and by-partuuid of p1" \
    sh -c 'printf "%s\n" "$1" | grep -qx "./by-label/MYSTICK -> ../../loop$2p1" &&
           printf "%s\n" "$1" | grep -qxF "./by-partlabel/DATA\\x20one -> ../../loop$2p1" &&
           printf "%s\n" "$1" | grep -qx "./by-partuuid/$3 -> ../../loop$2p1"' sh "$out" "$G" "$p1uuid"
# (what the coldplug made, for a failure to be read from the log)
printf '%s\n' "$out" | grep -q "by-partuuid/$p1uuid" || printf '%s\n' "$out" | diag
check "f: ... ID_FS_TYPE=vfat in the database" sh -c 'printf "%s\n" "$1" | grep -qx "E:ID_FS_TYPE=vfat"' sh "$out"

# ---- g: probing off
printf '[disks]\nprobe = no\n' >"$work/off.conf"
out=$(cold --config "$work/off.conf")
is "g: [disks] probe = no: no by-label, by-uuid, by-part*, no ID_FS_TYPE" \
    "$(printf '%s\n' "$out" | grep -c 'by-label\|by-uuid\|by-part\|ID_FS_TYPE')" 0
check "g: ... by-diskseq still (it is sysfs's)" \
    sh -c 'printf "%s\n" "$1" | grep -q "by-diskseq/.* -> ../../loop$2\$"' sh "$out" "$G"
partx -d "/dev/loop$G"
