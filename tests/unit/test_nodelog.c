/* The daemon's record of its nodes on disk: file names (distinct for
 * distinct dev roots), the header written at open, the exact lines
 * nodedb's changes append, reading them back and the rewrite that follows
 * (escapes, a line cut short, nonsense, a foreign header, odd dev roots),
 * the lock that keeps a second daemon out, compaction, and a record that
 * cannot be kept or rewritten. */
#define _GNU_SOURCE
#include "tap.h"
#include "fileio.h"
#include "nodedb.h"
#include "nodelog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char top[] = "/tmp/devmgr-nodelog.XXXXXX";
static char state[64];

#define TEXT_MAX 4096

/* Each case its own dev root, hence its own file in the one state dir. */
static void dev_root(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "%s/%s", top, tag);
}

static void record_path(char *buf, size_t size, const char *devroot)
{
	char name[PATH_MAX];

	nodelog_name(name, sizeof(name), devroot);
	snprintf(buf, size, "%s/%s", state, name);
}

/* The header line, the dev root escaped as \\ \t \n. */
static void header(char *buf, size_t size, const char *devroot)
{
	size_t n = (size_t)snprintf(buf, size, "devmgr-nodes 1\t");

	for (const char *c = devroot; *c && n + 3 < size; c++) {
		if (*c == '\\' || *c == '\t' || *c == '\n') {
			buf[n++] = '\\';
			buf[n++] = *c == '\t' ? 't' : *c == '\n' ? 'n' : '\\';
		} else {
			buf[n++] = *c;
		}
	}
	snprintf(buf + n, size - n, "\n");
}

/* Tabs and newlines shown as escapes, so a diff stays on one TAP line. */
static void show(const char *label, const char *s, size_t n)
{
	printf("#   %s '", label);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			printf("\\n");
		else if (s[i] == '\t')
			printf("\\t");
		else if (s[i] == '\\')
			printf("\\\\");
		else
			putchar(s[i]);
	}
	printf("'\n");
}

static char *slurp(const char *path, size_t *len)
{
	char *text = NULL;

	*len = 0;
	if (read_file(path, &text, len) < 0)
		return NULL;
	return text;
}

__attribute__((format(printf, 3, 4)))
static void is_file(const char *path, const char *want, const char *fmt, ...)
{
	char what[256];
	size_t len;
	char *text = slurp(path, &len);
	bool same = text && len == strlen(want) && memcmp(text, want, len) == 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok(same, "%s", what);
	if (!same) {
		show("got ", text ? text : "(unreadable)", text ? len : 12);
		show("want", want, strlen(want));
	}
	free(text);
}

static void write_record(const char *devroot, const char *text)
{
	char path[2 * PATH_MAX];

	record_path(path, sizeof(path), devroot);
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static ino_t inode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

struct adopted {
	char *v[8];
	size_t n;
};

static void adopt(void *arg, const char *dir)
{
	struct adopted *a = arg;

	if (a->n < 8)
		a->v[a->n] = xstrdup(dir);
	a->n++;
}

static void adopted_free(struct adopted *a)
{
	for (size_t i = 0; i < a->n && i < 8; i++)
		free(a->v[i]);
	a->n = 0;
}

/* Exactly the directories in WANT, in any order (WANT has no repeats). */
static bool adopted_is(const struct adopted *a, const char *const *want, size_t nwant)
{
	bool same = a->n == nwant;

	for (size_t i = 0; same && i < nwant; i++) {
		bool found = false;
		for (size_t j = 0; j < a->n; j++)
			found |= strcmp(a->v[j], want[i]) == 0;
		same = found;
	}
	if (!same)
		for (size_t j = 0; j < a->n && j < 8; j++)
			show("adopted", a->v[j], strlen(a->v[j]));
	return same;
}

static bool entry_is(struct nodedb *db, mode_t type, unsigned ma, unsigned mi, const char *node,
		     const char *link)
{
	struct nodedb_entry *e = nodedb_get(db, type, makedev(ma, mi));

	return e && e->type == type && e->rdev == makedev(ma, mi) && strcmp(e->node, node) == 0 &&
	       (link ? e->link && strcmp(e->link, link) == 0 : e->link == NULL);
}

/* PATH holds the header for DEVROOT, then exactly the lines D (in any
 * order), then exactly the lines P (in any order: '+' lines come in
 * hash-table order, 'd' lines in the order directories were made). Each
 * line is given with its newline. */
static bool record_is(const char *path, const char *devroot, const char *const *d, size_t nd,
		      const char *const *p, size_t np)
{
	char want[TEXT_MAX];
	bool used[16] = { false };
	size_t len;
	char *text = slurp(path, &len);

	header(want, sizeof(want), devroot);
	size_t pos = strlen(want);
	bool same = text && nd + np <= 16 && len >= pos && memcmp(text, want, pos) == 0;
	for (size_t k = 0; same && k < nd + np; k++) {
		const char *const *group = k < nd ? d : p;
		size_t base = k < nd ? 0 : nd, n = k < nd ? nd : np;
		char *nl = memchr(text + pos, '\n', len - pos);
		if (nl == NULL) {
			same = false;
			break;
		}
		size_t ll = (size_t)(nl + 1 - (text + pos));
		bool found = false;
		for (size_t i = 0; !found && i < n; i++)
			if (!used[base + i] && strlen(group[i]) == ll &&
			    memcmp(group[i], text + pos, ll) == 0)
				found = used[base + i] = true;
		same = found;
		pos += ll;
	}
	same = same && pos == len;
	if (!same) {
		show("got ", text ? text : "(unreadable)", text ? len : 12);
		show("head", want, strlen(want));
		for (size_t i = 0; i < nd; i++)
			show("dir ", d[i], strlen(d[i]));
		for (size_t i = 0; i < np; i++)
			show("node", p[i], strlen(p[i]));
	}
	free(text);
	return same;
}

/* What the code under test logs on stderr between the two calls. */
static char capfile[64];

static int capture_begin(void)
{
	int saved = dup(STDERR_FILENO);
	int fd = open(capfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	fflush(stderr);
	if (saved < 0 || fd < 0) {
		printf("Bail out! cannot capture stderr: %s\n", strerror(errno));
		exit(1);
	}
	dup2(fd, STDERR_FILENO);
	close(fd);
	return saved;
}

static char *capture_end(int saved)
{
	size_t len;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char *text = slurp(capfile, &len);
	if (text == NULL)
		text = xstrdup("");
	printf("# logged: %s", *text ? text : "(nothing)\n");
	return text;
}

static void test_names(void)
{
	char buf[64];
	struct {
		const char *root, *name, *what;
	} cases[] = {
		{ "/dev", "dev.nodes", "/dev: dev.nodes" },
		{ "/", "-.nodes", "/: -.nodes" },
		{ "/tmp/a/dev/", "tmp-a-dev.nodes", "/tmp/a/dev/: tmp-a-dev.nodes (no trailing '-')" },
		{ "/a-b", "a\\x2db.nodes", "/a-b: '-' escaped as \\x2d" },
		{ "/a/b", "a-b.nodes", "/a/b: '/' as '-'" },
		{ "/a\\b", "a\\x5cb.nodes", "backslash escaped as \\x5c" },
		{ "/t\tn\n", "t\\x09n\\x0a.nodes", "tab and newline escaped as \\x09 \\x0a" },
		{ "/\xc3\xa9\x7f", "\\xc3\\xa9\\x7f.nodes", "bytes >= 0x7f escaped" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nodelog_name(buf, sizeof(buf), cases[i].root);
		is_str(buf, cases[i].name, "%s", cases[i].what);
	}
}

#define LOOP0 "+\tc\t7\t0\tloop0\tdisk/loop0\n"
#define SDA1 "+\tb\t8\t1\tsda1\n"

/* A first start, its changes, and a restart reading them. */
static void test_record(void)
{
	char root[128], path[2 * PATH_MAX], text[TEXT_MAX];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };
	struct stat st;
	const char *lines = LOOP0 SDA1 "+\tc\t4\t64\tttyS0\n"
			    "-\tc\t4\t64\n"
			    "d\tdisk\n"
			    "d\tbus/usb\n"
			    "D\tbus/usb\n"
			    "d\tinput\n";

	dev_root(root, sizeof(root), "dev");
	record_path(path, sizeof(path), root);
	nodedb_init(&db);
	is_int(nodelog_open(&l, state, root, &db, adopt, &a), 0, "open with no state dir yet");
	ok(stat(state, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
	   "state dir made, 0755");
	ok(l.fd >= 0, "record kept (fd %d)", l.fd);
	is_str(l.path, path, "the record is <state>/<nodelog_name>");
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
	   "record file made, 0644");
	ok(db.used == 0 && a.n == 0, "nothing loaded, nothing adopted");
	header(text, sizeof(text), root);
	is_file(path, text, "a fresh record has its header at once");
	is_int(l.lines, 0, "the header counts as no change");

	db.log = &l;
	nodedb_put(&db, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	nodedb_put(&db, S_IFBLK, makedev(8, 1), "sda1", NULL);
	nodedb_put(&db, S_IFCHR, makedev(4, 64), "ttyS0", NULL);
	nodedb_del(&db, S_IFCHR, makedev(4, 64));
	nodelog_dir(&l, "disk", true);
	nodelog_dir(&l, "bus/usb", true);
	nodelog_dir(&l, "bus/usb", false);
	nodelog_dir(&l, "input", true);
	strcat(text, lines);
	is_file(path, text, "the header, then a line per change, nothing else");
	is_int(l.lines, 8, "8 lines counted");
	nodedb_put(&db, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	nodedb_del(&db, S_IFCHR, makedev(4, 64));
	is_file(path, text, "an identical put, a delete of nothing: no line");
	is_int(l.lines, 8, "and none counted");
	db.log = NULL;
	nodelog_close(&l);
	nodedb_free(&db);

	ino_t before = inode(path);
	nodedb_init(&db);
	is_int(nodelog_open(&l, state, root, &db, adopt, &a), 0, "reopened");
	is_int(db.used, 2, "two nodes back");
	ok(entry_is(&db, S_IFCHR, 7, 0, "loop0", "disk/loop0"), "char 7:0 loop0 -> disk/loop0");
	ok(entry_is(&db, S_IFBLK, 8, 1, "sda1", NULL), "block 8:1 sda1, no link");
	ok(nodedb_get(&db, S_IFCHR, makedev(4, 64)) == NULL, "deleted ttyS0 stays gone");
	ok(adopted_is(&a, (const char *[]){ "disk", "input" }, 2),
	   "adopted: disk and input, not bus/usb (removed again)");
	ok(record_is(path, root, (const char *[]){ "d\tdisk\n", "d\tinput\n" }, 2,
		     (const char *[]){ LOOP0, SDA1 }, 2),
	   "reopening compacted the file: header, 'd' lines, '+' lines; no '-' or 'D' line");
	ok(inode(path) != before && before != 0, "as a new file under the name");
	ok(fstat(l.fd, &st) == 0 && st.st_ino == inode(path), "which the record writes to");
	is_int(l.lines, 0, "nothing counted since");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
}

/* Names are whatever the rules made: every byte but NUL must come back. */
static void test_escapes(void)
{
	char root[128], path[2 * PATH_MAX], text[TEXT_MAX];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };
	const char *node = "a\tb\\c\nd", *link = "x\\\ty\n", *dir = "we\tird\\\n";
	const char *plus = "+\tc\t10\t1\ta\\tb\\\\c\\nd\tx\\\\\\ty\\n\n", *dline = "d\twe\\tird\\\\\\n\n";

	dev_root(root, sizeof(root), "dev5");
	record_path(path, sizeof(path), root);
	header(text, sizeof(text), root);
	nodedb_init(&db);
	if (nodelog_open(&l, state, root, &db, adopt, &a) < 0)
		printf("# open failed\n");
	db.log = &l;
	nodedb_put(&db, S_IFCHR, makedev(10, 1), node, link);
	nodelog_dir(&l, dir, true);
	strcat(text, plus);
	strcat(text, dline);
	is_file(path, text, "tab, backslash, newline written as \\t \\\\ \\n");
	db.log = NULL;
	nodelog_close(&l);
	nodedb_free(&db);

	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	is_int(db.used, 1, "escaped entry loaded");
	ok(entry_is(&db, S_IFCHR, 10, 1, node, link), "node and link read back as they were");
	ok(adopted_is(&a, &dir, 1), "directory read back as it was");
	ok(record_is(path, root, &dline, 1, &plus, 1), "and rewritten with the same escapes");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
}

/* What a kill mid-write and a damaged file leave. */
static void test_damage(void)
{
	char root[128], path[2 * PATH_MAX], text[TEXT_MAX];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };

	dev_root(root, sizeof(root), "dev6");
	record_path(path, sizeof(path), root);
	header(text, sizeof(text), root);
	strcat(text, "+\tc\t1\t3\tnull\n"
		     "+\tc\t1\t4\tzero\n"
		     "bogus\n"
		     "+\tx\t1\t2\tbadtype\n"
		     "+\tc\t1\t\tnominor\n"
		     "+\tc\t1\t5x\tbadminor\n"
		     "+\tc\t1\t5\tstray\\backslash\n"
		     "+\tc\t1\t6\tends\\\n"
		     "+\tc\t1\t9\n"
		     "+\tc\t1\t11\t\n"
		     "++\tc\t1\t10\tplus\n"
		     "d\t\n"
		     "dd\tnope\n"
		     "+\tc\t1\t8\tfull\n"
		     "d\tgood\n"
		     "-\tc\t1\t4");
	write_record(root, text);
	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	is_int(db.used, 3, "only the three sensible nodes loaded");
	ok(entry_is(&db, S_IFCHR, 1, 3, "null", NULL), "line before the nonsense loaded");
	ok(entry_is(&db, S_IFCHR, 1, 8, "full", NULL), "line after the nonsense loaded");
	ok(entry_is(&db, S_IFCHR, 1, 4, "zero", NULL), "a '-' cut short (no newline) is ignored");
	ok(adopted_is(&a, (const char *[]){ "good" }, 1), "only the sensible directory adopted");
	ok(record_is(path, root, (const char *[]){ "d\tgood\n" }, 1,
		     (const char *[]){ "+\tc\t1\t3\tnull\n", "+\tc\t1\t4\tzero\n",
				       "+\tc\t1\t8\tfull\n" }, 3),
	   "rewritten with only what was loaded: nonsense and the cut line gone");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);

	/* A kill mid-line, then a daemon that appends: its line must not
	 * be glued to the cut one. */
	dev_root(root, sizeof(root), "dev6b");
	record_path(path, sizeof(path), root);
	header(text, sizeof(text), root);
	strcat(text, "+\tc\t1\t3\tnull\n"
		     "+\tc\t1\t7\tcut");
	write_record(root, text);
	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	ok(db.used == 1 && nodedb_get(&db, S_IFCHR, makedev(1, 7)) == NULL,
	   "a '+' cut short (no newline) is ignored");
	ok(record_is(path, root, NULL, 0, (const char *[]){ "+\tc\t1\t3\tnull\n" }, 1),
	   "and dropped from the file at open");
	db.log = &l;
	nodedb_put(&db, S_IFCHR, makedev(1, 8), "after", NULL);
	nodelog_dir(&l, "later", true);
	db.log = NULL;
	nodelog_close(&l);
	nodedb_free(&db);
	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	is_int(db.used, 2, "a put after that open loads on the next one");
	ok(entry_is(&db, S_IFCHR, 1, 3, "null", NULL) &&
	   entry_is(&db, S_IFCHR, 1, 8, "after", NULL) &&
	   nodedb_get(&db, S_IFCHR, makedev(1, 7)) == NULL,
	   "null and after back, cut not");
	ok(adopted_is(&a, (const char *[]){ "later" }, 1), "the directory made after it too");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);

	/* Lines with more fields than their kind has. */
	dev_root(root, sizeof(root), "dev6c");
	header(text, sizeof(text), root);
	strcat(text, "+\tc\t1\t3\tnull\n"
		     "+\tc\t1\t4\tzero\n"
		     "+\tc\t1\t5\tfive\n"
		     "-\tc\t1\t3\textra\n"
		     "-\tc\t1\t4\t\t\n"
		     "-\tc\t1\t5\n"
		     "+\tc\t1\t12\ta\tb\tc\n"
		     "d\tx\ty\n");
	write_record(root, text);
	nodedb_init(&db);
	int saved = capture_begin();
	nodelog_open(&l, state, root, &db, adopt, &a);
	char *said = capture_end(saved);
	ok(entry_is(&db, S_IFCHR, 1, 3, "null", NULL), "a '-' with a fifth field is not applied");
	ok(entry_is(&db, S_IFCHR, 1, 4, "zero", NULL),
	   "a '-' with two more (empty) fields is not applied");
	ok(nodedb_get(&db, S_IFCHR, makedev(1, 5)) == NULL, "a proper '-' beside them is");
	ok(nodedb_get(&db, S_IFCHR, makedev(1, 12)) == NULL, "a '+' with 7 fields is rejected");
	is_int(db.used, 2, "2 nodes in all");
	is_int(a.n, 0, "a 'd' with 3 fields is rejected too");
	ok(strstr(said, "4 of 8 lines made no sense") != NULL, "the 4 lines said skipped");
	free(said);
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
}

/* Headers that are not this dev root's, against one that is. */
static void test_headers(void)
{
	char root[128], path[2 * PATH_MAX], text[TEXT_MAX];
	const char *body = "+\tc\t1\t3\tnull\n"
			   "d\tpts\n";
	struct {
		const char *fmt, *what;
	} hs[] = {
		{ "devmgr-nodes 1\t%s\n", "own header: loaded" },
		{ "devmgr-nodes 1\t/other\n", "another dev root: not used" },
		{ "devmgr-nodes 1\t%sx\n", "a longer dev root: not used" },
		{ "devmgr-nodes 1\t%.*s\n", "a shorter dev root (a prefix): not used" },
		{ "devmgr-nodes 1\t%.*sX\n", "a dev root of the same length: not used" },
		{ "devmgr-nodes 2\t%s\n", "another format version: not used" },
		{ "", "no header: not used" },
	};

	dev_root(root, sizeof(root), "dev7");
	record_path(path, sizeof(path), root);
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		struct nodelog l;
		struct nodedb db;
		struct adopted a = { 0 };

		if (strstr(hs[i].fmt, "%.*s"))
			snprintf(text, sizeof(text), hs[i].fmt, (int)strlen(root) - 1, root);
		else
			snprintf(text, sizeof(text), hs[i].fmt, root);
		strcat(text, body);
		write_record(root, text);
		nodedb_init(&db);
		nodelog_open(&l, state, root, &db, adopt, &a);
		if (i == 0) {
			ok(db.used == 1 && a.n == 1, "%s", hs[i].what);
			ok(record_is(path, root, (const char *[]){ "d\tpts\n" }, 1,
				     (const char *[]){ "+\tc\t1\t3\tnull\n" }, 1),
			   "and rewritten as it was");
		} else {
			ok(db.used == 0 && a.n == 0, "%s", hs[i].what);
			ok(record_is(path, root, NULL, 0, NULL, 0),
			   "and replaced by this root's empty record");
		}
		nodelog_close(&l);
		nodedb_free(&db);
		adopted_free(&a);
	}
}

/* flock belongs to the open file description, so a second open in this
 * process stands in for a second daemon. */
static void test_lock(void)
{
	char root[128], text[TEXT_MAX];
	struct nodelog l1, l2;
	struct nodedb db1, db2;

	dev_root(root, sizeof(root), "dev8");
	header(text, sizeof(text), root);
	strcat(text, "+\tc\t1\t3\tnull\n");
	write_record(root, text);
	nodedb_init(&db1);
	nodedb_init(&db2);
	ok(nodelog_open(&l1, state, root, &db1, NULL, NULL) == 0 && l1.fd >= 0,
	   "first open holds it");
	is_int(nodelog_open(&l2, state, root, &db2, NULL, NULL), -1, "a second open is refused");
	ok(l2.fd == -1 && db2.used == 0, "and keeps nothing, loads nothing");
	nodelog_close(&l2);
	nodelog_close(&l1);
	ok(nodelog_open(&l2, state, root, &db2, NULL, NULL) == 0 && l2.fd >= 0,
	   "after the first closed, open works");
	is_int(db2.used, 1, "and loads the record");
	nodelog_close(&l2);
	nodedb_free(&db1);
	nodedb_free(&db2);
}

/* /a-b and /a/b once shared a file: the second daemon was refused as if
 * it managed the same root, and each start read the other's record as
 * foreign. */
static void test_collision(void)
{
	char r1[128], r2[128], p1[2 * PATH_MAX], p2[2 * PATH_MAX];
	struct nodelog l1, l2;
	struct nodedb db1, db2;

	dev_root(r1, sizeof(r1), "a-b");
	dev_root(r2, sizeof(r2), "a/b");
	record_path(p1, sizeof(p1), r1);
	record_path(p2, sizeof(p2), r2);
	ok(strcmp(p1, p2) != 0, "/a-b and /a/b: different files");
	nodedb_init(&db1);
	nodedb_init(&db2);
	ok(nodelog_open(&l1, state, r1, &db1, NULL, NULL) == 0 && l1.fd >= 0, "/a-b open");
	ok(nodelog_open(&l2, state, r2, &db2, NULL, NULL) == 0 && l2.fd >= 0,
	   "/a/b open at the same time");
	db1.log = &l1;
	db2.log = &l2;
	nodedb_put(&db1, S_IFCHR, makedev(1, 3), "one", NULL);
	nodedb_put(&db2, S_IFCHR, makedev(1, 4), "two", NULL);
	db1.log = db2.log = NULL;
	nodelog_close(&l1);
	nodelog_close(&l2);
	nodedb_free(&db1);
	nodedb_free(&db2);

	nodedb_init(&db1);
	nodedb_init(&db2);
	nodelog_open(&l1, state, r1, &db1, NULL, NULL);
	nodelog_open(&l2, state, r2, &db2, NULL, NULL);
	ok(db1.used == 1 && entry_is(&db1, S_IFCHR, 1, 3, "one", NULL), "/a-b reads back its own");
	ok(db2.used == 1 && entry_is(&db2, S_IFCHR, 1, 4, "two", NULL), "/a/b reads back its own");
	nodelog_close(&l1);
	nodelog_close(&l2);
	nodedb_free(&db1);
	nodedb_free(&db2);
}

/* A dev root with a tab, newline or backslash in it: the header must
 * escape it, or the record is foreign to its own daemon. */
static void test_odd_roots(void)
{
	struct {
		const char *tag, *escaped;
	} roots[] = {
		{ "t\tab", "t\\tab" },
		{ "new\nline", "new\\nline" },
		{ "back\\slash", "back\\\\slash" },
		{ "all\t\n\\", "all\\t\\n\\\\" },
	};

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char root[128], path[2 * PATH_MAX], want[TEXT_MAX];
		struct nodelog l;
		struct nodedb db;

		dev_root(root, sizeof(root), roots[i].tag);
		record_path(path, sizeof(path), root);
		snprintf(want, sizeof(want), "devmgr-nodes 1\t%s/%s\n", top, roots[i].escaped);
		nodedb_init(&db);
		ok(nodelog_open(&l, state, root, &db, NULL, NULL) == 0 && l.fd >= 0,
		   "root '%s': open", roots[i].escaped);
		is_file(path, want, "root '%s': header escaped", roots[i].escaped);
		db.log = &l;
		nodedb_put(&db, S_IFCHR, makedev(1, 3), "null", NULL);
		db.log = NULL;
		nodelog_close(&l);
		nodedb_free(&db);

		nodedb_init(&db);
		nodelog_open(&l, state, root, &db, NULL, NULL);
		ok(db.used == 1 && entry_is(&db, S_IFCHR, 1, 3, "null", NULL),
		   "root '%s': reopened, the entry is back", roots[i].escaped);
		nodelog_close(&l);
		nodedb_free(&db);
	}
}

/* The rewrite must drop history yet keep the lock across the rename. */
static void test_compact(void)
{
	char root[128], path[2 * PATH_MAX], tmp[2 * PATH_MAX + 8];
	char text[TEXT_MAX];
	char disk[] = "disk", *dirs[] = { disk };
	struct nodelog l, l2;
	struct nodedb db, db2;
	struct adopted a = { 0 };
	struct stat st;
	size_t len;

	dev_root(root, sizeof(root), "dev9");
	record_path(path, sizeof(path), root);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	db.log = &l;
	nodedb_put(&db, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	nodedb_put(&db, S_IFBLK, makedev(8, 1), "sda1", NULL);
	nodedb_put(&db, S_IFCHR, makedev(4, 64), "ttyS0", NULL);
	nodedb_del(&db, S_IFCHR, makedev(4, 64));
	nodelog_dir(&l, "disk", true);
	nodelog_dir(&l, "bus/usb", true);
	nodelog_dir(&l, "bus/usb", false);
	ino_t before = inode(path);
	char *grown = slurp(path, &len);

	is_int(nodelog_compact(&l, &db, dirs, 1, false), 0, "few lines, not forced: 0");
	ok(inode(path) == before && before != 0, "and not rewritten (same inode)");
	is_file(path, grown ? grown : "", "and the same bytes");
	is_int(l.lines, 7, "lines still counted");

	/* A directory where the new file goes: the rewrite cannot be made. */
	if (mkdir(tmp, 0755) < 0)
		printf("# mkdir %s: %s\n", tmp, strerror(errno));
	int saved = capture_begin();
	int rc = nodelog_compact(&l, &db, dirs, 1, true);
	char *said = capture_end(saved);
	is_int(rc, -1, "forced, but the new file cannot be made: -1");
	ok(strstr(said, "cannot rewrite") != NULL, "said");
	free(said);
	ok(inode(path) == before, "the file stays");
	is_file(path, grown ? grown : "", "as it was");
	ok(fstat(l.fd, &st) == 0 && st.st_ino == before, "and the record goes on writing to it");
	if (rmdir(tmp) < 0)
		printf("# rmdir %s: %s\n", tmp, strerror(errno));
	free(grown);

	/* As a daemon killed mid-compaction leaves it. */
	FILE *f = fopen(tmp, "w");
	if (f)
		fclose(f);
	is_int(nodelog_compact(&l, &db, dirs, 1, true), 0, "forced, over a stale .new: 0");
	ok(inode(path) != before, "a new file took the name");
	ok(record_is(path, root, (const char *[]){ "d\tdisk\n" }, 1,
		     (const char *[]){ LOOP0, SDA1 }, 2),
	   "rewritten: header, 'd' lines, '+' lines, nothing else");
	char *got = slurp(path, &len);
	snprintf(text, sizeof(text), "%s+\tc\t4\t65\tttyS1\n", got ? got : "(unreadable)");
	free(got);
	is_int(l.lines, 0, "line count reset");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "new file 0644");
	ok(access(tmp, F_OK) < 0 && errno == ENOENT, "no .new left behind");
	ok(fstat(l.fd, &st) == 0 && st.st_ino == inode(path),
	   "the record now writes to the new file");

	nodedb_init(&db2);
	is_int(nodelog_open(&l2, state, root, &db2, NULL, NULL), -1, "the new file is locked too");
	nodelog_close(&l2);
	nodedb_free(&db2);

	nodedb_put(&db, S_IFCHR, makedev(4, 65), "ttyS1", NULL);
	is_file(path, text, "a change after compaction is appended to the new file");
	is_int(l.lines, 1, "and counted");
	db.log = NULL;
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);

	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	is_int(db.used, 3, "reopened: the three nodes");
	ok(entry_is(&db, S_IFCHR, 7, 0, "loop0", "disk/loop0") &&
	   entry_is(&db, S_IFBLK, 8, 1, "sda1", NULL) &&
	   entry_is(&db, S_IFCHR, 4, 65, "ttyS1", NULL), "with their names and links");
	ok(adopted_is(&a, (const char *[]){ "disk" }, 1), "and the one directory");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
}

/* The rewrite at open fails: what was read is still used, but no record
 * is kept rather than one that may be glued to a cut line. */
static void test_open_rewrite_fails(void)
{
	char root[128], path[2 * PATH_MAX], tmp[2 * PATH_MAX + 8], text[TEXT_MAX];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };
	struct stat st;

	dev_root(root, sizeof(root), "dev11");
	record_path(path, sizeof(path), root);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	header(text, sizeof(text), root);
	strcat(text, "+\tc\t1\t3\tnull\n"
		     "d\tpts\n"
		     "+\tc\t1\t7\tcut");
	write_record(root, text);
	if (mkdir(tmp, 0755) < 0)
		printf("# mkdir %s: %s\n", tmp, strerror(errno));
	nodedb_init(&db);
	int saved = capture_begin();
	int rc = nodelog_open(&l, state, root, &db, adopt, &a);
	char *said = capture_end(saved);
	is_int(rc, 0, "open whose rewrite fails: 0");
	ok(l.fd >= 0 && l.broken, "no record kept, but the file stays open, locked");
	struct nodelog l2;
	struct nodedb db2;
	nodedb_init(&db2);
	int saved2 = capture_begin();
	is_int(nodelog_open(&l2, state, root, &db2, NULL, NULL), -1,
	       "... so a second daemon on the root is still refused");
	free(capture_end(saved2));
	nodedb_free(&db2);
	ok(strstr(said, "cannot rewrite") != NULL && strstr(said, "no record of the nodes") != NULL,
	   "said so");
	free(said);
	ok(db.used == 1 && entry_is(&db, S_IFCHR, 1, 3, "null", NULL) &&
	   adopted_is(&a, (const char *[]){ "pts" }, 1), "what was read is loaded all the same");
	db.log = &l;
	nodedb_put(&db, S_IFCHR, makedev(1, 8), "after", NULL);
	nodelog_dir(&l, "later", true);
	db.log = NULL;
	is_file(path, text, "the file untouched, later changes not appended");
	ok(stat(tmp, &st) == 0 && S_ISDIR(st.st_mode), "the obstacle left alone");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
	if (rmdir(tmp) < 0)
		printf("# rmdir %s: %s\n", tmp, strerror(errno));
}

/* The daemon runs on without a record. */
static void test_no_state(void)
{
	char root[128], file[PATH_MAX + 8], dir[PATH_MAX + 16];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };

	dev_root(root, sizeof(root), "dev10");
	snprintf(file, sizeof(file), "%s/file", top);
	snprintf(dir, sizeof(dir), "%s/state", file);
	FILE *f = fopen(file, "w");
	if (f)
		fclose(f);
	nodedb_init(&db);
	is_int(nodelog_open(&l, dir, root, &db, adopt, &a), 0, "state dir under a regular file: 0");
	is_int(l.fd, -1, "no record kept");
	db.log = &l;
	nodedb_put(&db, S_IFCHR, makedev(1, 3), "null", NULL);
	nodelog_dir(&l, "x", true);
	is_int(nodelog_compact(&l, &db, NULL, 0, true), 0, "compacting no record: 0, nothing to do");
	ok(l.lines == 0 && !l.broken, "changes with no record: nothing counted, nothing broken");
	db.log = NULL;
	nodelog_close(&l);
	is_int(nodelog_open(&l, file, root, &db, adopt, &a), 0, "state dir is a regular file: 0");
	is_int(l.fd, -1, "no record kept");
	nodelog_close(&l);
	is_int(db.used + a.n, 1, "nothing loaded (only the node put above)");
	nodedb_free(&db);
	adopted_free(&a);
}

int main(void)
{
	char cmd[128];

	umask(022);
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(state, sizeof(state), "%s/state", top);
	snprintf(capfile, sizeof(capfile), "%s/stderr", top);
	test_names();
	test_record();
	test_escapes();
	test_damage();
	test_headers();
	test_lock();
	test_collision();
	test_odd_roots();
	test_compact();
	test_open_rewrite_fails();
	test_no_state();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return done_testing();
}
