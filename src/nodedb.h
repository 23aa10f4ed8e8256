/* What devmgr made under /dev, per device number: the node's name and the
 * symlink a '>' rule left. The daemon needs it to reconcile /dev with
 * sysfs after the kernel dropped events (ENOBUFS): nodes of devices that
 * are gone are removed, and only those devmgr made. */
#ifndef DEVMGR_NODEDB_H
#define DEVMGR_NODEDB_H

#include <stdbool.h>
#include <sys/types.h>

struct nodedb_entry {
	dev_t rdev;
	mode_t type;			/* S_IFCHR or S_IFBLK; 0: free slot */
	bool seen;			/* during a resync */
	/* Loaded from the record an earlier daemon left, and neither made
	 * nor found again since: what it says is checked against /dev
	 * before it is acted on (daemon.c). */
	bool recorded;
	char *node;
	char *link;			/* NULL when none */
};

struct nodelog;

struct nodedb {
	struct nodedb_entry *v;
	size_t cap, used;
	struct nodelog *log;		/* told of every change, or NULL */
};

void nodedb_init(struct nodedb *db);
void nodedb_free(struct nodedb *db);
/* Records (or replaces) what was made for a device, and marks it seen. */
void nodedb_put(struct nodedb *db, mode_t type, dev_t rdev, const char *node, const char *link);
struct nodedb_entry *nodedb_get(struct nodedb *db, mode_t type, dev_t rdev);
void nodedb_del(struct nodedb *db, mode_t type, dev_t rdev);

#endif
