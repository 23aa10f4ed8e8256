#define _GNU_SOURCE
#include "hostconf.h"
#include "devbpf.h"
#include "devtree.h"
#include "policy.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hostconf_defaults(struct hostconf *h)
{
	memset(h, 0, sizeof(*h));
	h->socket = xstrdup("/run/devmgr-host.sock");
	h->sys = xstrdup("/sys");
	h->cgroup = xstrdup("/sys/fs/cgroup");
	h->cgroup2 = xstrdup(devbpf_default_root());
}

void hostconf_free(struct hostconf *h)
{
	free(h->socket);
	free(h->sys);
	free(h->cgroup);
	free(h->cgroup2);
	h->socket = h->sys = h->cgroup = h->cgroup2 = NULL;
	for (unsigned i = 0; i < h->n; i++)
		free(h->c[i].eff);
	for (unsigned i = 0; i < h->ngroups; i++)
		free(h->groups[i].eff);
	h->n = h->ngroups = 0;
}

/* "b 7:*", "c 188:3": type, major, and a minor or any. */
static const char *parse_numbers(struct grant *g, const char *v)
{
	char type, minor[16];
	int major, used = 0;

	if (sscanf(v, " %c %d:%15[0-9*]%n", &type, &major, minor, &used) != 3 ||
	    v[used] != '\0' || (type != 'b' && type != 'c') || major < 0)
		return "expected b|c MAJOR:MINOR (MINOR may be *)";
	g->kind = GRANT_NUMBERS;
	g->type = type;
	g->major = major;
	g->minor = strcmp(minor, "*") == 0 ? -1 : atoi(minor);
	if (strchr(minor, '*') && strcmp(minor, "*") != 0)
		return "a minor is a number or *";
	return NULL;
}

static const char *parse_usb(struct grant *g, const char *v)
{
	int used = 0;

	if (sscanf(v, "%4x:%4x%n", &g->vendor, &g->product, &used) != 2 || v[used] != '\0' ||
	    used != 9)
		return "expected VVVV:PPPP, four hex digits each (as lsusb shows them)";
	g->kind = GRANT_USB;
	return NULL;
}

/* After the selector: an access mode (of r, w, m; "-" denies), "inherit"
 * (given on to child groups and containers), a node name (/dev/...). */
static const char *parse_options(struct grant *g, char *opts)
{
	g->mode = POLICY_READ | POLICY_WRITE;
	for (char *save = NULL, *t = strtok_r(opts, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (strcmp(t, "inherit") == 0) {
			g->inherit = true;
		} else if (strcmp(t, "-") == 0) {
			g->mode = 0;
		} else if (t[strspn(t, "rwm")] == '\0') {
			g->mode = (strchr(t, 'r') ? POLICY_READ : 0) |
				  (strchr(t, 'w') ? POLICY_WRITE : 0) |
				  (strchr(t, 'm') ? POLICY_MKNOD : 0);
		} else if (strncmp(t, "/dev/", 5) == 0 && strlen(t) < sizeof(g->name)) {
			strcpy(g->name, t);
		} else {
			return "after the device: an access mode (r, w, m, or - to deny), inherit, "
			       "or a /dev/ name";
		}
	}
	return NULL;
}

static const char *parse_selector(struct grant *g, const char *key, const char *v)
{
	if (strcmp(key, "device") == 0)
		return parse_numbers(g, v);
	if (strcmp(key, "usb") == 0)
		return parse_usb(g, v);
	if (strlen(v) >= sizeof(g->text))
		return "too long";
	if (strcmp(key, "subsystem") == 0) {
		if (v[0] == '\0' || strchr(v, '/'))
			return "expected a subsystem name (block, tty, input...)";
		g->kind = GRANT_SUBSYSTEM;
	} else if (strcmp(key, "path") == 0) {
		if (strncmp(v, "/devices/", 9) != 0 || strstr(v, "/../") || strstr(v, "/./"))
			return "expected a sysfs device path under /devices/";
		g->kind = GRANT_PATH;
	} else {
		return "unknown setting (subsystem, device, usb or path)";
	}
	strcpy(g->text, v);
	return NULL;
}

static const char *parse_grant(struct grant *g, const char *key, const char *value)
{
	char v[512];
	/* the selector is one word, two for device (b 7:*) */
	size_t words = strcmp(key, "device") == 0 ? 2 : 1, n = 0;

	if (strlen(value) >= sizeof(v))
		return "too long";
	strcpy(v, value);
	for (size_t w = 0; w < words; w++) {
		n += strspn(v + n, " \t");
		n += strcspn(v + n, " \t");
	}
	char *opts = v + n;
	if (*opts)
		*opts++ = '\0';
	const char *why = parse_selector(g, key, v);
	return why ? why : parse_options(g, opts);
}

/* The section NAME is about: the last one of V[*N] when it is that one
 * still, else a new one. NULL, and WHY, when there is no room. */
static struct hostconf_container *section_of(struct hostconf_container *v, unsigned *n,
					     const char *name, unsigned line, const char **why)
{
	struct hostconf_container *c = *n ? &v[*n - 1] : NULL;

	if (c && c->line && strcmp(c->pattern, name) == 0)
		return c;
	if (*n == HOSTCONF_MAX_CONTAINERS) {
		*why = "too many sections of this kind";
		return NULL;
	}
	if (strlen(name) == 0 || strlen(name) >= sizeof(c->pattern)) {
		*why = "a section needs a name (a pattern, or a group's path) of under 128 bytes";
		return NULL;
	}
	c = &v[(*n)++];
	memset(c, 0, sizeof(*c));
	strcpy(c->pattern, name);
	c->line = line;
	return c;
}

/* "alice 1000 bob": names from the host's /etc/passwd, or numbers. */
static const char *parse_users(struct hostconf_container *c, const char *value)
{
	static char why[160];
	struct idmaps ids;
	char word[64];
	const char *err = NULL;
	int n;

	idmaps_init(&ids, "/etc");
	for (const char *s = value; err == NULL && sscanf(s, " %63s%n", word, &n) == 1; s += n) {
		char *end;
		unsigned long v = strtoul(word, &end, 10);
		uid_t uid;
		gid_t gid;
		if (*end == '\0' && end != word && v < 0xffffffffUL)
			uid = (uid_t)v;
		else if (idmaps_user(&ids, word, &uid, &gid) < 0) {
			snprintf(why, sizeof(why), "no user %s in /etc/passwd (a name or a number)",
				 word);
			err = why;
			break;
		}
		if (c->nusers == HOSTCONF_MAX_USERS)
			err = "too many users (16 at most)";
		else
			c->users[c->nusers++] = uid;
	}
	idmaps_free(&ids);
	if (err == NULL && c->nusers == 0)
		err = "expected user names or numbers";
	return err;
}

static const char *container_line(struct hostconf *h, const char *section, const char *key,
				  const char *value, unsigned line)
{
	bool group = strncmp(section, "group ", 6) == 0;
	const char *name = section + (group ? 6 : strlen("container "));
	const char *why = NULL;
	struct hostconf_container *c = group ? section_of(h->groups, &h->ngroups, name, line, &why)
					     : section_of(h->c, &h->n, name, line, &why);

	if (c == NULL)
		return why;
	if (group && !devtree_path_ok(name))
		return "a group is a path: /, /lab, /lab/ci (letters, digits, _ . -)";
	if (strcmp(key, "group") == 0) {
		if (group)
			return "a group's parent is in its path: [group /lab/ci] is in /lab";
		if (!devtree_path_ok(value) || strlen(value) >= sizeof(c->group))
			return "expected a group's path: /, /lab, /lab/ci";
		strcpy(c->group, value);
		return NULL;
	}
	if (strcmp(key, "users") == 0)
		return group ? "users = belongs in a [container] section" : parse_users(c, value);
	if (c->ngrants == HOSTCONF_MAX_GRANTS)
		return "too many lines in this section";
	struct grant *g = &c->grants[c->ngrants];
	memset(g, 0, sizeof(*g));
	why = parse_grant(g, key, value);
	if (why)
		return why;
	g->line = line;
	c->ngrants++;
	return NULL;
}

static const char *host_line(struct hostconf *h, const char *key, const char *value)
{
	char **slot = strcmp(key, "socket") == 0 ? &h->socket :
		      strcmp(key, "sys") == 0 ? &h->sys :
		      strcmp(key, "cgroup") == 0 ? &h->cgroup :
		      strcmp(key, "cgroup2") == 0 ? &h->cgroup2 : NULL;
	bool cg = slot == &h->cgroup || slot == &h->cgroup2;

	if (slot == NULL)
		return "unknown setting (socket, sys, cgroup, cgroup2)";
	if (value[0] != '/' && !(cg && strcmp(value, "no") == 0))
		return cg ? "must be an absolute path, or no" : "must be an absolute path";
	free(*slot);
	*slot = xstrdup(value);
	return NULL;
}

static const char *hostconf_setting(void *arg, const char *section, const char *key,
				    const char *value, unsigned line)
{
	struct hostconf *h = arg;

	if (strcmp(section, "host") == 0)
		return host_line(h, key, value);
	if (strncmp(section, "container ", 10) == 0 || strncmp(section, "group ", 6) == 0)
		return container_line(h, section, key, value, line);
	return "unknown section ([host], [group PATH] or [container NAME-PATTERN])";
}

int hostconf_load_tree(struct hostconf *h, const char *path, bool required, bool prune)
{
	if (ini_file_load(path, required, hostconf_setting, h) < 0)
		return -1;
	return devtree_resolve(h, path, prune);
}

int hostconf_load(struct hostconf *h, const char *path, bool required)
{
	return hostconf_load_tree(h, path, required, false);
}

const struct hostconf_container *hostconf_group(const struct hostconf *h, const char *path)
{
	for (unsigned i = 0; i < h->ngroups; i++)
		if (strcmp(h->groups[i].pattern, path) == 0)
			return &h->groups[i];
	return NULL;
}

const struct hostconf_container *hostconf_find(const struct hostconf *h, const char *name)
{
	for (unsigned i = 0; i < h->n; i++)
		if (fnmatch(h->c[i].pattern, name, 0) == 0)
			return &h->c[i];
	return NULL;
}

bool hostconf_user_may(const struct hostconf_container *c, uid_t uid)
{
	for (unsigned i = 0; uid != 0 && i < c->nusers; i++)
		if (c->users[i] == uid)
			return true;
	return uid == 0;
}

bool hostconf_has_users(const struct hostconf *h)
{
	for (unsigned i = 0; i < h->n; i++)
		if (h->c[i].nusers > 0)
			return true;
	return false;
}

static unsigned read_hex_at(int dirfd, const char *dir, const char *attr)
{
	char path[4096 + 32], buf[16];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	if (read_small_at(dirfd, path, buf, sizeof(buf)) <= 0)
		return 0x10000;		/* none: matches no grant */
	return (unsigned)strtoul(buf, NULL, 16);
}

/* The USB device at DEVPATH or above it, vendor and product. */
static bool usb_ancestor(int sys_fd, const char *devpath, const struct grant *g)
{
	char dir[4096];

	if (sys_fd < 0 || strlen(devpath) >= sizeof(dir) || strstr(devpath, ".."))
		return false;
	strcpy(dir, devpath[0] == '/' ? devpath + 1 : devpath);
	while (strchr(dir, '/')) {
		if (read_hex_at(sys_fd, dir, "idVendor") == g->vendor &&
		    read_hex_at(sys_fd, dir, "idProduct") == g->product)
			return true;
		*strrchr(dir, '/') = '\0';
	}
	return false;
}

static bool numbers_match(const struct grant *g, const struct uevent *ev)
{
	const char *maj = uevent_get(ev, "MAJOR"), *min = uevent_get(ev, "MINOR");
	const char *sub = uevent_get(ev, "SUBSYSTEM");
	char type = sub && strcmp(sub, "block") == 0 ? 'b' : 'c';

	if (maj == NULL || min == NULL || type != g->type || atoi(maj) != g->major)
		return false;
	return g->minor < 0 || atoi(min) == g->minor;
}

bool hostconf_grant_matches(const struct grant *g, int sys_fd, const struct uevent *ev)
{
	const char *sub = uevent_get(ev, "SUBSYSTEM"), *path = uevent_get(ev, "DEVPATH");
	size_t n;

	switch (g->kind) {
	case GRANT_SUBSYSTEM:
		return sub && strcmp(sub, g->text) == 0;
	case GRANT_NUMBERS:
		return numbers_match(g, ev);
	case GRANT_USB:
		return path && usb_ancestor(sys_fd, path, g);
	case GRANT_PATH:
		n = strlen(g->text);
		return path && strncmp(path, g->text, n) == 0 &&
		       (path[n] == '\0' || path[n] == '/' || g->text[n - 1] == '/');
	}
	return false;
}

unsigned hostconf_mode(const struct hostconf_container *c, int sys_fd, const struct uevent *ev,
		       unsigned *line)
{
	unsigned mode = 0, at = 0;

	/* what every grant that matches allows; one that denies decides */
	for (unsigned i = 0; i < c->neff; i++) {
		const struct grant *g = &c->eff[i].g;
		if (!hostconf_grant_matches(g, sys_fd, ev))
			continue;
		if (g->mode == 0) {
			mode = 0, at = g->line;
			break;
		}
		if (mode == 0)
			at = g->line;
		mode |= g->mode;
	}
	if (line)
		*line = at;
	return mode;
}

bool hostconf_grants(const struct hostconf_container *c, int sys_fd, const struct uevent *ev,
		     unsigned *line)
{
	return hostconf_mode(c, sys_fd, ev, line) != 0;
}
