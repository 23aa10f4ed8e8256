/* Safe node operations under the dev root.
 *
 * Parent directories are opened one component at a time with
 * O_PATH|O_DIRECTORY|O_NOFOLLOW, so a symlink planted anywhere in a path
 * stops the operation instead of redirecting it. Opened directories are kept
 * in a small cache: coldplug creates thousands of nodes in a handful of
 * directories, and re-walking each path would double the system calls. A
 * cached directory that was removed behind our back makes the *at() call
 * fail with ENOENT; the entry is then dropped and the walk done again. */
#define _GNU_SOURCE
#include "devnode.h"
#include "fileio.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452	/* same number on every architecture */
#endif

static void dirinfo_init(struct devroot *d, struct dirinfo *info, int fd)
{
	struct stat st;

	info->fd = fd;
	info->new_gid = d->egid;
	info->fs = 0;
	if (fstat(fd, &st) == 0) {
		info->fs = st.st_dev;
		if (st.st_mode & S_ISGID)
			info->new_gid = st.st_gid;
	}
}

/* Whether FD is the root of a mount, as a container's /dev is: no
 * directory can be renamed out of it then (EXDEV). When that cannot be
 * told, it is taken not to be. */
static bool is_mount_root(int fd)
{
#ifdef STATX_ATTR_MOUNT_ROOT
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
#endif
	struct stat st, up;
	return fstat(fd, &st) == 0 && fstatat(fd, "..", &up, 0) == 0 &&
	       (st.st_dev != up.st_dev || st.st_ino == up.st_ino);
}

int devroot_open(struct devroot *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	d->euid = geteuid();
	d->egid = getegid();
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_err("cannot open dev root %s: %s", path, strerror(errno));
		return -1;
	}
	dirinfo_init(d, &d->root, fd);
	d->path = xstrdup(path);
	d->mount_root = is_mount_root(fd);
	return 0;
}

static void cache_drop(struct devroot *d, int i)
{
	free(d->cache[i].dir);
	d->cache[i].dir = NULL;
	close(d->cache[i].info.fd);
}

void devroot_close(struct devroot *d)
{
	devnode_defer(d, false);
	for (size_t i = 0; i < d->nmade; i++)
		free(d->made_dirs[i]);
	free(d->made_dirs);
	d->made_dirs = NULL;
	d->nmade = 0;
	for (int i = 0; i < DEVROOT_DIRCACHE; i++)
		if (d->cache[i].dir)
			cache_drop(d, i);
	if (d->root.fd >= 0)
		close(d->root.fd);
	free(d->path);
	d->root.fd = -1;
	d->path = NULL;
}

const char *devnode_bad_name(const char *name)
{
	const char *c = name;

	if (*name == '\0')
		return "empty name";
	if (*name == '/')
		return "absolute path";
	if (strlen(name) >= PATH_MAX)
		return "name too long";
	while (*c) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return "'..' component";
		if (n >= NAME_MAX + 1)
			return "component too long";
		c += n;
		c += strspn(c, "/");
	}
	if (name[strlen(name) - 1] == '/')
		return "ends with '/'";
	if (strchr(name, '\n'))
		return "newline in name";
	return NULL;
}

bool devnode_transient(int err)
{
	return err == EROFS || err == ENOSPC || err == EDQUOT;
}

/* A change that failed: said, and counted when the file system refused it
 * for now, which the daemon then tries again. errno is kept. */
static void change_failed(struct devroot *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void change_failed(struct devroot *d, int err, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (devnode_transient(err))
		d->faults++;
	log_err("%s: %s", msg, strerror(err));
	errno = err;
}

/* A chown refused: without CAP_CHOWN (a runtime's bare default spec,
 * --cap-drop ALL) every node would say the same, so the remedy is said
 * with the first and the rest are quieter. */
static void chown_failed(struct devroot *d, int err, const char *name, uid_t uid, gid_t gid)
{
	if (err != EPERM || !d->chown_hinted) {
		change_failed(d, err, "cannot chown %s/%s to %u:%u%s", d->path, name,
			      (unsigned)uid, (unsigned)gid, err == EPERM ?
			      " (changing a node's owner needs CAP_CHOWN: docker/podman "
			      "--cap-add CHOWN, LXC: chown not in lxc.cap.drop; later nodes "
			      "are reported with -v)" : "");
		d->chown_hinted |= err == EPERM;
	} else {
		log_info("cannot chown %s/%s to %u:%u: %s", d->path, name, (unsigned)uid,
			 (unsigned)gid, strerror(err));
	}
	errno = err;
}

/* Records the first LEN bytes of DIR as a directory devmgr made: the
 * daemon removes it again once it empties (devnode_prune). */
static void remember_made(struct devroot *d, const char *dir, size_t len)
{
	char **v = realloc(d->made_dirs, (d->nmade + 1) * sizeof(char *));
	char *copy = strndup(dir, len);

	if (v == NULL || copy == NULL)
		die("out of memory");
	d->made_dirs = v;
	d->made_dirs[d->nmade++] = copy;
	if (d->dir_changed)
		d->dir_changed(d->hook_arg, copy, true);
}

/* Entry I is no directory devmgr made (any more). */
static void forget_made(struct devroot *d, size_t i)
{
	if (d->dir_changed)
		d->dir_changed(d->hook_arg, d->made_dirs[i], false);
	free(d->made_dirs[i]);
	d->made_dirs[i] = d->made_dirs[--d->nmade];
}

void devnode_adopt_dir(struct devroot *d, const char *dir)
{
	for (size_t i = 0; i < d->nmade; i++)
		if (strcmp(d->made_dirs[i], dir) == 0)
			return;
	if (devnode_bad_name(dir) == NULL)
		remember_made(d, dir, strlen(dir));
}

/* Opens DIR (relative, already validated) one component at a time. */
static int walk(struct devroot *d, const char *dir, bool create)
{
	char comp[NAME_MAX + 1];
	const int rootfd = d->root.fd;
	int fd = rootfd;

	for (const char *c = dir; *c; ) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.'))
			goto next;
		memcpy(comp, c, n);
		comp[n] = '\0';
		int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			/* Remembered (and said) before it is made: a daemon
			 * killed in between knows of a directory that may not
			 * be there (pruning it is a no-op), never the reverse. */
			remember_made(d, dir, (size_t)(c - dir + n));
			if (mkdirat(fd, comp, 0755) == 0) {
				d->writes++;
			} else {
				int e = errno;
				forget_made(d, d->nmade - 1);
				if (e != EEXIST) {
					change_failed(d, e, "cannot create directory %s/%.*s",
						      d->path, (int)(c - dir + n), dir);
					if (fd != rootfd)
						close(fd);
					errno = e;
					return -1;
				}
			}
			nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno;
			if (e != ENOENT || create)
				log_err("cannot use directory %s/%.*s: %s", d->path, (int)(c - dir + n),
					dir, e == ENOTDIR || e == ELOOP ?
					"not a directory (symlinks are not followed)" : strerror(e));
			if (fd != rootfd)
				close(fd);
			errno = e;
			return -1;
		}
		if (fd != rootfd)
			close(fd);
		fd = nfd;
next:
		c += n;
		c += strspn(c, "/");
	}
	/* a copy of the root's fd, close-on-exec as every fd here: rule commands
	 * must not inherit a handle on the dev root */
	return fd == rootfd ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : fd;
}

/* A cached directory is still at its name under the dev root. Only a dev
 * root that is no mount point can lose one to a rename (a test tree, a
 * chroot's /dev directory): there each use walks again to compare, and a
 * directory moved away is dropped, so nothing is made where it went. */
static bool still_there(struct devroot *d, int i)
{
	struct stat cached, now;

	if (d->mount_root)
		return true;
	int fd = walk(d, d->cache[i].dir, false);
	bool same = fd >= 0 && fstat(fd, &now) == 0 && fstat(d->cache[i].info.fd, &cached) == 0 &&
		    now.st_ino == cached.st_ino && now.st_dev == cached.st_dev;
	if (fd >= 0)
		close(fd);
	if (!same)
		cache_drop(d, i);
	return same;
}

/* The directory holding NAME, and NAME's last component in *base.
 * *slot is the cache index used, or -1 for the root. */
static const struct dirinfo *parent(struct devroot *d, const char *name, bool create,
				    const char **base, int *slot)
{
	const char *slash = strrchr(name, '/');
	char dir[PATH_MAX];
	int victim = 0;

	*slot = -1;
	if (slash == NULL) {
		*base = name;
		return &d->root;
	}
	*base = slash + 1;
	memcpy(dir, name, (size_t)(slash - name));
	dir[slash - name] = '\0';
	for (int i = 0; i < DEVROOT_DIRCACHE; i++) {
		if (d->cache[i].dir && strcmp(d->cache[i].dir, dir) == 0 && still_there(d, i)) {
			d->cache[i].used = ++d->tick;
			*slot = i;
			return &d->cache[i].info;
		}
		/* Victim: a free slot if any, else the least recently used. */
		if (d->cache[victim].dir != NULL &&
		    (d->cache[i].dir == NULL || d->cache[i].used < d->cache[victim].used))
			victim = i;
	}
	int fd = walk(d, dir, create);
	if (fd < 0)
		return NULL;
	if (d->cache[victim].dir)
		cache_drop(d, victim);
	d->cache[victim].dir = xstrdup(dir);
	dirinfo_init(d, &d->cache[victim].info, fd);
	d->cache[victim].used = ++d->tick;
	*slot = victim;
	return &d->cache[victim].info;
}

int devnode_lstat(struct devroot *d, const char *name, struct stat *st, char *target,
		  size_t size)
{
	const char *base;
	int slot;
	const struct dirinfo *pd = devnode_bad_name(name) ? NULL : parent(d, name, false, &base,
									   &slot);

	if (pd == NULL || fstatat(pd->fd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	target[0] = '\0';
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(pd->fd, base, target, size - 1);
		target[n < 0 ? 0 : n] = '\0';
	}
	return 1;
}

/* A cached directory that vanished gives ENOENT: forget it so the caller
 * can walk again. True when a retry makes sense. */
static bool stale(struct devroot *d, int slot, int err)
{
	if (err != ENOENT || slot < 0)
		return false;
	cache_drop(d, slot);
	return true;
}

static const char *kind(mode_t type)
{
	return S_ISBLK(type) ? "block" : "char";
}

/* chmod of the node pinned by FD (O_PATH). fchmodat2 does it in one call;
 * kernels before 6.6 say ENOSYS, container seccomp profiles that do not
 * know the call EPERM, and kernels whose fchmodat2 takes no AT_EMPTY_PATH
 * EINVAL. Then it goes through the fd's /proc entry. Without /proc there
 * is no safe way (a chmod by name would follow whatever was swapped in):
 * -1 with errno ENOSYS, and the caller replaces the node. */
static int chmod_pinned(int fd, mode_t perm)
{
	char proc[64], target[8];

	if (syscall(SYS_fchmodat2, fd, "", perm, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM && errno != EINVAL)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (readlink(proc, target, sizeof(target)) < 0) {
		errno = ENOSYS;
		return -1;
	}
	return fchmodat(AT_FDCWD, proc, perm, 0);
}

/* NAME becomes a fresh node of TYPE and RDEV with the mode and owner
 * given: made beside it and renamed over, so that the name never points
 * at nothing and nothing that was there is followed. 0, 1 when NAME is a
 * mount point (left alone), -1 (logged). */
static int replace_node(struct devroot *d, int dfd, const char *name, const char *base,
			mode_t type, mode_t perm, dev_t rdev, uid_t uid, gid_t gid)
{
	char tmp[NAME_MAX + 1];

	if ((size_t)snprintf(tmp, sizeof(tmp), ".devmgr-%d-%s", (int)getpid(), base) >= sizeof(tmp))
		snprintf(tmp, sizeof(tmp), ".devmgr-%d", (int)getpid());
	unlinkat(dfd, tmp, 0);
	if (mknodat(dfd, tmp, type | perm, rdev) < 0 ||
	    fchownat(dfd, tmp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    renameat(dfd, tmp, dfd, base) < 0) {
		int e = errno;
		unlinkat(dfd, tmp, 0);
		/* mounted over from the same file system: see keep_engines() */
		if (e == EBUSY) {
			log_debug("%s/%s is busy (a mount point): left alone", d->path, name);
			return 1;
		}
		change_failed(d, e, "cannot replace %s/%s with %s node %u:%u", d->path, name,
			      kind(type), major(rdev), minor(rdev));
		return -1;
	}
	d->writes++;
	return 0;
}

static struct pending_removal take_pending(struct devroot *d, unsigned i);
static void settle(struct devroot *d, unsigned i);
static void settle_name(struct devroot *d, const char *name);

/* chmod, then chown, as mdev does: the kernel's chown drops set-user-ID
 * (and set-group-ID with group execute), and mdev users get that result,
 * so chown is done whenever one of those bits is asked for. Both go to
 * the inode ST describes, pinned with O_PATH: a symlink or a hard link
 * to another node swapped in under the name meanwhile is never changed. */
static int fix_owner_mode(struct devroot *d, int dfd, const char *name, const char *base,
			  const struct stat *st, mode_t perm, uid_t uid, gid_t gid)
{
	bool chmod_due = (st->st_mode & 07777) != perm;
	bool chown_due = st->st_uid != uid || st->st_gid != gid || (perm & (S_ISUID | S_ISGID));
	struct stat now;

	if (!chmod_due && !chown_due)
		return 0;
	int fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &now) < 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		change_failed(d, fd < 0 ? errno : EAGAIN, "cannot fix %s/%s: it changed while "
			      "being looked at", d->path, name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = 0;
	if (chmod_due && chmod_pinned(fd, perm) < 0) {
		close(fd);
		if (errno != ENOSYS) {
			change_failed(d, errno, "cannot chmod %s/%s", d->path, name);
			return -1;
		}
		log_debug("%s/%s: no fchmodat2 and no /proc: replaced to change its mode",
			  d->path, name);
		return replace_node(d, dfd, name, base, st->st_mode & S_IFMT, perm, st->st_rdev,
				    uid, gid) < 0 ? -1 : 0;
	}
	if (chown_due && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		chown_failed(d, errno, name, uid, gid);
		rc = -1;
	}
	close(fd);
	return rc;
}

/* The path a relative symlink at NAME points to, resolved lexically
 * inside the dev root. -1 when it is absolute or climbs out. */
static int resolve_link(const char *name, const char *target, char *out, size_t size)
{
	const char *slash = strrchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;

	if (target[0] == '/' || n + 1 + strlen(target) >= size)
		return -1;
	memcpy(out, name, n);
	out[n] = '\0';
	for (const char *c = target; *c; ) {
		size_t len = strcspn(c, "/");
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			char *up = strrchr(out, '/');
			if (n == 0)
				return -1;
			n = up ? (size_t)(up - out) : 0;
			out[n] = '\0';
		} else if (len > 0 && !(len == 1 && c[0] == '.')) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, c, len);
			n += len;
			out[n] = '\0';
		}
		c += len;
		c += strspn(c, "/");
	}
	return n > 0 ? 0 : -1;
}

/* A symlink where the node should be, such as the one a ">" rule left
 * for a "-" rule that matches the same device: mdev's chmod and chown
 * follow it. devmgr does the same only when it leads, inside the dev root
 * and through no further symlink, to this very device's node. */
static int fix_link_target(struct devroot *d, int dfd, const char *name, const char *base,
			   mode_t type, mode_t perm, dev_t rdev, uid_t uid, gid_t gid)
{
	char target[PATH_MAX], path[PATH_MAX];
	const struct dirinfo *pd;
	const char *tbase;
	struct stat st;
	int slot;
	ssize_t n = readlinkat(dfd, base, target, sizeof(target) - 1);

	if (n <= 0)
		return -1;
	target[n] = '\0';
	if (resolve_link(name, target, path, sizeof(path)) < 0 || devnode_bad_name(path))
		return -1;
	pd = parent(d, path, false, &tbase, &slot);
	if (pd == NULL || fstatat(pd->fd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if ((st.st_mode & S_IFMT) != type || st.st_rdev != rdev)
		return -1;
	return fix_owner_mode(d, pd->fd, path, tbase, &st, perm, uid, gid);
}

/* What the container engine put in /dev before us: a file mounted over
 * the name (docker -t and LXC bind a pty over /dev/console, LXC its ttys)
 * cannot be replaced and serves the container's terminal; a symlink that
 * leads elsewhere than this device's node (LXC's tty1 -> lxc/tty1,
 * docker's ptmx -> pts/ptmx) is the engine's choice. Both are kept unless
 * the rule names the device itself (DEVNODE_NAMED). 1 when kept. */
static int keep_engines(struct devroot *d, const struct dirinfo *pd, const char *name,
			const char *base, const struct stat *st, unsigned flags)
{
	char target[PATH_MAX];

	/* Even with the right numbers: a mode changed here would be the
	 * host's node's. */
	if (st->st_dev != pd->fs) {
		log_debug("%s/%s is a mount point (the engine's terminal or device?): left "
			  "alone", d->path, name);
		return 1;
	}
	if (!S_ISLNK(st->st_mode) || (flags & DEVNODE_NAMED))
		return 0;
	ssize_t n = readlinkat(pd->fd, base, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	log_info("%s/%s is a symlink to %s that devmgr did not make (the container "
		 "engine's?): left alone; a rule line naming %s itself replaces it with "
		 "the node", d->path, name, target, name);
	return 1;
}

/* What is at NAME (ST) made the node asked for, or left alone. */
static int fix_found(struct devroot *d, const struct dirinfo *pd, const char *name,
		     const char *base, const struct stat *found, mode_t type, mode_t perm,
		     dev_t rdev, uid_t uid, gid_t gid, unsigned flags)
{
	int dfd = pd->fd;
	struct stat st = *found;

	if (st.st_dev != pd->fs)
		return keep_engines(d, pd, name, base, &st, flags);
	if ((st.st_mode & S_IFMT) == type && st.st_rdev == rdev)
		return fix_owner_mode(d, dfd, name, base, &st, perm, uid, gid);
	if (S_ISLNK(st.st_mode) && fix_link_target(d, dfd, name, base, type, perm, rdev, uid, gid) == 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		log_err("cannot create %s node %s/%s: a directory is in the way", kind(type),
			d->path, name);
		return -1;
	}
	if (keep_engines(d, pd, name, base, &st, flags))
		return 1;
	/* Wrong type or numbers (a stale node, a planted symlink) */
	int rc = replace_node(d, dfd, name, base, type, perm, rdev, uid, gid);
	if (rc != 0)
		return rc;
	log_info("replaced %s/%s (was %s %u:%u)", d->path, name,
		 S_ISLNK(st.st_mode) ? "a symlink" : "another file",
		 major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

static int fix_existing(struct devroot *d, const struct dirinfo *pd, const char *name,
			const char *base, mode_t type, mode_t perm, dev_t rdev, uid_t uid,
			gid_t gid, unsigned flags)
{
	struct stat st;

	if (fstatat(pd->fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		log_err("cannot stat %s/%s: %s", d->path, name, strerror(errno));
		return -1;
	}
	return fix_found(d, pd, name, base, &st, type, perm, rdev, uid, gid, flags);
}

/* Bind mode (see struct devroot): the node made on the host's tmpfs,
 * owned as mapped, cloned as a mount and moved onto an empty file at
 * BASE. The tmpfs keeps no name once it is bound: the mount holds the
 * inode. */
static int bind_mount(struct devroot *d, int dfd, const char *name, const char *base,
		      mode_t type, mode_t perm, dev_t rdev, long uid, long gid)
{
	char hname[32];
	int tree = -1, e = 0;

	snprintf(hname, sizeof(hname), "%c%u:%u", type == S_IFBLK ? 'b' : 'c', major(rdev),
		 minor(rdev));
	target_fs_ids(d->target, true);
	unlinkat(d->bind_fs, hname, 0);
	if (mknodat(d->bind_fs, hname, type | perm, rdev) < 0 ||
	    fchownat(d->bind_fs, hname, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (tree = (int)syscall(SYS_open_tree, d->bind_fs, hname,
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
		e = errno;
	target_fs_ids(d->target, false);
	if (tree < 0) {
		unlinkat(d->bind_fs, hname, 0);
		change_failed(d, e, "cannot make %s node %s/%s (%u:%u) on the host's tmpfs",
			      kind(type), d->path, name, major(rdev), minor(rdev));
		return -1;
	}
	int f = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (f < 0 || syscall(SYS_move_mount, tree, "", dfd, base, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		e = errno;
		if (f >= 0)
			unlinkat(dfd, base, 0);
		change_failed(d, e, "cannot bind %s node %u:%u onto %s/%s", kind(type),
			      major(rdev), minor(rdev), d->path, name);
	}
	if (f >= 0)
		close(f);
	close(tree);
	/* (not before: a mount whose root has no name cannot be moved) */
	unlinkat(d->bind_fs, hname, 0);
	if (e)
		return -1;
	d->writes++;
	return 0;
}

/* The bound node at BASE gets PERM and the host ids UID, GID. */
/* Whether ST is a node bound from devmgr's own tmpfs (bind mode). The
 * engine binds nodes too, the host's own (runc, in a user namespace,
 * binds the host's /dev/null and its kin): their owner and mode are the
 * host's, and their mounts the engine's. */
static bool bound_by_us(const struct devroot *d, const struct stat *st)
{
	struct stat fs;

	return fstat(d->bind_fs, &fs) == 0 && st->st_dev == fs.st_dev;
}

static int bind_fix(struct devroot *d, int dfd, const char *name, const char *base,
		    const struct stat *st, mode_t perm, long uid, long gid)
{
	int fd, rc = 0;

	if ((st->st_mode & 07777) == perm && st->st_uid == (uid_t)uid && st->st_gid == (gid_t)gid)
		return 0;
	fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	target_fs_ids(d->target, true);
	if (fd < 0 || chmod_pinned(fd, perm) < 0 ||
	    fchownat(fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH) < 0) {
		change_failed(d, errno, "cannot fix the owner or mode of %s/%s", d->path, name);
		rc = -1;
	}
	target_fs_ids(d->target, false);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int bind_make(struct devroot *d, const struct dirinfo *pd, const char *name,
		     const char *base, mode_t type, mode_t perm, dev_t rdev, uid_t uid, gid_t gid,
		     unsigned flags)
{
	long huid = idmap_to_host(&d->target->uids, uid);
	long hgid = idmap_to_host(&d->target->gids, gid);
	struct stat st;

	if (huid < 0 || hgid < 0) {
		log_err("cannot give %s/%s to %u:%u: not mapped in the container's user "
			"namespace (its uid_map/gid_map)", d->path, name, (unsigned)uid,
			(unsigned)gid);
		return -1;
	}
	if (fstatat(pd->fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (st.st_dev != pd->fs && !bound_by_us(d, &st)) {
			log_info("%s/%s is a mount of the engine's (a node of the host's?): left "
				 "alone, its owner and mode are not the container's to change",
				 d->path, name);
			return 1;
		}
		if (st.st_dev != pd->fs && (st.st_mode & S_IFMT) == type && st.st_rdev == rdev)
			return bind_fix(d, pd->fd, name, base, &st, perm, huid, hgid);
		if (S_ISDIR(st.st_mode)) {
			log_err("cannot create %s node %s/%s: a directory is in the way",
				kind(type), d->path, name);
			return -1;
		}
		if (keep_engines(d, pd, name, base, &st, flags))
			return 1;
		/* a stale name or something planted: removed, never followed */
		if (unlinkat(pd->fd, base, 0) < 0) {
			change_failed(d, errno, "cannot remove %s/%s", d->path, name);
			return -1;
		}
	}
	return bind_mount(d, pd->fd, name, base, type, perm, rdev, huid, hgid);
}

/* A bound node goes: unmounted, then its empty file. */
static int bind_unmount(struct devroot *d, int dfd, const char *name, const char *base)
{
	int rc = fchdir(dfd) == 0 ? umount2(base, MNT_DETACH | UMOUNT_NOFOLLOW) : -1;
	int e = errno;

	if (chdir("/") < 0 || rc < 0) {
		change_failed(d, e, "cannot unmount %s/%s", d->path, name);
		return -1;
	}
	return 0;
}

int devnode_make(struct devroot *d, const char *name, mode_t type, mode_t perm,
		 dev_t rdev, uid_t uid, gid_t gid, unsigned flags)
{
	const char *why = devnode_bad_name(name);
	const struct dirinfo *pd;
	const char *base;
	int slot, dfd;
	bool back = false;

	if (why) {
		log_err("refusing node name '%s': %s", name, why);
		return -1;
	}
	if (d->bind) {
		settle_name(d, name);
		pd = parent(d, name, true, &base, &slot);
		return pd ? bind_make(d, pd, name, base, type, perm, rdev, uid, gid, flags) : -1;
	}
	for (unsigned i = 0; i < d->npending; i++) {
		struct pending_removal *p = &d->pending[i];
		if (strcmp(p->name, name) != 0)
			continue;
		back = p->type == type && p->have_rdev && p->rdev == rdev;
		if (back)	/* the device came back: its node stays, checked */
			free(take_pending(d, i).name);
		else
			settle(d, i);
		break;
	}
	for (int tries = 0; ; tries++) {
		pd = parent(d, name, true, &base, &slot);
		if (pd == NULL)
			return -1;
		dfd = pd->fd;
		/* (a storm's remove+add: no mknodat that can only fail) */
		struct stat st;
		if (back && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return fix_found(d, pd, name, base, &st, type, perm, rdev, uid, gid, flags);
		/* The process umask is 0, so the node is born with its mode. */
		if (mknodat(dfd, base, type | perm, rdev) == 0)
			break;
		if (errno == EEXIST)
			return fix_existing(d, pd, name, base, type, perm, rdev, uid, gid, flags);
		if (tries == 0 && stale(d, slot, errno))
			continue;
		change_failed(d, errno, "cannot create %s node %s/%s (%u:%u)%s", kind(type),
			      d->path, name, major(rdev), minor(rdev), errno == EPERM ?
			      " (mknod needs CAP_MKNOD and a device cgroup rule)" : "");
		return -1;
	}
	d->writes++;
	/* A fresh node already belongs to us and the directory's new-file group. */
	if (uid == d->euid && gid == pd->new_gid && !(perm & (S_ISUID | S_ISGID)))
		return 0;
	if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		chown_failed(d, errno, name, uid, gid);
		return -1;
	}
	return 0;
}

int devnode_symlink(struct devroot *d, const char *linkname, const char *target)
{
	const char *why = devnode_bad_name(linkname);
	const char *base;
	int slot, dfd;

	if (why) {
		log_err("refusing symlink name '%s': %s", linkname, why);
		return -1;
	}
	settle_name(d, linkname);
	for (int tries = 0; ; tries++) {
		const struct dirinfo *pd = parent(d, linkname, false, &base, &slot);
		if (pd == NULL)
			return errno == ENOENT ? 0 : -1;
		dfd = pd->fd;
		if (symlinkat(target, dfd, base) == 0) {
			d->writes++;
			return 0;
		}
		if (errno == EEXIST)
			return 0;
		if (tries == 0 && stale(d, slot, errno))
			continue;
		change_failed(d, errno, "cannot create symlink %s/%s -> %s", d->path, linkname,
			      target);
		return -1;
	}
}

static int remove_now(struct devroot *d, const char *name, mode_t type, bool have_rdev, dev_t rdev)
{
	const char *base;
	struct stat st;
	int slot, dfd;
	dev_t fs;

	for (int tries = 0; ; tries++) {
		const struct dirinfo *pd = parent(d, name, false, &base, &slot);
		if (pd == NULL)
			return errno == ENOENT ? 0 : -1;
		dfd = pd->fd;
		fs = pd->fs;
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			break;
		/* ENOENT in a cached directory may mean the directory was
		 * replaced, not that the node is gone: look again. */
		if (tries == 0 && stale(d, slot, errno))
			continue;
		return errno == ENOENT ? 0 : -1;
	}
	if ((st.st_mode & S_IFMT) != type || (have_rdev && st.st_rdev != rdev)) {
		log_info("left %s/%s alone: not the removed %s device", d->path, name, kind(type));
		return 0;
	}
	if (d->bind && st.st_dev != fs && !bound_by_us(d, &st)) {
		log_info("left %s/%s alone: a mount of the engine's, not devmgr's", d->path, name);
		return 0;
	}
	if (d->bind && st.st_dev != fs && bind_unmount(d, dfd, name, base) < 0)
		return -1;
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) {
		change_failed(d, errno, "cannot remove %s/%s", d->path, name);
		return -1;
	}
	d->writes++;
	return 0;
}

/* Takes entry I off the held-back list, keeping the order of the rest: a
 * later removal may be what empties a directory. */
static struct pending_removal take_pending(struct devroot *d, unsigned i)
{
	struct pending_removal p = d->pending[i];

	memmove(&d->pending[i], &d->pending[i + 1], (d->npending - i - 1) * sizeof(p));
	d->npending--;
	return p;
}

static void settle(struct devroot *d, unsigned i)
{
	struct pending_removal p = take_pending(d, i);
	unsigned long faults = d->faults;
	bool ok = remove_now(d, p.name, p.type, p.have_rdev, p.rdev) == 0;

	if (ok)
		devnode_prune(d, p.name);
	if (d->removed && p.have_rdev)
		d->removed(d->hook_arg, p.name, p.type, p.rdev, ok, d->faults != faults);
	free(p.name);
}

/* Carries out a held-back removal of NAME before something else is done
 * there. */
static void settle_name(struct devroot *d, const char *name)
{
	for (unsigned i = 0; i < d->npending; i++)
		if (strcmp(d->pending[i].name, name) == 0) {
			settle(d, i);
			return;
		}
}

void devnode_defer(struct devroot *d, bool on)
{
	/* Oldest first: a later removal may empty a directory. */
	while (d->npending)
		settle(d, 0);
	d->deferring = on;
}

int devnode_remove_now(struct devroot *d, const char *name, mode_t type, bool have_rdev,
		       dev_t rdev)
{
	if (devnode_bad_name(name))
		return -1;
	settle_name(d, name);
	return remove_now(d, name, type, have_rdev, rdev);
}

int devnode_remove(struct devroot *d, const char *name, mode_t type, bool have_rdev, dev_t rdev)
{
	if (devnode_bad_name(name))
		return -1;
	if (!d->deferring)
		return remove_now(d, name, type, have_rdev, rdev);

	settle_name(d, name);
	if (d->npending == DEVROOT_PENDING)
		devnode_defer(d, true);
	d->pending[d->npending++] = (struct pending_removal){
		.name = xstrdup(name), .type = type, .have_rdev = have_rdev, .rdev = rdev,
	};
	return 1;
}

int devnode_remove_symlink(struct devroot *d, const char *linkname, const char *target)
{
	char buf[PATH_MAX];
	const char *base;
	int slot, dfd;

	if (devnode_bad_name(linkname))
		return -1;
	ssize_t n;
	for (int tries = 0; ; tries++) {
		const struct dirinfo *pd = parent(d, linkname, false, &base, &slot);
		if (pd == NULL)
			return errno == ENOENT ? 0 : -1;
		dfd = pd->fd;
		n = readlinkat(dfd, base, buf, sizeof(buf) - 1);
		if (n >= 0)
			break;
		if (tries == 0 && stale(d, slot, errno))
			continue;
		return 0;	/* gone, or not a symlink: not ours */
	}
	buf[n] = '\0';
	if (strcmp(buf, target) != 0)
		return 0;
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) {
		change_failed(d, errno, "cannot remove symlink %s/%s", d->path, linkname);
		return -1;
	}
	d->writes++;
	return 0;
}

void devnode_prune(struct devroot *d, const char *name)
{
	char dir[PATH_MAX];
	const char *slash;

	if (devnode_bad_name(name) || strlen(name) >= sizeof(dir))
		return;
	strcpy(dir, name);
	while ((slash = strrchr(dir, '/')) != NULL) {
		size_t i, len;
		const char *base;
		int slot;

		dir[slash - dir] = '\0';
		for (i = 0; i < d->nmade && strcmp(d->made_dirs[i], dir) != 0; i++)
			;
		if (i == d->nmade)
			return;		/* not ours: leave it and its parents */
		const struct dirinfo *pd = parent(d, dir, false, &base, &slot);
		if (pd == NULL || unlinkat(pd->fd, base, AT_REMOVEDIR) < 0)
			return;		/* not empty, or gone */
		d->writes++;
		forget_made(d, i);
		/* Cached fds of it and below now name a deleted directory. */
		len = strlen(dir);
		for (int k = 0; k < DEVROOT_DIRCACHE; k++)
			if (d->cache[k].dir && strncmp(d->cache[k].dir, dir, len) == 0 &&
			    (d->cache[k].dir[len] == '\0' || d->cache[k].dir[len] == '/'))
				cache_drop(d, k);
	}
}

int devnode_mkdirs(struct devroot *d, const char *name)
{
	const char *why = devnode_bad_name(name);

	if (why) {
		log_err("refusing directory name '%s': %s", name, why);
		return -1;
	}
	int fd = walk(d, name, true);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int devnode_link_replace(struct devroot *d, const char *linkname, const char *target)
{
	const char *why = devnode_bad_name(linkname), *base;
	char cur[PATH_MAX], tmp[NAME_MAX + 1];
	struct stat st;
	int slot;

	if (why) {
		log_err("refusing symlink name '%s': %s", linkname, why);
		return -1;
	}
	const struct dirinfo *pd = parent(d, linkname, true, &base, &slot);
	if (pd == NULL) {
		log_err("cannot create the directories of %s/%s: %s", d->path, linkname,
			strerror(errno));
		return -1;
	}
	/* nothing there (most often): made in one step, as atomic as the
	 * rename below */
	if (symlinkat(target, pd->fd, base) == 0) {
		d->writes++;
		return 0;
	}
	if (fstatat(pd->fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			log_warn("%s/%s is there and no symlink: left alone", d->path, linkname);
			return -1;
		}
		ssize_t n = readlinkat(pd->fd, base, cur, sizeof(cur) - 1);
		if (n >= 0) {
			cur[n] = '\0';
			if (strcmp(cur, target) == 0)
				return 0;
		}
	}
	snprintf(tmp, sizeof(tmp), ".#%.200s.%ld", base, (long)getpid());
	unlinkat(pd->fd, tmp, 0);
	if (symlinkat(target, pd->fd, tmp) < 0 || renameat(pd->fd, tmp, pd->fd, base) < 0) {
		int e = errno;
		unlinkat(pd->fd, tmp, 0);
		change_failed(d, e, "cannot create symlink %s/%s -> %s", d->path, linkname,
			      target);
		return -1;
	}
	d->writes++;
	return 0;
}

static bool kept(const char *name, const char (*keep)[BYLINKS_NAME], int nkeep)
{
	for (int i = 0; i < nkeep; i++)
		if (strcmp(keep[i], name) == 0)
			return true;
	return false;
}

void devnode_unlink_links_to(struct devroot *d, const char *dir, const char *node,
			     const char (*keep)[BYLINKS_NAME], int nkeep)
{
	char probe[PATH_MAX], link[PATH_MAX], where[PATH_MAX];
	const char *base;
	int slot;

	if (snprintf(probe, sizeof(probe), "%s/x", dir) >= (int)sizeof(probe))
		return;
	const struct dirinfo *pd = parent(d, probe, false, &base, &slot);
	if (pd == NULL)
		return;
	int fd = openat(pd->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (dp == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(dp)) != NULL) {
		ssize_t n = readlinkat(fd, e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		char name[PATH_MAX];
		snprintf(name, sizeof(name), "%s/%s", dir, e->d_name);
		if (resolve_link(name, link, where, sizeof(where)) == 0 && strcmp(where, node) == 0 &&
		    !kept(name, keep, nkeep) && unlinkat(fd, e->d_name, 0) < 0)
			change_failed(d, errno, "cannot remove %s/%s/%s", d->path, dir, e->d_name);
	}
	closedir(dp);
	/* The persistent-name directories are devmgr's whoever made them
	 * (a hotplug helper before this one): they go when empty. */
	char up[PATH_MAX];
	snprintf(up, sizeof(up), "%s", dir);
	for (char *slash; up[0]; ) {
		size_t i;
		for (i = 0; i < d->nmade && strcmp(d->made_dirs[i], up) != 0; i++)
			;
		if (i == d->nmade)
			remember_made(d, up, strlen(up));
		slash = strrchr(up, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
	devnode_prune(d, probe);
}
