#define _GNU_SOURCE
#include "explain.h"
#include "execute.h"
#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

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
	int n = execute_idnames(sys_fd, dev, p, NULL, names);
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
	case PLAN_CARD_READY:
		printf("  card     \"change\" to the sound card (%s): set up\n", s->node);
		break;
	}
}

/* Who can open the node once it is there: the layers beyond the policy
 * (the kernel's answer, the mount, the node's owner and mode). */
static void usable(const struct plan_step *node, const struct device *dev, const char *dev_path,
		   const struct policy *policy)
{
	const struct probe_answer *a = policy ? policy_answer(policy, dev->type, dev->major,
							      dev->minor) : NULL;
	struct statvfs fs;

	if (a)
		printf("  use      the device cgroup lets this container %s it (the kernel was "
		       "asked)\n", a->read == 0 && a->write == 0 ? "read and write" :
		       a->read == 0 ? "only read" : "only write");
	if (statvfs(dev_path, &fs) == 0 && (fs.f_flag & ST_NODEV))
		printf("  use      %s is mounted nodev: no device node there can be opened; "
		       "mount it without nodev\n", dev_path);
	if ((node->mode & 0006) == 0)
		printf("  use      mode %04o: only uid %u and group %u can open it; run the app "
		       "as one of them (docker run --user, --group-add %u)\n", (unsigned)node->mode,
		       (unsigned)node->uid, (unsigned)node->gid, (unsigned)node->gid);
}

void explain_plan(const struct plan *plan, const struct device *dev, const char *rules,
		  const char *dev_path, int sys_fd, const struct policy *policy)
{
	const struct plan_step *node = NULL;

	header(dev);
	if (plan->outside) {
		char why[768] = "not allowed by the policy";
		if (policy)
			policy_why(policy, dev->type, dev->major, dev->minor, why, sizeof(why));
		printf("  refused  %s\n  %s\n\n", why,
		       plan->skip ? "left alone" : policy && policy->node_only ?
		       "a node only, no command, no event" :
		       "the node made while it was allowed goes");
	}
	if (plan->skip)
		return;
	for (unsigned i = 0; i < plan->n; i++) {
		step(&plan->v[i], dev, rules, dev_path, sys_fd);
		if (plan->v[i].kind == PLAN_NODE)
			node = &plan->v[i];
	}
	if (plan->matched == 0)
		printf("  no rule matched\n");
	if (node && !plan->outside && dev->op == DEVOP_ADD)
		usable(node, dev, dev_path, policy);
	printf("\n");
}
