#define _GNU_SOURCE
#include "explain.h"
#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *action_of(const struct device *dev)
{
	const char *a = dev->ev ? uevent_get(dev->ev, "ACTION") : NULL;

	return a ? a : "add";
}

static void header(const struct handler *h, const struct device *dev)
{
	const char *devpath = dev->ev ? uevent_get(dev->ev, "DEVPATH") : NULL;
	const char *sub = dev->ev ? uevent_get(dev->ev, "SUBSYSTEM") : NULL;

	if (sub == NULL && dev->lazy_get)
		sub = dev->lazy_get(dev->lazy_arg, "SUBSYSTEM");
	printf("%s", dev->devname);
	if (dev->major >= 0)
		printf(" (%s %d:%d)", S_ISBLK(dev->type) ? "block" : "char", dev->major, dev->minor);
	printf(" %s", action_of(dev));
	if (sub)
		printf(" SUBSYSTEM=%s", sub);
	if (devpath)
		printf(" DEVPATH=%s", devpath);
	printf("\n");
	(void)h;
}

/* udev's names for the device, worked out read-only. */
static void links(struct handler *h, const struct device *dev, const char *node)
{
	char names[BYLINKS_MAX][BYLINKS_NAME];
	struct devprops *p;

	if (!h->links || !may_have_links(dev))
		return;
	p = xmalloc(sizeof(*p));
	devprops_init(p);
	int n = handler_persistent_names(h, dev, p, names);
	for (int i = 0; i < n; i++)
		printf("    link     %s/%s -> %s (persistent name)\n", h->dev->path, names[i], node);
	free(p);
}

int explain_device(struct handler *h, const struct device *dev)
{
	const struct match_input in = {
		.devname = dev->devname, .major = dev->major, .minor = dev->minor, .ev = dev->ev,
		.lazy_get = dev->lazy_get, .lazy_arg = dev->lazy_arg,
	};
	struct match_input cur = in;
	struct match_result m;
	size_t pos = 0;
	bool nonode = false, any = false;

	header(h, dev);
	if (h->policy && !policy_allows(h->policy, dev->type, dev->major, dev->minor)) {
		printf("  not allowed by %s: %s\n\n", h->policy->origin ? h->policy->origin : "the policy",
		       h->policy->node_only ? "a node only, no command, no event" : "left alone");
		if (!h->policy->node_only)
			return 0;
	}
	while (rules_next_match(h->rules, &pos, &cur, &m)) {
		const struct rule *r = m.rule;
		char *node = handler_node_name(dev, &m);
		any = true;
		if (r->line)
			printf("  %s:%u%s\n", h->rules->path, r->line,
			       r->keep_matching ? " (\"-\": matching goes on)" : "");
		else
			printf("  no rule line matched: the default, root:root 0660\n");
		if (r->move == '!') {
			nonode = true;
			cur.major = cur.minor = -1;
		}
		if (nonode)
			printf("    no node (\"!\")\n");
		else if (dev->major >= 0 && strcmp(action_of(dev), "add") == 0)
			printf("    node     %s/%s %s %d:%d owner %u:%u mode %04o\n", h->dev->path, node,
			       S_ISBLK(dev->type) ? "block" : "char", dev->major, dev->minor,
			       (unsigned)r->uid, (unsigned)r->gid, (unsigned)r->mode);
		else if (dev->major >= 0 && strcmp(action_of(dev), "remove") == 0)
			printf("    remove   %s/%s\n", h->dev->path, node);
		if (!nonode && r->move == '>')
			printf("    link     %s/%s -> %s\n", h->dev->path, dev->devname, node);
		if (!nonode && dev->major >= 0 && dev->major == h->root_major &&
		    dev->minor == h->root_minor)
			printf("    link     %s/root -> %s\n", h->dev->path, node);
		if (!nonode && dev->major >= 0 && strcmp(action_of(dev), "add") == 0)
			links(h, dev, node);
		if (handler_command_due(r, dev))
			printf("    command  %s  (sh -c, in %s, MDEV=%s)\n", r->cmd, h->dev->path, node);
		free(node);
		if (!r->keep_matching)
			break;
	}
	if (!any)
		printf("  no rule matched\n");
	printf("\n");
	return 0;
}
