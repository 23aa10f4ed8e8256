/* Device access trees in host.conf, as vpsAdminOS's osctld keeps them:
 * [group PATH] sections in a tree (/, /lab, /lab/ci) and containers as
 * its leaves (group = PATH in a [container] section). A group's grants
 * marked "inherit" are given on to its child groups and containers; a
 * child may narrow a grant it is given (declare the same device with
 * less access, or "-" to deny it) and may declare a device of its own
 * only when its parent provides it with at least that access and does
 * not deny it: a child never widens what its parent gives. A denial
 * ("-") holds for the whole subtree below it. A grant taken from a parent is
 * taken from every child that inherited it; a child that declared it
 * keeps the file from loading (the reload is refused) unless the reload
 * is recursive, which drops those declarations too. A container without
 * a group has its own grants only, as before trees. */
#ifndef DEVMGR_DEVTREE_H
#define DEVMGR_DEVTREE_H

#include <stdbool.h>
#include <stdio.h>

#include "hostconf.h"

/* "/", or "/" and names of letters, digits, _ . - joined by "/". */
bool devtree_path_ok(const char *path);
/* The group above PATH ("/lab/ci": "/lab", "/lab": "/") into OUT. */
void devtree_parent(const char *path, char *out, size_t size);
/* Works out every group's and container's effective grants after FILE
 * was read. 0, or -1 after logging each violation as FILE:LINE. PRUNE
 * (a recursive reload): a declaration its parent no longer provides is
 * dropped, said, instead. */
int devtree_resolve(struct hostconf *h, const char *file, bool prune);
/* Whether P, a parent's grant, provides what D asks for (its access
 * aside): the same device numbers or a wildcard over them, the same
 * subsystem or USB id, a path prefix of D's. */
bool devtree_covers(const struct grant *p, const struct grant *d);
/* The effective grants of C (a group or container) as a table: TYPE
 * MAJOR MINOR MODE NAME INHERIT INHERITED FROM. */
void devtree_print(FILE *f, const struct hostconf_container *c);

#endif
