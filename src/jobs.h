/* The daemon's rule commands, run without holding up other devices: an
 * event whose rules have commands becomes a job that runs them one after
 * another, in the background; events for the same device that arrive
 * meanwhile wait behind it (each device's events keep their order); a
 * command that outlives the time limit is killed with its process group. */
#ifndef DEVMGR_JOBS_H
#define DEVMGR_JOBS_H

#include <poll.h>
#include <stdbool.h>

#include "exec.h"
#include "handler.h"

#define JOBS_RUNNING_MAX 16	/* commands at once; more wait their turn */
#define JOBS_BACKLOG_MAX 1024	/* events waiting behind one device's job (~10 MB) */

struct job {
	struct pending *p;		/* NULL: the slot is free */
	const struct plan_step *step;	/* the command running or waiting to */
	struct cmd_proc proc;
	bool running, killed;
	long deadline;			/* monotonic ms; 0: none */
	struct pending **backlog;	/* the device's later events, held */
	unsigned nbacklog, capbacklog;
	unsigned long dropped;		/* replaced in a full backlog */
};

#define JOBS_ORPHANS_MAX 32

struct jobs {
	struct handler *h;
	struct job *v;
	unsigned n, cap, running;
	unsigned long started, killed;
	bool stopping;			/* commands are no longer started */
	/* Output pipes of commands that ended while something they left
	 * in the background still writes: read to their end, so that it
	 * meets no closed pipe (busybox's never do). */
	struct cmd_proc orphans[JOBS_ORPHANS_MAX];
	unsigned norphans;
};

void jobs_init(struct jobs *j, struct handler *h);
/* An event (from the kernel, a rescan, a retry; its flags with it): done
 * at once, or its commands started, or held behind its device's job. */
void jobs_submit(struct jobs *j, const struct device *dev);
/* The running commands' output pipes (and orphaned ones), for poll();
 * how many were set. */
int jobs_pollfds(const struct jobs *j, struct pollfd *p, int max);
/* Milliseconds until a command's time is up; -1: no limit pending. */
int jobs_timeout(const struct jobs *j);
/* Logs output, reaps commands that ended, kills those out of time, and
 * goes on with their events. */
void jobs_service(struct jobs *j);
/* Stopping: kills every command and finishes the events. */
void jobs_stop(struct jobs *j);
/* Devices with an event in progress, and output pipes still read. */
unsigned jobs_active(const struct jobs *j);

#endif
