/* fuzz_config: the input is /etc/devmgr.conf, read by the real loader
 * (config_load, through inih). The text is handed over in a memfd named
 * by /proc/self/fd/N, or failing that an unlinked file in /tmp: no other
 * file is touched. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_common.h"
#include "fuzz_file.h"

FUZZ_QUIET_INITIALIZE

static void check_path(const char *what, const char *p)
{
	FUZZ_CHECK(p == NULL || p[0] == '/', "%s '%s' not absolute", what, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char path[64];

	if (size > 64 * 1024)
		return 0;
	int fd = fuzz_text_file("devmgr.conf", data, size, path, sizeof(path));
	bool tmpfile = strncmp(path, "/tmp/", 5) == 0;

	config_defaults(&c);
	int rc = config_load(&c, path, 1);
	FUZZ_CHECK(rc == 0 || rc == -1, "config_load gave %d", rc);
	if (tmpfile)
		unlink(path);
	close(fd);

	check_path("sys", c.sys);
	check_path("dev", c.dev);
	check_path("rules", c.rules);
	check_path("etc", c.etc);
	check_path("run", c.run);
	check_path("cgroup", c.cgroup);
	check_path("firmware", c.firmware);
	check_path("modules_root", c.modules_root);
	FUZZ_CHECK(c.modules_release == NULL || (c.modules_release[0] &&
		   c.modules_release[0] != '.' && !strchr(c.modules_release, '/')), "release");
	FUZZ_CHECK(c.log_level >= LOG_LVL_ERR && c.log_level <= LOG_LVL_DEBUG, "log level");
	FUZZ_CHECK(c.jobs <= 16, "jobs %u", c.jobs);
	FUZZ_CHECK(c.rcvbuf >= 4096, "rcvbuf %d", c.rcvbuf);
	FUZZ_CHECK(c.cmd_timeout <= 86400, "timeout %u", c.cmd_timeout);
	FUZZ_CHECK(!(c.udev_groups & 1) && !(c.zero_groups & 1), "group 0x1");
	FUZZ_CHECK(c.ntags <= CONFIG_MAX_TAGS, "ntags %u", c.ntags);
	FUZZ_CHECK(c.nallow <= CONFIG_MAX_ALLOW, "nallow %u", c.nallow);
	for (unsigned i = 0; i < c.ntags; i++)
		FUZZ_CHECK(c.tags[i].subsystem[0] && c.tags[i].tag[0] &&
			   !strpbrk(c.tags[i].tag, ":/ "), "tag %u", i);
	for (unsigned i = 0; i < c.nallow; i++) {
		const struct policy_rule *r = &c.allow[i];
		FUZZ_CHECK(r->type == 'c' || r->type == 'b' || r->type == 'a', "allow type");
		FUZZ_CHECK(r->major >= -1 && r->minor >= -1, "allow numbers");
		FUZZ_CHECK(r->perms && !(r->perms & ~7u), "allow perms");
	}
	config_free(&c);
	return 0;
}
