#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

bool probe_allows(const struct probe_answer *a)
{
	return a->mknod == 0 && (a->read == 0 || a->write == 0);
}

bool probe_answered(const struct probe_answer *a)
{
	/* EPERM is the cgroup's (or the missing capability's) refusal;
	 * EACCES an LSM's. Anything else is about the place we asked in. */
	return a->mknod == 0 || a->mknod == EPERM || a->mknod == EACCES;
}

static int access_err(int dir_fd, const char *name, int mode)
{
	/* AT_EACCESS: the effective ids, as open() would use */
	return faccessat(dir_fd, name, mode, AT_EACCESS) == 0 ? 0 : errno;
}

int probe_device(int dir_fd, const char *name, mode_t type, int major, int minor,
		 struct probe_answer *a)
{
	dev_t rdev = makedev((unsigned)major, (unsigned)minor);
	int r;

	a->read = a->write = a->mknod = 0;
	r = mknodat(dir_fd, name, (type & S_IFMT) | 0, rdev);
	/* a node left by a probe that was killed halfway */
	if (r < 0 && errno == EEXIST && unlinkat(dir_fd, name, 0) == 0)
		r = mknodat(dir_fd, name, (type & S_IFMT) | 0, rdev);
	if (r < 0) {
		a->mknod = a->read = a->write = errno;
		return probe_answered(a) ? 0 : -1;
	}
	/* one question when the answer is yes, as it mostly is */
	if (access_err(dir_fd, name, R_OK | W_OK) != 0) {
		a->read = access_err(dir_fd, name, R_OK);
		a->write = access_err(dir_fd, name, W_OK);
	}
	/* (a node of mode 0000 left behind opens for nobody but root, and
	 * the next probe replaces it) */
	(void)unlinkat(dir_fd, name, 0);
	return 0;
}
