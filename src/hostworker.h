/* Host mode: the worker of one attached container. A process of its own
 * that has entered the container's mount and network namespaces and its
 * root, and there runs the ordinary pipeline on the events the host
 * daemon hands it: the container's /etc/mdev.conf and users (read inside
 * its root, so no link leads out of it), nodes in its /dev (bind-mounted
 * from a tmpfs of the host's when it has a user namespace of its own),
 * the database in its /run/udev, the events on its network namespace's
 * groups as sent by its root. Rule commands are not run: they would run
 * with the host's privileges. */
#ifndef DEVMGR_HOSTWORKER_H
#define DEVMGR_HOSTWORKER_H

#include <stdbool.h>
#include <sys/types.h>

#include "enter.h"

struct worker {
	pid_t pid;
	int pidfd;		/* the worker's own: readable when it has exited */
	int sock;		/* events go out here, one per message */
};

/* Forks the worker for T, named NAME in messages. SYS_FD is the host's
 * sysfs. 0, or -1 (logged). */
int worker_start(struct worker *w, const struct target *t, const char *name, int sys_fd,
		 int verbose);
/* Hands EV (uevent_pack's bytes) over without waiting: 0, 1 when the
 * worker's socket is full (try again on POLLOUT), -1 when it is gone. */
int worker_send(struct worker *w, const char *ev, size_t len);
/* Closes its socket (it then finishes what it has and exits); reaps it,
 * killing it when it has not gone within TIMEOUT_MS. */
void worker_stop(struct worker *w, int timeout_ms);

#endif
