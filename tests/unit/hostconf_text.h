/* For host.conf tests: TEXT written as DIR/host.conf and loaded into H
 * (PRUNE: a recursive load), with what was logged (stderr) in LOG. The
 * load's result. */
#ifndef DEVMGR_TEST_HOSTCONF_TEXT_H
#define DEVMGR_TEST_HOSTCONF_TEXT_H

#include "hostconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int load_text(struct hostconf *h, const char *dir, const char *text, bool prune,
		     char *log, size_t size)
{
	char path[256], logpath[256];
	int saved = dup(2), rc;

	snprintf(path, sizeof(path), "%s/host.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	int lf = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(lf, 2);
	hostconf_defaults(h);
	rc = hostconf_load_tree(h, path, true, prune);
	dup2(saved, 2);
	close(saved);
	close(lf);
	f = fopen(logpath, "r");
	size_t n = fread(log, 1, size - 1, f);
	log[n] = '\0';
	fclose(f);
	return rc;
}

#endif
