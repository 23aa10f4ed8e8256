/* The ID_* properties of udev's usb_id and input_id builtins, read from
 * sysfs the way those builtins read them, so that what looks at them
 * (serial/by-id rules, pcscd, libinput) sees what it would under udev.
 *
 * Followed: systemd's src/udev/udev-builtin-usb_id.c and
 * udev-builtin-input_id.c (v252, Debian 12's udev, which also exports
 * the ID_USB_* copies), udev_replace_whitespace/udev_replace_chars in
 * src/shared/udev-util.c and encode_devnode_name in device-nodes.c.
 *
 * Deviations, on purpose:
 * - usb_id runs here for every device below a USB interface, where
 *   udev's rules run it for tty, input, sound, net, v4l, block: others
 *   (hidraw, bluetooth...) get the same properties as an extra.
 * - input_id's ID_INPUT_WIDTH_MM/HEIGHT_MM need an ioctl on the event
 *   node, and the hwdb imports that follow it in the rules are not
 *   done: neither is here.
 * - Garbage the kernel does not produce: a string is valid UTF-8 only
 *   with real continuation bytes (udev checks the top bit only); an
 *   ID_*_ENC that would not fit is cut (udev leaves it unterminated);
 *   an idVendor, idProduct or bInterfaceNumber with spaces or control
 *   characters counts as missing (udev copies it into the value);
 *   a capability word is hex digits, "0x" allowed, nothing else.
 */
#include "devid.h"
#include "fileio.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/input.h>

/* Ancestors looked at. Real trees need under 12 (pci bridges, a hub
 * chain, interface, port...). */
#define WALK_MAX 16

/* ---- Paths -------------------------------------------------------- */

/* Cuts PATH to its parent. False at the top: a first component
 * ("devices") is not a device. */
static bool up(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL)
		return false;
	*slash = '\0';
	return strchr(path, '/') != NULL;
}

static int open_dir(int sys_fd, const char *path)
{
	return openat(sys_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static const char *digits(const char *s)
{
	const char *start = s;

	while (*s >= '0' && *s <= '9')
		s++;
	return s > start ? s : NULL;
}

/* The USB core names what it registers (usb_alloc_dev, usb_set_
 * configuration): "usbN" a root hub, "B-P[.P...]" a device below it,
 * "B-P[.P...]:C.I" an interface. What is named otherwise is neither,
 * and needs no look at the disk; what is named so may still be
 * something else (an I2C client is "B-AAAA"), and is looked at. */
enum usb_name { USB_OTHER, USB_DEVICE, USB_INTERFACE };

static enum usb_name usb_name(const char *path)
{
	const char *s = strrchr(path, '/');

	s = s ? s + 1 : path;
	if (strncmp(s, "usb", 3) == 0)
		return (s = digits(s + 3)) && *s == '\0' ? USB_DEVICE : USB_OTHER;
	if ((s = digits(s)) == NULL || *s++ != '-')
		return USB_OTHER;
	while ((s = digits(s)) != NULL && *s == '.')
		s++;
	if (s == NULL)
		return USB_OTHER;
	if (*s == '\0')
		return USB_DEVICE;
	if (*s++ != ':' || (s = digits(s)) == NULL || *s++ != '.' || (s = digits(s)) == NULL)
		return USB_OTHER;
	return *s == '\0' ? USB_INTERFACE : USB_OTHER;
}

typedef bool dir_test(int fd, const char *path);

/* The nearest ancestor of PATH that passes WANT, not above one that
 * passes STOP: its fd, PATH cut to it. -1 when there is none. */
static int find_up(int sys_fd, char *path, dir_test *want, dir_test *stop)
{
	for (int i = 0; i < WALK_MAX && up(path); i++) {
		int fd = open_dir(sys_fd, path);
		if (fd < 0)
			return -1;
		if (want(fd, path))
			return fd;
		bool end = stop && stop(fd, path);
		close(fd);
		if (end)
			return -1;
	}
	return -1;
}

/* ---- Attributes --------------------------------------------------- */

/* An attribute without its trailing newline, as sd_device gives it. */
static int read_attr(int fd, const char *name, char *buf, size_t size)
{
	ssize_t n = read_small_at(fd, name, buf, size);

	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

/* An attribute that goes into a property as it is: a number or a name,
 * nothing that could break a udev database or uevent line. */
static int read_plain(int fd, const char *name, char *buf, size_t size)
{
	if (read_attr(fd, name, buf, size) < 0 || buf[0] == '\0')
		return -1;
	for (const unsigned char *c = (const unsigned char *)buf; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return -1;
	return 0;
}

/* The last component of a symlink's target ("driver", "subsystem"),
 * the value sd_device gives for such an attribute. */
static int read_link_name(int fd, const char *name, char *buf, size_t size)
{
	char link[PATH_MAX];
	ssize_t n = readlinkat(fd, name, link, sizeof(link) - 1);

	if (n <= 0)
		return -1;
	link[n] = '\0';
	const char *base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, base);
	return 0;
}

static bool has(int fd, const char *name)
{
	return faccessat(fd, name, F_OK, 0) == 0;
}

/* Whether the subsystem link, where there is one, names WANT. Fake
 * trees without the link are judged by their attributes alone. */
static bool subsystem_ok(int fd, const char *want)
{
	char name[64];

	if (read_link_name(fd, "subsystem", name, sizeof(name)) < 0)
		return errno == ENOENT;
	return strcmp(name, want) == 0;
}

static bool is_usb_device(int fd, const char *path)
{
	(void)path;
	return has(fd, "idVendor") && has(fd, "idProduct") && !has(fd, "bInterfaceClass") &&
	       subsystem_ok(fd, "usb");
}

static bool is_usb_interface(int fd, const char *path)
{
	(void)path;
	return has(fd, "bInterfaceClass") && subsystem_ok(fd, "usb");
}

/* The USB interface above PATH: its fd, PATH cut to it. -1 when the
 * walk reaches the interface's usb_device first, or leaves the USB tree
 * (every USB path has its root hub, usbN, in it). Only what is named
 * like an interface or a device is looked at. */
static int find_interface(int sys_fd, char *path)
{
	for (int i = 0; i < WALK_MAX && up(path) && strstr(path, "/usb"); i++) {
		enum usb_name name = usb_name(path);
		if (name == USB_OTHER)
			continue;
		int fd = open_dir(sys_fd, path);
		if (fd < 0)
			return -1;
		if (is_usb_interface(fd, path))
			return fd;
		bool end = name == USB_DEVICE && is_usb_device(fd, path);
		close(fd);
		if (end)
			return -1;
	}
	return -1;
}


/* A SCSI device is named host:channel:target:lun. */
static bool scsi_name(const char *path, int *target, int *lun)
{
	const char *name = strrchr(path, '/');
	int host, bus, end = 0;

	name = name ? name + 1 : path;
	return sscanf(name, "%d:%d:%d:%d%n", &host, &bus, target, lun, &end) == 4 &&
	       name[end] == '\0';
}

static bool is_scsi_device(int fd, const char *path)
{
	int target, lun;

	return scsi_name(path, &target, &lun) && subsystem_ok(fd, "scsi");
}

/* Hex digits (an optional 0x) and nothing else, fitting an unsigned
 * long: what safe_atolu_full(s, 16) accepts of what sysfs prints. */
static int parse_hex(const char *s, const char *end, unsigned long *v)
{
	unsigned long x = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (s == end)
		return -1;
	for (; s < end; s++) {
		char c = *s;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16 || x > (ULONG_MAX >> 4))
			return -1;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

/* ---- udev's string treatment -------------------------------------- */

/* Length of the valid UTF-8 sequence of two or more bytes at S, else 0.
 * Like systemd's utf8_encoded_valid_unichar: shortest form, no
 * surrogates, no noncharacters, nothing above U+10FFFF. */
static int utf8_seq(const unsigned char *s)
{
	int len = s[0] >= 0xc0 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
		: s[0] >= 0xf0 && s[0] < 0xf8 ? 4 : 0;
	unsigned long c;

	if (len == 0)
		return 0;
	c = s[0] & (0x7f >> len);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000))
		return 0;
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfdd0 && c <= 0xfdef) ||
	    (c & 0xfffe) == 0xfffe)
		return 0;
	return len;
}

static bool devnode_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("#+-.:=@_", c) != NULL);
}

static bool space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* udev_replace_whitespace: leading and trailing whitespace dropped,
 * each run inside made one '_'. Like udev, reads at most LEN bytes of
 * SRC (leading whitespace included) and writes at most LEN plus the
 * NUL; like its strspn(WHITESPACE), \v and \f do not count as leading. */
static void replace_whitespace(const char *src, char *dst, size_t len)
{
	size_t i = strspn(src, " \t\n\r"), j = 0;
	bool gap = false;

	for (; j < len && i < len && src[i] != '\0'; i++) {
		if (space(src[i])) {
			gap = true;
			continue;
		}
		if (gap) {
			if (j + 1 >= len)
				break;
			dst[j++] = '_';
			gap = false;
		}
		dst[j++] = src[i];
	}
	dst[j] = '\0';
}

/* udev_replace_chars(s, NULL): what is not plain, a \x escape or valid
 * UTF-8 becomes '_'. */
static void replace_chars(char *s)
{
	for (size_t i = 0; s[i] != '\0';) {
		int n;
		if (devnode_char(s[i]))
			i++;
		else if (s[i] == '\\' && s[i + 1] == 'x')
			i += 2;
		else if ((n = utf8_seq((const unsigned char *)s + i)) > 1)
			i += (size_t)n;
		else
			s[i++] = '_';
	}
}

/* What udev makes of a vendor, model, revision or serial string. DST
 * holds LEN bytes and the NUL. */
static void sanitize(const char *src, char *dst, size_t len)
{
	replace_whitespace(src, dst, len);
	replace_chars(dst);
}

/* encode_devnode_name, for ID_VENDOR_ENC/ID_MODEL_ENC: valid UTF-8 and
 * plain characters kept, anything else as \xNN. */
static void encode(const char *src, char *dst, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;

	for (const unsigned char *s = (const unsigned char *)src; *s;) {
		int n = utf8_seq(s);
		if (n > 1) {
			if (j + (size_t)n >= size)
				break;
			memcpy(dst + j, s, (size_t)n);
			j += (size_t)n;
			s += n;
		} else if (*s == '\\' || !devnode_char((char)*s)) {
			if (j + 4 >= size)
				break;
			dst[j++] = '\\';
			dst[j++] = 'x';
			dst[j++] = hex[*s >> 4];
			dst[j++] = hex[*s & 15];
			s++;
		} else {
			if (j + 1 >= size)
				break;
			dst[j++] = (char)*s++;
		}
	}
	dst[j] = '\0';
}

/* Appends S, cutting what does not fit, as udev's strpcpyl does. */
static void append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	while (*s != '\0' && n + 1 < size)
		buf[n++] = *s++;
	buf[n] = '\0';
}

/* ---- USB ---------------------------------------------------------- */

/* What usb_id collects; the sizes are udev's. */
struct usbid {
	char vendor[64], vendor_enc[256], model[64], model_enc[256];
	char revision[64], type[64], instance[64], serial[512];
	char vendor_id[32], model_id[32], ifnum[32], driver[64];
	char ifaces[512];
};

/* ID_TYPE from the interface class (set_usb_iftype); the classes it
 * does not name are "generic". */
static const char *iface_type(unsigned long cls)
{
	switch (cls) {
	case 0x01: return "audio";
	case 0x03: return "hid";
	case 0x06: return "media";
	case 0x07: return "printer";
	case 0x08: return "storage";
	case 0x09: return "hub";
	case 0x0e: return "video";
	default: return "generic";
	}
}

/* Mass storage: ID_TYPE from the subclass; returns the subclass, the
 * "protocol" that says whether SCSI data applies. strtoul base 0, as
 * udev (so "08" stops at the 8). */
static int storage_type(const char *sub, char *type, size_t size)
{
	char *end;
	unsigned long n = strtoul(sub, &end, 0);
	const char *t = "generic";

	if (end != sub) {
		switch (n) {
		case 1: t = "rbc"; break;
		case 2: t = "atapi"; break;
		case 3: t = "tape"; break;
		case 4: t = "floppy"; break;
		case 6: t = "scsi"; break;
		default: break;
		}
	}
	snprintf(type, size, "%s", t);
	return n <= 0xff ? (int)n : 0;
}

/* ID_TYPE of a SCSI device from its "type" (set_scsi_type). */
static const char *scsi_type(const char *s)
{
	char *end;
	unsigned long n = strtoul(s, &end, 0);

	if (end == s)
		return "generic";
	switch (n) {
	case 0x0: case 0xe: return "disk";
	case 0x1: return "tape";
	case 0x4: case 0x7: case 0xf: return "optical";
	case 0x5: return "cd";
	default: return "generic";
	}
}

/* ID_USB_INTERFACES: ":ccsspp" of each interface descriptor, once
 * each, and a closing ':'. Like udev: one read of "descriptors" (the
 * kernel gives at most a page of it per read), a descriptor ending
 * exactly at the end not looked at, and on a length that cannot be,
 * what was found so far without the closing ':'. */
static void usb_interfaces(int usb_fd, char *out, size_t size)
{
	unsigned char buf[4096 + 1];
	ssize_t got = read_small_at(usb_fd, "descriptors", (char *)buf, sizeof(buf));
	size_t n = got > 0 ? (size_t)got : 0, pos = 0, len = 0;

	out[0] = '\0';
	if (n < 18)
		return;
	while (pos + 9 < n && len + 7 < size - 2) {
		size_t at = pos, bl = buf[pos];
		char one[8];
		if (bl < 3)
			break;
		if (bl > n - 9)
			return;
		pos += bl;
		if (buf[at + 1] != 4)	/* USB_DT_INTERFACE */
			continue;
		snprintf(one, sizeof(one), ":%02x%02x%02x", buf[at + 5], buf[at + 6], buf[at + 7]);
		if (strstr(out, one))
			continue;
		memcpy(out + len, one, sizeof(one));
		len += 7;
	}
	if (len > 0)
		memcpy(out + len, ":", 2);
}

/* USB mass storage over SCSI: vendor, model, type and revision from the
 * SCSI device. As udev: what was read before a missing attribute stays,
 * and the instance is set only when all four were there. */
static void scsi_strings(int sys_fd, const char *devpath, struct usbid *u)
{
	char path[PATH_MAX], raw[256];
	int fd, target, lun;

	strcpy(path, devpath);
	fd = find_up(sys_fd, path, is_scsi_device, is_usb_interface);
	if (fd < 0 || !scsi_name(path, &target, &lun)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (read_attr(fd, "vendor", raw, sizeof(raw)) == 0) {
		encode(raw, u->vendor_enc, sizeof(u->vendor_enc));
		sanitize(raw, u->vendor, sizeof(u->vendor) - 1);
		if (read_attr(fd, "model", raw, sizeof(raw)) == 0) {
			encode(raw, u->model_enc, sizeof(u->model_enc));
			sanitize(raw, u->model, sizeof(u->model) - 1);
			if (read_attr(fd, "type", raw, sizeof(raw)) == 0) {
				snprintf(u->type, sizeof(u->type), "%s", scsi_type(raw));
				if (read_attr(fd, "rev", raw, sizeof(raw)) == 0) {
					sanitize(raw, u->revision, sizeof(u->revision) - 1);
					snprintf(u->instance, sizeof(u->instance), "%d:%d", target, lun);
				}
			}
		}
	}
	close(fd);
}

/* The usb_device an interface at IPATH belongs to: its parent. Taken
 * even without idVendor (udev goes by DEVTYPE, then gives up on it),
 * not some usb_device further up. */
static int interface_device(int sys_fd, char *ipath)
{
	int fd;

	if (!up(ipath) || (fd = open_dir(sys_fd, ipath)) < 0)
		return -1;
	if (!subsystem_ok(fd, "usb") || has(fd, "bInterfaceClass")) {
		close(fd);
		return -1;
	}
	return fd;
}

/* From the interface above the device at PATH: its number, driver and
 * type, the SCSI data for storage. The fd of the usb_device above it,
 * or -1 when the device is not below a USB interface. */
static int from_interface(int sys_fd, const char *path, struct usbid *u)
{
	char ipath[PATH_MAX], raw[32];
	unsigned long cls;
	int ifd, usb_fd, protocol = 0;

	strcpy(ipath, path);
	ifd = find_interface(sys_fd, ipath);
	if (ifd < 0)
		return -1;
	/* udev gives up on an interface without a readable class */
	if (read_attr(ifd, "bInterfaceClass", raw, sizeof(raw)) < 0 ||
	    parse_hex(raw, raw + strlen(raw), &cls) < 0) {
		close(ifd);
		return -1;
	}
	if (read_plain(ifd, "bInterfaceNumber", u->ifnum, sizeof(u->ifnum)) < 0)
		u->ifnum[0] = '\0';
	if (read_link_name(ifd, "driver", u->driver, sizeof(u->driver)) < 0)
		u->driver[0] = '\0';
	if (cls != 8)
		snprintf(u->type, sizeof(u->type), "%s", iface_type(cls));
	else if (read_attr(ifd, "bInterfaceSubClass", raw, sizeof(raw)) == 0)
		protocol = storage_type(raw, u->type, sizeof(u->type));
	close(ifd);
	usb_fd = interface_device(sys_fd, ipath);
	if (usb_fd >= 0 && (protocol == 6 || protocol == 2))
		scsi_strings(sys_fd, path, u);
	return usb_fd;
}

/* USB serial numbers with control characters, non-ASCII or ',' are
 * not used (udev cites Microsoft's rules for USB serials). */
static bool serial_ok(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c > 0x7f || *c == ',')
			return false;
	return true;
}

/* Vendor and model strings, ENC'd and sanitized, ATTR's or FALLBACK. */
static void usb_string(int fd, const char *attr, const char *fallback, char *enc, size_t enc_size,
		       char *str, size_t str_size)
{
	char raw[1024];
	const char *s = read_attr(fd, attr, raw, sizeof(raw)) == 0 ? raw : fallback;

	encode(s, enc, enc_size);
	sanitize(s, str, str_size - 1);
}

/* What the usb_device itself says, for what SCSI did not fill in. */
static int usb_strings(int fd, struct usbid *u)
{
	char raw[1024];

	if (read_plain(fd, "idVendor", u->vendor_id, sizeof(u->vendor_id)) < 0 ||
	    read_plain(fd, "idProduct", u->model_id, sizeof(u->model_id)) < 0)
		return -1;
	if (u->vendor[0] == '\0')
		usb_string(fd, "manufacturer", u->vendor_id, u->vendor_enc, sizeof(u->vendor_enc),
			   u->vendor, sizeof(u->vendor));
	if (u->model[0] == '\0')
		usb_string(fd, "product", u->model_id, u->model_enc, sizeof(u->model_enc),
			   u->model, sizeof(u->model));
	if (u->revision[0] == '\0' && read_attr(fd, "bcdDevice", raw, sizeof(raw)) == 0)
		sanitize(raw, u->revision, sizeof(u->revision) - 1);
	if (read_attr(fd, "serial", raw, sizeof(raw)) == 0 && serial_ok(raw))
		sanitize(raw, u->serial, sizeof(u->serial) - 1);
	usb_interfaces(fd, u->ifaces, sizeof(u->ifaces));
	return 0;
}

/* Sets PREFIX+KEY, the way udev_builtin_add_property would. */
static void set(struct devprops *p, const char *prefix, const char *key, const char *value)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s", prefix, key);
	devprops_set(p, name, value);
}

/* ID_SERIAL: vendor_model[_serial][-instance], cut at udev's 255. */
static void usb_serial(const struct usbid *u, char *serial, size_t size)
{
	serial[0] = '\0';
	append(serial, size, u->vendor);
	append(serial, size, "_");
	append(serial, size, u->model);
	if (u->serial[0] != '\0') {
		append(serial, size, "_");
		append(serial, size, u->serial);
	}
	if (u->instance[0] != '\0') {
		append(serial, size, "-");
		append(serial, size, u->instance);
	}
}

/* The properties, in usb_id's order: ID_* unless some other source set
 * ID_BUS already (udev then leaves those alone), and the ID_USB_* copies
 * always. Optional ones only when not empty, as udev. */
static void usb_emit(const struct usbid *u, struct devprops *p)
{
	char serial[256];
	const struct { const char *key, *value; bool optional; } f[] = {
		{ "MODEL", u->model, false }, { "MODEL_ENC", u->model_enc, false },
		{ "MODEL_ID", u->model_id, false }, { "SERIAL", serial, false },
		{ "SERIAL_SHORT", u->serial, true }, { "VENDOR", u->vendor, false },
		{ "VENDOR_ENC", u->vendor_enc, false }, { "VENDOR_ID", u->vendor_id, false },
		{ "REVISION", u->revision, false }, { "TYPE", u->type, true },
		{ "INSTANCE", u->instance, true },
	};
	bool plain = devprops_get(p, "ID_BUS") == NULL;

	usb_serial(u, serial, sizeof(serial));
	if (plain)
		devprops_set(p, "ID_BUS", "usb");
	for (int pass = plain ? 0 : 1; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (!f[i].optional || f[i].value[0] != '\0')
				set(p, pass ? "ID_USB_" : "ID_", f[i].key, f[i].value);
	if (u->ifaces[0] != '\0')
		devprops_set(p, "ID_USB_INTERFACES", u->ifaces);
	if (u->ifnum[0] != '\0')
		devprops_set(p, "ID_USB_INTERFACE_NUM", u->ifnum);
	if (u->driver[0] != '\0')
		devprops_set(p, "ID_USB_DRIVER", u->driver);
}

/* usb_id for the usb_device itself or anything below one of its
 * interfaces. PATH is physical. */
static void usb_ids(int sys_fd, const char *path, const char *devtype, struct devprops *p)
{
	struct usbid u;
	bool device = devtype ? strcmp(devtype, "usb_device") == 0 : usb_name(path) == USB_DEVICE;
	int fd = device ? open_dir(sys_fd, path) : -1;

	memset(&u, 0, sizeof(u));
	if (fd >= 0 && !devtype && !is_usb_device(fd, path)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 && (fd = from_interface(sys_fd, path, &u)) < 0)
		return;
	if (usb_strings(fd, &u) == 0)
		usb_emit(&u, p);
	close(fd);
}

/* ---- Input -------------------------------------------------------- */

/* The kernel prints bitmaps in longs of its own size; like input_id,
 * take that to be ours. */
#define LONG_BITS (sizeof(unsigned long) * CHAR_BIT)
#define LONGS(n) (((n) + LONG_BITS - 1) / LONG_BITS)
#define HAS(m, bit) test_bit(m, sizeof(m) / sizeof((m)[0]), bit)
#define COUNT(m, from, to) count_bits(m, sizeof(m) / sizeof((m)[0]), from, to)

struct caps {
	unsigned long ev[LONGS(EV_MAX + 1)], key[LONGS(KEY_MAX + 1)], abs[LONGS(ABS_MAX + 1)];
	unsigned long rel[LONGS(REL_MAX + 1)], prop[LONGS(INPUT_PROP_MAX + 1)];
	unsigned long bustype;
};

static bool test_bit(const unsigned long *m, size_t words, unsigned bit)
{
	return bit / LONG_BITS < words && (m[bit / LONG_BITS] >> (bit % LONG_BITS)) & 1;
}

/* Bits set in [FROM, TO). */
static size_t count_bits(const unsigned long *m, size_t words, unsigned from, unsigned to)
{
	size_t n = 0;

	for (unsigned b = from; b < to; b++)
		n += test_bit(m, words, b);
	return n;
}

/* A bitmap attribute: hex longs, most significant first, one space
 * apart. As input_id: the last word is word 0, a word that does not
 * parse is left 0 but still counts, words beyond M are ignored. One
 * longer than a page is garbage, not a bitmap cut short. */
static void read_bitmap(int fd, const char *name, unsigned long *m, size_t words)
{
	char text[4096];
	ssize_t n = read_small_at(fd, name, text, sizeof(text));

	memset(m, 0, words * sizeof(*m));
	if (n <= 0 || (size_t)n >= sizeof(text) - 1)
		return;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	char *end = text + n;
	for (size_t i = 0;; i++) {
		char *start = end;
		while (start > text && start[-1] != ' ')
			start--;
		if (i < words && parse_hex(start, end, &m[i]) < 0)
			m[i] = 0;
		if (start == text)
			break;
		end = start - 1;
	}
}

#define BITMAP(fd, name, m) read_bitmap(fd, name, m, sizeof(m) / sizeof((m)[0]))

static void read_caps(int fd, struct caps *c)
{
	char raw[32];

	BITMAP(fd, "capabilities/ev", c->ev);
	BITMAP(fd, "capabilities/abs", c->abs);
	BITMAP(fd, "capabilities/rel", c->rel);
	BITMAP(fd, "capabilities/key", c->key);
	BITMAP(fd, "properties", c->prop);
	c->bustype = 0;
	if (read_attr(fd, "id/bustype", raw, sizeof(raw)) == 0 &&
	    parse_hex(raw, raw + strlen(raw), &c->bustype) < 0)
		c->bustype = 0;
}

struct kinds {
	bool mouse, abs_mouse, touchpad, touchscreen, tablet, tablet_pad, joystick, stick;
};

/* Buttons and axes only joysticks have. BTN_JOYSTICK - 1 set means a
 * mouse with so many buttons it runs into the joystick range. */
static void joystick_parts(const struct caps *c, size_t *buttons, size_t *axes)
{
	*buttons = 0;
	if (!HAS(c->key, BTN_JOYSTICK - 1))
		*buttons = COUNT(c->key, BTN_JOYSTICK, BTN_DIGI) +
			   COUNT(c->key, BTN_TRIGGER_HAPPY1, BTN_TRIGGER_HAPPY40 + 1) +
			   COUNT(c->key, BTN_DPAD_UP, BTN_DPAD_RIGHT + 1);
	*axes = COUNT(c->abs, ABS_RX, ABS_PRESSURE);
}

/* input_id's "joystick un-detection": keyboards with stray joystick
 * buttons, one lone button or axis, tablet pads. */
static bool fake_joystick(const struct caps *c, size_t buttons, size_t axes, bool wheel, bool pad)
{
	static const unsigned keyboard_keys[] = {
		KEY_LEFTCTRL, KEY_CAPSLOCK, KEY_NUMLOCK, KEY_INSERT, KEY_MUTE,
		KEY_CALC, KEY_FILE, KEY_MAIL, KEY_PLAYPAUSE, KEY_BRIGHTNESSDOWN,
	};
	size_t known = 0;

	if (HAS(c->ev, EV_KEY))
		for (size_t i = 0; i < sizeof(keyboard_keys) / sizeof(keyboard_keys[0]); i++)
			known += HAS(c->key, keyboard_keys[i]);
	return known >= 4 || buttons + axes < 2 || (wheel && pad);
}

/* Touch-type devices by their axes and tools, as input_id's
 * test_pointers decides for absolute and multitouch coordinates. */
static void classify_abs(const struct caps *c, bool abs_xy, bool mt, bool mouse_button,
			 bool joystick_parts, struct kinds *k)
{
	bool pen = HAS(c->key, BTN_TOOL_PEN), stylus = pen || HAS(c->key, BTN_STYLUS);
	bool finger = HAS(c->key, BTN_TOOL_FINGER) && !pen;
	bool direct = HAS(c->prop, INPUT_PROP_DIRECT), touch = HAS(c->key, BTN_TOUCH);

	if (abs_xy) {
		if (stylus)
			k->tablet = true;
		else if (finger && !direct)
			k->touchpad = true;
		else if (mouse_button)	/* VMware's USB mouse: absolute, no touch */
			k->abs_mouse = true;
		else if (touch || direct)
			k->touchscreen = true;
		else if (joystick_parts)
			k->joystick = true;
	} else if (joystick_parts) {
		k->joystick = true;
	}
	if (mt) {
		if (stylus)
			k->tablet = true;
		else if (finger && !direct)
			k->touchpad = true;
		else if (touch || direct)
			k->touchscreen = true;
	}
}

static void classify(const struct caps *c, struct kinds *k)
{
	bool abs_xy = HAS(c->abs, ABS_X) && HAS(c->abs, ABS_Y);
	bool rel_xy = HAS(c->ev, EV_REL) && HAS(c->rel, REL_X) && HAS(c->rel, REL_Y);
	bool mt = HAS(c->abs, ABS_MT_POSITION_X) && HAS(c->abs, ABS_MT_POSITION_Y);
	bool mouse_button = COUNT(c->key, BTN_MOUSE, BTN_JOYSTICK) > 0;
	bool pad = HAS(c->key, BTN_0) && HAS(c->key, BTN_1) && !HAS(c->key, BTN_TOOL_PEN);
	bool wheel = HAS(c->ev, EV_REL) && (HAS(c->rel, REL_WHEEL) || HAS(c->rel, REL_HWHEEL));
	size_t buttons, axes;

	/* a device claiming every axis is not multitouch */
	if (mt && HAS(c->abs, ABS_MT_SLOT) && HAS(c->abs, ABS_MT_SLOT - 1))
		mt = false;
	joystick_parts(c, &buttons, &axes);
	k->stick = HAS(c->prop, INPUT_PROP_POINTING_STICK);
	classify_abs(c, abs_xy, mt, mouse_button, buttons > 0 || axes > 0, k);
	if (k->tablet && pad)
		k->tablet_pad = true;
	if (pad && wheel && !rel_xy)
		k->tablet = k->tablet_pad = true;
	if (!k->tablet && !k->touchpad && !k->joystick && mouse_button && (rel_xy || !abs_xy))
		k->mouse = true;
	if (k->mouse && c->bustype == BUS_I2C)	/* there is no such thing as an i2c mouse */
		k->stick = true;
	if (k->joystick && fake_joystick(c, buttons, axes, wheel, pad))
		k->joystick = false;
}

/* test_pointers: whether it is some kind of pointer (or sensor). */
static bool input_pointers(const struct caps *c, struct devprops *p)
{
	bool abs3 = HAS(c->abs, ABS_X) && HAS(c->abs, ABS_Y) && HAS(c->abs, ABS_Z);
	struct kinds k = { 0 };

	if (HAS(c->prop, INPUT_PROP_ACCELEROMETER) || (!HAS(c->ev, EV_KEY) && abs3)) {
		devprops_set(p, "ID_INPUT_ACCELEROMETER", "1");
		return true;
	}
	classify(c, &k);
	if (k.stick)
		devprops_set(p, "ID_INPUT_POINTINGSTICK", "1");
	if (k.mouse || k.abs_mouse)
		devprops_set(p, "ID_INPUT_MOUSE", "1");
	if (k.touchpad)
		devprops_set(p, "ID_INPUT_TOUCHPAD", "1");
	if (k.touchscreen)
		devprops_set(p, "ID_INPUT_TOUCHSCREEN", "1");
	if (k.joystick)
		devprops_set(p, "ID_INPUT_JOYSTICK", "1");
	if (k.tablet)
		devprops_set(p, "ID_INPUT_TABLET", "1");
	if (k.tablet_pad)
		devprops_set(p, "ID_INPUT_TABLET_PAD", "1");
	return k.tablet || k.mouse || k.abs_mouse || k.touchpad || k.touchscreen || k.joystick ||
	       k.stick;
}

/* test_key: any KEY_* (not BTN_*) makes ID_INPUT_KEY; ESC, the digits
 * and Q to D (bits 1-31) make a keyboard. */
static bool input_keys(const struct caps *c, struct devprops *p)
{
	bool found;

	if (!HAS(c->ev, EV_KEY))
		return false;
	found = COUNT(c->key, 0, BTN_MISC) > 0 || COUNT(c->key, KEY_OK, BTN_DPAD_UP) > 0 ||
		COUNT(c->key, KEY_ALS_TOGGLE, BTN_TRIGGER_HAPPY) > 0;
	if (found)
		devprops_set(p, "ID_INPUT_KEY", "1");
	if ((c->key[0] & 0xfffffffeUL) == 0xfffffffeUL) {
		devprops_set(p, "ID_INPUT_KEYBOARD", "1");
		return true;
	}
	return found;
}

static bool has_caps(int fd, const char *path)
{
	(void)path;
	return has(fd, "capabilities/ev");
}

/* Only an input device has capabilities, and the input core names it
 * "inputN" (input_register_device): other directories need no look. */
static bool input_named(const char *path)
{
	const char *s = strrchr(path, '/');

	s = s ? s + 1 : path;
	return strncmp(s, "input", 5) == 0 && (s = digits(s + 5)) != NULL && *s == '\0';
}

/* input_id: the capabilities are the inputN device's, also for its
 * eventN, mouseN, jsN children. */
static void input_ids(int sys_fd, const char *path, struct devprops *p)
{
	char cpath[PATH_MAX];
	struct caps c;
	int fd = -1;

	strcpy(cpath, path);
	for (int i = 0; i < WALK_MAX && fd < 0; i++) {
		if (input_named(cpath) && (fd = open_dir(sys_fd, cpath)) >= 0 && !has_caps(fd, cpath)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0 && !up(cpath))
			break;
	}
	if (fd < 0)
		return;
	read_caps(fd, &c);
	close(fd);
	devprops_set(p, "ID_INPUT", "1");
	bool pointer = input_pointers(&c, p), key = input_keys(&c, p);
	/* some evdev nodes have only a scroll wheel */
	if (!pointer && !key && HAS(c.ev, EV_REL) && (HAS(c.rel, REL_WHEEL) || HAS(c.rel, REL_HWHEEL)))
		devprops_set(p, "ID_INPUT_KEY", "1");
	if (HAS(c.ev, EV_SW))
		devprops_set(p, "ID_INPUT_SWITCH", "1");
}

/* ---- Entry -------------------------------------------------------- */

/* Every USB device's path has its root hub, "usbN", in it: a physical
 * path without one needs no look at the disk. */
static bool maybe_usb(const char *sysdir)
{
	return strncmp(sysdir, "devices/", 8) != 0 || strstr(sysdir, "..") != NULL ||
	       strstr(sysdir, "/usb") != NULL;
}

void devid_add(int sys_fd, const char *sysdir, const char *subsystem, const char *devtype,
	       struct devprops *p)
{
	char path[PATH_MAX];
	bool input = subsystem && strcmp(subsystem, "input") == 0;

	if (!input && !maybe_usb(sysdir))
		return;
	if (sysfs_resolve(sys_fd, sysdir, path, sizeof(path)) < 0)
		return;
	/* A coldplug scan reads no SUBSYSTEM unless a rule asks: input
	 * devices are known by where they sit. */
	if (subsystem == NULL)
		input = strstr(path, "/input/input") != NULL;
	if (strstr(path, "/usb"))
		usb_ids(sys_fd, path, devtype, p);
	if (input)
		input_ids(sys_fd, path, p);
}
