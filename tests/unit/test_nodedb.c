/* The daemon's record of nodes: insert, replace, delete with backward
 * shift, growth; checked against a plain array. */
#define _GNU_SOURCE
#include "tap.h"
#include "nodedb.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define N 3000

int main(void)
{
	struct nodedb db;
	static bool present[N];
	char name[32];
	int wrong = 0;

	nodedb_init(&db);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		nodedb_put(&db, i % 3 ? S_IFCHR : S_IFBLK, makedev(i % 7, i), name, i % 5 ? NULL : "link");
		present[i] = true;
	}
	is_int(db.used, N, "all inserted");
	ok(db.cap >= N * 4 / 3, "table grew (%zu slots)", db.cap);
	/* Same key again: replaced, not added. */
	nodedb_put(&db, S_IFCHR, makedev(1 % 7, 1), "renamed", NULL);
	is_int(db.used, N, "replacing does not add");
	is_str(nodedb_get(&db, S_IFCHR, makedev(1, 1))->node, "renamed", "replaced name");
	ok(nodedb_get(&db, S_IFBLK, makedev(1, 1)) == NULL, "type is part of the key");
	/* Delete in a scrambled order, checking everything after each step. */
	srand(42);
	for (int k = 0; k < N; k++) {
		int i = (int)(((unsigned)k * 2654435761u) % N);
		if (!present[i] || rand() % 3 == 0)
			continue;
		nodedb_del(&db, i % 3 ? S_IFCHR : S_IFBLK, makedev(i % 7, i));
		present[i] = false;
		if (k % 97 == 0)
			for (int j = 0; j < N; j++) {
				struct nodedb_entry *e = nodedb_get(&db, j % 3 ? S_IFCHR : S_IFBLK,
								    makedev(j % 7, j));
				if ((e != NULL) != present[j])
					wrong++;
			}
	}
	is_int(wrong, 0, "after deletions, exactly the remaining entries are found");
	size_t left = 0;
	for (int j = 0; j < N; j++) {
		struct nodedb_entry *e = nodedb_get(&db, j % 3 ? S_IFCHR : S_IFBLK, makedev(j % 7, j));
		if ((e != NULL) != present[j])
			wrong++;
		if (present[j]) {
			left++;
			snprintf(name, sizeof(name), "n%d", j);
			if (j != 1 && (e == NULL || strcmp(e->node, name) != 0))
				wrong++;
			if (e && (j % 5 == 0) != (e->link != NULL) && j != 1)
				wrong++;
		}
	}
	is_int(wrong, 0, "final check: names and links intact");
	is_int(db.used, left, "count matches");
	nodedb_del(&db, S_IFCHR, makedev(6, 999999));
	is_int(db.used, left, "deleting a missing key changes nothing");
	nodedb_free(&db);
	return done_testing();
}
