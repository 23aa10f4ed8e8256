#include "config.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
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
	c->probe = 1;
	c->cmd_timeout = 30;
	c->firmware = xstrdup("/lib/firmware");
	c->firmware_load = 1;
	c->modules = -1;
	c->modules_root = c->modules_release = NULL;
	c->modules_dry_run = 0;
	c->links = 1;
	c->disk_probe = 1;
	c->disk_timeout_ms = 2000;
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

static const char *add_allow(struct config *c, const char *value)
{
	if (c->nallow == CONFIG_MAX_ALLOW)
		return "too many allow rules (at most 64)";
	const char *why = policy_parse_rule(value, &c->allow[c->nallow]);
	if (why == NULL)
		c->nallow++;
	return why;
}

/* "auto" (-1) is decided at start-up: only in the host's namespaces (see
 * context_modules). */
static const char *set_modules_load(struct config *c, const char *value)
{
	if (strcmp(value, "auto") == 0) {
		c->modules = -1;
		return NULL;
	}
	return set_bool(&c->modules, value);
}

/* The release becomes a directory name under lib/modules: it must not
 * climb out of it. */
static const char *set_release(struct config *c, const char *value)
{
	if (strchr(value, '/') || value[0] == '.' || value[0] == '\0')
		return "expected a kernel release such as 6.1.0-18-amd64";
	free(c->modules_release);
	c->modules_release = xstrdup(value);
	return NULL;
}

enum kind {
	K_PATH,		/* char * */
	K_BOOL,		/* int */
	K_UINT,		/* unsigned, decimal, min..max */
	K_INT,		/* int, decimal, min..max */
	K_GROUPS,	/* unsigned */
	K_CHOICE,	/* int: the index of the value in choices */
	K_FUNC,		/* set() */
};

/* One row per known key; every other (section, key) is an unknown
 * setting. */
struct key {
	const char *section, *key;
	enum kind kind;
	size_t offset;			/* of the field in struct config */
	unsigned long min, max;		/* K_UINT, K_INT */
	const char *const *choices;	/* K_CHOICE, NULL-terminated */
	const char *why;		/* K_UINT, K_INT, K_CHOICE: a refused value */
	const char *(*set)(struct config *c, const char *value);	/* K_FUNC */
};

/* Their order is log_level's numbering (LOG_LVL_*). */
static const char *const levels[] = { "error", "warning", "info", "debug", NULL };
static const char *const outside[] = { "skip", "node", NULL };

#define AT(field) .offset = offsetof(struct config, field)

static const struct key keys[] = {
	{ "paths", "sys", K_PATH, AT(sys) },
	{ "paths", "dev", K_PATH, AT(dev) },
	{ "paths", "rules", K_PATH, AT(rules) },
	{ "paths", "etc", K_PATH, AT(etc) },
	{ "paths", "run", K_PATH, AT(run) },
	{ "paths", "state", K_PATH, AT(state) },
	{ "commands", "timeout", K_UINT, AT(cmd_timeout), .max = 86400,
	  .why = "expected seconds from 0 (no limit) to 86400" },
	{ "modules", "load", K_FUNC, .set = set_modules_load },
	{ "modules", "root", K_PATH, AT(modules_root) },
	{ "modules", "release", K_FUNC, .set = set_release },
	{ "modules", "dry_run", K_BOOL, AT(modules_dry_run) },
	{ "links", "persistent", K_BOOL, AT(links) },
	{ "disks", "probe", K_BOOL, AT(disk_probe) },
	{ "disks", "timeout", K_UINT, AT(disk_timeout_ms), .min = 1, .max = 600000,
	  .why = "expected milliseconds from 1 to 600000" },
	{ "firmware", "dir", K_PATH, AT(firmware) },
	{ "firmware", "load", K_BOOL, AT(firmware_load) },
	{ "policy", "allow", K_FUNC, .set = add_allow },
	{ "policy", "outside", K_CHOICE, AT(outside_node), .choices = outside,
	  .why = "expected skip (no node, no command, no event) or node (a node only)" },
	{ "policy", "cgroup", K_PATH, AT(cgroup) },
	{ "policy", "probe", K_BOOL, AT(probe) },
	{ "publish", "udev", K_BOOL, AT(udev) },
	{ "publish", "udev_groups", K_GROUPS, AT(udev_groups) },
	{ "publish", "zero", K_BOOL, AT(zero) },
	{ "publish", "zero_groups", K_GROUPS, AT(zero_groups) },
	{ "publish", "database", K_BOOL, AT(database) },
	{ "publish", "ids", K_BOOL, AT(ids) },
	{ "publish", "tag", K_FUNC, .set = add_tag },
	{ "log", "level", K_CHOICE, AT(log_level), .choices = levels,
	  .why = "expected error, warning, info or debug" },
	{ "coldplug", "jobs", K_UINT, AT(jobs), .max = 16,
	  .why = "expected a number of processes from 0 (one per CPU) to 16" },
	{ "daemon", "rcvbuf", K_INT, AT(rcvbuf), .min = 4096, .max = 1UL << 30,
	  .why = "expected a size in bytes from 4096 to 1073741824" },
};

#undef AT

/* Digits only: strtoul would take a sign or leading blanks. */
static const char *set_number(void *slot, const struct key *k, const char *value)
{
	char *end;
	unsigned long n = strtoul(value, &end, 10);

	if (*value < '0' || *value > '9' || *end != '\0' || n < k->min || n > k->max)
		return k->why;
	if (k->kind == K_INT)
		*(int *)slot = (int)n;
	else
		*(unsigned *)slot = (unsigned)n;
	return NULL;
}

static const char *set_choice(int *slot, const struct key *k, const char *value)
{
	for (int i = 0; k->choices[i]; i++)
		if (strcmp(value, k->choices[i]) == 0) {
			*slot = i;
			return NULL;
		}
	return k->why;
}

const char *config_set(struct config *c, const char *section, const char *key, const char *value)
{
	const struct key *k = NULL;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && k == NULL; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			k = &keys[i];
	if (k == NULL)
		return "unknown setting";

	void *slot = (char *)c + k->offset;
	switch (k->kind) {
	case K_PATH:
		return set_path(slot, value);
	case K_BOOL:
		return set_bool(slot, value);
	case K_UINT:
	case K_INT:
		return set_number(slot, k, value);
	case K_GROUPS:
		return set_groups(slot, value);
	case K_CHOICE:
		return set_choice(slot, k, value);
	case K_FUNC:
		break;
	}
	return k->set(c, value);
}

struct reader {
	FILE *f;
	const char *path;
	unsigned line;
	int errors;
	ini_setting_fn *fn;
	void *arg;
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
	const char *why = r->fn(r->arg, section, key, value, r->line);

	if (why) {
		log_err("%s:%u: [%s] %s = %s: %s", r->path, r->line, section, key, value, why);
		r->errors++;
	}
	return 1;	/* keep going: report every bad line at once */
}

int ini_file_load(const char *path, bool required, ini_setting_fn *fn, void *arg)
{
	struct reader r = { .path = path, .fn = fn, .arg = arg };
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

static const char *config_setting(void *arg, const char *section, const char *key,
				  const char *value, unsigned line)
{
	(void)line;
	return config_set(arg, section, key, value);
}

int config_load(struct config *c, const char *path, int required)
{
	return ini_file_load(path, required, config_setting, c);
}
