/* Fake sysfs trees for the unit tests of what reads sysfs (devid,
 * bylinks): directories, attributes and relative symlinks under the
 * directory named in top, which the test fills in (mkdtemp). */
#ifndef DEVMGR_FAKESYS_H
#define DEVMGR_FAKESYS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[64];

/* ---- Building the tree -------------------------------------------- */

static void mkdirs(const char *rel)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	for (char *s = path + strlen(top) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	mkdir(path, 0755);
}

static void parent_dirs(const char *rel)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s", rel);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdirs(dir);
	}
}

static void putn(const char *rel, const void *data, size_t n)
{
	char path[1200];
	FILE *f;

	parent_dirs(rel);
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* DIR/NAME with the text FMT makes. */
static void put(const char *dir, const char *name, const char *fmt, ...)
{
	char rel[1024], text[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	putn(rel, text, strlen(text));
}

static void ln(const char *rel, const char *target)
{
	char path[1200];

	parent_dirs(rel);
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if (symlink(target, path) < 0) {
		printf("Bail out! symlink %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* DIR/NAME -> TARGET given from the root, made relative as sysfs's. */
static void uplink(const char *dir, const char *name, const char *target)
{
	char rel[1024], to[1024] = "";

	mkdirs(target);
	for (const char *s = dir; s; s = strchr(s + 1, '/'))
		strcat(to, "../");
	strcat(to, target);
	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	ln(rel, to);
}

/* A device directory: its uevent, its subsystem link, its driver link
 * (DRIVER NULL: none). */
static void device(const char *dir, const char *subsystem, const char *driver, const char *uevent)
{
	char target[256];

	mkdirs(dir);
	put(dir, "uevent", "%s", uevent);
	if (subsystem)
		uplink(dir, "subsystem", subsystem);
	if (driver) {
		snprintf(target, sizeof(target), "%s/drivers/%s", subsystem, driver);
		uplink(dir, "driver", target);
	}
}

#endif
