#!/bin/sh
# Regenerates the module tree tests/unit/test_modules.c reads:
# lib/modules/6.0.0-test/ with the binary indexes libkmod looks aliases
# and dependencies up in (modules.alias.bin, modules.dep.bin...).
#
# The indexes are committed because depmod (Debian's kmod package) is not
# among the build dependencies; this script needs it, and a C compiler:
#   tests/data/modules/gen.sh [path/to/depmod]
# Without kmod installed: apt-get download kmod && dpkg -x kmod_*.deb x,
# then ln -s "$PWD/x/bin/kmod" depmod (kmod dispatches on its name).
#
# The modules are tiny relocatable objects: depmod reads only their
# .modinfo section (aliases), __ksymtab_strings (what they export) and
# undefined symbols (what they need from other modules, hence the
# dependencies). Their content is not kept: a dry run never opens them.
# Empty files stand in for them because libkmod checks that the files a
# modules.dep line names exist; dmtest_nofile has none, so that a test
# loading it for real fails on the missing file, before any system call
# reaches the running kernel. Names start with dmtest_ so that no module
# of the machine running the tests (its /sys/module) can shadow them.
set -eu

release=6.0.0-test
depmod=${1:-depmod}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
moddir=$work/lib/modules/$release
mkdir -p "$moddir/kernel"

# module NAME EXPORT NEEDS ALIAS...: one fake module. EXPORT: a symbol
# it exports, NEEDS: one it uses from another module ("-": none).
module() {
	name=$1 export=$2 needs=$3
	shift 3
	{
		printf 'static const char modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) =\n'
		printf '\t"license=GPL\\0" "vermagic=%s SMP mod_unload\\0"\n' "$release"
		for alias in "$@"; do
			printf '\t"alias=%s\\0"\n' "$alias"
		done
		printf '\t;\n'
		if [ "$export" != - ]; then
			printf 'static const char ksym[] __attribute__((section("__ksymtab_strings"), used, aligned(1))) = "%s";\n' "$export"
			printf 'int %s(void) { return 0; }\n' "$export"
		fi
		if [ "$needs" != - ]; then
			printf 'extern int %s(void);\n' "$needs"
			printf 'int %s_init(void) { return %s(); }\n' "$name" "$needs"
		fi
	} > "$work/$name.c"
	cc -c -O2 -o "$moddir/kernel/$name.ko" "$work/$name.c"
}

module dmtest_usbserial dmtest_usb_serial_register -
module dmtest_ftdi_sio - dmtest_usb_serial_register \
	'usb:v0403p6001d*dc*dsc*dp*ic*isc*ip*in*' 'usb:v0403p6015d*dc*dsc*dp*ic*isc*ip*in*'
module dmtest_blocked - - 'pci:v0000DEADd*sv*sd*bc*sc*i*'
module dmtest_ehci - - 'pci:v*d*sv*sd*bc0Csc03i20*'
module dmtest_quirk - - 'pci:v00008086d00001234sv*sd*bc*sc*i*'
module dmtest_snd - - 'platform:dmtest-snd'
module dmtest_codec - - 'platform:dmtest-codec'
module dmtest_inst - - 'acpi:DMT0001:*'
module dmtest_nofile - - 'dmtest:nofile'

# A built-in "module": listed in modules.builtin, its alias in the
# kernel-generated modules.builtin.modinfo.
echo kernel/dmtest_builtin.ko > "$moddir/modules.builtin"
printf 'dmtest_builtin.alias=pci:v00001AF4d00001000sv*sd*bc*sc*i*\0' > "$moddir/modules.builtin.modinfo"

(cd "$moddir" && ls kernel/*.ko) > "$moddir/modules.order"
"$depmod" -b "$work" "$release"

out=$here/lib/modules/$release
rm -rf "$here/lib"
mkdir -p "$out"
for f in "$moddir"/modules.*; do
	cp "$f" "$out/"
done
mkdir "$out/kernel"
for f in "$moddir"/kernel/*.ko; do
	[ "${f##*/}" = dmtest_nofile.ko ] || : > "$out/kernel/${f##*/}"
done
ls -l "$out" "$out/kernel"
