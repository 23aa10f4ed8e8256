#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

/* The one piece of process-wide state outside the daemon context: the
 * logger is needed before any context exists (option parsing, OOM). */
static int verbosity = LOG_LVL_WARN;
static int use_syslog;

void log_to_syslog(void)
{
	openlog("devmgr", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = 1;
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
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (use_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	/* One write per line keeps lines whole when several processes share
	 * stderr (hotplug helpers run concurrently). */
	fprintf(stderr, "devmgr: %s\n", line);
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
