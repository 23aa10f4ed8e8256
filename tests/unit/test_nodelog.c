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
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The daemon's way of changing its record: table and file together. */
static void rput(struct nodedb *db, struct nodelog *l, mode_t type, dev_t rdev, const char *node,
		 const char *link)
{
	struct record r = { *db, l };

	record_put(&r, type, rdev, node, link);
	*db = r.db;
}

static void rdel(struct nodedb *db, struct nodelog *l, mode_t type, dev_t rdev)
{
	struct record r = { *db, l };

	record_del(&r, type, rdev);
	*db = r.db;
}

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

/* When the records the tests write began. */
#define SINCE "1000.000000005"

/* A record's beginning as its header spells it. */
static const char *since_of(const struct nodelog *l)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%lld.%09ld", (long long)l->since.tv_sec, l->since.tv_nsec);
	return buf;
}

/* The header line: the record's beginning, the dev root escaped as \\ \t
 * \n. */
static void header(char *buf, size_t size, const char *devroot, const char *since)
{
	size_t n = (size_t)snprintf(buf, size, "devmgr-nodes 2\t%s\t", since);

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
static bool record_is(const char *path, const char *devroot, const char *since,
		      const char *const *d, size_t nd, const char *const *p, size_t np)
{
	char want[TEXT_MAX];
	bool used[16] = { false };
	size_t len;
	char *text = slurp(path, &len);

	header(want, sizeof(want), devroot, since);
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
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
	   "record file made, 0600: nobody else can even open it, so nobody else can lock it");
	ok(db.used == 0 && a.n == 0, "nothing loaded, nothing adopted");
	char since[64];
	snprintf(since, sizeof(since), "%s", since_of(&l));
	header(text, sizeof(text), root, since);
	is_file(path, text, "a fresh record has its header at once, with when it began");
	is_int(l.lines, 0, "the header counts as no change");

	rput(&db, &l, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	rput(&db, &l, S_IFBLK, makedev(8, 1), "sda1", NULL);
	rput(&db, &l, S_IFCHR, makedev(4, 64), "ttyS0", NULL);
	rdel(&db, &l, S_IFCHR, makedev(4, 64));
	nodelog_dir(&l, "disk", true);
	nodelog_dir(&l, "bus/usb", true);
	nodelog_dir(&l, "bus/usb", false);
	nodelog_dir(&l, "input", true);
	strcat(text, lines);
	is_file(path, text, "the header, then a line per change, nothing else");
	is_int(l.lines, 8, "8 lines counted");
	rput(&db, &l, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	rdel(&db, &l, S_IFCHR, makedev(4, 64));
	is_file(path, text, "an identical put, a delete of nothing: no line");
	is_int(l.lines, 8, "and none counted");
	nodelog_close(&l);
	nodedb_free(&db);

	ino_t before = inode(path);
	nodedb_init(&db);
	is_int(nodelog_open(&l, state, root, &db, adopt, &a), 0, "reopened");
	is_int(db.used, 2, "two nodes back");
	ok(entry_is(&db, S_IFCHR, 7, 0, "loop0", "disk/loop0"), "char 7:0 loop0 -> disk/loop0");
	ok(entry_is(&db, S_IFBLK, 8, 1, "sda1", NULL), "block 8:1 sda1, no link");
	ok(nodedb_get(&db, S_IFCHR, makedev(4, 64)) == NULL, "deleted ttyS0 stays gone");
	ok(nodedb_get(&db, S_IFCHR, makedev(7, 0))->recorded &&
	   nodedb_get(&db, S_IFBLK, makedev(8, 1))->recorded,
	   "both marked as an earlier daemon's: checked against /dev before acted on");
	ok(adopted_is(&a, (const char *[]){ "disk", "input" }, 2),
	   "adopted: disk and input, not bus/usb (removed again)");
	is_str(since_of(&l), since, "the record still began when it began");
	ok(record_is(path, root, since, (const char *[]){ "d\tdisk\n", "d\tinput\n" }, 2,
		     (const char *[]){ LOOP0, SDA1 }, 2),
	   "reopening compacted the file: header, 'd' lines, '+' lines; no '-' or 'D' line");
	ok(inode(path) != before && before != 0, "as a new file under the name");
	ok(fstat(l.fd, &st) == 0 && st.st_ino == inode(path), "which the record writes to");
	is_int(l.lines, 0, "nothing counted since");
	nodedb_put(&db, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	nodedb_put(&db, S_IFBLK, makedev(8, 1), "sdb1", NULL);
	ok(!nodedb_get(&db, S_IFCHR, makedev(7, 0))->recorded &&
	   !nodedb_get(&db, S_IFBLK, makedev(8, 1))->recorded,
	   "found again (the same put) or made anew: no longer only the record's word");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
}

/* Names are whatever the rules made: every byte but NUL and newline
 * (which no node name has: devnode_bad_name) must come back. */
static void test_escapes(void)
{
	char root[128], path[2 * PATH_MAX], text[TEXT_MAX], since[64];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };
	const char *node = "a\tb\\c", *link = "x\\\ty", *dir = "we\tird\\";
	const char *plus = "+\tc\t10\t1\ta\\tb\\\\c\tx\\\\\\ty\n", *dline = "d\twe\\tird\\\\\n";

	dev_root(root, sizeof(root), "dev5");
	record_path(path, sizeof(path), root);
	nodedb_init(&db);
	if (nodelog_open(&l, state, root, &db, adopt, &a) < 0)
		printf("# open failed\n");
	snprintf(since, sizeof(since), "%s", since_of(&l));
	header(text, sizeof(text), root, since);
	rput(&db, &l, S_IFCHR, makedev(10, 1), node, link);
	nodelog_dir(&l, dir, true);
	strcat(text, plus);
	strcat(text, dline);
	is_file(path, text, "tab and backslash written as \\t \\\\");
	nodelog_close(&l);
	nodedb_free(&db);

	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	is_int(db.used, 1, "escaped entry loaded");
	ok(entry_is(&db, S_IFCHR, 10, 1, node, link), "node and link read back as they were");
	ok(adopted_is(&a, &dir, 1), "directory read back as it was");
	ok(record_is(path, root, since, &dline, 1, &plus, 1), "and rewritten with the same escapes");
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
	header(text, sizeof(text), root, SINCE);
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
	ok(record_is(path, root, SINCE, (const char *[]){ "d\tgood\n" }, 1,
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
	header(text, sizeof(text), root, SINCE);
	strcat(text, "+\tc\t1\t3\tnull\n"
		     "+\tc\t1\t7\tcut");
	write_record(root, text);
	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, adopt, &a);
	ok(db.used == 1 && nodedb_get(&db, S_IFCHR, makedev(1, 7)) == NULL,
	   "a '+' cut short (no newline) is ignored");
	ok(record_is(path, root, SINCE, NULL, 0, (const char *[]){ "+\tc\t1\t3\tnull\n" }, 1),
	   "and dropped from the file at open");
	rput(&db, &l, S_IFCHR, makedev(1, 8), "after", NULL);
	nodelog_dir(&l, "later", true);
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
	header(text, sizeof(text), root, SINCE);
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
		{ "devmgr-nodes 2\t" SINCE "\t%s\n", "own header: loaded" },
		{ "devmgr-nodes 2\t" SINCE "\t/other\n", "another dev root: not used" },
		{ "devmgr-nodes 2\t" SINCE "\t%sx\n", "a longer dev root: not used" },
		{ "devmgr-nodes 2\t" SINCE "\t%.*s\n", "a shorter dev root (a prefix): not used" },
		{ "devmgr-nodes 2\t" SINCE "\t%.*sX\n", "a dev root of the same length: not used" },
		{ "devmgr-nodes 1\t%s\n", "format 1 (no time): not used" },
		{ "devmgr-nodes 3\t" SINCE "\t%s\n", "another format version: not used" },
		{ "devmgr-nodes 2\t%s\n", "no time: not used" },
		{ "devmgr-nodes 2\t1000.5\t%s\n", "nanoseconds not 9 digits: not used" },
		{ "devmgr-nodes 2\t-1.000000000\t%s\n", "a negative time: not used" },
		{ "devmgr-nodes 2\t1000.000000005x\t%s\n", "junk after the time: not used" },
		{ "devmgr-nodes 2\t99999999999999999999.000000000\t%s\n",
		  "a time out of range: not used" },
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
			ok(record_is(path, root, SINCE, (const char *[]){ "d\tpts\n" }, 1,
				     (const char *[]){ "+\tc\t1\t3\tnull\n" }, 1),
			   "and rewritten as it was");
		} else {
			ok(db.used == 0 && a.n == 0, "%s", hs[i].what);
			ok(strcmp(since_of(&l), SINCE) != 0, "... nor its time");
			ok(record_is(path, root, since_of(&l), NULL, 0, NULL, 0),
			   "and replaced by this root's empty record, begun now");
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
	header(text, sizeof(text), root, SINCE);
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
	rput(&db1, &l1, S_IFCHR, makedev(1, 3), "one", NULL);
	rput(&db2, &l2, S_IFCHR, makedev(1, 4), "two", NULL);
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
		nodedb_init(&db);
		ok(nodelog_open(&l, state, root, &db, NULL, NULL) == 0 && l.fd >= 0,
		   "root '%s': open", roots[i].escaped);
		snprintf(want, sizeof(want), "devmgr-nodes 2\t%s\t%s/%s\n", since_of(&l), top,
			 roots[i].escaped);
		is_file(path, want, "root '%s': header escaped", roots[i].escaped);
		rput(&db, &l, S_IFCHR, makedev(1, 3), "null", NULL);
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
	rput(&db, &l, S_IFCHR, makedev(7, 0), "loop0", "disk/loop0");
	rput(&db, &l, S_IFBLK, makedev(8, 1), "sda1", NULL);
	rput(&db, &l, S_IFCHR, makedev(4, 64), "ttyS0", NULL);
	rdel(&db, &l, S_IFCHR, makedev(4, 64));
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
	ok(record_is(path, root, since_of(&l), (const char *[]){ "d\tdisk\n" }, 1,
		     (const char *[]){ LOOP0, SDA1 }, 2),
	   "rewritten: header (the same time), 'd' lines, '+' lines, nothing else");
	char *got = slurp(path, &len);
	snprintf(text, sizeof(text), "%s+\tc\t4\t65\tttyS1\n", got ? got : "(unreadable)");
	free(got);
	is_int(l.lines, 0, "line count reset");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "new file 0600");
	ok(access(tmp, F_OK) < 0 && errno == ENOENT, "no .new left behind");
	ok(fstat(l.fd, &st) == 0 && st.st_ino == inode(path),
	   "the record now writes to the new file");

	nodedb_init(&db2);
	is_int(nodelog_open(&l2, state, root, &db2, NULL, NULL), -1, "the new file is locked too");
	nodelog_close(&l2);
	nodedb_free(&db2);

	rput(&db, &l, S_IFCHR, makedev(4, 65), "ttyS1", NULL);
	is_file(path, text, "a change after compaction is appended to the new file");
	is_int(l.lines, 1, "and counted");
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
	header(text, sizeof(text), root, SINCE);
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
	rput(&db, &l, S_IFCHR, makedev(1, 8), "after", NULL);
	nodelog_dir(&l, "later", true);
	is_file(path, text, "the file untouched, later changes not appended");
	ok(stat(tmp, &st) == 0 && S_ISDIR(st.st_mode), "the obstacle left alone");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
	if (rmdir(tmp) < 0)
		printf("# rmdir %s: %s\n", tmp, strerror(errno));
}

/* ---- a record nobody but devmgr can have written -------------------------- */

#define GOOD_BODY "+\tc\t1\t3\tnull\n" \
		  "d\tpts\n"

/* A state directory DIR (0755) holding a good record for ROOT, and its
 * file's path in FILE. */
static void good_record(const char *dir, const char *root, char *file, size_t size)
{
	char name[PATH_MAX], text[TEXT_MAX];

	nodelog_name(name, sizeof(name), root);
	snprintf(file, size, "%s/%s", dir, name);
	header(text, sizeof(text), root, SINCE);
	strcat(text, GOOD_BODY);
	FILE *f = NULL;
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || chmod(dir, 0755) < 0 ||
	    (f = fopen(file, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0 ||
	    chmod(file, 0600) < 0) {
		printf("Bail out! cannot write %s: %s\n", file, strerror(errno));
		exit(1);
	}
}

static void setup(bool done, const char *what)
{
	if (!done) {
		printf("Bail out! %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static void skip_test(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
}

/* Opens the record of ROOT in DIR, which is not to be trusted: nothing
 * loaded, MSG said. Whether a record was kept (a fresh one). */
static bool refused(const char *dir, const char *root, const char *what, const char *msg)
{
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };

	nodedb_init(&db);
	int saved = capture_begin();
	int rc = nodelog_open(&l, dir, root, &db, adopt, &a);
	char *said = capture_end(saved);
	ok(rc == 0 && db.used == 0 && a.n == 0, "%s: open 0, nothing loaded, nothing adopted", what);
	ok(strstr(said, msg) != NULL, "%s: said \"%s\"", what, msg);
	free(said);
	bool kept = l.fd >= 0;
	if (kept) {
		struct nodelog l2;
		struct nodedb db2;
		nodedb_init(&db2);
		int saved2 = capture_begin();
		is_int(nodelog_open(&l2, dir, root, &db2, NULL, NULL), -1,
		       "%s: the fresh record is locked like any other", what);
		free(capture_end(saved2));
		nodelog_close(&l2);
		nodedb_free(&db2);
	}
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
	return kept;
}

/* FILE holds a fresh record: a regular file of ours, 0600, one link, the
 * header alone. */
static bool fresh_record(const char *file)
{
	struct stat st;
	size_t len;
	char *text = slurp(file, &len);
	bool fresh = lstat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		     (st.st_mode & 07777) == 0600 && st.st_nlink == 1 && st.st_uid == geteuid() &&
		     text && strncmp(text, "devmgr-nodes 2\t", 15) == 0 &&
		     strchr(text, '\n') == text + len - 1;
	if (!fresh && text)
		show("got ", text, len);
	free(text);
	return fresh;
}

static bool same_text(const char *file, const char *want)
{
	size_t len;
	char *text = slurp(file, &len);
	bool same = text && len == strlen(want) && memcmp(text, want, len) == 0;

	free(text);
	return same;
}

/* The file is not devmgr's alone: refused, moved aside, a fresh one. */
static void test_untrusted_file(void)
{
	char root[128], dir[256], file[2 * PATH_MAX], aside[2 * PATH_MAX + 16], other[256];
	char good[TEXT_MAX];
	struct stat st;

	dev_root(root, sizeof(root), "trust");
	header(good, sizeof(good), root, SINCE);
	strcat(good, GOOD_BODY);

	/* the control: the same record, as devmgr leaves it, is read */
	snprintf(dir, sizeof(dir), "%s/trust0", top);
	good_record(dir, root, file, sizeof(file));
	struct nodelog l;
	struct nodedb db;
	nodedb_init(&db);
	nodelog_open(&l, dir, root, &db, NULL, NULL);
	ok(db.used == 1 && entry_is(&db, S_IFCHR, 1, 3, "null", NULL),
	   "a regular file of ours, 0600, one link: read");
	nodelog_close(&l);
	nodedb_free(&db);

	snprintf(dir, sizeof(dir), "%s/trust1", top);
	good_record(dir, root, file, sizeof(file));
	snprintf(other, sizeof(other), "%s/elsewhere.nodes", top);
	snprintf(aside, sizeof(aside), "%s.refused", file);
	setup(rename(file, other) == 0 && symlink(other, file) == 0, "symlink");
	ok(refused(dir, root, "a symlink", "is not trusted: it is a symlink"), "... record kept");
	ok(lstat(aside, &st) == 0 && S_ISLNK(st.st_mode), "... the symlink moved to .refused");
	ok(same_text(other, good), "... what it leads to untouched");
	ok(fresh_record(file), "... a fresh record in its place");

	snprintf(dir, sizeof(dir), "%s/trust2", top);
	good_record(dir, root, file, sizeof(file));
	snprintf(aside, sizeof(aside), "%s.refused", file);
	setup(chmod(file, 0666) == 0, "chmod 0666");
	/* whoever could write it can lock it too: no "another daemon" */
	int held = open(file, O_RDONLY | O_CLOEXEC);
	setup(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0, "flock");
	ok(refused(dir, root, "mode 0666, locked by its writer",
		   "is not trusted: its mode 0666 lets group or others write it"),
	   "... record kept: the writer's lock does not keep devmgr out");
	close(held);
	ok(same_text(aside, good), "... the file moved to .refused, as it was");
	ok(fresh_record(file), "... a fresh record in its place");

	snprintf(dir, sizeof(dir), "%s/trust3", top);
	good_record(dir, root, file, sizeof(file));
	setup(chmod(file, 0620) == 0, "chmod 0620");
	ok(refused(dir, root, "mode 0620", "its mode 0620 lets group or others write it"),
	   "... record kept");

	snprintf(dir, sizeof(dir), "%s/trust4", top);
	good_record(dir, root, file, sizeof(file));
	snprintf(other, sizeof(other), "%s/hardlink.nodes", top);
	setup(link(file, other) == 0, "link");
	ok(refused(dir, root, "a hard link", "is not trusted: it has 2 links"), "... record kept");
	ok(fresh_record(file), "... a fresh record in its place, one link");
	ok(same_text(other, good), "... the other name still holds the old one");

	snprintf(dir, sizeof(dir), "%s/trust5", top);
	good_record(dir, root, file, sizeof(file));
	if (geteuid() == 0) {
		setup(chown(file, 1234, 1234) == 0, "chown");
		ok(refused(dir, root, "owned by uid 1234",
			   "is not trusted: it is owned by uid 1234, not by devmgr's uid 0"),
		   "... record kept");
	} else {
		for (int i = 0; i < 4; i++)
			skip_test("chown to another uid needs root");
	}

	snprintf(dir, sizeof(dir), "%s/trust6", top);
	good_record(dir, root, file, sizeof(file));
	setup(unlink(file) == 0 && mkfifo(file, 0600) == 0, "mkfifo");
	ok(refused(dir, root, "a FIFO (never opened: it would block)",
		   "is not trusted: it is not a regular file"), "... record kept");

	snprintf(dir, sizeof(dir), "%s/trust7", top);
	good_record(dir, root, file, sizeof(file));
	snprintf(aside, sizeof(aside), "%s.refused", file);
	setup(unlink(file) == 0 && mkdir(file, 0755) == 0 && mkdir(aside, 0755) == 0 &&
	      rmdir(aside) == 0, "mkdir");
	ok(refused(dir, root, "a directory", "is not trusted: it is not a regular file"),
	   "... record kept");
}

/* The state directory is not devmgr's alone: refused; nothing read,
 * nothing written there. */
static void test_untrusted_dir(void)
{
	char root[128], dir[256], file[2 * PATH_MAX], good[TEXT_MAX], real[256];
	char msg[2048];

	dev_root(root, sizeof(root), "trust");
	header(good, sizeof(good), root, SINCE);
	strcat(good, GOOD_BODY);

	snprintf(dir, sizeof(dir), "%s/dtrust1", top);
	good_record(dir, root, file, sizeof(file));
	setup(chmod(dir, 0775) == 0, "chmod 0775");
	snprintf(msg, sizeof(msg), "%s is not trusted: its mode 0775 lets group or others write "
		 "in it. Only devmgr may be able to write the record of the nodes it made: "
		 "chmod go-w %s.", dir, dir);
	ok(!refused(dir, root, "state dir 0775", msg), "... no record kept");
	ok(same_text(file, good), "... the file there untouched");

	snprintf(dir, sizeof(dir), "%s/dtrust2", top);
	good_record(dir, root, file, sizeof(file));
	setup(chmod(dir, 01777) == 0, "chmod 01777");
	ok(!refused(dir, root, "state dir 1777 (sticky is no help)",
		    "is not trusted: its mode 1777 lets group or others write in it"),
	   "... no record kept");
	ok(same_text(file, good), "... the file there untouched");

	snprintf(real, sizeof(real), "%s/dtrust3-real", top);
	snprintf(dir, sizeof(dir), "%s/dtrust3", top);
	good_record(real, root, file, sizeof(file));
	setup(symlink(real, dir) == 0, "symlink");
	snprintf(msg, sizeof(msg), "%s is not trusted: %s is a symlink. Only devmgr may be able to "
		 "write the record of the nodes it made: set [paths] state to a path without "
		 "symlinks", dir, dir);
	ok(!refused(dir, root, "state dir a symlink", msg), "... no record kept");
	ok(same_text(file, good), "... the file it leads to untouched");

	/* a symlink higher up */
	char parent[128], realparent[128];
	snprintf(realparent, sizeof(realparent), "%s/dtrust4-real", top);
	snprintf(parent, sizeof(parent), "%s/dtrust4", top);
	snprintf(real, sizeof(real), "%s/state", realparent);
	snprintf(dir, sizeof(dir), "%s/state", parent);
	setup(mkdir(realparent, 0755) == 0, "mkdir");
	good_record(real, root, file, sizeof(file));
	setup(symlink(realparent, parent) == 0, "symlink");
	snprintf(msg, sizeof(msg), "%s is not trusted: %s is a symlink", dir, parent);
	ok(!refused(dir, root, "a symlink above the state dir", msg), "... no record kept");
	ok(same_text(file, good), "... the file untouched");

	/* a state dir that does not exist yet, under one that is a symlink:
	 * not made through it */
	snprintf(dir, sizeof(dir), "%s/new/state", parent);
	ok(!refused(dir, root, "a state dir to make beyond a symlink", "is a symlink"),
	   "... no record kept");
	char made[256];
	snprintf(made, sizeof(made), "%s/new", realparent);
	ok(access(made, F_OK) < 0 && errno == ENOENT, "... nothing made through it");

	snprintf(dir, sizeof(dir), "%s/dtrust5", top);
	good_record(dir, root, file, sizeof(file));
	if (geteuid() == 0) {
		setup(chown(dir, 1234, 1234) == 0, "chown");
		snprintf(msg, sizeof(msg), "%s is not trusted: it is owned by uid 1234, not by "
			 "devmgr's uid 0. Only devmgr may be able to write the record of the nodes "
			 "it made: chown 0 %s, or set [paths] state", dir, dir);
		ok(!refused(dir, root, "state dir owned by uid 1234", msg), "... no record kept");
		ok(same_text(file, good), "... the file there untouched");
	} else {
		for (int i = 0; i < 4; i++)
			skip_test("chown to another uid needs root");
	}
}

/* Every name must be one devmgr could have made: a line with any other is
 * dropped, and said with its number. */
static void test_bad_names(void)
{
	char root[128], path[2 * PATH_MAX], text[TEXT_MAX];
	struct nodelog l;
	struct nodedb db;
	struct adopted a = { 0 };
	const char *said_lines[] = {
		"line 4: node name refused ('..' component): line dropped",
		"line 5: node name refused (absolute path): line dropped",
		"line 6: link name refused ('..' component): line dropped",
		"line 7: link name refused (absolute path): line dropped",
		"line 8: node name refused (newline in name): line dropped",
		"line 9: node name refused (ends with '/'): line dropped",
		"line 10: directory name refused ('..' component): line dropped",
		"line 11: directory name refused (absolute path): line dropped",
		"line 12: node name refused ('..' component): line dropped",
	};

	dev_root(root, sizeof(root), "names");
	record_path(path, sizeof(path), root);
	header(text, sizeof(text), root, SINCE);
	strcat(text, "+\tc\t1\t3\tnull\n"			/* line 2 */
		     "+\tc\t1\t10\tgood/ten\tgood-link\n"	/* 3 */
		     "+\tc\t1\t4\t../zero\n"
		     "+\tc\t1\t5\t/proc/self/fd\tfd\n"		/* 5 */
		     "+\tc\t1\t6\tok6\t../../etc/x\n"
		     "+\tc\t1\t7\tok7\t/abs\n"
		     "+\tc\t1\t8\tnew\\nline\n"
		     "+\tc\t1\t9\tdir/\n"
		     "d\t../run\n"				/* 10 */
		     "d\t/abs\n"
		     "+\tc\t1\t3\t../null\n"
		     "d\tgood\n");
	write_record(root, text);
	nodedb_init(&db);
	int saved = capture_begin();
	nodelog_open(&l, state, root, &db, adopt, &a);
	char *said = capture_end(saved);
	is_int(db.used, 2, "only the two good nodes loaded");
	ok(entry_is(&db, S_IFCHR, 1, 3, "null", NULL),
	   "null: a later line with a bad name for its numbers changes nothing");
	ok(entry_is(&db, S_IFCHR, 1, 10, "good/ten", "good-link"), "good/ten -> good-link");
	ok(adopted_is(&a, (const char *[]){ "good" }, 1), "only the good directory adopted");
	for (size_t i = 0; i < sizeof(said_lines) / sizeof(said_lines[0]); i++)
		ok(strstr(said, said_lines[i]) != NULL, "said: %s", said_lines[i]);
	ok(strstr(said, "9 lines named what devmgr cannot have made, and were dropped") != NULL,
	   "and counted");
	ok(strstr(said, "made no sense") == NULL, "none of them counted as nonsense");
	free(said);
	ok(record_is(path, root, SINCE, (const char *[]){ "d\tgood\n" }, 1,
		     (const char *[]){ "+\tc\t1\t3\tnull\n", "+\tc\t1\t10\tgood/ten\tgood-link\n" },
		     2),
	   "rewritten without them");
	nodelog_close(&l);
	nodedb_free(&db);
	adopted_free(&a);
}

/* Makes FILE (a regular file, inode changed now) and lstats it. */
static void make_file(const char *file, struct stat *st)
{
	unlink(file);
	setup(mknod(file, S_IFREG | 0600, 0) == 0 && lstat(file, st) == 0, "mknod");
}

/* A node changed last before the record began is not devmgr's; one made
 * after may be. Tried 20 times, on fresh records: the coarse clock the
 * file system stamps by and the precise one must never be mixed up. */
static void test_since(void)
{
	char root[128], before[256], after[256], since[64];
	struct nodelog l;
	struct nodedb db;
	struct stat sb, sa, st;
	long worst = 0;
	int wrong_before = 0, wrong_after = 0;

	snprintf(before, sizeof(before), "%s/made-before", top);
	snprintf(after, sizeof(after), "%s/made-after", top);
	for (int i = 0; i < 20; i++) {
		char tag[32];
		struct timespec t0, t1;
		snprintf(tag, sizeof(tag), "since%d", i);
		dev_root(root, sizeof(root), tag);
		make_file(before, &sb);
		nodedb_init(&db);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		nodelog_open(&l, state, root, &db, NULL, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		make_file(after, &sa);
		long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		worst = ms > worst ? ms : worst;
		wrong_before += nodelog_may_be_ours(&l, &sb);
		wrong_after += !nodelog_may_be_ours(&l, &sa);
		if (i < 19) {
			nodelog_close(&l);
			nodedb_free(&db);
		}
	}
	ok(worst < 200, "20 fresh records, each begun within %ld ms (a wait for the clock)", worst);
	is_int(wrong_before, 0, "a file made just before a record began: never ours");
	is_int(wrong_after, 0, "a file made just after: always may be ours");
	snprintf(since, sizeof(since), "%s", since_of(&l));
	nodelog_close(&l);
	nodedb_free(&db);

	nodedb_init(&db);
	nodelog_open(&l, state, root, &db, NULL, NULL);
	is_str(since_of(&l), since, "reopened: the record began when it began");
	ok(!nodelog_may_be_ours(&l, &sb) && nodelog_may_be_ours(&l, &sa), "the same answers");
	nodelog_close(&l);
	nodedb_free(&db);

	nodedb_init(&db);
	l.since = (struct timespec){ 1000, 5 };
	memset(&st, 0, sizeof(st));
	st.st_ctim = (struct timespec){ 1000, 4 };
	ok(!nodelog_may_be_ours(&l, &st), "1 ns older: not ours");
	st.st_ctim = (struct timespec){ 1000, 5 };
	ok(nodelog_may_be_ours(&l, &st), "the very time: may be ours");
	st.st_ctim = (struct timespec){ 999, 999999999 };
	ok(!nodelog_may_be_ours(&l, &st), "a second older: not ours");
	st.st_ctim = (struct timespec){ 1001, 0 };
	ok(nodelog_may_be_ours(&l, &st), "newer: may be ours");
	nodedb_free(&db);
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
	rput(&db, &l, S_IFCHR, makedev(1, 3), "null", NULL);
	nodelog_dir(&l, "x", true);
	is_int(nodelog_compact(&l, &db, NULL, 0, true), 0, "compacting no record: 0, nothing to do");
	ok(l.lines == 0 && !l.broken, "changes with no record: nothing counted, nothing broken");
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
	test_untrusted_file();
	test_untrusted_dir();
	test_bad_names();
	test_since();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return done_testing();
}
