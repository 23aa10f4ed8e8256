/* The daemon's record of what it made under /dev: the table it looks
 * things up in (nodedb.c) and its copy on disk for the next daemon
 * (nodelog.c), changed together, here and nowhere else. */
#ifndef DEVMGR_RECORD_H
#define DEVMGR_RECORD_H

#include <sys/types.h>

#include "nodedb.h"
#include "nodelog.h"

struct record {
	struct nodedb db;
	struct nodelog *log;		/* NULL: kept in memory only */
};

/* Records (or replaces) what was made for a device, and marks it seen. */
void record_put(struct record *r, mode_t type, dev_t rdev, const char *node, const char *link);
void record_del(struct record *r, mode_t type, dev_t rdev);

#endif
