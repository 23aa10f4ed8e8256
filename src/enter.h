/* Host mode: a container as the host sees it, and entering it. Its init
 * is held by a pidfd (a pid could be reused; a pidfd cannot), its root by
 * an fd opened through /proc while the pidfd proved the process alive,
 * and its id maps are read from /proc/PID/{uid,gid}_map. */
#ifndef DEVMGR_ENTER_H
#define DEVMGR_ENTER_H

#include <stdbool.h>
#include <sys/types.h>

#define IDMAP_MAX 340	/* the kernel's limit on lines in a map */

struct idmap {
	struct { unsigned long inner, outer, count; } r[IDMAP_MAX];
	unsigned n;
};

struct target {
	int pidfd;
	pid_t pid;		/* in our pid namespace */
	int root_fd;		/* its /, O_PATH */
	bool userns;		/* not in our user namespace */
	struct idmap uids, gids;
};

/* The pid a pidfd refers to (its fdinfo), or -1. */
pid_t pidfd_pid(int pidfd);
/* Who made the user namespace that owns PIDFD's process's namespace NS
 * ("user": the one it is in; "mnt", "net"...), by NS_GET_OWNER_UID: root
 * for the host's own, into *UID. -1 when it cannot be told. */
int pidfd_ns_owner(int pidfd, const char *ns, uid_t *uid);
/* Takes PIDFD (kept) and fills T. -1 after logging why. */
int target_open(struct target *t, int pidfd);
void target_close(struct target *t);
/* ID (the container's) as the host's, through MAP; -1 when unmapped. */
long idmap_to_host(const struct idmap *map, unsigned long id);
/* Parses a uid_map/gid_map text. -1 when malformed. */
int idmap_parse(struct idmap *map, const char *text);
/* A tmpfs of our own (the host's user namespace), mounted nowhere: what
 * a user-namespaced container's device nodes are made on. -1 (logged). */
int detached_tmpfs(void);
/* The calling process enters T's mount and network namespaces and its
 * root. -1 after logging why. */
int target_enter(const struct target *t);
/* Files made from now on belong to T's root (a user-namespaced
 * container's file systems take no others), or to the host's root again
 * (HOST: what CAP_CHOWN, CAP_FOWNER and CAP_MKNOD need back). */
void target_fs_ids(const struct target *t, bool host);

#endif
