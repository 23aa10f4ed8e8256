/* loopctl: make a loop device appear or disappear for real, through
 * /dev/loop-control, so the kernel sends genuine add and remove uevents.
 *
 *   loopctl add [N]     LOOP_CTL_ADD (N, or the first free number): prints N
 *   loopctl remove N    LOOP_CTL_REMOVE
 *
 * CONTROL in the environment names another loop-control node. */
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("CONTROL") ? getenv("CONTROL") : "/dev/loop-control";
	int fd, n;

	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "remove")) ||
	    (argv[1][0] == 'r' && argc < 3)) {
		fprintf(stderr, "usage: loopctl add [N] | remove N\n");
		return 2;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (argv[1][0] == 'a') {
		n = argc > 2 ? atoi(argv[2]) : ioctl(fd, LOOP_CTL_GET_FREE);
		if (n >= 0 && argc > 2)
			n = ioctl(fd, LOOP_CTL_ADD, n);
	} else {
		n = ioctl(fd, LOOP_CTL_REMOVE, atoi(argv[2]));
	}
	if (n < 0) {
		perror("loopctl");
		return 1;
	}
	if (argv[1][0] == 'a')
		printf("%d\n", n);
	close(fd);
	return 0;
}
