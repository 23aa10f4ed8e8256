/* Host mode's pieces that need no root: host.conf (sections, grants,
 * FILE:LINE errors, matching by numbers, subsystem, path and USB
 * ancestry on a fake sysfs), the OCI state a hook reads, and id maps. */
#define _GNU_SOURCE
#include "tap.h"
#include "enter.h"
#include "hostconf.h"
#include "hostconf_text.h"
#include "ocistate.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/test_hostconf.XXXXXX";

static int load(struct hostconf *h, const char *text, char *log, size_t size)
{
	return load_text(h, dir, text, false, log, size);
}

static void ev(struct uevent *e, const char *sub, const char *path, const char *maj,
	       const char *min)
{
	uevent_init(e);
	uevent_set(e, "ACTION", "add");
	uevent_set(e, "SUBSYSTEM", sub);
	uevent_set(e, "DEVPATH", path);
	if (maj) {
		uevent_set(e, "MAJOR", maj);
		uevent_set(e, "MINOR", min);
	}
}

static void config(void)
{
	struct hostconf h;
	char log[4096];
	unsigned line = 0;

	ok(load(&h, "[host]\nsocket = /run/x.sock\n\n[container ci-*]\ndevice = b 7:*\n"
		    "usb = 0403:6001\n[container lab]\nsubsystem = tty\npath = /devices/pci0\n",
		 log, sizeof(log)) == 0 && log[0] == '\0', "a good file loads quietly");
	is_str(h.socket, "/run/x.sock", "[host] socket");
	is_int(h.n, 2, "two sections");
	ok(hostconf_find(&h, "ci-42") == &h.c[0], "ci-* matches ci-42");
	ok(hostconf_find(&h, "lab") == &h.c[1] && hostconf_find(&h, "lab2") == NULL,
	   "lab matches lab only");
	struct uevent e;
	ev(&e, "block", "/devices/virtual/block/loop3", "7", "3");
	ok(hostconf_grants(&h.c[0], -1, &e, &line) && line == 5, "b 7:* grants loop3, line 5");
	ev(&e, "block", "/devices/virtual/block/ram0", "1", "0");
	ok(!hostconf_grants(&h.c[0], -1, &e, NULL), "... not ram0 (1:0)");
	ev(&e, "misc", "/devices/virtual/misc/x", "7", "3");
	ok(!hostconf_grants(&h.c[0], -1, &e, NULL), "... nor a char device 7:3");
	ev(&e, "tty", "/devices/virtual/tty/ttyS0", "4", "64");
	ok(hostconf_grants(&h.c[1], -1, &e, &line) && line == 8, "subsystem = tty");
	ev(&e, "net", "/devices/pci0/eth0", NULL, NULL);
	ok(hostconf_grants(&h.c[1], -1, &e, &line) && line == 9, "path prefix /devices/pci0");
	ev(&e, "net", "/devices/pci00/eth0", NULL, NULL);
	ok(!hostconf_grants(&h.c[1], -1, &e, NULL), "... not /devices/pci00 (whole components)");
	hostconf_free(&h);

	ok(load(&h, "[container a]\ndevice = b 7\nusb = 403:6001\npath = /sys/x\n"
		    "path = /devices/../x\nsubsystem = a/b\nfoo = 1\n[other]\nx = 1\n[host]\n"
		    "socket = rel\n[container a]\ndevice = c 1:2x\n", log, sizeof(log)) < 0,
	   "a bad file does not load");
	ok(strstr(log, "host.conf:2: [container a] device = b 7: expected b|c MAJOR:MINOR") != NULL,
	   "FILE:LINE for a bad device line");
	ok(strstr(log, "host.conf:3: [container a] usb = 403:6001: expected VVVV:PPPP") != NULL,
	   "... a bad usb id");
	ok(strstr(log, "host.conf:4: [container a] path = /sys/x: expected a sysfs device path") &&
	   strstr(log, "host.conf:5:"), "... paths outside /devices/ or with ..");
	ok(strstr(log, "host.conf:6: [container a] subsystem = a/b") != NULL, "... a subsystem");
	ok(strstr(log, "host.conf:7: [container a] foo = 1: unknown setting") != NULL,
	   "... an unknown key");
	ok(strstr(log, "host.conf:9: [other] x = 1: unknown section") != NULL,
	   "... an unknown section");
	ok(strstr(log, "host.conf:11: [host] socket = rel: must be an absolute path") != NULL,
	   "... a relative socket");
	ok(strstr(log, "host.conf:13: [container a] device = c 1:2x") != NULL,
	   "... a minor that is neither a number nor *");
	hostconf_free(&h);
	ok(load(&h, "[host]\ncgroup = no\ncgroup2 = /sys/fs/cgroup/unified\n", log,
		sizeof(log)) == 0, "[host] cgroup = no, cgroup2 = a path");
	ok(strcmp(h.cgroup, "no") == 0 && strcmp(h.cgroup2, "/sys/fs/cgroup/unified") == 0,
	   "... as said");
	hostconf_free(&h);
	ok(load(&h, "[host]\ncgroup = sys\ncgroup2 = yes\n", log, sizeof(log)) < 0 &&
	   strstr(log, "host.conf:2: [host] cgroup = sys: must be an absolute path, or no") &&
	   strstr(log, "host.conf:3: [host] cgroup2 = yes: must be an absolute path, or no"),
	   "... anything else: FILE:LINE");
	hostconf_free(&h);
	/* users =: host names (nobody is in every /etc/passwd) or numbers */
	ok(load(&h, "[container rl-*]\nusers = nobody 1234\ndevice = b 7:*\n[container x]\n"
		    "device = b 7:*\n", log, sizeof(log)) == 0, "users = nobody 1234");
	ok(h.c[0].nusers == 2 && h.c[0].users[0] == 65534 && h.c[0].users[1] == 1234 &&
	   h.c[0].ngrants == 1, "... two uids, and the grant stays a grant");
	ok(hostconf_user_may(&h.c[0], 65534) && hostconf_user_may(&h.c[0], 1234) &&
	   !hostconf_user_may(&h.c[0], 1000) && hostconf_user_may(&h.c[0], 0),
	   "... they may, another may not, root always may");
	ok(!hostconf_user_may(&h.c[1], 65534), "a section without users: root only");
	ok(hostconf_has_users(&h), "the socket is then open to all");
	hostconf_free(&h);
	ok(load(&h, "[container a]\ndevice = b 7:*\n", log, sizeof(log)) == 0 &&
	   !hostconf_has_users(&h), "no users anywhere: the socket is root's");
	hostconf_free(&h);
	ok(load(&h, "[container a]\nusers = no-such-user-here\n[group /g]\nusers = 5\n"
		    "[container b]\nusers =\n", log, sizeof(log)) < 0, "bad users lines");
	ok(strstr(log, "host.conf:2: [container a] users = no-such-user-here: no user "
		       "no-such-user-here in /etc/passwd") != NULL, "... an unknown name: FILE:LINE");
	ok(strstr(log, "host.conf:4: [group /g] users = 5: users = belongs in a [container]") !=
	   NULL, "... in a group");
	ok(strstr(log, "host.conf:6:") != NULL, "... empty");
	hostconf_free(&h);
	ok(load(&h, "[container a\n", log, sizeof(log)) < 0 &&
	   strstr(log, "host.conf:1: syntax error") != NULL, "inih's syntax error, with its line");
	hostconf_free(&h);
}

/* A USB device at usb1/1-1 (0403:6001) with a tty below an interface. */
static void usb(void)
{
	char p[512];
	struct hostconf h;
	char log[1024];
	struct uevent e;

	snprintf(p, sizeof(p), "%s/sys/devices/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0", dir);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", p);
	ok(system(cmd) == 0, "fake sysfs");
	snprintf(p, sizeof(p), "%s/sys/devices/usb1/1-1/idVendor", dir);
	FILE *f = fopen(p, "w");
	fputs("0403\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/sys/devices/usb1/1-1/idProduct", dir);
	f = fopen(p, "w");
	fputs("6001\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/sys", dir);
	int sys = open(p, O_PATH | O_DIRECTORY);
	load(&h, "[container a]\nusb = 0403:6001\n[container b]\nusb = 0403:6010\n", log,
	     sizeof(log));
	ev(&e, "tty", "/devices/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0", "188", "0");
	ok(hostconf_grants(&h.c[0], sys, &e, NULL), "usb = 0403:6001 grants the tty below it");
	ev(&e, "usb", "/devices/usb1/1-1", "189", "1");
	ok(hostconf_grants(&h.c[0], sys, &e, NULL), "... and the USB device itself");
	ok(!hostconf_grants(&h.c[1], sys, &e, NULL), "0403:6010 does not");
	ev(&e, "usb", "/devices/usb1", "189", "0");
	ok(!hostconf_grants(&h.c[0], sys, &e, NULL), "... nor does 6001 grant the hub above it");
	ev(&e, "tty", "/devices/usb1/../../x", "188", "0");
	ok(!hostconf_grants(&h.c[0], sys, &e, NULL), "a DEVPATH with .. matches no USB grant");
	close(sys);
	hostconf_free(&h);
}

static void state(void)
{
	struct ocistate st;
	const char *why;

	ok(ocistate_parse("{\"ociVersion\": \"1.0.2\", \"id\": \"c1\", \"status\": \"running\", "
			  "\"pid\": 4242, \"bundle\": \"/b\", \"annotations\": "
			  "{\"x\": [1, {\"y\": null}], \"devmgr.name\": \"lab\\u002d1\"}}",
			  &st, &why) == 0, "a runtime's state");
	is_str(st.id, "c1", "id");
	is_str(st.status, "running", "status");
	is_int(st.pid, 4242, "pid");
	is_str(st.name, "lab-1", "annotations[devmgr.name], \\u decoded");
	ok(ocistate_parse("{\"id\":\"a\\\"b\",\"status\":\"stopped\"}", &st, &why) == 0 &&
	   strcmp(st.id, "a\"b") == 0 && st.pid == 0, "escapes; no pid when stopped");
	ok(ocistate_parse("[]", &st, &why) < 0 && strcmp(why, "not a JSON object") == 0,
	   "not an object");
	ok(ocistate_parse("{\"status\":\"running\"}", &st, &why) < 0 &&
	   strcmp(why, "no \"id\"") == 0, "no id");
	ok(ocistate_parse("{\"id\":\"a\",", &st, &why) < 0, "cut short");
	ok(ocistate_parse("{\"id\":\"a\"} x", &st, &why) < 0, "something after the object");
	ok(ocistate_parse("{\"id\":\"a\",\"pid\":-3}", &st, &why) < 0, "a negative pid");
	char deep[200];
	memset(deep, '[', 100);
	snprintf(deep + 100, sizeof(deep) - 100, "]");
	char text[300];
	snprintf(text, sizeof(text), "{\"id\":\"a\",\"x\":%s}", deep);
	ok(ocistate_parse(text, &st, &why) < 0, "nesting is bounded");
	char longid[400] = "{\"id\":\"";
	memset(longid + 7, 'a', 300);
	strcpy(longid + 307, "\"}");
	ok(ocistate_parse(longid, &st, &why) < 0 && strcmp(why, "a string is too long") == 0,
	   "an id over 255 bytes");
}

static void maps(void)
{
	struct idmap m;

	ok(idmap_parse(&m, "         0     100000      65536\n") == 0 && m.n == 1, "one range");
	is_int(idmap_to_host(&m, 0), 100000, "0 -> 100000");
	is_int(idmap_to_host(&m, 4321), 104321, "4321 -> 104321");
	is_int(idmap_to_host(&m, 65536), -1, "65536: unmapped");
	ok(idmap_parse(&m, "0 1000 1\n1 100000 65535\n") == 0 && m.n == 2, "two ranges");
	is_int(idmap_to_host(&m, 0), 1000, "0 -> 1000");
	is_int(idmap_to_host(&m, 1), 100000, "1 -> 100000");
	ok(idmap_parse(&m, "0 x 1\n") < 0, "malformed");
	ok(idmap_parse(&m, "0 0 4294967295\n") == 0 && idmap_to_host(&m, 4242) == 4242,
	   "the initial namespace's identity");
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	config();
	usb();
	state();
	maps();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
