/* Kernel modules for a device's MODALIAS, loaded in-process with libkmod
 * (no modprobe fork) the way udev's kmod builtin does: modprobe.d's
 * blacklist, options, softdeps and install commands apply, and each alias
 * is looked up once. Built without libkmod (KMOD=0, STATIC=1), every call
 * does nothing. */
#ifndef DEVMGR_MODULES_H
#define DEVMGR_MODULES_H

#include <stdbool.h>
#include <stddef.h>

struct kmod_ctx;

struct modules {
	/* NULL: loading is off (no libkmod, or no modules for this kernel). */
	struct kmod_ctx *ctx;
	bool dry_run;
	/* Aliases looked up already: open addressing, NULL marks a free slot. */
	char **seen;
	size_t seen_size, seen_used;
	/* Dry run: one line per module that would be loaded, in load order:
	 * "insmod NAME[ OPTIONS]\n", or "install NAME\n" for a module that
	 * has an install command. */
	char *plan;
	size_t plan_len, plan_size;
	/* During one probe: modules libkmod acted on, the last one's name. */
	int acted;
	char acting[64];
	/* Statistics: distinct aliases looked up, modules inserted (or that
	 * would be), aliases whose module is blacklisted, failed probes. */
	unsigned long aliases, inserted, blacklisted, failed;
};

/* ROOT: NULL for the running system; else a directory holding
 * lib/modules/RELEASE/ (modules.dep.bin, modules.alias.bin...) and
 * etc/modprobe.d/, run/modprobe.d/, lib/modprobe.d/, for tests and dry
 * runs (whether a module is loaded or built in already is still read
 * from this system's /sys/module). RELEASE: NULL for uname -r.
 * DRY_RUN: resolve and log what would be loaded, load nothing.
 * 0, also when the running system has no lib/modules/RELEASE (a kernel
 * without modules, a container): loading is then off. -1 (logged) when
 * libkmod cannot be set up, or ROOT has no lib/modules/RELEASE. */
int modules_open(struct modules *m, const char *root, const char *release, bool dry_run);
void modules_close(struct modules *m);
/* Loads what MODALIAS resolves to, with their dependencies, unless the
 * module it names is blacklisted; once per alias: a second call with the
 * same alias does nothing. Built-in or loaded modules are not an error.
 * The number of modules inserted (or that would be, in a dry run), 0 for
 * an alias matching nothing; -1 on an error (logged). */
int modules_load(struct modules *m, const char *modalias);
/* In a dry run, what modules_load() would have done so far (see plan
 * above); "" otherwise. */
const char *modules_plan(const struct modules *m);

#endif
