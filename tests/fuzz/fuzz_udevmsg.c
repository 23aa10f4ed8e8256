/* fuzz_udevmsg: builds both republished messages from input-derived
 * properties, then decodes them with a decoder of its own and checks that
 * every property that was accepted comes back, in order, and that the
 * libudev header is right. The input also goes through policy_parse_rule.
 *
 * Input: byte 0 picks the /dev root and the tags; the rest is lines
 * ("\n" or NUL separated) of KEY=VALUE. DEVNAME=x goes through
 * udevmsg_add_devname, a line without '=' through udevmsg_add_pair. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "policy.h"
#include "udevmsg.h"

#define MAX_PROPS 1024

static const char *const roots[] = { "/dev", "/", "/dev/", "", "/tmp/x//", "dev" };
static const char *const tags[] = { "seat", "uaccess", "systemd", "" };

FUZZ_QUIET_INITIALIZE

/* MurmurHash2, written from Appleby's reference, to check devmgr's. */
static uint32_t ref_murmur2(const unsigned char *p, size_t len, uint32_t seed)
{
	const uint32_t m = 0x5bd1e995;
	uint32_t h = seed ^ (uint32_t)len;

	while (len >= 4) {
		uint32_t k;	/* host byte order, as systemd reads it */
		memcpy(&k, p, 4);
		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
		p += 4;
		len -= 4;
	}
	if (len == 3)
		h ^= (uint32_t)p[2] << 16;
	if (len >= 2)
		h ^= (uint32_t)p[1] << 8;
	if (len >= 1) {
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get_host32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

struct expect {
	char *udev, *zero;	/* what each message must carry */
};

/* Splits a NUL-separated property list and compares it with want[]. */
static void check_props(const char *which, const unsigned char *b, size_t len,
			struct expect *want, size_t n, bool udev)
{
	size_t i = 0;

	FUZZ_CHECK(len == 0 || b[len - 1] == '\0', "%s: properties not NUL-terminated", which);
	for (size_t off = 0; off < len; i++) {
		const unsigned char *z = memchr(b + off, '\0', len - off);
		FUZZ_CHECK(z != NULL, "%s: property %zu unterminated", which, i);
		size_t pl = (size_t)(z - (b + off));
		FUZZ_CHECK(i < n, "%s: more properties than added (%zu)", which, n);
		const char *w = udev ? want[i].udev : want[i].zero;
		FUZZ_CHECK(strlen(w) == pl && memcmp(w, b + off, pl) == 0,
			   "%s: property %zu is '%.*s', want '%s'", which, i, (int)pl,
			   (const char *)(b + off), w);
		off += pl + 1;
	}
	FUZZ_CHECK(i == n, "%s: %zu properties, %zu added", which, i, n);
}

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);
	if (s == NULL)
		abort();
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc);
	s[la + lb + lc] = '\0';
	return s;
}

static void fuzz_policy(const char *s)
{
	struct policy_rule r;
	const char *why = policy_parse_rule(s, &r);

	if (why == NULL) {
		FUZZ_CHECK(r.type == 'c' || r.type == 'b' || r.type == 'a', "type %d", r.type);
		FUZZ_CHECK(r.major >= -1 && r.major <= 0xfffff, "major %d", r.major);
		FUZZ_CHECK(r.minor >= -1 && r.minor <= 0xfffff, "minor %d", r.minor);
		FUZZ_CHECK(r.perms != 0 && (r.perms & ~7u) == 0, "perms %u", r.perms);
	} else {
		FUZZ_CHECK(why[0] != '\0', "empty reason");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64 * 1024)
		return 0;

	char *all = fuzz_strndup(data, size);
	fuzz_policy(all + 1);			/* up to the first NUL */
	/* and each line on its own, as config lines would be */
	for (char *l = all + 1; *l; ) {
		size_t n = strcspn(l, "\n");
		char save = l[n];
		l[n] = '\0';
		fuzz_policy(l);
		l[n] = save;
		l += n + (save != '\0');
	}

	unsigned sel = data[0];
	const char *root = roots[sel % 6];
	const char *tag = tags[(sel / 6) % 4];
	uint64_t bloom = tag[0] ? tag_bloom(tag) : 0;
	const char *subsystem = NULL, *devtype = NULL;

	struct udevmsg *m = malloc(sizeof(*m));
	struct expect *want = calloc(MAX_PROPS, sizeof(*want));
	char *text = fuzz_strndup(data + 1, size - 1);
	if (m == NULL || want == NULL)
		abort();
	udevmsg_init(m);
	size_t n = 0, udev_len = UDEVMSG_HEADER_SIZE, zero_len = 0;
	bool overflowed = false;

	size_t rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	char rootslash[64];
	memcpy(rootslash, root, rl);
	rootslash[rl] = '/';
	rootslash[rl + 1] = '\0';

	for (char *p = text; p < text + (size - 1) && n < MAX_PROPS; ) {
		size_t ll = strcspn(p, "\n");	/* stops at NUL too */
		char *next = p + ll + 1;
		p[ll] = '\0';
		char *eq = strchr(p, '=');
		int rc;
		struct expect e;

		if (eq == NULL) {
			rc = udevmsg_add_pair(m, p);
			e.udev = cat3(p, "", "");
			e.zero = cat3(p, "", "");
		} else {
			*eq = '\0';
			const char *key = p, *value = eq + 1;
			if (strcmp(key, "DEVNAME") == 0) {
				rc = udevmsg_add_devname(m, root, value);
				e.udev = cat3("DEVNAME=", rootslash, value);
				e.zero = cat3("DEVNAME=", value, "");
			} else {
				rc = udevmsg_add(m, key, value);
				e.udev = cat3(key, "=", value);
				e.zero = cat3(key, "=", value);
				if (strcmp(key, "SUBSYSTEM") == 0)
					subsystem = value;
				else if (strcmp(key, "DEVTYPE") == 0)
					devtype = value;
			}
			/* a key of 256 bytes or more is refused whole */
			if (strlen(key) >= 256 && strcmp(key, "DEVNAME") != 0) {
				FUZZ_CHECK(rc == -1, "key of %zu bytes accepted", strlen(key));
				free(e.udev);
				free(e.zero);
				overflowed = true;
				p = next;
				continue;
			}
		}
		size_t ul = strlen(e.udev) + 1, zl = strlen(e.zero) + 1;
		bool fits = udev_len + ul <= sizeof(m->udev) && zero_len + zl <= sizeof(m->zero);
		FUZZ_CHECK((rc == 0) == fits, "property %zu (%s): rc %d but fits=%d", n, e.udev,
			   rc, fits);
		if (rc == 0) {
			want[n++] = e;
			udev_len += ul;
			zero_len += zl;
		} else {
			overflowed = true;
			free(e.udev);
			free(e.zero);
		}
		p = next;
	}
	udevmsg_finish(m, subsystem, devtype, bloom);
	FUZZ_CHECK(!m->overflow == !overflowed, "overflow flag %d, expected %d", m->overflow,
		   overflowed);
	FUZZ_CHECK(m->udev_len == udev_len && m->zero_len == zero_len,
		   "lengths %zu/%zu, expected %zu/%zu", m->udev_len, m->zero_len, udev_len, zero_len);

	/* decode the libudev message as a client (sd-device-monitor) would */
	const unsigned char *u = m->udev;
	FUZZ_CHECK(m->udev_len >= UDEVMSG_HEADER_SIZE && m->udev_len <= sizeof(m->udev), "udev_len");
	FUZZ_CHECK(memcmp(u, "libudev", 8) == 0, "prefix");
	FUZZ_CHECK(get_be32(u + 8) == UDEVMSG_MAGIC, "magic %08x", get_be32(u + 8));
	uint32_t hsize = get_host32(u + 12), poff = get_host32(u + 16), plen = get_host32(u + 20);
	FUZZ_CHECK(hsize == UDEVMSG_HEADER_SIZE, "header_size %u", hsize);
	FUZZ_CHECK(poff >= hsize && poff <= m->udev_len, "properties_off %u", poff);
	FUZZ_CHECK(plen <= m->udev_len - poff && poff + plen == m->udev_len,
		   "properties_len %u (off %u, total %zu)", plen, poff, m->udev_len);
	uint32_t hs = subsystem ? murmur_hash2(subsystem, strlen(subsystem), 0) : 0;
	uint32_t hd = devtype ? murmur_hash2(devtype, strlen(devtype), 0) : 0;
	FUZZ_CHECK(get_be32(u + 24) == hs, "subsystem hash");
	FUZZ_CHECK(get_be32(u + 28) == hd, "devtype hash");
	if (subsystem)
		FUZZ_CHECK(hs == ref_murmur2((const unsigned char *)subsystem, strlen(subsystem), 0),
			   "murmur_hash2 differs from the reference for '%s'", subsystem);
	FUZZ_CHECK(((uint64_t)get_be32(u + 32) << 32 | get_be32(u + 36)) == bloom, "bloom");
	check_props("udev", u + poff, plen, want, n, true);
	check_props("zero", m->zero, m->zero_len, want, n, false);

	/* the hash of the whole input too, against the reference */
	FUZZ_CHECK(murmur_hash2(data, size, sel) == ref_murmur2(data, size, sel), "murmur");

	for (size_t i = 0; i < n; i++) {
		free(want[i].udev);
		free(want[i].zero);
	}
	free(want);
	free(text);
	free(m);
	free(all);
	return 0;
}
