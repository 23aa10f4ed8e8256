#define _GNU_SOURCE
#include "device.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

enum devop devop_from_action(const char *action)
{
	if (action && strcmp(action, "add") == 0)
		return DEVOP_ADD;
	if (action && strcmp(action, "remove") == 0)
		return DEVOP_REMOVE;
	if (action && strcmp(action, "move") == 0)
		return DEVOP_MOVE;
	return DEVOP_OTHER;
}

static int num(const struct uevent *ev, const char *key)
{
	const char *v = uevent_get(ev, key);
	char *end;

	if (v == NULL || *v == '\0')
		return -1;
	long n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 && n <= 0xfffff ? (int)n : -1;
}

void device_from_uevent(struct device *dev, struct uevent *ev)
{
	const char *devpath = uevent_get(ev, "DEVPATH");
	const char *subsystem = uevent_get(ev, "SUBSYSTEM");

	memset(dev, 0, sizeof(*dev));
	dev->ev = ev;
	dev->op = devop_from_action(uevent_get(ev, "ACTION"));
	dev->major = num(ev, "MAJOR");
	dev->minor = num(ev, "MINOR");
	if (dev->major < 0 || dev->minor < 0)
		dev->major = dev->minor = -1;
	if (devpath == NULL)
		devpath = "";
	dev->devname = uevent_get(ev, "DEVNAME");
	if (dev->devname == NULL || *dev->devname == '\0') {
		const char *slash = strrchr(devpath, '/');
		dev->devname = slash ? slash + 1 : devpath;
	}
	/* mdev's test: only the block subsystem, or an old-style path */
	dev->type = (subsystem && strncmp(subsystem, "block", 5) == 0) ||
		    strstr(devpath, "/block/") ? S_IFBLK : S_IFCHR;
}

const char *device_sysdir(const struct device *dev)
{
	const char *devpath = dev->ev ? uevent_get(dev->ev, "DEVPATH") : NULL;
	const char *sysdir = dev->sysdir ? dev->sysdir : devpath ? devpath + 1 : NULL;

	return sysdir && *sysdir ? sysdir : NULL;
}

const char *device_get(const struct device *dev, const char *key)
{
	const char *v = dev->ev ? uevent_get(dev->ev, key) : NULL;

	if (v == NULL && dev->lazy_get)
		v = dev->lazy_get(dev->lazy_arg, key);
	return v;
}

enum devop device_action(const struct device *dev)
{
	return devop_from_action(dev->ev ? uevent_get(dev->ev, "ACTION") : NULL);
}

dev_t device_rdev(const struct device *dev)
{
	return dev->major < 0 ? makedev(0, 0) : makedev((unsigned)dev->major, (unsigned)dev->minor);
}

/* Only disks, serial ports and input devices get udev's persistent
 * names; the test is on what the event says, so other devices cost
 * nothing. */
bool device_may_have_links(const struct device *dev)
{
	const char *sub = dev->ev ? uevent_get(dev->ev, "SUBSYSTEM") : NULL;

	if (S_ISBLK(dev->type))
		return true;
	if (sub)
		return strcmp(sub, "tty") == 0 || strcmp(sub, "input") == 0;
	return strncmp(dev->devname, "tty", 3) == 0 || strncmp(dev->devname, "input/", 6) == 0;
}
