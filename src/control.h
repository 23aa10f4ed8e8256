/* The daemon's control socket, STATE/control: what "devmgr settle"
 * connects to. A connection is the question "have you handled every
 * event the kernel sent before I asked?"; the answer comes once the
 * uevent socket has been read empty after the connection was taken and
 * no command is running or waiting, or at once when /dev refuses
 * changes. Anyone may ask (the socket is 0666): the answer tells nothing
 * but that; a bounded number of askers wait, the others are told busy. */
#ifndef DEVMGR_CONTROL_H
#define DEVMGR_CONTROL_H

#include <stdbool.h>

#define CONTROL_WAITERS 32

struct control {
	int fd;				/* listening; -1: none */
	char *path;
	struct waiter {
		int fd;
		bool drained;		/* the uevent socket was read empty since */
	} w[CONTROL_WAITERS];
	unsigned n;
};

/* Listens at STATE/control (a stale socket there is replaced, a live
 * one, another daemon's, is left and said). 0, or -1 (logged): the
 * daemon runs without one. */
int control_open(struct control *c, const char *state);
void control_close(struct control *c);
/* Takes the waiting connections (the listening fd was readable). */
void control_accept(struct control *c);
/* Whether someone waits whose events may not all be read yet. */
bool control_undrained(const struct control *c);
/* The uevent socket was just read empty: every asker so far has had the
 * events sent before it asked read. */
void control_drained(struct control *c);
/* Answers the askers whose events are read: "settled" when IDLE (no
 * command runs or waits), "refused N" when /dev refused N events that
 * wait for a retry. */
void control_answer(struct control *c, bool idle, unsigned refused);

/* A connection to the daemon listening at PATH; -1 with errno (ENOENT,
 * ECONNREFUSED: none listens there; ENAMETOOLONG). */
int control_connect(const char *path);

/* "devmgr settle [--timeout S] [--state DIR]": 0 settled (or no daemon),
 * 1 timed out or /dev refuses changes, 2 usage. */
int settle_main(int argc, char **argv);

#endif
