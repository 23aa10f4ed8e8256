/* The planning stage: what an event calls for, decided without a file
 * system and without root. Every rule action has its plan kind. */
#define _GNU_SOURCE
#include "tap.h"
#include "plan.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static struct idmaps ids;

struct fixture {
	struct ruleset rules;
	struct plan_input in;
	struct uevent ev;
	struct device dev;
	struct plan p;
};

static void load(struct fixture *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	rules_parse(&f->rules, "test.conf", text, strlen(text), &ids);
	f->in.rules = &f->rules;
	f->in.root_major = f->in.root_minor = -1;
}

/* An event: "ACTION SUBSYSTEM DEVNAME MAJ:MIN" plus KEY=VALUE pairs. */
static void event(struct fixture *f, const char *action, const char *sub, const char *name,
		  int maj, int min, const char *extra)
{
	char num[16], path[128];

	uevent_init(&f->ev);
	uevent_set(&f->ev, "ACTION", action);
	snprintf(path, sizeof(path), "/devices/virtual/%s/%s", sub, name);
	uevent_set(&f->ev, "DEVPATH", path);
	uevent_set(&f->ev, "SUBSYSTEM", sub);
	uevent_set(&f->ev, "DEVNAME", name);
	if (maj >= 0) {
		snprintf(num, sizeof(num), "%d", maj);
		uevent_set(&f->ev, "MAJOR", num);
		snprintf(num, sizeof(num), "%d", min);
		uevent_set(&f->ev, "MINOR", num);
	}
	if (extra) {
		const char *eq = strchr(extra, '=');
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - extra), extra);
		uevent_set(&f->ev, key, eq + 1);
	}
	device_from_uevent(&f->dev, &f->ev);
	plan_free(&f->p);
}

static void done(struct fixture *f)
{
	plan_free(&f->p);
	rules_free(&f->rules);
}

/* The plan as one line: "kind:node[:link|cmd]@line ...". */
static const char *shape(const struct plan *p)
{
	static const char *kinds[] = { "match", "node", "link", "ids", "cmd", "remove", "forget",
				       "firmware", "modules" };
	static char out[1024];
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < p->n; i++) {
		const struct plan_step *s = &p->v[i];
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%s", i ? " " : "",
				      kinds[s->kind], s->node ? s->node : "-");
		if (s->link && s->kind != PLAN_NODE)
			n += (size_t)snprintf(out + n, sizeof(out) - n, ":%s", s->link);
		if (s->cmd)
			n += (size_t)snprintf(out + n, sizeof(out) - n, ":%s", s->cmd);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "@%u", s->line);
	}
	return out;
}

static void test_add(void)
{
	struct fixture f;

	load(&f, "null 0:0 0666\nttyUSB[0-9] 0:20 0660 @ln -sf $MDEV modem\n");
	event(&f, "add", "tty", "ttyUSB3", 188, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:ttyUSB3@2 node:ttyUSB3@2 cmd:ttyUSB3:ln -sf $MDEV modem@2",
	       "add: the node, then the rule's command, with the rule's line");
	is_int(f.p.v[1].gid, 20, "add: the rule's group");
	is_int(f.p.v[1].mode, 0660, "add: the rule's mode");
	is_int(f.p.v[2].need, NEED_MADE, "add: the command needs its node made");
	ok(f.p.publish && f.p.adds, "add: published, a node made");

	f.in.links = true;
	event(&f, "add", "tty", "ttyUSB3", 188, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:ttyUSB3@2 node:ttyUSB3@2 ids:ttyUSB3@2 cmd:ttyUSB3:ln -sf $MDEV modem@2",
	       "add: a tty gets udev's persistent names when [links] says so");
	event(&f, "add", "mem", "null", 1, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:null@1 node:null@1", "add: null: no persistent names, no command");
	ok(f.p.v[1].named, "add: a literal name spells out the device");
	done(&f);
}

/* Disks: udev's names on add, worked out again on change (for the node
 * that is there: no node step to wait for), gone on remove. */
static void test_disks(void)
{
	struct fixture f;

	load(&f, "loop[0-9]* 0:6 0660\n");
	f.in.links = true;
	event(&f, "add", "block", "loop3", 7, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:loop3@1 node:loop3@1 ids:loop3@1",
	       "disk add: node, then its persistent names");
	event(&f, "change", "block", "loop3", 7, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:loop3@1 ids:loop3@1", "disk change: the names again");
	ok(f.p.n == 2 && f.p.v[1].node_step == -1 && f.p.v[1].need == NEED_NOTHING,
	   "disk change: the names step waits for no node step");
	event(&f, "remove", "block", "loop3", 7, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	ok(f.p.n == 2 && f.p.v[1].kind == PLAN_REMOVE && f.p.v[1].idlinks,
	   "disk remove: the names go with the node");
	f.in.links = false;
	event(&f, "change", "block", "loop3", 7, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:loop3@1", "disk change, [links] persistent = no: nothing to do");
	done(&f);
	load(&f, "null 0:0 0666\n");
	f.in.links = true;
	event(&f, "change", "mem", "null", 1, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:null@1", "change of a device without names: nothing to do");
	done(&f);
}

static void test_moves(void)
{
	struct fixture f;

	load(&f, "null 0:0 0666 >nul\nsd[a-z] 0:6 0660 =disk/\nhidden 0:0 0600 !\n");
	event(&f, "add", "mem", "null", 1, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:nul@1 node:nul@1 link:nul:null@1",
	       "'>': the node under the new name, a link from the old");
	event(&f, "add", "block", "sda", 8, 0, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:disk/sda@2 node:disk/sda@2", "'=dir/': the name inside dir");
	event(&f, "add", "misc", "hidden", 10, 99, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:hidden@3", "'!': no node");
	const char *link;
	bool root;
	ok(plan_node(&f.p, &link, &root) == NULL && f.p.nonode, "'!': published without a node");
	done(&f);
}

static void test_keep_matching(void)
{
	struct fixture f;

	load(&f, "-tty[0-9] 0:5 0620 @echo one\ntty[0-9] 0:0 0600 $echo two\n");
	event(&f, "add", "tty", "tty1", 4, 1, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:tty1@1 node:tty1@1 cmd:tty1:echo one@1 match:tty1@2 node:tty1@2",
	       "'-': both rules act, in order; '$' runs no command on add");
	ok(f.p.v[0].more && !f.p.v[3].more, "'-' marks the first match");
	f.p.v[1].result = 0;
	f.p.v[4].result = 0;
	const char *link;
	bool root;
	ok(plan_node(&f.p, &link, &root) == f.p.v[4].node, "published: the last node made");
	f.p.v[4].result = -1;
	ok(plan_node(&f.p, &link, &root) == f.p.v[1].node, "... the one before when the last failed");
	event(&f, "remove", "tty", "tty1", 4, 1, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:tty1@1 remove:tty1@1 match:tty1@2 cmd:tty1:echo two@2 remove:tty1@2",
	       "remove: each rule's command runs before its removal");
	done(&f);
}

static void record(struct nodedb *db, int maj, int min, const char *node, const char *link)
{
	nodedb_put(db, S_IFCHR, makedev(maj, min), node, link);
}

static void test_record(void)
{
	struct fixture f;
	struct nodedb db;

	nodedb_init(&db);
	load(&f, "ttyACM[0-9] 0:20 0660 =modem0 @echo hi\n");
	f.in.record = &db;
	record(&db, 166, 0, "ttyACM0", ">ttyACM0");
	event(&f, "remove", "tty", "ttyACM0", 166, 0, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:modem0@1 remove:modem0@1 forget:ttyACM0:>ttyACM0@0",
	       "remove: what the record lists goes when the rules now name another node");
	is_str(f.p.node, "ttyACM0", "remove: published with the recorded name");

	record(&db, 166, 1, "shared", NULL);
	record(&db, 166, 2, "old", "shared");
	record(&db, 166, 3, "shared", NULL);
	event(&f, "remove", "tty", "ttyS9", 166, 2, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	ok(f.p.n > 0 && f.p.v[f.p.n - 1].kind == PLAN_FORGET, "forget step for an unmatched device");

	event(&f, "add", "tty", "ttyACM0", 166, 0, NULL);
	f.dev.flags.rescan = true;
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:modem0@1 node:modem0@1",
	       "rescan: a device the record knows runs no command");
	event(&f, "add", "tty", "ttyACM5", 166, 5, NULL);
	f.dev.flags.rescan = true;
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:modem0@1 node:modem0@1 cmd:modem0:echo hi@1",
	       "rescan: a device the record does not know runs its command");
	event(&f, "add", "tty", "ttyACM5", 166, 5, NULL);
	f.dev.flags.no_commands = true;
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:modem0@1 node:modem0@1",
	       "an event tried again runs no command: the flag travels with the event");

	event(&f, "move", "tty", "ttyACM0", 166, 0, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:modem0@1 node:modem0@1 forget:ttyACM0:>ttyACM0@0",
	       "move: the node under the new name, then the old one goes");
	ok(f.p.v[2].keep_record && f.p.v[2].need == NEED_NOT_FAILED,
	   "move: the record keeps the new name; the old goes unless the new failed");
	f.in.record = NULL;
	event(&f, "move", "tty", "ttyACM0", 166, 0, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:modem0@1", "move without a record: as mdev, nothing but '*'");
	done(&f);

	struct plan p;
	struct plan_input in = { .record = &db, .links = true };
	record(&db, 9, 1, "x", "linkx");
	record(&db, 9, 2, "x", NULL);
	plan_gone(&p, &in, nodedb_lookup(&db, S_IFCHR, makedev(9, 1)));
	is_str(shape(&p), "forget:x@0", "gone: another device has the name now: its link stays");
	ok(p.v[0].idlinks, "gone: persistent names go with the node");
	plan_free(&p);
	nodedb_free(&db);
}

static void test_policy(void)
{
	struct fixture f;
	struct policy_rule allow;
	struct policy pol;

	policy_parse_rule("c 1:* rw", &allow);
	policy_init(&pol, &allow, 1, false, "/nonexistent", "/nonexistent", -1);
	load(&f, "tty[0-9] 0:5 0620 @echo t\nnull 0:0 0666 @echo n\n");
	f.in.policy = &pol;
	event(&f, "add", "tty", "tty1", 4, 1, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	ok(f.p.skip && f.p.outside && f.p.n == 0, "outside the policy: left alone");
	event(&f, "add", "mem", "null", 1, 3, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:null@2 node:null@2 cmd:null:echo n@2", "inside: all of it");
	pol.node_only = true;
	event(&f, "add", "tty", "tty1", 4, 1, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:tty1@1 node:tty1@1", "outside, node only: no command");
	ok(!f.p.publish, "outside, node only: no event");
	pol.node_only = false;
	struct nodedb db;
	nodedb_init(&db);
	nodedb_put(&db, S_IFCHR, makedev(4, 1), "tty1", NULL);
	f.in.record = &db;
	event(&f, "add", "tty", "tty1", 4, 1, NULL);
	f.dev.flags.rescan = true;
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "forget:tty1@0", "outside now, its node made before: the node goes");
	ok(!f.p.skip && !f.p.publish, "... and nobody is told");
	event(&f, "remove", "tty", "tty1", 4, 1, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "forget:tty1@0", "outside, its remove: the recorded node goes too");
	nodedb_del(&db, S_IFCHR, makedev(4, 1));
	plan_free(&f.p);
	plan_event(&f.p, &f.in, &f.dev);
	ok(f.p.skip, "... and once the record has none, left alone");
	f.in.record = NULL;
	nodedb_free(&db);
	policy_free(&pol);
	done(&f);
}

static void test_drivers(void)
{
	struct fixture f;

	load(&f, "");
	f.in.firmware = f.in.modules = true;
	event(&f, "add", "firmware", "fw0", -1, -1, "FIRMWARE=x.bin");
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:fw0@0 firmware:x.bin@0", "a firmware request is served after the rules");
	event(&f, "remove", "firmware", "fw0", 250, 0, "FIRMWARE=x.bin");
	plan_event(&f.p, &f.in, &f.dev);
	ok(f.p.n == 0 && !f.p.publish, "the end of a firmware request removes nothing");
	event(&f, "add", "usb", "bus/usb/001/002", 189, 1, "MODALIAS=usb:v1234p5678");
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:bus/usb/001/002@0 node:bus/usb/001/002@0 modules:usb:v1234p5678@0",
	       "no rule line: the default rule; then the drivers");
	is_int(f.p.v[1].mode, 0660, "the default rule: 0660");
	f.in.root_major = 8;
	f.in.root_minor = 1;
	event(&f, "add", "block", "sda1", 8, 1, NULL);
	plan_event(&f.p, &f.in, &f.dev);
	is_str(shape(&f.p), "match:sda1@0 node:sda1@0 link:sda1:root@0", "the root file system's device gets \"root\"");
	done(&f);
}

int main(void)
{
	idmaps_init(&ids, "/nonexistent");
	test_add();
	test_moves();
	test_keep_matching();
	test_record();
	test_policy();
	test_drivers();
	test_disks();
	idmaps_free(&ids);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
