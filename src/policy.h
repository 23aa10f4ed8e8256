/* Which devices this container may use, in the vocabulary of device
 * cgroups ("c 189:* rw", "b 7:* rwm", "a *:* rwm"): from [policy] allow
 * in devmgr.conf, or else from the cgroup v1 devices.list of devmgr's own
 * cgroup. A device the container cannot open gets no node, no command and
 * no event (or, with "outside = node", a node only): busybox mdev fills a
 * container's /dev with nodes that only say "Operation not permitted". */
#ifndef DEVMGR_POLICY_H
#define DEVMGR_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

#define POLICY_READ 1
#define POLICY_WRITE 2
#define POLICY_MKNOD 4

struct policy_rule {
	char type;		/* 'c', 'b' or 'a' (both) */
	int major, minor;	/* -1: any */
	unsigned perms;		/* POLICY_* */
};

enum policy_source { POLICY_NONE, POLICY_CONFIG, POLICY_CGROUP };

struct policy {
	enum policy_source source;	/* NONE: every device is allowed */
	char *origin;			/* file the rules came from, for messages */
	struct policy_rule *v;
	size_t n;
	bool node_only;			/* outside: a node, nothing else */
	bool unknown;			/* NONE for want of a source, not by choice */
	/* majors already logged as skipped: once each is enough */
	unsigned char logged[2][4096 / 8];
};

/* Parses "TYPE MAJ:MIN PERMS" (TYPE c, b, a, char, block or any; MAJ and
 * MIN a number or *; PERMS of r, w, m). NULL, or why not. */
const char *policy_parse_rule(const char *s, struct policy_rule *r);

/* The rules from the config, or when there are none the cgroup's list
 * (PROC and CGROUP: where /proc and the cgroup v1 mount are). */
void policy_init(struct policy *p, const struct policy_rule *rules, size_t n, bool node_only,
		 const char *proc, const char *cgroup);
void policy_free(struct policy *p);

/* May the container use (read or write) this device? Devices without
 * numbers always may. */
bool policy_allows(const struct policy *p, mode_t type, int major, int minor);
/* Logs, once per major, that a device is left alone and why. */
void policy_log_skip(struct policy *p, mode_t type, int major, int minor, const char *name);

#endif
