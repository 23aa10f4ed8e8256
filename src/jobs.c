#define _GNU_SOURCE
#include "jobs.h"
#include "devnode.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void jobs_init(struct jobs *j, struct handler *h)
{
	memset(j, 0, sizeof(*j));
	j->h = h;
}

static const char *devpath_of(const struct job *job)
{
	return uevent_get(job->p->dev.ev, "DEVPATH");
}

/* The job an event must wait behind: the same device (DEVPATH), the
 * device it was before a rename (DEVPATH_OLD), or another device with
 * the same numbers (a reconnect that got them before the old device's
 * remove ran: that remove must not take the new node). */
static struct job *find(struct jobs *j, const struct device *dev)
{
	const char *devpath = uevent_get(dev->ev, "DEVPATH");
	const char *old = uevent_get(dev->ev, "DEVPATH_OLD");

	for (unsigned i = 0; i < j->n; i++) {
		const struct job *job = &j->v[i];
		if (job->p == NULL)
			continue;
		const char *busy = devpath_of(job);
		const struct device *d = &job->p->dev;
		/* a scan's devices have no DEVPATH: their numbers say it */
		if ((busy && devpath && strcmp(busy, devpath) == 0) ||
		    (busy && old && strcmp(busy, old) == 0) ||
		    (dev->major >= 0 && d->major == dev->major && d->minor == dev->minor &&
		     d->type == dev->type))
			return &j->v[i];
	}
	return NULL;
}

static struct job *new_job(struct jobs *j)
{
	for (unsigned i = 0; i < j->n; i++)
		if (j->v[i].p == NULL)
			return &j->v[i];
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 8;
		struct job *v = realloc(j->v, j->cap * sizeof(*v));
		if (v == NULL)
			die("out of memory");
		j->v = v;
	}
	memset(&j->v[j->n], 0, sizeof(j->v[0]));
	return &j->v[j->n++];
}

static void start(struct jobs *j, struct job *job)
{
	const struct plan_step *s = job->step;
	struct pending *p = job->p;

	if (exec_start(&job->proc, s->cmd, j->h->x.dev->root.fd, p->dev.ev, s->node,
		       p->dev.devname) < 0) {
		job->step = NULL;	/* logged; on to the next step */
		return;
	}
	job->running = true;
	job->killed = false;
	job->deadline = j->h->cmd_timeout ? exec_clock_ms() + (long)j->h->cmd_timeout * 1000 : 0;
	j->running++;
	j->started++;
}

/* Takes the job as far as it goes without waiting: the next command
 * started (or waiting for a turn), or the event finished and the
 * device's next event begun. */
static void advance(struct jobs *j, struct job *job)
{
	while (job->p && !job->running) {
		if (job->step == NULL)
			job->step = handler_next_command(j->h, job->p);
		if (job->step && j->stopping) {
			job->step = NULL;	/* only the node work is finished */
			continue;
		}
		if (job->step) {
			if (j->running >= JOBS_RUNNING_MAX)
				return;		/* started by jobs_service() */
			start(j, job);
			continue;
		}
		handler_end(j->h, job->p);
		handler_free(job->p);
		job->p = NULL;
		/* the device's next events, in order */
		while (job->p == NULL && job->nbacklog > 0) {
			struct pending *held = job->backlog[0];
			if (job->dropped && job->nbacklog == 1) {
				const char *devpath = uevent_get(held->ev, "DEVPATH");
				log_warn("%lu events of %s dropped while its command ran; the last one "
					 "is handled", job->dropped, devpath ? devpath : "?");
				job->dropped = 0;
			}
			memmove(job->backlog, job->backlog + 1, --job->nbacklog * sizeof(*job->backlog));
			job->p = handler_begin(j->h, &held->dev);
			handler_free(held);
		}
		if (job->p == NULL) {
			free(job->backlog);
			memset(job, 0, sizeof(*job));
		}
	}
}

/* A device that keeps sending events while its command runs (up to the
 * command's time limit) would make its backlog grow without bound. Past
 * JOBS_BACKLOG_MAX, an event of the same device as the last one waiting
 * takes that one's place: the events between are lost, and the device's
 * last state is still what is handled. True when EV was taken so. */
static bool backlog_full(struct job *job, const struct device *dev)
{
	if (job->nbacklog < JOBS_BACKLOG_MAX)
		return false;
	struct pending **last = &job->backlog[job->nbacklog - 1];
	const struct device *l = &(*last)->dev;
	const char *a = uevent_get(l->ev, "DEVPATH"), *b = uevent_get(dev->ev, "DEVPATH");
	/* the same device: its path, or (a scan's, which has none) its numbers */
	bool same = a && b ? strcmp(a, b) == 0 :
		    dev->major >= 0 && l->major == dev->major && l->minor == dev->minor &&
		    l->type == dev->type;
	if (!same)
		return false;
	if (job->dropped++ == 0)
		log_warn("events of %s are piling up behind its command (%d waiting): the "
			 "later ones replace the last", b ? b : dev->devname, JOBS_BACKLOG_MAX);
	handler_free(*last);
	*last = handler_hold(dev);
	return true;
}

void jobs_submit(struct jobs *j, const struct device *dev)
{
	struct job *busy = find(j, dev);

	if (busy) {
		if (backlog_full(busy, dev))
			return;
		if (busy->nbacklog == busy->capbacklog) {
			busy->capbacklog = busy->capbacklog ? busy->capbacklog * 2 : 4;
			struct pending **b = realloc(busy->backlog, busy->capbacklog * sizeof(*b));
			if (b == NULL)
				die("out of memory");
			busy->backlog = b;
		}
		busy->backlog[busy->nbacklog++] = handler_hold(dev);
		return;
	}
	struct pending *p = handler_begin(j->h, dev);
	if (p == NULL)
		return;		/* no command: all done */
	struct job *job = new_job(j);
	job->p = p;
	advance(j, job);
}

int jobs_pollfds(const struct jobs *j, struct pollfd *p, int max)
{
	int n = 0;

	for (unsigned i = 0; i < j->norphans && n < max; i++)
		p[n++] = (struct pollfd){ .fd = j->orphans[i].out, .events = POLLIN };
	for (unsigned i = 0; i < j->n && n < max; i++)
		if (j->v[i].p && j->v[i].running && j->v[i].proc.out >= 0)
			p[n++] = (struct pollfd){ .fd = j->v[i].proc.out, .events = POLLIN };
	return n;
}

int jobs_timeout(const struct jobs *j)
{
	long next = -1, now = exec_clock_ms();

	for (unsigned i = 0; i < j->n; i++) {
		const struct job *job = &j->v[i];
		if (!job->p || !job->running || !job->deadline || job->killed)
			continue;
		long left = job->deadline - now;
		if (left < 0)
			left = 0;
		if (next < 0 || left < next)
			next = left;
	}
	/* a job waiting for a turn is looked at on the next wake-up anyway */
	return next > 60000 ? 60000 : (int)next;
}

void jobs_service(struct jobs *j)
{
	long now = exec_clock_ms();

	for (unsigned i = 0; i < j->norphans; )
		if (exec_drain(&j->orphans[i]))
			j->orphans[i] = j->orphans[--j->norphans];
		else
			i++;

	for (unsigned i = 0; i < j->n; i++) {
		struct job *job = &j->v[i];
		int status;
		if (!job->p || !job->running)
			continue;
		exec_drain(&job->proc);
		if (job->deadline && !job->killed && now >= job->deadline) {
			log_warn("%s still runs after %u s: killed", job->proc.tag, j->h->cmd_timeout);
			exec_kill(&job->proc);
			job->killed = true;
			j->killed++;
		}
		pid_t r = waitpid(job->proc.pid, &status, WNOHANG);
		if (r != job->proc.pid && !(r < 0 && errno == ECHILD))
			continue;
		exec_drain(&job->proc);
		if (job->proc.out >= 0) {
			if (j->norphans < JOBS_ORPHANS_MAX) {
				j->orphans[j->norphans++] = job->proc;
			} else {
				log_warn("%s left too many background processes writing output: "
					 "closing its pipe", job->proc.tag);
				close(job->proc.out);
			}
			job->proc.out = -1;
		}
		if (r == job->proc.pid)
			exec_report(&job->proc, status);
		job->running = false;
		job->step = NULL;
		j->running--;
		advance(j, job);
	}
	/* turns freed: start what waits */
	for (unsigned i = 0; i < j->n && j->running < JOBS_RUNNING_MAX; i++)
		if (j->v[i].p && !j->v[i].running)
			advance(j, &j->v[i]);
}

void jobs_stop(struct jobs *j)
{
	j->stopping = true;
	for (unsigned i = 0; i < j->n; i++)
		if (j->v[i].p && j->v[i].running)
			exec_kill(&j->v[i].proc);
	/* they die at once (SIGKILL); what is left of their events is done */
	for (int tries = 0; tries < 100 && jobs_active(j) > j->norphans; tries++) {
		jobs_service(j);
		if (jobs_active(j) > j->norphans) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		for (unsigned i = 0; i < j->n; i++)
			if (j->v[i].p && j->v[i].running)
				exec_kill(&j->v[i].proc);
	}
	for (unsigned i = 0; i < j->n; i++) {
		for (unsigned k = 0; k < j->v[i].nbacklog; k++)
			handler_free(j->v[i].backlog[k]);
		free(j->v[i].backlog);
		if (j->v[i].p) {
			handler_end(j->h, j->v[i].p);
			handler_free(j->v[i].p);
		}
	}
	free(j->v);
	j->v = NULL;
	j->n = j->cap = 0;
	for (unsigned i = 0; i < j->norphans; i++)
		close(j->orphans[i].out);
	j->norphans = 0;
}

unsigned jobs_active(const struct jobs *j)
{
	unsigned n = j->norphans;

	for (unsigned i = 0; i < j->n; i++)
		n += j->v[i].p != NULL;
	return n;
}
