// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "config.h"
#include "log.h"

#define FIELD(cfg, k) ((char *)(cfg) + (k)->off)

static int parse_ulong(const char *val, long min, long max, long *out)
{
	char *end;
	long v;

	if (!*val)
		return -EINVAL;
	errno = 0;
	v = strtol(val, &end, 0);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A comma-separated list of UDP ports, "none" for an empty list. */
static int parse_ports(const struct config_key *k, const char *val,
		       struct chimney_config *cfg, char *err, size_t errlen)
{
	__u16 ports[CHIMNEY_MAX_VXLAN_PORTS] = {};
	char buf[128], *tok, *save;
	int n = 0;
	long v;

	if (strcmp(val, "none")) {
		if (strlen(val) >= sizeof(buf))
			goto bad;
		strcpy(buf, val);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (n == CHIMNEY_MAX_VXLAN_PORTS) {
				snprintf(err, errlen, "at most %d ports",
					 CHIMNEY_MAX_VXLAN_PORTS);
				return -EINVAL;
			}
			if (parse_ulong(tok, 1, 65535, &v))
				goto bad;
			ports[n++] = v;
		}
		if (!n)
			goto bad;
	}
	memcpy(FIELD(cfg, k), ports, sizeof(ports));
	return 0;
bad:
	snprintf(err, errlen, "expected %s, e.g. 4789,8472", k->type);
	return -EINVAL;
}

static void format_ports(const struct config_key *k,
			 const struct chimney_config *cfg, char *buf,
			 size_t len)
{
	const __u16 *ports = (const void *)FIELD(cfg, k);
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < CHIMNEY_MAX_VXLAN_PORTS && ports[i]; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "," : "",
				 ports[i]);
	if (!used)
		snprintf(buf, len, "none");
}

static int parse_u32(const struct config_key *k, const char *val,
		     struct chimney_config *cfg, char *err, size_t errlen)
{
	long v;

	if (parse_ulong(val, k->min, k->max, &v)) {
		snprintf(err, errlen, "expected an integer %ld-%ld", k->min,
			 k->max);
		return -EINVAL;
	}
	*(__u32 *)FIELD(cfg, k) = v;
	return 0;
}

static void format_u32(const struct config_key *k,
		       const struct chimney_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%u", *(const __u32 *)FIELD(cfg, k));
}

static int parse_pow2(const struct config_key *k, const char *val,
		      struct chimney_config *cfg, char *err, size_t errlen)
{
	long v;

	if (parse_ulong(val, k->min, k->max, &v) || (v & (v - 1))) {
		snprintf(err, errlen, "expected a power of two %ld-%ld",
			 k->min, k->max);
		return -EINVAL;
	}
	*(__u32 *)FIELD(cfg, k) = v;
	return 0;
}

/* An enumerated __u32: the value is the name's index in k->names. */
static int parse_enum(const struct config_key *k, const char *val,
		      struct chimney_config *cfg, char *err, size_t errlen)
{
	int i;

	for (i = 0; k->names[i]; i++)
		if (!strcmp(val, k->names[i])) {
			*(__u32 *)FIELD(cfg, k) = i;
			return 0;
		}
	snprintf(err, errlen, "expected %s", k->type);
	return -EINVAL;
}

static void format_enum(const struct config_key *k,
			const struct chimney_config *cfg, char *buf, size_t len)
{
	__u32 v = *(const __u32 *)FIELD(cfg, k);
	int i;

	for (i = 0; k->names[i]; i++)
		if ((__u32)i == v) {
			snprintf(buf, len, "%s", k->names[i]);
			return;
		}
	snprintf(buf, len, "%u", v);
}

/*
 * cpus=0-3,6: the CPUs the indirection table spreads over, in order.
 * Setting cpus resets weights to equal; weights are applied after cpus
 * (keys apply in table order), so "cpus=0-1 weights=1,3" works.
 */
static int parse_cpus(const struct config_key *k, const char *val,
		      struct chimney_config *cfg, char *err, size_t errlen)
{
	__u16 list[CHIMNEY_MAX_STEER];
	char buf[512], *tok, *save, *dash;
	int n = 0, ncpus = libbpf_num_possible_cpus();
	long lo, hi, c;
	int i;

	if (ncpus <= 0 || ncpus > CHIMNEY_MAX_CPUS)
		ncpus = CHIMNEY_MAX_CPUS;
	if (!strcmp(val, "none") || !strcmp(val, "off"))
		goto done;
	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		dash = strchr(tok, '-');
		if (dash) {
			*dash = 0;
			if (parse_ulong(tok, 0, ncpus - 1, &lo) ||
			    parse_ulong(dash + 1, 0, ncpus - 1, &hi) || hi < lo)
				goto range;
		} else {
			if (parse_ulong(tok, 0, ncpus - 1, &lo))
				goto range;
			hi = lo;
		}
		for (c = lo; c <= hi; c++) {
			for (i = 0; i < n; i++)
				if (list[i] == c) {
					snprintf(err, errlen, "CPU %ld listed twice", c);
					return -EINVAL;
				}
			if (n == CHIMNEY_MAX_STEER) {
				snprintf(err, errlen, "at most %d CPUs",
					 CHIMNEY_MAX_STEER);
				return -EINVAL;
			}
			list[n++] = c;
		}
	}
	if (!n)
		goto bad;
done:
	cfg->steer_nr = n;
	memset(cfg->steer_cpus, 0, sizeof(cfg->steer_cpus));
	memcpy(cfg->steer_cpus, list, n * sizeof(list[0]));
	memset(cfg->steer_weights, 0, sizeof(cfg->steer_weights));
	return 0;
range:
	snprintf(err, errlen, "CPU ids must be 0-%d on this machine", ncpus - 1);
	return -EINVAL;
bad:
	snprintf(err, errlen, "expected %s, e.g. 0-3,6", k->type);
	return -EINVAL;
}

static void format_cpus(const struct config_key *k,
			const struct chimney_config *cfg, char *buf, size_t len)
{
	size_t used = 0;
	__u32 i, j;

	buf[0] = 0;
	for (i = 0; i < cfg->steer_nr && i < CHIMNEY_MAX_STEER; i = j) {
		/* fold runs of consecutive ids back into ranges */
		for (j = i + 1; j < cfg->steer_nr &&
		     cfg->steer_cpus[j] == cfg->steer_cpus[j - 1] + 1; j++)
			;
		if (j - i > 1)
			used += snprintf(buf + used, len - used, "%s%u-%u",
					 used ? "," : "", cfg->steer_cpus[i],
					 cfg->steer_cpus[j - 1]);
		else
			used += snprintf(buf + used, len - used, "%s%u",
					 used ? "," : "", cfg->steer_cpus[i]);
		if (used >= len)
			break;
	}
	if (!cfg->steer_nr)
		snprintf(buf, len, "none");
}

static int parse_weights(const struct config_key *k, const char *val,
			 struct chimney_config *cfg, char *err, size_t errlen)
{
	__u16 w[CHIMNEY_MAX_STEER] = {};
	char buf[512], *tok, *save;
	int n = 0, sum = 0;
	long v;

	if (!strcmp(val, "equal"))
		goto done;
	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == CHIMNEY_MAX_STEER || parse_ulong(tok, 0, 1000, &v))
			goto bad;
		w[n++] = v;
		sum += v;
	}
	if (!n || !sum)
		goto bad;
	if ((__u32)n != cfg->steer_nr) {
		snprintf(err, errlen, "%d weights for %u CPUs in cpus=; give one weight per CPU",
			 n, cfg->steer_nr);
		return -EINVAL;
	}
done:
	memcpy(cfg->steer_weights, w, sizeof(w));
	return 0;
bad:
	snprintf(err, errlen, "expected %s", k->type);
	return -EINVAL;
}

static void format_weights(const struct config_key *k,
			   const struct chimney_config *cfg, char *buf,
			   size_t len)
{
	size_t used = 0;
	__u32 i;

	if (!cfg->steer_weights[0] && !cfg->steer_weights[1]) {
		snprintf(buf, len, "equal");
		return;
	}
	buf[0] = 0;
	for (i = 0; i < cfg->steer_nr && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "," : "",
				 cfg->steer_weights[i]);
}

static int parse_key(const struct config_key *k, const char *val,
		     struct chimney_config *cfg, char *err, size_t errlen)
{
	__u8 key[RSS_KEY_LEN];
	size_t i, n = 0;
	unsigned int b;

	/* accept 6d5a56... and 6d:5a:56:... (ethtool's form) */
	for (i = 0; val[i] && n < RSS_KEY_LEN; ) {
		if (val[i] == ':') {
			i++;
			continue;
		}
		if (sscanf(val + i, "%2x", &b) != 1 || !val[i + 1] ||
		    val[i + 1] == ':' || !strchr("0123456789abcdefABCDEF", val[i]) ||
		    !strchr("0123456789abcdefABCDEF", val[i + 1]))
			goto bad;
		key[n++] = b;
		i += 2;
	}
	if (n != RSS_KEY_LEN || val[i])
		goto bad;
	memcpy(cfg->rss_key, key, sizeof(key));
	return 0;
bad:
	snprintf(err, errlen, "expected %s", k->type);
	return -EINVAL;
}

static void format_key(const struct config_key *k,
		       const struct chimney_config *cfg, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < RSS_KEY_LEN && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", cfg->rss_key[i]);
}

static const char *const hash_names[] = { "toeplitz", "symmetric", NULL };

/* Keys apply in this order, whatever the order on the command line. */
const struct config_key config_keys[] = {
	{
		.name = "vxlan.ports",
		.type = "port list (1-65535, up to 4, or none)",
		.def = "4789",
		.help = "UDP destination ports parsed as VXLAN, so the inner flow is seen",
		.parse = parse_ports,
		.format = format_ports,
		.off = offsetof(struct chimney_config, vxlan_ports),
	},
	{
		.name = "cpus",
		.type = "CPU list (0-3,6) or none",
		.def = "none",
		.help = "CPUs that received flows are steered to; none: steering off, packets stay on the receiving CPU",
		.parse = parse_cpus,
		.format = format_cpus,
	},
	{
		.name = "weights",
		.type = "one weight (0-1000) per CPU in cpus=, or equal",
		.def = "equal",
		.help = "share of the indirection table per CPU, like ethtool -X weight",
		.parse = parse_weights,
		.format = format_weights,
	},
	{
		.name = "hash",
		.type = "toeplitz|symmetric",
		.def = "toeplitz",
		.help = "symmetric: both directions of a flow hash alike (endpoints ordered before hashing)",
		.parse = parse_enum,
		.format = format_enum,
		.off = offsetof(struct chimney_config, hash_mode),
		.names = hash_names,
	},
	{
		.name = "rss.key",
		.type = "40-byte key as 80 hex digits (colons allowed)",
		.def = "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
		.help = "Toeplitz key; the default is the Microsoft RSS one that NICs use",
		.parse = parse_key,
		.format = format_key,
	},
	{
		.name = "rss.table_size",
		.type = "power of two 1-512",
		.def = "128",
		.help = "indirection table entries (hash & (size-1) selects one)",
		.parse = parse_pow2,
		.format = format_u32,
		.off = offsetof(struct chimney_config, indir_size),
		.min = 1, .max = CHIMNEY_INDIR_MAX,
		.numeric = true,
	},
	{
		.name = "cpumap.qsize",
		.type = "integer 8-16384",
		.def = "2048",
		.help = "per-CPU cpumap queue length (frames)",
		.parse = parse_u32,
		.format = format_u32,
		.off = offsetof(struct chimney_config, cpumap_qsize),
		.min = 8, .max = 16384,
		.numeric = true,
	},
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

const struct config_key *config_find(const char *name)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (!strcmp(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

void config_defaults(struct chimney_config *cfg)
{
	char err[128];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	/* Defaults go through the same parser as user input, so a table
	 * row cannot carry a default its own validation would refuse. */
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].parse(&config_keys[i], config_keys[i].def,
					 cfg, err, sizeof(err)))
			pr_err("internal: default of %s: %s\n",
			       config_keys[i].name, err);
}

int config_apply_one(struct chimney_config *cfg, const char *key,
		     const char *val, char *err, size_t errlen)
{
	const struct config_key *k = config_find(key);

	if (!k) {
		snprintf(err, errlen, "unknown key '%s' (see `chimney set --help`)",
			 key);
		return -ENOENT;
	}
	if (k->parse(k, val, cfg, err, errlen))
		return -EINVAL;
	return 0;
}

int config_check_keys(int n, char **kv, const char *verb)
{
	const char *eq;
	char key[64];
	int i;

	for (i = 0; i < n; i++) {
		eq = strchr(kv[i], '=');
		if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof(key)) {
			pr_err("%s: expected KEY=VALUE, got '%s'\n", verb, kv[i]);
			return -EINVAL;
		}
		memcpy(key, kv[i], eq - kv[i]);
		key[eq - kv[i]] = 0;
		if (!config_find(key)) {
			pr_err("%s: unknown key '%s' (see `chimney set --help`)\n",
			       verb, key);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Keys apply in table order, not command-line order, so that a key that
 * depends on another (weights on cpus) sees it whatever the user's order.
 */
int config_apply_kv(struct chimney_config *cfg, int n, char **kv,
		    const char *verb)
{
	struct chimney_config tmp = *cfg;
	const char *eq;
	char err[160];
	size_t k;
	int i;

	if (config_check_keys(n, kv, verb))
		return -EINVAL;
	for (k = 0; k < config_nkeys; k++) {
		for (i = 0; i < n; i++) {
			eq = strchr(kv[i], '=');
			if ((size_t)(eq - kv[i]) != strlen(config_keys[k].name) ||
			    strncmp(kv[i], config_keys[k].name, eq - kv[i]))
				continue;
			err[0] = 0;
			if (config_keys[k].parse(&config_keys[k], eq + 1, &tmp,
						 err, sizeof(err))) {
				pr_err("%s: bad value '%s' for %s: %s\n", verb,
				       eq + 1, config_keys[k].name, err);
				return -EINVAL;
			}
		}
	}
	*cfg = tmp;
	return 0;
}

void config_print(const struct chimney_config *cfg, const char *indent)
{
	char buf[256];
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		config_keys[i].format(&config_keys[i], cfg, buf, sizeof(buf));
		printf("%s%-24s %s\n", indent, config_keys[i].name, buf);
	}
}

struct json_object *config_to_json(const struct chimney_config *cfg)
{
	struct json_object *o = json_object_new_object();
	char buf[256];
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		k->format(k, cfg, buf, sizeof(buf));
		json_object_object_add(o, k->name,
				       k->numeric ?
				       json_object_new_int64(strtoll(buf, NULL, 0)) :
				       json_object_new_string(buf));
	}
	return o;
}

void config_print_keys(void)
{
	size_t i;

	printf("Config keys (KEY=VALUE; the same in attach, set and the config file):\n");
	for (i = 0; i < config_nkeys; i++)
		printf("  %-20s %s\n  %-20s   %s; default %s\n",
		       config_keys[i].name, config_keys[i].help, "",
		       config_keys[i].type, config_keys[i].def);
}
