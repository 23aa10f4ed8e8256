#define _GNU_SOURCE
#include "policy.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "*" (any: -1) or a number; advances *s past it. */
static int number(const char **s, int *v)
{
	if (**s == '*') {
		*v = -1;
		(*s)++;
		return 0;
	}
	if (**s < '0' || **s > '9')
		return -1;
	char *e;
	errno = 0;
	long n = strtol(*s, &e, 10);
	if (errno || n > 0xfffff)
		return -1;
	*v = (int)n;
	*s = e;
	return 0;
}

const char *policy_parse_rule(const char *s, struct policy_rule *r)
{
	static const struct { const char *word; char type; } types[] = {
		{ "c", 'c' }, { "char", 'c' }, { "b", 'b' }, { "block", 'b' },
		{ "a", 'a' }, { "any", 'a' }, { "all", 'a' },
	};
	char type[8];
	size_t n = strcspn(s, " \t");

	if (n == 0 || n >= sizeof(type))
		return "expected TYPE MAJOR:MINOR PERMISSIONS, e.g. char 189:* rw";
	memcpy(type, s, n);
	type[n] = '\0';
	r->type = 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].word) == 0)
			r->type = types[i].type;
	if (!r->type)
		return "type must be char, block or any (c, b, a)";
	s += n;
	s += strspn(s, " \t");
	/* cgroup v1 writes "a *:* rwm"; a bare "a" means the same */
	if (*s == '\0' && r->type == 'a') {
		r->major = r->minor = -1;
		r->perms = POLICY_READ | POLICY_WRITE | POLICY_MKNOD;
		return NULL;
	}
	if (number(&s, &r->major) < 0 || *s++ != ':' || number(&s, &r->minor) < 0 ||
	    (*s != ' ' && *s != '\t'))
		return "numbers must be MAJOR:MINOR, each a number or *, then permissions";
	s += strspn(s, " \t");
	r->perms = 0;
	for (; *s && *s != ' ' && *s != '\t'; s++) {
		if (*s == 'r')
			r->perms |= POLICY_READ;
		else if (*s == 'w')
			r->perms |= POLICY_WRITE;
		else if (*s == 'm')
			r->perms |= POLICY_MKNOD;
		else
			return "permissions are letters of r, w and m";
	}
	s += strspn(s, " \t");
	if (*s)
		return "unexpected text after the permissions";
	if (r->perms == 0)
		return "no permissions (r, w, m)";
	return NULL;
}

/* The devices.list of our own cgroup: /proc/self/cgroup names it; in a
 * container the cgroup mount often shows our cgroup as its root. */
static int read_cgroup(struct policy *p, const char *proc, const char *cgroup)
{
	char path[4096], *text = NULL, *list = NULL;
	size_t len;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/self/cgroup", proc);
	if (read_file(path, &text, &len) < 0)
		return -1;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		bool devices = false;
		for (char *ctl = strtok_r(c1 + 1, ",", &c1); ctl; ctl = strtok_r(NULL, ",", &c1))
			devices |= strcmp(ctl, "devices") == 0;
		if (!devices)
			continue;
		const char *own = c2 + 1;
		snprintf(path, sizeof(path), "%s/devices%s/devices.list", cgroup,
			 strcmp(own, "/") ? own : "");
		if (read_file(path, &list, &len) < 0) {
			snprintf(path, sizeof(path), "%s/devices/devices.list", cgroup);
			if (read_file(path, &list, &len) < 0)
				break;
		}
		rc = 0;
		break;
	}
	free(text);
	if (rc < 0)
		return -1;
	unsigned lineno = 0;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		struct policy_rule r;
		const char *why = policy_parse_rule(line, &r);
		lineno++;
		if (why) {
			log_warn("%s:%u: %s: %s (line ignored)", path, lineno, line, why);
			continue;
		}
		p->v = realloc(p->v, (p->n + 1) * sizeof(*p->v));
		if (p->v == NULL)
			die("out of memory");
		p->v[p->n++] = r;
	}
	free(list);
	p->origin = xstrdup(path);
	return 0;
}

void policy_init(struct policy *p, const struct policy_rule *rules, size_t n, bool node_only,
		 const char *proc, const char *cgroup)
{
	memset(p, 0, sizeof(*p));
	p->node_only = node_only;
	if (n > 0) {
		p->v = xmalloc(n * sizeof(*p->v));
		memcpy(p->v, rules, n * sizeof(*p->v));
		p->n = n;
		p->source = POLICY_CONFIG;
		p->origin = xstrdup("[policy] allow");
		return;
	}
	/* cgroup v2 has no list to read, and LXC mounts no cgroup file system
	 * in its containers: then every device is managed */
	p->unknown = true;
	if (read_cgroup(p, proc, cgroup) == 0) {
		p->unknown = false;
		p->source = POLICY_CGROUP;
		/* the host's own cgroup says "a *:* rwm": no limit at all */
		if (policy_allows(p, S_IFCHR, -2, -2) && policy_allows(p, S_IFBLK, -2, -2))
			p->source = POLICY_NONE;
	}
}

void policy_free(struct policy *p)
{
	free(p->v);
	free(p->origin);
	p->v = NULL;
	p->origin = NULL;
	p->n = 0;
}

static bool num_ok(int rule, int n)
{
	return rule == -1 || rule == n;
}

bool policy_allows(const struct policy *p, mode_t type, int major, int minor)
{
	if (p->source == POLICY_NONE || major == -1)
		return true;
	char t = S_ISBLK(type) ? 'b' : 'c';
	for (size_t i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->v[i];
		/* -2: "every number": only a wildcard covers it */
		if ((r->type == 'a' || r->type == t) &&
		    (r->major == -1 || (major >= 0 && num_ok(r->major, major))) &&
		    (r->minor == -1 || (minor >= 0 && num_ok(r->minor, minor))) &&
		    (r->perms & (POLICY_READ | POLICY_WRITE)))
			return true;
	}
	return false;
}

void policy_log_skip(struct policy *p, mode_t type, int major, int minor, const char *name)
{
	int b = S_ISBLK(type) ? 1 : 0;

	if (major < 0 || major >= 4096 || p->logged[b][major / 8] & (1 << (major % 8)))
		return;
	p->logged[b][major / 8] |= (unsigned char)(1 << (major % 8));
	log_info("%s %d:%d (%s) and others of major %d: not allowed by %s%s", b ? "block" : "char",
		 major, minor, name, major, p->origin ? p->origin : "the policy",
		 p->node_only ? ": node only, no command, no event" : ": left alone");
}
