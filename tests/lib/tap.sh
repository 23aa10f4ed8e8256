# tap.sh: sourced by the bash tests in tests/integration: TAP output and
# the scratch directory every test works in.
#
#   tap_workdir NAME    $work = a fresh /tmp/devmgr-NAME.XXXXXX, removed on
#                       exit unless KEEP=1 (then its path is printed)
#   pass/fail DESC      one TAP result; skip DESC
#   is DESC GOT WANT    string comparison, with got/want on failure
#   check DESC CMD...   CMD must succeed
#   wait_for SECONDS CMD...  CMD until it succeeds, every 20 ms, at most
#                       SECONDS; the status of its last try
#   diag                stdin as TAP comments
#   node PATH           "type maj:min mode uid gid" of PATH, or "absent"
#   tap_small_etc       $etc = $work/etc with passwd (root) and group (root,
#                       tty, disk) only; $empty = an empty file, for --config
#   tap_skip_unless_root WHY      plan "1..0 # SKIP" and exit when not root
#   tap_skip_unless_built FILE    fail the test when FILE is not an executable
#
# Sourced as `. tests/lib/tap.sh` from the repository root, which is where
# the tests must run; a failed source is the skip for running elsewhere.

# Where things are, for every test: $top the repository, $lib these
# helpers, $tools the built test programs, $devmgr the binary under test
# (DEVMGR, else ./devmgr) and $exe its resolved path (what
# /proc/PID/exe says), $kpath the PATH commands get. A test that sets
# one before sourcing keeps its own.
top=${top:-$(pwd)}
lib=${lib:-$top/tests/lib}
tools=${tools:-$top/build/tools}
devmgr=${devmgr:-${DEVMGR:-$top/devmgr}}
case $devmgr in /*) ;; *) devmgr=$top/$devmgr ;; esac
exe=${exe:-$(readlink -f "$devmgr")}
kpath=${kpath:-/sbin:/bin:/usr/sbin:/usr/bin}

n=0
diag() { sed 's/^/# /'; }
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }

wait_for() {
	local tries=$(($1 * 50))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.02
	done
}

is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		printf 'got:  %s\nwant: %s\n' "$2" "$3" | diag
	fi
}

# like DESC STRING REGEX: STRING matches the extended regular expression.
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1"
		printf 'got:  %s\nwant: /%s/\n' "$2" "$3" | diag
	fi
}

check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

node() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		stat -c '%F %Hr:%Lr %a %u %g' -- "$1"
	else
		echo absent
	fi
}

tap_cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo "# work directory kept: $work"
	else
		rm -rf "$work"
	fi
}

tap_workdir() {
	work=$(mktemp -d "/tmp/devmgr-$1.XXXXXX")
	trap tap_cleanup EXIT
	trap "exit 130" INT TERM HUP
}

tap_skip_unless_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root ($1)"
		exit 0
	fi
}

tap_skip_unless_built() {
	if [ ! -x "$1" ]; then
		echo "1..1"; echo "not ok 1 - cannot run: $1 not built (run make)"
		exit 1
	fi
}

tap_small_etc() {
	etc=$work/etc
	mkdir "$etc"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$etc/passwd"
	printf 'root:x:0:\ntty:x:5:\ndisk:x:6:\n' >"$etc/group"
	empty=$work/empty.conf
	: >"$empty"
}
