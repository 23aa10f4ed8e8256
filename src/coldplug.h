/* mdev -s: every device sysfs lists, handled in JOBS processes. The
 * devices are independent and most of the cost is path walks and inode
 * creation in the kernel, which scale across CPUs; rule commands are not
 * independent (Alpine's "@ln -sf $MDEV modem" for every ttyUSB): they run
 * afterwards, one at a time, in the order a single process would have
 * run them. */
#ifndef DEVMGR_COLDPLUG_H
#define DEVMGR_COLDPLUG_H

#include "handler.h"
#include "sysfs.h"

#define COLDPLUG_MAX_JOBS 16

/* The number of devices seen, -1 when sysfs lists none; nodes, failures
 * and scan errors are counted on H. */
long coldplug_run(struct handler *h, struct sysfs *s, unsigned jobs);

#endif
