#define _GNU_SOURCE
#include "explain.h"
#include "execute.h"
#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void header(const struct device *dev)
{
	const char *devpath = dev->ev ? uevent_get(dev->ev, "DEVPATH") : NULL;
	const char *action = dev->ev ? uevent_get(dev->ev, "ACTION") : NULL;
	const char *sub = device_get(dev, "SUBSYSTEM");

	printf("%s", dev->devname);
	if (dev->major >= 0)
		printf(" (%s %d:%d)", S_ISBLK(dev->type) ? "block" : "char", dev->major, dev->minor);
	printf(" %s", action ? action : "add");
	if (sub)
		printf(" SUBSYSTEM=%s", sub);
	if (devpath)
		printf(" DEVPATH=%s", devpath);
	printf("\n");
}

/* udev's names for the device, worked out read-only. */
static void idlinks(const struct device *dev, int sys_fd, const char *dev_path, const char *node)
{
	char names[BYLINKS_MAX][BYLINKS_NAME];
	struct devprops *p = xmalloc(sizeof(*p));

	devprops_init(p);
	int n = execute_idnames(sys_fd, dev, p, names);
	for (int i = 0; i < n; i++)
		printf("    link     %s/%s -> %s (persistent name)\n", dev_path, names[i], node);
	free(p);
}

static void step(const struct plan_step *s, const struct device *dev, const char *rules,
		 const char *dev_path, int sys_fd)
{
	switch (s->kind) {
	case PLAN_MATCH:
		if (s->line)
			printf("  %s:%u%s\n", rules, s->line,
			       s->more ? " (\"-\": matching goes on)" : "");
		else
			printf("  no rule line matched: the default, root:root 0660\n");
		if (s->nonode)
			printf("    no node (\"!\")\n");
		break;
	case PLAN_NODE:
		printf("    node     %s/%s %s %d:%d owner %u:%u mode %04o\n", dev_path, s->node,
		       S_ISBLK(dev->type) ? "block" : "char", dev->major, dev->minor,
		       (unsigned)s->uid, (unsigned)s->gid, (unsigned)s->mode);
		break;
	case PLAN_LINK:
		printf("    link     %s/%s -> %s\n", dev_path, s->link, s->node);
		break;
	case PLAN_IDLINKS:
		idlinks(dev, sys_fd, dev_path, s->node);
		break;
	case PLAN_COMMAND:
		printf("    command  %s  (sh -c, in %s, MDEV=%s)\n", s->cmd, dev_path, s->node);
		break;
	case PLAN_REMOVE:
		if (dev->major >= 0)
			printf("    remove   %s/%s\n", dev_path, s->node);
		break;
	case PLAN_FORGET:
		printf("    remove   %s/%s (what devmgr made for it before)\n", dev_path, s->node);
		break;
	case PLAN_FIRMWARE:
		printf("  firmware %s\n", s->node);
		break;
	case PLAN_MODULES:
		printf("  drivers  for %s\n", s->node);
		break;
	}
}

void explain_plan(const struct plan *plan, const struct device *dev, const char *rules,
		  const char *dev_path, int sys_fd, const struct policy *policy)
{
	header(dev);
	if (plan->outside)
		printf("  not allowed by %s: %s\n\n", policy && policy->origin ? policy->origin :
		       "the policy", plan->skip ? "left alone" : "a node only, no command, no event");
	if (plan->skip)
		return;
	for (unsigned i = 0; i < plan->n; i++)
		step(&plan->v[i], dev, rules, dev_path, sys_fd);
	if (plan->matched == 0)
		printf("  no rule matched\n");
	printf("\n");
}
