/* "devmgr grants": the least privilege an engine must give the container
 * for the devices the rule file (and the policy) give nodes on this host,
 * one device at a time: Docker/Podman --device-cgroup-rule flags, LXC
 * lxc.cgroup2.devices.allow lines, a CDI spec. Instead of whole majors. */
#ifndef DEVMGR_GRANTS_H
#define DEVMGR_GRANTS_H

#include "handler.h"
#include "sysfs.h"

/* FORMAT: all, docker, podman, lxc or cdi. 0, 1 when sysfs could not be
 * read completely, 2 for an unknown format. */
int grants_print(struct handler *h, struct sysfs *sys, const char *rules, const char *format);

#endif
