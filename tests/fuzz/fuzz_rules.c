/* fuzz_rules: the input is an mdev.conf; parse it, then match a few fixed
 * devices against it and expand the =/> targets of every match. */
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "passwd.h"
#include "rules.h"
#include "uevent.h"

static const char fuzz_passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"devuser:x:4242:4243::/home/devuser:/bin/sh\n"
	"devuser2:x:4244:0::/:/bin/false\n";
static const char fuzz_group[] =
	"root:x:0:\nkmem:x:9:\ntty:x:5:\ndisk:x:6:\ndialout:x:20:\nfloppy:x:25:\n"
	"cdrom:x:24:\naudio:x:29:\nvideo:x:44:\nuucp:x:10:\ninput:x:101:\n"
	"kvm:x:104:\nnetdev:x:105:\ndevgrp:x:4243:\n";

struct fuzz_dev {
	const char *devname;
	int major, minor;
	const char *const *env;		/* KEY=VALUE, NULL-terminated */
};

static const char *const env_null[] = {
	"ACTION=add", "DEVPATH=/devices/virtual/mem/null", "SUBSYSTEM=mem",
	"MAJOR=1", "MINOR=3", "DEVNAME=null", "SEQNUM=5", NULL,
};
static const char *const env_tty[] = {
	"ACTION=add", "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0",
	"SUBSYSTEM=tty", "MAJOR=188", "MINOR=0", "DEVNAME=ttyUSB0", NULL,
};
static const char *const env_input[] = {
	"ACTION=add", "DEVPATH=/devices/platform/i8042/serio0/input/input3/event3",
	"SUBSYSTEM=input", "MAJOR=13", "MINOR=67", "DEVNAME=input/event3", NULL,
};
static const char *const env_usb[] = {
	"ACTION=add", "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0",
	"SUBSYSTEM=usb", "DEVTYPE=usb_interface",
	"MODALIAS=usb:v046DpC52Bd2411dc00dsc00dp00ic03isc01ip01in00",
	"DEVNAME=bus/usb/001/002", "MAJOR=189", "MINOR=1", "PRODUCT=46d/c52b/2411",
	"INTERFACE=3/1/1", NULL,
};
static const char *const env_sda[] = {
	"ACTION=remove", "DEVPATH=/block/sda/sda1", "SUBSYSTEM=block", "DEVTYPE=partition",
	"MAJOR=8", "MINOR=1", "DEVNAME=sda1", "PARTN=1", NULL,
};

static const struct fuzz_dev devs[] = {
	{ "null", 1, 3, env_null },
	{ "ttyUSB0", 188, 0, env_tty },
	{ "input/event3", 13, 67, env_input },
	{ "bus/usb/001/002", 189, 1, env_usb },
	{ "sda1", 8, 1, env_sda },
	{ "net/tun", -1, -1, NULL },	/* no numbers, no event */
};

/* rules.c refuses patterns whose repetitions would make glibc's regcomp
 * grow without bound (found here: "null" and 20 '+' took 1.3 GB); the
 * fuzzer checks that guard instead of avoiding such inputs. */

FUZZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idmaps ids;
	struct ruleset rs;
	struct uevent ev;	/* the device's event, refilled per device */

	if (size > 64 * 1024)
		return 0;
	memset(&ids, 0, sizeof(ids));
	ids.passwd_path = "/fuzz/etc/passwd";	/* only named in messages */
	ids.group_path = "/fuzz/etc/group";
	if (idtable_parse(&ids.users, fuzz_passwd, sizeof(fuzz_passwd) - 1, true) < 0 ||
	    idtable_parse(&ids.groups, fuzz_group, sizeof(fuzz_group) - 1, false) < 0)
		abort();

	rules_parse(&rs, "fuzz.conf", (const char *)data, size, &ids);
	FUZZ_CHECK(rs.path && strcmp(rs.path, "fuzz.conf") == 0, "path");

	for (size_t d = 0; d < sizeof(devs) / sizeof(devs[0]); d++) {
		struct match_input in = {
			.devname = devs[d].devname,
			.major = devs[d].major,
			.minor = devs[d].minor,
		};
		struct match_result m;
		size_t pos = 0;
		unsigned nmatch = 0;

		if (devs[d].env) {
			uevent_init(&ev);
			for (const char *const *e = devs[d].env; *e; e++)
				uevent_set_pair(&ev, *e, strlen(*e));
			in.ev = &ev;
		}
		while (rules_next_match(&rs, &pos, &in, &m)) {
			FUZZ_CHECK(m.rule != NULL, "match without rule");
			FUZZ_CHECK(pos <= rs.n + 1, "pos %zu past %zu rules", pos, rs.n);
			FUZZ_CHECK(++nmatch <= rs.n + 1, "more matches than rules");
			FUZZ_CHECK((m.rule->mode & ~07777u) == 0, "mode %o", (unsigned)m.rule->mode);
			char *t = rules_expand_target(&m);
			if (m.rule->move_to == NULL || (m.rule->move != '=' && m.rule->move != '>'))
				FUZZ_CHECK(t == NULL || m.rule->move_to != NULL, "target without move_to");
			free(t);
		}
		FUZZ_CHECK(pos == rs.n + 1, "ended at %zu of %zu", pos, rs.n);
	}
	rules_free(&rs);
	idtable_free(&ids.users);
	idtable_free(&ids.groups);
	return 0;
}
