#include "devid.h"

void devid_add(int sys_fd, const char *sysdir, const char *subsystem, const char *devtype,
	       struct devprops *p)
{
	(void)sys_fd; (void)sysdir; (void)subsystem; (void)devtype; (void)p;
}
