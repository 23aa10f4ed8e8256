/* Kernel modules for MODALIAS with libkmod: lookup, blacklist, probe. */
#include "modules.h"
#include "log.h"

#include <string.h>

#ifdef HAVE_KMOD

#include "fileio.h"

#include <errno.h>
#include <libkmod.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>

/* A machine has a few hundred distinct aliases; the cap only bounds the
 * memory a flood of distinct ones (a misbehaving device, a uevent storm)
 * could take. Past it, new aliases are looked up each time they come,
 * which is merely slower: libkmod skips modules loaded already. */
enum { SEEN_FIRST = 64, SEEN_MAX = 8192 };

static size_t hash_str(const char *s)
{
	uint64_t h = 14695981039346656037u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

/* The slot holding KEY, or the free slot where it belongs. SIZE is a
 * power of two and the table is never full. */
static char **seen_slot(char **tab, size_t size, const char *key)
{
	size_t i = hash_str(key) & (size - 1);

	while (tab[i] && strcmp(tab[i], key) != 0)
		i = (i + 1) & (size - 1);
	return &tab[i];
}

static void seen_grow(struct modules *m)
{
	size_t size = m->seen_size ? m->seen_size * 2 : SEEN_FIRST;
	char **tab = xmalloc(size * sizeof(*tab));

	memset(tab, 0, size * sizeof(*tab));
	for (size_t i = 0; i < m->seen_size; i++)
		if (m->seen[i])
			*seen_slot(tab, size, m->seen[i]) = m->seen[i];
	free(m->seen);
	m->seen = tab;
	m->seen_size = size;
}

/* Records ALIAS; false when it was recorded before. */
static bool seen_add(struct modules *m, const char *alias)
{
	char **slot = m->seen_size ? seen_slot(m->seen, m->seen_size, alias) : NULL;

	if (slot && *slot)
		return false;
	if (m->seen_used >= SEEN_MAX)
		return true;
	if (m->seen_size == 0 || (m->seen_used + 1) * 4 > m->seen_size * 3) {
		seen_grow(m);
		slot = seen_slot(m->seen, m->seen_size, alias);
	}
	*slot = xstrdup(alias);
	m->seen_used++;
	return true;
}

/* libkmod joins the modprobe.d options with a trailing space. */
static int trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == ' ')
		n--;
	return (int)n;
}

static void plan_add(struct modules *m, const char *verb, const char *name, const char *options)
{
	size_t need = strlen(verb) + strlen(name) + strlen(options) + 3;
	char *grown;

	if (m->plan_len + need > m->plan_size) {
		m->plan_size = (m->plan_len + need) * 2;
		grown = xmalloc(m->plan_size);
		memcpy(grown, m->plan ? m->plan : "", m->plan_len + 1);
		free(m->plan);
		m->plan = grown;
	}
	m->plan_len += (size_t)sprintf(m->plan + m->plan_len, "%s %s%s%.*s\n", verb, name,
				      *options ? " " : "", trimmed_len(options), options);
}

static int log_level_of(int syslog_priority)
{
	if (syslog_priority <= LOG_ERR)
		return LOG_LVL_ERR;
	if (syslog_priority == LOG_WARNING)
		return LOG_LVL_WARN;
	return syslog_priority == LOG_DEBUG ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

static int syslog_priority_of(int level)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	return prio[level < LOG_LVL_ERR ? LOG_LVL_ERR : level > LOG_LVL_DEBUG ? LOG_LVL_DEBUG : level];
}

/* libkmod's own messages (bad modprobe.d lines, unreadable indexes) go
 * where devmgr's go, syslog for the daemon, instead of its stderr. */
static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	char text[512];
	size_t n;

	(void)data, (void)file, (void)line, (void)fn;
	vsnprintf(text, sizeof(text), format, args);
	n = strlen(text);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	log_msg(log_level_of(priority), "libkmod: %s", text);
}

/* libkmod's print_action callback takes no user data: the probe in
 * progress is found through this pointer, set only for the duration of
 * one kmod_module_probe_insert_module() call, per thread. */
static _Thread_local struct modules *probing;

/* Called by libkmod for each module of a probe (softdeps, dependencies,
 * the module itself) it is about to insert, or would in a dry run. */
static void on_action(struct kmod_module *mod, bool install, const char *options)
{
	struct modules *m = probing;
	const char *name = kmod_module_get_name(mod);

	if (m == NULL)
		return;
	m->acted++;
	snprintf(m->acting, sizeof(m->acting), "%s", name);
	if (!m->dry_run) {
		log_debug("kernel modules: %s %s%s%.*s", install ? "running the install command of" : "inserting",
			  name, *options ? " " : "", trimmed_len(options), options);
		return;
	}
	log_info("kernel modules: would %s %s%s%.*s", install ? "run the install command of" : "insert",
		 name, *options ? " " : "", trimmed_len(options), options);
	plan_add(m, install ? "install" : "insmod", name, install ? "" : options);
}

/* A probe that failed: -1 for an error the caller should know about,
 * else the number of modules inserted before the failure. */
static int probe_failed(struct modules *m, const char *name, const char *alias, int err)
{
	/* libkmod announces a module before inserting it: the last one
	 * announced is the one that failed. */
	int done = m->acted > 0 ? m->acted - 1 : 0;
	const char *what = m->acted > 0 ? m->acting : name;

	m->failed++;
	m->inserted += (unsigned long)done;
	if (err == -ENODEV) {	/* the driver found no device it supports */
		log_info("kernel modules: %s for %s: %s", what, alias, strerror(-err));
		return done;
	}
	if (err == -ENOENT) {
		log_warn("kernel modules: loading %s for %s: its file is missing (modules.dep out of date? run depmod)",
			 what, alias);
		return done;
	}
	if (err == -EPERM) {	/* no CAP_SYS_MODULE, module_blacklist=, modules_disabled */
		log_warn("kernel modules: loading %s for %s: %s", what, alias, strerror(-err));
		return done;
	}
	log_err("kernel modules: loading %s for %s: %s", what, alias, strerror(-err));
	return -1;
}

/* Inserts MOD, its softdeps and dependencies unless MOD is blacklisted. */
static int probe(struct modules *m, struct kmod_module *mod, const char *alias)
{
	unsigned int flags = KMOD_PROBE_APPLY_BLACKLIST | (m->dry_run ? KMOD_PROBE_DRY_RUN : 0);
	const char *name = kmod_module_get_name(mod);
	int err;

	m->acted = 0;
	probing = m;
	err = kmod_module_probe_insert_module(mod, flags, NULL, NULL, NULL, on_action);
	probing = NULL;
	if (err == KMOD_PROBE_APPLY_BLACKLIST) {
		m->blacklisted++;
		log_info("kernel modules: not loading %s for %s: blacklisted", name, alias);
		return 0;
	}
	if (err < 0)
		return probe_failed(m, name, alias, err);
	if (m->acted == 0)
		log_debug("kernel modules: %s for %s: built in or loaded already", name, alias);
	else if (!m->dry_run)
		log_info("kernel modules: loaded %s for %s", name, alias);
	m->inserted += (unsigned long)m->acted;
	return m->acted;
}

int modules_load(struct modules *m, const char *modalias)
{
	struct kmod_list *list = NULL, *l;
	int err, n, total = 0, failed = 0;

	if (m->ctx == NULL || modalias == NULL || *modalias == '\0' || !seen_add(m, modalias))
		return 0;
	m->aliases++;
	err = kmod_module_new_from_lookup(m->ctx, modalias, &list);
	if (err < 0) {
		log_err("kernel modules: looking up %s: %s", modalias, strerror(-err));
		return -1;
	}
	if (list == NULL)
		log_debug("kernel modules: no module for %s", modalias);
	/* An alias may match several modules (a driver and a quirks module,
	 * generic and specific drivers): all are loaded, as udev does. */
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		n = probe(m, mod, modalias);
		kmod_module_unref(mod);
		if (n < 0)
			failed = 1;
		else
			total += n;
	}
	kmod_module_unref_list(list);
	return failed ? -1 : total;
}

/* The module directory ROOT/lib/modules/RELEASE into DIR. */
static int module_dir(char *dir, size_t size, const char *root, const char *release)
{
	struct utsname u;

	if (release == NULL) {
		if (uname(&u) < 0) {
			log_err("kernel modules: uname: %s", strerror(errno));
			return -1;
		}
		release = u.release;
	}
	if ((size_t)snprintf(dir, size, "%s/lib/modules/%s", root ? root : "", release) >= size) {
		log_err("kernel modules: %s/lib/modules/%s: path too long", root ? root : "", release);
		return -1;
	}
	return 0;
}

static struct kmod_ctx *new_ctx(const char *dir, const char *root)
{
	/* libkmod's own defaults, under ROOT. */
	char *paths[] = {
		str_concat(root, "/etc/modprobe.d"), str_concat(root, "/run/modprobe.d"),
		str_concat(root, "/lib/modprobe.d"), NULL,
	};
	struct kmod_ctx *ctx = kmod_new(dir, (const char *const *)paths);

	for (char **p = paths; *p; p++)
		free(*p);
	return ctx;
}

int modules_open(struct modules *m, const char *root, const char *release, bool dry_run)
{
	char dir[PATH_MAX];
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->dry_run = dry_run;
	if (module_dir(dir, sizeof(dir), root, release) < 0)
		return -1;
	if (stat(dir, &st) < 0) {
		if (root == NULL && errno == ENOENT) {
			log_info("kernel modules: not loading any: no %s (a kernel without modules, or a container)", dir);
			return 0;
		}
		log_err("kernel modules: %s: %s", dir, strerror(errno));
		return -1;
	}
	m->ctx = root ? new_ctx(dir, root) : kmod_new(dir, NULL);
	if (m->ctx == NULL) {
		log_err("kernel modules: cannot set up libkmod for %s: %s", dir, strerror(errno));
		return -1;
	}
	/* From here on: kmod_new() has read modprobe.d already, so its
	 * complaints about bad lines went to stderr. */
	kmod_set_log_fn(m->ctx, kmod_log, NULL);
	kmod_set_log_priority(m->ctx, syslog_priority_of(log_verbosity()));
	/* Without the indexes mapped once here, libkmod opens them at each
	 * lookup; and if they are missing, lookups find nothing: say why. */
	if (kmod_load_resources(m->ctx) < 0)
		log_warn("kernel modules: cannot load the indexes in %s (modules.dep.bin, modules.alias.bin...: run depmod)",
			 dir);
	return 0;
}

void modules_close(struct modules *m)
{
	for (size_t i = 0; i < m->seen_size; i++)
		free(m->seen[i]);
	free(m->seen);
	free(m->plan);
	if (m->ctx)
		kmod_unref(m->ctx);
	memset(m, 0, sizeof(*m));
}

const char *modules_plan(const struct modules *m)
{
	return m->plan ? m->plan : "";
}

#else /* !HAVE_KMOD */

int modules_open(struct modules *m, const char *root, const char *release, bool dry_run)
{
	(void)root, (void)release;
	memset(m, 0, sizeof(*m));
	m->dry_run = dry_run;
	log_warn("kernel modules: not loading any: devmgr was built without libkmod");
	return 0;
}

void modules_close(struct modules *m)
{
	memset(m, 0, sizeof(*m));
}

int modules_load(struct modules *m, const char *modalias)
{
	(void)m, (void)modalias;
	return 0;
}

const char *modules_plan(const struct modules *m)
{
	(void)m;
	return "";
}

#endif
