/* Reading devices from sysfs: the /sys/dev/{char,block} enumeration for
 * coldplug, and one device's attributes for the hotplug helper. */
#ifndef DEVMGR_SYSFS_H
#define DEVMGR_SYSFS_H

#include <sys/types.h>

#include "handler.h"

struct sysfs {
	int fd;			/* the sysfs root */
	char *path;
};

int sysfs_open(struct sysfs *s, const char *path);
void sysfs_close(struct sysfs *s);

#define SYSFS_MAX_JOBS 16

/* Calls handle_device() with ACTION=add for every device under
 * dev/char and dev/block, in JOBS processes. Returns the number of
 * devices seen, -1 when neither directory can be read. */
long sysfs_coldplug(struct sysfs *s, struct handler *h, unsigned jobs);

/* "devmgr test PATH": PATH (under the sysfs root, or relative to it) as
 * an add event through handle_device() (a dry run). 0, or 1 when PATH
 * is no device (logged). */
int sysfs_test(struct sysfs *s, struct handler *h, const char *path);

/* Calls FN with the modalias of every device on a bus
 * (bus/<bus>/devices/<dev>/modalias): what a coldplug loads modules
 * for. The number of aliases. */
long sysfs_modaliases(struct sysfs *s, void (*fn)(void *arg, const char *alias), void *arg);

/* "MAJ:MIN" from DEVPATH/dev; 0, or -1 when there is none. */
int sysfs_read_devnum(struct sysfs *s, const char *devpath, int *major, int *minor);
/* Adds the keys of DEVPATH/uevent to ev. */
int sysfs_read_uevent(struct sysfs *s, const char *devpath, struct uevent *ev);

#endif
