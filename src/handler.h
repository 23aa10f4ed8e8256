/* What one event does to /dev: match the rules, then create, fix or
 * remove nodes and symlinks, exactly in busybox mdev's order. Shared by
 * coldplug (-s), the hotplug helper and (later) the daemon. */
#ifndef DEVMGR_HANDLER_H
#define DEVMGR_HANDLER_H

#include <sys/types.h>

#include "bylinks.h"
#include "devnode.h"
#include "rules.h"
#include "uevent.h"

#include "nodedb.h"
#include "policy.h"

#include "publish.h"

enum devop { DEVOP_ADD, DEVOP_REMOVE, DEVOP_MOVE, DEVOP_OTHER };

struct handler {
	const struct ruleset *rules;
	struct devroot *dev;
	int root_major, root_minor;	/* device of "/", gets a "root" link; -1: none */
	struct nodedb *db;		/* the daemon's record of what it made, or NULL */
	struct publisher *pub;		/* told after each device, or NULL */
	struct policy *policy;		/* which devices this container may use */
	unsigned cmd_timeout;		/* seconds a rule's command may run; 0: no limit */
	int sys_fd;			/* sysfs root, for persistent names */
	bool links;			/* make udev's by-id and by-path names */
	bool rescan;			/* a resync: no command for known devices */
	bool no_commands;		/* an event tried again: its commands ran */
	bool dry_run;			/* -n, "test": say what would be done, do nothing */
	/* Serves a firmware request (FIRMWARE=name on an add), or NULL. */
	void (*firmware)(void *arg, const char *devpath, const char *name);
	void *firmware_arg;
	/* Loads the modules for a MODALIAS on an add, or NULL. */
	void (*modalias)(void *arg, const char *modalias);
	void *modalias_arg;
	/* Told after each event (not one the policy skips) whether a change
	 * to /dev failed for now (faulted: unpublished, to be tried again)
	 * and whether its commands ran, or NULL. */
	void (*done)(void *arg, const struct device *dev, bool faulted, bool ran_commands);
	void *done_arg;
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
struct match_result;
/* The node name a matching rule gives (its =, > target, or DEVNAME). */
char *handler_node_name(const struct device *dev, const struct match_result *m);
/* The device's sysfs directory relative to the sysfs root: its sysdir,
 * or DEVPATH's; NULL when it has neither. */
const char *device_sysdir(const struct device *dev);
/* Whether rule R's command runs for this event: busybox's test on the
 * kernel's ACTION (@ add, $ remove, * any). */
bool handler_command_due(const struct rule *r, const struct device *dev);
/* udev's persistent names for the device, into NAMES (the ID_* they are
 * built from go into P, read from sysfs when P has none yet); how many. */
int handler_persistent_names(struct handler *h, const struct device *dev, struct devprops *p,
			     char names[][BYLINKS_NAME]);
/* Whether a device is one udev gives persistent names (tty, input). */
bool may_have_links(const struct device *dev);
extern const char *const persistent_dirs[4];

/* Everything an event does, commands included (they are waited for).
 * 0, or -1 when something failed (already logged). */
int handle_device(struct handler *h, const struct device *dev);

/* One thing left to do for an event: 'c' run command A with MDEV=B, 'r'
 * remove node A (and link B), 'f' forget a recorded node A (link B). */
struct step {
	char kind;
	char *a, *b;
};

#define HANDLER_STEPS 16

/* An event whose node work is done and whose commands are still to run:
 * the daemon runs them without waiting, one after another. */
struct pending {
	struct device dev;
	struct outcome o;
	struct step steps[HANDLER_STEPS];
	unsigned nsteps, next;
	bool skip, outside, firmware;
	bool faulted;			/* /dev refused a change for now */
	bool ran_commands;		/* a command step was started */
	int rc;
	char *own_devname;
	struct uevent *ev;		/* the event's copy, when it outlives the caller's */
};

/* Does the node work. NULL when that was all (the event is done and
 * published); else what is left: handler_next_command() until NULL, each
 * command run to its end, then handler_end() and handler_free(). */
struct pending *handler_begin(struct handler *h, const struct device *dev);
/* Carries out the steps up to the next command, and returns it. */
const struct step *handler_next_command(struct handler *h, struct pending *p);
/* Firmware, then publishing. Returns the event's result. */
int handler_end(struct handler *h, struct pending *p);
void handler_free(struct pending *p);
/* Removes what was made for a device that is gone without an event
 * (found by a resync): its node, its link, emptied directories. */
void handler_forget(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link);
/* handler_forget(), and its udev database entry goes too. */
void handler_gone(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link);

#endif
