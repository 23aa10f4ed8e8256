#include "devtree.h"
#include "fileio.h"
#include "log.h"
#include "policy.h"

#include <stdlib.h>
#include <string.h>

bool devtree_path_ok(const char *path)
{
	if (path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	for (const char *s = path + 1;;) {
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (s[n] == '\0')
			return true;
		if (s[n] != '/')
			return false;
		s += n + 1;
	}
}

bool devtree_covers(const struct grant *p, const struct grant *d)
{
	size_t n;

	if (p->kind != d->kind)
		return false;
	switch (p->kind) {
	case GRANT_NUMBERS:
		return p->type == d->type && p->major == d->major &&
		       (p->minor == -1 || p->minor == d->minor);
	case GRANT_USB:
		return p->vendor == d->vendor && p->product == d->product;
	case GRANT_SUBSYSTEM:
		return strcmp(p->text, d->text) == 0;
	case GRANT_PATH:
		n = strlen(p->text);
		return strncmp(d->text, p->text, n) == 0 &&
		       (d->text[n] == '\0' || d->text[n] == '/' || p->text[n - 1] == '/');
	}
	return false;
}

/* The same device named the same way: a child's declaration of it takes
 * the place of what its parent gives on. */
static bool same_selector(const struct grant *a, const struct grant *b)
{
	return devtree_covers(a, b) && devtree_covers(b, a);
}

static const char *mode_text(unsigned mode, char buf[4])
{
	size_t k = 0;

	if (mode == 0)
		return "-";
	if (mode & POLICY_READ)
		buf[k++] = 'r';
	if (mode & POLICY_WRITE)
		buf[k++] = 'w';
	if (mode & POLICY_MKNOD)
		buf[k++] = 'm';
	buf[k] = '\0';
	return buf;
}

/* ---- the tree ------------------------------------------------------------- */

static size_t depth(const char *path)
{
	size_t d = 0;

	for (const char *s = path; *s; s++)
		d += *s == '/';
	return strcmp(path, "/") == 0 ? 0 : d;
}

void devtree_parent(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == path ? 1 : (size_t)(slash - path);

	snprintf(out, size, "%.*s", (int)n, path);
}

/* hostconf_group(), for the tree's own working out of it */
static struct hostconf_container *group_at(struct hostconf *h, const char *path)
{
	return (struct hostconf_container *)hostconf_group(h, path);
}

/* Every ancestor of a group is a group, if only an empty one (a section
 * with no lines cannot be seen through inih). -1 when there is no room. */
static int add_ancestors(struct hostconf *h)
{
	for (unsigned i = 0; i < h->ngroups; i++) {
		char up[128];
		if (strcmp(h->groups[i].pattern, "/") == 0)
			continue;
		devtree_parent(h->groups[i].pattern, up, sizeof(up));
		if (group_at(h, up))
			continue;
		if (h->ngroups == HOSTCONF_MAX_CONTAINERS)
			return -1;
		struct hostconf_container *g = &h->groups[h->ngroups++];
		memset(g, 0, sizeof(*g));
		strcpy(g->pattern, up);
	}
	return 0;
}

static void eff_add(struct hostconf_container *c, const struct grant *g, bool inherited,
		    const char *from)
{
	struct effective *e = realloc(c->eff, (c->neff + 1) * sizeof(*e));

	if (e == NULL)
		die("out of memory");
	c->eff = e;
	e = &c->eff[c->neff++];
	e->g = *g;
	e->inherited = inherited;
	snprintf(e->from, sizeof(e->from), "%s", from);
}

static const char *section_name(const struct hostconf_container *c, bool group, char *buf,
				size_t size)
{
	snprintf(buf, size, "[%s %s]", group ? "group" : "container", c->pattern);
	return buf;
}

/* What PARENT provides D with, checked; NULL, or why not (into WHY). */
static const char *provided(const struct hostconf_container *parent, const struct grant *d,
			    char *why, size_t size)
{
	unsigned best = 0;
	bool some = false;
	char m[4];

	for (unsigned i = 0; i < parent->neff; i++) {
		const struct grant *p = &parent->eff[i].g;
		if (!devtree_covers(p, d))
			continue;
		if (p->mode == 0) {
			snprintf(why, size, "group %s denies it (%s:%u)", parent->pattern,
				 parent->eff[i].from, p->line);
			return why;
		}
		some = true;
		best |= p->mode;
	}
	if (!some)
		snprintf(why, size, "not provided by group %s", parent->pattern);
	else if (d->mode & ~best)
		snprintf(why, size, "group %s provides only %s", parent->pattern, mode_text(best, m));
	else
		return NULL;
	return why;
}

/* C's effective grants from its PARENT's (NULL: none) and its own. */
static int resolve_one(struct hostconf_container *c, bool group,
		       const struct hostconf_container *parent, const char *file, bool prune)
{
	char why[512], name[160];
	int rc = 0;

	free(c->eff);
	c->eff = NULL;
	c->neff = 0;
	for (unsigned i = 0; parent && i < parent->neff; i++) {
		const struct effective *p = &parent->eff[i];
		bool declared = false;
		for (unsigned k = 0; k < c->ngrants && !declared; k++)
			declared = same_selector(&p->g, &c->grants[k]);
		/* a denial narrows the whole subtree, inherit or not */
		if ((p->g.inherit || p->g.mode == 0) && !declared)
			eff_add(c, &p->g, true, p->from);
	}
	for (unsigned k = 0; k < c->ngrants; k++) {
		const struct grant *d = &c->grants[k];
		/* a denial only narrows; the root and a container of no group
		 * declare what they like */
		if (parent && d->mode != 0 && provided(parent, d, why, sizeof(why))) {
			section_name(c, group, name, sizeof(name));
			if (prune) {
				log_warn("%s:%u: %s: its grant is dropped: %s (recursive reload)", file,
					 d->line, name, why);
				continue;
			}
			log_err("%s:%u: %s: a child cannot widen what its parent gives: %s", file,
				d->line, name, why);
			rc = -1;
			continue;
		}
		eff_add(c, d, false, c->pattern);
	}
	return rc;
}

static int by_depth(const void *a, const void *b)
{
	size_t da = depth(((const struct hostconf_container *)a)->pattern);
	size_t db = depth(((const struct hostconf_container *)b)->pattern);

	return da < db ? -1 : da > db;
}

int devtree_resolve(struct hostconf *h, const char *file, bool prune)
{
	int rc = 0;
	char up[128];

	if (add_ancestors(h) < 0) {
		log_err("%s: too many groups", file);
		return -1;
	}
	/* parents first: each group's effective grants from its parent's */
	qsort(h->groups, h->ngroups, sizeof(h->groups[0]), by_depth);
	for (unsigned i = 0; i < h->ngroups; i++) {
		struct hostconf_container *g = &h->groups[i];
		const struct hostconf_container *parent = NULL;
		if (strcmp(g->pattern, "/") != 0) {
			devtree_parent(g->pattern, up, sizeof(up));
			parent = group_at(h, up);
		}
		rc |= resolve_one(g, true, parent, file, prune);
	}
	for (unsigned i = 0; i < h->n; i++) {
		struct hostconf_container *c = &h->c[i];
		const struct hostconf_container *g = NULL;
		if (c->group[0] && (g = group_at(h, c->group)) == NULL) {
			log_err("%s:%u: [container %s]: group = %s: no such [group] (a group needs at "
				"least one line, or a child group)", file, c->line, c->pattern,
				c->group);
			rc = -1;
			continue;
		}
		rc |= resolve_one(c, false, g, file, prune);
	}
	return rc;
}

void devtree_print(FILE *f, const struct hostconf_container *c)
{
	char m[4], maj[300], min[16];

	fprintf(f, "%-9s %-18s %-6s %-5s %-14s %-7s %-9s %s\n", "TYPE", "MAJOR", "MINOR", "MODE",
		"NAME", "INHERIT", "INHERITED", "FROM");
	for (unsigned i = 0; i < c->neff; i++) {
		const struct effective *e = &c->eff[i];
		const struct grant *g = &e->g;
		const char *type = g->kind == GRANT_NUMBERS ? (g->type == 'b' ? "block" : "char") :
				   g->kind == GRANT_USB ? "usb" :
				   g->kind == GRANT_SUBSYSTEM ? "subsystem" : "path";
		strcpy(min, "-");
		if (g->kind == GRANT_NUMBERS) {
			snprintf(maj, sizeof(maj), "%d", g->major);
			if (g->minor < 0)
				strcpy(min, "all");
			else
				snprintf(min, sizeof(min), "%d", g->minor);
		} else if (g->kind == GRANT_USB) {
			snprintf(maj, sizeof(maj), "%04x:%04x", g->vendor, g->product);
		} else {
			snprintf(maj, sizeof(maj), "%s", g->text);
		}
		fprintf(f, "%-9s %-18s %-6s %-5s %-14s %-7s %-9s %s:%u\n", type, maj, min,
			mode_text(g->mode, m), g->name[0] ? g->name : "-",
			g->inherit ? "true" : "false", e->inherited ? "true" : "false", e->from,
			g->line);
	}
}
