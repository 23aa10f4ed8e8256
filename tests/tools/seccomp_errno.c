/* seccomp_errno NR=ERRNO... -- CMD [ARG...]: runs CMD with a seccomp
 * filter that makes each system call NR fail with ERRNO, as a container
 * runtime's profile does for calls it does not know (fchmodat2 answered
 * ENOSYS or EPERM). Everything else is allowed. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH"
#endif

#define MAX_RULES 16

int main(int argc, char **argv)
{
	struct sock_filter f[4 + 2 * MAX_RULES + 1];
	unsigned n = 0, rules = 0;
	int i;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	/* another architecture's calls have other numbers: let them be */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		unsigned nr, err;
		if (rules == MAX_RULES || sscanf(argv[i], "%u=%u", &nr, &err) != 2) {
			fprintf(stderr, "seccomp_errno: bad rule '%s' (NR=ERRNO, at most %d)\n",
				argv[i], MAX_RULES);
			return 2;
		}
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA));
		rules++;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: seccomp_errno NR=ERRNO... -- CMD [ARG...]\n");
		return 2;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp_errno: installing the filter");
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "seccomp_errno: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
