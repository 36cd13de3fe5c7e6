// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney mss: per-destination-prefix MSS rules (the mss_rules_v4 and
 * mss_rules_v6 LPM tries), and the path-MTU signals `chimney stats`
 * shows (the pmtu_log ring).
 *
 * A prefix rule matches the address the connection's SYN is sent to:
 * the destination of a SYN, the source of a SYN-ACK (bpf/lib/mss.h). It
 * replaces the interface rule (mss=, mtu=) for the connections it
 * covers. Changes are map updates: live, no re-attach.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include <chimney/mss.h>

#include "chimney.h"
#include "log.h"

const struct cli_spec mss_cli = {
	.name = "mss",
	.forms = (const char *const[]){ "IFACE list", "IFACE add PREFIX mtu N | mss N",
					"IFACE del PREFIX", NULL },
	.min_args = 2,
	.max_args = 5,
	.expect = "IFACE and add, del or list",
	.about =
	"Per-destination MSS clamp rules of an attached interface. A rule covers\n"
	"every connection whose SYN is sent to an address in PREFIX (IPv4 or\n"
	"IPv6, e.g. 10.8.0.0/16, 2001:db8::/32, or one address): that SYN and its\n"
	"SYN-ACK are clamped, in the directions mss.dir= allows. The longest\n"
	"matching prefix wins, and a matching rule replaces the interface's own\n"
	"mss=/mtu= rule. `mtu N` clamps to N - 40 (IPv4) or N - 60 (IPv6).\n"
	"Changes apply at once, without re-attaching.\n",
	.common = CLI_COMMON,
	.json_help = "list as a JSON array",
};

struct prefix {
	int family;		/* 4 or 6 */
	__u32 len;
	__u8 addr[16];
};

/* "10.8.0.0/16", "2001:db8::/32" or a bare address; host bits must be 0. */
static int parse_prefix(const char *s, struct prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	int alen, i;
	long v;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = 6;
	else
		return -EINVAL;
	alen = p->family == 4 ? 4 : 16;
	p->len = alen * 8;
	if (slash) {
		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (errno || *end || !slash[1] || v < 0 || v > alen * 8)
			return -EINVAL;
		p->len = v;
	}
	for (i = 0; i < alen * 8; i++)
		if ((__u32)i >= p->len && (p->addr[i / 8] & (0x80 >> (i % 8))))
			return -EDOM;
	return 0;
}

static void format_prefix(char *buf, size_t len, int family, const __u8 *addr,
			  __u32 plen)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, plen);
}

/*
 * Number of rules in an LPM trie. The config keeps it so that a SYN
 * skips the lookup while the trie is empty; it is recounted after every
 * change rather than adjusted, so a count can never drift.
 */
static int trie_count(int fd, size_t key_size)
{
	__u8 key[sizeof(struct chimney_mss_key6)], next[sizeof(key)];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static void rules_close(int fd4, int fd6)
{
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
}

/* The two rule tries; the error says what to do when none was made. */
static int rules_open(const struct chimney_ctx *ctx, int *fd4, int *fd6)
{
	int err;

	*fd4 = pin_open(ctx, PIN(mss_rules_v4));
	*fd6 = pin_open(ctx, PIN(mss_rules_v6));
	if (*fd4 >= 0 && *fd6 >= 0)
		return 0;
	err = *fd4 < 0 ? *fd4 : *fd6;
	pr_err("mss: cannot open the rule maps in %s: %s (attached by an older chimney? detach and attach again)\n",
	       ctx->pin_dir, strerror(-err));
	rules_close(*fd4, *fd6);
	return err;
}

struct rule_edit {
	const char *ifname;
	int fd4, fd6, family;
	const void *key;
	const struct chimney_mss_rule *rule;	/* NULL: delete */
	const char *pfx;
};

/*
 * The trie change and the recount, as one config_update() edit: under
 * the config lock, so no writer that read the config before the change
 * can write its old count back after it.
 */
static int rule_apply(struct chimney_config *cfg, void *arg)
{
	const struct rule_edit *e = arg;
	int fd = e->family == 4 ? e->fd4 : e->fd6, err;

	if (e->rule) {
		if (bpf_map_update_elem(fd, e->key, e->rule, BPF_ANY)) {
			err = -errno;
			pr_err("mss: adding %s failed: %s%s\n", e->pfx,
			       strerror(-err),
			       err == -ENOSPC ? " (rule table full)" : "");
			return err;
		}
	} else if (bpf_map_delete_elem(fd, e->key)) {
		err = -errno;
		if (err == -ENOENT)
			pr_err("mss: no rule for %s on %s\n", e->pfx, e->ifname);
		else
			pr_err("mss: deleting %s failed: %s\n", e->pfx,
			       strerror(-err));
		return err;
	}
	cfg->mss_rules_v4 = trie_count(e->fd4, sizeof(struct chimney_mss_key4));
	cfg->mss_rules_v6 = trie_count(e->fd6, sizeof(struct chimney_mss_key6));
	return 0;
}

int mss_rule_update(const struct chimney_ctx *ctx, int family, const void *key,
		    const struct chimney_mss_rule *rule, const char *pfx)
{
	struct rule_edit e = { .ifname = ctx->ifname, .family = family,
			       .key = key, .rule = rule, .pfx = pfx };
	int err;

	err = rules_open(ctx, &e.fd4, &e.fd6);
	if (err)
		return err;
	err = config_update(ctx, rule_apply, &e, "mss");
	rules_close(e.fd4, e.fd6);
	return err;
}

static int parse_value(const char *what, const char *val, int family,
		       struct chimney_mss_rule *r)
{
	int hdr = family == 4 ? CHIMNEY_MSS_HDR_V4 : CHIMNEY_MSS_HDR_V6;
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || !*val)
		v = -1;
	memset(r, 0, sizeof(*r));
	if (!strcmp(what, "mtu")) {
		if (v < 576 || v > 65535) {
			pr_err("mss: mtu must be 576-65535, got '%s'\n", val);
			return -EINVAL;
		}
		r->mtu = v;
		r->mss = v - hdr;
		return 0;
	}
	if (!strcmp(what, "mss")) {
		if (v < 88 || v > 65535) {
			pr_err("mss: mss must be 88-65535, got '%s'\n", val);
			return -EINVAL;
		}
		r->mss = v;
		return 0;
	}
	pr_err("mss: expected 'mtu N' or 'mss N' after the prefix, got '%s'\n",
	       what);
	return -EINVAL;
}

static int rules_list(int fd4, int fd6, bool json)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	union {
		struct chimney_mss_key4 k4;
		struct chimney_mss_key6 k6;
	} key, next;
	struct chimney_mss_rule r;
	char pfx[INET6_ADDRSTRLEN + 8];
	void *prev;
	int family, fd, n = 0;

	if (!json)
		printf("%-44s %6s  %s\n", "prefix", "mss", "given as");
	for (family = 4; family <= 6; family += 2) {
		fd = family == 4 ? fd4 : fd6;
		prev = NULL;
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, &r))
				continue;
			if (family == 4)
				format_prefix(pfx, sizeof(pfx), 4, key.k4.addr,
					      key.k4.prefixlen);
			else
				format_prefix(pfx, sizeof(pfx), 6, key.k6.addr,
					      key.k6.prefixlen);
			n++;
			if (json) {
				struct json_object *o = json_object_new_object();

				json_object_object_add(o, "prefix",
						       json_object_new_string(pfx));
				json_object_object_add(o, "family",
						       json_object_new_int(family));
				json_object_object_add(o, "mss",
						       json_object_new_int(r.mss));
				json_object_object_add(o, "mtu", r.mtu ?
						       json_object_new_int(r.mtu) : NULL);
				json_object_array_add(arr, o);
			} else if (r.mtu) {
				printf("%-44s %6u  mtu %u\n", pfx, r.mss, r.mtu);
			} else {
				printf("%-44s %6u  mss %u\n", pfx, r.mss, r.mss);
			}
		}
	}
	if (json) {
		cli_json_print(arr, false);
	} else if (!n) {
		printf("(no prefix rules)\n");
	}
	return 0;
}

int cmd_mss(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct chimney_mss_rule rule;
	struct chimney_mss_key4 k4 = {};
	struct chimney_mss_key6 k6 = {};
	const char *op, *pfx_s = "";
	struct prefix pfx = {};
	struct cli_args a;
	int fd4 = -1, fd6 = -1, err, ret;
	void *key;

	/* Options anywhere: `mss eth0 list --json` reads naturally. */
	err = cli_parse(&mss_cli, argc, argv, NULL, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	op = a.v[1];
	if (!strcmp(op, "list")) {
		if (a.n != 2) {
			pr_err("mss: list takes no arguments\n");
			return 1;
		}
	} else if (!strcmp(op, "add")) {
		if (a.n != 5) {
			pr_err("mss: expected add PREFIX mtu N, or add PREFIX mss N\n");
			return 1;
		}
	} else if (!strcmp(op, "del")) {
		if (a.n != 3) {
			pr_err("mss: expected del PREFIX\n");
			return 1;
		}
	} else {
		pr_err("mss: unknown operation '%s' (add, del or list)\n", op);
		return 1;
	}
	if (a.n > 2) {
		pfx_s = a.v[2];
		err = parse_prefix(pfx_s, &pfx);
		if (err == -EDOM) {
			pr_err("mss: '%s' has bits set past its prefix length\n",
			       pfx_s);
			return 1;
		}
		if (err) {
			pr_err("mss: '%s' is not an IPv4 or IPv6 prefix\n", pfx_s);
			return 1;
		}
		if (!strcmp(op, "add") &&
		    parse_value(a.v[3], a.v[4], pfx.family, &rule))
			return 1;
	}

	if (ctx_resolve_attached(&ctx, "mss"))
		return 1;
	if (!strcmp(op, "list")) {
		if (rules_open(&ctx, &fd4, &fd6))
			return 1;
		ret = rules_list(fd4, fd6, ctx.json) ? 1 : 0;
		rules_close(fd4, fd6);
		return ret;
	}

	if (pfx.family == 4) {
		k4.prefixlen = pfx.len;
		memcpy(k4.addr, pfx.addr, 4);
		key = &k4;
	} else {
		k6.prefixlen = pfx.len;
		memcpy(k6.addr, pfx.addr, 16);
		key = &k6;
	}
	return mss_rule_update(&ctx, pfx.family, key,
			       !strcmp(op, "add") ? &rule : NULL, pfx_s) ? 1 : 0;
}

/* ---- path-MTU signals, for `chimney stats` --------------------------- */

struct pmtu_seen {
	struct chimney_pmtu_ent e;
};

static int cmp_newest(const void *a, const void *b)
{
	const struct pmtu_seen *x = a, *y = b;

	return (x->e.ktime_ns < y->e.ktime_ns) - (x->e.ktime_ns > y->e.ktime_ns);
}

/*
 * The last CHIMNEY_PMTU_LOG signals over all CPUs, newest first. Returns
 * how many, or a negative errno; *total gets every signal ever logged.
 */
static int pmtu_collect(const struct chimney_ctx *ctx, struct pmtu_seen *out,
			__u64 *total)
{
	struct chimney_pmtu_log *logs;
	struct pmtu_seen *all;
	int fd, ncpus, cpu, i, n = 0, err = 0;
	__u32 zero = 0;

	*total = 0;
	fd = pin_open(ctx, PIN(pmtu_log));
	if (fd < 0)
		return fd;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		close(fd);
		return ncpus;
	}
	logs = calloc(ncpus, sizeof(*logs));
	all = calloc((size_t)ncpus * CHIMNEY_PMTU_LOG, sizeof(*all));
	if (!logs || !all) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, logs)) {
		err = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		__u64 used = logs[cpu].head < CHIMNEY_PMTU_LOG ?
			     logs[cpu].head : CHIMNEY_PMTU_LOG;

		*total += logs[cpu].head;
		for (i = 0; i < (int)used; i++)
			all[n++].e = logs[cpu].ent[i];
	}
	qsort(all, n, sizeof(*all), cmp_newest);
	if (n > CHIMNEY_PMTU_LOG)
		n = CHIMNEY_PMTU_LOG;
	memcpy(out, all, n * sizeof(*all));
	err = n;
out:
	free(logs);
	free(all);
	close(fd);
	return err;
}

static double age_s(__u64 ktime_ns)
{
	struct timespec ts;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return now > ktime_ns ? (now - ktime_ns) / 1e9 : 0;
}

static void addr_str(char *buf, size_t len, int family, const __be32 *a)
{
	bool zero = family == 4 ? !a[0] : !(a[0] | a[1] | a[2] | a[3]);

	if (zero)
		snprintf(buf, len, "-");
	else
		inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, len);
}

/* Add "pmtu_reported": [...] (newest first) to a stats JSON object. */
void pmtu_stats_json(const struct chimney_ctx *ctx, struct json_object *o)
{
	struct pmtu_seen seen[CHIMNEY_PMTU_LOG];
	struct json_object *arr = json_object_new_array();
	char rep[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	__u64 total;
	int n, i;

	n = pmtu_collect(ctx, seen, &total);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();
		const struct chimney_pmtu_ent *p = &seen[i].e;

		addr_str(rep, sizeof(rep), p->family, p->reporter);
		addr_str(dst, sizeof(dst), p->family, p->dst);
		json_object_object_add(e, "mtu", json_object_new_int64(p->mtu));
		json_object_object_add(e, "family", json_object_new_int(p->family));
		json_object_object_add(e, "reporter", json_object_new_string(rep));
		json_object_object_add(e, "dst", json_object_new_string(dst));
		json_object_object_add(e, "age_s",
				       json_object_new_double(age_s(p->ktime_ns)));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "pmtu_reported", arr);
}

/* The same as text, after the counters; nothing when none was seen. */
void pmtu_stats_text(const struct chimney_ctx *ctx)
{
	struct pmtu_seen seen[CHIMNEY_PMTU_LOG];
	char rep[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	__u64 total;
	int n, i;

	n = pmtu_collect(ctx, seen, &total);
	if (n <= 0)
		return;
	printf("\npath MTU reported by ICMP (last %d of %llu, newest first):\n",
	       n, (unsigned long long)total);
	printf("  %6s  %-8s %-28s %-28s\n", "mtu", "age", "reporter",
	       "for destination");
	for (i = 0; i < n; i++) {
		const struct chimney_pmtu_ent *p = &seen[i].e;
		char age[16];

		addr_str(rep, sizeof(rep), p->family, p->reporter);
		addr_str(dst, sizeof(dst), p->family, p->dst);
		snprintf(age, sizeof(age), "%.1fs", age_s(p->ktime_ns));
		printf("  %6u  %-8s %-28s %-28s\n", p->mtu, age, rep, dst);
	}
}
