// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney hash: the RSS hash of a tuple, computed offline with the same
 * code the XDP program runs, the indirection index it selects and, for
 * an attached interface, the CPU the live table picks.
 */
#include <errno.h>
#include <getopt.h>
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

static const char *hash_usage =
	"Usage: chimney [-n NETNS] hash [--key HEX] [--symmetric] [--table-size N]\n"
	"                             [--dev IFACE] [--json] SRC DST [SPORT DPORT]\n"
	"\n"
	"Compute the Toeplitz RSS hash of a flow exactly as chimney's XDP program\n"
	"does: the 4-tuple when ports are given (TCP/UDP), else the 2-tuple (other\n"
	"IP, fragments). Prints the hash, the indirection-table index and, with\n"
	"--dev, the CPU that interface's live table selects.\n\n"
	"  -k, --key HEX        40-byte key (80 hex digits); default: the live key\n"
	"                       with --dev, else the Microsoft default key\n"
	"  -s, --symmetric      order the endpoints first, as hash=symmetric does\n"
	"  -t, --table-size N   indirection table size (default: live, or 128)\n"
	"  -d, --dev IFACE      use IFACE's live config and table (with -n NETNS)\n"
	"      --json           JSON output\n"
	"  -h, --help           this help\n";

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

int cmd_hash(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "symmetric", no_argument, NULL, 's' },
		{ "table-size", required_argument, NULL, 't' },
		{ "dev", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct chimney_ctx ctx = { .netns = opt_netns };
	const char *key = NULL, *tsize = NULL;
	struct chimney_config cfg, live;
	struct chimney_rss_table *t;
	struct chimney_tuple tup = {};
	__u8 sa[16] = {}, da[16] = {};
	__be16 sp = 0, dp = 0;
	bool sym = false, json = opt_json, have_cpu = false, differs = false;
	int c, fa, fb, ret = 1;
	__u32 hash, idx, cpu = 0;
	char kv[160], *kvp[2];
	int nkv = 0;

	while ((c = getopt_long(argc, argv, "k:st:d:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 's':
			sym = true;
			break;
		case 't':
			tsize = optarg;
			break;
		case 'd':
			ctx.ifname = optarg;
			break;
		case 'n':
			ctx.netns = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(hash_usage, stdout);
			return 0;
		default:
			return bad_option("hash", argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 && argc != 4) {
		pr_err("hash: expected SRC DST [SPORT DPORT]\n");
		fputs(hash_usage, stderr);
		return 1;
	}
	if (parse_addr(argv[0], sa, &fa) || parse_addr(argv[1], da, &fb)) {
		pr_err("hash: '%s' or '%s' is not an IPv4 or IPv6 address\n",
		       argv[0], argv[1]);
		return 1;
	}
	if (fa != fb) {
		pr_err("hash: SRC and DST must both be IPv4 or both IPv6\n");
		return 1;
	}
	if (argc == 4) {
		if (parse_port(argv[2], &sp) || parse_port(argv[3], &dp)) {
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
	if (key) {
		snprintf(kv, sizeof(kv), "rss.key=%s", key);
		kvp[nkv++] = strdup(kv);
	}
	if (tsize) {
		snprintf(kv, sizeof(kv), "rss.table_size=%s", tsize);
		kvp[nkv++] = strdup(kv);
	}
	if (config_apply_kv(&cfg, nkv, kvp, "hash"))
		goto out;
	if (sym)
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
	hash = toeplitz_hash_tuple(t, &tup, argc == 4,
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
	if (json) {
		struct json_object *o = json_object_new_object();
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%08x", hash);
		json_object_object_add(o, "hash", json_object_new_string(hex));
		json_object_object_add(o, "tuple", json_object_new_int(argc == 4 ? 4 : 2));
		json_object_object_add(o, "symmetric", json_object_new_boolean(
			cfg.hash_mode == CHIMNEY_HASH_SYMMETRIC));
		json_object_object_add(o, "index", json_object_new_int64(idx));
		json_object_object_add(o, "table_size", json_object_new_int64(cfg.indir_size));
		if (ctx.ifname)
			json_object_object_add(o, "cpu", have_cpu ?
				json_object_new_int64(cpu) : NULL);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		printf("hash    0x%08x (%d-tuple%s)\n", hash, argc == 4 ? 4 : 2,
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
