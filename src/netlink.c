/* Receiving kernel uevents. libnl-3 creates and binds the socket; messages
 * are read with recvmsg() so that the sender's address and credentials
 * come with each one: a message is accepted only when its sender port is
 * 0 (the kernel) and its credentials say uid 0. Anything else, a process
 * multicasting on group 1 or unicasting to our port, is counted and
 * dropped before it can create a node. */
#define _GNU_SOURCE
#include "netlink.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int uevent_sock_open(struct uevent_sock *s, int rcvbuf)
{
	int err;
	socklen_t len = sizeof(s->rcvbuf);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->msgs = xmalloc(UEVENT_BATCH * sizeof(*s->msgs));
	s->nl = nl_socket_alloc();
	if (s->nl == NULL) {
		log_err("cannot allocate a netlink socket: out of memory");
		return -1;
	}
	/* Kernel events carry no request sequence numbers. */
	nl_socket_disable_seq_check(s->nl);
	nl_join_groups(s->nl, 1);
	err = nl_connect(s->nl, NETLINK_KOBJECT_UEVENT);
	if (err < 0) {
		log_err("cannot open the kernel uevent socket: %s%s", nl_geterror(err),
			err == -NLE_PERM ? " (the container needs the host's network namespace"
			" or one owned by the host user namespace)" : "");
		nl_socket_free(s->nl);
		s->nl = NULL;
		return -1;
	}
	s->fd = nl_socket_get_fd(s->nl);
	nl_socket_set_passcred(s->nl, 1);
	nl_socket_set_nonblocking(s->nl);
	/* Storms of tens of thousands of events arrive faster than any
	 * manager handles them: the buffer is what keeps them. FORCE
	 * ignores rmem_max but needs CAP_NET_ADMIN. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
			log_warn("cannot size the uevent buffer: %s", strerror(errno));
	}
	/* The kernel doubles the size asked for (the other half pays for its
	 * bookkeeping) and reports the doubled figure: halve it, so that the
	 * number said is the one configured. */
	if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &s->rcvbuf, &len) == 0)
		s->rcvbuf /= 2;
	if (s->rcvbuf < rcvbuf)
		log_warn("uevent buffer is %d bytes, not %d (%s, and net.core.rmem_max is "
			 "lower): storms may overflow it", s->rcvbuf, rcvbuf,
			 userns_is_initial() == 0 ? "a user namespace's CAP_NET_ADMIN does not "
			 "count for this" : "no CAP_NET_ADMIN");
	return 0;
}

void uevent_sock_close(struct uevent_sock *s)
{
	if (s->nl)
		nl_socket_free(s->nl);	/* closes the fd */
	free(s->msgs);
	s->msgs = NULL;
	s->nl = NULL;
	s->fd = -1;
}

static enum recv_result fetch(struct uevent_sock *s)
{
	for (unsigned i = 0; i < UEVENT_BATCH; i++) {
		s->iov[i] = (struct iovec){ .iov_base = s->msgs[i].buf, .iov_len = sizeof(s->msgs[i].buf) };
		s->hdr[i].msg_hdr = (struct msghdr){
			.msg_name = &s->msgs[i].from, .msg_namelen = sizeof(s->msgs[i].from),
			.msg_iov = &s->iov[i], .msg_iovlen = 1,
			.msg_control = s->msgs[i].control, .msg_controllen = sizeof(s->msgs[i].control),
		};
	}
	int n = recvmmsg(s->fd, s->hdr, UEVENT_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return RECV_AGAIN;
		if (errno == ENOBUFS)
			return RECV_OVERRUN;
		log_err("cannot receive uevents: %s", strerror(errno));
		return RECV_ERROR;
	}
	s->nmsgs = (unsigned)n;
	s->next = 0;
	return n > 0 ? RECV_EVENT : RECV_AGAIN;
}

enum recv_result uevent_sock_recv(struct uevent_sock *s, struct uevent *ev)
{
	if (s->next == s->nmsgs) {
		enum recv_result r = fetch(s);
		if (r != RECV_EVENT)
			return r;
	}
	struct msghdr *msg = &s->hdr[s->next].msg_hdr;
	const struct uevent_msg *m = &s->msgs[s->next];
	size_t n = s->hdr[s->next].msg_len;
	const struct ucred *cred = NULL;

	s->next++;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			cred = (const struct ucred *)CMSG_DATA(c);
	if (msg->msg_namelen != sizeof(m->from) || m->from.nl_pid != 0 || cred == NULL ||
	    cred->uid != 0) {
		s->forged++;
		/* A flood of forgeries must not become a flood of log lines. */
		if (s->forged <= 10 || s->forged % 1000 == 0)
			log_warn("dropped a uevent not sent by the kernel (port %u, uid %d, %s; "
				 "%lu so far)", m->from.nl_pid, cred ? (int)cred->uid : -1,
				 m->from.nl_groups ? "multicast" : "unicast", s->forged);
		return RECV_DROPPED;
	}
	if (msg->msg_flags & MSG_TRUNC || uevent_parse_netlink(ev, m->buf, n) < 0) {
		s->malformed++;
		log_warn("dropped a malformed uevent (%zu bytes)", n);
		return RECV_DROPPED;
	}
	return RECV_EVENT;
}

int nl_sender_open(struct nl_sender *s)
{
	int err;

	s->fd = -1;
	s->creds = false;
	s->nl = nl_socket_alloc();
	if (s->nl == NULL) {
		log_err("cannot allocate a netlink socket: out of memory");
		return -1;
	}
	err = nl_connect(s->nl, NETLINK_KOBJECT_UEVENT);
	if (err < 0) {
		log_err("cannot open a uevent socket to publish on: %s", nl_geterror(err));
		nl_socket_free(s->nl);
		s->nl = NULL;
		return -1;
	}
	s->fd = nl_socket_get_fd(s->nl);
	return 0;
}

void nl_sender_close(struct nl_sender *s)
{
	if (s->nl)
		nl_socket_free(s->nl);
	s->nl = NULL;
	s->fd = -1;
}

void nl_sender_creds(struct nl_sender *s, uid_t uid, gid_t gid)
{
	struct ucred cred = { .pid = getpid(), .uid = uid, .gid = gid };
	struct msghdr m = { .msg_control = s->control, .msg_controllen = sizeof(s->control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	s->creds = true;
}

int nl_sender_send(struct nl_sender *s, struct mmsghdr *msgs, unsigned n)
{
	unsigned done = 0;

	for (unsigned i = 0; s->creds && i < n; i++) {
		msgs[i].msg_hdr.msg_control = s->control;
		msgs[i].msg_hdr.msg_controllen = sizeof(s->control);
	}

	while (done < n) {
		int r = sendmmsg(s->fd, msgs + done, n - done, 0);
		if (r < 0) {
			/* The message also goes to port 0, the kernel, which has
			 * nothing to say to it: a refusal there is no failure
			 * (systemd-udevd ignores it too). */
			if (errno == ECONNREFUSED) {
				done++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return (int)done;
		}
		done += (unsigned)r;
	}
	return (int)done;
}

unsigned nl_uevent_groups_joined(const char *proc)
{
	char path[4096], *text = NULL, *line, *save;
	size_t len;
	unsigned groups = 0;

	snprintf(path, sizeof(path), "%s/self/net/netlink", proc);
	if (read_file(path, &text, &len) < 0)
		return ~0u;
	/* "sk Eth Pid Groups ...": the protocol, the port (0: the kernel's
	 * own socket) and the groups joined, in hexadecimal */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned eth, port, g;
		if (sscanf(line, "%*s %u %u %x", &eth, &port, &g) == 3 &&
		    eth == NETLINK_KOBJECT_UEVENT && port != 0)
			groups |= g;
	}
	free(text);
	return groups;
}

#ifndef NSIO
#define NSIO 0xb7
#endif
#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(NSIO, 0x1)
#endif

/* 1 when the kernel sends uevents to our network namespace, 0 when it
 * does not, -1 when that cannot be told. The kernel broadcasts only to
 * namespaces owned by the initial user namespace. A user namespace is the
 * initial one when its uid_map maps the whole id range onto itself. */
int netns_gets_uevents(void)
{
	struct stat own, user;
	int netfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int rc = -1;

	if (netfd < 0)
		return -1;	/* no /proc */
	int userfd = ioctl(netfd, NS_GET_USERNS);
	close(netfd);
	if (userfd < 0)
		return -1;
	/* Owned by a namespace other than ours (an ancestor): it may well be
	 * the initial one, which we cannot see from here. */
	if (fstat(userfd, &own) == 0 && stat("/proc/self/ns/user", &user) == 0 &&
	    own.st_ino == user.st_ino && own.st_dev == user.st_dev)
		rc = userns_is_initial();
	close(userfd);
	return rc;
}

int userns_is_initial(void)
{
	char map[128];
	unsigned a, b, c;

	if (read_small_at(AT_FDCWD, "/proc/self/uid_map", map, sizeof(map)) <= 0)
		return -1;
	return sscanf(map, "%u %u %u", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295u;
}

int process_has_cap(int cap)
{
	char *text = NULL;
	size_t len;
	unsigned long long caps;
	int rc = -1;

	if (read_file("/proc/self/status", &text, &len) < 0)
		return -1;
	const char *c = strstr(text, "\nCapEff:");
	if (c && sscanf(c + 9, "%llx", &caps) == 1)
		rc = (int)((caps >> cap) & 1);
	free(text);
	return rc;
}
