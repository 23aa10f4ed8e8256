#define _GNU_SOURCE
#include "hostsock.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int hostsock_open(struct hostsock *s, const char *path, bool open_to_all)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	for (int i = 0; i < HOSTSOCK_PENDING; i++)
		s->p[i].fd = -1;
	s->fd = -1;
	s->refused = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path %s is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(s->path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	mode_t old = umask(077);
	int rc = s->fd < 0 ? -1 : bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == 0 && open_to_all)
		rc = hostsock_set_open(s, true);
	if (rc < 0 || listen(s->fd, 16) < 0) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

int hostsock_set_open(const struct hostsock *s, bool open_to_all)
{
	/* the socket's own mode decides who may connect */
	return chmod(s->path, open_to_all ? 0666 : 0600);
}

void hostsock_close(struct hostsock *s)
{
	for (int i = 0; i < HOSTSOCK_PENDING; i++)
		if (s->p[i].fd >= 0)
			close(s->p[i].fd);
	if (s->fd >= 0) {
		close(s->fd);
		unlink(s->path);
	}
	s->fd = -1;
}

nfds_t hostsock_pollfds(const struct hostsock *s, struct pollfd *p)
{
	nfds_t n = 0;

	p[n++] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	for (int i = 0; i < HOSTSOCK_PENDING; i++)
		p[n++] = (struct pollfd){ .fd = s->p[i].fd, .events = POLLIN };
	return n;
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Whether UID may have one more connection wait: a user who opens many
 * and says nothing keeps neither root nor the other users out. */
static bool room_for(const struct hostsock *s, uid_t uid)
{
	int theirs = 0, users = 0, used = 0;

	for (int i = 0; i < HOSTSOCK_PENDING; i++) {
		if (s->p[i].fd < 0)
			continue;
		used++;
		users += s->p[i].cred.uid != 0;
		theirs += s->p[i].cred.uid == uid;
	}
	if (used == HOSTSOCK_PENDING)
		return false;
	return uid == 0 || (theirs < HOSTSOCK_PER_USER && users < HOSTSOCK_USERS);
}

static void accept_all(struct hostsock *s)
{
	int c;

	/* a few a round: a flood of connections holds nothing else up */
	for (int k = 0; k < 2 * HOSTSOCK_PENDING &&
	     (c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0; k++) {
		struct ucred cred = { .uid = (uid_t)-1 };
		socklen_t clen = sizeof(cred);
		int i = 0;
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
		    !room_for(s, cred.uid)) {
			if (s->refused++ % 1000 == 0)
				log_info("control socket: uid %d has too many connections waiting "
					 "for their request: refused (%lu so far)", (int)cred.uid,
					 s->refused);
			close(c);
			continue;
		}
		while (s->p[i].fd >= 0)
			i++;
		s->p[i].fd = c;
		s->p[i].cred = cred;
		clock_gettime(CLOCK_MONOTONIC, &s->p[i].since);
	}
}

/* The request waiting on connection FD, with the pidfd passed along. */
static int read_request(int fd, const struct ucred *cred, struct host_request *r)
{
	_Alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { r->text, sizeof(r->text) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			    .msg_controllen = sizeof(control) };

	r->fd = fd;
	r->cred = *cred;
	r->pidfd = -1;
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && errno == EAGAIN)
		return 1;
	r->text[n > 0 ? n : 0] = '\0';
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&r->pidfd, CMSG_DATA(c), sizeof(int));
	return 0;
}

void hostsock_serve(struct hostsock *s, const struct pollfd *p,
		    void (*fn)(void *arg, struct host_request *r), void *arg)
{
	if (p[0].revents)
		accept_all(s);
	for (int i = 0; i < HOSTSOCK_PENDING; i++) {
		int fd = s->p[i].fd;
		struct host_request r;
		if (fd < 0)
			continue;
		/* (a connection accepted just now was not polled: read anyway) */
		if (p[i + 1].fd == fd && p[i + 1].revents == 0 &&
		    ms_since(&s->p[i].since) < HOSTSOCK_WAIT_MS)
			continue;
		if (read_request(fd, &s->p[i].cred, &r) == 0) {
			s->p[i].fd = -1;
			fn(arg, &r);
		} else if (ms_since(&s->p[i].since) >= HOSTSOCK_WAIT_MS) {
			log_debug("control socket: a client sent no request within %d ms: dropped",
				  HOSTSOCK_WAIT_MS);
			close(fd);
			s->p[i].fd = -1;
		}
	}
}
