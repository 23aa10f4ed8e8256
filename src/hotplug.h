/* devmgr as the kernel's hotplug helper (/proc/sys/kernel/hotplug): one
 * event from the environment, handled like busybox mdev does. */
#ifndef DEVMGR_HOTPLUG_H
#define DEVMGR_HOTPLUG_H

#include "handler.h"
#include "sysfs.h"

/* 0 when handled; 1 when the event is unusable or a node could not be
 * made or removed (the reason is logged). */
int hotplug_run(struct handler *h, struct sysfs *s, char *const *envp);

#endif
