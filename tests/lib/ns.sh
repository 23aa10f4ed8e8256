# ns.sh: sourced helpers to run a device manager against a made-up world.
#
#   . tests/lib/ns.sh
#   ns_mketc ETCDIR [RULEFILE]          scratch /etc (passwd, group, ...)
#   ns_run SYSDIR ETCDIR CMD...         CMD with /sys, /etc, /dev replaced
#   ns_devtree SYSDIR ETCDIR OUT CMD... same, then the /dev listing to OUT
#
# Everything happens in a private mount namespace (`unshare -m`, whose
# propagation is private by default), so the host's /sys, /etc and /dev
# are never written: SYSDIR is bound over /sys, ETCDIR over /etc and an
# empty tmpfs is mounted over /dev; all of it vanishes when CMD exits.
# The rest of the root (/bin/sh for rule commands, the binaries, the
# test's work directory) stays the host's, so paths given to CMD and OUT
# must be absolute and outside /sys, /etc, /dev and /run.
#
# Name resolution (checked with Debian's busybox-static 1.35.0-4+deb12u1):
# busybox resolves user and group NAMES from the bind-mounted /etc/passwd
# and /etc/group.  It is built with its own passwd/group reader
# (CONFIG_USE_BB_PWD_GRP: `strings` shows "/etc/passwd", "/etc/group" and
# no getpwnam through NSS for these), so nsswitch.conf does not matter: a
# rule "root:nsgroup 0660" with nsgroup:x:4243 only in the scratch
# /etc/group gave gid 4243, and the same with nsswitch.conf removed.  The
# conformance rule files can therefore use names, as long as they are in
# the scratch passwd/group that ns_mketc writes.  (The spec's note that
# "root:disk gave gid 0" describes an empty container root, not this set-up.)

NS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)

# Extra accounts the rule files rely on, with numbers that no Debian
# system uses, so a test shows a name was really looked up in this file.
# Alpine's mdev.conf groups missing from Debian (kvm, netdev, input) are
# added too: otherwise busybox skips those lines as "unknown user/group".
NS_EXTRA_PASSWD='devuser:x:4242:4242:devmgr test:/nonexistent:/bin/false
devuser2:x:4244:4243:devmgr test:/nonexistent:/bin/false'
NS_EXTRA_GROUP='devgrp:x:4243:
devgrp2:x:4244:
kvm:x:4245:
netdev:x:4246:
input:x:4247:'

# ns_mketc ETCDIR [RULEFILE]: fill ETCDIR with copies of the host's
# passwd, group, nsswitch.conf and alternatives, the test accounts, and
# RULEFILE as mdev.conf (no mdev.conf when RULEFILE is empty).
ns_mketc() {
	local dir=$1 rules=${2:-} name line
	mkdir -p "$dir"
	cp /etc/passwd /etc/group "$dir/"
	[ -e /etc/nsswitch.conf ] && cp /etc/nsswitch.conf "$dir/"
	# Debian reaches awk, editor, etc. through /etc/alternatives: without
	# a copy, /usr/bin/awk dangles once ETCDIR hides the real /etc
	[ -d /etc/alternatives ] && cp -a /etc/alternatives "$dir/"
	# append only what the host lacks: a name given twice in /etc/group
	# resolves to the first entry, which would not be ours
	while IFS= read -r line; do
		name=${line%%:*}
		grep -q "^$name:" "$dir/passwd" || printf '%s\n' "$line" >>"$dir/passwd"
	done <<<"$NS_EXTRA_PASSWD"
	while IFS= read -r line; do
		name=${line%%:*}
		grep -q "^$name:" "$dir/group" || printf '%s\n' "$line" >>"$dir/group"
	done <<<"$NS_EXTRA_GROUP"
	rm -f "$dir/mdev.conf"
	if [ -n "$rules" ]; then
		cp "$rules" "$dir/mdev.conf"
	fi
}

# ns_run SYSDIR ETCDIR CMD...: run CMD (its stdin, stdout and stderr are
# the caller's) with SYSDIR as /sys, ETCDIR as /etc and empty tmpfs as
# /dev and /run (devmgr keeps the udev database in /run/udev), in a
# private network namespace too (a hotplug helper publishes its event
# there, never to the host's listeners).  With NS_RUN_DISK=DIR, /run is an
# overlay whose upper layer is DIR on the disk, as in a Docker container.
# Returns CMD's exit status.
ns_run() {
	local sys=$1 etc=$2
	shift 2
	unshare -m -n -- /bin/sh -c '
		set -e
		sys=$1 etc=$2
		shift 2
		mount --bind "$sys" /sys
		mount --bind "$etc" /etc
		# mode 0755 like devtmpfs; busybox never chmods /dev itself
		mount -t tmpfs -o mode=0755 devmgr-test /dev
		if [ -n "${NS_RUN_DISK:-}" ]; then
			# /run as in a Docker container: an overlay whose upper
			# layer is on the disk (NS_RUN_DISK, emptied first)
			rm -rf "$NS_RUN_DISK" && mkdir -p "$NS_RUN_DISK/lower" "$NS_RUN_DISK/upper" "$NS_RUN_DISK/work"
			mount -t overlay devmgr-test -o "lowerdir=$NS_RUN_DISK/lower,upperdir=$NS_RUN_DISK/upper,workdir=$NS_RUN_DISK/work" /run
		else
			mount -t tmpfs -o mode=0755 devmgr-test /run
		fi
		set +e
		"$@"
	' ns_run "$sys" "$etc" "$@"
}

# ns_devtree SYSDIR ETCDIR OUT CMD...: ns_run, then write the devtree.sh
# listing of the resulting /dev to OUT (outside the namespace).  Returns
# CMD's exit status.
ns_devtree() {
	local sys=$1 etc=$2 out=$3
	shift 3
	ns_run "$sys" "$etc" /bin/sh -c '
		out=$1 tree=$2
		shift 2
		"$@"
		rc=$?
		"$tree" /dev >"$out"
		exit $rc
	' ns_devtree "$out" "$NS_LIB/devtree.sh" "$@"
}
