/* Open addressing with linear probing; deletion by backward shift, so no
 * tombstones pile up over a long-running daemon's add/remove cycles. */
#include "nodedb.h"
#include "fileio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void nodedb_init(struct nodedb *db)
{
	db->cap = 256;
	db->used = 0;
	db->v = xmalloc(db->cap * sizeof(*db->v));
	memset(db->v, 0, db->cap * sizeof(*db->v));
}

static void clear(struct nodedb_entry *e)
{
	free(e->node);
	free(e->link);
	free(e->idnames);
	memset(e, 0, sizeof(*e));
}

void nodedb_free(struct nodedb *db)
{
	for (size_t i = 0; i < db->cap; i++)
		if (db->v[i].type)
			clear(&db->v[i]);
	free(db->v);
	db->v = NULL;
	db->cap = db->used = 0;
}

static size_t slot(const struct nodedb *db, mode_t type, dev_t rdev)
{
	uint64_t h = (uint64_t)rdev * 0x9e3779b97f4a7c15ull ^ (uint64_t)type;
	return (size_t)(h >> 20) & (db->cap - 1);
}

static struct nodedb_entry *find(const struct nodedb *db, mode_t type, dev_t rdev)
{
	for (size_t i = slot(db, type, rdev); db->v[i].type; i = (i + 1) & (db->cap - 1))
		if (db->v[i].type == type && db->v[i].rdev == rdev)
			return &db->v[i];
	return NULL;
}

static void grow(struct nodedb *db)
{
	struct nodedb old = *db;

	db->cap *= 2;
	db->v = xmalloc(db->cap * sizeof(*db->v));
	memset(db->v, 0, db->cap * sizeof(*db->v));
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.v[i].type)
			continue;
		size_t j = slot(db, old.v[i].type, old.v[i].rdev);
		while (db->v[j].type)
			j = (j + 1) & (db->cap - 1);
		db->v[j] = old.v[i];
	}
	free(old.v);
}

bool nodedb_put(struct nodedb *db, mode_t type, dev_t rdev, const char *node, const char *link)
{
	struct nodedb_entry *e = find(db, type, rdev);

	if (e && strcmp(e->node, node) == 0 &&
	    (link ? e->link && strcmp(e->link, link) == 0 : e->link == NULL)) {
		e->seen = true;
		e->recorded = false;
		return false;
	}
	if (e == NULL) {
		if ((db->used + 1) * 4 > db->cap * 3)
			grow(db);
		size_t i = slot(db, type, rdev);
		while (db->v[i].type)
			i = (i + 1) & (db->cap - 1);
		e = &db->v[i];
		db->used++;
	} else {
		free(e->node);
		free(e->link);
		free(e->idnames);
		e->idnames = NULL;
	}
	e->type = type;
	e->rdev = rdev;
	e->seen = true;
	e->recorded = false;
	e->no_idlinks = false;
	e->node = xstrdup(node);
	e->link = link ? xstrdup(link) : NULL;
	return true;
}

struct nodedb_entry *nodedb_get(struct nodedb *db, mode_t type, dev_t rdev)
{
	return find(db, type, rdev);
}

const struct nodedb_entry *nodedb_lookup(const struct nodedb *db, mode_t type, dev_t rdev)
{
	return find(db, type, rdev);
}

struct nodedb_entry *nodedb_next(const struct nodedb *db, size_t *pos)
{
	while (*pos < db->cap)
		if (db->v[(*pos)++].type)
			return &db->v[*pos - 1];
	return NULL;
}

bool nodedb_node_taken(const struct nodedb *db, mode_t type, dev_t rdev, const char *node)
{
	const struct nodedb_entry *e;

	for (size_t pos = 0; (e = nodedb_next(db, &pos)) != NULL; )
		if (!(e->type == type && e->rdev == rdev) && strcmp(e->node, node) == 0)
			return true;
	return false;
}

bool nodedb_del(struct nodedb *db, mode_t type, dev_t rdev)
{
	struct nodedb_entry *e = find(db, type, rdev);

	if (e == NULL)
		return false;
	size_t i = (size_t)(e - db->v);
	clear(e);
	db->used--;
	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot does not lie between the hole and them. */
	for (size_t j = (i + 1) & (db->cap - 1); db->v[j].type; j = (j + 1) & (db->cap - 1)) {
		size_t home = slot(db, db->v[j].type, db->v[j].rdev);
		bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			db->v[i] = db->v[j];
			memset(&db->v[j], 0, sizeof(db->v[j]));
			i = j;
		}
	}
	return true;
}
