#define _GNU_SOURCE
#include "exec.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same number on every architecture */
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* devmgr's own environment (PATH, from whoever started it), overridden
 * by the event's keys, plus MDEV: what busybox's putenv() gives. */
static char **command_env(const struct uevent *ev, const char *mdev_pair)
{
	size_t n = 0;

	while (environ[n])
		n++;
	char **env = calloc(n + ev->nkeys + 2, sizeof(*env));
	if (env == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		if (eq == NULL || strncmp(environ[i], "MDEV=", 5) == 0)
			continue;
		bool overridden = false;
		for (unsigned j = 0; j < ev->nkeys && !overridden; j++)
			overridden = strncmp(ev->keys[j], environ[i], (size_t)(eq - environ[i]) + 1) == 0;
		if (!overridden)
			env[k++] = environ[i];
	}
	for (unsigned j = 0; j < ev->nkeys; j++)
		if (strchr(ev->keys[j], '='))
			env[k++] = (char *)ev->keys[j];
	env[k++] = (char *)mdev_pair;
	env[k] = NULL;
	return env;
}

static int start(struct cmd_proc *p, const char *cmd, int dirfd, const struct uevent *ev,
		 const char *mdev, const char *devname, bool capture)
{
	int out[2], in[2];
	char mdev_pair[4200];

	memset(p, 0, sizeof(*p));
	p->out = -1;
	snprintf(p->tag, sizeof(p->tag), "'%.60s' (%.24s)", cmd, devname);
	snprintf(mdev_pair, sizeof(mdev_pair), "MDEV=%s", mdev);
	/* Prepared before fork: the child only execs, it allocates nothing. */
	char **env = command_env(ev, mdev_pair);
	if (env == NULL) {
		log_err("cannot run %s: out of memory", p->tag);
		return -1;
	}
	/* stdin: a pipe whose write end is closed at once reads as end of
	 * file, and needs no /dev/null (devmgr may be making /dev). */
	out[0] = out[1] = -1;
	if ((capture && pipe2(out, O_CLOEXEC) < 0) || pipe2(in, O_CLOEXEC) < 0) {
		log_err("cannot run %s: pipe: %s", p->tag, strerror(errno));
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		free(env);
		return -1;
	}
	/* Without capture (-s, the hotplug helper), the command writes to
	 * devmgr's stderr, as busybox's do: what it leaves running in the
	 * background never meets a closed pipe. */
	int to = capture ? out[1] : STDERR_FILENO;
	close(in[1]);
	char *const argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in[0], 0) < 0 || dup2(to, 1) < 0 || (to != 2 && dup2(to, 2) < 0) ||
		    fchdir(dirfd) < 0)
			_exit(126);
		execve("/bin/sh", argv, env);
		dprintf(2, "cannot run /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	int e = errno;
	free(env);
	close(in[0]);
	if (capture)
		close(out[1]);
	if (pid < 0) {
		log_err("cannot run %s: fork: %s", p->tag, strerror(e));
		if (capture)
			close(out[0]);
		return -1;
	}
	setpgid(pid, pid);	/* also here: no race with kill() before the child's */
	if (capture)
		fcntl(out[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->out = out[0];
	log_debug("running %s, pid %d", p->tag, (int)pid);
	return 0;
}

static void emit(struct cmd_proc *p)
{
	if (p->used == 0)
		return;
	p->line[p->used] = '\0';
	log_info("%s: %s", p->tag, p->line);
	p->used = 0;
}

int exec_start(struct cmd_proc *p, const char *cmd, int dirfd, const struct uevent *ev,
	       const char *mdev, const char *devname)
{
	return start(p, cmd, dirfd, ev, mdev, devname, true);
}

int exec_drain(struct cmd_proc *p)
{
	char buf[1024];

	while (p->out >= 0) {
		ssize_t n = read(p->out, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;	/* EAGAIN: more later */
		if (n == 0) {
			emit(p);
			close(p->out);
			p->out = -1;
			return 1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				emit(p);
				continue;
			}
			if (p->used == sizeof(p->line) - 1)
				emit(p);	/* a very long line comes in pieces */
			p->line[p->used++] = buf[i];
		}
	}
	return 1;
}

void exec_report(const struct cmd_proc *p, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("%s exited with status %d%s", p->tag, WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found)" : "");
	else if (WIFSIGNALED(status))
		log_warn("%s killed by signal %d", p->tag, WTERMSIG(status));
}

void exec_kill(struct cmd_proc *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
}

long exec_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int exec_run(const char *cmd, int dirfd, const struct uevent *ev, const char *mdev,
	     const char *devname, unsigned timeout)
{
	struct cmd_proc p;
	int status = 0;
	bool killed = false;

	if (start(&p, cmd, dirfd, ev, mdev, devname, false) < 0)
		return -1;
	long deadline = timeout ? exec_clock_ms() + (long)timeout * 1000 : 0;
	/* A pidfd wakes us the moment the shell ends; without one (kernels
	 * before 5.3) we look every 20 ms. */
	int pidfd = (int)syscall(SYS_pidfd_open, p.pid, 0);
	/* Done when the shell is: something it left in the background may
	 * keep the output pipe open for ever (busybox's system() does not
	 * wait for it either). */
	for (;;) {
		pid_t r = waitpid(p.pid, &status, WNOHANG);
		if (r == p.pid || (r < 0 && errno != EINTR))
			break;
		if (deadline && !killed && exec_clock_ms() >= deadline) {
			log_warn("%s still runs after %u s: killed", p.tag, timeout);
			exec_kill(&p);
			killed = true;
		}
		struct pollfd pfd[2] = { { .fd = pidfd, .events = POLLIN },
					 { .fd = p.out, .events = POLLIN } };
		poll(pfd, 2, pidfd >= 0 ? 1000 : 20);
		exec_drain(&p);
	}
	if (pidfd >= 0)
		close(pidfd);
	exec_drain(&p);
	if (p.out >= 0) {
		emit(&p);
		close(p.out);
	}
	exec_report(&p, status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
