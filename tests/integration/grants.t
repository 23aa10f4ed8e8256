#!/bin/bash
# grants.t: "devmgr grants" prints the engine settings that allow exactly
# the devices the rules give nodes, and a real Podman takes them.
#   a  a generated sysfs tree and three rule lines: the Docker/Podman
#      flags and LXC lines, one per device, in node order, the default
#      rule's devices left out; a CDI spec that is JSON with the nodes'
#      paths, numbers, modes and owners; an unknown format refused
#   b  Podman 4 (runc), in a private mount namespace with an overlay over
#      /etc (the host's /etc is never written): the CDI spec in
#      /etc/cdi, "--device devmgr.local/device=zero" gives /dev/zero
#      with the spec's mode (0640, Podman's own is 0666); the printed
#      --device-cgroup-rule flags let the container open the devices
#      they name (loop0) and no other (a node made for loop1: EPERM)
# A missing podman or python3 is a failure, not a skip.

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_root "podman, mount namespaces"
tap_skip_unless_built "$devmgr"
tap_workdir grants
echo "1..14"
tap_small_etc
printf 'dialout:x:20:\n' >>"$etc/group"

# ---- a: the output -------------------------------------------------------------

sys=$work/sys
"$lib/gensysfs.sh" "$sys" || { echo "Bail out! gensysfs.sh failed"; exit 1; }
printf 'ttyUSB([0-9]+) root:dialout 0660 =usb/tty%%1\nnull root:root 0666\nzero root:root 0640\n' \
    >"$work/rules"
g() { "$devmgr" grants --config "$empty" --sys "$sys" --rules "$work/rules" --etc "$etc" "$@"; }
usb=$(ls "$sys/class/tty" | grep -c '^ttyUSB[0-9]*$')
out=$(g docker)
is "a: grants docker: exit 0" "$?" 0
is "a: one flag per device: null, zero and the $usb ttyUSB" "$(grep -c "^--device-cgroup-rule '" <<<"$out")" $((usb + 2))
check "a: ... each its own minor (ttyUSB0: c 188:0), with its node and rule line" \
    grep -qx -- "# /dev/usb/tty0 (line 1)" <(grep -B1 -x -- "--device-cgroup-rule 'c 188:0 rwm'" <<<"$out")
check "a: ... null as c 1:3" grep -qx -- "--device-cgroup-rule 'c 1:3 rwm'" <<<"$out"
is "a: the default rule's devices are left out (no tty, no sda)" \
    "$(grep -c "'c 4:\|'c 5:\|'b 8:" <<<"$out")" 0
out=$(g lxc)
check "a: grants lxc: lxc.cgroup2.devices.allow lines" \
    grep -qx "lxc.cgroup2.devices.allow = c 1:5 rwm" <<<"$out"
g cdi >"$work/cdi.json"
check "a: grants cdi: JSON" eval '/usr/bin/python3 -m json.tool "$work/cdi.json" >/dev/null' 
is "a: ... zero's node: path, numbers, mode 0640, owner" "$(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
d = [d for d in s["devices"] if d["name"] == "zero"][0]["containerEdits"]["deviceNodes"][0]
print(s["kind"], d["path"], d["type"], d["major"], d["minor"], oct(d["fileMode"]), d["uid"], d["gid"])
' "$work/cdi.json")" "devmgr.local/device /dev/zero c 1 5 0o640 0 0"
out=$(g rtf 2>&1)
is "a: an unknown format: exit 2, and what is known" "$?:$out" \
    "2:devmgr: devmgr grants: unknown format 'rtf' (docker, podman, lxc or cdi)"

# ---- b: Podman takes them -------------------------------------------------------

if ! command -v podman >/dev/null; then
	for i in 1 2 3 4 5; do fail "b: podman is not installed (make deps)"; done
	exit 1
fi
P=$work/podman
mkdir -p "$P"/{root,run,tmp,libpod,up,wk} "$work/rootfs/bin" "$work/rootfs/tmp"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
printf 'null root:root 0666\nzero root:root 0640\nloop0 root:root 0660\n' >"$work/b.rules"
"$devmgr" grants cdi --config "$empty" --rules "$work/b.rules" --etc "$etc" >"$work/b.json"
"$devmgr" grants docker --config "$empty" --rules "$work/b.rules" --etc "$etc" |
    sed -n "s/^--device-cgroup-rule '\(.*\)'$/\1/p" >"$work/b.flags"
is "b: grants docker on this host: loop0, null and zero" "$(tr '\n' ' ' <"$work/b.flags")" \
    "b 7:0 rwm c 1:3 rwm c 1:5 rwm "
cgparents=()	# libpod_parent cgroups that did not exist before
for c in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[ -e "$c/cgroup.procs" ] && [ ! -e "$c/libpod_parent" ] && cgparents+=("${c%/}/libpod_parent")
done
cat >"$work/podman.sh" <<'EOF'
set -u
work=$1 P=$2
mount -t overlay devmgr-grants -o "lowerdir=/etc,upperdir=$P/up,workdir=$P/wk" /etc || exit 99
mkdir -p /etc/cdi && cp "$work/b.json" /etc/cdi/devmgr.json
p() {
	TMPDIR=$P/tmp podman --root "$P/root" --runroot "$P/run" --tmpdir "$P/libpod" \
	    --cgroup-manager cgroupfs --events-backend file --runtime runc "$@"
}
run() { p run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$@"; }
p import -q "$work/rootfs.tar" localhost/devmgr-grants-test >/dev/null || exit 98
echo "cdi: $(run --device devmgr.local/device=zero localhost/devmgr-grants-test \
    /bin/busybox stat -c '%a %t:%T' /dev/zero 2>&1)"
flags=()
while read -r r; do flags+=(--device-cgroup-rule "$r"); done <"$work/b.flags"
echo "rules: $(run --cap-add MKNOD "${flags[@]}" localhost/devmgr-grants-test /bin/busybox sh -c '
	mknod /tmp/l0 b 7 0 && mknod /tmp/l1 b 7 1 &&
	{ head -c 0 /tmp/l0 && echo loop0-ok || echo loop0-refused; } &&
	{ head -c 0 /tmp/l1 2>/dev/null && echo loop1-ok || echo loop1-refused; }' 2>&1 | tr '\n' ' ')"
p rmi -f localhost/devmgr-grants-test >/dev/null 2>&1
p system reset -f >/dev/null 2>&1
EOF
out=$(unshare -m bash "$work/podman.sh" "$work" "$P" 2>&1)
echo "$out" | diag
check "b: the CDI device: /dev/zero with the spec's mode 640" grep -qx "cdi: 640 1:5" <<<"$out"
# (null and zero an engine allows anyway; loop devices it does not)
check "b: the printed --device-cgroup-rule flags: loop0 opens" grep -q "^rules: loop0-ok" <<<"$out"
check "b: ... and loop1, which they do not name, is refused" grep -q "loop1-refused" <<<"$out"
for c in "${cgparents[@]}"; do
	[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
done
is "b: no libpod_parent cgroup left" "$(for c in "${cgparents[@]}"; do [ -e "$c" ] && echo "$c"; done)" ""
