#define _GNU_SOURCE
/* The host daemon's loop and its containers. Nothing here waits on a
 * container: events go to its worker without blocking (a full socket
 * queues them here), and its answers are counted as they come. */
#include "hostd.h"
#include "hostaccess.h"
#include "enter.h"
#include "fileio.h"
#include "hostconf.h"
#include "hostsock.h"
#include "hostworker.h"
#include "log.h"
#include "netlink.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOST_MAX 64
#define USER_ATTACH_MAX 8	/* a user's (not root's) containers at once */
#define ROOT_ATTACH_KEPT 16	/* slots users may not take */
#define QUEUE_MAX 65536		/* events a stuck worker may owe before some are lost */
#define DRAIN_MS 10000		/* a detached worker's time to finish */

struct held {
	char *devpath, *ev;
	size_t len;
	struct granted g;	/* a device given: its access (hostaccess.h) */
};

struct attached {
	bool used, closing;
	char name[80];			/* at most 64 used (good_name) */
	struct target t;
	struct worker w;
	struct access acc;		/* its device cgroups */
	struct held *dv;		/* the devices it has been given */
	size_t ndv, dvcap;
	struct held *q;			/* events its socket would not take yet */
	size_t qhead, qlen, qcap;
	unsigned long queued, acked, lost;
	uid_t by;			/* who attached it: only they (or root) detach */
	int reply_fd;			/* told when acked reaches reply_at */
	unsigned long reply_at;
	struct timespec deadline;	/* closing: killed after it */
};

struct hostd {
	const struct hostd_opts *o;
	struct hostconf conf;
	int sys_fd, sig_fd;
	struct hostsock ctl;
	struct uevent_sock sock;
	struct attached a[HOST_MAX];
	bool stop;
};

static void reply(int *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int *fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (*fd < 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (send(*fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("a client left before its answer: %s", strerror(errno));
	close(*fd);
	*fd = -1;
}

/* ---- what a container has, and what it is owed ------------------------- */

static ssize_t held_find(const struct attached *a, const char *devpath)
{
	for (size_t i = 0; i < a->ndv; i++)
		if (strcmp(a->dv[i].devpath, devpath) == 0)
			return (ssize_t)i;
	return -1;
}

static void held_set(struct attached *a, ssize_t i, const char *devpath, const char *ev,
		     size_t len)
{
	if (i < 0) {
		if (a->ndv == a->dvcap) {
			a->dvcap = a->dvcap ? 2 * a->dvcap : 16;
			struct held *n = realloc(a->dv, a->dvcap * sizeof(*n));
			if (n == NULL)
				abort();
			a->dv = n;
		}
		i = (ssize_t)a->ndv++;
		a->dv[i].devpath = xstrdup(devpath);
		a->dv[i].g = (struct granted){ 0 };
	} else {
		free(a->dv[i].ev);
	}
	a->dv[i].ev = xmalloc(len);
	memcpy(a->dv[i].ev, ev, len);
	a->dv[i].len = len;
}

static void held_drop(struct attached *a, size_t i)
{
	access_revoke(&a->acc, &a->dv[i].g);
	free(a->dv[i].devpath);
	free(a->dv[i].ev);
	a->dv[i] = a->dv[--a->ndv];
}

static void flush(struct attached *a)
{
	while (a->qlen > 0) {
		struct held *e = &a->q[a->qhead];
		if (worker_send(&a->w, e->ev, e->len) == 1)
			return;
		free(e->ev);
		a->qhead++;
		a->qlen--;
	}
	a->qhead = 0;
}

/* EV to the worker, after what it is still owed. */
static void give(struct attached *a, const char *ev, size_t len)
{
	a->queued++;
	if (a->qlen == 0 && worker_send(&a->w, ev, len) != 1)
		return;
	if (a->qlen >= QUEUE_MAX) {
		if (a->lost++ == 0)
			log_err("%s: its worker is %d events behind: events are lost (see "
				"'devmgr host list')", a->name, QUEUE_MAX);
		a->acked++;	/* never coming */
		return;
	}
	if (a->qhead + a->qlen == a->qcap) {
		if (a->qhead > 0) {
			memmove(a->q, a->q + a->qhead, a->qlen * sizeof(*a->q));
			a->qhead = 0;
		} else {
			a->qcap = a->qcap ? 2 * a->qcap : 64;
			struct held *n = realloc(a->q, a->qcap * sizeof(*n));
			if (n == NULL)
				abort();
			a->q = n;
		}
	}
	struct held *e = &a->q[a->qhead + a->qlen++];
	e->devpath = NULL;
	e->ev = xmalloc(len);
	memcpy(e->ev, ev, len);
	e->len = len;
}

/* The kernel's event EV for container A: given when its device is A's
 * (granted on add, remembered until remove). */
static void offer(struct hostd *h, struct attached *a, const struct uevent *ev,
		  const char *packed, size_t len)
{
	const char *path = uevent_get(ev, "DEVPATH"), *action = uevent_get(ev, "ACTION");
	ssize_t i = held_find(a, path);
	bool remove = strcmp(action, "remove") == 0;

	unsigned mode = 0;
	if (i < 0) {
		const struct hostconf_container *c = hostconf_find(&h->conf, a->name);
		unsigned line;
		if (remove || c == NULL || (mode = hostconf_mode(c, h->sys_fd, ev, &line)) == 0)
			return;
		log_info("%s: %s %s: granted by line %u", a->name, action, path, line);
	}
	if (remove) {
		held_drop(a, (size_t)i);
	} else {
		bool fresh = i < 0;
		held_set(a, i, path, packed, len);
		/* allowed before its node is there */
		if (fresh) {
			a->dv[a->ndv - 1].g.mode = mode;
			access_grant(&a->acc, &a->dv[a->ndv - 1].g, ev);
		}
	}
	give(a, packed, len);
}

static void dispatch(struct hostd *h, const struct uevent *ev)
{
	size_t len;

	if (uevent_get(ev, "DEVPATH") == NULL || uevent_get(ev, "ACTION") == NULL)
		return;
	char *packed = uevent_pack(ev, &len);
	for (int i = 0; i < HOST_MAX; i++)
		if (h->a[i].used && !h->a[i].closing)
			offer(h, &h->a[i], ev, packed, len);
	free(packed);
}

/* ---- attach: the devices already there ---------------------------------- */

struct cold { struct hostd *h; struct attached *a; };

static void cold_one(void *arg, struct device *dev, unsigned long index)
{
	struct cold *c = arg;
	char link[PATH_MAX];
	struct uevent ev;
	(void)index;

	ssize_t n = readlinkat(c->h->sys_fd, dev->sysdir, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	const char *devpath = strstr(link, "/devices/");
	const char *sub = device_get(dev, "SUBSYSTEM");
	if (devpath == NULL || sub == NULL || held_find(c->a, devpath) >= 0)
		return;
	uevent_copy(&ev, dev->ev);
	uevent_set(&ev, "DEVPATH", devpath);
	uevent_set(&ev, "SUBSYSTEM", sub);
	size_t len;
	char *packed = uevent_pack(&ev, &len);
	offer(c->h, c->a, &ev, packed, len);
	free(packed);
}

static void coldplug(struct hostd *h, struct attached *a)
{
	struct sysfs s = { .fd = h->sys_fd, .path = h->conf.sys };
	struct sysfs_scan sc = { 0 };
	struct cold c = { h, a };

	if (sysfs_scan(&s, &sc, cold_one, &c) < 0)
		log_err("%s: cannot scan %s for the devices it has", a->name, h->conf.sys);
}

/* ---- attach and detach --------------------------------------------------- */

static struct attached *by_name(struct hostd *h, const char *name)
{
	for (int i = 0; i < HOST_MAX; i++)
		if (h->a[i].used && strcmp(h->a[i].name, name) == 0)
			return &h->a[i];
	return NULL;
}

static bool good_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-") == n;
}

/* Why T must not be entered, or NULL. */
static const char *unfit(const struct target *t)
{
	int same = same_file_cached(t->root_fd, "/");

	if (same < 0)
		return "its root cannot be looked at";
	if (same)
		return "its root is the host's: not a container, or not yet pivoted into "
		       "its root (attach from the OCI poststart hook, not createRuntime)";
	return NULL;
}

static void attach(struct hostd *h, int *client, const char *name, int pidfd, uid_t by)
{
	struct attached *a = NULL;
	const char *why;

	if (!good_name(name)) {
		reply(client, "error: '%s' is no container name (letters, digits, _ . -; "
		      "at most 64)", name);
		goto out;
	}
	if (by_name(h, name)) {
		reply(client, "error: %s is attached already", name);
		goto out;
	}
	if (hostconf_find(&h->conf, name) == NULL) {
		reply(client, "ok %s: no [container] section of %s matches it: nothing to serve",
		      name, h->o->config);
		goto out;
	}
	for (int i = 0; i < HOST_MAX && a == NULL; i++)
		if (!h->a[i].used)
			a = &h->a[i];
	if (a == NULL) {
		reply(client, "error: %d containers are attached already", HOST_MAX);
		goto out;
	}
	memset(a, 0, sizeof(*a));
	a->reply_fd = -1;
	a->by = by;
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (target_open(&a->t, pidfd) < 0 || (why = unfit(&a->t)) != NULL) {
		why = a->t.pid > 0 && a->t.root_fd >= 0 ? unfit(&a->t) : NULL;
		reply(client, "error: cannot attach %s: %s", name,
		      why ? why : "its process cannot be looked at (see the daemon's log)");
		target_close(&a->t);
		goto out;
	}
	access_open(&a->acc, a->name, a->t.pid, &h->conf);
	if (worker_start(&a->w, &a->t, name, h->sys_fd, h->o->verbose) < 0) {
		access_close(&a->acc);
		reply(client, "error: cannot attach %s: no worker (see the daemon's log)", name);
		target_close(&a->t);
		goto out;
	}
	a->used = true;
	coldplug(h, a);
	log_info("%s attached: pid %d, %s user namespace, %zu devices", name, (int)a->t.pid,
		 a->t.userns ? "its own" : "the host's", a->ndv);
	a->reply_fd = *client;
	a->reply_at = a->queued;
	*client = -1;
	/* nothing to give yet: no ack will come to answer it */
	if (a->acked >= a->reply_at)
		reply(&a->reply_fd, "ok %s: pid %d, %zu devices", a->name, (int)a->t.pid, a->ndv);
	return;
out:
	close(pidfd);
}

static void finish(struct attached *a)
{
	struct timespec now;

	a->closing = true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	a->deadline = now;
	a->deadline.tv_sec += DRAIN_MS / 1000;
	if (a->qlen == 0)
		shutdown(a->w.sock, SHUT_WR);
}

/* By request: its devices go from its /dev first. */
static void detach(struct hostd *h, int *client, const char *name)
{
	struct attached *a = by_name(h, name);
	struct uevent ev;

	if (a == NULL || a->closing) {
		reply(client, "error: no container %s is attached", name);
		return;
	}
	while (a->ndv > 0) {
		struct held *d = &a->dv[a->ndv - 1];
		size_t len;
		if (uevent_unpack(&ev, d->ev, d->len) == 0 && uevent_set(&ev, "ACTION", "remove") == 0) {
			char *packed = uevent_pack(&ev, &len);
			give(a, packed, len);
			free(packed);
		}
		held_drop(a, a->ndv - 1);
	}
	reply(&a->reply_fd, "ok %s: detached before its devices were all there", name);
	a->reply_fd = *client;
	a->reply_at = (unsigned long)-1;	/* answered when the worker is gone */
	*client = -1;
	finish(a);
}

static void release(struct attached *a)
{
	worker_stop(&a->w, 0);
	close(a->t.pidfd);
	target_close(&a->t);
	while (a->ndv > 0)
		held_drop(a, a->ndv - 1);
	access_close(&a->acc);
	free(a->dv);
	for (size_t i = 0; i < a->qlen; i++)
		free(a->q[a->qhead + i].ev);
	free(a->q);
	a->used = false;
}

static void list(struct hostd *h, int *client)
{
	char out[16384];
	size_t n = 0;

	for (int i = 0; i < HOST_MAX; i++) {
		struct attached *a = &h->a[i];
		if (!a->used || n >= sizeof(out) - 256)
			continue;
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "%s pid=%d userns=%s devices=%zu events=%lu handled=%lu "
				      "lost=%lu%s\n", a->name, (int)a->t.pid,
				      a->t.userns ? "own" : "host", a->ndv, a->queued,
				      a->acked, a->lost, a->closing ? " detaching" : "");
	}
	if (n > 0)
		out[--n] = '\0';
	reply(client, "%s", n ? out : "(none attached)");
}

/* ---- the control socket ------------------------------------------------- */

/* ---- host.conf again: what each container has, again -------------------- */

/* Container A's devices as host.conf now says: one it no longer gets goes
 * (its remove to the worker, its access taken back), one whose access
 * changed is given the new access, and the host's devices it now gets
 * are given. */
static void regrant(struct hostd *h, struct attached *a)
{
	const struct hostconf_container *c = hostconf_find(&h->conf, a->name);
	struct uevent ev;
	size_t len;

	for (size_t i = a->ndv; i-- > 0;) {
		struct held *d = &a->dv[i];
		if (uevent_unpack(&ev, d->ev, d->len) < 0)
			continue;
		unsigned mode = c ? hostconf_mode(c, h->sys_fd, &ev, NULL) : 0;
		if (mode == d->g.mode)
			continue;
		if (mode == 0) {
			log_info("%s: %s is no longer granted: removed", a->name, d->devpath);
			if (uevent_set(&ev, "ACTION", "remove") == 0) {
				char *packed = uevent_pack(&ev, &len);
				give(a, packed, len);
				free(packed);
			}
			held_drop(a, i);
			continue;
		}
		access_revoke(&a->acc, &d->g);
		d->g.mode = mode;
		access_grant(&a->acc, &d->g, &ev);
	}
	if (c)
		coldplug(h, a);		/* (the devices it has are passed over) */
}

/* host.conf read again; the containers attached get what it says at
 * once. PRUNE: a recursive reload (devtree.h). 0, or -1 when the file has
 * errors: what is in force stays. */
static int reload(struct hostd *h, bool prune)
{
	struct hostconf n;

	hostconf_defaults(&n);
	if (hostconf_load_tree(&n, h->o->config, true, prune) < 0) {
		log_err("reload: %s has errors; keeping what is in force", h->o->config);
		hostconf_free(&n);
		return -1;
	}
	hostconf_free(&h->conf);
	h->conf = n;
	/* users = added or taken away: the socket opens or closes with it */
	if (hostsock_set_open(&h->ctl, hostconf_has_users(&h->conf)) < 0)
		log_warn("cannot set the mode of %s: %s", h->ctl.path, strerror(errno));
	log_info("reloaded %s: %u container sections, %u groups", h->o->config, h->conf.n,
		 h->conf.ngroups);
	for (int i = 0; i < HOST_MAX; i++)
		if (h->a[i].used && !h->a[i].closing)
			regrant(h, &h->a[i]);
	return 0;
}

/* Which of the namespaces the worker enters (mount, network; and the
 * user namespace) the process PIDFD is in belongs to a user namespace
 * UID did not make; NULL when none. A process of theirs left in the
 * host's mount namespace (unshare -U, chroot) would have nodes mounted
 * there, and its events published on the host's network. */
static const char *not_theirs(int pidfd, uid_t uid)
{
	static const char *const ns[] = { "user", "mount", "network" };
	static const char *const file[] = { "user", "mnt", "net" };
	uid_t owner;

	for (int i = 0; i < 3; i++)
		if (pidfd_ns_owner(pidfd, file[i], &owner) < 0 || owner != uid)
			return ns[i];
	return NULL;
}

/* How many containers UID attached; (uid_t)-1: all users but root. */
static int attached_by(const struct hostd *h, uid_t uid)
{
	int n = 0;

	for (int i = 0; i < HOST_MAX; i++)
		if (h->a[i].used && (uid == (uid_t)-1 ? h->a[i].by != 0 : h->a[i].by == uid))
			n++;
	return n;
}

/* What a user other than root may not do: anything but attach and detach
 * their own containers. NULL when R may go ahead. */
static const char *refused(struct hostd *h, const struct host_request *r, const char *cmd,
			   const char *name)
{
	static char why[200];
	uid_t uid = r->cred.uid;

	if (uid == 0 || uid == geteuid())
		return NULL;
	if (strcmp(cmd, "attach") == 0) {
		const struct hostconf_container *c = hostconf_find(&h->conf, name);
		const char *ns = NULL;
		int users = attached_by(h, (uid_t)-1);
		if (c == NULL || !hostconf_user_may(c, uid))
			snprintf(why, sizeof(why), "%s's section of %s does not name uid %u in its "
				 "users =", name, h->o->config, (unsigned)uid);
		else if ((ns = not_theirs(r->pidfd, uid)) != NULL)
			snprintf(why, sizeof(why), "the process passed is not in a %s namespace of "
				 "uid %u's", ns, (unsigned)uid);
		else if (attached_by(h, uid) >= USER_ATTACH_MAX ||
			 users >= HOST_MAX - ROOT_ATTACH_KEPT)
			snprintf(why, sizeof(why), "users other than root have %d containers "
				 "attached (%d each at most)", users, USER_ATTACH_MAX);
		else
			return NULL;
		return why;
	}
	if (strcmp(cmd, "detach") == 0) {
		const struct attached *a = by_name(h, name);
		if (a == NULL || a->by == uid)
			return NULL;
		snprintf(why, sizeof(why), "%s was attached by uid %u", name, (unsigned)a->by);
		return why;
	}
	return "only root may list containers and reload the settings";
}

/* S with what is not printable ASCII made '?': a sender's words in
 * the log never forge a line of their own. */
static char *printable(char *s)
{
	for (char *c = s; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	return s;
}

/* One request a connection: "attach NAME" with the container's pidfd
 * passed along, "detach NAME", "list", "reload [recursive]". */
static void on_request(void *arg, struct host_request *r)
{
	struct hostd *h = arg;
	char cmd[16] = "", name[80] = "";
	const char *why;

	sscanf(r->text, "%15s %79s", cmd, name);
	if ((why = refused(h, r, cmd, name)) != NULL) {
		log_info("refused uid %u's %s %s: %s", (unsigned)r->cred.uid, printable(cmd),
			 printable(name), why);
		reply(&r->fd, "error: %s", why);
	} else if (strcmp(cmd, "attach") == 0 && name[0] && r->pidfd >= 0) {
		attach(h, &r->fd, name, r->pidfd, r->cred.uid);
		r->pidfd = -1;
	} else if (strcmp(cmd, "detach") == 0 && name[0]) {
		detach(h, &r->fd, name);
	} else if (strcmp(cmd, "list") == 0) {
		list(h, &r->fd);
	} else if (strcmp(cmd, "reload") == 0) {
		bool prune = strcmp(name, "recursive") == 0;
		if (reload(h, prune) == 0)
			reply(&r->fd, "ok: reloaded %s%s", h->o->config,
			      prune ? " (recursive: see the log for grants dropped)" : "");
		else
			reply(&r->fd, "error: %s has errors (the daemon's log names each by "
			      "FILE:LINE): the settings in force are kept", h->o->config);
	} else {
		reply(&r->fd, "error: expected attach NAME (with a pidfd), detach NAME, list or "
		      "reload [recursive]");
	}
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->fd >= 0)
		close(r->fd);
}

/* ---- the loop ------------------------------------------------------------ */

static void worker_input(struct attached *a)
{
	char acks[256];
	ssize_t n;

	/* each message is one byte: one event done */
	while ((n = recv(a->w.sock, acks, sizeof(acks), MSG_DONTWAIT)) > 0)
		a->acked++;
	if (a->reply_fd >= 0 && a->acked >= a->reply_at)
		reply(&a->reply_fd, "ok %s: pid %d, %zu devices", a->name, (int)a->t.pid, a->ndv);
}

static void worker_gone(struct attached *a)
{
	if (!a->closing)
		log_err("%s: its worker stopped: detached (see the messages before)", a->name);
	reply(&a->reply_fd, a->closing ? "ok %s: detached" : "error: %s: its worker stopped",
	      a->name);
	release(a);
}

static void overdue(struct attached *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > a->deadline.tv_sec && a->w.pid > 0) {
		log_err("%s: its worker did not finish within %d s: killed", a->name,
			DRAIN_MS / 1000);
		kill(a->w.pid, SIGKILL);
	}
}

static void on_signal(struct hostd *h)
{
	struct signalfd_siginfo si;

	while (read(h->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(h, false);
		} else {
			h->stop = true;
		}
	}
}

static void receive(struct hostd *h)
{
	static struct uevent ev;
	enum recv_result r;

	while ((r = uevent_sock_recv(&h->sock, &ev)) != RECV_AGAIN && r != RECV_ERROR) {
		if (r == RECV_EVENT)
			dispatch(h, &ev);
		else if (r == RECV_OVERRUN)
			log_err("the kernel dropped uevents (socket buffer full): containers may "
				"miss devices until their next event");
	}
}

enum { P_INIT, P_SOCK, P_WORKER };
#define P_FIXED (2 + 1 + HOSTSOCK_PENDING)	/* signals, uevents, the control socket */

static void poll_once(struct hostd *h)
{
	struct pollfd p[P_FIXED + 3 * HOST_MAX];
	struct { struct attached *a; int what; } who[P_FIXED + 3 * HOST_MAX];
	nfds_t n = 2;

	p[0] = (struct pollfd){ .fd = h->sig_fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = h->sock.fd, .events = POLLIN };
	n += hostsock_pollfds(&h->ctl, p + 2);
	for (int i = 0; i < HOST_MAX; i++) {
		struct attached *a = &h->a[i];
		if (!a->used)
			continue;
		if (!a->closing) {
			who[n].a = a, who[n].what = P_INIT;
			p[n++] = (struct pollfd){ .fd = a->t.pidfd, .events = POLLIN };
		}
		who[n].a = a, who[n].what = P_SOCK;
		p[n++] = (struct pollfd){ .fd = a->w.sock,
					  .events = POLLIN | (a->qlen ? POLLOUT : 0) };
		who[n].a = a, who[n].what = P_WORKER;
		p[n++] = (struct pollfd){ .fd = a->w.pidfd, .events = POLLIN };
	}
	if (poll(p, n, 500) < 0 && errno != EINTR) {
		log_err("poll: %s", strerror(errno));
		h->stop = true;
		return;
	}
	if (p[0].revents)
		on_signal(h);
	if (p[1].revents)
		receive(h);
	hostsock_serve(&h->ctl, p + 2, on_request, h);
	for (nfds_t i = P_FIXED; i < n; i++) {
		struct attached *a = who[i].a;
		if (!a->used || !p[i].revents)
			continue;
		if (who[i].what == P_INIT) {
			log_info("%s: its init (pid %d) exited: detached", a->name, (int)a->t.pid);
			finish(a);
		} else if (who[i].what == P_SOCK) {
			worker_input(a);
			if (p[i].revents & POLLOUT) {
				flush(a);
				if (a->closing && a->qlen == 0)
					shutdown(a->w.sock, SHUT_WR);
			}
		} else {
			worker_gone(a);
		}
	}
	for (int i = 0; i < HOST_MAX; i++)
		if (h->a[i].used && h->a[i].closing)
			overdue(&h->a[i]);
}

static int signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int start(struct hostd *h)
{
	hostconf_defaults(&h->conf);
	if (hostconf_load(&h->conf, h->o->config, h->o->config_required) < 0)
		return 2;
	if (h->conf.n == 0)
		log_warn("%s gives no container a device: every attach is answered 'nothing to "
			 "serve'", h->o->config);
	h->sys_fd = open(h->conf.sys, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->sys_fd < 0) {
		log_err("cannot open sysfs %s: %s", h->conf.sys, strerror(errno));
		return 1;
	}
	if (netns_gets_uevents() == 0)
		log_warn("this network namespace gets no uevents from the kernel: run devmgr "
			 "host in the host's (a sidecar: --network host --pid host)");
	if (uevent_sock_open(&h->sock, 16 << 20) < 0)
		return 1;
	h->sig_fd = signals();
	if (hostconf_has_users(&h->conf))
		log_info("%s is open to all users: %s names users who may attach their own "
			 "containers (root alone lists and reloads)", h->conf.socket, h->o->config);
	if (h->sig_fd < 0 || hostsock_open(&h->ctl, h->conf.socket, hostconf_has_users(&h->conf)) < 0)
		return 1;
	return 0;
}

int hostd_run(const struct hostd_opts *o)
{
	static struct hostd h;
	int rc;

	h.o = o;
	h.sys_fd = h.sig_fd = h.ctl.fd = -1;
	rc = start(&h);
	if (rc == 0) {
		log_info("serving containers on %s", h.conf.socket);
		if (o->ready_fd >= 0 && (write(o->ready_fd, "\n", 1) < 0 || close(o->ready_fd) < 0))
			log_warn("cannot tell readiness on fd %d: %s", o->ready_fd, strerror(errno));
		while (!h.stop)
			poll_once(&h);
	}
	for (int i = 0; i < HOST_MAX; i++)
		if (h.a[i].used) {
			worker_stop(&h.a[i].w, 2000);
			release(&h.a[i]);
		}
	hostsock_close(&h.ctl);
	uevent_sock_close(&h.sock);
	hostconf_free(&h.conf);
	return rc;
}
