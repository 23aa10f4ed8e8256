/* The kernel's user-space firmware fallback (Documentation/driver-api/
 * firmware/fallback-mechanisms.rst): when a driver's direct lookup fails,
 * the kernel makes a device with "loading" and "data" attributes and sends
 * an add uevent with FIRMWARE=NAME. User space writes 1 to loading, the
 * image to data, then 0 to loading (done) or -1 (abort).
 *
 * Like busybox mdev, the file comes from one directory and a missing file
 * is answered with -1 at once instead of leaving the driver to the kernel's
 * timeout (60 s by default). Unlike mdev, NAME and DEVPATH come from a
 * uevent and are treated as untrusted: both must stay inside their
 * directory, and nothing but a regular file is read. */
#define _GNU_SOURCE
#include "firmware.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
	/* Bounds the buffer, not the image: the copy loops to EOF. */
	COPY_CHUNK = 64 * 1024,
	/* Kernels since the fallback moved to class attribute groups create
	 * "loading" in device_add(), before the (suppressed until then) add
	 * uevent, so it is normally there at once. mdev's 30 x 1 s dates
	 * from kernels that added it later; in a daemon that would stall
	 * every queued event for 30 s. 100 x 10 ms covers a late attribute
	 * and stays far below the kernel's own timeout. */
	LOADING_WAIT_STEPS = 100,
	LOADING_WAIT_STEP_NS = 10 * 1000 * 1000,
};

/* True when PATH is relative and has no ".." component: it names
 * something below the directory it is resolved in (symlinks aside). */
static int stays_inside(const char *path)
{
	if (path[0] == '/')
		return 0;
	while (*path != '\0') {
		size_t len = strcspn(path, "/");

		if (len == 2 && path[0] == '.' && path[1] == '.')
			return 0;
		path += len;
		path += strspn(path, "/");
	}
	return 1;
}

static int openat2_beneath(int dirfd, const char *path, int flags, unsigned long long resolve)
{
#ifdef SYS_openat2
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = resolve,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
#else
	(void)dirfd, (void)path, (void)flags, (void)resolve;
	errno = ENOSYS;
	return -1;
#endif
}

/* One component of a walk: the next directory, or with LAST the target
 * itself. Never through a symlink, never up. */
static int open_component(int dirfd, const char *comp, int flags, int last)
{
	if (strcmp(comp, "..") == 0) {
		errno = EXDEV;
		return -1;
	}
	if (!last)
		flags = O_RDONLY | O_DIRECTORY;
	return openat(dirfd, comp, flags | O_NOFOLLOW | O_CLOEXEC);
}

/* The fallback for kernels without openat2 (before 5.6): PATH below DIRFD
 * one component at a time, refusing every symlink. Stricter than openat2,
 * which allows a link that stays inside, but never looser. */
static int walk_beneath(int dirfd, const char *path, int flags)
{
	int cur = dirfd, fd;

	for (;;) {
		char comp[NAME_MAX + 1];
		size_t len;
		int last;

		path += strspn(path, "/");
		len = strcspn(path, "/");
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			fd = -1;
			break;
		}
		memcpy(comp, path, len);
		comp[len] = '\0';
		path += len;
		path += strspn(path, "/");
		last = *path == '\0';
		fd = open_component(cur, comp, flags, last);
		if (fd < 0 || last)
			break;
		if (cur != dirfd)
			close(cur);
		cur = fd;
	}
	if (cur != dirfd) {
		int e = errno;

		close(cur);
		errno = e;
	}
	return fd;
}

/* PATH below DIRFD, never leaving it. IN_TREE_LINKS allows symlinks that
 * stay inside (linux-firmware ships many); otherwise none are followed. */
static int open_beneath(int dirfd, const char *path, int flags, int in_tree_links)
{
	unsigned long long resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	int fd;

	if (!in_tree_links)
		resolve |= RESOLVE_NO_SYMLINKS;
	fd = openat2_beneath(dirfd, path, flags, resolve);
	/* EPERM too: container seccomp profiles older than openat2 answer
	 * unknown system calls with it. The walk is stricter, so falling
	 * back on a real EPERM cannot open more than openat2 would. */
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	return walk_beneath(dirfd, path, flags);
}

/* The request's device directory, or -1 (logged): nothing can be
 * reported to a kernel whose request cannot be found. */
static int open_device(int sys_fd, const char *devpath)
{
	const char *rel;
	int fd;

	if (devpath == NULL || devpath[0] != '/') {
		log_warn("firmware request %s: refused: DEVPATH must start with '/'",
			 devpath ? devpath : "(none)");
		return -1;
	}
	rel = devpath + strspn(devpath, "/");
	if (*rel == '\0' || !stays_inside(rel)) {
		log_warn("firmware request %s: refused: DEVPATH must name a device below sysfs",
			 devpath);
		return -1;
	}
	fd = open_beneath(sys_fd, rel, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		log_warn("firmware request %s: cannot open the device directory: %s",
			 devpath, strerror(errno));
	return fd;
}

/* The requested image: a regular file below FW_FD, or -1 (logged). */
static int open_firmware(int fw_fd, const char *name, const char *devpath)
{
	struct stat st;
	int fd;

	if (name == NULL || *name == '\0' || !stays_inside(name)) {
		log_warn("firmware request %s: refused name '%s': not a relative path "
			 "inside the firmware directory", devpath, name ? name : "(none)");
		return -1;
	}
	/* O_NONBLOCK: a FIFO planted there must not hang us in open(); it
	 * is refused below like anything else that is not a file. */
	fd = open_beneath(fw_fd, name, O_RDONLY | O_NONBLOCK, 1);
	if (fd < 0) {
		log_warn("firmware request %s: cannot open firmware %s: %s", devpath, name,
			 errno == EXDEV || errno == ELOOP
			 ? "it leads out of the firmware directory or through a symlink"
			 : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("firmware request %s: cannot stat firmware %s: %s", devpath, name,
			 strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		log_warn("firmware request %s: firmware %s: not a regular file", devpath, name);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* DEVPATH/loading for writing, waiting briefly for it to appear. */
static int open_loading(int dev_fd, const char *devpath)
{
	const struct timespec step = { 0, LOADING_WAIT_STEP_NS };

	for (int i = 0;; i++) {
		int fd = openat(dev_fd, "loading", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno != ENOENT || i == LOADING_WAIT_STEPS) {
			log_warn("firmware request %s: cannot open loading: %s", devpath,
				 errno == ENOENT ? "it did not appear within 1 s" : strerror(errno));
			return -1;
		}
		nanosleep(&step, NULL);
	}
}

/* "loading" is a plain attribute: every write is one command and sysfs
 * ignores its offset. Writing at offset 0 makes each value replace the
 * last in a plain file too (a copied sysfs tree, the tests). */
static int set_loading(int fd, const char *value, const char *devpath)
{
	size_t len = strlen(value);
	ssize_t n = pwrite(fd, value, len, 0);

	if (n == (ssize_t)len)
		return 0;
	log_err("firmware request %s: cannot write %s to loading: %s", devpath, value,
		n < 0 ? strerror(errno) : "short write");
	return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* no progress: do not spin */
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* FW into DATA to EOF; sysfs takes at most a page per write, so short
 * writes are expected. Bytes copied, or -1 (logged). */
static long long copy_image(int fw, int data, const char *devpath, const char *name)
{
	char *buf = xmalloc(COPY_CHUNK);
	long long total = 0;

	for (;;) {
		ssize_t n = read(fw, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("firmware request %s: cannot read firmware %s: %s", devpath, name,
				strerror(errno));
			total = -1;
			break;
		}
		if (n == 0)
			break;
		if (write_all(data, buf, (size_t)n) < 0) {
			log_err("firmware request %s: cannot write data (after %lld bytes): %s",
				devpath, total, strerror(errno));
			total = -1;
			break;
		}
		total += n;
	}
	free(buf);
	return total;
}

/* The protocol proper, the image open: 1, the bytes, 0. Any failure
 * after the 1 aborts with -1 so the driver learns at once. */
static int feed(int dev_fd, int loading_fd, int fw, const char *devpath, const char *name)
{
	long long n = -1;
	int data_fd;

	if (set_loading(loading_fd, "1", devpath) < 0)
		goto abort;
	data_fd = openat(dev_fd, "data", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (data_fd < 0) {
		log_err("firmware request %s: cannot open data: %s", devpath, strerror(errno));
		goto abort;
	}
	n = copy_image(fw, data_fd, devpath, name);
	close(data_fd);
	if (n == 0)	/* like mdev: no driver wants an empty image */
		log_warn("firmware request %s: firmware %s is empty", devpath, name);
	if (n > 0 && set_loading(loading_fd, "0", devpath) == 0)
		return 0;
abort:
	set_loading(loading_fd, "-1", devpath);
	return -1;
}

int firmware_load(int sys_fd, const char *devpath, int fw_fd, const char *name)
{
	int dev_fd, loading_fd, fw, rc = -1;

	dev_fd = open_device(sys_fd, devpath);
	if (dev_fd < 0)
		return -1;
	/* The image first, as mdev does: the answer is known before the
	 * wait for "loading", which then only delays the reply. */
	fw = open_firmware(fw_fd, name, devpath);
	loading_fd = open_loading(dev_fd, devpath);
	if (loading_fd >= 0) {
		if (fw >= 0)
			rc = feed(dev_fd, loading_fd, fw, devpath, name);
		else
			set_loading(loading_fd, "-1", devpath);
		close(loading_fd);
	}
	if (fw >= 0)
		close(fw);
	close(dev_fd);
	if (rc == 0)
		log_info("firmware request %s: loaded %s", devpath, name);
	return rc;
}
