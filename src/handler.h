/* One event, start to end: plan it (plan.c), carry the plan out
 * (execute.c), hand its commands to whoever runs them, then tell the
 * publisher. Coldplug (-s), the hotplug helper and the daemon's jobs all
 * come through here. */
#ifndef DEVMGR_HANDLER_H
#define DEVMGR_HANDLER_H

#include <stdbool.h>
#include <sys/types.h>

#include "device.h"
#include "execute.h"
#include "plan.h"

struct publisher;
struct policy;

struct handler {
	struct plan_input in;		/* rules, policy, record, "root", names */
	struct executor x;		/* /dev, sysfs, firmware, drivers, record */
	struct policy *policy;		/* as in.policy: skipped devices are logged */
	struct publisher *pub;		/* told after each device, or NULL */
	unsigned cmd_timeout;		/* seconds a rule's command may run; 0: no limit */
	bool dry_run;			/* -n, "test": print the plan, do nothing */
	/* Told after each event (not one the policy skips) how it went:
	 * whether a change to /dev failed for now (faulted: unpublished, to
	 * be tried again), whether its commands ran, whether its node's
	 * removal is held back; or NULL. */
	void (*done)(void *arg, const struct device *dev, const struct outcome *o);
	void *done_arg;
	unsigned long outside, failures;
	unsigned long scan_errors;	/* devices or directories sysfs would not give */
};

/* An event whose plan is under way: the daemon runs its commands without
 * waiting, one after another. */
struct pending {
	struct device dev;
	struct plan plan;
	struct outcome o;
	struct uevent *ev;		/* the event's copy, when it outlives the caller's */
	char *own_devname, *own_sysdir;
};

/* Everything an event does, commands included (they are waited for).
 * 0, or -1 when something failed (already logged). */
int handle_device(struct handler *h, const struct device *dev);

/* Plans the event and carries out its steps up to the first command.
 * NULL when that was all (the event is done and published); else what is
 * left: handler_next_command() until NULL, each command run to its end,
 * then handler_end() and handler_free(). */
struct pending *handler_begin(struct handler *h, const struct device *dev);
/* Carries out the steps up to the next command, and returns it. */
const struct plan_step *handler_next_command(struct handler *h, struct pending *p);
/* Publishing, and the daemon told. Returns the event's result. */
int handler_end(struct handler *h, struct pending *p);
void handler_free(struct pending *p);
/* A device that must outlive the caller's event (it waits its turn):
 * handler_begin() on its dev later, then handler_free(). */
struct pending *handler_hold(const struct device *dev);
/* A recorded device found gone by a rescan, without an event: its node,
 * its link, emptied directories and its udev database entry go. */
void handler_gone(struct handler *h, const struct nodedb_entry *e, bool keep_link);

#endif
