/* devmgr host: the daemon on the host side. It hears the kernel's
 * uevents (as the in-container daemon does), keeps the containers
 * attached through its control socket, and hands each the events of the
 * devices its host.conf section grants, through that container's worker
 * (hostworker.c). A container's init held by a pidfd: when it exits, the
 * container is detached. */
#ifndef DEVMGR_HOSTD_H
#define DEVMGR_HOSTD_H

struct hostd_opts {
	const char *config;	/* host.conf */
	int config_required;	/* named with --config */
	int verbose;
	int ready_fd;		/* -D FD: a newline when ready; -1 */
};

int hostd_run(const struct hostd_opts *o);

#endif
