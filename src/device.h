/* A device as the rest of devmgr sees it: what an event (from netlink, a
 * sysfs scan or the hotplug helper's environment) says about one device
 * node, in the terms mdev decides by: name, numbers, block or char, and
 * what happened to it. Flags that belong to this one event travel here. */
#ifndef DEVMGR_DEVICE_H
#define DEVMGR_DEVICE_H

#include <stdbool.h>
#include <sys/types.h>

#include "uevent.h"

enum devop { DEVOP_ADD, DEVOP_REMOVE, DEVOP_MOVE, DEVOP_OTHER };

/* How an event is to be handled, besides what it says. */
struct devflags {
	bool rescan;		/* found by a scan of a running daemon: no
				 * command when the record knows the device */
	bool no_commands;	/* tried again: its commands ran the first time */
	bool returns;		/* a later event of the same batch adds it back:
				 * its node may stay (a storm of remove+add) */
};

struct device {
	struct uevent *ev;
	const char *devname;		/* relative to /dev */
	int major, minor;		/* -1: no node numbers */
	mode_t type;			/* S_IFCHR or S_IFBLK */
	enum devop op;
	const char *sysdir;		/* its sysfs directory, relative to the root;
					 * NULL: DEVPATH's */
	struct devflags flags;
	/* For a key the event lacks (a scan reads SUBSYSTEM only when
	 * something asks for it), or NULL. */
	const char *(*lazy_get)(void *arg, const char *key);
	void *lazy_arg;
};

enum devop devop_from_action(const char *action);
/* A device from a kernel-format event: the action, the node numbers from
 * MAJOR/MINOR (-1 without), DEVNAME or else the last DEVPATH component,
 * and block or char as mdev decides (the block subsystem, or /block/ in
 * the path). */
void device_from_uevent(struct device *dev, struct uevent *ev);
/* The device's sysfs directory relative to the sysfs root: its sysdir,
 * or DEVPATH's; NULL when it has neither. */
const char *device_sysdir(const struct device *dev);
/* KEY from the event, or through lazy_get; NULL when neither has it. */
const char *device_get(const struct device *dev, const char *key);
/* The kernel's ACTION as an op (a scan's devices are adds). */
enum devop device_action(const struct device *dev);
/* The device's numbers as a dev_t; 0:0 when it has none. */
dev_t device_rdev(const struct device *dev);
/* Whether a device is one udev gives persistent names (tty, input). */
bool device_may_have_links(const struct device *dev);

#endif
