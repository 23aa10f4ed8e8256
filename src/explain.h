/* The dry run (-n, "devmgr test"): for a device, which rule lines match
 * (file:line), the node they would make (path, type, numbers, owner,
 * mode), its links and the commands that would run; nothing is done. */
#ifndef DEVMGR_EXPLAIN_H
#define DEVMGR_EXPLAIN_H

#include "handler.h"

/* Prints what handle_device() would do with DEV, on stdout. 0. */
int explain_device(struct handler *h, const struct device *dev);

#endif
