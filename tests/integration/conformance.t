#!/bin/bash
# conformance.t: devmgr must build the same /dev as busybox mdev.
#
#   prove tests/integration/conformance.t      (as root, from the repo root)
#   DEVMGR=/path/to/devmgr prove ...           (default: ./devmgr)
#   KEEP=1 prove -v ...                        (keep the work directory)
#
# One generated sysfs tree (tests/lib/gensysfs.sh), then for every rule
# set -- each tests/rules/*.conf, Alpine's mdev.conf without its command
# fields, and no mdev.conf at all -- busybox and devmgr each fill their
# own empty tmpfs /dev from the same /sys and /etc (tests/lib/ns.sh), and
# the devtree.sh listings must be identical:
#
#   scan     `busybox mdev -s` vs `devmgr -s`
#   hotplug  every device of the tree as a kernel hotplug helper call,
#            `env -i ACTION=add DEVPATH=... SUBSYSTEM=... <uevent keys>
#            SEQNUM=n busybox mdev` vs the same with devmgr (no
#            arguments); the trees are compared after the add pass and
#            again after a remove pass (reverse order), where busybox
#            leaves the directories it made.
#
# A rule file's first line may say which modes apply:
#   # mode: hotplug    only the hotplug comparison
#   # mode: scan       only the scan comparison
# (default: both).  `mode: hotplug` is for rules on $DEVNAME=, $MAJOR=...:
# busybox -s exposes to `$VAR=` and `VAR=regex;` only ACTION=add, SUBSYSTEM
# (from the subsystem link) and its own environment, never the uevent
# keys, while devmgr deliberately exposes them in -s too.
#
# Every rule set must also change busybox's tree compared with an empty
# rule file, or the comparison would prove nothing ("has an effect"
# tests). Without any mdev.conf devmgr uses its built-in rules for
# containers (null, zero, full, random, urandom, tty, ptmx 0:0 0666): it
# must then build the tree busybox builds from those lines as a file.
#
# Both tools run under `env -i` so that no variable of the caller's
# environment can make a `$VAR=` rule match on one side only.

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
rules_dir=$top/tests/rules
alpine=${ALPINE_CONF:-$top/../shared/data/alpine-mdev.conf}
devmgr=${DEVMGR:-$top/devmgr}
case $devmgr in /*) ;; *) devmgr=$top/$devmgr ;; esac
bb=$(command -v busybox)
# the PATH the kernel gives a hotplug helper; also used for -s runs
kpath=/sbin:/bin:/usr/sbin:/usr/bin
# device count of the extra, scan-only comparison on a big tree
big_count=${BIG_COUNT:-3000}

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (mount namespaces, mknod, chown)"
	exit 0
fi
if [ -z "$bb" ] || ! "$bb" --list 2>/dev/null | grep -qx mdev; then
	echo "1..1"; echo "not ok 1 - cannot run: busybox with mdev not installed (apt-get install busybox-static)"
	exit 1
fi
if [ ! -f "$lib/ns.sh" ]; then
	echo "1..0 # SKIP run from the repository root"
	exit 0
fi
. "$lib/ns.sh"

. "$lib/tap.sh"
tap_workdir conformance

have_devmgr=
[ -x "$devmgr" ] && have_devmgr=1


# ---- inputs -----------------------------------------------------------

sys=$work/sys
"$lib/gensysfs.sh" "$sys" || { echo "Bail out! gensysfs.sh failed"; exit 1; }

# Hotplug events, one per line, tab-separated VAR=value words, made from
# the tree the way the kernel would: ACTION, DEVPATH, SUBSYSTEM, the
# uevent file's keys (MAJOR, MINOR, DEVNAME, DEVTYPE, ...), SEQNUM.
# Adds in /sys/dev order; removes in the reverse order (partitions before
# their disk, as the kernel does).
make_events() {
	local link dir devpath subsys seq=0 kv line
	for link in "$sys"/dev/char/* "$sys"/dev/block/*; do
		dir=$(readlink -f "$link")
		devpath=${dir#"$sys"}
		subsys=$(readlink "$dir/subsystem")
		kv="DEVPATH=$devpath	SUBSYSTEM=${subsys##*/}"
		while IFS= read -r line; do
			kv="$kv	$line"
		done <"$dir/uevent"
		printf '%s\n' "$kv"
	done >"$work/events"
	while IFS= read -r kv; do
		seq=$((seq + 1))
		printf 'ACTION=add\t%s\tSEQNUM=%d\n' "$kv" "$seq"
	done <"$work/events" >"$work/events.add"
	tac "$work/events" | while IFS= read -r kv; do
		seq=$((seq + 1))
		printf 'ACTION=remove\t%s\tSEQNUM=%d\n' "$kv" "$seq"
	done >"$work/events.remove"
}
make_events

# Rule sets: name, file ("" = no mdev.conf), modes.
names=() files=() modes=()
add_set() { names+=("$1"); files+=("$2"); modes+=("$3"); }

mode_of() {
	local first
	IFS= read -r first <"$1" || first=
	case $first in
	'# mode: hotplug'*) echo hotplug ;;
	'# mode: scan'*) echo scan ;;
	*) echo both ;;
	esac
}

: >"$work/empty-mdev.conf"
add_set "empty mdev.conf" "$work/empty-mdev.conf" both
add_set "no mdev.conf (busybox: devmgr's built-in rules as a file)" "" both
printf '%s 0:0 0666\n' null zero full random urandom tty ptmx >"$work/builtin-mdev.conf"
for f in "$rules_dir"/*.conf; do
	[ -e "$f" ] || continue
	add_set "${f##*/}" "$f" "$(mode_of "$f")"
done
if [ -r "$alpine" ]; then
	# Alpine's commands call /lib/mdev scripts and modprobe: drop every
	# field from the 4th on that starts with @, $ or * (the command),
	# keeping a 4th-field =path, >path or !.
	sed -E 's/^([[:space:]]*[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+[^[:space:]]+([[:space:]]+[>=!][^[:space:]]*)?)[[:space:]]+[@$*].*$/\1/' \
	    "$alpine" >"$work/alpine-nocmd.conf"
	add_set "alpine-mdev.conf (commands stripped)" "$work/alpine-nocmd.conf" both
fi

# ---- runners ----------------------------------------------------------

# rules_for TOOL SETNO: the rule file TOOL gets for set SETNO
rules_for() {
	if [ "$1" = busybox ] && [ -z "${files[$2]}" ]; then
		echo "$work/builtin-mdev.conf"
	else
		echo "${files[$2]}"
	fi
}

# mketc TOOL SETNO ETC: the namespace's /etc. devmgr's udev names
# (disk/by-diskseq..., tested in disks.t and test_bylinks) are what
# busybox does not make: off here, where the trees must be the same.
mketc() {
	ns_mketc "$3" "$(rules_for "$1" "$2")"
	[ "$1" = busybox ] || printf '[links]\npersistent = no\n' >"$3/devmgr.conf"
}

# run_scan TOOL SETNO OUT: TOOL -s in a fresh namespace; stderr to OUT.err
run_scan() {
	local tool=$1 set=$2 out=$3 etc=$work/etc.$1.$2
	mketc "$tool" "$set" "$etc"
	if [ "$tool" = busybox ]; then
		ns_devtree "$sys" "$etc" "$out" env -i PATH=$kpath "$bb" mdev -s 2>"$out.err"
	else
		ns_devtree "$sys" "$etc" "$out" env -i PATH=$kpath "$devmgr" -s 2>"$out.err"
	fi
	local rc=$?
	[ $rc = 0 ] || echo "exit $rc" >>"$out.err"
}

# Replays an event file inside the namespace, one helper process per
# event.  Events come in on fd 3 so that the tool's stdin is not the
# list; nothing here may use /dev/null (it would appear in the tree).
replay='
	tool=$1 events=$2
	shift 2
	while IFS="	" read -r -a kv <&3; do
		env -i HOME=/ PATH='"$kpath"' "${kv[@]}" "$tool" "$@" 3<&-
		rc=$?
		[ $rc = 0 ] || echo "exit $rc: ${kv[*]}" >&2
	done 3<"$events"
'

# run_hotplug TOOL SETNO OUT: add pass, listing to OUT.add; remove pass,
# listing to OUT.remove; stderr of all calls to OUT.err
run_hotplug() {
	local tool=$1 set=$2 out=$3 etc=$work/etc.$1.$2 cmd
	mketc "$tool" "$set" "$etc"
	if [ "$tool" = busybox ]; then cmd=("$bb" mdev); else cmd=("$devmgr"); fi
	ns_run "$sys" "$etc" /bin/bash -c '
		replay=$1 tree=$2 out=$3 add=$4 rem=$5
		shift 5
		bash -c "$replay" replay "$1" "$add" "${@:2}"
		"$tree" /dev >"$out.add"
		bash -c "$replay" replay "$1" "$rem" "${@:2}"
		"$tree" /dev >"$out.remove"
	' hotplug "$replay" "$lib/devtree.sh" "$out" \
	    "$work/events.add" "$work/events.remove" "${cmd[@]}" 2>"$out.err"
}

# compare WHAT BBLIST DMLIST BBERR DMERR [empty-ok]
compare() {
	local what=$1
	if [ -z "${6:-}" ] && [ ! -s "$2" ] && [ ! -s "$3" ]; then
		# both empty would pass vacuously; an empty busybox tree means
		# the harness is broken
		fail "$what: busybox made no nodes"
		diag <"$4"
		return
	fi
	if cmp -s "$2" "$3"; then
		pass "$what"
	else
		fail "$what"
		echo "--- busybox +++ devmgr" | diag
		diff -u "$2" "$3" | tail -n +3 | diag
		if [ -s "$4" ]; then echo "busybox stderr:" | diag; diag <"$4"; fi
		if [ -s "$5" ]; then echo "devmgr stderr:" | diag; diag <"$5"; fi
	fi
}

# compare_remove WHAT BB DM ERR: after every device was removed, devmgr's
# tree must equal busybox's except for nodes and links busybox left
# behind and devmgr removed. busybox matches no @major,minor rule on remove
# (it never reads the numbers then), so a node such a rule renamed
# outlives its device; devmgr matches with the event's MAJOR/MINOR. Nodes
# both keep (a rule that only matches ACTION=add) are fine.
compare_remove() {
	local what=$1 bb=$2 dm=$3 err=$4 extra stale
	extra=$(comm -13 "$bb" "$dm")
	stale=$(comm -23 "$bb" "$dm")
	if [ -z "$extra" ] &&
	   [ -z "$(printf '%s\n' "$stale" | awk 'NF && $2 != "c" && $2 != "b" && $2 != "l"')" ]; then
		pass "$what"
		[ -z "$stale" ] || { echo "busybox left these behind, devmgr did not:"; printf '%s\n' "$stale"; } | diag
	else
		fail "$what"
		echo "--- busybox +++ devmgr" | diag
		diff -u "$bb" "$dm" | tail -n +3 | diag
		[ ! -s "$err" ] || { echo "devmgr stderr:"; cat "$err"; } | diag
	fi
}

# effect WHAT LIST BASELINE ERR: rules must change busybox's tree
effect() {
	if cmp -s "$2" "$3"; then
		fail "$1"
		echo "busybox's tree is the same as with no mdev.conf" | diag
		diag <"$4"
	else
		pass "$1"
	fi
}

# ---- plan ---------------------------------------------------------------

plan=1	# the big-tree scan
for i in "${!names[@]}"; do
	case ${modes[$i]} in
	scan) plan=$((plan + 1)) ;;
	hotplug) plan=$((plan + 2)) ;;
	both) plan=$((plan + 3)) ;;
	esac
	[ "$i" = 0 ] || plan=$((plan + 1))	# "has an effect"
done
echo "1..$plan"
[ -n "$have_devmgr" ] || echo "# $devmgr not found: comparisons skipped (run make)"
echo "# busybox: $("$bb" 2>&1 | head -1)"

# ---- run ----------------------------------------------------------------

for i in "${!names[@]}"; do
	name=${names[$i]} mode=${modes[$i]} o=$work/out.$i
	first=
	if [ "$mode" != hotplug ]; then
		run_scan busybox "$i" "$o.bb.scan"
		first=$o.bb.scan
		if [ -n "$have_devmgr" ]; then
			run_scan devmgr "$i" "$o.dm.scan"
			compare "scan: $name" "$o.bb.scan" "$o.dm.scan" \
			    "$o.bb.scan.err" "$o.dm.scan.err"
		else
			skip "scan: $name (no devmgr)"
		fi
	fi
	if [ "$mode" != scan ]; then
		run_hotplug busybox "$i" "$o.bb.hp"
		[ -n "$first" ] || first=$o.bb.hp.add
		if [ -n "$have_devmgr" ]; then
			run_hotplug devmgr "$i" "$o.dm.hp"
			compare "hotplug add: $name" "$o.bb.hp.add" "$o.dm.hp.add" \
			    "$o.bb.hp.err" "$o.dm.hp.err"
			compare_remove "hotplug remove: $name" "$o.bb.hp.remove" \
			    "$o.dm.hp.remove" "$o.dm.hp.err"
		else
			skip "hotplug add: $name (no devmgr)"
			skip "hotplug remove: $name (no devmgr)"
		fi
	fi
	if [ "$i" != 0 ]; then
		# baseline of the same mode, from set 0 (an empty mdev.conf)
		case $first in
		*.scan) base=$work/out.0.bb.scan ;;
		*) base=$work/out.0.bb.hp.add ;;
		esac
		effect "$name has an effect on busybox" "$first" "$base" "$first.err"
	fi
done

# The same comparison on a big tree: Alpine's rules (or none) in scan
# mode over the realistic set plus $big_count generated devices.
big=$work/bigsys
"$lib/gensysfs.sh" "$big" "$big_count"
last=$((${#names[@]} - 1))
o=$work/out.big
if [ -n "$have_devmgr" ]; then
	sys=$big
	run_scan busybox "$last" "$o.bb"
	run_scan devmgr "$last" "$o.dm"
	compare "scan, $big_count extra devices: ${names[$last]}" \
	    "$o.bb" "$o.dm" "$o.bb.err" "$o.dm.err"
else
	skip "scan, $big_count extra devices (no devmgr)"
fi
