/* The ID_* properties of udev's usb_id and input_id builtins, on a fake
 * sysfs tree: a USB serial adapter, a root hub, a HID device with odd
 * strings, a USB stick behind SCSI, input devices of each kind, garbage.
 *
 * Expected values: from systemd's udev-builtin-usb_id.c and
 * udev-builtin-input_id.c (ID_SERIAL is "%s_%s[_%s][-%s]" of vendor,
 * model, serial, instance; *_ENC is encode_devnode_name; the others go
 * through udev_replace_whitespace + udev_replace_chars), and checked
 * against Debian 12's udevadm 252: with DEVID_TEST_KEEP=1 the tree
 * stays, and in a mount namespace with it bound over /sys (and an
 * LD_PRELOAD fstatfs that says SYSFS_MAGIC: sd-device refuses other
 * file systems), "udevadm test-builtin usb_id|input_id /sys/devices/..."
 * prints the same properties, except where the comments say. */
#define _GNU_SOURCE
#include "tap.h"
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

struct usbdev {
	const char *dir, *vid, *pid, *manufacturer, *product, *serial, *bcd;
	const unsigned char *desc;
	size_t desclen;
};

static void usb_device(const struct usbdev *d)
{
	device(d->dir, "bus/usb", NULL, "MAJOR=189\nMINOR=1\nDEVTYPE=usb_device\nDRIVER=usb\n");
	put(d->dir, "bDeviceClass", "00\n");
	if (d->vid)
		put(d->dir, "idVendor", "%s\n", d->vid);
	if (d->pid)
		put(d->dir, "idProduct", "%s\n", d->pid);
	if (d->manufacturer)
		put(d->dir, "manufacturer", "%s\n", d->manufacturer);
	if (d->product)
		put(d->dir, "product", "%s\n", d->product);
	if (d->serial)
		put(d->dir, "serial", "%s\n", d->serial);
	if (d->bcd)
		put(d->dir, "bcdDevice", "%s\n", d->bcd);
	if (d->desc) {
		char rel[1024];
		snprintf(rel, sizeof(rel), "%s/descriptors", d->dir);
		putn(rel, d->desc, d->desclen);
	}
}

static void usb_interface(const char *dir, const char *num, const char *cls, const char *sub,
			  const char *proto, const char *driver)
{
	device(dir, "bus/usb", NULL, "DEVTYPE=usb_interface\n");
	if (num)
		put(dir, "bInterfaceNumber", "%s\n", num);
	if (cls)
		put(dir, "bInterfaceClass", "%s\n", cls);
	put(dir, "bInterfaceSubClass", "%s\n", sub);
	put(dir, "bInterfaceProtocol", "%s\n", proto);
	if (driver) {
		char target[256];
		snprintf(target, sizeof(target), "bus/usb/drivers/%s", driver);
		uplink(dir, "driver", target);
	}
}

/* An inputN directory with its capability bitmaps (NULL: no file). */
static void input(const char *dir, const char *ev, const char *key, const char *rel,
		  const char *abs, const char *props, const char *bustype)
{
	char caps[1024];

	device(dir, "class/input", NULL, "PRODUCT=0/0/0/0\nNAME=\"test\"\n");
	snprintf(caps, sizeof(caps), "%s/capabilities", dir);
	if (ev)
		put(caps, "ev", "%s\n", ev);
	if (key)
		put(caps, "key", "%s\n", key);
	if (rel)
		put(caps, "rel", "%s\n", rel);
	if (abs)
		put(caps, "abs", "%s\n", abs);
	put(caps, "sw", "0\n");
	if (props)
		put(dir, "properties", "%s\n", props);
	if (bustype)
		put(dir, "id/bustype", "%s\n", bustype);
}

/* ---- Checking ------------------------------------------------------ */

static struct devprops *run(struct devprops *p, const char *sysdir, const char *subsystem,
			    const char *devtype)
{
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	devprops_init(p);
	devid_add(fd, sysdir, subsystem, devtype, p);
	close(fd);
	return p;
}

/* Exactly WANT ("KEY=VALUE", NULL-terminated): each, and nothing else. */
static void expect(const char *what, const struct devprops *p, const char *const *want)
{
	unsigned n;

	for (n = 0; want[n]; n++) {
		const char *eq = strchr(want[n], '=');
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - want[n]), want[n]);
		is_str(devprops_get(p, key), eq + 1, "%s: %s", what, key);
	}
	is_int(p->nprop, n, "%s: %u properties, no others", what, n);
	if (p->nprop != n)
		for (unsigned i = 0; i < p->nprop; i++)
			printf("#   has %s\n", p->prop[i]);
}

/* usb_id's set: ID_BUS=usb, each of BASE as ID_X and ID_USB_X (both
 * exported since systemd 252), then MORE as they are. */
static void expect_usb(const char *what, const struct devprops *p, const char *const *base,
		       const char *const *more)
{
	static char text[64][512];
	const char *want[64];
	unsigned n = 0;

	want[n++] = "ID_BUS=usb";
	for (unsigned i = 0; base[i]; i++) {
		snprintf(text[n], sizeof(text[n]), "ID_%s", base[i]);
		want[n] = text[n];
		n++;
		snprintf(text[n], sizeof(text[n]), "ID_USB_%s", base[i]);
		want[n] = text[n];
		n++;
	}
	for (unsigned i = 0; more && more[i]; i++)
		want[n++] = more[i];
	want[n] = NULL;
	expect(what, p, want);
}

/* ---- The tree ------------------------------------------------------ */

#define PCI "devices/pci0000:00/0000:00:14.0"
#define HUB PCI "/usb1"
#define FTDI HUB "/1-2"
#define FTDI_IF FTDI "/1-2:1.0"
#define TTY FTDI_IF "/ttyUSB0/tty/ttyUSB0"
#define ODD HUB "/1-3"
#define ODD_IF ODD "/1-3:1.0"
#define HID ODD_IF "/0003:1A2B:3C4D.0001"
#define STICK PCI "/usb2/2-1"
#define SDA STICK "/2-1:1.0/host0/target0:0:0/0:0:0:0/block/sda"
#define SERIO "devices/platform/i8042/serio1"
#define VIRT "devices/virtual/input"

/* Device, configuration, interface (class ff/ff/ff) and two endpoint
 * descriptors of an FT232R, as its "descriptors" file has them. */
static const unsigned char ftdi_desc[] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x03, 0x04, 0x01, 0x60,
	0x00, 0x06, 0x01, 0x02, 0x03, 0x01,
	0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x00, 0xa0, 0x2d,
	0x09, 0x04, 0x00, 0x00, 0x02, 0xff, 0xff, 0xff, 0x02,
	0x07, 0x05, 0x81, 0x02, 0x40, 0x00, 0x00,
	0x07, 0x05, 0x02, 0x02, 0x40, 0x00, 0x00,
};
#define DEV_DESC 0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x6b, 0x1d, 0x02, 0x00, \
	0x01, 0x06, 0x03, 0x02, 0x01, 0x01
#define CFG_DESC 0x09, 0x02, 0x19, 0x00, 0x01, 0x01, 0x00, 0xe0, 0x00
#define EP_DESC 0x07, 0x05, 0x81, 0x03, 0x04, 0x00, 0x0c
static const unsigned char hub_desc[] = {
	DEV_DESC, CFG_DESC, 0x09, 0x04, 0x00, 0x00, 0x01, 0x09, 0x00, 0x00, 0x00, EP_DESC,
};
static const unsigned char hid_desc[] = {
	DEV_DESC, CFG_DESC, 0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00, EP_DESC,
};
static const unsigned char stick_desc[] = {
	DEV_DESC, CFG_DESC, 0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00, EP_DESC, EP_DESC,
};
/* Interface 02/02/01 twice (an alternate setting), then 0a/00/00. */
static const unsigned char acm_desc[] = {
	DEV_DESC, CFG_DESC,
	0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x02, 0x01, 0x00, EP_DESC,
	0x09, 0x04, 0x00, 0x01, 0x01, 0x02, 0x02, 0x01, 0x00, EP_DESC,
	0x09, 0x04, 0x01, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, EP_DESC, EP_DESC,
};
/* The only interface ends the file: udev's loop stops before it. */
static const unsigned char last_desc[] = {
	DEV_DESC, CFG_DESC, 0x09, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
};
/* A length past the end after one interface: udev keeps ":030000". */
static const unsigned char bad_desc[] = {
	DEV_DESC, CFG_DESC, 0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, EP_DESC,
	0xff, 0x05, 0x81, 0x03, 0x04, 0x00, 0x0c, 0x00, 0x00, 0x00,
};

/* A full keyboard's key bitmap (an AT keyboard's, word 0 all set). */
#define KBD_KEYS "402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe"

static void build_usb(void)
{
	static const struct usbdev devs[] = {
		{ HUB, "1d6b", "0002", "Linux 6.1.0-18-amd64 xhci-hcd", "xHCI Host Controller",
		  "0000:00:14.0", "0601", hub_desc, sizeof(hub_desc) },
		{ FTDI, "0403", "6001", "FTDI", "FT232R USB UART", "A9XYZ123", "0600",
		  ftdi_desc, sizeof(ftdi_desc) },
		/* odd strings: runs of blanks, ( ) /, UTF-8, a stray \xff, a
		 * trailing tab; a ',' in the serial makes udev drop it */
		{ ODD, "1a2b", "3c4d", "  ACME  Corp. (R) /\xc3\x9c" "n\xc3\xaf" "code\xff\t", NULL,
		  "AB,12", NULL, hid_desc, sizeof(hid_desc) },
		{ HUB "/1-4", "2341", "0043",
		  "Arduino (www.arduino.cc) and a manufacturer string far too long for udev",
		  "Uno R3", " SN 42 ", "0001", acm_desc, sizeof(acm_desc) },
		{ HUB "/1-5", NULL, "0043", "No vendor id", NULL, NULL, NULL, NULL, 0 },
		{ HUB "/1-6", "1111", "2222", NULL, NULL, NULL, "0100", last_desc, sizeof(last_desc) },
		{ HUB "/1-7", "1111", "3333", NULL, NULL, NULL, "0100", bad_desc, sizeof(bad_desc) },
		{ STICK, "0781", "5567", "SanDisk", "Cruzer Blade", "4C530001234567890123", "0100",
		  stick_desc, sizeof(stick_desc) },
	};

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		usb_device(&devs[i]);
	device(PCI, "bus/pci", NULL, "DRIVER=xhci_hcd\n");
	usb_interface(HUB "/1-0:1.0", "00", "09", "00", "00", "hub");
	usb_interface(FTDI_IF, "00", "ff", "ff", "ff", "ftdi_sio");
	device(FTDI_IF "/ttyUSB0", "bus/usb-serial", NULL, "DRIVER=ftdi_sio\n");
	put(FTDI_IF "/ttyUSB0", "port_number", "0\n");
	device(TTY, "class/tty", NULL, "MAJOR=188\nMINOR=0\nDEVNAME=ttyUSB0\n");
	mkdirs(FTDI "/power");
	ln("dev/char/188:0", "../../" TTY);
	ln("dev/char/189:1", "../../" FTDI);
	usb_interface(ODD_IF, "00", "03", "01", "01", "usbhid");
	device(HID, "bus/hid", NULL, "DRIVER=hid-generic\n");
	device(HID "/hidraw/hidraw0", "class/hidraw", NULL, "MAJOR=243\nMINOR=0\nDEVNAME=hidraw0\n");
	input(HID "/input/input7", "120013", KBD_KEYS, NULL, NULL, "0", "0003");
	device(HID "/input/input7/event7", "class/input", NULL, "MAJOR=13\nMINOR=71\nDEVNAME=input/event7\n");
	/* no driver; a number with a blank in it, which udev would copy
	 * into ID_USB_INTERFACE_NUM as it is and devid leaves out */
	usb_interface(HUB "/1-4/1-4:1.0", "0 1", "02", "02", "01", NULL);
	device(HUB "/1-4/1-4:1.0/tty/ttyACM0", "class/tty", NULL, "MAJOR=166\nMINOR=0\n");
	usb_interface(HUB "/1-5/1-5:1.0", "00", "02", "02", "01", "cdc_acm");
	device(HUB "/1-5/1-5:1.0/tty/ttyACM1", "class/tty", NULL, "MAJOR=166\nMINOR=1\n");
	usb_interface(HUB "/1-6/1-6:1.0", "00", "zz", "00", "00", "usbhid");
	device(HUB "/1-6/1-6:1.0/hidraw/hidraw1", "class/hidraw", NULL, "MAJOR=243\nMINOR=1\n");
	usb_interface(STICK "/2-1:1.0", "00", "08", "06", "50", "usb-storage");
	device(STICK "/2-1:1.0/host0", "bus/scsi", NULL, "DEVTYPE=scsi_host\n");
	device(STICK "/2-1:1.0/host0/target0:0:0", "bus/scsi", NULL, "DEVTYPE=scsi_target\n");
	device(STICK "/2-1:1.0/host0/target0:0:0/0:0:0:0", "bus/scsi", NULL,
	       "DEVTYPE=scsi_device\nDRIVER=sd\n");
	put(STICK "/2-1:1.0/host0/target0:0:0/0:0:0:0", "vendor", "SanDisk \n");
	put(STICK "/2-1:1.0/host0/target0:0:0/0:0:0:0", "model", "Cruzer Blade    \n");
	put(STICK "/2-1:1.0/host0/target0:0:0/0:0:0:0", "type", "0\n");
	put(STICK "/2-1:1.0/host0/target0:0:0/0:0:0:0", "rev", "1.00\n");
	device(SDA, "class/block", NULL, "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n");
	device(SDA "/sda1", "class/block", NULL, "MAJOR=8\nMINOR=1\nDEVNAME=sda1\nDEVTYPE=partition\n");
}

static void build_input(void)
{
	/* ev 17: SYN KEY REL MSC; BTN_LEFT/RIGHT/MIDDLE; REL_X REL_Y */
	input(SERIO "/input/input4", "17", "70000 0 0 0 0", "3", "0", "0", "0011");
	device(SERIO "/input/input4/event4", "class/input", NULL, "MAJOR=13\nMINOR=68\n");
	device(SERIO "/input/input4/mouse1", "class/input", NULL, "MAJOR=13\nMINOR=33\n");
	/* ABS X Y PRESSURE TOOL_WIDTH MT_*; BTN_LEFT, TOOL_FINGER, TOUCH,
	 * DOUBLETAP...; INPUT_PROP_POINTER and BUTTONPAD */
	input(SERIO "/input/input5", "b", "e520 10000 0 0 0 0", "0", "660800011000003", "5", "0011");
	device(SERIO "/input/input5/event5", "class/input", NULL, "MAJOR=13\nMINOR=69\n");
	/* BTN_TRIGGER..BTN_BASE6; ABS X Y Z RZ THROTTLE HAT0X HAT0Y */
	input(VIRT "/input20", "1b", "fff00000000 0 0 0 0", "0", "30067", "0", "0003");
	device(VIRT "/input20/js0", "class/input", NULL, "MAJOR=13\nMINOR=0\n");
	/* a lid: SYN SW */
	input("devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0D:00/input/input0", "21", "0", "0", "0", "0",
	      "0019");
	/* SYN ABS with X Y Z and no keys */
	input(VIRT "/input21", "9", "0", "0", "7", "0", "0018");
	/* BTN_TOUCH, ABS X Y, INPUT_PROP_DIRECT */
	input(VIRT "/input22", "b", "400 0 0 0 0 0", "0", "3", "2", "0018");
	/* a mouse on I2C: a pointing stick */
	input(VIRT "/input23", "7", "70000 0 0 0 0", "3", "0", "0", "0018");
	/* BTN_TOOL_PEN, BTN_TOUCH, BTN_STYLUS, ABS X Y */
	input(VIRT "/input24", "b", "c01 0 0 0 0 0", "0", "3", "0", "0003");
	/* only a wheel */
	input(VIRT "/input25", "5", "0", "100", "0", "0", "0003");
	/* a keyboard with BTN_TRIGGER set: not a joystick */
	input(VIRT "/input26", "120013", "100000000 " KBD_KEYS, "0", "0", "0", "0003");
	/* garbage everywhere */
	input(VIRT "/input27", "zz", "hello world", "-", "", "\x01\x02", "nope");
	/* one word of the key bitmap garbage: it counts as a word, as 0 */
	input(VIRT "/input28", "17", "70000 zz 0 0 0", "3", "0", "0", NULL);
	/* a word too large for a long: no EV_*, but mouse buttons and no
	 * axes still make a mouse, as input_id has it */
	input(VIRT "/input29", "1ffffffffffffffffff", "70000 0 0 0 0", "3", "0", "0", NULL);
	/* no capabilities at all */
	device(VIRT "/input30", "class/input", NULL, "NAME=\"nothing\"\n");
	device(VIRT "/input30/event30", "class/input", NULL, "MAJOR=13\nMINOR=94\n");
	/* longer than any bitmap the kernel prints (udevadm 252 aborts on
	 * it: its xsprintf into 4096 bytes asserts) */
	char huge[6001];
	for (int i = 0; i < 3000; i++)
		memcpy(huge + 2 * i, "f ", 2);
	huge[5999] = '\0';
	input(VIRT "/input31", huge, "0", "3", "0", "0", NULL);
}

static void build_other(void)
{
	device("devices/virtual/tty/tty0", "class/tty", NULL, "MAJOR=4\nMINOR=0\nDEVNAME=tty0\n");
	ln("dev/char/4:0", "../../devices/virtual/tty/tty0");
	ln("dev/char/9:9", "/tmp");
	ln("dev/char/9:10", "../../../../../../../../etc");
	ln("dev/char/9:11", "9:12");
	ln("dev/char/9:12", "9:11");
}

/* ---- Tests --------------------------------------------------------- */

static void test_ftdi(void)
{
	static const char *const base[] = {
		"MODEL=FT232R_USB_UART", "MODEL_ENC=FT232R\\x20USB\\x20UART", "MODEL_ID=6001",
		"SERIAL=FTDI_FT232R_USB_UART_A9XYZ123", "SERIAL_SHORT=A9XYZ123", "VENDOR=FTDI",
		"VENDOR_ENC=FTDI", "VENDOR_ID=0403", "REVISION=0600", "TYPE=generic", NULL,
	};
	static const char *const iface[] = {
		"ID_USB_INTERFACES=:ffffff:", "ID_USB_INTERFACE_NUM=00", "ID_USB_DRIVER=ftdi_sio", NULL,
	};
	/* the usb_device itself: no interface, so no TYPE, NUM, DRIVER */
	static const char *const dev_base[] = {
		"MODEL=FT232R_USB_UART", "MODEL_ENC=FT232R\\x20USB\\x20UART", "MODEL_ID=6001",
		"SERIAL=FTDI_FT232R_USB_UART_A9XYZ123", "SERIAL_SHORT=A9XYZ123", "VENDOR=FTDI",
		"VENDOR_ENC=FTDI", "VENDOR_ID=0403", "REVISION=0600", NULL,
	};
	static const char *const dev_more[] = { "ID_USB_INTERFACES=:ffffff:", NULL };
	struct devprops p;

	expect_usb("ttyUSB0 by dev/char", run(&p, "dev/char/188:0", "tty", NULL), base, iface);
	expect_usb("ttyUSB0 by devices/", run(&p, TTY, "tty", NULL), base, iface);
	expect_usb("usb-serial port", run(&p, FTDI_IF "/ttyUSB0", "usb-serial", NULL), base, iface);
	expect_usb("usb_device", run(&p, "dev/char/189:1", "usb", "usb_device"), dev_base, dev_more);
	expect_usb("usb_device, no devtype given", run(&p, FTDI, "usb", NULL), dev_base, dev_more);
	expect("the interface itself", run(&p, FTDI_IF, "usb", "usb_interface"),
	       (const char *const[]){ NULL });
	expect("below the usb_device, not an interface", run(&p, FTDI "/power", NULL, NULL),
	       (const char *const[]){ NULL });

	/* Something else set ID_BUS: usb_id sets only the ID_USB_* ones. */
	devprops_init(&p);
	devprops_set(&p, "ID_BUS", "scsi");
	int fd = open(top, O_RDONLY | O_DIRECTORY);
	devid_add(fd, TTY, "tty", NULL, &p);
	close(fd);
	is_str(devprops_get(&p, "ID_BUS"), "scsi", "ID_BUS set before: kept");
	ok(devprops_get(&p, "ID_VENDOR") == NULL, "ID_BUS set before: no ID_VENDOR");
	is_str(devprops_get(&p, "ID_USB_SERIAL"), "FTDI_FT232R_USB_UART_A9XYZ123",
	       "ID_BUS set before: ID_USB_SERIAL");
	is_int(p.nprop, 1 + 10 + 3, "ID_BUS set before: ID_BUS, ten ID_USB_*, three interface ones");
}

static void test_hub(void)
{
	static const char *const base[] = {
		"MODEL=xHCI_Host_Controller", "MODEL_ENC=xHCI\\x20Host\\x20Controller",
		"MODEL_ID=0002",
		"SERIAL=Linux_6.1.0-18-amd64_xhci-hcd_xHCI_Host_Controller_0000:00:14.0",
		"SERIAL_SHORT=0000:00:14.0", "VENDOR=Linux_6.1.0-18-amd64_xhci-hcd",
		"VENDOR_ENC=Linux\\x206.1.0-18-amd64\\x20xhci-hcd", "VENDOR_ID=1d6b",
		"REVISION=0601", NULL,
	};
	struct devprops p;

	expect_usb("root hub", run(&p, HUB, "usb", "usb_device"), base,
		   (const char *const[]){ "ID_USB_INTERFACES=:090000:", NULL });
}

static void test_odd_strings(void)
{
	/* Whitespace runs -> one '_', ends dropped; ( ) / and the lone
	 * \xff -> '_'; valid UTF-8 kept. No product: the model id. */
	static const char *const base[] = {
		"MODEL=3c4d", "MODEL_ENC=3c4d", "MODEL_ID=3c4d",
		"SERIAL=ACME_Corp.__R___\xc3\x9c" "n\xc3\xaf" "code__3c4d",
		"VENDOR=ACME_Corp.__R___\xc3\x9c" "n\xc3\xaf" "code_",
		"VENDOR_ENC=\\x20\\x20ACME\\x20\\x20Corp.\\x20\\x28R\\x29\\x20\\x2f\xc3\x9c" "n\xc3\xaf"
		"code\\xff\\x09",
		"VENDOR_ID=1a2b", "REVISION=", "TYPE=hid", NULL,
	};
	static const char *const iface[] = {
		"ID_USB_INTERFACES=:030101:", "ID_USB_INTERFACE_NUM=00", "ID_USB_DRIVER=usbhid", NULL,
	};
	static const char *const kbd[] = {
		"ID_USB_INTERFACES=:030101:", "ID_USB_INTERFACE_NUM=00", "ID_USB_DRIVER=usbhid",
		"ID_INPUT=1", "ID_INPUT_KEY=1", "ID_INPUT_KEYBOARD=1", NULL,
	};
	/* Vendor cut at 63 bytes of input; serial " SN 42 " trimmed; the
	 * alternate setting's 020201 once; no driver; "0 1" no number. */
	static const char *const acm[] = {
		"MODEL=Uno_R3", "MODEL_ENC=Uno\\x20R3", "MODEL_ID=0043",
		"SERIAL=Arduino__www.arduino.cc__and_a_manufacturer_string_far_too_long_Uno_R3_SN_42",
		"SERIAL_SHORT=SN_42",
		"VENDOR=Arduino__www.arduino.cc__and_a_manufacturer_string_far_too_long",
		"VENDOR_ENC=Arduino\\x20\\x28www.arduino.cc\\x29\\x20and\\x20a\\x20manufacturer"
		"\\x20string\\x20far\\x20too\\x20long\\x20for\\x20udev",
		"VENDOR_ID=2341", "REVISION=0001", "TYPE=generic", NULL,
	};
	struct devprops p;

	expect_usb("hidraw0", run(&p, HID "/hidraw/hidraw0", "hidraw", NULL), base, iface);
	expect_usb("keyboard input7", run(&p, HID "/input/input7", "input", NULL), base, kbd);
	expect_usb("keyboard event7", run(&p, HID "/input/input7/event7", "input", NULL), base, kbd);
	expect_usb("ttyACM0", run(&p, HUB "/1-4/1-4:1.0/tty/ttyACM0", "tty", NULL), acm,
		   (const char *const[]){ "ID_USB_INTERFACES=:020201:0a0000:", NULL });
}

static void test_descriptors(void)
{
	static const char *const base[] = {
		"MODEL=2222", "MODEL_ENC=2222", "MODEL_ID=2222", "SERIAL=1111_2222",
		"VENDOR=1111", "VENDOR_ENC=1111", "VENDOR_ID=1111", "REVISION=0100", NULL,
	};
	struct devprops p;

	expect_usb("interface ending the descriptors: not counted, as udev",
		   run(&p, HUB "/1-6", "usb", "usb_device"), base, NULL);
	run(&p, HUB "/1-7", "usb", "usb_device");
	is_str(devprops_get(&p, "ID_USB_INTERFACES"), ":030000",
	       "corrupt descriptor: what came before, unclosed, as udev");
}

static void test_storage(void)
{
	/* usb_id's SCSI branch (subclass 06): vendor, model, revision and
	 * type from the SCSI device, the instance target:lun appended. */
	static const char *const base[] = {
		"MODEL=Cruzer_Blade", "MODEL_ENC=Cruzer\\x20Blade\\x20\\x20\\x20\\x20", "MODEL_ID=5567",
		"SERIAL=SanDisk_Cruzer_Blade_4C530001234567890123-0:0",
		"SERIAL_SHORT=4C530001234567890123", "VENDOR=SanDisk", "VENDOR_ENC=SanDisk\\x20",
		"VENDOR_ID=0781", "REVISION=1.00", "TYPE=disk", "INSTANCE=0:0", NULL,
	};
	static const char *const iface[] = {
		"ID_USB_INTERFACES=:080650:", "ID_USB_INTERFACE_NUM=00", "ID_USB_DRIVER=usb-storage",
		NULL,
	};
	struct devprops p;

	expect_usb("sda", run(&p, SDA, "block", "disk"), base, iface);
	expect_usb("sda1", run(&p, SDA "/sda1", "block", "partition"), base, iface);
}

static void test_usb_garbage(void)
{
	struct devprops p;

	expect("no idVendor: nothing", run(&p, HUB "/1-5/1-5:1.0/tty/ttyACM1", "tty", NULL),
	       (const char *const[]){ NULL });
	expect("interface class not hex: nothing, as udev",
	       run(&p, HUB "/1-6/1-6:1.0/hidraw/hidraw1", "hidraw", NULL),
	       (const char *const[]){ NULL });
}

#define INPUT_IS(what, dir, ...) \
	expect(what, run(&p, dir, "input", NULL), (const char *const[]){ "ID_INPUT=1", __VA_ARGS__ })

static void test_input(void)
{
	struct devprops p;

	if (sizeof(unsigned long) != 8) {
		ok(1, "# SKIP bitmaps written for 64-bit longs");
		return;
	}
	INPUT_IS("mouse", SERIO "/input/input4", "ID_INPUT_MOUSE=1", NULL);
	INPUT_IS("mouse event4", SERIO "/input/input4/event4", "ID_INPUT_MOUSE=1", NULL);
	INPUT_IS("mouse mouse1", SERIO "/input/input4/mouse1", "ID_INPUT_MOUSE=1", NULL);
	INPUT_IS("touchpad", SERIO "/input/input5/event5", "ID_INPUT_TOUCHPAD=1", NULL);
	INPUT_IS("joystick js0", VIRT "/input20/js0", "ID_INPUT_JOYSTICK=1", NULL);
	INPUT_IS("lid switch", "devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0D:00/input/input0",
		 "ID_INPUT_SWITCH=1", NULL);
	INPUT_IS("accelerometer", VIRT "/input21", "ID_INPUT_ACCELEROMETER=1", NULL);
	INPUT_IS("touchscreen", VIRT "/input22", "ID_INPUT_TOUCHSCREEN=1", NULL);
	INPUT_IS("i2c mouse", VIRT "/input23", "ID_INPUT_POINTINGSTICK=1", "ID_INPUT_MOUSE=1", NULL);
	INPUT_IS("tablet", VIRT "/input24", "ID_INPUT_TABLET=1", NULL);
	INPUT_IS("wheel only", VIRT "/input25", "ID_INPUT_KEY=1", NULL);
	INPUT_IS("keyboard with a trigger button", VIRT "/input26", "ID_INPUT_KEY=1",
		 "ID_INPUT_KEYBOARD=1", NULL);
	INPUT_IS("garbage", VIRT "/input27", NULL);
	INPUT_IS("one garbage word", VIRT "/input28", "ID_INPUT_MOUSE=1", NULL);
	INPUT_IS("ev word too large", VIRT "/input29", "ID_INPUT_MOUSE=1", NULL);
	INPUT_IS("ev longer than a page", VIRT "/input31", NULL);
	expect("no capabilities", run(&p, VIRT "/input30/event30", "input", NULL),
	       (const char *const[]){ NULL });
	expect("not subsystem input: no input_id", run(&p, SERIO "/input/input4", "misc", NULL),
	       (const char *const[]){ NULL });
}

static void test_other(void)
{
	struct devprops p;

	expect("tty0", run(&p, "devices/virtual/tty/tty0", "tty", NULL), (const char *const[]){ NULL });
	expect("tty0 by dev/char", run(&p, "dev/char/4:0", "tty", NULL), (const char *const[]){ NULL });
	expect("absolute link", run(&p, "dev/char/9:9", "input", NULL), (const char *const[]){ NULL });
	expect("link above the root", run(&p, "dev/char/9:10", "input", NULL),
	       (const char *const[]){ NULL });
	expect("link loop", run(&p, "dev/char/9:11", "input", NULL), (const char *const[]){ NULL });
	expect("../ above the root", run(&p, "../x", "input", NULL), (const char *const[]){ NULL });
	expect("missing", run(&p, "dev/char/1:99", "input", NULL), (const char *const[]){ NULL });
}

int main(void)
{
	char cmd[128];

	snprintf(top, sizeof(top), "/tmp/devid.XXXXXX");
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	build_usb();
	build_input();
	build_other();
	test_ftdi();
	test_hub();
	test_odd_strings();
	test_descriptors();
	test_storage();
	test_usb_garbage();
	test_input();
	test_other();
	if (getenv("DEVID_TEST_KEEP")) {
		printf("# tree kept in %s\n", top);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
	}
	return done_testing();
}
