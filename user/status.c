// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: what is attached where, in which mode, with which config. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "config.h"
#include "log.h"

struct status_arg {
	const char *only_if;
	struct json_object *arr;
	int count;
	int broken;
};

static const char *xdp_mode_str(__u32 m)
{
	return m == CHIMNEY_XDP_NATIVE ? "native" :
	       m == CHIMNEY_XDP_SKB ? "skb" : "unknown";
}

/*
 * The live indirection table, summarised as entries per CPU. It is read
 * from the pinned map, so it shows what the XDP program uses rather
 * than what the config says it should be. NULL when steering is off or
 * the map is unreadable (then *err says why).
 */
static __u32 *indir_per_cpu(const struct chimney_ctx *ctx,
			    const struct chimney_config *cfg, int *err)
{
	__u32 i, cpu, *n;
	int fd;

	*err = 0;
	if (!cfg->steer_nr)
		return NULL;
	fd = pin_open(ctx, PIN(rss_indir));
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	n = calloc(CHIMNEY_MAX_CPUS, sizeof(*n));
	for (i = 0; n && i < cfg->indir_size && i < CHIMNEY_INDIR_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, &cpu)) {
			*err = -errno;
			free(n);
			n = NULL;
		} else if (cpu < CHIMNEY_MAX_CPUS) {
			n[cpu]++;
		}
	}
	if (!n && !*err)
		*err = -ENOMEM;
	close(fd);
	return n;
}

static void print_steering(const struct chimney_ctx *ctx,
			   const struct chimney_config *cfg)
{
	const char *sep;
	__u32 *n, cpu;
	int err;

	if (!cfg->steer_nr) {
		printf("  steering   off (cpus=none): packets stay on the receiving CPU\n");
		return;
	}
	n = indir_per_cpu(ctx, cfg, &err);
	if (!n) {
		printf("  steering   indirection table unreadable: %s\n",
		       strerror(-err));
		return;
	}
	printf("  steering   indirection table of %u entries:", cfg->indir_size);
	for (cpu = 0, sep = ""; cpu < CHIMNEY_MAX_CPUS; cpu++) {
		if (!n[cpu])
			continue;
		printf("%s CPU %u x%u", sep, cpu, n[cpu]);
		sep = ",";
	}
	printf("\n");
	free(n);
}

static struct json_object *steering_json(const struct chimney_ctx *ctx,
					 const struct chimney_config *cfg)
{
	struct json_object *o = json_object_new_object(), *e;
	__u32 *n, cpu;
	char key[16];
	int err;

	json_object_object_add(o, "enabled", json_object_new_boolean(cfg->steer_nr != 0));
	n = indir_per_cpu(ctx, cfg, &err);
	if (!n) {
		if (err)
			json_object_object_add(o, "error",
					       json_object_new_string(strerror(-err)));
		return o;
	}
	json_object_object_add(o, "table_size", json_object_new_int64(cfg->indir_size));
	e = json_object_new_object();
	for (cpu = 0; cpu < CHIMNEY_MAX_CPUS; cpu++) {
		if (!n[cpu])
			continue;
		snprintf(key, sizeof(key), "%u", cpu);
		json_object_object_add(e, key, json_object_new_int64(n[cpu]));
	}
	json_object_object_add(o, "entries_per_cpu", e);
	free(n);
	return o;
}

static int status_one(const char *netns, const char *ifname, void *p)
{
	struct status_arg *a = p;
	struct chimney_ctx ctx = { .netns = netns, .ifname = ifname };
	struct chimney_config cfg;
	struct chimney_meta meta;
	char when[64] = "?";
	const char *state;
	bool live = false, multi = false;
	struct tm tm;
	time_t t;
	int err;

	if (a->only_if && strcmp(a->only_if, ifname))
		return 0;
	pin_dir_path(ctx.pin_dir, sizeof(ctx.pin_dir), netns, ifname);
	err = instance_read_meta(&ctx, &meta);
	if (!err)
		err = instance_read_config(&ctx, &cfg);
	if (err) {
		pr_warn("%s/%s: unreadable pins at %s: %s\n",
			netns ? netns : CHIMNEY_DEFAULT_NS, ifname, ctx.pin_dir,
			strerror(-err));
		a->broken++;
		return 0;
	}
	/* Liveness is checked in the interface's own namespace. */
	if (!ns_enter(netns)) {
		int idx = if_nametoindex(ifname);

		live = idx && (__u32)idx == meta.ifindex &&
		       xdp_prog_attached(idx, meta.xdp_prog_id, &multi);
		ns_restore();
	}
	state = live ? "attached" : "stale (attachment gone; run detach)";
	/* Shown like the rest, but the exit status says it is broken. */
	if (!live)
		a->broken++;
	t = meta.attached_at;
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	a->count++;

	if (a->arr) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ifname", json_object_new_string(ifname));
		json_object_object_add(o, "netns", json_object_new_string(
			netns ? netns : CHIMNEY_DEFAULT_NS));
		json_object_object_add(o, "ifindex", json_object_new_int(meta.ifindex));
		json_object_object_add(o, "state", json_object_new_string(
			live ? "attached" : "stale"));
		json_object_object_add(o, "xdp_mode", json_object_new_string(
			xdp_mode_str(meta.xdp_mode)));
		json_object_object_add(o, "xdp_dispatcher", json_object_new_boolean(
			live ? multi : meta.xdp_multiprog));
		json_object_object_add(o, "xdp_prog_id", json_object_new_int64(meta.xdp_prog_id));
		json_object_object_add(o, "tc_prog_id", json_object_new_int64(meta.tc_prog_id));
		json_object_object_add(o, "tc_handle", json_object_new_int64(meta.tc_handle));
		json_object_object_add(o, "tc_priority", json_object_new_int64(meta.tc_priority));
		json_object_object_add(o, "attached_at", json_object_new_int64(meta.attached_at));
		json_object_object_add(o, "pin_dir", json_object_new_string(ctx.pin_dir));
		json_object_object_add(o, "config", config_to_json(&cfg));
		json_object_object_add(o, "steering", steering_json(&ctx, &cfg));
		json_object_array_add(a->arr, o);
		return 0;
	}
	printf("%s (netns %s, ifindex %u): %s since %s\n", ifname,
	       netns ? netns : CHIMNEY_DEFAULT_NS, meta.ifindex, state, when);
	printf("  xdp        prog id %u, %s mode, %s\n", meta.xdp_prog_id,
	       xdp_mode_str(meta.xdp_mode),
	       (live ? multi : meta.xdp_multiprog) ?
		       "libxdp dispatcher (multi-program)" :
		       "single program (libxdp dispatcher unavailable: kernel refused freplace)");
	printf("  tc egress  prog id %u, clsact handle 0x%x priority %u%s\n",
	       meta.tc_prog_id, meta.tc_handle, meta.tc_priority,
	       meta.clsact_created ? " (clsact created by chimney)" : "");
	printf("  pins       %s\n", ctx.pin_dir);
	print_steering(&ctx, &cfg);
	printf("  config\n");
	config_print(&cfg, "    ");
	return 0;
}

const struct cli_spec status_cli = {
	.name = "status",
	.forms = (const char *const[]){ "[IFACE]", NULL },
	.min_args = 0,
	.max_args = 1,
	.about =
	"Show every chimney instance (or IFACE's): where it is attached, the XDP\n"
	"mode, whether the libxdp dispatcher is in use, and the config.\n"
	"Without -n, instances in every namespace are shown.\n",
	.common = CLI_COMMON,
	.netns_help = "only instances in this namespace",
	.json_help = "JSON array of instances",
	.footer =
	"Exit status: 0 when every instance shown is attached (or there is\n"
	"none and no IFACE was named); 1 when one is stale or its pins are\n"
	"unreadable, or IFACE has no instance.\n",
};

int cmd_status(int argc, char **argv)
{
	struct status_arg a = {};
	const char *netns;
	struct cli_args args;
	bool json;
	int err;

	err = cli_parse(&status_cli, argc, argv, NULL, &args);
	if (err)
		return err < 0;
	netns = opt_netns;
	json = opt_json;
	if (args.n) {
		a.only_if = args.v[0];
		if (check_name("interface", a.only_if))
			return 1;
	}
	if (require_root("status") || bpffs_ensure())
		return 1;
	if (netns) {
		/* Fail on an unknown namespace as every verb does. */
		if (ns_enter(netns))
			return 1;
		ns_restore();
	}
	if (json)
		a.arr = json_object_new_array();

	if (netns) {
		char dir[PATH_MAX];
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", CHIMNEY_PIN_ROOT, netns);
		d = opendir(dir);
		if (d) {
			struct dirent *de;

			while ((de = readdir(d)))
				if (de->d_name[0] != '.')
					status_one(netns, de->d_name, &a);
			closedir(d);
		}
		err = 0;
	} else {
		err = for_each_instance(status_one, &a);
	}
	if (err)
		pr_err("status: reading %s failed: %s\n", CHIMNEY_PIN_ROOT,
		       strerror(-err));
	if (json) {
		cli_json_print(a.arr, false);
	} else if (!a.count) {
		printf(a.only_if ? "chimney is not attached to %s\n" :
				   "chimney is not attached anywhere\n",
		       a.only_if);
	}
	if (a.only_if && !a.count)
		return 1;
	return err || a.broken ? 1 : 0;
}
