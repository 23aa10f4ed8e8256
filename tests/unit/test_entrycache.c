/* The daemon's memory of database entries: what was put is what is got,
 * a dropped entry is gone while the others stay findable past its slot,
 * replacing keeps one copy, and the bound: at ENTRYCACHE_MAX it starts
 * again empty instead of growing. */
#include "tap.h"
#include "entrycache.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* the file each entry is put with; another inode is another file */
static struct stat file = { .st_ino = 7, .st_size = 8, .st_mode = S_IFREG | 0644, .st_nlink = 1 };

static const char *get(const struct entrycache *c, const char *id)
{
	static char buf[256];
	size_t len;
	const char *t = entrycache_get(c, id, &file, &len);

	if (t == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, t);
	return buf;
}

int main(void)
{
	struct entrycache c = { 0 };
	char id[32], text[64];

	ok(get(&c, "c1:3") == NULL, "empty: nothing known");
	entrycache_drop(&c, "c1:3");
	ok(c.n == 0, "dropping what is not there: no change");
	entrycache_put(&c, "c1:3", "I:1\nV:1\n", 8, &file);
	is_str(get(&c, "c1:3"), "I:1\nV:1\n", "put, got");
	entrycache_put(&c, "c1:3", "I:2\nV:1\n", 8, &file);
	is_str(get(&c, "c1:3"), "I:2\nV:1\n", "replaced");
	is_int((int)c.n, 1, "one copy after replacing");
	file.st_ino = 8;
	ok(get(&c, "c1:3") == NULL, "another file at the name: not known");
	file.st_ino = 7;
	file.st_mtim.tv_nsec = 1;
	ok(get(&c, "c1:3") == NULL, "the file changed: not known");
	file.st_mtim.tv_nsec = 0;
	is_str(get(&c, "c1:3"), "I:2\nV:1\n", "the same file: known");

	/* many entries, every other one dropped: the rest still found */
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "c7:%d", i);
		snprintf(text, sizeof(text), "I:%d\nV:1\n", i);
		entrycache_put(&c, id, text, strlen(text), &file);
	}
	for (int i = 0; i < 1000; i += 2) {
		snprintf(id, sizeof(id), "c7:%d", i);
		entrycache_drop(&c, id);
	}
	int right = 0, gone = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "c7:%d", i);
		snprintf(text, sizeof(text), "I:%d\nV:1\n", i);
		const char *t = get(&c, id);
		if (i % 2 == 0)
			gone += t == NULL;
		else
			right += t && strcmp(t, text) == 0;
	}
	is_int(gone, 500, "dropped ones are gone");
	is_int(right, 500, "the others found past their slots");
	is_int((int)c.n, 501, "count");

	/* a storm of devices that come and go: the table does not grow */
	size_t cap = c.cap;
	for (int round = 0; round < 50; round++)
		for (int i = 0; i < 1000; i++) {
			snprintf(id, sizeof(id), "b259:%d", i);
			entrycache_put(&c, id, "V:1\n", 4, &file);
			entrycache_drop(&c, id);
		}
	ok(c.cap <= cap * 2, "put and dropped 50,000 times: the table stays its size");
	is_str(get(&c, "c1:3"), "I:2\nV:1\n", "an old entry still there");

	/* the bound */
	for (int i = 0; i < ENTRYCACHE_MAX + 10; i++) {
		snprintf(id, sizeof(id), "c189:%d", i);
		entrycache_put(&c, id, "V:1\n", 4, &file);
	}
	ok(c.n <= ENTRYCACHE_MAX, "never more than ENTRYCACHE_MAX entries");
	snprintf(id, sizeof(id), "c189:%d", ENTRYCACHE_MAX + 9);
	is_str(get(&c, id), "V:1\n", "the last one put is there");
	entrycache_free(&c);
	ok(c.n == 0 && get(&c, "c189:1") == NULL, "freed: empty");
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
