/* Parsing of every event source into struct uevent. Values live in the
 * event's own buffer so an event can be queued or copied as one block. */
#include "uevent.h"

#include <string.h>

void uevent_init(struct uevent *ev)
{
	ev->len = 0;
	ev->nkeys = 0;
}

static int find_key(const struct uevent *ev, const char *key, size_t klen)
{
	for (unsigned i = 0; i < ev->nkeys; i++)
		if (strncmp(ev->keys[i], key, klen) == 0 && ev->keys[i][klen] == '=')
			return (int)i;
	return -1;
}

int uevent_set_pair(struct uevent *ev, const char *pair, size_t n)
{
	const char *eq = memchr(pair, '=', n);

	if (eq == NULL || eq == pair)
		return -1;
	if (ev->len + n + 1 > sizeof(ev->buf))
		return -1;
	int i = find_key(ev, pair, (size_t)(eq - pair));
	if (i < 0) {
		if (ev->nkeys == UEVENT_MAX_KEYS)
			return -1;
		i = (int)ev->nkeys++;
	}
	/* A replaced value stays in the buffer unused: events are short-lived
	 * and a key is rarely set twice, so compaction is not worth it. */
	char *dst = ev->buf + ev->len;
	memcpy(dst, pair, n);
	dst[n] = '\0';
	ev->len += n + 1;
	ev->keys[i] = dst;
	return 0;
}

int uevent_set(struct uevent *ev, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);
	char tmp[UEVENT_BUF_SIZE];

	if (kl + vl + 2 > sizeof(tmp))
		return -1;
	memcpy(tmp, key, kl);
	tmp[kl] = '=';
	memcpy(tmp + kl + 1, value, vl);
	return uevent_set_pair(ev, tmp, kl + 1 + vl);
}

const char *uevent_get(const struct uevent *ev, const char *key)
{
	size_t klen = strlen(key);
	int i = find_key(ev, key, klen);

	return i < 0 ? NULL : ev->keys[i] + klen + 1;
}

int uevent_parse_netlink(struct uevent *ev, const char *buf, size_t len)
{
	const char *end = buf + len;
	const char *p = memchr(buf, '\0', len);

	/* The header must be "ACTION@DEVPATH"; the keys repeat both. */
	if (p == NULL || memchr(buf, '@', (size_t)(p - buf)) == NULL)
		return -1;
	uevent_init(ev);
	for (p++; p < end; ) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

		if (n > 0 && uevent_set_pair(ev, p, n) < 0)
			return -1;
		p += n + 1;
	}
	if (!uevent_get(ev, "ACTION") || !uevent_get(ev, "DEVPATH"))
		return -1;
	return 0;
}

int uevent_parse_lines(struct uevent *ev, const char *text, size_t len)
{
	const char *end = text + len;

	for (const char *p = text; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* sysfs lines are trusted to be KEY=VALUE; a line without '=' is
		 * skipped rather than failing the whole device. */
		if (n > 0 && memchr(p, '=', n) && uevent_set_pair(ev, p, n) < 0)
			return -1;
		p += n + 1;
	}
	return 0;
}

int uevent_from_environ(struct uevent *ev, char *const *envp)
{
	uevent_init(ev);
	for (; *envp; envp++) {
		const char *eq = strchr(*envp, '=');

		/* The environment also holds PATH, HOME and friends: keep only
		 * names that look like kernel keys (upper case, digits, _). */
		if (eq == NULL || eq == *envp)
			continue;
		int kernel_like = 1;
		for (const char *c = *envp; c < eq; c++)
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
				kernel_like = 0;
		if (kernel_like && uevent_set_pair(ev, *envp, strlen(*envp)) < 0)
			return -1;
	}
	return 0;
}
