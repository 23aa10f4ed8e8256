/* Doing what a plan says: nodes, links and removals through the dev root
 * (devnode.c), firmware and drivers; the rule commands are handed back to
 * the caller, which runs them (at once, or as the daemon's jobs). The
 * record of what was made is kept as each change is made: a daemon
 * killed in between knows of a node that may not be there, never of one
 * it made and forgot. */
#ifndef DEVMGR_EXECUTE_H
#define DEVMGR_EXECUTE_H

#include <stdbool.h>

#include "bylinks.h"
#include "plan.h"

struct devroot;
struct fsprobe;
struct modules;
struct record;

struct executor {
	struct devroot *dev;
	int sys_fd;			/* sysfs: persistent names, firmware */
	int fw_fd;			/* the firmware directory; -1: none */
	struct modules *mods;		/* drivers; NULL: none loaded */
	struct record *record;		/* what was made; NULL: none kept */
	struct fsprobe *disks;		/* what is on block devices; NULL: not asked */
	unsigned long nodes;		/* nodes made or fixed */
};

/* What carrying out one plan has given so far. */
struct outcome {
	int rc;				/* -1: a step failed (logged) */
	bool faulted;			/* /dev refused a change for now */
	bool ran_commands;		/* a command step was handed out */
	bool held;			/* a node removal is held back (devnode_defer) */
	struct devprops *props;		/* ID_* and the persistent names made */
	unsigned next;			/* the plan's next step */
};

/* Carries out P's steps from o->next on, up to and including the next
 * command step, which it returns for the caller to run; NULL when the
 * plan is done. A step whose rule's node was not made is passed over. */
struct plan_step *execute(struct executor *x, struct plan *p, const struct device *dev,
			  struct outcome *o);
void outcome_free(struct outcome *o);

/* udev's persistent names for a device, into NAMES, worked out from
 * sysfs (the ID_* they come from go into PROPS when it has none yet)
 * and from what a probe FOUND on a disk (NULL: nothing); how many. Read
 * only: the dry run uses it too. */
int execute_idnames(int sys_fd, const struct device *dev, struct devprops *props,
		    const struct devprops *found, char names[][BYLINKS_NAME]);

#endif
