#define _GNU_SOURCE
#include "publish.h"
#include "clientprops.h"
#include "devid.h"
#include "fileio.h"
#include "device.h"
#include "log.h"

#include <errno.h>
#include <sys/vfs.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define NEED_NET_ADMIN "multicasting needs CAP_NET_ADMIN in the network namespace " \
	"(docker/podman: --cap-add NET_ADMIN; LXC: net_admin not in lxc.cap.drop)"

/* (linux/magic.h's; musl's headers may lack it) */
#define TMPFS_FS 0x01021994
#define RAMFS_FS 0x858458f6

/* A container's /run is the image's overlay on the host's disk unless
 * the engine is told otherwise: a database write there costs a journal
 * commit. Said once, with what to do. */
static void say_disk(struct publisher *p)
{
	struct statfs fs;

	if (fstatfs(p->db.run_fd, &fs) < 0 || fs.f_type == TMPFS_FS || fs.f_type == RAMFS_FS)
		return;
	log_info("%s is not on a tmpfs (file system 0x%lx): the udev database is written to "
		 "disk, which slows storms of events down; give the container a tmpfs /run "
		 "(docker/podman run --tmpfs /run, LXC: lxc.mount.entry = tmpfs run tmpfs "
		 "defaults 0 0)", p->db.path, (unsigned long)fs.f_type);
}

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
	else if (udevdb_open(&p->db, cfg->run) == 0) {
		p->db_open = true;
		say_disk(p);
	} else if (p->db.udevd)
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
		/* said at start: a send fails only once a client listens */
		if (p->sock_open && process_has_cap(CAP_NET_ADMIN) == 0)
			log_warn("cannot publish events: devmgr lacks CAP_NET_ADMIN; " NEED_NET_ADMIN);
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
	free(p->dbix);
	p->q = NULL;
	p->qm = NULL;
	p->msg = NULL;
	p->dbq = NULL;
	p->dbix = NULL;
}

void publisher_fill(struct publisher *p, bool on)
{
	if (!p->db_open)
		return;
	if (on)
		udevdb_fill_begin(&p->db);
	else
		udevdb_fill_end(&p->db);
}

void publisher_sending(struct publisher *p, bool on)
{
	p->sending = on && p->sock_open;
	p->db.caching = on;
}

static void send_failed(struct publisher *p, int e, unsigned n)
{
	p->send_failures += n;
	/* Without CAP_NET_ADMIN every send fails: say why once, then
	 * count (a total is logged when the daemon stops). */
	if (p->send_failures == n || p->send_failures % 10000 < n)
		log_warn("cannot publish events: %s%s%s (%lu lost so far)", strerror(e),
			 e == EPERM ? "; " : "", e == EPERM ? NEED_NET_ADMIN : "",
			 p->send_failures);
}

/* Sends the queued messages, in order, each to its group: but not to a
 * group no socket of this network namespace has joined (read after the
 * database is written: a client that joins later finds there what it
 * was not told), which would cost the kernel as much for nothing. */
static void flush(struct publisher *p)
{
	enum { CHUNK = 64 };
	struct mmsghdr mm[CHUNK];
	struct iovec iov[CHUNK];
	struct sockaddr_nl to[CHUNK];
	unsigned joined = nl_uevent_groups_joined("/proc"), i = 0;

	while (i < p->nq) {
		unsigned n = 0;
		for (; i < p->nq && n < CHUNK; i++) {
			const struct queued *m = &p->qm[i];
			if (!(m->groups & joined)) {
				p->unheard++;
				continue;
			}
			to[n] = (struct sockaddr_nl){ .nl_family = AF_NETLINK, .nl_groups = m->groups };
			iov[n] = (struct iovec){ .iov_base = p->q + m->off, .iov_len = m->len };
			mm[n] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &to[n], .msg_namelen = sizeof(to[n]),
				.msg_iov = &iov[n], .msg_iovlen = 1 } };
			n++;
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

/* Carries out the held-back database changes: those that leave an
 * entry as it was on disk cost nothing. */
static void db_apply(struct publisher *p)
{
	for (unsigned i = 0; i < p->ndbq; i++) {
		struct dbchange *c = &p->dbq[i];
		if (c->what == DB_REMOVE && !(c->disk_known && !c->on_disk))
			udevdb_remove(&p->db, c->id, &c->props, &c->old);
		else if (c->what == DB_WRITE && !(c->disk_known && c->on_disk &&
						   devprops_hash(&c->props) == c->disk_hash))
			udevdb_write(&p->db, c->id, &c->props, &c->old);
	}
	p->ndbq = 0;
	for (unsigned i = 0; p->dbix && i < 2 * PUBLISH_DBQ; i++)
		p->dbix[i] = -1;
}

static unsigned id_slot(const char *id)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *c = id; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	return (unsigned)(h % (2 * PUBLISH_DBQ));
}

static struct dbchange *db_pending(struct publisher *p, const char *id)
{
	if (!p->holding || p->dbix == NULL)
		return NULL;
	for (unsigned i = id_slot(id); p->dbix[i] >= 0; i = (i + 1) % (2 * PUBLISH_DBQ))
		if (strcmp(p->dbq[p->dbix[i]].id, id) == 0)
			return &p->dbq[p->dbix[i]];
	return NULL;
}

/* A held-back change for ID, made SAME; NULL when not holding or the id
 * is too long to hold (then changes are made at once). */
static struct dbchange *db_new(struct publisher *p, const char *id)
{
	if (!p->holding || strlen(id) >= sizeof(p->dbq[0].id))
		return NULL;
	if (p->dbq == NULL) {
		p->dbq = xmalloc(PUBLISH_DBQ * sizeof(*p->dbq));
		p->dbix = xmalloc(2 * PUBLISH_DBQ * sizeof(*p->dbix));
		for (unsigned i = 0; i < 2 * PUBLISH_DBQ; i++)
			p->dbix[i] = -1;
	}
	if (p->ndbq == PUBLISH_DBQ)
		db_apply(p);
	unsigned i = id_slot(id);
	while (p->dbix[i] >= 0)
		i = (i + 1) % (2 * PUBLISH_DBQ);
	p->dbix[i] = (int)p->ndbq;
	struct dbchange *c = &p->dbq[p->ndbq++];
	strcpy(c->id, id);
	c->what = DB_SAME;
	c->disk_known = false;
	c->old.n = 0;
	devprops_init(&c->props);
	return c;
}

/* What the database holds for ID (the held-back state if there is one)
 * into PROPS, and into OLD the tags it has marks for. What the disk said
 * is remembered for the batch: a change back to it is no change. */
static void db_read(struct publisher *p, const char *id, struct devprops *props,
		    struct oldtags *old)
{
	struct dbchange *c = db_pending(p, id);

	if (c == NULL || c->what == DB_SAME) {
		/* (a file refused is there too: a removal must take it) */
		bool there = udevdb_read(&p->db, id, props) == 0 || errno != ENOENT;
		oldtags_add(old, props);
		if (c == NULL)
			c = db_new(p, id);
		if (c && !c->disk_known) {
			c->disk_known = true;
			c->on_disk = there;
			c->disk_hash = devprops_hash(props);
		}
		return;
	}
	if (c->what == DB_WRITE)
		devprops_copy(props, &c->props);
	oldtags_add(old, &c->props);
	oldtags_merge(old, &c->old);
}

/* Writes PROPS as ID's entry, or removes the entry: now, or at the end
 * of the batch. OLD: tags whose marks may be there. */
static void db_change(struct publisher *p, const char *id, bool remove,
		      const struct devprops *props, const struct oldtags *old)
{
	struct dbchange *c = db_pending(p, id);

	if (c == NULL && (c = db_new(p, id)) == NULL) {
		if (remove)
			udevdb_remove(&p->db, id, props, old);
		else
			udevdb_write(&p->db, id, props, old);
		return;
	}
	/* what the batch planned before may have been on disk too */
	if (c->what != DB_SAME)
		oldtags_add(&c->old, &c->props);
	oldtags_merge(&c->old, old);
	c->what = remove ? DB_REMOVE : DB_WRITE;
	devprops_copy(&c->props, props);
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

static void enqueue(struct publisher *p, const void *data, size_t len, unsigned groups,
		    unsigned long long seq)
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
	p->qm[p->nq++] = (struct queued){ .off = p->qlen, .len = len, .groups = groups, .seq = seq };
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
	/* asked of every key of every event: the first letter rules most
	 * out (eight strncmp() a key were a fifth of the daemon's time) */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (pair[0] == keys[i][0] && strncmp(pair, keys[i], strlen(keys[i])) == 0)
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

/* What an event says of a device, worked out once. */
struct about {
	const struct device *dev;
	const struct pub_node *o;
	const char *subsystem, *devpath, *devtype;
	char id[512];
	bool have_id;		/* it has a database entry */
};

/* The messages, into p->msg. */
static void build(struct publisher *p, const struct about *a, const struct devprops *d)
{
	const struct device *dev = a->dev;
	const struct pub_node *o = a->o;
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
	udevmsg_finish(m, a->subsystem, a->devtype, bloom);
}

/* What ModemManager's and the sound card's rules add. A scan reads
 * SUBSYSTEM only when asked: here for character devices, which ttys,
 * cdc-wdm and wwan ports are. */
static void client_props(struct publisher *p, const struct about *a, struct devprops *d)
{
	const struct device *dev = a->dev;
	const char *action = dev->ev ? uevent_get(dev->ev, "ACTION") : NULL;
	/* the kernel's name: DEVPATH's last part, or a scan's DEVNAME's */
	const char *path = a->devpath ? a->devpath : dev->devname;
	const char *slash = path ? strrchr(path, '/') : NULL;
	const char *name = slash ? slash + 1 : path;
	const char *sub = a->subsystem;

	if (sub == NULL && S_ISCHR(dev->type) && dev->major >= 0)
		sub = device_get(dev, "SUBSYSTEM");
	clientprops_add(p->sys_fd, action ? action : "add", device_sysdir(dev), name, sub,
			a->devtype, d);
}

/* What devmgr adds to a device that is there: links, tags, ID_*. */
static void describe(struct publisher *p, const struct about *a, struct devprops *d)
{
	const struct pub_node *o = a->o;
	const char *subsystem = a->subsystem;
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
	if (p->cfg->ids && !have_ids && device_sysdir(a->dev))
		devid_add(p->sys_fd, device_sysdir(a->dev), subsystem, a->devtype, d);
	if (p->cfg->ids)
		client_props(p, a, d);
}

/* A device without numbers renamed by the kernel: its entry had the old
 * name, and goes; when it was first set up stays. */
static uint64_t entry_renamed(struct publisher *p, const struct about *a, struct devprops *props)
{
	const struct uevent *ev = a->dev->ev;
	const char *devpath_old = uevent_get(ev, "DEVPATH_OLD");
	struct oldtags old = { 0 };
	char old_id[512];

	if (a->dev->op != DEVOP_MOVE || !p->db_open || a->dev->major >= 0 || !devpath_old ||
	    udevdb_id(old_id, sizeof(old_id), a->dev->type, -1, -1, a->subsystem, devpath_old,
		      uevent_get(ev, "IFINDEX")) < 0 || (a->have_id && strcmp(old_id, a->id) == 0))
		return 0;
	db_read(p, old_id, props, &old);
	uint64_t usec = props->usec;
	db_change(p, old_id, true, props, &old);
	devprops_init(props);
	return usec;
}

/* The device's entry, from what it held to what the event says: gone
 * with a remove (what the add said comes with the remove, as with
 * udev), else described anew. PROPS: what the messages say. */
static void entry_update(struct publisher *p, const struct about *a, struct devprops *props)
{
	const struct device *dev = a->dev;
	struct oldtags old = { 0 };
	struct dbchange *c;
	uint64_t usec = entry_renamed(p, a, props);

	if (dev->op == DEVOP_REMOVE) {
		if (a->have_id) {
			db_read(p, a->id, props, &old);
			db_change(p, a->id, true, props, &old);
		}
		return;
	}
	/* First set up now, or when the entry says: for change, bind...,
	 * and for a device the daemon's resync scan finds again. */
	bool rescan = p->sending && !uevent_get(dev->ev, "SEQNUM");
	if (a->have_id) {
		if (dev->op != DEVOP_ADD || rescan) {
			db_read(p, a->id, props, &old);
			if (props->usec)
				usec = props->usec;
		} else if ((c = db_pending(p, a->id)) != NULL) {
			/* Re-added within the batch: marks of before, and the
			 * first set-up time of a device that was gone for
			 * milliseconds, so that a storm's flaps end as the
			 * entry on disk says: no write. */
			if (c->what == DB_REMOVE && c->props.usec)
				usec = c->props.usec;
			db_read(p, a->id, props, &old);
		}
		devprops_init(props);
	}
	props->usec = usec ? usec : now_usec();
	describe(p, a, props);
	if (a->have_id)
		db_change(p, a->id, false, props, &old);
}

/* The event in both formats, to every group asked for. */
static void announce(struct publisher *p, const struct about *a, const struct devprops *props)
{
	build(p, a, props);
	if (p->msg->overflow) {
		log_warn("%s: event too large to publish", a->devpath);
		p->send_failures++;
		return;
	}
	unsigned long long seq = strtoull(uevent_get(a->dev->ev, "SEQNUM"), NULL, 10);
	/* The kernel delivers a message to one group, its mask's lowest:
	 * one copy per group asked for. */
	for (unsigned g = p->cfg->udev && !p->udevd ? p->cfg->udev_groups : 0; g; g &= g - 1)
		enqueue(p, p->msg->udev, p->msg->udev_len, g & -g, seq);
	for (unsigned g = p->cfg->zero ? p->cfg->zero_groups : 0; g; g &= g - 1)
		enqueue(p, p->msg->zero, p->msg->zero_len, g & -g, seq);
	if (!p->holding)
		flush(p);
}

void publish_device(struct publisher *p, const struct device *dev, const struct pub_node *o)
{
	const struct uevent *ev = dev->ev;
	struct about a = {
		.dev = dev, .o = o, .subsystem = uevent_get(ev, "SUBSYSTEM"),
		.devpath = uevent_get(ev, "DEVPATH"), .devtype = uevent_get(ev, "DEVTYPE"),
	};

	/* a scan reads SUBSYSTEM only when a rule asked; tags need it */
	if (a.subsystem == NULL && p->cfg->ntags)
		a.subsystem = device_get(dev, "SUBSYSTEM");
	a.have_id = p->db_open && udevdb_id(a.id, sizeof(a.id), dev->type, dev->major, dev->minor,
					    a.subsystem, a.devpath, uevent_get(ev, "IFINDEX")) == 0;
	/* Only real events (not a coldplug scan) are sent, with what both
	 * client libraries insist on. */
	bool send = p->sending && a.devpath && a.subsystem && uevent_get(ev, "ACTION") &&
		    uevent_get(ev, "SEQNUM");
	if (!a.have_id && !send)
		return;		/* nobody would see what is worked out */
	struct devprops props;
	devprops_init(&props);
	entry_update(p, &a, &props);
	if (send)
		announce(p, &a, &props);
}

void publish_forget(struct publisher *p, mode_t type, int major, int minor)
{
	struct oldtags old = { 0 };
	char id[64];

	if (!p->db_open || udevdb_id(id, sizeof(id), type, major, minor, NULL, NULL, NULL) < 0)
		return;
	struct devprops props;
	devprops_init(&props);
	db_read(p, id, &props, &old);
	db_change(p, id, true, &props, &old);
}

void publish_unsay(struct publisher *p, const struct device *dev)
{
	const char *seqnum = uevent_get(dev->ev, "SEQNUM");
	unsigned long long seq = seqnum ? strtoull(seqnum, NULL, 10) : 0;
	unsigned k = 0;
	char id[512];

	/* the bytes stay in the buffer until the flush: only records go */
	for (unsigned i = 0; seq && i < p->nq; i++)
		if (p->qm[i].seq != seq)
			p->qm[k++] = p->qm[i];
	p->nq = seq ? k : p->nq;
	if (p->db_open && udevdb_id(id, sizeof(id), dev->type, dev->major, dev->minor,
				    uevent_get(dev->ev, "SUBSYSTEM"), uevent_get(dev->ev, "DEVPATH"),
				    uevent_get(dev->ev, "IFINDEX")) == 0) {
		struct dbchange *c = db_pending(p, id);
		/* what the entry said is what it says again */
		if (c && c->what == DB_REMOVE)
			c->what = DB_WRITE;
	}
}
