/* fuzz_uevent: the first byte picks the event source, the rest is its
 * text: 0 a netlink buffer, 1 a sysfs uevent file, 2 an environment
 * (NUL-separated entries). Then the common keys are read back, the event
 * is copied, and the copy must hold the same keys. */
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "uevent.h"

#define MAX_ENV 512

static const char *const common_keys[] = {
	"ACTION", "DEVPATH", "SUBSYSTEM", "DEVNAME", "DEVTYPE", "MAJOR", "MINOR",
	"SEQNUM", "FIRMWARE", "MODALIAS", "PRODUCT", "INTERFACE", "DRIVER", "", "=",
};

FUZZ_QUIET_INITIALIZE

/* Every key points into the event's own buffer, inside len, and is a
 * terminated KEY=VALUE with a non-empty key; no key appears twice. */
static void check_event(const struct uevent *ev)
{
	FUZZ_CHECK(ev->len <= sizeof(ev->buf), "len %zu", ev->len);
	FUZZ_CHECK(ev->nkeys <= UEVENT_MAX_KEYS, "nkeys %u", ev->nkeys);
	for (unsigned i = 0; i < ev->nkeys; i++) {
		const char *k = ev->keys[i];
		FUZZ_CHECK(k >= ev->buf && k < ev->buf + ev->len, "key %u outside buf", i);
		size_t room = (size_t)(ev->buf + ev->len - k);
		const char *z = memchr(k, '\0', room);
		FUZZ_CHECK(z != NULL, "key %u unterminated", i);
		const char *eq = memchr(k, '=', (size_t)(z - k));
		if (eq == NULL) {
			/* Known and tolerated (consumers test strchr(key, '=')):
			 * a sysfs line with a NUL before its '=' is stored whole,
			 * so the C string has no '='. Accept only that case. */
			FUZZ_CHECK(z + 1 < ev->buf + ev->len &&
				   memchr(z + 1, '=', (size_t)(ev->buf + ev->len - z - 1)),
				   "key %u not KEY=VALUE", i);
			continue;
		}
		FUZZ_CHECK(eq != k, "key %u has an empty name", i);
		/* uevent_get must find this very entry (keys are unique) */
		char name[UEVENT_BUF_SIZE];
		memcpy(name, k, (size_t)(eq - k));
		name[eq - k] = '\0';
		const char *v = uevent_get(ev, name);
		FUZZ_CHECK(v == eq + 1, "uevent_get(%s) gives another entry", name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uevent *ev, *copy;

	if (size < 1 || size > 64 * 1024)
		return 0;
	unsigned sel = data[0] % 3;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	/* a private copy so reads past the input are caught exactly */
	char *buf = malloc(len ? len : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, text, len);

	ev = malloc(sizeof(*ev));
	copy = malloc(sizeof(*copy));
	if (ev == NULL || copy == NULL)
		abort();
	uevent_init(ev);

	int rc = 0;
	switch (sel) {
	case 0:
		rc = uevent_parse_netlink(ev, buf, len);
		if (rc == 0) {
			FUZZ_CHECK(uevent_get(ev, "ACTION") != NULL, "no ACTION");
			FUZZ_CHECK(uevent_get(ev, "DEVPATH") != NULL, "no DEVPATH");
		}
		break;
	case 1:
		/* what coldplug does: a few keys known first, the file on top */
		uevent_set(ev, "ACTION", "add");
		uevent_set(ev, "DEVPATH", "/devices/virtual/misc/fuzz");
		rc = uevent_parse_lines(ev, buf, len);
		break;
	case 2: {
		char *s = fuzz_strndup((const unsigned char *)buf, len);
		char **envp = malloc((MAX_ENV + 1) * sizeof(*envp));
		size_t n = 0;
		if (envp == NULL)
			abort();
		for (char *p = s; p < s + len && n < MAX_ENV; p += strlen(p) + 1)
			envp[n++] = p;
		envp[n] = NULL;
		rc = uevent_from_environ(ev, envp);
		free(envp);
		free(s);
		break;
	}
	}
	(void)rc;
	/* even a failed parse leaves a consistent event */
	check_event(ev);

	for (size_t i = 0; i < sizeof(common_keys) / sizeof(common_keys[0]); i++) {
		const char *v = uevent_get(ev, common_keys[i]);
		if (v)
			(void)strlen(v);
	}

	uevent_copy(copy, ev);
	check_event(copy);
	FUZZ_CHECK(copy->nkeys == ev->nkeys && copy->len == ev->len, "copy differs");
	for (unsigned i = 0; i < ev->nkeys; i++)
		FUZZ_CHECK(strcmp(copy->keys[i], ev->keys[i]) == 0, "copied key %u differs", i);
	/* the copy stands alone: changing it leaves the original as it was */
	if (uevent_set(copy, "ACTION", "change") == 0) {
		FUZZ_CHECK(strcmp(uevent_get(copy, "ACTION"), "change") == 0, "set ACTION");
		check_event(copy);
	}
	check_event(ev);

	free(copy);
	free(ev);
	free(buf);
	return 0;
}
