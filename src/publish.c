#define _GNU_SOURCE
#include "publish.h"
#include "devid.h"
#include "fileio.h"
#include "handler.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void publisher_open(struct publisher *p, const struct config *cfg, int sys_fd, bool send)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->sys_fd = sys_fd;
	p->msg = xmalloc(sizeof(*p->msg));
	/* A real udevd keeps its database and publishes its own events: ours
	 * would reach its clients twice. Whether one runs is udevdb's to
	 * tell, from more than a socket file at RUN/control. */
	if (!cfg->database)
		p->udevd = udevdb_udevd_runs(cfg->run);
	else if (udevdb_open(&p->db, cfg->run) == 0)
		p->db_open = true;
	else if (p->db.udevd)
		p->udevd = true;
	else
		log_warn("continuing without the udev database: libudev clients will "
			 "see devices as not initialised");
	/* Sending is decided per event, so a reload can switch it on. */
	if (send) {
		if (nl_sender_open(&p->sock) == 0)
			p->sock_open = true;
		else
			log_warn("continuing without publishing events");
	}
}

void publisher_retire(struct publisher *p)
{
	if (p->db_open)
		udevdb_release(&p->db);
}

void publisher_close(struct publisher *p)
{
	publisher_hold(p, false);
	if (p->db_open)
		udevdb_close(&p->db);
	if (p->sock_open)
		nl_sender_close(&p->sock);
	p->db_open = p->sock_open = false;
	free(p->q);
	free(p->qm);
	free(p->msg);
	free(p->dbq);
	p->q = NULL;
	p->qm = NULL;
	p->msg = NULL;
	p->dbq = NULL;
}

void publisher_sending(struct publisher *p, bool on)
{
	p->sending = on && p->sock_open;
}

static void send_failed(struct publisher *p, int e, unsigned n)
{
	p->send_failures += n;
	/* Without CAP_NET_ADMIN every send fails: say why once, then
	 * count (a total is logged when the daemon stops). */
	if (p->send_failures == n || p->send_failures % 10000 < n)
		log_warn("cannot publish events: %s%s (%lu lost so far)", strerror(e),
			 e == EPERM ? "; multicasting needs CAP_NET_ADMIN in the network "
			 "namespace (docker/podman: --cap-add NET_ADMIN; LXC: net_admin not in "
			 "lxc.cap.drop)" : "", p->send_failures);
}

static void flush(struct publisher *p)
{
	enum { CHUNK = 64 };
	struct mmsghdr mm[CHUNK];
	struct iovec iov[CHUNK];
	struct sockaddr_nl to[CHUNK];

	for (unsigned i = 0; i < p->nq; i += CHUNK) {
		unsigned n = p->nq - i < CHUNK ? p->nq - i : CHUNK;
		for (unsigned j = 0; j < n; j++) {
			const struct queued *m = &p->qm[i + j];
			to[j] = (struct sockaddr_nl){ .nl_family = AF_NETLINK, .nl_groups = m->groups };
			iov[j] = (struct iovec){ .iov_base = p->q + m->off, .iov_len = m->len };
			mm[j] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &to[j], .msg_namelen = sizeof(to[j]),
				.msg_iov = &iov[j], .msg_iovlen = 1 } };
		}
		unsigned done = 0;
		while (done < n) {
			int r = nl_sender_send(&p->sock, mm + done, n - done);
			int e = errno;
			done += (unsigned)r;
			p->published += (unsigned)r;
			if (done < n) {
				/* a failure is usually for all: report and skip one */
				send_failed(p, e, 1);
				done++;
			}
		}
	}
	p->nq = 0;
	p->qlen = 0;
}

/* Carries out the held-back database changes. */
static void db_apply(struct publisher *p)
{
	for (unsigned i = 0; i < p->ndbq; i++) {
		struct dbchange *c = &p->dbq[i];
		if (c->remove)
			udevdb_remove(&p->db, c->id, &c->props, &c->old);
		else
			udevdb_write(&p->db, c->id, &c->props, &c->old);
	}
	p->ndbq = 0;
}

static struct dbchange *db_pending(struct publisher *p, const char *id)
{
	for (unsigned i = 0; p->holding && i < p->ndbq; i++)
		if (strcmp(p->dbq[i].id, id) == 0)
			return &p->dbq[i];
	return NULL;
}

/* What the database holds for ID (the held-back state if there is one)
 * into p->props, and into OLD the tags it has marks for. */
static void db_read(struct publisher *p, const char *id, struct oldtags *old)
{
	struct dbchange *c = db_pending(p, id);

	if (c == NULL) {
		udevdb_read(&p->db, id, &p->props);
		oldtags_add(old, &p->props);
		return;
	}
	if (!c->remove)
		devprops_copy(&p->props, &c->props);
	oldtags_add(old, &c->props);
	oldtags_merge(old, &c->old);
}

/* Writes p->props as ID's entry, or removes the entry: now, or at the
 * end of the batch. OLD: tags whose marks may be there. */
static void db_change(struct publisher *p, const char *id, bool remove, const struct oldtags *old)
{
	if (!p->holding || strlen(id) >= sizeof(p->dbq[0].id)) {
		if (remove)
			udevdb_remove(&p->db, id, &p->props, old);
		else
			udevdb_write(&p->db, id, &p->props, old);
		return;
	}
	struct dbchange *c = db_pending(p, id);
	if (c == NULL) {
		if (p->dbq == NULL)
			p->dbq = xmalloc(PUBLISH_DBQ * sizeof(*p->dbq));
		if (p->ndbq == PUBLISH_DBQ)
			db_apply(p);
		c = &p->dbq[p->ndbq++];
		strcpy(c->id, id);
		c->old.n = 0;
	} else {
		/* what the batch planned before may have been on disk too */
		oldtags_add(&c->old, &c->props);
	}
	oldtags_merge(&c->old, old);
	c->remove = remove;
	devprops_copy(&c->props, &p->props);
}

void publisher_hold(struct publisher *p, bool on)
{
	p->holding = on;
	if (on)
		return;
	/* the database first: a client that hears of an add may look there */
	if (p->ndbq)
		db_apply(p);
	if (p->nq)
		flush(p);
}

static void enqueue(struct publisher *p, const void *data, size_t len, unsigned groups)
{
	if (p->qlen + len > p->qcap) {
		p->qcap = (p->qlen + len) * 2 + 65536;
		unsigned char *q = realloc(p->q, p->qcap);
		if (q == NULL)
			die("out of memory");
		p->q = q;
	}
	if (p->nq == p->qmcap) {
		p->qmcap = p->qmcap ? p->qmcap * 2 : 256;
		struct queued *qm = realloc(p->qm, p->qmcap * sizeof(*qm));
		if (qm == NULL)
			die("out of memory");
		p->qm = qm;
	}
	memcpy(p->q + p->qlen, data, len);
	p->qm[p->nq++] = (struct queued){ .off = p->qlen, .len = len, .groups = groups };
	p->qlen += len;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Keys of the kernel's event that are not passed on: DEVNAME is ours to
 * say (the node may have been renamed), the rest are ours to add, and
 * HOME and PATH come from the hotplug helper's environment, not from the
 * kernel (libudev-zero's own helper drops them too). */
static bool replaced(const char *pair)
{
	static const char *const keys[] = {
		"DEVNAME=", "DEVLINKS=", "TAGS=", "CURRENT_TAGS=", "USEC_INITIALIZED=",
		"UDEV_DATABASE_VERSION=", "HOME=", "PATH=",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(pair, keys[i], strlen(keys[i])) == 0)
			return true;
	return false;
}

static void join(char *buf, size_t size, const char *sep_first, const char *sep,
		 const char *prefix, const char *const *v, unsigned n, const char *last)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(buf + len, size - len, "%s%s%s", i ? sep : sep_first, prefix, v[i]);
		if (k < 0 || (size_t)k >= size - len) {
			buf[len] = '\0';
			return;
		}
		len += (size_t)k;
	}
	if (n)
		snprintf(buf + len, size - len, "%s", last);
}

static void build(struct publisher *p, const struct device *dev, const struct outcome *o,
		  const char *subsystem, const char *devtype)
{
	const struct devprops *d = &p->props;
	struct udevmsg *m = p->msg;
	const struct uevent *ev = dev->ev;
	char buf[4096], root[4096];

	udevmsg_init(m);
	/* systemd's libudev reads this to know current tags are meaningful */
	udevmsg_add_pair(m, "UDEV_DATABASE_VERSION=1");
	for (unsigned i = 0; i < ev->nkeys; i++) {
		if (strchr(ev->keys[i], '=') == NULL || replaced(ev->keys[i]))
			continue;
		/* a property devmgr computed wins over the kernel's */
		char key[128];
		size_t k = (size_t)(strchr(ev->keys[i], '=') - ev->keys[i]);
		if (k < sizeof(key)) {
			memcpy(key, ev->keys[i], k);
			key[k] = '\0';
			if (devprops_get(d, key))
				continue;
		}
		udevmsg_add_pair(m, ev->keys[i]);
	}
	if (o && o->node)
		udevmsg_add_devname(m, p->cfg->dev, o->node);
	size_t rlen = strlen(p->cfg->dev);
	while (rlen > 0 && p->cfg->dev[rlen - 1] == '/')
		rlen--;
	snprintf(root, sizeof(root), "%.*s/", (int)rlen, p->cfg->dev);
	join(buf, sizeof(buf), "", " ", root, d->link, d->nlink, "");
	if (d->nlink)
		udevmsg_add(m, "DEVLINKS", buf);
	for (unsigned i = 0; i < d->nprop; i++)
		udevmsg_add_pair(m, d->prop[i]);
	uint64_t bloom = 0;
	if (d->ntag) {
		join(buf, sizeof(buf), ":", ":", "", d->tag, d->ntag, ":");
		udevmsg_add(m, "TAGS", buf);
		udevmsg_add(m, "CURRENT_TAGS", buf);
		for (unsigned i = 0; i < d->ntag; i++)
			bloom |= tag_bloom(d->tag[i]);
	}
	if (d->usec) {
		snprintf(buf, sizeof(buf), "%" PRIu64, d->usec);
		udevmsg_add(m, "USEC_INITIALIZED", buf);
	}
	udevmsg_finish(m, subsystem, devtype, bloom);
}

/* What devmgr adds to a device that is there: links, tags, ID_*. */
static void describe(struct publisher *p, const struct device *dev, const struct outcome *o,
		     const char *subsystem, const char *devtype)
{
	struct devprops *d = &p->props;
	bool have_ids = false;

	/* what the handler worked out: its links always, its ID_* when
	 * they are asked for */
	if (o && o->props) {
		for (unsigned i = 0; i < o->props->nlink; i++)
			devprops_link(d, o->props->link[i]);
		for (unsigned i = 0; p->cfg->ids && i < o->props->nprop; i++) {
			const char *eq = strchr(o->props->prop[i], '=');
			char key[128];
			if (eq == NULL || (size_t)(eq - o->props->prop[i]) >= sizeof(key))
				continue;
			memcpy(key, o->props->prop[i], (size_t)(eq - o->props->prop[i]));
			key[eq - o->props->prop[i]] = '\0';
			devprops_set(d, key, eq + 1);
		}
		have_ids = true;
	}
	if (o && o->node) {
		if (o->link)
			devprops_link(d, o->link);
		if (o->root)
			devprops_link(d, "root");
	}
	for (unsigned i = 0; subsystem && i < p->cfg->ntags; i++)
		if (strcmp(p->cfg->tags[i].subsystem, subsystem) == 0)
			devprops_tag(d, p->cfg->tags[i].tag);
	if (p->cfg->ids && !have_ids && device_sysdir(dev))
		devid_add(p->sys_fd, device_sysdir(dev), subsystem, devtype, d);
}

void publish_device(struct publisher *p, const struct device *dev, const struct outcome *o)
{
	const struct uevent *ev = dev->ev;
	const char *subsystem = uevent_get(ev, "SUBSYSTEM");
	const char *devpath = uevent_get(ev, "DEVPATH");
	const char *devtype = uevent_get(ev, "DEVTYPE");
	char id[512];
	bool have_id;

	/* a scan reads SUBSYSTEM only when a rule asked; tags need it */
	if (subsystem == NULL && dev->lazy_get && p->cfg->ntags)
		subsystem = dev->lazy_get(dev->lazy_arg, "SUBSYSTEM");
	have_id = p->db_open && udevdb_id(id, sizeof(id), dev->type, dev->major, dev->minor,
					  subsystem, devpath, uevent_get(ev, "IFINDEX")) == 0;
	/* Only real events (not a coldplug scan) are sent, with what both
	 * client libraries insist on. */
	bool send = p->sending && devpath && subsystem && uevent_get(ev, "ACTION") &&
		    uevent_get(ev, "SEQNUM");
	if (!have_id && !send)
		return;		/* nobody would see what is worked out */
	struct oldtags old = { 0 };
	uint64_t usec = 0;
	devprops_init(&p->props);
	/* A device without numbers renamed by the kernel: its entry had the
	 * old name. */
	const char *devpath_old = uevent_get(ev, "DEVPATH_OLD");
	char old_id[512];
	if (dev->op == DEVOP_MOVE && p->db_open && dev->major < 0 && devpath_old &&
	    udevdb_id(old_id, sizeof(old_id), dev->type, -1, -1, subsystem, devpath_old,
		      uevent_get(ev, "IFINDEX")) == 0 && (!have_id || strcmp(old_id, id) != 0)) {
		db_read(p, old_id, &old);
		usec = p->props.usec;
		db_change(p, old_id, true, &old);
		devprops_init(&p->props);
	}
	if (dev->op == DEVOP_REMOVE) {
		/* what the add said comes with the remove, as with udev */
		if (have_id) {
			db_read(p, id, &old);
			db_change(p, id, true, &old);
		}
	} else {
		/* First set up now, or when the entry says: for change, bind...,
		 * and for a device the daemon's resync scan finds again. */
		bool rescan = p->sending && !uevent_get(ev, "SEQNUM");
		if (have_id) {
			if (dev->op != DEVOP_ADD || rescan) {
				db_read(p, id, &old);
				if (p->props.usec)
					usec = p->props.usec;
			} else if (db_pending(p, id)) {
				/* re-added within the batch: marks of before */
				db_read(p, id, &old);
			}
			devprops_init(&p->props);
		}
		p->props.usec = usec ? usec : now_usec();
		describe(p, dev, o, subsystem, devtype);
		if (have_id)
			db_change(p, id, false, &old);
	}

	if (!send)
		return;
	build(p, dev, o, subsystem, devtype);
	if (p->msg->overflow) {
		log_warn("%s: event too large to publish", devpath);
		p->send_failures++;
		return;
	}
	/* The kernel delivers a message to one group, its mask's lowest:
	 * one copy per group asked for. */
	for (unsigned g = p->cfg->udev && !p->udevd ? p->cfg->udev_groups : 0; g; g &= g - 1)
		enqueue(p, p->msg->udev, p->msg->udev_len, g & -g);
	for (unsigned g = p->cfg->zero ? p->cfg->zero_groups : 0; g; g &= g - 1)
		enqueue(p, p->msg->zero, p->msg->zero_len, g & -g);
	if (!p->holding)
		flush(p);
}

void publish_forget(struct publisher *p, mode_t type, int major, int minor)
{
	struct oldtags old = { 0 };
	char id[64];

	if (!p->db_open || udevdb_id(id, sizeof(id), type, major, minor, NULL, NULL, NULL) < 0)
		return;
	devprops_init(&p->props);
	db_read(p, id, &old);
	db_change(p, id, true, &old);
}
