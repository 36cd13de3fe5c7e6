// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach, detach, set: the verbs. Loading, attaching and pinning an
 * instance, all or nothing, is the instance loader's (instance.c);
 * attach_config() and detach_iface() are shared with `chimney run
 * --config`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <xdp/libxdp.h>

#include "chimney.h"
#include "config.h"
#include "instance.h"
#include "log.h"

static const char *mode_name(__u32 mode)
{
	return mode == CHIMNEY_XDP_NATIVE ? "native" :
	       mode == CHIMNEY_XDP_SKB ? "skb" : "unknown";
}

/* config_update() edit: the whole config, as `run --config` gives it. */
static int replace_config(struct chimney_config *cfg, void *arg)
{
	*cfg = *(const struct chimney_config *)arg;
	return 0;
}

/* Whether chimney is attached to ctx's interface, as its pins say. */
static bool attached_live(const struct chimney_ctx *ctx,
			  struct chimney_meta *meta)
{
	return instance_exists(ctx) && !instance_read_meta(ctx, meta) &&
	       meta->ifindex == (__u32)ctx->ifindex &&
	       xdp_prog_attached(ctx->ifindex, meta->xdp_prog_id, NULL);
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
static int check_ethernet(const struct chimney_ctx *ctx)
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
		pr_err("attach: cannot read the link type of %s: %s\n",
		       ctx->ifname, strerror(-err));
		return err;
	}
	type = ifr.ifr_hwaddr.sa_family;
	if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK)
		return 0;
	pr_err("attach: %s has no Ethernet header (link/%s): chimney parses Ethernet frames and would misread every packet\n",
	       ctx->ifname, link_type_name(type, buf, sizeof(buf)));
	return -EPROTONOSUPPORT;
}

int attach_config(struct chimney_ctx *ctx, int mode,
		  const struct chimney_config *cfg, int n, char **kv)
{
	struct chimney_meta meta;
	int err;

	err = check_ethernet(ctx);
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
			   config_update(ctx, replace_config, (void *)cfg,
					 "attach");
		if (err)
			return err;
		if (!ctx->json)
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
		printf("{\"attached\":\"%s\",\"netns\":\"%s\"}\n", ctx->ifname,
		       ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS);
	return 0;
}

int detach_iface(struct chimney_ctx *ctx)
{
	struct chimney_meta meta;
	int err, ret = 0;

	err = instance_read_meta(ctx, &meta);
	if (err) {
		pr_warn("%s: no readable metadata (%s); removing pins only\n",
			ctx->ifname, strerror(-err));
	} else if (ctx->ifindex && (__u32)ctx->ifindex == meta.ifindex) {
		err = instance_tc_detach(ctx->ifindex, &meta);
		if (err) {
			pr_err("detach: removing the TC egress filter failed: %s\n",
			       strerror(-err));
			ret = err;
		}
		if (xdp_prog_attached(ctx->ifindex, meta.xdp_prog_id, NULL)) {
			err = instance_xdp_detach(ctx->ifindex, meta.xdp_prog_id,
						  meta.xdp_mode);
			if (err) {
				pr_err("detach: removing the XDP program failed: %s\n",
				       strerror(-err));
				ret = err;
			}
		}
	}
	err = unpin_instance(ctx->pin_dir);
	if (err) {
		pr_err("detach: removing pins at %s failed: %s\n", ctx->pin_dir,
		       strerror(-err));
		ret = err;
	}
	if (!ret)
		printf("%s: detached\n", ctx->ifname);
	return ret;
}

int attach_parse_mode(const char *s)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		return XDP_MODE_NATIVE;
	if (!strcmp(s, "skb") || !strcmp(s, "generic"))
		return XDP_MODE_SKB;
	return -1;
}

static const char *attach_usage =
	"Usage: chimney [-n NETNS] attach IFACE [--mode native|skb] [KEY=VALUE ...]\n"
	"\n"
	"Load the XDP ingress and TC egress programs on IFACE, configure them and\n"
	"pin their maps under " CHIMNEY_PIN_ROOT "/<netns>/IFACE/. All or nothing:\n"
	"after a failure nothing stays attached. Attaching again updates the config.\n"
	"\n"
	"  -m, --mode MODE   native (driver) or skb (generic) XDP; default: native,\n"
	"                    falling back to skb when the driver has no XDP support\n"
	"  -n, --netns NS    the named network namespace (as in `ip -n`)\n"
	"      --json        machine-readable result\n"
	"  -h, --help        this help\n\n";

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct chimney_ctx ctx = { .netns = opt_netns, .json = opt_json };
	struct chimney_config cfg;
	int c, mode = 0;

	while ((c = getopt_long(argc, argv, "m:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mode = attach_parse_mode(optarg);
			if (mode < 0) {
				pr_err("attach: unknown mode '%s' (native or skb)\n",
				       optarg);
				return 1;
			}
			break;
		case 'n':
			ctx.netns = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			fputs(attach_usage, stdout);
			config_print_keys();
			return 0;
		default:
			return bad_option("attach", argv);
		}
	}
	if (optind >= argc) {
		pr_err("attach: missing IFACE\n");
		fputs(attach_usage, stderr);
		return 1;
	}
	ctx.ifname = argv[optind++];

	/* Validate config before touching anything. */
	config_defaults(&cfg);
	if (config_apply_kv(&cfg, argc - optind, argv + optind, "attach"))
		return 1;
	if (ctx_resolve(&ctx, "attach", true))
		return 1;
	/* Attached already, the keys change the running config, as with
	 * `set`: keys not given keep their values. */
	return attach_config(&ctx, mode, &cfg, argc - optind, argv + optind) ?
		1 : 0;
}

static const char *detach_usage =
	"Usage: chimney [-n NETNS] detach IFACE\n"
	"\n"
	"Remove chimney's XDP and TC programs from IFACE and delete its pins.\n"
	"Leaves no trace: no filter, no XDP program, no qdisc chimney created,\n"
	"no pin directory.\n\n"
	"  -n, --netns NS    the named network namespace\n"
	"  -h, --help        this help\n";

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct chimney_ctx ctx = { .netns = opt_netns };
	int c;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ctx.netns = optarg;
			break;
		case 'h':
			fputs(detach_usage, stdout);
			return 0;
		default:
			return bad_option("detach", argv);
		}
	}
	if (ctx_one_iface(&ctx, argc, argv, "detach", detach_usage))
		return 1;
	/* The interface may be gone; its pins still need removing. */
	if (ctx_resolve_attached(&ctx, "detach"))
		return 1;
	return detach_iface(&ctx) ? 1 : 0;
}

static const char *set_usage =
	"Usage: chimney [-n NETNS] set IFACE KEY=VALUE [KEY=VALUE ...]\n"
	"\n"
	"Change the config of an attached interface live (a map update, no\n"
	"reload). All or nothing: one bad KEY=VALUE and nothing changes.\n\n"
	"  -n, --netns NS    the named network namespace\n"
	"  -h, --help        this help and the list of keys\n\n";

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct chimney_ctx ctx = { .netns = opt_netns };
	int c;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ctx.netns = optarg;
			break;
		case 'h':
			fputs(set_usage, stdout);
			config_print_keys();
			return 0;
		default:
			return bad_option("set", argv);
		}
	}
	if (argc - optind < 2) {
		pr_err("set: expected IFACE and at least one KEY=VALUE\n");
		fputs(set_usage, stderr);
		return 1;
	}
	ctx.ifname = argv[optind++];
	/* Names first: a typo must not depend on whether the interface
	 * is attached. Values are checked against the running config. */
	if (config_check_keys(argc - optind, argv + optind, "set"))
		return 1;
	if (ctx_resolve_attached(&ctx, "set"))
		return 1;
	return config_update_kv(&ctx, argc - optind, argv + optind,
				"set") ? 1 : 0;
}
