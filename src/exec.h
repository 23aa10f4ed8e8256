/* Running the commands of mdev.conf rules (@ after the node is made,
 * $ before it goes, * on every event), as busybox mdev does: through
 * /bin/sh -c, in the dev root, with the event's keys and MDEV (the node's
 * name after renaming) in the environment. Here also: stdin at end of
 * file, output into devmgr's log line by line, its own process group, and
 * a time limit after which the whole group is killed. */
#ifndef DEVMGR_EXEC_H
#define DEVMGR_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "uevent.h"

struct cmd_proc {
	pid_t pid;
	int out;		/* its stdout and stderr; -1 once at end of file */
	char line[512];		/* a partial output line */
	size_t used;
	char tag[96];		/* "cmd (devname)", for the log */
};

/* Starts CMD. DIRFD: its working directory (the dev root). 0, or -1
 * after logging why. */
int exec_start(struct cmd_proc *p, const char *cmd, int dirfd, const struct uevent *ev,
	       const char *mdev, const char *devname);
/* Logs what the command wrote so far (non-blocking). Returns 1 at end of
 * file (the pipe is closed then), 0 otherwise. */
int exec_drain(struct cmd_proc *p);
/* Logs how the command ended (a non-zero exit, a signal). */
void exec_report(const struct cmd_proc *p, int status);
/* The monotonic clock in milliseconds, which command deadlines use. */
long exec_clock_ms(void);
/* Kills its process group. */
void exec_kill(struct cmd_proc *p);
/* Starts CMD and waits for it, its output going to devmgr's stderr as
 * with busybox; kills it after TIMEOUT seconds (0: never). Its exit
 * status, or -1. */
int exec_run(const char *cmd, int dirfd, const struct uevent *ev, const char *mdev,
	     const char *devname, unsigned timeout);

#endif
