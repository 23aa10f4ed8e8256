/* Command line and mode dispatch; nothing else. */
#define _GNU_SOURCE
#include "config.h"
#include "devnode.h"
#include "handler.h"
#include "hotplug.h"
#include "log.h"
#include "passwd.h"
#include "rules.h"
#include "sysfs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out,
"Usage: devmgr -s [OPTIONS]     create /dev nodes for every device in sysfs\n"
"       devmgr [OPTIONS]        with ACTION and DEVPATH in the environment:\n"
"                               handle one event as the kernel's hotplug helper\n"
"\n"
"A device manager for containers, compatible with busybox mdev and its\n"
"mdev.conf rule file.\n"
"\n"
"Options:\n"
"  -s               scan /sys/dev/char and /sys/dev/block (coldplug)\n"
"  -v               more messages (repeat for debug: which rule matched)\n"
"  --sys DIR        sysfs root (default /sys)              [paths] sys\n"
"  --dev DIR        device directory (default /dev)        [paths] dev\n"
"  --rules FILE     rule file (default /etc/mdev.conf)     [paths] rules\n"
"  --etc DIR        passwd and group from DIR (default /etc) [paths] etc\n"
"  -j, --jobs N     coldplug worker processes (default: one per CPU, max 4)\n"
"                                                          [coldplug] jobs\n"
"  --config FILE    devmgr's own settings (default /etc/devmgr.conf; may be absent)\n"
"  -h, --help       this text\n"
"  -V, --version    print the version\n"
"\n"
"Exit status: 0 done (rule lines that could not be used are reported as\n"
"FILE:LINE and skipped); 1 nothing could be done (-s: not a single node;\n"
"hotplug: this event's node); 2 bad usage or config.\n");
}

enum { OPT_SYS = 256, OPT_DEV, OPT_RULES, OPT_ETC, OPT_CONFIG };

struct cmdline {
	int scan;
	int verbose;
	const char *config;
	const char *set[8][3];	/* section, key, value: overrides of the config */
	int nset;
};

static void override(struct cmdline *cl, const char *section, const char *key, const char *value)
{
	/* Later options win; the table only needs one slot per key. */
	for (int i = 0; i < cl->nset; i++)
		if (strcmp(cl->set[i][1], key) == 0) {
			cl->set[i][2] = value;
			return;
		}
	cl->set[cl->nset][0] = section;
	cl->set[cl->nset][1] = key;
	cl->set[cl->nset][2] = value;
	cl->nset++;
}


static void parse_args(int argc, char **argv, struct cmdline *cl)
{
	static const struct option opts[] = {
		{ "sys", required_argument, 0, OPT_SYS },
		{ "dev", required_argument, 0, OPT_DEV },
		{ "rules", required_argument, 0, OPT_RULES },
		{ "etc", required_argument, 0, OPT_ETC },
		{ "config", required_argument, 0, OPT_CONFIG },
		{ "jobs", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	static const char *const keys[] = { "sys", "dev", "rules", "etc" };
	int c;

	memset(cl, 0, sizeof(*cl));
	cl->config = "/etc/devmgr.conf";
	while ((c = getopt_long(argc, argv, "svj:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cl->scan = 1;
			break;
		case 'v':
			cl->verbose++;
			break;
		case OPT_SYS: case OPT_DEV: case OPT_RULES: case OPT_ETC:
			override(cl, "paths", keys[c - OPT_SYS], optarg);
			break;
		case 'j':
			override(cl, "coldplug", "jobs", optarg);
			break;
		case OPT_CONFIG:
			cl->config = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("devmgr %s\n", VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* 0 means one worker per online CPU, at most 4: beyond that the shared
 * directory locks of /dev make more workers useless. */
static unsigned coldplug_jobs(unsigned configured)
{
	if (configured > 0)
		return configured;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct config cfg;
	struct idmaps ids;
	struct ruleset rules;
	struct devroot dev;
	struct sysfs sys;
	struct handler h = { .root_major = -1, .root_minor = -1 };
	int rc;

	parse_args(argc, argv, &cl);
	if (!cl.scan && (getenv("ACTION") == NULL || getenv("DEVPATH") == NULL)) {
		log_err("nothing to do: use -s, or run as hotplug helper with ACTION and DEVPATH set");
		usage(stderr);
		return 2;
	}
	config_defaults(&cfg);
	/* An explicitly named config must exist; the default one may not. */
	if (config_load(&cfg, cl.config, strcmp(cl.config, "/etc/devmgr.conf") != 0) < 0)
		return 2;
	for (int i = 0; i < cl.nset; i++) {
		const char *why = config_set(&cfg, cl.set[i][0], cl.set[i][1], cl.set[i][2]);
		if (why) {
			log_err("--%s %s: %s", cl.set[i][1], cl.set[i][2], why);
			return 2;
		}
	}
	log_set_verbosity(cfg.log_level + cl.verbose);

	/* Nodes and directories get exactly the rule's mode, as with mdev. */
	umask(0);
	idmaps_init(&ids, cfg.etc);
	if (rules_load(&rules, cfg.rules, &ids) < 0)
		return 1;
	if (devroot_open(&dev, cfg.dev) < 0 || sysfs_open(&sys, cfg.sys) < 0)
		return 1;
	h.rules = &rules;
	h.dev = &dev;

	if (cl.scan) {
		struct stat st;
		/* mdev links /dev/root to the node of the root filesystem. */
		if (stat("/", &st) == 0) {
			h.root_major = (int)major(st.st_dev);
			h.root_minor = (int)minor(st.st_dev);
		}
		long n = sysfs_coldplug(&sys, &h, coldplug_jobs(cfg.jobs));
		if (n < 0) {
			log_err("no devices: cannot read %s/dev/char or %s/dev/block", cfg.sys, cfg.sys);
			rc = 1;
		} else {
			log_info("coldplug: %ld devices, %lu nodes, %lu failures", n, h.nodes,
				 h.failures);
			/* Some failures are normal (a device the cgroup forbids);
			 * none made at all means the container is set up wrong. */
			rc = h.failures > 0 && h.nodes == 0 ? 1 : 0;
			if (rc)
				log_err("coldplug: no node could be made (%lu failures)", h.failures);
		}
	} else {
		rc = hotplug_run(&h, &sys, environ);
	}
	sysfs_close(&sys);
	devroot_close(&dev);
	rules_free(&rules);
	idmaps_free(&ids);
	config_free(&cfg);
	return rc;
}
