/* A scan costs, per device: the uevent file (openat, read, close), and
 * only when asked the subsystem link (readlinkat). The major and minor
 * come from the directory entry's name, so the "dev" attribute is never
 * read; getdents is shared by hundreds of entries. */
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
#include <sys/wait.h>
#include <unistd.h>

/* Symlinks followed resolving a path: real ones need one. */
#define LINKS_MAX 16

/* Removes the last component of PATH (LEN long); its new length. */
static size_t drop_last(char *path, size_t len)
{
	while (len > 0 && path[len - 1] != '/')
		len--;
	if (len > 0)
		len--;
	path[len] = '\0';
	return len;
}

/* Puts LINK in front of what is left of TODO (REST points into it). */
static int splice_link(char *todo, size_t size, const char *link, const char *rest)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s/%s", link, rest);

	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= size)
		return -1;
	memcpy(todo, tmp, (size_t)n + 1);
	return 0;
}

/* Appends the component S (N long) to OUT. */
static int push(char *out, size_t *len, size_t size, const char *s, size_t n)
{
	if (*len + n + 2 > size)
		return -1;
	if (*len > 0)
		out[(*len)++] = '/';
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

int sysfs_resolve(int sys_fd, const char *sysdir, char *out, size_t size)
{
	char todo[PATH_MAX], link[PATH_MAX];
	size_t len = 0;
	int links = 0;

	if (strlen(sysdir) >= sizeof(todo))
		return -1;
	strcpy(todo, sysdir);
	out[0] = '\0';
	for (const char *s = todo; *s != '\0';) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/"), at = len;
		if (n == 0 || (n == 1 && s[0] == '.')) {
			s += n;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (len == 0)
				return -1;
			len = drop_last(out, len);
			s += n;
			continue;
		}
		if (push(out, &len, size, s, n) < 0)
			return -1;
		s += n;
		/* The kernel's device tree has no symlinks in it: below
		 * devices/, asking costs a path walk per component for
		 * nothing (a coldplug entry needs just its own link read). */
		if (strncmp(out, "devices", 7) == 0 || strcmp(out, "dev") == 0 ||
		    strcmp(out, "dev/char") == 0 || strcmp(out, "dev/block") == 0)
			continue;
		ssize_t r = readlinkat(sys_fd, out, link, sizeof(link) - 1);
		if (r < 0) {
			if (errno == EINVAL)	/* a directory or file: keep it */
				continue;
			return -1;
		}
		link[r] = '\0';
		if (++links > LINKS_MAX || link[0] == '/' || splice_link(todo, sizeof(todo), link, s) < 0)
			return -1;
		len = at;
		out[len] = '\0';
		s = todo;
	}
	return len > 0 ? 0 : -1;
}

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

static int parse_num(const char **s, unsigned long max, int *out)
{
	unsigned long v = 0;
	const char *c = *s;

	if (*c < '0' || *c > '9')
		return -1;
	for (; *c >= '0' && *c <= '9'; c++)
		if ((v = v * 10 + (unsigned long)(*c - '0')) > max)
			return -1;
	*s = c;
	*out = (int)v;
	return 0;
}

/* "MAJ:MIN", optionally followed by a newline (the dev attribute). */
static int parse_devnum(const char *s, int *major, int *minor)
{
	if (parse_num(&s, 0xfff, major) < 0 || *s++ != ':' || parse_num(&s, 0xfffff, minor) < 0)
		return -1;
	return *s == '\0' || *s == '\n' ? 0 : -1;
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

struct lazy {
	int kindfd;
	const char *entry;
	struct uevent *ev;
	int tried;
};

/* SUBSYSTEM is the last component of the device's "subsystem" link. Read
 * only when a rule asks: most devices are decided by name alone, and this
 * saves a path walk per device. */
static const char *lazy_subsystem(void *arg, const char *key)
{
	struct lazy *l = arg;
	char path[NAME_MAX + 16], link[PATH_MAX];

	if (strcmp(key, "SUBSYSTEM") != 0 || l->tried)
		return NULL;
	l->tried = 1;
	snprintf(path, sizeof(path), "%s/subsystem", l->entry);
	ssize_t n = readlinkat(l->kindfd, path, link, sizeof(link) - 1);
	if (n <= 0)
		return NULL;
	link[n] = '\0';
	const char *slash = strrchr(link, '/');
	if (uevent_set(l->ev, "SUBSYSTEM", slash ? slash + 1 : link) < 0)
		return NULL;
	return uevent_get(l->ev, "SUBSYSTEM");
}

/* Where a walk is: worker W of N takes every Nth entry, counted across
 * every directory it lists, and hands each device to FN. */
struct walk {
	struct sysfs_scan *sc;
	sysfs_fn *fn;
	void *arg;
	unsigned long i;
	long count;
};

/* One device: a /sys/dev/<kind>/MAJ:MIN entry (DIR "dev/char"), or in the
 * fallback a class or bus entry (DIR "class/tty"), whose numbers are in
 * its "dev" attribute; an entry without one is no device node. */
static void scan_one(int kindfd, const char *dir, const char *entry, mode_t type,
		     struct walk *w, unsigned long index)
{
	char path[NAME_MAX + 16], buf[UEVENT_BUF_SIZE];
	struct uevent ev;
	struct lazy lazy = { .kindfd = kindfd, .entry = entry, .ev = &ev };
	struct device dev = {
		.ev = &ev, .type = type, .op = DEVOP_ADD,
		.lazy_get = lazy_subsystem, .lazy_arg = &lazy,
	};
	ssize_t n;

	/* Only dev/ names entries by number: class/bdi has "7:0" too */
	if (strncmp(dir, "dev/", 4) == 0) {
		if (parse_devnum(entry, &dev.major, &dev.minor) < 0)
			return;
	} else {
		snprintf(path, sizeof(path), "%s/dev", entry);
		if (read_small_at(kindfd, path, buf, 64) <= 0 ||
		    parse_devnum(buf, &dev.major, &dev.minor) < 0)
			return;
	}
	uevent_init(&ev);
	uevent_set(&ev, "ACTION", "add");
	snprintf(path, sizeof(path), "%s/uevent", entry);
	n = read_small_at(kindfd, path, buf, sizeof(buf));
	if (n < 0 || uevent_parse_lines(&ev, buf, (size_t)n) < 0) {
		log_warn("skipping %s: cannot read its uevent: %s", entry,
			 n < 0 ? strerror(errno) : "too many keys");
		w->sc->errors++;
		return;
	}
	/* what dev/block holds is of subsystem block: nothing to read */
	if (strcmp(dir, "dev/block") == 0 && uevent_set(&ev, "SUBSYSTEM", "block") == 0)
		dev.lazy_get = NULL;
	char sysdir[2 * NAME_MAX + 16];
	snprintf(sysdir, sizeof(sysdir), "%s/%s", dir, entry);
	dev.sysdir = sysdir;
	/* mdev -s falls back to the entry's own name, "MAJ:MIN". */
	dev.devname = uevent_get(&ev, "DEVNAME");
	if (dev.devname == NULL || *dev.devname == '\0')
		dev.devname = entry;
	w->fn(w->arg, &dev, index);
}

/* The entries of directory PATH (under the sysfs root) as devices of
 * TYPE. Each worker lists the directory itself: a getdents pass costs
 * less than handing names across. The number of entries, -1 when it
 * cannot be read. */
static long scan_dir(struct sysfs *s, const char *path, mode_t type, struct walk *w)
{
	long entries = 0;
	int fd = openat(s->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (struct dirent *de; (de = readdir(dir)) != NULL; ) {
		if (de->d_name[0] == '.')
			continue;
		entries++;
		unsigned long i = w->i++;
		if (i % w->sc->workers != w->sc->worker)
			continue;
		scan_one(fd, path, de->d_name, type, w, i);
		w->count++;
	}
	closedir(dir);
	return entries;
}

/* Each directory under PATH ("class", "bus") as devices of TYPE; for bus
 * its "devices" subdirectory. */
static void scan_tree(struct sysfs *s, const char *path, const char *sub, mode_t type,
		      const char *skip, struct walk *w)
{
	char dir[2 * NAME_MAX + 16];
	int fd = openat(s->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *de; (de = readdir(d)) != NULL; ) {
		if (de->d_name[0] == '.' || (skip && strcmp(de->d_name, skip) == 0))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s%s", path, de->d_name, sub);
		scan_dir(s, dir, type, w);
	}
	closedir(d);
}

/* dev/KIND lists every device with a node. Container engines may hide it
 * (podman masks /sys/dev/block with an empty mount): then the same
 * devices are found by class, and for char the bus devices too (USB
 * devices belong to no class). */
static long scan_kind(struct sysfs *s, const char *kind, mode_t type, struct walk *w)
{
	char path[32];
	bool block = type == S_IFBLK;

	snprintf(path, sizeof(path), "dev/%s", kind);
	long entries = scan_dir(s, path, type, w);
	if (entries > 0)
		return entries;
	if (w->sc->worker == 0)
		log_info("%s/%s is %s (masked by the container engine?): finding %s devices "
			 "through %s/class%s instead", s->path, path,
			 entries < 0 ? "unreadable" : "empty", kind, s->path,
			 block ? "/block" : " and bus");
	if (block)
		return scan_dir(s, "class/block", type, w);
	long before = w->count;
	scan_tree(s, "class", "", type, "block", w);
	scan_tree(s, "bus", "/devices", type, NULL, w);
	return w->count > before || entries == 0 ? 0 : -1;
}

long sysfs_scan(struct sysfs *s, struct sysfs_scan *sc, sysfs_fn *fn, void *arg)
{
	struct walk w = { .sc = sc, .fn = fn, .arg = arg };

	if (sc->workers == 0)
		sc->workers = 1;
	long c = scan_kind(s, "char", S_IFCHR, &w);
	long b = scan_kind(s, "block", S_IFBLK, &w);

	if (c < 0 && b < 0) {
		if (sc->worker == 0)
			log_warn("cannot read %s/dev/char or %s/dev/block: %s", s->path, s->path,
				 strerror(errno));
		sc->errors++;
		return -1;
	}
	return w.count;
}

long sysfs_modaliases(struct sysfs *s, void (*fn)(void *arg, const char *alias), void *arg)
{
	int busfd = openat(s->fd, "bus", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *buses = busfd >= 0 ? fdopendir(busfd) : NULL;
	struct dirent *b, *d;
	long n = 0;

	if (buses == NULL) {
		if (busfd >= 0)
			close(busfd);
		log_warn("cannot read %s/bus: %s", s->path, strerror(errno));
		return 0;
	}
	while ((b = readdir(buses)) != NULL) {
		char path[NAME_MAX + 16], alias[512];
		if (b->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/devices", b->d_name);
		int devfd = openat(busfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *devs = devfd >= 0 ? fdopendir(devfd) : NULL;
		if (devs == NULL) {
			if (devfd >= 0)
				close(devfd);
			continue;
		}
		while ((d = readdir(devs)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/modalias", d->d_name);
			ssize_t len = read_small_at(devfd, path, alias, sizeof(alias));
			if (len <= 0)
				continue;
			alias[strcspn(alias, "\n")] = '\0';
			if (alias[0]) {
				fn(arg, alias);
				n++;
			}
		}
		closedir(devs);
	}
	closedir(buses);
	return n;
}

int sysfs_device(struct sysfs *s, const char *path, sysfs_fn *fn, void *arg)
{
	char real[PATH_MAX], root[PATH_MAX], full[2 * PATH_MAX + 2], link[PATH_MAX];
	struct uevent ev;
	struct device dev;

	if (realpath(s->path, root) == NULL) {
		log_err("cannot resolve %s: %s", s->path, strerror(errno));
		return 1;
	}
	if (path[0] != '/')
		snprintf(full, sizeof(full), "%s/%s", root, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	/* /sys/class/tty/ttyUSB0 and the like are symlinks into devices/ */
	size_t n = strlen(root);
	if (realpath(full, real) == NULL || strncmp(real, root, n) != 0 || real[n] != '/') {
		log_err("%s: not a device under %s", path, s->path);
		return 1;
	}
	const char *devpath = real + n;
	uevent_init(&ev);
	uevent_set(&ev, "ACTION", "add");
	uevent_set(&ev, "DEVPATH", devpath);
	if (sysfs_read_uevent(s, devpath, &ev) < 0) {
		log_err("%s: no uevent file: not a device", path);
		return 1;
	}
	snprintf(full, sizeof(full), "%s/subsystem", devpath + 1);
	ssize_t l = readlinkat(s->fd, full, link, sizeof(link) - 1);
	if (l > 0) {
		link[l] = '\0';
		const char *slash = strrchr(link, '/');
		uevent_set(&ev, "SUBSYSTEM", slash ? slash + 1 : link);
	}
	device_from_uevent(&dev, &ev);
	fn(arg, &dev, 0);
	return 0;
}
