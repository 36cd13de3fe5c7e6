// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: what is attached where, in which mode, with which config. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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
	printf("  config\n");
	config_print(&cfg, "    ");
	return 0;
}

static const char *status_usage =
	"Usage: chimney [-n NETNS] status [IFACE] [--json]\n"
	"\n"
	"Show every chimney instance (or IFACE's): where it is attached, the XDP\n"
	"mode, whether the libxdp dispatcher is in use, and the config.\n"
	"Without -n, instances in every namespace are shown.\n\n"
	"  -n, --netns NS    only instances in this namespace\n"
	"      --json        JSON array of instances\n"
	"  -h, --help        this help\n";

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct status_arg a = {};
	const char *netns = opt_netns;
	bool json = opt_json;
	int c, err;

	while ((c = getopt_long(argc, argv, "n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return 0;
		default:
			return bad_option("status", argv);
		}
	}
	if (optind < argc - 1) {
		pr_err("status: at most one IFACE\n");
		return 1;
	}
	if (optind < argc) {
		a.only_if = argv[optind];
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
		printf("%s\n", json_object_to_json_string_ext(a.arr,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a.arr);
	} else if (!a.count) {
		printf(a.only_if ? "chimney is not attached to %s\n" :
				   "chimney is not attached anywhere\n",
		       a.only_if);
	}
	if (a.only_if && !a.count)
		return 1;
	return err || a.broken ? 1 : 0;
}
