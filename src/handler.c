#define _GNU_SOURCE
#include "handler.h"
#include "devnode.h"
#include "exec.h"
#include "explain.h"
#include "fileio.h"
#include "log.h"
#include "publish.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* The plan, what the policy said logged, and the steps up to the first
 * command carried out. */
static void begin(struct handler *h, const struct device *dev, struct pending *p)
{
	memset(p, 0, sizeof(*p));
	p->dev = *dev;
	/* asked again on add: the engine may allow or refuse it by now */
	if (h->policy)
		policy_learn(h->policy, dev->type, dev->major, dev->minor, dev->op == DEVOP_ADD);
	plan_event(&p->plan, &h->in, dev);
	if (p->plan.outside) {
		h->outside++;
		policy_log_skip(h->policy, dev->type, dev->major, dev->minor, dev->devname);
	}
	/* a command sees SUBSYSTEM, which a scan reads only when asked */
	if (dev->lazy_get && p->plan.commands)
		device_get(dev, "SUBSYSTEM");
}

const struct plan_step *handler_next_command(struct handler *h, struct pending *p)
{
	return execute(&h->x, &p->plan, &p->dev, &p->o);
}

static void tell(struct handler *h, struct pending *p)
{
	/* "!": published without a node, nor what was worked out for one */
	struct pub_node made = { .props = p->plan.nonode ? NULL : p->o.props };

	made.node = plan_node(&p->plan, &made.link, &made.root);
	/* Clients hear of a node once it is there, of a remove once it is
	 * gone: not of an event /dev refused, until it is tried again. */
	if (h->pub && p->plan.publish && !p->o.faulted)
		publish_device(h->pub, &p->dev, &made);
	if (h->done)
		h->done(h->done_arg, &p->dev, &p->o);
}

int handler_end(struct handler *h, struct pending *p)
{
	int rc = p->o.rc;

	if (!p->plan.skip)
		tell(h, p);
	plan_free(&p->plan);
	outcome_free(&p->o);
	if (rc < 0)
		h->failures++;
	return rc;
}

int handle_device(struct handler *h, const struct device *dev)
{
	struct pending p;
	const struct plan_step *s;

	if (h->dry_run) {
		if (h->policy)
			policy_learn(h->policy, dev->type, dev->major, dev->minor, true);
		plan_event(&p.plan, &h->in, dev);
		explain_plan(&p.plan, dev, h->in.rules->path, h->x.dev->path, h->x.sys_fd,
			     h->policy);
		plan_free(&p.plan);
		return 0;
	}
	begin(h, dev, &p);
	while ((s = handler_next_command(h, &p)) != NULL)
		exec_run(s->cmd, h->x.dev->root.fd, p.dev.ev, s->node, p.dev.devname,
			 h->cmd_timeout);
	return handler_end(h, &p);
}

struct pending *handler_hold(const struct device *dev)
{
	struct pending *p = xmalloc(sizeof(*p));

	/* what a scan reads only when asked cannot be read later */
	if (dev->lazy_get)
		device_get(dev, "SUBSYSTEM");
	memset(p, 0, sizeof(*p));
	p->dev = *dev;
	p->ev = xmalloc(sizeof(*p->ev));
	uevent_copy(p->ev, dev->ev);
	p->dev.ev = p->ev;
	if (dev->devname >= dev->ev->buf && dev->devname < dev->ev->buf + sizeof(dev->ev->buf))
		p->dev.devname = p->ev->buf + (dev->devname - dev->ev->buf);
	else
		p->dev.devname = p->own_devname = xstrdup(dev->devname);
	p->dev.sysdir = dev->sysdir ? (p->own_sysdir = xstrdup(dev->sysdir)) : NULL;
	p->dev.lazy_get = NULL;
	p->dev.lazy_arg = NULL;
	return p;
}

struct pending *handler_begin(struct handler *h, const struct device *dev)
{
	struct pending on_stack;

	begin(h, dev, &on_stack);
	/* Most events have no command: they are done here, without a copy */
	if (!on_stack.plan.commands) {
		handler_next_command(h, &on_stack);
		handler_end(h, &on_stack);
		return NULL;
	}
	struct pending *p = handler_hold(dev);
	p->plan = on_stack.plan;
	p->o = on_stack.o;
	return p;
}

void handler_free(struct pending *p)
{
	free(p->own_devname);
	free(p->own_sysdir);
	free(p->ev);
	free(p);
}

void handler_gone(struct handler *h, const struct nodedb_entry *e, bool keep_link)
{
	struct nodedb_entry copy = *e;
	struct device dev = { .type = e->type, .major = (int)major(e->rdev),
			      .minor = (int)minor(e->rdev) };
	struct outcome o = { 0 };
	struct plan p;

	if (!keep_link)
		copy.link = NULL;
	plan_gone(&p, &h->in, &copy);
	dev.devname = p.v[0].node;
	execute(&h->x, &p, &dev, &o);
	plan_free(&p);
	outcome_free(&o);
	if (h->pub)
		publish_forget(h->pub, dev.type, dev.major, dev.minor);
}
