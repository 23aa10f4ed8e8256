/* libblkid in a child with a time limit; its NAME=VALUE pairs mapped to
 * the properties udev's blkid builtin (systemd 252) gives. */
#define _GNU_SOURCE
#include "fsprobe.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_BLKID
#include <blkid.h>
#endif

/* All a probe says fits: a few dozen values of at most a few hundred
 * bytes each. More is cut at a pair's end. */
#define ANSWER_MAX 8192
/* A value's bytes used: a label is at most 255 (btrfs, XFS...), and
 * blkid_encode_string needs four output bytes an input byte and the
 * NUL (udev's own buffers are 256 bytes too). */
#define VALUE_MAX 256

void fsprobe_init(struct fsprobe *f, unsigned timeout_ms)
{
	memset(f, 0, sizeof(*f));
	f->timeout_ms = timeout_ms;
}

/* ---- The parent --------------------------------------------------- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

unsigned fsprobe_reap(struct fsprobe *f)
{
	unsigned k = 0;

	for (unsigned i = 0; i < f->nstuck; i++) {
		pid_t r = waitpid(f->stuck[i].pid, NULL, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR))
			f->stuck[k++] = f->stuck[i];
	}
	f->nstuck = k;
	return k;
}

void fsprobe_stop(struct fsprobe *f, unsigned wait_ms)
{
	long deadline = now_ms() + wait_ms;

	for (unsigned i = 0; i < f->nstuck; i++)
		kill(f->stuck[i].pid, SIGKILL);
	while (fsprobe_reap(f) > 0 && now_ms() < deadline)
		usleep(10000);
	for (unsigned i = 0; i < f->nstuck; i++)
		log_warn("blkid probe of %u:%u (pid %d) still waits for the device in the kernel; "
			 "it ends when the device answers or goes",
			 major(f->stuck[i].rdev), minor(f->stuck[i].rdev), (int)f->stuck[i].pid);
}

#ifdef HAVE_BLKID

/* ---- What the values are called ----------------------------------- */

enum how { RAW, SAFE_AND_ENC, ENC };

static const struct {
	const char *blkid, *udev;
	enum how how;
} names[] = {
	{ "TYPE", "ID_FS_TYPE", RAW },
	{ "USAGE", "ID_FS_USAGE", RAW },
	{ "VERSION", "ID_FS_VERSION", RAW },
	{ "UUID", "ID_FS_UUID", SAFE_AND_ENC },
	{ "UUID_SUB", "ID_FS_UUID_SUB", SAFE_AND_ENC },
	{ "LABEL", "ID_FS_LABEL", SAFE_AND_ENC },
	{ "PTTYPE", "ID_PART_TABLE_TYPE", RAW },
	{ "PTUUID", "ID_PART_TABLE_UUID", RAW },
	{ "PART_ENTRY_NAME", "ID_PART_ENTRY_NAME", ENC },
	{ "PART_ENTRY_TYPE", "ID_PART_ENTRY_TYPE", ENC },
	{ "SYSTEM_ID", "ID_FS_SYSTEM_ID", ENC },
	{ "PUBLISHER_ID", "ID_FS_PUBLISHER_ID", ENC },
	{ "APPLICATION_ID", "ID_FS_APPLICATION_ID", ENC },
	{ "BOOT_SYSTEM_ID", "ID_FS_BOOT_SYSTEM_ID", ENC },
};

/* Control characters would end a database line or a message: udev
 * passes these values as they are, which only a forged superblock
 * could make a problem. */
static void plain(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '_' : in[i];
	out[i] = '\0';
}

void fsprobe_map(const char *name, const char *value, struct devprops *p)
{
	char buf[4 * VALUE_MAX + 1], key[64];
	char in[VALUE_MAX];

	/* longer values are garbage; cut rather than dropped */
	snprintf(in, sizeof(in), "%s", value);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].blkid, name) != 0)
			continue;
		if (names[i].how == RAW) {
			plain(in, buf, sizeof(buf));
			devprops_set(p, names[i].udev, buf);
			return;
		}
		if (names[i].how == SAFE_AND_ENC) {
			blkid_safe_string(in, buf, sizeof(buf));
			devprops_set(p, names[i].udev, buf);
			snprintf(key, sizeof(key), "%s_ENC", names[i].udev);
		} else {
			snprintf(key, sizeof(key), "%s", names[i].udev);
		}
		if (blkid_encode_string(in, buf, sizeof(buf)) == 0)
			devprops_set(p, key, buf);
		return;
	}
	/* the partition's number, offset, size, disk, scheme, uuid, flags */
	if (strncmp(name, "PART_ENTRY_", 11) == 0 && strlen(name) < sizeof(key) - 3) {
		snprintf(key, sizeof(key), "ID_%s", name);
		plain(in, buf, sizeof(buf));
		devprops_set(p, key, buf);
	}
}
/* ---- The child ---------------------------------------------------- */

static void put(char *buf, size_t *len, const char *name, const char *data, size_t size)
{
	size_t n = strlen(name), v = strnlen(data, size);

	if (*len + n + v + 2 > ANSWER_MAX)
		return;
	memcpy(buf + *len, name, n + 1);
	memcpy(buf + *len + n + 1, data, v);
	buf[*len + n + 1 + v] = '\0';
	*len += n + v + 2;
}


/* Exits 0 with the pairs written to OUT, 1 when nothing was found, 2
 * when the device could not be opened or probed. */
static void child(int out, int dev_fd, const char *node, dev_t rdev)
{
	struct stat st;
	char buf[ANSWER_MAX];
	size_t len = 0;

	close_all_but((int[]){ out, dev_fd }, 2);
	int fd = openat(dev_fd, node, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != rdev)
		_exit(2);
	blkid_probe pr = blkid_new_probe();
	if (pr == NULL || blkid_probe_set_device(pr, fd, 0, 0) < 0)
		_exit(2);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE |
					  BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	/* safeprobe: two filesystems claiming the device is no answer */
	int rc = blkid_do_safeprobe(pr);
	if (rc != 0)
		_exit(rc == 1 || rc == -2 ? 1 : 2);
	int n = blkid_probe_numof_values(pr);
	for (int i = 0; i < n; i++) {
		const char *name, *data;
		size_t size;
		if (blkid_probe_get_value(pr, i, &name, &data, &size) == 0)
			put(buf, &len, name, data, size);
	}
	for (size_t done = 0; done < len; ) {
		ssize_t w = write(out, buf + done, len - done);
		if (w <= 0)
			_exit(2);
		done += (size_t)w;
	}
	_exit(0);
}

/* The child's answer into BUF, up to its end; -1 when time ran out. */
static int collect(int fd, unsigned timeout_ms, char *buf, size_t *len)
{
	long deadline = now_ms() + timeout_ms;

	*len = 0;
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0)
			return -1;
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t n = read(fd, buf + *len, ANSWER_MAX - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		*len += (size_t)n;
		if (*len == ANSWER_MAX)
			return 0;
	}
}

static bool stuck_on(const struct fsprobe *f, dev_t rdev)
{
	for (unsigned i = 0; i < f->nstuck; i++)
		if (f->stuck[i].rdev == rdev)
			return true;
	return false;
}

/* A child out of time: killed, and kept to be reaped later when the
 * kernel holds it in a read. */
static void give_up(struct fsprobe *f, pid_t pid, const char *node, dev_t rdev)
{
	f->timeouts++;
	kill(pid, SIGKILL);
	if (waitpid(pid, NULL, WNOHANG) == 0 && f->nstuck < FSPROBE_STUCK_MAX)
		f->stuck[f->nstuck++] = (struct fsprobe_stuck){ .pid = pid, .rdev = rdev };
	log_warn("%s: the device did not answer the filesystem probe within %u ms: no "
		 "ID_FS_* or disk/by-* names for it; not probed again until that read ends "
		 "([disks] timeout sets the limit)", node, f->timeout_ms);
}

static void map_answer(const char *buf, size_t len, struct devprops *p)
{
	for (size_t at = 0; at < len; ) {
		const char *name = buf + at;
		size_t n = strnlen(name, len - at);
		if (at + n + 1 >= len)
			break;
		const char *value = name + n + 1;
		size_t v = strnlen(value, len - at - n - 1);
		if (at + n + 1 + v >= len)
			break;
		fsprobe_map(name, value, p);
		at += n + v + 2;
	}
}

int fsprobe_device(struct fsprobe *f, int dev_fd, const char *node, dev_t rdev,
		   struct devprops *p)
{
	char buf[ANSWER_MAX];
	int fds[2], st = 0;
	size_t len;

	if (f->timeout_ms == 0)
		return -1;
	if (stuck_on(f, rdev) && fsprobe_reap(f) > 0 && stuck_on(f, rdev))
		return -1;
	if (f->nstuck == FSPROBE_STUCK_MAX && fsprobe_reap(f) == FSPROBE_STUCK_MAX) {
		log_debug("%s: not probed: %u probes still wait for their devices", node,
			  f->nstuck);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], dev_fd, node, rdev);
	}
	close(fds[1]);
	if (pid < 0) {
		log_warn("%s: cannot fork the filesystem probe: %s", node, strerror(errno));
		close(fds[0]);
		return -1;
	}
	f->probed++;
	int rc = collect(fds[0], f->timeout_ms, buf, &len);
	close(fds[0]);
	if (rc < 0) {
		give_up(f, pid, node, rdev);
		return -1;
	}
	/* it closed the pipe by exiting */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
		log_debug("%s: the filesystem probe could not read the device", node);
		return -1;
	}
	map_answer(buf, len, p);
	return WEXITSTATUS(st) == 0 && len > 0;
}

#else	/* built without libblkid: nothing is probed */

void fsprobe_map(const char *name, const char *value, struct devprops *p)
{
	(void)name;
	(void)value;
	(void)p;
}

int fsprobe_device(struct fsprobe *f, int dev_fd, const char *node, dev_t rdev,
		   struct devprops *p)
{
	(void)f;
	(void)dev_fd;
	(void)node;
	(void)rdev;
	(void)p;
	return -1;
}
#endif
