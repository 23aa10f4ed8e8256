/* Every filesystem change under the dev root. All of it goes through a
 * directory fd with *at() calls; no path component is ever followed if it
 * is a symlink, and no name may leave the root ("..", absolute paths). */
#ifndef DEVMGR_DEVNODE_H
#define DEVMGR_DEVNODE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bylinks.h"
#include "enter.h"

#define DEVROOT_DIRCACHE 16
#define DEVROOT_PENDING 64

/* The group a new node gets in a directory: ours, or the directory's own
 * when it is set-group-ID. Knowing it lets a fresh node skip fchownat. */
struct dirinfo {
	int fd;
	gid_t new_gid;
	dev_t fs;		/* its file system: a name on another is a mount point */
};

struct devroot {
	struct dirinfo root;		/* the dev root itself */
	char *path;			/* for messages */
	uid_t euid;
	gid_t egid;
	struct {
		char *dir;		/* relative path, NULL when free */
		struct dirinfo info;
		unsigned long used;
	} cache[DEVROOT_DIRCACHE];
	unsigned long tick;
	/* Directories made here, relative: the daemon removes them again
	 * when the last node in them goes. */
	char **made_dirs;
	size_t nmade;
	/* Removals held back while the daemon handles a batch of events: a
	 * device that goes and comes back within one batch (a storm of
	 * remove+add) keeps its node instead of paying unlink and mknod. */
	bool deferring;
	/* Told how a held-back removal ended (ok: the node is gone, or was
	 * no longer this device's; refused: the file system said no for
	 * now), and of directories made and removed: the
	 * daemon keeps its record of what is in /dev by them. NULL: nobody. */
	void (*removed)(void *arg, const char *name, mode_t type, dev_t rdev, bool ok,
			bool refused);
	void (*dir_changed)(void *arg, const char *dir, bool made);
	void *hook_arg;
	/* Changes that failed because the file system said no for now
	 * (read-only, no space or inodes left, quota): the daemon tries again
	 * later. writes: changes that worked. */
	unsigned long faults, writes;
	bool chown_hinted;		/* CAP_CHOWN's absence was said */
	bool mount_root;		/* nothing can be renamed out of it */
	struct pending_removal {
		char *name;
		mode_t type;
		bool have_rdev;
		dev_t rdev;
	} pending[DEVROOT_PENDING];
	unsigned npending;
	/* Host mode, a container in a user namespace: its /dev takes no
	 * device node (a file system mounted in a user namespace is nodev),
	 * so each is made on BIND_FS, a tmpfs of the host's mounted nowhere,
	 * and bind-mounted onto an empty file at its name. Owners go through
	 * TARGET's id maps. */
	bool bind;
	int bind_fs;
	const struct target *target;
};

int devroot_open(struct devroot *d, const char *path);
void devroot_close(struct devroot *d);

/* NULL when NAME is acceptable under the root, else why not. */
const char *devnode_bad_name(const char *name);

/* The rule names this device itself (its name spelled out, or @maj,min):
 * what the engine put at the name gives way. */
#define DEVNODE_NAMED 1u

/* Creates or fixes a device node; type is S_IFCHR or S_IFBLK. A node that
 * exists with the same type and numbers only gets owner and mode fixed; any
 * other file there (not a directory) is replaced atomically, except what
 * the container engine put there: a mount point, or (unless
 * DEVNODE_NAMED) a symlink that does not lead to this device's node.
 * Missing parent directories are created 0755. 0 made or fixed, 1 left
 * alone (the engine's), -1 after logging why. */
int devnode_make(struct devroot *d, const char *name, mode_t type, mode_t perm,
		 dev_t rdev, uid_t uid, gid_t gid, unsigned flags);
/* NAME as lstat sees it, reached from the root without following a
 * symlink: 1 when it is there (a symlink's target in TARGET), 0 when it is
 * not, -1 when that cannot be told (errno: a symlink or file on the way,
 * a bad name). */
int devnode_lstat(struct devroot *d, const char *name, struct stat *st, char *target,
		  size_t size);
/* Creates LINKNAME -> TARGET unless something exists there already (mdev
 * leaves it alone too). The link's directory must exist. */
int devnode_symlink(struct devroot *d, const char *linkname, const char *target);
/* LINKNAME -> TARGET, made with its directories, replacing a symlink
 * already there atomically (a persistent name follows its device); a
 * node or file there is left alone. 0, or -1 (logged). */
int devnode_link_replace(struct devroot *d, const char *linkname, const char *target);
/* Removes the symlinks in directory DIR that lead to NODE (both relative
 * to the root), except the NKEEP names in KEEP (relative to the root: a
 * device's names that stay when its others change), then the directories
 * devmgr made that emptied. */
void devnode_unlink_links_to(struct devroot *d, const char *dir, const char *node,
			     const char (*keep)[BYLINKS_NAME], int nkeep);
/* Removes NAME if it is a device node of TYPE and, when have_rdev, of that
 * number: another device's node or a user's file is left alone. 0 when
 * done (or nothing to do), 1 when held back (the removed hook tells how
 * it ends), -1 on failure (logged). */
int devnode_remove(struct devroot *d, const char *name, mode_t type, bool have_rdev, dev_t rdev);
/* devnode_remove(), never held back (0 or -1): for an event that goes on
 * after the batch (its commands run), whose failure must be its own. */
int devnode_remove_now(struct devroot *d, const char *name, mode_t type, bool have_rdev,
		       dev_t rdev);
/* Start holding node removals back (devnode_remove returns at once), or
 * carry out what is held back and stop. An add of the same node, same
 * type and numbers, cancels its removal. */
void devnode_defer(struct devroot *d, bool on);
/* Removes LINKNAME if it is a symlink to TARGET. */
int devnode_remove_symlink(struct devroot *d, const char *linkname, const char *target);
/* Removes the directories holding NAME that this devroot created, as
 * long as they are empty, innermost first. */
void devnode_prune(struct devroot *d, const char *name);
/* Creates NAME and its parents as directories (0755). */
int devnode_mkdirs(struct devroot *d, const char *name);
/* Takes DIR as one devmgr made (from the daemon's record of an earlier
 * run): it is removed again when it empties. */
void devnode_adopt_dir(struct devroot *d, const char *dir);
/* True for the errors that say the file system refuses changes for now. */
bool devnode_transient(int err);

#endif
