/* mdev.conf: parsed once into compiled rules; matched per event.
 *
 * Line grammar (busybox mdev):
 *   [-][ENV=regex;]... <regex | $ENVVAR=regex | @maj,min[-min2]>
 *       <user>:<group> <mode> [=path | >path | !] [@|$|*command]
 */
#ifndef DEVMGR_RULES_H
#define DEVMGR_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>

#include "passwd.h"
#include "uevent.h"

#define RULE_NSUB 10		/* %0..%9 */

struct envmatch {
	char *name;
	regex_t re;
	char *inherited;		/* getenv(name) at load */
};

/* A literal prefix every match must start with: lets most rules be
 * rejected with a memcmp instead of a regexec. */
struct rule_regex {
	regex_t re;
	char *prefix;
	size_t prefix_len;
	bool literal;		/* the whole pattern is the prefix */
	bool any;		/* the pattern is ".*": matches every string */
};

enum rule_kind { RULE_NAME, RULE_ENVVAR, RULE_MAJMIN, RULE_DEFAULT };

struct rule {
	unsigned line;
	enum rule_kind kind;
	bool keep_matching;
	struct envmatch *env;
	unsigned nenv;
	char *envvar;			/* RULE_ENVVAR */
	char *envvar_inherited;		/* getenv(envvar) at load */
	struct rule_regex match;	/* RULE_NAME, RULE_ENVVAR */
	unsigned maj, min0, min1;	/* RULE_MAJMIN */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	char move;			/* 0, '=', '>' or '!' */
	char *move_to;			/* text after = or > */
	char cmd_when;			/* 0, '@' add, '$' remove, '*' both */
	char *cmd;
};

struct ruleset {
	char *path;
	struct rule *v;
	size_t n;
	unsigned errors;		/* lines reported and skipped */
	bool builtin;			/* no file: the container defaults */
};

/* Loads PATH. A missing file gives the built-in rules: null, zero, full,
 * random, urandom, tty and ptmx 0:0 0666, every other device the default
 * rule as with mdev; other open errors return -1. Broken lines are
 * reported as "PATH:LINE: reason" and skipped. */
int rules_load(struct ruleset *rs, const char *path, struct idmaps *ids);
/* Same, from text in memory (tests, fuzzers). */
int rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
		struct idmaps *ids);
void rules_free(struct ruleset *rs);

/* What the device is, for matching. */
struct match_input {
	const char *devname;		/* name matched by plain regex rules */
	int major, minor;		/* -1 when unknown */
	const struct uevent *ev;	/* $VAR and VAR=; lookups */
	/* For a key the event lacks, before the environment is asked: lets
	 * coldplug read SUBSYSTEM from sysfs only when a rule needs it. */
	const char *(*lazy_get)(void *arg, const char *key);
	void *lazy_arg;
};

struct match_result {
	const struct rule *rule;
	const char *subject;		/* string the regex matched, for %N */
	regmatch_t sub[RULE_NSUB];
};

/* Finds the first rule at index >= *pos that matches; sets *pos past it.
 * After the last rule comes an implicit default rule (root:root 0660),
 * as in busybox, so a match is always found until that one is returned;
 * then returns false. */
bool rules_next_match(const struct ruleset *rs, size_t *pos, const struct match_input *in,
		      struct match_result *out);

/* Expands %0..%9 in the rule's move_to. Returns a malloc'd string, or NULL
 * when the rule has no = or >. */
char *rules_expand_target(const struct match_result *m);

#endif
