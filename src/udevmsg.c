#include "udevmsg.h"

#include <arpa/inet.h>
#include <string.h>

uint32_t murmur_hash2(const void *key, size_t len, uint32_t seed)
{
	const uint32_t m = 0x5bd1e995;
	const unsigned char *p = key;
	uint32_t h = seed ^ (uint32_t)len;

	for (; len >= 4; len -= 4, p += 4) {
		/* host byte order, as systemd's copy reads it: its clients
		 * compare with hashes of their own making */
		uint32_t k;
		memcpy(&k, p, 4);
		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len) {
	case 3:
		h ^= (uint32_t)p[2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[1] << 8;
		/* fall through */
	case 1:
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

uint64_t tag_bloom(const char *tag)
{
	uint32_t h = murmur_hash2(tag, strlen(tag), 0);

	return 1ULL << (h & 63) | 1ULL << (h >> 6 & 63) | 1ULL << (h >> 12 & 63) |
	       1ULL << (h >> 18 & 63);
}

void udevmsg_init(struct udevmsg *m)
{
	m->udev_len = UDEVMSG_HEADER_SIZE;
	m->zero_len = 0;
	m->overflow = 0;
}

static int put(struct udevmsg *m, const char *a, size_t alen, const char *b, size_t blen,
	       const char *c, size_t clen, int skip_c_in_zero)
{
	size_t uz = alen + blen + clen + 1;
	size_t zz = skip_c_in_zero ? alen + clen + 1 : uz;

	if (m->udev_len + uz > sizeof(m->udev) || m->zero_len + zz > sizeof(m->zero)) {
		m->overflow = 1;
		return -1;
	}
	unsigned char *u = m->udev + m->udev_len, *z = m->zero + m->zero_len;
	memcpy(u, a, alen);
	memcpy(u + alen, b, blen);
	memcpy(u + alen + blen, c, clen);
	u[uz - 1] = '\0';
	memcpy(z, a, alen);
	if (!skip_c_in_zero) {
		memcpy(z + alen, b, blen);
		memcpy(z + alen + blen, c, clen);
	} else {
		memcpy(z + alen, c, clen);
	}
	z[zz - 1] = '\0';
	m->udev_len += uz;
	m->zero_len += zz;
	return 0;
}

int udevmsg_add(struct udevmsg *m, const char *key, const char *value)
{
	size_t k = strlen(key);
	char kb[256];

	if (k + 1 > sizeof(kb)) {
		m->overflow = 1;
		return -1;
	}
	memcpy(kb, key, k);
	kb[k] = '=';
	return put(m, kb, k + 1, "", 0, value, strlen(value), 0);
}

int udevmsg_add_pair(struct udevmsg *m, const char *pair)
{
	return put(m, pair, strlen(pair), "", 0, "", 0, 0);
}

int udevmsg_add_devname(struct udevmsg *m, const char *dev_root, const char *name)
{
	size_t r = strlen(dev_root);

	/* "/" as the root must not give "//name" */
	while (r > 0 && dev_root[r - 1] == '/')
		r--;
	char root[4096];
	if (r + 1 >= sizeof(root)) {
		m->overflow = 1;
		return -1;
	}
	memcpy(root, dev_root, r);
	root[r] = '/';
	return put(m, "DEVNAME=", 8, root, r + 1, name, strlen(name), 1);
}

static void be32(unsigned char *p, uint32_t v)
{
	uint32_t n = htonl(v);
	memcpy(p, &n, 4);
}

static void host32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void udevmsg_finish(struct udevmsg *m, const char *subsystem, const char *devtype, uint64_t bloom)
{
	unsigned char *h = m->udev;

	memset(h, 0, UDEVMSG_HEADER_SIZE);
	memcpy(h, "libudev", 8);
	be32(h + 8, UDEVMSG_MAGIC);
	host32(h + 12, UDEVMSG_HEADER_SIZE);
	host32(h + 16, UDEVMSG_HEADER_SIZE);
	host32(h + 20, (uint32_t)(m->udev_len - UDEVMSG_HEADER_SIZE));
	be32(h + 24, subsystem ? murmur_hash2(subsystem, strlen(subsystem), 0) : 0);
	be32(h + 28, devtype ? murmur_hash2(devtype, strlen(devtype), 0) : 0);
	be32(h + 32, (uint32_t)(bloom >> 32));
	be32(h + 36, (uint32_t)bloom);
	m->subsystem = subsystem;
	m->devtype = devtype;
	m->bloom = bloom;
}
