// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney hash: the RSS hash of a tuple, computed offline with the same
 * code the XDP program runs, the indirection index it selects and, for
 * an attached interface, the CPU the live table picks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "config.h"
#include "log.h"

static int parse_addr(const char *s, __u8 *out, int *family)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static int parse_port(const char *s, __be16 *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || !*s || v < 0 || v > 65535)
		return -EINVAL;
	*out = htons(v);
	return 0;
}

struct hash_opts {
	const char *key, *table_size, *dev;
	bool symmetric;
};

static const struct cli_opt hash_opts[] = {
	CLI_OPT("key", CLI_STR, struct hash_opts, key, .key = 'k',
		.arg = "HEX",
		.help = "40-byte key (80 hex digits); default: the live key with --dev, else the Microsoft default key",
		.doc = "The 40-byte key, as 80 hex digits; default: the live key with `--dev`, else the Microsoft key NICs use."),
	CLI_OPT("symmetric", CLI_FLAG, struct hash_opts, symmetric, .key = 's',
		.help = "order the endpoints first, as hash=symmetric does",
		.doc = "Order the endpoints first, as `hash=symmetric` does."),
	CLI_OPT("table-size", CLI_STR, struct hash_opts, table_size,
		.key = 't', .arg = "N",
		.help = "indirection table size (default: live, or 128)",
		.doc = "The indirection table size (default: the live one, or 128)."),
	CLI_OPT("dev", CLI_STR, struct hash_opts, dev, .key = 'd',
		.arg = "IFACE", .complete = CLI_COMP_IFACE,
		.help = "use IFACE's live config and table (with -n NETNS)",
		.doc = "Use the live configuration and table of IFACE (in NETNS with `-n`)."),
	{}
};

const struct cli_spec hash_cli = {
	.name = "hash",
	.forms = (const char *const[]){ "SRC DST [SPORT DPORT]", NULL },
	.min_args = 2,
	.max_args = 4,
	.about =
	"Compute the Toeplitz RSS hash of a flow exactly as chimney's XDP program\n"
	"does: the 4-tuple when ports are given (TCP/UDP), else the 2-tuple (other\n"
	"IP, fragments). Prints the hash, the indirection-table index and, with\n"
	"--dev, the CPU that interface's live table selects.\n",
	.opts = hash_opts,
	.common = CLI_COMMON,
	.netns_help = "the namespace of --dev",
	.json_help = "JSON output",
};

int cmd_hash(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct hash_opts o = {};
	struct chimney_config cfg, live;
	struct chimney_rss_table *t;
	struct chimney_tuple tup = {};
	__u8 sa[16] = {}, da[16] = {};
	__be16 sp = 0, dp = 0;
	bool have_cpu = false, differs = false;
	int fa, fb, err, ret = 1;
	__u32 hash, idx, cpu = 0;
	char kv[160], *kvp[2];
	struct cli_args a;
	int nkv = 0;

	err = cli_parse(&hash_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	ctx.netns = opt_netns;
	ctx.ifname = o.dev;
	if (a.n == 3) {
		pr_err("hash: expected SRC DST [SPORT DPORT]: both ports or none (see `chimney hash --help`)\n");
		return 1;
	}
	if (parse_addr(a.v[0], sa, &fa) || parse_addr(a.v[1], da, &fb)) {
		pr_err("hash: '%s' or '%s' is not an IPv4 or IPv6 address\n",
		       a.v[0], a.v[1]);
		return 1;
	}
	if (fa != fb) {
		pr_err("hash: SRC and DST must both be IPv4 or both IPv6\n");
		return 1;
	}
	if (a.n == 4) {
		if (parse_port(a.v[2], &sp) || parse_port(a.v[3], &dp)) {
			pr_err("hash: ports must be 0-65535\n");
			return 1;
		}
	}

	config_defaults(&cfg);
	if (ctx.ifname) {
		if (ctx_resolve(&ctx, "hash", false))
			return 1;
		if (instance_read_config(&ctx, &cfg)) {
			pr_err("hash: chimney is not attached to %s in namespace '%s'\n",
			       ctx.ifname, ctx.netns ? ctx.netns : CHIMNEY_DEFAULT_NS);
			return 1;
		}
	}
	live = cfg;
	/* Overrides go through the config table's own validation. */
	if (o.key) {
		snprintf(kv, sizeof(kv), "rss.key=%s", o.key);
		kvp[nkv++] = strdup(kv);
	}
	if (o.table_size) {
		snprintf(kv, sizeof(kv), "rss.table_size=%s", o.table_size);
		kvp[nkv++] = strdup(kv);
	}
	if (config_apply_kv(&cfg, nkv, kvp, "hash"))
		goto out;
	if (o.symmetric)
		cfg.hash_mode = CHIMNEY_HASH_SYMMETRIC;
	/* The live table answers only for the hash the program computes:
	 * with other key, size or mode, its entry at idx means nothing. */
	differs = ctx.ifname &&
		  (memcmp(live.rss_key, cfg.rss_key, RSS_KEY_LEN) ||
		   live.indir_size != cfg.indir_size ||
		   live.hash_mode != cfg.hash_mode);

	t = malloc(sizeof(*t));
	if (!t)
		goto out;
	toeplitz_build(cfg.rss_key, t);
	/* The XDP program's own code, on the tuple it would parse. */
	tup.family = fa;
	memcpy(tup.saddr, sa, fa == 4 ? 4 : 16);
	memcpy(tup.daddr, da, fa == 4 ? 4 : 16);
	tup.sport = sp;
	tup.dport = dp;
	hash = toeplitz_hash_tuple(t, &tup, a.n == 4,
				   cfg.hash_mode == CHIMNEY_HASH_SYMMETRIC);
	free(t);
	idx = hash & (cfg.indir_size - 1);

	if (ctx.ifname && cfg.steer_nr && !differs) {
		int fd = pin_open(&ctx, PIN(rss_indir));

		if (fd >= 0) {
			have_cpu = !bpf_map_lookup_elem(fd, &idx, &cpu);
			close(fd);
		}
	}
	if (opt_json) {
		struct json_object *j = json_object_new_object();
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%08x", hash);
		json_object_object_add(j, "hash", json_object_new_string(hex));
		json_object_object_add(j, "tuple", json_object_new_int(a.n == 4 ? 4 : 2));
		json_object_object_add(j, "symmetric", json_object_new_boolean(
			cfg.hash_mode == CHIMNEY_HASH_SYMMETRIC));
		json_object_object_add(j, "index", json_object_new_int64(idx));
		json_object_object_add(j, "table_size", json_object_new_int64(cfg.indir_size));
		if (ctx.ifname)
			json_object_object_add(j, "cpu", have_cpu ?
				json_object_new_int64(cpu) : NULL);
		cli_json_print(j, false);
	} else {
		printf("hash    0x%08x (%d-tuple%s)\n", hash, a.n == 4 ? 4 : 2,
		       cfg.hash_mode == CHIMNEY_HASH_SYMMETRIC ? ", symmetric" : "");
		printf("index   %u of %u\n", idx, cfg.indir_size);
		if (ctx.ifname) {
			if (have_cpu)
				printf("cpu     %u (live table of %s)\n", cpu, ctx.ifname);
			else if (differs)
				printf("cpu     not shown: --key, --table-size or --symmetric differ from %s's live config\n",
				       ctx.ifname);
			else
				printf("cpu     none: steering is off on %s\n", ctx.ifname);
		}
	}
	ret = 0;
out:
	while (nkv)
		free(kvp[--nkv]);
	return ret;
}
