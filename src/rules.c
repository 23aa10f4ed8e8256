/* mdev.conf parsing and matching, with busybox mdev's semantics:
 * - a line is "match owner mode [rest]", split on blanks and tabs, the
 *   last field greedy; a trailing '\' joins the next line; lines whose
 *   first non-blank is '#' are comments;
 * - device-name and $VAR regexes must match the whole string (the first,
 *   leftmost-longest match must span it), ENV=regex; prefixes need only
 *   match somewhere in the value;
 * - after the last line comes an implicit "match anything root:root 0660".
 * Unlike busybox, a broken line is reported with file and line and skipped
 * at load time instead of aborting the event that first reaches it. */
#define _GNU_SOURCE
#include "rules.h"
#include "fileio.h"
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct ruleset *rs;
	struct idmaps *ids;
	const char *name;
	unsigned line;
};

__attribute__((format(printf, 2, 3)))
static void bad_line(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s:%u: %s; line ignored", p->name, p->line, msg);
	p->rs->errors++;
}

static void free_rule(struct rule *r)
{
	for (unsigned i = 0; i < r->nenv; i++) {
		free(r->env[i].name);
		free(r->env[i].inherited);
		regfree(&r->env[i].re);
	}
	free(r->env);
	free(r->envvar);
	free(r->envvar_inherited);
	if (r->kind == RULE_NAME || r->kind == RULE_ENVVAR) {
		regfree(&r->match.re);
		free(r->match.prefix);
	}
	free(r->move_to);
	free(r->cmd);
}

void rules_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free_rule(&rs->v[i]);
	free(rs->v);
	free(rs->path);
	memset(rs, 0, sizeof(*rs));
}

/* glibc's regcomp copies the subtree under every '+' and {m,n}: stacked
 * or nested repetitions multiply its memory ("null" and 20 '+' takes
 * 1.3 GB; found by fuzzing). Patterns that could grow beyond this many
 * copies are refused as the broken lines they are. */
#define REGEX_MAX_COPIES 4096

static bool too_repetitive(const char *pat)
{
	double copies = 1;

	for (const char *c = pat; *c; c++) {
		if (*c == '\\' && c[1]) {
			c++;
		} else if (*c == '[') {
			/* a bracket expression: "+" and "{" in it are literal */
			const char *end = c + 1;
			if (*end == '^')
				end++;
			if (*end == ']')
				end++;
			while (*end && *end != ']')
				end++;
			if (*end == '\0')
				break;
			c = end;
		} else if (*c == '+') {
			copies *= 2;
		} else if (*c == '{') {
			double bound = 0, v = 0;
			for (const char *d = c + 1; *d && *d != '}' && d < c + 16; d++) {
				v = *d >= '0' && *d <= '9' ? v * 10 + (*d - '0') : 0;
				if (v > bound)
					bound = v;
			}
			copies *= bound + 2;
		}
		if (copies > REGEX_MAX_COPIES)
			return true;
	}
	return false;
}

static int compile(struct parser *p, regex_t *re, const char *pattern)
{
	if (too_repetitive(pattern)) {
		bad_line(p, "regex '%s' repeats too much (nested or stacked + and {m,n} make the "
			 "regex library's memory grow exponentially)", pattern);
		return -1;
	}
	int rc = regcomp(re, pattern, REG_EXTENDED);

	if (rc != 0) {
		char err[256];
		regerror(rc, re, err, sizeof(err));
		bad_line(p, "bad regex '%s': %s", pattern, err);
		return -1;
	}
	return 0;
}

/* The literal characters every match must begin with. Stops at the first
 * special character; a character followed by a quantifier is not part of
 * the prefix because it may be optional or repeated. */
static void literal_prefix(struct rule_regex *m, const char *pat)
{
	static const char special[] = "\\^$.[]|()*+?{}";
	size_t n = 0;

	while (pat[n] && !strchr(special, pat[n]))
		n++;
	m->literal = pat[n] == '\0';
	if (!m->literal && n > 0 && strchr("*+?{", pat[n]))
		n--;
	/* "abc|xyz": an alternative need not start with the prefix. */
	if (strchr(pat, '|'))
		n = 0;
	m->prefix = strndup(pat, n);
	m->prefix_len = n;
	if (m->prefix == NULL)
		die("out of memory");
}

static int compile_match(struct parser *p, struct rule_regex *m, const char *pat)
{
	if (compile(p, &m->re, pat) < 0)
		return -1;
	literal_prefix(m, pat);
	m->any = strcmp(pat, ".*") == 0;
	return 0;
}

/* A shell-style variable name: what busybox's endofname() accepts. */
static size_t name_len(const char *s)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* NAME's value in devmgr's environment, kept with the rule: busybox
 * matches with getenv(), which walks the whole environment for each
 * condition of each rule and event (devmgr never changes its own). */
static char *inherited(const char *name)
{
	const char *v = name ? getenv(name) : NULL;

	return v ? xstrdup(v) : NULL;
}

/* "VAR=regex;VAR2=regex;..." conditions in front of the match field. */
static int parse_env_prefixes(struct parser *p, struct rule *r, char **field)
{
	char *val = *field;

	for (;;) {
		char *eq = strchr(val, '=');
		char *semi;

		if (eq == NULL || val + name_len(val) != eq || eq == val)
			break;
		semi = strchr(eq, ';');
		if (semi == NULL)
			break;
		struct envmatch *nv = realloc(r->env, (r->nenv + 1) * sizeof(*nv));
		if (nv == NULL)
			die("out of memory");
		r->env = nv;
		*semi = '\0';
		struct envmatch *e = &r->env[r->nenv];
		if (compile(p, &e->re, eq + 1) < 0)
			return -1;
		e->name = strndup(val, (size_t)(eq - val));
		e->inherited = inherited(e->name);
		r->nenv++;
		val = semi + 1;
	}
	*field = val;
	return 0;
}

static int parse_number(const char **s, unsigned *out)
{
	unsigned long v = 0;
	const char *c = *s;

	if (!isdigit((unsigned char)*c))
		return -1;
	while (isdigit((unsigned char)*c)) {
		v = v * 10 + (unsigned)(*c++ - '0');
		if (v > 0xfffffffUL)
			return -1;
	}
	*s = c;
	*out = (unsigned)v;
	return 0;
}

static int parse_majmin(struct parser *p, struct rule *r, const char *val)
{
	const char *s = val + 1;

	r->kind = RULE_MAJMIN;
	if (parse_number(&s, &r->maj) < 0 || *s++ != ',' || parse_number(&s, &r->min0) < 0)
		goto bad;
	r->min1 = r->min0;
	if (*s == '-') {
		s++;
		if (parse_number(&s, &r->min1) < 0 || r->min1 < r->min0)
			goto bad;
	}
	if (*s == '\0')
		return 0;
bad:
	bad_line(p, "bad '%s': expected @major,minor or @major,minor-minor2", val);
	return -1;
}

static int parse_match(struct parser *p, struct rule *r, char *val)
{
	r->keep_matching = val[0] == '-';
	val += r->keep_matching;
	if (parse_env_prefixes(p, r, &val) < 0)
		return -1;
	if (val[0] == '@')
		return parse_majmin(p, r, val);
	if (val[0] == '$') {
		char *eq = strchr(val, '=');
		if (eq == NULL || eq == val + 1) {
			bad_line(p, "bad '%s': expected $VARIABLE=regex", val);
			return -1;
		}
		r->kind = RULE_ENVVAR;
		r->envvar = strndup(val + 1, (size_t)(eq - val - 1));
		r->envvar_inherited = inherited(r->envvar);
		val = eq + 1;
	} else {
		r->kind = RULE_NAME;
	}
	if (compile_match(p, &r->match, val) < 0) {
		r->kind = RULE_DEFAULT;	/* nothing compiled to free */
		return -1;
	}
	return 0;
}

/* busybox get_uidgid(): "user[:group]", each a name or a number; a user
 * without a group takes the user's primary group. */
static int parse_owner(struct parser *p, struct rule *r, char *val)
{
	char *group = strchr(val, ':');
	const char *num;
	unsigned id;

	if (group)
		*group++ = '\0';
	num = val;
	if (parse_number(&num, &id) == 0 && *num == '\0') {
		r->uid = id;
		/* A number alone: that user's primary group when passwd knows
		 * the uid, else the same number (what busybox 1.35 does). */
		if (group == NULL && idmaps_user_gid(p->ids, id, &r->gid) < 0)
			r->gid = id;
	} else if (idmaps_user(p->ids, val, &r->uid, &r->gid) < 0) {
		bad_line(p, "unknown user '%s' (not in %s)", val, p->ids->passwd_path);
		return -1;
	}
	if (group == NULL)
		return 0;
	num = group;
	if (parse_number(&num, &id) == 0 && *num == '\0') {
		r->gid = id;
	} else if (*group == '\0' || idmaps_group(p->ids, group, &r->gid) < 0) {
		bad_line(p, "unknown group '%s' (not in %s)", group, p->ids->group_path);
		return -1;
	}
	return 0;
}

static int parse_mode(struct parser *p, struct rule *r, const char *val)
{
	unsigned long m = 0;

	for (const char *c = val; *c; c++) {
		if (*c < '0' || *c > '7' || m > 07777) {
			bad_line(p, "bad mode '%s': expected octal permissions like 0660", val);
			return -1;
		}
		m = m * 8 + (unsigned)(*c - '0');
	}
	if (m > 07777) {
		bad_line(p, "bad mode '%s': expected octal permissions like 0660", val);
		return -1;
	}
	r->mode = (mode_t)m;
	return 0;
}

/* The greedy 4th field: "[=path|>path|!] [@|$|*command]". */
static int parse_rest(struct parser *p, struct rule *r, char *val)
{
	if (val == NULL || *val == '\0')
		return 0;
	if (strchr("=>!", val[0])) {
		size_t n = strcspn(val, " \t");
		r->move = val[0];
		if (val[0] != '!') {
			r->move_to = strndup(val + 1, n - 1);
			if (n == 1) {
				bad_line(p, "'%c' needs a path", val[0]);
				return -1;
			}
		}
		val += n;
		val += strspn(val, " \t");
	}
	if (*val == '\0' || *val == '#')
		return 0;
	if (!strchr("@$*", val[0]) || val[1] == '\0') {
		bad_line(p, "bad field '%s': expected =path, >path, ! or @|$|*command", val);
		return -1;
	}
	r->cmd_when = val[0];
	r->cmd = xstrdup(val + 1);
	return 0;
}

/* Splits a logical line into at most 4 fields; the 4th keeps the rest. */
static unsigned split_fields(char *line, char *f[4])
{
	unsigned n = 0;

	while (*line && n < 4) {
		line += strspn(line, " \t");
		if (*line == '\0')
			break;
		f[n++] = line;
		if (n == 4)
			break;
		line += strcspn(line, " \t");
		if (*line)
			*line++ = '\0';
	}
	return n;
}

static void parse_line(struct parser *p, char *line)
{
	char *f[4] = { 0 };
	struct rule r;
	unsigned n;

	/* Trim; skip blank lines and comments. */
	line += strspn(line, " \t");
	size_t len = strlen(line);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (len == 0 || line[0] == '#')
		return;
	n = split_fields(line, f);
	if (n < 3) {
		bad_line(p, "%u field%s, at least 3 needed: <match> <user>:<group> <mode>",
			 n, n == 1 ? "" : "s");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.line = p->line;
	r.kind = RULE_DEFAULT;
	if (parse_match(p, &r, f[0]) < 0 || parse_owner(p, &r, f[1]) < 0 ||
	    parse_mode(p, &r, f[2]) < 0 || parse_rest(p, &r, f[3]) < 0) {
		free_rule(&r);
		return;
	}
	struct rule *nv = realloc(p->rs->v, (p->rs->n + 1) * sizeof(*nv));
	if (nv == NULL)
		die("out of memory");
	p->rs->v = nv;
	p->rs->v[p->rs->n++] = r;
}

int rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
		struct idmaps *ids)
{
	struct parser p = { .rs = rs, .ids = ids, .name = name };
	const char *end = text + len;
	char *logical = NULL;
	size_t llen = 0;
	unsigned start = 0;

	memset(rs, 0, sizeof(*rs));
	rs->path = xstrdup(name);
	for (const char *s = text; s < end; ) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		bool more;

		const char *next = nl ? nl + 1 : end;

		p.line++;
		if (llen == 0)
			start = p.line;
		if (memchr(s, '\0', n)) {
			/* The whole logical line goes: what a NUL hides is unknown. */
			bad_line(&p, "NUL byte in line");
			llen = 0;
			s = next;
			continue;
		}
		more = n > 0 && s[n - 1] == '\\';
		char *nb = realloc(logical, llen + n + 1);
		if (nb == NULL)
			die("out of memory");
		logical = nb;
		memcpy(logical + llen, s, n - more);
		llen += n - more;
		logical[llen] = '\0';
		s = next;
		if (more && s < end)
			continue;
		/* Errors name the line where the logical line starts. */
		unsigned last = p.line;
		p.line = start;
		parse_line(&p, logical);
		p.line = last;
		llen = 0;
	}
	free(logical);
	return 0;
}

/* Without a rule file busybox gives every node root:root 0660, and a
 * non-root program in a container then cannot open /dev/null. These are
 * the devices every engine makes world-usable; numeric ids, since a
 * scratch image may have no /etc/group. */
static const char builtin_rules[] =
	"null 0:0 0666\n"
	"zero 0:0 0666\n"
	"full 0:0 0666\n"
	"random 0:0 0666\n"
	"urandom 0:0 0666\n"
	"tty 0:0 0666\n"
	"ptmx 0:0 0666\n";

int rules_load(struct ruleset *rs, const char *path, struct idmaps *ids)
{
	char *text;
	size_t len;

	memset(rs, 0, sizeof(*rs));
	if (read_file(path, &text, &len) < 0) {
		if (errno == ENOENT) {
			char name[PATH_MAX + 32];
			snprintf(name, sizeof(name), "%s (missing: built-in rules)", path);
			rules_parse(rs, name, builtin_rules, sizeof(builtin_rules) - 1, ids);
			rs->builtin = true;
			return 0;
		}
		log_err("cannot read rules %s: %s", path, strerror(errno));
		return -1;
	}
	rules_parse(rs, path, text, len, ids);
	free(text);
	return 0;
}

/* INHERITED: NAME in devmgr's environment (inherited()) */
static const char *lookup(const struct match_input *in, const char *name, const char *inherited)
{
	const char *v = in->ev ? uevent_get(in->ev, name) : NULL;

	if (v == NULL && in->lazy_get)
		v = in->lazy_get(in->lazy_arg, name);
	/* busybox reads these with getenv(): the helper's inherited
	 * environment counts too. */
	return v ? v : inherited;
}

static bool env_ok(const struct rule *r, const struct match_input *in)
{
	for (unsigned i = 0; i < r->nenv; i++) {
		const char *v = lookup(in, r->env[i].name, r->env[i].inherited);
		if (v == NULL || regexec(&r->env[i].re, v, 0, NULL, 0) != 0)
			return false;
	}
	return true;
}

static bool whole_match(const struct rule_regex *m, const char *s, regmatch_t sub[RULE_NSUB])
{
	/* the first letter first: most rules are ruled out by it */
	if (m->prefix_len && (s[0] != m->prefix[0] || strncmp(s, m->prefix, m->prefix_len) != 0))
		return false;
	if (m->literal && s[m->prefix_len] != '\0')
		return false;
	if (m->any) {
		/* what regexec would say, without its cost on every device */
		memset(sub, 0xff, sizeof(regmatch_t) * RULE_NSUB);
		sub[0].rm_so = 0;
		sub[0].rm_eo = (regoff_t)strlen(s);
		return true;
	}
	if (regexec(&m->re, s, RULE_NSUB, sub, 0) != 0)
		return false;
	return sub[0].rm_so == 0 && (size_t)sub[0].rm_eo == strlen(s);
}

static const struct rule default_rule = {
	.kind = RULE_DEFAULT, .mode = 0660,
};

bool rules_next_match(const struct ruleset *rs, size_t *pos, const struct match_input *in,
		      struct match_result *out)
{
	for (; *pos < rs->n; (*pos)++) {
		const struct rule *r = &rs->v[*pos];

		if (!env_ok(r, in))
			continue;
		out->subject = in->devname;
		switch (r->kind) {
		case RULE_MAJMIN:
			if (in->major < 0 || (unsigned)in->major != r->maj ||
			    (unsigned)in->minor < r->min0 || (unsigned)in->minor > r->min1)
				continue;
			/* busybox zeroes the groups: %N expands to nothing */
			memset(out->sub, 0, sizeof(out->sub));
			break;
		case RULE_ENVVAR:
			out->subject = lookup(in, r->envvar, r->envvar_inherited);
			if (out->subject == NULL)
				continue;
			/* fall through */
		case RULE_NAME:
			if (!whole_match(&r->match, out->subject, out->sub))
				continue;
			break;
		case RULE_DEFAULT:
			break;
		}
		out->rule = r;
		(*pos)++;
		return true;
	}
	if (*pos == rs->n) {
		out->rule = &default_rule;
		out->subject = in->devname;
		memset(out->sub, 0xff, sizeof(out->sub));	/* no groups */
		(*pos)++;
		return true;
	}
	return false;
}

char *rules_expand_target(const struct match_result *m)
{
	const char *t = m->rule->move_to;
	size_t cap, n = 0;
	char *out;

	if (t == NULL)
		return NULL;
	cap = strlen(t) + 1;
	for (const char *c = t; *c; c++)
		if (*c == '%')
			cap += strlen(m->subject);
	out = xmalloc(cap);
	for (const char *c = t; *c; c++) {
		/* %0..%9 with a group that took part in the match; anything
		 * else after '%' stays literal, as in busybox. */
		if (c[0] == '%' && c[1] >= '0' && c[1] <= '9' && m->sub[c[1] - '0'].rm_so >= 0) {
			const regmatch_t *g = &m->sub[c[1] - '0'];
			size_t gl = (size_t)(g->rm_eo - g->rm_so);
			memcpy(out + n, m->subject + g->rm_so, gl);
			n += gl;
			c++;
			continue;
		}
		out[n++] = *c;
	}
	out[n] = '\0';
	return out;
}
