/* Host mode's own settings (/etc/devmgr/host.conf, through inih): where
 * the control socket is, and which devices each container gets. A
 * container is matched by its attach name (a shell pattern); a device is
 * its when any of the section's lines matches it. */
#ifndef DEVMGR_HOSTCONF_H
#define DEVMGR_HOSTCONF_H

#include <stdbool.h>
#include <sys/types.h>

#include "uevent.h"

#define HOSTCONF_MAX_GRANTS 32
#define HOSTCONF_MAX_CONTAINERS 64

enum grant_kind { GRANT_SUBSYSTEM, GRANT_NUMBERS, GRANT_USB, GRANT_PATH };

struct grant {
	enum grant_kind kind;
	char text[256];		/* subsystem name, or sysfs path prefix */
	char type;		/* 'b' or 'c' (GRANT_NUMBERS) */
	int major, minor;	/* -1: any minor */
	unsigned vendor, product;	/* GRANT_USB */
	unsigned line;
};

struct hostconf_container {
	char pattern[128];	/* fnmatch(3) on the attach name */
	unsigned line;
	struct grant grants[HOSTCONF_MAX_GRANTS];
	unsigned ngrants;
};

struct hostconf {
	char *socket;		/* the control socket */
	char *sys;		/* sysfs, for USB ancestry */
	char *cgroup;		/* the v1 hierarchies' parent; "no": leave
				 * the containers' device cgroups alone */
	char *cgroup2;		/* the cgroup2 mount; "no": leave their
				 * device programs alone */
	struct hostconf_container c[HOSTCONF_MAX_CONTAINERS];
	unsigned n;
};

void hostconf_defaults(struct hostconf *h);
void hostconf_free(struct hostconf *h);
/* Reads PATH (absent is an error when REQUIRED). 0, or -1 after logging
 * every bad line as FILE:LINE. */
int hostconf_load(struct hostconf *h, const char *path, bool required);
/* The section for attach name NAME (the first that matches), or NULL. */
const struct hostconf_container *hostconf_find(const struct hostconf *h, const char *name);
/* Whether the event's device is granted to container C; SYS_FD is the
 * sysfs root (a USB grant covers the USB device and all below it). The
 * matching line in *LINE. */
bool hostconf_grants(const struct hostconf_container *c, int sys_fd, const struct uevent *ev,
		     unsigned *line);

#endif
