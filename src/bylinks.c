/* The persistent names of udev's 60-serial.rules and
 * 60-persistent-input.rules, and the path_id builtin they import.
 *
 * Followed: Debian 12's udev 252 (the rules files as it ships them and
 * systemd's src/udev/udev-builtin-path_id.c), checked against its
 * udevadm on fake sysfs trees (see tests/unit/test_bylinks.c). What the
 * rules match is read the way udev reads it: SUBSYSTEMS, DRIVERS and
 * ATTRS look at the device and each of its parents, a parent being the
 * nearest directory above with a uevent file (sd-device's rule);
 * attribute values lose their trailing whitespace.
 *
 * Deviations, on purpose:
 * - path_id knows usb, pci, serio, platform, acpi, xen, scm, ccw,
 *   ccwgroup, iucv (others, virtio, i2c, hid..., add nothing, as in
 *   udev) and SCSI devices on a plain host ("scsi-H:C:T:L": USB storage,
 *   virtio-scsi, SCSI cards) or on FireWire ("ieee1394-0x..."), and has
 *   udev's rule that a disk needs a bus it can be told by (usb, scsi,
 *   virtio, platform...). SCSI devices on Fibre Channel, SAS, iSCSI,
 *   ATA or Hyper-V hosts (udev names them from their transport class
 *   devices: port names, SAS addresses, ATA port numbers), SCSI tapes,
 *   and devices below cciss, bcma, ap or nvme devices get no ID_PATH
 *   rather than udev's: a SATA disk, an NVMe or cciss disk have no
 *   by-path name.
 * - A value put into a name has '/', blanks and control characters made
 *   '_' each (udev collapses a run of blanks into one '_', trims them at
 *   the ends and keeps '/', which would make a directory): usb_id's
 *   values have none of these; only garbage in sysfs would.
 * - The hwdb imports of the rules (ID_VENDOR_FROM_DATABASE...) are not
 *   done. In udev the import is part of the rule that sets ID_BUS=pci
 *   and the ids for a tty on a PCI device, and a lookup that finds
 *   nothing fails that rule: here it always applies, as it does in udev
 *   for every PCI vendor its hwdb knows (Debian's knows nearly all).
 * - SYSDIR may be a device path or hold links (dev/char/M:m, class/tty/x):
 *   they are followed as sysfs_resolve() does, never out of the sysfs
 *   root.
 */
#include "bylinks.h"
#include "fileio.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Devices looked at walking up. Real trees need under 16. */
#define WALK_MAX 32
/* ID_PATH: udev's tag buffer is 512 bytes (UDEV_NAME_SIZE). */
#define ID_PATH_SIZE 512

/* ---- Looking at sysfs --------------------------------------------- */

/* What walking up asks of the device and its ancestors, asked once a
 * call: every walk starts at the device, so each ancestor is a prefix of
 * its path, and a USB tty's three walks (pci, usb-serial, path_id) cost
 * what one does. */
struct seen {
	size_t len;			/* the prefix of the device's path */
	signed char device;		/* has a uevent file; -1 not asked */
	signed char subsys;		/* SUBSYSTEM read; -1 not asked */
	char subsystem[64];
};

struct sysview {
	int fd;				/* the sysfs root */
	const char *path;		/* the device's, below devices/ */
	int n;
	struct seen seen[WALK_MAX];
};

/* ---- Paths -------------------------------------------------------- */

/* ASCII classes, whatever the locale (udev's are ASCII too). */
static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool alnum(char c)
{
	return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* DIR/NAME into BUF (PATH_MAX bytes). */
static int join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

static bool exists(struct sysview *sys, const char *dir, const char *name)
{
	char path[PATH_MAX];

	return join(path, dir, name) == 0 && faccessat(sys->fd, path, F_OK, 0) == 0;
}

/* What was learnt of the device or an ancestor at DIR, NULL for a
 * directory that is neither (or no room). */
static struct seen *seen_at(struct sysview *sys, const char *dir)
{
	size_t len = strlen(dir);

	if (sys->path == NULL || strncmp(dir, sys->path, len) != 0 ||
	    (sys->path[len] != '/' && sys->path[len] != '\0'))
		return NULL;
	for (int i = 0; i < sys->n; i++)
		if (sys->seen[i].len == len)
			return &sys->seen[i];
	if (sys->n == WALK_MAX)
		return NULL;
	sys->seen[sys->n] = (struct seen){ .len = len, .device = -1, .subsys = -1 };
	return &sys->seen[sys->n++];
}

/* Whether DIR is a device: it has a uevent file. */
static bool is_device(struct sysview *sys, const char *dir)
{
	struct seen *s = seen_at(sys, dir);

	if (s == NULL)
		return exists(sys, dir, "uevent");
	if (s->device < 0)
		s->device = exists(sys, dir, "uevent");
	return s->device;
}

/* sd-device's parent: the nearest directory above PATH with a uevent
 * file, PATH cut to it. False at the top ("devices" is no device). */
static bool parent(struct sysview *sys, char *path)
{
	for (;;) {
		char *slash = strrchr(path, '/');
		if (slash == NULL)
			return false;
		*slash = '\0';
		if (strchr(path, '/') == NULL)
			return false;
		if (is_device(sys, path))
			return true;
	}
}

/* ---- Attributes --------------------------------------------------- */

/* Attribute NAME of the device at DIR without its trailing whitespace,
 * as ATTRS matches it and $attr gives it. */
static int attr(struct sysview *sys, const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;

	if (join(path, dir, name) < 0 || (n = read_small_at(sys->fd, path, buf, size)) < 0)
		return -1;
	while (n > 0 && space(buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

/* The last component of the target of DIR/NAME ("subsystem", "driver"). */
static int read_link_name(struct sysview *sys, const char *dir, const char *name, char *buf,
			  size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (join(path, dir, name) < 0 ||
	    (n = readlinkat(sys->fd, path, target, sizeof(target) - 1)) <= 0)
		return -1;
	target[n] = '\0';
	if (strlen(base(target)) >= size)
		return -1;
	strcpy(buf, base(target));
	return 0;
}

/* The same, a subsystem read once an event. */
static int link_name(struct sysview *sys, const char *dir, const char *name, char *buf, size_t size)
{
	struct seen *s = strcmp(name, "subsystem") == 0 ? seen_at(sys, dir) : NULL;

	if (s == NULL)
		return read_link_name(sys, dir, name, buf, size);
	if (s->subsys < 0)
		s->subsys = read_link_name(sys, dir, name, s->subsystem, sizeof(s->subsystem)) == 0;
	if (!s->subsys || strlen(s->subsystem) >= size)
		return -1;
	strcpy(buf, s->subsystem);
	return 0;
}

/* DEVTYPE from the device's uevent file, as sd-device has it. */
static int devtype(struct sysview *sys, const char *dir, char *buf, size_t size)
{
	char text[4096];

	if (attr(sys, dir, "uevent", text, sizeof(text)) < 0)
		return -1;
	for (const char *line = text; line != NULL; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, "DEVTYPE=", 8) == 0) {
			size_t n = strcspn(line + 8, "\n");
			if (n >= size)
				return -1;
			memcpy(buf, line + 8, n);
			buf[n] = '\0';
			return 0;
		}
	}
	return -1;
}

/* A rule's match: shell patterns with '|' between alternatives, an
 * empty alternative matching the empty string ("|00"). */
static bool match(const char *value, const char *patterns)
{
	char one[128];

	for (const char *s = patterns;; s++) {
		size_t n = strcspn(s, "|");
		if (n < sizeof(one)) {
			memcpy(one, s, n);
			one[n] = '\0';
			if (fnmatch(one, value, 0) == 0)
				return true;
		}
		s += n;
		if (*s == '\0')
			return false;
	}
}

/* ---- Walking up --------------------------------------------------- */

/* What a device or one of its parents must have: the subsystem or
 * driver KEY's target matches, or attribute KEY's value does (NULL: is
 * there). */
struct want {
	const char *key, *pattern;
};

typedef bool dev_test(struct sysview *sys, const char *dir, const struct want *w);

static bool link_is(struct sysview *sys, const char *dir, const struct want *w)
{
	char name[256];

	return link_name(sys, dir, w->key, name, sizeof(name)) == 0 && match(name, w->pattern);
}

static bool attr_is(struct sysview *sys, const char *dir, const struct want *w)
{
	char value[256];

	return attr(sys, dir, w->key, value, sizeof(value)) == 0 &&
	       (w->pattern == NULL || match(value, w->pattern));
}

/* SUBSYSTEMS, DRIVERS, ATTRS: the device at PATH or the nearest parent
 * that passes TEST; FOUND (PATH_MAX bytes, or NULL) gets its path. */
static bool find(struct sysview *sys, const char *path, dev_test *test, const struct want *w,
		 char *found)
{
	char dir[PATH_MAX];

	strcpy(dir, path);
	for (int i = 0; i < WALK_MAX; i++) {
		if (test(sys, dir, w)) {
			if (found)
				strcpy(found, dir);
			return true;
		}
		if (!parent(sys, dir))
			return false;
	}
	return false;
}

static bool subsystems(struct sysview *sys, const char *path, const char *list, char *found)
{
	return find(sys, path, link_is, &(struct want){ "subsystem", list }, found);
}

/* ---- path_id ------------------------------------------------------ */

struct idpath {
	char s[ID_PATH_SIZE];
	bool parent_ok;		/* a parent that names a place (pci, platform...) */
	bool transport;		/* a bus a disk's path can be told by (usb, scsi...) */
	bool bad;		/* too long, or a parent not handled here */
};

/* path_prepend: PREFIX NAME in front, '-' between. */
static void prepend(struct idpath *id, const char *prefix, const char *name)
{
	char tmp[ID_PATH_SIZE];
	int n = id->s[0] ? snprintf(tmp, sizeof(tmp), "%s%s-%s", prefix, name, id->s)
			 : snprintf(tmp, sizeof(tmp), "%s%s", prefix, name);

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		id->bad = true;
		return;
	}
	memcpy(id->s, tmp, (size_t)n + 1);
}

/* skip_subsystem: PATH moved up to the last of the run of devices in
 * SUBSYS it starts (a hub chain, PCI bridges), so that the walk goes on
 * above them. */
static void skip_run(struct sysview *sys, char *path, const char *subsys)
{
	char up[PATH_MAX], name[64];

	for (int i = 0; i < WALK_MAX; i++) {
		strcpy(up, path);
		if (!parent(sys, up) || link_name(sys, up, "subsystem", name, sizeof(name)) < 0 ||
		    strcmp(name, subsys) != 0)
			return;
		strcpy(path, up);
	}
}

/* A USB interface or device: "usb-0:" and its port chain, the part of
 * its name after the bus number ("1-2.4:1.0" gives "usb-0:2.4:1.0"). */
static void usb_step(struct sysview *sys, char *path, struct idpath *id)
{
	char type[32];
	const char *port = strchr(base(path), '-');

	if (devtype(sys, path, type, sizeof(type)) < 0 ||
	    (strcmp(type, "usb_interface") != 0 && strcmp(type, "usb_device") != 0) || port == NULL)
		return;
	prepend(id, "usb-0:", port + 1);
	skip_run(sys, path, "usb");
}

/* A serio port: "serio-" and the number its name ends in. */
static void serio_step(struct sysview *sys, char *path, struct idpath *id)
{
	const char *name = base(path), *num = name + strlen(name);

	while (num > name && digit(num[-1]))
		num--;
	if (*num == '\0')
		return;
	prepend(id, "serio-", num);
	skip_run(sys, path, "serio");
}

/* The lowest N of the "hostN" entries in DIR, -1 for none, -2 when DIR
 * cannot be read. udev numbers
 * a SCSI host from the first host of its controller (the kernel's
 * numbering is global), so a disk on the second host of a card is
 * scsi-1:... whatever hosts came before the card. */
static long lowest_host(struct sysview *sys, const char *dir)
{
	int fd = openat(sys->fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	long low = -1;
	struct dirent *e;

	if (dp == NULL) {
		if (fd >= 0)
			close(fd);
		return -2;
	}
	while ((e = readdir(dp)) != NULL) {
		const char *num = e->d_name + 4;
		char *end;
		/* sysfs gives the type; udev skips files (only dirs and links) */
		if (strncmp(e->d_name, "host", 4) != 0 || !digit(*num) ||
		    (e->d_type != DT_DIR && e->d_type != DT_LNK))
			continue;
		errno = 0;
		long n = strtol(num, &end, 10);
		if (*end == '\0' && errno == 0 && n <= INT_MAX && (low < 0 || n < low))
			low = n;
	}
	closedir(dp);
	return low;
}

/* The nearest parent above PATH of subsystem SUBSYS and devtype TYPE,
 * into FOUND (PATH_MAX bytes). */
static bool parent_of_type(struct sysview *sys, const char *path, const char *subsys,
			   const char *type, char *found)
{
	char name[64];

	strcpy(found, path);
	for (int i = 0; i < WALK_MAX && parent(sys, found); i++)
		if (link_name(sys, found, "subsystem", name, sizeof(name)) == 0 &&
		    strcmp(name, subsys) == 0 && devtype(sys, found, name, sizeof(name)) == 0 &&
		    strcmp(name, type) == 0)
			return true;
	return false;
}

/* "H:C:T:L", a SCSI device's name, into V; what follows L is let be
 * (udev's scan stops there too). False for a number out of range. */
static bool scsi_address(const char *name, long v[4])
{
	for (int i = 0; i < 4; i++) {
		char *end;
		if (i > 0 && *name++ != ':')
			return false;
		if (!digit(*name))
			return false;
		errno = 0;
		v[i] = strtol(name, &end, 10);
		if (errno != 0 || v[i] > INT_MAX)
			return false;
		name = end;
	}
	return true;
}

/* A SCSI device on a plain host (USB storage, virtio-scsi, a SCSI card):
 * "scsi-H:C:T:L", H counted from the controller's first host. PATH
 * moves up to the host: the walk goes on above it, the target and the
 * host adding nothing. */
static void scsi_default(struct sysview *sys, char *path, struct idpath *id)
{
	char host[PATH_MAX], elem[64];
	long a[4], low;

	if (!parent_of_type(sys, path, "scsi", "scsi_host", host) || !scsi_address(base(path), a)) {
		id->bad = true;
		return;
	}
	strcpy(path, host);
	*strrchr(host, '/') = '\0';
	low = lowest_host(sys, host);
	/* a host not named hostN: udev adds nothing and goes on */
	if (low == -1)
		return;
	if (low < 0) {
		id->bad = true;
		return;
	}
	/* udev prints them unsigned, a host below the lowest wrapping */
	snprintf(elem, sizeof(elem), "%u:%ld:%ld:%ld", (unsigned)a[0] - (unsigned)low, a[1], a[2],
		 a[3]);
	prepend(id, "scsi-", elem);
}

/* A SCSI device (hosts and targets add nothing). udev tells the
 * transports apart by the path: FireWire is a place of its own; Fibre
 * Channel, SAS, iSCSI, ATA and Hyper-V need their transport class
 * devices (port names, SAS addresses, ATA port numbers...), not read
 * here: no ID_PATH for those rather than a wrong one. */
static void scsi_step(struct sysview *sys, char *path, struct idpath *id)
{
	static const char *const other[] = {
		"/rport-", "/end_device-", "/session", "/ata", "/vmbus_", "/VMBUS",
	};
	char type[32], fw[64];

	id->transport = true;
	if (devtype(sys, path, type, sizeof(type)) < 0 || strcmp(type, "scsi_device") != 0)
		return;
	if (attr(sys, path, "ieee1394_id", fw, sizeof(fw)) == 0) {
		prepend(id, "ieee1394-0x", fw);
		skip_run(sys, path, "scsi");
		id->parent_ok = true;
		return;
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (strstr(path, other[i])) {
			id->bad = true;
			return;
		}
	scsi_default(sys, path, id);
}

/* What path_id adds for the device at PATH; PATH may move up over the
 * others of its subsystem. */
static void path_step(struct sysview *sys, char *path, struct idpath *id)
{
	/* named by their own name, and a place: udev's supported_parent;
	 * transport: udev's supported_transport, which a disk needs */
	static const struct {
		const char *subsys;
		bool transport;
	} named[] = {
		{ "pci", false }, { "platform", true }, { "acpi", false }, { "xen", false },
		{ "scm", true },  { "ccw", true },	{ "ccwgroup", true }, { "iucv", true },
	};
	static const char *const unknown[] = { "scsi_tape", "cciss", "bcma", "ap", "nvme" };
	char subsys[64], prefix[80];

	if (link_name(sys, path, "subsystem", subsys, sizeof(subsys)) < 0)
		return;
	if (strcmp(subsys, "usb") == 0) {
		id->transport = true;
		usb_step(sys, path, id);
		return;
	}
	if (strcmp(subsys, "scsi") == 0) {
		scsi_step(sys, path, id);
		return;
	}
	if (strcmp(subsys, "serio") == 0) {
		serio_step(sys, path, id);
		return;
	}
	/* no name of its own, but what a virtio disk sits on */
	if (strcmp(subsys, "virtio") == 0)
		id->transport = true;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(subsys, named[i].subsys) == 0) {
			snprintf(prefix, sizeof(prefix), "%s-", subsys);
			prepend(id, prefix, base(path));
			skip_run(sys, path, subsys);
			id->parent_ok = true;
			id->transport |= named[i].transport;
			return;
		}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (strcmp(subsys, unknown[i]) == 0)
			id->bad = true;
}

/* ID_PATH_TAG: letters, digits and '-' kept, each run of anything else
 * one '_', none at the ends. */
static void path_tag(const char *path, char *tag)
{
	size_t i = 0;

	for (const char *c = path; *c != '\0'; c++) {
		if (alnum(*c) || *c == '-')
			tag[i++] = *c;
		else if (i > 0 && tag[i - 1] != '_')
			tag[i++] = '_';
	}
	while (i > 0 && tag[i - 1] == '_')
		i--;
	tag[i] = '\0';
}

/* path_id for the device at DEVPATH: ID_PATH into OUT (ID_PATH_SIZE
 * bytes) and both properties into P. False when there is no path, or
 * only one without a place it starts from (udev's rule: such a path
 * need not be unique). */
static bool path_id(struct sysview *sys, const char *devpath, struct devprops *p, char *out)
{
	struct idpath id = { .s = "", .parent_ok = false, .transport = false, .bad = false };
	char path[PATH_MAX], tag[ID_PATH_SIZE], subsys[16];

	strcpy(path, devpath);
	for (int i = 0; i < WALK_MAX && !id.bad; i++) {
		path_step(sys, path, &id);
		if (!parent(sys, path))
			break;
	}
	if (id.bad || !id.parent_ok || id.s[0] == '\0')
		return false;
	/* udev's rule for disks: a bus that names nothing (mmc, a bare
	 * PCI controller) does not tell two of them apart */
	if (!id.transport && link_name(sys, devpath, "subsystem", subsys, sizeof(subsys)) == 0 &&
	    strcmp(subsys, "block") == 0)
		return false;
	strcpy(out, id.s);
	path_tag(id.s, tag);
	devprops_set(p, "ID_PATH", id.s);
	devprops_set(p, "ID_PATH_TAG", tag);
	return true;
}

/* ---- Names -------------------------------------------------------- */

struct dev {
	struct sysview *sys;
	char path[PATH_MAX];	/* below devices/ */
	const char *kernel;	/* its name, KERNEL in the rules */
	bool node;		/* has a node, so the links apply */
	const char *diskseq;	/* the event's DISKSEQ, or NULL: read it */
	const char *devtype;	/* the event's DEVTYPE, or NULL */
	struct devprops *p;
	char (*out)[BYLINKS_NAME];
	int n;
};

/* Whether property KEY is set and not empty: the rules' =="?*". */
static const char *prop(const struct dev *d, const char *key)
{
	const char *v = devprops_get(d->p, key);

	return v && *v ? v : NULL;
}

/* What may not be in a file name made of values: '/' would make
 * directories, blanks would split the name in udev, control characters
 * have no place in names. */
static void clean(char *name)
{
	for (unsigned char *c = (unsigned char *)name; *c != '\0'; c++)
		if (*c == '/' || *c <= ' ' || *c == 0x7f)
			*c = '_';
}

/* DIR/ and the file name the PIECES (NULL-terminated) make, cleaned,
 * added unless it is there already, too long, "." or "..". */
static void add_name(struct dev *d, const char *dir, ...)
{
	char file[NAME_MAX + 2] = "";
	size_t len = 0;
	va_list ap;

	va_start(ap, dir);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL; len += strlen(s)) {
		if (len + strlen(s) > NAME_MAX) {
			va_end(ap);
			return;
		}
		strcpy(file + len, s);
	}
	va_end(ap);
	clean(file);
	if (d->n >= BYLINKS_MAX || len == 0 || strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
		return;
	snprintf(d->out[d->n], BYLINKS_NAME, "%s/%s", dir, file);
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->out[i], d->out[d->n]) == 0)
			return;
	d->n++;
}

/* ---- 60-serial.rules ---------------------------------------------- */

/* ID_BUS=pci and the ids of the PCI device a tty sits on, when nothing
 * else (usb_id) said what bus it is on. */
static void serial_pci(struct dev *d)
{
	char pci[PATH_MAX], id[64];

	if (prop(d, "ID_BUS") || !subsystems(d->sys, d->path, "pci", pci))
		return;
	devprops_set(d->p, "ID_BUS", "pci");
	if (attr(d->sys, pci, "vendor", id, sizeof(id)) == 0 && id[0] != '\0')
		devprops_set(d->p, "ID_VENDOR_ID", id);
	if (attr(d->sys, pci, "device", id, sizeof(id)) == 0 && id[0] != '\0')
		devprops_set(d->p, "ID_MODEL_ID", id);
}

static void serial_rules(struct dev *d)
{
	char port[64] = "", dir[PATH_MAX], idpath[ID_PATH_SIZE];
	const char *bus, *serial, *ifnum;

	serial_pci(d);
	if (!match(d->kernel, "ttyUSB[0-9]*|ttyACM[0-9]*"))
		return;
	/* .ID_PORT: the port of a usb-serial adapter with several */
	if (subsystems(d->sys, d->path, "usb-serial", dir) &&
	    attr(d->sys, dir, "port_number", port, sizeof(port)) < 0)
		port[0] = '\0';
	const char *sep = port[0] ? "-port" : "";
	if (path_id(d->sys, d->path, d->p, idpath) && d->node)
		add_name(d, "serial/by-path", idpath, sep, port, NULL);
	bus = prop(d, "ID_BUS");
	serial = prop(d, "ID_SERIAL");
	ifnum = prop(d, "ID_USB_INTERFACE_NUM");
	if (bus && serial && ifnum && d->node)
		add_name(d, "serial/by-id", bus, "-", serial, "-if", ifnum, sep, port, NULL);
}

/* ---- 60-persistent-input.rules ------------------------------------ */

/* ID_BUS by where the device sits; false for Bluetooth devices, which
 * the rules give no names. */
static bool input_bus(struct dev *d)
{
	if (subsystems(d->sys, d->path, "bluetooth", NULL) ||
	    find(d->sys, d->path, attr_is, &(struct want){ "id/bustype", "0005" }, NULL)) {
		devprops_set(d->p, "ID_BUS", "bluetooth");
		return false;
	}
	if (subsystems(d->sys, d->path, "rmi4", NULL))
		devprops_set(d->p, "ID_BUS", "rmi");
	if (subsystems(d->sys, d->path, "serio", NULL))
		devprops_set(d->p, "ID_BUS", "i8042");
	return true;
}

/* .INPUT_CLASS: the kind of device the names end in; the last rule that
 * matches wins. NULL: none. */
static const char *input_class(const struct dev *d)
{
	const char *cls = NULL;

	if (prop(d, "ID_INPUT_KEYBOARD"))
		cls = "kbd";
	if (prop(d, "ID_INPUT_MOUSE") || prop(d, "ID_INPUT_TOUCHPAD") || prop(d, "ID_INPUT_TABLET"))
		cls = "mouse";
	if (prop(d, "ID_INPUT_JOYSTICK"))
		cls = "joystick";
	if (find(d->sys, d->path, link_is, &(struct want){ "driver", "pcspkr" }, NULL))
		cls = "spkr";
	if (find(d->sys, d->path, attr_is, &(struct want){ "name", "*dvb*|*DVB*|* IR *" }, NULL))
		cls = "ir";
	return cls;
}

/* by-id: USB devices, by their interface; "-ifNN" for any but the
 * first; an event device of no class by its interface number alone. */
static void input_by_id(struct dev *d, const char *cls, bool event, bool other)
{
	char iface[PATH_MAX], num[32], subsys[32];
	const char *bus = prop(d, "ID_BUS"), *serial = devprops_get(d->p, "ID_SERIAL");

	if (bus == NULL || !d->node ||
	    !find(d->sys, d->path, attr_is, &(struct want){ "bInterfaceNumber", NULL }, iface) ||
	    attr(d->sys, iface, "bInterfaceNumber", num, sizeof(num)) < 0)
		return;
	serial = serial ? serial : "";
	bool first = match(num, "|00");
	const char *sep = first ? "" : "-if", *ifn = first ? "" : num;
	if (cls && other)
		add_name(d, "input/by-id", bus, "-", serial, sep, ifn, "-", cls, NULL);
	if (cls && event)
		add_name(d, "input/by-id", bus, "-", serial, sep, ifn, "-event-", cls, NULL);
	if (!cls && event && num[0] != '\0' &&
	    link_name(d->sys, iface, "subsystem", subsys, sizeof(subsys)) == 0 &&
	    strcmp(subsys, "usb") == 0)
		add_name(d, "input/by-id", bus, "-", serial, "-event-if", num, NULL);
}

static void input_by_path(struct dev *d, const char *cls, bool event, bool other)
{
	char idpath[ID_PATH_SIZE];

	if (!subsystems(d->sys, d->path, "pci|usb|platform|acpi", NULL) ||
	    !path_id(d->sys, d->path, d->p, idpath) || !d->node)
		return;
	if (cls && other)
		add_name(d, "input/by-path", idpath, "-", cls, NULL);
	if (cls && event)
		add_name(d, "input/by-path", idpath, "-event-", cls, NULL);
	if (!cls && event && subsystems(d->sys, d->path, "usb|platform|i2c", NULL))
		add_name(d, "input/by-path", idpath, "-event", NULL);
}

static void input_rules(struct dev *d)
{
	bool event = match(d->kernel, "event*"), other = match(d->kernel, "mouse*|js*");

	if (!input_bus(d))
		return;
	const char *cls = input_class(d);
	if (cls && !prop(d, "ID_SERIAL"))
		devprops_set(d->p, "ID_SERIAL", "noserial");
	input_by_id(d, cls, event, other);
	input_by_path(d, cls, event, other);
}

/* ---- 60-persistent-storage.rules ---------------------------------- */

/* The names of a disk or partition: by what is on it (the blkid
 * probe's ID_FS_* and ID_PART_ENTRY_*, already in P), where it sits
 * and which disk it is. A partition's by-id and by-path names are its
 * disk's with "-partN" (path_id walks up from a partition through its
 * disk, neither adding anything). by-id only as the rules make it for
 * sd*, sr* and cciss* disks from ID_BUS and ID_SERIAL (nvme, virtio, mmc and
 * WWN names need ata_id/scsi_id/nvme data devmgr does not read); a
 * label of "." or ".." gets no name (udev fails to make one too). */
static void disk_rules(struct dev *d)
{
	char num[16] = "", seq[32], idpath[ID_PATH_SIZE];
	const char *v, *usage = prop(d, "ID_FS_USAGE"), *scheme, *bus;
	/* DEVTYPE=partition: the event says it, else one look */
	bool part = d->devtype ? strcmp(d->devtype, "partition") == 0 :
				 exists(d->sys, d->path, "partition");

	if (part && attr(d->sys, d->path, "partition", num, sizeof(num)) < 0)
		return;
	const char *suffix = part ? "-part" : "";
	if (match(d->kernel, "sd*|sr*|cciss*") && (bus = prop(d, "ID_BUS")) &&
	    (v = prop(d, "ID_SERIAL")))
		add_name(d, "disk/by-id", bus, "-", v, suffix, num, NULL);
	/* loop, zram, ram...: no place, no path; NVMe and cciss disks: a
	 * path path_id does not follow (no walk up for either) */
	if (strncmp(d->path, "devices/virtual/", 16) != 0 && !match(d->kernel, "nvme*|cciss*") &&
	    path_id(d->sys, d->path, d->p, idpath))
		add_name(d, "disk/by-path", idpath, suffix, num, NULL);
	if (usage && match(usage, "filesystem|other|crypto") && (v = prop(d, "ID_FS_UUID_ENC")))
		add_name(d, "disk/by-uuid", v, NULL);
	if (usage && match(usage, "filesystem|other") && (v = prop(d, "ID_FS_LABEL_ENC")))
		add_name(d, "disk/by-label", v, NULL);
	if ((v = prop(d, "ID_PART_ENTRY_UUID")))
		add_name(d, "disk/by-partuuid", v, NULL);
	if ((scheme = prop(d, "ID_PART_ENTRY_SCHEME")) && strcmp(scheme, "gpt") == 0 &&
	    (v = prop(d, "ID_PART_ENTRY_NAME")))
		add_name(d, "disk/by-partlabel", v, NULL);
	if (part)
		return;
	if (d->diskseq)
		snprintf(seq, sizeof(seq), "%s", d->diskseq);
	else if (attr(d->sys, d->path, "diskseq", seq, sizeof(seq)) < 0)
		seq[0] = '\0';
	if (seq[0])
		add_name(d, "disk/by-diskseq", seq, NULL);
}

/* ---- Entry -------------------------------------------------------- */

int bylinks(int sys_fd, const char *sysdir, const char *subsystem, const char *devname,
	    const struct uevent *ev, struct devprops *p, char out[][BYLINKS_NAME])
{
	struct sysview view = { .fd = sys_fd, .path = NULL, .n = 0 };
	struct dev d = { .sys = &view, .p = p, .out = out, .n = 0,
			 .diskseq = ev ? uevent_get(ev, "DISKSEQ") : NULL,
			 .devtype = ev ? uevent_get(ev, "DEVTYPE") : NULL };
	char subsys[64];

	if (sysdir == NULL || sysfs_resolve(sys_fd, sysdir, d.path, sizeof(d.path)) < 0)
		return 0;
	view.path = d.path;

	/* the device's own subsystem needs no second look */
	struct seen *own = subsystem && strlen(subsystem) < sizeof(own->subsystem) ?
			   seen_at(&view, d.path) : NULL;
	if (own) {
		own->subsys = 1;
		strcpy(own->subsystem, subsystem);
	}
	/* a coldplug scan reads no SUBSYSTEM unless a rule asks */
	if (subsystem == NULL) {
		if (link_name(&view, d.path, "subsystem", subsys, sizeof(subsys)) < 0)
			return 0;
		subsystem = subsys;
	}
	d.kernel = base(d.path);
	d.node = devname != NULL && *devname != '\0';
	/* virtual consoles and ptys: no bus, no path, nothing to say (and
	 * no walk up through parents: a storm of tty events pays for it) */
	if (strcmp(subsystem, "tty") == 0 && strncmp(d.path, "devices/virtual/", 16) == 0)
		return 0;
	if (strcmp(subsystem, "tty") == 0)
		serial_rules(&d);
	else if (strcmp(subsystem, "input") == 0)
		input_rules(&d);
	else if (strcmp(subsystem, "block") == 0 && d.node)
		disk_rules(&d);
	return d.n;
}
