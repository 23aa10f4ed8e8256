#define _GNU_SOURCE
#include "udevdb.h"
#include "fileio.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* mkdir -p, 0755: RUN may be /run/udev in a container whose image has no
 * /run at all (FROM scratch). 0, or -1 with errno set. */
static int make_dirs(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* Flags of every open under RUN: no symlink is followed out of it, a
 * FIFO never blocks the daemon, a tty never becomes its terminal. */
#define RUN_OPEN (O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
/* A file devmgr makes there: a new inode. O_EXCL fails on anything found
 * at the name, a dangling symlink included, so nothing planted is opened,
 * truncated or written through. */
#define RUN_CREATE (O_WRONLY | O_CREAT | O_EXCL | RUN_OPEN)

/* Root, and devmgr's own uid when it is not root (a database under a
 * user's --run): whose files and directories in RUN are believed. */
static bool trusted_uid(uid_t uid)
{
	/* host mode: a user-namespaced container's root, whose ids the
	 * files are made with (setfsuid(-1) only reads the current one) */
	return uid == 0 || uid == geteuid() || uid == (uid_t)setfsuid((uid_t)-1);
}

static const char *kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symlink";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	default: return "a regular file";
	}
}

/* NULL when ST is a file devmgr may have written in RUN: a regular file
 * of a trusted uid with no other name. Else what it is (in WHY): a FIFO
 * would block a read, a symlink or a hard link leads to a file elsewhere
 * (a secret, whose lines would be multicast as properties), another
 * uid's file says what that uid wants. */
static const char *not_ours(const struct stat *st, char *why, size_t size)
{
	if (!S_ISREG(st->st_mode))
		return kind(st->st_mode);
	if (st->st_nlink != 1)
		snprintf(why, size, "a regular file with %lu links", (unsigned long)st->st_nlink);
	else if (!trusted_uid(st->st_uid))
		snprintf(why, size, "a regular file of uid %u", (unsigned)st->st_uid);
	else
		return NULL;
	return why;
}

/* Says that DIR/NAME in RUN is left alone, and why. */
static void refuse(struct udevdb *db, const char *dir, const char *name, const char *what)
{
	db->errors++;
	log_warn("refusing %s/%s/%s: %s, where devmgr keeps regular files of its own "
		 "(planted by someone who can write %s?); not opened: remove it",
		 db->path, dir, name, what, db->path);
}

/* A directory of the database (FD, RUN/WHERE; WHERE NULL: RUN itself) is
 * believed when only root or devmgr can write it: in one others can
 * write, they could plant and swap entries at will. */
static bool dir_ok(struct udevdb *db, int fd, const char *where)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		log_warn("cannot examine %s%s%s: %s", db->path, where ? "/" : "",
			 where ? where : "", strerror(errno));
		return false;
	}
	if (trusted_uid(st.st_uid) && !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	log_err("refusing the udev database directory %s%s%s: uid %u, mode %04o; others could "
		"plant files in it (make it root's, mode 0755)", db->path, where ? "/" : "",
		where ? where : "", (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return false;
}

/* The directory RUN/WHERE (NAME under AT), made when MAKE, opened without
 * following a symlink and checked. -1 (said, unless it is simply not
 * there and not to be made) otherwise. */
static int open_dir(struct udevdb *db, int at, const char *name, const char *where, bool make)
{
	const int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(at, name, flags);

	if (fd < 0 && errno == ENOENT) {
		if (!make)
			return -1;
		if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
			goto fail;
		fd = openat(at, name, flags);
	}
	if (fd < 0)
		goto fail;
	if (dir_ok(db, fd, where))
		return fd;
	close(fd);
	db->errors++;
	return -1;
fail:
	db->errors++;
	if (errno == ENOTDIR || errno == ELOOP)
		log_warn("refusing %s/%s: not a directory (a symlink or file planted there?); "
			 "remove it", db->path, where);
	else
		log_warn("cannot open %s/%s: %s", db->path, where, strerror(errno));
	return -1;
}

/* Connects S to RUN/control: through /proc/self/fd and RUN_FD (the
 * directory that was checked, whatever happens to its path), or by its
 * path where /proc is not mounted. connect() follows a symlink swapped in
 * meanwhile: the listener's uid is checked after. */
static int connect_control(int s, int run_fd, const char *run)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control", run_fd);
	n = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	if (n == 0 || errno != ENOENT)
		return n;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", run);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return connect(s, (struct sockaddr *)&sa, sizeof(sa));
}

/* Whether the socket ST at RUN/control is a running udevd's (see
 * udevdb_udevd_runs): 1, said; 0 when it is not, -1 when that cannot be
 * told (errors but a refused connection or a wrong socket type), WHY
 * then saying what it is. */
static int udevd_listens(int run_fd, const char *run, const struct stat *st,
			 char *why, size_t size)
{
	struct ucred cred = { .uid = (uid_t)-1 };
	socklen_t len = sizeof(cred);
	int s, r, e;

	if (!trusted_uid(st->st_uid)) {
		snprintf(why, size, "a socket of uid %u, not root's", (unsigned)st->st_uid);
		return 0;
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r = s < 0 ? -1 : connect_control(s, run_fd, run);
	e = errno;
	if (r == 0 && getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		cred.uid = (uid_t)-1;
	if (s >= 0)
		close(s);
	/* EAGAIN: a listener whose backlog is full, a busy udevd */
	if ((r == 0 && trusted_uid(cred.uid)) || (r < 0 && e == EAGAIN)) {
		log_warn("a udevd runs here: %s/control is a socket of uid %u with a listener "
			 "(%s); devmgr leaves the udev database and the libudev-format events "
			 "to it (stop that udevd to have devmgr keep them)", run,
			 (unsigned)st->st_uid, r == 0 ? "it took a connection" : "too busy to "
			 "take a connection");
		return 1;
	}
	if (r == 0)
		snprintf(why, size, "a socket whose listener runs as uid %u, not root",
			 (unsigned)cred.uid);
	else if (e == ECONNREFUSED || e == ENOENT)
		snprintf(why, size, "a socket nobody listens on (left by a udevd that is "
			 "gone, or planted)");
	else if (e == EPROTOTYPE)
		snprintf(why, size, "a socket of another type than udevd's SOCK_SEQPACKET");
	else
		snprintf(why, size, "a socket devmgr cannot test (%s)", strerror(e));
	return r == 0 || e == ECONNREFUSED || e == ENOENT || e == EPROTOTYPE ? 0 : -1;
}

bool udevdb_udevd_runs(const char *run)
{
	int fd = open(run, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char why[160];
	bool r = false;

	if (fd < 0)
		return false;
	if (fstatat(fd, "control", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode)) {
		r = udevd_listens(fd, run, &st, why, sizeof(why)) == 1;
		if (!r)
			log_info("%s/control is %s: not a running udevd's; devmgr publishes "
				 "in systemd's libudev format", run, why);
	}
	close(fd);
	return r;
}

/* What is at RUN/control before devmgr makes its own: 1 when it is a
 * running udevd's socket; 0 when there is nothing, devmgr's file from
 * before (never opened: libudev looks only at whether it exists), or
 * something else, which is said and removed; -1 when that fails, or a
 * socket cannot be told apart (it is left alone: it may be udevd's). */
static int control_check(struct udevdb *db)
{
	struct stat st;
	char why[160];
	const char *what;
	int r;

	if (fstatat(db->run_fd, "control", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		log_err("cannot examine %s/control: %s", db->path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	if (S_ISSOCK(st.st_mode)) {
		if ((r = udevd_listens(db->run_fd, db->path, &st, why, sizeof(why))) != 0) {
			if (r < 0)
				log_err("%s/control is %s: devmgr will not write the udev database "
					"beside what may be a udevd's", db->path, why);
			return r;
		}
		what = why;
	} else {
		what = kind(st.st_mode);
	}
	log_warn("%s/control is %s: not a running udevd's socket; devmgr removes it, keeps "
		 "the udev database and makes control its own file", db->path, what);
	if (unlinkat(db->run_fd, "control", S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 &&
	    errno != ENOENT) {
		log_err("cannot remove %s/control: %s", db->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* RUN/control, which tells libudev a manager runs: a new empty file, or
 * devmgr's from before. */
static int control_make(struct udevdb *db)
{
	struct stat st;
	int fd = openat(db->run_fd, "control", RUN_CREATE, 0644);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST && fstatat(db->run_fd, "control", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		return 0;
	log_err("cannot create %s/control: %s", db->path,
		errno == EEXIST ? "something else appeared there meanwhile" : strerror(errno));
	return -1;
}

int udevdb_open(struct udevdb *db, const char *run)
{
	struct stat st;
	int c;

	db->run_fd = db->data_fd = db->live_fd = db->fill_lock = -1;
	db->filling = false;
	db->errors = 0;
	db->udevd = false;
	db->caching = false;
	db->cache = (struct entrycache){ 0 };
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
	if (!dir_ok(db, db->run_fd, NULL))
		goto fail;
	if ((c = control_check(db)) != 0) {
		db->udevd = c > 0;
		goto fail;
	}
	if ((db->data_fd = open_dir(db, db->run_fd, "data", "data", true)) < 0 ||
	    control_make(db) < 0)
		goto fail;
	return 0;
fail:
	udevdb_close(db);
	return -1;
}

void udevdb_release(struct udevdb *db)
{
	struct stat st;

	/* only devmgr's own file: a udevd may have started meanwhile */
	if (fstatat(db->run_fd, "control", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return;
	if (unlinkat(db->run_fd, "control", 0) < 0 && errno != ENOENT)
		log_warn("cannot remove %s/control: %s", db->path, strerror(errno));
}

void udevdb_close(struct udevdb *db)
{
	udevdb_fill_end(db);
	if (db->run_fd >= 0)
		close(db->run_fd);
	if (db->data_fd >= 0)
		close(db->data_fd);
	db->run_fd = db->data_fd = -1;
	free(db->path);
	db->path = NULL;
	entrycache_free(&db->cache);
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

/* Marks ID in the tag directory DIR (RUN/WHERE): a new empty file. One
 * there already is kept when it is a regular file (marked before); what
 * else was planted is said and left alone, never opened. */
static void mark_add(struct udevdb *db, int dir, const char *where, const char *id)
{
	struct stat st;
	char why[64];
	const char *bad;
	int fd = openat(dir, id, RUN_CREATE, 0444);

	if (fd >= 0) {
		close(fd);
		return;
	}
	if (errno == EEXIST && fstatat(dir, id, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((bad = not_ours(&st, why, sizeof(why))) != NULL)
			refuse(db, where, id, bad);
		return;
	}
	db->errors++;
	log_warn("cannot mark %s/%s/%s: %s", db->path, where, id, strerror(errno));
}

/* RUN/tags/TAG/ID, for enumerating by tag: marked, or unmarked (whatever
 * is there is unlinked, which follows nothing). */
static void mark(struct udevdb *db, const char *id, const char *tag, bool add)
{
	char where[96];
	int tags, dir;

	if (!file_name_ok(tag) ||
	    (size_t)snprintf(where, sizeof(where), "tags/%s", tag) >= sizeof(where))
		return;
	if ((tags = open_dir(db, db->run_fd, "tags", "tags", add)) < 0)
		return;
	dir = open_dir(db, tags, tag, where, add);
	close(tags);
	if (dir < 0)
		return;
	if (add) {
		mark_add(db, dir, where, id);
	} else if (unlinkat(dir, id, 0) < 0 && errno != ENOENT) {
		db->errors++;
		log_warn("cannot unmark %s/%s/%s: %s", db->path, where, id, strerror(errno));
	}
	close(dir);
}

static void mark_tags(struct udevdb *db, const char *id, const struct devprops *p, bool add,
		      const struct oldtags *old)
{
	for (unsigned i = 0; i < p->ntag; i++)
		mark(db, id, p->tag[i], add);
	for (unsigned i = 0; old && i < old->n; i++)
		if (!add || !devprops_has_tag(p, old->v[i]))
			mark(db, id, old->v[i], false);
}

/* A new file at TMP, the temporary name of an entry being replaced.
 * What is found there is never opened (a FIFO would block the open, a
 * hard link would have its other name truncated and moved into the
 * database): it is said, unlinked, and the file made anew. */
static int create_temp(struct udevdb *db, const char *tmp)
{
	struct stat st;
	char why[64];
	const char *bad;
	int fd = openat(db->data_fd, tmp, RUN_CREATE, 0644);

	if (fd >= 0 || errno != EEXIST)
		return fd;
	if (fstatat(db->data_fd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;		/* refused: said by the caller */
			return -1;
		}
		if ((bad = not_ours(&st, why, sizeof(why))) != NULL)
			log_warn("removing %s/data/%s: %s at the name of devmgr's temporary file "
				 "(planted?); the entry goes to a new file", db->path, tmp, bad);
		else
			log_info("removing %s/data/%s, a temporary file left by a devmgr that "
				 "was killed", db->path, tmp);
	}
	if (unlinkat(db->data_fd, tmp, 0) < 0 && errno != ENOENT)
		return -1;
	/* EEXIST again: something is planted as fast as it goes; refused */
	return openat(db->data_fd, tmp, RUN_CREATE, 0644);
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

	/* filling: the name is new, and nobody reads the directory yet */
	int fd = db->filling ? openat(db->data_fd, id, RUN_CREATE, 0644) : -1;
	bool direct = fd >= 0;
	snprintf(tmp, sizeof(tmp), ".#%s.%ld", id, db->pid);
	if (!direct && (fd = create_temp(db, tmp)) < 0)
		goto fail;
	ssize_t w = write(fd, text, len);
	int e = errno;
	struct stat st;
	bool known = db->caching && w == (ssize_t)len && fstat(fd, &st) == 0;
	if (close(fd) < 0 && w == (ssize_t)len)
		w = -1, e = errno;
	if (w != (ssize_t)len) {
		unlinkat(db->data_fd, direct ? id : tmp, 0);
		errno = w < 0 ? e : ENOSPC;
		goto fail;
	}
	if (!direct && renameat(db->data_fd, tmp, db->data_fd, id) < 0) {
		e = errno;
		unlinkat(db->data_fd, tmp, 0);
		errno = e;
		goto fail;
	}
	if (known)
		entrycache_put(&db->cache, id, text, len, &st);
	else
		entrycache_drop(&db->cache, id);
	mark_tags(db, id, p, true, old);
	return 0;
too_long:
	errno = E2BIG;
fail:
	entrycache_drop(&db->cache, id);
	db->errors++;
	log_warn("cannot write %s/data/%s: %s", db->path, id, strerror(errno));
	return -1;
}

/* The entry ID, opened for reading only when it is a file devmgr wrote:
 * checked before the open (a device node or a FIFO is never opened) and
 * after it (something swapped in meanwhile). -1 when there is none, or
 * it is refused (said). */
static int open_entry(struct udevdb *db, const char *id, const struct stat *seen,
		      struct stat *held)
{
	struct stat st;
	char why[64];
	const char *bad;
	int fd;

	if (seen)
		st = *seen;	/* looked at already: not twice */
	else if (fstatat(db->data_fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT) {
			log_warn("cannot read %s/data/%s: %s", db->path, id, strerror(errno));
			errno = EIO;
		}
		return -1;
	}
	if ((bad = not_ours(&st, why, sizeof(why))) != NULL)
		goto refused;
	if ((fd = openat(db->data_fd, id, O_RDONLY | RUN_OPEN)) < 0) {
		if (errno == ELOOP) {
			bad = "a symlink";
			goto refused;
		}
		if (errno != ENOENT) {
			log_warn("cannot read %s/data/%s: %s", db->path, id, strerror(errno));
			errno = EIO;
		}
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("cannot examine %s/data/%s: %s", db->path, id, strerror(errno));
		close(fd);
		return -1;
	}
	if ((bad = not_ours(&st, why, sizeof(why))) == NULL) {
		*held = st;
		return fd;
	}
	close(fd);
refused:
	refuse(db, "data", id, bad);
	errno = EPERM;		/* something is there: not ENOENT */
	return -1;
}

/* Adds the lines of an entry to p: I:, S:, G: and E:. */
static void parse_entry(char *text, size_t n, struct devprops *p)
{
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
}

int udevdb_read(struct udevdb *db, const char *id, struct devprops *p)
{
	char text[8192];
	size_t len;
	struct stat st;
	const char *known = NULL;

	bool seen = false;

	/* the file written or read last is still there: what it holds is known */
	if (db->caching && (seen = fstatat(db->data_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0))
		known = entrycache_get(&db->cache, id, &st, &len);
	if (known && len < sizeof(text)) {
		memcpy(text, known, len);	/* parsing cuts it into lines */
		text[len] = '\0';
		parse_entry(text, len, p);
		return 0;
	}
	entrycache_drop(&db->cache, id);
	int fd = open_entry(db, id, seen ? &st : NULL, &st);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (n < 0) {
		db->errors++;
		log_warn("cannot read %s/data/%s: %s", db->path, id, strerror(e));
		errno = e;
		return -1;
	}
	text[n] = '\0';
	if (db->caching)
		entrycache_put(&db->cache, id, text, (size_t)n, &st);
	parse_entry(text, (size_t)n, p);
	return 0;
}

void udevdb_remove(struct udevdb *db, const char *id, const struct devprops *p,
		   const struct oldtags *old)
{
	entrycache_drop(&db->cache, id);
	if (unlinkat(db->data_fd, id, 0) < 0 && errno != ENOENT) {
		db->errors++;
		log_warn("cannot remove %s/data/%s: %s", db->path, id, strerror(errno));
	}
	mark_tags(db, id, p, false, old);
}

/* ---- Filling an empty database ------------------------------------ */

#define FILL ".data.coldplug"

/* The directory DIR_FD (O_PATH will do) open for reading its entries:
 * the one checked, not whatever is at its name now. */
static DIR *list_dir(int dir_fd)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | RUN_OPEN);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL && fd >= 0)
		close(fd);
	return d;
}

/* How many entries directory DIR_FD has, -1 when it cannot be read.
 * With CLEAR each is unlinked first, and only what stays counts (a
 * directory planted there). */
static long entries(int dir_fd, bool clear)
{
	DIR *d = list_dir(dir_fd);
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    (!clear || unlinkat(dirfd(d), e->d_name, 0) < 0))
			n++;
	closedir(d);
	return n;
}

bool udevdb_fill_begin(struct udevdb *db)
{
	if (db->data_fd < 0 || db->filling || entries(db->data_fd, false) != 0)
		return false;
	int fd = open_dir(db, db->run_fd, FILL, FILL, true);
	if (fd < 0)
		return false;
	/* one coldplug fills at a time (the lock goes with its process) */
	int lock = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		log_info("%s/%s: another coldplug fills it: entries go to data one by one",
			 db->path, FILL);
		goto no;
	}
	/* left by a devmgr killed in its coldplug */
	if (entries(fd, true) != 0) {
		log_warn("%s/%s cannot be emptied: entries go to data one by one", db->path, FILL);
		goto no;
	}
	db->live_fd = db->data_fd;
	db->data_fd = fd;
	db->fill_lock = lock;
	db->filling = true;
	return true;
no:
	if (lock >= 0)
		close(lock);
	close(fd);
	return false;
}

/* renameat2(RENAME_NOREPLACE), which musl's headers may lack. */
static int rename_noreplace(int from_dir, const char *from, int to_dir, const char *to)
{
	return (int)syscall(SYS_renameat2, from_dir, from, to_dir, to, 1u /* NOREPLACE */);
}

/* What was filled in, moved into data an entry at a time. */
static void move_entries(struct udevdb *db)
{
	DIR *d = list_dir(db->data_fd);
	struct dirent *e;

	/* an entry written there meanwhile is newer than the scan's: kept */
	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' &&
		    rename_noreplace(db->data_fd, e->d_name, db->live_fd, e->d_name) < 0 &&
		    (errno != EEXIST || unlinkat(db->data_fd, e->d_name, 0) < 0)) {
			db->errors++;
			log_warn("cannot move %s/%s/%s into data: %s", db->path, FILL, e->d_name,
				 strerror(errno));
		}
	if (d)
		closedir(d);
}

void udevdb_fill_end(struct udevdb *db)
{
	if (!db->filling)
		return;
	db->filling = false;
	/* over an empty directory, a rename replaces it: all entries at once
	 * (data_fd, the same directory, is then data's) */
	if (renameat(db->run_fd, FILL, db->run_fd, "data") == 0) {
		close(db->live_fd);
		close(db->fill_lock);
		db->live_fd = db->fill_lock = -1;
		return;
	}
	log_info("%s/data was written to during the coldplug (%s): its entries join it one by one",
		 db->path, strerror(errno));
	move_entries(db);
	if (unlinkat(db->run_fd, FILL, AT_REMOVEDIR) < 0)
		log_warn("cannot remove %s/%s: %s", db->path, FILL, strerror(errno));
	close(db->data_fd);
	close(db->fill_lock);
	db->data_fd = db->live_fd;
	db->live_fd = db->fill_lock = -1;
}
