/* Kernel modules for MODALIAS: what libkmod resolves an alias to in a dry
 * run (dependency order, blacklist, options, softdeps, install commands,
 * built-in modules), once per alias, and the error paths.
 *
 * The module tree is tests/data/modules/lib/modules/6.0.0-test, indexes
 * made by depmod from fake modules (tests/data/modules/gen.sh). Each test
 * root is a temporary directory whose lib/ links to it and whose
 * etc/modprobe.d/ the test writes. Run from the top of the source tree. */
#define _GNU_SOURCE
#include "tap.h"
#include "modules.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#define RELEASE "6.0.0-test"
#define FTDI "usb:v0403p6001d0600dc00dsc00dp00icFFiscFFipFFin00"
#define FTDI2 "usb:v0403p6015d1000dc00dsc00dp00icFFiscFFipFFin00"
#define BLOCKED "pci:v0000DEADd00000001sv00000000sd00000000bc02sc00i00"
#define EHCI_QUIRK "pci:v00008086d00001234sv00000000sd00000000bc0Csc03i20"
#define BUILTIN "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"

#ifdef HAVE_KMOD

static char fixture[PATH_MAX];

/* A root at TOP/NAME: lib/ is the fixture tree, CONF (if any) is its
 * etc/modprobe.d/test.conf. */
static const char *make_root(const char *top, const char *name, const char *conf)
{
	static char root[PATH_MAX];
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(root, sizeof(root), "%s/%s", top, name);
	snprintf(path, sizeof(path), "%s/lib", root);
	if (mkdir(root, 0755) < 0 || symlink(fixture, path) < 0)
		return NULL;
	if (conf == NULL)
		return root;
	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/modprobe.d", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/test.conf", root);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(conf, f);
	fclose(f);
	return root;
}

/* Without configuration: what modules.dep and modules.alias say. */
static void plain(const char *top)
{
	const char *root = make_root(top, "plain", NULL);
	struct modules m;
	char alias[64];
	unsigned long before;

	is_int(modules_open(&m, root, RELEASE, true), 0, "open a module tree in a dry run");
	is_int(modules_load(&m, FTDI), 2, "ftdi alias: 2 modules");
	is_str(modules_plan(&m), "insmod dmtest_usbserial\ninsmod dmtest_ftdi_sio\n",
	       "the dependency first, then the driver");
	is_int(modules_load(&m, FTDI), 0, "the same alias again: nothing");
	is_str(modules_plan(&m), "insmod dmtest_usbserial\ninsmod dmtest_ftdi_sio\n", "plan unchanged");
	is_int(modules_load(&m, FTDI2), 2,
	       "another alias of the same driver is looked up (a dry run loads nothing, so nothing is loaded already)");
	is_int(modules_load(&m, "usb:v1234p5678d0100dc00dsc00dp00ic03isc01ip02in00"), 0, "an alias matching nothing: 0");
	is_int(modules_load(&m, BLOCKED), 1, "not blacklisted here: loaded");
	ok(strstr(modules_plan(&m), "insmod dmtest_blocked\n") != NULL, "dmtest_blocked planned");
	is_int(modules_load(&m, EHCI_QUIRK), 2, "an alias matching two modules: both");
	ok(strstr(modules_plan(&m), "insmod dmtest_ehci\n") && strstr(modules_plan(&m), "insmod dmtest_quirk\n"),
	   "dmtest_ehci and dmtest_quirk planned");
	is_int(modules_load(&m, BUILTIN), 0, "an alias of a built-in module: 0, not an error");
	is_int(modules_load(&m, ""), 0, "an empty alias: 0");
	is_int(modules_load(&m, NULL), 0, "no alias: 0");
	is_int(m.aliases, 6, "6 distinct aliases looked up");
	is_int(m.inserted, 7, "7 modules would be inserted");
	is_int(m.blacklisted + m.failed, 0, "none blacklisted, none failed");

	/* Enough aliases to grow the set a few times: all remembered. */
	before = m.aliases;
	for (int i = 0; i < 300; i++) {
		snprintf(alias, sizeof(alias), "dmtest:nothing%d", i);
		modules_load(&m, alias);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(alias, sizeof(alias), "dmtest:nothing%d", i);
		modules_load(&m, alias);
	}
	is_int(m.aliases - before, 300, "300 aliases, twice each: 300 lookups");
	is_int(modules_load(&m, FTDI), 0, "the first alias is still remembered");
	modules_close(&m);
}

/* modprobe.d: blacklist, options, softdep, install. */
static void configured(const char *top)
{
	const char *root = make_root(top, "conf", "# a test configuration\n"
				     "blacklist dmtest_blocked\n"
				     "options dmtest_ftdi_sio x=1 latency=2\n"
				     "softdep dmtest_snd pre: dmtest_codec\n"
				     "install dmtest_inst /bin/true\n");
	struct modules m;

	is_int(modules_open(&m, root, RELEASE, true), 0, "open a tree with etc/modprobe.d");
	is_int(modules_load(&m, BLOCKED), 0, "blacklisted: nothing loaded");
	is_str(modules_plan(&m), "", "nothing planned");
	is_int(m.blacklisted, 1, "counted as blacklisted");
	is_int(modules_load(&m, FTDI), 2, "ftdi: 2 modules");
	is_str(modules_plan(&m), "insmod dmtest_usbserial\ninsmod dmtest_ftdi_sio x=1 latency=2\n",
	       "options from modprobe.d go with the module");
	is_int(modules_load(&m, "platform:dmtest-snd"), 2, "softdep: the module and its pre: softdep");
	ok(strstr(modules_plan(&m), "insmod dmtest_codec\ninsmod dmtest_snd\n") != NULL, "the pre: softdep first");
	is_int(modules_load(&m, "acpi:DMT0001:00"), 1, "a module with an install command: 1");
	ok(strstr(modules_plan(&m), "install dmtest_inst\n") != NULL, "its install command would run");
	modules_close(&m);
}

/* Loading for real: dmtest_nofile has no file in the tree, so libkmod
 * fails on opening it, before any system call could reach the running
 * kernel (the other modules' files are empty stand-ins: never load them). */
static void missing_file(const char *top)
{
	const char *root = make_root(top, "real", NULL);
	char ko[PATH_MAX + 64];
	struct modules m;

	snprintf(ko, sizeof(ko), "%s/modules/" RELEASE "/kernel/dmtest_nofile.ko", fixture);
	if (access(ko, F_OK) == 0) {
		printf("Bail out! %s exists: it must not, this test would load it\n", ko);
		exit(1);
	}
	is_int(modules_open(&m, root, RELEASE, false), 0, "open a tree to load for real");
	is_int(modules_load(&m, "dmtest:nofile"), 0, "module file missing: 0 loaded, warned, not an error");
	is_int(m.failed, 1, "counted as failed");
	is_int(modules_load(&m, "dmtest:nofile"), 0, "and not retried for the same alias");
	is_int(m.failed, 1, "still 1 failure");
	is_str(modules_plan(&m), "", "no plan outside a dry run");
	modules_close(&m);
}

static void opening(const char *top)
{
	struct modules m;

	is_int(modules_open(&m, top, RELEASE, true), -1, "a root without lib/modules/RELEASE: -1");
	is_int(modules_open(&m, NULL, "0.0.0-devmgr-none", false), 0,
	       "the running system without modules for the release: 0");
	ok(m.ctx == NULL, "and loading is off");
	is_int(modules_load(&m, FTDI), 0, "loading then does nothing");
	modules_close(&m);
}

int main(void)
{
	char top[] = "/tmp/devmgr-modules.XXXXXX";

	if (realpath("tests/data/modules/lib", fixture) == NULL) {
		printf("Bail out! tests/data/modules/lib: %s (run from the top of the source tree)\n", strerror(errno));
		return 1;
	}
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	plain(top);
	configured(top);
	missing_file(top);
	opening(top);
	if (getenv("MODULES_TEST_KEEP") == NULL) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
	} else {
		printf("# kept %s\n", top);
	}
	return done_testing();
}

#else /* !HAVE_KMOD */

int main(void)
{
	struct modules m;

	is_int(modules_open(&m, NULL, RELEASE, true), 0, "without libkmod: open succeeds");
	is_int(modules_load(&m, FTDI), 0, "and loading does nothing");
	is_str(modules_plan(&m), "", "no plan");
	modules_close(&m);
	printf("ok %d # skip resolving aliases: built without libkmod\n", ++tap_n);
	return done_testing();
}

#endif
