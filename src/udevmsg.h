/* The two wire formats devmgr republishes events in:
 *  - systemd's libudev format (netlink group 2): a 40-byte "libudev"
 *    header, whose hash fields the clients' socket filters test, then
 *    the KEY=VALUE\0 properties, DEVNAME absolute;
 *  - libudev-zero's format (group 4): the bare KEY=VALUE\0 list, DEVNAME
 *    relative to /dev as the kernel gives it.
 * One builder fills both, property by property. */
#ifndef DEVMGR_UDEVMSG_H
#define DEVMGR_UDEVMSG_H

#include <stddef.h>
#include <stdint.h>

#define UDEVMSG_HEADER_SIZE 40
#define UDEVMSG_MAGIC 0xfeedcafeU
/* Both client libraries receive into 8192 bytes and drop what was
 * truncated: no message may be longer (a kernel event is at most 2048). */
#define UDEVMSG_PROPS_MAX (8192 - UDEVMSG_HEADER_SIZE)

struct udevmsg {
	/* header followed by the properties, ready to send */
	unsigned char udev[UDEVMSG_HEADER_SIZE + UDEVMSG_PROPS_MAX];
	size_t udev_len;
	unsigned char zero[UDEVMSG_PROPS_MAX];
	size_t zero_len;
	const char *subsystem, *devtype;	/* for the header hashes */
	uint64_t bloom;				/* tags */
	int overflow;				/* a property did not fit */
};

/* MurmurHash2 (32-bit, Austin Appleby's), as systemd hashes filter keys. */
uint32_t murmur_hash2(const void *key, size_t len, uint32_t seed);
/* systemd's 64-bit tag bloom: four bits, one per 6-bit slice of the hash. */
uint64_t tag_bloom(const char *tag);

void udevmsg_init(struct udevmsg *m);
/* Adds KEY=VALUE to both messages. -1 (and m->overflow) when full. */
int udevmsg_add(struct udevmsg *m, const char *key, const char *value);
/* Adds "KEY=VALUE" given whole, to both. */
int udevmsg_add_pair(struct udevmsg *m, const char *pair);
/* DEVNAME: DEV_ROOT/NAME in the libudev message, NAME in the other. */
int udevmsg_add_devname(struct udevmsg *m, const char *dev_root, const char *name);
/* Writes the header; subsystem and devtype are hashed, NULL hashes as 0. */
void udevmsg_finish(struct udevmsg *m, const char *subsystem, const char *devtype, uint64_t bloom);

#endif
