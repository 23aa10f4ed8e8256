#define _GNU_SOURCE
#include <features.h>
#ifndef __GLIBC__
/* musl has no statx(): the kernel's struct, before libc's headers (whose
 * file mode macros it defines too) */
#include <linux/stat.h>
#endif
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
/* statx: glibc declares it; musl has only the system call */
#ifdef __GLIBC__
#include <sys/stat.h>
#define devmgr_statx statx
#else
static int devmgr_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *st)
{
	return (int)syscall(SYS_statx, dirfd, path, flags, mask, st);
}
#endif
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC 0x4000
#endif

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	/* A device manager that cannot allocate a few bytes cannot do
	 * anything useful; dying loudly beats half-made nodes. */
	if (p == NULL)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

char *str_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

int read_file(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return -1;
	buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	do
		r = read(fd, buf, size - 1);
	while (r < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (r < 0) {
		errno = e;
		return -1;
	}
	buf[r] = '\0';
	return r;
}

char *strv_pack(const char *const *v, unsigned n, size_t *len)
{
	size_t size = 1;

	for (unsigned i = 0; i < n; i++)
		size += strlen(v[i]) + 1;
	char *buf = xmalloc(size), *at = buf;
	for (unsigned i = 0; i < n; i++)
		at = stpcpy(at, v[i]) + 1;
	*at = '\0';
	if (len)
		*len = size;
	return buf;
}

/* Descriptors LO..HI closed: close_range where the kernel has it (5.9),
 * else one by one up to a sane bound. */
static void close_span(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	for (unsigned fd = lo; fd <= hi && fd < (max > 0 && max < 65536 ? (unsigned)max : 65536u); fd++)
		close((int)fd);
}

void close_all_but(const int *keep, int n)
{
	unsigned from = 3;

	for (;;) {
		/* the lowest kept descriptor at or above FROM */
		unsigned next = ~0U;
		for (int i = 0; i < n; i++)
			if (keep[i] >= 0 && (unsigned)keep[i] >= from && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next == ~0U)
			break;
		if (next > from)
			close_span(from, next - 1);
		from = next + 1;
	}
	close_span(from, ~0U);
}

int same_file_cached(int fd, const char *path)
{
	struct statx a, b;

	if (devmgr_statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &a) < 0 ||
	    devmgr_statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &b) < 0)
		return -1;
	return a.stx_dev_major == b.stx_dev_major && a.stx_dev_minor == b.stx_dev_minor &&
	       a.stx_ino == b.stx_ino;
}
