/* What is on a block device: filesystem type, UUID and label, partition
 * table and entry (udev's blkid builtin, with libblkid), for the
 * ID_FS_* and ID_PART_* properties and the disk/by-uuid, by-label,
 * by-partuuid and by-partlabel names.
 *
 * Reading a device is I/O that may never end (a dead disk, a network
 * block device whose server is gone): the probe runs in a child the
 * caller waits for no longer than the time limit. A child still stuck
 * after it is killed (reads in the block layer wait uninterruptibly) is
 * kept in a short list and reaped later; its device is not probed again
 * while it is there, so that a hung device costs one time limit, not
 * one per event. */
#ifndef DEVMGR_FSPROBE_H
#define DEVMGR_FSPROBE_H

#include <stdbool.h>
#include <sys/types.h>

#include "devprops.h"

#define FSPROBE_STUCK_MAX 8

struct fsprobe {
	unsigned timeout_ms;		/* 0: never probe */
	unsigned nstuck;
	struct fsprobe_stuck {
		pid_t pid;
		dev_t rdev;
	} stuck[FSPROBE_STUCK_MAX];
	unsigned long probed, timeouts;
};

void fsprobe_init(struct fsprobe *f, unsigned timeout_ms);

/* Probes NODE (relative to DEV_FD; a block device with numbers RDEV,
 * else nothing is read) and adds what it finds to P. 1: something was
 * found; 0: nothing there (or the device is empty); -1: not probed or
 * not answered in time (logged). */
int fsprobe_device(struct fsprobe *f, int dev_fd, const char *node, dev_t rdev,
		   struct devprops *p);

/* The properties libblkid's NAME=VALUE pair stands for, as udev's blkid
 * builtin names and encodes them, added to P. Pure: the unit tests and
 * the parent side of a probe use it. */
void fsprobe_map(const char *name, const char *value, struct devprops *p);

/* Reaps children stuck past their time that have ended since; how many
 * are still stuck. */
unsigned fsprobe_reap(struct fsprobe *f);

/* Kills and reaps them all, waiting at most WAIT_MS (a daemon that
 * stops leaves none behind unless the kernel holds them). */
void fsprobe_stop(struct fsprobe *f, unsigned wait_ms);

#endif
