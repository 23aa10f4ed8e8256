/* The daemon's record of what it made under /dev, kept in a file as well
 * as in memory. A daemon killed without warning (SIGKILL, the OOM killer)
 * and started again reads it to know which nodes and directories in /dev
 * are its own, and removes those of devices that went while it was down;
 * without it, they would stay forever, since nobody else made them.
 *
 * An append-only log, a line per change, rewritten whole now and then.
 * The file is locked while a daemon runs: two daemons never manage one
 * /dev.
 *
 * What the record says makes devmgr unlink files, so it is read only
 * when nobody but devmgr can have written it: the state directory is
 * reached without following a symlink, and it and the file belong to
 * devmgr's euid and are writable by it alone; the file has one link.
 * Anything else and the record is refused, said, and not read: no node
 * is removed and no command held back on its word. Every name in it must
 * be a name devmgr could have made (devnode_bad_name). */
#ifndef DEVMGR_NODELOG_H
#define DEVMGR_NODELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct nodedb;

struct nodelog {
	int fd;				/* -1: not kept (said why at open) */
	int dirfd;			/* the state directory; -1: not trusted */
	char *path;			/* for messages */
	char *name;			/* the file's name in dirfd */
	char *devroot;			/* as the header names it */
	/* When the record began (the header keeps it across rewrites):
	 * every node it lists was made at or after this time, so a node
	 * changed last before it is not devmgr's (nodelog_may_be_ours). */
	struct timespec since;
	unsigned long lines;		/* appended since the file was last rewritten */
	bool broken;			/* a write failed (said once) */
};

/* Opens (creating DIR if need be) the record for the dev root DEVROOT and
 * loads it into DB, which must be empty; each directory it lists as made
 * goes to ADOPT. 0 (also when no record can be kept, or the one there is
 * not trusted: then nothing is loaded, and a message says what to
 * change), or -1 when another daemon holds it (said). */
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

/* Whether ST (a node or link in the dev root, as lstat saw it) can have
 * been made under this record: its ctime is not older than the record.
 * The container engine's nodes and links, made before devmgr first ran,
 * are older. */
bool nodelog_may_be_ours(const struct nodelog *l, const struct stat *st);

/* The file name for a dev root: its path escaped as systemd-escape
 * --path does ('/' as '-', '-' as \x2d), so /dev is "dev.nodes". */
void nodelog_name(char *buf, size_t size, const char *devroot);

#endif
