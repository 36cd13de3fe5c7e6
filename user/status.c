// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: what is attached where, in which mode, with which config. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "config.h"
#include "inspect.h"
#include "log.h"

struct status_arg {
	const char *only_if;
	const char *only_ns;	/* -n; CHIMNEY_DEFAULT_NS: the root one */
	struct json_object *arr;
	struct pinned_places *pins;	/* where pins record programs */
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

/* The words after "IFACE (netns NS, ifindex N): ". */
static const char *state_text(const struct inst_check *c, char *buf,
			      size_t len)
{
	const char *missing = inst_missing(c);

	if (c->netns_gone)
		snprintf(buf, len, "gone (namespace %s no longer exists)",
			 c->netns);
	else if (c->netns_err)
		snprintf(buf, len, "unknown (cannot enter namespace %s: %s)",
			 c->netns, strerror(-c->netns_err));
	else if (c->iface_gone)
		snprintf(buf, len, "gone (no interface has ifindex %u any more)",
			 c->meta.ifindex);
	else if (!missing)
		snprintf(buf, len, "attached");
	else if (!c->xdp_ok && !c->tc_ok)
		snprintf(buf, len, "stale (neither program is attached any more)");
	else if (!c->xdp_ok)
		snprintf(buf, len, "stale (XDP program id %u gone: ingress is not seen; TC egress still attached)",
			 c->meta.xdp_prog_id);
	else
		snprintf(buf, len, "stale (TC egress filter gone%s: egress is not counted; XDP still attached)",
			 c->clsact ? "" : " with the clsact qdisc");
	return buf;
}

/*
 * What to do about it, as commands that are true today and stay true
 * once attach repairs a half instance in place. Where the XDP half is
 * gone, attach takes the pins for stale and attaches afresh today, and
 * would repair them: "attaches it again" holds for both. Where only the
 * TC half is gone, attach today takes the instance for attached (it
 * looks for the XDP program) and only updates the config, so the way
 * that works both today and then is detach, then attach.
 * NULL when nothing is to be done.
 */
static const char *hint_text(const struct inst_check *c, char *buf,
			     size_t len)
{
	const char *now = c->ifname_now, *cmd;
	char pfx[64];

	cmd = cmd_prefix(c->netns, pfx, sizeof(pfx));
	if (inst_collectable(c))
		snprintf(buf, len, "`chimney gc` removes its pins (so does `%sdetach %s`)",
			 cmd, c->ifname);
	else if (c->netns_err)
		return NULL;
	else if (inst_missing(c) && c->xdp_other_id)
		/* alone on the interface, it is in the way of any attach */
		snprintf(buf, len, "%s (id %u) took the XDP program's place: once it is removed, `%sattach %s` attaches %s again; `%sdetach %s` removes the rest",
			 c->xdp_other[0] ? c->xdp_other : "another program",
			 c->xdp_other_id, cmd, now, inst_missing(c), cmd, now);
	else if (inst_missing(c))
		snprintf(buf, len, "`%sattach %s` attaches %s again; `%sdetach %s` removes the rest",
			 cmd, now, inst_missing(c), cmd, now);
	else if (inst_renamed(c))
		snprintf(buf, len, "`%sattach %s` moves the pins to the new name; `%sdetach %s` removes the instance",
			 cmd, now, cmd, now);
	else
		return NULL;
	return buf;
}

static struct json_object *json_str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static void instance_json(struct status_arg *a, const struct inst_check *c,
			  const struct chimney_ctx *ctx,
			  const struct chimney_config *cfg, bool live,
			  const char *hint)
{
	struct json_object *o = json_object_new_object(), *miss;
	const struct chimney_meta *meta = &c->meta;

	json_object_object_add(o, "ifname", json_object_new_string(c->ifname));
	json_object_object_add(o, "netns", json_object_new_string(
		c->netns ? c->netns : CHIMNEY_DEFAULT_NS));
	json_object_object_add(o, "ifindex", json_object_new_int(meta->ifindex));
	json_object_object_add(o, "state", json_object_new_string(
		live ? "attached" : "stale"));
	json_object_object_add(o, "netns_exists", json_object_new_boolean(!c->netns_gone));
	json_object_object_add(o, "iface_exists", json_object_new_boolean(
		!c->netns_gone && !c->netns_err && !c->iface_gone));
	json_object_object_add(o, "ifname_now", json_str_or_null(c->ifname_now));
	json_object_object_add(o, "renamed", json_object_new_boolean(inst_renamed(c)));
	json_object_object_add(o, "xdp_attached", json_object_new_boolean(c->xdp_ok));
	json_object_object_add(o, "tc_attached", json_object_new_boolean(c->tc_ok));
	json_object_object_add(o, "clsact", json_object_new_boolean(c->clsact));
	miss = json_object_new_array();
	if (inst_missing(c) && !c->xdp_ok)
		json_object_array_add(miss, json_object_new_string("xdp"));
	if (inst_missing(c) && !c->tc_ok)
		json_object_array_add(miss, json_object_new_string("tc"));
	json_object_object_add(o, "missing", miss);
	json_object_object_add(o, "gc", json_object_new_boolean(inst_collectable(c)));
	json_object_object_add(o, "hint", json_str_or_null(hint));
	json_object_object_add(o, "xdp_mode", json_object_new_string(
		xdp_mode_str(meta->xdp_mode)));
	json_object_object_add(o, "xdp_dispatcher", json_object_new_boolean(
		c->xdp_ok ? c->xdp_multi : meta->xdp_multiprog));
	json_object_object_add(o, "xdp_prog_id", json_object_new_int64(meta->xdp_prog_id));
	json_object_object_add(o, "tc_prog_id", json_object_new_int64(meta->tc_prog_id));
	json_object_object_add(o, "tc_handle", json_object_new_int64(meta->tc_handle));
	json_object_object_add(o, "tc_priority", json_object_new_int64(meta->tc_priority));
	json_object_object_add(o, "attached_at", json_object_new_int64(meta->attached_at));
	json_object_object_add(o, "pin_dir", json_object_new_string(c->pin_dir));
	json_object_object_add(o, "config", config_to_json(cfg));
	json_object_object_add(o, "steering", steering_json(ctx, cfg));
	json_object_array_add(a->arr, o);
}

static int status_one(const char *netns, const char *ifname, void *p)
{
	struct status_arg *a = p;
	struct chimney_ctx ctx = { .netns = netns, .ifname = ifname };
	char when[64] = "?", state[160], hint[384];
	struct chimney_config cfg;
	const struct chimney_meta *meta;
	const char *hnt;
	struct inst_check c;
	bool live;
	struct tm tm;
	time_t t;
	int err;

	if (a->only_ns && strcmp(a->only_ns, netns ? netns : CHIMNEY_DEFAULT_NS))
		return 0;
	err = inst_check(netns, ifname, &c);
	/* IFACE is the name the pins are under, or the interface's now */
	if (a->only_if && strcmp(a->only_if, ifname) &&
	    strcmp(a->only_if, c.ifname_now))
		return 0;
	if (err) {
		pr_warn("%s/%s: checking it against the kernel failed: %s\n",
			netns ? netns : CHIMNEY_DEFAULT_NS, ifname,
			strerror(-err));
		a->broken++;
		return 0;
	}
	snprintf(ctx.pin_dir, sizeof(ctx.pin_dir), "%s", c.pin_dir);
	err = c.meta_err;
	if (!err)
		err = instance_read_config(&ctx, &cfg);
	if (err) {
		pr_warn("%s/%s: unreadable pins at %s: %s%s\n",
			netns ? netns : CHIMNEY_DEFAULT_NS, ifname, c.pin_dir,
			strerror(-err), c.netns_gone ?
			"; its namespace is gone: `chimney gc` removes them" : "");
		a->broken++;
		return 0;
	}
	meta = &c.meta;
	live = inst_ok(&c);
	/* Shown like the rest, but the exit status says it is broken: a
	 * renamed instance too, which no command finds by its name. */
	if (!live || inst_renamed(&c))
		a->broken++;
	hnt = hint_text(&c, hint, sizeof(hint));
	t = meta->attached_at;
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	a->count++;

	if (a->arr) {
		instance_json(a, &c, &ctx, &cfg, live, hnt);
		return 0;
	}
	printf("%s (netns %s, ifindex %u): %s since %s\n", ifname,
	       netns ? netns : CHIMNEY_DEFAULT_NS, meta->ifindex,
	       state_text(&c, state, sizeof(state)), when);
	if (inst_renamed(&c))
		printf("  renamed    attached to ifindex %u, now named %s; pins under %s\n",
		       meta->ifindex, c.ifname_now, c.pin_dir);
	if (hnt)
		printf("  to do      %s\n", hnt);
	printf("  xdp        prog id %u, %s mode, %s%s\n", meta->xdp_prog_id,
	       xdp_mode_str(meta->xdp_mode),
	       (c.xdp_ok ? c.xdp_multi : meta->xdp_multiprog) ?
		       "libxdp dispatcher (multi-program)" :
		       "single program (libxdp dispatcher unavailable: kernel refused freplace)",
	       c.xdp_ok || c.netns_gone || c.iface_gone ? "" : "; NOT ATTACHED");
	printf("  tc egress  prog id %u, clsact handle 0x%x priority %u%s%s\n",
	       meta->tc_prog_id, meta->tc_handle, meta->tc_priority,
	       meta->clsact_created ? " (clsact created by chimney)" : "",
	       c.tc_ok || c.netns_gone || c.iface_gone ? "" : "; NOT ATTACHED");
	printf("  pins       %s\n", c.pin_dir);
	print_steering(&ctx, &cfg);
	printf("  config\n");
	config_print(&cfg, "    ");
	return 0;
}

/*
 * Every interface of the namespace we are in: chimney's programs on it
 * where no pins record them.
 */
static int orphans_one(const char *netns, void *p)
{
	struct status_arg *a = p;
	struct if_nameindex *ifs, *i;
	const struct iface_prog *pr;
	char hint[256], pfx[64];
	struct iface_view v;
	int k;

	ifs = if_nameindex();
	if (!ifs)
		return 0;
	for (i = ifs; i->if_index; i++) {
		if (a->only_if && strcmp(a->only_if, i->if_name))
			continue;
		if (iface_inspect(i->if_index, &v))
			continue;
		for (k = 0; k < v.n; k++) {
			pr = &v.p[k];
			if (!iface_prog_chimney(pr) ||
			    pinned_places_has(a->pins, netns, v.ifindex, pr))
				continue;
			a->count++;
			a->broken++;
			snprintf(hint, sizeof(hint), "`%sdetach %s` removes it",
				 cmd_prefix(netns, pfx, sizeof(pfx)), v.name);
			if (a->arr) {
				struct json_object *o = json_object_new_object();

				json_object_object_add(o, "ifname", json_object_new_string(v.name));
				json_object_object_add(o, "netns", json_object_new_string(
					netns ? netns : CHIMNEY_DEFAULT_NS));
				json_object_object_add(o, "ifindex", json_object_new_int(v.ifindex));
				json_object_object_add(o, "state", json_object_new_string("orphan"));
				json_object_object_add(o, "hook", json_object_new_string(
					iface_hook_name(pr->hook)));
				json_object_object_add(o, "prog_name", json_object_new_string(pr->name));
				json_object_object_add(o, "prog_id", json_object_new_int64(pr->id));
				json_object_object_add(o, "tag", json_object_new_string(pr->tag));
				json_object_object_add(o, "hint", json_object_new_string(hint));
				json_object_array_add(a->arr, o);
				continue;
			}
			printf("%s (netns %s, ifindex %d): orphan %s id %u, tag %s, on %s: no pins record it there; %s\n",
			       v.name, netns ? netns : CHIMNEY_DEFAULT_NS,
			       v.ifindex, pr->name, pr->id, pr->tag,
			       iface_hook_name(pr->hook), hint);
		}
		iface_view_free(&v);
	}
	if_freenameindex(ifs);
	return 0;
}

const struct cli_spec status_cli = {
	.name = "status",
	.forms = (const char *const[]){ "[IFACE]", NULL },
	.min_args = 0,
	.max_args = 1,
	.about =
	"Show every chimney instance (or IFACE's): where it is attached, the XDP\n"
	"mode, whether the libxdp dispatcher is in use, and the config; which of\n"
	"its programs is really attached (by program id), where its interface\n"
	"went (renamed, deleted, its namespace deleted); and chimney's programs\n"
	"on any interface that no pins record (orphans). Each problem comes with\n"
	"the command that fixes it. IFACE is the name the pins are under or the\n"
	"interface's name now. Without -n, every namespace is looked at: the\n"
	"root one and those of `ip netns list`.\n",
	.common = CLI_COMMON,
	.netns_help = "only instances and programs in this namespace (which may be gone)",
	.json_help = "JSON array of instances, and of orphans (\"state\": \"orphan\")",
	.footer =
	"Exit status: 0 when every instance shown is attached under its name (or\n"
	"there is none and no IFACE was named); 1 when one is stale (a program\n"
	"missing), gone, renamed or its pins are unreadable, when an orphan is\n"
	"found, or IFACE has none of these.\n",
};

int cmd_status(int argc, char **argv)
{
	struct status_arg a = {};
	struct cli_args args;
	bool json;
	int err;

	err = cli_parse(&status_cli, argc, argv, NULL, &args);
	if (err)
		return err < 0;
	a.only_ns = opt_netns;
	json = opt_json;
	if (args.n) {
		a.only_if = args.v[0];
		if (check_name("interface", a.only_if))
			return 1;
	}
	if (require_root("status") || bpffs_ensure())
		return 1;
	if (a.only_ns && check_name("namespace", a.only_ns))
		return 1;
	/* Fail on an unknown namespace as every verb does, unless its
	 * pins are left: then showing them is the point. */
	if (a.only_ns && !netns_exists(a.only_ns)) {
		char dir[PATH_MAX];
		struct stat st;

		snprintf(dir, sizeof(dir), "%s/%s", CHIMNEY_PIN_ROOT, a.only_ns);
		if (stat(dir, &st)) {
			ns_enter(a.only_ns);	/* the usual error line */
			return 1;
		}
	}
	a.pins = pinned_places_read();
	if (!a.pins) {
		pr_err("status: reading %s failed\n", CHIMNEY_PIN_ROOT);
		return 1;
	}
	if (json)
		a.arr = json_object_new_array();

	err = for_each_instance(status_one, &a);
	if (err)
		pr_err("status: reading %s failed: %s\n", CHIMNEY_PIN_ROOT,
		       strerror(-err));
	if (!a.only_ns || netns_exists(a.only_ns))
		for_each_netns(a.only_ns, orphans_one, &a);
	pinned_places_free(a.pins);
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
