#define _GNU_SOURCE
/* Command line and mode dispatch; nothing else. */
#define _GNU_SOURCE
#include "context.h"
#include "devnode.h"
#include "control.h"
#include "daemon.h"
#include "grants.h"
#include "hostctl.h"
#include "monitor.h"
#include "hotplug.h"
#include "log.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out,
"Usage: devmgr -s [OPTIONS]     create /dev nodes for every device in sysfs\n"
"       devmgr -d [-f] [OPTIONS] the same, then follow kernel uevents\n"
"       devmgr [OPTIONS]        with ACTION and DEVPATH in the environment:\n"
"                               handle one event as the kernel's hotplug helper\n"
"       devmgr test [OPTIONS] /sys/DEVICE  say what the rules would do with it\n"
"       devmgr settle [--timeout S] [--state DIR]\n"
"                               wait until the daemon has handled every uevent\n"
"                               sent before the call (as udevadm settle)\n"
"       devmgr grants [OPTIONS] [docker|lxc|cdi]\n"
"                               the engine settings that allow exactly the\n"
"                               devices the rules give nodes on this host\n"
"       devmgr monitor [--kernel] [--udev] [--zero] [--property]\n"
"                               print uevents and published events\n"
"       devmgr host [attach|detach|list|hook] ...\n"
"                               on the host: serve containers that cannot hear\n"
"                               the kernel (devmgr host --help)\n"
"\n"
"A device manager for containers, compatible with busybox mdev and its\n"
"mdev.conf rule file.\n"
"\n"
"Options:\n"
"  -s               scan /sys/dev/char and /sys/dev/block (coldplug)\n"
"  -d               daemon: coldplug, then handle kernel uevents; returns 0 only\n"
"                   once ready, so 'devmgr -d && app' never races\n"
"  -f               with -d: stay in the foreground\n"
"  -D FD            with -d: write a newline to FD when ready (s6 style);\n"
"                   NOTIFY_SOCKET, when set, gets READY=1\n"
"  -S               with -d: log to syslog (the default without -f when /dev/log\n"
"                   exists)\n"
"  -v               more messages (repeat for debug: which rule matched)\n"
"  -n               dry run (with -s or a hotplug event): print which rule\n"
"                   lines match, the nodes, links and commands; do nothing\n"
"  --sys DIR        sysfs root (default /sys)              [paths] sys\n"
"  --dev DIR        device directory (default /dev)        [paths] dev\n"
"  --rules FILE     rule file (default /etc/mdev.conf)     [paths] rules\n"
"  --etc DIR        passwd and group from DIR (default /etc) [paths] etc\n"
"  --run DIR        udev database for libudev clients (default /run/udev)\n"
"                                                          [paths] run\n"
"  -j, --jobs N     coldplug worker processes (default: one per CPU, max 4)\n"
"                                                          [coldplug] jobs\n"
"  --rcvbuf BYTES   uevent socket buffer (default 128 MiB)  [daemon] rcvbuf\n"
"  --config FILE    devmgr's own settings (default /etc/devmgr.conf; may be absent)\n"
"  -h, --help       this text\n"
"  -V, --version    print the version\n"
"\n"
"\n"
"In a container, devmgr needs:\n"
"  - the kernel's uevents (for -d): a network namespace owned by the host's\n"
"    user namespace; a rootful engine's default networking is, rootless\n"
"    and userns-remapped ones are not (docker, podman: --userns host);\n"
"  - the host's user namespace and CAP_MKNOD (--cap-add MKNOD);\n"
"  - CAP_CHOWN to give nodes their owners (engines grant it by default);\n"
"  - CAP_NET_ADMIN to publish events to libudev clients (--cap-add NET_ADMIN);\n"
"  - device cgroup rules for the devices it manages\n"
"    (--device-cgroup-rule 'c 189:* rmw'): devices the container may not\n"
"    open get no node, command or event. devmgr asks the kernel per device\n"
"    (cgroup v1 and v2 alike, without opening it), unless devmgr.conf lists\n"
"    them in [policy] allow. 'devmgr test /sys/...' says why one is refused.\n"
"\n"
"SIGHUP reloads the rules and settings (a broken file keeps the old ones)\n"
"and, when the kernel refused a device, asks it again about every device.\n"
"\n"
"After handling an event, the daemon republishes it for libudev clients:\n"
"systemd's libudev format on netlink group 0x2, libudev-zero's on 0x4\n"
"(needs CAP_NET_ADMIN), and keeps the udev database in /run/udev; see\n"
"[publish] in devmgr.conf.\n"
"\n"
"Exit status: 0 done (rule lines that could not be used are reported as\n"
"FILE:LINE and skipped); 1 nothing could be done (-s: not a single node;\n"
"hotplug: this event's node); 2 bad usage or config.\n");
}

enum { OPT_SYS = 256, OPT_DEV, OPT_RULES, OPT_ETC, OPT_RUN, OPT_CONFIG, OPT_RCVBUF };

struct cmdline {
	int scan;
	int dry_run;			/* -n */
	const char *test_path;		/* "devmgr test PATH" */
	const char *grants;		/* "devmgr grants [FORMAT]" */
	int daemon;
	struct daemon_opts dopts;
	struct context *ctx;
};

static void override(struct context *c, const char *section, const char *key, const char *value)
{
	/* Later options win; the table only needs one slot per key. */
	for (int i = 0; i < c->noverrides; i++)
		if (strcmp(c->overrides[i][1], key) == 0) {
			c->overrides[i][2] = value;
			return;
		}
	c->overrides[c->noverrides][0] = section;
	c->overrides[c->noverrides][1] = key;
	c->overrides[c->noverrides][2] = value;
	c->noverrides++;
}


/* -D FD: the descriptor must be open now, or readiness could never be
 * told. */
static void set_ready_fd(struct cmdline *cl, const char *arg)
{
	char *end;

	cl->dopts.ready_fd = (int)strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || cl->dopts.ready_fd < 0 ||
	    fcntl(cl->dopts.ready_fd, F_GETFD) < 0) {
		log_err("-D %s: not an open file descriptor", arg);
		exit(2);
	}
	/* not for the rules' commands to inherit */
	fcntl(cl->dopts.ready_fd, F_SETFD, FD_CLOEXEC);
}

/* What to do and how: -s, -d, -f, -D, -S, -v, -n. False for any other
 * option. */
static bool mode_option(int c, struct cmdline *cl)
{
	switch (c) {
	case 'n':
		cl->dry_run = 1;
		return true;
	case 's':
		cl->scan = 1;
		return true;
	case 'd':
		cl->daemon = 1;
		return true;
	case 'f':
		cl->daemon = 1;
		cl->dopts.foreground = true;
		return true;
	case 'D':
		set_ready_fd(cl, optarg);
		return true;
	case 'S':
		cl->dopts.syslog = true;
		return true;
	case 'v':
		cl->ctx->verbose++;
		return true;
	}
	return false;
}

/* Options that stand for a devmgr.conf setting, and --config. False for
 * any other option. */
static bool setting_option(int c, struct context *ctx)
{
	static const char *const keys[] = { "sys", "dev", "rules", "etc", "run" };

	switch (c) {
	case OPT_SYS: case OPT_DEV: case OPT_RULES: case OPT_ETC: case OPT_RUN:
		override(ctx, "paths", keys[c - OPT_SYS], optarg);
		return true;
	case 'j':
		override(ctx, "coldplug", "jobs", optarg);
		return true;
	case OPT_RCVBUF:
		override(ctx, "daemon", "rcvbuf", optarg);
		return true;
	case OPT_CONFIG:
		ctx->config_path = optarg;
		ctx->config_required = true;
		return true;
	}
	return false;
}

/* The words after the options: only "devmgr test" takes one, the path. */
static void operands(int argc, char **argv, struct cmdline *cl)
{
	if (cl->grants && optind + 1 == argc) {
		cl->grants = argv[optind++];
	} else if (cl->test_path && optind + 1 == argc) {
		cl->test_path = argv[optind++];
		cl->dry_run = 1;
	} else if (cl->test_path) {
		log_err("usage: devmgr test [OPTIONS] /sys/DEVICE-PATH");
		exit(2);
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

static void parse_args(int argc, char **argv, struct cmdline *cl)
{
	static const struct option opts[] = {
		{ "sys", required_argument, 0, OPT_SYS },
		{ "dev", required_argument, 0, OPT_DEV },
		{ "rules", required_argument, 0, OPT_RULES },
		{ "etc", required_argument, 0, OPT_ETC },
		{ "run", required_argument, 0, OPT_RUN },
		{ "config", required_argument, 0, OPT_CONFIG },
		{ "jobs", required_argument, 0, 'j' },
		{ "rcvbuf", required_argument, 0, OPT_RCVBUF },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	int c;

	cl->ctx->config_path = "/etc/devmgr.conf";
	cl->dopts.ready_fd = -1;
	while ((c = getopt_long(argc, argv, "sdfD:Svj:nhV", opts, NULL)) != -1) {
		if (mode_option(c, cl) || setting_option(c, cl->ctx))
			continue;
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("devmgr %s\n", VERSION);
			exit(0);
		}
		usage(stderr);
		exit(2);
	}
	operands(argc, argv, cl);
	if (cl->scan && cl->daemon) {
		log_err("-s and -d exclude each other (-d does its own coldplug)");
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

/* "devmgr test PATH": the device's plan, printed. */
static void test_device(void *arg, struct device *dev, unsigned long index)
{
	(void)index;
	handle_device(arg, dev);
}

int main(int argc, char **argv)
{
	static struct context ctx;
	struct cmdline cl = { .ctx = &ctx };
	int rc;

	if (argc > 1 && strcmp(argv[1], "monitor") == 0)
		return monitor_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "host") == 0)
		return host_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "settle") == 0)
		return settle_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "test") == 0)
		cl.test_path = "";	/* the path comes after the options */
	else if (argc > 1 && strcmp(argv[1], "grants") == 0)
		cl.grants = "all";
	if (cl.test_path || cl.grants) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	parse_args(argc, argv, &cl);
	if (cl.dry_run && cl.daemon) {
		log_err("-n goes with -s, a hotplug event or 'test', not -d");
		return 2;
	}
	if (!cl.scan && !cl.daemon && !cl.test_path && !cl.grants &&
	    (getenv("ACTION") == NULL || getenv("DEVPATH") == NULL)) {
		log_err("nothing to do: use -s or -d, or run as hotplug helper with ACTION and "
			"DEVPATH set");
		usage(stderr);
		return 2;
	}
	/* Nodes and directories get exactly the rule's mode, as with mdev. */
	umask(0);
	rc = context_open(&ctx);
	if (rc == 0 && cl.grants) {
		rc = grants_print(&ctx.h, &ctx.sys, ctx.cfg.rules, cl.grants);
	} else if (rc == 0 && cl.dry_run) {
		/* nothing is done: no module, no database, one process so the
		 * report comes in order */
		ctx.h.dry_run = true;
		if (cl.test_path)
			rc = sysfs_device(&ctx.sys, cl.test_path, test_device, &ctx.h);
		else if (cl.scan)
			rc = context_coldplug(&ctx, 1);
		else
			rc = hotplug_run(&ctx.h, &ctx.sys, environ);
	} else if (rc == 0) {
		context_modules(&ctx);
		if (cl.scan)
			context_warn_policy(&ctx);
		if (cl.scan) {
			/* a scan is no event: the database only */
			context_publish(&ctx, false);
			rc = context_coldplug(&ctx, coldplug_jobs(ctx.cfg.jobs));
		} else if (cl.daemon) {
			rc = daemon_run(&ctx, &cl.dopts);
		} else {
			context_publish(&ctx, true);
			publisher_sending(&ctx.pub, true);
			rc = hotplug_run(&ctx.h, &ctx.sys, environ);
		}
	}
	context_close(&ctx);
	return rc;
}
