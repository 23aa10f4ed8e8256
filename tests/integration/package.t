#!/bin/bash
# package.t: packaging/alpine/ checked as far as a Debian machine allows
# (no abuild, apk or OpenRC here; see packaging/alpine/README.md):
#   a  APKBUILD, devmgr.initd and devmgr.confd parse as POSIX sh (dash)
#      and as busybox ash, the shell that runs them on Alpine
#   b  APKBUILD's metadata: pkgver is the Makefile's VERSION, the top entry
#      of CHANGES and the version in the README's git archive command;
#      license MIT as COPYING says; a -dev package (and -static, for the
#      static build) for each pkg-config module the Makefile links; the
#      -doc, -openrc and -static subpackages; source= and sha512sums name
#      the same files in the same order, every file kept beside APKBUILD
#      is a source, and their sums are right
#   c  build(), check(), package() and static() run for real, as abuild
#      runs them (POSIX sh with errexit, in builddir, with srcdir, pkgdir,
#      subpkgdir, abuild.conf's CFLAGS and LDFLAGS, an unprivileged id) on
#      a copy of this tree laid out like the release tarball: check()
#      passes every unit test; package() installs exactly what
#      "make install DESTDIR=... PREFIX=/usr" installs plus the OpenRC
#      files, where -openrc (etc/init.d, etc/conf.d) and -doc (every man
#      page of man/, under usr/share/man) take them; nothing outside /usr
#      and /etc; both binaries print pkgver; devmgr.static is static
#   d  the init script, sourced after conf.d with openrc-run's functions
#      stubbed: depend() says what Alpine's mdev service says (provide dev,
#      need sysfs dev-mount, before checkfs fsck, keyword -containers
#      -vserver -lxc); command is where make install PREFIX=/usr puts
#      devmgr; devmgr accepts the whole command line when the notify fd is
#      open and refuses -D when it is closed, which is why start_pre drops
#      -D and notify where start-stop-daemon has no --notify (checked with
#      a fake start-stop-daemon both ways); reload sends SIGHUP through the
#      pidfile; start_pre clears a hotplug helper (in a file standing in
#      for /proc/sys/kernel/hotplug, which is never touched)
#
#   prove -v tests/integration/package.t     (from the repository root;
#   KEEP=1 prove -v ...                       any user; KEEP=1 keeps the
#                                             work directory)

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
pk=$top/packaging/alpine
tap_workdir package
bb=$(command -v busybox || true)

# ---- a: shell syntax --------------------------------------------------------

for f in APKBUILD devmgr.initd devmgr.confd; do
	check "$f: sh -n (POSIX sh)" sh -n "$pk/$f"
	if [ -n "$bb" ]; then
		check "$f: busybox sh -n (Alpine's ash)" "$bb" sh -n "$pk/$f"
	else
		skip "$f: busybox sh -n (busybox not installed)"
	fi
done

# ---- b: APKBUILD's metadata -------------------------------------------------

# apkvar NAME: the value of an APKBUILD variable, as a POSIX sh sourcing it
# sees it
apkvar() {
	(cd "$pk" && sh -c '. ./APKBUILD >/dev/null 2>&1 || exit 1; eval "v=\${$1-}"; printf "%s\n" "$v"' sh "$1")
}
# apkfunc NAME: whether APKBUILD defines the function NAME
apkfunc() {
	(cd "$pk" && sh -c '. ./APKBUILD >/dev/null 2>&1 || exit 1; type "$1" | grep -q function' sh "$1")
}
words() { tr -s ' \t\n' '\n\n\n' | grep .; }

pkgver=$(apkvar pkgver)
is "pkgname" "$(apkvar pkgname)" devmgr
is "pkgver is the Makefile's VERSION" "$pkgver" "$(sed -n 's/^VERSION *:= *//p' Makefile)"
is "pkgver is the top entry of CHANGES" "$pkgver" "$(awk '/^[0-9]+\.[0-9]+/ { print $1; exit }' CHANGES)"
is "README: git archive makes devmgr-\$pkgver/ and devmgr-\$pkgver.tar.gz" \
    "$(grep -o -e '--prefix=devmgr-[^/ ]*/' -e 'devmgr-[0-9][^ /]*\.tar\.gz' "$pk/README.md" | sort -u | tr '\n' ' ')" \
    "--prefix=devmgr-$pkgver/ devmgr-$pkgver.tar.gz "
is "license" "$(apkvar license)" MIT
check "COPYING is the MIT License" grep -qx 'MIT License' COPYING

# The Makefile's pkg-config modules (with libkmod, and for STATIC=1) and
# Alpine's packages that have them.
mkvar() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory -C "$top" --eval "print-var: ; @echo \$($1)" print-var "${@:2}"; }
alpine_dev() { case $1 in libnl-3.0) echo libnl3 ;; inih) echo inih ;; libkmod) echo kmod ;; blkid) echo util-linux ;; libbpf) echo libbpf ;; *) echo "?$1" ;; esac; }
makedeps=$(apkvar makedepends | words)
missing=
for m in $(mkvar PKGS KMOD=1); do
	grep -qx "$(alpine_dev "$m")-dev" <<<"$makedeps" || missing="$missing $(alpine_dev "$m")-dev"
done
for m in $(mkvar PKGS STATIC=1); do
	grep -qx "$(alpine_dev "$m")-static" <<<"$makedeps" || missing="$missing $(alpine_dev "$m")-static"
done
grep -qx linux-headers <<<"$makedeps" || missing="$missing linux-headers"
is "makedepends: -dev (and -static) of each module the Makefile links, linux-headers" "$missing" ""

subs=$(apkvar subpackages | words | tr '\n' ' ')
for s in doc openrc static; do
	check "subpackages: devmgr-$s" grep -qw "devmgr-$s" <<<"$subs"
done
check "static() is defined (abuild's default would only move *.a files)" apkfunc static

sources=$(apkvar source | words)
is "source: the release tarball first" "$(head -1 <<<"$sources" | sed 's,.*/,,')" "devmgr-$pkgver.tar.gz"
local_sources=$(grep -v '://' <<<"$sources")
is "sha512sums names the sources, in order" \
    "$(apkvar sha512sums | awk 'NF == 2 { print $2 }')" "$(sed 's,.*/,,' <<<"$sources")"
is "every file beside APKBUILD (but README.md) is a source" \
    "$(cd "$pk" && ls | grep -v -x -e APKBUILD -e README.md | sort)" "$(sort <<<"$local_sources")"
bad=
for f in $local_sources; do
	want=$(apkvar sha512sums | awk -v f="$f" '$2 == f { print $1 }')
	[ "$(sha512sum <"$pk/$f" | cut -d' ' -f1)" = "$want" ] || bad="$bad $f"
done
is "sha512sums: the files kept here have their sums (else: abuild checksum)" "$bad" ""

# ---- c: build(), check(), package(), static() --------------------------------

# Every library of the static link, as an archive (as static.t checks).
static_libs() {
	local l libs
	libs=$(pkg-config --static --libs-only-l libnl-3.0 inih 2>/dev/null) || return 1
	for l in $libs -lc; do
		case $(${CC:-cc} -print-file-name="lib${l#-l}.a" 2>/dev/null) in
		*/*) ;;
		*) return 1 ;;
		esac
	done
}

src=$work/src                   # abuild's $srcdir
bd=$src/devmgr-$pkgver          # $builddir: the tarball's top directory
pkgdir=$work/pkg/devmgr
staticdir=$work/pkg/devmgr-static
root=$work/root                 # plain make install DESTDIR=$root PREFIX=/usr

# abuild_run FUNCTION [SUBPACKAGE]: one of APKBUILD's functions, as abuild
# runs it. id -u says 1000: abuild builds as an unprivileged user (and so
# check() does not start the integration tests, this one among them).
abuild_run() {
	(cd "$bd" && env -u MAKELEVEL -u MFLAGS \
	    MAKEFLAGS="-j$(nproc)" \
	    CFLAGS="-Os -fstack-clash-protection -Wformat -Werror=format-security" \
	    LDFLAGS="-Wl,--as-needed,-O1,--sort-common" \
	    startdir="$pk" srcdir="$src" pkgdir="$pkgdir" subpkgdir="$work/pkg/${2:-}" \
	    sh -ec '
		id() { if [ "$*" = -u ]; then echo 1000; else command id "$@"; fi; }
		msg() { echo ">>> $*"; }
		. "$startdir/APKBUILD"
		builddir=${builddir:-$srcdir/$pkgname-$pkgver}
		cd "$builddir"
		"$1"' sh "$1")
}
# ran NAME: the result of abuild_run NAME, with its log on failure
ran() {
	local rc=$1 name=$2
	is "$name() exits 0" "$rc" 0
	[ "$rc" = 0 ] || tail -n 40 "$work/$name.log" | diag
}

if ! pkg-config --exists libnl-3.0 inih 2>/dev/null; then
	skip "build(), check(), package(), static(): no libnl-3.0 and inih here (make deps)"
elif ! static_libs; then
	skip "build(), check(), package(), static(): a static library is missing (see static.t)"
else
	# the tree as git archive would pack it (the working tree's files, so
	# that what is not committed yet is checked too), or as it is here
	mkdir -p "$bd"
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$top" ls-files -z --cached --others --exclude-standard |
		    while IFS= read -r -d '' f; do [ -e "$top/$f" ] && printf '%s\0' "$f"; done |
		    tar -C "$top" --null -T - -cf - | tar -C "$bd" -xf -
	else
		tar -C "$top" --exclude=./build --exclude=./devmgr --exclude=./.deps -cf - . |
		    tar -C "$bd" -xf -
	fi
	for f in $local_sources; do cp "$pk/$f" "$src/"; done

	abuild_run build >"$work/build.log" 2>&1
	ran $? build
	check "build(): the dynamic binary (./devmgr)" [ -x "$bd/devmgr" ]
	check "build(): the static binary (build/static/devmgr)" [ -x "$bd/build/static/devmgr" ]

	abuild_run check >"$work/check.log" 2>&1
	ran $? check
	is "check(): every unit test passed" "$(grep -c '^PASS build/tests/' "$work/check.log")" \
	    "$(ls "$bd"/tests/unit/*.c | wc -l)"
	check "check(): says why the integration tests did not run" \
	    grep -q 'Integration tests skipped: they need root' "$work/check.log"

	abuild_run package >"$work/package.log" 2>&1
	ran $? package
	abuild_run static devmgr-static >"$work/static.log" 2>&1
	ran $? static

	# what make install alone installs, from the same build
	env -u MAKELEVEL -u MFLAGS -u MAKEFLAGS \
	    CFLAGS="-Os -fstack-clash-protection -Wformat -Werror=format-security" \
	    LDFLAGS="-Wl,--as-needed,-O1,--sort-common" \
	    make -s -C "$bd" install DESTDIR="$root" PREFIX=/usr >"$work/install.log" 2>&1
	is "make install DESTDIR PREFIX=/usr" $? 0
	files() { (cd "$1" && find . -mindepth 1 ! -type d | sort); }
	is "package(): make install's files, and the OpenRC service's" "$(files "$pkgdir")" \
	    "$(printf '%s\n' $(files "$root") ./etc/init.d/devmgr ./etc/conf.d/devmgr | sort)"
	is "package(): only /etc and /usr (Alpine's /usr merge)" "$(ls "$pkgdir" | tr '\n' ' ')" "etc usr "
	is "make install: binary, Docker's runtime wrapper, three man pages, three example configs" \
	    "$(files "$root" | tr '\n' ' ')" \
	    "./etc/devmgr/devmgr.conf.example ./etc/devmgr/host.conf.example ./etc/devmgr/mdev.conf.example ./usr/libexec/devmgr/runc-devmgr ./usr/sbin/devmgr ./usr/share/man/man5/devmgr.conf.5 ./usr/share/man/man5/mdev.conf.5 ./usr/share/man/man8/devmgr.8 "
	is "package(): /usr/sbin/devmgr --version" "$("$pkgdir/usr/sbin/devmgr" --version 2>&1)" \
	    "devmgr $pkgver"
	is "package(): etc/init.d/devmgr, mode 755 (-openrc)" \
	    "$(stat -c %a "$pkgdir/etc/init.d/devmgr" 2>&1)" 755
	check "... devmgr.initd itself" cmp -s "$pk/devmgr.initd" "$pkgdir/etc/init.d/devmgr"
	is "package(): etc/conf.d/devmgr, mode 644 (-openrc)" \
	    "$(stat -c %a "$pkgdir/etc/conf.d/devmgr" 2>&1)" 644
	check "... devmgr.confd itself" cmp -s "$pk/devmgr.confd" "$pkgdir/etc/conf.d/devmgr"
	for e in mdev.conf devmgr.conf; do
		check "package(): /etc/devmgr/$e.example" cmp -s "$bd/etc/$e" "$pkgdir/etc/devmgr/$e.example"
	done
	pages=$(cd "$bd" && ls man/*.[1-8] 2>/dev/null)
	if [ -n "$pages" ]; then
		missing=
		for m in $pages; do
			[ -f "$pkgdir/usr/share/man/man${m##*.}/${m##*/}" ] || missing="$missing $m"
		done
		is "package(): every page of man/ under usr/share/man (-doc)" "$missing" ""
	else
		skip "package(): no man pages in man/ yet"
	fi

	is "static(): only /usr/sbin/devmgr.static" "$(files "$staticdir")" ./usr/sbin/devmgr.static
	st=$staticdir/usr/sbin/devmgr.static
	is "static(): devmgr.static --version" "$("$st" --version 2>&1)" "devmgr $pkgver"
	readelf -lW "$st" >"$work/phdr" 2>&1
	check "static(): no program interpreter (statically linked)" \
	    eval 'grep -q "Program Headers" "$work/phdr" && ! grep -q INTERP "$work/phdr"'
fi

# ---- d: the init script -----------------------------------------------------

# rc SCRIPT: run SCRIPT in POSIX sh after sourcing conf.d and the init
# script as openrc-run does, its functions stubbed, a fake
# start-stop-daemon first in PATH (it logs its arguments to $work/ssd.args
# and answers --help with $SSD_HELP)
mkdir -p "$work/fakebin"
cat >"$work/fakebin/start-stop-daemon" <<'EOF'
#!/bin/sh
[ "$1" = --help ] && { printf '%s\n' "$SSD_HELP"; exit 0; }
echo "$*" >>"$SSD_ARGS"
EOF
chmod +x "$work/fakebin/start-stop-daemon"
rc() {
	env RC_SVCNAME=devmgr CONFD="$pk/devmgr.confd" INITD="$pk/devmgr.initd" \
	    PATH="$work/fakebin:$PATH" SSD_ARGS="$work/ssd.args" SSD_HELP="${SSD_HELP-}" \
	    HOTPLUG="${HOTPLUG-}" \
	    sh -c '
		for f in provide need use want before after keyword; do
			eval "$f() { echo $f \"\$@\"; }"
		done
		for f in ebegin eend einfo ewarn eerror; do
			eval "$f() { echo $f \"\$@\"; }"
		done
		. "$CONFD"
		. "$INITD"
		'"$1"
}
rcvar() { rc "printf '%s\n' \"\$$1\""; }

check "devmgr.initd: #!/sbin/openrc-run" eval '[ "$(head -1 "$pk/devmgr.initd")" = "#!/sbin/openrc-run" ]'
is "depend(): Alpine's mdev service's" "$(rc depend)" \
    "$(printf '%s\n' 'provide dev' 'need sysfs dev-mount' 'before checkfs fsck' \
        'keyword -containers -vserver -lxc')"

command=$(rcvar command)
is "command" "$command" /usr/sbin/devmgr
if [ -d "$root" ]; then
	check "... where make install PREFIX=/usr puts devmgr" [ -x "$root$command" ]
else
	skip "... where make install PREFIX=/usr puts devmgr (nothing built)"
fi
is "command_background (start-stop-daemon makes the pidfile)" "$(rcvar command_background)" yes
pidfile=$(rcvar pidfile)
check "pidfile under /run ($pidfile)" eval 'case $pidfile in /run/?*) true ;; *) false ;; esac'
args=$(rcvar command_args)
notify=$(rcvar notify)
fd=${notify#fd:}
check "notify=fd:N ($notify)" eval 'case $fd in [3-9]) true ;; *) false ;; esac'
check "command_args: -d -f -D $fd ($args)" eval 'case " $args " in *" -d -f -D $fd "*) true ;; *) false ;; esac'
opts=$(rc 'printf "%s\n" "$DEVMGR_OPTS"')
check "command_args end with conf.d's DEVMGR_OPTS ($opts)" \
    eval 'case $args in *" $opts") true ;; *) false ;; esac'

# devmgr parses the options in order and -h exits at once: every option
# before it has been accepted (-D checks that its fd is open)
bin=$pkgdir/usr/sbin/devmgr
[ -x "$bin" ] || bin=$top/devmgr
if [ -x "$bin" ]; then
	eval '"$bin" $args -h >/dev/null 2>"$work/args.err" '"$fd"'>/dev/null'
	is "devmgr accepts the command line, fd $fd open" $? 0
	diag <"$work/args.err"
	eval '"$bin" $args -h >/dev/null 2>"$work/args.err" '"$fd"'>&-'
	is "... and refuses -D with fd $fd closed (exit 2)" $? 2
else
	skip "devmgr accepts the command line (devmgr not built)"
	skip "... and refuses -D with fd $fd closed (devmgr not built)"
fi

# start_pre with a start-stop-daemon that knows --notify, then with one
# that does not; the hotplug file is a stand-in
echo /sbin/mdev >"$work/hotplug"
hp='_hotplug=$HOTPLUG; '
out=$(HOTPLUG=$work/hotplug SSD_HELP='  -Z, --notify <arg>  Configures ready notification' \
    rc "${hp}start_pre; printf '%s|%s\n' \"\${notify-unset}\" \"\$command_args\"")
is "start_pre with --notify: notify and -D $fd kept" "$(tail -1 <<<"$out")" "$notify|$args"
is "start_pre: the hotplug helper cleared" "$(cat "$work/hotplug")" ""
check "... and said so" grep -q '^einfo Clearing.*/sbin/mdev' <<<"$out"
out=$(HOTPLUG=$work/hotplug SSD_HELP='  -b, --background  Force the process to background' \
    rc "${hp}start_pre; printf '%s|%s\n' \"\${notify-unset}\" \"\$command_args\"")
is "start_pre without --notify: no notify, no -D" "$(tail -1 <<<"$out")" "unset|-d -f $opts"
check "... with a warning" grep -q '^ewarn .*--notify' <<<"$out"
check "... and no word about an empty hotplug helper" eval '! grep -q "^einfo" <<<"$out"'
if [ -x "$bin" ]; then
	eval '"$bin" -d -f $opts -h >/dev/null 2>&1 '"$fd"'>&-'
	is "... which devmgr accepts, fd $fd closed" $? 0
else
	skip "... which devmgr accepts (devmgr not built)"
fi
out=$(HOTPLUG=$work/none SSD_HELP=--notify rc "${hp}start_pre && echo ok")
is "start_pre: no hotplug file (CONFIG_UEVENT_HELPER off) is fine" "$(tail -1 <<<"$out")" ok

is "extra_started_commands: reload" "$(rcvar extra_started_commands)" reload
: >"$work/ssd.args"
rc reload >"$work/reload.out"
is "reload: SIGHUP to the pidfile's process" "$(cat "$work/ssd.args")" \
    "--signal HUP --exec $command --pidfile $pidfile"

if [ -n "${bd:-}" ] && [ -d "$root" ]; then
	make -s -C "$bd" uninstall DESTDIR="$root" PREFIX=/usr >"$work/uninstall.log" 2>&1
	is "make uninstall DESTDIR PREFIX=/usr: no file left" \
	    "$(cd "$root" && find . -mindepth 1 ! -type d | wc -l)" 0
else
	skip "make uninstall (nothing was installed)"
fi

echo "1..$n"
