/* Coldplug costs, per device: the uevent file (openat, read, close), the
 * subsystem link (readlinkat), then mknodat and fchownat. The major and
 * minor come from the directory entry's name, so the "dev" attribute is
 * never read; getdents is shared by hundreds of entries. */
#define _GNU_SOURCE
#include "sysfs.h"
#include "fileio.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sysfs_open(struct sysfs *s, const char *path)
{
	s->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0) {
		log_err("cannot open sysfs %s: %s", path, strerror(errno));
		return -1;
	}
	s->path = xstrdup(path);
	return 0;
}

void sysfs_close(struct sysfs *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	s->fd = -1;
	s->path = NULL;
}

static int parse_devnum(const char *s, int *major, int *minor)
{
	unsigned ma, mi;
	char end;

	if (sscanf(s, "%u:%u%c", &ma, &mi, &end) < 2 || ma > 0xfff || mi > 0xfffff)
		return -1;
	*major = (int)ma;
	*minor = (int)mi;
	return 0;
}

static const char *relative(const char *devpath)
{
	while (*devpath == '/')
		devpath++;
	return *devpath ? devpath : ".";
}

int sysfs_read_devnum(struct sysfs *s, const char *devpath, int *major, int *minor)
{
	char path[PATH_MAX], buf[64];

	if ((size_t)snprintf(path, sizeof(path), "%s/dev", relative(devpath)) >= sizeof(path))
		return -1;
	if (read_small_at(s->fd, path, buf, sizeof(buf)) <= 0)
		return -1;
	return parse_devnum(buf, major, minor);
}

int sysfs_read_uevent(struct sysfs *s, const char *devpath, struct uevent *ev)
{
	char path[PATH_MAX], buf[UEVENT_BUF_SIZE];
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/uevent", relative(devpath)) >= sizeof(path))
		return -1;
	n = read_small_at(s->fd, path, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return uevent_parse_lines(ev, buf, (size_t)n);
}

/* One /sys/dev/<kind>/MAJ:MIN entry. */
static void coldplug_one(int kindfd, const char *entry, mode_t type, struct handler *h)
{
	char path[NAME_MAX + 16], buf[UEVENT_BUF_SIZE], link[PATH_MAX];
	struct uevent ev;
	struct device dev = { .ev = &ev, .type = type, .op = DEVOP_ADD };
	ssize_t n;

	if (parse_devnum(entry, &dev.major, &dev.minor) < 0)
		return;
	uevent_init(&ev);
	uevent_set(&ev, "ACTION", "add");
	snprintf(path, sizeof(path), "%s/subsystem", entry);
	n = readlinkat(kindfd, path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		const char *slash = strrchr(link, '/');
		uevent_set(&ev, "SUBSYSTEM", slash ? slash + 1 : link);
	}
	snprintf(path, sizeof(path), "%s/uevent", entry);
	n = read_small_at(kindfd, path, buf, sizeof(buf));
	if (n < 0 || uevent_parse_lines(&ev, buf, (size_t)n) < 0) {
		log_warn("skipping %s: cannot read its uevent: %s", entry,
			 n < 0 ? strerror(errno) : "too many keys");
		return;
	}
	/* mdev -s falls back to the entry's own name, "MAJ:MIN". */
	dev.devname = uevent_get(&ev, "DEVNAME");
	if (dev.devname == NULL || *dev.devname == '\0')
		dev.devname = entry;
	handle_device(h, &dev);
}

static long scan_kind(struct sysfs *s, const char *kind, mode_t type, struct handler *h)
{
	char path[32];
	long count = 0;

	snprintf(path, sizeof(path), "dev/%s", kind);
	int fd = openat(s->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot read %s/%s: %s", s->path, path, strerror(errno));
		return -1;
	}
	DIR *dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return -1;
	}
	for (struct dirent *de; (de = readdir(dir)) != NULL; ) {
		if (de->d_name[0] == '.')
			continue;
		coldplug_one(fd, de->d_name, type, h);
		count++;
	}
	closedir(dir);
	return count;
}

long sysfs_coldplug(struct sysfs *s, struct handler *h)
{
	long c = scan_kind(s, "char", S_IFCHR, h);
	long b = scan_kind(s, "block", S_IFBLK, h);

	if (c < 0 && b < 0)
		return -1;
	return (c > 0 ? c : 0) + (b > 0 ? b : 0);
}
