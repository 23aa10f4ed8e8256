/* nlrecv: print what arrives on NETLINK_KOBJECT_UEVENT multicast groups,
 * byte for byte, to check published events on the wire.
 *
 *   nlrecv GROUPMASK [-n COUNT] [-w MS] [-r READYFILE]
 *
 * One line per message: "pid=P groups=G uid=U len=N", then the payload
 * with every NUL shown as "\0" and other bytes outside 0x20..0x7e as
 * "\xNN". Stops after COUNT messages or MS milliseconds of silence. */
#define _GNU_SOURCE
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long count = -1, wait_ms = 3000;
	const char *ready = NULL;
	int c, on = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: nlrecv GROUPMASK [-n COUNT] [-w MS] [-r READYFILE]\n");
		return 2;
	}
	unsigned groups = (unsigned)strtoul(argv[1], NULL, 0);
	optind = 2;
	while ((c = getopt(argc, argv, "n:w:r:")) != -1) {
		if (c == 'n')
			count = atol(optarg);
		else if (c == 'w')
			wait_ms = atol(optarg);
		else if (c == 'r')
			ready = optarg;
		else
			return 2;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f)
			fclose(f);
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	static unsigned char buf[65536];
	char control[CMSG_SPACE(sizeof(struct ucred))];
	while (count != 0 && poll(&p, 1, (int)wait_ms) > 0) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = control,
				    .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(fd, &m, 0);
		if (n < 0)
			continue;
		int uid = -1;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS)
				uid = (int)((struct ucred *)CMSG_DATA(h))->uid;
		printf("pid=%u groups=%u uid=%d len=%zd\n", from.nl_pid, from.nl_groups, uid, n);
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == 0)
				fputs("\\0", stdout);
			else if (buf[i] < 0x20 || buf[i] > 0x7e || buf[i] == '\\')
				printf("\\x%02x", buf[i]);
			else
				putchar(buf[i]);
		}
		putchar('\n');
		fflush(stdout);
		if (count > 0)
			count--;
	}
	return 0;
}
