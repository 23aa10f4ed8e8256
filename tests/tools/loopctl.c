/* loopctl: make a loop device appear or disappear for real, through
 * /dev/loop-control, so the kernel sends genuine add and remove uevents.
 *
 *   loopctl add [N]       LOOP_CTL_ADD (N, or the first free number): prints N
 *   loopctl remove N      LOOP_CTL_REMOVE
 *   loopctl add N-M       every number from N to M, in one process: a storm
 *   loopctl remove N-M    of distinct devices without a fork per device
 *
 * CONTROL in the environment names another loop-control node. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* N or N-M into [*lo, *hi]; -1 when it is neither */
static int range(const char *s, int *lo, int *hi)
{
	char *e;
	long a = strtol(s, &e, 10), b = a;

	if (e == s || a < 0)
		return -1;
	if (*e == '-') {
		const char *t = e + 1;
		b = strtol(t, &e, 10);
		if (e == t || b < a)
			return -1;
	}
	if (*e || b > 1 << 20)
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("CONTROL") ? getenv("CONTROL") : "/dev/loop-control";
	int fd, n = 0, lo = 0, hi = 0;
	int add = argc >= 2 && strcmp(argv[1], "add") == 0;

	if (argc < 2 || (!add && strcmp(argv[1], "remove")) || (!add && argc < 3) ||
	    (argc > 2 && range(argv[2], &lo, &hi) < 0)) {
		fprintf(stderr, "usage: loopctl add [N|N-M] | remove N|N-M\n");
		return 2;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (add && argc == 2) {
		lo = hi = ioctl(fd, LOOP_CTL_GET_FREE);
		if (lo < 0) {
			perror("loopctl: LOOP_CTL_GET_FREE");
			return 1;
		}
		printf("%d\n", lo);
		return 0;
	}
	for (int i = lo; i <= hi; i++) {
		n = ioctl(fd, add ? LOOP_CTL_ADD : LOOP_CTL_REMOVE, i);
		if (n < 0) {
			fprintf(stderr, "loopctl: %s loop%d: %s\n", argv[1], i, strerror(errno));
			return 1;
		}
		if (add && lo == hi)
			printf("%d\n", n);
	}
	close(fd);
	return 0;
}
