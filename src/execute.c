#define _GNU_SOURCE
#include "execute.h"
#include "devnode.h"
#include "modules.h"
#include "record.h"
#include "devid.h"
#include "fileio.h"
#include "firmware.h"
#include "fsprobe.h"
#include "log.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directories udev keeps persistent names in, relative to /dev: those
 * of character devices, and those of disks. */
static const char *const char_dirs[] = {
	"serial/by-id", "serial/by-path", "input/by-id", "input/by-path", NULL,
};
static const char *const disk_dirs[] = {
	"disk/by-id", "disk/by-path", "disk/by-uuid", "disk/by-label", "disk/by-partuuid",
	"disk/by-partlabel", "disk/by-diskseq", NULL,
};

int execute_idnames(int sys_fd, const struct device *dev, struct devprops *props,
		    const struct devprops *found, char names[][BYLINKS_NAME])
{
	const char *sysdir = device_sysdir(dev);
	const char *sub = dev->ev ? uevent_get(dev->ev, "SUBSYSTEM") : NULL;
	char path[PATH_MAX];

	/* a coldplug's dev/char/M:m link read once, not by each below */
	bool resolved = sysdir && sysfs_resolve(sys_fd, sysdir, path, sizeof(path)) == 0;
	if (resolved && props->nprop == 0)
		devid_add(sys_fd, path, sub, dev->ev ? uevent_get(dev->ev, "DEVTYPE") : NULL,
			  props);
	for (unsigned i = 0; found && i < found->nprop; i++) {
		char key[64];
		const char *eq = strchr(found->prop[i], '=');
		if (eq && (size_t)(eq - found->prop[i]) < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - found->prop[i]), found->prop[i]);
			devprops_set(props, key, eq + 1);
		}
	}
	return resolved ? bylinks(sys_fd, path, sub, dev->devname, dev->ev, props, names) : 0;
}

/* What libblkid finds on a block device with media (an unbound loop
 * device has size 0: nothing to read, and a storm of them costs no
 * probe), into FOUND. */
static void probe_disk(struct executor *x, const struct device *dev, const char *node,
		       struct devprops *found)
{
	const char *sysdir = device_sysdir(dev);
	char path[PATH_MAX], size[32];

	if (x->disks == NULL || !S_ISBLK(dev->type) || sysdir == NULL ||
	    snprintf(path, sizeof(path), "%s/size", sysdir) >= (int)sizeof(path) ||
	    read_small_at(x->sys_fd, path, size, sizeof(size)) <= 0 || atoll(size) == 0)
		return;
	fsprobe_device(x->disks, x->dev->root.fd, node, device_rdev(dev), found);
}

/* Writes "change" to the card's uevent (UEVENT, relative to the
 * control device's sysfs directory: ".." after the link a scan knows it
 * by is the card). A read-only /sys refuses: the host's udev, if any,
 * makes the card say it all the same. */
static void card_ready(struct executor *x, const struct device *dev, const char *uevent)
{
	const char *sysdir = device_sysdir(dev);
	char path[PATH_MAX];

	if (sysdir == NULL || snprintf(path, sizeof(path), "%s/%s", sysdir, uevent) >=
	    (int)sizeof(path))
		return;
	int fd = openat(x->sys_fd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "change", 6) != 6)
		log_debug("%s: cannot ask the sound card for its change event: %s", path,
			  strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* A persistent name's target: NODE, relative to NAME's directory, so
 * that it holds wherever /dev is mounted. */
static void id_target(const char *name, const char *node, char *target, size_t size)
{
	size_t len = 0;

	for (const char *c = name; (c = strchr(c, '/')) != NULL && len < size; c++)
		len += (size_t)snprintf(target + len, size - len, "../");
	if (len < size)
		snprintf(target + len, size - len, "%s", node);
}

static const struct nodedb_entry *record_entry(struct executor *x, mode_t type, dev_t rdev)
{
	return x->record ? nodedb_lookup(&x->record->db, type, rdev) : NULL;
}

/* The persistent names that lead to NODE, but those in KEEP: those the
 * record's entry E lists (a few unlinks), else whatever a search of the
 * directories they live in finds. */
static void unlink_idlinks(struct executor *x, const struct nodedb_entry *e, mode_t type,
			   const char *node, const char (*keep)[BYLINKS_NAME], int nkeep)
{
	char target[PATH_MAX];

	if (e && e->idnames && strcmp(e->node, node) == 0) {
		for (const char *name = e->idnames; *name; name += strlen(name) + 1) {
			bool kept = false;
			for (int i = 0; i < nkeep && !kept; i++)
				kept = strcmp(keep[i], name) == 0;
			if (kept)
				continue;
			id_target(name, node, target, sizeof(target));
			if (devnode_remove_symlink(x->dev, name, target) == 0)
				devnode_prune(x->dev, name);
		}
		return;
	}
	for (const char *const *d = S_ISBLK(type) ? disk_dirs : char_dirs; *d; d++)
		devnode_unlink_links_to(x->dev, *d, node, keep, nkeep);
}

/* udev's serial/by-id, input/by-path, disk/by-label... names, made next
 * to NODE (their ID_* go with the event too); on a CHANGE, a disk's
 * names it no longer has go. */
static void idlinks(struct executor *x, const struct device *dev, const char *node, bool change,
		    struct outcome *o)
{
	char names[BYLINKS_MAX][BYLINKS_NAME], target[PATH_MAX];

	if (o->props == NULL) {
		o->props = xmalloc(sizeof(*o->props));
		devprops_init(o->props);
	}
	struct devprops found;
	devprops_init(&found);
	probe_disk(x, dev, node, &found);
	int n = execute_idnames(x->sys_fd, dev, o->props, &found, names);
	for (int i = 0; i < n; i++) {
		id_target(names[i], node, target, sizeof(target));
		if (devnode_link_replace(x->dev, names[i], target) == 0)
			devprops_link(o->props, names[i]);
	}
	struct nodedb_entry *e = x->record ?
		nodedb_get(&x->record->db, dev->type, device_rdev(dev)) : NULL;
	/* a label or filesystem changed: the names it had before go */
	if (change && S_ISBLK(dev->type))
		unlink_idlinks(x, e, dev->type, node, names, n);
	if (e && strcmp(e->node, node) == 0) {
		e->no_idlinks = false;
		free(e->idnames);
		e->idnames = strv_pack(o->props->link, o->props->nlink, NULL);
	}
}

/* The node, recorded before it is made. When the engine's was kept, or
 * making failed, the record goes back to what it was. */
static int make_node(struct executor *x, const struct plan_step *s, const struct device *dev)
{
	dev_t rdev = device_rdev(dev);
	const struct nodedb_entry *e = x->record ? nodedb_lookup(&x->record->db, dev->type, rdev) : NULL;
	char *was_node = e ? xstrdup(e->node) : NULL;
	char *was_link = e && e->link ? xstrdup(e->link) : NULL;

	if (x->record)
		record_put(x->record, dev->type, rdev, s->node, s->link);
	int made = devnode_make(x->dev, s->node, dev->type, s->mode, rdev, s->uid, s->gid,
				s->named ? DEVNODE_NAMED : 0);
	/* no persistent names until its names step makes some */
	struct nodedb_entry *now = x->record && made == 0 ?
		nodedb_get(&x->record->db, dev->type, rdev) : NULL;
	if (now)
		now->no_idlinks = true;
	/* not ours when the engine's was kept: never removed */
	if (made < 0 && was_node)
		record_put(x->record, dev->type, rdev, was_node, was_link);
	else if (made != 0 && x->record)
		record_del(x->record, dev->type, rdev);
	if (made == 0)
		x->nodes++;
	free(was_node);
	free(was_link);
	return made;
}

/* A change event's names are made only for the node that is there. */
static bool node_is(struct executor *x, const char *node, const struct device *dev)
{
	char target[PATH_MAX];
	struct stat st;

	return devnode_lstat(x->dev, node, &st, target, sizeof(target)) == 1 &&
	       (st.st_mode & S_IFMT) == dev->type && st.st_rdev == device_rdev(dev);
}

/* A remove step: the ">" link, the persistent names, the node, the
 * directories that emptied; the record of this name once it is gone (a
 * removal held back is settled by the dev root's removed hook). */
/* A removal; held back to the batch's end only for an event done within
 * the batch (one with commands goes on after it, and must know its own
 * failure). */
static int remove_one(struct executor *x, const struct plan *p, const char *node, mode_t type,
		  bool have_rdev, dev_t rdev)
{
	if (p->commands)
		return devnode_remove_now(x->dev, node, type, have_rdev, rdev);
	return devnode_remove(x->dev, node, type, have_rdev, rdev);
}

static int remove_node(struct executor *x, const struct plan *p, const struct plan_step *s,
		       const struct device *dev)
{
	dev_t rdev = device_rdev(dev);
	int rc = 0;

	if (s->link && devnode_remove_symlink(x->dev, s->link, s->node) < 0)
		rc = -1;
	if (s->idlinks)
		unlink_idlinks(x, record_entry(x, dev->type, rdev), dev->type, s->node, NULL, 0);
	int done = remove_one(x, p, s->node, dev->type, dev->major >= 0, rdev);
	if (done < 0)
		rc = -1;
	const struct nodedb_entry *e = x->record && dev->major >= 0 ?
		nodedb_lookup(&x->record->db, dev->type, rdev) : NULL;
	if (done == 0 && e && strcmp(e->node, s->node) == 0)
		record_del(x->record, dev->type, rdev);
	devnode_prune(x->dev, s->node);
	if (s->link)
		devnode_prune(x->dev, s->link);
	return rc < 0 ? -1 : done;
}

/* What the record lists and the rules no longer name, or a device found
 * gone: the node goes (when it is still that device's), its link, its
 * persistent names; the record once the node is gone. */
static int forget(struct executor *x, const struct plan *p, const struct plan_step *s,
		  mode_t type, dev_t rdev)
{
	if (s->link && devnode_remove_symlink(x->dev, s->link, s->node) == 0)
		devnode_prune(x->dev, s->link);
	if (s->idlinks)
		unlink_idlinks(x, record_entry(x, type, rdev), type, s->node, NULL, 0);
	int rc = remove_one(x, p, s->node, type, true, rdev);
	if (rc == 0)
		devnode_prune(x->dev, s->node);
	if (rc == 0 && x->record && !s->keep_record)
		record_del(x->record, type, rdev);
	return rc;
}

/* Whether the node step S depends on went as S needs. */
static bool due(const struct plan *p, const struct plan_step *s)
{
	if (s->need == NEED_NOTHING || s->node_step < 0)
		return true;
	int r = p->v[s->node_step].result;
	return s->need == NEED_MADE ? r == 0 : r >= 0 && r != 2;
}

static int step(struct executor *x, const struct plan *p, struct plan_step *s,
		const struct device *dev, struct outcome *o)
{
	switch (s->kind) {
	case PLAN_NODE:
		return make_node(x, s, dev);
	case PLAN_LINK:
		/* mdev leaves what is there; only a ">" link failing counts */
		if (devnode_symlink(x->dev, s->link, s->node) < 0 && strcmp(s->link, "root") != 0)
			return -1;
		return 0;
	case PLAN_IDLINKS:
		if (s->node_step < 0 && !node_is(x, s->node, dev))
			return 1;
		idlinks(x, dev, s->node, s->node_step < 0, o);
		return 0;
	case PLAN_REMOVE:
		return remove_node(x, p, s, dev);
	case PLAN_FORGET:
		return forget(x, p, s, dev->type, device_rdev(dev));
	case PLAN_FIRMWARE:
		/* a missing firmware directory answers every request "-1" */
		if (dev->ev)
			firmware_load(x->sys_fd, uevent_get(dev->ev, "DEVPATH"), x->fw_fd, s->node);
		return 0;
	case PLAN_MODULES:
		if (x->mods)
			modules_load(x->mods, s->node);
		return 0;
	case PLAN_CARD_READY:
		card_ready(x, dev, s->node);
		return 0;
	case PLAN_MATCH:
	case PLAN_COMMAND:
		break;
	}
	return 0;
}

struct plan_step *execute(struct executor *x, struct plan *p, const struct device *dev,
			  struct outcome *o)
{
	unsigned long faults = x->dev->faults;
	struct plan_step *cmd = NULL;

	while (o->next < p->n && cmd == NULL) {
		struct plan_step *s = &p->v[o->next++];
		if (s->kind == PLAN_MATCH || !due(p, s))
			continue;
		if (s->kind == PLAN_COMMAND) {
			s->result = 0;
			o->ran_commands = true;
			cmd = s;
			continue;
		}
		s->result = step(x, p, s, dev, o);
		if (s->result < 0 && s->kind != PLAN_FORGET)
			o->rc = -1;
		o->held |= (s->kind == PLAN_REMOVE || s->kind == PLAN_FORGET) && s->result == 1;
	}
	/* One event at a time works on /dev: what failed now is this one's. */
	o->faulted |= x->dev->faults != faults;
	return cmd;
}

void outcome_free(struct outcome *o)
{
	free(o->props);
	memset(o, 0, sizeof(*o));
}
