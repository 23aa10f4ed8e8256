#define _GNU_SOURCE
#include "udevdb.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int udevdb_open(struct udevdb *db, const char *run)
{
	struct stat st;

	db->run_fd = db->data_fd = -1;
	db->errors = 0;
	db->pid = (long)getpid();
	db->path = xstrdup(run);
	/* The last component is ours to make: a symlink planted there would
	 * send every entry elsewhere. (The parents are the system's.) */
	if (make_dirs(run) < 0 ||
	    (db->run_fd = open(run, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		int e = errno;
		if (lstat(run, &st) == 0 && S_ISLNK(st.st_mode))
			log_err("the udev database %s is a symlink: refused", run);
		else
			log_err("cannot create the udev database %s: %s", run, strerror(e));
		goto fail;
	}
	if (fstatat(db->run_fd, "control", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode)) {
		log_err("%s/control is a socket: systemd-udevd runs here; devmgr will not write "
			"its database (turn [publish] database off, or stop udevd)", run);
		goto fail;
	}
	if (mkdirat(db->run_fd, "data", 0755) < 0 && errno != EEXIST) {
		log_err("cannot create %s/data: %s", run, strerror(errno));
		goto fail;
	}
	db->data_fd = openat(db->run_fd, "data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (db->data_fd < 0) {
		log_err("cannot open %s/data: %s", run, strerror(errno));
		goto fail;
	}
	int fd = openat(db->run_fd, "control", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("cannot create %s/control: %s", run, strerror(errno));
		goto fail;
	}
	close(fd);
	return 0;
fail:
	udevdb_close(db);
	return -1;
}

void udevdb_release(struct udevdb *db)
{
	if (unlinkat(db->run_fd, "control", 0) < 0 && errno != ENOENT)
		log_warn("cannot remove %s/control: %s", db->path, strerror(errno));
}

void udevdb_close(struct udevdb *db)
{
	if (db->run_fd >= 0)
		close(db->run_fd);
	if (db->data_fd >= 0)
		close(db->data_fd);
	db->run_fd = db->data_fd = -1;
	free(db->path);
	db->path = NULL;
}

static int file_name_ok(const char *s)
{
	return *s && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int udevdb_id(char *buf, size_t size, mode_t type, int major, int minor,
	      const char *subsystem, const char *devpath, const char *ifindex)
{
	int n;

	if (major >= 0)
		n = snprintf(buf, size, "%c%d:%d", S_ISBLK(type) ? 'b' : 'c', major, minor);
	else if (subsystem && strcmp(subsystem, "net") == 0 && ifindex && *ifindex)
		n = snprintf(buf, size, "n%s", ifindex);
	else {
		const char *sysname = devpath ? strrchr(devpath, '/') : NULL;
		/* "drivers" entries need the driver's subsystem, which events lack */
		if (subsystem == NULL || sysname == NULL || strcmp(subsystem, "drivers") == 0 ||
		    strcmp(subsystem, "module") == 0)
			return -1;
		n = snprintf(buf, size, "+%s:%s", subsystem, sysname + 1);
	}
	if (n < 0 || (size_t)n >= size || !file_name_ok(buf))
		return -1;
	return 0;
}

void oldtags_add(struct oldtags *t, const struct devprops *p)
{
	for (unsigned i = 0; i < p->ntag; i++) {
		unsigned j;
		for (j = 0; j < t->n && strcmp(t->v[j], p->tag[i]) != 0; j++)
			;
		if (j == t->n && t->n < sizeof(t->v) / sizeof(t->v[0]) &&
		    strlen(p->tag[i]) < sizeof(t->v[0]))
			strcpy(t->v[t->n++], p->tag[i]);
	}
}

void oldtags_merge(struct oldtags *t, const struct oldtags *more)
{
	struct devprops tmp;

	devprops_init(&tmp);
	for (unsigned i = 0; i < more->n; i++)
		devprops_tag(&tmp, more->v[i]);
	oldtags_add(t, &tmp);
}

/* RUN/tags/TAG/ID, for enumerating by tag; no symlink is followed. */
static void mark(struct udevdb *db, const char *id, const char *tag, int add)
{
	int tags = openat(db->run_fd, "tags", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (!file_name_ok(tag))
		goto out;
	if (tags < 0 && add && errno == ENOENT && mkdirat(db->run_fd, "tags", 0755) == 0)
		tags = openat(db->run_fd, "tags", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tags < 0)
		return;
	if (add)
		mkdirat(tags, tag, 0755);
	int dir = openat(tags, tag, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		goto out;
	if (!add) {
		unlinkat(dir, id, 0);
	} else {
		int fd = openat(dir, id, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);
		if (fd >= 0)
			close(fd);
	}
	close(dir);
out:
	if (tags >= 0)
		close(tags);
}

static void mark_tags(struct udevdb *db, const char *id, const struct devprops *p, int add,
		      const struct oldtags *old)
{
	for (unsigned i = 0; i < p->ntag; i++)
		mark(db, id, p->tag[i], add);
	for (unsigned i = 0; old && i < old->n; i++)
		if (!add || !devprops_has_tag(p, old->v[i]))
			mark(db, id, old->v[i], 0);
}

int udevdb_write(struct udevdb *db, const char *id, const struct devprops *p,
		 const struct oldtags *old)
{
	char text[8192], tmp[256];
	size_t len = 0;

#define PUT(...) do { \
		int n_ = snprintf(text + len, sizeof(text) - len, __VA_ARGS__); \
		if (n_ < 0 || (size_t)n_ >= sizeof(text) - len) \
			goto too_long; \
		len += (size_t)n_; \
	} while (0)
	for (unsigned i = 0; i < p->nlink; i++)
		PUT("S:%s\n", p->link[i]);
	if (p->usec)
		PUT("I:%" PRIu64 "\n", p->usec);
	for (unsigned i = 0; i < p->nprop; i++)
		PUT("E:%s\n", p->prop[i]);
	for (unsigned i = 0; i < p->ntag; i++)
		PUT("G:%s\n", p->tag[i]);
	for (unsigned i = 0; i < p->ntag; i++)
		PUT("Q:%s\n", p->tag[i]);
	PUT("V:1\n");
#undef PUT

	snprintf(tmp, sizeof(tmp), ".#%s.%ld", id, db->pid);
	int fd = openat(db->data_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	ssize_t w = write(fd, text, len);
	int e = errno;
	if (close(fd) < 0 && w == (ssize_t)len)
		w = -1, e = errno;
	if (w != (ssize_t)len) {
		unlinkat(db->data_fd, tmp, 0);
		errno = w < 0 ? e : ENOSPC;
		goto fail;
	}
	if (renameat(db->data_fd, tmp, db->data_fd, id) < 0) {
		e = errno;
		unlinkat(db->data_fd, tmp, 0);
		errno = e;
		goto fail;
	}
	mark_tags(db, id, p, 1, old);
	return 0;
too_long:
	errno = E2BIG;
fail:
	db->errors++;
	log_warn("cannot write %s/data/%s: %s", db->path, id, strerror(errno));
	return -1;
}

int udevdb_read(struct udevdb *db, const char *id, struct devprops *p)
{
	char text[8192];
	ssize_t n = read_small_at(db->data_fd, id, text, sizeof(text));

	if (n < 0)
		return -1;
	for (char *line = text, *next; line < text + n; line = next) {
		char *nl = memchr(line, '\n', (size_t)(text + n - line));
		next = nl ? nl + 1 : text + n;
		if (nl)
			*nl = '\0';
		if (line[0] == '\0' || line[1] != ':')
			continue;
		const char *v = line + 2;
		char *eq;
		switch (line[0]) {
		case 'I':
			p->usec = strtoull(v, NULL, 10);
			break;
		case 'S':
			devprops_link(p, v);
			break;
		case 'G':
			devprops_tag(p, v);
			break;
		case 'E':
			if ((eq = strchr(line + 2, '=')) != NULL) {
				*eq = '\0';
				devprops_set(p, v, eq + 1);
			}
			break;
		}
	}
	return 0;
}

void udevdb_remove(struct udevdb *db, const char *id, const struct devprops *p,
		   const struct oldtags *old)
{
	if (unlinkat(db->data_fd, id, 0) < 0 && errno != ENOENT) {
		db->errors++;
		log_warn("cannot remove %s/data/%s: %s", db->path, id, strerror(errno));
	}
	mark_tags(db, id, p, 0, old);
}
