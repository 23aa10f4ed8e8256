/* fuzz_nodelog: the daemon's record of the nodes it made (nodelog.c), as a
 * restarted daemon reads it. The input is the file. Whatever is loaded
 * must be names devmgr could have made (devnode_bad_name), and must
 * survive the rewrite that follows a load: reading the rewritten file
 * gives the same nodes, links, directories and beginning. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devnode.h"
#include "fuzz_common.h"
#include "nodedb.h"
#include "nodelog.h"

#define ROOT "/fuzz/dev"

static char state[64];
static char file[128];

struct dirs {
	char *v[256];
	size_t n;
	bool overflow;
};

static void adopt(void *arg, const char *dir)
{
	struct dirs *d = arg;

	FUZZ_CHECK(*dir != '\0', "empty directory name");
	FUZZ_CHECK(devnode_bad_name(dir) == NULL, "directory '%s' loaded", dir);
	if (d->n == sizeof(d->v) / sizeof(d->v[0])) {
		d->overflow = true;
		return;
	}
	d->v[d->n++] = strdup(dir);
}

static void dirs_free(struct dirs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	d->n = 0;
}

static void cleanup(void)
{
	char lock[160];

	unlink(file);
	snprintf(lock, sizeof(lock), "%s.new", file);
	unlink(lock);
	rmdir(state);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	snprintf(state, sizeof(state), "%s/devmgr-fuzz-nodelog.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(state) == NULL)
		abort();
	char name[64];
	nodelog_name(name, sizeof(name), ROOT);
	snprintf(file, sizeof(file), "%s/%s", state, name);
	atexit(cleanup);
	return 0;
}

static bool same_entry(const struct nodedb_entry *a, const struct nodedb_entry *b)
{
	return a->type == b->type && a->rdev == b->rdev && strcmp(a->node, b->node) == 0 &&
	       (a->link ? b->link && strcmp(a->link, b->link) == 0 : b->link == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nodedb db1, db2;
	struct nodelog l;
	struct dirs d1 = { 0 }, d2 = { 0 };

	if (size > 64 * 1024)
		return 0;
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	nodedb_init(&db1);
	FUZZ_CHECK(nodelog_open(&l, state, ROOT, &db1, adopt, &d1) == 0, "open failed");
	FUZZ_CHECK(l.fd >= 0, "no record kept");
	struct timespec since = l.since;
	nodelog_close(&l);
	for (size_t i = 0; i < db1.cap; i++) {
		const struct nodedb_entry *e = &db1.v[i];
		if (e->type == 0)
			continue;
		FUZZ_CHECK(e->type == S_IFCHR || e->type == S_IFBLK, "type %o", (unsigned)e->type);
		FUZZ_CHECK(*e->node != '\0', "empty node name");
		FUZZ_CHECK(e->link == NULL || *e->link != '\0', "empty link name");
		FUZZ_CHECK(devnode_bad_name(e->node) == NULL, "node '%s' loaded", e->node);
		FUZZ_CHECK(e->link == NULL || devnode_bad_name(e->link) == NULL, "link '%s' loaded",
			   e->link);
	}

	/* the rewrite at open, read back */
	nodedb_init(&db2);
	FUZZ_CHECK(nodelog_open(&l, state, ROOT, &db2, adopt, &d2) == 0, "reopen failed");
	FUZZ_CHECK(l.since.tv_sec == since.tv_sec && l.since.tv_nsec == since.tv_nsec,
		   "the record's beginning changed by the rewrite");
	nodelog_close(&l);
	FUZZ_CHECK(db1.used == db2.used, "%zu nodes, %zu after the rewrite", db1.used, db2.used);
	for (size_t i = 0; i < db1.cap; i++) {
		const struct nodedb_entry *e = &db1.v[i];
		if (e->type == 0)
			continue;
		const struct nodedb_entry *f = nodedb_get(&db2, e->type, e->rdev);
		FUZZ_CHECK(f && same_entry(e, f), "node '%s' changed by the rewrite", e->node);
	}
	if (!d1.overflow && !d2.overflow) {
		FUZZ_CHECK(d1.n == d2.n, "%zu directories, %zu after the rewrite", d1.n, d2.n);
		for (size_t i = 0; i < d1.n; i++) {
			bool found = false;
			for (size_t k = 0; k < d2.n && !found; k++)
				found = strcmp(d1.v[i], d2.v[k]) == 0;
			FUZZ_CHECK(found, "directory '%s' lost by the rewrite", d1.v[i]);
		}
	}
	dirs_free(&d1);
	dirs_free(&d2);
	nodedb_free(&db1);
	nodedb_free(&db2);
	return 0;
}
