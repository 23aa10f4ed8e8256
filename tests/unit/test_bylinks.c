/* The by-id and by-path names of udev's 60-serial.rules and
 * 60-persistent-input.rules, and ID_PATH from its path_id builtin, on a
 * fake sysfs tree: USB serial adapters (FTDI, CDC ACM behind a hub, a
 * four-port adapter, one on an ARM SoC's USB), a USB keyboard receiver
 * with a keyboard, a mouse and a media-key interface, an AT keyboard,
 * the PC speaker, a Bluetooth keyboard, a virtual joystick, a PCI
 * serial port, a virtual console, garbage; disks on SCSI hosts (a USB
 * stick with a partition, a SCSI card with two hosts, virtio-scsi,
 * FireWire) and on ATA, Fibre Channel and SAS hosts, an SD card.
 *
 * devid_add() fills in the ID_* properties first, as devmgr does. Each
 * expectation names the rule line it comes from (Debian 12's udev 252,
 * /lib/udev/rules.d/60-serial.rules "S:line", 60-persistent-input.rules
 * "I:line"). Checked against Debian 12's udevadm 252: with
 * BYLINKS_TEST_KEEP=1 the tree stays, and in a mount namespace with it
 * bound over /sys (an LD_PRELOAD fstatfs saying SYSFS_MAGIC, as for
 * test_devid), the two rules files and 60-input-id.rules as the only
 * rules and a hwdb.bin that knows PCI vendor 8086, "udevadm test
 * /sys/devices/..." gives the same links, ID_PATH, ID_PATH_TAG, ID_BUS,
 * ID_SERIAL, ID_VENDOR_ID, ID_MODEL_ID for every device here, except
 * where the comments say. For the disks "udevadm test-builtin path_id"
 * (and usb_id for the stick) was run the same way: the same ID_PATH and
 * ID_PATH_TAG, or none. */
#define _GNU_SOURCE
#include "tap.h"
#include "bylinks.h"
#include "devid.h"
#include "fakesys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void pci(const char *dir, const char *vendor, const char *dev)
{
	char uevent[128];

	/* MODALIAS: what udev's hwdb import looks the ids up by */
	snprintf(uevent, sizeof(uevent),
		 "PCI_SLOT_NAME=%s\nMODALIAS=pci:v0000%sd0000%ssv0sd0bc07sc00i02\n",
		 strrchr(dir, '/') + 1, vendor + 2, dev + 2);
	device(dir, "bus/pci", NULL, uevent);
	put(dir, "vendor", "%s\n", vendor);
	put(dir, "device", "%s\n", dev);
}

/* NULL strings: no such attribute. */
static void usb_device(const char *dir, const char *vid, const char *pid, const char *manufacturer,
		       const char *product, const char *serial)
{
	device(dir, "bus/usb", "usb", "DEVTYPE=usb_device\nDRIVER=usb\n");
	put(dir, "idVendor", "%s\n", vid);
	put(dir, "idProduct", "%s\n", pid);
	put(dir, "bcdDevice", "0100\n");
	put(dir, "devpath", "%s\n", strrchr(dir, '-') ? strrchr(dir, '-') + 1 : "0");
	if (manufacturer)
		put(dir, "manufacturer", "%s\n", manufacturer);
	if (product)
		put(dir, "product", "%s\n", product);
	if (serial)
		put(dir, "serial", "%s\n", serial);
}

static void usb_interface(const char *dir, const char *num, const char *cls, const char *driver)
{
	device(dir, "bus/usb", driver, "DEVTYPE=usb_interface\n");
	put(dir, "bInterfaceNumber", "%s\n", num);
	put(dir, "bInterfaceClass", "%s\n", cls);
	put(dir, "bInterfaceSubClass", "00\n");
	put(dir, "bInterfaceProtocol", "00\n");
}

/* A usb-serial port PORT below interface IFACE and its tty NAME. */
static void usb_serial_port(const char *iface, const char *name, const char *driver,
			    const char *port)
{
	char dir[512], uevent[128];

	snprintf(dir, sizeof(dir), "%s/%s", iface, name);
	device(dir, "bus/usb-serial", driver, "DRIVER=x\n");
	put(dir, "port_number", "%s\n", port);
	snprintf(dir, sizeof(dir), "%s/%s/tty/%s", iface, name, name);
	snprintf(uevent, sizeof(uevent), "MAJOR=188\nMINOR=%s\nDEVNAME=%s\n", name + 6, name);
	device(dir, "class/tty", NULL, uevent);
}

/* An inputN directory with its capability bitmaps and its nodes'
 * directories (NODES: NULL-terminated names). */
static void input(const char *dir, const char *name, const char *bustype, const char *ev,
		  const char *key, const char *rel, const char *abs, const char *const *nodes)
{
	char sub[512], uevent[128];

	device(dir, "class/input", NULL, "PRODUCT=0/0/0/0\n");
	put(dir, "name", "%s\n", name);
	put(dir, "id/bustype", "%s\n", bustype);
	put(dir, "capabilities/ev", "%s\n", ev);
	put(dir, "capabilities/key", "%s\n", key);
	put(dir, "capabilities/rel", "%s\n", rel);
	put(dir, "capabilities/abs", "%s\n", abs);
	put(dir, "capabilities/sw", "0\n");
	put(dir, "properties", "0\n");
	for (int i = 0; nodes[i]; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, nodes[i]);
		snprintf(uevent, sizeof(uevent), "MAJOR=13\nMINOR=%d\nDEVNAME=input/%s\n", 64 + i,
			 nodes[i]);
		device(sub, "class/input", NULL, uevent);
	}
}

#define NODES(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define PCI "devices/pci0000:00/0000:00:14.0"
#define HUB PCI "/usb1"
#define FTDI_IF HUB "/1-2/1-2:1.0"
#define ACM HUB "/1-1/1-1.4"
#define EDGE_IF HUB "/1-5/1-5:1.0"
#define BAD_IF HUB "/1-6/1-6:1.0"
#define RCV HUB "/1-4"
#define KBD RCV "/1-4:1.0/0003:046D:C52B.0001/input/input3"
#define MOUSE RCV "/1-4:1.1/0003:046D:C52B.0002/input/input4"
#define MEDIA RCV "/1-4:1.2/0003:046D:C52B.0003/input/input5"
#define SOC "devices/platform/soc/3f980000.usb"
#define PL2303_IF SOC "/usb1/1-1/1-1:1.0"
#define ATKBD "devices/platform/i8042/serio0/input/input1"
#define SPKR "devices/platform/pcspkr/input/input6"
#define BT "devices/virtual/misc/uhid/0005:046D:B342.0005/input/input30"
#define JOY "devices/virtual/input/input20"
#define I2C_HOST "devices/pci0000:00/0000:00:15.1/i2c_designware.1"
#define TOUCHPAD I2C_HOST "/i2c-2/i2c-ELAN0000:00/0018:04F3:3050.0002/input/input18"
#define POWER "devices/LNXSYSTM:00/LNXPWRBN:00/input/input2"

/* A full keyboard (word 0 all set); mouse buttons; KEY_MUTE alone. */
#define KBD_KEYS "402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe"
#define MOUSE_KEYS "70000 0 0 0 0"
#define MEDIA_KEYS "2000000000000 0"

static void build_serial(void)
{
	pci(PCI, "0x8086", "0xa36d");
	usb_device(HUB, "1d6b", "0002", "Linux 6.1.0 xhci-hcd", "xHCI Host Controller",
		   "0000:00:14.0");
	usb_interface(HUB "/1-0:1.0", "00", "09", "hub");
	/* an FT232R */
	usb_device(HUB "/1-2", "0403", "6001", "FTDI", "FT232R USB UART", "A9XYZ123");
	usb_interface(FTDI_IF, "00", "ff", "ftdi_sio");
	usb_serial_port(FTDI_IF, "ttyUSB0", "ftdi_sio", "0");
	ln("dev/char/188:0", "../../" FTDI_IF "/ttyUSB0/tty/ttyUSB0");
	/* an Arduino behind a hub (no product string: the model id), and a
	 * modem's second ACM port on interface 2 */
	usb_device(HUB "/1-1", "05e3", "0608", NULL, "USB2.0 Hub", NULL);
	usb_interface(HUB "/1-1/1-1:1.0", "00", "09", "hub");
	usb_device(ACM, "2341", "0043", "Arduino (www.arduino.cc)", NULL, "75735303331351F0E0A1");
	usb_interface(ACM "/1-1.4:1.0", "00", "02", "cdc_acm");
	device(ACM "/1-1.4:1.0/tty/ttyACM0", "class/tty", NULL, "MAJOR=166\nMINOR=0\nDEVNAME=ttyACM0\n");
	usb_interface(ACM "/1-1.4:1.2", "02", "02", "cdc_acm");
	device(ACM "/1-1.4:1.2/tty/ttyACM1", "class/tty", NULL, "MAJOR=166\nMINOR=1\nDEVNAME=ttyACM1\n");
	/* four ports on one interface */
	usb_device(HUB "/1-5", "1608", "0001", "Digi International", "Edgeport/4", "V12345678");
	usb_interface(EDGE_IF, "00", "ff", "io_edgeport");
	usb_serial_port(EDGE_IF, "ttyUSB2", "io_edgeport", "0");
	usb_serial_port(EDGE_IF, "ttyUSB3", "io_edgeport", "1");
	/* a port number that tries to climb out of by-path */
	usb_device(HUB "/1-6", "067b", "2303", "Prolific", "Evil", NULL);
	usb_interface(BAD_IF, "00", "ff", "pl2303");
	usb_serial_port(BAD_IF, "ttyUSB4", "pl2303", "../../etc x");
	/* a Raspberry Pi's USB: platform devices, no PCI */
	device("devices/platform/soc", "bus/platform", NULL, "OF_NAME=soc\n");
	device(SOC, "bus/platform", "dwc_otg", "OF_NAME=usb\n");
	usb_device(SOC "/usb1", "1d6b", "0002", "Linux dwc_otg_hcd", "DWC OTG Controller",
		   "3f980000.usb");
	usb_device(SOC "/usb1/1-1", "067b", "2303", "Prolific Technology Inc.",
		   "USB-Serial Controller", NULL);
	usb_interface(PL2303_IF, "00", "ff", "pl2303");
	usb_serial_port(PL2303_IF, "ttyUSB1", "pl2303", "0");
	/* Intel AMT's serial-over-LAN port: a PCI serial port */
	pci("devices/pci0000:00/0000:00:16.3", "0x8086", "0xa13d");
	device("devices/pci0000:00/0000:00:16.3/tty/ttyS4", "class/tty", NULL,
	       "MAJOR=4\nMINOR=68\nDEVNAME=ttyS4\n");
	device("devices/platform/serial8250", "bus/platform", "serial8250", "DRIVER=serial8250\n");
	device("devices/platform/serial8250/tty/ttyS0", "class/tty", NULL,
	       "MAJOR=4\nMINOR=64\nDEVNAME=ttyS0\n");
	device("devices/virtual/tty/tty0", "class/tty", NULL, "MAJOR=4\nMINOR=0\nDEVNAME=tty0\n");
	ln("dev/char/9:10", "../../../../../../../../etc");
	ln("dev/char/9:11", "/etc");
}

static void build_input(void)
{
	usb_device(RCV, "046d", "c52b", "Logitech", "USB Receiver", NULL);
	usb_interface(RCV "/1-4:1.0", "00", "03", "usbhid");
	usb_interface(RCV "/1-4:1.1", "01", "03", "usbhid");
	usb_interface(RCV "/1-4:1.2", "02", "03", "usbhid");
	device(RCV "/1-4:1.0/0003:046D:C52B.0001", "bus/hid", "hid-generic", "DRIVER=hid-generic\n");
	device(RCV "/1-4:1.1/0003:046D:C52B.0002", "bus/hid", "hid-generic", "DRIVER=hid-generic\n");
	device(RCV "/1-4:1.2/0003:046D:C52B.0003", "bus/hid", "hid-generic", "DRIVER=hid-generic\n");
	input(KBD, "Logitech USB Receiver", "0003", "120013", KBD_KEYS, "0", "0", NODES("event3"));
	input(MOUSE, "Logitech USB Receiver Mouse", "0003", "17", MOUSE_KEYS, "3", "0",
	      NODES("event4", "mouse0"));
	input(MEDIA, "Logitech USB Receiver Consumer Control", "0003", "3", MEDIA_KEYS, "0", "0",
	      NODES("event5"));
	device("devices/platform/i8042", "bus/platform", "i8042", "DRIVER=i8042\n");
	device("devices/platform/i8042/serio0", "bus/serio", "atkbd", "DRIVER=atkbd\n");
	input(ATKBD, "AT Translated Set 2 keyboard", "0011", "120013", KBD_KEYS, "0", "0",
	      NODES("event1"));
	device("devices/platform/pcspkr", "bus/platform", "pcspkr", "DRIVER=pcspkr\n");
	input(SPKR, "PC Speaker", "0010", "40001", "0", "0", "0", NODES("event6"));
	device("devices/virtual/misc/uhid/0005:046D:B342.0005", "bus/hid", "hid-generic",
	       "DRIVER=hid-generic\n");
	input(BT, "Logitech K380", "0005", "120013", KBD_KEYS, "0", "0", NODES("event30"));
	/* BTN_TRIGGER..BTN_BASE6; ABS X Y Z RZ THROTTLE HAT0X HAT0Y */
	input(JOY, "Virtual Joystick", "0006", "1b", "fff00000000 0 0 0 0", "0", "30067",
	      NODES("js0", "event20"));
	/* a DVB card's remote: "ir" whatever input_id says */
	pci("devices/pci0000:00/0000:00:1c.0", "0x8086", "0xa110");
	pci("devices/pci0000:00/0000:00:1c.0/0000:03:00.0", "0x14f1", "0x8852");
	input("devices/pci0000:00/0000:00:1c.0/0000:03:00.0/rc/rc0/input7", "Hauppauge DVB IR",
	      "0001", "100013", KBD_KEYS, "0", "0", NODES("event7"));
	device("devices/pci0000:00/0000:00:1c.0/0000:03:00.0/rc/rc0", "class/rc", NULL, "DEV=x\n");
	/* an I2C touchpad: ABS X Y PRESSURE TOOL_WIDTH MT_*; BTN_LEFT,
	 * TOOL_FINGER, TOUCH, DOUBLETAP...; INPUT_PROP_POINTER, BUTTONPAD */
	pci("devices/pci0000:00/0000:00:15.1", "0x8086", "0xa369");
	device(I2C_HOST, "bus/platform", "i2c_designware", "DRIVER=i2c_designware\n");
	device(I2C_HOST "/i2c-2", "bus/i2c", NULL, "\n");
	device(I2C_HOST "/i2c-2/i2c-ELAN0000:00", "bus/i2c", "i2c_hid_acpi", "DRIVER=i2c_hid_acpi\n");
	device(I2C_HOST "/i2c-2/i2c-ELAN0000:00/0018:04F3:3050.0002", "bus/hid", "hid-multitouch",
	       "DRIVER=hid-multitouch\n");
	input(TOUCHPAD, "ELAN0000:00 04F3:3050 Touchpad", "0018", "b", "e520 10000 0 0 0 0", "0",
	      "660800011000003", NODES("event18"));
	put(TOUCHPAD, "properties", "5\n");
	/* the power button: KEY_POWER alone, on ACPI devices */
	device("devices/LNXSYSTM:00", "bus/acpi", NULL, "MODALIAS=acpi:LNXSYSTM:\n");
	device("devices/LNXSYSTM:00/LNXPWRBN:00", "bus/acpi", "button", "DRIVER=button\n");
	input(POWER, "Power Button", "0019", "3", "10000000000000 0", "0", "0", NODES("event2"));
}

/* ---- Disks --------------------------------------------------------- */

/* A USB stick: its interface, the SCSI host usb-storage makes (with the
 * class device the kernel puts beside its target), the disk sdb and its
 * partition. */
#define STICK_IF HUB "/1-3/1-3:1.0"
#define STICK_SDEV STICK_IF "/host6/target6:0:0/6:0:0:0"
#define STICK STICK_SDEV "/block/sdb"
/* usb_id: the USB strings (udev's too: the interface is not SCSI
 * transparent, subclass 06) */
#define STICK_BYID "disk/by-id/usb-SanDisk_Cruzer_Blade_4C530001234567890123"
/* a SCSI card with two hosts, a disk on each: hosts numbered from the
 * card's first */
#define CARD "devices/pci0000:00/0000:00:1c.0/0000:04:00.0"
#define CARD_DISK2 CARD "/host2/target2:0:0/2:0:0:0/block/sdc"
#define CARD_DISK3 CARD "/host3/target3:0:1/3:0:1:0/block/sdd"
#define VSCSI "devices/pci0000:00/0000:00:05.0/virtio2"
#define VSCSI_DISK VSCSI "/host7/target7:0:0/7:0:0:2/block/sde"
#define ATA "devices/pci0000:00/0000:00:17.0/ata1"
#define ATA_DISK ATA "/host0/target0:0:0/0:0:0:0/block/sda"
#define FC CARD "/host4/rport-4:0-0"
#define FC_DISK FC "/target4:0:0/4:0:0:0/block/sdf"
#define SAS CARD "/host5/port-5:0/end_device-5:0"
#define SAS_DISK SAS "/target5:0:0/5:0:0:0/block/sdg"
#define FW "devices/pci0000:00/0000:00:1c.0/0000:05:00.0/fw1/fw1.0"
#define FW_SDEV FW "/host8/target8:0:0/8:0:0:0"
#define FW_DISK FW_SDEV "/block/sdh"
#define MMC "devices/pci0000:00/0000:00:1e.6/mmc_host/mmc0/mmc0:0001"
#define MMC_DISK MMC "/block/mmcblk0"

static void scsi_host(const char *dir)
{
	char cls[512];

	device(dir, "bus/scsi", NULL, "DEVTYPE=scsi_host\n");
	snprintf(cls, sizeof(cls), "%s/scsi_host/%s", dir, strrchr(dir, '/') + 1);
	device(cls, "class/scsi_host", NULL, "\n");
}

/* The target and SCSI device above DISK (".../target/H:C:T:L/block/x")
 * and the disk, with PARTS partitions. */
static void scsi_disk(const char *disk, int major, int minor, int parts)
{
	char dir[512], uevent[128];
	const char *name = strrchr(disk, '/') + 1;

	snprintf(dir, sizeof(dir), "%.*s", (int)(strstr(disk, "/block/") - disk), disk);
	device(dir, "bus/scsi", "sd", "DEVTYPE=scsi_device\nDRIVER=sd\n");
	put(dir, "type", "0\n");
	put(dir, "vendor", "Generic \n");
	put(dir, "model", "Disk            \n");
	*strrchr(dir, '/') = '\0';
	device(dir, "bus/scsi", NULL, "DEVTYPE=scsi_target\n");
	snprintf(uevent, sizeof(uevent), "MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=disk\n", major,
		 minor, name);
	device(disk, "class/block", NULL, uevent);
	for (int i = 1; i <= parts; i++) {
		snprintf(dir, sizeof(dir), "%s/%s%d", disk, name, i);
		snprintf(uevent, sizeof(uevent),
			 "MAJOR=%d\nMINOR=%d\nDEVNAME=%s%d\nDEVTYPE=partition\nPARTN=%d\n", major,
			 minor + i, name, i, i);
		device(dir, "class/block", NULL, uevent);
		put(dir, "partition", "%d\n", i);
	}
}

static void build_disks(void)
{
	usb_device(HUB "/1-3", "0781", "5567", "SanDisk", "Cruzer Blade", "4C530001234567890123");
	usb_interface(STICK_IF, "00", "08", "usb-storage");
	scsi_host(STICK_IF "/host6");
	scsi_disk(STICK, 8, 16, 1);
	pci(CARD, "0x9005", "0x8017");
	scsi_host(CARD "/host2");
	scsi_host(CARD "/host3");
	scsi_disk(CARD_DISK2, 8, 32, 0);
	scsi_disk(CARD_DISK3, 8, 48, 0);
	pci("devices/pci0000:00/0000:00:05.0", "0x1af4", "0x1004");
	device(VSCSI, "bus/virtio", "virtio_scsi", "DRIVER=virtio_scsi\n");
	scsi_host(VSCSI "/host7");
	scsi_disk(VSCSI_DISK, 8, 64, 0);
	/* ATA, Fibre Channel, SAS: udev reads their transport class devices
	 * (ata_port, fc_transport, sas_device), which are left out here: it
	 * too gives no ID_PATH on this tree */
	pci("devices/pci0000:00/0000:00:17.0", "0x8086", "0xa352");
	device(ATA, NULL, NULL, "\n");
	scsi_host(ATA "/host0");
	scsi_disk(ATA_DISK, 8, 0, 0);
	scsi_host(CARD "/host4");
	device(FC, NULL, NULL, "\n");
	scsi_disk(FC_DISK, 8, 80, 0);
	scsi_host(CARD "/host5");
	device(CARD "/host5/port-5:0", NULL, NULL, "\n");
	device(SAS, NULL, NULL, "\n");
	scsi_disk(SAS_DISK, 8, 96, 0);
	/* FireWire (SBP-2): the unit's GUID in ieee1394_id */
	pci("devices/pci0000:00/0000:00:1c.0/0000:05:00.0", "0x104c", "0x8023");
	device(FW, "bus/firewire", NULL, "\n");
	device(FW "/fw1.0", "bus/firewire", "firewire_sbp2", "DRIVER=firewire_sbp2\n");
	scsi_host(FW "/host8");
	scsi_disk(FW_DISK, 8, 112, 0);
	put(FW_SDEV, "ieee1394_id", "0030e0f4e0001234:0:0\n");
	/* an SD card on a PCI reader: mmc is no bus udev names disks by */
	pci("devices/pci0000:00/0000:00:1e.6", "0x8086", "0x9d2b");
	device("devices/pci0000:00/0000:00:1e.6/mmc_host/mmc0", "class/mmc_host", NULL, "\n");
	device(MMC, "bus/mmc", "mmcblk", "DRIVER=mmcblk\n");
	device(MMC_DISK, "class/block", NULL, "MAJOR=179\nMINOR=0\nDEVNAME=mmcblk0\nDEVTYPE=disk\n");
}

/* ---- Checking ------------------------------------------------------ */

static char out[BYLINKS_MAX][BYLINKS_NAME];

/* devid_add then bylinks, as devmgr does; the number of names. */
static int run(struct devprops *p, const char *sysdir, const char *subsystem, const char *devname)
{
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n;

	devprops_init(p);
	devid_add(fd, sysdir, subsystem, NULL, p);
	n = bylinks(fd, sysdir, subsystem, devname, NULL, p, out);
	close(fd);
	return n;
}

/* A name no directory tricks can be played with. */
static int safe(const char *name)
{
	const char *slash = strrchr(name, '/');

	return name[0] != '/' && strstr(name, "/..") == NULL && strstr(name, "//") == NULL &&
	       strstr(name, "/./") == NULL && slash && strlen(slash + 1) <= 255 &&
	       strchr(name, ' ') == NULL;
}

/* Exactly the names WANT (NULL-terminated), in order. */
static void check(const char *what, int n, const char *const *want)
{
	int w = 0;

	while (want[w])
		w++;
	is_int(n, w, "%s: %d names", what, w);
	for (int i = 0; i < n && i < w; i++)
		is_str(out[i], want[i], "%s: name %d", what, i + 1);
	for (int i = 0; i < n; i++) {
		ok(safe(out[i]), "%s: '%s' safe", what, out[i]);
		if (i >= w)
			printf("#   extra %s\n", out[i]);
	}
}

#define LINKS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

static void prop_is(const struct devprops *p, const char *what, const char *key, const char *value)
{
	is_str(devprops_get(p, key), value, "%s: %s", what, key);
}

/* ---- Serial -------------------------------------------------------- */

#define TTY_FTDI FTDI_IF "/ttyUSB0/tty/ttyUSB0"

static void test_ftdi(void)
{
	struct devprops p;

	/* S:16 ID_PATH and S:14 .ID_PORT (port_number 0) -> S:18 by-path
	 * with -port; S:24 by-id with -port. path_id: usb-0: and the
	 * interface's name after the bus number, after pci- and the
	 * controller. */
	check("FTDI ttyUSB0", run(&p, TTY_FTDI, "tty", "ttyUSB0"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0",
		    "serial/by-id/usb-FTDI_FT232R_USB_UART_A9XYZ123-if00-port0"));
	prop_is(&p, "FTDI", "ID_PATH", "pci-0000:00:14.0-usb-0:2:1.0");
	/* path_id's tag: '-' and alphanumerics kept, the rest '_' */
	prop_is(&p, "FTDI", "ID_PATH_TAG", "pci-0000_00_14_0-usb-0_2_1_0");
	prop_is(&p, "FTDI", "ID_BUS", "usb");
	/* coldplug: by dev/char, no SUBSYSTEM known */
	check("FTDI by dev/char/188:0", run(&p, "dev/char/188:0", NULL, "ttyUSB0"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0",
		    "serial/by-id/usb-FTDI_FT232R_USB_UART_A9XYZ123-if00-port0"));
	/* no node: no names (every rule's SYMLINK needs one), ID_PATH all
	 * the same */
	check("FTDI without DEVNAME", run(&p, TTY_FTDI, "tty", NULL), NONE);
	prop_is(&p, "FTDI without DEVNAME", "ID_PATH", "pci-0000:00:14.0-usb-0:2:1.0");
	/* S:4: the usb-serial port itself is no tty */
	check("usb-serial port", run(&p, FTDI_IF "/ttyUSB0", "usb-serial", NULL), NONE);
	ok(devprops_get(&p, "ID_PATH") == NULL, "usb-serial port: no ID_PATH");
}

static void test_acm(void)
{
	struct devprops p;

	/* S:17 (no usb-serial parent, so no .ID_PORT) and S:23; the hub
	 * chain 1-1.4 is one "1.4"; the model is the product id when there
	 * is no product string (usb_id). */
	check("Arduino ttyACM0", run(&p, ACM "/1-1.4:1.0/tty/ttyACM0", "tty", "ttyACM0"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:1.4:1.0",
		    "serial/by-id/usb-Arduino__www.arduino.cc__0043_75735303331351F0E0A1-if00"));
	prop_is(&p, "Arduino", "ID_PATH_TAG", "pci-0000_00_14_0-usb-0_1_4_1_0");
	/* S:17, S:23 with ID_USB_INTERFACE_NUM 02 */
	check("modem ttyACM1", run(&p, ACM "/1-1.4:1.2/tty/ttyACM1", "tty", "ttyACM1"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:1.4:1.2",
		    "serial/by-id/usb-Arduino__www.arduino.cc__0043_75735303331351F0E0A1-if02"));
}

static void test_multiport(void)
{
	struct devprops p;

	/* S:18, S:24: port_number 1 on the same interface */
	check("Edgeport ttyUSB2", run(&p, EDGE_IF "/ttyUSB2/tty/ttyUSB2", "tty", "ttyUSB2"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:5:1.0-port0",
		    "serial/by-id/usb-Digi_International_Edgeport_4_V12345678-if00-port0"));
	check("Edgeport ttyUSB3", run(&p, EDGE_IF "/ttyUSB3/tty/ttyUSB3", "tty", "ttyUSB3"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:5:1.0-port1",
		    "serial/by-id/usb-Digi_International_Edgeport_4_V12345678-if00-port1"));
	/* S:18, S:24 on a SoC: platform- and the nearest platform device,
	 * the soc above it skipped (path_id's skip_subsystem) */
	check("Pi ttyUSB1", run(&p, PL2303_IF "/ttyUSB1/tty/ttyUSB1", "tty", "ttyUSB1"),
	      LINKS("serial/by-path/platform-3f980000.usb-usb-0:1:1.0-port0",
		    "serial/by-id/usb-Prolific_Technology_Inc._USB-Serial_Controller-if00-port0"));
	prop_is(&p, "Pi", "ID_PATH_TAG", "platform-3f980000_usb-usb-0_1_1_0");
}

static void test_other_tty(void)
{
	struct devprops p;

	/* S:7-9: a tty on a PCI device gets ID_BUS=pci and its ids (in
	 * udev when its hwdb knows the PCI vendor, as Debian's does nearly
	 * all); S:12 ends there for a name not ttyUSB/ttyACM: no ID_PATH,
	 * no names */
	check("AMT ttyS4", run(&p, "devices/pci0000:00/0000:00:16.3/tty/ttyS4", "tty", "ttyS4"), NONE);
	prop_is(&p, "AMT ttyS4", "ID_BUS", "pci");
	prop_is(&p, "AMT ttyS4", "ID_VENDOR_ID", "0x8086");
	prop_is(&p, "AMT ttyS4", "ID_MODEL_ID", "0xa13d");
	ok(devprops_get(&p, "ID_PATH") == NULL, "AMT ttyS4: no ID_PATH");
	check("ttyS0", run(&p, "devices/platform/serial8250/tty/ttyS0", "tty", "ttyS0"), NONE);
	is_int(p.nprop, 0, "ttyS0: no properties");
	check("tty0", run(&p, "devices/virtual/tty/tty0", "tty", "tty0"), NONE);
	is_int(p.nprop, 0, "tty0: no properties");
}

static void test_garbage(void)
{
	struct devprops p;
	char serial[301];
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* '/' and the blank in the port number made '_' (udev keeps the
	 * '/': "port../../etc_x") */
	check("port number ../../etc x", run(&p, BAD_IF "/ttyUSB4/tty/ttyUSB4", "tty", "ttyUSB4"),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:6:1.0-port.._.._etc_x",
		    "serial/by-id/usb-Prolific_Evil-if00-port.._.._etc_x"));
	/* values from elsewhere than usb_id: the same */
	devprops_init(&p);
	devid_add(fd, TTY_FTDI, "tty", NULL, &p);
	devprops_set(&p, "ID_SERIAL", "../../../etc/passwd");
	devprops_set(&p, "ID_USB_INTERFACE_NUM", "..");
	check("ID_SERIAL ../../../etc/passwd", bylinks(fd, TTY_FTDI, "tty", "ttyUSB0", NULL, &p, out),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0",
		    "serial/by-id/usb-.._.._.._etc_passwd-if..-port0"));
	/* a file name longer than NAME_MAX: left out, not cut */
	memset(serial, 'x', 300);
	serial[300] = '\0';
	devprops_set(&p, "ID_SERIAL", serial);
	check("ID_SERIAL of 300 bytes", bylinks(fd, TTY_FTDI, "tty", "ttyUSB0", NULL, &p, out),
	      LINKS("serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0"));
	/* sysdirs that lead out of the root, or nowhere */
	devprops_init(&p);
	is_int(bylinks(fd, "dev/char/9:10", "tty", "ttyUSB9", NULL, &p, out), 0, "link above the root");
	is_int(bylinks(fd, "dev/char/9:11", "tty", "ttyUSB9", NULL, &p, out), 0, "absolute link");
	is_int(bylinks(fd, "/etc", "tty", "ttyUSB9", NULL, &p, out), 0, "absolute sysdir");
	is_int(bylinks(fd, "devices/../../etc", "tty", "ttyUSB9", NULL, &p, out), 0, "../ above the root");
	is_int(bylinks(fd, "dev/char/1:99", "tty", "ttyUSB9", NULL, &p, out), 0, "missing");
	is_int(bylinks(fd, "devices/nothing/ttyUSB9", "tty", "ttyUSB9", NULL, &p, out), 0,
	       "not there, no parent");
	is_int(p.nprop, 0, "garbage: no properties");
	close(fd);
}

/* ---- Input --------------------------------------------------------- */

static void test_usb_input(void)
{
	struct devprops p;

	/* I:14 (ID_INPUT_KEYBOARD: kbd), I:28 (bInterfaceNumber 00),
	 * I:35 (path_id, pci below), I:37 */
	check("keyboard event3", run(&p, KBD "/event3", "input", "input/event3"),
	      LINKS("input/by-id/usb-Logitech_USB_Receiver-event-kbd",
		    "input/by-path/pci-0000:00:14.0-usb-0:4:1.0-event-kbd"));
	prop_is(&p, "keyboard", "ID_PATH", "pci-0000:00:14.0-usb-0:4:1.0");
	prop_is(&p, "keyboard", "ID_SERIAL", "Logitech_USB_Receiver");
	/* I:15 (mouse), I:29 (interface 01: -if01), I:37 */
	check("mouse event4", run(&p, MOUSE "/event4", "input", "input/event4"),
	      LINKS("input/by-id/usb-Logitech_USB_Receiver-if01-event-mouse",
		    "input/by-path/pci-0000:00:14.0-usb-0:4:1.1-event-mouse"));
	/* I:27 (mouse*: no "event-"), I:36 */
	check("mouse mouse0", run(&p, MOUSE "/mouse0", "input", "input/mouse0"),
	      LINKS("input/by-id/usb-Logitech_USB_Receiver-if01-mouse",
		    "input/by-path/pci-0000:00:14.0-usb-0:4:1.1-mouse"));
	/* keys only, no class: I:31-32 (-event-if02), I:39-40 (-event) */
	check("media keys event5", run(&p, MEDIA "/event5", "input", "input/event5"),
	      LINKS("input/by-id/usb-Logitech_USB_Receiver-event-if02",
		    "input/by-path/pci-0000:00:14.0-usb-0:4:1.2-event"));
	prop_is(&p, "media keys", "ID_INPUT_KEY", "1");
	ok(devprops_get(&p, "ID_INPUT_KEYBOARD") == NULL, "media keys: not a keyboard");
	/* the inputN device has no node: no names, the properties */
	check("keyboard input3", run(&p, KBD, "input", NULL), NONE);
	prop_is(&p, "keyboard input3", "ID_PATH", "pci-0000:00:14.0-usb-0:4:1.0");
	check("keyboard, SUBSYSTEM from sysfs", run(&p, KBD "/event3", NULL, "input/event3"),
	      LINKS("input/by-id/usb-Logitech_USB_Receiver-event-kbd",
		    "input/by-path/pci-0000:00:14.0-usb-0:4:1.0-event-kbd"));
}

static void test_other_input(void)
{
	struct devprops p;

	/* I:9 ID_BUS=i8042; I:23 ID_SERIAL=noserial; no by-id (no parent
	 * with bInterfaceNumber); I:35, I:37, path_id: serio-N */
	check("AT keyboard event1", run(&p, ATKBD "/event1", "input", "input/event1"),
	      LINKS("input/by-path/platform-i8042-serio-0-event-kbd"));
	prop_is(&p, "AT keyboard", "ID_BUS", "i8042");
	prop_is(&p, "AT keyboard", "ID_SERIAL", "noserial");
	prop_is(&p, "AT keyboard", "ID_PATH", "platform-i8042-serio-0");
	prop_is(&p, "AT keyboard", "ID_PATH_TAG", "platform-i8042-serio-0");
	/* I:19 (DRIVERS=="pcspkr"), I:37 */
	check("PC speaker event6", run(&p, SPKR "/event6", "input", "input/event6"),
	      LINKS("input/by-path/platform-pcspkr-event-spkr"));
	prop_is(&p, "PC speaker", "ID_SERIAL", "noserial");
	ok(devprops_get(&p, "ID_BUS") == NULL, "PC speaker: no ID_BUS");
	/* I:7: id/bustype 0005 is Bluetooth, and the rules end there */
	check("Bluetooth keyboard", run(&p, BT "/event30", "input", "input/event30"), NONE);
	prop_is(&p, "Bluetooth keyboard", "ID_BUS", "bluetooth");
	ok(devprops_get(&p, "ID_SERIAL") == NULL, "Bluetooth keyboard: no ID_SERIAL");
	/* I:18, I:23; virtual: no ID_BUS, no pci/usb/platform/acpi parent */
	check("virtual joystick js0", run(&p, JOY "/js0", "input", "input/js0"), NONE);
	prop_is(&p, "virtual joystick", "ID_INPUT_JOYSTICK", "1");
	prop_is(&p, "virtual joystick", "ID_SERIAL", "noserial");
	ok(devprops_get(&p, "ID_PATH") == NULL, "virtual joystick: no ID_PATH");
	/* I:20 (ATTRS{name} "*DVB*" over kbd), I:37: the nearest pci
	 * device names the path, the bridge above it skipped */
	check("DVB remote event7",
	      run(&p, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/rc/rc0/input7/event7", "input",
		  "input/event7"),
	      LINKS("input/by-path/pci-0000:03:00.0-event-ir"));
	/* I:16 (touchpad: mouse), I:23, I:37; path_id: i2c adds nothing,
	 * the platform device and the pci device above it do */
	check("I2C touchpad event18", run(&p, TOUCHPAD "/event18", "input", "input/event18"),
	      LINKS("input/by-path/pci-0000:00:15.1-platform-i2c_designware.1-event-mouse"));
	prop_is(&p, "I2C touchpad", "ID_INPUT_TOUCHPAD", "1");
	prop_is(&p, "I2C touchpad", "ID_PATH_TAG", "pci-0000_00_15_1-platform-i2c_designware_1");
	ok(devprops_get(&p, "ID_BUS") == NULL, "I2C touchpad: no ID_BUS");
	/* no class; I:35 (acpi): ID_PATH, LNXSYSTM:00 above skipped; I:39
	 * wants usb, platform or i2c: no names */
	check("power button event2", run(&p, POWER "/event2", "input", "input/event2"), NONE);
	prop_is(&p, "power button", "ID_PATH", "acpi-LNXPWRBN:00");
	prop_is(&p, "power button", "ID_PATH_TAG", "acpi-LNXPWRBN_00");
	ok(devprops_get(&p, "ID_SERIAL") == NULL, "power button: no class, no ID_SERIAL");
}

/* ---- Disks --------------------------------------------------------- */

/* path_id's SCSI device: "scsi-H:C:T:L" with H from the controller's
 * first host, the host and target adding nothing; by-path from it, a
 * partition's with -partN. */
static void test_usb_stick(void)
{
	struct devprops p;

	run(&p, STICK, "block", "sdb");
	prop_is(&p, "USB stick", "ID_PATH", "pci-0000:00:14.0-usb-0:3:1.0-scsi-0:0:0:0");
	prop_is(&p, "USB stick", "ID_PATH_TAG", "pci-0000_00_14_0-usb-0_3_1_0-scsi-0_0_0_0");
	check("USB stick sdb", run(&p, STICK, "block", "sdb"),
	      LINKS(STICK_BYID, "disk/by-path/pci-0000:00:14.0-usb-0:3:1.0-scsi-0:0:0:0"));
	check("USB stick sdb1", run(&p, STICK "/sdb1", "block", "sdb1"),
	      LINKS(STICK_BYID "-part1",
		    "disk/by-path/pci-0000:00:14.0-usb-0:3:1.0-scsi-0:0:0:0-part1"));
	prop_is(&p, "USB stick sdb1", "ID_PATH", "pci-0000:00:14.0-usb-0:3:1.0-scsi-0:0:0:0");
	prop_is(&p, "USB stick sdb1", "ID_PATH_TAG", "pci-0000_00_14_0-usb-0_3_1_0-scsi-0_0_0_0");
}

static void test_scsi_hosts(void)
{
	struct devprops p;

	check("card host2 sdc", run(&p, CARD_DISK2, "block", "sdc"),
	      LINKS("disk/by-path/pci-0000:04:00.0-scsi-0:0:0:0"));
	prop_is(&p, "card host2 sdc", "ID_PATH_TAG", "pci-0000_04_00_0-scsi-0_0_0_0");
	check("card host3 sdd", run(&p, CARD_DISK3, "block", "sdd"),
	      LINKS("disk/by-path/pci-0000:04:00.0-scsi-1:0:1:0"));
	prop_is(&p, "card host3 sdd", "ID_PATH", "pci-0000:04:00.0-scsi-1:0:1:0");
	prop_is(&p, "card host3 sdd", "ID_PATH_TAG", "pci-0000_04_00_0-scsi-1_0_1_0");
	/* virtio names nothing, but is a bus a disk may be told by */
	check("virtio-scsi sde", run(&p, VSCSI_DISK, "block", "sde"),
	      LINKS("disk/by-path/pci-0000:00:05.0-scsi-0:0:0:2"));
	/* the unit's GUID, then on up (host and target skipped, firewire
	 * adding nothing) to the card */
	check("FireWire sdh", run(&p, FW_DISK, "block", "sdh"),
	      LINKS("disk/by-path/pci-0000:05:00.0-ieee1394-0x0030e0f4e0001234:0:0"));
	prop_is(&p, "FireWire sdh", "ID_PATH_TAG", "pci-0000_05_00_0-ieee1394-0x0030e0f4e0001234_0_0");
}

/* Transports whose names need their class devices: none, as before. */
static void test_other_disks(void)
{
	struct devprops p;

	check("ATA sda", run(&p, ATA_DISK, "block", "sda"), NONE);
	ok(devprops_get(&p, "ID_PATH") == NULL, "ATA sda: no ID_PATH");
	check("FC sdf", run(&p, FC_DISK, "block", "sdf"), NONE);
	ok(devprops_get(&p, "ID_PATH") == NULL, "FC sdf: no ID_PATH");
	check("SAS sdg", run(&p, SAS_DISK, "block", "sdg"), NONE);
	ok(devprops_get(&p, "ID_PATH") == NULL, "SAS sdg: no ID_PATH");
	check("SD card mmcblk0", run(&p, MMC_DISK, "block", "mmcblk0"), NONE);
	ok(devprops_get(&p, "ID_PATH") == NULL, "SD card mmcblk0: no ID_PATH");
}

int main(void)
{
	char cmd[128];

	snprintf(top, sizeof(top), "/tmp/bylinks.XXXXXX");
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	build_serial();
	build_input();
	build_disks();
	test_ftdi();
	test_acm();
	test_multiport();
	test_other_tty();
	test_garbage();
	test_usb_stick();
	test_scsi_hosts();
	test_other_disks();
	if (sizeof(unsigned long) == 8) {
		test_usb_input();
		test_other_input();
	} else {
		ok(1, "# SKIP bitmaps written for 64-bit longs");
	}
	if (getenv("BYLINKS_TEST_KEEP")) {
		printf("# tree kept in %s\n", top);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
	}
	return done_testing();
}
