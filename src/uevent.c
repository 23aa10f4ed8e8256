/* Parsing of every event source into struct uevent. Values live in the
 * event's own buffer; keys[] point into it, so an event must not be
 * copied by value. */
#include "uevent.h"
#include "fileio.h"

#include <stdbool.h>
#include <string.h>

void uevent_copy(struct uevent *dst, const struct uevent *src)
{
	dst->len = src->len;
	dst->nkeys = src->nkeys;
	memcpy(dst->buf, src->buf, src->len);
	for (unsigned i = 0; i < src->nkeys; i++)
		dst->keys[i] = dst->buf + (src->keys[i] - src->buf);
	memcpy(dst->klen, src->klen, src->nkeys * sizeof(src->klen[0]));
}

char *uevent_pack(const struct uevent *ev, size_t *len)
{
	return strv_pack(ev->keys, ev->nkeys, len);
}

int uevent_unpack(struct uevent *ev, const char *data, size_t len)
{
	uevent_init(ev);
	for (size_t at = 0; at < len && data[at]; ) {
		size_t n = strnlen(data + at, len - at);
		if (at + n == len || uevent_set_pair(ev, data + at, n) < 0)
			return -1;
		at += n + 1;
	}
	return 0;
}

void uevent_init(struct uevent *ev)
{
	ev->len = 0;
	ev->nkeys = 0;
}

static int find_key(const struct uevent *ev, const char *key, size_t klen)
{
	/* the length and the first letter rule most keys out: a storm asks
	 * often */
	for (unsigned i = 0; i < ev->nkeys; i++)
		if (ev->klen[i] == klen && ev->keys[i][0] == key[0] &&
		    memcmp(ev->keys[i], key, klen) == 0)
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
	ev->klen[i] = (unsigned short)(eq - pair);
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

const char *uevent_get_n(const struct uevent *ev, const char *key, size_t klen)
{
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

static bool kernel_like(const char *s, const char *eq)
{
	if (eq == NULL || eq == s)
		return false;
	for (const char *c = s; c < eq; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

int uevent_from_environ(struct uevent *ev, char *const *envp)
{
	static const char *const first[] = {
		"ACTION=", "DEVPATH=", "SUBSYSTEM=", "DEVNAME=", "DEVTYPE=", "MAJOR=", "MINOR=",
		"SEQNUM=", "FIRMWARE=", "MODALIAS=",
	};

	uevent_init(ev);
	/* The keys devmgr acts on first, so that a large environment (a
	 * helper started by hand) cannot crowd them out. */
	for (size_t k = 0; k < sizeof(first) / sizeof(first[0]); k++)
		for (char *const *e = envp; *e; e++)
			if (strncmp(*e, first[k], strlen(first[k])) == 0 &&
			    uevent_set_pair(ev, *e, strlen(*e)) < 0)
				return -1;
	/* Then the rest that looks like kernel keys (upper case, digits,
	 * '_'; not PATH's neighbours in lower case), as far as it fits:
	 * rules still find what is left out through getenv(). */
	for (; *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		if (kernel_like(*envp, eq) && uevent_get_n(ev, *envp, (size_t)(eq - *envp)) == NULL)
			uevent_set_pair(ev, *envp, strlen(*envp));
	}
	return 0;
}
