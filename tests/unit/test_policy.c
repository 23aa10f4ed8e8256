/* Device policy: the rule vocabulary of device cgroups, what a rule
 * allows, and the cgroup v1 devices.list found through /proc/self/cgroup
 * (fake /proc and cgroup trees here). */
#define _GNU_SOURCE
#include "tap.h"
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse(void)
{
	struct policy_rule r;

	ok(policy_parse_rule("char 189:* rw", &r) == NULL && r.type == 'c' && r.major == 189 &&
	   r.minor == -1 && r.perms == (POLICY_READ | POLICY_WRITE), "char 189:* rw");
	ok(policy_parse_rule("b 7:0 rwm", &r) == NULL && r.type == 'b' && r.major == 7 &&
	   r.minor == 0 && r.perms == 7, "b 7:0 rwm (cgroup spelling)");
	ok(policy_parse_rule("a *:* rwm", &r) == NULL && r.type == 'a' && r.major == -1 &&
	   r.minor == -1, "a *:* rwm");
	ok(policy_parse_rule("a", &r) == NULL && r.type == 'a' && r.perms == 7, "a alone: everything");
	ok(policy_parse_rule("any 10:200  m", &r) == NULL && r.perms == POLICY_MKNOD, "any 10:200 m");
	is_str(policy_parse_rule("tape 1:2 r", &r), "type must be char, block or any (c, b, a)",
	       "unknown type");
	is_str(policy_parse_rule("c 1 r", &r),
	       "numbers must be MAJOR:MINOR, each a number or *, then permissions", "no minor");
	is_str(policy_parse_rule("c x:1 r", &r),
	       "numbers must be MAJOR:MINOR, each a number or *, then permissions", "bad major");
	is_str(policy_parse_rule("c 1:2", &r),
	       "numbers must be MAJOR:MINOR, each a number or *, then permissions", "no permissions");
	is_str(policy_parse_rule("c 1:2 rx", &r), "permissions are letters of r, w and m", "bad permission");
	is_str(policy_parse_rule("c 1:2 r extra", &r), "unexpected text after the permissions",
	       "trailing text");
	is_str(policy_parse_rule("", &r), "expected TYPE MAJOR:MINOR PERMISSIONS, e.g. char 189:* rw",
	       "empty");
	is_str(policy_parse_rule("c 99999999:1 r", &r),
	       "numbers must be MAJOR:MINOR, each a number or *, then permissions", "major too large");
}

static void allows(void)
{
	struct policy_rule rules[3];
	struct policy p;

	policy_parse_rule("char 189:* rw", &rules[0]);
	policy_parse_rule("block 7:3 r", &rules[1]);
	policy_parse_rule("c 10:200 m", &rules[2]);
	policy_init(&p, rules, 3, false, "/nonexistent", "/nonexistent", -1);
	ok(p.source == POLICY_CONFIG, "configured rules are the policy");
	ok(policy_allows(&p, S_IFCHR, 189, 0) && policy_allows(&p, S_IFCHR, 189, 255), "char 189:* allows 189:0, 189:255");
	ok(!policy_allows(&p, S_IFBLK, 189, 0), "... not block 189:0");
	ok(policy_allows(&p, S_IFBLK, 7, 3) && !policy_allows(&p, S_IFBLK, 7, 4), "block 7:3 only");
	ok(!policy_allows(&p, S_IFCHR, 10, 200), "mknod alone does not make a device usable");
	ok(!policy_allows(&p, S_IFCHR, 1, 3), "unlisted: no");
	ok(policy_allows(&p, S_IFCHR, -1, -1), "a device without numbers: yes");
	policy_free(&p);

	policy_init(&p, NULL, 0, false, "/nonexistent", "/nonexistent", -1);
	ok(p.source == POLICY_NONE && policy_allows(&p, S_IFCHR, 1, 1), "no rules, no cgroup: everything");
	policy_free(&p);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void cgroup(void)
{
	char top[] = "/tmp/devmgr-policy.XXXXXX", proc[64], cg[64], dir[200], cmd[1024];
	struct policy p;

	if (mkdtemp(top) == NULL)
		return;
	snprintf(proc, sizeof(proc), "%s/proc", top);
	snprintf(cg, sizeof(cg), "%s/cg", top);
	snprintf(dir, sizeof(dir), "%s/self", proc);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s %s/devices/docker/abc %s/devices/x", dir, cg, cg);
	if (system(cmd) != 0)
		return;

	/* our cgroup's own list, under the hierarchy's root */
	put(dir, "cgroup", "12:pids:/docker/abc\n5:devices:/docker/abc\n0::/\n");
	snprintf(dir, sizeof(dir), "%s/devices/docker/abc", cg);
	put(dir, "devices.list", "c 1:3 rwm\nc 136:* rwm\nb 7:* rw\nc *:* m\nbogus line\n");
	policy_init(&p, NULL, 0, false, proc, cg, -1);
	ok(p.source == POLICY_CGROUP && p.n == 4, "devices.list of our cgroup: 4 rules (%zu), a bad line skipped", p.n);
	ok(policy_allows(&p, S_IFCHR, 1, 3) && policy_allows(&p, S_IFCHR, 136, 5) &&
	   policy_allows(&p, S_IFBLK, 7, 1), "its devices allowed");
	ok(!policy_allows(&p, S_IFCHR, 1, 1) && !policy_allows(&p, S_IFCHR, 10, 232),
	   "others not, though 'c *:* m' lets them be made");
	policy_free(&p);

	/* a container's mount shows its cgroup as the root */
	snprintf(dir, sizeof(dir), "%s/devices/docker/abc/devices.list", cg);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/devices", cg);
	put(dir, "devices.list", "c 189:* rwm\n");
	policy_init(&p, NULL, 0, false, proc, cg, -1);
	ok(p.source == POLICY_CGROUP && p.n == 1 && policy_allows(&p, S_IFCHR, 189, 2) &&
	   !policy_allows(&p, S_IFCHR, 1, 3), "a container's own list at the mount's root");
	policy_free(&p);

	/* the host's cgroup: everything */
	put(dir, "devices.list", "a *:* rwm\n");
	policy_init(&p, NULL, 0, false, proc, cg, -1);
	ok(p.source == POLICY_NONE, "'a *:* rwm': no limit");
	policy_free(&p);

	/* cgroup v2 only: no list */
	snprintf(dir, sizeof(dir), "%s/self", proc);
	put(dir, "cgroup", "0::/system.slice/x\n");
	policy_init(&p, NULL, 0, false, proc, cg, -1);
	ok(p.source == POLICY_NONE, "cgroup v2: no list, everything managed");
	policy_free(&p);

	/* configured rules win over the cgroup */
	struct policy_rule r;
	policy_parse_rule("b 8:* rw", &r);
	put(dir, "cgroup", "5:devices:/\n");
	policy_init(&p, &r, 1, true, proc, cg, -1);
	ok(p.source == POLICY_CONFIG && p.node_only && policy_allows(&p, S_IFBLK, 8, 0) &&
	   !policy_allows(&p, S_IFCHR, 189, 0), "configured rules win");
	policy_free(&p);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return;
}

/* Entries of DIR whose name starts with PREFIX. */
static int count_named(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

/* The kernel asked, in a scratch directory: as root in this test's
 * cgroup every device may be used (the refusals are tests/integration/
 * probe.t's, with a real device program). */
static void probe(void)
{
	char top[] = "/tmp/devmgr-probe.XXXXXX", proc[64], cg[64], dir[200], cmd[1024], why[768];
	struct policy p;

	if (geteuid() != 0) {
		printf("# not root: no node can be made to ask with\n");
		ok(0, "the probe tests need root");
		return;
	}
	if (mkdtemp(top) == NULL)
		return;
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(proc, sizeof(proc), "%s/proc", top);
	snprintf(cg, sizeof(cg), "%s/cg", top);
	policy_init(&p, NULL, 0, false, proc, cg, fd);
	ok(p.source == POLICY_PROBE && p.n == 0 && !p.unknown, "no config: the kernel is asked");
	ok(policy_allows(&p, S_IFCHR, 1, 3) && policy_answer(&p, S_IFCHR, 1, 3) == NULL,
	   "not asked yet: allowed, no answer");
	policy_learn(&p, S_IFCHR, 1, 3, false);
	const struct probe_answer *a = policy_answer(&p, S_IFCHR, 1, 3);
	ok(a && a->mknod == 0 && a->read == 0 && a->write == 0 && policy_allows(&p, S_IFCHR, 1, 3),
	   "c 1:3 asked: read and write allowed");
	policy_learn(&p, S_IFCHR, 1, 3, false);
	ok(p.probes == 1, "known: not asked again (%lu probes)", p.probes);
	policy_learn(&p, S_IFCHR, 1, 3, true);
	ok(p.probes == 1, "fresh, but in the same epoch (a batch): not asked again");
	policy_new_epoch(&p);
	policy_learn(&p, S_IFCHR, 1, 3, true);
	ok(p.probes == 2, "fresh (an add) in a new epoch: asked again");
	for (int i = 0; i < 1000; i++)
		policy_learn(&p, i % 2 ? S_IFBLK : S_IFCHR, 4000 + i % 7, i, false);
	int all = 1;
	for (int i = 0; i < 1000; i++)
		all &= policy_answer(&p, i % 2 ? S_IFBLK : S_IFCHR, 4000 + i % 7, i) != NULL;
	ok(all && p.nseen == 1001, "1,000 more devices: every answer kept (%zu)", p.nseen);
	ok(policy_answer(&p, S_IFBLK, 1, 3) == NULL, "block 1:3 is not char 1:3");
	ok(count_named(top, ".devmgr-probe") == 0, "no probe node left behind");
	policy_learn(&p, S_IFCHR, -1, -1, true);
	ok(p.nseen == 1001, "a device without numbers is not asked about");
	policy_free(&p);

	/* with a v1 list: what it refuses is refused without a question */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/self %s/devices", proc, cg);
	if (system(cmd) != 0)
		return;
	snprintf(dir, sizeof(dir), "%s/self", proc);
	put(dir, "cgroup", "5:devices:/\n");
	snprintf(dir, sizeof(dir), "%s/devices", cg);
	put(dir, "devices.list", "c 1:3 rwm\nc *:* m\n");
	policy_init(&p, NULL, 0, false, proc, cg, fd);
	ok(p.source == POLICY_PROBE && p.n == 2, "probe, and the v1 list read (%zu rules)", p.n);
	policy_learn(&p, S_IFCHR, 1, 7, true);
	ok(p.probes == 1 && policy_allows(&p, S_IFCHR, 1, 7),
	   "c 1:7: the kernel says yes here, the (fake) list no: the kernel wins");
	policy_free(&p);

	/* a read-only place to ask in: no answer; the list, or every device */
	close(fd);
	fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	policy_init(&p, NULL, 0, false, proc, cg, fd);
	policy_learn(&p, S_IFCHR, 1, 7, true);
	policy_learn(&p, S_IFCHR, 1, 3, true);
	ok(p.probe_failures == 2 && policy_answer(&p, S_IFCHR, 1, 7) == NULL &&
	   !policy_allows(&p, S_IFCHR, 1, 7) && policy_allows(&p, S_IFCHR, 1, 3),
	   "no node can be made: the v1 list decides");
	policy_why(&p, S_IFCHR, 1, 7, why, sizeof(why));
	ok(strstr(why, "--device-cgroup-rule 'c 1:7 rwm'") &&
	   strstr(why, "lxc.cgroup2.devices.allow = c 1:7 rwm"), "why: what to change (%s)", why);
	policy_free(&p);
	policy_init(&p, NULL, 0, false, "/nonexistent", "/nonexistent", fd);
	policy_learn(&p, S_IFCHR, 1, 3, true);
	ok(p.probe_failures == 1 && policy_answer(&p, S_IFCHR, 1, 3) == NULL &&
	   policy_allows(&p, S_IFCHR, 1, 3), "... and without a list, allowed as before");
	policy_free(&p);
	close(fd);

	/* the answers' meaning */
	struct probe_answer perm = { 0, EPERM, EPERM }, ro = { 0, 0, EPERM };
	struct probe_answer nomk = { EPERM, EPERM, EPERM }, rofs = { EROFS, EROFS, EROFS };
	ok(!probe_allows(&perm) && probe_allows(&ro) && !probe_allows(&nomk),
	   "EPERM to both refuses; read alone is use");
	ok(probe_answered(&nomk) && !probe_answered(&rofs), "EPERM from mknod is an answer, EROFS not");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return;
}

int main(void)
{
	parse();
	allows();
	cgroup();
	probe();
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
