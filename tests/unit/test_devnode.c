/* The safe node layer, on a scratch directory (needs root for mknod). */
#define _GNU_SOURCE
#include "tap.h"
#include "devnode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char top[64], dev[96], outside[96];

static int lst(const char *rel, struct stat *st)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dev, rel);
	return lstat(p, st);
}

static void test_names(void)
{
	ok(devnode_bad_name("ttyS0") == NULL, "plain name");
	ok(devnode_bad_name("bus/usb/001/002") == NULL, "nested name");
	ok(devnode_bad_name("") != NULL, "empty refused");
	ok(devnode_bad_name("/etc/passwd") != NULL, "absolute refused");
	ok(devnode_bad_name("../etc/x") != NULL, "leading .. refused");
	ok(devnode_bad_name("a/../../x") != NULL, "inner .. refused");
	ok(devnode_bad_name("a/..") != NULL, "trailing .. refused");
	ok(devnode_bad_name("dir/") != NULL, "trailing slash refused");
	ok(devnode_bad_name("a\nb") != NULL, "newline refused");
	ok(devnode_bad_name("..foo") == NULL, "..foo is an ordinary name");
}

static void test_make(struct devroot *d)
{
	struct stat st;

	is_int(devnode_make(d, "null", S_IFCHR, 0666, makedev(1, 3), 0, 0, 0), 0, "mknod null");
	ok(lst("null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
	   (st.st_mode & 07777) == 0666, "null is c 1:3 0666");
	is_int(devnode_make(d, "input/event0", S_IFCHR, 0640, makedev(13, 64), 0, 6, 0), 0,
	       "nested node with parent creation");
	ok(lst("input", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
	   "parent directory is 0755");
	ok(lst("input/event0", &st) == 0 && st.st_gid == 6 && (st.st_mode & 07777) == 0640,
	   "owner and mode");
	/* Same node, new owner and mode: fixed in place. */
	ino_t ino = st.st_ino;
	is_int(devnode_make(d, "input/event0", S_IFCHR, 0600, makedev(13, 64), 5, 7, 0), 0, "fix existing");
	ok(lst("input/event0", &st) == 0 && st.st_ino == ino && st.st_uid == 5 && st.st_gid == 7 &&
	   (st.st_mode & 07777) == 0600, "same inode, owner and mode fixed");
	/* Wrong numbers: replaced. */
	is_int(devnode_make(d, "input/event0", S_IFCHR, 0600, makedev(13, 65), 0, 0, 0), 0, "replace wrong node");
	ok(lst("input/event0", &st) == 0 && st.st_rdev == makedev(13, 65), "numbers now right");
	/* Wrong type: replaced. */
	is_int(devnode_make(d, "input/event0", S_IFBLK, 0600, makedev(13, 65), 0, 0, 0), 0, "replace wrong type");
	ok(lst("input/event0", &st) == 0 && S_ISBLK(st.st_mode), "now a block node");
	/* A directory in the way is an error, not a deletion. */
	mkdirat(d->root.fd, "adir", 0755);
	ok(devnode_make(d, "adir", S_IFCHR, 0600, makedev(1, 1), 0, 0, 0) < 0, "directory in the way refused");
	ok(lst("adir", &st) == 0 && S_ISDIR(st.st_mode), "directory kept");
	ok(devnode_make(d, "../escape", S_IFCHR, 0600, makedev(1, 1), 0, 0, 0) < 0, ".. refused");
	ok(devnode_make(d, "/tmp/escape", S_IFCHR, 0600, makedev(1, 1), 0, 0, 0) < 0, "absolute refused");
}

static void test_planted(struct devroot *d)
{
	char p[256];
	struct stat st;

	/* An attacker's symlinks inside /dev, pointing outside. */
	snprintf(p, sizeof(p), "%s/evil", dev);
	symlink(outside, p);
	ok(devnode_make(d, "evil/node", S_IFCHR, 0600, makedev(1, 3), 0, 0, 0) < 0,
	   "symlinked directory is not followed");
	snprintf(p, sizeof(p), "%s/node", outside);
	ok(lstat(p, &st) < 0 && errno == ENOENT, "nothing created outside");
	snprintf(p, sizeof(p), "%s/victim", outside);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/target", dev);
	char victim[256];
	snprintf(victim, sizeof(victim), "%s/victim", outside);
	symlink(victim, p);
	/* Not devmgr's: an engine's link (LXC's tty1 -> lxc/tty1) is kept
	 * unless the rule names the device itself. */
	is_int(devnode_make(d, "target", S_IFCHR, 0666, makedev(1, 3), 1234, 1234, 0), 1,
	       "a symlink devmgr did not make is left alone for a pattern's rule");
	ok(lst("target", &st) == 0 && S_ISLNK(st.st_mode), "the link is still there");
	ok(lstat(victim, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 &&
	   st.st_uid == 0, "its target was not chmod'ed or chown'ed");
	is_int(devnode_make(d, "target", S_IFCHR, 0666, makedev(1, 3), 1234, 1234, DEVNODE_NAMED),
	       0, "a rule naming the device replaces the symlink");
	ok(lstat(victim, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 &&
	   st.st_uid == 0, "its target was still not chmod'ed or chown'ed");
	ok(lst("target", &st) == 0 && S_ISCHR(st.st_mode), "the name is now the node");
	/* Removal must not act through a symlinked directory either. */
	snprintf(p, sizeof(p), "%s/dummy", outside);
	mknod(p, S_IFCHR | 0600, makedev(1, 3));
	devnode_remove(d, "evil/dummy", S_IFCHR, true, makedev(1, 3));
	ok(lstat(p, &st) == 0, "remove through a symlinked directory refused");
}

static void test_remove(struct devroot *d)
{
	struct stat st;

	devnode_make(d, "loop/0", S_IFBLK, 0660, makedev(7, 0), 0, 6, 0);
	is_int(devnode_symlink(d, "loop0", "loop/0"), 0, "symlink");
	char buf[64];
	ssize_t n = readlinkat(d->root.fd, "loop0", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "loop/0", "symlink target");
	is_int(devnode_symlink(d, "loop0", "elsewhere"), 0, "existing link left alone");
	is_int(devnode_remove_symlink(d, "loop0", "other"), 0, "link to another target...");
	ok(lst("loop0", &st) == 0, "...is kept");
	devnode_remove_symlink(d, "loop0", "loop/0");
	ok(lst("loop0", &st) < 0, "our link removed");
	devnode_remove(d, "loop/0", S_IFBLK, true, makedev(7, 1));
	ok(lst("loop/0", &st) == 0, "another device's node is kept");
	devnode_remove(d, "loop/0", S_IFCHR, false, 0);
	ok(lst("loop/0", &st) == 0, "a node of the other type is kept");
	devnode_remove(d, "loop/0", S_IFBLK, true, makedev(7, 0));
	ok(lst("loop/0", &st) < 0, "our node removed");
	is_int(devnode_remove(d, "loop/0", S_IFBLK, true, makedev(7, 0)), 0, "removing twice is fine");
}

static void test_stale_cache(struct devroot *d)
{
	struct stat st;
	char p[512];

	devnode_make(d, "snd/a", S_IFCHR, 0600, makedev(116, 1), 0, 0, 0);
	snprintf(p, sizeof(p), "%s/snd/a", dev);
	unlink(p);
	snprintf(p, sizeof(p), "%s/snd", dev);
	rmdir(p);
	is_int(devnode_make(d, "snd/b", S_IFCHR, 0600, makedev(116, 2), 0, 0, 0), 0,
	       "directory removed behind our back is recreated");
	ok(lst("snd/b", &st) == 0, "node in the new directory");
	/* Replaced behind our back (rm -rf; mkdir; mknod): the cached fd
	 * names the old directory, removal must still find the node. */
	snprintf(p, sizeof(p), "rm -rf %s/snd && mkdir %s/snd && mknod %s/snd/b c 116 2", dev, dev, dev);
	ok(system(p) == 0, "snd replaced by hand");
	is_int(devnode_remove(d, "snd/b", S_IFCHR, true, makedev(116, 2)), 0, "remove after replacement");
	ok(lst("snd/b", &st) < 0, "the node in the new directory is gone");
}

int main(void)
{
	struct devroot d;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for mknod\n");
		return 0;
	}
	snprintf(top, sizeof(top), "/tmp/devmgr-devnode-%d", (int)getpid());
	snprintf(dev, sizeof(dev), "%s/dev", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	mkdir(top, 0700);
	mkdir(dev, 0755);
	mkdir(outside, 0755);
	umask(0);
	test_names();
	if (devroot_open(&d, dev) == 0) {
		test_make(&d);
		test_planted(&d);
		test_remove(&d);
		test_stale_cache(&d);
		devroot_close(&d);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return done_testing();
}
