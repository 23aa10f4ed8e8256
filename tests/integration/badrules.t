#!/bin/bash
# badrules.t: devmgr reports a broken mdev.conf line as
#   devmgr: FILE:LINE: <message>
# on stderr, skips that line, applies the others, and `-s` still exits 0.
#
#   prove tests/integration/badrules.t        (as root, from the repo root)
#
# devmgr only (busybox does worse, see below).  Each case is a rule file
#
#   1 # a comment            (so LINE is not just a count of rule lines)
#   2
#   3 null root:root 0601
#   4 <broken line about "full">
#   5 zero root:root 0602
#
# run with `devmgr -s` in the namespace of tests/lib/ns.sh (default paths,
# so FILE is /etc/mdev.conf).  Expected: exit 0; a stderr line starting
# "devmgr: /etc/mdev.conf:4:" that holds the case's keyword (the wording
# after that is devmgr's to choose); null 0601 and zero 0602 as the good
# lines say; full as if line 4 were absent (default rule, 0660).
#
# What busybox 1.35 (Debian busybox-static) does with the same lines:
#   bad regex "fu(ll"      "mdev: bad regex 'fu(ll': Unmatched ( or \(",
#                          exits 1 at the first device that reaches the
#                          line: no node at all is made after that
#   unknown user / group   "mdev: unknown user/group 'nosuchuser:root' on
#                          line 4", line skipped, exit 0 (also for the
#                          empty "root:" and ":root")
#   bad mode "0999", "abc" accepted; the mode becomes -1 and every mknod
#   or "66666"             for a matching device fails ("can't create
#                          'full': Invalid argument"): no node, exit 0.
#                          (Symbolic modes like "u+rw" are VALID in
#                          busybox, applied to 0660; not tested here.)
#   bad "@1,x", "@x", "@1" "mdev: bad @maj,min on line 4", skipped, exit 0
#   "$FOO" without "="     "mdev: bad $envvar=regex on line 4", skipped
#   4th field "^bad"       "mdev: bad line 4", skipped, exit 0 (same for a
#                          5th field that is not a command)
#   only 2 fields          "mdev: bad line 4: 2 tokens found, 3 needed"
# Busybox names the line but never the file.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "mount namespaces, mknod, chown"
tap_skip_unless_built "$devmgr"
. "$lib/ns.sh"

tap_workdir badrules
"$lib/gensysfs.sh" "$work/sys" || { echo "Bail out! gensysfs.sh failed"; exit 1; }


# Cases: keyword (an extended regex, case-insensitive) | broken line 4
cases=(
	'regex|fu(ll root:root 0603'
	'regex|full[ root:root 0603'
	'user|full nosuchuser:root 0603'
	'group|full root:nosuchgroup 0603'
	'user|full :root 0603'
	'group|full root: 0603'
	'mode|full root:root 0999'
	'mode|full root:root abc'
	'mode|full root:root 66666'
	'maj|@1,x root:root 0603'
	'maj|@x root:root 0603'
	'maj|@1 root:root 0603'
	'env|var|\$FOO|$FOO root:root 0603'
	'field|char|bad|full root:root 0603 ^bad'
	'field|char|bad|full root:root 0603 =a/ ^x'
	'field|full root:root'
)

echo "1..$((${#cases[@]} + 3))"

# check_rules NAME RULEFILE EXPECT_LINE KEYWORD [devmgr args...]: one test
check_rules() {
	local name=$1 rules=$2 line=$3 key=$4 file=${5:-/etc/mdev.conf}
	shift 5
	local o=$work/out err=$work/err rc why=
	ns_mketc "$work/etc" "$rules"
	ns_devtree "$work/sys" "$work/etc" "$o" \
	    env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin "$devmgr" "$@" 2>"$err"
	rc=$?
	[ $rc = 0 ] || why="$why exit $rc, not 0;"
	grep -F -e "devmgr: $file:$line:" "$err" | grep -Eqi -e "$key" ||
	    why="$why no 'devmgr: $file:$line: ...($key)' on stderr;"
	grep -qx 'null c 0601 0 0 1:3' "$o" || why="$why null is not 0601 (line 3 lost);"
	grep -qx 'zero c 0602 0 0 1:5' "$o" || why="$why zero is not 0602 (line 5 lost);"
	grep -qx 'full c 0660 0 0 1:7' "$o" || why="$why full is not the default 0660 (bad line applied?);"
	n=$((n + 1))
	if [ -z "$why" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$why" | diag
		echo "stderr:" | diag
		diag <"$err"
		grep -E '^(null|zero|full) ' "$o" | diag
	fi
}

for c in "${cases[@]}"; do
	bad=${c##*|}
	key=${c%|*}
	printf '# a comment\n\nnull root:root 0601\n%s\nzero root:root 0602\n' "$bad" \
	    >"$work/rules.conf"
	check_rules "-s, line 4 '$bad': reported and skipped" "$work/rules.conf" 4 "$key" \
	    /etc/mdev.conf -s
done

# All broken lines in one file: every one reported with its own number.
{
	echo 'null root:root 0601'
	for c in "${cases[@]}"; do echo "${c##*|}"; done
	echo 'zero root:root 0602'
} >"$work/all.conf"
ns_mketc "$work/etc" "$work/all.conf"
ns_devtree "$work/sys" "$work/etc" "$work/out" \
    env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin "$devmgr" -s 2>"$work/err"
rc=$?
why=
[ $rc = 0 ] || why="$why exit $rc, not 0;"
for i in "${!cases[@]}"; do
	grep -q "^devmgr: /etc/mdev.conf:$((i + 2)):" "$work/err" ||
	    why="$why line $((i + 2)) (${cases[$i]##*|}) not reported;"
done
n=$((n + 1))
if [ -z "$why" ]; then
	echo "ok $n - -s, ${#cases[@]} broken lines in one file: each reported with its line"
else
	echo "not ok $n - -s, ${#cases[@]} broken lines in one file: each reported with its line"
	echo "$why" | diag
	diag <"$work/err"
fi

# --rules FILE: the message names that file, not /etc/mdev.conf.
printf '# a comment\n\nnull root:root 0601\nfull nosuchuser:root 0603\nzero root:root 0602\n' \
    >"$work/named.conf"
check_rules "--rules FILE: the message names FILE" "" 4 user \
    "$work/named.conf" -s --rules "$work/named.conf"

# Hotplug helper: same report, and the device's node is still made.
ns_mketc "$work/etc" "$work/named.conf"
ns_devtree "$work/sys" "$work/etc" "$work/out" \
    env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin ACTION=add \
    DEVPATH=/devices/virtual/mem/full SUBSYSTEM=mem MAJOR=1 MINOR=7 \
    DEVNAME=full SEQNUM=1 "$devmgr" 2>"$work/err"
rc=$?
why=
[ $rc = 0 ] || why="$why exit $rc, not 0;"
grep -F 'devmgr: /etc/mdev.conf:4:' "$work/err" | grep -qi user ||
    why="$why no 'devmgr: /etc/mdev.conf:4: ...user' on stderr;"
grep -qx 'full c 0660 0 0 1:7' "$work/out" || why="$why full is not the default 0660;"
n=$((n + 1))
if [ -z "$why" ]; then
	echo "ok $n - hotplug add: reported, node made by the default rule"
else
	echo "not ok $n - hotplug add: reported, node made by the default rule"
	echo "$why" | diag
	diag <"$work/err"
	diag <"$work/out"
fi
