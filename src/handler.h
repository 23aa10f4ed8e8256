/* What one event does to /dev: match the rules, then create, fix or
 * remove nodes and symlinks, exactly in busybox mdev's order. Shared by
 * coldplug (-s), the hotplug helper and (later) the daemon. */
#ifndef DEVMGR_HANDLER_H
#define DEVMGR_HANDLER_H

#include <sys/types.h>

#include "devnode.h"
#include "rules.h"
#include "uevent.h"

#include "nodedb.h"
#include "policy.h"

struct publisher;
struct outcome;

enum devop { DEVOP_ADD, DEVOP_REMOVE, DEVOP_MOVE, DEVOP_OTHER };

struct handler {
	const struct ruleset *rules;
	struct devroot *dev;
	int root_major, root_minor;	/* device of "/", gets a "root" link; -1: none */
	struct nodedb *db;		/* the daemon's record of what it made, or NULL */
	struct publisher *pub;		/* told after each device, or NULL */
	struct policy *policy;		/* which devices this container may use */
	unsigned long outside;		/* devices left alone by the policy */
	unsigned long nodes, failures;
	unsigned long scan_errors;	/* devices or directories sysfs would not give */
};

/* A device as the rules see it. */
struct device {
	struct uevent *ev;
	const char *devname;		/* relative to /dev */
	int major, minor;		/* -1: no node numbers */
	mode_t type;			/* S_IFCHR or S_IFBLK */
	enum devop op;
	const char *sysdir;		/* its sysfs directory, relative to the root;
					 * NULL: DEVPATH's */
	const char *(*lazy_get)(void *arg, const char *key);	/* see match_input */
	void *lazy_arg;
};

enum devop devop_from_action(const char *action);
/* A device from a kernel-format event: the action, the node numbers from
 * MAJOR/MINOR (-1 without), DEVNAME or else the last DEVPATH component,
 * and block or char as mdev decides (the block subsystem, or /block/ in
 * the path). */
void device_from_uevent(struct device *dev, struct uevent *ev);
/* 0, or -1 when something failed (already logged). */
int handle_device(struct handler *h, const struct device *dev);
/* Removes what was made for a device that is gone without an event
 * (found by a resync): its node, its link, emptied directories. */
void handler_forget(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link);
/* handler_forget(), and its udev database entry goes too. */
void handler_gone(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link);

#endif
