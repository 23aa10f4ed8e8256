/* The persistent names udev's 60-serial.rules and 60-persistent-input.rules
 * give serial ports and input devices (/dev/serial/by-id/..., by-path/,
 * /dev/input/by-id/..., by-path/), and the properties those rules set on
 * the way (ID_PATH and ID_PATH_TAG from the path_id builtin, ...), so that
 * containers and the programs in them can find a device by a stable name. */
#ifndef DEVMGR_BYLINKS_H
#define DEVMGR_BYLINKS_H

#include "devprops.h"
#include "uevent.h"

/* The rules give a serial port or input device at most two names, a
 * disk at most seven (by-id, by-path, by-uuid, by-label, by-partuuid,
 * by-partlabel, by-diskseq). */
#define BYLINKS_MAX 8
/* "disk/by-partlabel/" and a file name of up to NAME_MAX (255) bytes. */
#define BYLINKS_NAME 280

/* The persistent names udev's rules give this device, relative to /dev:
 *   serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0
 *   serial/by-id/usb-FTDI_FT232R_USB_UART_A9XYZ123-if00-port0
 *   input/by-id/usb-Logitech_USB_Receiver-event-kbd
 *   input/by-path/pci-0000:00:14.0-usb-0:1:1.0-event-kbd
 * in the order the rules add them (by-path first for serial ports, by-id
 * first for input devices). Built from the ID_* properties devid_add()
 * put in P and from sysfs: SYS_FD is the sysfs root, SYSDIR the device's
 * directory relative to it ("devices/..." or a link to one such as
 * "dev/char/188:0"), as devid_add gets it.
 *
 * SUBSYSTEM ("tty", "input"; NULL: read from sysfs) says which rules
 * apply. DEVNAME is the node relative to /dev ("ttyUSB0", "input/event3");
 * NULL for a device without one, which gets no names but still the
 * properties.
 *
 * Also sets in P what the same rules set: ID_PATH and ID_PATH_TAG where
 * they import path_id and it finds a path; for input devices ID_BUS
 * ("bluetooth", "rmi", "i8042" by where the device sits) and
 * ID_SERIAL=noserial for a keyboard, mouse... without a serial; for a tty
 * below a PCI device that has no ID_BUS, ID_BUS=pci, ID_VENDOR_ID and
 * ID_MODEL_ID.
 *
 * Writes at most BYLINKS_MAX NUL-terminated names into OUT; returns how
 * many. A name never starts with '/', has no empty, "." or ".." component
 * and no component longer than NAME_MAX; a name that would not fit is
 * left out, never cut. */
int bylinks(int sys_fd, const char *sysdir, const char *subsystem, const char *devname,
	    const struct uevent *ev, struct devprops *p, char out[][BYLINKS_NAME]);

#endif
