/* passwd(5)/group(5) parsing: "name:password:id[:gid]:...". */
#include "passwd.h"
#include "fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void idmaps_init(struct idmaps *m, const char *etc_dir)
{
	memset(m, 0, sizeof(*m));
	m->passwd_path = str_concat(etc_dir, "/passwd");
	m->group_path = str_concat(etc_dir, "/group");
}

void idtable_free(struct idtable *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = 0;
	t->loaded = false;
}

void idmaps_free(struct idmaps *m)
{
	idtable_free(&m->users);
	idtable_free(&m->groups);
	free(m->passwd_path);
	free(m->group_path);
}

/* A decimal number that fits an id; the whole field must be digits. */
static int parse_id(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 0xfffffffeUL)	/* (uid_t)-1 means "no change" to chown */
		return -1;
	*out = (unsigned)v;
	return 0;
}

int idtable_parse(struct idtable *t, const char *text, size_t len, bool want_gid)
{
	const char *end = text + len;

	t->loaded = true;
	for (const char *line = text; line < end; ) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *f[5];
		size_t nf = 0;

		f[nf++] = line;
		for (const char *c = line; c < le && nf < 5; c++)
			if (*c == ':')
				f[nf++] = c + 1;
		/* Malformed lines (comments, NIS "+" entries, garbage) are skipped
		 * like libc does, instead of failing every lookup. */
		size_t need = want_gid ? 4 : 3;
		if (nf >= need && f[1] - f[0] > 1 && line[0] != '+' && line[0] != '-') {
			struct idname e;
			const char *idend = nf > 3 ? f[3] - 1 : le;
			const char *gidend = nf > 4 ? f[4] - 1 : le;

			if (parse_id(f[2], (size_t)(idend - f[2]), &e.id) == 0 &&
			    (!want_gid || parse_id(f[3], (size_t)(gidend - f[3]), &e.gid) == 0)) {
				struct idname *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
				if (nv == NULL)
					return -1;
				t->v = nv;
				e.name = strndup(line, (size_t)(f[1] - 1 - line));
				if (e.name == NULL)
					return -1;
				if (!want_gid)
					e.gid = e.id;
				t->v[t->n++] = e;
			}
		}
		line = le + 1;
	}
	return 0;
}

static void load(struct idtable *t, const char *path, bool want_gid)
{
	char *text;
	size_t len;

	if (t->loaded)
		return;
	t->loaded = true;
	/* A missing file simply knows no names; numeric ids still work. */
	if (read_file(path, &text, &len) < 0)
		return;
	idtable_parse(t, text, len, want_gid);
	free(text);
}

static const struct idname *by_name(const struct idtable *t, const char *name)
{
	/* First entry wins, as with getpwnam on a files database. */
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

int idmaps_user(struct idmaps *m, const char *name, uid_t *uid, gid_t *gid)
{
	load(&m->users, m->passwd_path, true);
	const struct idname *e = by_name(&m->users, name);
	if (e == NULL)
		return -1;
	*uid = e->id;
	*gid = e->gid;
	return 0;
}

int idmaps_group(struct idmaps *m, const char *name, gid_t *gid)
{
	load(&m->groups, m->group_path, false);
	const struct idname *e = by_name(&m->groups, name);
	if (e == NULL)
		return -1;
	*gid = e->id;
	return 0;
}

int idmaps_user_gid(struct idmaps *m, uid_t uid, gid_t *gid)
{
	load(&m->users, m->passwd_path, true);
	for (size_t i = 0; i < m->users.n; i++)
		if (m->users.v[i].id == uid) {
			*gid = m->users.v[i].gid;
			return 0;
		}
	return -1;
}
