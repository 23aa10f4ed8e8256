/* The OCI runtime's container state, as a hook reads it on stdin
 * (runtime-spec's state.json): id, pid, status, and the annotation
 * "devmgr.name" that names the container for host.conf when its id would
 * not (Docker's ids are 64 hex digits). Only these are read; the rest of
 * the object is checked to be JSON and skipped. */
#ifndef DEVMGR_OCISTATE_H
#define DEVMGR_OCISTATE_H

struct ocistate {
	char id[256];
	char status[32];
	char name[256];		/* annotations["devmgr.name"], or "" */
	long pid;		/* 0 when absent (a stopped container's) */
};

/* 0, or -1 with WHY set when TEXT is not such an object. */
int ocistate_parse(const char *text, struct ocistate *st, const char **why);

#endif
