#define _GNU_SOURCE
#include "context.h"
#include "coldplug.h"
#include "fileio.h"
#include "netlink.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int load_config(const struct context *c, struct config *cfg)
{
	config_defaults(cfg);
	if (config_load(cfg, c->config_path, c->config_required) < 0) {
		config_free(cfg);
		return -1;
	}
	for (int i = 0; i < c->noverrides; i++) {
		const char *why = config_set(cfg, c->overrides[i][0], c->overrides[i][1],
					     c->overrides[i][2]);
		if (why) {
			log_err("--%s %s: %s", c->overrides[i][1], c->overrides[i][2], why);
			config_free(cfg);
			return -1;
		}
	}
	return 0;
}

static void load_modules(void *arg, const char *alias)
{
	struct context *c = arg;

	modules_load(&c->mods, alias);
}

/* "auto": modules are the host's business. Loading them is right where
 * devmgr runs as the host's device manager: in the initial pid
 * namespace (the kernel's thread kthreadd is pid 2 there) and the
 * initial user namespace; in a container, the host loads them. */
static bool host_namespaces(void)
{
	char comm[32];

	return read_small_at(AT_FDCWD, "/proc/2/comm", comm, sizeof(comm)) > 0 &&
	       strcmp(comm, "kthreadd\n") == 0 && userns_is_initial() == 1;
}

void context_modules(struct context *c)
{
	bool on = c->cfg.modules == 1 || (c->cfg.modules == -1 && host_namespaces());

	if (!on || c->mods_open)
		return;
	if (modules_open(&c->mods, c->cfg.modules_root, c->cfg.modules_release,
			 c->cfg.modules_dry_run) < 0)
		return;
	c->mods_open = true;
	c->h.x.mods = &c->mods;
	c->h.in.modules = true;
}

int context_open(struct context *c)
{
	c->fw_fd = -1;
	if (load_config(c, &c->cfg) < 0)
		return 2;
	log_set_verbosity(c->cfg.log_level + c->verbose);
	idmaps_init(&c->ids, c->cfg.etc);
	if (rules_load(&c->rules, c->cfg.rules, &c->ids) < 0)
		return 1;
	if (devroot_open(&c->dev, c->cfg.dev) < 0)
		return 1;
	if (c->sys_fd_given > 0) {
		c->sys.fd = c->sys_fd_given;
		c->sys.path = xstrdup(c->cfg.sys);
	} else if (sysfs_open(&c->sys, c->cfg.sys) < 0) {
		return 1;
	}
	memset(&c->h, 0, sizeof(c->h));
	policy_init(&c->policy, c->cfg.allow, c->cfg.nallow, c->cfg.outside_node, "/proc",
		    c->cfg.cgroup, c->cfg.probe ? c->dev.root.fd : -1);
	if (c->policy.source == POLICY_PROBE)
		log_info("device policy: the kernel is asked per device");
	else if (c->policy.source != POLICY_NONE)
		log_info("device policy: %zu rules from %s", c->policy.n, c->policy.origin);
	c->h.policy = &c->policy;
	c->h.in.policy = &c->policy;
	c->h.cmd_timeout = c->cfg.cmd_timeout;
	c->h.x.sys_fd = c->sys.fd;
	c->h.in.links = c->cfg.links;
	fsprobe_init(&c->disks, c->cfg.disk_probe && c->cfg.ids ? c->cfg.disk_timeout_ms : 0);
	c->h.x.disks = &c->disks;
	/* The kernel's firmware fallback asks; busybox answers from
	 * /lib/firmware, after the rules. A missing directory is fine:
	 * every request is then answered "-1". */
	c->fw_fd = open(c->cfg.firmware, O_PATH | O_DIRECTORY | O_CLOEXEC);
	c->h.x.fw_fd = c->fw_fd;
	c->h.in.firmware = c->cfg.firmware_load;
	c->h.in.rules = &c->rules;
	c->h.x.dev = &c->dev;
	c->h.in.root_major = c->h.in.root_minor = -1;
	return 0;
}

/* For -s and -d: a container whose devices are unknown gets a node for
 * every host device, most of which only answer EPERM. */
void context_warn_policy(const struct context *c)
{
	if (!c->policy.unknown)
		return;
	log_warn("no device policy: %s has no [policy] allow, and no cgroup v1 devices.list "
		 "is readable (cgroup v2, or no cgroup file system in the container, as with "
		 "LXC): making a node for every device, also those the container may not "
		 "open. List the container's devices in [policy] allow, as in its device "
		 "cgroup rules", c->config_path ? c->config_path : "/etc/devmgr.conf");
}

/* The new config's rules (and passwd/group), into RULES and IDS; -1
 * (logged) when they cannot be taken: the ones in force stay. */
static int reload_rules(struct context *c, const struct config *cfg, struct ruleset *rules,
			struct idmaps *ids)
{
	/* At start a missing rule file means no rules, as with mdev; one
	 * that vanishes under a running daemon is more likely an editor or
	 * a deploy half done than a wish to drop every rule. */
	struct stat st;
	if (stat(cfg->rules, &st) < 0 && errno == ENOENT && !c->rules.builtin &&
	    c->rules.n > 0) {
		log_err("reload: %s is gone; keeping the rules in force (an empty file means "
			"no rules)", cfg->rules);
		return -1;
	}
	idmaps_init(ids, cfg->etc);
	if (rules_load(rules, cfg->rules, ids) < 0 || rules->errors > 0) {
		if (rules->path)
			log_err("reload: %s has %u bad line%s; keeping the rules in force",
				cfg->rules, rules->errors, rules->errors == 1 ? "" : "s");
		else
			log_err("reload: cannot read %s; keeping the rules in force", cfg->rules);
		if (rules->path)
			rules_free(rules);
		idmaps_free(ids);
		return -1;
	}
	return 0;
}

/* The settings that may change under a running daemon, from CFG; what
 * cannot is said. */
static void reload_settings(struct context *c, struct config *cfg)
{
	free(c->cfg.rules);
	c->cfg.rules = cfg->rules;
	cfg->rules = NULL;
	c->cfg.log_level = cfg->log_level;
	c->cfg.jobs = cfg->jobs;
	/* what is published can change; where the database is cannot */
	c->cfg.udev = cfg->udev;
	c->cfg.udev_groups = cfg->udev_groups;
	c->cfg.zero = cfg->zero;
	c->cfg.zero_groups = cfg->zero_groups;
	c->cfg.ids = cfg->ids;
	struct config_tag tags[CONFIG_MAX_TAGS];
	unsigned ntags = cfg->ntags;
	memcpy(tags, cfg->tags, sizeof(tags));
	memcpy(cfg->tags, c->cfg.tags, sizeof(tags));
	cfg->ntags = c->cfg.ntags;
	memcpy(c->cfg.tags, tags, sizeof(tags));
	c->cfg.ntags = ntags;
	c->cfg.nallow = cfg->nallow;
	memcpy(c->cfg.allow, cfg->allow, sizeof(cfg->allow));
	c->cfg.outside_node = cfg->outside_node;
	c->cfg.cmd_timeout = c->h.cmd_timeout = cfg->cmd_timeout;
	c->cfg.links = c->h.in.links = cfg->links;
	c->cfg.disk_probe = cfg->disk_probe;
	c->cfg.disk_timeout_ms = cfg->disk_timeout_ms;
	c->disks.timeout_ms = c->cfg.disk_probe && c->cfg.ids ? c->cfg.disk_timeout_ms : 0;
	policy_free(&c->policy);
	c->cfg.probe = cfg->probe;
	policy_init(&c->policy, c->cfg.allow, c->cfg.nallow, c->cfg.outside_node, "/proc",
		    c->cfg.cgroup, c->cfg.probe ? c->dev.root.fd : -1);
	if (cfg->database != c->cfg.database || strcmp(cfg->run, c->cfg.run) ||
	    strcmp(cfg->state, c->cfg.state))
		log_warn("reload: [publish] database, [paths] run and [paths] state take effect "
			 "on restart only");
}

int context_reload(struct context *c)
{
	struct config cfg;
	struct idmaps ids;
	struct ruleset rules;

	if (load_config(c, &cfg) < 0) {
		log_err("reload: %s has errors; keeping the settings and rules in force",
			c->config_path);
		return -1;
	}
	/* Paths name the world devmgr manages; changing them under a
	 * running daemon would orphan every node it made. */
	if (strcmp(cfg.dev, c->cfg.dev) || strcmp(cfg.sys, c->cfg.sys))
		log_warn("reload: new dev or sys paths take effect on restart only");
	if (reload_rules(c, &cfg, &rules, &ids) < 0) {
		config_free(&cfg);
		return -1;
	}
	rules_free(&c->rules);
	idmaps_free(&c->ids);
	c->rules = rules;
	c->ids = ids;
	reload_settings(c, &cfg);
	config_free(&cfg);
	log_set_verbosity(c->cfg.log_level + c->verbose);
	log_info("reloaded %s: %zu rules", c->cfg.rules, c->rules.n);
	return 0;
}

void context_publish(struct context *c, bool send)
{
	publisher_open(&c->pub, &c->cfg, c->sys.fd, send);
	c->pub_open = true;
	c->h.pub = &c->pub;
}

void context_close(struct context *c)
{
	if (c->mods_open) {
		modules_close(&c->mods);
		c->mods_open = false;
	}
	if (c->pub_open) {
		c->h.pub = NULL;
		publisher_close(&c->pub);
		c->pub_open = false;
	}
	policy_free(&c->policy);
	fsprobe_stop(&c->disks, 1000);
	if (c->fw_fd >= 0)
		close(c->fw_fd);
	c->fw_fd = -1;
	if (c->sys.path)
		sysfs_close(&c->sys);
	if (c->dev.path)
		devroot_close(&c->dev);
	if (c->rules.path)
		rules_free(&c->rules);
	idmaps_free(&c->ids);
	config_free(&c->cfg);
}

void context_scan_begin(struct context *c, struct scan_tally *t)
{
	struct stat st;

	t->nodes = c->h.x.nodes;
	t->failures = c->h.failures;
	t->outside = c->h.outside;
	/* mdev links /dev/root to the node of the root filesystem. */
	if (stat("/", &st) == 0) {
		c->h.in.root_major = (int)major(st.st_dev);
		c->h.in.root_minor = (int)minor(st.st_dev);
	}
}

int context_scan_end(struct context *c, const struct scan_tally *t, long n)
{
	/* drivers for what is there: every bus device's modalias, as
	 * "udevadm trigger" makes udev load them */
	if (c->mods_open)
		sysfs_modaliases(&c->sys, load_modules, c);
	if (n < 0) {
		log_err("no devices: cannot read %s/dev/char or %s/dev/block", c->cfg.sys, c->cfg.sys);
		return 1;
	}
	unsigned long nodes = c->h.x.nodes - t->nodes, failures = c->h.failures - t->failures;
	log_info("coldplug: %ld devices, %lu nodes, %lu failures", n, nodes, failures);
	if (c->h.outside > t->outside)
		log_warn("coldplug: %lu devices the container may not use were %s (device policy "
			 "from %s; -v names them)", c->h.outside - t->outside,
			 c->policy.node_only ? "given a node only" : "left alone", c->policy.origin);
	/* Some failures are normal (a device the cgroup forbids); none made
	 * at all means the container is set up wrong. */
	if (failures > 0 && nodes == 0) {
		log_err("coldplug: no node could be made (%lu failures)", failures);
		return 1;
	}
	return 0;
}

int context_coldplug(struct context *c, unsigned jobs)
{
	struct scan_tally t;

	context_scan_begin(c, &t);
	return context_scan_end(c, &t, coldplug_run(&c->h, &c->sys, jobs));
}
