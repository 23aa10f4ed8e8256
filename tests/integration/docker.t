#!/bin/bash
# docker.t: what can be checked of docker/ by reading it (engine-*.t run
# the final image under Docker, Podman and LXC; the examples' Alpine
# images need a registry):
#   a  every COPY source exists in its build context; the image's build
#      stage runs the make target the tests build (STATIC=1)
#   b  each example's mdev.conf and devmgr.conf load in devmgr (-s on a
#      generated sysfs, the example's own /etc) and make nodes for exactly
#      the devices its device cgroup rules allow, with the rule's owner
#   c  the compose files and the README's docker/podman commands agree
#      with devmgr.conf: the same device rules, MKNOD and NET_ADMIN

set -u
export LC_ALL=C

. tests/lib/tap.sh 2>/dev/null || { echo "1..0 # SKIP run from the repository root"; exit 0; }
tap_skip_unless_built "$devmgr"
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..1"; echo "not ok 1 - cannot run: python3 yaml missing (Debian: python3-yaml)"
	exit 1
fi
tap_workdir docker
echo "1..21"

# ---- a: Dockerfiles -------------------------------------------------------

# copies DOCKERFILE CONTEXT: the sources of its COPY lines without --from
copies() {
	awk '$1 == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) print $i }' "$1"
}
for df in docker/Dockerfile docker/examples/*/Dockerfile; do
	ctx=$(dirname "$df")
	[ "$df" = docker/Dockerfile ] && ctx=.
	missing=
	for src in $(copies "$df"); do
		[ -e "$ctx/$src" ] || missing="$missing $src"
	done
	is "$df: every COPY source is in its context ($ctx)" "$missing" ""
done
check "docker/Dockerfile builds with make STATIC=1" grep -q '^RUN make STATIC=1 ' docker/Dockerfile
check "... which the Makefile knows" grep -q '^STATIC *?= *0' Makefile

# ---- b: the examples' rules and policy ------------------------------------

sys=$work/sys
"$lib/gensysfs.sh" "$sys" >/dev/null || { echo "Bail out! gensysfs.sh failed"; exit 1; }
etc=$work/etc
mkdir "$etc"
# Alpine's accounts the examples name
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$etc/passwd"
printf 'root:x:0:root\ndialout:x:20:root\n' >"$etc/group"

# allowed CONF: "c 189" lines, one per allow rule (major only)
allowed() {
	sed -n 's/^allow *= *\(char\|c\|block\|b\) \([0-9]*\):.*/\1 \2/p' "$1" |
	    sed 's/^char/c/; s/^block/b/'
}
for ex in docker/examples/*/; do
	ex=${ex%/}
	name=${ex##*/}
	d=$work/$name-dev
	mkdir "$d"
	env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin "$devmgr" --config "$top/$ex/devmgr.conf" \
	    --rules "$top/$ex/mdev.conf" --etc "$etc" --sys "$sys" --dev "$d" --run "$work/$name-run" \
	    -s 2>"$work/$name.err"
	is "$name: devmgr -s with its devmgr.conf and mdev.conf: exit 0" $? 0
	is "$name: no complaint about its files" \
	    "$(grep -v 'left alone (device policy' "$work/$name.err")" ""
	want=
	for e in "$sys"/dev/block/* "$sys"/dev/char/*; do
		k=b; [ "${e#"$sys"/dev/char/}" != "$e" ] && k=c
		mm=${e##*/}
		allowed "$ex/devmgr.conf" | grep -qx "$k ${mm%%:*}" && want="$want $k$mm"
	done
	got=$(find "$d" \( -type b -o -type c \) -exec stat -c '%F %Hr:%Lr' {} + |
	    sed 's/^block special file /b/; s/^character special file /c/' | sort | tr '\n' ' ')
	check "$name: some devices of the kind exist in the generated sysfs" [ -n "$want" ]
	is "$name: nodes for exactly what its device rules allow" "$got" \
	    "$(tr ' ' '\n' <<<"$want" | grep . | sort | tr '\n' ' ')"
done
is "serial: ttyUSB0 root:dialout 0660" "$(stat -c '%U %g %a' "$work/serial-dev/ttyUSB0" 2>&1)" \
    "root 20 660"
is "smartcard: bus/usb nodes 0660" \
    "$(find "$work/smartcard-dev/bus/usb" -type c -exec stat -c '%a' {} + | sort -u)" 660

# ---- c: compose files and README commands ---------------------------------

for ex in docker/examples/*/; do
	ex=${ex%/}
	name=${ex##*/}
	out=$(python3 - "$ex/compose.yaml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
(svc,) = c["services"].values()
print(" ".join(sorted(svc.get("cap_add", []))))
print(" ".join(sorted(r.split()[0] + " " + r.split()[1].split(":")[0] for r in svc.get("device_cgroup_rules", []))))
PY
)
	is "$name: compose adds MKNOD and NET_ADMIN" "$(sed -n 1p <<<"$out")" "MKNOD NET_ADMIN"
	is "$name: compose's device rules are devmgr.conf's allow rules" "$(sed -n 2p <<<"$out")" \
	    "$(allowed "$ex/devmgr.conf" | sort | tr '\n' ' ' | sed 's/ $//')"
done
# every docker/podman run line of the README, joined with its continuations
runs=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' docker/README.md | grep -E '^ *(docker|podman) run ')
is "README: four run commands" "$(wc -l <<<"$runs")" 4
is "README: each adds MKNOD and NET_ADMIN" \
    "$(grep -c -e '--cap-add MKNOD --cap-add NET_ADMIN' <<<"$runs")" 4
