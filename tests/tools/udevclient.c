/* A real libudev client (systemd's libudev, from Debian's libudev-dev),
 * for the publishing tests.
 *
 *   udevclient monitor [-s SUBSYSTEM[/DEVTYPE]]... [-t TAG]... [-n COUNT]
 *                      [-w MS] [-r READYFILE] [-p]
 *       Prints one line per event received from the "udev" monitor:
 *       ACTION SUBSYSTEM DEVTYPE DEVNODE init=0|1 node=<what is at DEVNODE
 *       when the event arrives>, then with -p every property. READYFILE is
 *       created once the monitor listens. Stops after COUNT events or MS
 *       milliseconds of silence (default 3000).
 *   udevclient enumerate SUBSYSTEM [PROPERTY]...
 *       Prints SYSNAME DEVNODE init=0|1 tags=... links=... usec=0|1, then
 *       PROPERTY=value for each PROPERTY the device has, for every device
 *       of SUBSYSTEM. */
#define _GNU_SOURCE
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void node_state(const char *devnode, char *out, size_t n)
{
	struct stat st;

	if (devnode == NULL)
		snprintf(out, n, "none");
	else if (lstat(devnode, &st) < 0)
		snprintf(out, n, "missing");
	else
		snprintf(out, n, "%c%u:%u:%04o:%u:%u", S_ISBLK(st.st_mode) ? 'b' : S_ISCHR(st.st_mode) ? 'c' : '?',
			 major(st.st_rdev), minor(st.st_rdev), (unsigned)(st.st_mode & 07777),
			 (unsigned)st.st_uid, (unsigned)st.st_gid);
}

static void print_props(struct udev_device *d)
{
	struct udev_list_entry *e;

	udev_list_entry_foreach(e, udev_device_get_properties_list_entry(d))
		printf("  %s=%s\n", udev_list_entry_get_name(e), udev_list_entry_get_value(e));
}

static int monitor(int argc, char **argv)
{
	struct udev *u = udev_new();
	struct udev_monitor *m = udev_monitor_new_from_netlink(u, "udev");
	const char *ready = NULL;
	long count = -1, wait_ms = 3000;
	int props = 0, c;

	if (m == NULL) {
		perror("udev_monitor_new_from_netlink");
		return 1;
	}
	while ((c = getopt(argc, argv, "s:t:n:w:r:p")) != -1) {
		char *slash;
		switch (c) {
		case 's':
			slash = strchr(optarg, '/');
			if (slash)
				*slash++ = '\0';
			udev_monitor_filter_add_match_subsystem_devtype(m, optarg, slash);
			break;
		case 't':
			udev_monitor_filter_add_match_tag(m, optarg);
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 'w':
			wait_ms = atol(optarg);
			break;
		case 'r':
			ready = optarg;
			break;
		case 'p':
			props = 1;
			break;
		default:
			return 2;
		}
	}
	if (udev_monitor_enable_receiving(m) < 0) {
		perror("udev_monitor_enable_receiving");
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f)
			fclose(f);
	}
	struct pollfd p = { .fd = udev_monitor_get_fd(m), .events = POLLIN };
	while (count != 0 && poll(&p, 1, (int)wait_ms) > 0) {
		struct udev_device *d = udev_monitor_receive_device(m);
		char node[64];
		if (d == NULL)
			continue;
		/* first thing: what a client opening the node would find */
		node_state(udev_device_get_devnode(d), node, sizeof(node));
		const char *devtype = udev_device_get_devtype(d);
		const char *devnode = udev_device_get_devnode(d);
		printf("%s %s %s %s init=%d node=%s\n", udev_device_get_action(d),
		       udev_device_get_subsystem(d), devtype ? devtype : "-", devnode ? devnode : "-",
		       udev_device_get_is_initialized(d), node);
		if (props)
			print_props(d);
		fflush(stdout);
		udev_device_unref(d);
		if (count > 0)
			count--;
	}
	udev_monitor_unref(m);
	udev_unref(u);
	return 0;
}

static int enumerate(const char *subsystem, char **props, int nprops)
{
	struct udev *u = udev_new();
	struct udev_enumerate *e = udev_enumerate_new(u);
	struct udev_list_entry *l;

	udev_enumerate_add_match_subsystem(e, subsystem);
	udev_enumerate_scan_devices(e);
	udev_list_entry_foreach(l, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d = udev_device_new_from_syspath(u, udev_list_entry_get_name(l));
		struct udev_list_entry *t;
		if (d == NULL)
			continue;
		const char *devnode = udev_device_get_devnode(d);
		printf("%s %s init=%d tags=", udev_device_get_sysname(d), devnode ? devnode : "-",
		       udev_device_get_is_initialized(d));
		udev_list_entry_foreach(t, udev_device_get_tags_list_entry(d))
			printf(":%s", udev_list_entry_get_name(t));
		printf(" links=");
		udev_list_entry_foreach(t, udev_device_get_devlinks_list_entry(d))
			printf("%s,", udev_list_entry_get_name(t));
		printf(" usec=%llu\n", udev_device_get_usec_since_initialized(d) > 0 ? 1ULL : 0ULL);
		for (int i = 0; i < nprops; i++) {
			const char *v = udev_device_get_property_value(d, props[i]);
			if (v)
				printf("  %s=%s\n", props[i], v);
		}
		udev_device_unref(d);
	}
	udev_enumerate_unref(e);
	udev_unref(u);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "monitor") == 0)
		return monitor(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "enumerate") == 0)
		return enumerate(argv[2], argv + 3, argc - 3);
	fprintf(stderr, "usage: udevclient monitor [-s SUB[/TYPE]] [-t TAG] [-n N] [-w MS] [-r FILE] [-p]\n"
			"       udevclient enumerate SUBSYSTEM [PROPERTY]...\n");
	return 2;
}
