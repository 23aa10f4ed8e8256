/* Device access trees in host.conf: what a child inherits, how it may
 * narrow (and only narrow) what its parent gives, denials down the whole
 * subtree, a grant taken from a parent (gone from its children, or the
 * load refused when a child declared it, unless recursive), containers of
 * no group, and the table "devmgr host devices" prints. */
#define _GNU_SOURCE
#include "tap.h"
#include "devtree.h"
#include "hostconf.h"
#include "hostconf_text.h"
#include "policy.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test_devtree.XXXXXX";
static char log_text[8192];

static int load(struct hostconf *h, const char *text, bool prune)
{
	return load_text(h, dir, text, prune, log_text, sizeof(log_text));
}

/* The access block device 7:MINOR gets in container NAME. */
static unsigned loop_mode(const struct hostconf *h, const char *name, int minor)
{
	struct uevent e;
	char min[16];
	const struct hostconf_container *c = hostconf_find(h, name);

	snprintf(min, sizeof(min), "%d", minor);
	uevent_init(&e);
	uevent_set(&e, "ACTION", "add");
	uevent_set(&e, "SUBSYSTEM", "block");
	uevent_set(&e, "DEVPATH", "/devices/virtual/block/loopX");
	uevent_set(&e, "MAJOR", "7");
	uevent_set(&e, "MINOR", min);
	return c ? hostconf_mode(c, -1, &e, NULL) : 99;
}

/* The table for NAME, as devmgr host devices prints it. */
static const char *table(const struct hostconf *h, const char *name)
{
	static char buf[4096];
	const struct hostconf_container *c = name[0] == '/' ? hostconf_group(h, name) :
							      hostconf_find(h, name);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (c == NULL || f == NULL)
		return "(none)";
	devtree_print(f, c);
	fclose(f);
	return buf;
}

#define RW (POLICY_READ | POLICY_WRITE)
#define R POLICY_READ

static const char *tree =
	"[group /]\n"					/* 1 */
	"device = b 7:* rw inherit\n"			/* 2 */
	"device = c 10:200 rw\n"			/* 3 */
	"device = c 1:3 rwm inherit /dev/null\n"	/* 4 */
	"subsystem = tty rw inherit\n"			/* 5 */
	"[group /lab]\n"				/* 6 */
	"device = b 7:* r inherit\n"			/* 7 */
	"device = b 7:9 -\n"				/* 8 */
	"[container ci-*]\n"				/* 9 */
	"group = /lab/ci\n"				/* 10 */
	"device = b 7:5 r /dev/loop5\n"			/* 11 */
	"[group /lab/ci]\n"				/* 12 */
	"subsystem = tty r\n"				/* 13 */
	"[container lab1]\n"				/* 14 */
	"group = /lab\n"				/* 15 */
	"[container old]\n"				/* 16 */
	"device = b 7:* rw\n";				/* 17 */

static void inherit_and_narrow(void)
{
	struct hostconf h;

	ok(load(&h, tree, false) == 0 && log_text[0] == '\0', "a tree loads quietly");
	is_int((int)loop_mode(&h, "lab1", 3), R, "/lab narrows b 7:* to r: its container reads");
	is_int((int)loop_mode(&h, "lab1", 9), 0, "... and 7:9 is denied there");
	is_int((int)loop_mode(&h, "ci-1", 3), R,
	       "/lab/ci (no line for it) passes /lab's b 7:* r on to ci-1");
	is_int((int)loop_mode(&h, "ci-1", 9), 0, "... the denial too: it holds for the subtree");
	is_int((int)loop_mode(&h, "ci-1", 5), R, "ci-1's own b 7:5 r");
	is_int((int)loop_mode(&h, "old", 9), RW, "a container of no group: its own grants only");
	is_str(table(&h, "/"),
	       "TYPE      MAJOR              MINOR  MODE  NAME           INHERIT INHERITED FROM\n"
	       "block     7                  all    rw    -              true    false     /:2\n"
	       "char      10                 200    rw    -              false   false     /:3\n"
	       "char      1                  3      rwm   /dev/null      true    false     /:4\n"
	       "subsystem tty                -      rw    -              true    false     /:5\n",
	       "the root's table");
	is_str(table(&h, "ci-7"),
	       "TYPE      MAJOR              MINOR  MODE  NAME           INHERIT INHERITED FROM\n"
	       "char      1                  3      rwm   /dev/null      true    true      /:4\n"
	       "block     7                  all    r     -              true    true      /lab:7\n"
	       "block     7                  9      -     -              false   true      /lab:8\n"
	       "block     7                  5      r     /dev/loop5     false   false     ci-*:11\n",
	       "a container's table: what it inherits, from where, and its own");
	ok(strstr(table(&h, "/lab/ci"), "tty                -      r     -              false   "
		  "false     /lab/ci:13") != NULL,
	   "a group narrows what it inherits by declaring it (tty, rw to r)");
	ok(strstr(table(&h, "ci-1"), "subsystem") == NULL,
	   "... and, not marking it inherit, gives it on to nobody");
	ok(strstr(table(&h, "lab1"), "tty                -      rw") != NULL,
	   "... while /lab's container inherits it from / as it was");
	hostconf_free(&h);
}

static void widen_refused(void)
{
	struct hostconf h;

	ok(load(&h, "[group /]\ndevice = b 7:* r inherit\n[group /a]\ndevice = b 7:3 rw\n", false)
	   < 0 && strstr(log_text, "host.conf:4: [group /a]: a child cannot widen what its parent "
			 "gives: group / provides only r"), "rw under r: FILE:LINE, refused");
	hostconf_free(&h);
	ok(load(&h, "[group /]\ndevice = b 7:* rw inherit\n[container x]\ngroup = /\n"
		    "device = c 10:200 rw\n", false) < 0 &&
	   strstr(log_text, "host.conf:5: [container x]: a child cannot widen what its parent "
		  "gives: not provided by group /"), "a device the parent has not: refused");
	hostconf_free(&h);
	ok(load(&h, "[group /]\ndevice = b 7:* rw inherit\ndevice = b 7:9 -\n[group /a]\n"
		    "device = b 7:9 r\n", false) < 0 &&
	   strstr(log_text, "host.conf:5: [group /a]: a child cannot widen what its parent gives: "
		  "group / denies it (/:3)"), "a device the parent denies: refused");
	hostconf_free(&h);
	ok(load(&h, "[group /]\ndevice = b 7:* rw\n[group /a]\ndevice = b 7:3 r\n", false) == 0,
	   "a device the parent has but does not give on: declared, narrower: fine");
	hostconf_free(&h);
	ok(load(&h, "[container x]\ngroup = /nope\ndevice = b 7:1\n", false) < 0 &&
	   strstr(log_text, "host.conf:2: [container x]: group = /nope: no such [group]"),
	   "a group that is not there");
	hostconf_free(&h);
	ok(load(&h, "[group lab]\ndevice = b 7:1\n", false) < 0 &&
	   strstr(log_text, "a group is a path"), "a group that is no path");
	hostconf_free(&h);
	ok(load(&h, "[group /]\ndevice = b 7:1 rx\n", false) < 0 &&
	   strstr(log_text, "host.conf:2: [group /] device = b 7:1 rx: after the device"),
	   "a bad mode");
	hostconf_free(&h);
}

static void taken_from_parent(void)
{
	struct hostconf h;
	const char *without =
		"[group /]\ndevice = c 1:3 rw inherit\n[group /lab]\ndevice = c 1:3 r\n"
		"[container x]\ngroup = /lab\n";

	ok(load(&h, "[group /]\ndevice = b 7:* rw inherit\ndevice = c 1:3 rw inherit\n"
		    "[group /lab]\ndevice = c 1:3 r\n[container x]\ngroup = /lab\n", false) == 0 &&
	   loop_mode(&h, "x", 1) == RW, "(before: b 7:* inherited down to x)");
	hostconf_free(&h);
	ok(load(&h, without, false) == 0 && loop_mode(&h, "x", 1) == 0,
	   "b 7:* taken from / is gone from x, which only inherited it");
	hostconf_free(&h);
	const char *declared =
		"[group /]\ndevice = b 7:* rw inherit\n[group /lab]\ndevice = b 7:3 r\n"
		"[container x]\ngroup = /lab\n";
	ok(load(&h, declared, false) == 0, "(before: /lab declares b 7:3 itself)");
	hostconf_free(&h);
	const char *taken = "[group /]\ndevice = c 1:3 rw inherit\n[group /lab]\n"
			    "device = b 7:3 r\n[container x]\ngroup = /lab\n";
	ok(load(&h, taken, false) < 0 &&
	   strstr(log_text, "host.conf:4: [group /lab]: a child cannot widen what its parent "
		  "gives: not provided by group /"),
	   "taken from / while /lab declares it: refused, naming /lab's line");
	hostconf_free(&h);
	ok(load(&h, taken, true) == 0 &&
	   strstr(log_text, "host.conf:4: [group /lab]: its grant is dropped: not provided by "
		  "group / (recursive reload)") && loop_mode(&h, "x", 3) == 0,
	   "... recursive: /lab's declaration dropped, said, and gone below it");
	hostconf_free(&h);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	inherit_and_narrow();
	widen_refused();
	taken_from_parent();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
