/* The record's file: a header line naming the dev root, then one line per
 * change, fields separated by tabs, with backslash, tab and newline in
 * names escaped as \\ \t \n:
 *
 *   devmgr-nodes 1	/dev
 *   +	c	7	0	loop0	disk/loop0	a node (and its '>' link)
 *   -	c	7	0				its node went
 *   d	bus/usb					a directory made
 *   D	bus/usb					removed again
 *
 * A line is written before its node is made and after the node is gone,
 * so that a daemon killed in between knows of a node that may not exist
 * (removing it is a no-op), never misses one that does. A last line cut
 * short by the kill has no newline and is ignored. */
#define _GNU_SOURCE
#include "nodelog.h"
#include "fileio.h"
#include "log.h"
#include "nodedb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HEADER "devmgr-nodes 1\t"

void nodelog_name(char *buf, size_t size, const char *devroot)
{
	size_t n = 0, end = strlen(devroot);

	while (*devroot == '/')
		devroot++, end--;
	while (end > 0 && devroot[end - 1] == '/')
		end--;
	/* as systemd-escape --path: '-' itself and odd bytes as \xNN, so
	 * that /a-b and /a/b differ */
	for (size_t i = 0; i < end && n + 12 < size; i++) {
		unsigned char ch = (unsigned char)devroot[i];
		if (ch == '/')
			buf[n++] = '-';
		else if (ch == '-' || ch == '\\' || ch < 0x20 || ch >= 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	if (n == 0 && size > 1)
		buf[n++] = '-';		/* the root itself */
	snprintf(buf + n, size - n, ".nodes");
}

static size_t escape(char *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '\\' || *s == '\t' || *s == '\n') {
			out[n++] = '\\';
			out[n++] = *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\';
		} else {
			out[n++] = *s;
		}
	}
	return n;
}

/* In place; NULL when the field holds a stray backslash. */
static char *unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		if (*r == '\\')
			*w++ = '\\';
		else if (*r == 't')
			*w++ = '\t';
		else if (*r == 'n')
			*w++ = '\n';
		else
			return NULL;
	}
	*w = '\0';
	return s;
}

static void append(struct nodelog *l, const char *line, size_t len)
{
	if (l->fd < 0 || l->broken)
		return;
	ssize_t n = write(l->fd, line, len);
	if (n == (ssize_t)len) {
		l->lines++;
		return;
	}
	l->broken = true;
	log_err("cannot write %s: %s. Until devmgr restarts, a node of a device that goes "
		"while devmgr is not running may be left behind", l->path,
		n < 0 ? strerror(errno) : "short write");
}

/* A line for a node: 4 escaped names at most double in size. */
#define LINE_MAX_LEN (4 * PATH_MAX + 64)

static size_t node_line(char *buf, char op, mode_t type, dev_t rdev, const char *node,
			const char *link)
{
	size_t n = (size_t)snprintf(buf, 64, "%c\t%c\t%u\t%u", op, S_ISBLK(type) ? 'b' : 'c',
				    major(rdev), minor(rdev));
	if (node && strlen(node) < PATH_MAX) {
		buf[n++] = '\t';
		n += escape(buf + n, node);
		if (link && strlen(link) < PATH_MAX) {
			buf[n++] = '\t';
			n += escape(buf + n, link);
		}
	}
	buf[n++] = '\n';
	return n;
}

void nodelog_put(struct nodelog *l, mode_t type, dev_t rdev, const char *node, const char *link)
{
	char buf[LINE_MAX_LEN];

	if (l->fd >= 0)
		append(l, buf, node_line(buf, '+', type, rdev, node, link));
}

void nodelog_del(struct nodelog *l, mode_t type, dev_t rdev)
{
	char buf[64];

	if (l->fd >= 0)
		append(l, buf, node_line(buf, '-', type, rdev, NULL, NULL));
}

void nodelog_dir(struct nodelog *l, const char *dir, bool made)
{
	char buf[2 * PATH_MAX + 8];

	if (l->fd < 0 || strlen(dir) >= PATH_MAX)
		return;
	size_t n = 0;
	buf[n++] = made ? 'd' : 'D';
	buf[n++] = '\t';
	n += escape(buf + n, dir);
	buf[n++] = '\n';
	append(l, buf, n);
}

/* The made directories while the file is read back. */
struct dirset {
	char **v;
	size_t n;
};

static void dirset_change(struct dirset *s, const char *dir, bool made)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], dir) == 0) {
			if (!made) {
				free(s->v[i]);
				s->v[i] = s->v[--s->n];
			}
			return;
		}
	if (!made)
		return;
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (v == NULL)
		die("out of memory");
	s->v = v;
	s->v[s->n++] = xstrdup(dir);
}

/* One line of the file into DB or DIRS; false when it makes no sense. */
static bool replay(char *line, struct nodedb *db, struct dirset *dirs)
{
	char *f[6];
	int nf = 0;

	for (char *c = line; ; ) {
		if (nf == 6)
			return false;	/* more fields than any line has */
		f[nf++] = c;
		c = strchr(c, '\t');
		if (c == NULL)
			break;
		*c++ = '\0';
	}
	if ((line[0] == 'd' || line[0] == 'D') && line[1] == '\0' && nf == 2) {
		if (unescape(f[1]) == NULL || *f[1] == '\0')
			return false;
		dirset_change(dirs, f[1], line[0] == 'd');
		return true;
	}
	if (nf < 4 || (line[0] != '+' && line[0] != '-') || line[1] != '\0' ||
	    (strcmp(f[1], "c") != 0 && strcmp(f[1], "b") != 0))
		return false;
	mode_t type = f[1][0] == 'b' ? S_IFBLK : S_IFCHR;
	char *end1, *end2;
	unsigned long ma = strtoul(f[2], &end1, 10), mi = strtoul(f[3], &end2, 10);
	if (*end1 || *end2 || end1 == f[2] || end2 == f[3] || ma > 0xfffff || mi > 0xfffff)
		return false;
	dev_t rdev = makedev((unsigned)ma, (unsigned)mi);
	if (line[0] == '-') {
		if (nf != 4)
			return false;
		nodedb_del(db, type, rdev);
		return true;
	}
	if (nf < 5 || unescape(f[4]) == NULL || *f[4] == '\0' ||
	    (nf == 6 && (unescape(f[5]) == NULL || *f[5] == '\0')))
		return false;
	nodedb_put(db, type, rdev, f[4], nf == 6 ? f[5] : NULL);
	return true;
}

/* Reads the file (fd at offset 0) into DB and DIRS. */
static void load(struct nodelog *l, const char *devroot, struct nodedb *db, struct dirset *dirs)
{
	struct stat st;

	if (fstat(l->fd, &st) < 0 || st.st_size == 0)
		return;
	char *text = xmalloc((size_t)st.st_size + 1);
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(l->fd, text + len, (size_t)st.st_size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	char *nl = strchr(text, '\n');
	size_t hl = strlen(HEADER);
	char want[2 * PATH_MAX];
	size_t wl = escape(want, devroot);
	if (nl == NULL || strncmp(text, HEADER, hl) != 0 || (size_t)(nl - text) - hl != wl ||
	    memcmp(text + hl, want, wl) != 0) {
		log_warn("%s is no record of devmgr's for %s: not used, started afresh", l->path,
			 devroot);
		free(text);
		return;
	}
	unsigned long bad = 0, lines = 0;
	for (char *line = nl + 1; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		lines++;
		if (!replay(line, db, dirs))
			bad++;
	}
	if (bad)
		log_warn("%s: %lu of %lu lines made no sense and were skipped", l->path, bad, lines);
	free(text);
}

/* Locks FD; false when another process holds it. */
static bool lock(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB) == 0;
}

int nodelog_open(struct nodelog *l, const char *dir, const char *devroot, struct nodedb *db,
		 void (*adopt)(void *arg, const char *dir), void *arg)
{
	char name[PATH_MAX];
	struct dirset dirs = { 0 };

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (make_dirs(dir) < 0) {
		log_warn("cannot create %s: %s. No record of the nodes made is kept: after a "
			 "crash, nodes of devices that went meanwhile stay in %s", dir,
			 strerror(errno), devroot);
		return 0;
	}
	/* one spelling per root: no doubled or trailing slashes */
	char root[PATH_MAX];
	size_t rn = 0;
	for (const char *c = devroot; *c && rn + 1 < sizeof(root); c++)
		if (!(*c == '/' && (c[1] == '/' || (c[1] == '\0' && rn > 0))))
			root[rn++] = *c;
	root[rn] = '\0';
	devroot = root;
	nodelog_name(name, sizeof(name), devroot);
	l->devroot = xstrdup(devroot);
	l->path = str_concat(dir, "/");
	char *full = str_concat(l->path, name);
	free(l->path);
	l->path = full;
	for (int tries = 0; tries < 10; tries++) {
		struct stat a, b;
		int fd = open(l->path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			log_warn("cannot open %s: %s. No record of the nodes made is kept: after "
				 "a crash, nodes of devices that went meanwhile stay in %s", l->path,
				 strerror(errno), devroot);
			return 0;
		}
		if (!lock(fd)) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK) {
				log_err("another devmgr daemon manages %s (it holds %s)", devroot,
					l->path);
				nodelog_close(l);
				return -1;
			}
			log_warn("cannot lock %s: %s", l->path, strerror(e));
			return 0;
		}
		/* The holder before us may have rewritten the file (renamed a
		 * new one over it) between our open and our lock. */
		if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			l->fd = fd;
			break;
		}
		close(fd);
	}
	if (l->fd < 0) {
		log_warn("%s keeps being replaced: no record of the nodes made is kept", l->path);
		return 0;
	}
	load(l, devroot, db, &dirs);
	/* Written afresh at once: a fresh file gets its header, and a last
	 * line cut short by a kill is not glued to the next one. */
	if (nodelog_compact(l, db, dirs.v, dirs.n, true) < 0) {
		/* the fd stays for its lock: one daemon per dev root still */
		l->broken = true;
		log_warn("so no record of the nodes made is kept: after a crash, nodes of "
			 "devices that went meanwhile stay in %s", devroot);
	}
	for (size_t i = 0; i < dirs.n; i++) {
		if (adopt)
			adopt(arg, dirs.v[i]);
		free(dirs.v[i]);
	}
	free(dirs.v);
	return 0;
}

void nodelog_close(struct nodelog *l)
{
	if (l->fd >= 0)
		close(l->fd);	/* and the lock goes */
	l->fd = -1;
	free(l->path);
	free(l->devroot);
	l->path = l->devroot = NULL;
}

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			die("out of memory");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

int nodelog_compact(struct nodelog *l, const struct nodedb *db, char *const *dirs,
		    size_t ndirs, bool force)
{
	char line[LINE_MAX_LEN];
	struct buf b = { 0 };
	int rc = 0;

	if (l->fd < 0 || l->broken || (!force && l->lines < 4 * db->used + 4096))
		return 0;
	char *tmp = str_concat(l->path, ".new");
	buf_add(&b, HEADER, strlen(HEADER));
	buf_add(&b, line, escape(line, l->devroot));
	buf_add(&b, "\n", 1);
	for (size_t i = 0; i < ndirs; i++) {
		size_t n = 0;
		line[n++] = 'd';
		line[n++] = '\t';
		if (strlen(dirs[i]) >= PATH_MAX)
			continue;
		n += escape(line + n, dirs[i]);
		line[n++] = '\n';
		buf_add(&b, line, n);
	}
	for (size_t i = 0; i < db->cap; i++) {
		const struct nodedb_entry *e = &db->v[i];
		if (e->type)
			buf_add(&b, line, node_line(line, '+', e->type, e->rdev, e->node, e->link));
	}
	/* Locked before it takes the name: a daemon starting meanwhile
	 * finds the lock on whichever file the name has. */
	unlink(tmp);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	ssize_t n = -1;
	if (fd >= 0 && lock(fd))
		n = write(fd, b.p, b.len);
	if (n != (ssize_t)b.len || rename(tmp, l->path) < 0) {
		log_warn("cannot rewrite %s: %s", l->path,
			 n < 0 || n == (ssize_t)b.len ? strerror(errno) : "short write");
		if (fd >= 0) {
			unlink(tmp);
			close(fd);
		}
		l->lines = 0;	/* not again at once */
		rc = -1;
	} else {
		close(l->fd);
		l->fd = fd;
		l->lines = 0;
	}
	free(tmp);
	free(b.p);
	return rc;
}
