/* Telling other programs, once devmgr has acted on an event: the event
 * republished on netlink in systemd's libudev format and in
 * libudev-zero's, and the udev database. A device's event leaves only
 * after its node exists with its final owner and mode (or, for a remove,
 * is gone): a client that opens the node on the event never races us. */
#ifndef DEVMGR_PUBLISH_H
#define DEVMGR_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "device.h"
#include "devprops.h"
#include "netlink.h"
#include "udevdb.h"
#include "udevmsg.h"

#define PUBLISH_DBQ 1024	/* entries a batch may change before they are written */

/* What was made for a device, for the publisher. */
struct pub_node {
	const char *node;	/* where its node is, relative to the dev root; NULL: none */
	const char *link;	/* the ">" link made to it */
	bool root;		/* the "root" link points to it */
	const struct devprops *props;	/* ID_* and persistent links worked out
					 * already, or NULL */
};

struct publisher {
	const struct config *cfg;	/* the context's, reloaded in place */
	int sys_fd;			/* sysfs root, for ID_* properties */
	bool db_open, sock_open;
	struct udevdb db;
	struct nl_sender sock;
	bool sending;			/* off during coldplug: database only */
	bool udevd;			/* a real udevd runs: no libudev-format events */
	bool holding;			/* queue until publisher_hold(false) */
	/* Queued messages: bytes in one buffer, a record per message. */
	unsigned char *q;
	size_t qlen, qcap;
	struct queued { size_t off, len; unsigned groups; unsigned long long seq; } *qm;
	unsigned nq, qmcap;
	/* Database changes held back while holding, the last state per
	 * entry: in a storm a device that flaps within a batch costs at most
	 * one write, none when it ends as it was on disk, and its remove
	 * reads what its add wrote from here. Found by id through DBIX. */
	struct dbchange {
		char id[64];
		enum { DB_SAME, DB_WRITE, DB_REMOVE } what;
		bool disk_known;	/* the entry on disk was read in this batch */
		bool on_disk;		/* ... it was there */
		uint64_t disk_hash;	/* ... and what it said (devprops_hash) */
		struct devprops props;
		struct oldtags old;	/* marks that may be on disk */
	} *dbq;
	unsigned ndbq;
	int *dbix;			/* 2 * PUBLISH_DBQ slots: index into dbq, -1 */
	unsigned long published, send_failures;
	unsigned long unheard;		/* not sent: nobody had joined the group */
	struct udevmsg *msg;		/* the messages being built: large */
};

/* Opens the database (if configured) and, when SEND, the socket; what
 * fails is logged and left out. */
void publisher_open(struct publisher *p, const struct config *cfg, int sys_fd, bool send);
void publisher_close(struct publisher *p);
/* The daemon stops: libudev must no longer think a manager runs. */
void publisher_retire(struct publisher *p);
/* Events are sent only while on (the database is kept either way). */
void publisher_sending(struct publisher *p, bool on);
/* A coldplug: while on, entries are written into an empty database
 * whole (udevdb_fill_begin), put in place when turned off. */
void publisher_fill(struct publisher *p, bool on);
/* While on, events are queued; turning it off sends them, in order. The
 * daemon holds them while node removals are held back. */
void publisher_hold(struct publisher *p, bool on);

/* After the handler acted on DEV: database, then the event. */
void publish_device(struct publisher *p, const struct device *dev, const struct pub_node *o);
/* Takes back what is held of DEV's event (publisher_hold): its messages
 * are not sent, and a held removal of its database entry is undone. */
void publish_unsay(struct publisher *p, const struct device *dev);
/* A device found gone by a resync: its database entry goes. */
void publish_forget(struct publisher *p, mode_t type, int major, int minor);

#endif
