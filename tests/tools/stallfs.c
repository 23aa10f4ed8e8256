/* stallfs: a FUSE filesystem whose reads can be made to hang, so that a
 * loop device on top of it is a real block device that stops answering.
 *
 *   stallfs BACKING HOLDFILE MOUNTPOINT [FUSE options]
 *
 * MOUNTPOINT gets one read-only regular file, "disk", as large as BACKING
 * is (make BACKING with truncate, mkfs.ext4 it first if you want a
 * filesystem on it). Reads of disk are answered from BACKING, except
 * while HOLDFILE exists: every read that arrives then is held, never
 * answered, until HOLDFILE is removed or stallfs dies (the kernel then
 * fails the held reads with an error). Other requests are answered as
 * usual meanwhile. Runs in the foreground, multithreaded. SIGTERM ends
 * it and unmounts, but only once no read is held (libfuse waits for its
 * threads); SIGKILL always does (then umount MOUNTPOINT yourself).
 *
 * A control file and not a signal says "hold": once `touch HOLDFILE`
 * returns, every later read is held, whereas kill(1) only queues a
 * signal, which would leave a window where a read still gets through. */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *disk_path = "/disk";
static int backing = -1;
static const char *holdfile;

static int st_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct stat b;

	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, disk_path) != 0)
		return -ENOENT;
	/* asked each time, so that BACKING may still be resized or
	 * rewritten before the loop device is set up */
	if (fstat(backing, &b) < 0)
		return -errno;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = b.st_size;
	st->st_mtim = b.st_mtim;
	return 0;
}

static int st_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, disk_path + 1, NULL, 0, 0);
	return 0;
}

static int st_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, disk_path) != 0)
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	/* no FUSE page cache: every read of disk must reach us, or a
	 * read after the hold could be answered by the kernel alone */
	fi->direct_io = 1;
	return 0;
}

/* Polled: the hold is a file, so nothing would wake a sleeper; 10 ms
 * is nothing next to the probe timeouts the tests measure. A held read
 * blocks only its own thread: fuse_main runs requests on a pool. */
static void wait_while_held(void)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	while (access(holdfile, F_OK) == 0)
		nanosleep(&tick, NULL);
}

static int st_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	(void)fi;
	wait_while_held();
	n = pread(backing, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static const struct fuse_operations ops = {
	.getattr = st_getattr,
	.readdir = st_readdir,
	.open = st_open,
	.read = st_read,
};

int main(int argc, char **argv)
{
	/* allow_other: the loop device and probes may open disk from
	 * other namespaces or credentials than the mounting root.
	 * max_threads: each held read keeps a thread, and libfuse's
	 * default pool of 10 is fewer than the kernel's 12 background
	 * requests (the loop driver's reads): once all were held, even a
	 * lookup would wait. */
	char opts[] = "-oro,allow_other,fsname=stallfs,subtype=stallfs,max_threads=1000";
	char foreground[] = "-f";
	char *fargv[64];
	int fargc = 0;

	if (argc < 4 || argc > 60) {
		fprintf(stderr, "usage: stallfs BACKING HOLDFILE MOUNTPOINT [FUSE options]\n");
		return 2;
	}
	backing = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (backing < 0) {
		perror(argv[1]);
		return 1;
	}
	holdfile = argv[2];
	/* foreground, so that the caller's $! is the server's pid */
	fargv[fargc++] = argv[0];
	fargv[fargc++] = foreground;
	fargv[fargc++] = opts;
	for (int i = 3; i < argc; i++)
		fargv[fargc++] = argv[i];
	fargv[fargc] = NULL;
	return fuse_main(fargc, fargv, &ops, NULL);
}
