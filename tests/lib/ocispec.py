#!/usr/bin/python3
"""ocispec.py CONFIG [options]: a runtime's default config.json (runc spec)
made into what the tests' containers need, in place.

  --args JSON           the process's arguments, a JSON list
  --allow 'b 7 * rwm'   a device cgroup rule after "deny all" (repeated;
                        the minor may be *)
  --cgroups-path PATH
  --run-tmpfs           a tmpfs at /run (nosuid, nodev, 0755)
  --userns HOSTID       a user namespace, 0 -> HOSTID for 65536 ids
  --caps CAP,...        the bounding, effective and permitted sets
  --hook EXE SOCKET NAME  devmgr's OCI hook (poststart and poststop), and
                        the devmgr.name annotation

Always: no terminal, a writable root."""
import argparse
import json

ap = argparse.ArgumentParser()
ap.add_argument("config")
ap.add_argument("--args", type=json.loads)
ap.add_argument("--allow", action="append", default=[])
ap.add_argument("--cgroups-path")
ap.add_argument("--run-tmpfs", action="store_true")
ap.add_argument("--userns", type=int)
ap.add_argument("--caps")
ap.add_argument("--hook", nargs=3, metavar=("EXE", "SOCKET", "NAME"))
o = ap.parse_args()

with open(o.config) as f:
    c = json.load(f)
p = c["process"]
p["terminal"] = False
c["root"]["readonly"] = False
if o.args:
    p["args"] = o.args
if o.run_tmpfs:
    c["mounts"].append({"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                        "options": ["nosuid", "nodev", "mode=755"]})
if o.allow:
    rules = [{"allow": False, "access": "rwm"}]
    for a in o.allow:
        kind, major, minor, access = a.split()
        r = {"allow": True, "type": kind, "major": int(major), "access": access}
        if minor != "*":
            r["minor"] = int(minor)
        rules.append(r)
    c["linux"]["resources"]["devices"] = rules
if o.cgroups_path:
    c["linux"]["cgroupsPath"] = o.cgroups_path
if o.userns is not None:
    # (sysfs cannot be mounted there without its own network namespace's
    # owner: runc's default spec has one)
    c["linux"]["namespaces"].append({"type": "user"})
    m = [{"containerID": 0, "hostID": o.userns, "size": 65536}]
    c["linux"]["uidMappings"] = m
    c["linux"]["gidMappings"] = m
if o.caps:
    caps = o.caps.split(",")
    for k in ("bounding", "effective", "permitted"):
        p["capabilities"][k] = caps
    p["capabilities"].pop("inheritable", None)
    p["capabilities"].pop("ambient", None)
if o.hook:
    exe, sock, name = o.hook
    h = {"path": exe, "args": ["devmgr", "host", "hook", "--socket", sock]}
    c["hooks"] = {"poststart": [h], "poststop": [h]}
    c["annotations"] = {"devmgr.name": name}
with open(o.config, "w") as f:
    json.dump(c, f, indent=1)
