/* A container's device access as host mode changes it, device by device:
 * its cgroup v1 devices list (devcgroup.h) and its cgroup v2 device
 * program (devbpf.h), whichever it has. What host.conf gives a device
 * (read, write) is added where the runtime did not give it already, and
 * exactly that is taken back when the device goes. */
#ifndef DEVMGR_HOSTACCESS_H
#define DEVMGR_HOSTACCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "devbpf.h"
#include "devcgroup.h"
#include "hostconf.h"
#include "uevent.h"

struct access {
	const char *name;	/* the container's, for messages */
	struct devcg cg;	/* fd -1: its v1 list is left alone */
	struct devbpf bpf;	/* cg_fd -1: its v2 program is left alone */
};

/* One device given, and what was done for it. */
struct granted {
	char type;		/* 'b' or 'c'; 0: no numbers, nothing done */
	int major, minor;
	unsigned mode;		/* what host.conf gives (POLICY_*) */
	char v1[3];		/* bits written to devices.allow; "" none */
	bool v2;		/* in devmgr's device program */
};

/* The cgroups of process PID, as CONF says where they are. What is not
 * found is said and left alone. */
void access_open(struct access *x, const char *name, pid_t pid, const struct hostconf *conf);
/* Puts the runtime's device program back, and closes. */
void access_close(struct access *x);
/* G (its mode set) for the event's device: its numbers taken, its access
 * given. */
void access_grant(struct access *x, struct granted *g, const struct uevent *ev);
/* What access_grant() gave, taken back. */
void access_revoke(struct access *x, struct granted *g);

#endif
