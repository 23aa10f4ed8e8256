#!/bin/bash
# host.t: devmgr host, on the host, serving containers that cannot hear
# the kernel (a user namespace of their own) and one that could, run by
# runc (or crun) from a bundle built here.
#
#   a  a container with a user namespace (0 -> 100000, 65536 ids),
#      attached by hand: a loop device added on the host gets its node in
#      the container's /dev within 100 ms (a bind mount of a node on the
#      host's tmpfs: its own /dev takes no device node), owner and mode
#      from the container's mdev.conf and /etc/group, mapped; the
#      container opens it; a libudev client and udevadm monitor in it hear
#      the add with the node there (systemd's libudev: the sender must be
#      its root); the database is in its /run/udev, udevadm info reads it;
#      remove: node, entry gone, heard
#   b  a second container, whose host.conf section grants it nothing:
#      neither node nor event
#   c  the devices there at attach are given at attach
#   d  detach by hand: its nodes go, its worker too; its init exiting
#      detaches it by itself
#   e  a container without a user namespace: a real node, made by mknod
#   f  the OCI hook: poststart attaches, poststop detaches, under runc
#   g  a hostile container: a symlink to a host file planted at its node's
#      name, /etc/mdev.conf and /etc/passwd linking to host files, a FIFO
#      at /run/udev: nothing outside its /dev and /run changes, the
#      daemon keeps answering
# Nothing of the host's /dev, /run or /etc is touched: the control
# socket and runc's state are in the work directory.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "runc, user namespaces, loop devices"
# HOST_RUNTIME=crun: host-crun.t
runc=$(command -v "${HOST_RUNTIME:-runc}")
busybox=$(command -v busybox)
if [ -z "$runc" ] || [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - needs ${HOST_RUNTIME:-runc} and a static busybox (make deps installs them)"
	exit 1
fi
tap_skip_unless_built "$tools/udevclient"
tap_skip_unless_built "$tools/loopctl"
tap_skip_unless_built "$tools/nlrecv"
# Debian's udevadm, unpacked by make deps (installing udev would start udevd)
udevadm=$top/.deps/udev/bin/udevadm
tap_skip_unless_built "$udevadm"
tap_workdir host
. "$lib/daemon.sh"
echo "1..56"

# the mapped root must reach the bundles
chmod 755 "$work"
# The containers' standard input: a file of the test's. crun chowns a
# user-namespaced container's stdio to its root, the host's /dev/null
# included were it given (runc leaves /dev/null alone).
: >"$work/stdin"
null_was=$(stat -c '%u:%g:%a' /dev/null)
state=$work/runc-state
sock=$work/host.sock
# crun 1.8 refuses this machine's hybrid cgroup layout, and under a
# cgroup2-only mount (host-crun.t) wants RLIMIT_MEMLOCK raised for its
# device program, which root may not here: it runs without cgroups
rtopts=()
[ "${runc##*/}" = crun ] && rtopts=(--cgroup-manager=disabled)
rt() { "$runc" --root "$state" "${rtopts[@]}" "$@"; }
ids=()
HPID=
host_cleanup() {
	local id
	for id in "${ids[@]}"; do
		rt kill "$id" KILL >/dev/null 2>&1
		rt delete -f "$id" >/dev/null 2>&1
	done
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	# (a test that changed the host's /dev/null failed: it is put back)
	if [ -n "${null_was:-}" ] && [ "$(stat -c '%u:%g:%a' /dev/null)" != "$null_was" ]; then
		chown "${null_was%:*}" /dev/null && chmod "${null_was##*:}" /dev/null
	fi
	cleanup
}
trap host_cleanup EXIT

# ---- bundles --------------------------------------------------------------

# bundle DIR USERNS(yes|no) [HOOKS]: a rootfs with busybox, the libudev
# client and its libraries, a group the host does not know (loopers,
# 4321) and an mdev.conf giving loop devices to it; tmpfs /run; a device
# cgroup that allows loop devices
bundle() {
	local dir=$1 root=$1/rootfs
	mkdir -p "$root"/{bin,etc,dev,proc,sys,run,tmp}
	chmod 1777 "$root/tmp"
	cp "$busybox" "$root/bin/busybox"
	for a in sh ls cat sleep stat dd readlink mkfifo ln; do ln -s busybox "$root/bin/$a"; done
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nloopers:x:4321:\n' >"$root/etc/group"
	printf 'loop[0-9]+ root:loopers 0640\n' >"$root/etc/mdev.conf"
	cp "$tools/udevclient" "$root/udevclient"
	cp "$tools/nlrecv" "$root/nlrecv"
	cp "$udevadm" "$root/udevadm"
	for l in $(ldd "$tools/udevclient" "$udevadm" | grep -o '/[^ :]*' | sort -u); do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
	done
	(cd "$dir" && rt spec) || return 1
	local name=${dir##*/} extra=()
	[ "$2" = yes ] && extra+=(--userns 100000)
	[ -n "${3:-}" ] && extra+=(--hook "$devmgr" "$sock" "$name")
	python3 "$lib/ocispec.py" "$dir/config.json" --args '["/bin/sleep", "1000"]' --run-tmpfs \
	    --allow 'b 7 * rwm' --cgroups-path "/devmgr-test-host-$name" "${extra[@]}"
}

# run ID DIR: start the bundle in DIR detached; sets CPID (its init)
run() {
	ids+=("$1")
	(cd "$2" && rt run -d "$1" <"$work/stdin" >"$work/$1.out" 2>&1) || return 1
	CPID=$(rt state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	[ -n "$CPID" ]
}

for b in u1 u2 h1 x1; do
	bundle "$work/$b" "$([ "$b" = h1 ] && echo no || echo yes)" ||
		{ echo "Bail out! cannot build bundle $b"; exit 1; }
done
# x1: its files lead to the host's (were they followed from outside its root)
xr=$work/x1/rootfs
printf 'loop[0-9]+ root:root 0606\n' >"$work/evil.conf"
printf 'root:x:0:0:root:/:/bin/sh\nhostuser:x:0:4321::/:/bin/sh\n' >"$work/evil.passwd"
ln -sf "$work/evil.conf" "$xr/etc/mdev.conf"
ln -sf "$work/evil.passwd" "$xr/etc/passwd"
head -c 8000000 /dev/zero | tr '\0' 'x' >"$xr/etc/group"
printf 'victim\n' >"$xr/etc/victim"
bundle "$work/k1" yes hooks || { echo "Bail out! cannot build bundle k1"; exit 1; }

cat >"$work/host.conf" <<EOF2
[host]
socket = $sock

[container u1]
device = b 7:*

[container h1]
path = /devices/virtual/block/

[container x1]
device = b 7:*

[container k*]
device = b 7:*
EOF2

${HOST_WRAP:-} "$devmgr" host -vv --config "$work/host.conf" -D 3 3>"$work/host.ready" 2>"$work/host.log" &
HPID=$!
wait_for 5 test -s "$work/host.ready"
check "devmgr host is ready" test -S "$sock"

# ---- a: a container with a user namespace ----------------------------------

run u1 "$work/u1" || { fail "container u1 started"; diag <"$work/u1.out"; exit 1; }
U1=$CPID
is "u1 has a user namespace of its own" \
    "$([ "$(readlink /proc/$U1/ns/user)" != "$(readlink /proc/self/ns/user)" ] && echo own)" own
run u2 "$work/u2" || { fail "container u2 started"; exit 1; }
U2=$CPID
"$devmgr" host attach --socket "$sock" u1 "$U1" >"$work/attach.out" 2>&1
is "attach u1 by hand" "$?" 0
"$devmgr" host attach --socket "$sock" u2 "$U2" >"$work/attach2.out" 2>&1
check "attach u2: nothing to serve" grep -q "nothing to serve" "$work/attach2.out"

N=$(loop_free 230)
rt exec u1 /udevclient monitor -s block/disk -n 2 -w 10000 -r /tmp/client.ready \
    >"$work/client.out" 2>&1 &
c1=$!
rt exec u2 /udevclient monitor -s block/disk -n 1 -w 3000 -r /tmp/client.ready \
    >"$work/client2.out" 2>&1 &
c2=$!
rt exec u1 /nlrecv 0x6 -n 4 -w 5000 -r /tmp/nl.ready >"$work/nl.out" 2>&1 &
nl=$!
rt exec u1 /udevadm monitor --udev --property >"$work/udevadm.out" 2>&1 &
ua=$!
wait_for 5 grep -qs "UDEV - the event" "$work/udevadm.out"
sleep 0.3	# it prints its banner before it binds
wait_for 5 test -e "$work/u1/rootfs/tmp/nl.ready"
wait_for 5 test -e "$work/u1/rootfs/tmp/client.ready"
wait_for 5 test -e "$work/u2/rootfs/tmp/client.ready"
cdev=/proc/$U1/root/dev
loop_add_timed "$cdev" "$N"
check "loop$N added on the host: node in u1" test -b "$cdev/loop$N"
check "... within 100 ms (${MS} ms)" [ "$MS" -le 100 ]
is "... owner root:loopers as mapped (100000, 104321 on the host), 0640" \
    "$(stat -c '%t:%T %u %g %a' "$cdev/loop$N" 2>&1)" "$(printf '7:%x 100000 104321 640' "$N")"
is "... seen from inside: 0 and 4321" \
    "$(rt exec u1 stat -c '%u %g' "/dev/loop$N" 2>&1)" "0 4321"
check "... a mount point (bound from the host's tmpfs)" \
    grep -q " /dev/loop$N " "/proc/$U1/mountinfo"
rt exec u1 dd if="/dev/loop$N" of=/dev/null bs=512 count=1 >"$work/dd.out" 2>&1
is "... u1 can open it (dd's exit status)" $? 0
wait_for 5 grep -q "^add " "$work/client.out"
is "libudev client in u1: the add, node in place" "$(grep '^add ' "$work/client.out")" \
    "add block disk /dev/loop$N init=1 node=b7:$N:0640:0:4321"
check "u1's /run/udev/data/b7:$N" test -f "/proc/$U1/root/run/udev/data/b7:$N"
rt exec u1 /udevadm info --query=property --name="/dev/loop$N" >"$work/info.out" 2>&1
check "udevadm info in u1 reads the database: initialised, its by-diskseq name" \
    eval "grep -q '^USEC_INITIALIZED=[1-9]' '$work/info.out' && grep -q '^DEVLINKS=.*/dev/disk/by-diskseq/' '$work/info.out'"
wait_for 5 grep -q "^DEVNAME=/dev/loop$N" "$work/udevadm.out"
check "udevadm monitor in u1 heard the add" \
    grep -q "^UDEV  *\[[0-9.]*\] add  *.*/loop$N (block)" "$work/udevadm.out"
check "... owned by u1's root" [ "$(stat -c %u "/proc/$U1/root/run/udev/data/b7:$N")" = 100000 ]
check "host's own /dev/loop$N untouched by devmgr (the kernel's devtmpfs)" \
    [ "$(stat -c %u:%g "/dev/loop$N" 2>/dev/null || echo absent)" != 100000:104321 ]

loop_del "$N"
wait_for 5 absent "$cdev/loop$N"
check "loop$N removed: the node is gone from u1" absent "$cdev/loop$N"
check "... no mount left there" eval "! grep -q ' /dev/loop$N ' /proc/$U1/mountinfo"
check "... its database entry too" absent "/proc/$U1/root/run/udev/data/b7:$N"
wait "$c1" "$nl"
wait_for 5 grep -q "remove .*/loop$N (block)" "$work/udevadm.out"
check "... and the remove" grep -q "^UDEV  *\[[0-9.]*\] remove  *.*/loop$N (block)" "$work/udevadm.out"
kill_tree "$ua"
is "on the wire in u1: both formats, add and remove, from uid 0 (u1's root)" \
    "$(sed -n 's/^pid=[0-9]* groups=\([0-9]*\) uid=\([0-9]*\) .*/\1 \2/p' "$work/nl.out" | sort | uniq -c | awk '{ print $1, $2, $3 }' | paste -sd,)" \
    "2 2 0,2 4 0"
is "libudev client in u1: the remove" "$(grep '^remove ' "$work/client.out")" \
    "remove block disk /dev/loop$N init=1 node=missing"

# ---- b: what u2 is not given -----------------------------------------------

wait "$c2"
check "u2: no node" absent "/proc/$U2/root/dev/loop$N"
is "u2's libudev client heard nothing" "$(grep -c '^add\|^remove' "$work/client2.out")" 0

# ---- c: what is there at attach --------------------------------------------

N2=$(loop_free $((N + 1)))
loop_add "$N2"
run u3 "$work/u1" || { fail "container u3 started"; exit 1; }
U3=$CPID
printf '\n[container u3]\ndevice = b 7:*\n' >>"$work/host.conf"
kill -HUP "$HPID"
wait_for 5 grep -q "reloaded" "$work/host.log"
t0=${EPOCHREALTIME/[.,]/}
"$devmgr" host attach --socket "$sock" u3 "$U3" >"$work/attach3.out" 2>&1
rc=$?
t=${EPOCHREALTIME/[.,]/}
is "SIGHUP took the new host.conf; attach u3 (a second container of the same bundle)" "$rc" 0
check "attach returns once its devices are there: loop$N2 (a node when it answered, $(((t - t0) / 1000)) ms)" \
    test -b "/proc/$U3/root/dev/loop$N2"
check "... and u1 got loop$N2 as it came" test -b "/proc/$U1/root/dev/loop$N2"
is "... both a node of their own (one device, a mount each)" \
    "$(grep -c " /dev/loop$N2 " "/proc/$U1/mountinfo" "/proc/$U3/mountinfo" | sed 's/.*://' | paste -sd,)" "1,1"
"$devmgr" host list --socket "$sock" >"$work/list.out" 2>&1
check "list names u1 and u3 with their user namespaces" \
    grep -q "^u3 pid=$U3 userns=own devices=" "$work/list.out"

# ---- d: detach ---------------------------------------------------------------

"$devmgr" host detach --socket "$sock" u3 >"$work/detach.out" 2>&1
is "detach u3 by hand" "$?:$(cat "$work/detach.out")" "0:ok u3: detached"
check "... its loop$N2 node is gone" absent "/proc/$U3/root/dev/loop$N2"
check "... u1's stays" test -b "/proc/$U1/root/dev/loop$N2"
check "... its worker too (no process of devmgr's in its mount namespace)" \
    eval "! for p in \$(pgrep -x devmgr); do [ \"\$(readlink /proc/\$p/ns/mnt)\" = \"\$(readlink /proc/$U3/ns/mnt)\" ] && echo \$p; done | grep -q ."
"$devmgr" host detach --socket "$sock" u3 >"$work/detach.out" 2>&1
is "... a second detach says it is not attached" "$?:$(cat "$work/detach.out")" \
    "1:error: no container u3 is attached"
rt kill u1 KILL
wait_for 5 eval "! '$devmgr' host list --socket '$sock' | grep -q '^u1 '"
check "u1's init killed: detached by itself" \
    eval "! '$devmgr' host list --socket '$sock' | grep -q '^u1 '"
check "... its worker gone" \
    wait_for 5 eval "[ -z \"\$(pgrep -P $HPID)\" ]"
check "... no mount of devmgr's tmpfs anywhere on the host" \
    eval "! grep -q 'devmgr' /proc/self/mountinfo"
rt delete -f u1 >/dev/null 2>&1
rt kill u3 KILL

# ---- e: a container in the host's user namespace ---------------------------

run h1 "$work/h1" || { fail "container h1 started"; exit 1; }
H1=$CPID
"$devmgr" host attach --socket "$sock" h1 "$H1" >"$work/attach4.out" 2>&1
is "attach h1 (no user namespace)" "$?" 0
is "loop$N2: a node made by mknod in h1's /dev, not a mount; root:loopers 0640" \
    "$(stat -c '%F %u %g %a' "/proc/$H1/root/dev/loop$N2"):$(grep -c " /dev/loop$N2 " "/proc/$H1/mountinfo")" \
    "block special file 0 4321 640:0"
rt exec h1 dd if="/dev/loop$N2" of=/dev/null bs=512 count=1 >/dev/null 2>&1
is "... h1 can open it" $? 0
rt kill h1 KILL

# ---- f: the OCI hook ----------------------------------------------------------

(cd "$work/k1" && rt run -d k1 <"$work/stdin" >"$work/k1.out" 2>&1)
is "${runc##*/} runs k1 with devmgr host hook as its poststart and poststop hooks" "$?" 0
ids+=(k1)
K1=$(rt state k1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "poststart attached it (named by its devmgr.name annotation)" \
    grep -q "^k1 pid=$K1 userns=own" <("$devmgr" host list --socket "$sock")
check "... loop$N2 was there when ${runc##*/} returned" test -b "/proc/$K1/root/dev/loop$N2"
rt kill k1 KILL
wait_for 5 eval "! rt state k1 2>/dev/null | grep -q running"
rt delete k1 >"$work/k1.delete" 2>&1
is "poststop: ${runc##*/} delete ran the hook without complaint" "$?:$(cat "$work/k1.delete")" "0:"
check "... k1 is detached" eval "! '$devmgr' host list --socket '$sock' | grep -q '^k1 '"

# ---- g: a hostile container ----------------------------------------------------

run x1 "$work/x1" || { fail "container x1 started"; exit 1; }
X1=$CPID
rt exec x1 mkfifo /run/udev
N3=$(loop_free $((N2 + 1)))
rt exec x1 ln -s /etc/victim "/dev/loop$N3"
"$devmgr" host attach --socket "$sock" x1 "$X1" >"$work/attach5.out" 2>&1
is "attach x1: its mdev.conf and passwd link to host files, its group file is 8 MB of junk" \
    "$?" 0
loop_add "$N3"
wait_for 5 grep -q "loop$N3 is a symlink to /etc/victim" "$work/host.log"
is "loop$N3 added: the symlink planted at its name is left alone, as in a container" \
    "$(readlink "/proc/$X1/root/dev/loop$N3")" /etc/victim
is "... the file the symlink led to is untouched" \
    "$(stat -c '%F %a %u' "$xr/etc/victim"):$(cat "$xr/etc/victim")" "regular file 644 0:victim"
is "loop$N2 (there at attach): 0660 root:root (no rule file inside its root: the host's was not read)" \
    "$(stat -c '%a %u %g' "/proc/$X1/root/dev/loop$N2")" "660 100000 100000"
check "... /run/udev is still its FIFO" test -p "/proc/$X1/root/run/udev"
t0=${EPOCHREALTIME/[.,]/}
"$devmgr" host list --socket "$sock" >"$work/list2.out" 2>&1
t=${EPOCHREALTIME/[.,]/}
check "the daemon answers at once ($(((t - t0) / 1000)) ms), x1's events handled" \
    grep -q "^x1 pid=$X1 .* lost=0" "$work/list2.out"
check "x1's worker said why it keeps no database" grep -q "x1\].*run/udev" "$work/host.log"
check "the host files are as they were" \
    [ "$(cat "$work/evil.conf")" = "loop[0-9]+ root:root 0606" ]
rt kill x1 KILL
loop_del "$N3"
loop_del "$N2"

kill "$HPID"
wait "$HPID"
is "devmgr host stops on SIGTERM" "$?" 0
HPID=
check "... its control socket is gone" absent "$sock"
is "the host's /dev/null is as it was (its owner and mode; the containers' stdin is not it)" \
    "$(stat -c '%u:%g:%a' /dev/null)" "$null_was"
