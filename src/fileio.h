/* Small file and string helpers shared by the parsers. */
#ifndef DEVMGR_FILEIO_H
#define DEVMGR_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Whole file into a NUL-terminated malloc'd buffer. -1 with errno set. */
int read_file(const char *path, char **text, size_t *len);
/* Reads up to size-1 bytes of dirfd/name into buf, NUL-terminates it.
 * One openat, one read, one close: sysfs attributes come whole in one read. */
ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t size);
/* a followed by b, malloc'd; aborts on out-of-memory. */
char *str_concat(const char *a, const char *b);
void *xmalloc(size_t n);
char *xstrdup(const char *s);
/* The N strings of V one after another, each with its NUL, and a NUL
 * after the last ("a\0b\0\0"); its size into LEN unless NULL. */
char *strv_pack(const char *const *v, unsigned n, size_t *len);

/* Closes every descriptor above 2 but the N in KEEP (-1s are skipped):
 * what a forked child must not hold of its parent's. */
void close_all_but(const int *keep, int n);
/* Whether FD (any file, O_PATH too) is the file at PATH: 1, 0, or -1
 * (errno). Only attributes the kernel has cached are compared: a file
 * on a FUSE file system is never asked about (its server could keep the
 * caller waiting for good). */
int same_file_cached(int fd, const char *path);

#endif
