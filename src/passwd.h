/* User and group names from the container's own /etc/passwd and /etc/group.
 * Read directly, never through NSS: the static binary runs in roots that
 * have no libc and no nsswitch.conf. */
#ifndef DEVMGR_PASSWD_H
#define DEVMGR_PASSWD_H

#include <stdbool.h>
#include <sys/types.h>

struct idname {
	char *name;
	unsigned id;
	unsigned gid;		/* primary group, for passwd entries */
};

struct idtable {
	struct idname *v;
	size_t n;
	bool loaded;
};

struct idmaps {
	char *passwd_path;
	char *group_path;
	struct idtable users;
	struct idtable groups;
};

/* Paths are stored; the files are read on first lookup. */
void idmaps_init(struct idmaps *m, const char *etc_dir);
void idmaps_free(struct idmaps *m);

/* Parses one file's text (also used by tests and fuzzers). want_gid: read
 * the 4th field as the primary group (passwd format). */
int idtable_parse(struct idtable *t, const char *text, size_t len, bool want_gid);
void idtable_free(struct idtable *t);

/* 0 on success; -1 when the name is unknown. */
int idmaps_user(struct idmaps *m, const char *name, uid_t *uid, gid_t *gid);
int idmaps_group(struct idmaps *m, const char *name, gid_t *gid);
/* Primary group of a numeric uid, when passwd knows it. */
int idmaps_user_gid(struct idmaps *m, uid_t uid, gid_t *gid);

#endif
