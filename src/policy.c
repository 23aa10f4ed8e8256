#define _GNU_SOURCE
#include "policy.h"
#include "devcgroup.h"
#include "fileio.h"
#include "log.h"
#include "netlink.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	const char *own = devcg_v1_path(text);
	if (own) {
		snprintf(path, sizeof(path), "%s/devices%s/devices.list", cgroup,
			 strcmp(own, "/") ? own : "");
		if (read_file(path, &list, &len) == 0)
			rc = 0;
		else {
			snprintf(path, sizeof(path), "%s/devices/devices.list", cgroup);
			rc = read_file(path, &list, &len);
		}
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
		 const char *proc, const char *cgroup, int probe_fd)
{
	memset(p, 0, sizeof(*p));
	p->node_only = node_only;
	p->probe_fd = -1;
	if (n > 0) {
		p->v = xmalloc(n * sizeof(*p->v));
		memcpy(p->v, rules, n * sizeof(*p->v));
		p->n = n;
		p->source = POLICY_CONFIG;
		p->origin = xstrdup("[policy] allow");
		return;
	}
	/* The kernel's answer covers cgroup v1 lists and v2 programs alike,
	 * and stays true when the engine changes the rules (a v1 list read
	 * once would not). */
	if (probe_fd >= 0) {
		/* a v1 list, if any, for a device the kernel could not be
		 * asked about (no node could be made) */
		if (read_cgroup(p, proc, cgroup) == 0)
			free(p->origin);
		p->source = POLICY_PROBE;
		p->probe_fd = probe_fd;
		policy_forked(p);
		p->origin = xstrdup("the device cgroup (the kernel's answer)");
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
	free(p->seen);
	p->v = NULL;
	p->origin = NULL;
	p->seen = NULL;
	p->n = p->nseen = p->seen_cap = 0;
}

static bool num_ok(int rule, int n)
{
	return rule == -1 || rule == n;
}

static bool list_allows(const struct policy *p, mode_t type, int major, int minor)
{
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

static uint64_t seen_key(mode_t type, int major, int minor)
{
	return 1ull << 63 | (uint64_t)S_ISBLK(type) << 62 | (uint64_t)(unsigned)major << 20 |
	       (unsigned)minor;
}

static struct policy_seen *seen_slot(const struct policy *p, uint64_t key)
{
	if (p->seen_cap == 0)
		return NULL;
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & (p->seen_cap - 1);
	while (p->seen[i].key && p->seen[i].key != key)
		i = (i + 1) & (p->seen_cap - 1);
	return &p->seen[i];
}

/* Room for one more answer: the table is kept at most half full. */
static void seen_grow(struct policy *p)
{
	if (2 * (p->nseen + 1) <= p->seen_cap)
		return;
	struct policy_seen *old = p->seen;
	size_t cap = p->seen_cap;
	p->seen_cap = cap ? 2 * cap : 256;
	p->seen = calloc(p->seen_cap, sizeof(*p->seen));
	if (p->seen == NULL)
		die("out of memory");
	for (size_t i = 0; i < cap; i++)
		if (old[i].key)
			*seen_slot(p, old[i].key) = old[i];
	free(old);
}

void policy_new_epoch(struct policy *p)
{
	p->epoch++;
}

void policy_forked(struct policy *p)
{
	snprintf(p->probe_name, sizeof(p->probe_name), ".devmgr-probe.%ld", (long)getpid());
}

const struct probe_answer *policy_answer(const struct policy *p, mode_t type, int major,
					 int minor)
{
	struct policy_seen *e = seen_slot(p, seen_key(type, major, minor));

	return e && e->key ? &e->a : NULL;
}

void policy_learn(struct policy *p, mode_t type, int major, int minor, bool fresh)
{
	struct probe_answer a;
	uint64_t key = seen_key(type, major, minor);

	if (p->source != POLICY_PROBE || major < 0 || minor < 0)
		return;
	struct policy_seen *e = seen_slot(p, key);
	if (e && e->key && (!fresh || e->epoch == p->epoch))
		return;
	p->probes++;
	if (probe_device(p->probe_fd, p->probe_name, type, major, minor, &a) < 0) {
		/* no answer (a read-only /dev, ...): the device is not refused
		 * for that, as without a policy */
		if (p->probe_failures++ == 0)
			log_info("cannot ask the kernel whether devices may be used (a node made "
				 "for the question: %s): deciding without", strerror(a.mknod));
		return;
	}
	if (e == NULL || !e->key) {
		seen_grow(p);
		e = seen_slot(p, key);
		p->nseen++;
	}
	e->key = key;
	e->epoch = p->epoch;
	e->a = a;
}

bool policy_allows(const struct policy *p, mode_t type, int major, int minor)
{
	if (p->source == POLICY_NONE || major == -1)
		return true;
	if (p->source != POLICY_PROBE)
		return list_allows(p, type, major, minor);
	const struct probe_answer *a = policy_answer(p, type, major, minor);
	if (a)
		return probe_allows(a);
	/* not answered: the v1 list if there is one, else as without one */
	return p->n == 0 || list_allows(p, type, major, minor);
}

/* The engine setting that would allow the device: least privilege, its
 * own numbers. */
static void fix_text(char *buf, size_t len, mode_t type, int major, int minor)
{
	char t = S_ISBLK(type) ? 'b' : 'c';

	snprintf(buf, len, "docker/podman run --device-cgroup-rule '%c %d:%d rwm' (or "
		 "--device); LXC: lxc.cgroup2.devices.allow = %c %d:%d rwm", t, major, minor, t,
		 major, minor);
}

void policy_why(const struct policy *p, mode_t type, int major, int minor, char *buf,
		size_t len)
{
	const struct probe_answer *a = policy_answer(p, type, major, minor);
	char fix[256];

	fix_text(fix, sizeof(fix), type, major, minor);
	if (p->source == POLICY_CONFIG) {
		snprintf(buf, len, "not in [policy] allow (add '%c %d:%d rw' there if the "
			 "container may use it)", S_ISBLK(type) ? 'b' : 'c', major, minor);
	} else if (p->source == POLICY_CGROUP) {
		snprintf(buf, len, "the device cgroup refuses it (its v1 list %s); to allow "
			 "it: %s", p->origin, fix);
	} else if (a && a->mknod == EPERM && process_has_cap(CAP_MKNOD) == 0) {
		snprintf(buf, len, "devmgr lacks CAP_MKNOD, so no node can be made (docker/podman "
			 "run --cap-add MKNOD; LXC: mknod not in lxc.cap.drop)");
	} else if (a && a->mknod == EPERM && userns_is_initial() == 0) {
		snprintf(buf, len, "devmgr runs in a user namespace, where the kernel refuses "
			 "device nodes: run devmgr on the host for this container (host mode) "
			 "or give it the host's user namespace (--userns host)");
	} else if (a && a->mknod == EPERM) {
		snprintf(buf, len, "the device cgroup refuses making its node (no 'm' access: "
			 "mknod said EPERM); to allow it: %s", fix);
	} else if (a && (a->read == EPERM || a->write == EPERM) && !probe_allows(a)) {
		snprintf(buf, len, "the device cgroup refuses it (the kernel said EPERM to read "
			 "and write); to allow it: %s", fix);
	} else if (a == NULL && p->n) {
		snprintf(buf, len, "the device cgroup's v1 list refuses it (the kernel could not "
			 "be asked: no node can be made in the dev root); to allow it: %s", fix);
	} else if (a && !probe_allows(a)) {
		snprintf(buf, len, "the kernel refuses access (%s: a security module such as "
			 "AppArmor or SELinux, not the device cgroup)", strerror(a->read));
	} else {
		snprintf(buf, len, "not allowed by %s", p->origin ? p->origin : "the policy");
	}
}

void policy_log_skip(struct policy *p, mode_t type, int major, int minor, const char *name)
{
	int b = S_ISBLK(type) ? 1 : 0;
	char why[768];

	p->refused++;
	if (major < 0 || major >= 4096 || p->logged[b][major / 8] & (1 << (major % 8)))
		return;
	p->logged[b][major / 8] |= (unsigned char)(1 << (major % 8));
	policy_why(p, type, major, minor, why, sizeof(why));
	log_info("%s %d:%d (%s)%s: %s; %s", b ? "block" : "char", major, minor, name,
		 p->source == POLICY_PROBE ? "" : " and others of its major",
		 p->node_only ? "node only, no command, no event" : "left alone", why);
}
