// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The instance loader (see instance.h): the only place that opens and
 * loads the hook objects, and attaches them.
 *
 * Each step that succeeds leaves a mark in struct instance (attached,
 * created, staged), and instance_unwind() undoes what the marks say, in
 * the reverse order; a failure at step N therefore undoes N-1..1 and
 * names step N in its error.
 *
 * What outlives this process is recorded before it is made: the maps
 * are pinned into the staging directory before anything is attached,
 * and each attachment is written to the staged meta map before the
 * next one starts (the clsact qdisc even before it is created), so a
 * process killed at any point leaves nothing that its staging directory
 * does not account for. The guard process, or the next attach, takes
 * such a directory down (take_down()); instance_publish()'s rename is
 * the one step after which the instance exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "chimney.h"
#include "hooks.h"
#include "instance.h"
#include "inspect.h"
#include "log.h"
#include "xdp_ingress.skel.h"
#include "tc_egress.skel.h"
#include "xdp_cpumap.skel.h"
#include "freplace_probe.skel.h"

/* Our filter's identity on the clsact egress hook. */
#define CHIMNEY_TC_HANDLE	0xc41
#define CHIMNEY_TC_PRIO		1

/* Where the next cpumap program is pinned before it replaces the pin. */
#define CPUMAP_PIN_NEXT		"cpumap_prog:new"

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
	       inst->opts.load_only ? "" :
	       inst->opts.reuse_dir ? "; the instance is as it was" :
				      "; nothing is left attached");
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

/* Remove every pin in dir, then dir itself. */
static int unpin_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && !err)
		err = -errno;
	return err;
}

void unpin_parents(const char *dir)
{
	char path[PATH_MAX], *slash;

	/* parents: <root>/<netns>, then <root>; they stay if not empty */
	snprintf(path, sizeof(path), "%s", dir);
	while ((slash = strrchr(path, '/')) && strlen(path) > strlen(CHIMNEY_PIN_ROOT)) {
		*slash = 0;
		if (rmdir(path))
			break;
	}
}

/* Remove the instance's pins and then its now-empty parent directories. */
int unpin_instance(const char *dir)
{
	int err = unpin_dir(dir);

	unpin_parents(dir);
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

int instance_stage_dir(char *buf, size_t len, const char *pin_dir)
{
	const char *slash = strrchr(pin_dir, '/');
	int n;

	if (!slash)
		return -EINVAL;
	n = snprintf(buf, len, "%.*s/attach:%s", (int)(slash - pin_dir),
		     pin_dir, slash + 1);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int clsact_destroy(int ifindex)
{
	/* Destroying an egress-or-ingress hook removes clsact. */
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err = bpf_tc_hook_destroy(&hook);

	return err == -ENOENT || err == -EINVAL ? 0 : err;
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

/* chimney's filter only, never the qdisc */
static int tc_detach_filter(int ifindex)
{
	struct chimney_meta m = {
		.tc_handle = CHIMNEY_TC_HANDLE,
		.tc_priority = CHIMNEY_TC_PRIO,
		.clsact_created = CHIMNEY_CLSACT_FOUND,
	};

	return instance_tc_detach(ifindex, &m);
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

static int write_map0(int fd, const void *val)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, val, BPF_ANY) ? -errno : 0;
}

static int write_meta(struct instance *inst)
{
	return write_map0(inst->maps.meta, &inst->meta);
}

static int read_meta_dir(const char *dir, struct chimney_meta *m)
{
	char path[PATH_MAX];
	int fd, err;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/%s", dir, PIN(meta));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = map_read0(fd, m, sizeof(*m));
	close(fd);
	return err;
}

/*
 * Take an instance's pin directory down, as detach would: the programs
 * on ifindex's hooks that use its maps, the clsact its meta says chimney
 * created (or was creating), its pins. For a staging directory (an
 * interrupted attach, or the pins a publish swapped out). Quiet: what
 * is gone already is no error.
 */
static int take_down(const char *dir, int ifindex)
{
	struct chimney_meta m;
	struct hook_prog p;
	struct map_ids ids;
	__u32 mode;
	bool multi;
	int err;

	map_ids_read(dir, &ids);
	read_meta_dir(dir, &m);
	if (m.ifindex)
		ifindex = m.ifindex;
	if (!m.tc_handle) {
		m.tc_handle = CHIMNEY_TC_HANDLE;
		m.tc_priority = CHIMNEY_TC_PRIO;
	}
	if (ids.n && !hook_xdp(ifindex, &ids, &p, &mode, &multi) &&
	    p.owner == HOOK_OURS)
		hook_xdp_remove(ifindex, &p, mode, multi);
	if (ids.n && !hook_tc(ifindex, m.tc_handle, m.tc_priority, &ids, &p) &&
	    p.owner == HOOK_OURS)
		tc_detach_filter(ifindex);
	if (m.clsact_created == CHIMNEY_CLSACT_CREATED ||
	    m.clsact_created == CHIMNEY_CLSACT_PENDING)
		clsact_destroy(ifindex);
	err = unpin_dir(dir);
	if (err)
		pr_warn("removing %s failed: %s\n", dir, strerror(-err));
	return err;
}

/* Undo what the marks say was done, last step first. Quiet. */
static void instance_unwind(struct instance *inst)
{
	/* Only a filter attach put there: on a failed attach the slot may
	 * be another tool's, which must stay. */
	if (inst->tc_attached)
		instance_tc_detach(inst->ifindex, &inst->meta);
	else if (inst->meta.clsact_created == CHIMNEY_CLSACT_CREATED)
		clsact_destroy(inst->ifindex);
	inst->tc_attached = false;
	inst->meta.clsact_created = CHIMNEY_CLSACT_FOUND;
	if (inst->xdp_attached && inst->xp) {
		xdp_program__detach(inst->xp, inst->ifindex, inst->xdp_mode, 0);
	} else if (inst->xdp_attached) {
		/* only if it is still ours that is there */
		LIBBPF_OPTS(bpf_xdp_attach_opts, o,
			    .old_prog_fd = inst->progs[INSTANCE_XDP].fd);

		bpf_xdp_detach(inst->ifindex, XDP_FLAGS_REPLACE |
			       (inst->xdp_mode == XDP_MODE_SKB ?
				XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE), &o);
	}
	inst->xdp_attached = false;
	if (inst->stage_made)
		unpin_dir(inst->stage_dir);
	inst->stage_made = false;
}

/*
 * The guarded section. A process killed between instance_pin() and the
 * commit point leaves pins and attachments behind, and SIGKILL cannot
 * be caught: so a child forked here waits on a pipe, and if the pipe
 * closes before the parent said "done" (the parent died), takes the
 * staging directory down, as the next attach would. It holds the config
 * lock the parent took (a copy of its fd) until it is done. SIGINT,
 * SIGTERM and SIGHUP wait in both until the section ends: they then
 * end the process as before, but never within it.
 */
static void guard_child(const struct chimney_ctx *ctx, int fd)
{
	char c;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	/* the parent is gone: instance_recover() says what it undoes; an
	 * empty namespace directory goes too, as after a failed attach
	 * (the lock is still held, by this process now) */
	instance_recover(ctx);
	unpin_parents(ctx->pin_dir);
	_exit(0);
}

static int guard_begin(struct instance *inst, const struct chimney_ctx *ctx)
{
	sigset_t hold;
	int p[2], err;
	pid_t pid;

	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hold, &inst->sigmask_saved);
	if (pipe2(p, O_CLOEXEC)) {
		err = -errno;
		goto restore;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		goto restore;
	}
	if (!pid) {
		close(p[1]);
		guard_child(ctx, p[0]);
	}
	close(p[0]);
	inst->guard_fd = p[1];
	inst->guard_pid = pid;
	inst->guarded = true;
	return 0;
restore:
	pthread_sigmask(SIG_SETMASK, &inst->sigmask_saved, NULL);
	return err;
}

/* All is done or undone: the guard may go; then the signals that
 * waited are delivered. */
static void guard_end(struct instance *inst)
{
	if (!inst->guarded)
		return;
	if (write(inst->guard_fd, "C", 1) != 1)
		pr_debug("telling the guard process: %s\n", strerror(errno));
	close(inst->guard_fd);
	while (waitpid(inst->guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
	inst->guarded = false;
	pthread_sigmask(SIG_SETMASK, &inst->sigmask_saved, NULL);
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
 * (or that reuse_dir pins) become those. A map the list does not name
 * stays the object's own, neither shared nor pinned (and fails the
 * map_list unit test).
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

#define FNV64_INIT	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

__u64 instance_build_hash(void)
{
	const void *elf[] = {
		NULL, NULL, NULL,
	};
	size_t sz[3], i, j;
	__u64 h = FNV64_INIT;

	elf[0] = tc_egress__elf_bytes(&sz[0]);
	elf[1] = xdp_cpumap__elf_bytes(&sz[1]);
	elf[2] = xdp_ingress__elf_bytes(&sz[2]);
	for (i = 0; i < 3; i++)
		for (j = 0; j < sz[i]; j++) {
			h ^= ((const unsigned char *)elf[i])[j];
			h *= FNV64_PRIME;
		}
	return h;
}

/* The layout of the objects' maps: each pinned map as the first object
 * in load order that defines it has it. */
static __u32 objects_layout(struct instance *inst)
{
	struct layout_map lm[CHIMNEY_NR_MAPS] = {};
	int i, j;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_MAP)
			continue;
		for (j = 0; j < INSTANCE_NR_PROGS; j++)
			if (!layout_map_from_object(inst->progs[load_order[j]].obj,
						    i, &lm[i]))
				break;
	}
	return layout_hash(lm);
}

/*
 * What differs between the objects' maps and those pinned in dir, as
 * one phrase into inst->why: the first map whose kernel-side definition
 * differs from the object's. None may (a version recorded by a build
 * whose maps differ where the kernel keeps no record, or one edited):
 * the versions still differ, and are named.
 */
static void layout_why(struct instance *inst, __u32 pinned, const char *dir)
{
	struct layout_map was, is;
	char path[PATH_MAX], one[128] = "";
	int i, j, fd, err;

	for (i = 0; i < CHIMNEY_NR_MAPS && !one[0]; i++) {
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_MAP)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, chimney_map_descs[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			snprintf(one, sizeof(one), "map %s is not pinned",
				 chimney_map_descs[i].name);
			break;
		}
		err = layout_map_from_fd(fd, i, &was);
		close(fd);
		for (j = 0; !err && j < INSTANCE_NR_PROGS; j++)
			if (!layout_map_from_object(inst->progs[load_order[j]].obj,
						    i, &is))
				break;
		if (!err && j < INSTANCE_NR_PROGS)
			layout_describe(&was, &is, i, one, sizeof(one));
	}
	snprintf(inst->why, sizeof(inst->why),
		 "this build's maps (layout %08x) differ from the pinned ones (layout %08x%s)%s%s",
		 inst->layout, pinned,
		 pinned ? "" : ": attached by a chimney that recorded none",
		 one[0] ? ": " : "", one);
}

int instance_open(struct instance *inst, const struct instance_opts *opts)
{
	struct bpf_map *m;
	int i, err;

	memset(inst, 0, sizeof(*inst));
	inst->opts = *opts;
	if (!inst->opts.verb)
		inst->opts.verb = "attach";
	inst->guard_fd = -1;
	maps_init(&inst->maps);
	maps_init(&inst->pinned);
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
	inst->layout = objects_layout(inst);
	inst->build = instance_build_hash();

	/* The flow table is sized once, here (flow.size): whichever
	 * object creates it. Pinned maps bring their own size. */
	inst->step = prog_names[INSTANCE_TC].step;
	for (i = 0; !opts->reuse_dir && opts->flow_size &&
		    i < INSTANCE_NR_PROGS; i++) {
		m = bpf_object__find_map_by_name(inst->progs[i].obj,
						 PIN(flows));
		err = m ? bpf_map__set_max_entries(m, opts->flow_size) : 0;
		if (err)
			return fail(inst, err);
	}
	return 0;
}

/*
 * reuse_dir: its pinned maps become the instance's, so that maps_share()
 * binds every object to them; the layout they were created with must
 * be this build's, checked before any program is verified against them.
 */
static int reuse_pinned(struct instance *inst)
{
	const char *dir = inst->opts.reuse_dir;
	struct chimney_meta m;
	int i, err;

	inst->step = "open the pinned maps";
	err = read_meta_dir(dir, &m);
	if (err)
		return fail(inst, err);
	if (m.layout != inst->layout) {
		layout_why(inst, m.layout, dir);
		return -ESTALE;
	}
	err = maps_open_dir(dir, &inst->pinned, false);
	if (err)
		return err;
	/* the pinned cpumap program is the running one's, not this build's */
	for (i = 0; i < CHIMNEY_NR_MAPS; i++)
		if (chimney_map_descs[i].kind == CHIMNEY_PINNED_MAP)
			*maps_fd(&inst->maps, i) = *maps_fd(&inst->pinned, i);
	return 0;
}

/*
 * libxdp loads the XDP object itself, inside its attach, where it can
 * use its dispatcher: it must load it as an freplace (EXT) program of
 * the dispatcher, and cannot take one loaded already. Everywhere else
 * chimney loads it here like the other two, so that its id and tag are
 * known (and recorded) before it is attached, and attaches it itself
 * through netlink, which can also replace it atomically.
 */
static bool xdp_through_libxdp(const struct instance *inst)
{
	static int dispatcher = -1;
	const char *step;
	int err;

	if (inst->opts.load_only)
		return false;
	if (dispatcher < 0)
		dispatcher = instance_probe_freplace(&step, &err) == 1 &&
			     !getenv("LIBXDP_SKIP_DISPATCHER");
	return dispatcher;
}

int instance_load(struct instance *inst)
{
	DECLARE_LIBBPF_OPTS(xdp_program_opts, xopts);
	struct bpf_program *prog;
	struct instance_prog *p;
	enum instance_prog_id id;
	bool via_libxdp = xdp_through_libxdp(inst);
	int i, err;

	if (inst->opts.reuse_dir) {
		err = reuse_pinned(inst);
		if (err)
			return err;
	}
	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		id = load_order[i];
		p = &inst->progs[id];
		inst->step = prog_names[id].step;
		err = maps_share(inst, p);
		if (err)
			goto out;
		if (id == INSTANCE_XDP && via_libxdp)
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
	if (!via_libxdp)
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

/* One attach in one mode: libxdp's, or netlink's for a program that is
 * not there yet (XDP_FLAGS_UPDATE_IF_NOEXIST: never over another). */
static int xdp_attach_mode(struct instance *inst, int ifindex, int mode)
{
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST |
		(mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	if (inst->xp)
		return xdp_program__attach(inst->xp, ifindex, mode, 0);
	return bpf_xdp_attach(ifindex, inst->progs[INSTANCE_XDP].fd, flags,
			      NULL);
}

/*
 * Native first unless the mode is given. The errors here say more than
 * the step (a verifier refusal, a driver without native XDP, an XDP
 * program in the way), so they are the only line.
 */
static int xdp_attach(struct instance *inst, const struct chimney_ctx *ctx,
		      int req_mode)
{
	int mode = req_mode ? req_mode : XDP_MODE_NATIVE;
	int err;

	err = xdp_attach_mode(inst, ctx->ifindex, mode);
	/* libxdp loads the program inside the attach. If that load was
	 * refused (the verifier), skb mode would fail the same way: say
	 * what failed instead of blaming native XDP. libxdp finds an XDP
	 * program in the way (EBUSY, EEXIST) before it loads ours, so the
	 * missing fd alone does not mean the verifier. */
	if (err && err != -EEXIST && err != -EBUSY && inst->xp &&
	    xdp_program__fd(inst->xp) < 0) {
		pr_err("%s: the kernel refused to load the XDP program: %s (-v shows the verifier's log)\n",
		       inst->opts.verb, strerror(-err));
		return err;
	}
	if (err && !req_mode && err != -EEXIST && err != -EBUSY) {
		pr_info("%s: native XDP not available (%s), using skb mode\n",
			ctx->ifname, strerror(-err));
		mode = XDP_MODE_SKB;
		err = xdp_attach_mode(inst, ctx->ifindex, mode);
	}
	if (err) {
		if (err == -EOPNOTSUPP && mode == XDP_MODE_NATIVE)
			pr_err("%s: %s does not support native XDP; use --mode skb\n",
			       inst->opts.verb, ctx->ifname);
		else if (err == -EEXIST || err == -EBUSY)
			pr_err("%s: %s already has an XDP program that %s (%s)\n",
			       inst->opts.verb, ctx->ifname,
			       inst->xp ? "libxdp cannot share" :
					  "chimney does not replace",
			       strerror(-err));
		else
			pr_err("%s: step '%s' (%s mode) failed: %s\n",
			       inst->opts.verb, inst->step,
			       mode == XDP_MODE_SKB ? "skb" : "native",
			       strerror(-err));
		return err;
	}
	inst->xdp_mode = mode;
	inst->xdp_attached = true;
	if (inst->xp) {
		struct instance_prog *xp = &inst->progs[INSTANCE_XDP];

		maps_take(inst, xp);
		prog_loaded(xp, xdp_program__fd(inst->xp));
	}
	return 0;
}

/* What xdp_attach() did, into the meta record. */
static void meta_xdp(struct instance *inst)
{
	bool multi = false;

	inst->meta.xdp_prog_id = inst->progs[INSTANCE_XDP].id;
	xdp_prog_attached(inst->ifindex, inst->meta.xdp_prog_id, &multi);
	inst->meta.xdp_multiprog = multi;
	inst->meta.xdp_mode = inst->xdp_mode == XDP_MODE_SKB ?
		CHIMNEY_XDP_SKB : CHIMNEY_XDP_NATIVE;
}

/*
 * clsact for the egress filter, recorded so that a later detach (or the
 * take-down of an interrupted attach) removes it exactly when chimney
 * made it: PENDING is written after it was seen to be absent and before
 * it is created, so a process killed in between leaves a record that
 * covers both outcomes; one that was there already is FOUND, and stays.
 */
static int clsact_ensure(struct instance *inst, int ifindex, bool *made)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	int err;

	err = hook_clsact_exists(ifindex);
	if (err < 0)
		return err;
	*made = false;
	if (err) {
		inst->meta.clsact_created = CHIMNEY_CLSACT_FOUND;
		return 0;
	}
	inst->meta.clsact_created = CHIMNEY_CLSACT_PENDING;
	err = write_meta(inst);
	if (err)
		return err;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	/* EEXIST: another tool made one since it was looked for */
	inst->meta.clsact_created = err ? CHIMNEY_CLSACT_FOUND :
					  CHIMNEY_CLSACT_CREATED;
	*made = !err;
	return write_meta(inst);
}

/* chimney's filter slot; BPF_TC_F_REPLACE swaps the program in it. */
static int tc_attach(int ifindex, int prog_fd, __u32 flags)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = CHIMNEY_TC_HANDLE,
			    .priority = CHIMNEY_TC_PRIO, .flags = flags,
			    .prog_fd = prog_fd);

	return bpf_tc_attach(&hook, &opts);
}


int instance_attach(struct instance *inst, const struct chimney_ctx *ctx,
		    int mode)
{
	struct chimney_meta *meta = &inst->meta;
	bool made;
	int err;

	if (inst->opts.load_only || !inst->stage_made)
		return -EINVAL;
	inst->ifindex = ctx->ifindex;

	/* What is about to be attached, before any of it is. */
	inst->step = "write attach metadata";
	meta->ifindex = ctx->ifindex;
	meta->xdp_prog_id = inst->progs[INSTANCE_XDP].id;
	meta->tc_prog_id = inst->progs[INSTANCE_TC].id;
	meta->cpumap_prog_id = inst->progs[INSTANCE_CPUMAP].id;
	meta->tc_handle = CHIMNEY_TC_HANDLE;
	meta->tc_priority = CHIMNEY_TC_PRIO;
	meta->clsact_created = CHIMNEY_CLSACT_FOUND;
	meta->layout = inst->layout;
	meta->build = inst->build;
	meta->attached_at = time(NULL);
	err = write_meta(inst);
	if (err)
		goto out;

	inst->step = "attach XDP";
	err = xdp_attach(inst, ctx, mode);
	if (err) {
		instance_unwind(inst);
		return err;
	}
	meta_xdp(inst);
	inst->step = "write attach metadata";
	err = write_meta(inst);
	if (err)
		goto out;

	inst->step = "create clsact qdisc";
	err = clsact_ensure(inst, ctx->ifindex, &made);
	if (err)
		goto out;

	inst->step = "attach TC egress";
	err = tc_attach(ctx->ifindex, inst->progs[INSTANCE_TC].fd, 0);
	if (err)
		goto out;
	inst->tc_attached = true;
	inst->step = "write attach metadata";
	err = write_meta(inst);
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
	snprintf(path, sizeof(path), "%s/%s", inst->stage_dir, name);
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
 * Into the staging directory, which no reader looks at: the pins appear
 * at pin_dir all at once, at instance_publish(). Recovery has taken
 * down whatever an earlier attach staged there (EEXIST otherwise).
 */
int instance_pin(struct instance *inst, const char *pin_dir)
{
	char parent[PATH_MAX], *slash;
	int err;

	snprintf(inst->pin_dir, sizeof(inst->pin_dir), "%s", pin_dir);
	inst->step = "create pin directory";
	err = instance_stage_dir(inst->stage_dir, sizeof(inst->stage_dir),
				 pin_dir);
	if (err)
		goto out;
	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	*slash = 0;
	err = mkdir_p(parent, 0700);
	if (err)
		goto out;
	if (mkdir(inst->stage_dir, 0700)) {
		err = -errno;
		goto out;
	}
	inst->stage_made = true;
	inst->step = "pin maps";
	err = pin_kind(inst, CHIMNEY_PINNED_MAP);
	if (err)
		goto out;
	inst->step = "pin cpumap program";
	err = pin_kind(inst, CHIMNEY_PINNED_PROG);
	if (err)
		goto out;
	return 0;
out:
	instance_unwind(inst);
	return fail(inst, err);
}

/*
 * attach (not the tests) guards from before the first pin: the guard is
 * forked in the interface's namespace, with the config lock held.
 */
int instance_guard(struct instance *inst, const struct chimney_ctx *ctx)
{
	int err;

	if (inst->opts.load_only)
		return 0;
	inst->step = "start the guard process";
	err = guard_begin(inst, ctx);
	return err ? fail(inst, err) : 0;
}

int instance_publish(struct instance *inst)
{
	struct stat st;
	bool swap;
	int err;

	inst->step = "publish the pins";
	swap = !stat(inst->pin_dir, &st);
	/* The commit point. bpffs renames directories, and with
	 * RENAME_EXCHANGE swaps two: the old pins take the staging name,
	 * to be taken down like an interrupted attach. */
	if (renameat2(AT_FDCWD, inst->stage_dir, AT_FDCWD, inst->pin_dir,
		      swap ? RENAME_EXCHANGE : RENAME_NOREPLACE)) {
		err = -errno;
		instance_unwind(inst);
		guard_end(inst);
		return fail(inst, err);
	}
	inst->published = true;
	inst->stage_made = false;
	if (swap)
		take_down(inst->stage_dir, inst->ifindex);
	guard_end(inst);
	return 0;
}

void instance_close(struct instance *inst)
{
	if (!inst->published)
		instance_unwind(inst);
	guard_end(inst);
	if (inst->xp)
		xdp_program__close(inst->xp);
	xdp_ingress__destroy(inst->xdp);
	xdp_cpumap__destroy(inst->cpumap);
	tc_egress__destroy(inst->tc);
	inst->xp = NULL;
	inst->xdp = NULL;
	inst->cpumap = NULL;
	inst->tc = NULL;
	maps_close(&inst->pinned);
	maps_init(&inst->maps);
}

int instance_inspect(const struct chimney_ctx *ctx, struct instance_state *st)
{
	struct map_ids ids = {};
	struct hook_prog p;
	__u32 handle = CHIMNEY_TC_HANDLE, prio = CHIMNEY_TC_PRIO, mode;
	bool multi;
	int err;

	memset(st, 0, sizeof(*st));
	st->pinned = instance_exists(ctx);
	if (st->pinned) {
		map_ids_read(ctx->pin_dir, &ids);
		st->meta_ok = !instance_read_meta(ctx, &st->meta);
	}
	if (st->meta_ok && st->meta.tc_handle) {
		handle = st->meta.tc_handle;
		prio = st->meta.tc_priority;
	}
	err = hook_xdp(ctx->ifindex, ids.n ? &ids : NULL, &st->xdp,
		       &st->xdp_mode, &st->xdp_multi);
	if (!err)
		err = hook_tc(ctx->ifindex, handle, prio, ids.n ? &ids : NULL,
			      &st->tc);
	if (err || !st->meta_ok || !st->meta.ifindex ||
	    st->meta.ifindex == (__u32)ctx->ifindex)
		return err;
	/* Pinned for another ifindex: do its programs still run there? */
	if ((!hook_xdp(st->meta.ifindex, &ids, &p, &mode, &multi) &&
	     p.owner == HOOK_OURS) ||
	    (!hook_tc(st->meta.ifindex, handle, prio, &ids, &p) &&
	     p.owner == HOOK_OURS))
		st->live_elsewhere = st->meta.ifindex;
	return 0;
}

int instance_recover(const struct chimney_ctx *ctx)
{
	struct instance_state st;
	char stage[PATH_MAX];
	struct stat sb;
	int err, fd;

	err = instance_stage_dir(stage, sizeof(stage), ctx->pin_dir);
	if (err)
		return err;
	if (!stat(stage, &sb)) {
		pr_warn("%s: an attach was interrupted; taking down what it left (%s)\n",
			ctx->ifname, stage);
		err = take_down(stage, ctx->ifindex);
	}
	/* An interrupted repair or upgrade: meta names the programs that
	 * use the instance's maps, whichever got attached. */
	if (!ctx->ifindex || instance_inspect(ctx, &st) || !st.meta_ok ||
	    st.meta.ifindex != (__u32)ctx->ifindex)
		return err;
	if (st.xdp.owner == HOOK_OURS)
		st.meta.xdp_prog_id = st.xdp.id;
	if (st.tc.owner == HOOK_OURS)
		st.meta.tc_prog_id = st.tc.id;
	if (st.meta.clsact_created == CHIMNEY_CLSACT_PENDING)
		st.meta.clsact_created = hook_clsact_exists(ctx->ifindex) > 0 ?
			CHIMNEY_CLSACT_CREATED : CHIMNEY_CLSACT_FOUND;
	fd = pin_open(ctx, PIN(meta));
	if (fd < 0)
		return err;
	/* another build's meta (another size) is that build's to fix */
	map_write0(fd, &st.meta, sizeof(st.meta));
	close(fd);
	return err;
}

/* The tag of a loaded program, by id. */
static int prog_tag(__u32 id, __u8 *tag)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else
		memcpy(tag, info.tag, BPF_TAG_SIZE);
	close(fd);
	return err;
}

static bool tag_differs(const struct instance_prog *p, const __u8 *running)
{
	__u8 tag[BPF_TAG_SIZE];

	return prog_tag(p->id, tag) || memcmp(tag, running, BPF_TAG_SIZE);
}

/* Netlink's atomic replace: new_fd takes old_fd's place, or EEXIST if
 * old_fd is no longer the program there. */
static int xdp_replace(int ifindex, int new_fd, int old_fd, __u32 mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);

	return bpf_xdp_attach(ifindex, new_fd, XDP_FLAGS_REPLACE |
			      (mode == CHIMNEY_XDP_SKB ? XDP_FLAGS_SKB_MODE :
							  XDP_FLAGS_DRV_MODE),
			      &opts);
}

/*
 * Every cpumap entry runs the program its value named when written: to
 * run the new one, each entry is written again with it (a new entry,
 * whose queue the kernel starts afresh; a frame still queued in the old
 * one is delivered by it). Then the pin is replaced: pinned beside it,
 * renamed over it.
 */
static int cpumap_update(struct instance *inst, const struct chimney_ctx *ctx,
			 int prog_fd)
{
	struct bpf_cpumap_val val;
	char next[PATH_MAX], pin[PATH_MAX];
	__u32 cpu;

	for (cpu = 0; cpu < CHIMNEY_MAX_CPUS; cpu++) {
		if (bpf_map_lookup_elem(inst->maps.cpus, &cpu, &val))
			continue;
		val.bpf_prog.fd = prog_fd;
		if (bpf_map_update_elem(inst->maps.cpus, &cpu, &val, BPF_EXIST))
			return -errno;
	}
	snprintf(next, sizeof(next), "%s/" CPUMAP_PIN_NEXT, ctx->pin_dir);
	snprintf(pin, sizeof(pin), "%s/%s", ctx->pin_dir, PIN(cpumap_prog));
	unlink(next);
	if (bpf_obj_pin(prog_fd, next) || rename(next, pin))
		return -errno;
	return 0;
}

/* The tag and id of the pinned cpumap program. */
static int pinned_cpumap(const struct chimney_ctx *ctx, __u32 *id, __u8 *tag)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = pin_open(ctx, PIN(cpumap_prog));
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	*id = info.id;
	memcpy(tag, info.tag, BPF_TAG_SIZE);
	close(fd);
	return err;
}

int instance_update(struct instance *inst, const struct chimney_ctx *ctx,
		    const struct instance_state *st, int mode,
		    struct instance_change *chg)
{
	struct instance_prog *x = &inst->progs[INSTANCE_XDP];
	struct instance_prog *t = &inst->progs[INSTANCE_TC];
	struct instance_prog *c = &inst->progs[INSTANCE_CPUMAP];
	int old_xdp = -1, old_tc = -1, old_cpumap = -1, err;
	bool cpumap_touched = false;
	__u8 ctag[BPF_TAG_SIZE];
	__u32 cid = 0;

	memset(chg, 0, sizeof(*chg));
	if (!inst->opts.reuse_dir)
		return -EINVAL;
	inst->ifindex = ctx->ifindex;
	inst->meta = st->meta;
	err = instance_guard(inst, ctx);
	if (err)
		return err;

	/* Until the end, meta names no build: an attach that finds it so
	 * (this one was killed) loads and compares every program again. */
	inst->step = "write attach metadata";
	inst->meta.build = 0;
	err = write_meta(inst);
	if (err)
		goto out;

	if (st->xdp.owner == HOOK_OURS && !inst->xp &&
	    tag_differs(x, st->xdp.tag)) {
		inst->step = "replace XDP";
		old_xdp = bpf_prog_get_fd_by_id(st->xdp.id);
		err = old_xdp < 0 ? -errno :
		      xdp_replace(ctx->ifindex, x->fd, old_xdp, st->xdp_mode);
		if (err)
			goto out;
		chg->xdp_old = st->xdp.id;
		chg->xdp_new = x->id;
		inst->meta.xdp_prog_id = x->id;
	} else if (st->xdp.owner == HOOK_OURS) {
		inst->meta.xdp_prog_id = st->xdp.id;
	} else {
		inst->step = "attach XDP";
		if (!mode && st->meta.xdp_mode)
			mode = st->meta.xdp_mode == CHIMNEY_XDP_SKB ?
				XDP_MODE_SKB : XDP_MODE_NATIVE;
		err = xdp_attach(inst, ctx, mode);
		if (err)
			goto out_quiet;
		meta_xdp(inst);
		chg->xdp_new = x->id;
	}
	inst->step = "write attach metadata";
	err = write_meta(inst);
	if (err)
		goto out;

	if (st->tc.owner == HOOK_OURS && tag_differs(t, st->tc.tag)) {
		inst->step = "replace TC egress";
		old_tc = bpf_prog_get_fd_by_id(st->tc.id);
		err = old_tc < 0 ? -errno :
		      tc_attach(ctx->ifindex, t->fd, BPF_TC_F_REPLACE);
		if (err)
			goto out;
		chg->tc_old = st->tc.id;
		chg->tc_new = t->id;
		inst->meta.tc_prog_id = t->id;
	} else if (st->tc.owner == HOOK_OURS) {
		inst->meta.tc_prog_id = st->tc.id;
	} else {
		inst->step = "create clsact qdisc";
		err = clsact_ensure(inst, ctx->ifindex, &chg->clsact_created);
		if (err)
			goto out;
		/* the clsact chimney created is still there: still its own */
		if (!chg->clsact_created &&
		    st->meta.clsact_created == CHIMNEY_CLSACT_CREATED)
			inst->meta.clsact_created = CHIMNEY_CLSACT_CREATED;
		inst->step = "attach TC egress";
		err = tc_attach(ctx->ifindex, t->fd, 0);
		if (err)
			goto out;
		inst->tc_attached = true;
		inst->meta.tc_handle = CHIMNEY_TC_HANDLE;
		inst->meta.tc_priority = CHIMNEY_TC_PRIO;
		inst->meta.tc_prog_id = t->id;
		chg->tc_new = t->id;
	}
	inst->step = "write attach metadata";
	err = write_meta(inst);
	if (err)
		goto out;

	inst->step = "replace cpumap program";
	err = pinned_cpumap(ctx, &cid, ctag);
	if (err)
		goto out;
	if (tag_differs(c, ctag)) {
		old_cpumap = bpf_prog_get_fd_by_id(cid);
		if (old_cpumap < 0) {
			err = -errno;
			goto out;
		}
		cpumap_touched = true;
		err = cpumap_update(inst, ctx, c->fd);
		if (err)
			goto out;
		chg->cpumap_old = cid;
		chg->cpumap_new = c->id;
	}
	inst->meta.cpumap_prog_id = chg->cpumap_new ? c->id : cid;

	inst->step = "write attach metadata";
	inst->meta.build = inst->build;
	inst->meta.layout = inst->layout;
	err = write_meta(inst);
	if (err)
		goto out;
	goto done;
out:
	fail(inst, err);
out_quiet:
	/* Put back what changed, newest first. */
	if (cpumap_touched)
		cpumap_update(inst, ctx, old_cpumap);
	if (chg->tc_old)
		tc_attach(ctx->ifindex, old_tc, BPF_TC_F_REPLACE);
	else if (inst->tc_attached)
		tc_detach_filter(ctx->ifindex);
	if (chg->clsact_created)
		clsact_destroy(ctx->ifindex);
	if (chg->xdp_old)
		xdp_replace(ctx->ifindex, old_xdp, x->fd, st->xdp_mode);
	else if (inst->xdp_attached && inst->xp)
		xdp_program__detach(inst->xp, ctx->ifindex, inst->xdp_mode, 0);
	else if (inst->xdp_attached)
		xdp_replace(ctx->ifindex, -1, x->fd, inst->xdp_mode ==
			    XDP_MODE_SKB ? CHIMNEY_XDP_SKB : CHIMNEY_XDP_NATIVE);
	inst->meta = st->meta;
	write_meta(inst);
	memset(chg, 0, sizeof(*chg));
done:
	/* the instance lives on in its pins: nothing for close to undo */
	inst->xdp_attached = inst->tc_attached = false;
	inst->published = true;
	if (old_xdp >= 0)
		close(old_xdp);
	if (old_tc >= 0)
		close(old_tc);
	if (old_cpumap >= 0)
		close(old_cpumap);
	guard_end(inst);
	return err;
}

int instance_remove_orphans(const struct chimney_ctx *ctx,
			    struct instance_state *st)
{
	int err = 0;

	if (st->xdp.owner == HOOK_ORPHAN) {
		pr_warn("%s: removing XDP program %u (%s): chimney's, but its maps are pinned nowhere (an interrupted attach?)\n",
			ctx->ifname, st->xdp.id, st->xdp.name);
		err = hook_xdp_remove(ctx->ifindex, &st->xdp, st->xdp_mode,
				      st->xdp_multi);
		if (err)
			return err;
		memset(&st->xdp, 0, sizeof(st->xdp));
	}
	if (st->tc.owner == HOOK_ORPHAN) {
		pr_warn("%s: removing TC egress filter (prog %u, %s): chimney's, but its maps are pinned nowhere (an interrupted attach?)\n",
			ctx->ifname, st->tc.id, st->tc.name);
		err = tc_detach_filter(ctx->ifindex);
		if (err)
			return err;
		memset(&st->tc, 0, sizeof(st->tc));
	}
	return 0;
}

/*
 * Load probe_xdp, then probe_ext as its freplace, then attach the
 * latter: the two steps libxdp's dispatcher takes for every program.
 * Refusal at either step is the answer; a failure before them (the
 * target itself does not load) leaves the question open.
 */
int instance_probe_freplace(const char **step, int *errp)
{
	struct freplace_probe *tgt, *ext = NULL;
	struct bpf_link *link;
	int err, tgt_fd, ret;

	*step = NULL;
	tgt = freplace_probe__open();
	if (!tgt) {
		ret = -errno;
		goto out;
	}
	bpf_program__set_autoload(tgt->progs.probe_ext, false);
	ret = freplace_probe__load(tgt);
	if (ret)
		goto out;
	tgt_fd = bpf_program__fd(tgt->progs.probe_xdp);

	ext = freplace_probe__open();
	if (!ext) {
		ret = -errno;
		goto out;
	}
	bpf_program__set_autoload(ext->progs.probe_xdp, false);
	ret = bpf_program__set_attach_target(ext->progs.probe_ext, tgt_fd,
					     "probe_target");
	if (ret)
		goto out;

	ret = 0;
	*step = "load";
	err = freplace_probe__load(ext);
	if (err)
		goto out_refused;
	*step = "attach";
	link = bpf_program__attach_freplace(ext->progs.probe_ext, tgt_fd,
					    "probe_target");
	if (!link) {
		err = -errno;
		goto out_refused;
	}
	bpf_link__destroy(link);
	*step = NULL;
	ret = 1;
	goto out;
out_refused:
	pr_debug("freplace: the kernel refused the EXT program's %s: %s\n",
		 *step, strerror(-err));
	*errp = err;
out:
	if (ret < 0)
		*errp = ret;
	freplace_probe__destroy(ext);
	freplace_probe__destroy(tgt);
	return ret;
}
