/* devmgr's own settings: /etc/devmgr.conf (INI, read with inih), then the
 * command line on top. */
#ifndef DEVMGR_CONFIG_H
#define DEVMGR_CONFIG_H

#include <stdbool.h>

#include "policy.h"

#define CONFIG_MAX_TAGS 16
#define CONFIG_MAX_ALLOW 64

struct config {
	char *sys;		/* [paths] sys */
	char *dev;		/* [paths] dev */
	char *rules;		/* [paths] rules */
	char *etc;		/* [paths] etc: where passwd and group are read */
	int log_level;		/* [log] level */
	unsigned jobs;		/* [coldplug] jobs: worker processes, 0 = auto */
	int rcvbuf;		/* [daemon] rcvbuf: uevent socket buffer, bytes */
	char *run;		/* [paths] run: the udev database directory */
	char *state;		/* [paths] state: the daemon's record of what it made */
	/* [publish]: what other programs are told, after devmgr acted */
	int udev;		/* udev: systemd-libudev format events */
	unsigned udev_groups;	/* udev_groups: netlink group mask, 0x2 */
	int zero;		/* zero: libudev-zero format events */
	unsigned zero_groups;	/* zero_groups: 0x4 */
	int database;		/* database: keep RUN/data for libudev */
	int ids;		/* ids: ID_* properties from sysfs */
	unsigned ntags;
	struct config_tag {	/* tag = SUBSYSTEM TAG: udev tags by subsystem */
		char *subsystem, *tag;
	} tags[CONFIG_MAX_TAGS];
	/* [policy] */
	unsigned nallow;	/* allow = TYPE MAJ:MIN PERMS, repeated */
	struct policy_rule allow[CONFIG_MAX_ALLOW];
	int outside_node;	/* outside = node (1) or skip (0) */
	char *cgroup;		/* cgroup = where the v1 hierarchy is mounted */
	int probe;		/* probe = ask the kernel per device (yes) */
	unsigned cmd_timeout;	/* [commands] timeout, seconds; 0: none */
	char *firmware;		/* [firmware] dir: where requests are served from */
	int firmware_load;	/* [firmware] load */
	int modules;		/* [modules] load: 1 yes, 0 no, -1 auto */
	char *modules_root;	/* [modules] root: another lib/modules tree */
	char *modules_release;	/* [modules] release: not uname -r */
	int modules_dry_run;	/* [modules] dry_run: log what would load */
	int links;		/* [links] persistent: udev's by-id, by-path names */
	int disk_probe;		/* [disks] probe: libblkid on block devices */
	unsigned disk_timeout_ms; /* [disks] timeout: for one probe */
};

void config_defaults(struct config *c);
/* Reads PATH into c. A missing file is fine when !required. Every bad line
 * is reported as "PATH:LINE: reason"; returns -1 if there was any. */
int config_load(struct config *c, const char *path, int required);

/* One setting of an INI file and its line: NULL when taken, else why not. */
typedef const char *ini_setting_fn(void *arg, const char *section, const char *key,
				   const char *value, unsigned line);
/* PATH through inih, each setting to FN, every refused or malformed line
 * logged as FILE:LINE (all of them, not only the first). 0, or -1; a
 * missing file is 0 unless REQUIRED. devmgr.conf and host.conf. */
int ini_file_load(const char *path, bool required, ini_setting_fn *fn, void *arg);
/* Parses one "section/key = value" setting (shared by the file and by
 * command-line overrides). NULL, or why the setting is refused. */
const char *config_set(struct config *c, const char *section, const char *key, const char *value);
void config_free(struct config *c);

#endif
