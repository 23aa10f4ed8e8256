#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The one piece of process-wide state outside the daemon context: the
 * logger is needed before any context exists (option parsing, OOM). */
static int verbosity = LOG_LVL_WARN;
/* host mode: which container a worker's messages are about */
static char tag[80];
static struct {
	bool on;		/* messages go to /dev/log */
	int fd;			/* -1 until connected */
	unsigned long dropped;	/* not taken since the last one that was */
} sys = { .fd = -1 };

/* syslog(3) sends in blocking mode: a /dev/log whose reader is gone or
 * stuck (anyone can bind one in a container's /dev) fills after a few
 * datagrams and would stop the daemon for good. This client never
 * waits: a message the socket does not take is counted and dropped,
 * and the count is said with the next one that goes through. */
static int sys_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (e != EPROTOTYPE)
			return -1;
	}
	return -1;
}

static void sys_send(int level, const char *msg)
{
	static const int severity[] = { 3, 4, 6, 7 };	/* err, warning, info, debug */
	char line[1200], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (sys.fd < 0 && (sys.fd = sys_connect()) < 0) {
		sys.dropped++;
		return;
	}
	if (localtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%b %e %T", &tm) == 0)
		stamp[0] = '\0';
	/* LOG_DAEMON is facility 3; the NUL ends a record on a stream socket */
	int n = snprintf(line, sizeof(line), "<%d>%s devmgr[%d]: %s%s%s", 3 * 8 + severity[level],
			 stamp, (int)getpid(), tag, tag[0] ? ": " : "", msg);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) ? (size_t)n + 1 : sizeof(line);
	if (send(sys.fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* a peer gone (syslogd restarted): connect again next time */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			close(sys.fd);
			sys.fd = -1;
		}
		sys.dropped++;
		return;
	}
	if (sys.dropped > 0) {
		unsigned long d = sys.dropped;
		sys.dropped = 0;
		snprintf(line, sizeof(line), "%lu message%s dropped: /dev/log did not take them", d,
			 d == 1 ? "" : "s");
		sys_send(LOG_LVL_WARN, line);
	}
}

void log_to_syslog(void)
{
	sys.on = true;
	sys.fd = sys_connect();
}

void log_set_tag(const char *t)
{
	snprintf(tag, sizeof(tag), "%s", t);
}

void log_set_verbosity(int level)
{
	verbosity = level;
}

int log_verbosity(void)
{
	return verbosity;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (sys.on) {
		sys_send(level, line);
		return;
	}
	/* One write per line keeps lines whole when several processes share
	 * stderr (hotplug helpers run concurrently). */
	fprintf(stderr, "devmgr%s%s%s: %s\n", tag[0] ? "[" : "", tag, tag[0] ? "]" : "", line);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > verbosity)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
