/* A container's device cgroup (v1), as host mode changes it: a device
 * the container is given gets exactly its own entry in the container's
 * devices.allow while it is there ("b 7:5 rw"), and loses it through
 * devices.deny when it goes, so that a container can be given "this
 * device when it is plugged in" without a whole major. What the runtime
 * allowed is never touched: only the access bits no entry of
 * devices.list gave already are added, and only those are taken away (the
 * kernel removes a deny's bits from the entry of exactly those numbers;
 * a wildcard entry of the runtime's stays). The nodes themselves are made
 * by the host's processes, so "m" is not needed. cgroup v2 (a BPF
 * program) is not changed yet. */
#ifndef DEVMGR_DEVCGROUP_H
#define DEVMGR_DEVCGROUP_H

#include <stdbool.h>
#include <sys/types.h>

struct devcg {
	int fd;			/* the cgroup's directory; -1: none found */
	char path[512];		/* for messages */
};

/* The devices controller's cgroup in the text of a /proc/PID/cgroup file
 * ("4:devices:/docker/abc" gives "/docker/abc"), cut in place; NULL when
 * there is no v1 devices hierarchy. */
const char *devcg_v1_path(char *text);
/* The cgroup v2 cgroup in the same text ("0::/path"); NULL when none. */
const char *devcg_v2_path(char *text);

/* The v1 devices cgroup of process PID, under ROOT (the v1 hierarchies'
 * parent, /sys/fs/cgroup). 0, or -1 with WHY set (no devices hierarchy:
 * cgroup v2, or none). */
int devcg_open(struct devcg *g, pid_t pid, const char *root, char *why, size_t whysize);
void devcg_close(struct devcg *g);

/* Access bits ("r", "w", "rw") of r and w that devices.list does not give
 * the device yet, into MISSING (size 3 at least). 0, or -1 (errno). */
int devcg_missing(const struct devcg *g, char type, int major, int minor, char *missing);
/* Writes "TYPE MAJOR:MINOR ACCESS" to devices.allow (ALLOW) or
 * devices.deny. 0, or -1 (errno). */
int devcg_write(const struct devcg *g, bool allow, char type, int major, int minor,
		const char *access);

/* Whether a devices.list line gives TYPE MAJOR:MINOR; its access bits
 * into *ACCESS (r, w, m as POLICY_* bits: 1, 2, 4). */
bool devcg_line_covers(const char *line, char type, int major, int minor, unsigned *access);

#endif
