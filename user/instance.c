// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The instance loader (see instance.h): the only place that opens and
 * loads the hook objects.
 *
 * Each step that succeeds leaves a mark in struct instance (attached,
 * created, pinned), and instance_unwind() undoes what the marks say, in
 * the reverse order; a failure at step N therefore undoes N-1..1 and
 * names step N in its error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "chimney.h"
#include "instance.h"
#include "inspect.h"
#include "log.h"
#include "xdp_ingress.skel.h"
#include "tc_egress.skel.h"
#include "xdp_cpumap.skel.h"

/* Our filter's identity on the clsact egress hook. */
#define CHIMNEY_TC_HANDLE	0xc41
#define CHIMNEY_TC_PRIO		1

static const struct {
	const char *name, *object, *step;
} prog_names[INSTANCE_NR_PROGS] = {
	[INSTANCE_XDP] = { "chimney_xdp", "xdp_ingress", "open XDP program" },
	[INSTANCE_TC] = { "chimney_tc", "tc_egress", "load TC egress program" },
	[INSTANCE_CPUMAP] = { "chimney_cpumap", "xdp_cpumap", "load cpumap program" },
};

/* Loaded first: it creates the maps, the others reuse them. */
static const enum instance_prog_id load_order[INSTANCE_NR_PROGS] = {
	INSTANCE_TC, INSTANCE_CPUMAP, INSTANCE_XDP,
};

static int fail(struct instance *inst, int err)
{
	pr_err("%s: step '%s' failed: %s%s\n", inst->opts.verb, inst->step,
	       strerror(-err),
	       inst->opts.load_only ? "" : "; nothing is left attached");
	return err;
}

/*
 * Is the XDP program with this id attached to ifindex, alone or through
 * the libxdp dispatcher? Must run inside the interface's namespace.
 */
bool xdp_prog_attached(int ifindex, __u32 id, bool *multiprog)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	bool found = false;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp)
		return false;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		found = p && xdp_program__id(p) == id;
		if (multiprog)
			*multiprog = false;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (xdp_program__id(p) == id)
				found = true;
		if (multiprog)
			*multiprog = true;
	}
	xdp_multiprog__close(mp);
	return found;
}

/* Remove the instance's pins and then its now-empty parent directories. */
int unpin_instance(const char *dir)
{
	char path[PATH_MAX], *slash;
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && !err)
		err = -errno;
	/* parents: <root>/<netns>, then <root>; they stay if not empty */
	snprintf(path, sizeof(path), "%s", dir);
	while ((slash = strrchr(path, '/')) && strlen(path) > strlen(CHIMNEY_PIN_ROOT)) {
		*slash = 0;
		if (rmdir(path))
			break;
	}
	return err;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int clsact_destroy(int ifindex)
{
	/* Destroying an egress-or-ingress hook removes clsact. */
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err = bpf_tc_hook_destroy(&hook);

	return err == -ENOENT ? 0 : err;
}

int instance_tc_detach(int ifindex, const struct chimney_meta *m)
{
	const struct iface_prog *p;
	struct iface_view v;
	int err;

	/* Only our own filter: by handle and priority, and by program.
	 * The clsact qdisc goes only with the last filter on it, as
	 * another tool may have added its own since. */
	err = iface_inspect(ifindex, &v);
	if (err)
		return err;
	p = iface_tc_recorded(&v, m);
	if (p)
		err = iface_prog_remove(ifindex, p);
	iface_view_free(&v);
	if (err && err != -ENOENT)
		return err;
	err = m->clsact_created ? iface_clsact_release(ifindex) : 0;
	return err < 0 ? err : 0;
}

int instance_xdp_detach(int ifindex, __u32 id, __u32 mode)
{
	struct xdp_program *p;
	int err;

	p = xdp_program__from_id(id);
	err = libxdp_get_error(p);
	if (err)
		return err;
	err = xdp_program__detach(p, ifindex,
				  mode == CHIMNEY_XDP_SKB ? XDP_MODE_SKB :
							    XDP_MODE_NATIVE, 0);
	xdp_program__close(p);
	return err;
}

/* Undo what the marks say was done, last step first. Quiet. */
static void instance_unwind(struct instance *inst)
{
	if (inst->pin_dir_made)
		unpin_instance(inst->pin_dir);
	inst->pin_dir_made = false;
	/* Only a filter attach put there: on a failed attach the slot may
	 * be another tool's, which must stay. */
	if (inst->tc_attached)
		instance_tc_detach(inst->ifindex, &inst->meta);
	else if (inst->meta.clsact_created)
		clsact_destroy(inst->ifindex);
	inst->tc_attached = false;
	inst->meta.clsact_created = 0;
	if (inst->xdp_attached)
		xdp_program__detach(inst->xp, inst->ifindex, inst->xdp_mode, 0);
	inst->xdp_attached = false;
}

static int map_index(const char *name)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++)
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_PROG &&
		    !strcmp(chimney_map_descs[i].name, name))
			return i;
	return -1;
}

/*
 * Before obj is loaded: its maps that an object loaded earlier created
 * become those. A map the list does not name stays the object's own,
 * neither shared nor pinned (and fails the map_list unit test).
 */
static int maps_share(struct instance *inst, struct instance_prog *p)
{
	struct bpf_map *m;
	int i, fd, err;

	bpf_object__for_each_map(m, p->obj) {
		/* .rodata/.bss and friends are the object's own */
		if (bpf_map__is_internal(m))
			continue;
		i = map_index(bpf_map__name(m));
		if (i < 0) {
			pr_warn("map '%s' of %s is not in <chimney/maps.h>: neither shared nor pinned\n",
				bpf_map__name(m), p->object);
			continue;
		}
		fd = *maps_fd(&inst->maps, i);
		if (fd < 0)
			continue;
		err = bpf_map__reuse_fd(m, fd);
		if (err)
			return err;
	}
	return 0;
}

/* After obj is loaded: the fds of the maps it created. */
static void maps_take(struct instance *inst, struct instance_prog *p)
{
	struct bpf_map *m;
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		if (chimney_map_descs[i].kind == CHIMNEY_PINNED_PROG ||
		    *maps_fd(&inst->maps, i) >= 0)
			continue;
		m = bpf_object__find_map_by_name(p->obj, chimney_map_descs[i].name);
		if (m)
			*maps_fd(&inst->maps, i) = bpf_map__fd(m);
	}
}

/* A loaded program's fd, id and verifier count. */
static void prog_loaded(struct instance_prog *p, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	p->fd = fd;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		p->id = info.id;
		p->verified_insns = info.verified_insns;
	}
	pr_debug("%s: %u instructions verified (limit %u)\n", p->name,
		 p->verified_insns, CHIMNEY_VERIFIER_LIMIT);
}

/* The skeletons' own open and load, one object at a time. */
static struct bpf_object *obj_open(struct instance *inst,
				   enum instance_prog_id id)
{
	switch (id) {
	case INSTANCE_TC:
		inst->tc = tc_egress__open();
		return inst->tc ? inst->tc->obj : NULL;
	case INSTANCE_CPUMAP:
		inst->cpumap = xdp_cpumap__open();
		return inst->cpumap ? inst->cpumap->obj : NULL;
	default:
		inst->xdp = xdp_ingress__open();
		return inst->xdp ? inst->xdp->obj : NULL;
	}
}

static int obj_load(struct instance *inst, enum instance_prog_id id)
{
	switch (id) {
	case INSTANCE_TC:
		return tc_egress__load(inst->tc);
	case INSTANCE_CPUMAP:
		return xdp_cpumap__load(inst->cpumap);
	default:
		return xdp_ingress__load(inst->xdp);
	}
}

int instance_open(struct instance *inst, const struct instance_opts *opts)
{
	struct bpf_map *m;
	int i, err;

	memset(inst, 0, sizeof(*inst));
	inst->opts = *opts;
	if (!inst->opts.verb)
		inst->opts.verb = "attach";
	maps_init(&inst->maps);
	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		inst->progs[i].name = prog_names[i].name;
		inst->progs[i].object = prog_names[i].object;
		inst->progs[i].fd = -1;
	}

	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		inst->step = prog_names[load_order[i]].step;
		inst->progs[load_order[i]].obj = obj_open(inst, load_order[i]);
		if (!inst->progs[load_order[i]].obj)
			return fail(inst, errno ? -errno : -ENOMEM);
	}

	/* The flow table is sized once, here (flow.size): whichever
	 * object creates it. */
	inst->step = prog_names[INSTANCE_TC].step;
	for (i = 0; opts->flow_size && i < INSTANCE_NR_PROGS; i++) {
		m = bpf_object__find_map_by_name(inst->progs[i].obj,
						 PIN(flows));
		err = m ? bpf_map__set_max_entries(m, opts->flow_size) : 0;
		if (err)
			return fail(inst, err);
	}
	return 0;
}

/*
 * Without load_only the XDP object is not loaded here: libxdp loads it
 * in xdp_program__attach(), as it must to make it an freplace program
 * of its dispatcher where the kernel allows that.
 */
int instance_load(struct instance *inst)
{
	DECLARE_LIBBPF_OPTS(xdp_program_opts, xopts);
	struct bpf_program *prog;
	struct instance_prog *p;
	enum instance_prog_id id;
	int i, err;

	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		id = load_order[i];
		p = &inst->progs[id];
		inst->step = prog_names[id].step;
		err = maps_share(inst, p);
		if (err)
			goto out;
		if (id == INSTANCE_XDP && !inst->opts.load_only)
			break;
		if (id == INSTANCE_XDP)
			inst->step = "load XDP program";
		err = obj_load(inst, id);
		if (err)
			goto out;
		maps_take(inst, p);
		prog = bpf_object__find_program_by_name(p->obj, p->name);
		if (!prog) {
			err = -ENOENT;
			goto out;
		}
		prog_loaded(p, bpf_program__fd(prog));
	}
	inst->maps.cpumap_prog = inst->progs[INSTANCE_CPUMAP].fd;
	if (inst->opts.load_only)
		return 0;

	xopts.obj = inst->xdp->obj;
	xopts.prog_name = inst->progs[INSTANCE_XDP].name;
	inst->xp = xdp_program__create(&xopts);
	err = libxdp_get_error(inst->xp);
	if (err) {
		inst->xp = NULL;
		goto out;
	}
	return 0;
out:
	return fail(inst, err);
}

int instance_commit(struct instance *inst, const struct chimney_config *cfg)
{
	int err;

	inst->step = "write config";
	err = config_commit(&inst->maps, NULL, cfg);
	if (err) {
		instance_unwind(inst);
		return fail(inst, err);
	}
	return 0;
}

static int write_map0(int fd, const void *val)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, val, BPF_ANY) ? -errno : 0;
}

/*
 * libxdp's attach, native first unless the mode is given. The errors
 * here say more than the step (a verifier refusal, a driver without
 * native XDP, an XDP program in the way), so they are the only line.
 */
static int xdp_attach(struct instance *inst, const struct chimney_ctx *ctx,
		      int req_mode)
{
	int mode = req_mode ? req_mode : XDP_MODE_NATIVE;
	int err;

	err = xdp_program__attach(inst->xp, ctx->ifindex, mode, 0);
	/* libxdp loads the program inside the attach. If that load was
	 * refused (the verifier), skb mode would fail the same way: say
	 * what failed instead of blaming native XDP. libxdp finds an XDP
	 * program in the way (EBUSY, EEXIST) before it loads ours, so the
	 * missing fd alone does not mean the verifier. */
	if (err && err != -EEXIST && err != -EBUSY &&
	    xdp_program__fd(inst->xp) < 0) {
		pr_err("%s: the kernel refused to load the XDP program: %s (-v shows the verifier's log)\n",
		       inst->opts.verb, strerror(-err));
		return err;
	}
	if (err && !req_mode && err != -EEXIST && err != -EBUSY) {
		pr_info("%s: native XDP not available (%s), using skb mode\n",
			ctx->ifname, strerror(-err));
		mode = XDP_MODE_SKB;
		err = xdp_program__attach(inst->xp, ctx->ifindex, mode, 0);
	}
	if (err) {
		if (err == -EOPNOTSUPP && mode == XDP_MODE_NATIVE)
			pr_err("%s: %s does not support native XDP; use --mode skb\n",
			       inst->opts.verb, ctx->ifname);
		else if (err == -EEXIST || err == -EBUSY)
			pr_err("%s: %s already has an XDP program that libxdp cannot share (%s)\n",
			       inst->opts.verb, ctx->ifname, strerror(-err));
		else
			pr_err("%s: step '%s' (%s mode) failed: %s\n",
			       inst->opts.verb, inst->step,
			       mode == XDP_MODE_SKB ? "skb" : "native",
			       strerror(-err));
		return err;
	}
	inst->xdp_mode = mode;
	inst->xdp_attached = true;
	return 0;
}

int instance_attach(struct instance *inst, const struct chimney_ctx *ctx,
		    int mode)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ctx->ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CHIMNEY_TC_HANDLE,
			    .priority = CHIMNEY_TC_PRIO);
	struct chimney_meta *meta = &inst->meta;
	struct instance_prog *xp = &inst->progs[INSTANCE_XDP];
	bool multi = false;
	int err;

	if (inst->opts.load_only || !inst->xp)
		return -EINVAL;
	inst->ifindex = ctx->ifindex;

	inst->step = "attach XDP";
	err = xdp_attach(inst, ctx, mode);
	if (err)
		return err;
	maps_take(inst, xp);
	prog_loaded(xp, xdp_program__fd(inst->xp));
	meta->xdp_prog_id = xdp_program__id(inst->xp);
	xdp_prog_attached(ctx->ifindex, meta->xdp_prog_id, &multi);
	meta->xdp_multiprog = multi;
	meta->xdp_mode = inst->xdp_mode == XDP_MODE_SKB ? CHIMNEY_XDP_SKB :
							   CHIMNEY_XDP_NATIVE;

	inst->step = "create clsact qdisc";
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		goto out;
	meta->clsact_created = !err;

	inst->step = "attach TC egress";
	tc_opts.prog_fd = inst->progs[INSTANCE_TC].fd;
	err = bpf_tc_attach(&hook, &tc_opts);
	if (err)
		goto out;
	meta->ifindex = ctx->ifindex;
	meta->tc_prog_id = inst->progs[INSTANCE_TC].id;
	meta->tc_handle = CHIMNEY_TC_HANDLE;
	meta->tc_priority = CHIMNEY_TC_PRIO;
	meta->attached_at = time(NULL);
	inst->tc_attached = true;

	inst->step = "write attach metadata";
	err = write_map0(inst->maps.meta, meta);
	if (err)
		goto out;
	return 0;
out:
	instance_unwind(inst);
	return fail(inst, err);
}

static int pin_one(struct instance *inst, int i)
{
	const char *name = chimney_map_descs[i].name;
	int fd = *maps_fd(&inst->maps, i);
	char path[PATH_MAX];
	int err;

	if (fd < 0) {
		pr_err("%s: map %s of <chimney/maps.h> is in none of the objects\n",
		       inst->opts.verb, name);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%s", inst->pin_dir, name);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		if (chimney_map_descs[i].kind == CHIMNEY_PINNED_MAP)
			pr_err("%s: pinning map %s at %s failed: %s\n",
			       inst->opts.verb, name, path, strerror(-err));
		return err;
	}
	return 0;
}

/* Pin every entry of the list of this kind. */
static int pin_kind(struct instance *inst, enum chimney_map_kind kind)
{
	int i, err;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		if (chimney_map_descs[i].kind != kind)
			continue;
		err = pin_one(inst, i);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The maps first, the cpumap program last: `chimney run` takes an
 * instance without cpumap_prog for an attach still in progress.
 */
int instance_pin(struct instance *inst, const char *pin_dir)
{
	int err;

	snprintf(inst->pin_dir, sizeof(inst->pin_dir), "%s", pin_dir);
	inst->step = "create pin directory";
	err = mkdir_p(pin_dir, 0700);
	if (err)
		goto out;
	inst->pin_dir_made = true;
	inst->step = "pin maps";
	err = pin_kind(inst, CHIMNEY_PINNED_MAP);
	if (err)
		goto out;
	inst->step = "pin cpumap program";
	err = pin_kind(inst, CHIMNEY_PINNED_PROG);
	if (err)
		goto out;
	inst->pinned = true;
	return 0;
out:
	instance_unwind(inst);
	return fail(inst, err);
}

void instance_close(struct instance *inst)
{
	if (!inst->pinned)
		instance_unwind(inst);
	if (inst->xp)
		xdp_program__close(inst->xp);
	xdp_ingress__destroy(inst->xdp);
	xdp_cpumap__destroy(inst->cpumap);
	tc_egress__destroy(inst->tc);
	inst->xp = NULL;
	inst->xdp = NULL;
	inst->cpumap = NULL;
	inst->tc = NULL;
	maps_init(&inst->maps);
}
