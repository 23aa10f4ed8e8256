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
}

void config_free(struct config *c)
{
	free(c->sys);
	free(c->dev);
	free(c->rules);
	free(c->etc);
	c->sys = c->dev = c->rules = c->etc = NULL;
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
