#define _GNU_SOURCE
#include "hostctl.h"
#include "hostd.h"
#include "devtree.h"
#include "hostconf.h"
#include "log.h"
#include "ocistate.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/devmgr-host.sock"

static void usage(FILE *out)
{
	fprintf(out,
"Usage: devmgr host [-v] [-D FD] [--config FILE]\n"
"                               the host daemon: serve the containers attached\n"
"                               (default config /etc/devmgr/host.conf)\n"
"       devmgr host attach [--socket PATH] NAME PID\n"
"                               give container NAME (its init: PID) its devices\n"
"       devmgr host detach [--socket PATH] NAME\n"
"                               take them back: its nodes go, the worker stops\n"
"       devmgr host list [--socket PATH]\n"
"       devmgr host reload [--socket PATH] [--recursive]\n"
"                               host.conf again, applied to the containers at\n"
"                               once; --recursive drops the grants of child\n"
"                               groups and containers their parent no longer\n"
"                               provides (else such a reload is refused)\n"
"       devmgr host devices [--config FILE] NAME|/GROUP\n"
"                               the effective device grants of a container or\n"
"                               group, and where each comes from\n"
"       devmgr host hook [--socket PATH]\n"
"                               an OCI hook: the state on stdin; poststart\n"
"                               attaches, poststop detaches\n");
}

/* Sends REQUEST (and FD, unless -1) and prints the answer. 0 for "ok". */
static int ask(const char *socket_path, const char *request, int fd, int timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_Alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)request, strlen(request) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct timeval tv = { timeout_s, 0 };
	char answer[16384];
	size_t got = 0;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_err("cannot reach the host daemon at %s: %s (is 'devmgr host' running?)",
			socket_path, strerror(errno));
		return 1;
	}
	if (fd >= 0) {
		m.msg_control = control;
		m.msg_controllen = sizeof(control);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendmsg(s, &m, MSG_NOSIGNAL) < 0) {
		log_err("cannot ask the host daemon: %s", strerror(errno));
		close(s);
		return 1;
	}
	while (got < sizeof(answer) - 1 &&
	       (n = recv(s, answer + got, sizeof(answer) - 1 - got, 0)) > 0)
		got += (size_t)n;
	close(s);
	answer[got] = '\0';
	if (got == 0) {
		log_err("the host daemon gave no answer within %d s", timeout_s);
		return 1;
	}
	bool ok = strncmp(answer, "ok", 2) == 0 || strncmp(request, "list", 4) == 0;
	fputs(answer, ok ? stdout : stderr);
	return ok ? 0 : 1;
}

static int attach(const char *sock, const char *name, long pid)
{
	char req[320];
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);

	if (pidfd < 0) {
		log_err("cannot hold process %ld: %s", pid, strerror(errno));
		return 1;
	}
	snprintf(req, sizeof(req), "attach %s\n", name);
	int rc = ask(sock, req, pidfd, 30);
	close(pidfd);
	return rc;
}

static int detach(const char *sock, const char *name)
{
	char req[320];

	snprintf(req, sizeof(req), "detach %s\n", name);
	return ask(sock, req, -1, 30);
}

/* The OCI hook: poststart ("running", or "created" as runc says) attaches,
 * poststop ("stopped") detaches; an earlier hook, whose container has no
 * root of its own yet, is refused by the daemon. */
static int hook(const char *sock)
{
	char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, stdin);
	struct ocistate st;
	const char *why;

	text[n] = '\0';
	if (n == sizeof(text) - 1 || ocistate_parse(text, &st, &why) < 0) {
		log_err("hook: the container state on stdin is not usable: %s",
			n == sizeof(text) - 1 ? "over 64 KiB" : why);
		return 1;
	}
	const char *name = st.name[0] ? st.name : st.id;
	/* runc hands poststart hooks a state that still says "created" */
	if ((strcmp(st.status, "running") == 0 || strcmp(st.status, "created") == 0) &&
	    st.pid > 0)
		return attach(sock, name, st.pid);
	if (strcmp(st.status, "stopped") == 0) {
		/* detached already when its init exited: that is no error */
		if (detach(sock, name) != 0)
			log_info("hook: %s was not attached (any more)", name);
		return 0;
	}
	log_err("hook: container %s is '%s': use devmgr host hook as a poststart hook (it "
		"attaches) and a poststop hook (it detaches)", name, st.status);
	return 1;
}

static int daemon_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct hostd_opts o = { .config = "/etc/devmgr/host.conf", .ready_fd = -1 };
	int c;

	while ((c = getopt_long(argc, argv, "vfD:h", opts, NULL)) != -1) {
		if (c == 'v')
			o.verbose++;
		else if (c == 'D')
			o.ready_fd = atoi(optarg);
		else if (c == 'c')
			o.config = optarg, o.config_required = 1;
		else if (c == 'f')
			continue;	/* always in the foreground */
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_set_verbosity(LOG_LVL_WARN + o.verbose);
	return hostd_run(&o);
}

/* The effective grants of container NAME (its section) or group /PATH,
 * as host.conf CONFIG says. */
static int devices(const char *config, const char *name)
{
	struct hostconf h;
	const struct hostconf_container *c;
	int rc = 1;

	hostconf_defaults(&h);
	if (hostconf_load(&h, config, true) < 0) {
		log_err("%s has errors", config);
	} else if ((c = name[0] == '/' ? hostconf_group(&h, name) : hostconf_find(&h, name)) ==
		   NULL) {
		log_err("%s: no %s %s", config, name[0] == '/' ? "[group]" : "[container] section for",
			name);
	} else {
		devtree_print(stdout, c);
		rc = 0;
	}
	hostconf_free(&h);
	return rc;
}

int host_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, 0, 's' },
		{ "config", required_argument, 0, 'c' },
		{ "recursive", no_argument, 0, 'r' },
		{ 0, 0, 0, 0 },
	};
	const char *sock = DEFAULT_SOCKET, *cmd = argc > 1 ? argv[1] : "";
	const char *config = "/etc/devmgr/host.conf";
	bool recursive = false;
	int c;

	if (strcmp(cmd, "attach") && strcmp(cmd, "detach") && strcmp(cmd, "list") &&
	    strcmp(cmd, "hook") && strcmp(cmd, "reload") && strcmp(cmd, "devices"))
		return daemon_cmd(argc, argv);
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'c')
			config = optarg;
		else if (c == 'r')
			recursive = true;
		else {
			usage(stderr);
			return 2;
		}
	}
	int left = argc - optind;
	char *end;
	if (strcmp(cmd, "attach") == 0 && left == 2) {
		long pid = strtol(argv[optind + 1], &end, 10);
		if (*end == '\0' && pid > 0)
			return attach(sock, argv[optind], pid);
	} else if (strcmp(cmd, "detach") == 0 && left == 1) {
		return detach(sock, argv[optind]);
	} else if (strcmp(cmd, "list") == 0 && left == 0) {
		return ask(sock, "list\n", -1, 10);
	} else if (strcmp(cmd, "hook") == 0 && left == 0) {
		return hook(sock);
	} else if (strcmp(cmd, "reload") == 0 && left == 0) {
		return ask(sock, recursive ? "reload recursive\n" : "reload\n", -1, 30);
	} else if (strcmp(cmd, "devices") == 0 && left == 1) {
		return devices(config, argv[optind]);
	}
	usage(stderr);
	return 2;
}
