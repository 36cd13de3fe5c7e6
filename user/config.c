// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include <chimney/flow.h>

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
	__u32 i, any = 0;

	/* Leading weights may be 0 (weights=0,0,1): all must be 0 for equal. */
	for (i = 0; i < CHIMNEY_MAX_STEER; i++)
		any |= cfg->steer_weights[i];
	if (!any) {
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

/*
 * A duration in milliseconds: one or more NUMBER UNIT pairs, units ms,
 * s, m, h, d ("2h4m", "500ms", "90s"); a bare number is seconds.
 */
static int parse_duration(const struct config_key *k, const char *val,
			  struct chimney_config *cfg, char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	unsigned long long total = 0, n;
	const char *p = val;
	char *end;
	size_t i, len;

	if (!*p)
		goto bad;
	while (*p) {
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno || n > 1000000000ULL)
			goto bad;
		if (!*end && p == val) {	/* bare number: seconds */
			total = n * 1000;
			p = end;
			break;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			len = strlen(units[i].unit);
			/* "m" must not take the "m" of "ms" */
			if (!strncmp(end, units[i].unit, len) &&
			    (end[len] < 'a' || end[len] > 'z'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			goto bad;
		total += n * units[i].ms;
		if (total > (unsigned long long)k->max)
			goto range;
		p = end + strlen(units[i].unit);
	}
	if (total < (unsigned long long)k->min ||
	    total > (unsigned long long)k->max)
		goto range;
	*(__u32 *)FIELD(cfg, k) = total;
	return 0;
range:
	snprintf(err, errlen, "must be between %ldms and %lds", k->min,
		 k->max / 1000);
	return -EINVAL;
bad:
	snprintf(err, errlen, "expected %s, e.g. 30s, 500ms, 2h4m", k->type);
	return -EINVAL;
}

static void format_duration(const struct config_key *k,
			    const struct chimney_config *cfg, char *buf,
			    size_t len)
{
	static const struct {
		const char *unit;
		__u32 ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 }, { "ms", 1 },
	};
	__u32 v = *(const __u32 *)FIELD(cfg, k);
	size_t used = 0, i;

	buf[0] = 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && used < len; i++) {
		if (v < units[i].ms)
			continue;
		used += snprintf(buf + used, len - used, "%u%s",
				 v / units[i].ms, units[i].unit);
		v %= units[i].ms;
	}
	if (!used)
		snprintf(buf, len, "0s");
}

static const char *const onoff_names[] = { "off", "on", NULL };

#define FLOW_TIMEOUT(key, st)						\
	.name = "flow.timeout." key,					\
	.type = "duration 100ms-7d",					\
	.parse = parse_duration,					\
	.format = format_duration,					\
	.off = offsetof(struct chimney_config, flow_timeout_ms[FLOW_ST_##st]), \
	.min = 100, .max = 7 * 86400000L

/* csum=, in enum chimney_csum_mode order */
static const char *const csum_names[] = { "off", "count", "drop", NULL };

/* mss.dir=, in enum chimney_mss_dir order */
static const char *const mss_dir_names[] = { "both", "in", "out", NULL };

/*
 * mss=off|auto|N and mtu=off|N: two independent limits, the smaller
 * wins (bpf/lib/mss.h). "off" writes 0, which is what a zeroed config
 * means too.
 */
static int parse_mss(const struct config_key *k, const char *val,
		     struct chimney_config *cfg, char *err, size_t errlen)
{
	long v;

	if (!strcmp(val, "off")) {
		cfg->mss_fixed = 0;
		cfg->mss_auto = 0;
		return 0;
	}
	if (!strcmp(val, "auto")) {
		cfg->mss_fixed = 0;
		cfg->mss_auto = 1;
		return 0;
	}
	if (parse_ulong(val, k->min, k->max, &v)) {
		snprintf(err, errlen, "expected off, auto or an MSS %ld-%ld",
			 k->min, k->max);
		return -EINVAL;
	}
	cfg->mss_fixed = v;
	cfg->mss_auto = 0;
	return 0;
}

static void format_mss(const struct config_key *k,
		       const struct chimney_config *cfg, char *buf, size_t len)
{
	if (cfg->mss_auto)
		snprintf(buf, len, "auto");
	else if (cfg->mss_fixed)
		snprintf(buf, len, "%u", cfg->mss_fixed);
	else
		snprintf(buf, len, "off");
}

/* A __u32 that is a number in [min, max] or "off" (stored as 0). */
static int parse_u32_off(const struct config_key *k, const char *val,
			 struct chimney_config *cfg, char *err, size_t errlen)
{
	long v;

	if (!strcmp(val, "off")) {
		*(__u32 *)FIELD(cfg, k) = 0;
		return 0;
	}
	if (parse_ulong(val, k->min, k->max, &v)) {
		snprintf(err, errlen, "expected off or an integer %ld-%ld",
			 k->min, k->max);
		return -EINVAL;
	}
	*(__u32 *)FIELD(cfg, k) = v;
	return 0;
}

static void format_u32_off(const struct config_key *k,
			   const struct chimney_config *cfg, char *buf,
			   size_t len)
{
	__u32 v = *(const __u32 *)FIELD(cfg, k);

	if (v)
		snprintf(buf, len, "%u", v);
	else
		snprintf(buf, len, "off");
}

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
	/* Flow table (bpf/lib/flow.h, `chimney run`). */
	{
		.name = "flow",
		.type = "on|off",
		.def = "off",
		.help = "track flows (5-tuple, state, counters) on receive and transmit, and keep each flow on its CPU",
		.parse = parse_enum,
		.format = format_enum,
		.off = offsetof(struct chimney_config, flow_on),
		.names = onoff_names,
	},
	{
		.name = "flow.size",
		.type = "integer 16-4194304, fixed at attach",
		.def = "262144",
		.help = "flow table entries (an LRU: a full table evicts the least recently used flow); detach and attach to change",
		.parse = parse_u32,
		.format = format_u32,
		.off = offsetof(struct chimney_config, flow_size),
		.min = 16, .max = 4194304,
		.numeric = true,
	},
	{
		.name = "flow.rebalance_idle",
		.type = "duration 10ms-1h",
		.def = "2s",
		.help = "a flow idle this long may move to the CPU the current table picks; busier flows keep their CPU",
		.parse = parse_duration,
		.format = format_duration,
		.off = offsetof(struct chimney_config, flow_rebalance_idle_ms),
		.min = 10, .max = 3600000,
	},
	{
		FLOW_TIMEOUT("tcp_syn_sent", syn_sent),
		.def = "1m",
		.help = "chimney run expires a TCP flow idle this long before its handshake completed",
	},
	{
		FLOW_TIMEOUT("tcp_established", established),
		.def = "2h4m",
		.help = "chimney run expires an established TCP flow idle this long (RFC 5382 asks for at least 2h4m)",
	},
	{
		FLOW_TIMEOUT("tcp_fin_wait", fin_wait),
		.def = "2m",
		.help = "chimney run expires a TCP flow with a FIN one way (half closed) idle this long",
	},
	{
		FLOW_TIMEOUT("tcp_closed", closed),
		.def = "10s",
		.help = "chimney run expires a closed TCP flow (FIN both ways, or RST) idle this long: the linger",
	},
	{
		FLOW_TIMEOUT("udp", udp),
		.def = "2m",
		.help = "chimney run expires a UDP flow idle this long (RFC 4787 asks for at least 2m)",
	},
	{
		FLOW_TIMEOUT("other", other),
		.def = "1m",
		.help = "chimney run expires a flow of another protocol (ICMP, GRE, ...) idle this long",
	},
	/* Checksum verification (bpf/lib/csum.h, `chimney trace`). */
	{
		.name = "csum",
		.type = "off|count|drop",
		.def = "count",
		.help = "verify IPv4 header and TCP/UDP/ICMP/ICMPv6 checksums on receive and count them by verdict; drop: also drop frames proven bad",
		.parse = parse_enum,
		.format = format_enum,
		.off = offsetof(struct chimney_config, csum_mode),
		.names = csum_names,
	},
	{
		.name = "csum.sample_rate",
		.type = "integer 0-100000",
		.def = "100",
		.help = "bad frames per second sampled to the events ring for `chimney trace` (0: none)",
		.parse = parse_u32,
		.format = format_u32,
		.off = offsetof(struct chimney_config, csum_sample_rate),
		.min = 0, .max = 100000,
		.numeric = true,
	},
	/* MSS clamping (bpf/lib/mss.h, `chimney mss`). */
	{
		.name = "mss.dir",
		.type = "both|in|out",
		.def = "both",
		.help = "which SYNs are clamped: in = received (XDP ingress), out = sent (TC egress)",
		.parse = parse_enum,
		.format = format_enum,
		.off = offsetof(struct chimney_config, mss_dir),
		.names = mss_dir_names,
	},
	{
		.name = "mss",
		.type = "off|auto|integer 88-65535",
		.def = "off",
		.help = "clamp the MSS option of SYN and SYN-ACK segments to at most this; auto: the route MTU toward the peer minus 40 (IPv4) / 60 (IPv6), like xt_TCPMSS --clamp-mss-to-pmtu",
		.parse = parse_mss,
		.format = format_mss,
		.min = 88, .max = 65535,
	},
	{
		.name = "mtu",
		.type = "off|integer 576-65535",
		.def = "off",
		.help = "clamp the MSS to this path MTU minus 40 (IPv4) / 60 (IPv6); with mss= also set, the smaller clamp wins",
		.parse = parse_u32_off,
		.format = format_u32_off,
		.off = offsetof(struct chimney_config, mss_mtu),
		.min = 576, .max = 65535,
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

int config_apply_lines(struct chimney_config *cfg,
		       const struct config_line *lines, int n,
		       const char *file)
{
	struct chimney_config tmp = *cfg;
	char err[160];
	size_t k;
	int i, j;

	for (i = 0; i < n; i++) {
		if (!config_find(lines[i].key)) {
			pr_err("%s:%d: unknown key '%s' (see `chimney set --help`)\n",
			       file, lines[i].line, lines[i].key);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(lines[i].key, lines[j].key)) {
				pr_err("%s:%d: %s is already set on line %d\n",
				       file, lines[i].line, lines[i].key,
				       lines[j].line);
				return -EINVAL;
			}
	}
	for (k = 0; k < config_nkeys; k++) {
		for (i = 0; i < n; i++) {
			if (strcmp(lines[i].key, config_keys[k].name))
				continue;
			err[0] = 0;
			if (config_keys[k].parse(&config_keys[k], lines[i].val,
						 &tmp, err, sizeof(err))) {
				pr_err("%s:%d: bad value '%s' for %s: %s\n",
				       file, lines[i].line, lines[i].val,
				       config_keys[k].name, err);
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

void config_format_changed(const struct chimney_config *cfg, char *buf,
			   size_t len)
{
	struct chimney_config def;
	char val[256], dval[256];
	size_t i, n = 0;

	config_defaults(&def);
	buf[0] = 0;
	for (i = 0; i < config_nkeys && n < len; i++) {
		config_keys[i].format(&config_keys[i], cfg, val, sizeof(val));
		config_keys[i].format(&config_keys[i], &def, dval, sizeof(dval));
		if (strcmp(val, dval))
			n += snprintf(buf + n, len - n, " %s=%s",
				      config_keys[i].name, val);
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

void config_print_keys(FILE *f)
{
	size_t i;

	fprintf(f, "Config keys (KEY=VALUE; the same in attach, set and the config file):\n");
	for (i = 0; i < config_nkeys; i++)
		fprintf(f, "  %-20s %s\n  %-20s   %s; default %s\n",
		       config_keys[i].name, config_keys[i].help, "",
		       config_keys[i].type, config_keys[i].def);
}
