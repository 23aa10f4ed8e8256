/* Which devices this container may use, in the vocabulary of device
 * cgroups ("c 189:* rw", "b 7:* rwm", "a *:* rwm"): from [policy] allow
 * in devmgr.conf; else the kernel's own answer per device (probe.h),
 * which sees cgroup v1 lists and v2 programs alike; else ([policy] probe
 * = no) the cgroup v1 devices.list of devmgr's own cgroup. A device the
 * container cannot open gets no node, no command and no event (or, with
 * "outside = node", a node only): busybox mdev fills a container's /dev
 * with nodes that only say "Operation not permitted". */
#ifndef DEVMGR_POLICY_H
#define DEVMGR_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe.h"

#define POLICY_READ 1
#define POLICY_WRITE 2
#define POLICY_MKNOD 4

struct policy_rule {
	char type;		/* 'c', 'b' or 'a' (both) */
	int major, minor;	/* -1: any */
	unsigned perms;		/* POLICY_* */
};

enum policy_source { POLICY_NONE, POLICY_CONFIG, POLICY_CGROUP, POLICY_PROBE };

/* The kernel's answer for one device, as last asked. */
struct policy_seen {
	uint64_t key;			/* 0: a free slot */
	unsigned long epoch;		/* when asked (policy_new_epoch) */
	struct probe_answer a;
};

struct policy {
	enum policy_source source;	/* NONE: every device is allowed */
	char *origin;			/* file the rules came from, for messages */
	struct policy_rule *v;		/* CONFIG, CGROUP; PROBE: a v1 list, for */
	size_t n;			/* devices the kernel could not be asked about */
	bool node_only;			/* outside: a node, nothing else */
	bool unknown;			/* NONE for want of a source, not by choice */
	/* PROBE: nodes to ask with are made in probe_fd as probe_name */
	int probe_fd;
	char probe_name[48];
	struct policy_seen *seen;	/* open addressing, a power of two */
	size_t nseen, seen_cap;
	unsigned long epoch;
	unsigned long probes, probe_failures;
	unsigned long refused;		/* devices left alone (policy_log_skip) */
	/* majors already logged as skipped: once each is enough */
	unsigned char logged[2][4096 / 8];
};

/* Parses "TYPE MAJ:MIN PERMS" (TYPE c, b, a, char, block or any; MAJ and
 * MIN a number or *; PERMS of r, w, m). NULL, or why not. */
const char *policy_parse_rule(const char *s, struct policy_rule *r);

/* The rules from the config; when there are none, the kernel is asked
 * per device with nodes made in PROBE_FD (-1: never), or else the
 * cgroup's v1 list is read (PROC and CGROUP: where /proc and the cgroup
 * v1 mount are). */
void policy_init(struct policy *p, const struct policy_rule *rules, size_t n, bool node_only,
		 const char *proc, const char *cgroup, int probe_fd);
void policy_free(struct policy *p);

/* PROBE: asks the kernel about the device unless its answer is known;
 * FRESH asks again (an add: the engine may have changed the rules since,
 * docker update, a daemon-reload), once an epoch. Before policy_allows. */
void policy_learn(struct policy *p, mode_t type, int major, int minor, bool fresh);
/* A new epoch: the daemon's next batch of events. In a storm a device
 * that comes and goes a hundred times in a batch is asked about once. */
void policy_new_epoch(struct policy *p);
/* In a new process that asks beside its parent (a coldplug worker): a
 * name of its own for the nodes it asks with. */
void policy_forked(struct policy *p);
/* The kernel's last answer for the device; NULL when not asked. */
const struct probe_answer *policy_answer(const struct policy *p, mode_t type, int major,
					 int minor);

/* May the container use (read or write) this device? Devices without
 * numbers always may; with PROBE, so does one not asked about. */
bool policy_allows(const struct policy *p, mode_t type, int major, int minor);
/* Why the policy refuses the device, naming the layer (the config, the
 * device cgroup, CAP_MKNOD, a user namespace, a security module) and what
 * to change, into BUF. */
void policy_why(const struct policy *p, mode_t type, int major, int minor, char *buf,
		size_t len);
/* Logs, once per major, that a device is left alone and why. */
void policy_log_skip(struct policy *p, mode_t type, int major, int minor, const char *name);

#endif
