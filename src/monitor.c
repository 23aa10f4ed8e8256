#define _GNU_SOURCE
#include "monitor.h"
#include "log.h"
#include "udevmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct source {
	const char *label;	/* KERNEL, UDEV, ZERO */
	unsigned groups;
	struct nl_sock *nl;
	int fd;
};

static int open_source(struct source *s)
{
	s->nl = nl_socket_alloc();
	if (s->nl == NULL)
		return -1;
	nl_socket_disable_seq_check(s->nl);
	nl_join_groups(s->nl, (int)s->groups);
	int err = nl_connect(s->nl, NETLINK_KOBJECT_UEVENT);
	if (err < 0) {
		fprintf(stderr, "devmgr monitor: cannot listen on netlink groups 0x%x: %s\n",
			s->groups, nl_geterror(err));
		nl_socket_free(s->nl);
		s->nl = NULL;
		return -1;
	}
	s->fd = nl_socket_get_fd(s->nl);
	int size = 16 * 1024 * 1024;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return 0;
}

/* The value of KEY in a KEY=VALUE\0 list. */
static const char *prop(const char *p, size_t len, const char *key)
{
	size_t k = strlen(key);

	for (const char *e = p; e < p + len; e += strlen(e) + 1)
		if (strncmp(e, key, k) == 0 && e[k] == '=')
			return e + k + 1;
	return NULL;
}

/* S as it may be shown on a terminal: whoever sends a message chooses
 * its bytes, and an escape sequence must not reach the screen. */
static void put(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void show(const char *label, const char *p, size_t len, bool props)
{
	struct timespec ts;
	const char *action = prop(p, len, "ACTION"), *devpath = prop(p, len, "DEVPATH");
	const char *sub = prop(p, len, "SUBSYSTEM");

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%-6s [%lld.%06ld] ", label, (long long)ts.tv_sec, ts.tv_nsec / 1000);
	put(action ? action : "?");
	printf("%*s ", action && strlen(action) < 8 ? (int)(8 - strlen(action)) : 0, "");
	put(devpath ? devpath : "?");
	printf(" (");
	put(sub ? sub : "?");
	printf(")\n");
	if (props) {
		for (const char *e = p; e < p + len; e += strlen(e) + 1)
			if (strchr(e, '=')) {
				put(e);
				putchar('\n');
			}
		printf("\n");
	}
	fflush(stdout);
}

/* One message: the kernel's ("ACTION@DEVPATH" first), systemd's libudev
 * format (a header), or the plain list of libudev-zero's group. */
static void on_message(const struct source *s, char *buf, size_t n, const struct sockaddr_nl *from,
		       bool props)
{
	char label[32];

	buf[n] = '\0';
	/* Only the kernel sends from port 0; a message sent to our port alone
	 * is nobody's event, and on the kernel's group anything else is a
	 * process pretending. They are shown for what they are. */
	if (from->nl_groups == 0) {
		snprintf(label, sizeof(label), "UNICAST from port %u", from->nl_pid);
		show(label, buf, n, props);
		return;
	}
	if (s->groups == 0x1 && from->nl_pid != 0) {
		snprintf(label, sizeof(label), "FORGED from port %u", from->nl_pid);
		show(label, buf, n, props);
		return;
	}
	if (n >= UDEVMSG_HEADER_SIZE && memcmp(buf, "libudev", 8) == 0) {
		uint32_t magic, off, len;
		memcpy(&magic, buf + 8, 4);
		memcpy(&off, buf + 16, 4);
		memcpy(&len, buf + 20, 4);
		if (ntohl(magic) != UDEVMSG_MAGIC || off > n || len > n - off)
			return;
		show(s->label, buf + off, len, props);
	} else if (from->nl_pid == 0 && strchr(buf, '@')) {
		size_t first = strlen(buf) + 1;
		if (first < n)
			show("KERNEL", buf + first, n - first, props);
	} else {
		show(s->label, buf, n, props);
	}
}

struct monitor_opts {
	bool kernel, udev, zero, props;
	unsigned udev_groups, zero_groups;
	long count;		/* messages to show; -1: no end */
};

/* -1 to go on, else monitor_main's exit status. */
static int parse_monitor_args(int argc, char **argv, struct monitor_opts *o)
{
	static const struct option opts[] = {
		{ "kernel", no_argument, 0, 'k' }, { "udev", no_argument, 0, 'u' },
		{ "zero", no_argument, 0, 'z' }, { "property", no_argument, 0, 'p' },
		{ "groups", required_argument, 0, 'g' }, { "count", required_argument, 0, 'n' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "kuzpg:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = true; break;
		case 'u': o->udev = true; break;
		case 'z': o->zero = true; break;
		case 'p': o->props = true; break;
		case 'g': o->udev_groups = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'n': o->count = atol(optarg); break;
		case 'h':
			printf("usage: devmgr monitor [--kernel] [--udev] [--zero] [--property] "
			       "[--groups MASK] [--count N]\n"
			       "  --kernel    the kernel's uevents (netlink group 0x1)\n"
			       "  --udev      events in systemd's libudev format (group 0x2, or MASK)\n"
			       "  --zero      events in libudev-zero's format (group 0x4)\n"
			       "  --property  every property too\n"
			       "With none of --kernel, --udev, --zero: the first two.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!o->kernel && !o->udev && !o->zero)
		o->kernel = o->udev = true;
	return -1;
}

/* The number of sources opened into src and p, or -1. */
static int open_sources(const struct monitor_opts *o, struct source src[3], struct pollfd p[3])
{
	int n = 0;

	if (o->kernel)
		src[n++] = (struct source){ .label = "KERNEL", .groups = 0x1 };
	if (o->udev)
		src[n++] = (struct source){ .label = "UDEV", .groups = o->udev_groups };
	if (o->zero)
		src[n++] = (struct source){ .label = "ZERO", .groups = o->zero_groups };
	for (int i = 0; i < n; i++) {
		if (open_source(&src[i]) < 0)
			return -1;
		p[i] = (struct pollfd){ .fd = src[i].fd, .events = POLLIN };
	}
	return n;
}

/* One message from S, to on_message; false when none could be read: that
 * does not count towards --count. */
static bool receive(const struct source *s, bool props)
{
	static char buf[65536];
	struct sockaddr_nl from;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t got = recvmsg(s->fd, &m, MSG_DONTWAIT);

	if (got < 0) {
		if (errno == ENOBUFS)
			printf("(the kernel dropped events: buffer full)\n");
		return false;
	}
	on_message(s, buf, (size_t)got, &from, props);
	return true;
}

/* Until COUNT messages were read (never, for -1); 1 if poll fails. */
static int follow(const struct source *src, struct pollfd *p, int n, long count, bool props)
{
	while (count != 0) {
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		for (int i = 0; i < n && count != 0; i++)
			if (p[i].revents && receive(&src[i], props) && count > 0)
				count--;
	}
	return 0;
}

int monitor_main(int argc, char **argv)
{
	struct monitor_opts o = { .udev_groups = 0x2, .zero_groups = 0x4, .count = -1 };
	struct source src[3];
	struct pollfd p[3];
	int n, rc = parse_monitor_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	n = open_sources(&o, src, p);
	if (n < 0)
		return 1;
	printf("monitoring:%s%s%s\n\n", o.kernel ? " kernel uevents (0x1)" : "",
	       o.udev ? " libudev-format events" : "", o.zero ? " libudev-zero events" : "");
	fflush(stdout);
	if (follow(src, p, n, o.count, o.props) != 0)
		return 1;
	for (int i = 0; i < n; i++)
		nl_socket_free(src[i].nl);
	return 0;
}
