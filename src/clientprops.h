/* The properties client packages' own udev rules set, which those clients
 * wait for: ModemManager's 80-mm-candidate.rules (ID_MM_CANDIDATE and the
 * wwan port types: "port ... not candidate" otherwise), and systemd's
 * 78-sound-card.rules (SOUND_INITIALIZED on a sound card's change event:
 * PipeWire and WirePlumber ignore a card without it). */
#ifndef DEVMGR_CLIENTPROPS_H
#define DEVMGR_CLIENTPROPS_H

#include <stdbool.h>

#include "devprops.h"

/* For the event ACTION ("add" for a scan, "change", ...) of the device
 * NAME (the kernel's: "ttyUSB0", "card0") in SUBSYSTEM, of DEVTYPE (or
 * NULL), into P. SYS_FD: the sysfs root; SYSDIR: the device's directory
 * relative to it ("devices/..." or "dev/char/M:m"), for the few
 * attributes and links the rules look at. */
void clientprops_add(int sys_fd, const char *action, const char *sysdir, const char *name,
		     const char *subsystem, const char *devtype, struct devprops *p);

#endif
