#define _GNU_SOURCE
#include "enter.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t pidfd_pid(int pidfd)
{
	char path[64], *text = NULL, *p;
	size_t len;
	long pid = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if (read_file(path, &text, &len) < 0)
		return -1;
	p = strstr(text, "\nPid:");
	if (p)
		pid = strtol(p + 5, NULL, 10);
	free(text);
	return pid > 0 ? (pid_t)pid : -1;
}

int idmap_parse(struct idmap *map, const char *text)
{
	const char *p = text;
	int used;

	map->n = 0;
	while (*p) {
		unsigned long in, out, count;
		if (map->n == IDMAP_MAX ||
		    sscanf(p, " %lu %lu %lu%n", &in, &out, &count, &used) != 3)
			return -1;
		map->r[map->n].inner = in;
		map->r[map->n].outer = out;
		map->r[map->n].count = count;
		map->n++;
		p += used;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	return 0;
}

long idmap_to_host(const struct idmap *map, unsigned long id)
{
	for (unsigned i = 0; i < map->n; i++)
		if (id >= map->r[i].inner && id - map->r[i].inner < map->r[i].count)
			return (long)(map->r[i].outer + (id - map->r[i].inner));
	return -1;
}

static int read_map(pid_t pid, const char *which, struct idmap *map)
{
	char path[64], *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	if (read_file(path, &text, &len) < 0 || idmap_parse(map, text) < 0) {
		log_err("cannot read %s: %s", path, text ? "malformed" : strerror(errno));
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static bool same_ns(pid_t pid, const char *ns)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	if (stat(path, &a) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int pidfd_ns_owner(int pidfd, const char *ns, uid_t *uid)
{
	char path[64];
	pid_t pid = pidfd_pid(pidfd);
	int rc = -1;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	/* a user namespace has an owner; any other, the user namespace
	 * that owns it */
	int user = fd < 0 || strcmp(ns, "user") == 0 ? fd : ioctl(fd, NS_GET_USERNS);
	if (user >= 0)
		rc = ioctl(user, NS_GET_OWNER_UID, uid);
	if (user >= 0 && user != fd)
		close(user);
	if (fd >= 0)
		close(fd);
	/* the pid may have been reused meanwhile: the pidfd says */
	if (rc == 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

int target_open(struct target *t, int pidfd)
{
	char path[64];

	memset(t, 0, sizeof(*t));
	t->pidfd = pidfd;
	t->root_fd = -1;
	t->pid = pidfd_pid(pidfd);
	if (t->pid < 0) {
		log_err("not a process of our pid namespace (or it has exited)");
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int)t->pid);
	t->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->root_fd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (read_map(t->pid, "uid_map", &t->uids) < 0 || read_map(t->pid, "gid_map", &t->gids) < 0)
		return -1;
	t->userns = !same_ns(t->pid, "user");
	/* All of that was of this process only if it is still the one the
	 * pidfd holds (its pid cannot have been reused while it lives). */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		log_err("process %d exited while being attached", (int)t->pid);
		return -1;
	}
	return 0;
}

void target_close(struct target *t)
{
	if (t->root_fd >= 0)
		close(t->root_fd);
	t->root_fd = -1;
}

int detached_tmpfs(void)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);

	if (fs < 0) {
		log_err("cannot make a tmpfs for the container's nodes: fsopen: %s",
			strerror(errno));
		return -1;
	}
	int m = -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0700", 0) == 0 &&
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "1m", 0) == 0 &&
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID |
				 MOUNT_ATTR_NOEXEC);
	if (m < 0)
		log_err("cannot make a tmpfs for the container's nodes: %s", strerror(errno));
	close(fs);
	return m;
}

int target_enter(const struct target *t)
{
	if (setns(t->pidfd, CLONE_NEWNS | CLONE_NEWNET) < 0) {
		log_err("cannot enter the namespaces of process %d: %s", (int)t->pid,
			strerror(errno));
		return -1;
	}
	/* the namespace's root need not be the container's (chroot, or
	 * runc's --no-pivot): its init's is */
	if (fchdir(t->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		log_err("cannot enter the root of process %d: %s", (int)t->pid, strerror(errno));
		return -1;
	}
	return 0;
}

void target_fs_ids(const struct target *t, bool host)
{
	long uid = host || !t->userns ? 0 : idmap_to_host(&t->uids, 0);
	long gid = host || !t->userns ? 0 : idmap_to_host(&t->gids, 0);

	/* an unmapped root: nothing can be made there anyway */
	setfsgid((gid_t)(gid < 0 ? 65534 : gid));
	setfsuid((uid_t)(uid < 0 ? 65534 : uid));
}
