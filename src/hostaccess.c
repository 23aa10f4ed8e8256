#include "hostaccess.h"
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void access_open(struct access *x, const char *name, pid_t pid, const struct hostconf *conf)
{
	char why[640];

	x->name = name;
	x->cg.fd = -1;
	x->bpf.cg_fd = -1;
	if (strcmp(conf->cgroup, "no") != 0 &&
	    devcg_open(&x->cg, pid, conf->cgroup, why, sizeof(why)) < 0)
		log_info("%s: %s: its device cgroup is left as it is", name, why);
	if (strcmp(conf->cgroup2, "no") != 0 &&
	    devbpf_open(&x->bpf, pid, conf->cgroup2, why, sizeof(why)) < 0)
		log_info("%s: %s: its cgroup v2 device program is left as it is", name, why);
}

void access_close(struct access *x)
{
	devcg_close(&x->cg);
	devbpf_close(&x->bpf);
}

/* "r", "w", "rw" or "": what of read and write MODE gives. */
static void bits_of(unsigned mode, char out[3])
{
	size_t k = 0;

	if (mode & POLICY_READ)
		out[k++] = 'r';
	if (mode & POLICY_WRITE)
		out[k++] = 'w';
	out[k] = '\0';
}

/* cgroup v2: G in devmgr's program, which asks the runtime's about
 * everything else. */
static void grant_v2(struct access *x, struct granted *g)
{
	char why[640], want[3];

	bits_of(g->mode, want);
	if (x->bpf.cg_fd < 0 || want[0] == '\0')
		return;
	if (devbpf_allow(&x->bpf, g->type, g->major, g->minor, want, why, sizeof(why)) < 0) {
		log_warn("%s: cannot allow %c %d:%d in %s: %s", x->name, g->type, g->major,
			 g->minor, x->bpf.path, why);
		return;
	}
	g->v2 = true;
	log_info("%s: %c %d:%d %s allowed by devmgr's device program in %s", x->name, g->type,
		 g->major, g->minor, want, x->bpf.path);
}

/* cgroup v1: the bits host.conf gives that the list lacks, added. */
static void grant_v1(struct access *x, struct granted *g)
{
	char missing[3], want[3], add[3];
	size_t k = 0;

	if (x->cg.fd < 0)
		return;
	if (devcg_missing(&x->cg, g->type, g->major, g->minor, missing) < 0) {
		log_warn("%s: cannot read %s/devices.list: %s; the access of %c %d:%d is not "
			 "changed", x->name, x->cg.path, strerror(errno), g->type, g->major, g->minor);
		return;
	}
	bits_of(g->mode, want);
	for (const char *c = missing; *c; c++)
		if (strchr(want, *c))
			add[k++] = *c;
	add[k] = '\0';
	if (add[0] == '\0')
		return;		/* the runtime allowed it: not ours to change */
	if (devcg_write(&x->cg, true, g->type, g->major, g->minor, add) < 0) {
		log_warn("%s: cannot allow %c %d:%d %s in %s/devices.allow: %s", x->name, g->type,
			 g->major, g->minor, add, x->cg.path, strerror(errno));
		return;
	}
	memcpy(g->v1, add, sizeof(g->v1));
	log_info("%s: %c %d:%d %s allowed in its device cgroup", x->name, g->type, g->major,
		 g->minor, add);
}

void access_grant(struct access *x, struct granted *g, const struct uevent *ev)
{
	const char *maj = uevent_get(ev, "MAJOR"), *min = uevent_get(ev, "MINOR");
	const char *sub = uevent_get(ev, "SUBSYSTEM");

	g->v1[0] = '\0';
	g->v2 = false;
	g->type = 0;
	if (maj == NULL || min == NULL || sub == NULL)
		return;
	g->type = strcmp(sub, "block") == 0 ? 'b' : 'c';
	g->major = atoi(maj);
	g->minor = atoi(min);
	grant_v2(x, g);
	grant_v1(x, g);
}

void access_revoke(struct access *x, struct granted *g)
{
	if (g->v2 && devbpf_forget(&x->bpf, g->type, g->major, g->minor) < 0)
		log_warn("%s: cannot take %c %d:%d out of devmgr's device program in %s: %s",
			 x->name, g->type, g->major, g->minor, x->bpf.path, strerror(errno));
	else if (g->v2)
		log_info("%s: %c %d:%d taken back from its device program", x->name, g->type,
			 g->major, g->minor);
	g->v2 = false;
	if (x->cg.fd < 0 || g->v1[0] == '\0')
		return;
	if (devcg_write(&x->cg, false, g->type, g->major, g->minor, g->v1) < 0) {
		/* a container that is gone took its cgroup with it */
		if (errno != ENOENT && errno != ENODEV)
			log_warn("%s: cannot deny %c %d:%d %s in %s/devices.deny: %s", x->name,
				 g->type, g->major, g->minor, g->v1, x->cg.path, strerror(errno));
	} else {
		log_info("%s: %c %d:%d %s taken back from its device cgroup", x->name, g->type,
			 g->major, g->minor, g->v1);
	}
	g->v1[0] = '\0';
}
