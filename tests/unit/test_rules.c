/* mdev.conf parsing, matching and %N expansion. */
#define _GNU_SOURCE
#include "tap.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct idmaps ids;
static char etc[64];

static void setup_etc(void)
{
	char path[128];
	FILE *f;

	snprintf(etc, sizeof(etc), "/tmp/devmgr-unit-%d", (int)getpid());
	mkdir(etc, 0700);
	snprintf(path, sizeof(path), "%s/passwd", etc);
	f = fopen(path, "w");
	fputs("root:x:0:0:root:/root:/bin/sh\nuucp:x:10:14::/:/bin/false\n"
	      "broken line\nalice:x:1000:1001::/home/alice:/bin/sh\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/group", etc);
	f = fopen(path, "w");
	fputs("root:x:0:\ndisk:x:6:\ndialout:x:20:alice\nvideo:x:44:\n", f);
	fclose(f);
	idmaps_init(&ids, etc);
}

static void cleanup_etc(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", etc);
	if (system(cmd) != 0)
		printf("# cleanup of %s failed\n", etc);
	idmaps_free(&ids);
}

static void parse(struct ruleset *rs, const char *text)
{
	rules_parse(rs, "test.conf", text, strlen(text), &ids);
}

/* Name of the first matching rule's target, or the device name. */
static const struct rule *first(const struct ruleset *rs, const char *name, int maj, int min,
				struct uevent *ev, char **target)
{
	struct match_input in = { .devname = name, .major = maj, .minor = min, .ev = ev };
	struct match_result m;
	size_t pos = 0;

	if (!rules_next_match(rs, &pos, &in, &m))
		return NULL;
	if (target)
		*target = rules_expand_target(&m);
	return m.rule;
}

static void test_fields(void)
{
	struct ruleset rs;

	parse(&rs,
	      "# comment\n"
	      "   # indented comment\n"
	      "\n"
	      "null\troot:root 0666\n"
	      "ttyS[0-9]*  uucp:dialout  660 @echo hi # not a comment\n"
	      "-sd[a-z]  root:disk 0640 =block/ *cmd arg\n"
	      "loop([0-9]+) 0:6 0660 >loop/%1\n"
	      "fuse alice 0600 !\n"
	      "  spaced root:root \\\n"
	      "   0600 \n");
	is_int(rs.errors, 0, "no errors in a valid file");
	is_int(rs.n, 6, "six rules");
	is_int(rs.v[0].line, 4, "line numbers count comments and blanks");
	is_int(rs.v[0].mode, 0666, "mode 0666");
	is_int(rs.v[1].uid, 10, "user by name");
	is_int(rs.v[1].gid, 20, "group by name");
	is_int(rs.v[1].mode, 0660, "3-digit mode is octal");
	is_int(rs.v[1].cmd_when, '@', "@ command");
	is_str(rs.v[1].cmd, "echo hi # not a comment", "command keeps the rest of the line");
	ok(rs.v[2].keep_matching, "- prefix keeps matching");
	is_int(rs.v[2].gid, 6, "root:disk");
	is_int(rs.v[2].move, '=', "=path");
	is_str(rs.v[2].move_to, "block/", "=path target");
	is_int(rs.v[2].cmd_when, '*', "* command after =path");
	is_int(rs.v[3].move, '>', ">path");
	is_int(rs.v[4].move, '!', "!");
	is_int(rs.v[4].uid, 1000, "user alone");
	is_int(rs.v[5].line, 9, "continued line reports its first line");
	is_int(rs.v[5].mode, 0600, "continuation joined the mode");
	rules_free(&rs);
}

static void test_owner(void)
{
	struct ruleset rs;

	parse(&rs,
	      "a alice 0600\n"		/* user alone: primary group */
	      "b 1000 0600\n"		/* known uid alone: its primary group */
	      "c 4242 0600\n"		/* unknown uid alone: gid = the same number */
	      "d 5:7 0600\n"
	      "e root:video 0600\n");
	is_int(rs.errors, 0, "owners parse");
	is_int(rs.v[0].uid, 1000, "alice uid");
	is_int(rs.v[0].gid, 1001, "alice's primary group");
	is_int(rs.v[1].gid, 1001, "uid 1000's primary group");
	is_int(rs.v[2].uid, 4242, "numeric uid");
	is_int(rs.v[2].gid, 4242, "unknown numeric uid alone: gid is the same number");
	is_int(rs.v[3].uid, 5, "numeric uid");
	is_int(rs.v[3].gid, 7, "numeric gid");
	is_int(rs.v[4].gid, 44, "video");
	rules_free(&rs);
}

static void test_errors(void)
{
	struct ruleset rs;

	parse(&rs,
	      "good root:root 0600\n"
	      "bad( root:root 0600\n"
	      "x nobody:root 0600\n"
	      "x root:nogroup 0600\n"
	      "x root:root 0900\n"
	      "x root:root rw\n"
	      "@4 root:root 0600\n"
	      "@4,x root:root 0600\n"
	      "@4,9-2 root:root 0600\n"
	      "$NOEQUALS root:root 0600\n"
	      "x root:root 0600 ?what\n"
	      "x root:root\n"
	      "x root: 0600\n"
	      "x root:root 0600 =\n"
	      "last root:root 0600\n");
	is_int(rs.errors, 13, "13 broken lines reported");
	is_int(rs.n, 2, "the good lines remain");
	is_int(rs.v[0].line, 1, "first good line");
	is_int(rs.v[1].line, 15, "last good line");
	rules_free(&rs);
}

static void test_match(void)
{
	struct ruleset rs;
	struct uevent ev;
	char *t = NULL;
	const struct rule *r;

	parse(&rs,
	      "tty root:root 0666\n"				/* 1 */
	      "tty[0-9] root:root 0600\n"			/* 2 */
	      "dri/.* root:video 0660\n"			/* 3 */
	      "card[0-9] root:video 0660 =dri/\n"		/* 4 */
	      "SUBSYSTEM=sound;.* root:root 0660\n"		/* 5 */
	      "ram([0-9]*) root:disk 0660 >rd/%1\n"		/* 6 */
	      "$MODALIAS=usb:v(....)p(....).* root:root 0600 =usb/%1/%2/%3%\n"	/* 7 */
	      "@189,0-127 root:root 0664 =bus%1x\n"		/* 8 */
	      "cciss!(.*) root:disk 0660 =cciss/%1\n"		/* 9 */
	      "(a|ab)(c|bcd)(d*) root:root 0600 =%1-%2-%3-%0\n"	/* 10 */
	      "ab* root:root 0601\n");				/* 11 */
	uevent_init(&ev);
	r = first(&rs, "tty", 5, 0, &ev, NULL);
	is_int(r->line, 1, "literal rule");
	r = first(&rs, "tty1", 4, 1, &ev, NULL);
	is_int(r->line, 2, "regex must match the whole name (tty does not match tty1)");
	r = first(&rs, "tty12", 4, 12, &ev, NULL);
	is_int(r->line, 0, "no rule matches tty12: the implicit default");
	is_int(r->mode, 0660, "default rule is 0660");
	r = first(&rs, "dri/card0", 226, 0, &ev, NULL);
	is_int(r->line, 3, "names with slashes");
	r = first(&rs, "card0", 226, 0, &ev, &t);
	is_int(r->line, 4, "=dir/");
	is_str(t, "dri/", "target keeps the trailing slash for the caller");
	free(t);
	uevent_set(&ev, "SUBSYSTEM", "xsoundx");
	r = first(&rs, "whatever", 1, 1, &ev, NULL);
	is_int(r->line, 5, "ENV=regex; matches anywhere in the value");
	uevent_init(&ev);
	r = first(&rs, "ram12", 1, 12, &ev, &t);
	is_str(t, "rd/12", "%%1");
	free(t);
	r = first(&rs, "ram", 1, 0, &ev, &t);
	is_str(t, "rd/", "empty group");
	free(t);
	uevent_set(&ev, "MODALIAS", "usb:v046DpC52Bd1201");
	r = first(&rs, "hidraw0", 240, 0, &ev, &t);
	is_int(r->line, 7, "$VAR=regex");
	is_str(t, "usb/046D/C52B/%3%", "groups of the variable; missing group stays literal");
	free(t);
	uevent_init(&ev);
	r = first(&rs, "bus/usb/001/001", 189, 0, &ev, &t);
	is_int(r->line, 8, "@major,minor-range");
	is_str(t, "busx", "%%N of a @ rule is empty, like busybox");
	free(t);
	r = first(&rs, "bus/usb/002/001", 189, 128, &ev, NULL);
	is_int(r->line, 0, "minor out of range");
	r = first(&rs, "cciss!c0d0", 104, 0, &ev, &t);
	is_str(t, "cciss/c0d0", "kernel ! names");
	free(t);
	r = first(&rs, "abcd", 1, 1, &ev, &t);
	is_int(r->line, 10, "alternation");
	ok(t && strstr(t, "-abcd") != NULL, "%%0 is the whole match (%s)", t ? t : "");
	free(t);
	r = first(&rs, "abbb", 1, 1, &ev, NULL);
	is_int(r->line, 11, "prefix shortcut does not break quantifiers");
	r = first(&rs, "a", 1, 1, &ev, NULL);
	is_int(r->line, 11, "b* may be empty");
	rules_free(&rs);
}

static void test_match_all(void)
{
	struct ruleset rs;
	struct uevent ev;
	char *t = NULL;
	const struct rule *r;

	/* ".*" skips regexec; the result must be what regexec gives. */
	parse(&rs, "$FOO=.* root:root 0600 =x%0y%1z\n.* root:root 0601 =all/%0\n");
	uevent_init(&ev);
	uevent_set(&ev, "FOO", "bar");
	r = first(&rs, "dev", 1, 1, &ev, &t);
	is_int(r->line, 1, ".* on a variable");
	is_str(t, "xbary%1z", "%%0 is the value, %%1 stays literal");
	free(t);
	uevent_set(&ev, "FOO", "");
	r = first(&rs, "dev", 1, 1, &ev, &t);
	is_int(r->line, 1, ".* matches an empty value");
	free(t);
	uevent_init(&ev);
	r = first(&rs, "bus/usb/001/002", 189, 1, &ev, &t);
	is_int(r->line, 2, ".* on the name (FOO unset skips line 1)");
	is_str(t, "all/bus/usb/001/002", "%%0 is the whole name");
	free(t);
	rules_free(&rs);
}

static void test_keep_matching(void)
{
	struct ruleset rs;
	struct match_input in = { .devname = "sda", .major = 8, .minor = 0 };
	struct match_result m;
	size_t pos = 0;
	unsigned lines[8];
	int n = 0;

	parse(&rs, "-sd.* root:root 0600\n-.* root:root 0601\nsd[a-z] root:root 0602\nsda root:root 0603\n");
	while (rules_next_match(&rs, &pos, &in, &m) && n < 8) {
		lines[n++] = m.rule->line;
		if (!m.rule->keep_matching)
			break;
	}
	is_int(n, 3, "two keep-matching rules and the final one");
	ok(n == 3 && lines[0] == 1 && lines[1] == 2 && lines[2] == 3, "in file order");
	rules_free(&rs);

	parse(&rs, "-sd.* root:root 0600\n");
	pos = 0;
	n = 0;
	while (rules_next_match(&rs, &pos, &in, &m) && n < 8) {
		lines[n++] = m.rule->line;
		if (!m.rule->keep_matching)
			break;
	}
	is_int(n, 2, "a - rule falls through to the implicit default");
	rules_free(&rs);
}

static void test_nul_byte(void)
{
	struct ruleset rs;
	static const char text[] = "junk\0.* 0:0 0666\nnull root:root 0600\n";

	rules_parse(&rs, "nul.conf", text, sizeof(text) - 1, &ids);
	is_int(rs.errors, 1, "a line with a NUL byte is reported");
	is_int(rs.n, 1, "and ignored whole: nothing after the NUL becomes a rule");
	is_int(rs.n ? rs.v[0].line : 0, 2, "later lines keep their numbers");
	rules_free(&rs);
}

/* Found by fuzzing: glibc's regcomp takes 1.3 GB for "null" and 20 '+'. */
static void test_regex_blowup(void)
{
	struct ruleset rs;

	parse(&rs, "null++++++++++++++++++++ root:root 0660\n"
		   "(a{1,200}){1,200} root:root 0660\n"
		   "ttyS[0-9]+ root:root 0660\n"
		   "x[+{]+y{1,3} root:root 0660\n"
		   "zero root:root 0666\n");
	is_int(rs.errors, 2, "stacked and nested repetitions refused as broken lines");
	is_int(rs.n, 3, "the ordinary ones kept, '+' and '{' in brackets literal");
	rules_free(&rs);
}

static void test_missing_file(void)
{
	struct ruleset rs;

	is_int(rules_load(&rs, "/nonexistent/mdev.conf", &ids), 0, "missing rule file is fine");
	ok(rs.builtin && rs.errors == 0, "and gives the built-in rules, without error");
	static const char *const open_to_all[] = { "null", "zero", "full", "random", "urandom",
						   "tty", "ptmx" };
	for (size_t i = 0; i < sizeof(open_to_all) / sizeof(open_to_all[0]); i++) {
		const struct rule *r = first(&rs, open_to_all[i], -1, -1, NULL, NULL);
		ok(r && r->mode == 0666 && r->uid == 0 && r->gid == 0,
		   "built-in: %s 0:0 0666, as engines make it", open_to_all[i]);
	}
	const struct rule *r = first(&rs, "ttyS0", 4, 64, NULL, NULL);
	ok(r && r->kind == RULE_DEFAULT && r->mode == 0660, "built-in: anything else 0660");
	r = first(&rs, "nullx", 1, 3, NULL, NULL);
	ok(r && r->kind == RULE_DEFAULT, "built-in: names match whole (nullx is not null)");
	rules_free(&rs);
}

/* busybox matches with getenv(): devmgr's inherited environment counts
 * when the event lacks the key, as it was when the rules were loaded */
static void test_inherited_env(void)
{
	struct ruleset rs;
	struct uevent ev;
	const struct rule *r;

	setenv("DEVMGR_TEST_SEAT", "seat1", 1);
	parse(&rs,
	      "DEVMGR_TEST_SEAT=seat[0-9];tty root:root 0600\n"	/* 1 */
	      "$DEVMGR_TEST_SEAT=seat([0-9]) root:root 0601 =s%1\n");	/* 2 */
	unsetenv("DEVMGR_TEST_SEAT");
	uevent_init(&ev);
	r = first(&rs, "tty", 5, 0, &ev, NULL);
	is_int(r ? (int)r->line : -1, 1, "ENV=regex: the inherited environment");
	char *t = NULL;
	r = first(&rs, "ttyS0", 4, 64, &ev, &t);
	is_int(r ? (int)r->line : -1, 2, "$ENV=regex: the inherited environment");
	is_str(t, "s1", "its groups");
	free(t);
	uevent_set(&ev, "DEVMGR_TEST_SEAT", "none");
	r = first(&rs, "tty", 5, 0, &ev, NULL);
	is_int(r ? (int)r->line : -1, 0, "the event's key comes first");
	rules_free(&rs);
}

int main(void)
{
	setup_etc();
	test_inherited_env();
	test_fields();
	test_owner();
	test_errors();
	test_match();
	test_match_all();
	test_keep_matching();
	test_nul_byte();
	test_regex_blowup();
	test_missing_file();
	cleanup_etc();
	return done_testing();
}
