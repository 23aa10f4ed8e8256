#define _GNU_SOURCE
#include "clientprops.h"
#include "fileio.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* SUBSYSTEMS=="usb": the device at SYSDIR (relative to the sysfs root)
 * or one above it is on the USB bus. */
static bool below_usb(int sys_fd, const char *sysdir)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t k;

	/* a scan's "dev/char/M:m" leads to the device's own directory */
	if (strncmp(sysdir, "devices/", 8) != 0) {
		if ((k = readlinkat(sys_fd, sysdir, link, sizeof(link) - 1)) <= 0)
			return false;
		link[k] = '\0';
		const char *d = strstr(link, "devices/");
		if (d == NULL)
			return false;
		sysdir = d;
	}
	if (snprintf(path, sizeof(path), "%s", sysdir) >= (int)sizeof(path) - 12)
		return false;
	for (;;) {
		size_t n = strlen(path);
		strcpy(path + n, "/subsystem");
		k = readlinkat(sys_fd, path, link, sizeof(link) - 1);
		path[n] = '\0';
		if (k > 0) {
			link[k] = '\0';
			const char *base = strrchr(link, '/');
			if (strcmp(base ? base + 1 : link, "usb") == 0)
				return true;
		}
		char *end = strrchr(path, '/');
		if (end == NULL)
			return false;
		*end = '\0';
	}
}

/* Whether a tty sits in /sys/devices/virtual (an RFCOMM tty bound to a
 * Bluetooth address but not connected is one). */
static bool is_virtual(int sys_fd, const char *sysdir)
{
	char link[PATH_MAX];
	ssize_t k;

	if (strncmp(sysdir, "devices/", 8) == 0)
		return strstr(sysdir, "/virtual/") != NULL;
	if ((k = readlinkat(sys_fd, sysdir, link, sizeof(link) - 1)) <= 0)
		return false;
	link[k] = '\0';
	return strstr(link, "/virtual/") != NULL;
}

/* 80-mm-candidate.rules' wwan part: PCI modems' single ports, typed by
 * their "type" attribute (or, before Linux 5.14, their name). */
static void wwan(int sys_fd, const char *sysdir, const char *name, const char *devtype,
		 struct devprops *p)
{
	static const struct { const char *type, *prop; } types[] = {
		{ "AT", "ID_MM_PORT_TYPE_AT_PRIMARY" }, { "MBIM", "ID_MM_PORT_TYPE_MBIM" },
		{ "QMI", "ID_MM_PORT_TYPE_QMI" }, { "QCDM", "ID_MM_PORT_TYPE_QCDM" },
		{ "FIREHOSE", "ID_MM_PORT_IGNORE" },
	};
	char path[PATH_MAX], type[32] = "";

	if (below_usb(sys_fd, sysdir) || is(devtype, "wwan_dev"))
		return;
	devprops_set(p, "ID_MM_CANDIDATE", "1");
	if (snprintf(path, sizeof(path), "%s/type", sysdir) < (int)sizeof(path) &&
	    read_small_at(sys_fd, path, type, sizeof(type)) > 0)
		type[strcspn(type, "\n")] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (is(type, types[i].type) || ends(name, types[i].type))
			devprops_set(p, types[i].prop, "1");
}

void clientprops_add(int sys_fd, const char *action, const char *sysdir, const char *name,
		     const char *subsystem, const char *devtype, struct devprops *p)
{
	if (action == NULL || sysdir == NULL || name == NULL || subsystem == NULL)
		return;
	if (is(action, "change") && is(subsystem, "sound") && starts(name, "card"))
		devprops_set(p, "SOUND_INITIALIZED", "1");
	if (!is(action, "add") && !is(action, "change") && !is(action, "move") &&
	    !is(action, "bind"))
		return;
	/* opening a bound, unconnected RFCOMM tty would connect it */
	if (starts(name, "rfcomm") && is_virtual(sys_fd, sysdir))
		return;
	if (is(subsystem, "tty") || is(subsystem, "net") ||
	    (is(subsystem, "usbmisc") && starts(name, "cdc-wdm")))
		devprops_set(p, "ID_MM_CANDIDATE", "1");
	else if (is(subsystem, "wwan"))
		wwan(sys_fd, sysdir, name, devtype, p);
}
