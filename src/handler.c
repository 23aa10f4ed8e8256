#define _GNU_SOURCE
#include "handler.h"
#include "fileio.h"
#include "log.h"
#include "publish.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

enum devop devop_from_action(const char *action)
{
	if (action && strcmp(action, "add") == 0)
		return DEVOP_ADD;
	if (action && strcmp(action, "remove") == 0)
		return DEVOP_REMOVE;
	if (action && strcmp(action, "move") == 0)
		return DEVOP_MOVE;
	return DEVOP_OTHER;
}

static int num(const struct uevent *ev, const char *key)
{
	const char *v = uevent_get(ev, key);
	char *end;

	if (v == NULL || *v == '\0')
		return -1;
	long n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 && n <= 0xfffff ? (int)n : -1;
}

void device_from_uevent(struct device *dev, struct uevent *ev)
{
	const char *devpath = uevent_get(ev, "DEVPATH");
	const char *subsystem = uevent_get(ev, "SUBSYSTEM");

	memset(dev, 0, sizeof(*dev));
	dev->ev = ev;
	dev->op = devop_from_action(uevent_get(ev, "ACTION"));
	dev->major = num(ev, "MAJOR");
	dev->minor = num(ev, "MINOR");
	if (dev->major < 0 || dev->minor < 0)
		dev->major = dev->minor = -1;
	if (devpath == NULL)
		devpath = "";
	dev->devname = uevent_get(ev, "DEVNAME");
	if (dev->devname == NULL || *dev->devname == '\0') {
		const char *slash = strrchr(devpath, '/');
		dev->devname = slash ? slash + 1 : devpath;
	}
	/* mdev's test: only the block subsystem, or an old-style path */
	dev->type = (subsystem && strncmp(subsystem, "block", 5) == 0) ||
		    strstr(devpath, "/block/") ? S_IFBLK : S_IFCHR;
}

/* mdev's alias rules: "=dir/" and ">dir/" keep the device name inside dir;
 * anything else is the new name. */
static char *node_name_for(const struct device *dev, const struct match_result *m)
{
	char *alias = rules_expand_target(m);

	if (alias == NULL)
		return xstrdup(dev->devname);
	size_t n = strlen(alias);
	if (n > 0 && alias[n - 1] == '/') {
		char *full = str_concat(alias, dev->devname);
		free(alias);
		return full;
	}
	return alias;
}

/* The device's numbers as a dev_t; 0:0 when it has none. */
static dev_t dev_rdev(const struct device *dev)
{
	return dev->major < 0 ? makedev(0, 0) : makedev((unsigned)dev->major, (unsigned)dev->minor);
}

/* nonode: a "!" rule matched; like busybox, that sticks for the rest of
 * the event, even when a later rule matches after a "-" line. */
/* The outcome names the node of the last rule that acted: with "-"
 * rules, that is the one whose owner and mode stay. */
static void outcome_set(struct outcome *o, char **node, const char *link, bool root)
{
	free(o->node);
	free(o->link);
	o->node = *node;
	*node = NULL;
	o->link = link ? xstrdup(link) : NULL;
	o->root = root;
}

static void outcome_free(struct outcome *o)
{
	free(o->node);
	free(o->link);
	o->node = o->link = NULL;
}

static int apply(struct handler *h, const struct device *dev, const struct match_result *m,
		 bool nonode, const char *watch, bool *watched, struct outcome *o)
{
	const struct rule *r = m->rule;
	char *node = node_name_for(dev, m);
	dev_t rdev = dev_rdev(dev);
	int rc = 0;

	if (nonode)
		goto out;

	if (dev->op == DEVOP_ADD && dev->major >= 0) {
		if (devnode_make(h->dev, node, dev->type, r->mode, rdev, r->uid, r->gid) < 0) {
			rc = -1;
			goto out;
		}
		h->nodes++;
		bool root = dev->major == h->root_major && dev->minor == h->root_minor;
		if (root)
			devnode_symlink(h->dev, "root", node);
		if (r->move == '>' && devnode_symlink(h->dev, dev->devname, node) < 0)
			rc = -1;
		if (h->db)
			nodedb_put(h->db, dev->type, rdev, node, r->move == '>' ? dev->devname : NULL);
		outcome_set(o, &node, r->move == '>' ? dev->devname : NULL, root);
	} else if (dev->op == DEVOP_REMOVE) {
		if (watch && strcmp(node, watch) == 0)
			*watched = true;
		if (r->move == '>' && devnode_remove_symlink(h->dev, dev->devname, node) < 0)
			rc = -1;
		if (devnode_remove(h->dev, node, dev->type, dev->major >= 0, rdev) < 0)
			rc = -1;
		if (h->db && dev->major >= 0)
			nodedb_del(h->db, dev->type, rdev);
		devnode_prune(h->dev, node);
		if (r->move == '>')
			devnode_prune(h->dev, dev->devname);
		if (dev->major >= 0)
			outcome_set(o, &node, r->move == '>' ? dev->devname : NULL, false);
	} else if (dev->op == DEVOP_OTHER && dev->major >= 0) {
		/* change, bind...: the node stays where the rules put it */
		outcome_set(o, &node, r->move == '>' ? dev->devname : NULL, false);
	}
	/* Commands (@ $ *) are parsed but run only once rule actions exist. */
out:
	free(node);
	return rc;
}

/* Another recorded device uses NODE now (same name, new numbers). */
static bool node_in_use(const struct handler *h, mode_t type, dev_t rdev, const char *node)
{
	for (size_t i = 0; h->db && i < h->db->cap; i++) {
		const struct nodedb_entry *e = &h->db->v[i];
		if (e->type && !(e->type == type && e->rdev == rdev) && strcmp(e->node, node) == 0)
			return true;
	}
	return false;
}

/* Removes a node made for a device and the link to it, and the
 * directories that emptied; its record is left to the caller. */
static void remove_made(struct handler *h, mode_t type, dev_t rdev, const char *node,
			const char *link)
{
	if (link && !node_in_use(h, type, rdev, node) &&
	    devnode_remove_symlink(h->dev, link, node) == 0)
		devnode_prune(h->dev, link);
	if (devnode_remove(h->dev, node, type, true, rdev) == 0)
		devnode_prune(h->dev, node);
}

void handler_forget(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link)
{
	remove_made(h, type, rdev, node, link);
	if (h->db)
		nodedb_del(h->db, type, rdev);
}

void handler_gone(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link)
{
	handler_forget(h, type, rdev, node, link);
	if (h->pub)
		publish_forget(h->pub, type, (int)major(rdev), (int)minor(rdev));
}

/* A device renamed by the kernel (ACTION=move): make its node under the
 * new name as for an add, then drop what the old name left, if different. */
static int handle(struct handler *h, const struct device *dev, struct outcome *o);

static int handle_move(struct handler *h, const struct device *dev, struct outcome *o)
{
	dev_t rdev = makedev((unsigned)dev->major, (unsigned)dev->minor);
	struct nodedb_entry *e = nodedb_get(h->db, dev->type, rdev);
	char *old_node = e ? xstrdup(e->node) : NULL;
	char *old_link = e && e->link ? xstrdup(e->link) : NULL;
	struct device add = *dev;
	int rc;

	add.op = DEVOP_ADD;
	rc = handle(h, &add, o);
	e = nodedb_get(h->db, dev->type, rdev);
	if (old_node && !(e && strcmp(e->node, old_node) == 0))
		remove_made(h, dev->type, rdev, old_node, old_link);
	free(old_node);
	free(old_link);
	return rc;
}

int handle_device(struct handler *h, const struct device *dev)
{
	struct outcome o = { 0 };
	bool firmware = dev->op == DEVOP_REMOVE && dev->ev && uevent_get(dev->ev, "FIRMWARE");
	bool outside = h->policy && !policy_allows(h->policy, dev->type, dev->major, dev->minor);
	int rc;

	/* A device the container may not use: nothing, or a node only. */
	if (outside) {
		h->outside++;
		policy_log_skip(h->policy, dev->type, dev->major, dev->minor, dev->devname);
		if (!h->policy->node_only)
			return 0;
	}

	/* "remove" of a firmware request is not a device going away (mdev
	 * learnt that the hard way: it deleted live nodes); the request
	 * itself, without numbers, is gone, and that is published. */
	if (firmware) {
		rc = 0;
	} else if (dev->op == DEVOP_MOVE) {
		if (h->db && dev->major >= 0) {
			rc = handle_move(h, dev, &o);
		} else {
			/* mdev does nothing on move but run '*' commands */
			struct device other = *dev;
			other.op = DEVOP_OTHER;
			rc = handle(h, &other, &o);
		}
	} else {
		rc = handle(h, dev, &o);
	}
	if (h->pub && !(firmware && dev->major >= 0) && !outside)
		publish_device(h->pub, dev, &o);
	outcome_free(&o);
	return rc;
}

static int handle(struct handler *h, const struct device *dev, struct outcome *o)
{
	const struct match_input in = {
		.devname = dev->devname, .major = dev->major, .minor = dev->minor, .ev = dev->ev,
		.lazy_get = dev->lazy_get, .lazy_arg = dev->lazy_arg,
	};
	struct match_result m;
	struct match_input cur = in;
	bool nonode = false;
	size_t pos = 0;
	int rc = 0;
	char *rec_node = NULL, *rec_link = NULL;
	bool rec_done = false;
	dev_t rdev = dev_rdev(dev);

	/* What the daemon made for this device, by its record: the rules
	 * may have changed since (SIGHUP), or name it from keys the remove
	 * event lacks. */
	if (dev->op == DEVOP_REMOVE && h->db && dev->major >= 0) {
		struct nodedb_entry *e = nodedb_get(h->db, dev->type, rdev);
		if (e) {
			rec_node = xstrdup(e->node);
			rec_link = e->link ? xstrdup(e->link) : NULL;
		}
	}
	while (rules_next_match(h->rules, &pos, &cur, &m)) {
		if (log_verbosity() >= LOG_LVL_DEBUG)
			log_debug("%s: %s matched %s:%u", dev->devname,
				  dev->op == DEVOP_ADD ? "add" : dev->op == DEVOP_REMOVE ?
				  "remove" : "event", h->rules->path, m.rule->line);
		if (m.rule->move == '!') {
			nonode = true;
			/* busybox marks this by clobbering the major, so no later
			 * @major,minor rule can match either. */
			cur.major = cur.minor = -1;
		}
		if (apply(h, dev, &m, nonode, rec_node, &rec_done, o) < 0)
			rc = -1;
		if (!m.rule->keep_matching)
			break;
	}
	if (rec_node && !rec_done && !nonode) {
		handler_forget(h, dev->type, rdev, rec_node, rec_link);
		outcome_set(o, &rec_node, rec_link, false);
	}
	if (nonode)
		outcome_free(o);
	free(rec_node);
	free(rec_link);
	if (rc < 0)
		h->failures++;
	return rc;
}
