/* The udev database: entry names as systemd's libudev looks them up, the
 * lines it reads, atomic replacement, removal with the tag marks, and the
 * refusal to share the directory with a running udevd. */
#define _GNU_SOURCE
#include "tap.h"
#include "udevdb.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

int main(void)
{
	char run[] = "/tmp/devmgr-udevdb.XXXXXX", sub[100], data[200];
	struct udevdb db;
	struct devprops p, q;
	struct stat st;

	ids();
	if (mkdtemp(run) == NULL)
		return 1;
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
	udevdb_close(&db);

	/* a running udevd: its control is a socket */
	snprintf(data, sizeof(data), "%s/control", sub);
	unlink(data);
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, data, strlen(data) + 1);	/* short: under /tmp */
	ok(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0, "(a udevd control socket)");
	is_int(udevdb_open(&db, sub), -1, "refused next to a udevd");
	close(s);

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
