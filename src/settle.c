/* "devmgr settle": waits until the daemon has handled every event the
 * kernel sent before the call, as scripts use "udevadm settle" for. It
 * asks the daemon through its control socket (control.h). */
#define _GNU_SOURCE
#include "control.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: devmgr settle [--timeout SECONDS] [--state DIR]\n"
		"  waits until the daemon has handled every uevent sent before the call\n"
		"  (default timeout 120 s; DIR: the daemon's [paths] state, /run/devmgr)\n");
	return 2;
}

/* The daemon's answer within TIMEOUT seconds into BUF; 0, or -1 when none
 * came (errno ETIMEDOUT) or the connection broke. */
static int ask(int fd, unsigned timeout, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout ? (int)(timeout * 1000) : -1);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	ssize_t n = r > 0 ? recv(fd, buf, len - 1, 0) : -1;
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* What the answer means for the caller. */
static int verdict(const char *answer, const char *path)
{
	unsigned n;

	if (strcmp(answer, "settled") == 0)
		return 0;
	if (sscanf(answer, "refused %u", &n) == 1) {
		log_err("settle: the dev root refuses changes: %u events wait to be tried again "
			"(the daemon's log says why)", n);
		return 1;
	}
	if (strcmp(answer, "busy") == 0) {
		log_err("settle: %s: too many callers wait already; try again", path);
		return 1;
	}
	log_err("settle: %s: unexpected answer \"%s\"", path, answer);
	return 1;
}

int settle_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = "/run/devmgr";
	unsigned long timeout = 120;
	char path[4096], answer[64], *end;
	int o;

	while ((o = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (o == 't') {
			timeout = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || timeout > 86400)
				return usage();
		} else if (o == 's') {
			state = optarg;
		} else {
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	snprintf(path, sizeof(path), "%s/control", state);
	int fd = control_connect(path);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED) {
			/* as udevadm settle without udevd: nothing to wait for */
			log_info("settle: no devmgr daemon listens at %s: nothing to wait for", path);
			return 0;
		}
		log_err("settle: cannot reach the daemon at %s: %s", path, strerror(e));
		return 1;
	}
	if (ask(fd, (unsigned)timeout, answer, sizeof(answer)) < 0) {
		int e = errno;
		close(fd);
		if (e == ETIMEDOUT)
			log_err("settle: timed out after %lu s: the daemon still handles events or "
				"runs their commands", timeout);
		else
			log_err("settle: %s: no answer: %s", path, strerror(e));
		return 1;
	}
	close(fd);
	return verdict(answer, path);
}
