/* What the daemon last wrote to (or read from) each udev database entry,
 * by entry name, with the identity of the file that held it. The daemon
 * is the database's only writer (it refuses to keep one beside a udevd):
 * while the file at the name is still that one (one fstatat: same inode,
 * size and change time), what it holds is known, and a device that comes
 * and goes in a storm is read from memory instead of through five system
 * calls (fstatat, openat, fstat, read, close), which on a disk-backed
 * /run (a Docker container's overlay) were a tenth of the daemon's time.
 * Anything planted or written there since is another file: read (and
 * refused) as before. Bounded: at ENTRYCACHE_MAX entries it starts again
 * empty, and the disk answers. */
#ifndef DEVMGR_ENTRYCACHE_H
#define DEVMGR_ENTRYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define ENTRYCACHE_MAX 4096

struct entrycache {
	struct cached *buckets;	/* open addressing, a power of two */
	size_t cap, n, used;	/* used: n and the slots of dropped ones */
};

/* The text last put for ID, its length in *LEN, when ST (the file now at
 * the name) is the file it was put with; NULL when not known. */
const char *entrycache_get(const struct entrycache *c, const char *id, const struct stat *st,
			   size_t *len);
/* Remembers TEXT (LEN bytes) as ID's entry, held by the file ST. */
void entrycache_put(struct entrycache *c, const char *id, const char *text, size_t len,
		    const struct stat *st);
/* Whether the two are the same file, unchanged. */
bool entrycache_same_file(const struct stat *a, const struct stat *b);
/* ID has no entry known any more (removed, or not to be believed). */
void entrycache_drop(struct entrycache *c, const char *id);
void entrycache_free(struct entrycache *c);

#endif
