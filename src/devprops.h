/* What devmgr knows of a device beyond the kernel's event: the
 * properties it adds (ID_* from sysfs), the symlinks to its node, its
 * tags and when it was first set up. Published in the events and kept in
 * the udev database, the way udev keeps what its rules add. */
#ifndef DEVMGR_DEVPROPS_H
#define DEVMGR_DEVPROPS_H

#include <stdint.h>
#include <stddef.h>

#define DEVPROPS_MAX 48
#define DEVPROPS_LINKS 8
#define DEVPROPS_TAGS 8

struct devprops {
	uint64_t usec;				/* USEC_INITIALIZED, 0 unknown */
	unsigned nprop, nlink, ntag;
	const char *prop[DEVPROPS_MAX];		/* "KEY=VALUE" */
	const char *link[DEVPROPS_LINKS];	/* relative to the dev root */
	const char *tag[DEVPROPS_TAGS];
	size_t used;
	char buf[4096];
};

void devprops_init(struct devprops *p);
/* A copy that stands alone (its pointers into its own buffer). */
void devprops_copy(struct devprops *dst, const struct devprops *src);
/* Whether TAG is among p's tags. */
int devprops_has_tag(const struct devprops *p, const char *tag);
/* Each returns 0, or -1 when full (the value is then left out). A
 * property that is set already is replaced; a link or tag that is there
 * already is not added twice. */
int devprops_set(struct devprops *p, const char *key, const char *value);
int devprops_link(struct devprops *p, const char *link);
int devprops_tag(struct devprops *p, const char *tag);
const char *devprops_get(const struct devprops *p, const char *key);
/* A hash of everything P says (time, properties, links, tags, in order):
 * equal hashes, the same database entry. */
uint64_t devprops_hash(const struct devprops *p);

#endif
