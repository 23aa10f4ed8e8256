#define _GNU_SOURCE
#include "devbpf.h"
#include "devcgroup.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const char *devbpf_default_root(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup";
	return "/sys/fs/cgroup/unified";
}

#ifdef HAVE_BPF
#include <bpf/bpf.h>
#include <linux/bpf.h>

/* The map's key: what the kernel asks about (struct bpf_cgroup_dev_ctx
 * without the access bits). */
struct devkey {
	__u32 type;		/* BPF_DEVCG_DEV_BLOCK or _CHAR */
	__u32 major, minor;
};

#define GRANTS_MAX 1024

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						 .off = (o), .imm = (i) })
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define ALU32_REG(op, d, s) INSN(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
#define ADD64_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_W(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define LD_MAP(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JNE_REG(d, s, o) INSN(BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* devmgr's program: a device in MAP_FD with every access asked for is
 * allowed; anything else is the runtime's program's to answer (slot 0 of
 * ARRAY_FD); were it gone, denied. */
static int load_program(int map_fd, int array_fd, enum bpf_attach_type expected)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(BPF_REG_6, BPF_REG_1),		/* ctx */
		LDX_W(BPF_REG_2, BPF_REG_6, 0),			/* access_type */
		ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff),		/* the device's type */
		STX_W(BPF_REG_10, BPF_REG_2, -12),
		LDX_W(BPF_REG_2, BPF_REG_6, 4),			/* major */
		STX_W(BPF_REG_10, BPF_REG_2, -8),
		LDX_W(BPF_REG_2, BPF_REG_6, 8),			/* minor */
		STX_W(BPF_REG_10, BPF_REG_2, -4),
		LD_MAP(BPF_REG_1, map_fd),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -12),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(BPF_REG_0, 0, 7),			/* not granted */
		LDX_W(BPF_REG_1, BPF_REG_0, 0),			/* the access given */
		LDX_W(BPF_REG_2, BPF_REG_6, 0),
		ALU32_IMM(BPF_RSH, BPF_REG_2, 16),		/* the access asked for */
		ALU32_REG(BPF_AND, BPF_REG_1, BPF_REG_2),
		JNE_REG(BPF_REG_1, BPF_REG_2, 2),
		MOV64_IMM(BPF_REG_0, 1),
		EXIT(),
		MOV64_REG(BPF_REG_1, BPF_REG_6),		/* the runtime's */
		LD_MAP(BPF_REG_2, array_fd),
		MOV64_IMM(BPF_REG_3, 0),
		CALL(BPF_FUNC_tail_call),
		MOV64_IMM(BPF_REG_0, 0),
		EXIT(),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = expected);

	return bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "devmgr_grants", "Dual MIT/GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), &o);
}

int devbpf_open(struct devbpf *b, pid_t pid, const char *root, char *why, size_t whysize)
{
	char path[64], *text = NULL;
	size_t len;
	__u32 ids[8], n = 8, flags = 0;

	*b = (struct devbpf){ .cg_fd = -1, .runtime_fd = -1, .map_fd = -1, .array_fd = -1,
			      .prog_fd = -1 };
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if (read_file(path, &text, &len) < 0) {
		snprintf(why, whysize, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	const char *own = devcg_v2_path(text);
	snprintf(b->path, sizeof(b->path), "%s%s", root, own ? own : "");
	free(text);
	if (own == NULL) {
		snprintf(why, whysize, "no cgroup v2 cgroup in %s", path);
		return -1;
	}
	if ((b->cg_fd = open(b->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(why, whysize, "cannot open %s: %s", b->path, strerror(errno));
		return -1;
	}
	if (bpf_prog_query(b->cg_fd, BPF_CGROUP_DEVICE, 0, &flags, ids, &n) < 0 || n != 1) {
		int e = errno;
		if (n == 0 || e == EINVAL)
			snprintf(why, whysize, "%s has no device program of its own (nothing to "
				 "widen there)", b->path);
		else
			snprintf(why, whysize, "%s: %s", b->path, n > 1 ?
				 "several device programs (each must allow: not changed)" :
				 strerror(e));
		devbpf_close(b);
		return -1;
	}
	b->flags = flags;
	if ((b->runtime_fd = bpf_prog_get_fd_by_id(ids[0])) < 0) {
		snprintf(why, whysize, "%s: cannot hold device program %u: %s", b->path, ids[0],
			 strerror(errno));
		devbpf_close(b);
		return -1;
	}
	return 0;
}

static void close_ours(struct devbpf *b)
{
	int *fds[] = { &b->map_fd, &b->array_fd, &b->prog_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* devmgr's map, array and program, the runtime's program in the array.
 * The array takes only programs like the one that first used it: loaded
 * with the runtime's expected attach type, which its info does not tell
 * (runc leaves it 0, libbpf sets BPF_CGROUP_DEVICE): one, then the other. */
static int build(struct devbpf *b)
{
	const enum bpf_attach_type tries[] = { 0, BPF_CGROUP_DEVICE };
	int e = 0;

	for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
		__u32 zero = 0;
		b->map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "devmgr_granted", sizeof(struct devkey),
					   sizeof(__u32), GRANTS_MAX, NULL);
		b->array_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "devmgr_runtime",
					     sizeof(__u32), sizeof(__u32), 1, NULL);
		if (b->map_fd >= 0 && b->array_fd >= 0 &&
		    (b->prog_fd = load_program(b->map_fd, b->array_fd, tries[t])) >= 0 &&
		    bpf_map_update_elem(b->array_fd, &zero, &b->runtime_fd, BPF_ANY) == 0)
			return 0;
		e = errno;
		close_ours(b);
	}
	errno = e;
	return -1;
}

/* Program NEW in place of OLD, in one step. */
static int swap(const struct devbpf *b, int new_fd, int old_fd)
{
	LIBBPF_OPTS(bpf_prog_attach_opts, o, .flags = b->flags);

	/* with ALLOW_MULTI the slot is named; a single slot is replaced */
	if (b->flags & BPF_F_ALLOW_MULTI) {
		o.flags |= BPF_F_REPLACE;
		o.replace_prog_fd = old_fd;
	}
	return bpf_prog_attach_opts(new_fd, b->cg_fd, BPF_CGROUP_DEVICE, &o);
}

static int key_of(struct devkey *k, char type, int major, int minor)
{
	if (major < 0 || minor < 0)
		return -1;
	*k = (struct devkey){ .type = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
			      .major = (__u32)major, .minor = (__u32)minor };
	return 0;
}

int devbpf_allow(struct devbpf *b, char type, int major, int minor, const char *access,
		 char *why, size_t whysize)
{
	struct devkey k;
	__u32 bits = (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
		     (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);

	if (b->cg_fd < 0 || key_of(&k, type, major, minor) < 0) {
		snprintf(why, whysize, "no device program to change");
		errno = EINVAL;
		return -1;
	}
	if (b->prog_fd < 0) {
		if (build(b) < 0) {
			snprintf(why, whysize, "cannot load devmgr's device program: %s",
				 strerror(errno));
			return -1;
		}
		if (swap(b, b->prog_fd, b->runtime_fd) < 0) {
			int e = errno;
			snprintf(why, whysize, "cannot put devmgr's device program in place of "
				 "the runtime's in %s: %s", b->path, strerror(e));
			close_ours(b);
			errno = e;
			return -1;
		}
	}
	if (bpf_map_update_elem(b->map_fd, &k, &bits, BPF_ANY) < 0) {
		snprintf(why, whysize, "cannot add it to devmgr's map: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int devbpf_forget(struct devbpf *b, char type, int major, int minor)
{
	struct devkey k;

	if (b->map_fd < 0 || key_of(&k, type, major, minor) < 0)
		return 0;
	if (bpf_map_delete_elem(b->map_fd, &k) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

void devbpf_close(struct devbpf *b)
{
	/* the runtime's rules alone again (a cgroup that is gone needs none) */
	if (b->prog_fd >= 0 && b->cg_fd >= 0)
		swap(b, b->runtime_fd, b->prog_fd);
	close_ours(b);
	if (b->runtime_fd >= 0)
		close(b->runtime_fd);
	if (b->cg_fd >= 0)
		close(b->cg_fd);
	*b = (struct devbpf){ .cg_fd = -1, .runtime_fd = -1, .map_fd = -1, .array_fd = -1,
			      .prog_fd = -1 };
}

#else /* !HAVE_BPF */

int devbpf_open(struct devbpf *b, pid_t pid, const char *root, char *why, size_t whysize)
{
	(void)pid, (void)root;
	*b = (struct devbpf){ .cg_fd = -1, .runtime_fd = -1, .map_fd = -1, .array_fd = -1,
			      .prog_fd = -1 };
	snprintf(why, whysize, "devmgr was built without libbpf: cgroup v2 device programs "
		 "are not changed");
	return -1;
}

int devbpf_allow(struct devbpf *b, char type, int major, int minor, const char *access,
		 char *why, size_t whysize)
{
	(void)b, (void)type, (void)major, (void)minor, (void)access;
	snprintf(why, whysize, "built without libbpf");
	errno = ENOTSUP;
	return -1;
}

int devbpf_forget(struct devbpf *b, char type, int major, int minor)
{
	(void)b, (void)type, (void)major, (void)minor;
	return 0;
}

void devbpf_close(struct devbpf *b)
{
	(void)b;
}

#endif
