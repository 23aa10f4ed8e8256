/* The record's file: a header line naming the format, when the record
 * began (seconds.nanoseconds, CLOCK_REALTIME) and the dev root, then one
 * line per change, fields separated by tabs, with backslash, tab and
 * newline in names escaped as \\ \t \n:
 *
 *   devmgr-nodes 2	1733140000.004000000	/dev
 *   +	c	7	0	loop0	disk/loop0	a node (and its '>' link)
 *   -	c	7	0				its node went
 *   d	bus/usb					a directory made
 *   D	bus/usb					removed again
 *
 * A line is written before its node is made and after the node is gone,
 * so that a daemon killed in between knows of a node that may not exist
 * (removing it is a no-op), never misses one that does. A last line cut
 * short by the kill has no newline and is ignored.
 *
 * The file makes a restarted daemon unlink what it names, so nothing in
 * it is taken on trust (see nodelog.h): the state directory is walked
 * from / with O_NOFOLLOW, a component at a time, and it and the file are
 * checked before a byte is read; every name must pass devnode_bad_name. */
#define _GNU_SOURCE
#include "nodelog.h"
#include "devnode.h"
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
#include <time.h>
#include <unistd.h>

#define HEADER "devmgr-nodes 2\t"

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

/* What replay says of a line it refused for a name: */
struct refusal {
	const char *field;		/* "node", "link", "directory" */
	const char *why;		/* devnode_bad_name's reason */
};

static const char NONSENSE[] = "nonsense";

/* A name from the file, unescaped in place; NONSENSE when it is none, or
 * a name devmgr cannot have made (said in R). */
static const char *name_field(char *f, const char *field, struct refusal *r)
{
	if (unescape(f) == NULL || *f == '\0')
		return NONSENSE;
	r->why = devnode_bad_name(f);
	r->field = field;
	return r->why;
}

/* One line of the file into DB or DIRS: NULL, NONSENSE, or the reason a
 * name was refused (in R). */
static const char *replay(char *line, struct nodedb *db, struct dirset *dirs, struct refusal *r)
{
	char *f[6];
	int nf = 0;
	const char *bad;

	for (char *c = line; ; ) {
		if (nf == 6)
			return NONSENSE;	/* more fields than any line has */
		f[nf++] = c;
		c = strchr(c, '\t');
		if (c == NULL)
			break;
		*c++ = '\0';
	}
	if ((line[0] == 'd' || line[0] == 'D') && line[1] == '\0' && nf == 2) {
		if ((bad = name_field(f[1], "directory", r)) != NULL)
			return bad;
		dirset_change(dirs, f[1], line[0] == 'd');
		return NULL;
	}
	if (nf < 4 || (line[0] != '+' && line[0] != '-') || line[1] != '\0' ||
	    (strcmp(f[1], "c") != 0 && strcmp(f[1], "b") != 0))
		return NONSENSE;
	mode_t type = f[1][0] == 'b' ? S_IFBLK : S_IFCHR;
	char *end1, *end2;
	unsigned long ma = strtoul(f[2], &end1, 10), mi = strtoul(f[3], &end2, 10);
	if (*end1 || *end2 || end1 == f[2] || end2 == f[3] || ma > 0xfffff || mi > 0xfffff)
		return NONSENSE;
	dev_t rdev = makedev((unsigned)ma, (unsigned)mi);
	if (line[0] == '-') {
		if (nf != 4)
			return NONSENSE;
		nodedb_del(db, type, rdev);
		return NULL;
	}
	if (nf < 5)
		return NONSENSE;
	if ((bad = name_field(f[4], "node", r)) != NULL ||
	    (nf == 6 && (bad = name_field(f[5], "link", r)) != NULL))
		return bad;
	nodedb_put(db, type, rdev, f[4], nf == 6 ? f[5] : NULL);
	return NULL;
}

/* The header line for this record, with its newline; its length. */
static size_t header_line(char *buf, const struct nodelog *l)
{
	size_t n = (size_t)snprintf(buf, 64, "%s%lld.%09ld\t", HEADER, (long long)l->since.tv_sec,
				    l->since.tv_nsec);

	n += escape(buf + n, l->devroot);
	buf[n++] = '\n';
	return n;
}

/* The header's "SECONDS.NANOSECONDS<tab>" into *SINCE; what follows it,
 * or NULL. */
static const char *parse_since(const char *s, struct timespec *since)
{
	char *end;
	long long sec;
	long nsec = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno || *end != '.')
		return NULL;
	for (int i = 1; i <= 9; i++) {
		if (end[i] < '0' || end[i] > '9')
			return NULL;
		nsec = nsec * 10 + (end[i] - '0');
	}
	if (end[10] != '\t')
		return NULL;
	since->tv_sec = (time_t)sec;
	since->tv_nsec = nsec;
	return end + 11;
}

/* Whether LINE (LEN bytes, no newline) is the header of a record of
 * ours for this dev root; its time into l->since. */
static bool header_ok(struct nodelog *l, const char *line, size_t len)
{
	char want[2 * PATH_MAX];
	size_t wl = escape(want, l->devroot), hl = strlen(HEADER);
	struct timespec since;

	if (len < hl || strncmp(line, HEADER, hl) != 0)
		return false;
	const char *root = parse_since(line + hl, &since);
	if (root == NULL || (size_t)(line + len - root) != wl || memcmp(root, want, wl) != 0)
		return false;
	l->since = since;
	return true;
}

/* Reads the whole file (fd at offset 0); NULL when it is empty or cannot
 * be read. */
static char *slurp(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return NULL;
	char *text = xmalloc((size_t)st.st_size + 1);
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	return text;
}

#define REFUSALS_SAID 20	/* bad names said one by one, then counted */

/* Reads the file into DB and DIRS. Whether it was a record of ours (then
 * l->since is its beginning). */
static bool load(struct nodelog *l, struct nodedb *db, struct dirset *dirs)
{
	char *text = slurp(l->fd);
	if (text == NULL)
		return false;
	char *nl = strchr(text, '\n');
	if (nl == NULL || !header_ok(l, text, (size_t)(nl - text))) {
		log_warn("%s is no record of devmgr's for %s: not used, started afresh", l->path,
			 l->devroot);
		free(text);
		return false;
	}
	unsigned long bad = 0, refused = 0, lines = 0;
	for (char *line = nl + 1; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		struct refusal r;
		*nl = '\0';
		lines++;
		const char *why = replay(line, db, dirs, &r);
		if (why == NONSENSE) {
			bad++;
		} else if (why && ++refused <= REFUSALS_SAID) {
			/* the header is line 1 */
			log_warn("%s, line %lu: %s name refused (%s): line dropped", l->path,
				 lines + 1, r.field, why);
		}
	}
	if (bad)
		log_warn("%s: %lu of %lu lines made no sense and were skipped", l->path, bad, lines);
	if (refused)
		log_warn("%s: %lu lines named what devmgr cannot have made, and were dropped: "
			 "nothing they name is touched", l->path, refused);
	free(text);
	return true;
}

/* The record begins now. File systems stamp ctime from the kernel's
 * coarse clock, or above it (multigrain timestamps: up to the precise
 * time), never from a time ahead of the precise clock. The coarse clock
 * lags the precise one by a tick or more, so: the precise time now, then
 * the first coarse time past it. Whatever was made before this call (by
 * the container engine) is older than that; every node made from then on
 * is at least as new. The wait is a few ms. */
static void begin(struct nodelog *l)
{
	struct timespec now, t, ms = { 0, 1000000 };

	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	for (int i = 0; i < 1000 && (t.tv_sec < now.tv_sec ||
				     (t.tv_sec == now.tv_sec && t.tv_nsec <= now.tv_nsec)); i++) {
		nanosleep(&ms, NULL);
		clock_gettime(CLOCK_REALTIME_COARSE, &t);
	}
	l->since = t;
}

bool nodelog_may_be_ours(const struct nodelog *l, const struct stat *st)
{
	return st->st_ctim.tv_sec > l->since.tv_sec ||
	       (st->st_ctim.tv_sec == l->since.tv_sec && st->st_ctim.tv_nsec >= l->since.tv_nsec);
}

/* Locks FD; false when another process holds it. */
static bool lock(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB) == 0;
}

/* ---- may the record be trusted? ------------------------------------------ */

#define NOT_KEPT "No record of the nodes made is kept: after a crash, nodes of devices " \
		 "that went meanwhile stay in %s"

/* Why ST (the state directory, or the file) could have been written by
 * anyone but devmgr's euid, into WHY; NULL when nobody else could have. */
static const char *untrusted(const struct stat *st, bool dir, char *why, size_t size)
{
	uid_t euid = geteuid();

	if (st->st_uid != euid)
		snprintf(why, size, "it is owned by uid %u, not by devmgr's uid %u",
			 (unsigned)st->st_uid, (unsigned)euid);
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, size, "its mode %04o lets group or others write %s",
			 (unsigned)(st->st_mode & 07777), dir ? "in it" : "it");
	else if (!dir && st->st_nlink != 1)
		snprintf(why, size, "it has %lu links: whoever holds another one may write it",
			 (unsigned long)st->st_nlink);
	else
		return NULL;
	return why;
}

/* Opens DIR a component at a time from / (or the working directory),
 * making missing ones 0755, never following a symlink: an fd; -1 when it
 * cannot, -2 when a component is a symlink or no directory (WHY says
 * which, in both cases). */
static int walk_state_dir(const char *dir, char *why, size_t size)
{
	char *copy = xstrdup(dir), *save = NULL;
	int fd = open(*dir == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		snprintf(why, size, "%s", strerror(errno));
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int upto = (int)(c - copy + (ptrdiff_t)strlen(c));
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && (mkdirat(fd, c, 0755) == 0 || errno == EEXIST))
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		struct stat st;
		if (next < 0 && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
			snprintf(why, size, "%.*s is %s", upto, dir,
				 S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
			next = -2;
		} else if (next < 0) {
			snprintf(why, size, "%.*s: %s", upto, dir, strerror(e));
		}
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

/* The state directory, if devmgr alone can write in it; else -1, said
 * with what to change. */
static int state_dir_open(const char *dir, const char *devroot)
{
	char why[PATH_MAX + 128], fix[PATH_MAX + 128];
	struct stat st;
	int fd = walk_state_dir(dir, why, sizeof(why));

	if (fd == -1) {
		log_warn("cannot open the state directory %s: %s. " NOT_KEPT, dir, why, devroot);
		return -1;
	}
	if (fd >= 0 && fstat(fd, &st) < 0) {
		log_warn("cannot stat %s: %s. " NOT_KEPT, dir, strerror(errno), devroot);
		close(fd);
		return -1;
	}
	if (fd == -2)
		snprintf(fix, sizeof(fix), "set [paths] state to a path without symlinks, such "
			 "as the one it leads to");
	else if (untrusted(&st, true, why, sizeof(why)) == NULL)
		return fd;
	else if (st.st_uid != geteuid())
		snprintf(fix, sizeof(fix), "chown %u %s, or set [paths] state to a directory of "
			 "devmgr's own", (unsigned)geteuid(), dir);
	else
		snprintf(fix, sizeof(fix), "chmod go-w %s", dir);
	if (fd >= 0)
		close(fd);
	log_err("%s is not trusted: %s. Only devmgr may be able to write the record of the "
		"nodes it made: %s. Until then none is read (no node is removed, no command "
		"held back on its word) or kept: nodes of devices that go while no daemon runs "
		"stay in %s", dir, why, fix, devroot);
	return -1;
}

enum opened { OPENED, REFUSED, BUSY, FAILED };

/* Opens and locks the file (made, 0600, when missing) into l->fd, if it
 * is a regular file of ours with one link that only we can write: checked
 * on the name before it is opened (nothing else is ever opened), and on
 * the fd. REFUSED and FAILED say why in WHY. */
static enum opened open_file(struct nodelog *l, char *why, size_t size)
{
	int err = 0;

	for (int tries = 0; tries < 10 && err == 0; tries++) {
		struct stat st, now;
		int fd;
		if (fstatat(l->dirfd, l->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if ((err = errno) != ENOENT)
				break;
			err = 0;
			fd = openat(l->dirfd, l->name, O_RDWR | O_CREAT | O_EXCL | O_APPEND |
				    O_NOFOLLOW | O_CLOEXEC, 0600);
		} else if (!S_ISREG(st.st_mode)) {
			snprintf(why, size, "it is %s", S_ISLNK(st.st_mode) ? "a symlink" :
				 "not a regular file");
			return REFUSED;
		} else if (untrusted(&st, false, why, size)) {
			return REFUSED;
		} else {
			fd = openat(l->dirfd, l->name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
				    O_CLOEXEC);
		}
		if (fd < 0 && (errno == EEXIST || errno == ENOENT || errno == ELOOP))
			continue;	/* changed meanwhile: look again */
		if (fd < 0) {
			err = errno;
			break;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || untrusted(&st, false, why, size)) {
			close(fd);
			continue;
		}
		if (!lock(fd)) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return BUSY;
			snprintf(why, size, "cannot lock it: %s", strerror(e));
			return FAILED;
		}
		/* The holder before us may have rewritten the file (renamed a
		 * new one over it) between our open and our lock. */
		if (fstatat(l->dirfd, l->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino == st.st_ino && now.st_dev == st.st_dev) {
			l->fd = fd;
			return OPENED;
		}
		close(fd);
	}
	snprintf(why, size, "%s", err ? strerror(err) : "it keeps being replaced");
	return FAILED;
}

/* A file that is not trusted goes out of the way, to NAME.refused (where
 * it can be looked at), so that a fresh record takes its place. */
static int set_aside(struct nodelog *l, const char *why)
{
	char *aside = str_concat(l->name, ".refused");
	int rc = renameat(l->dirfd, l->name, l->dirfd, aside);

	if (rc == 0)
		log_err("%s is not trusted: %s. Not read: no node is removed and no command held "
			"back on its word; moved to %s.refused, and a fresh record begun. devmgr's "
			"own is a regular file owned by uid %u, mode 0600, with one link: find out "
			"what else wrote there", l->path, why, l->path, (unsigned)geteuid());
	else
		log_err("%s is not trusted: %s. Not read, and it cannot be moved to %s.refused "
			"(%s): remove it. " NOT_KEPT, l->path, why, l->path, strerror(errno),
			l->devroot);
	free(aside);
	return rc;
}

/* The dev root as the header names it: no doubled or trailing slashes. */
static char *root_spelling(const char *devroot)
{
	char root[PATH_MAX];
	size_t rn = 0;

	for (const char *c = devroot; *c && rn + 1 < sizeof(root); c++)
		if (!(*c == '/' && (c[1] == '/' || (c[1] == '\0' && rn > 0))))
			root[rn++] = *c;
	root[rn] = '\0';
	return xstrdup(root);
}

/* Opens the file in the trusted state directory: 0, or -1 when another
 * daemon holds it (said). l->fd stays -1 when no record can be kept. */
static int open_trusted(struct nodelog *l)
{
	char why[PATH_MAX + 128];

	for (int round = 0; round < 2; round++) {
		switch (open_file(l, why, sizeof(why))) {
		case OPENED:
			return 0;
		case BUSY:
			log_err("another devmgr daemon manages %s (it holds %s)", l->devroot,
				l->path);
			return -1;
		case REFUSED:
			if (round == 0 && set_aside(l, why) == 0)
				continue;
			return 0;
		case FAILED:
			break;
		}
		break;
	}
	log_warn("cannot open %s: %s. " NOT_KEPT, l->path, why, l->devroot);
	return 0;
}

int nodelog_open(struct nodelog *l, const char *dir, const char *devroot, struct nodedb *db,
		 void (*adopt)(void *arg, const char *dir), void *arg)
{
	char name[PATH_MAX];
	struct dirset dirs = { 0 };
	bool loaded = false;

	memset(l, 0, sizeof(*l));
	l->fd = l->dirfd = -1;
	l->devroot = root_spelling(devroot);
	nodelog_name(name, sizeof(name), l->devroot);
	l->name = xstrdup(name);
	char *slash = str_concat(dir, "/");
	l->path = str_concat(slash, name);
	free(slash);
	l->dirfd = state_dir_open(dir, l->devroot);
	if (l->dirfd >= 0 && open_trusted(l) < 0) {
		nodelog_close(l);
		return -1;
	}
	if (l->fd >= 0 && !(loaded = load(l, db, &dirs)))
		begin(l);
	struct nodedb_entry *e;
	for (size_t pos = 0; (e = nodedb_next(db, &pos)) != NULL; )
		e->recorded = true;
	/* Written afresh at once: a fresh file gets its header, and a last
	 * line cut short by a kill is not glued to the next one. */
	if (nodelog_compact(l, db, dirs.v, dirs.n, true) < 0) {
		/* the fd stays for its lock: one daemon per dev root still */
		l->broken = true;
		log_warn("so no record of the nodes made is kept: after a crash, nodes of "
			 "devices that went meanwhile stay in %s", l->devroot);
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
	if (l->dirfd >= 0)
		close(l->dirfd);
	l->fd = l->dirfd = -1;
	free(l->path);
	free(l->name);
	free(l->devroot);
	l->path = l->name = l->devroot = NULL;
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

/* The whole record as it stands: header, made directories, nodes. */
static void render(struct buf *b, const struct nodelog *l, const struct nodedb *db,
		   char *const *dirs, size_t ndirs)
{
	char line[LINE_MAX_LEN];

	buf_add(b, line, header_line(line, l));
	for (size_t i = 0; i < ndirs; i++) {
		size_t n = 0;
		line[n++] = 'd';
		line[n++] = '\t';
		if (strlen(dirs[i]) >= PATH_MAX)
			continue;
		n += escape(line + n, dirs[i]);
		line[n++] = '\n';
		buf_add(b, line, n);
	}
	const struct nodedb_entry *e;
	for (size_t pos = 0; (e = nodedb_next(db, &pos)) != NULL; )
		buf_add(b, line, node_line(line, '+', e->type, e->rdev, e->node, e->link));
}

int nodelog_compact(struct nodelog *l, const struct nodedb *db, char *const *dirs,
		    size_t ndirs, bool force)
{
	struct buf b = { 0 };
	int rc = 0;

	if (l->fd < 0 || l->broken || (!force && l->lines < 4 * db->used + 4096))
		return 0;
	render(&b, l, db, dirs, ndirs);
	char *tmp = str_concat(l->name, ".new");
	/* Locked before it takes the name: a daemon starting meanwhile
	 * finds the lock on whichever file the name has. */
	unlinkat(l->dirfd, tmp, 0);
	int fd = openat(l->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW |
			O_CLOEXEC, 0600);
	ssize_t n = -1;
	if (fd >= 0 && lock(fd))
		n = write(fd, b.p, b.len);
	if (n != (ssize_t)b.len || renameat(l->dirfd, tmp, l->dirfd, l->name) < 0) {
		log_warn("cannot rewrite %s: %s", l->path,
			 n < 0 || n == (ssize_t)b.len ? strerror(errno) : "short write");
		if (fd >= 0) {
			unlinkat(l->dirfd, tmp, 0);
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
