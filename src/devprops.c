#include "devprops.h"

#include <stddef.h>
#include <string.h>

void devprops_init(struct devprops *p)
{
	p->usec = 0;
	p->nprop = p->nlink = p->ntag = 0;
	p->used = 0;
}

static void rebase(const char **v, unsigned n, const struct devprops *from, struct devprops *to)
{
	for (unsigned i = 0; i < n; i++)
		v[i] = to->buf + (v[i] - from->buf);
}

void devprops_copy(struct devprops *dst, const struct devprops *src)
{
	if (dst == src)
		return;
	memcpy(dst, src, offsetof(struct devprops, buf) + src->used);
	rebase(dst->prop, dst->nprop, src, dst);
	rebase(dst->link, dst->nlink, src, dst);
	rebase(dst->tag, dst->ntag, src, dst);
}

int devprops_has_tag(const struct devprops *p, const char *tag)
{
	for (unsigned i = 0; i < p->ntag; i++)
		if (strcmp(p->tag[i], tag) == 0)
			return 1;
	return 0;
}

static const char *store(struct devprops *p, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (p->used + la + lb + lc + 1 > sizeof(p->buf))
		return NULL;
	char *s = p->buf + p->used;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc);
	s[la + lb + lc] = '\0';
	p->used += la + lb + lc + 1;
	return s;
}

int devprops_set(struct devprops *p, const char *key, const char *value)
{
	size_t k = strlen(key);
	unsigned i;

	for (i = 0; i < p->nprop; i++)
		if (strncmp(p->prop[i], key, k) == 0 && p->prop[i][k] == '=')
			break;
	if (i == p->nprop && p->nprop == DEVPROPS_MAX)
		return -1;
	const char *s = store(p, key, "=", value);
	if (s == NULL)
		return -1;
	p->prop[i] = s;
	if (i == p->nprop)
		p->nprop++;
	return 0;
}

const char *devprops_get(const struct devprops *p, const char *key)
{
	size_t k = strlen(key);

	for (unsigned i = 0; i < p->nprop; i++)
		if (strncmp(p->prop[i], key, k) == 0 && p->prop[i][k] == '=')
			return p->prop[i] + k + 1;
	return NULL;
}

static int add_unique(struct devprops *p, const char **v, unsigned *n, unsigned max, const char *s)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return 0;
	if (*n == max)
		return -1;
	const char *c = store(p, s, "", "");
	if (c == NULL)
		return -1;
	v[(*n)++] = c;
	return 0;
}

int devprops_link(struct devprops *p, const char *link)
{
	return add_unique(p, p->link, &p->nlink, DEVPROPS_LINKS, link);
}

int devprops_tag(struct devprops *p, const char *tag)
{
	return add_unique(p, p->tag, &p->ntag, DEVPROPS_TAGS, tag);
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *c = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_list(uint64_t h, const char *const *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		h = fnv(h, v[i], strlen(v[i]) + 1);
	return fnv(h, "\n", 1);
}

uint64_t devprops_hash(const struct devprops *p)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, &p->usec, sizeof(p->usec));

	h = fnv_list(h, p->prop, p->nprop);
	h = fnv_list(h, p->link, p->nlink);
	return fnv_list(h, p->tag, p->ntag);
}
