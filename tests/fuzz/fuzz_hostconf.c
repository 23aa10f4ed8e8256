/* fuzz_hostconf: the input is host mode's host.conf, read by the real
 * loader (hostconf_load: inih, then the device access tree). Whatever
 * loads must hold the tree's promise: no container or group is given
 * more than its parent gives, and every table prints. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "devtree.h"
#include "fuzz_common.h"
#include "fuzz_file.h"
#include "hostconf.h"

FUZZ_QUIET_INITIALIZE

/* Whether what C declares itself stays within what PARENT gives. */
static void within(const struct hostconf_container *c, const struct hostconf_container *parent)
{
	for (unsigned i = 0; i < c->neff; i++) {
		const struct effective *e = &c->eff[i];
		if (e->inherited || e->g.mode == 0)
			continue;
		unsigned given = 0;
		for (unsigned k = 0; k < parent->neff; k++) {
			const struct grant *p = &parent->eff[k].g;
			FUZZ_CHECK(!(p->mode == 0 && devtree_covers(p, &e->g)),
				   "%s: declares what %s denies", c->pattern, parent->pattern);
			if (devtree_covers(p, &e->g))
				given |= p->mode;
		}
		FUZZ_CHECK((e->g.mode & ~given) == 0, "%s widens what %s gives", c->pattern,
			   parent->pattern);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostconf h;
	char path[64];

	if (size > 64 * 1024)
		return 0;
	int fd = fuzz_text_file("host.conf", data, size, path, sizeof(path));
	bool tmpfile = strncmp(path, "/tmp/", 5) == 0;

	hostconf_defaults(&h);
	int rc = hostconf_load(&h, path, true);
	if (tmpfile)
		unlink(path);
	close(fd);
	FUZZ_CHECK(h.n <= HOSTCONF_MAX_CONTAINERS && h.ngroups <= HOSTCONF_MAX_CONTAINERS, "counts");
	if (rc == 0) {
		FILE *null = fopen("/dev/null", "w");
		for (unsigned i = 0; i < h.n; i++) {
			const struct hostconf_container *c = &h.c[i];
			if (c->group[0])
				within(c, hostconf_group(&h, c->group));
			devtree_print(null, c);
		}
		for (unsigned i = 0; i < h.ngroups; i++) {
			const struct hostconf_container *g = &h.groups[i];
			char up[128];
			if (strcmp(g->pattern, "/") != 0) {
				devtree_parent(g->pattern, up, sizeof(up));
				const struct hostconf_container *parent = hostconf_group(&h, up);
				FUZZ_CHECK(parent != NULL, "group %s has no parent", g->pattern);
				within(g, parent);
			}
			devtree_print(null, g);
		}
		if (null)
			fclose(null);
	}
	hostconf_free(&h);
	return 0;
}
