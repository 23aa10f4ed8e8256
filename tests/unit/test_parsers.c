/* uevent, passwd/group and devmgr.conf parsing. */
#define _GNU_SOURCE
#include "tap.h"
#include "config.h"
#include "passwd.h"
#include "uevent.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_uevent(void)
{
	struct uevent ev;
	static const char nl[] = "add@/devices/virtual/mem/null\0ACTION=add\0DEVPATH=/devices/virtual/mem/null\0"
				 "SUBSYSTEM=mem\0MAJOR=1\0MINOR=3\0DEVNAME=null\0DEVMODE=0666\0SEQNUM=42";

	is_int(uevent_parse_netlink(&ev, nl, sizeof(nl)), 0, "netlink message parses");
	is_str(uevent_get(&ev, "DEVNAME"), "null", "DEVNAME");
	is_str(uevent_get(&ev, "SEQNUM"), "42", "last key without trailing NUL");
	is_int(ev.nkeys, 8, "eight keys");
	ok(uevent_get(&ev, "DEV") == NULL, "prefix of a key is not a key");
	is_int(uevent_parse_netlink(&ev, "libudev\0ACTION=add", 18), -1, "header without @ refused");
	is_int(uevent_parse_netlink(&ev, "add@/x\0SUBSYSTEM=mem", 20), -1, "no ACTION/DEVPATH refused");

	static const char file[] = "MAJOR=189\nMINOR=1\nDEVNAME=bus/usb/001/002\nDEVTYPE=usb_device\ngarbage\n";
	uevent_init(&ev);
	is_int(uevent_parse_lines(&ev, file, sizeof(file) - 1), 0, "uevent file parses");
	is_str(uevent_get(&ev, "DEVNAME"), "bus/usb/001/002", "DEVNAME with slashes");
	is_int(ev.nkeys, 4, "line without = skipped");
	uevent_set(&ev, "DEVNAME", "renamed");
	is_str(uevent_get(&ev, "DEVNAME"), "renamed", "set replaces");
	is_int(ev.nkeys, 4, "without adding a key");

	char *envp[] = { "ACTION=remove", "DEVPATH=/devices/x", "lower=skipped", "=bad", "PATH=/bin", NULL };
	is_int(uevent_from_environ(&ev, envp), 0, "environment parses");
	is_str(uevent_get(&ev, "ACTION"), "remove", "ACTION from environment");
	ok(uevent_get(&ev, "lower") == NULL, "non-kernel names skipped");

	/* Overflow is refused, never truncated silently. */
	uevent_init(&ev);
	int full = 0;
	char key[16];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		if (uevent_set(&ev, key, "v") < 0)
			full = 1;
	}
	ok(full && ev.nkeys == UEVENT_MAX_KEYS, "key limit enforced");
}

static void test_passwd(void)
{
	struct idtable t = { 0 };
	static const char pw[] = "root:x:0:0:root:/root:/bin/sh\n+nis::::\n#comment:x:1:1\n"
				 "bad:x:abc:1\nuucp:x:10:14:\nroot:x:99:99:dup\nshort:x\nlast:x:7:8";

	is_int(idtable_parse(&t, pw, sizeof(pw) - 1, true), 0, "passwd parses");
	is_int(t.n, 5, "root, comment-like, uucp, duplicate root, last");
	is_str(t.v[0].name, "root", "first entry");
	is_int(t.v[2].id, 10, "uucp uid");
	is_int(t.v[2].gid, 14, "uucp primary gid");
	is_int(t.v[4].gid, 8, "last line without newline");
	idtable_free(&t);

	struct idmaps m;
	char dir[64], path[96];
	snprintf(dir, sizeof(dir), "/tmp/devmgr-pw-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	FILE *f = fopen(path, "w");
	fputs(pw, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/group", dir);
	f = fopen(path, "w");
	fputs("disk:x:6:\ntty:x:5:a,b\n", f);
	fclose(f);
	idmaps_init(&m, dir);
	uid_t u;
	gid_t g;
	ok(idmaps_user(&m, "root", &u, &g) == 0 && u == 0 && g == 0, "first root wins");
	ok(idmaps_group(&m, "tty", &g) == 0 && g == 5, "group with members");
	ok(idmaps_group(&m, "nope", &g) < 0, "unknown group");
	idmaps_free(&m);
	idmaps_init(&m, "/nonexistent");
	ok(idmaps_user(&m, "root", &u, &g) < 0, "no passwd file: no names");
	idmaps_free(&m);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# cleanup failed\n");
}

static void test_config(void)
{
	struct config c;
	char path[64];

	config_defaults(&c);
	is_str(c.rules, "/etc/mdev.conf", "default rules");
	ok(config_set(&c, "paths", "dev", "/tmp/dev") == NULL && strcmp(c.dev, "/tmp/dev") == 0,
	   "override dev");
	ok(config_set(&c, "paths", "dev", "relative") != NULL, "relative path refused");
	ok(config_set(&c, "paths", "nope", "/x") != NULL, "unknown key refused");
	ok(config_set(&c, "log", "level", "loud") != NULL, "bad log level refused");

	snprintf(path, sizeof(path), "/tmp/devmgr-conf-%d", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs("# devmgr.conf\n[paths]\nrules = /etc/other.conf\n\n[log]\nlevel = debug\n", f);
	fclose(f);
	is_int(config_load(&c, path, 1), 0, "valid file loads");
	is_str(c.rules, "/etc/other.conf", "rules from file");
	is_int(c.log_level, 3, "debug level");
	f = fopen(path, "w");
	fputs("[paths]\nsys = /sys\ntypo = 1\n[log]\nlevel = debug\nnot a setting\n", f);
	fclose(f);
	is_int(config_load(&c, path, 1), -1, "bad file refused (see stderr: lines 3 and 6)");
	unlink(path);
	is_int(config_load(&c, path, 0), 0, "missing optional file is fine");
	is_int(config_load(&c, path, 1), -1, "missing required file is an error");
	config_free(&c);
}

int main(void)
{
	test_uevent();
	test_passwd();
	test_config();
	return done_testing();
}
