/* ueventfire: the storm half of tests/bench/storm.sh.
 *
 *   ueventfire PAIRS SENTINEL_UEVENT SENTINEL_NODE UEVENT...
 *
 * Writes "remove" then "add" PAIRS times to each UEVENT file (real devices'
 * sysfs uevent files: the kernel sends one event per write), then "add" to
 * SENTINEL_UEVENT, and waits until SENTINEL_NODE exists (the manager under
 * test handled everything before it, in kernel order). Prints:
 *   events=N fire_ms=F handle_ms=H
 * where F is the time to fire all events and H the time until the sentinel
 * node appeared, both from the first write. Gives up after 120 s. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc < 5) {
		fprintf(stderr, "usage: ueventfire PAIRS SENTINEL_UEVENT SENTINEL_NODE UEVENT...\n");
		return 2;
	}
	long pairs = atol(argv[1]);
	int ndev = argc - 4;
	int *fds = calloc((size_t)ndev, sizeof(int));
	for (int i = 0; i < ndev; i++)
		if ((fds[i] = open(argv[4 + i], O_WRONLY | O_CLOEXEC)) < 0) {
			perror(argv[4 + i]);
			return 1;
		}
	int sentinel = open(argv[2], O_WRONLY | O_CLOEXEC);
	if (sentinel < 0) {
		perror(argv[2]);
		return 1;
	}
	double t0 = now_ms();
	long events = 0;
	for (long p = 0; p < pairs; p++)
		for (int i = 0; i < ndev; i++) {
			if (pwrite(fds[i], "remove", 6, 0) != 6 || pwrite(fds[i], "add", 3, 0) != 3) {
				perror("write uevent");
				return 1;
			}
			events += 2;
		}
	if (pwrite(sentinel, "add", 3, 0) != 3) {
		perror("write sentinel");
		return 1;
	}
	double fired = now_ms();
	while (stat(argv[3], &st) != 0) {
		if (now_ms() - t0 > 120000) {
			printf("events=%ld fire_ms=%.1f handle_ms=timeout\n", events + 1, fired - t0);
			return 1;
		}
		usleep(200);
	}
	printf("events=%ld fire_ms=%.1f handle_ms=%.1f\n", events + 1, fired - t0, now_ms() - t0);
	return 0;
}
