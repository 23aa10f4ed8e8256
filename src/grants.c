#define _GNU_SOURCE
#include "grants.h"
#include "fileio.h"
#include "log.h"
#include "plan.h"
#include "sysfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One node the rules give a device of this host. */
struct grant {
	char *node;		/* relative to the dev root */
	char type;		/* 'c' or 'b' */
	int major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	unsigned line;		/* of the rule that made it */
};

struct grants {
	struct handler *h;
	struct grant *v;
	size_t n, cap;
};

/* The nodes of the device's plan that a rule line spells out (the
 * default rule's are every device's: granting them is granting all). */
static void take(void *arg, struct device *dev, unsigned long index)
{
	struct grants *g = arg;
	struct plan plan;

	(void)index;
	if (dev->major < 0)
		return;
	if (g->h->policy)
		policy_learn(g->h->policy, dev->type, dev->major, dev->minor, false);
	plan_event(&plan, &g->h->in, dev);
	for (unsigned i = 0; !plan.skip && !plan.outside && i < plan.n; i++) {
		const struct plan_step *s = &plan.v[i];
		if (s->kind != PLAN_NODE || s->line == 0)
			continue;
		if (g->n == g->cap) {
			g->cap = g->cap ? 2 * g->cap : 64;
			g->v = realloc(g->v, g->cap * sizeof(*g->v));
			if (g->v == NULL)
				die("out of memory");
		}
		g->v[g->n++] = (struct grant){ .node = xstrdup(s->node),
			.type = S_ISBLK(dev->type) ? 'b' : 'c', .major = dev->major,
			.minor = dev->minor, .mode = s->mode, .uid = s->uid, .gid = s->gid,
			.line = s->line };
	}
	plan_free(&plan);
}

static int by_node(const void *a, const void *b)
{
	return strcmp(((const struct grant *)a)->node, ((const struct grant *)b)->node);
}

/* The first grant of these numbers: an engine rule per device, not per
 * name. */
static bool first_of(const struct grants *g, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (g->v[j].type == g->v[i].type && g->v[j].major == g->v[i].major &&
		    g->v[j].minor == g->v[i].minor)
			return false;
	return true;
}

static void engine_lines(const struct grants *g, const char *rules, bool lxc)
{
	printf("# %s: the devices %s gives nodes on this host, each alone\n",
	       lxc ? "LXC (cgroup v2), in the container's config" :
	       "Docker and Podman, flags of run/create", rules);
	for (size_t i = 0; i < g->n; i++) {
		const struct grant *d = &g->v[i];
		if (!first_of(g, i))
			continue;
		/* the comment on a line of its own: a flag pasted into a
		 * command line must not take a "#" along */
		printf("# /dev/%s (line %u)\n", d->node, d->line);
		if (lxc)
			printf("lxc.cgroup2.devices.allow = %c %d:%d rwm\n", d->type, d->major,
			       d->minor);
		else
			printf("--device-cgroup-rule '%c %d:%d rwm'\n", d->type, d->major, d->minor);
	}
}

/* A CDI device name: the node's path with "/" as "-"; CDI allows
 * letters, digits, "-", "_" and "." only. */
static void cdi_name(const char *node, char *out, size_t len)
{
	size_t k = 0;

	for (const char *c = node; *c && k + 1 < len; c++)
		out[k++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			   (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' ? *c : '-';
	out[k] = '\0';
}

/* The container-device-interface spec that Podman, containerd and CRI-O
 * read from /etc/cdi: "--device devmgr.local/device=NAME". Node paths are
 * made of the rule's names, which devmgr keeps to safe characters. */
static void cdi_spec(const struct grants *g)
{
	char name[256];

	printf("{\n  \"cdiVersion\": \"0.5.0\",\n  \"kind\": \"devmgr.local/device\",\n"
	       "  \"devices\": [");
	for (size_t i = 0; i < g->n; i++) {
		const struct grant *d = &g->v[i];
		cdi_name(d->node, name, sizeof(name));
		printf("%s\n    {\n      \"name\": \"%s\",\n      \"containerEdits\": {\n"
		       "        \"deviceNodes\": [{ \"path\": \"/dev/%s\", \"type\": \"%c\", "
		       "\"major\": %d, \"minor\": %d, \"fileMode\": %u, \"permissions\": \"rw\", "
		       "\"uid\": %u, \"gid\": %u }]\n      }\n    }", i ? "," : "", name, d->node,
		       d->type, d->major, d->minor, (unsigned)(d->mode & 07777), (unsigned)d->uid,
		       (unsigned)d->gid);
	}
	printf("\n  ]\n}\n");
}

int grants_print(struct handler *h, struct sysfs *sys, const char *rules, const char *format)
{
	struct grants g = { .h = h };
	struct sysfs_scan sc = { 0 };

	if (strcmp(format, "all") && strcmp(format, "docker") && strcmp(format, "podman") &&
	    strcmp(format, "lxc") && strcmp(format, "cdi")) {
		log_err("devmgr grants: unknown format '%s' (docker, podman, lxc or cdi)", format);
		return 2;
	}
	if (sysfs_scan(sys, &sc, take, &g) < 0)
		return 1;
	if (g.n)
		qsort(g.v, g.n, sizeof(*g.v), by_node);
	if (strcmp(format, "lxc") && strcmp(format, "cdi"))
		engine_lines(&g, rules, false);
	if (strcmp(format, "all") == 0)
		printf("\n");
	if (!strcmp(format, "all") || !strcmp(format, "lxc"))
		engine_lines(&g, rules, true);
	if (strcmp(format, "all") == 0)
		printf("\n# CDI, as /etc/cdi/devmgr.json:\n");
	if (!strcmp(format, "all") || !strcmp(format, "cdi"))
		cdi_spec(&g);
	for (size_t i = 0; i < g.n; i++)
		free(g.v[i].node);
	free(g.v);
	return sc.errors ? 1 : 0;
}
