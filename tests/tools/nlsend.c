/* nlsend: send a uevent-shaped netlink message from user space, to test
 * that devmgr drops what the kernel did not send.
 *
 *   nlsend multicast GROUP KEY=VALUE...   to a multicast group (1: kernel's)
 *   nlsend unicast PORT KEY=VALUE...      to one socket's port id
 *
 * The message is "ACTION@DEVPATH\0KEY=VALUE\0..." like the kernel's, taken
 * from the ACTION and DEVPATH arguments. Needs CAP_NET_ADMIN to multicast. */
#define _GNU_SOURCE
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	size_t n = 0;
	const char *action = "add", *devpath = "/devices/forged";

	if (argc < 3 || (strcmp(argv[1], "multicast") && strcmp(argv[1], "unicast"))) {
		fprintf(stderr, "usage: nlsend multicast GROUP|unicast PORT KEY=VALUE...\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "ACTION=", 7) == 0)
			action = argv[i] + 7;
		if (strncmp(argv[i], "DEVPATH=", 8) == 0)
			devpath = argv[i] + 8;
	}
	n = (size_t)snprintf(buf, sizeof(buf), "%s@%s", action, devpath) + 1;
	for (int i = 3; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (n + l > sizeof(buf))
			return 2;
		memcpy(buf + n, argv[i], l);
		n += l;
	}
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	if (argv[1][0] == 'm')
		to.nl_groups = (unsigned)strtoul(argv[2], NULL, 0);
	else
		to.nl_pid = (unsigned)strtoul(argv[2], NULL, 0);
	if (fd < 0 || sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("nlsend");
		return 1;
	}
	close(fd);
	return 0;
}
