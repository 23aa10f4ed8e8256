#define _GNU_SOURCE
#include "coldplug.h"
#include "devnode.h"
#include "exec.h"
#include "fileio.h"
#include "log.h"
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* One share of the scan. With several, commands are written to CMDS (a
 * memfd) instead of run: "index, seq, length" then the command, MDEV and
 * the device name, each NUL-terminated, then the event (uevent_pack). */
struct share {
	struct handler *h;
	int cmds;			/* -1: run commands at once */
};

struct cmd_rec {
	uint64_t index;
	uint32_t seq, len;
};

/* A small write to the share's own file; nothing is lost but the
 * command, and that is said. */
static void put_command(int fd, unsigned long index, uint32_t seq, const struct plan_step *s,
			const struct pending *p)
{
	size_t plen;
	char *packed = uevent_pack(p->dev.ev, &plen);
	size_t len = strlen(s->cmd) + strlen(s->node) + strlen(p->dev.devname) + 3 + plen;

	/* the next record's header stays aligned */
	len = (len + 7) & ~(size_t)7;
	char *buf = xmalloc(sizeof(struct cmd_rec) + len);
	memset(buf, 0, sizeof(struct cmd_rec) + len);
	struct cmd_rec r = { .index = index, .seq = seq, .len = (uint32_t)len };
	char *at = buf + sizeof(r);
	memcpy(buf, &r, sizeof(r));
	at = stpcpy(at, s->cmd) + 1;	/* (the padding is NULs) */
	at = stpcpy(at, s->node) + 1;
	at = stpcpy(at, p->dev.devname) + 1;
	memcpy(at, packed, plen);
	free(packed);
	if (write(fd, buf, sizeof(r) + len) != (ssize_t)(sizeof(r) + len))
		log_err("coldplug: cannot keep the command of %s for later: %s", p->dev.devname,
			strerror(errno));
	free(buf);
}

static void scan_device(void *arg, struct device *dev, unsigned long index)
{
	struct share *sh = arg;
	const struct plan_step *s;
	uint32_t seq = 0;

	if (sh->cmds < 0 || sh->h->dry_run) {
		handle_device(sh->h, dev);
		return;
	}
	struct pending *p = handler_begin(sh->h, dev);
	if (p == NULL)
		return;
	while ((s = handler_next_command(sh->h, p)) != NULL)
		put_command(sh->cmds, index, seq++, s, p);
	handler_end(sh->h, p);
	handler_free(p);
}

struct tally {
	long devices;
	unsigned long nodes, failures;
};

static long scan_share(struct handler *h, struct sysfs *s, unsigned w, unsigned n, int cmds)
{
	struct sysfs_scan sc = { .worker = w, .workers = n };
	struct share sh = { .h = h, .cmds = cmds };
	long found = sysfs_scan(s, &sc, scan_device, &sh);

	h->scan_errors += sc.errors;
	return found;
}

/* The commands the shares kept, in scan order. */
struct kept {
	const struct cmd_rec *rec;
	const char *text;
	size_t len;
};

static int by_scan_order(const void *a, const void *b)
{
	const struct cmd_rec *x = ((const struct kept *)a)->rec, *y = ((const struct kept *)b)->rec;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads a share's file whole; its records into V. */
static char *load(int fd, struct kept **v, size_t *n, size_t *cap)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = size > 0 ? xmalloc((size_t)size) : NULL;

	if (buf == NULL || pread(fd, buf, (size_t)size, 0) != size) {
		free(buf);
		return NULL;
	}
	for (off_t at = 0; at + (off_t)sizeof(struct cmd_rec) <= size; ) {
		const struct cmd_rec *r = (const struct cmd_rec *)(buf + at);
		/* a record cut short (a worker killed mid-write) ends it */
		if (r->len < 4 || (off_t)(sizeof(*r) + r->len) > size - at ||
		    buf[at + (off_t)sizeof(*r) + r->len - 1] != '\0')
			break;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*v = realloc(*v, *cap * sizeof(**v));
			if (*v == NULL)
				die("out of memory");
		}
		(*v)[(*n)++] = (struct kept){ r, buf + at + sizeof(*r), r->len };
		at += (off_t)(sizeof(*r) + r->len);
	}
	return buf;
}

static void run_kept(struct handler *h, const struct kept *k)
{
	const char *cmd = k->text, *node = cmd + strlen(cmd) + 1, *devname = node + strlen(node) + 1;
	const char *packed = devname + strlen(devname) + 1;
	struct uevent ev;

	uevent_unpack(&ev, packed, k->len - (size_t)(packed - k->text));
	exec_run(cmd, h->x.dev->root.fd, &ev, node, devname, h->cmd_timeout);
}

/* Every share's commands, in the order one process would have run them. */
static void run_commands(struct handler *h, const int *fds, unsigned n)
{
	struct kept *v = NULL;
	size_t nv = 0, cap = 0;
	char *bufs[COLDPLUG_MAX_JOBS] = { 0 };

	for (unsigned i = 0; i < n; i++)
		bufs[i] = load(fds[i], &v, &nv, &cap);
	if (nv > 1)	/* (qsort wants an array, even of none) */
		qsort(v, nv, sizeof(*v), by_scan_order);
	for (size_t i = 0; i < nv; i++)
		run_kept(h, &v[i]);
	for (unsigned i = 0; i < n; i++)
		free(bufs[i]);
	free(v);
}

/* Worker W's share in a child; its tally through the pipe. */
static pid_t start_worker(struct handler *h, struct sysfs *s, unsigned w, unsigned n, int cmds,
			  int tally_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (h->policy)
		policy_forked(h->policy);
	struct tally t = { .devices = scan_share(h, s, w, n, cmds) };
	t.nodes = h->x.nodes;
	t.failures = h->failures + h->scan_errors;
	/* One small write to a pipe is atomic. */
	_exit(write(tally_fd, &t, sizeof(t)) == sizeof(t) ? 0 : 1);
}

static void collect(struct handler *h, int tally_fd, const pid_t *pids, unsigned started,
		    long *total)
{
	for (unsigned i = 0; i < started; i++) {
		struct tally t;
		if (read(tally_fd, &t, sizeof(t)) == sizeof(t)) {
			if (t.devices > 0)
				*total = (*total > 0 ? *total : 0) + t.devices;
			h->x.nodes += t.nodes;
			h->failures += t.failures;
		} else {
			h->failures++;
		}
	}
	for (unsigned i = 0; i < started; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			log_err("coldplug worker %d failed", (int)pids[i]);
			h->failures++;
		}
	}
}

/* A file per share for the commands it keeps; 1 job when there is none. */
static unsigned open_files(unsigned jobs, int *fds)
{
	for (unsigned i = 0; i < jobs; i++) {
		fds[i] = memfd_create("devmgr-coldplug", MFD_CLOEXEC);
		if (fds[i] < 0) {
			log_info("coldplug: one process (no memfd: %s)", strerror(errno));
			while (i-- > 0)
				close(fds[i]);
			return 1;
		}
	}
	return jobs;
}

/* Whether a rule has a command (a command may ask libudev). */
static bool any_command(const struct ruleset *rs)
{
	for (size_t i = 0; rs && i < rs->n; i++)
		if (rs->v[i].cmd)
			return true;
	return false;
}

long coldplug_run(struct handler *h, struct sysfs *s, unsigned jobs)
{
	int pipefd[2] = { -1, -1 }, fds[COLDPLUG_MAX_JOBS];
	pid_t pids[COLDPLUG_MAX_JOBS];
	unsigned started = 0;
	long total = -1;

	jobs = jobs > COLDPLUG_MAX_JOBS ? COLDPLUG_MAX_JOBS : jobs ? jobs : 1;
	if (h->dry_run || (jobs > 1 && pipe2(pipefd, O_CLOEXEC) < 0))
		jobs = 1;
	if (jobs > 1 && (jobs = open_files(jobs, fds)) == 1) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	/* one rename puts every entry in place, before any command runs:
	 * one process runs them as it goes, so it fills only without any */
	bool fill = h->pub && (jobs > 1 || !any_command(h->in.rules));
	if (fill)
		publisher_fill(h->pub, true);
	if (jobs == 1) {
		total = scan_share(h, s, 0, 1, -1);
		if (fill)
			publisher_fill(h->pub, false);
		return total;
	}
	for (unsigned w = 1; w < jobs; w++) {
		pid_t pid = start_worker(h, s, w, jobs, fds[w], pipefd[1]);
		if (pid < 0) {
			log_warn("coldplug: cannot start worker %u: %s; doing its share here", w,
				 strerror(errno));
			break;
		}
		pids[started++] = pid;
	}
	/* Worker 0's share, and that of every worker that did not start:
	 * the stride stays the same for all. */
	for (unsigned w = 0; w < jobs; w++) {
		if (w >= 1 && w <= started)
			continue;
		long n = scan_share(h, s, w, jobs, fds[w]);
		if (n >= 0)
			total = (total > 0 ? total : 0) + n;
	}
	close(pipefd[1]);
	collect(h, pipefd[0], pids, started, &total);
	close(pipefd[0]);
	if (fill)
		publisher_fill(h->pub, false);
	run_commands(h, fds, jobs);
	for (unsigned i = 0; i < jobs; i++)
		close(fds[i]);
	return total;
}
