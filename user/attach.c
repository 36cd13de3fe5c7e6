// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach, detach, set: the verbs. Loading, attaching and pinning an
 * instance, all or nothing, is the instance loader's (instance.c);
 * attach_config() is shared with `chimney run --config`, as is
 * detach_iface() (detach.c).
 *
 * attach decides, under the config lock, from what the interface's
 * hooks and pins say (instance_inspect()): a fresh instance; a repair
 * (a half is gone) or an upgrade (this build differs), both keeping
 * the pinned maps; a config update; or a refusal, when another tool's
 * program sits where chimney's was, which it leaves alone, pins kept.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include <xdp/libxdp.h>

#include "chimney.h"
#include "cli.h"
#include "config.h"
#include "hooks.h"
#include "inspect.h"
#include "instance.h"
#include "log.h"

static const char *mode_name(__u32 mode)
{
	return mode == CHIMNEY_XDP_NATIVE ? "native" :
	       mode == CHIMNEY_XDP_SKB ? "skb" : "unknown";
}


/*
 * {"attached": IFACE, "netns": NETNS}, and "updated": true for a config
 * update. Through json-c: an interface name may hold '"' or '\\'.
 */
/* {"from": A, "to": B}, or {"to": B} for a half attached again */
static void json_change(struct json_object *o, const char *key, __u32 from,
			__u32 to)
{
	struct json_object *c;

	if (!to)
		return;
	c = json_object_new_object();
	if (from)
		json_object_object_add(c, "from", json_object_new_int64(from));
	json_object_object_add(c, "to", json_object_new_int64(to));
	json_object_object_add(o, key, c);
}

/*
 * "updated": true for a config update, and what a repair or upgrade
 * did: "xdp", "tc", "cpumap": {"from": old prog id, "to": new}.
 */
static void print_json(const struct chimney_ctx *ctx, const char *what,
		       bool updated, const struct instance_change *chg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, what, json_object_new_string(ctx->ifname));
	json_object_object_add(o, "netns", json_object_new_string(
		ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS));
	if (updated)
		json_object_object_add(o, "updated", json_object_new_boolean(true));
	if (chg) {
		json_change(o, "xdp", chg->xdp_old, chg->xdp_new);
		json_change(o, "tc", chg->tc_old, chg->tc_new);
		json_change(o, "cpumap", chg->cpumap_old, chg->cpumap_new);
	}
	cli_json_print(o, false);
}

/* A name as one shell word: quoted unless plainly safe. */
static void shell_word(char *buf, size_t len, const char *s)
{
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-@%+=:,") == strlen(s) && *s)
		snprintf(buf, len, "%s", s);
	else if (!strchr(s, '\''))
		snprintf(buf, len, "'%s'", s);
	else
		snprintf(buf, len, "\"%s\"", s);
}

void reattach_cmd(const struct chimney_ctx *ctx,
		  const struct chimney_config *cfg, char *buf, size_t len)
{
	char ns[IFNAMSIZ * 4 + 8] = "", nsw[IFNAMSIZ * 4 + 4], ifw[IFNAMSIZ * 4 + 4];
	char keys[768];
	__u32 rules = cfg->mss_rules_v4 + cfg->mss_rules_v6;
	int n;

	if (ctx->netns) {
		shell_word(nsw, sizeof(nsw), ctx->netns);
		snprintf(ns, sizeof(ns), " -n %s", nsw);
	}
	shell_word(ifw, sizeof(ifw), ctx->ifname);
	config_format_changed(cfg, keys, sizeof(keys));
	n = snprintf(buf, len, "chimney%s detach %s && chimney%s attach %s%s",
		     ns, ifw, ns, ifw, keys);
	if (rules && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n,
			 " (then add again, with mss add, the %u MSS prefix rule%s `chimney%s mss %s list` shows now)",
			 rules, rules == 1 ? "" : "s", ns, ifw);
}

/* Load, configure, pin, attach and publish; all or nothing (instance.h). */
static int attach_fresh(struct chimney_ctx *ctx, int mode,
			const struct chimney_config *cfg)
{
	struct instance_opts opts = { .verb = "attach",
				      .flow_size = cfg->flow_size };
	struct instance inst;
	int err;

	err = instance_open(&inst, &opts);
	if (!err)
		err = instance_load(&inst);
	if (!err)
		err = instance_commit(&inst, cfg);
	if (!err)
		err = instance_guard(&inst, ctx);
	if (!err)
		err = instance_pin(&inst, ctx->pin_dir);
	if (!err)
		err = instance_attach(&inst, ctx, mode);
	if (!err)
		err = instance_publish(&inst);
	if (!err && !ctx->json)
		printf("%s: attached (XDP %s mode, %s; TC egress)\n", ctx->ifname,
		       mode_name(inst.meta.xdp_mode),
		       inst.meta.xdp_multiprog ? "libxdp dispatcher" :
						 "single program");
	instance_close(&inst);
	return err;
}

/* What instance_update() did, in one line. */
static void print_change(const struct chimney_ctx *ctx,
			 const struct instance_change *c)
{
	char up[192] = "", re[192] = "";
	size_t u = 0, r = 0;

	if (c->xdp_old)
		u += snprintf(up + u, sizeof(up) - u, "%sXDP prog id %u -> %u",
			      u ? ", " : "", c->xdp_old, c->xdp_new);
	else if (c->xdp_new)
		r += snprintf(re + r, sizeof(re) - r, "%sXDP attached again (prog id %u)",
			      r ? ", " : "", c->xdp_new);
	if (c->tc_old)
		u += snprintf(up + u, sizeof(up) - u, "%sTC prog id %u -> %u",
			      u ? ", " : "", c->tc_old, c->tc_new);
	else if (c->tc_new)
		r += snprintf(re + r, sizeof(re) - r,
			      "%sTC egress attached again (prog id %u%s)",
			      r ? ", " : "", c->tc_new,
			      c->clsact_created ? "; clsact created" : "");
	if (c->cpumap_old)
		u += snprintf(up + u, sizeof(up) - u, "%scpumap prog id %u -> %u",
			      u ? ", " : "", c->cpumap_old, c->cpumap_new);
	if (!u && !r) {
		printf("%s: programs unchanged (this build's have the running ones' tags)\n",
		       ctx->ifname);
		return;
	}
	printf("%s: %s%s%s%s%s; counters, flows and rules kept\n", ctx->ifname,
	       u ? "upgraded: " : "", up, u && r ? "; " : "",
	       r ? "repaired: " : "", re);
}

/* chimney's programs on ctx's hooks that are another instance's. */
static int others_instance(const struct chimney_ctx *ctx,
			   const struct instance_state *st)
{
	if (st->xdp.owner != HOOK_INSTANCE && st->tc.owner != HOOK_INSTANCE)
		return 0;
	pr_err("attach: chimney's programs on %s belong to the instance pinned at %s (a renamed interface?): detach that one first\n",
	       ctx->ifname, st->xdp.owner == HOOK_INSTANCE ?
	       st->xdp.owner_dir : st->tc.owner_dir);
	return -EBUSY;
}

/*
 * An instance pinned for this very interface: refuse what is not
 * chimney's to touch, else repair or upgrade it when it needs it.
 * *chg says what was done (nothing: a config update only).
 */
static int attach_existing(struct chimney_ctx *ctx, int mode,
			   const struct instance_state *st,
			   struct instance_change *chg)
{
	struct instance_opts opts = { .verb = "attach",
				      .reuse_dir = ctx->pin_dir };
	const struct chimney_meta *m = &st->meta;
	struct chimney_config cfg;
	char cmd[1024] = "";
	struct instance inst;
	__u64 build;
	int err;

	memset(chg, 0, sizeof(*chg));
	if (!instance_read_config(ctx, &cfg))
		reattach_cmd(ctx, &cfg, cmd, sizeof(cmd));
	err = others_instance(ctx, st);
	if (err)
		return err;
	/* Under the dispatcher another program may run beside chimney's. */
	if (st->xdp.owner == HOOK_FOREIGN && !st->xdp_multi) {
		pr_err("attach: %s runs another XDP program (id %u, %s) where chimney's was; chimney's pins at %s are kept: remove that program (ip link set dev %s xdp off) and attach again to repair the instance\n",
		       ctx->ifname, st->xdp.id, st->xdp.name, ctx->pin_dir,
		       ctx->ifname);
		return -EBUSY;
	}
	if (st->tc.owner == HOOK_FOREIGN) {
		pr_err("attach: %s's TC egress slot of chimney (handle 0x%x priority %u) holds another program (id %u, %s); chimney's pins at %s are kept: remove it (tc filter del dev %s egress handle 0x%x prio %u bpf) and attach again to repair the instance\n",
		       ctx->ifname, m->tc_handle, m->tc_priority, st->tc.id,
		       st->tc.name, ctx->pin_dir, ctx->ifname, m->tc_handle,
		       m->tc_priority);
		return -EBUSY;
	}
	if (st->xdp.owner == HOOK_OURS && mode &&
	    (mode == XDP_MODE_SKB) != (st->xdp_mode == CHIMNEY_XDP_SKB)) {
		pr_err("attach: %s is attached in %s mode; detach first to change mode\n",
		       ctx->ifname, mode_name(st->xdp_mode));
		return -EINVAL;
	}
	build = instance_build_hash();
	if (st->xdp.owner == HOOK_OURS && st->tc.owner == HOOK_OURS &&
	    m->build == build)
		return 0;
	/* libxdp builds a new dispatcher to change one of its programs:
	 * no atomic replace of chimney's alone. */
	if (st->xdp_multi && st->xdp.owner == HOOK_OURS && m->build != build) {
		pr_err("attach: %s runs chimney under libxdp's dispatcher, where its XDP program cannot be replaced in place; to run this build, detach and attach again, which loses the counters, flows and rules: %s\n",
		       ctx->ifname, cmd);
		return -EOPNOTSUPP;
	}

	err = instance_open(&inst, &opts);
	if (!err) {
		err = instance_load(&inst);
		if (err == -ESTALE)
			pr_err("attach: %s: %s; this build cannot take them over in place. To run it, detach and attach again, which loses the counters, flows and rules: %s\n",
			       ctx->ifname, inst.why, cmd);
	}
	if (!err)
		err = instance_update(&inst, ctx, st, mode, chg);
	instance_close(&inst);
	if (!err && !ctx->json)
		print_change(ctx, chg);
	return err;
}

/* The names `ip link` shows (link/none) for the usual frames without Ethernet. */
static const char *link_type_name(int type, char *buf, size_t len)
{
	switch (type) {
	case ARPHRD_NONE:
		return "none";
	case ARPHRD_PPP:
		return "ppp";
	case ARPHRD_TUNNEL:
		return "ipip";
	case ARPHRD_TUNNEL6:
		return "tunnel6";
	case ARPHRD_IPGRE:
		return "gre";
	case ARPHRD_SIT:
		return "sit";
	case ARPHRD_RAWIP:
		return "rawip";
	case ARPHRD_INFINIBAND:
		return "infiniband";
	}
	snprintf(buf, len, "type %d", type);
	return buf;
}

/*
 * The programs parse Ethernet frames. On a device whose frames begin
 * with the IP header (tun, wireguard, IP tunnels, ppp) they would take
 * the IP header for MAC addresses and an ethertype and misjudge every
 * packet (csum=drop dropped valid datagrams on a tun), so such devices
 * are refused. Loopback frames do carry an Ethernet header. The type
 * comes from SIOCGIFHWADDR on a socket of the current network
 * namespace: `-n NETNS` switches only that, and /sys/class/net would
 * describe the root namespace's interfaces.
 */
int check_ethernet(const struct chimney_ctx *ctx, const char *who)
{
	struct ifreq ifr = {};
	char buf[16];
	int s, err = 0, type;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		err = -errno;
	} else {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ctx->ifname);
		if (ioctl(s, SIOCGIFHWADDR, &ifr))
			err = -errno;
		close(s);
	}
	if (err) {
		pr_err("%s: cannot read the link type of %s: %s\n", who,
		       ctx->ifname, strerror(-err));
		return err;
	}
	type = ifr.ifr_hwaddr.sa_family;
	if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK)
		return 0;
	pr_err("%s: %s has no Ethernet header (link/%s): chimney parses Ethernet frames and would misread every packet\n",
	       who, ctx->ifname, link_type_name(type, buf, sizeof(buf)));
	return -EPROTONOSUPPORT;
}

/* Whether chimney is attached to ctx's interface, as its pins say. */
bool attached_live(const struct chimney_ctx *ctx, struct chimney_meta *meta)
{
	return instance_exists(ctx) && !instance_read_meta(ctx, meta) &&
	       meta->ifindex == (__u32)ctx->ifindex &&
	       xdp_prog_attached(ctx->ifindex, meta->xdp_prog_id, NULL);
}

int attach_config(struct chimney_ctx *ctx, int mode,
		  const struct chimney_config *cfg, int n, char **kv)
{
	struct instance_change chg = {};
	struct instance_state st;
	int lock, err;

	err = check_ethernet(ctx, "attach");
	if (!err)
		err = instance_adopt_renamed(ctx);
	if (err)
		return err;
	lock = config_lock(ctx, true);
	if (lock < 0) {
		pr_err("attach: step 'create pin directory' failed: %s (the directory of namespace '%s' under %s); nothing is left attached\n",
		       strerror(-lock), ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS,
		       CHIMNEY_PIN_ROOT);
		return lock;
	}
	instance_recover(ctx);
	err = instance_inspect(ctx, &st);
	if (!err)
		err = instance_remove_orphans(ctx, &st);
	if (err) {
		pr_err("attach: cannot tell what is on the hooks of %s: %s\n",
		       ctx->ifname, strerror(-err));
		goto out;
	}

	if (!st.pinned || !st.meta_ok || st.meta.ifindex != (__u32)ctx->ifindex) {
		if (st.live_elsewhere) {
			char name[IF_NAMESIZE] = "?";

			if_indextoname(st.live_elsewhere, name);
			pr_err("attach: the pins at %s are of chimney's instance on ifindex %u (%s), which still runs: detach it there first\n",
			       ctx->pin_dir, st.live_elsewhere, name);
			err = -EBUSY;
			goto out;
		}
		err = others_instance(ctx, &st);
		if (err)
			goto out;
		/* Pins of an interface since deleted and made again (or
		 * unreadable ones): the fresh instance replaces them in its
		 * commit, never before it succeeded. */
		if (st.pinned)
			pr_warn("%s: the pins at %s are of ifindex %u, where nothing of them runs; a fresh instance replaces them\n",
				ctx->ifname, ctx->pin_dir, st.meta.ifindex);
		err = attach_fresh(ctx, mode, cfg);
		if (err)
			goto out;
		csum_warn_partial(ctx, cfg);
		if (ctx->json)
			print_json(ctx, "attached", false, NULL);
		goto out;
	}

	err = attach_existing(ctx, mode, &st, &chg);
	if (err)
		goto out;
	/* Attached already: KEY=VALUE over the config the last writer
	 * left, or cfg whole (run --config). */
	err = kv ? config_update_kv_held(ctx, n, kv, "attach") :
		   config_update_held(ctx, config_edit_replace, (void *)cfg, "attach");
	if (err)
		goto out;
	if (ctx->json)
		print_json(ctx, "attached", true, &chg);
	else
		printf("%s: already attached; config updated\n", ctx->ifname);
out:
	/* A failed first attach leaves no namespace directory (while the
	 * lock is held: whoever waits for it finds the directory gone and
	 * makes another, see config_lock()). */
	if (err)
		unpin_parents(ctx->pin_dir);
	close(lock);		/* drops the flock */
	return err;
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

/* The same names for `mode =` in a config file (run --config). */
int attach_parse_mode(const char *s)
{
	const struct cli_value *v;

	for (v = attach_modes; v->name; v++)
		if (!strcmp(v->name, s))
			return v->val;
	return -1;
}

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
	"after a failure, or a signal, nothing stays attached. Attaching again\n"
	"updates the config, first attaching a half that is gone or replacing\n"
	"programs this build has changed, in place, keeping every pinned map.\n",
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
	struct cli_args a;
	int err;

	err = cli_parse(&attach_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);

	/* Validate config before touching anything. */
	config_defaults(&cfg);
	if (config_apply_kv(&cfg, a.n - 1, a.v + 1, "attach"))
		return 1;
	if (ctx_resolve(&ctx, "attach", true))
		return 1;
	/* Attached already, the keys change the running config, as with
	 * `set`: keys not given keep their values. */
	return attach_config(&ctx, o.mode, &cfg, a.n - 1, a.v + 1) ? 1 : 0;
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
	if (config_update_kv(&ctx, a.n - 1, a.v + 1, "set"))
		return 1;
	if (ctx.json)
		print_json(&ctx, "set", false, NULL);
	return 0;
}
