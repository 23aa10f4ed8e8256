/* The udev database: entry names as systemd's libudev looks them up, the
 * lines it reads, atomic replacement, removal with the tag marks, the
 * refusal to share the directory with a running udevd (and only a running
 * one), and what is planted in it: FIFOs, sockets, symlinks and hard
 * links as entries, tag marks, temporary files or control, none of which
 * is opened, blocks, or leads to a file elsewhere. */
#define _GNU_SOURCE
#include "tap.h"
#include "udevdb.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char top[100];	/* RUN's parent's parent: the test's directory */
static char sub[100];	/* RUN */

static char *slurp(const char *dir, const char *name)
{
	static char buf[4096];
	char path[512];
	char *text;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file(path, &text, &len) < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", text);
	free(text);
	return buf;
}

/* RUN/..., or TOP/... with a leading '^': a few at a time in one call */
static const char *in(const char *fmt, ...)
{
	static char bufs[4][300];
	static unsigned k;
	char *b = bufs[k++ % 4];
	char rel[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (rel[0] == '^')
		snprintf(b, sizeof(bufs[0]), "%s/%s", top, rel + 1);
	else
		snprintf(b, sizeof(bufs[0]), "%s/%s", sub, rel);
	return b;
}

static bool is_type(const char *path, mode_t type)
{
	struct stat st;

	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* A unix socket bound at PATH (short: under /tmp), listening or not */
static int bind_unix(const char *path, int type, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (listening && listen(s, 4) < 0)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

static void ids(void)
{
	char id[128];

	ok(udevdb_id(id, sizeof(id), S_IFCHR, 1, 3, "mem", "/devices/virtual/mem/null", NULL) == 0 &&
	   strcmp(id, "c1:3") == 0, "char device: c1:3 (%s)", id);
	ok(udevdb_id(id, sizeof(id), S_IFBLK, 7, 200, "block", "/devices/virtual/block/loop200", NULL) == 0 &&
	   strcmp(id, "b7:200") == 0, "block device: b7:200 (%s)", id);
	ok(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, "net", "/devices/virtual/net/lo", "1") == 0 &&
	   strcmp(id, "n1") == 0, "network interface: n1 (%s)", id);
	ok(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, "usb", "/devices/pci0000:00/usb1/1-1/1-1:1.0", NULL) == 0 &&
	   strcmp(id, "+usb:1-1:1.0") == 0, "no numbers: +usb:1-1:1.0 (%s)", id);
	ok(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, "net", "/devices/virtual/net/x", NULL) == 0 &&
	   strcmp(id, "+net:x") == 0, "net without IFINDEX: +net:x (%s)", id);
	is_int(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, NULL, "/devices/x", NULL), -1, "no subsystem: none");
	is_int(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, "drivers", "/bus/usb/drivers/x", NULL), -1,
	       "drivers: none (their id needs the driver's subsystem)");
	ok(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, "usb", "/devices/..", NULL) == 0 &&
	   strcmp(id, "+usb:..") == 0, "sysname '..' stays inside data/: +usb:.. (%s)", id);
	is_int(udevdb_id(id, sizeof(id), S_IFCHR, -1, -1, "a/b", "/devices/x", NULL), -1,
	       "a subsystem with '/': none");
	is_int(udevdb_id(id, 4, S_IFCHR, 100, 100, NULL, NULL, NULL), -1, "too long for the buffer: none");
}

/* Entries planted in data/ are not read (nothing of a secret they lead
 * to comes back), and a FIFO does not block the read. */
static void planted_entries(struct udevdb *db, const char *secret)
{
	unsigned long errors = db->errors;
	struct devprops q;
	int s;

	devprops_init(&q);
	ok(mkfifo(in("data/c9:1"), 0644) == 0, "(a FIFO planted at data/c9:1)");
	is_int(udevdb_read(db, "c9:1", &q), -1, "a FIFO as an entry: refused, without blocking");
	ok(symlink(secret, in("data/c9:2")) == 0, "(a symlink to a secret at data/c9:2)");
	is_int(udevdb_read(db, "c9:2", &q), -1, "a symlink as an entry: refused");
	ok(link(secret, in("data/c9:3")) == 0, "(a hard link to the secret at data/c9:3)");
	is_int(udevdb_read(db, "c9:3", &q), -1, "a hard link as an entry: refused");
	s = bind_unix(in("data/c9:4"), SOCK_STREAM, true);
	ok(s >= 0, "(a listening socket at data/c9:4)");
	is_int(udevdb_read(db, "c9:4", &q), -1, "a socket as an entry: refused");
	if (s >= 0)
		close(s);
	is_int(db->errors - errors, 4, "each refusal counted as an error");
	if (geteuid() == 0) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chown 65534 '%s'", secret,
			 in("data/c9:5"), in("data/c9:5"));
		ok(system(cmd) == 0, "(a copy of it, of uid 65534, at data/c9:5)");
		is_int(udevdb_read(db, "c9:5", &q), -1, "another uid's entry: refused");
	} else {
		ok(1, "(a copy of uid 65534) # SKIP not root: cannot chown");
		ok(1, "another uid's entry: refused # SKIP not root");
	}
	ok(devprops_get(&q, "SECRET") == NULL && q.nlink == 0 && q.ntag == 0 && q.usec == 0,
	   "nothing of the secret was read");
	for (int i = 1; i <= 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c9:%d", i);
		udevdb_remove(db, id, &q, NULL);
	}
	ok(access(in("data/c9:1"), F_OK) < 0 && access(in("data/c9:2"), F_OK) < 0 &&
	   access(in("data/c9:4"), F_OK) < 0, "removing the entries unlinks what was planted");
	is_str(slurp(top, "secret"), "E:SECRET=hunter2\nS:secret\nG:secret\n", "the secret is intact");
}

/* Whatever is at the temporary name of an entry is neither opened nor
 * written through: the entry is a new file. */
static void planted_temp(struct udevdb *db)
{
	struct stat before, after, entry;
	struct devprops q;
	long pid = (long)getpid();

	devprops_init(&q);
	q.usec = 42;
	ok(stat(in("^outside"), &before) == 0 && link(in("^outside"), in("data/.#c9:6.%ld", pid)) == 0,
	   "(a hard link to a file outside at the temporary name of c9:6)");
	is_int(udevdb_write(db, "c9:6", &q, NULL), 0, "... the entry is written");
	is_str(slurp(top, "outside"), "precious\n", "... the outside file keeps its content");
	ok(stat(in("^outside"), &after) == 0 && after.st_ino == before.st_ino && after.st_nlink == 1,
	   "... and the planted link is gone");
	ok(stat(in("data/c9:6"), &entry) == 0 && entry.st_ino != after.st_ino,
	   "... the entry is a new file");
	is_str(slurp(sub, "data/c9:6"), "I:42\nV:1\n", "... with the entry's lines");
	ok(symlink(in("^nowhere"), in("data/.#c9:7.%ld", pid)) == 0,
	   "(a symlink at the temporary name of c9:7)");
	is_int(udevdb_write(db, "c9:7", &q, NULL), 0, "... the entry is written");
	ok(access(in("^nowhere"), F_OK) < 0 && is_type(in("data/c9:7"), S_IFREG),
	   "... nothing made where it points");
	ok(mkfifo(in("data/.#c9:8.%ld", pid), 0644) == 0, "(a FIFO at the temporary name of c9:8)");
	is_int(udevdb_write(db, "c9:8", &q, NULL), 0, "... the entry is written, without blocking");
	ok(access(in("data/.#c9:8.%ld", pid), F_OK) < 0 && is_type(in("data/c9:8"), S_IFREG),
	   "... the FIFO is gone, the entry a regular file");
	ok(mkdir(in("data/.#c9:9.%ld", pid), 0755) == 0, "(a directory at the temporary name of c9:9)");
	is_int(udevdb_write(db, "c9:9", &q, NULL), -1, "... the entry cannot be written: -1");
	ok(access(in("data/c9:9"), F_OK) < 0, "... and is not");
	rmdir(in("data/.#c9:9.%ld", pid));
}

/* Tag marks planted as FIFOs or symlinks are left alone (said), never
 * opened; a tag directory planted as a symlink is not followed. */
static void planted_marks(struct udevdb *db)
{
	unsigned long errors = db->errors;
	struct devprops q;

	devprops_init(&q);
	devprops_tag(&q, "seat");
	ok(mkfifo(in("tags/seat/c9:10"), 0644) == 0, "(a FIFO as the seat mark of c9:10)");
	is_int(udevdb_write(db, "c9:10", &q, NULL), 0, "... the entry is written, without blocking");
	ok(is_type(in("tags/seat/c9:10"), S_IFIFO), "... the FIFO left alone");
	is_int(db->errors - errors, 1, "... refused, counted");
	ok(symlink(in("^nowhere"), in("tags/seat/c9:11")) == 0, "(a symlink as the seat mark of c9:11)");
	is_int(udevdb_write(db, "c9:11", &q, NULL), 0, "... the entry is written");
	ok(access(in("^nowhere"), F_OK) < 0, "... nothing made where it points");
	udevdb_remove(db, "c9:10", &q, NULL);
	udevdb_remove(db, "c9:11", &q, NULL);
	ok(access(in("tags/seat/c9:10"), F_OK) < 0 && !is_type(in("tags/seat/c9:11"), S_IFLNK),
	   "removing the entries unlinks the planted marks");
	ok(mkdir(in("^elsedir"), 0755) == 0 && symlink(in("^elsedir"), in("tags/video")) == 0,
	   "(tags/video planted as a symlink to a directory)");
	devprops_tag(&q, "video");
	is_int(udevdb_write(db, "c9:12", &q, NULL), 0, "... the entry is written");
	ok(access(in("^elsedir/c9:12"), F_OK) < 0, "... the symlink is not followed");
	udevdb_remove(db, "c9:12", &q, NULL);
	unlink(in("tags/video"));
}

/* What is at control before devmgr starts: only a listening SOCK_SEQPACKET
 * socket of root's (or its own uid's) makes it leave the database to a
 * udevd; the rest is replaced. A FIFO does not block it. */
static void control_cases(void)
{
	const char *control = in("control");
	struct udevdb db;
	int s;

	s = bind_unix(control, SOCK_SEQPACKET, false);
	ok(s >= 0, "(a socket bound at control, nobody listening)");
	ok(!udevdb_udevd_runs(sub), "... no udevd runs");
	is_int(udevdb_open(&db, sub), 0, "... the database is opened");
	ok(is_type(control, S_IFREG), "... control is devmgr's file now");
	udevdb_close(&db);
	close(s);
	s = bind_unix(control, SOCK_STREAM, true);
	ok(s >= 0 && !udevdb_udevd_runs(sub), "a listening SOCK_STREAM socket: not udevd's");
	close(s);
	s = bind_unix(control, SOCK_SEQPACKET, true);
	ok(s >= 0 && udevdb_udevd_runs(sub), "a listening SOCK_SEQPACKET socket: a udevd runs");
	db.udevd = false;
	is_int(udevdb_open(&db, sub), -1, "... the database is refused");
	ok(db.udevd && is_type(control, S_IFSOCK), "... for that reason; its socket left alone");
	if (geteuid() == 0) {
		ok(chown(control, 65534, 65534) == 0, "(the socket given to uid 65534)");
		ok(!udevdb_udevd_runs(sub), "... another uid's socket: not a udevd's");
	} else {
		ok(1, "(the socket given to uid 65534) # SKIP not root: cannot chown");
		ok(1, "... another uid's socket: not a udevd's # SKIP not root");
	}
	close(s);
	ok(!udevdb_udevd_runs(sub), "its listener gone: no udevd");
	unlink(control);
	ok(mkfifo(control, 0644) == 0, "(a FIFO at control)");
	is_int(udevdb_open(&db, sub), 0, "... the database is opened, without blocking");
	ok(is_type(control, S_IFREG), "... control is devmgr's file now");
	udevdb_close(&db);
	unlink(control);
	ok(symlink(in("^nowhere"), control) == 0, "(a symlink at control)");
	is_int(udevdb_open(&db, sub), 0, "... the database is opened");
	ok(access(in("^nowhere"), F_OK) < 0 && is_type(control, S_IFREG),
	   "... nothing made where it pointed; control is devmgr's file");
	s = bind_unix(control, SOCK_SEQPACKET, true);
	udevdb_release(&db);
	ok(is_type(control, S_IFSOCK), "release leaves a socket found at control (a udevd started?)");
	udevdb_close(&db);
	close(s);
	unlink(control);
}

/* Database directories others can write are refused. */
static void open_dirs(void)
{
	struct udevdb db;

	chmod(in("data"), 0777);
	is_int(udevdb_open(&db, sub), -1, "data/ writable by all: refused");
	chmod(in("data"), 0755);
	chmod(sub, 0775);
	is_int(udevdb_open(&db, sub), -1, "RUN writable by its group: refused");
	chmod(sub, 0755);
	is_int(udevdb_open(&db, sub), 0, "0755 again: opened");
	udevdb_close(&db);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ok(f && fputs(text, f) >= 0 && fclose(f) == 0, "(%s written by hand)", name);
}

/* The daemon's database reads back what it wrote (or read) from memory
 * while the file at the entry's name is still the one that held it:
 * shown by changing its bytes in place and putting its modification
 * time back, which only another writer could do. Any other file there,
 * or the file changed, is read from disk again. A removal forgets. */
static void same_size_in_place(const char *data, const char *name, const char *text)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", data, name);
	ok(stat(path, &st) == 0, "(%s: its times)", name);
	put_file(data, name, text);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	ok(utimensat(AT_FDCWD, path, ts, 0) == 0, "(its modification time put back)");
}

static void cached(struct udevdb *db, const char *data)
{
	struct devprops q;
	char path[300];

	db->caching = true;
	devprops_init(&q);
	q.usec = 99;
	is_int(udevdb_write(db, "c10:1", &q, NULL), 0, "caching: write");
	same_size_in_place(data, "c10:1", "I:55\nV:1\n");
	devprops_init(&q);
	ok(udevdb_read(db, "c10:1", &q) == 0 && q.usec == 99, "read back from memory");
	put_file(data, "c10:1", "I:5\nV:1\n");
	devprops_init(&q);
	ok(udevdb_read(db, "c10:1", &q) == 0 && q.usec == 5, "changed on disk: read from disk");
	udevdb_remove(db, "c10:1", &q, NULL);
	devprops_init(&q);
	ok(udevdb_read(db, "c10:1", &q) == -1 && errno == ENOENT, "removed: forgotten, gone");

	put_file(data, "c10:2", "I:42\nE:A=b\nV:1\n");
	devprops_init(&q);
	ok(udevdb_read(db, "c10:2", &q) == 0 && q.usec == 42, "an entry not written first: from disk");
	same_size_in_place(data, "c10:2", "I:43\nE:A=c\nV:1\n");
	devprops_init(&q);
	ok(udevdb_read(db, "c10:2", &q) == 0 && q.usec == 42 &&
	   strcmp(devprops_get(&q, "A") ? devprops_get(&q, "A") : "", "b") == 0,
	   "read again: what the first read found");
	/* another file at the name (a rename over it): a FIFO is refused */
	snprintf(path, sizeof(path), "%s/c10:2", data);
	ok(unlink(path) == 0 && mkfifo(path, 0644) == 0, "(a FIFO planted at c10:2)");
	devprops_init(&q);
	ok(udevdb_read(db, "c10:2", &q) == -1 && errno != ENOENT && q.usec == 0,
	   "a FIFO planted over a known entry: refused, nothing from memory");
	unlink(path);
	db->caching = false;
	entrycache_free(&db->cache);
}

static bool exists(const char *dir, const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* A coldplug into an empty database: entries go straight into a hidden
 * directory (no temporary file, no rename each), readable there by
 * devmgr itself, and data shows all of them at once at the end. Not when
 * data holds entries; what a killed coldplug left is cleared; what is
 * written to data meanwhile is kept, ours joining it. */
static void filled(void)
{
	char run[200], data[220], fill[220], tmp[64];
	struct udevdb db;
	struct devprops p, q;

	snprintf(run, sizeof(run), "%s/fill", top);
	snprintf(data, sizeof(data), "%s/data", run);
	snprintf(fill, sizeof(fill), "%s/.data.coldplug", run);
	devprops_init(&p);
	p.usec = 42;
	is_int(udevdb_open(&db, run), 0, "fill: opened");
	ok(udevdb_fill_begin(&db), "fill: an empty database is filled whole");
	is_int(udevdb_write(&db, "c1:3", &p, NULL), 0, "fill: write");
	snprintf(tmp, sizeof(tmp), ".#c1:3.%ld", (long)getpid());
	ok(!exists(data, "c1:3") && exists(fill, "c1:3") && !exists(fill, tmp),
	   "fill: the entry is in the hidden directory only, written without a temporary");
	devprops_init(&q);
	ok(udevdb_read(&db, "c1:3", &q) == 0 && q.usec == 42, "fill: read back meanwhile");
	is_int(udevdb_write(&db, "c1:3", &p, NULL), 0, "fill: written twice (replaced)");
	udevdb_fill_end(&db);
	ok(exists(data, "c1:3") && !exists(run, ".data.coldplug"), "fill: in data at the end");
	is_int(udevdb_write(&db, "c1:5", &p, NULL), 0, "fill: a write after, into data");
	ok(exists(data, "c1:5"), "fill: the descriptor follows the renamed directory");
	ok(!udevdb_fill_begin(&db), "fill: not when data holds entries");
	udevdb_close(&db);

	/* a killed coldplug's directory, and entries written meanwhile */
	unlink(in("^fill/data/c1:3"));
	unlink(in("^fill/data/c1:5"));
	mkdir(fill, 0755);
	put_file(fill, "c9:9", "I:1\nV:1\n");
	is_int(udevdb_open(&db, run), 0, "fill: opened again");
	ok(udevdb_fill_begin(&db) && !exists(fill, "c9:9"), "fill: a leftover directory emptied");
	struct udevdb other;
	ok(udevdb_open(&other, run) == 0 && !udevdb_fill_begin(&other),
	   "fill: one coldplug at a time (the other writes into data)");
	udevdb_close(&other);
	is_int(udevdb_write(&db, "c1:7", &p, NULL), 0, "fill: write");
	is_int(udevdb_write(&db, "c1:8", &p, NULL), 0, "fill: write another");
	put_file(data, "c1:8", "I:2\nV:1\n");
	udevdb_fill_end(&db);
	ok(exists(data, "c1:7") && exists(data, "c1:8") && !exists(run, ".data.coldplug"),
	   "fill: data written meanwhile keeps its entry and gains ours");
	is_str(slurp(data, "c1:8"), "I:2\nV:1\n", "fill: ... the newer of an entry written twice");
	is_int(udevdb_write(&db, "c1:9", &p, NULL), 0, "fill: write after");
	ok(exists(data, "c1:9"), "fill: into data");
	udevdb_close(&db);

	/* a symlink planted at the hidden name is not followed */
	unlink(in("^fill/data/c1:7"));
	unlink(in("^fill/data/c1:8"));
	unlink(in("^fill/data/c1:9"));
	mkdir(in("^elsewhere-fill"), 0755);
	ok(symlink(in("^elsewhere-fill"), fill) == 0, "(.data.coldplug planted as a symlink)");
	is_int(udevdb_open(&db, run), 0, "fill: opened");
	ok(!udevdb_fill_begin(&db), "fill: refused through a symlink");
	is_int(udevdb_write(&db, "c1:3", &p, NULL), 0, "fill: written the usual way");
	ok(exists(data, "c1:3") && !exists(in("^elsewhere-fill"), "c1:3"), "fill: into data only");
	udevdb_close(&db);
}

int main(void)
{
	char run[] = "/tmp/devmgr-udevdb.XXXXXX", data[200];
	struct udevdb db;
	struct devprops p, q;
	struct stat st;

	/* something planted that blocked devmgr would hang the test: fail */
	alarm(30);
	ids();
	if (mkdtemp(run) == NULL)
		return 1;
	snprintf(top, sizeof(top), "%s", run);
	snprintf(sub, sizeof(sub), "%s/run/udev", run);
	snprintf(data, sizeof(data), "%s/data", sub);
	is_int(udevdb_open(&db, sub), 0, "open creates RUN and its parents");
	ok(stat(data, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755, "data/ 0755");
	snprintf(data, sizeof(data), "%s/control", sub);
	ok(stat(data, &st) == 0 && S_ISREG(st.st_mode), "control exists");
	snprintf(data, sizeof(data), "%s/data", sub);

	devprops_init(&p);
	p.usec = 123456;
	devprops_set(&p, "ID_VENDOR_ID", "0403");
	devprops_set(&p, "ID_SERIAL", "FTDI_FT232R_A9XYZ");
	devprops_set(&p, "ID_VENDOR_ID", "0404");	/* replaces */
	devprops_link(&p, "serial/by-id/x");
	devprops_link(&p, "serial/by-id/x");		/* once */
	devprops_tag(&p, "seat");
	devprops_tag(&p, "uaccess");
	is_int(udevdb_write(&db, "c188:0", &p, NULL), 0, "write");
	is_str(slurp(data, "c188:0"),
	       "S:serial/by-id/x\nI:123456\nE:ID_VENDOR_ID=0404\nE:ID_SERIAL=FTDI_FT232R_A9XYZ\n"
	       "G:seat\nG:uaccess\nQ:seat\nQ:uaccess\nV:1\n", "the lines systemd's libudev reads");
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/tags/seat/c188:0");
	ok(stat(sub, &st) == 0 && S_ISREG(st.st_mode), "tags/seat/c188:0 marked");
	*strstr(sub, "/tags/") = '\0';

	devprops_init(&q);
	is_int(udevdb_read(&db, "c188:0", &q), 0, "read back");
	ok(q.usec == 123456, "I: read");
	is_str(devprops_get(&q, "ID_SERIAL"), "FTDI_FT232R_A9XYZ", "E: read");
	ok(q.nlink == 1 && strcmp(q.link[0], "serial/by-id/x") == 0, "S: read");
	ok(q.ntag == 2 && strcmp(q.tag[1], "uaccess") == 0, "G: read");
	devprops_init(&q);
	is_int(udevdb_read(&db, "c9:9", &q), -1, "no entry: -1");

	/* replaced whole: a reader never sees a mix */
	devprops_init(&q);
	q.usec = 7;
	is_int(udevdb_write(&db, "c188:0", &q, NULL), 0, "rewrite");
	is_str(slurp(data, "c188:0"), "I:7\nV:1\n", "rewritten entry has only the new lines");
	char tmpname[64];
	snprintf(tmpname, sizeof(tmpname), ".#c188:0.%ld", (long)getpid());
	ok(slurp(data, tmpname) == NULL, "no temporary file left");

	udevdb_remove(&db, "c188:0", &p, NULL);
	ok(slurp(data, "c188:0") == NULL, "removed");
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/tags/seat/c188:0");
	ok(stat(sub, &st) < 0 && errno == ENOENT, "tag mark removed");
	*strstr(sub, "/tags/") = '\0';
	udevdb_remove(&db, "c188:0", &p, NULL);
	is_int(db.errors, 0, "removing twice is no error");
	cached(&db, data);

	FILE *f = fopen(in("^secret"), "w");
	ok(f && fputs("E:SECRET=hunter2\nS:secret\nG:secret\n", f) >= 0 && fclose(f) == 0 &&
	   chmod(in("^secret"), 0600) == 0, "(a root-only secret outside the database)");
	f = fopen(in("^outside"), "w");
	ok(f && fputs("precious\n", f) >= 0 && fclose(f) == 0, "(a file outside the database)");
	char secret[200];
	snprintf(secret, sizeof(secret), "%s", in("^secret"));
	planted_entries(&db, secret);
	planted_temp(&db);
	planted_marks(&db);
	udevdb_close(&db);
	control_cases();
	open_dirs();
	filled();

	/* a symlink planted as RUN is not followed */
	char planted[200], target[200];
	snprintf(planted, sizeof(planted), "%s/planted", run);
	snprintf(target, sizeof(target), "%s/elsewhere", run);
	mkdir(target, 0755);
	ok(symlink(target, planted) == 0, "(RUN planted as a symlink)");
	is_int(udevdb_open(&db, planted), -1, "a symlink as RUN: refused");
	snprintf(target + strlen(target), sizeof(target) - strlen(target), "/control");
	ok(access(target, F_OK) < 0, "nothing created where it points");

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run);
	if (system(cmd) != 0)
		return 1;
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
