#define _GNU_SOURCE
#include "hostworker.h"
#include "context.h"
#include "device.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What host mode decides for every container, whatever its own files
 * say: the host's grants are the policy; no module, no firmware. */
static void worker_settings(struct context *c)
{
	static const char *const set[][3] = {
		{ "policy", "probe", "no" },
		{ "policy", "cgroup", "/nonexistent/devmgr-host" },
		{ "firmware", "load", "no" },
		{ "modules", "load", "no" },
	};

	/* no devmgr.conf: the container's could point the paths anywhere */
	c->config_path = "/nonexistent/devmgr-host.conf";
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		c->overrides[i][0] = set[i][0];
		c->overrides[i][1] = set[i][1];
		c->overrides[i][2] = set[i][2];
	}
	c->noverrides = (int)(sizeof(set) / sizeof(set[0]));
}

static void serve(struct context *c, int sock)
{
	static char buf[UEVENT_BUF_SIZE];
	struct uevent ev;
	struct device dev;

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (uevent_unpack(&ev, buf, (size_t)n) < 0) {
			log_err("dropped a malformed event from the host daemon");
			continue;
		}
		device_from_uevent(&dev, &ev);
		dev.flags.no_commands = true;
		handle_device(&c->h, &dev);
		/* one byte back per event: the daemon counts what is done */
		if (send(sock, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EPIPE)
			return;
	}
}

static int worker_main(const struct target *t, int sys_fd, int sock, int verbose)
{
	static struct context ctx;
	int bind_fs = -1;

	if (t->userns && (bind_fs = detached_tmpfs()) < 0)
		return 1;
	if (target_enter(t) < 0)
		return 1;
	/* The dev root is opened as named; inside a container that name is
	 * the container's to point elsewhere (its /sys, its /proc), where
	 * we act with the host's privileges. */
	struct stat st;
	errno = 0;
	if (lstat("/dev", &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_err("not served: its /dev is %s", errno ? strerror(errno) : "not a directory");
		return 1;
	}
	umask(0);
	target_fs_ids(t, false);
	worker_settings(&ctx);
	ctx.sys_fd_given = sys_fd;
	ctx.verbose = verbose;
	if (context_open(&ctx) != 0)
		return 1;
	ctx.dev.bind = t->userns;
	ctx.dev.bind_fs = bind_fs;
	ctx.dev.target = t;
	context_publish(&ctx, true);
	publisher_sending(&ctx.pub, true);
	if (ctx.pub.sock_open && t->userns)
		nl_sender_creds(&ctx.pub.sock, (uid_t)idmap_to_host(&t->uids, 0),
				(gid_t)idmap_to_host(&t->gids, 0));
	serve(&ctx, sock);
	context_close(&ctx);
	return 0;
}

int worker_start(struct worker *w, const struct target *t, const char *name, int sys_fd,
		 int verbose)
{
	int sv[2], bufsize = 4 << 20;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("%s: cannot make the worker's socket: %s", name, strerror(errno));
		return -1;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	w->pid = fork();
	if (w->pid < 0) {
		log_err("%s: cannot fork its worker: %s", name, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (w->pid == 0) {
		/* not the daemon's sockets, clients, other containers' workers:
		 * a detached one must see its socket close */
		close_all_but((int[]){ t->pidfd, t->root_fd, sys_fd, sv[1] }, 4);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		log_set_tag(name);
		_exit(worker_main(t, sys_fd, sv[1], verbose));
	}
	close(sv[1]);
	w->sock = sv[0];
	fcntl(w->sock, F_SETFL, O_NONBLOCK);
	w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	return 0;
}

int worker_send(struct worker *w, const char *ev, size_t len)
{
	if (send(w->sock, ev, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return 0;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 1 : -1;
}

void worker_stop(struct worker *w, int timeout_ms)
{
	struct pollfd p = { .fd = w->pidfd, .events = POLLIN };

	if (w->sock >= 0)
		close(w->sock);
	w->sock = -1;
	if (w->pid <= 0)
		return;
	if (w->pidfd < 0 || poll(&p, 1, timeout_ms) <= 0) {
		log_warn("worker %d did not finish within %d ms: killed", (int)w->pid, timeout_ms);
		kill(w->pid, SIGKILL);
	}
	waitpid(w->pid, NULL, 0);
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd = -1;
	w->pid = 0;
}
