/* The host daemon's control socket. Connections are accepted without
 * waiting, and a request is read only once it has arrived: a client that
 * connects and says nothing holds one of a few slots for a second, never
 * the daemon, which goes on giving devices meanwhile. Each request comes
 * with its sender's credentials (SO_PEERCRED) and the pidfd it passed. */
#ifndef DEVMGR_HOSTSOCK_H
#define DEVMGR_HOSTSOCK_H

/* (struct ucred: _GNU_SOURCE before any header, as devmgr's .c files do) */
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#define HOSTSOCK_PENDING 16	/* connections waiting for their request */
#define HOSTSOCK_PER_USER 4	/* of those, a user other than root's */
#define HOSTSOCK_USERS 12	/* all users' but root's: root always finds room */
#define HOSTSOCK_WAIT_MS 1000	/* how long one may wait */

struct hostsock {
	int fd;			/* listening */
	char path[108];		/* where (a reload's socket = is not followed) */
	unsigned long refused;	/* connections turned away (said now and then) */
	struct {
		int fd;		/* -1: free */
		struct ucred cred;	/* who connected (asked once, at accept) */
		struct timespec since;
	} p[HOSTSOCK_PENDING];
};

struct host_request {
	int fd;			/* the connection, to answer on (and close) */
	struct ucred cred;	/* the sender */
	int pidfd;		/* passed along with the request, or -1 */
	char text[256];		/* NUL-terminated */
};

/* Listens on PATH (a socket left there by a daemon that was killed is
 * replaced, nothing else), mode 0600, or 0666 when OPEN_TO_ALL: then
 * each request is judged by its sender. 0, or -1 (logged). */
int hostsock_open(struct hostsock *s, const char *path, bool open_to_all);
/* Who may connect from now on: everyone (0666), or root (0600). */
int hostsock_set_open(const struct hostsock *s, bool open_to_all);
void hostsock_close(struct hostsock *s);
/* What to poll: the listening socket and each waiting connection, into
 * P (room for 1 + HOSTSOCK_PENDING). How many. */
nfds_t hostsock_pollfds(const struct hostsock *s, struct pollfd *p);
/* After poll() on what hostsock_pollfds() put in P: accepts what waits,
 * hands each request that has arrived to FN (which answers it and closes
 * its fd and pidfd), and drops connections that waited too long. */
void hostsock_serve(struct hostsock *s, const struct pollfd *p,
		    void (*fn)(void *arg, struct host_request *r), void *arg);

#endif
