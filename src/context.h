/* Everything one run of devmgr works with: settings, rules, the dev root
 * and sysfs. Built once by main(), rebuilt in part by the daemon on
 * SIGHUP; the only mutable state there is. */
#ifndef DEVMGR_CONTEXT_H
#define DEVMGR_CONTEXT_H

#include <stdbool.h>

#include "config.h"
#include "devnode.h"
#include "fsprobe.h"
#include "handler.h"
#include "modules.h"
#include "passwd.h"
#include "publish.h"
#include "rules.h"
#include "sysfs.h"

#define CONTEXT_MAX_OVERRIDES 12

struct context {
	/* from the command line */
	const char *config_path;
	bool config_required;		/* named with --config: must exist */
	const char *overrides[CONTEXT_MAX_OVERRIDES][3];	/* section, key, value */
	int noverrides;
	int verbose;
	/* host mode: the host's sysfs, opened before entering the container
	 * (whose /sys it may have mounted over); else 0 and [paths] sys */
	int sys_fd_given;

	struct config cfg;
	struct idmaps ids;
	struct ruleset rules;
	struct devroot dev;
	struct sysfs sys;
	struct handler h;
	struct publisher pub;
	bool pub_open;
	struct policy policy;
	int fw_fd;			/* the firmware directory, or -1 */
	struct fsprobe disks;		/* libblkid probes of block devices */
	struct modules mods;
	bool mods_open;
};

/* 0; 1 when a path cannot be opened or the rules read; 2 for a bad config
 * (all already logged). */
int context_open(struct context *c);
/* Warns when no device policy could be found (for -s and -d). */
void context_warn_policy(const struct context *c);
/* Re-reads the config file and the rules (and passwd/group). Anything
 * wrong keeps what is in force and returns -1 after logging why. */
int context_reload(struct context *c);
void context_close(struct context *c);

/* Starts keeping the udev database and, when SEND, opens the socket
 * events are republished on (sending starts with publisher_sending()).
 * What cannot be opened is logged and left out: device nodes come first. */
void context_publish(struct context *c, bool send);

/* Turns module loading on when [modules] load says so ("auto": devmgr
 * runs in the host's initial namespaces). */
void context_modules(struct context *c);

/* Coldplug with the "root" link of mdev -s. 0, or 1 when nothing could be
 * done (logged). */
int context_coldplug(struct context *c, unsigned jobs);

/* The same in two halves, for a scan that hands its devices elsewhere
 * (the daemon's jobs): the "root" link's device and the counts before;
 * then drivers, what the scan of N devices did said, and the result. */
struct scan_tally {
	unsigned long nodes, failures, outside;
};
void context_scan_begin(struct context *c, struct scan_tally *t);
int context_scan_end(struct context *c, const struct scan_tally *t, long n);

#endif
