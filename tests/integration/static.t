#!/bin/bash
# static.t: the static build runs in an empty root -- no libc, no ld.so,
# no NSS -- and resolves user and group names from that root's own
# /etc/passwd and /etc/group.
#
#   prove -v tests/integration/static.t      (as root, from the repo root)
#   KEEP=1 prove -v ...                      (keep the work directory)
#   DEVMGR=/path/to/devmgr prove ...         (the dynamic build compared
#                                            with; default ./devmgr)
#
# Builds build/static/devmgr (make STATIC=1 BUILD=build/static
# BIN=build/static/devmgr; ./devmgr is not touched), checks that it has
# no program interpreter and no dynamic section, and runs it as
#
#   unshare -m: mount --bind SYS ROOT/sys; chroot ROOT /devmgr -s
#
# where ROOT holds only /devmgr, /etc/{passwd,group,mdev.conf}, an empty
# /dev and the mount point /sys.  The names in the rules (ctuser 4322,
# ctgroup 4321) exist only in ROOT's files, not on the host, so the
# owners prove where they were looked up.  The bind mount lives and dies
# with the private mount namespace; the host's /dev, /etc and /sys are
# never used.

set -u
export LC_ALL=C

top=$(pwd)
lib=$top/tests/lib
bin=$top/build/static/devmgr
dyn=${DEVMGR:-$top/devmgr}
case $dyn in /*) ;; *) dyn=$top/$dyn ;; esac

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (mount namespace, chroot, mknod, chown)"
	exit 0
fi
if [ ! -f "$lib/gensysfs.sh" ] || [ ! -f "$top/Makefile" ]; then
	echo "1..0 # SKIP run from the repository root"
	exit 0
fi
# Every library of the static link, as archives: libc and what
# pkg-config --static lists for the Makefile's packages.
if ! libs=$(pkg-config --static --libs-only-l libnl-3.0 inih 2>/dev/null); then
	echo "1..1"; echo "not ok 1 - cannot run: pkg-config does not know libnl-3.0 and inih"
	exit 1
fi
for l in $libs -lc; do
	a=lib${l#-l}.a
	case $(${CC:-cc} -print-file-name="$a" 2>/dev/null) in
	*/*) ;;
	*) echo "1..1"; echo "not ok 1 - cannot run: static library $a missing"; exit 1 ;;
	esac
done

. "$top/tests/lib/tap.sh"
tap_workdir static

echo "1..23"


# ---- build and inspect ----------------------------------------------------

if make -s -C "$top" STATIC=1 BUILD=build/static BIN=build/static/devmgr \
    >"$work/build.log" 2>&1 && [ -x "$bin" ]; then
	pass "static build"
else
	fail "static build"
	diag <"$work/build.log"
	echo "Bail out! no static binary"
	exit 1
fi
readelf -lW "$bin" >"$work/phdr" 2>&1
readelf -dW "$bin" >"$work/dyn" 2>&1
no_interp() { grep -q 'Program Headers' "$1" && ! grep -q 'INTERP' "$1"; }
check "no program interpreter (PT_INTERP)" no_interp "$work/phdr"
check "no dynamic section" grep -q 'There is no dynamic section' "$work/dyn"
if command -v file >/dev/null; then
	check "file(1) says statically linked" grep -q 'statically linked' <<<"$(file -b "$bin")"
else
	skip "file(1) not installed"
fi

# ---- the empty root -------------------------------------------------------

sys=$work/sys
"$lib/gensysfs.sh" "$sys" || { echo "Bail out! gensysfs.sh failed"; exit 1; }
root=$work/root
mkdir -p "$root/etc" "$root/dev" "$root/sys"
cp "$bin" "$root/devmgr"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/:/x
ctuser:x:4322:4321::/:/x
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
ctgroup:x:4321:
EOF
cat >"$root/etc/mdev.conf" <<'EOF'
null ctuser:ctgroup 0640
# a user alone: that user's primary group, from ROOT/etc/passwd
zero ctuser 0600
ttyS[0-9] root:ctgroup 0660 =tts/
EOF

# The names must really be unknown to the host, or the test would not
# show that they came from ROOT's files.
host_knows=
for q in "group ctgroup" "group 4321" "passwd ctuser" "passwd 4322"; do
	getent $q >/dev/null 2>&1 && host_knows="$host_knows $q;"
done
is "the host knows neither ctuser/4322 nor ctgroup/4321" "$host_knows" ""
is "ROOT holds only the binary, etc/{passwd,group,mdev.conf}, dev/, sys/" \
    "$(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')" \
    "./dev ./devmgr ./etc ./etc/group ./etc/mdev.conf ./etc/passwd ./sys "

# Control: the normal, dynamically linked build cannot even start there.
if [ -x "$dyn" ] && readelf -lW "$dyn" 2>/dev/null | grep -q INTERP; then
	cp "$dyn" "$root/devmgr-dynamic"
	chroot "$root" /devmgr-dynamic --version >"$work/dyn.out" 2>&1
	rc=$?
	rm -f "$root/devmgr-dynamic"
	check "control: the dynamic $(basename "$dyn") fails in ROOT (exit $rc)" [ "$rc" != 0 ]
else
	skip "no dynamically linked $dyn to compare with"
fi

version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
out=$(chroot "$root" /devmgr --version 2>"$work/err")
is "chroot ROOT /devmgr --version: exit 0" $? 0
is "... prints 'devmgr $version'" "$out" "devmgr $version"

# ---- -s in the empty root -------------------------------------------------

inroot='mount --bind "$1" "$2/sys" || exit 99; exec chroot "$2" /devmgr -s'
unshare -m -- /bin/sh -c "$inroot" inroot "$sys" "$root" >"$work/out" 2>"$work/err"
rc=$?
is "unshare -m chroot ROOT /devmgr -s: exit 0" $rc 0
# the root has no /proc and no cgroup file system: no list to read, but
# the kernel is asked per device all the same, with no warning
check "... no 'no device policy' warning: the kernel is asked" eval "! grep -q 'no device policy' '$work/err'"
if [ -s "$work/err" ]; then
	fail "... nothing else on stderr"
	diag <"$work/err"
else
	pass "... nothing else on stderr"
fi
d=$root/dev
is "null: ctuser:ctgroup 0640 -> 4322:4321" "$(node "$d/null")" \
    "character special file 1:3 640 4322 4321"
is "zero: ctuser alone -> 4322 and ctuser's primary group 4321" "$(node "$d/zero")" \
    "character special file 1:5 600 4322 4321"
is "ttyS0: root:ctgroup 0660 =tts/ -> tts/ttyS0 0:4321" "$(node "$d/tts/ttyS0")" \
    "character special file 4:64 660 0 4321"
is "ttyS3 -> tts/ttyS3 too" "$(node "$d/tts/ttyS3")" \
    "character special file 4:67 660 0 4321"
is "... and no ttyS0 at the top" "$(node "$d/ttyS0")" absent
is "default rule: sda root:root 0660" "$(node "$d/sda")" "block special file 8:0 660 0 0"
is "subdirectories: input/event0" "$(node "$d/input/event0")" \
    "character special file 13:64 660 0 0"
want=$(find "$sys/dev/char" "$sys/dev/block" -mindepth 1 -maxdepth 1 | wc -l)
is "one node per sysfs device" "$(find "$d" \( -type c -o -type b \) | wc -l)" "$want"
is "one udev database entry per device, as in ROOT/run/udev/data" \
    "$(find "$root/run/udev/data" -type f -name '[cb]*:*' | wc -l)" "$want"
is "nothing created in ROOT outside dev/ and the udev database in run/udev/" \
    "$(cd "$root" && find . -mindepth 1 \( -path ./dev -o -path './run/udev/data/*' \) -prune -o -print | sort | tr '\n' ' ')" \
    "./devmgr ./etc ./etc/group ./etc/mdev.conf ./etc/passwd ./run ./run/udev ./run/udev/control ./run/udev/data ./sys "

# Cross-check: the dynamic build with the same files through --etc,
# --rules, --sys and --dev makes the same tree.
if [ -x "$dyn" ]; then
	mkdir "$work/dyndev"
	: >"$work/empty.conf"
	env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin "$dyn" --config "$work/empty.conf" \
	    --sys "$sys" --dev "$work/dyndev" --rules "$root/etc/mdev.conf" \
	    --etc "$root/etc" --run "$work/dynrun" -s 2>"$work/dyn.err"
	"$lib/devtree.sh" "$d" >"$work/static.tree"
	"$lib/devtree.sh" "$work/dyndev" >"$work/dynamic.tree"
	if cmp -s "$work/static.tree" "$work/dynamic.tree"; then
		pass "the dynamic build makes the same tree"
	else
		fail "the dynamic build makes the same tree"
		diff -u "$work/static.tree" "$work/dynamic.tree" | diag
	fi
else
	skip "no $dyn to compare with"
fi

[ "$n" = 22 ] || echo "# planned 22 tests but ran $n"
