// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach, detach, set.
 *
 * attach is all or nothing: each step that succeeds pushes work onto the
 * unwind path below it, and a failure at step N undoes steps N-1..1 and
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
#include <json-c/json.h>

#include "chimney.h"
#include "config.h"
#include "log.h"
#include "xdp_ingress.skel.h"
#include "tc_egress.skel.h"
#include "xdp_cpumap.skel.h"

/* Our filter's identity on the clsact egress hook. */
#define CHIMNEY_TC_HANDLE	0xc41
#define CHIMNEY_TC_PRIO		1

static const char *mode_name(__u32 mode)
{
	return mode == CHIMNEY_XDP_NATIVE ? "native" :
	       mode == CHIMNEY_XDP_SKB ? "skb" : "unknown";
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
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

static int pin_maps(const char *dir, struct bpf_object *obj)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		/* .rodata/.bss and friends are internal to the object */
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		if (bpf_obj_pin(bpf_map__fd(map), path)) {
			err = -errno;
			/* the caller's error names the step */
			pr_debug("pinning map %s at %s failed: %s\n",
				 bpf_map__name(map), path, strerror(-err));
			return err;
		}
	}
	return 0;
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

static int tc_detach(int ifindex, const struct chimney_meta *m)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = m->tc_handle,
			    .priority = m->tc_priority);
	int err;

	err = bpf_tc_detach(&hook, &opts);
	if (err && err != -ENOENT)
		return err;
	if (m->clsact_created) {
		/* Destroying an egress-or-ingress hook removes clsact. */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

static int xdp_detach_id(int ifindex, __u32 id, __u32 mode)
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

/* Point obj's maps at the ones `owner` created, by name. */
static int reuse_maps(struct bpf_object *obj, struct bpf_object *owner)
{
	struct bpf_map *m, *om;
	int err;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		om = bpf_object__find_map_by_name(owner, bpf_map__name(m));
		err = om ? bpf_map__reuse_fd(m, bpf_map__fd(om)) : -ENOENT;
		if (err)
			return err;
	}
	return 0;
}

/* Apply KEY=VALUE to a running instance's pinned config. */
static int update_pinned_config(struct chimney_ctx *ctx, int n, char **kv,
				const char *verb)
{
	struct chimney_config old, cfg;
	struct chimney_maps m;
	const char *step;
	int err;

	err = maps_open_pinned(ctx, &m);
	if (err)
		return err;
	err = instance_read_config(ctx, &old);
	if (err) {
		pr_err("%s: reading config of %s failed: %s\n", verb,
		       ctx->ifname, strerror(-err));
		goto out;
	}
	cfg = old;
	err = config_apply_kv(&cfg, n, kv, verb);
	if (err)
		goto out;
	/* The flows map was sized when attach created it. */
	if (cfg.flow_size != old.flow_size) {
		pr_err("%s: flow.size is fixed when attach creates the flow table (it is %u): detach and attach again to change it\n",
		       verb, old.flow_size);
		err = -EINVAL;
		goto out;
	}
	err = config_commit_step(&m, &old, &cfg, &step);
	if (err)
		pr_err("%s: writing the %s of %s failed: %s; its config may be partly applied\n",
		       verb, step, ctx->ifname, strerror(-err));
out:
	maps_close(&m);
	return err;
}

/*
 * The attach sequence. Maps are created by loading the TC object first,
 * so the config is in place before either program sees a packet; the
 * XDP object then reuses them and libxdp loads and attaches it.
 */
static int attach_fresh(struct chimney_ctx *ctx, int req_mode,
			const struct chimney_config *cfg)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ctx->ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CHIMNEY_TC_HANDLE,
			    .priority = CHIMNEY_TC_PRIO);
	DECLARE_LIBBPF_OPTS(xdp_program_opts, xopts);
	struct chimney_meta meta = {};
	struct xdp_ingress *xs = NULL;
	struct xdp_cpumap *cs = NULL;
	struct tc_egress *ts = NULL;
	struct xdp_program *xp = NULL;
	struct chimney_maps maps;
	char path[PATH_MAX];
	const char *step;
	int err, mode;
	bool multi = false;

	step = "load TC egress program";
	ts = tc_egress__open();
	if (!ts) {
		err = -errno;
		goto out;
	}
	/* The flow table is sized once, here (flow.size). */
	err = bpf_map__set_max_entries(ts->maps.flows, cfg->flow_size);
	if (!err)
		err = tc_egress__load(ts);
	if (err)
		goto out;

	step = "load cpumap program";
	cs = xdp_cpumap__open();
	if (!cs) {
		err = -errno;
		goto out;
	}
	err = reuse_maps(cs->obj, ts->obj);
	if (!err)
		err = xdp_cpumap__load(cs);
	if (err)
		goto out;

	step = "write config";
	maps_from_obj(&maps, ts->obj);
	maps.cpumap_prog = bpf_program__fd(cs->progs.chimney_cpumap);
	err = config_commit(&maps, NULL, cfg);
	if (err)
		goto out;

	step = "open XDP program";
	xs = xdp_ingress__open();
	if (!xs) {
		err = -errno;
		goto out;
	}
	err = reuse_maps(xs->obj, ts->obj);
	if (err)
		goto out;
	xopts.obj = xs->obj;
	xopts.prog_name = "chimney_xdp";
	xp = xdp_program__create(&xopts);
	err = libxdp_get_error(xp);
	if (err) {
		xp = NULL;
		goto out;
	}

	step = "attach XDP";
	mode = req_mode ? req_mode : XDP_MODE_NATIVE;
	err = xdp_program__attach(xp, ctx->ifindex, mode, 0);
	/* libxdp loads the program inside the attach. If that load was
	 * refused (the verifier), skb mode would fail the same way: say
	 * what failed instead of blaming native XDP. */
	if (err && xdp_program__fd(xp) < 0) {
		pr_err("attach: the kernel refused to load the XDP program: %s (-v shows the verifier's log)\n",
		       strerror(-err));
		goto out_quiet;
	}
	if (err && !req_mode && err != -EEXIST && err != -EBUSY) {
		pr_info("%s: native XDP not available (%s), using skb mode\n",
			ctx->ifname, strerror(-err));
		mode = XDP_MODE_SKB;
		err = xdp_program__attach(xp, ctx->ifindex, mode, 0);
	}
	if (err) {
		if (err == -EOPNOTSUPP && mode == XDP_MODE_NATIVE)
			pr_err("attach: %s does not support native XDP; use --mode skb\n",
			       ctx->ifname);
		else if (err == -EEXIST || err == -EBUSY)
			pr_err("attach: %s already has an XDP program that libxdp cannot share (%s)\n",
			       ctx->ifname, strerror(-err));
		else
			pr_err("attach: step '%s' (%s mode) failed: %s\n", step,
			       mode == XDP_MODE_SKB ? "skb" : "native",
			       strerror(-err));
		goto out_quiet;
	}
	meta.xdp_prog_id = xdp_program__id(xp);
	xdp_prog_attached(ctx->ifindex, meta.xdp_prog_id, &multi);
	meta.xdp_multiprog = multi;
	meta.xdp_mode = mode == XDP_MODE_SKB ? CHIMNEY_XDP_SKB : CHIMNEY_XDP_NATIVE;

	step = "create clsact qdisc";
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		goto out_xdp;
	meta.clsact_created = !err;

	step = "attach TC egress";
	tc_opts.prog_fd = bpf_program__fd(ts->progs.chimney_tc);
	err = bpf_tc_attach(&hook, &tc_opts);
	if (err)
		goto out_hook;
	meta.ifindex = ctx->ifindex;
	meta.tc_prog_id = prog_id(tc_opts.prog_fd);
	meta.tc_handle = CHIMNEY_TC_HANDLE;
	meta.tc_priority = CHIMNEY_TC_PRIO;
	meta.attached_at = time(NULL);

	step = "write attach metadata";
	err = write_map0(bpf_map__fd(ts->maps.meta), &meta);
	if (err)
		goto out_tc;

	step = "create pin directory";
	err = mkdir_p(ctx->pin_dir, 0700);
	if (err)
		goto out_tc;
	step = "pin maps";
	err = pin_maps(ctx->pin_dir, ts->obj);
	if (err)
		goto out_pins;
	step = "pin cpumap program";
	snprintf(path, sizeof(path), "%s/%s", ctx->pin_dir, PIN_CPUMAP_PROG);
	if (bpf_obj_pin(maps.cpumap_prog, path)) {
		err = -errno;
		goto out_pins;
	}

	if (!ctx->json)
		printf("%s: attached (XDP %s mode, %s; TC egress)\n", ctx->ifname,
		       mode_name(meta.xdp_mode),
		       multi ? "libxdp dispatcher" : "single program");
	err = 0;
	goto cleanup;

out_pins:
	unpin_instance(ctx->pin_dir);
out_tc:
	tc_opts.prog_fd = tc_opts.prog_id = tc_opts.flags = 0;
	bpf_tc_detach(&hook, &tc_opts);
out_hook:
	if (meta.clsact_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
out_xdp:
	xdp_program__detach(xp, ctx->ifindex, mode, 0);
out:
	pr_err("attach: step '%s' failed: %s; nothing is left attached\n", step,
	       strerror(-err));
out_quiet:
cleanup:
	xdp_program__close(xp);
	xdp_ingress__destroy(xs);
	xdp_cpumap__destroy(cs);
	tc_egress__destroy(ts);
	return err;
}

/*
 * {"attached": IFACE, "netns": NETNS}, and "updated": true for a config
 * update. Through json-c: an interface name may hold '"' or '\\'.
 */
static void print_json(const struct chimney_ctx *ctx, const char *what,
		       bool updated)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, what, json_object_new_string(ctx->ifname));
	json_object_object_add(o, "netns", json_object_new_string(
		ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS));
	if (updated)
		json_object_object_add(o, "updated", json_object_new_boolean(true));
	cli_json_print(o, false);
}

struct attach_opts {
	int mode;	/* XDP_MODE_*; 0: native, else skb */
};

static const struct cli_value attach_modes[] = {
	{ .name = "native", .val = XDP_MODE_NATIVE },
	{ .name = "skb", .val = XDP_MODE_SKB },
	{ .name = "drv", .val = XDP_MODE_NATIVE, .alias = true },
	{ .name = "generic", .val = XDP_MODE_SKB, .alias = true },
	{}
};

static const struct cli_opt attach_opts[] = {
	CLI_OPT("mode", CLI_ENUM, struct attach_opts, mode, .key = 'm',
		.arg = "MODE", .values = attach_modes,
		.help = "native (driver) or skb (generic) XDP; default: native, falling back to skb when the driver has no XDP support",
		.doc = "`native` (driver) or `skb` (generic) XDP. Without it, native XDP is used when the driver has it, otherwise skb mode; `--mode native` on an interface without native XDP is an error."),
	{}
};

const struct cli_spec attach_cli = {
	.name = "attach",
	.forms = (const char *const[]){ "IFACE [KEY=VALUE ...]", NULL },
	.min_args = 1,
	.max_args = -1,
	.about =
	"Load the XDP ingress and TC egress programs on IFACE, configure them and\n"
	"pin their maps under " CHIMNEY_PIN_ROOT "/<netns>/IFACE/. All or nothing:\n"
	"after a failure nothing stays attached. Attaching again updates the config.\n",
	.opts = attach_opts,
	.common = CLI_COMMON,
	.json_help = "the result as JSON",
	.more_help = config_print_keys,
};

int cmd_attach(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct attach_opts o = {};
	struct chimney_config cfg;
	struct chimney_meta meta;
	struct cli_args a;
	int mode, err;

	err = cli_parse(&attach_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	mode = o.mode;

	/* Validate config before touching anything. */
	config_defaults(&cfg);
	if (config_apply_kv(&cfg, a.n - 1, a.v + 1, "attach"))
		return 1;
	if (ctx_resolve(&ctx, "attach", true))
		return 1;

	if (instance_exists(&ctx)) {
		if (!instance_read_meta(&ctx, &meta) &&
		    meta.ifindex == (__u32)ctx.ifindex &&
		    xdp_prog_attached(ctx.ifindex, meta.xdp_prog_id, NULL)) {
			/* Attached already: this is a config update. */
			if (mode && (mode == XDP_MODE_SKB) !=
					    (meta.xdp_mode == CHIMNEY_XDP_SKB)) {
				pr_err("attach: %s is attached in %s mode; detach first to change mode\n",
				       ctx.ifname, mode_name(meta.xdp_mode));
				return 1;
			}
			if (update_pinned_config(&ctx, a.n - 1, a.v + 1,
						 "attach"))
				return 1;
			if (ctx.json)
				print_json(&ctx, "attached", true);
			else
				printf("%s: already attached; config updated\n",
				       ctx.ifname);
			return 0;
		}
		/* Pins whose attachment is gone (interface re-created,
		 * programs removed by hand): clear them and start over.
		 * When only the XDP half is gone from this same interface,
		 * our TC filter (and the clsact we made) is still there and
		 * would make the fresh attach fail with EEXIST; once the pins
		 * are gone nothing could remove it, so remove it first. */
		pr_warn("%s: removing stale pins at %s\n", ctx.ifname,
			ctx.pin_dir);
		if (!instance_read_meta(&ctx, &meta) &&
		    meta.ifindex == (__u32)ctx.ifindex) {
			err = tc_detach(ctx.ifindex, &meta);
			if (err)
				pr_warn("%s: removing the stale TC egress filter failed: %s\n",
					ctx.ifname, strerror(-err));
		}
		unpin_instance(ctx.pin_dir);
	}

	err = attach_fresh(&ctx, mode, &cfg);
	if (!err)
		csum_warn_partial(&ctx, &cfg);
	if (!err && ctx.json)
		print_json(&ctx, "attached", false);
	return err ? 1 : 0;
}

const struct cli_spec detach_cli = {
	.name = "detach",
	.forms = (const char *const[]){ "IFACE", NULL },
	.min_args = 1,
	.max_args = 1,
	.about =
	"Remove chimney's XDP and TC programs from IFACE and delete its pins.\n"
	"Leaves no trace: no filter, no XDP program, no qdisc chimney created,\n"
	"no pin directory.\n",
	.common = CLI_COMMON,
	.json_help = "the result as JSON",
};

int cmd_detach(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct chimney_meta meta;
	struct cli_args a;
	int err, ret = 0;

	err = cli_parse(&detach_cli, argc, argv, NULL, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	/* The interface may be gone; its pins still need removing. */
	if (ctx_resolve_attached(&ctx, "detach"))
		return 1;
	err = instance_read_meta(&ctx, &meta);
	if (err) {
		pr_warn("%s: no readable metadata (%s); removing pins only\n",
			ctx.ifname, strerror(-err));
	} else if (ctx.ifindex && (__u32)ctx.ifindex == meta.ifindex) {
		err = tc_detach(ctx.ifindex, &meta);
		if (err) {
			pr_err("detach: removing the TC egress filter failed: %s\n",
			       strerror(-err));
			ret = 1;
		}
		if (xdp_prog_attached(ctx.ifindex, meta.xdp_prog_id, NULL)) {
			err = xdp_detach_id(ctx.ifindex, meta.xdp_prog_id,
					    meta.xdp_mode);
			if (err) {
				pr_err("detach: removing the XDP program failed: %s\n",
				       strerror(-err));
				ret = 1;
			}
		}
	}
	err = unpin_instance(ctx.pin_dir);
	if (err) {
		pr_err("detach: removing pins at %s failed: %s\n", ctx.pin_dir,
		       strerror(-err));
		ret = 1;
	}
	if (!ret && ctx.json)
		print_json(&ctx, "detached", false);
	else if (!ret)
		printf("%s: detached\n", ctx.ifname);
	return ret;
}

const struct cli_spec set_cli = {
	.name = "set",
	.forms = (const char *const[]){ "IFACE KEY=VALUE [KEY=VALUE ...]", NULL },
	.min_args = 2,
	.max_args = -1,
	.expect = "IFACE and at least one KEY=VALUE",
	.about =
	"Change the config of an attached interface live (a map update, no\n"
	"reload). All or nothing: one bad KEY=VALUE and nothing changes.\n",
	.common = CLI_COMMON,
	.json_help = "the result as JSON",
	.more_help = config_print_keys,
};

int cmd_set(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct cli_args a;
	int err;

	err = cli_parse(&set_cli, argc, argv, NULL, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	/* Names first: a typo must not depend on whether the interface
	 * is attached. Values are checked against the running config. */
	if (config_check_keys(a.n - 1, a.v + 1, "set"))
		return 1;
	if (ctx_resolve_attached(&ctx, "set"))
		return 1;
	if (update_pinned_config(&ctx, a.n - 1, a.v + 1, "set"))
		return 1;
	if (ctx.json)
		print_json(&ctx, "set", false);
	return 0;
}
