/* The dry run (-n, "devmgr test"): a device's plan in words: which rule
 * lines match (FILE:LINE), the node they would make (path, type,
 * numbers, owner, mode), its links and the commands that would run.
 * Nothing is done. */
#ifndef DEVMGR_EXPLAIN_H
#define DEVMGR_EXPLAIN_H

#include "device.h"
#include "plan.h"
#include "policy.h"

/* Prints PLAN for DEV on stdout: RULES is the rule file's path, DEV_PATH
 * the dev root's; persistent names are worked out from SYS_FD. */
void explain_plan(const struct plan *plan, const struct device *dev, const char *rules,
		  const char *dev_path, int sys_fd, const struct policy *policy);

#endif
