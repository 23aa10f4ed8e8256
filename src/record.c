#include "record.h"

void record_put(struct record *r, mode_t type, dev_t rdev, const char *node, const char *link)
{
	/* only what is new is written */
	if (nodedb_put(&r->db, type, rdev, node, link) && r->log)
		nodelog_put(r->log, type, rdev, node, link);
}

void record_del(struct record *r, mode_t type, dev_t rdev)
{
	if (nodedb_del(&r->db, type, rdev) && r->log)
		nodelog_del(r->log, type, rdev);
}
