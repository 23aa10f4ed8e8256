/* The udev database that systemd's libudev reads: RUN/data/<id>, one file
 * per device with "I:" (initialisation time), "E:" (properties added to
 * the kernel's), "S:" (symlinks), "G:"/"Q:" (tags) and "V:" lines;
 * RUN/tags/<tag>/<id> for enumerating by tag; and RUN/control, whose
 * presence tells libudev that a device manager runs (without it, and with
 * /dev not a devtmpfs, a libudev monitor for "udev" events receives
 * nothing). Everything is done with *at() calls under the RUN fd. */
#ifndef DEVMGR_UDEVDB_H
#define DEVMGR_UDEVDB_H

#include <sys/types.h>

#include "devprops.h"

struct udevdb {
	int run_fd;		/* RUN (/run/udev) */
	int data_fd;		/* RUN/data */
	char *path;		/* for messages */
	unsigned long errors;
	long pid;		/* in temporary file names, with the entry's: a
				 * concurrent devmgr never shares one (coldplug
				 * workers have the same but disjoint entries) */
};

/* Creates RUN, RUN/data and RUN/control. Refuses (-1, logged) when a
 * real udevd's control socket is there: two managers must not write one
 * database. */
int udevdb_open(struct udevdb *db, const char *run);
void udevdb_close(struct udevdb *db);
/* Removes RUN/control, when no manager keeps the database any more. */
void udevdb_release(struct udevdb *db);

/* The name systemd gives a device's entry: "c<maj>:<min>" or
 * "b<maj>:<min>" for devices with numbers, "n<ifindex>" for network
 * interfaces, "+<subsystem>:<sysname>" otherwise. -1 when there is none
 * (no subsystem, or a name that cannot be a file name). */
int udevdb_id(char *buf, size_t size, mode_t type, int major, int minor,
	      const char *subsystem, const char *devpath, const char *ifindex);

/* Tags an entry may have had marks for: those it no longer has are
 * unmarked when it is written or removed. */
struct oldtags {
	unsigned n;
	char v[2 * DEVPROPS_TAGS][64];
};
void oldtags_add(struct oldtags *t, const struct devprops *p);
void oldtags_merge(struct oldtags *t, const struct oldtags *more);

/* Replaces the entry atomically (a reader sees the old or the new), and
 * the tag marks: p's made, OLD's others taken away (OLD may be NULL). */
int udevdb_write(struct udevdb *db, const char *id, const struct devprops *p,
		 const struct oldtags *old);
/* Adds what the entry holds to p. 0, or -1 when there is none. */
int udevdb_read(struct udevdb *db, const char *id, struct devprops *p);
/* Removes the entry and its tag marks (p: what it held; OLD, NULL or
 * more tags it may have had). */
void udevdb_remove(struct udevdb *db, const char *id, const struct devprops *p,
		   const struct oldtags *old);

#endif
