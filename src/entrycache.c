#include "entrycache.h"
#include "fileio.h"
#include "log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One slot: ID and its text in one allocation ("ID\0TEXT"). */
struct cached {
	char *key;		/* NULL: free, or dropped when GONE */
	size_t len;
	struct stat st;		/* the file that held it */
	bool gone;		/* a dropped one: probing goes on past it */
};

static size_t slot_of(const char *id, size_t cap)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *s = id; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h & (cap - 1);
}

/* ID's slot, or NULL when it is not there. */
static struct cached *find(const struct entrycache *c, const char *id)
{
	if (c->cap == 0)
		return NULL;
	for (size_t i = slot_of(id, c->cap);; i = (i + 1) & (c->cap - 1)) {
		struct cached *s = &c->buckets[i];
		if (s->key == NULL && !s->gone)
			return NULL;
		if (s->key && strcmp(s->key, id) == 0)
			return s;
	}
}

bool entrycache_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mode == b->st_mode && a->st_nlink == b->st_nlink && a->st_uid == b->st_uid &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

const char *entrycache_get(const struct entrycache *c, const char *id, const struct stat *st,
			   size_t *len)
{
	struct cached *s = find(c, id);

	if (s == NULL || !entrycache_same_file(&s->st, st))
		return NULL;
	*len = s->len;
	return s->key + strlen(s->key) + 1;
}

void entrycache_drop(struct entrycache *c, const char *id)
{
	struct cached *s = find(c, id);

	if (s == NULL)
		return;
	free(s->key);
	s->key = NULL;
	s->gone = true;
	c->n--;
}

void entrycache_free(struct entrycache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->buckets[i].key);
	free(c->buckets);
	*c = (struct entrycache){ 0 };
}

void entrycache_put(struct entrycache *c, const char *id, const char *text, size_t len,
		    const struct stat *st)
{
	entrycache_drop(c, id);
	/* full: forget everything (the disk still knows) rather than grow */
	if (c->n >= ENTRYCACHE_MAX)
		entrycache_free(c);
	/* at most half the slots taken, dropped ones included */
	if (c->cap == 0 || 2 * (c->used + 1) > c->cap) {
		struct entrycache bigger = { .cap = c->cap ? c->cap : 64 };
		while (2 * (c->n + 1) > bigger.cap)
			bigger.cap *= 2;
		bigger.buckets = calloc(bigger.cap, sizeof(*bigger.buckets));
		if (bigger.buckets == NULL)
			die("out of memory");
		for (size_t i = 0; i < c->cap; i++) {
			struct cached *s = &c->buckets[i];
			if (s->key == NULL)
				continue;
			size_t j = slot_of(s->key, bigger.cap);
			while (bigger.buckets[j].key)
				j = (j + 1) & (bigger.cap - 1);
			bigger.buckets[j] = *s;
			bigger.n++;
		}
		bigger.used = bigger.n;
		free(c->buckets);
		*c = bigger;
	}
	size_t idlen = strlen(id), i = slot_of(id, c->cap);
	while (c->buckets[i].key)
		i = (i + 1) & (c->cap - 1);
	struct cached *s = &c->buckets[i];
	s->key = xmalloc(idlen + 1 + len);
	memcpy(s->key, id, idlen + 1);
	memcpy(s->key + idlen + 1, text, len);
	s->len = len;
	s->st = *st;
	if (!s->gone)
		c->used++;
	s->gone = false;
	c->n++;
}
