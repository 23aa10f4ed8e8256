#include "config.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *c)
{
	c->sys = xstrdup("/sys");
	c->dev = xstrdup("/dev");
	c->rules = xstrdup("/etc/mdev.conf");
	c->etc = xstrdup("/etc");
	c->log_level = LOG_LVL_WARN;
	c->jobs = 0;
	c->rcvbuf = 128 * 1024 * 1024;
	c->run = xstrdup("/run/udev");
	c->state = xstrdup("/run/devmgr");
	c->udev = c->zero = c->database = c->ids = 1;
	c->udev_groups = 0x2;	/* what systemd-udevd sends on */
	c->zero_groups = 0x4;	/* what libudev-zero listens on */
	c->ntags = 0;
	c->nallow = 0;
	c->outside_node = 0;
	c->cgroup = xstrdup("/sys/fs/cgroup");
	c->cmd_timeout = 30;
	c->firmware = xstrdup("/lib/firmware");
	c->firmware_load = 1;
	c->modules = -1;
	c->modules_root = c->modules_release = NULL;
	c->modules_dry_run = 0;
	c->links = 1;
}

void config_free(struct config *c)
{
	free(c->sys);
	free(c->dev);
	free(c->rules);
	free(c->etc);
	free(c->run);
	free(c->state);
	free(c->cgroup);
	free(c->firmware);
	free(c->modules_root);
	free(c->modules_release);
	c->modules_root = c->modules_release = NULL;
	c->sys = c->dev = c->rules = c->etc = c->run = c->state = c->cgroup = c->firmware = NULL;
	for (unsigned i = 0; i < c->ntags; i++) {
		free(c->tags[i].subsystem);
		free(c->tags[i].tag);
	}
	c->ntags = 0;
}

static const char *const levels[] = { "error", "warning", "info", "debug" };

static const char *set_path(char **slot, const char *value)
{
	if (value[0] != '/')
		return "must be an absolute path";
	free(*slot);
	*slot = xstrdup(value);
	return NULL;
}

static const char *set_bool(int *slot, const char *value)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
		*slot = 1;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*slot = 0;
	else
		return "expected yes or no";
	return NULL;
}

/* Netlink multicast groups as a socket's nl_groups mask: 0x2 is where
 * systemd-udevd's clients listen, 0x4 libudev-zero's; 0x1 is the
 * kernel's own and is refused, clients would take our events for raw
 * kernel ones. */
static const char *set_groups(unsigned *slot, const char *value)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(value, &end, 0);

	if (*value < '0' || *value > '9' || *end != '\0' || errno || n > 0xffffffffUL)
		return "expected a netlink group mask such as 0x2 (0: none)";
	if (n & 1)
		return "group 0x1 is the kernel's: publishing there would forge kernel events";
	*slot = (unsigned)n;
	return NULL;
}

/* "SUBSYSTEM TAG": devices of SUBSYSTEM carry TAG, as udev's rules tag
 * them (clients filter on tags, e.g. "seat"). */
static const char *add_tag(struct config *c, const char *value)
{
	char sub[64], tag[64], extra;

	if (sscanf(value, "%63s %63s %c", sub, tag, &extra) != 2)
		return "expected SUBSYSTEM TAG";
	if (strpbrk(tag, ":/ ") || strcmp(tag, ".") == 0 || strcmp(tag, "..") == 0)
		return "a tag cannot contain ':', '/' or spaces";
	if (c->ntags == CONFIG_MAX_TAGS)
		return "too many tags (at most 16)";
	c->tags[c->ntags].subsystem = xstrdup(sub);
	c->tags[c->ntags].tag = xstrdup(tag);
	c->ntags++;
	return NULL;
}

const char *config_set(struct config *c, const char *section, const char *key, const char *value)
{
	if (strcmp(section, "paths") == 0) {
		if (strcmp(key, "sys") == 0)
			return set_path(&c->sys, value);
		if (strcmp(key, "dev") == 0)
			return set_path(&c->dev, value);
		if (strcmp(key, "rules") == 0)
			return set_path(&c->rules, value);
		if (strcmp(key, "etc") == 0)
			return set_path(&c->etc, value);
		if (strcmp(key, "run") == 0)
			return set_path(&c->run, value);
		if (strcmp(key, "state") == 0)
			return set_path(&c->state, value);
	} else if (strcmp(section, "commands") == 0 && strcmp(key, "timeout") == 0) {
		char *end;
		unsigned long n = strtoul(value, &end, 10);
		if (*value < '0' || *value > '9' || *end != '\0' || n > 86400)
			return "expected seconds from 0 (no limit) to 86400";
		c->cmd_timeout = (unsigned)n;
		return NULL;
	} else if (strcmp(section, "modules") == 0) {
		if (strcmp(key, "load") == 0) {
			if (strcmp(value, "auto") == 0) {
				c->modules = -1;
				return NULL;
			}
			return set_bool(&c->modules, value);
		}
		if (strcmp(key, "root") == 0)
			return set_path(&c->modules_root, value);
		if (strcmp(key, "release") == 0) {
			if (strchr(value, '/') || value[0] == '.' || value[0] == '\0')
				return "expected a kernel release such as 6.1.0-18-amd64";
			free(c->modules_release);
			c->modules_release = xstrdup(value);
			return NULL;
		}
		if (strcmp(key, "dry_run") == 0)
			return set_bool(&c->modules_dry_run, value);
	} else if (strcmp(section, "links") == 0 && strcmp(key, "persistent") == 0) {
		return set_bool(&c->links, value);
	} else if (strcmp(section, "firmware") == 0) {
		if (strcmp(key, "dir") == 0)
			return set_path(&c->firmware, value);
		if (strcmp(key, "load") == 0)
			return set_bool(&c->firmware_load, value);
	} else if (strcmp(section, "policy") == 0) {
		if (strcmp(key, "allow") == 0) {
			if (c->nallow == CONFIG_MAX_ALLOW)
				return "too many allow rules (at most 64)";
			const char *why = policy_parse_rule(value, &c->allow[c->nallow]);
			if (why == NULL)
				c->nallow++;
			return why;
		}
		if (strcmp(key, "outside") == 0) {
			if (strcmp(value, "skip") == 0)
				c->outside_node = 0;
			else if (strcmp(value, "node") == 0)
				c->outside_node = 1;
			else
				return "expected skip (no node, no command, no event) or node (a node only)";
			return NULL;
		}
		if (strcmp(key, "cgroup") == 0)
			return set_path(&c->cgroup, value);
	} else if (strcmp(section, "publish") == 0) {
		if (strcmp(key, "udev") == 0)
			return set_bool(&c->udev, value);
		if (strcmp(key, "udev_groups") == 0)
			return set_groups(&c->udev_groups, value);
		if (strcmp(key, "zero") == 0)
			return set_bool(&c->zero, value);
		if (strcmp(key, "zero_groups") == 0)
			return set_groups(&c->zero_groups, value);
		if (strcmp(key, "database") == 0)
			return set_bool(&c->database, value);
		if (strcmp(key, "ids") == 0)
			return set_bool(&c->ids, value);
		if (strcmp(key, "tag") == 0)
			return add_tag(c, value);
	} else if (strcmp(section, "log") == 0 && strcmp(key, "level") == 0) {
		for (int i = 0; i < (int)(sizeof(levels) / sizeof(levels[0])); i++)
			if (strcmp(value, levels[i]) == 0) {
				c->log_level = i;
				return NULL;
			}
		return "expected error, warning, info or debug";
	} else if (strcmp(section, "coldplug") == 0 && strcmp(key, "jobs") == 0) {
		char *end;
		unsigned long n = strtoul(value, &end, 10);
		if (*value < '0' || *value > '9' || *end != '\0' || n > 16)
			return "expected a number of processes from 0 (one per CPU) to 16";
		c->jobs = (unsigned)n;
		return NULL;
	} else if (strcmp(section, "daemon") == 0 && strcmp(key, "rcvbuf") == 0) {
		char *end;
		unsigned long n = strtoul(value, &end, 10);
		if (*value < '0' || *value > '9' || *end != '\0' || n < 4096 || n > 1UL << 30)
			return "expected a size in bytes from 4096 to 1073741824";
		c->rcvbuf = (int)n;
		return NULL;
	}
	return "unknown setting";
}

struct reader {
	FILE *f;
	const char *path;
	unsigned line;
	int errors;
	struct config *c;
};

/* inih reads through this so the handler knows the current line number
 * (Debian's libinih is built without INI_HANDLER_LINENO). */
static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *s = fgets(str, num, r->f);

	if (s)
		r->line++;
	return s;
}

static int on_setting(void *user, const char *section, const char *key, const char *value)
{
	struct reader *r = user;
	const char *why = config_set(r->c, section, key, value);

	if (why) {
		log_err("%s:%u: [%s] %s = %s: %s", r->path, r->line, section, key, value, why);
		r->errors++;
	}
	return 1;	/* keep going: report every bad line at once */
}

int config_load(struct config *c, const char *path, int required)
{
	struct reader r = { .path = path, .c = c };
	int rc;

	r.f = fopen(path, "re");
	if (r.f == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		log_err("cannot read config %s: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(read_line, &r, on_setting, &r);
	fclose(r.f);
	if (rc < 0) {
		log_err("cannot parse config %s: out of memory", path);
		r.errors++;
	} else if (rc > 0) {
		/* inih's own syntax error (no '=', unclosed section); it only
		 * tells the first one. */
		log_err("%s:%d: syntax error: expected [section] or key = value", path, rc);
		r.errors++;
	}
	return r.errors ? -1 : 0;
}
