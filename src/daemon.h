/* devmgr -d: coldplug, then kernel uevents until SIGTERM. */
#ifndef DEVMGR_DAEMON_H
#define DEVMGR_DAEMON_H

#include <stdbool.h>

#include "context.h"

struct daemon_opts {
	bool foreground;	/* -f: no fork */
	bool syslog;		/* -S */
	int ready_fd;		/* -D FD: a newline when ready; -1 */
};

/* Returns the exit status. Without -f, the parent returns 0 only once the
 * daemon is ready (socket bound, coldplug done); the daemon itself returns
 * when stopped. */
int daemon_run(struct context *c, const struct daemon_opts *o);

#endif
