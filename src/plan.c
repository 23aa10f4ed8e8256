#define _GNU_SOURCE
#include "plan.h"
#include "fileio.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* Per event: what matching has found so far. */
struct planning {
	struct plan *p;
	const struct plan_input *in;
	const struct device *dev;
	enum devop op;			/* move: planned as an add, or as a change */
	bool nonode;			/* a "!" rule matched: sticks for the event */
	const struct nodedb_entry *rec;	/* a remove: what the record lists */
	const char *rec_node;		/* ... its node */
	bool rec_named;			/* ... and a rule named it again */
};

static struct plan_step *push(struct plan *p, enum plan_kind kind, unsigned line,
			      const char *node)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		struct plan_step *v = realloc(p->v, p->cap * sizeof(*v));
		if (v == NULL)
			die("out of memory");
		p->v = v;
	}
	struct plan_step *s = &p->v[p->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->line = line;
	s->node = node ? xstrdup(node) : NULL;
	s->node_step = -1;
	s->result = 2;
	return s;
}

static void set_node(struct plan *p, const char *node, const char *link)
{
	free(p->node);
	free(p->link);
	p->node = node ? xstrdup(node) : NULL;
	p->link = link ? xstrdup(link) : NULL;
}

/* The mdev name a matching rule gives (its = or > target, or DEVNAME). */
static char *plan_node_name(const struct device *dev, const struct match_result *m)
{
	char *alias = rules_expand_target(m);

	/* mdev: "=dir/" and ">dir/" keep the device's name inside dir */
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

/* busybox's test, on the kernel's ACTION: a move is neither add nor
 * remove, whatever is done with its node. */
static bool command_due(const struct rule *r, const struct device *dev)
{
	enum devop op = device_action(dev);

	return r->cmd && ((r->cmd_when == '@' && op == DEVOP_ADD) ||
			  (r->cmd_when == '$' && op == DEVOP_REMOVE) || r->cmd_when == '*');
}

static void command(struct planning *pl, const struct rule *r, const char *node, int node_step)
{
	if (!command_due(r, pl->dev) || pl->dev->flags.no_commands || pl->p->outside)
		return;
	struct plan_step *s = push(pl->p, PLAN_COMMAND, r->line, node);
	s->cmd = xstrdup(r->cmd);
	s->need = node_step >= 0 ? NEED_MADE : NEED_NOTHING;
	s->node_step = node_step;
}

/* The device spelled out (tty1, @4,1), not one of a pattern's many:
 * only such a rule displaces what the container engine made. */
static bool names_device(const struct rule *r)
{
	return r->kind == RULE_MAJMIN || (r->kind == RULE_NAME && r->match.literal);
}

static void link_step(struct plan *p, unsigned line, const char *link, const char *node,
		      int node_step)
{
	struct plan_step *s = push(p, PLAN_LINK, line, node);
	s->link = xstrdup(link);
	s->need = NEED_MADE;
	s->node_step = node_step;
}

static bool is_change(const struct device *dev)
{
	const char *action = dev->ev ? uevent_get(dev->ev, "ACTION") : NULL;

	return action && strcmp(action, "change") == 0;
}

/* Node, links, then the command, as busybox does for each rule. */
static void plan_add(struct planning *pl, const struct rule *r, const char *node)
{
	const struct device *dev = pl->dev;
	const struct plan_input *in = pl->in;
	const char *link = r->move == '>' ? dev->devname : NULL;
	int at = (int)pl->p->n;
	struct plan_step *s = push(pl->p, PLAN_NODE, r->line, node);

	s->uid = r->uid;
	s->gid = r->gid;
	s->mode = r->mode;
	s->named = names_device(r);
	s->root = dev->major == in->root_major && dev->minor == in->root_minor;
	s->link = link ? xstrdup(link) : NULL;
	if (s->root)
		link_step(pl->p, r->line, "root", node, at);
	if (link)
		link_step(pl->p, r->line, link, node, at);
	if (in->links && device_may_have_links(dev)) {
		struct plan_step *ids = push(pl->p, PLAN_IDLINKS, r->line, node);
		ids->need = NEED_MADE;
		ids->node_step = at;
	}
	/* A rescan finds every device again: commands only for those that
	 * came while events were lost. */
	bool known = dev->flags.rescan && in->record &&
		     nodedb_lookup(in->record, dev->type, device_rdev(dev));
	if (!known)
		command(pl, r, node, at);
}

static void plan_remove(struct planning *pl, const struct rule *r, const char *node)
{
	const struct device *dev = pl->dev;
	const char *link = r->move == '>' ? dev->devname : NULL;

	if (pl->rec_node && strcmp(node, pl->rec_node) == 0)
		pl->rec_named = true;
	command(pl, r, node, -1);
	struct plan_step *s = push(pl->p, PLAN_REMOVE, r->line, node);
	s->link = link ? xstrdup(link) : NULL;
	s->idlinks = pl->in->links && dev->major >= 0 && device_may_have_links(dev) &&
		     !(pl->rec && pl->rec->no_idlinks);
	if (dev->major >= 0)
		set_node(pl->p, node, link);
}

/* What one matching rule asks for. */
static void plan_rule(struct planning *pl, const struct match_result *m)
{
	const struct rule *r = m->rule;
	char *node = plan_node_name(pl->dev, m);
	struct plan_step *match = push(pl->p, PLAN_MATCH, r->line, node);

	match->more = r->keep_matching;
	match->nonode = pl->nonode;
	pl->p->matched++;
	if (pl->nonode)
		command(pl, r, node, -1);	/* busybox runs it anyway */
	else if (pl->op == DEVOP_ADD && pl->dev->major >= 0)
		plan_add(pl, r, node);
	else if (pl->op == DEVOP_REMOVE)
		plan_remove(pl, r, node);
	else {
		/* change, bind...: the node stays where the rules put it */
		command(pl, r, node, -1);
		if (pl->dev->major >= 0)
			set_node(pl->p, node, r->move == '>' ? pl->dev->devname : NULL);
		/* a disk's change may be a new filesystem or label: the
		 * names are worked out again (for the node that is there),
		 * and the event says them as an add would */
		if (is_change(pl->dev) && pl->dev->major >= 0 && pl->in->links &&
		    device_may_have_links(pl->dev))
			push(pl->p, PLAN_IDLINKS, r->line, node);
	}
	free(node);
}

/* What record entry E lists goes. */
static void forget_step(struct plan *p, const struct plan_input *in, const struct nodedb_entry *e)
{
	struct plan_step *s = push(p, PLAN_FORGET, 0, e->node);

	/* another device may have the name now: its link stays */
	if (e->link && !(in->record && nodedb_node_taken(in->record, e->type, e->rdev, e->node)))
		s->link = xstrdup(e->link);
	s->idlinks = in->links && !e->no_idlinks;
}

static void plan_rules(struct planning *pl)
{
	const struct device *dev = pl->dev;
	struct match_input cur = {
		.devname = dev->devname, .major = dev->major, .minor = dev->minor, .ev = dev->ev,
		.lazy_get = dev->lazy_get, .lazy_arg = dev->lazy_arg,
	};
	struct match_result m;
	size_t pos = 0;

	while (rules_next_match(pl->in->rules, &pos, &cur, &m)) {
		if (m.rule->move == '!') {
			pl->nonode = true;
			/* busybox marks this by clobbering the major, so no later
			 * @major,minor rule can match either */
			cur.major = cur.minor = -1;
		}
		plan_rule(pl, &m);
		if (!m.rule->keep_matching)
			break;
	}
}

/* A remove: the rules may have changed since the add (SIGHUP), or name
 * the device from keys the remove lacks; what the record lists goes. */
static void plan_removal(struct planning *pl)
{
	const struct device *dev = pl->dev;
	const struct nodedb_entry *e = pl->in->record && dev->major >= 0 ?
		nodedb_lookup(pl->in->record, dev->type, device_rdev(dev)) : NULL;

	pl->rec = e;
	pl->rec_node = e ? e->node : NULL;
	plan_rules(pl);
	if (e && !pl->rec_named && !pl->nonode) {
		forget_step(pl->p, pl->in, e);
		set_node(pl->p, e->node, e->link);
	}
}

/* A device the kernel renamed (ACTION=move): its node under the new name
 * as for an add, then what the old name left goes, if different. */
static void plan_move(struct planning *pl)
{
	const struct device *dev = pl->dev;
	const struct nodedb_entry *e = nodedb_lookup(pl->in->record, dev->type, device_rdev(dev));
	int last = -1;

	pl->op = DEVOP_ADD;
	plan_rules(pl);
	for (unsigned i = 0; i < pl->p->n; i++)
		if (pl->p->v[i].kind == PLAN_NODE)
			last = (int)i;
	if (e == NULL || last < 0 || strcmp(pl->p->v[last].node, e->node) == 0)
		return;
	forget_step(pl->p, pl->in, e);
	struct plan_step *s = &pl->p->v[pl->p->n - 1];
	s->keep_record = true;
	s->need = NEED_NOT_FAILED;
	s->node_step = last;
}

/* After the rules: busybox loads firmware; as udev, a driver for what
 * was added, before anyone hears of it. */
static void plan_drivers(struct plan *p, const struct plan_input *in, const struct device *dev)
{
	const struct uevent *ev = dev->ev;
	const char *fw = ev ? uevent_get(ev, "FIRMWARE") : NULL;
	const char *alias = ev ? uevent_get(ev, "MODALIAS") : NULL;

	/* 78-sound-card.rules: once the control device is set up the card
	 * sends "change", which clients wait for (SOUND_INITIALIZED). For
	 * the daemon's events and scans; a lone -s is heard by nobody. */
	const char *action = ev ? uevent_get(ev, "ACTION") : NULL;
	if ((dev->op == DEVOP_ADD || (action && strcmp(action, "change") == 0)) &&
	    dev->major >= 0 &&
	    strncmp(dev->devname, "snd/controlC", 12) == 0 &&
	    (dev->flags.rescan || (ev && uevent_get(ev, "SEQNUM"))))
		push(p, PLAN_CARD_READY, 0, "../uevent");
	if (dev->op != DEVOP_ADD || ev == NULL)
		return;
	if (fw && uevent_get(ev, "DEVPATH") && in->firmware)
		push(p, PLAN_FIRMWARE, 0, fw);
	if (alias && *alias && in->modules)
		push(p, PLAN_MODULES, 0, alias);
}

void plan_event(struct plan *p, const struct plan_input *in, const struct device *dev)
{
	struct planning pl = { .p = p, .in = in, .dev = dev, .op = dev->op };
	bool firmware = dev->op == DEVOP_REMOVE && dev->ev && uevent_get(dev->ev, "FIRMWARE");

	memset(p, 0, sizeof(*p));
	p->outside = in->policy && !policy_allows(in->policy, dev->type, dev->major, dev->minor);
	if (p->outside && !in->policy->node_only) {
		/* refused now, its node made while it was allowed (the engine
		 * took it back): the node goes, and nobody is told */
		const struct nodedb_entry *e = in->record && dev->major >= 0 ?
			nodedb_lookup(in->record, dev->type, device_rdev(dev)) : NULL;
		if (e) {
			forget_step(p, in, e);
			set_node(p, e->node, e->link);
		}
		p->skip = e == NULL;
		return;
	}
	/* Clients hear of what they may use. The "remove" of a firmware
	 * request is no device going away (mdev learnt that the hard way:
	 * it deleted live nodes); the request itself, without numbers,
	 * is gone, and that is published. */
	p->publish = !p->outside && !(firmware && dev->major >= 0);
	if (firmware)
		;
	else if (dev->op == DEVOP_MOVE && in->record && dev->major >= 0)
		plan_move(&pl);
	else if (dev->op == DEVOP_REMOVE)
		plan_removal(&pl);
	else {
		/* mdev does nothing on move but run '*' commands */
		if (dev->op == DEVOP_MOVE)
			pl.op = DEVOP_OTHER;
		plan_rules(&pl);
	}
	p->nonode = pl.nonode;
	for (unsigned i = 0; i < p->n; i++)
		p->commands |= p->v[i].kind == PLAN_COMMAND;
	p->adds = pl.op == DEVOP_ADD;
	if (p->nonode)
		set_node(p, NULL, NULL);
	plan_drivers(p, in, dev);
}

void plan_gone(struct plan *p, const struct plan_input *in, const struct nodedb_entry *e)
{
	memset(p, 0, sizeof(*p));
	forget_step(p, in, e);
	set_node(p, e->node, e->link);
}

void plan_free(struct plan *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		free(p->v[i].node);
		free(p->v[i].link);
		free(p->v[i].cmd);
	}
	free(p->v);
	free(p->node);
	free(p->link);
	memset(p, 0, sizeof(*p));
}

const char *plan_node(const struct plan *p, const char **link, bool *root)
{
	*link = p->link;
	*root = false;
	if (!p->adds || p->nonode)
		return p->node;
	/* with "-" rules, the last node made is the one whose owner and
	 * mode stay */
	for (unsigned i = p->n; i-- > 0; ) {
		const struct plan_step *s = &p->v[i];
		if (s->kind == PLAN_NODE && s->result == 0) {
			*link = s->link;
			*root = s->root;
			return s->node;
		}
	}
	*link = NULL;
	return NULL;
}
