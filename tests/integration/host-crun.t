#!/bin/bash
# host-crun.t: host.t with crun instead of runc. crun 1.8 refuses the
# hybrid cgroup layout of this machine (v1 controllers beside a v2
# hierarchy that holds one): it runs in a mount namespace of its own
# where /sys/fs/cgroup is the v2 hierarchy alone, and without cgroups
# (see host.t).
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
exec unshare -m --propagation private sh -c \
    'mount -t cgroup2 none /sys/fs/cgroup && HOST_RUNTIME=crun exec bash tests/integration/host.t'
