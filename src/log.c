#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The one piece of process-wide state outside the daemon context: the
 * logger is needed before any context exists (option parsing, OOM). */
static int verbosity = LOG_LVL_WARN;

void log_set_verbosity(int level)
{
	verbosity = level;
}

int log_verbosity(void)
{
	return verbosity;
}

static void vlog(const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
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
	vlog(fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(1);
}
