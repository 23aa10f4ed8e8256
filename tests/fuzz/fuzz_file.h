/* For targets whose input is a file a loader reads by path (devmgr.conf,
 * host.conf). Include after defining _GNU_SOURCE (memfd_create). */
#ifndef DEVMGR_FUZZ_FILE_H
#define DEVMGR_FUZZ_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The input as a file to be read by PATH (a memfd's /proc/self/fd/N, or
 * failing that a file in /tmp the caller unlinks after the load); its fd. */
static inline int fuzz_text_file(const char *name, const unsigned char *data, size_t size,
				 char *path, size_t pathlen)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd >= 0) {
		snprintf(path, pathlen, "/proc/self/fd/%d", fd);
		if (access(path, R_OK) != 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		char tmpl[] = "/tmp/devmgr-fuzz-conf.XXXXXX";
		fd = mkstemp(tmpl);
		if (fd < 0)
			abort();
		snprintf(path, pathlen, "%s", tmpl);
		/* read by path once, then unlinked right after the load */
	}
	for (size_t off = 0; off < size; ) {
		ssize_t w = write(fd, data + off, size - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		off += (size_t)w;
	}
	return fd;
}

#endif
