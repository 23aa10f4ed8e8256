/* Device policy: the rule vocabulary of device cgroups, what a rule
 * allows, and the cgroup v1 devices.list found through /proc/self/cgroup
 * (fake /proc and cgroup trees here). */
#define _GNU_SOURCE
#include "tap.h"
#include "policy.h"

#include <stdlib.h>
#include <sys/stat.h>

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
	policy_init(&p, rules, 3, false, "/nonexistent", "/nonexistent");
	ok(p.source == POLICY_CONFIG, "configured rules are the policy");
	ok(policy_allows(&p, S_IFCHR, 189, 0) && policy_allows(&p, S_IFCHR, 189, 255), "char 189:* allows 189:0, 189:255");
	ok(!policy_allows(&p, S_IFBLK, 189, 0), "... not block 189:0");
	ok(policy_allows(&p, S_IFBLK, 7, 3) && !policy_allows(&p, S_IFBLK, 7, 4), "block 7:3 only");
	ok(!policy_allows(&p, S_IFCHR, 10, 200), "mknod alone does not make a device usable");
	ok(!policy_allows(&p, S_IFCHR, 1, 3), "unlisted: no");
	ok(policy_allows(&p, S_IFCHR, -1, -1), "a device without numbers: yes");
	policy_free(&p);

	policy_init(&p, NULL, 0, false, "/nonexistent", "/nonexistent");
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
	policy_init(&p, NULL, 0, false, proc, cg);
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
	policy_init(&p, NULL, 0, false, proc, cg);
	ok(p.source == POLICY_CGROUP && p.n == 1 && policy_allows(&p, S_IFCHR, 189, 2) &&
	   !policy_allows(&p, S_IFCHR, 1, 3), "a container's own list at the mount's root");
	policy_free(&p);

	/* the host's cgroup: everything */
	put(dir, "devices.list", "a *:* rwm\n");
	policy_init(&p, NULL, 0, false, proc, cg);
	ok(p.source == POLICY_NONE, "'a *:* rwm': no limit");
	policy_free(&p);

	/* cgroup v2 only: no list */
	snprintf(dir, sizeof(dir), "%s/self", proc);
	put(dir, "cgroup", "0::/system.slice/x\n");
	policy_init(&p, NULL, 0, false, proc, cg);
	ok(p.source == POLICY_NONE, "cgroup v2: no list, everything managed");
	policy_free(&p);

	/* configured rules win over the cgroup */
	struct policy_rule r;
	policy_parse_rule("b 8:* rw", &r);
	put(dir, "cgroup", "5:devices:/\n");
	policy_init(&p, &r, 1, true, proc, cg);
	ok(p.source == POLICY_CONFIG && p.node_only && policy_allows(&p, S_IFBLK, 8, 0) &&
	   !policy_allows(&p, S_IFCHR, 189, 0), "configured rules win");
	policy_free(&p);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return;
}

int main(void)
{
	parse();
	allows();
	cgroup();
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
