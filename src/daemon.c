#define _GNU_SOURCE
/* The event loop. Order matters for "devmgr -d && app" never to race:
 * the uevent socket is bound before the coldplug scan, so an event that
 * happens during the scan waits in the socket; only then does the process
 * fork and the parent exit 0. Events are handled one at a time, in kernel
 * order. When the kernel drops events (ENOBUFS), what is queued is stale:
 * it is discarded and /dev is reconciled with a fresh scan of sysfs.
 *
 * The same reconciliation runs at start with the record an earlier daemon
 * left (nodelog.c): nodes of devices that went while no daemon ran are
 * removed. And when /dev refuses changes for a while (read-only, full),
 * the events it refused are kept, unpublished, and tried again with a
 * rescan once a change works again, on SIGHUP, or after a growing delay. */
#include "control.h"
#include "daemon.h"
#include "devnode.h"
#include "fileio.h"
#include "jobs.h"
#include "log.h"
#include "netlink.h"
#include "nodedb.h"
#include "nodelog.h"
#include "probe.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#define RETRY_MAX 512		/* refused events kept to try again */
#define BACKOFF_MAX 60		/* seconds between tries at most */
#define EPOCH_MS 1000

struct daemon {
	struct context *c;
	struct uevent_sock sock;
	struct record rec;		/* what devmgr made */
	struct nodelog log;		/* db, on disk */
	int sigfd;
	struct jobs jobs;		/* events whose commands still run */
	unsigned long events, overruns;
	/* /dev refused changes (read-only, no space): the events refused,
	 * oldest first, and when to try again */
	bool faulty;
	struct kept {
		struct uevent *ev;
		bool ran_commands;	/* not again when it is tried again */
	} retry[RETRY_MAX];
	unsigned nretry;
	/* this batch's events whose node removal is held back: what is
	 * needed to take one back, the event packed (a storm holds many) */
	struct held {
		mode_t type;
		dev_t rdev;
		bool ran_commands;
		char *ev;
		size_t len;
	} *held;
	unsigned nheld, capheld;
	unsigned long retry_lost;	/* refused beyond RETRY_MAX: the rescan makes their nodes */
	unsigned backoff;		/* seconds */
	long retry_at, last_try;	/* monotonic ms */
	/* the kernel's answers on devices hold until the socket is read
	 * empty, or for EPOCH_MS in a storm that does not let up */
	bool caught_up;
	long epoch_at;
	unsigned long faults_seen, writes_seen;	/* the dev root's counts, last looked at */
	struct control ctl;		/* "devmgr settle" asks here */
};

static void handle_event(struct daemon *d, struct uevent *ev)
{
	/* The kernel's own MAJOR/MINOR: the sender is verified, and reading
	 * sysfs for them would cost a path walk per event. */
	struct device dev;

	d->events++;
	device_from_uevent(&dev, ev);
	jobs_submit(&d->jobs, &dev);
}

/* ---- the record an earlier daemon left ------------------------------- */

/* NAME under the dev root (devnode_lstat), with what stops a look said
 * as WHY. 1 there, 0 not there, -1 cannot be told. */
static int look_under(struct daemon *d, const char *name, struct stat *st, char *target,
		      size_t size, char *why, size_t wsize)
{
	int rc = devnode_lstat(&d->c->dev, name, st, target, size);

	if (rc <= 0)
		snprintf(why, wsize, "cannot look at it: %s", strerror(errno));
	return rc;
}

/* Whether the node of a device that is gone, as the record an earlier
 * daemon left lists it, may be removed (normally at start; later, when
 * the start's scan was incomplete); *LINK is set to NULL when its link
 * may not. The record was trusted (nodelog), and still: a node goes only
 * when it is a device node of the recorded type and numbers that changed
 * last after the record began; a link only when it is a symlink to
 * exactly the node's name, also newer than the record. Whatever the
 * container engine made before devmgr first ran here (nvidia0, which has
 * no sysfs entry; the engine's fd -> /proc/self/fd) is older, and stays
 * whatever the record says. What may not go is forgotten by the caller.
 * WHEN names the scan, for the log. */
static bool vouched(struct daemon *d, const char *when, const struct nodedb_entry *e,
		    const char **link)
{
	const char *path = d->c->dev.path;
	char target[PATH_MAX], why[PATH_MAX + 64];
	struct stat st;

	int there = look_under(d, e->node, &st, target, sizeof(target), why, sizeof(why));
	if (there > 0 && ((st.st_mode & S_IFMT) != e->type || st.st_rdev != e->rdev))
		snprintf(why, sizeof(why), "no %s node %u:%u, as recorded",
			 e->type == S_IFBLK ? "block" : "char", major(e->rdev), minor(e->rdev));
	else if (there > 0 && !nodelog_may_be_ours(&d->log, &st))
		snprintf(why, sizeof(why), "older than devmgr's record, so made before devmgr "
			 "ran here (by the container engine?)");
	else if (there >= 0)
		why[0] = '\0';
	if (why[0]) {
		log_warn("%s: %s/%s left alone: %s", when, path, e->node, why);
		return false;
	}
	if (*link == NULL)
		return true;
	there = look_under(d, *link, &st, target, sizeof(target), why, sizeof(why));
	if (there < 0 || (there > 0 && !(S_ISLNK(st.st_mode) && strcmp(target, e->node) == 0 &&
					 nodelog_may_be_ours(&d->log, &st)))) {
		log_warn("%s: %s/%s left alone: not the link to %s devmgr made", when, path,
			 *link, e->node);
		*link = NULL;
	}
	return true;
}

/* A device the scan found: the record knows it is there (before its
 * turn comes, which may be behind a command of an earlier event), and it
 * joins the jobs like any event, as a rescan. */
static void scanned(void *arg, struct device *dev, unsigned long index)
{
	struct daemon *d = arg;
	struct nodedb_entry *e = dev->major >= 0 ? nodedb_get(&d->rec.db, dev->type, device_rdev(dev)) : NULL;

	(void)index;
	if (e)
		e->seen = true;
	dev->flags.rescan = true;
	jobs_submit(&d->jobs, dev);
}

/* The record's devices the scan did not find: their nodes go (those
 * vouched for, when an earlier daemon left the record). */
static void remove_gone(struct daemon *d, const char *when)
{
	struct nodedb_entry *e, *gone = xmalloc((d->rec.db.used + 1) * sizeof(*gone));
	size_t n = 0, kept = 0;

	/* Collect first: forgetting reshuffles the table. */
	for (size_t pos = 0; (e = nodedb_next(&d->rec.db, &pos)) != NULL; )
		if (!e->seen) {
			gone[n] = *e;
			gone[n].node = xstrdup(e->node);
			gone[n].link = e->link ? xstrdup(e->link) : NULL;
			n++;
		}
	for (size_t i = 0; i < n; i++) {
		const char *link = gone[i].link;
		if (gone[i].recorded && !vouched(d, when, &gone[i], &link)) {
			/* forgotten, so that no later resync removes it either */
			record_del(&d->rec, gone[i].type, gone[i].rdev);
			kept++;
		} else {
			log_info("%s: %s is gone", when, gone[i].node);
			handler_gone(&d->c->h, &gone[i], link != NULL);
		}
		free(gone[i].node);
		free(gone[i].link);
	}
	free(gone);
	if (n > kept)
		log_warn("%s: %zu nodes of devices that were gone removed", when, n - kept);
}

/* Rescans sysfs (devices found again run no command), and removes the
 * nodes devmgr made for devices that are gone. WHEN says which scan it is,
 * for the log. 0, or 1 when the scan found nothing or made no node. */
static int reconcile(struct daemon *d, const char *when)
{
	struct context *c = d->c;
	struct sysfs_scan sc = { 0 };
	struct nodedb_entry *e;
	struct scan_tally t;
	unsigned long faults = c->dev.faults;

	for (size_t pos = 0; (e = nodedb_next(&d->rec.db, &pos)) != NULL; )
		e->seen = false;
	context_scan_begin(c, &t);
	long n = sysfs_scan(&c->sys, &sc, scanned, d);
	c->h.scan_errors += sc.errors;
	int rc = context_scan_end(c, &t, n);
	/* A device the scan could not read is not a device that is gone:
	 * after an incomplete scan, nothing is removed; nor when no node
	 * could be made (no node made because /dev refused is no
	 * incomplete scan). */
	if (n < 0 || sc.errors || (rc != 0 && c->dev.faults == faults)) {
		log_warn("%s: sysfs could not be read completely; no node removed", when);
		return rc;
	}
	remove_gone(d, when);
	return rc;
}

/* Discards what is queued, and reconciles /dev with sysfs. */
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
	reconcile(d, "resync");
	log_warn("resync done");
}

/* ---- /dev refusing changes ------------------------------------------- */

/* Events whose node removal is held back until the batch ends. */
static void hold(struct daemon *d, const struct device *dev, bool ran_commands)
{
	if (d->nheld == d->capheld) {
		d->capheld = d->capheld ? d->capheld * 2 : 64;
		struct held *v = realloc(d->held, d->capheld * sizeof(*v));
		if (v == NULL)
			die("out of memory");
		d->held = v;
	}
	struct held *h = &d->held[d->nheld++];
	*h = (struct held){ .type = dev->type, .rdev = device_rdev(dev),
			    .ran_commands = ran_commands };
	h->ev = uevent_pack(dev->ev, &h->len);
}

static void held_clear(struct daemon *d)
{
	for (unsigned i = 0; i < d->nheld; i++)
		free(d->held[i].ev);
	d->nheld = 0;
}

/* An event is done: one /dev refused is kept to try again (a scan's is
 * not: the rescan finds its device anyway); a later add or remove of the
 * same device that worked makes the kept ones moot. */
static void event_done(void *arg, const struct device *dev, const struct outcome *o)
{
	struct daemon *d = arg;
	const char *devpath = uevent_get(dev->ev, "DEVPATH");
	/* a retry runs no command: those of its first try ran */
	bool faulted = o->faulted, ran_commands = o->ran_commands || dev->flags.no_commands;

	if (devpath == NULL || uevent_get(dev->ev, "SEQNUM") == NULL)
		return;
	/* (one refused already is kept below) */
	if (o->held && !faulted)
		hold(d, dev, ran_commands);
	if (!faulted) {
		if (dev->op != DEVOP_ADD && dev->op != DEVOP_REMOVE)
			return;
		unsigned k = 0;
		for (unsigned i = 0; i < d->nretry; i++) {
			const char *p = uevent_get(d->retry[i].ev, "DEVPATH");
			if (p && strcmp(p, devpath) == 0)
				free(d->retry[i].ev);
			else
				d->retry[k++] = d->retry[i];
		}
		d->nretry = k;
		return;
	}
	if (d->nretry == RETRY_MAX) {
		d->retry_lost++;
		return;
	}
	struct uevent *copy = xmalloc(sizeof(*copy));
	uevent_copy(copy, dev->ev);
	d->retry[d->nretry++] = (struct kept){ .ev = copy, .ran_commands = ran_commands };
}

/* A held-back node removal has been carried out, or failed: then the
 * record stays, and its event, whose messages wait in the publisher
 * until the batch ends, is taken back and kept to try again, like any
 * event /dev refused: clients never hear "remove" while the node is
 * there. */
static void removal_settled(void *arg, const char *name, mode_t type, dev_t rdev, bool ok,
			    bool refused)
{
	struct daemon *d = arg;
	struct nodedb_entry *e = nodedb_get(&d->rec.db, type, rdev);

	if (ok && e && strcmp(e->node, name) == 0)
		record_del(&d->rec, type, rdev);
	/* (a removal that failed for good is published as any other) */
	for (unsigned i = 0; !ok && refused && i < d->nheld; i++) {
		struct held *h = &d->held[i];
		if (h->type != type || h->rdev != rdev)
			continue;
		struct uevent *ev = xmalloc(sizeof(*ev));
		struct device dev;
		uevent_unpack(ev, h->ev, h->len);
		device_from_uevent(&dev, ev);
		publish_unsay(&d->c->pub, &dev);
		if (d->nretry < RETRY_MAX)
			d->retry[d->nretry++] = (struct kept){ .ev = ev,
							       .ran_commands = h->ran_commands };
		else
			free(ev), d->retry_lost++;
		free(h->ev);
		*h = d->held[--d->nheld];
		return;
	}
}


static void dir_changed(void *arg, const char *dir, bool made)
{
	struct daemon *d = arg;

	nodelog_dir(&d->log, dir, made);
}

static void adopt_dir(void *arg, const char *dir)
{
	devnode_adopt_dir(arg, dir);
}

/* The refused events again, in order (those of devices that went
 * meanwhile and left no remove to try are dropped), then a rescan for
 * the rest. */
static void catch_up(struct daemon *d, const char *why)
{
	struct devroot *dev = &d->c->dev;
	unsigned long faults = dev->faults;
	unsigned n = d->nretry;
	struct kept v[RETRY_MAX];

	log_warn("catching up with %s (%s): trying %u refused events again, then rescanning %s",
		 dev->path, why, n, d->c->cfg.sys);
	if (d->retry_lost)
		log_warn("%lu more refused events were not kept: their nodes come with the "
			 "rescan, unannounced", d->retry_lost);
	memcpy(v, d->retry, n * sizeof(v[0]));
	d->nretry = 0;
	d->retry_lost = 0;
	for (unsigned i = 0; i < n; i++) {
		struct device dv;
		device_from_uevent(&dv, v[i].ev);
		const char *devpath = uevent_get(v[i].ev, "DEVPATH");
		bool gone = devpath && *devpath == '/' &&
			    faccessat(d->c->sys.fd, devpath + 1, F_OK, 0) < 0;
		char numbers[64];
		snprintf(numbers, sizeof(numbers), "dev/%s/%d:%d", S_ISBLK(dv.type) ? "block" : "char",
			 dv.major, dv.minor);
		if (gone && dv.op != DEVOP_REMOVE) {
			log_info("%s went meanwhile: its refused event is dropped", devpath);
		} else if (dv.op == DEVOP_REMOVE && dv.major >= 0 &&
			   faccessat(d->c->sys.fd, numbers, F_OK, 0) == 0) {
			/* another device has the numbers now, maybe the name too:
			 * the rescan settles its node */
			log_info("%s: its numbers %d:%d are another device's now: its refused "
				 "remove is dropped", devpath, dv.major, dv.minor);
		} else {
			dv.flags.no_commands = v[i].ran_commands;
			jobs_submit(&d->jobs, &dv);
		}
		free(v[i].ev);
	}
	reconcile(d, "catch-up");
	d->last_try = exec_clock_ms();
	if (dev->faults != faults) {
		d->backoff = d->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : d->backoff * 2;
		d->retry_at = d->last_try + 1000L * d->backoff;
		log_warn("%s still refuses changes (%lu failed): trying again in %u s, on SIGHUP, "
			 "or once a change works", dev->path, dev->faults - faults, d->backoff);
	} else {
		d->faulty = false;
		log_warn("caught up: %s takes changes again", dev->path);
	}
	d->faults_seen = dev->faults;
	d->writes_seen = dev->writes;
}

/* After a batch of events, or a wait: did /dev refuse something, or take
 * changes again? */
static void watch_faults(struct daemon *d)
{
	struct devroot *dev = &d->c->dev;

	if (dev->faults != d->faults_seen) {
		if (!d->faulty) {
			d->faulty = true;
			d->backoff = 1;
			d->retry_at = exec_clock_ms() + 1000;
			log_warn("%s refuses changes: the events refused are kept and tried again "
				 "once a change works, on SIGHUP, or in %u s", dev->path, d->backoff);
		}
		d->faults_seen = dev->faults;
		d->writes_seen = dev->writes;
		return;
	}
	if (!d->faulty)
		return;
	long now = exec_clock_ms();
	/* A change that worked (a removal freed an inode, /dev was made
	 * writable again) is worth a try at once; not more than once a
	 * second, though, while others keep failing. */
	if ((dev->writes != d->writes_seen && now - d->last_try >= 1000) || now >= d->retry_at)
		catch_up(d, dev->writes != d->writes_seen ? "a change worked" : "time to try again");
}

/* poll's timeout: the commands' and the next try's. */
static int wait_ms(const struct daemon *d)
{
	int t = jobs_timeout(&d->jobs);

	if (!d->faulty)
		return t;
	long at = d->retry_at;
	/* a change that worked meanwhile: try once the second is up */
	if (d->c->dev.writes != d->writes_seen && d->last_try + 1000 < at)
		at = d->last_try + 1000;
	long left = at - exec_clock_ms();
	if (left < 0)
		left = 0;
	return t < 0 || left < t ? (int)(left > INT_MAX ? INT_MAX : left) : t;
}

/* Can we make device nodes at all? Asked once, so that a container set up
 * without CAP_MKNOD fails at start with a clear message instead of logging
 * one error per device forever. */
static int probe_mknod(struct devroot *dev)
{
	struct probe_answer a;

	probe_device(dev->root.fd, ".devmgr-probe", S_IFCHR, 1, 3, &a);
	if (a.mknod) {
		int e = a.mknod;
		if (devnode_transient(e)) {
			/* the container is fine; /dev is not, for now */
			log_err("cannot create device nodes in %s: %s. Starting anyway: the nodes "
				"are made once %s takes changes", dev->path, strerror(e), dev->path);
			dev->faults++;
			return 0;
		}
		if (e == EPERM && userns_is_initial() == 0)
			log_err("cannot create device nodes in %s: %s. devmgr runs in a user "
				"namespace (root here is not the host's root): the kernel refuses "
				"to make device nodes in any user namespace but the host's, "
				"whatever the capabilities. Run the container in the host's user "
				"namespace: docker and podman --userns host (rootful engines), "
				"LXC a privileged container (no lxc.idmap)", dev->path, strerror(e));
		else if (e == EPERM)
			log_err("cannot create device nodes in %s: %s. The container needs "
				"CAP_MKNOD (docker/podman: --cap-add MKNOD; LXC: mknod not in "
				"lxc.cap.drop) and a device cgroup rule allowing mknod "
				"(docker/podman: --device-cgroup-rule 'c *:* m'; LXC: "
				"lxc.cgroup.devices.allow = c *:* m)", dev->path, strerror(e));
		else
			log_err("cannot create device nodes in %s: %s", dev->path, strerror(e));
		return -1;
	}
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

/* fork before the scan at start, so that the rule commands it starts are
 * the daemon's own children (a parent that exits takes them along: the
 * daemon could neither reap nor time them). The parent waits for the
 * word that the daemon is ready and exits 0 then, or with the daemon's
 * status when it could not start. The daemon's end of the pipe. */
static int detach_begin(void)
{
	int fds[2];
	char c;
	ssize_t n;
	int st;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die("cannot start the daemon: pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("cannot fork the daemon: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		setsid();
		return fds[1];
	}
	close(fds[1]);
	while ((n = read(fds[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		_exit(0);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
}

/* The daemon is ready: its parent may exit 0. */
static void detach_end(int fd, int keep_fd)
{
	if (write(fd, "\n", 1) != 1)
		log_warn("cannot tell the starting process the daemon is ready: %s",
			 strerror(errno));
	close(fd);
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
	bool refused;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			/* devices refused may be allowed now (docker update) */
			refused = d->c->policy.source == POLICY_PROBE && d->c->policy.refused;
			context_reload(d->c);
			if (d->faulty || d->nretry) {
				d->backoff = 1;
				catch_up(d, "SIGHUP");
			} else if (refused) {
				/* the kernel is asked again about every device */
				reconcile(d, "SIGHUP");
			}
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping on signal %u: %lu events handled, %lu forged dropped, "
				 "%lu overruns, %lu messages published, %lu failed, %lu with no "
				 "listener", si.ssi_signo, d->events, d->sock.forged, d->overruns,
				 d->c->pub.published, d->c->pub.send_failures, d->c->pub.unheard);
			return 1;
		case SIGCHLD:
			/* commands (each job reaps its own), and disk probes
			 * that ended after their time was up */
			jobs_service(&d->jobs);
			fsprobe_reap(&d->c->disks);
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
		/* In a storm each batch follows the last at once: asking the
		 * kernel about every device again each batch of 1,024 cost a
		 * tenth of the daemon's time (an engine's change, docker
		 * update, lands in a quiet moment or within EPOCH_MS). */
		long now = exec_clock_ms();
		if (d->caught_up || now - d->epoch_at >= EPOCH_MS) {
			policy_new_epoch(&d->c->policy);
			d->epoch_at = now;
		}
		/* While /dev refuses changes, removals are done at once, so
		 * that the event that failed is known and kept. */
		devnode_defer(&d->c->dev, !d->faulty);
		publisher_hold(&d->c->pub, true);
	} else {
		devnode_defer(&d->c->dev, false);
		publisher_hold(&d->c->pub, false);
		held_clear(d);
	}
}

/* One batch of events, bounded so that signals are looked at during
 * storms. Node removals are held back until the batch is done: a device
 * that comes back within it keeps its node. 1 when the socket was read
 * empty, 0 when events remain, -1 on a socket error. */
static int drain(struct daemon *d)
{
	struct uevent ev;
	int rc = 0;

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
			rc = 1;
			break;
		} else if (r == RECV_ERROR) {
			rc = -1;
			break;
		}
	}
	batch(d, false);
	d->caught_up = rc != 0;
	return rc;
}

static int loop(struct daemon *d)
{
	struct pollfd p[3 + JOBS_RUNNING_MAX + JOBS_ORPHANS_MAX] = {
		{ .fd = d->sock.fd, .events = POLLIN }, { .fd = d->sigfd, .events = POLLIN },
		{ .fd = d->ctl.fd, .events = POLLIN },
	};

	for (;;) {
		int n = 3 + jobs_pollfds(&d->jobs, p + 3, JOBS_RUNNING_MAX + JOBS_ORPHANS_MAX);
		if (poll(p, (nfds_t)n, wait_ms(d)) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (p[1].revents && on_signal(d))
			return 0;
		if (jobs_active(&d->jobs))
			jobs_service(&d->jobs);	/* output, deadlines */
		if (p[2].revents)
			control_accept(&d->ctl);
		/* one who asks to settle has the events sent before read: the
		 * socket is read until empty once after the question */
		if (p[0].revents || control_undrained(&d->ctl)) {
			int r = drain(d);
			if (r < 0)
				return 1;
			if (r > 0)
				control_drained(&d->ctl);
			if (nodelog_compact(&d->log, &d->rec.db, d->c->dev.made_dirs,
					    d->c->dev.nmade, false) < 0)
				log_warn("%s goes on growing", d->log.path);
		}
		watch_faults(d);
		/* (a command left running past its time is no event in hand) */
		control_answer(&d->ctl, jobs_active(&d->jobs) <= d->jobs.norphans, d->nretry);
	}
}

/* The record of an earlier daemon, if any, and the hooks that keep it. */
static int record_open(struct daemon *d)
{
	struct context *c = d->c;
	char root[PATH_MAX];

	if (realpath(c->dev.path, root) == NULL)
		snprintf(root, sizeof(root), "%s", c->dev.path);
	if (nodelog_open(&d->log, c->cfg.state, root, &d->rec.db, adopt_dir, &c->dev) < 0)
		return -1;
	if (d->rec.db.used)
		log_info("%s: %zu nodes made by an earlier devmgr", d->log.path, d->rec.db.used);
	d->rec.log = &d->log;
	c->dev.removed = removal_settled;
	c->dev.dir_changed = dir_changed;
	c->dev.hook_arg = d;
	c->h.done = event_done;
	c->h.done_arg = d;
	return 0;
}

static void record_close(struct daemon *d)
{
	struct context *c = d->c;

	c->dev.removed = NULL;
	c->dev.dir_changed = NULL;
	c->dev.hook_arg = NULL;
	c->h.done = NULL;
	c->h.done_arg = NULL;
	d->rec.log = NULL;
	nodelog_close(&d->log);
	for (unsigned i = 0; i < d->nretry; i++)
		free(d->retry[i].ev);
	d->nretry = 0;
	held_clear(d);
	free(d->held);
}

int daemon_run(struct context *c, const struct daemon_opts *o)
{
	struct daemon d = { .c = c, .sigfd = -1, .ctl.fd = -1 };
	int ns = netns_gets_uevents();
	int rc;

	if (ns == 0) {
		log_err("this network namespace belongs to a user namespace other than the "
			"host's (a rootless engine, docker's userns-remap, podman --userns or "
			"--uidmap, an unprivileged LXC container): the kernel sends it no "
			"uevents, and refuses to make device nodes there whatever the "
			"capabilities. Run the container in the host's user namespace: docker "
			"and podman --userns host (rootful engines), LXC a privileged "
			"container (no lxc.idmap)");
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
	/* said once the daemon can work at all */
	context_warn_policy(c);
	d.sigfd = signals_open();
	if (d.sigfd < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	nodedb_init(&d.rec.db);
	jobs_init(&d.jobs, &c->h);
	if (record_open(&d) < 0) {
		rc = 1;
		goto out;
	}
	c->h.in.record = &d.rec.db;
	c->h.x.record = &d.rec;
	context_publish(c, true);
	int started = o->foreground ? -1 : detach_begin();
	/* One process: the daemon must record every node it makes. The scan
	 * fills the udev database; its devices are no events to publish.
	 * Nodes an earlier daemon made for devices gone since are removed,
	 * and devices it handled run no command again. */
	if (reconcile(&d, "start") != 0 && c->dev.faults == 0) {
		rc = 1;
		goto out;
	}
	nodelog_compact(&d.log, &d.rec.db, c->dev.made_dirs, c->dev.nmade, true);
	watch_faults(&d);
	publisher_sending(&c->pub, true);
	if (started >= 0)
		detach_end(started, o->ready_fd);
	if (o->syslog || (!o->foreground && access("/dev/log", W_OK) == 0))
		log_to_syslog();
	control_open(&d.ctl, c->cfg.state);
	notify_ready(o);
	log_info("ready: uevent buffer %d bytes, %zu rules", d.sock.rcvbuf, c->rules.n);
	rc = loop(&d);
	publisher_retire(&c->pub);
out:
	control_close(&d.ctl);
	jobs_stop(&d.jobs);
	c->h.in.record = NULL;
	c->h.x.record = NULL;
	record_close(&d);
	nodedb_free(&d.rec.db);
	close(d.sigfd);
	uevent_sock_close(&d.sock);
	return rc;
}
