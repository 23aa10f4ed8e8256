/* devaccess [-o] PATH...: may this process read and write these device
 * nodes?  One line per PATH:
 *
 *   PATH ok          allowed
 *   PATH EPERM       refused (what a device cgroup, v1 or a v2 BPF
 *                    program, answers)
 *   PATH EACCES      refused by the file's mode (or an LSM)
 *   PATH ENOENT ...  any other errno, by name ("errno N" if unknown here)
 *
 * Default: faccessat(AT_FDCWD, PATH, R_OK | W_OK, AT_EACCESS), a pure
 * permission check that never opens the device (so it never wakes a
 * driver up: a block node whose device does not exist answers too).
 * With -o: open(PATH, O_RDWR | O_NONBLOCK | O_NOCTTY), then close; this
 * does reach the driver (ENXIO for a missing device, and opening a block
 * node may make the kernel create that device), so use it on harmless
 * nodes only (null, zero, full).
 *
 * Exit 0 whatever the answers; 2 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
	int no;
	const char *name;
} names[] = {
	{ EPERM, "EPERM" },	{ EACCES, "EACCES" },	{ ENOENT, "ENOENT" },
	{ ENXIO, "ENXIO" },	{ ENODEV, "ENODEV" },	{ EROFS, "EROFS" },
	{ ENOTDIR, "ENOTDIR" }, { ELOOP, "ELOOP" },	{ EBUSY, "EBUSY" },
	{ EIO, "EIO" },		{ EINVAL, "EINVAL" },	{ ENOMEM, "ENOMEM" },
	{ EAGAIN, "EAGAIN" },	{ ETXTBSY, "ETXTBSY" }, { EISDIR, "EISDIR" },
	{ ENAMETOOLONG, "ENAMETOOLONG" },		{ EFAULT, "EFAULT" },
	{ ESTALE, "ESTALE" },	{ EOPNOTSUPP, "EOPNOTSUPP" },
};

static void report(const char *path, int err)
{
	size_t i;

	if (err == 0) {
		printf("%s ok\n", path);
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].no == err) {
			printf("%s %s\n", path, names[i].name);
			return;
		}
	}
	printf("%s errno %d\n", path, err);
}

int main(int argc, char **argv)
{
	int i = 1, use_open = 0;

	if (i < argc && strcmp(argv[i], "-o") == 0) {
		use_open = 1;
		i++;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: devaccess [-o] PATH...\n");
		return 2;
	}
	for (; i < argc; i++) {
		int err = 0;

		if (use_open) {
			int fd = open(argv[i], O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			if (fd < 0)
				err = errno;
			else
				close(fd);
		} else if (faccessat(AT_FDCWD, argv[i], R_OK | W_OK, AT_EACCESS) != 0) {
			err = errno;
		}
		report(argv[i], err);
	}
	return 0;
}
