# tap.sh: sourced by the bash tests in tests/integration: TAP output and
# the scratch directory every test works in.
#
#   tap_workdir NAME    $work = a fresh /tmp/devmgr-NAME.XXXXXX, removed on
#                       exit unless KEEP=1 (then its path is printed)
#   pass/fail DESC      one TAP result; skip DESC
#   is DESC GOT WANT    string comparison, with got/want on failure
#   check DESC CMD...   CMD must succeed
#   diag                stdin as TAP comments
#   node PATH           "type maj:min mode uid gid" of PATH, or "absent"

n=0
diag() { sed 's/^/# /'; }
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }

is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		printf 'got:  %s\nwant: %s\n' "$2" "$3" | diag
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
