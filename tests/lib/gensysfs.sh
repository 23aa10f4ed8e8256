#!/bin/sh
# gensysfs.sh OUTDIR [COUNT]
#
# Generate a fake sysfs tree under OUTDIR that busybox `mdev -s` (and
# devmgr -s) cannot tell from the real one:
#
#   OUTDIR/dev/{char,block}/MAJ:MIN -> ../../devices/...   (relative links)
#   OUTDIR/devices/.../NAME/dev        "MAJ:MIN\n"
#   OUTDIR/devices/.../NAME/uevent     MAJOR= MINOR= DEVNAME= [DEVTYPE= ...]
#   OUTDIR/devices/.../NAME/subsystem  -> ../../class/SUBSYS or ../../bus/SUBSYS
#   OUTDIR/class/SUBSYS/NAME, OUTDIR/bus/SUBSYS/devices/NAME, OUTDIR/block/DISK
#                                      back links, as the kernel has them
#
# Layout, names and uevent key order were copied from a real 6.x kernel
# (/sys/dev/*/*/uevent and `readlink subsystem`).  The `subsystem` links
# must resolve: busybox stat()s every entry of a device directory while
# walking /sys/dev and prints an error for a dangling link.
#
# Without COUNT: one realistic machine (~100 devices: mem, tty, input, usb,
# hidraw, sd disks and partitions, loop, ram, drm, sound, misc, rtc, vc,
# cpuid, cciss).  With COUNT=N: the same set PLUS N generated devices
# (ttyUSB/ttyACM, input/eventN, bus/usb/BBB/DDD, sdX + partitions, loopN,
# hidrawN) with unique names and unique MAJ:MIN per char/block namespace.
# One perl process does all the work (no fork per device): N=10000 takes
# well under a second.
#
# Majors to keep in mind: this machine's root fs is 254:0 (vda); busybox
# -s makes a /dev/root symlink for a node matching the root fs st_dev, so
# the generated set deliberately avoids 254:*.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [COUNT]" >&2
	exit 2
fi
out=$1
count=${2:-0}
case $count in
*[!0-9]*|'') echo "$0: COUNT must be a number" >&2; exit 2 ;;
esac
mkdir -p "$out"

exec perl -e '
use strict;
use warnings;

my ($out, $count) = @ARGV;
my %seen;	# "char 1:3" / "name null" -> 1, to refuse duplicates
my %made;	# directories known to exist: saves a stat per path component

sub mkpath {
	my $p = "";
	for my $c (split m{/}, $_[0]) {
		$p .= ($p eq "" ? "" : "/") . $c;
		next if $made{$p}++;
		mkdir "$out/$p" or $!{EEXIST} or die "mkdir $out/$p: $!\n";
	}
}

# Relative link target from directory $from to path $to (both relative to
# OUTDIR), the way sysfs spells its links ("../../devices/...").
sub rel {
	my ($from, $to) = @_;
	my $up = () = $from =~ m{[^/]+}g;
	return ("../" x $up) . $to;
}

sub link_in {
	my ($dir, $name, $to) = @_;
	mkpath($dir);
	symlink(rel($dir, $to), "$out/$dir/$name")
	    or die "symlink $out/$dir/$name: $!\n";
}

sub put {
	my ($path, $text) = @_;
	open(my $fh, ">", "$out/$path") or die "$out/$path: $!\n";
	print $fh $text;
	close($fh) or die "$out/$path: $!\n";
}

# One device.  $type: c|b.  $devpath: below OUTDIR, without leading "/".
# $subsys: "class/NAME" or "bus/NAME".  @extra: more uevent lines, in the
# order the kernel prints them (DEVTYPE first when there is one).
sub dev {
	my ($type, $maj, $min, $devpath, $subsys, $devname, @extra) = @_;
	my $kind = $type eq "b" ? "block" : "char";
	die "duplicate $kind $maj:$min\n" if $seen{"$kind $maj:$min"}++;
	die "duplicate DEVNAME $devname\n" if $seen{"name $devname"}++;
	mkpath($devpath);
	put("$devpath/dev", "$maj:$min\n");
	put("$devpath/uevent", join("", map { "$_\n" }
	    "MAJOR=$maj", "MINOR=$min", "DEVNAME=$devname", @extra));
	mkpath($subsys);
	symlink(rel($devpath, $subsys), "$out/$devpath/subsystem")
	    or die "symlink subsystem of $devpath: $!\n";
	link_in("dev/$kind", "$maj:$min", $devpath);
	(my $base = $devpath) =~ s{.*/}{};
	if ($subsys =~ m{^bus/}) {
		link_in("$subsys/devices", $base, $devpath);
	} else {
		link_in($subsys, $base, $devpath);
	}
	# /sys/block holds whole disks only
	link_in("block", $base, $devpath)
	    if $type eq "b" && !grep { $_ eq "DEVTYPE=partition" } @extra;
}

# Both dev/ directories exist even when one of them stays empty.
mkpath("dev/char");
mkpath("dev/block");

# ---- the realistic set ----------------------------------------------

my $v = "devices/virtual";
my $pci = "devices/pci0000:00";

# mem: the kernel adds DEVMODE for the world-usable ones
dev("c", 1, 1, "$v/mem/mem", "class/mem", "mem");
dev("c", 1, 2, "$v/mem/kmem", "class/mem", "kmem");
dev("c", 1, 3, "$v/mem/null", "class/mem", "null", "DEVMODE=0666");
dev("c", 1, 4, "$v/mem/port", "class/mem", "port");
dev("c", 1, 5, "$v/mem/zero", "class/mem", "zero", "DEVMODE=0666");
dev("c", 1, 7, "$v/mem/full", "class/mem", "full", "DEVMODE=0666");
dev("c", 1, 8, "$v/mem/random", "class/mem", "random", "DEVMODE=0666");
dev("c", 1, 9, "$v/mem/urandom", "class/mem", "urandom", "DEVMODE=0666");
dev("c", 1, 11, "$v/mem/kmsg", "class/mem", "kmsg", "DEVMODE=0644");

# tty
dev("c", 5, 0, "$v/tty/tty", "class/tty", "tty", "DEVMODE=0666");
dev("c", 5, 1, "$v/tty/console", "class/tty", "console");
dev("c", 5, 2, "$v/tty/ptmx", "class/tty", "ptmx", "DEVMODE=0666");
dev("c", 4, $_, "$v/tty/tty$_", "class/tty", "tty$_") for 0 .. 12;
dev("c", 4, 64, "devices/pnp0/00:04/00:04:0/00:04:0.0/tty/ttyS0",
    "class/tty", "ttyS0");
dev("c", 4, 64 + $_, "devices/platform/serial8250/serial8250:0/serial8250:0.$_/tty/ttyS$_",
    "class/tty", "ttyS$_") for 1 .. 3;
for my $i (0, 1) {
	my $p = 2 + $i;
	dev("c", 188, $i, "$pci/0000:00:14.0/usb1/1-$p/1-$p:1.0/ttyUSB$i/tty/ttyUSB$i",
	    "class/tty", "ttyUSB$i");
}

# vc (vcs*, a char 7:* next to block loop 7:*)
dev("c", 7, 0, "$v/vc/vcs", "class/vc", "vcs");
dev("c", 7, 1, "$v/vc/vcs1", "class/vc", "vcs1");
dev("c", 7, 128, "$v/vc/vcsa", "class/vc", "vcsa");
dev("c", 7, 129, "$v/vc/vcsa1", "class/vc", "vcsa1");

# input: DEVNAME has a directory part
dev("c", 13, 63, "$v/input/mice", "class/input", "input/mice");
dev("c", 13, 32, "devices/platform/i8042/serio1/input/input1/mouse0",
    "class/input", "input/mouse0");
dev("c", 13, 64, "devices/platform/i8042/serio0/input/input0/event0",
    "class/input", "input/event0");
dev("c", 13, 65, "devices/platform/i8042/serio1/input/input1/event1",
    "class/input", "input/event1");
dev("c", 13, 66, "devices/LNXSYSTM:00/LNXPWRBN:00/input/input2/event2",
    "class/input", "input/event2");
dev("c", 13, 67, "$v/input/input3/event3", "class/input", "input/event3");

# usb devices: bus link, DEVTYPE, and directories nested in each other
my @usb = (
	[1, 1, "$pci/0000:00:14.0/usb1", "1d6b/2/606", "9/0/1"],
	[1, 2, "$pci/0000:00:14.0/usb1/1-1", "46d/c52b/1211", "0/0/0"],
	[2, 1, "$pci/0000:00:14.0/usb2", "1d6b/3/606", "9/0/3"],
);
for (@usb) {
	my ($bus, $num, $path, $product, $type) = @$_;
	dev("c", 189, ($bus - 1) * 128 + $num - 1, $path, "bus/usb",
	    sprintf("bus/usb/%03d/%03d", $bus, $num),
	    "DEVTYPE=usb_device", "DRIVER=usb", "PRODUCT=$product",
	    "TYPE=$type", sprintf("BUSNUM=%03d", $bus),
	    sprintf("DEVNUM=%03d", $num));
}
dev("c", 241, $_, "$pci/0000:00:14.0/usb1/1-1/1-1:1.$_/0003:046D:C52B.000" . ($_ + 1) . "/hidraw/hidraw$_",
    "class/hidraw", "hidraw$_") for 0, 1;

# drm and sound: DEVNAME differs from the sysfs name
dev("c", 226, 0, "$pci/0000:00:02.0/drm/card0", "class/drm", "dri/card0",
    "DEVTYPE=drm_minor");
dev("c", 226, 128, "$pci/0000:00:02.0/drm/renderD128", "class/drm",
    "dri/renderD128", "DEVTYPE=drm_minor");
dev("c", 116, 0, "$pci/0000:00:1b.0/sound/card0/controlC0", "class/sound",
    "snd/controlC0");
dev("c", 116, 16, "$pci/0000:00:1b.0/sound/card0/pcmC0D0p", "class/sound",
    "snd/pcmC0D0p");
dev("c", 116, 1, "$v/sound/seq", "class/sound", "snd/seq");
dev("c", 116, 33, "$v/sound/timer", "class/sound", "snd/timer");

# misc: tun and hw_random have a DEVNAME unlike their sysfs name
dev("c", 10, 229, "$v/misc/fuse", "class/misc", "fuse");
dev("c", 10, 232, "$v/misc/kvm", "class/misc", "kvm");
dev("c", 10, 200, "$v/misc/tun", "class/misc", "net/tun");
dev("c", 10, 183, "$v/misc/hw_random", "class/misc", "hwrng");
dev("c", 10, 237, "$v/misc/loop-control", "class/misc", "loop-control");
dev("c", 10, 259, "$v/misc/cpu_dma_latency", "class/misc", "cpu_dma_latency");
dev("c", 252, 0, "devices/pnp0/00:01/rtc/rtc0", "class/rtc", "rtc0");
dev("c", 203, $_, "$v/cpuid/cpu$_", "class/cpuid", "cpu/$_/cpuid") for 0, 1;

# block: disks, partitions inside their disk directory, loop, ram
my $diskseq = 1;
sub disk {
	my ($maj, $min, $path, $name, $parts, $sep) = @_;
	my $seq = $diskseq++;
	dev("b", $maj, $min, $path, "class/block", $name,
	    "DEVTYPE=disk", "DISKSEQ=$seq");
	(my $base = $path) =~ s{.*/}{};
	dev("b", $maj, $min + $_, "$path/$base$sep$_", "class/block",
	    "$name$sep$_", "DEVTYPE=partition", "DISKSEQ=$seq", "PARTN=$_")
	    for 1 .. $parts;
}
disk(8, 0, "$pci/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda", "sda", 2, "");
disk(8, 16, "$pci/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block/sdb", "sdb", 0, "");
disk(7, $_, "$v/block/loop$_", "loop$_", 0, "") for 0 .. 7;
disk(1, $_, "$v/block/ram$_", "ram$_", 0, "") for 0, 1;
# cciss: the kernel turns "/" into "!" in the sysfs name, DEVNAME keeps "/"
disk(104, 0, "$pci/0000:00:03.0/cciss0/c0d0/block/cciss!c0d0", "cciss/c0d0", 1, "p");

# ---- COUNT more devices, for benchmarks -----------------------------

my %next = (usbser => 2, acm => 0, event => 4, usbbus => 3, usbdev => 1,
    sd => 2, part => 0, loop => 8, hidraw => 2);

sub sdname {	# 0 -> sda, 25 -> sdz, 26 -> sdaa
	my $i = shift;
	my $s = "";
	do { $s = chr(97 + $i % 26) . $s; $i = int($i / 26) - 1 } while ($i >= 0);
	return "sd$s";
}
sub sdmajor {	# 16 disks per major: 8, 65..71, 128..135
	my $g = int(shift() / 16);
	return $g == 0 ? 8 : $g < 8 ? 64 + $g : 120 + $g;
}

for my $n (0 .. $count - 1) {
	my $kind = $n % 10;
	# sd majors give room for 256 disks; past that, make loops instead
	$kind = 8 if ($kind == 6 || $kind == 7) && $next{sd} >= 256;
	if ($kind == 0) {
		my $i = $next{usbser}++;
		dev("c", 188, $i, "$pci/0000:00:14.0/usb9/9-$i/9-$i:1.0/ttyUSB$i/tty/ttyUSB$i",
		    "class/tty", "ttyUSB$i");
	} elsif ($kind == 1) {
		my $i = $next{acm}++;
		dev("c", 166, $i, "$pci/0000:00:14.0/usb9/9-a$i/9-a$i:1.0/tty/ttyACM$i",
		    "class/tty", "ttyACM$i");
	} elsif ($kind == 2 || $kind == 3) {
		# evdev: legacy minors 64..95, then the dynamic range from 256
		my $i = $next{event}++;
		my $min = $i < 32 ? 64 + $i : 256 + $i - 32;
		dev("c", 13, $min, "$v/input/input$i/event$i", "class/input",
		    "input/event$i");
	} elsif ($kind == 4 || $kind == 5) {
		my ($bus, $num) = ($next{usbbus}, $next{usbdev}++);
		if ($num == 127) { $next{usbbus}++; $next{usbdev} = 1 }
		my $path = "$pci/0000:00:14.0/usb$bus";
		$path .= "/$bus-" . ($num - 1) if $num > 1;
		dev("c", 189, ($bus - 1) * 128 + $num - 1, $path, "bus/usb",
		    sprintf("bus/usb/%03d/%03d", $bus, $num),
		    "DEVTYPE=usb_device", "DRIVER=usb", "PRODUCT=1234/5678/100",
		    "TYPE=0/0/0", sprintf("BUSNUM=%03d", $bus),
		    sprintf("DEVNUM=%03d", $num));
	} elsif ($kind == 6 || $kind == 7) {
		# a disk, then its partitions 1..7, then the next disk
		my ($i, $p) = ($next{sd}, $next{part});
		my $name = sdname($i);
		my $path = "$pci/0000:00:1f.2/ata$i/host$i/target$i:0:0/$i:0:0:0/block/$name";
		my $min = ($i % 16) * 16;
		if ($p == 0) {
			dev("b", sdmajor($i), $min, $path, "class/block", $name,
			    "DEVTYPE=disk", "DISKSEQ=" . (100 + $i));
		} else {
			dev("b", sdmajor($i), $min + $p, "$path/$name$p",
			    "class/block", "$name$p", "DEVTYPE=partition",
			    "DISKSEQ=" . (100 + $i), "PARTN=$p");
		}
		if (++$next{part} == 8) { $next{part} = 0; $next{sd}++ }
	} elsif ($kind == 8) {
		my $i = $next{loop}++;
		dev("b", 7, $i, "$v/block/loop$i", "class/block", "loop$i",
		    "DEVTYPE=disk", "DISKSEQ=" . (1000 + $i));
	} else {
		my $i = $next{hidraw}++;
		dev("c", 241, $i, sprintf("$v/misc/uhid/0003:1234:5678.%04X/hidraw/hidraw%d", $i, $i),
		    "class/hidraw", "hidraw$i");
	}
}
' "$out" "$count"
