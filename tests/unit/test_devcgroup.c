/* The device cgroup as host mode reads it: which devices.list lines give
 * a device and with what access, what is missing, and the devices line of
 * a /proc/PID/cgroup file. */
#include "tap.h"
#include "devcgroup.h"
#include "policy.h"

#include <stdio.h>
#include <string.h>

static unsigned covers(const char *line, char type, int major, int minor)
{
	unsigned a = 0;

	return devcg_line_covers(line, type, major, minor, &a) ? a : 99;
}

int main(void)
{
	is_int((int)covers("b 7:5 rw", 'b', 7, 5), POLICY_READ | POLICY_WRITE, "exact numbers");
	is_int((int)covers("b 7:5 rw", 'b', 7, 6), 99, "another minor: no");
	is_int((int)covers("b 7:5 rw", 'c', 7, 5), 99, "another type: no");
	is_int((int)covers("b 7:* r", 'b', 7, 123), POLICY_READ, "any minor");
	is_int((int)covers("a *:* rwm", 'c', 189, 3), POLICY_READ | POLICY_WRITE | POLICY_MKNOD,
	       "a *:* rwm: everything");
	is_int((int)covers("c *:* m", 'c', 189, 3), POLICY_MKNOD, "c *:* m: mknod only");
	is_int((int)covers("garbage", 'c', 1, 3), 99, "a line that is none: no");

	char text[] = "12:pids:/x\n11:cpu,cpuacct:/x\n4:devices:/docker/abc\n0::/x\n";
	const char *p = devcg_v1_path(text);
	is_str(p ? p : "(null)", "/docker/abc", "the devices line of /proc/PID/cgroup");
	char text2[] = "5:net_cls,devices,freezer:/lxc/c1\n";
	p = devcg_v1_path(text2);
	is_str(p ? p : "(null)", "/lxc/c1", "devices among several controllers");
	char text3[] = "0::/user.slice\n";
	ok(devcg_v1_path(text3) == NULL, "cgroup v2 only: none");
	char text4[] = "4:devices:/docker/abc\n0::/system.slice/docker-abc.scope\n";
	p = devcg_v2_path(text4);
	is_str(p ? p : "(null)", "/system.slice/docker-abc.scope", "the v2 line, on a hybrid host");
	char text5[] = "4:devices:/x\n";
	ok(devcg_v2_path(text5) == NULL, "no 0:: line: no v2 cgroup");
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
