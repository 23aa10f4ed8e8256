/* A container's device cgroup on cgroup v2, as host mode changes it. There
 * the runtime's BPF device program is the gate (with several attached, all
 * must allow: attaching another can only narrow), so the device given is
 * allowed by replacing that program, atomically (BPF_F_REPLACE, or the
 * single slot it holds), with devmgr's: a device in devmgr's map of
 * granted devices is allowed for the access given; every other question
 * goes on to the runtime's own program, unchanged, by a tail call. Taking
 * a device back is deleting it from the map: what the runtime allowed
 * stays allowed. Detached, the runtime's program is put back in place of
 * devmgr's. The program is installed at the first grant: a container
 * never given a device keeps the runtime's program alone. Built without
 * libbpf, nothing is changed (said). */
#ifndef DEVMGR_DEVBPF_H
#define DEVMGR_DEVBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct devbpf {
	int cg_fd;		/* the cgroup v2 directory; -1: none */
	int runtime_fd;		/* the runtime's program */
	unsigned flags;		/* how it was attached */
	int map_fd, array_fd, prog_fd;	/* devmgr's, -1 until the first grant */
	char path[512];		/* for messages */
};

/* The cgroup v2 cgroup of process PID under ROOT (the cgroup2 mount) and
 * the one device program attached to it. 0, or -1 with WHY set: no v2
 * cgroup, no device program there (nothing to widen), several. */
int devbpf_open(struct devbpf *b, pid_t pid, const char *root, char *why, size_t whysize);
/* Allows TYPE ('b', 'c') MAJOR:MINOR for ACCESS ("r", "w", "rw"), once
 * devmgr's program is in place. 0, or -1 (errno; WHY says what failed). */
int devbpf_allow(struct devbpf *b, char type, int major, int minor, const char *access,
		 char *why, size_t whysize);
/* Takes the device back: the runtime's program decides again. */
int devbpf_forget(struct devbpf *b, char type, int major, int minor);
/* Puts the runtime's program back (when devmgr's is attached) and closes. */
void devbpf_close(struct devbpf *b);

/* The cgroup2 mount to look in when none is configured: /sys/fs/cgroup on
 * a v2 host, /sys/fs/cgroup/unified on a hybrid one. */
const char *devbpf_default_root(void);

#endif
