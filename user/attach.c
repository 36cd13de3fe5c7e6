// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach and set: the verbs. Loading, attaching and pinning an
 * instance, all or nothing, is the instance loader's (instance.c);
 * attach_config() is shared with `chimney run --config`, as is
 * detach_iface() (detach.c).
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
#include "inspect.h"
#include "instance.h"
#include "log.h"

static const char *mode_name(__u32 mode)
{
	return mode == CHIMNEY_XDP_NATIVE ? "native" :
	       mode == CHIMNEY_XDP_SKB ? "skb" : "unknown";
}

bool attached_live(const struct chimney_ctx *ctx, struct chimney_meta *meta)
{
	return instance_exists(ctx) && !instance_read_meta(ctx, meta) &&
	       meta->ifindex == (__u32)ctx->ifindex &&
	       xdp_prog_attached(ctx->ifindex, meta->xdp_prog_id, NULL);
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

/* Load, configure, attach and pin; all or nothing (instance.h). */
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
		err = instance_attach(&inst, ctx, mode);
	if (!err)
		err = instance_pin(&inst, ctx->pin_dir);
	if (!err && !ctx->json)
		printf("%s: attached (XDP %s mode, %s; TC egress)\n", ctx->ifname,
		       mode_name(inst.meta.xdp_mode),
		       inst.meta.xdp_multiprog ? "libxdp dispatcher" :
						 "single program");
	instance_close(&inst);
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

int attach_config(struct chimney_ctx *ctx, int mode,
		  const struct chimney_config *cfg, int n, char **kv)
{
	struct chimney_meta meta;
	int err;

	err = check_ethernet(ctx, "attach");
	if (!err)
		err = instance_adopt_renamed(ctx);
	if (err)
		return err;
	if (attached_live(ctx, &meta)) {
		/* Attached already: this is a config update. */
		if (mode && (mode == XDP_MODE_SKB) !=
				    (meta.xdp_mode == CHIMNEY_XDP_SKB)) {
			pr_err("attach: %s is attached in %s mode; detach first to change mode\n",
			       ctx->ifname, mode_name(meta.xdp_mode));
			return -EINVAL;
		}
		/* Under the config lock: KEY=VALUE over the config the last
		 * writer left, or cfg whole. */
		err = kv ? config_update_kv(ctx, n, kv, "attach") :
			   config_replace(ctx, cfg, "attach");
		if (err)
			return err;
		if (ctx->json)
			print_json(ctx, "attached", true);
		else
			printf("%s: already attached; config updated\n",
			       ctx->ifname);
		return 0;
	}
	if (instance_exists(ctx)) {
		/* Pins whose attachment is gone (interface re-created,
		 * programs removed by hand): clear them and start over.
		 * When only the XDP half is gone from this same interface,
		 * our TC filter (and the clsact we made) is still there and
		 * would make the fresh attach fail with EEXIST; once the pins
		 * are gone nothing could remove it, so remove it first. */
		pr_warn("%s: removing stale pins at %s\n", ctx->ifname,
			ctx->pin_dir);
		if (!instance_read_meta(ctx, &meta) &&
		    meta.ifindex == (__u32)ctx->ifindex) {
			err = instance_tc_detach(ctx->ifindex, &meta);
			if (err)
				pr_warn("%s: removing the stale TC egress filter failed: %s\n",
					ctx->ifname, strerror(-err));
		}
		unpin_instance(ctx->pin_dir);
	}

	err = attach_fresh(ctx, mode, cfg);
	if (err)
		return err;
	csum_warn_partial(ctx, cfg);
	if (ctx->json)
		print_json(ctx, "attached", false);
	return 0;
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
		print_json(&ctx, "set", false);
	return 0;
}
