/* Host mode's own settings (/etc/devmgr/host.conf, through inih): where
 * the control socket is, and which devices each container gets. A
 * container is matched by its attach name (a shell pattern); a device is
 * its when one of its effective grants allows it and none denies it:
 * those of its section, and those its group gives on (a device access
 * tree of [group PATH] sections: devtree.h). */
#ifndef DEVMGR_HOSTCONF_H
#define DEVMGR_HOSTCONF_H

#include <stdbool.h>
#include <sys/types.h>

#include "uevent.h"

#define HOSTCONF_MAX_GRANTS 32
#define HOSTCONF_MAX_CONTAINERS 64
#define HOSTCONF_MAX_USERS 16

enum grant_kind { GRANT_SUBSYSTEM, GRANT_NUMBERS, GRANT_USB, GRANT_PATH };

struct grant {
	enum grant_kind kind;
	char text[256];		/* subsystem name, or sysfs path prefix */
	char type;		/* 'b' or 'c' (GRANT_NUMBERS) */
	int major, minor;	/* -1: any minor */
	unsigned vendor, product;	/* GRANT_USB */
	unsigned line;
	unsigned mode;		/* POLICY_READ | _WRITE | _MKNOD; 0: denied ("-") */
	bool inherit;		/* given on to child groups and containers */
	char name[64];		/* a node name to show ("/dev/fuse"), or "" */
};

/* A grant in force for a group or container: its own, or given on by its
 * group (INHERITED; FROM names the group that declared it). */
struct effective {
	struct grant g;
	bool inherited;
	char from[128];
};

/* A [container PATTERN] section, or a [group PATH] of the tree. */
struct hostconf_container {
	char pattern[128];	/* fnmatch(3) on the attach name; a group's path */
	unsigned line;
	char group[128];	/* a container's group; "" none */
	struct grant grants[HOSTCONF_MAX_GRANTS];
	unsigned ngrants;
	struct effective *eff;	/* worked out at load (devtree.c) */
	unsigned neff;
	/* users = : who besides root may attach such a container, and only
	 * one whose user namespace is theirs (a rootless engine's hooks) */
	uid_t users[HOSTCONF_MAX_USERS];
	unsigned nusers;
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
	struct hostconf_container groups[HOSTCONF_MAX_CONTAINERS];
	unsigned ngroups;
};

void hostconf_defaults(struct hostconf *h);
void hostconf_free(struct hostconf *h);
/* Reads PATH (absent is an error when REQUIRED) and works out the tree.
 * 0, or -1 after logging every bad line as FILE:LINE. */
int hostconf_load(struct hostconf *h, const char *path, bool required);
/* The same; PRUNE: a child's grant its parent no longer provides is
 * dropped, said, instead of failing the load (a recursive reload). */
int hostconf_load_tree(struct hostconf *h, const char *path, bool required, bool prune);
/* The section for attach name NAME (the first that matches), or NULL. */
const struct hostconf_container *hostconf_find(const struct hostconf *h, const char *name);
/* Whether UID is among C's users (root always is). */
bool hostconf_user_may(const struct hostconf_container *c, uid_t uid);
/* Whether any section names users: the control socket is then open to
 * all, each request judged by its sender. */
bool hostconf_has_users(const struct hostconf *h);
/* The group PATH, or NULL. */
const struct hostconf_container *hostconf_group(const struct hostconf *h, const char *path);
/* The access the event's device is granted to container C (POLICY_*
 * bits; 0: none, or denied); SYS_FD is the sysfs root (a USB grant covers
 * the USB device and all below it). The deciding grant's line in *LINE. */
unsigned hostconf_mode(const struct hostconf_container *c, int sys_fd, const struct uevent *ev,
		       unsigned *line);
/* hostconf_mode() != 0 */
bool hostconf_grants(const struct hostconf_container *c, int sys_fd, const struct uevent *ev,
		     unsigned *line);
/* Whether grant G allows the event's device (its mode aside). */
bool hostconf_grant_matches(const struct grant *g, int sys_fd, const struct uevent *ev);

#endif
