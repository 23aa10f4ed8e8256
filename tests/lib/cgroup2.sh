# cgroup2.sh: sourced helpers for tests that need a cgroup v2 device
# program (BPF_PROG_TYPE_CGROUP_DEVICE), the way runc and crun restrict a
# container's devices on a cgroup v2 host.
#
#   cg2_mount DIR [BPFDIR [WORKDIR]]  mount cgroup2 at DIR and a private bpffs
#                                     at BPFDIR (default DIR/../bpf); files go
#                                     to a fresh directory in WORKDIR (default
#                                     $work, else a mktemp dir in /tmp)
#   cg2_make NAME                     new cgroup DIR/devmgr-test-cg2-NAME.XXXXXX;
#                                     prints its path
#   cg2_allow CGROUP RULE...          the cgroup's device program becomes one
#                                     that allows exactly RULE... (e.g.
#                                     'c 1:3 rw' 'b 7:* rw' 'a *:* m'); a
#                                     second call replaces the first program
#   cg2_prog_ids CGROUP               ids of the device programs attached to it
#   cg2_enter CGROUP PID              move process PID into CGROUP
#   cg2_run CGROUP CMD...             CMD run inside CGROUP
#   cg2_cleanup                       detach, move processes back, rmdir,
#                                     unmount; idempotent, for an EXIT trap
#
# Every function prints what went wrong to stderr and returns non-zero
# when a step fails; none skips anything quietly (a missing clang or
# bpftool is an error).  Safe under set -u; needs bash and root.
#
# Namespaces.  The caller must already be in a mount namespace of its own
# (`unshare -m`, whose default propagation is private): the two mounts
# then exist only in there, and every pin on the bpffs vanishes with it
# (nothing is pinned on the host's /sys/fs/bpf).  cg2_mount checks this
# (see _cg2_private_ns) and refuses otherwise.  The cgroup2 hierarchy
# itself is global, not per namespace: the cgroups made here are real
# cgroups of the machine (also visible in e.g. /sys/fs/cgroup/unified),
# which is why cg2_cleanup removes them.  A process killed with SIGKILL
# before its cleanup leaves them behind; find them by their name
# (devmgr-test-cg2-*), move out any process, and rmdir them.
#
# Programs.  cg2_allow writes the program in C (like the ones runc and
# crun generate: allow when some rule matches the device's type, major
# and minor and grants every requested access; deny by default), compiles
# it with `clang -O2 -target bpf`, loads it with `bpftool prog load`
# pinned in the private bpffs, and attaches it with `bpftool cgroup
# attach CGROUP cgroup_device pinned PIN` without flags.  A cgroup whose
# program was attached without BPF_F_ALLOW_MULTI has a single slot, and
# attaching again atomically REPLACES the program in it (kernel/bpf/
# cgroup.c, find_attach_entry's single-attach case): no moment without a
# program, no stacking.  cg2_allow checks that afterwards exactly the new
# program is attached, then unpins the old one, which the kernel then
# frees.  What the program sees (linux/bpf.h, struct bpf_cgroup_dev_ctx):
# access_type = BPF_DEVCG_ACC_{MKNOD,READ,WRITE} << 16 | BPF_DEVCG_DEV_
# {BLOCK,CHAR}, major, minor; it returns 1 to allow, 0 to deny (EPERM).
#
# The kernel asks every program attached to the task's cgroup v2 cgroup
# and its ancestors (the effective programs) BEFORE the cgroup v1 devices
# controller (security/device_cgroup.c, devcgroup_check_permission), so a
# program here applies also while a v1 devices hierarchy is mounted; the
# v1 devices.list knows nothing of it.
#
# State lives in the shell that called cg2_mount (CG2_* variables) and in
# files in CG2_STATE, so that cg2_make works in $(...).

CG2_ROOT=${CG2_ROOT:-}		# the cgroup2 mount point
CG2_BPF=${CG2_BPF:-}		# the private bpffs mount point
CG2_STATE=${CG2_STATE:-}	# generated files and the lists below
CG2_HOME=${CG2_HOME:-}		# our own cgroup (relative), where processes go back
CG2_TMPSTATE=${CG2_TMPSTATE:-}	# 1 when CG2_STATE is a mktemp dir to remove
CG2_PREFIX=devmgr-test-cg2-	# every cgroup made here is named so
CG2_PROG_NAME=devmgr_cg2_dev	# the programs' name (bpftool prog show)

_cg2_err() { echo "cgroup2.sh: $*" >&2; }

_cg2_ready() {
	if [ -z "$CG2_ROOT" ] || [ -z "$CG2_STATE" ]; then
		_cg2_err "${FUNCNAME[1]}: no cgroup2 mounted (call cg2_mount first, in this shell)"
		return 1
	fi
}

# _cg2_private_ns: refuse to mount anything in a mount namespace that is
# not our own.  Three checks, any of which refuses:
#  - CG2_OUTER_MNTNS (set it to `readlink /proc/self/ns/mnt` before
#    running unshare) names the mount namespace we must NOT be in;
#  - in the initial pid namespace (whose inode number is fixed,
#    PROC_PID_INIT_INO 0xEFFFFFFC), PID 1 is the host's init: sharing its
#    mount namespace means no `unshare -m` was done.  (Inside `unshare -p
#    --mount-proc` PID 1 is in our own namespace and this says nothing.)
#  - after each mount, _cg2_check_mount refuses a mount that is shared
#    (propagation to peers, `unshare --propagation unchanged`/`shared`).
_cg2_private_ns() {
	local me
	me=$(readlink /proc/self/ns/mnt) || { _cg2_err "cannot read /proc/self/ns/mnt"; return 1; }
	if [ -n "${CG2_OUTER_MNTNS:-}" ] && [ "$me" = "$CG2_OUTER_MNTNS" ]; then
		_cg2_err "still in the outer mount namespace $me: run under unshare -m"
		return 1
	fi
	if [ "$(readlink /proc/self/ns/pid)" = "pid:[4026531836]" ] &&
	    [ "$me" = "$(readlink /proc/1/ns/mnt 2>/dev/null)" ]; then
		_cg2_err "in the host's mount namespace ($me, that of PID 1): run under unshare -m"
		return 1
	fi
}

# _cg2_check_mount DIR FSTYPE: DIR is a mount point of FSTYPE whose
# propagation is not shared (it cannot appear in another namespace)
_cg2_check_mount() {
	local line
	line=$(awk -v d="$1" '$5 == d' /proc/self/mountinfo | tail -n 1)
	case $line in
	"") _cg2_err "$1 is not a mount point after mounting it"; return 1 ;;
	*" - $2 "*) ;;
	*) _cg2_err "$1 is not a $2 mount: $line"; return 1 ;;
	esac
	case " ${line%% - *} " in
	*" shared:"*)
		_cg2_err "$1 was mounted with shared propagation (it reaches other namespaces): use unshare -m with private propagation"
		return 1 ;;
	esac
}

# cg2_mount DIR [BPFDIR [WORKDIR]]
cg2_mount() {
	local dir=${1:-} bpf=${2:-} wd=${3:-${work:-}} d
	if [ -z "$dir" ]; then
		_cg2_err "usage: cg2_mount DIR [BPFDIR [WORKDIR]]"
		return 2
	fi
	if [ -n "$CG2_ROOT" ]; then
		_cg2_err "cg2_mount: already mounted at $CG2_ROOT (cg2_cleanup first)"
		return 1
	fi
	[ -n "$bpf" ] || bpf=$(dirname -- "$dir")/bpf
	_cg2_private_ns || return 1
	for d in "$dir" "$bpf" ${wd:+"$wd"}; do
		case $d in
		/*) ;;
		*) _cg2_err "cg2_mount: $d: give an absolute path"; return 1 ;;
		esac
		case $d in
		*[[:space:]\\]*) _cg2_err "cg2_mount: '$d': no white space or backslash, please"; return 1 ;;
		esac
	done
	if [ -n "$wd" ]; then
		CG2_STATE=$(mktemp -d "$wd/cg2.XXXXXX") || { _cg2_err "cg2_mount: cannot make a directory in $wd"; return 1; }
		CG2_TMPSTATE=
	else
		CG2_STATE=$(mktemp -d /tmp/devmgr-cg2.XXXXXX) || { _cg2_err "cg2_mount: mktemp failed"; return 1; }
		CG2_TMPSTATE=1
	fi
	: >"$CG2_STATE/cgroups"		# cgroups made, one a line
	: >"$CG2_STATE/pins"		# CGROUP<TAB>PIN<TAB>ID of the attached program
	: >"$CG2_STATE/ids"		# every program id loaded
	: >"$CG2_STATE/mounts"		# mount points, in mount order
	: >"$CG2_STATE/dirs"		# directories made for them
	for d in "$dir" "$bpf"; do
		_cg2_mkdirs "$d" || { _cg2_err "cg2_mount: cannot make $d"; _cg2_drop_state; return 1; }
	done
	# the cgroup we are in now: cg2_cleanup moves processes back there
	CG2_HOME=$(sed -n 's/^0:://p' /proc/self/cgroup)
	if ! mount -t cgroup2 devmgr-test-cg2 "$dir"; then
		_cg2_err "cg2_mount: mount -t cgroup2 at $dir failed"
		_cg2_drop_state
		return 1
	fi
	echo "$dir" >>"$CG2_STATE/mounts"
	CG2_ROOT=$dir
	if ! _cg2_check_mount "$dir" cgroup2; then
		cg2_cleanup
		return 1
	fi
	if ! mount -t bpf -o mode=0700 devmgr-test-bpf "$bpf"; then
		_cg2_err "cg2_mount: mount -t bpf at $bpf failed"
		cg2_cleanup
		return 1
	fi
	echo "$bpf" >>"$CG2_STATE/mounts"
	CG2_BPF=$bpf
	if ! _cg2_check_mount "$bpf" bpf; then
		cg2_cleanup
		return 1
	fi
	if [ ! -w "$dir/cgroup.procs" ]; then
		_cg2_err "cg2_mount: $dir/cgroup.procs is not writable"
		cg2_cleanup
		return 1
	fi
}

# _cg2_mkdirs DIR: mkdir -p, each directory made recorded for cleanup
_cg2_mkdirs() {
	[ -d "$1" ] && return 0
	_cg2_mkdirs "$(dirname -- "$1")" || return 1
	mkdir -- "$1" || return 1
	echo "$1" >>"$CG2_STATE/dirs"
}

# a failed cg2_mount before anything was mounted
_cg2_drop_state() {
	local d
	if [ -s "$CG2_STATE/dirs" ]; then
		while read -r d; do rmdir -- "$d" 2>/dev/null; done < <(tac "$CG2_STATE/dirs")
	fi
	rm -rf -- "$CG2_STATE"
	CG2_STATE='' CG2_ROOT='' CG2_BPF='' CG2_HOME='' CG2_TMPSTATE=''
}

# cg2_make NAME: prints the path of a new cgroup under the cgroup2 root
cg2_make() {
	local name=${1:-} path
	_cg2_ready || return 1
	if ! [[ $name =~ ^[A-Za-z0-9_-]+$ ]]; then
		_cg2_err "cg2_make: NAME '$name' must be letters, digits, _ or -"
		return 2
	fi
	# mktemp: unique even when $$ is the same in every pid namespace
	path=$(mktemp -d "$CG2_ROOT/$CG2_PREFIX$name.XXXXXX") || {
		_cg2_err "cg2_make: cannot make a cgroup in $CG2_ROOT"
		return 1
	}
	echo "$path" >>"$CG2_STATE/cgroups"
	if [ ! -e "$path/cgroup.procs" ]; then
		_cg2_err "cg2_make: $path has no cgroup.procs: not a cgroup2 directory"
		return 1
	fi
	echo "$path"
}

# _cg2_owned CGROUP: a cgroup made by cg2_make (or below one)
_cg2_owned() {
	local c
	while read -r c; do
		case $1 in
		"$c" | "$c"/*) [ -d "$1" ] && return 0 ;;
		esac
	done <"$CG2_STATE/cgroups"
	_cg2_err "${FUNCNAME[1]}: $1 is not a cgroup made by cg2_make"
	return 1
}

# cg2_prog_ids CGROUP: ids of the cgroup_device programs attached to
# CGROUP itself (not inherited ones), one a line
cg2_prog_ids() {
	local out
	out=$(bpftool cgroup show "$1" 2>&1) || {
		_cg2_err "cg2_prog_ids: bpftool cgroup show $1 failed: $out"
		return 1
	}
	# "ID  AttachType  AttachFlags  Name" then one line per program
	awk '$2 == "cgroup_device" { print $1 }' <<<"$out"
}

# _cg2_rule2c RULE: the C condition for one rule, or an error
_cg2_rule2c() {
	local re='^([abc])[[:space:]]+(\*|[0-9]+):(\*|[0-9]+)[[:space:]]+([rwm]+)$'
	local t maj min acc n cond=() bits=()
	if ! [[ $1 =~ $re ]]; then
		_cg2_err "cg2_allow: bad rule '$1' (want TYPE MAJOR:MINOR ACCESS: type a, b or c; a number or *; letters of rwm)"
		return 1
	fi
	t=${BASH_REMATCH[1]} maj=${BASH_REMATCH[2]} min=${BASH_REMATCH[3]} acc=${BASH_REMATCH[4]}
	case $t in
	c) cond+=("type == BPF_DEVCG_DEV_CHAR") ;;
	b) cond+=("type == BPF_DEVCG_DEV_BLOCK") ;;
	esac
	for n in "$maj" "$min"; do
		if [ "$n" != "*" ] && { [ ${#n} -gt 10 ] || [ "$((10#$n))" -gt 4294967295 ]; }; then
			_cg2_err "cg2_allow: number $n in '$1' is too big"
			return 1
		fi
	done
	[ "$maj" = "*" ] || cond+=("major == ${maj}u")
	[ "$min" = "*" ] || cond+=("minor == ${min}u")
	[[ $acc == *r* ]] && bits+=(BPF_DEVCG_ACC_READ)
	[[ $acc == *w* ]] && bits+=(BPF_DEVCG_ACC_WRITE)
	[[ $acc == *m* ]] && bits+=(BPF_DEVCG_ACC_MKNOD)
	# every requested access bit must be in the rule
	local IFS='|'
	cond+=("(access & ~(__u32)(${bits[*]})) == 0")
	IFS=' '
	local c out=
	for c in "${cond[@]}"; do
		out+="${out:+ && }$c"
	done
	echo "$out"
}

# _cg2_multiarch: the directory of asm/types.h, which linux/bpf.h needs
# and clang -target bpf does not search
_cg2_multiarch() {
	local m
	m=$(clang -print-multiarch 2>/dev/null)
	[ -n "$m" ] || m=$(gcc -print-multiarch 2>/dev/null)
	if [ -n "$m" ] && [ -e "/usr/include/$m/asm/types.h" ]; then
		echo "-I/usr/include/$m"
	fi
}

# cg2_allow CGROUP RULE...: see the top of this file
cg2_allow() {
	local cg=${1:-} rule gen src obj pin id log ids old t i conds=()
	_cg2_ready || return 1
	if [ -z "$cg" ]; then
		_cg2_err "usage: cg2_allow CGROUP RULE..."
		return 2
	fi
	shift
	cg=${cg%/}
	_cg2_owned "$cg" || return 1
	for rule; do
		conds+=("$(_cg2_rule2c "$rule")") || return 1
	done
	for t in clang bpftool; do
		if ! command -v "$t" >/dev/null; then
			_cg2_err "cg2_allow: $t not found (Debian: apt-get install clang bpftool)"
			return 1
		fi
	done
	gen=$(($(wc -l <"$CG2_STATE/ids") + 1))
	src=$CG2_STATE/prog$gen.c obj=$CG2_STATE/prog$gen.o log=$CG2_STATE/prog$gen.log
	pin=$CG2_BPF/devmgr-cg2-prog$gen
	{
		printf '/* cgroup/dev program %d, made by tests/lib/cgroup2.sh cg2_allow for\n *   %s\n * allowed:\n' "$gen" "$cg"
		for rule; do printf ' *   %s\n' "$rule"; done
		cat <<-'EOF'
		 * everything else is denied (EPERM). */
		#include <linux/bpf.h>

		__attribute__((section("cgroup/dev"), used))
		int devmgr_cg2_dev(struct bpf_cgroup_dev_ctx *ctx)
		{
		    __u32 type = ctx->access_type & 0xFFFF;	/* BPF_DEVCG_DEV_* */
		    __u32 access = ctx->access_type >> 16;	/* BPF_DEVCG_ACC_* */
		    __u32 major = ctx->major;
		    __u32 minor = ctx->minor;

		    (void)type, (void)access, (void)major, (void)minor;
		EOF
		i=0
		for rule; do
			printf '    /* %s */\n    if (%s)\n        return 1;\n' "$rule" "${conds[i]}"
			i=$((i + 1))
		done
		cat <<-'EOF'
		    return 0;
		}

		char _license[] __attribute__((section("license"), used)) = "GPL";
		EOF
	} >"$src" || { _cg2_err "cg2_allow: cannot write $src"; return 1; }
	local inc=()
	inc=("$(_cg2_multiarch)")
	[ -n "${inc[0]}" ] || inc=()
	if ! clang -O2 -g -Wall -Wextra -Werror -target bpf "${inc[@]}" -c "$src" -o "$obj" >"$log" 2>&1; then
		_cg2_err "cg2_allow: clang failed on $src:"
		cat "$log" >&2
		return 1
	fi
	if ! bpftool prog load "$obj" "$pin" type cgroup/dev >"$log" 2>&1; then
		_cg2_err "cg2_allow: bpftool prog load $obj failed:"
		cat "$log" >&2
		return 1
	fi
	id=$(bpftool prog show pinned "$pin" 2>"$log" | sed -n '1s/^\([0-9][0-9]*\): .*/\1/p')
	if [ -z "$id" ]; then
		_cg2_err "cg2_allow: no program id for $pin:"
		cat "$log" >&2
		rm -f -- "$pin"
		return 1
	fi
	echo "$id" >>"$CG2_STATE/ids"
	# no flags: the cgroup's single slot; a program already there is
	# replaced in one step
	if ! bpftool cgroup attach "$cg" cgroup_device pinned "$pin" >"$log" 2>&1; then
		_cg2_err "cg2_allow: bpftool cgroup attach $cg cgroup_device pinned $pin failed:"
		cat "$log" >&2
		rm -f -- "$pin"
		return 1
	fi
	ids=$(cg2_prog_ids "$cg") || return 1
	# the old program's pin goes, whatever happens next
	old=$(awk -F'\t' -v c="$cg" '$1 == c { print $2 }' "$CG2_STATE/pins")
	awk -F'\t' -v c="$cg" '$1 != c' "$CG2_STATE/pins" >"$CG2_STATE/pins.new"
	printf '%s\t%s\t%s\n' "$cg" "$pin" "$id" >>"$CG2_STATE/pins.new"
	mv -f -- "$CG2_STATE/pins.new" "$CG2_STATE/pins"
	if [ -n "$old" ] && [ "$old" != "$pin" ]; then
		rm -f -- "$old"
	fi
	if [ "$ids" != "$id" ]; then
		_cg2_err "cg2_allow: after attaching program $id, $cg has these device programs: $(echo "$ids" | tr "\n" " ")(want exactly $id)"
		return 1
	fi
}

# cg2_enter CGROUP PID: move process PID (all its threads) into CGROUP
cg2_enter() {
	local cg=${1:-} pid=${2:-} now
	_cg2_ready || return 1
	cg=${cg%/}
	if [ -z "$cg" ] || ! [[ $pid =~ ^[0-9]+$ ]]; then
		_cg2_err "usage: cg2_enter CGROUP PID"
		return 2
	fi
	if [ ! -e "$cg/cgroup.procs" ]; then
		_cg2_err "cg2_enter: $cg is not a cgroup"
		return 1
	fi
	if ! { echo "$pid" >"$cg/cgroup.procs"; } 2>"$CG2_STATE/enter.err"; then
		_cg2_err "cg2_enter: cannot move $pid into $cg: $(cat "$CG2_STATE/enter.err")"
		return 1
	fi
	now=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
	if [ "$CG2_ROOT$now" != "$cg" ]; then
		_cg2_err "cg2_enter: process $pid is in '$now', not in $cg"
		return 1
	fi
}

# cg2_run CGROUP CMD...: CMD (a new process) in CGROUP; CMD's status
cg2_run() {
	local cg=${1:-}
	shift
	(cg2_enter "$cg" "$BASHPID" || exit 125; exec "$@")
}

# _cg2_evacuate DIR: move every process of DIR to our home cgroup
# (cgroup files have size 0: test their contents, never -s)
_cg2_evacuate() {
	local home=$CG2_ROOT$CG2_HOME procs p tries=50
	home=${home%/}
	[ -e "$home/cgroup.procs" ] || home=$CG2_ROOT
	procs=$(cat "$1/cgroup.procs")
	while [ -n "$procs" ] && [ "$tries" -gt 0 ]; do
		for p in $procs; do
			# 0: a process of another pid namespace, which we cannot name
			[ "$p" != 0 ] && echo "$p" >"$home/cgroup.procs" 2>/dev/null
		done
		procs=$(cat "$1/cgroup.procs")
		tries=$((tries - 1))
		[ -n "$procs" ] && sleep 0.02
	done
	if [ -n "$procs" ]; then
		_cg2_err "cg2_cleanup: cannot move these processes out of $1: $(echo "$procs" | tr "\n" " ")"
		return 1
	fi
}

# cg2_cleanup: undo everything cg2_mount, cg2_make and cg2_allow did.
# Returns non-zero (and says why) when something could not be undone;
# calling it again then retries what is left, and once all is undone
# it does nothing.
cg2_cleanup() {
	local rc=0 cg pin id m d left tries
	[ -n "$CG2_STATE" ] && [ -d "$CG2_STATE" ] || return 0
	# 1. detach the programs from the cgroups made here
	if [ -s "$CG2_STATE/cgroups" ] && command -v bpftool >/dev/null; then
		while read -r cg; do
			[ -d "$cg" ] || continue
			for id in $(cg2_prog_ids "$cg" 2>/dev/null); do
				if ! bpftool cgroup detach "$cg" cgroup_device id "$id" 2>/dev/null; then
					_cg2_err "cg2_cleanup: cannot detach program $id from $cg"
					rc=1
				fi
			done
		done <"$CG2_STATE/cgroups"
	fi
	# 2. unpin them: with no cgroup and no pin holding it, a program is freed
	while IFS=$'\t' read -r cg pin id; do
		[ -n "$pin" ] && rm -f -- "$pin"
	done <"$CG2_STATE/pins"
	: >"$CG2_STATE/pins"
	# 3. processes back to where we were, then the cgroups (deepest first)
	left=
	while read -r cg; do
		[ -d "$cg" ] || continue
		while read -r d; do
			_cg2_evacuate "$d" || rc=1
			tries=50
			until rmdir -- "$d" 2>/dev/null; do
				tries=$((tries - 1))
				[ "$tries" -gt 0 ] || break
				sleep 0.02
			done
		done < <(find "$cg" -depth -type d 2>/dev/null)
		if [ -d "$cg" ]; then
			_cg2_err "cg2_cleanup: cannot remove cgroup $cg"
			left+="$cg"$'\n'
			rc=1
		fi
	done < <(tac "$CG2_STATE/cgroups")
	printf '%s' "$left" >"$CG2_STATE/cgroups"
	# 4. the programs must be gone now (freed after an RCU grace period)
	if [ -s "$CG2_STATE/ids" ] && command -v bpftool >/dev/null; then
		while read -r id; do
			tries=100
			while bpftool prog show id "$id" 2>/dev/null | grep -q "name $CG2_PROG_NAME"; do
				tries=$((tries - 1))
				if [ "$tries" -le 0 ]; then
					_cg2_err "cg2_cleanup: program $id is still loaded"
					rc=1
					break
				fi
				sleep 0.02
			done
		done <"$CG2_STATE/ids"
	fi
	if [ "$rc" != 0 ]; then
		# mounts kept: a second cg2_cleanup retries (the namespace's
		# end unmounts them anyway, but a cgroup left stays on the host)
		return "$rc"
	fi
	: >"$CG2_STATE/ids"
	# 5. unmount (bpffs first), in reverse order; remove the directories made
	left=
	while read -r m; do
		if awk -v d="$m" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo; then
			if ! umount -- "$m"; then
				_cg2_err "cg2_cleanup: cannot unmount $m"
				left="$m"$'\n'"$left"
				rc=1
			fi
		fi
	done < <(tac "$CG2_STATE/mounts")
	printf '%s' "$left" >"$CG2_STATE/mounts"
	if [ "$rc" != 0 ]; then
		return "$rc"
	fi
	while read -r d; do rmdir -- "$d" 2>/dev/null; done < <(tac "$CG2_STATE/dirs")
	if [ -n "$CG2_TMPSTATE" ]; then
		rm -rf -- "$CG2_STATE"
	else
		# the generated programs stay in the caller's work directory
		rm -f -- "$CG2_STATE/cgroups" "$CG2_STATE/pins" "$CG2_STATE/ids" \
		    "$CG2_STATE/mounts" "$CG2_STATE/dirs" "$CG2_STATE/enter.err"
	fi
	CG2_STATE='' CG2_ROOT='' CG2_BPF='' CG2_HOME='' CG2_TMPSTATE=''
	return 0
}
