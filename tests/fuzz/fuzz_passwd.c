/* fuzz_passwd: /etc/passwd and /etc/group parsing. The input is split at
 * its first NUL byte: passwd before, group after (no NUL: passwd only). */
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "passwd.h"

FUZZ_QUIET_INITIALIZE

static void check_table(const struct idtable *t, const char *text, size_t len, bool want_gid)
{
	FUZZ_CHECK(t->loaded, "not loaded");
	/* Known: a NUL inside a line cuts the name short (an empty name when
	 * the line starts with one); the name checks below assume no NUL. */
	if (memchr(text, '\0', len))
		return;
	for (size_t i = 0; i < t->n; i++) {
		const struct idname *e = &t->v[i];
		size_t nl = strlen(e->name);
		FUZZ_CHECK(nl > 0, "entry %zu: empty name", i);
		FUZZ_CHECK(!strchr(e->name, ':') && !strchr(e->name, '\n'),
			   "entry %zu: name '%s' holds a separator", i, e->name);
		FUZZ_CHECK(e->id != 0xffffffffu && e->gid != 0xffffffffu, "entry %zu: id -1", i);
		if (!want_gid)
			FUZZ_CHECK(e->gid == e->id, "group entry %zu: gid != id", i);
		/* the name is the start of some line of the text */
		bool found = false;
		for (const char *l = text; l < text + len && !found; ) {
			if ((size_t)(text + len - l) > nl && memcmp(l, e->name, nl) == 0 &&
			    (l[nl] == ':' || l[nl] == '\0'))
				found = true;
			const char *n = memchr(l, '\n', (size_t)(text + len - l));
			l = n ? n + 1 : text + len;
		}
		FUZZ_CHECK(found, "entry %zu: name '%s' is no line's first field", i, e->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idmaps m;

	if (size > 64 * 1024)
		return 0;
	const unsigned char *sep = memchr(data, '\0', size);
	size_t plen = sep ? (size_t)(sep - data) : size;
	size_t glen = sep ? size - plen - 1 : 0;
	/* separate allocations so an overread of either is reported */
	char *ptext = malloc(plen ? plen : 1), *gtext = malloc(glen ? glen : 1);
	if (ptext == NULL || gtext == NULL)
		abort();
	memcpy(ptext, data, plen);
	if (glen)
		memcpy(gtext, sep + 1, glen);

	memset(&m, 0, sizeof(m));
	m.passwd_path = "/fuzz/etc/passwd";	/* never read: tables are loaded */
	m.group_path = "/fuzz/etc/group";
	if (idtable_parse(&m.users, ptext, plen, true) < 0 ||
	    idtable_parse(&m.groups, gtext, glen, false) < 0)
		abort();
	check_table(&m.users, ptext, plen, true);
	check_table(&m.groups, gtext, glen, false);

	/* lookups: first entry wins */
	for (size_t i = 0; i < m.users.n; i++) {
		uid_t uid;
		gid_t gid;
		FUZZ_CHECK(idmaps_user(&m, m.users.v[i].name, &uid, &gid) == 0, "user lookup");
		size_t first = 0;
		while (strcmp(m.users.v[first].name, m.users.v[i].name) != 0)
			first++;
		FUZZ_CHECK(uid == m.users.v[first].id && gid == m.users.v[first].gid, "user ids");
		FUZZ_CHECK(idmaps_user_gid(&m, m.users.v[i].id, &gid) == 0, "uid lookup");
	}
	for (size_t i = 0; i < m.groups.n; i++) {
		gid_t gid;
		FUZZ_CHECK(idmaps_group(&m, m.groups.v[i].name, &gid) == 0, "group lookup");
	}
	uid_t uid;
	gid_t gid;
	(void)idmaps_user(&m, "root", &uid, &gid);
	(void)idmaps_group(&m, "tty", &gid);
	(void)idmaps_user_gid(&m, 0, &gid);

	idtable_free(&m.users);
	idtable_free(&m.groups);
	free(ptext);
	free(gtext);
	return 0;
}
