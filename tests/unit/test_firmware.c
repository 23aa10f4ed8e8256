/* The firmware fallback against a fake sysfs: the loading/data protocol
 * (1, the bytes, 0; -1 when the image is missing), images larger than the
 * copy buffer, names and device paths that try to leave their directory,
 * a "loading" attribute that appears late, and the component walk used
 * where openat2 is missing (forced with a seccomp filter in a child). */
#define _GNU_SOURCE
#include "tap.h"
#include "firmware.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEVDIR "/devices/pci0000:00/0000:00:14.3/firmware"

struct image {
	const char *name;	/* below the firmware directory */
	size_t len;
	unsigned char *bytes;
};

struct fixture {
	char root[64];
	char sys[128];
	int sys_fd, fw_fd;
	struct image small, big, sub, empty;
};

static void fill(struct image *im, const char *name, size_t len, unsigned seed)
{
	im->name = name;
	im->len = len;
	im->bytes = xmalloc(len);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		im->bytes[i] = (unsigned char)(seed >> 16);
	}
}

static int put(int dirfd, const char *name, const void *bytes, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = fd >= 0 && write(fd, bytes, len) == (ssize_t)len ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

static int mkdirs(const char *root, const char *rel)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	return system(cmd);
}

/* ROOT/fw with the images, ROOT/outside with what must never be read,
 * ROOT/sys with the device the requests hang below. */
static int setup(struct fixture *fx)
{
	char path[256];
	int rootfd, ok_ = 0;

	snprintf(fx->root, sizeof(fx->root), "/tmp/devmgr-firmware.XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->sys, sizeof(fx->sys), "%s/sys", fx->root);
	fill(&fx->small, "small.bin", 5000, 1);
	fill(&fx->big, "big.bin", 200 * 1024 + 123, 2);	/* > 3 copy chunks */
	fill(&fx->sub, "intel/ibt-11-5.sfi", 3000, 3);
	fill(&fx->empty, "empty.bin", 0, 4);
	ok_ |= mkdirs(fx->root, "sys" DEVDIR);
	ok_ |= mkdirs(fx->root, "fw/intel");
	ok_ |= mkdirs(fx->root, "fw/a");
	ok_ |= mkdirs(fx->root, "outside");
	ok_ |= mkdirs(fx->root, "etc");
	rootfd = open(fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok_ |= put(rootfd, "fw/small.bin", fx->small.bytes, fx->small.len);
	ok_ |= put(rootfd, "fw/big.bin", fx->big.bytes, fx->big.len);
	ok_ |= put(rootfd, "fw/intel/ibt-11-5.sfi", fx->sub.bytes, fx->sub.len);
	ok_ |= put(rootfd, "fw/empty.bin", "", 0);
	ok_ |= put(rootfd, "outside/secret", "secret", 6);
	ok_ |= put(rootfd, "etc/passwd", "root:x:0:0", 10);
	ok_ |= put(rootfd, "x", "x", 1);
	ok_ |= symlinkat("../outside/secret", rootfd, "fw/escape");
	snprintf(path, sizeof(path), "%s/outside/secret", fx->root);
	ok_ |= symlinkat(path, rootfd, "fw/absescape");
	ok_ |= symlinkat("../outside", rootfd, "fw/dirlink");
	ok_ |= symlinkat("../small.bin", rootfd, "fw/intel/link.bin");	/* stays inside */
	ok_ |= symlinkat("pci0000:00", rootfd, "sys/devices/link");
	ok_ |= mkfifoat(rootfd, "fw/fifo", 0644);
	close(rootfd);
	fx->sys_fd = open(fx->sys, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/fw", fx->root);
	fx->fw_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return ok_ || fx->sys_fd < 0 || fx->fw_fd < 0 ? -1 : 0;
}

/* A request as the kernel makes it: DEVDIR/REQ/{loading,data}, empty.
 * LOADING 0 leaves "loading" out; DATA_FIFO makes data a FIFO. */
static const char *request(const struct fixture *fx, const char *req, int loading,
			   int data_fifo, char *devpath, size_t size)
{
	char dir[512];
	int dfd, rc;

	snprintf(devpath, size, DEVDIR "/%s", req);
	snprintf(dir, sizeof(dir), "%s%s", fx->sys, devpath);
	if (mkdir(dir, 0755) < 0)
		return NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = data_fifo ? mkfifoat(dfd, "data", 0644) : put(dfd, "data", "", 0);
	if (loading && rc == 0)
		rc = put(dfd, "loading", "", 0);
	close(dfd);
	return rc == 0 ? devpath : NULL;
}

/* DEVPATH/ATTR of the fake sysfs, whole; NULL when absent. */
static char *attr(const struct fixture *fx, const char *devpath, const char *name, size_t *len)
{
	char path[512];
	char *text;
	size_t n;

	snprintf(path, sizeof(path), "%s%s/%s", fx->sys, devpath, name);
	if (read_file(path, &text, &n) < 0)
		return NULL;
	if (len)
		*len = n;
	return text;
}

/* Serves NAME for a new request REQ and compares the outcome: the return
 * value, the final "loading", and data holding exactly WANT (or nothing). */
static int serve(const struct fixture *fx, const char *req, const char *name, int want_rc,
		 const struct image *want)
{
	char devpath[256];
	char *loading, *data;
	size_t len = 0;
	int rc, good;

	if (request(fx, req, 1, 0, devpath, sizeof(devpath)) == NULL) {
		printf("#   cannot make request %s\n", req);
		return 0;
	}
	rc = firmware_load(fx->sys_fd, devpath, fx->fw_fd, name);
	loading = attr(fx, devpath, "loading", NULL);
	data = attr(fx, devpath, "data", &len);
	good = rc == want_rc && loading && data &&
	       strcmp(loading, want_rc == 0 ? "0" : "-1") == 0 &&
	       (want ? len == want->len && memcmp(data, want->bytes, len) == 0 : len == 0);
	if (!good)
		printf("#   %s: rc %d, loading '%s', %zu bytes of data\n", name ? name : "(null)",
		       rc, loading ? loading : "(absent)", len);
	free(loading);
	free(data);
	return good;
}

/* With "data" a FIFO, a reader sees the bytes as they are written: at
 * the first of them, "loading" must already hold 1. */
static int reader(const struct fixture *fx, const char *devpath, const struct image *want)
{
	char path[512];
	unsigned char *got = xmalloc(want->len + 1);
	size_t n = 0;
	char *loading = NULL;
	int fd;

	alarm(10);	/* a writer that never comes must not hang the suite */
	snprintf(path, sizeof(path), "%s%s/data", fx->sys, devpath);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 3;
	for (;;) {
		ssize_t r = read(fd, got + n, want->len + 1 - n);

		if (r <= 0)
			break;
		if (loading == NULL)
			loading = attr(fx, devpath, "loading", NULL);
		n += (size_t)r;
		if (n > want->len)
			break;
	}
	if (loading == NULL || strcmp(loading, "1") != 0)
		return 1;
	return n == want->len && memcmp(got, want->bytes, n) == 0 ? 0 : 2;
}

static void sequence(const struct fixture *fx)
{
	char devpath[256];
	int status = -1, rc;
	pid_t pid;

	if (request(fx, "big-fifo", 1, 1, devpath, sizeof(devpath)) == NULL) {
		ok(0, "(request with data as a FIFO)");
		return;
	}
	pid = fork();
	if (pid == 0)
		_exit(reader(fx, devpath, &fx->big));
	rc = firmware_load(fx->sys_fd, devpath, fx->fw_fd, fx->big.name);
	waitpid(pid, &status, 0);
	is_int(rc, 0, "data as a FIFO: loaded");
	ok(WIFEXITED(status) && WEXITSTATUS(status) != 1, "loading was 1 while data was written");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the reader got all %zu bytes, in order (status %d)", fx->big.len, status);
	char *loading = attr(fx, devpath, "loading", NULL);
	is_str(loading, "0", "then loading 0");
	free(loading);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "loading" created by another process 50 ms after the request. */
static void late_loading(const struct fixture *fx)
{
	char devpath[256], path[512];
	const struct timespec delay = { 0, 50 * 1000 * 1000 };
	int status = -1, rc;
	pid_t pid;

	if (request(fx, "late", 0, 0, devpath, sizeof(devpath)) == NULL) {
		ok(0, "(request without loading)");
		return;
	}
	snprintf(path, sizeof(path), "%s%s/loading", fx->sys, devpath);
	pid = fork();
	if (pid == 0) {
		nanosleep(&delay, NULL);
		_exit(put(AT_FDCWD, path, "", 0) == 0 ? 0 : 1);
	}
	rc = firmware_load(fx->sys_fd, devpath, fx->fw_fd, fx->small.name);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "(loading created after 50 ms)");
	is_int(rc, 0, "loading appearing late: still loaded");
	char *loading = attr(fx, devpath, "loading", NULL);
	is_str(loading, "0", "late loading ends as 0");
	free(loading);

	double t0 = now();
	if (request(fx, "never", 0, 0, devpath, sizeof(devpath)) == NULL)
		return;
	rc = firmware_load(fx->sys_fd, devpath, fx->fw_fd, fx->small.name);
	double waited = now() - t0;
	is_int(rc, -1, "loading never appearing: not loaded");
	ok(waited > 0.9 && waited < 3.0, "gave up after about 1 s (%.2f s)", waited);
}

/* Pre-5.6 kernels and valgrind lack it; the module then walks. */
static int have_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void protocol(const struct fixture *fx)
{
	ok(serve(fx, "small.bin", fx->small.name, 0, &fx->small),
	   "small image: 0, loading 0, data exactly the %zu bytes", fx->small.len);
	ok(serve(fx, "big.bin", fx->big.name, 0, &fx->big),
	   "image larger than the copy buffer: all %zu bytes", fx->big.len);
	ok(serve(fx, "intel!ibt-11-5.sfi", fx->sub.name, 0, &fx->sub),
	   "name with a subdirectory: loaded");
	if (have_openat2())
		ok(serve(fx, "intel!link.bin", "intel/link.bin", 0, &fx->small),
		   "a symlink that stays inside the firmware directory: followed (openat2)");
	else
		ok(serve(fx, "intel!link.bin", "intel/link.bin", -1, NULL),
		   "a symlink that stays inside: refused (no openat2 here: the walk is stricter)");
	ok(serve(fx, "missing.bin", "missing.bin", -1, NULL), "missing image: -1, loading -1, no data");
	ok(serve(fx, "empty.bin", fx->empty.name, -1, NULL), "empty image: -1 (as mdev), loading -1");
	ok(serve(fx, "fifo", "fifo", -1, NULL), "a FIFO as the image: refused without hanging");
	ok(serve(fx, "intel", "intel", -1, NULL), "a directory as the image: refused");
	ok(serve(fx, "null", NULL, -1, NULL), "no FIRMWARE name: -1 to loading");
	ok(serve(fx, "blank", "", -1, NULL), "an empty name: -1 to loading");
}

static void escapes(const struct fixture *fx)
{
	ok(serve(fx, "dotdot", "../etc/passwd", -1, NULL), "../etc/passwd: refused, nothing read");
	ok(serve(fx, "abs", "/etc/passwd", -1, NULL), "/etc/passwd: refused, nothing read");
	ok(serve(fx, "inner-dotdot", "a/../../x", -1, NULL), "a/../../x: refused, nothing read");
	ok(serve(fx, "harmless-dotdot", "a/../small.bin", -1, NULL),
	   "a/../small.bin: refused too (any '..')");
	ok(serve(fx, "escape", "escape", -1, NULL), "a symlink to a file outside: refused");
	ok(serve(fx, "absescape", "absescape", -1, NULL),
	   "an absolute symlink to a file outside: refused");
	ok(serve(fx, "dirlink", "dirlink/secret", -1, NULL),
	   "through a symlinked directory leading outside: refused");
}

/* Device paths are not written through unless they stay in sysfs, with
 * no symlink: a refused request's attributes are left untouched. */
static void devpaths(const struct fixture *fx)
{
	char devpath[256], bad[300];
	char *loading;

	request(fx, "target", 1, 0, devpath, sizeof(devpath));
	snprintf(bad, sizeof(bad), "/devices/pci0000:00/../pci0000:00/0000:00:14.3/firmware/target");
	is_int(firmware_load(fx->sys_fd, bad, fx->fw_fd, fx->small.name), -1,
	       "DEVPATH with '..': refused");
	snprintf(bad, sizeof(bad), "/devices/link/0000:00:14.3/firmware/target");
	is_int(firmware_load(fx->sys_fd, bad, fx->fw_fd, fx->small.name), -1,
	       "DEVPATH through a symlink: refused");
	is_int(firmware_load(fx->sys_fd, devpath + 1, fx->fw_fd, fx->small.name), -1,
	       "DEVPATH without its leading '/': refused");
	is_int(firmware_load(fx->sys_fd, "/", fx->fw_fd, fx->small.name), -1, "DEVPATH '/': refused");
	is_int(firmware_load(fx->sys_fd, DEVDIR "/gone", fx->fw_fd, fx->small.name), -1,
	       "a request that is gone: -1");
	loading = attr(fx, devpath, "loading", NULL);
	is_str(loading, "", "nothing written to the request they pointed at");
	free(loading);
}

/* openat2 answers ERR in this process from now on, as on a pre-5.6
 * kernel (ENOSYS) or under an old container seccomp profile (EPERM). */
static int deny_openat2(int err)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	struct open_how how = { .flags = O_RDONLY };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	errno = 0;
	return syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how)) < 0 && errno == err ? 0 : -1;
}

/* The walk, in a child with openat2 denied: bit I of the exit status
 * set when case I (of 7) failed; 128 when openat2 could not be denied. */
static int walk_cases(const struct fixture *fx, int err, const char *tag)
{
	char req[64];
	int fails = 0, i = 0;

	if (deny_openat2(err) < 0)
		return 128;
#define CASE(name, rc, want) do { \
	snprintf(req, sizeof(req), "%s-%d", tag, i); \
	if (!serve(fx, req, name, rc, want)) fails |= 1 << i; \
	i++; \
} while (0)
	CASE(fx->small.name, 0, &fx->small);
	CASE(fx->sub.name, 0, &fx->sub);
	CASE("escape", -1, NULL);
	CASE("absescape", -1, NULL);
	CASE("dirlink/secret", -1, NULL);
	CASE("intel/link.bin", -1, NULL);
	CASE("missing.bin", -1, NULL);
#undef CASE
	return fails;
}

static void walk(const struct fixture *fx, int err, const char *tag)
{
	static const char *const what[] = {
		"small image loaded", "image in a subdirectory loaded",
		"symlink to a file outside refused", "absolute symlink refused",
		"symlinked directory refused",
		"symlink staying inside refused too (the walk is stricter)", "missing image: -1",
	};
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(walk_cases(fx, err, tag));
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 128) {
		printf("ok %d # skip openat2 cannot be denied here (no seccomp)\n", ++tap_n);
		return;
	}
	for (int i = 0; i < 7; i++)
		ok(WIFEXITED(status) && !(WEXITSTATUS(status) & (1 << i)),
		   "without openat2 (%s): %s", tag, what[i]);
}

int main(void)
{
	struct fixture fx;
	char cmd[128];

	if (setup(&fx) < 0) {
		printf("Bail out! cannot build the fake sysfs and firmware trees\n");
		return 1;
	}
	int fd_before = dup(0);

	close(fd_before);
	protocol(&fx);
	escapes(&fx);
	devpaths(&fx);
	sequence(&fx);
	late_loading(&fx);
	int fd_after = dup(0);

	close(fd_after);
	is_int(fd_after, fd_before, "no descriptor left open");
	walk(&fx, ENOSYS, "ENOSYS");
	walk(&fx, EPERM, "EPERM");

	close(fx.sys_fd);
	close(fx.fw_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.root);
	if (system(cmd) != 0)
		return 1;
	free(fx.small.bytes);
	free(fx.big.bytes);
	free(fx.sub.bytes);
	free(fx.empty.bytes);
	return done_testing();
}
