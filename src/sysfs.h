/* Reading devices from sysfs: the /sys/dev/{char,block} enumeration for
 * coldplug, and one device's attributes for the hotplug helper. */
#ifndef DEVMGR_SYSFS_H
#define DEVMGR_SYSFS_H

#include <sys/types.h>

#include "device.h"

struct sysfs {
	int fd;			/* the sysfs root */
	char *path;
};

int sysfs_open(struct sysfs *s, const char *path);
void sysfs_close(struct sysfs *s);

/* Told of each device a scan finds, with its place in the scan's order
 * (the same whichever worker finds it). */
typedef void sysfs_fn(void *arg, struct device *dev, unsigned long index);

struct sysfs_scan {
	unsigned worker, workers;	/* this one takes every WORKERS-th device,
					 * from the WORKER-th on; 0 workers: one */
	unsigned long errors;		/* devices or directories sysfs would not give */
};

/* Every device under dev/char and dev/block (or, when those are hidden,
 * under class and bus) as an ACTION=add event, to FN. The number of
 * devices handed over; -1 when neither directory can be read. */
long sysfs_scan(struct sysfs *s, struct sysfs_scan *sc, sysfs_fn *fn, void *arg);

/* "devmgr test PATH": the device at PATH (under the sysfs root, or
 * relative to it) as an add event, to FN. 0, or 1 when PATH is no device
 * (logged). */
int sysfs_device(struct sysfs *s, const char *path, sysfs_fn *fn, void *arg);

/* Calls FN with the modalias of every device on a bus
 * (bus/<bus>/devices/<dev>/modalias): what a coldplug loads modules
 * for. The number of aliases. */
long sysfs_modaliases(struct sysfs *s, void (*fn)(void *arg, const char *alias), void *arg);

/* SYSDIR (relative to the sysfs root SYS_FD) with every symlink in it
 * (dev/char/M:m, class/tty/x) replaced by its target, into OUT (SIZE
 * bytes): "devices/...", so that each ancestor is a prefix of it. Links
 * are read relative to SYS_FD; an absolute one, or ".." above the root,
 * is refused (-1): nothing outside the sysfs root is looked at. A path
 * below devices/ costs no system call (the kernel's device tree has no
 * links in it). */
int sysfs_resolve(int sys_fd, const char *sysdir, char *out, size_t size);

/* "MAJ:MIN" from DEVPATH/dev; 0, or -1 when there is none. */
int sysfs_read_devnum(struct sysfs *s, const char *devpath, int *major, int *minor);
/* Adds the keys of DEVPATH/uevent to ev. */
int sysfs_read_uevent(struct sysfs *s, const char *devpath, struct uevent *ev);

#endif
