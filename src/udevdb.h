/* The udev database that systemd's libudev reads: RUN/data/<id>, one file
 * per device with "I:" (initialisation time), "E:" (properties added to
 * the kernel's), "S:" (symlinks), "G:"/"Q:" (tags) and "V:" lines;
 * RUN/tags/<tag>/<id> for enumerating by tag; and RUN/control, whose
 * presence tells libudev that a device manager runs (without it, and with
 * /dev not a devtmpfs, a libudev monitor for "udev" events receives
 * nothing). Everything is done with *at() calls under the RUN fd.
 *
 * Whoever else can write RUN must not be able to stop devmgr or turn it
 * against other files: nothing is ever opened through a symlink, nor a
 * FIFO, socket or device node opened (a FIFO would block the daemon for
 * good), nor an entry read unless it is a regular file of root's (or
 * devmgr's) with no other name (a hard link could be to a secret); the
 * files devmgr writes are new inodes (O_EXCL), never something found at
 * their names. What is refused is said, naming it. */
#ifndef DEVMGR_UDEVDB_H
#define DEVMGR_UDEVDB_H

#include <stdbool.h>
#include <sys/types.h>

#include "devprops.h"
#include "entrycache.h"

struct udevdb {
	int run_fd;		/* RUN (/run/udev) */
	int data_fd;		/* RUN/data */
	char *path;		/* for messages */
	unsigned long errors;
	bool udevd;		/* udevdb_open refused: a udevd runs */
	long pid;		/* in temporary file names, with the entry's: a
				 * concurrent devmgr never shares one (coldplug
				 * workers have the same but disjoint entries) */
	/* the daemon's: entries read back from memory (entrycache.h) */
	bool caching;
	struct entrycache cache;
	/* udevdb_fill_begin: data_fd is RUN/.data.coldplug, live_fd RUN/data,
	 * fill_lock its flock (one coldplug fills at a time) */
	bool filling;
	int live_fd, fill_lock;
};

/* Creates RUN, RUN/data and RUN/control. Refuses (-1, logged) when a
 * real udevd runs (db->udevd then set): two managers must not write one
 * database. RUN and RUN/data must be directories only root (or devmgr's
 * uid) can write. Anything else found at RUN/control (a socket nobody
 * listens on, another uid's, a FIFO, a symlink) is said and replaced. */
int udevdb_open(struct udevdb *db, const char *run);
/* Whether a real udevd runs: RUN/control is a socket of root's (or
 * devmgr's uid) that a process of that uid listens on, taking a
 * SOCK_SEQPACKET connection as systemd-udevd's control socket does. A
 * socket file alone is no proof: it stays behind when udevd is killed,
 * and anyone who can write RUN can bind one. Says what it concluded. */
bool udevdb_udevd_runs(const char *run);
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
/* A coldplug into an empty database: the entries are written straight
 * into RUN/.data.coldplug, which nobody reads, without a temporary file
 * and a rename each (a third of the time with /run on a disk), and
 * udevdb_fill_end() puts the directory in data's place with one rename:
 * a reader sees no entry or all of them. False, and nothing changed,
 * when RUN/data holds entries already. */
bool udevdb_fill_begin(struct udevdb *db);
void udevdb_fill_end(struct udevdb *db);

/* Adds what the entry holds to p. 0, or -1 when there is none (errno
 * ENOENT) or it is refused (not a regular file of devmgr's: said).
 * Never blocks. */
int udevdb_read(struct udevdb *db, const char *id, struct devprops *p);
/* Removes the entry and its tag marks (p: what it held; OLD, NULL or
 * more tags it may have had). */
void udevdb_remove(struct udevdb *db, const char *id, const struct devprops *p,
		   const struct oldtags *old);

#endif
