/* Asking the kernel whether this process may use a device, without
 * opening it. On cgroup v2 the device rules of a container are a BPF
 * program nobody inside can read; but faccessat(AT_EACCESS) on a node
 * goes through inode_permission(), which runs the device cgroup check
 * (v1 list and v2 program alike) and says EPERM when it refuses. No
 * driver's open() runs: no modem line toggles, no watchdog arms. The
 * node is made for the question in the dev root under a hidden name,
 * mode 0000, and removed at once. */
#ifndef DEVMGR_PROBE_H
#define DEVMGR_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

/* Each: 0, or the errno the kernel answered. */
struct probe_answer {
	int mknod;		/* making a node (the cgroup's "m", CAP_MKNOD) */
	int read, write;	/* faccessat R_OK, W_OK; not asked when mknod failed */
};

/* The device may be used: read or written. */
bool probe_allows(const struct probe_answer *a);
/* The answer is the device cgroup's, or the process's (no CAP_MKNOD, a
 * user namespace), not a failure to ask (EROFS, ENOSPC, ...). */
bool probe_answered(const struct probe_answer *a);

/* Asks, with a node named NAME made in DIR_FD. 0, or -1 when no question
 * could be asked (errno; a->mknod says why too). */
int probe_device(int dir_fd, const char *name, mode_t type, int major, int minor,
		 struct probe_answer *a);

#endif
