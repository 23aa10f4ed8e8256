/* The daemon's record of what it made under /dev, kept in a file as well
 * as in memory. A daemon killed without warning (SIGKILL, the OOM killer)
 * and started again reads it to know which nodes and directories in /dev
 * are its own, and removes those of devices that went while it was down;
 * without it, they would stay forever, since nobody else made them.
 *
 * An append-only log, a line per change, rewritten whole now and then.
 * The file is locked while a daemon runs: two daemons never manage one
 * /dev. */
#ifndef DEVMGR_NODELOG_H
#define DEVMGR_NODELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct nodedb;

struct nodelog {
	int fd;				/* -1: not kept (said why at open) */
	char *path;
	char *devroot;			/* as the header names it */
	unsigned long lines;		/* appended since the file was last rewritten */
	bool broken;			/* a write failed (said once) */
};

/* Opens (creating DIR if need be) the record for the dev root DEVROOT and
 * loads it into DB, which must be empty; each directory it lists as made
 * goes to ADOPT. 0 (also when no record can be kept: then l->fd is -1, and
 * a warning says so), or -1 when another daemon holds it (said). */
int nodelog_open(struct nodelog *l, const char *dir, const char *devroot, struct nodedb *db,
		 void (*adopt)(void *arg, const char *dir), void *arg);
void nodelog_close(struct nodelog *l);

void nodelog_put(struct nodelog *l, mode_t type, dev_t rdev, const char *node, const char *link);
void nodelog_del(struct nodelog *l, mode_t type, dev_t rdev);
void nodelog_dir(struct nodelog *l, const char *dir, bool made);

/* Rewrites the file from DB and the made directories DIRS when it has
 * grown well past what it describes (or always, with force). -1 when
 * that failed (said; the file goes on as it was). */
int nodelog_compact(struct nodelog *l, const struct nodedb *db, char *const *dirs,
		    size_t ndirs, bool force);

/* The file name for a dev root: its path escaped as systemd-escape
 * --path does ('/' as '-', '-' as \x2d), so /dev is "dev.nodes". */
void nodelog_name(char *buf, size_t size, const char *devroot);

#endif
