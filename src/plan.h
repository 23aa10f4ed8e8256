/* Deciding, without doing: from a device, the rules, the policy and what
 * is recorded of it, the list of typed steps its event calls for, each
 * with the rule line that asked for it. Nothing here touches a file:
 * the executor (execute.c) carries a plan out, the dry run (explain.c)
 * prints it, and nothing else reads what a rule does. */
#ifndef DEVMGR_PLAN_H
#define DEVMGR_PLAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "device.h"
#include "nodedb.h"
#include "policy.h"
#include "rules.h"

enum plan_kind {
	PLAN_MATCH,		/* a rule line matched (what it asks follows) */
	PLAN_NODE,		/* make the node, or fix its owner and mode */
	PLAN_LINK,		/* a symlink to the node: ">" or "root" */
	PLAN_IDLINKS,		/* udev's persistent names for the node */
	PLAN_COMMAND,		/* sh -c cmd in the dev root, MDEV=node */
	PLAN_REMOVE,		/* the node, its ">" link and persistent names */
	PLAN_FORGET,		/* a node the record lists, which the rules no
				 * longer name: it and its link go */
	PLAN_FIRMWARE,		/* serve the kernel's firmware request */
	PLAN_MODULES,		/* load the drivers for MODALIAS */
	PLAN_CARD_READY,	/* a sound card's control device is there: the
				 * card's "change" (node: its uevent, relative
				 * to the device's sysfs directory) */
};

/* What a step needs of the node step of its rule. */
enum plan_need { NEED_NOTHING, NEED_MADE, NEED_NOT_FAILED };

struct plan_step {
	enum plan_kind kind;
	unsigned line;		/* in the rule file; 0: the default rule, the
				 * record, or the event itself */
	char *node;		/* relative to the dev root (FIRMWARE: the file,
				 * MODULES: the alias) */
	char *link;		/* LINK: the link; NODE, REMOVE, FORGET: the
				 * rule's ">" link, or NULL */
	char *cmd;		/* COMMAND */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	bool named;		/* NODE: the rule spells out this device */
	bool more;		/* MATCH: a "-" rule, matching goes on */
	bool nonode;		/* MATCH: a "!" rule matched, here or before */
	bool root;		/* NODE: it is the root file system's */
	bool idlinks;		/* REMOVE, FORGET: persistent names go too */
	bool keep_record;	/* FORGET: the record holds the new name (a move) */
	enum plan_need need;
	int node_step;		/* the node step NEED refers to; -1: none */
	int result;		/* the executor's: 0 done, 1 left alone or
				 * held back, -1 failed; 2 not run */
};

struct plan {
	struct plan_step *v;
	unsigned n, cap;
	bool skip;		/* the policy leaves the device alone */
	bool outside;		/* the policy allows it a node only */
	bool nonode;		/* a "!" rule: published without a node */
	bool adds;		/* its nodes are made (add, move) */
	bool publish;		/* clients hear of it when all went well */
	bool commands;		/* it runs commands: it outlives a batch */
	/* The node an event that makes none is published with (remove,
	 * change): the last matching rule's, or the record's. */
	char *node, *link;
	unsigned matched;	/* rule lines that matched */
};

/* What the plan is made from, besides the device. */
struct plan_input {
	const struct ruleset *rules;
	const struct policy *policy;	/* NULL: every device */
	const struct nodedb *record;	/* what the daemon made; NULL: none kept */
	int root_major, root_minor;	/* device of "/"; -1: none */
	bool links;			/* udev's by-id and by-path names */
	bool modules;			/* drivers are loaded for MODALIAS */
	bool firmware;			/* firmware requests are served */
};

/* The plan for DEV's event. */
void plan_event(struct plan *p, const struct plan_input *in, const struct device *dev);
/* The plan for a recorded device that is gone without an event (found by
 * a rescan): its node and link go. */
void plan_gone(struct plan *p, const struct plan_input *in, const struct nodedb_entry *e);
void plan_free(struct plan *p);
/* The name the event is published with: for an add, the last node that
 * was made (as the executor reports); else the plan's. NULL: none. */
const char *plan_node(const struct plan *p, const char **link, bool *root);

#endif
