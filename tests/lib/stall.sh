# stall.sh: sourced by bash tests that need a real block device whose
# reads hang: a loop device on the file "disk" of a stallfs mount
# (tests/tools/stallfs.c). Needs root, /dev/fuse, tap.sh sourced before
# (wait_for, $tools: build/tools, with stallfs and loopctl built).
#
#   stall_start DIR SIZE_MB  DIR/backing (SIZE_MB MiB of zeros; mkfs it
#                        now if a filesystem is wanted), served as
#                        DIR/mnt/disk; prints DIR/mnt
#   stall_losetup DIR    a read-only loop device on DIR/mnt/disk; prints
#                        its node, /dev/loopN
#   stall_hold DIR       from now on every read of the device hangs (the
#                        reader in D state, SIGKILL pending) ...
#   stall_release DIR    ... until this: held reads are answered
#   stall_abort DIR      kills the server instead: held and later reads
#                        fail with EIO at once (a FUSE connection abort)
#   stall_stop DIR       ends it all, held reads or not: server, loop
#                        device (removed too if losetup made it), mount,
#                        files; fails if any of them is left
#
# Every function takes DIR, and keeps its state in files there, so they
# work from any subshell: L=$(stall_losetup "$d") is fine, and
# stall_stop belongs in the test's EXIT trap, before tap_cleanup removes
# $work (rm -rf into a live mount is the one thing that must not happen).

stall_fs=${STALLFS:-$tools/stallfs}
stall_loopctl=${STALL_LOOPCTL:-$tools/loopctl}

# The mount table, not mountpoint(1): a mount whose server died answers
# stat with ENOTCONN, and mountpoint calls that "not a mountpoint".
_stall_mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts; }

# _stall_pid DIR: the server's pid, if that process is still our stallfs
# (checked by its command line, so that a reused pid is never killed)
_stall_pid() {
	local pid
	pid=$(cat "$1/stallfs.pid" 2>/dev/null) || return 1
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF " $1/mnt " || return 1
	echo "$pid"
}

# A zombie counts as gone (its cmdline is empty): its descriptors,
# /dev/fuse among them, are closed, so the connection is already aborted.
_stall_dead() { ! _stall_pid "$1" >/dev/null; }

# Canonical, because the mount table and the loop driver show it so
_stall_dir() { realpath -m -- "$1"; }

stall_start() {
	local dir mb=$2
	dir=$(_stall_dir "$1")
	[ -x "$stall_fs" ] || { echo "stall_start: $stall_fs not built" >&2; return 1; }
	stall_stop "$dir" 2>/dev/null
	mkdir -p "$dir/mnt" || return 1
	rm -f "$dir/backing" "$dir/hold" "$dir/loop" "$dir/loop-made"
	truncate -s "${mb}M" "$dir/backing" || return 1
	"$stall_fs" "$dir/backing" "$dir/hold" "$dir/mnt" </dev/null >"$dir/stallfs.log" 2>&1 &
	echo "$!" >"$dir/stallfs.pid"
	disown	# bash reaps it without a "Killed" line when stall_stop kills it
	if ! wait_for 5 _stall_mounted "$dir/mnt"; then
		echo "stall_start: stallfs did not mount $dir/mnt:" >&2
		cat "$dir/stallfs.log" >&2
		stall_stop "$dir"
		return 1
	fi
	echo "$dir/mnt"
}

stall_losetup() {
	local dir before dev
	dir=$(_stall_dir "$1")
	before=$(ls /sys/block)
	# Direct I/O: the loop driver keeps no second copy of the data.
	# stallfs opens disk with direct_io anyway, so every read the loop
	# device does reaches the server either way.
	dev=$(losetup -f --show -r --direct-io=on "$dir/mnt/disk") || return 1
	echo "$dev" >"$dir/loop"
	# losetup -f makes a new device when none is free: ours to remove
	echo "$before" | grep -qx "${dev#/dev/}" || : >"$dir/loop-made"
	echo "$dev"
}

# The flush: blocks already in the loop device's page cache would be
# answered without a read. That cache only lives while someone has the
# device open (the last close drops it), but a holder may exist.
stall_hold() {
	local dir dev
	dir=$(_stall_dir "$1")
	: >"$dir/hold" || return 1
	dev=$(_stall_ours "$dir") && blockdev --flushbufs "$dev"
	return 0
}

stall_release() { rm -f "$(_stall_dir "$1")/hold"; }

stall_abort() {
	local dir pid
	dir=$(_stall_dir "$1")
	pid=$(_stall_pid "$dir") || return 0
	kill -KILL "$pid"
	wait_for 5 _stall_dead "$dir"
}

# _stall_ours DIR: DIR's loop device while it is still attached to
# DIR/mnt/disk (never another test's device that took the number since)
_stall_ours() {
	local dev
	dev=$(cat "$1/loop" 2>/dev/null) || return 1
	[ "$(cat "/sys/block/${dev#/dev/}/loop/backing_file" 2>/dev/null)" = "$1/mnt/disk" ] || return 1
	echo "$dev"
}
_stall_detached() { ! _stall_ours "$1" >/dev/null; }
_stall_removed() { [ ! -e "/sys/block/loop$1" ] || { "$stall_loopctl" remove "$1" 2>/dev/null && [ ! -e "/sys/block/loop$1" ]; }; }

# The order matters: the server dies first, so that nothing can still
# be waiting for a read; then the loop device lets go of disk (a reader
# still holding it open only defers that, losetup -d sets autoclear),
# and only then can the mount go.
stall_stop() {
	local dir dev left=
	dir=$(_stall_dir "$1")
	stall_abort "$dir" || left="$left process"
	if dev=$(_stall_ours "$dir"); then
		losetup -d "$dev"
		wait_for 5 _stall_detached "$dir" || left="$left $dev"
	fi
	dev=$(cat "$dir/loop" 2>/dev/null)
	if [ -n "$dev" ] && [ -e "$dir/loop-made" ]; then
		wait_for 5 _stall_removed "${dev#/dev/loop}" || left="$left $dev(node)"
	fi
	if _stall_mounted "$dir/mnt"; then
		wait_for 5 umount "$dir/mnt" 2>/dev/null || left="$left $dir/mnt"
	fi
	if [ -n "$left" ]; then
		echo "stall_stop: left behind:$left" >&2
		return 1
	fi
	rmdir "$dir/mnt" 2>/dev/null
	rm -f "$dir/backing" "$dir/hold" "$dir/loop" "$dir/loop-made" "$dir/stallfs.pid" "$dir/stallfs.log"
}
