/* A device event, whatever its source: netlink buffer, sysfs uevent file,
 * or the environment of a hotplug-helper call. */
#ifndef DEVMGR_UEVENT_H
#define DEVMGR_UEVENT_H

#include <stddef.h>
#include <string.h>

#define UEVENT_BUF_SIZE 8192	/* the kernel's own limit is UEVENT_BUFFER_SIZE 2048 */
#define UEVENT_MAX_KEYS 64	/* the kernel's UEVENT_NUM_ENVP is 64 */

struct uevent {
	size_t len;			/* bytes used in buf */
	unsigned nkeys;
	const char *keys[UEVENT_MAX_KEYS];	/* "KEY=VALUE", pointing into buf */
	unsigned short klen[UEVENT_MAX_KEYS];	/* each KEY's length */
	char buf[UEVENT_BUF_SIZE];
};

void uevent_init(struct uevent *ev);
/* A copy that stands alone: its keys point into its own buffer. */
void uevent_copy(struct uevent *dst, const struct uevent *src);
/* The keys alone, "KEY=VALUE\0" each and an empty string after the last:
 * what an event that waits needs to keep (a struct uevent is 8.7 kB).
 * malloc'd; its size in *LEN. */
char *uevent_pack(const struct uevent *ev, size_t *len);
/* An event from uevent_pack()'s bytes. -1 when they are not that. */
int uevent_unpack(struct uevent *ev, const char *data, size_t len);
/* Adds or replaces KEY. Returns 0, or -1 when the event is full. */
int uevent_set(struct uevent *ev, const char *key, const char *value);
/* Adds "KEY=VALUE" given as one string of length n. */
int uevent_set_pair(struct uevent *ev, const char *pair, size_t n);
const char *uevent_get_n(const struct uevent *ev, const char *key, size_t klen);
/* (inline: a storm asks for literal keys whose length the compiler knows) */
static inline const char *uevent_get(const struct uevent *ev, const char *key)
{
	return uevent_get_n(ev, key, strlen(key));
}

/* Netlink kernel format: "ACTION@DEVPATH\0KEY=VALUE\0...". -1 when malformed. */
int uevent_parse_netlink(struct uevent *ev, const char *buf, size_t len);
/* Sysfs uevent file: "KEY=VALUE\n" lines. Adds to what ev already holds. */
int uevent_parse_lines(struct uevent *ev, const char *text, size_t len);
/* Environment of a hotplug-helper call: every "KEY=VALUE" entry. */
int uevent_from_environ(struct uevent *ev, char *const *envp);

#endif
