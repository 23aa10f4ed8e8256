#define _GNU_SOURCE
/* The event loop. Order matters for "devmgr -d && app" never to race:
 * the uevent socket is bound before the coldplug scan, so an event that
 * happens during the scan waits in the socket; only then does the process
 * fork and the parent exit 0. Events are handled one at a time, in kernel
 * order. When the kernel drops events (ENOBUFS), what is queued is stale:
 * it is discarded and /dev is reconciled with a fresh scan of sysfs. */
#define _GNU_SOURCE
#include "daemon.h"
#include "fileio.h"
#include "jobs.h"
#include "log.h"
#include "netlink.h"
#include "nodedb.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct daemon {
	struct context *c;
	struct uevent_sock sock;
	struct nodedb db;
	int sigfd;
	struct jobs jobs;		/* events whose commands still run */
	unsigned long events, overruns;
};

static void handle_event(struct daemon *d, struct uevent *ev)
{
	/* The kernel's own MAJOR/MINOR: the sender is verified, and reading
	 * sysfs for them would cost a path walk per event. */
	d->events++;
	jobs_event(&d->jobs, ev);
}

/* Discards what is queued, rescans sysfs, and removes the nodes devmgr
 * made for devices that are gone. */
static void resync(struct daemon *d)
{
	struct uevent ev;
	unsigned long dropped = 0;
	enum recv_result r;

	d->overruns++;
	while ((r = uevent_sock_recv(&d->sock, &ev)) != RECV_AGAIN && r != RECV_ERROR)
		dropped++;
	log_warn("the kernel dropped uevents (receive buffer full): discarded %lu queued, "
		 "rescanning %s", dropped, d->c->cfg.sys);
	for (size_t i = 0; i < d->db.cap; i++)
		d->db.v[i].seen = false;
	unsigned long errors = d->c->h.scan_errors;
	/* A device the scan could not read is not a device that is gone:
	 * after an incomplete scan, nothing is removed. */
	d->c->h.rescan = true;
	int scanned = context_coldplug(d->c, 1);
	d->c->h.rescan = false;
	if (scanned != 0 || d->c->h.scan_errors != errors) {
		log_warn("resync: sysfs could not be read completely; no node removed");
		return;
	}
	/* Collect first: forgetting reshuffles the table. */
	size_t n = 0;
	struct nodedb_entry *gone = xmalloc((d->db.used + 1) * sizeof(*gone));
	for (size_t i = 0; i < d->db.cap; i++)
		if (d->db.v[i].type && !d->db.v[i].seen) {
			gone[n] = d->db.v[i];
			gone[n].node = xstrdup(d->db.v[i].node);
			gone[n].link = d->db.v[i].link ? xstrdup(d->db.v[i].link) : NULL;
			n++;
		}
	for (size_t i = 0; i < n; i++) {
		log_info("resync: %s is gone", gone[i].node);
		handler_gone(&d->c->h, gone[i].type, gone[i].rdev, gone[i].node, gone[i].link);
		free(gone[i].node);
		free(gone[i].link);
	}
	free(gone);
	log_warn("resync done: %zu nodes of devices that were gone removed", n);
}

/* Can we make device nodes at all? Asked once, so that a container set up
 * without CAP_MKNOD fails at start with a clear message instead of logging
 * one error per device forever. */
static int probe_mknod(struct devroot *dev)
{
	static const char probe[] = ".devmgr-probe";

	unlinkat(dev->root.fd, probe, 0);
	if (mknodat(dev->root.fd, probe, S_IFCHR | 0600, makedev(1, 3)) < 0) {
		int e = errno;
		if (e == EPERM)
			log_err("cannot create device nodes in %s: %s. The container needs "
				"CAP_MKNOD (docker/podman: --cap-add MKNOD) and a device cgroup "
				"rule allowing mknod (--device-cgroup-rule 'c *:* m')", dev->path,
				strerror(e));
		else
			log_err("cannot create device nodes in %s: %s", dev->path, strerror(e));
		return -1;
	}
	unlinkat(dev->root.fd, probe, 0);
	return 0;
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* s6-style (-D FD) and systemd-style (NOTIFY_SOCKET) readiness. */
static void notify_ready(const struct daemon_opts *o)
{
	const char *path = getenv("NOTIFY_SOCKET");

	if (o->ready_fd >= 0) {
		if (write(o->ready_fd, "\n", 1) != 1)
			log_warn("cannot signal readiness on fd %d: %s", o->ready_fd, strerror(errno));
		close(o->ready_fd);
	}
	if (path && (path[0] == '/' || path[0] == '@') && strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		memcpy(sa.sun_path, path, strlen(path));
		if (path[0] == '@')
			sa.sun_path[0] = '\0';	/* abstract namespace */
		if (fd < 0 || sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, len) < 0)
			log_warn("cannot notify %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

/* fork, and the parent exits 0: by now the daemon is ready. */
static void detach(int keep_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("cannot fork the daemon: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	setsid();
	/* stdout is never written: keeping the caller's would make
	 * "x=$(devmgr -d)" wait forever. stderr stays: it is the log
	 * unless syslog is used. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		if (keep_fd != STDOUT_FILENO)	/* -D 1 */
			dup2(null, STDOUT_FILENO);
		close(null);
	}
	if (chdir("/") < 0)
		log_warn("cannot chdir to /: %s", strerror(errno));
}

static int on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			context_reload(d->c);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping on signal %u: %lu events handled, %lu forged dropped, "
				 "%lu overruns, %lu messages published, %lu not", si.ssi_signo,
				 d->events, d->sock.forged, d->overruns, d->c->pub.published,
				 d->c->pub.send_failures);
			return 1;
		case SIGCHLD:
			/* only commands are our children: each job reaps its own */
			jobs_service(&d->jobs);
			break;
		}
	}
	return 0;
}

/* Node removals are held back during a batch of events (a device that
 * comes back within it keeps its node), so the batch's published events
 * are too: a client hears of a remove only once the node is gone. */
static void batch(struct daemon *d, bool start)
{
	if (start) {
		devnode_defer(&d->c->dev, true);
		publisher_hold(&d->c->pub, true);
	} else {
		devnode_defer(&d->c->dev, false);
		publisher_hold(&d->c->pub, false);
	}
}

static int loop(struct daemon *d)
{
	struct pollfd p[2 + JOBS_RUNNING_MAX + JOBS_ORPHANS_MAX] = {
		{ .fd = d->sock.fd, .events = POLLIN }, { .fd = d->sigfd, .events = POLLIN },
	};
	struct uevent ev;

	for (;;) {
		int n = 2 + jobs_pollfds(&d->jobs, p + 2, JOBS_RUNNING_MAX + JOBS_ORPHANS_MAX);
		if (poll(p, (nfds_t)n, jobs_timeout(&d->jobs)) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (p[1].revents && on_signal(d))
			return 0;
		if (jobs_active(&d->jobs))
			jobs_service(&d->jobs);	/* output, deadlines */
		if (!p[0].revents)
			continue;
		/* A bounded batch, so signals are looked at during storms.
		 * Node removals are held back until the batch is done: a
		 * device that comes back within it keeps its node. */
		batch(d, true);
		for (int i = 0; i < 1024; i++) {
			enum recv_result r = uevent_sock_recv(&d->sock, &ev);
			if (r == RECV_EVENT) {
				handle_event(d, &ev);
			} else if (r == RECV_OVERRUN) {
				batch(d, false);
				resync(d);
				batch(d, true);
			} else if (r == RECV_AGAIN) {
				break;
			} else if (r == RECV_ERROR) {
				batch(d, false);
				return 1;
			}
		}
		batch(d, false);
	}
}

int daemon_run(struct context *c, const struct daemon_opts *o)
{
	struct daemon d = { .c = c, .sigfd = -1 };
	int ns = netns_gets_uevents();
	int rc;

	if (ns == 0) {
		log_err("this network namespace belongs to a user namespace other than the "
			"host's: the kernel sends it no uevents. Run the container with the "
			"host's network (--network host) or a network namespace made by the "
			"host's root, not inside a user namespace");
		return 1;
	}
	if (ns < 0)
		log_info("cannot tell whether this network namespace receives uevents");
	if (uevent_sock_open(&d.sock, c->cfg.rcvbuf) < 0)
		return 1;
	if (probe_mknod(&c->dev) < 0) {
		uevent_sock_close(&d.sock);
		return 1;
	}
	d.sigfd = signals_open();
	if (d.sigfd < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	nodedb_init(&d.db);
	jobs_init(&d.jobs, &c->h);
	c->h.db = &d.db;
	context_publish(c, true);
	/* One process: the daemon must record every node it makes. The scan
	 * fills the udev database; its devices are no events to publish. */
	if (context_coldplug(c, 1) != 0) {
		rc = 1;
		goto out;
	}
	publisher_sending(&c->pub, true);
	if (!o->foreground)
		detach(o->ready_fd);
	if (o->syslog || (!o->foreground && access("/dev/log", W_OK) == 0))
		log_to_syslog();
	notify_ready(o);
	log_info("ready: uevent buffer %d bytes, %zu rules", d.sock.rcvbuf, c->rules.n);
	rc = loop(&d);
	jobs_stop(&d.jobs);
	publisher_retire(&c->pub);
out:
	c->h.db = NULL;
	nodedb_free(&d.db);
	close(d.sigfd);
	uevent_sock_close(&d.sock);
	return rc;
}
