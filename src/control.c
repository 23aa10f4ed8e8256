#define _GNU_SOURCE
#include "control.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* PATH as a socket address; -1 (ENAMETOOLONG) when it does not fit. */
static int address(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int control_connect(const char *path)
{
	struct sockaddr_un sa;

	if (address(&sa, path) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int control_open(struct control *c, const char *state)
{
	struct sockaddr_un sa;
	char path[4096];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	snprintf(path, sizeof(path), "%s/control", state);
	if (address(&sa, path) < 0) {
		log_err("%s: path too long for a socket", path);
		return -1;
	}
	int live = control_connect(path);
	if (live >= 0) {
		close(live);
		log_warn("%s: another devmgr daemon answers there; \"devmgr settle\" asks it, "
			 "not this one", path);
		return -1;
	}
	(void)unlink(path);	/* a socket left by a daemon that was killed */
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(c->fd, CONTROL_WAITERS) < 0) {
		log_warn("cannot listen at %s: %s; \"devmgr settle\" will find no daemon", path,
			 strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->path = xstrdup(path);
	return 0;
}

void control_close(struct control *c)
{
	for (unsigned i = 0; i < c->n; i++)
		close(c->w[i].fd);
	c->n = 0;
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	free(c->path);
	c->path = NULL;
	c->fd = -1;
}

/* Says WHAT to the asker, who may be gone (MSG_NOSIGNAL), and lets go. */
static void reply(int fd, const char *what)
{
	(void)send(fd, what, strlen(what), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

void control_accept(struct control *c)
{
	int fd;

	while (c->fd >= 0 && (fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (c->n == CONTROL_WAITERS) {
			reply(fd, "busy");
			continue;
		}
		c->w[c->n++] = (struct waiter){ .fd = fd };
	}
}

bool control_undrained(const struct control *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!c->w[i].drained)
			return true;
	return false;
}

void control_drained(struct control *c)
{
	for (unsigned i = 0; i < c->n; i++)
		c->w[i].drained = true;
}

void control_answer(struct control *c, bool idle, unsigned refused)
{
	char what[32] = "settled";
	unsigned k = 0;

	if (refused)
		snprintf(what, sizeof(what), "refused %u", refused);
	for (unsigned i = 0; i < c->n; i++) {
		if (c->w[i].drained && (idle || refused))
			reply(c->w[i].fd, what);
		else
			c->w[k++] = c->w[i];
	}
	c->n = k;
}
