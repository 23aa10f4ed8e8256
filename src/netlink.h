/* The kernel's uevent socket (NETLINK_KOBJECT_UEVENT, group 1), opened
 * with libnl-3, and the verified receive path. */
#ifndef DEVMGR_NETLINK_H
#define DEVMGR_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "uevent.h"

#define UEVENT_BATCH 32

struct uevent_msg {
	char buf[UEVENT_BUF_SIZE];
	/* one SCM_CREDENTIALS; aligned: the array of these would leave it
	 * at an odd offset, and cmsghdr needs its natural alignment */
	_Alignas(struct cmsghdr) char control[64];
	struct sockaddr_nl from;
};

struct uevent_sock {
	struct nl_sock *nl;
	int fd;
	int rcvbuf;			/* what the kernel granted, bytes */
	unsigned long forged;		/* messages dropped: not from the kernel */
	unsigned long malformed;
	/* One recvmmsg() fetches a batch; storms cost a system call per
	 * batch instead of per event. */
	struct uevent_msg *msgs;
	struct mmsghdr hdr[UEVENT_BATCH];
	struct iovec iov[UEVENT_BATCH];
	unsigned nmsgs, next;
};

/* Opens, binds to kernel group 1 and asks for a receive buffer of
 * `rcvbuf` bytes (SO_RCVBUFFORCE when permitted, else the most the
 * system allows). -1 after logging why and what the user must change. */
int uevent_sock_open(struct uevent_sock *s, int rcvbuf);
void uevent_sock_close(struct uevent_sock *s);

enum recv_result { RECV_EVENT, RECV_AGAIN, RECV_DROPPED, RECV_OVERRUN, RECV_ERROR };

/* Receives one message without blocking. RECV_EVENT fills ev; RECV_DROPPED
 * is a message that was not the kernel's (counted), or malformed;
 * RECV_OVERRUN means the kernel dropped events (ENOBUFS): resync. */
enum recv_result uevent_sock_recv(struct uevent_sock *s, struct uevent *ev);

/* The socket published events leave by. It joins no group, so nothing
 * queues up on it. */
struct nl_sender {
	struct nl_sock *nl;
	int fd;
	/* Host mode: the credentials each message carries (libudev drops
	 * what its own root did not send; uid 0 must be the container's);
	 * unset: the kernel fills in ours. */
	bool creds;
	_Alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred))];
};
/* Sends as UID and GID (host ids) from now on. */
void nl_sender_creds(struct nl_sender *s, uid_t uid, gid_t gid);

int nl_sender_open(struct nl_sender *s);
void nl_sender_close(struct nl_sender *s);
/* Multicasts each message to the groups in its msg_name (a sockaddr_nl).
 * Returns how many went out; on a failure, stops there with errno set. */
int nl_sender_send(struct nl_sender *s, struct mmsghdr *msgs, unsigned n);

/* The uevent groups (bit N-1 for group N, the first 32) that some socket
 * of our network namespace has joined, from PROC/self/net/netlink; every
 * bit when that cannot be read. A message to a group nobody joined is
 * never delivered: the daemon does not send it. */
unsigned nl_uevent_groups_joined(const char *proc);

/* Whether the kernel sends uevents to our network namespace (only those
 * owned by the initial user namespace get them): 1 yes, 0 no, -1 cannot
 * tell. */
int netns_gets_uevents(void);
/* Whether we are in the initial user namespace (its uid_map maps the
 * whole id range onto itself): 1, 0, or -1 without /proc. */
int userns_is_initial(void);
/* Whether the effective capabilities hold capability CAP (CAP_MKNOD,
 * CAP_NET_ADMIN: linux/capability.h), from /proc/self/status: 1, 0, or -1
 * without /proc. */
int process_has_cap(int cap);

#endif
