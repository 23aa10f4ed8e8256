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
	/* Known to have no persistent names (by-id, by-path) to remove with
	 * it: none were made for it (unknown for an earlier daemon's). */
	bool no_idlinks;
	/* The persistent names made for it, "a\0b\0\0", so that they go
	 * without a search of every directory; NULL: not known (an earlier
	 * daemon's, or none made yet): searched for. */
	char *idnames;
	char *node;
	char *link;			/* NULL when none */
};

struct nodedb {
	struct nodedb_entry *v;
	size_t cap, used;
};

void nodedb_init(struct nodedb *db);
void nodedb_free(struct nodedb *db);
/* Records (or replaces) what was made for a device, and marks it seen;
 * whether that changed the entry. */
bool nodedb_put(struct nodedb *db, mode_t type, dev_t rdev, const char *node, const char *link);
struct nodedb_entry *nodedb_get(struct nodedb *db, mode_t type, dev_t rdev);
/* Whether there was an entry to delete. */
bool nodedb_del(struct nodedb *db, mode_t type, dev_t rdev);
/* nodedb_get() for readers. */
const struct nodedb_entry *nodedb_lookup(const struct nodedb *db, mode_t type, dev_t rdev);
/* The entries one by one, in no order: *POS starts at 0; NULL after the
 * last. An entry deleted meanwhile may move: collect, then change. */
struct nodedb_entry *nodedb_next(const struct nodedb *db, size_t *pos);
/* Whether the record gives NODE to a device other than TYPE RDEV. */
bool nodedb_node_taken(const struct nodedb *db, mode_t type, dev_t rdev, const char *node);

#endif
