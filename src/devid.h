/* The ID_* properties udev's builtins add and applications look for
 * (pcscd, libinput, serial tools): USB vendor, model and serial from the
 * usb_device parent, input device kinds from the capability bitmaps.
 * Read from sysfs, relative to its root fd. */
#ifndef DEVMGR_DEVID_H
#define DEVMGR_DEVID_H

#include "devprops.h"

/* SYSDIR: the device's directory relative to the sysfs root
 * ("devices/..." or "dev/char/M:m"). */
void devid_add(int sys_fd, const char *sysdir, const char *subsystem, const char *devtype,
	       struct devprops *p);

#endif
