#define _GNU_SOURCE
#include "devcgroup.h"
#include "fileio.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *devcg_v1_path(char *text)
{
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		char *save = NULL;
		for (char *ctl = strtok_r(c1 + 1, ",", &save); ctl; ctl = strtok_r(NULL, ",", &save))
			if (strcmp(ctl, "devices") == 0)
				return c2 + 1;
	}
	return NULL;
}

const char *devcg_v2_path(char *text)
{
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "0::", 3) == 0)
			return line + 3;
	}
	return NULL;
}

int devcg_open(struct devcg *g, pid_t pid, const char *root, char *why, size_t whysize)
{
	char path[64], *text = NULL;
	size_t len;

	g->fd = -1;
	snprintf(g->path, sizeof(g->path), "(the devices cgroup of pid %ld)", (long)pid);
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if (read_file(path, &text, &len) < 0) {
		snprintf(why, whysize, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	const char *own = devcg_v1_path(text);
	if (own == NULL) {
		snprintf(why, whysize, "no cgroup v1 devices controller in %s (cgroup v2: its BPF "
			 "device program is not changed yet)", path);
		free(text);
		return -1;
	}
	snprintf(g->path, sizeof(g->path), "%s/devices%s", root, own);
	free(text);
	/* the path is the kernel's; a cgroup directory holds no symlinks */
	g->fd = open(g->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (g->fd < 0) {
		snprintf(why, whysize, "cannot open %s: %s", g->path, strerror(errno));
		return -1;
	}
	return 0;
}

void devcg_close(struct devcg *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

bool devcg_line_covers(const char *line, char type, int major, int minor, unsigned *access)
{
	struct policy_rule r;

	if (policy_parse_rule(line, &r) != NULL)
		return false;
	if ((r.type != 'a' && r.type != type) || (r.major != -1 && r.major != major) ||
	    (r.minor != -1 && r.minor != minor))
		return false;
	*access = r.perms;
	return true;
}

int devcg_missing(const struct devcg *g, char type, int major, int minor, char *missing)
{
	char text[65536];
	ssize_t n = read_small_at(g->fd, "devices.list", text, sizeof(text));
	unsigned have = 0, a;

	if (n < 0)
		return -1;
	for (char *line = text, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (devcg_line_covers(line, type, major, minor, &a))
			have |= a;
	}
	size_t k = 0;
	if (!(have & POLICY_READ))
		missing[k++] = 'r';
	if (!(have & POLICY_WRITE))
		missing[k++] = 'w';
	missing[k] = '\0';
	return 0;
}

int devcg_write(const struct devcg *g, bool allow, char type, int major, int minor,
		const char *access)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "%c %d:%d %s", type, major, minor, access);
	int fd = openat(g->fd, allow ? "devices.allow" : "devices.deny",
			O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t w = write(fd, line, (size_t)len);
	int e = errno;
	close(fd);
	if (w != len) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}
