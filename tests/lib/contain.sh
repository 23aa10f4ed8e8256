#!/bin/bash
# contain.sh CMD...: runs CMD (the test runner) in a cgroup of its own, and
# once it has exited fails the run if any process it started is still
# alive: each is named with its command line, then killed. Every process
# a test forks stays in that cgroup, whatever it does (daemonise, setsid,
# reparent to init); only what a container engine moves into its own
# cgroups leaves it, and the engine tests remove those themselves. What
# the tests create on the host (loop devices, links, iptables chains, nft
# tables, cgroups, mounts, work directories) must be gone too: what is
# there after the run and was not before fails it as well.
#
# Uses the cgroup v1 pids hierarchy, or the v2 one where that is all
# there is. Not root (no cgroup can be made): CMD runs unchecked.

set -u

cg=
for base in /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ -w "$base/cgroup.procs" ] && mkdir "$base/devmgr-tests.$$" 2>/dev/null; then
		cg=$base/devmgr-tests.$$
		break
	fi
done
if [ -z "$cg" ]; then
	echo "# contain.sh: no cgroup could be made (not root?): leftover processes are not checked"
	exec "$@"
fi

# What tests may create on the host and must remove: loop devices,
# network links (bridges, veths), iptables chains, nft tables, top-level
# cgroups, mounts and work directories under /tmp.
snapshot() {
	ls /sys/block | grep '^loop' | sed 's/^/block device: /'
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "network link: " $2 }'
	iptables-save 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/iptables chain: \1/p'
	nft list tables 2>/dev/null | sed 's/^/nft: /'
	find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d 2>/dev/null | sed 's/^/cgroup: /'
	awk '$2 ~ "^/tmp/devmgr-" { print "mount: " $2 }' /proc/mounts
	ls -d /tmp/devmgr-* 2>/dev/null | sed 's/^/work directory: /'
}
before=$(snapshot | sort)

(echo "$BASHPID" >"$cg/cgroup.procs" && exec "$@")
rc=$?

left=$(cat "$cg/cgroup.procs")
if [ -n "$left" ]; then
	echo "FAIL: the tests left $(echo "$left" | wc -l) process(es) running:"
	for p in $left; do
		printf '  pid %s: %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
	for i in 1 2 3 4 5; do
		for p in $(cat "$cg/cgroup.procs"); do kill -KILL "$p" 2>/dev/null; done
		[ -z "$(cat "$cg/cgroup.procs")" ] && break
		sleep 0.2
	done
	rc=1
fi
# The parent's wait returns before the child's last switch out of the
# CPU, and the kernel counts the cgroup populated until then: rmdir may
# see EBUSY for a moment with cgroup.procs already empty.
for i in $(seq 50); do
	rmdir "$cg" 2>/dev/null && break
	sleep 0.1
done
[ -d "$cg" ] && echo "# contain.sh: could not remove $cg: $(cat "$cg/cgroup.procs" | wc -l) process(es) in it"
added=$(comm -13 <(echo "$before") <(snapshot | sort) | grep -v "^cgroup: $cg\$")
if [ -n "$added" ]; then
	echo "FAIL: the tests left this on the host:"
	echo "$added" | sed 's/^/  /'
	rc=1
fi
exit "$rc"
