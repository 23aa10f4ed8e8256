/* The kernel's user-space firmware fallback (sysfs "loading"/"data"),
 * served the way busybox mdev serves it. */
#ifndef DEVMGR_FIRMWARE_H
#define DEVMGR_FIRMWARE_H

/* Serves one request of the kernel's firmware fallback: DEVPATH is the
 * request's device (SUBSYSTEM=firmware, ACTION=add, FIRMWARE=NAME).
 * SYS_FD: the sysfs root; FW_FD: the firmware directory (/lib/firmware).
 * Writes 1 to DEVPATH/loading, the file's bytes to DEVPATH/data, 0 to
 * loading; when NAME is missing or unreadable, -1 to loading, so the
 * driver does not wait for the timeout. 0 loaded, -1 not (logged). */
int firmware_load(int sys_fd, const char *devpath, int fw_fd, const char *name);

#endif
