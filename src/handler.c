#define _GNU_SOURCE
#include "handler.h"
#include "fileio.h"
#include "log.h"
#include "bylinks.h"
#include "devid.h"
#include "exec.h"
#include "explain.h"
#include "publish.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
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
char *handler_node_name(const struct device *dev, const struct match_result *m)
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
	free(o->props);
	o->node = o->link = NULL;
	o->props = NULL;
}

/* Only serial ports and input devices get udev's persistent names; the
 * test is on what the event says, so other devices cost nothing. */
bool may_have_links(const struct device *dev)
{
	const char *sub = dev->ev ? uevent_get(dev->ev, "SUBSYSTEM") : NULL;

	if (sub)
		return strcmp(sub, "tty") == 0 || strcmp(sub, "input") == 0;
	return strncmp(dev->devname, "tty", 3) == 0 || strncmp(dev->devname, "input/", 6) == 0;
}

const char *const persistent_dirs[4] = {
	"serial/by-id", "serial/by-path", "input/by-id", "input/by-path",
};

const char *device_sysdir(const struct device *dev)
{
	const char *devpath = dev->ev ? uevent_get(dev->ev, "DEVPATH") : NULL;
	const char *sysdir = dev->sysdir ? dev->sysdir : devpath ? devpath + 1 : NULL;

	return sysdir && *sysdir ? sysdir : NULL;
}

int handler_persistent_names(struct handler *h, const struct device *dev, struct devprops *p,
			     char names[][BYLINKS_NAME])
{
	const char *sysdir = device_sysdir(dev);
	const char *sub = dev->ev ? uevent_get(dev->ev, "SUBSYSTEM") : NULL;

	if (sysdir == NULL)
		return 0;
	if (p->nprop == 0)
		devid_add(h->sys_fd, sysdir, sub, dev->ev ? uevent_get(dev->ev, "DEVTYPE") : NULL, p);
	return bylinks(h->sys_fd, sysdir, sub, dev->devname, p, names);
}

/* udev's serial/by-id, input/by-path... names, made next to NODE (their
 * ID_* go with the event too). */
static void persistent_links(struct handler *h, const struct device *dev, const char *node,
			     struct outcome *o)
{
	char names[BYLINKS_MAX][BYLINKS_NAME], target[PATH_MAX];

	if (o->props == NULL) {
		o->props = xmalloc(sizeof(*o->props));
		devprops_init(o->props);
	}
	int n = handler_persistent_names(h, dev, o->props, names);
	for (int i = 0; i < n; i++) {
		/* relative, so that it holds wherever /dev is mounted */
		size_t len = 0;
		for (const char *c = names[i]; (c = strchr(c, '/')) != NULL; c++)
			len += (size_t)snprintf(target + len, sizeof(target) - len, "../");
		snprintf(target + len, sizeof(target) - len, "%s", node);
		if (devnode_link_replace(h->dev, names[i], target) == 0)
			devprops_link(o->props, names[i]);
	}
}

/* Whether a rule's command runs for this event: busybox's test, on the
 * kernel's ACTION (a move is neither add nor remove, whatever devmgr
 * does to its node). */
bool handler_command_due(const struct rule *r, const struct device *dev)
{
	enum devop op = devop_from_action(dev->ev ? uevent_get(dev->ev, "ACTION") : NULL);

	return r->cmd && ((r->cmd_when == '@' && op == DEVOP_ADD) ||
			  (r->cmd_when == '$' && op == DEVOP_REMOVE) || r->cmd_when == '*');
}

/* The device spelled out (tty1, @4,1), not one of a pattern's many:
 * only such a rule displaces what the container engine made. */
static bool rule_names_device(const struct rule *r)
{
	return r->kind == RULE_MAJMIN || (r->kind == RULE_NAME && r->match.literal);
}

static void push_step(struct pending *p, char kind, const char *a, const char *b)
{
	if (p->nsteps == HANDLER_STEPS) {
		log_warn("%s: more than %d rule actions; the rest are not done", p->dev.devname,
			 HANDLER_STEPS);
		return;
	}
	struct step *s = &p->steps[p->nsteps++];
	s->kind = kind;
	s->a = xstrdup(a);
	s->b = b ? xstrdup(b) : NULL;
}

/* Nodes are made at once; a command runs after its node is made (as
 * step), and a node goes after its rule's command (as step), as in
 * busybox. nonode: a "!" rule matched; like busybox, that sticks for the
 * rest of the event, even when a later rule matches after a "-" line. */
static int apply(struct handler *h, const struct device *dev, const struct match_result *m,
		 bool nonode, const char *watch, bool *watched, struct pending *p)
{
	const struct rule *r = m->rule;
	char *node = handler_node_name(dev, m);
	dev_t rdev = dev_rdev(dev);
	struct outcome *o = &p->o;
	int rc = 0;

	if (nonode) {
		/* busybox runs the command anyway, with the rule's name */
		if (handler_command_due(r, dev))
			push_step(p, 'c', r->cmd, node);
		goto out;
	}
	if (dev->op == DEVOP_ADD && dev->major >= 0) {
		const char *link = r->move == '>' ? dev->devname : NULL;
		struct nodedb_entry *e = h->db ? nodedb_get(h->db, dev->type, rdev) : NULL;
		/* A resync finds every device again: commands only for those
		 * that came while events were lost. */
		bool known = h->rescan && e;
		char *was_node = e ? xstrdup(e->node) : NULL;
		char *was_link = e && e->link ? xstrdup(e->link) : NULL;
		/* Recorded before it is made: a daemon killed in between then
		 * knows of a node that may not be there, never the reverse. */
		if (h->db)
			nodedb_put(h->db, dev->type, rdev, node, link);
		int made = devnode_make(h->dev, node, dev->type, r->mode, rdev, r->uid, r->gid,
					rule_names_device(r) ? DEVNODE_NAMED : 0);
		if (made != 0) {
			/* not ours when the engine's was kept: never removed */
			if (was_node && made < 0)
				nodedb_put(h->db, dev->type, rdev, was_node, was_link);
			else if (h->db)
				nodedb_del(h->db, dev->type, rdev);
			free(was_node);
			free(was_link);
			rc = made < 0 ? -1 : 0;
			goto out;
		}
		free(was_node);
		free(was_link);
		h->nodes++;
		bool root = dev->major == h->root_major && dev->minor == h->root_minor;
		if (root)
			devnode_symlink(h->dev, "root", node);
		if (link && devnode_symlink(h->dev, link, node) < 0)
			rc = -1;
		if (h->links && may_have_links(dev))
			persistent_links(h, dev, node, o);
		if (handler_command_due(r, dev) && !known)
			push_step(p, 'c', r->cmd, node);
		outcome_set(o, &node, r->move == '>' ? dev->devname : NULL, root);
	} else if (dev->op == DEVOP_REMOVE) {
		if (watch && strcmp(node, watch) == 0)
			*watched = true;
		if (handler_command_due(r, dev))
			push_step(p, 'c', r->cmd, node);
		push_step(p, 'r', node, r->move == '>' ? dev->devname : NULL);
		if (dev->major >= 0)
			outcome_set(o, &node, r->move == '>' ? dev->devname : NULL, false);
	} else {
		if (handler_command_due(r, dev))
			push_step(p, 'c', r->cmd, node);
		/* change, bind...: the node stays where the rules put it */
		if (dev->major >= 0)
			outcome_set(o, &node, r->move == '>' ? dev->devname : NULL, false);
	}
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
 * directories that emptied; its record is left to the caller. As
 * devnode_remove: 0 done, 1 held back, -1 failed. */
static int remove_made(struct handler *h, mode_t type, dev_t rdev, const char *node,
		       const char *link)
{
	if (link && !node_in_use(h, type, rdev, node) &&
	    devnode_remove_symlink(h->dev, link, node) == 0)
		devnode_prune(h->dev, link);
	if (h->links)
		for (size_t i = 0; i < sizeof(persistent_dirs) / sizeof(persistent_dirs[0]); i++)
			devnode_unlink_links_to(h->dev, persistent_dirs[i], node);
	int rc = devnode_remove(h->dev, node, type, true, rdev);
	if (rc == 0)
		devnode_prune(h->dev, node);
	return rc;
}

/* The record goes once the node is gone: a removal that failed (a
 * read-only /dev) leaves it for the daemon's next try, one held back is
 * settled by the dev root's removed hook. */
void handler_forget(struct handler *h, mode_t type, dev_t rdev, const char *node, const char *link)
{
	if (remove_made(h, type, rdev, node, link) == 0 && h->db)
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
static int collect(struct handler *h, const struct device *dev, struct pending *p);

/* A device renamed by the kernel (ACTION=move): make its node under the
 * new name as for an add, then drop what the old name left, if different. */
static int handle_move(struct handler *h, const struct device *dev, struct pending *p)
{
	dev_t rdev = makedev((unsigned)dev->major, (unsigned)dev->minor);
	struct nodedb_entry *e = nodedb_get(h->db, dev->type, rdev);
	char *old_node = e ? xstrdup(e->node) : NULL;
	char *old_link = e && e->link ? xstrdup(e->link) : NULL;
	struct device add = *dev;
	int rc;

	add.op = DEVOP_ADD;
	rc = collect(h, &add, p);
	e = nodedb_get(h->db, dev->type, rdev);
	if (old_node && !(e && strcmp(e->node, old_node) == 0))
		remove_made(h, dev->type, rdev, old_node, old_link);
	free(old_node);
	free(old_link);
	return rc;
}

/* What a remove step undoes: the node, the ">" link to it, the
 * directories that emptied, the daemon's record. */
static int remove_node(struct handler *h, const struct device *dev, const char *node,
		       const char *link)
{
	dev_t rdev = dev_rdev(dev);
	int rc = 0;

	if (link && devnode_remove_symlink(h->dev, link, node) < 0)
		rc = -1;
	if (h->links && dev->major >= 0 && may_have_links(dev))
		for (size_t i = 0; i < sizeof(persistent_dirs) / sizeof(persistent_dirs[0]); i++)
			devnode_unlink_links_to(h->dev, persistent_dirs[i], node);
	int done = devnode_remove(h->dev, node, dev->type, dev->major >= 0, rdev);
	if (done < 0)
		rc = -1;
	/* see handler_forget; and only the record of this name (the rules
	 * may name another node than the one recorded: its 'f' step goes
	 * next) */
	struct nodedb_entry *e = h->db && dev->major >= 0 ? nodedb_get(h->db, dev->type, rdev) : NULL;
	if (done == 0 && e && strcmp(e->node, node) == 0)
		nodedb_del(h->db, dev->type, rdev);
	devnode_prune(h->dev, node);
	if (link)
		devnode_prune(h->dev, link);
	return rc;
}

const struct step *handler_next_command(struct handler *h, struct pending *p)
{
	unsigned long faults = h->dev->faults;
	const struct step *c = NULL;

	while (p->next < p->nsteps) {
		const struct step *s = &p->steps[p->next++];
		if (s->kind == 'c') {
			c = s;
			p->ran_commands = true;
			break;
		}
		if (s->kind == 'r' && remove_node(h, &p->dev, s->a, s->b) < 0)
			p->rc = -1;
		if (s->kind == 'f')
			handler_forget(h, p->dev.type, dev_rdev(&p->dev), s->a, s->b);
	}
	/* One event at a time works on /dev: what failed now is this one's. */
	p->faulted |= h->dev->faults != faults;
	return c;
}

/* The rules' work on the node, and what is left to do in order. */
static void collect_event(struct handler *h, const struct device *dev, struct pending *p)
{
	memset(p, 0, sizeof(*p));
	p->dev = *dev;
	p->firmware = dev->op == DEVOP_REMOVE && dev->ev && uevent_get(dev->ev, "FIRMWARE");
	p->outside = h->policy && !policy_allows(h->policy, dev->type, dev->major, dev->minor);

	/* A device the container may not use: nothing, or a node only. */
	if (p->outside) {
		h->outside++;
		policy_log_skip(h->policy, dev->type, dev->major, dev->minor, dev->devname);
		if (!h->policy->node_only) {
			p->skip = true;
			return;
		}
	}
	/* "remove" of a firmware request is not a device going away (mdev
	 * learnt that the hard way: it deleted live nodes); the request
	 * itself, without numbers, is gone, and that is published. */
	if (p->firmware) {
		p->rc = 0;
	} else if (dev->op == DEVOP_MOVE) {
		if (h->db && dev->major >= 0) {
			p->rc = handle_move(h, dev, p);
		} else {
			/* mdev does nothing on move but run '*' commands */
			struct device other = *dev;
			other.op = DEVOP_OTHER;
			p->rc = collect(h, &other, p);
		}
	} else {
		p->rc = collect(h, dev, p);
	}
	/* Outside the policy, a node only: no command. Nor for an event
	 * tried again whose commands ran the first time. */
	if (p->outside || h->no_commands)
		for (unsigned i = 0; i < p->nsteps; i++)
			if (p->steps[i].kind == 'c')
				p->steps[i].kind = '-';
	/* a command sees SUBSYSTEM, which a scan reads only when asked */
	for (unsigned i = 0; i < p->nsteps && dev->lazy_get; i++)
		if (p->steps[i].kind == 'c' && uevent_get(dev->ev, "SUBSYSTEM") == NULL) {
			dev->lazy_get(dev->lazy_arg, "SUBSYSTEM");
			break;
		}
}

/* ... and whether /dev refused any of it (one event at a time works on
 * /dev: what failed meanwhile is this one's). */
static void begin(struct handler *h, const struct device *dev, struct pending *p)
{
	unsigned long faults = h->dev->faults;

	collect_event(h, dev, p);
	p->faulted = h->dev->faults != faults;
}


int handler_end(struct handler *h, struct pending *p)
{
	int rc = p->rc;

	if (!p->skip) {
		/* busybox loads firmware once the rules are done */
		const char *fw = uevent_get(p->dev.ev, "FIRMWARE");
		const char *devpath = uevent_get(p->dev.ev, "DEVPATH");
		if (p->dev.op == DEVOP_ADD && fw && devpath && h->firmware)
			h->firmware(h->firmware_arg, devpath, fw);
		/* as udev: a driver for what was added, before anyone hears */
		const char *alias = uevent_get(p->dev.ev, "MODALIAS");
		if (p->dev.op == DEVOP_ADD && alias && *alias && h->modalias)
			h->modalias(h->modalias_arg, alias);
		/* Clients hear of a node once it is there, of a remove once
		 * it is gone: not of an event /dev refused, until a retry. */
		if (h->pub && !(p->firmware && p->dev.major >= 0) && !p->outside && !p->faulted)
			publish_device(h->pub, &p->dev, &p->o);
		if (h->done)
			h->done(h->done_arg, &p->dev, p->faulted, p->ran_commands);
	}
	outcome_free(&p->o);
	for (unsigned i = 0; i < p->nsteps; i++) {
		free(p->steps[i].a);
		free(p->steps[i].b);
	}
	p->nsteps = p->next = 0;
	if (p->rc < 0)
		h->failures++;
	return rc;
}

int handle_device(struct handler *h, const struct device *dev)
{
	struct pending p;
	const struct step *s;

	if (h->dry_run)
		return explain_device(h, dev);

	begin(h, dev, &p);
	while (!p.skip && (s = handler_next_command(h, &p)) != NULL)
		exec_run(s->a, h->dev->root.fd, p.dev.ev, s->b, p.dev.devname, h->cmd_timeout);
	return handler_end(h, &p);
}

struct pending *handler_begin(struct handler *h, const struct device *dev)
{
	struct pending on_stack;

	/* Most events have no command: they are done here, without a copy */
	begin(h, dev, &on_stack);
	bool commands = false;
	for (unsigned i = 0; i < on_stack.nsteps && !on_stack.skip; i++)
		commands |= on_stack.steps[i].kind == 'c';
	if (!commands) {
		handler_next_command(h, &on_stack);
		handler_end(h, &on_stack);
		return NULL;
	}
	/* It outlives the caller's event: keep a copy, and the names that
	 * point into it. */
	struct pending *p = xmalloc(sizeof(*p));
	*p = on_stack;
	p->ev = xmalloc(sizeof(*p->ev));
	uevent_copy(p->ev, dev->ev);
	p->dev.ev = p->ev;
	if (dev->devname >= dev->ev->buf && dev->devname < dev->ev->buf + sizeof(dev->ev->buf))
		p->dev.devname = p->ev->buf + (dev->devname - dev->ev->buf);
	else
		p->dev.devname = p->own_devname = xstrdup(dev->devname);
	p->dev.lazy_get = NULL;
	p->dev.sysdir = NULL;
	return p;
}

void handler_free(struct pending *p)
{
	free(p->own_devname);
	free(p->ev);
	free(p);
}

static int collect(struct handler *h, const struct device *dev, struct pending *p)
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

	/* What the daemon made for this device, by its record: the rules
	 * may have changed since (SIGHUP), or name it from keys the remove
	 * event lacks. */
	if (dev->op == DEVOP_REMOVE && h->db && dev->major >= 0) {
		struct nodedb_entry *e = nodedb_get(h->db, dev->type, dev_rdev(dev));
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
		if (apply(h, dev, &m, nonode, rec_node, &rec_done, p) < 0)
			rc = -1;
		if (!m.rule->keep_matching)
			break;
	}
	if (rec_node && !rec_done && !nonode) {
		push_step(p, 'f', rec_node, rec_link);
		outcome_set(&p->o, &rec_node, rec_link, false);
	}
	if (nonode)
		outcome_free(&p->o);
	free(rec_node);
	free(rec_link);
	return rc;
}
