#define _GNU_SOURCE
/* Differences from busybox, on purpose: a remove event matches @major,minor
 * rules by the MAJOR/MINOR it carries (busybox cannot, so a renamed node
 * outlived its device), and removal only deletes a node of that number. */
#define _GNU_SOURCE
#include "hotplug.h"
#include "devnode.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* /dev/mdev.seq, when it exists, orders concurrent helpers by SEQNUM:
 * wait (up to 2 s, like mdev) until it holds our number, and after
 * handling store the next one. An empty file is seeded with ours. Returns
 * the file to update afterwards, or -1 when there is none or a later
 * helper already ran (its number must not be overwritten with ours). */
static int seq_wait(struct devroot *d, unsigned long seq)
{
	const struct timespec step = { 0, 10 * 1000 * 1000 };
	struct stat st, at;

	/* Looked at before it is opened: opening a device runs its driver
	 * (a watchdog renamed to mdev.seq would be armed), a FIFO would
	 * block. The open is checked to have found the same file. */
	if (fstatat(d->root.fd, "mdev.seq", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		log_warn("ignoring %s/mdev.seq: not a regular file", d->path);
		return -1;
	}
	int fd = openat(d->root.fd, "mdev.seq",
			O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &at) < 0 || at.st_dev != st.st_dev || at.st_ino != st.st_ino) {
		log_warn("ignoring %s/mdev.seq: it changed while it was opened", d->path);
		close(fd);
		return -1;
	}
	for (int waited = 0; waited < 200; waited++) {
		char buf[32];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			break;
		buf[n] = '\0';
		if (buf[0] == '\0' || buf[0] == '\n') {
			n = snprintf(buf, sizeof(buf), "%lu", seq);
			if (pwrite(fd, buf, (size_t)n, 0) < 0)
				log_warn("cannot seed %s/mdev.seq: %s", d->path, strerror(errno));
			break;
		}
		unsigned long cur = strtoul(buf, NULL, 10);
		if (cur == seq)
			break;
		if (cur > seq) {
			close(fd);
			return -1;
		}
		nanosleep(&step, NULL);
	}
	return fd;
}

static void seq_done(int fd, unsigned long seq)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lu", seq + 1);

	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) < 0)
		log_warn("cannot update mdev.seq: %s", strerror(errno));
	close(fd);
}

int hotplug_run(struct handler *h, struct sysfs *s, char *const *envp)
{
	struct uevent ev, sysev;
	struct device dev;

	if (uevent_from_environ(&ev, envp) < 0) {
		log_err("hotplug event too large");
		return 1;
	}
	const char *devpath = uevent_get(&ev, "DEVPATH");
	if (uevent_get(&ev, "ACTION") == NULL || devpath == NULL) {
		log_err("hotplug mode needs ACTION and DEVPATH in the environment");
		return 1;
	}
	device_from_uevent(&dev, &ev);
	/* As mdev: an add takes the numbers from sysfs (a device already gone
	 * gets no node), and a missing DEVNAME is looked for in sysfs before
	 * falling back to the kernel name. */
	if (dev.op == DEVOP_ADD && sysfs_read_devnum(s, devpath, &dev.major, &dev.minor) < 0)
		dev.major = dev.minor = -1;
	if (uevent_get(&ev, "DEVNAME") == NULL) {
		uevent_init(&sysev);
		if (sysfs_read_uevent(s, devpath, &sysev) == 0 && uevent_get(&sysev, "DEVNAME"))
			dev.devname = uevent_get(&sysev, "DEVNAME");
	}

	const char *seqstr = uevent_get(&ev, "SEQNUM");
	unsigned long seq = seqstr ? strtoul(seqstr, NULL, 10) : 0;
	int seqfd = seqstr ? seq_wait(h->x.dev, seq) : -1;
	/* Every event takes its turn in mdev.seq, even one handle_device()
	 * ignores (a firmware request's "remove"). */
	int rc = handle_device(h, &dev) < 0 ? 1 : 0;
	seq_done(seqfd, seq);
	return rc;
}
