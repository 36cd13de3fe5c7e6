// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Receive-side steering: the Toeplitz hash (include/chimney/toeplitz.h),
 * the XDP stage (bpf/lib/rss.h) and the indirection table user space
 * derives from the config (user/steer.c).
 *
 * First the whole published verification suite of the Microsoft RSS
 * specification against the bit-by-bit reference and the table-driven
 * hash. Then the hash the XDP program computes, on real frames, against
 * the reference computed here from the addresses and ports the test put
 * into the frame.
 *
 * How a test sees the BPF hash without the data path reporting it:
 * with BPF_PROG_TEST_RUN, bpf_redirect_map() returns XDP_REDIRECT when
 * the indirection entry names a CPU present in the cpumap, and the
 * program passes the frame (counted steer_no_cpu) when it does not. The
 * test puts only CPU 0 in the cpumap and fills a 512-entry table so that
 * entry j names CPU 0 exactly when bit b of j is set: the verdict is bit
 * b of the index the program chose, and nine runs give hash & 511. The
 * hash is a XOR of table entries, so with every entry of the Toeplitz
 * tables shifted right by s the program computes hash >> s: shifts 0,
 * 9, 18 and 27 give all 32 bits. Only map contents change; the program
 * under test is the one `chimney attach` loads.
 *
 * Fixtures carry their scapy equivalents; with
 *   from scapy.all import *
 *   from scapy.layers.vxlan import VXLAN
 *   E = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "config.h"
#include "env.h"
#include "pkt_builder.h"
#include "test.h"

#define PROBE_SIZE	512			/* indirection entries: 9 bits */
#define PROBE_BITS	9
#define PROBE_CPU	0			/* the one CPU in the cpumap */
#define NO_CPU		CHIMNEY_MAX_CPUS	/* past the cpumap's end */
#define VXLAN_PORT	4789

/* The maps the XDP program reads, found through the program itself. */
static struct {
	bool ready;
	int prog, tbl, indir, cpus;
	__u8 key[RSS_KEY_LEN];			/* the default key */
	struct chimney_rss_table def;		/* its tables */
	struct chimney_rss_table shifted[4];	/* def >> 0, 9, 18, 27 */
} E;

static bool rss_env(void)
{
	struct chimney_config cfg;
	int s, i, b;

	if (E.ready)
		return true;
	E.prog = env_prog_fd(UNIT_XDP);
	if (E.prog < 0)
		return false;
	E.tbl = env_map_fd(PIN(rss_tbl));
	E.indir = env_map_fd(PIN(rss_indir));
	E.cpus = env_map_fd(PIN(cpus));
	if (!ASSERT_TRUE(E.tbl >= 0 && E.indir >= 0 && E.cpus >= 0,
			 "XDP program uses rss_tbl, rss_indir and cpus"))
		return false;
	config_defaults(&cfg);
	memcpy(E.key, cfg.rss_key, RSS_KEY_LEN);
	toeplitz_build(E.key, &E.def);
	for (s = 0; s < 4; s++)
		for (i = 0; i < RSS_INPUT_MAX; i++)
			for (b = 0; b < 256; b++)
				E.shifted[s].t[i][b] = E.def.t[i][b] >> (9 * s);
	E.ready = true;
	return true;
}

/* ---- reference hashes, straight from the specification's wording ---- */

/* A flow as the test writes it into frames; sport < 0: the 2-tuple. */
struct flow {
	int af;
	const char *src, *dst;
	int sport, dport;
};

static int addr_len(int af)
{
	return af == AF_INET ? 4 : 16;
}

/* The input bytes: source address, destination address, then source
 * and destination port if hashed, all in network order. */
static int spec_input(const struct flow *f, bool swap, __u8 *in)
{
	int alen = addr_len(f->af), n = 2 * alen;
	int sp = swap ? f->dport : f->sport, dp = swap ? f->sport : f->dport;

	if (inet_pton(f->af, swap ? f->dst : f->src, in) != 1 ||
	    inet_pton(f->af, swap ? f->src : f->dst, in + alen) != 1) {
		unit_fail("bad address in fixture: %s / %s", f->src, f->dst);
		return 0;
	}
	if (f->sport >= 0) {
		in[n++] = sp >> 8;
		in[n++] = sp;
		in[n++] = dp >> 8;
		in[n++] = dp;
	}
	return n;
}

/*
 * hash=symmetric as documented: the endpoint whose (address, port)
 * compares lower byte by byte in network order is hashed as the source.
 */
static __u32 ref_hash(const struct flow *f, bool sym)
{
	__u8 in[RSS_INPUT_MAX];
	int alen = addr_len(f->af), n, c;
	bool swap = false;

	n = spec_input(f, false, in);
	if (sym) {
		c = memcmp(in, in + alen, alen);
		swap = c > 0 || (!c && f->sport > f->dport);
		if (swap)
			n = spec_input(f, true, in);
	}
	return toeplitz_ref(E.key, in, n);
}

/* What `chimney hash` computes: the table code on a parsed tuple. */
static __u32 user_hash(const struct flow *f, bool sym)
{
	struct chimney_tuple tp = { .family = f->af == AF_INET ? 4 : 6 };

	inet_pton(f->af, f->src, tp.saddr);
	inet_pton(f->af, f->dst, tp.daddr);
	if (f->sport >= 0) {
		tp.sport = htons(f->sport);
		tp.dport = htons(f->dport);
	}
	return toeplitz_hash_tuple(&E.def, &tp, f->sport >= 0, sym);
}

/* ---- the published verification suite ---- */

struct ms_row {
	int af;
	const char *src, *dst;
	int sport, dport;
	__u32 h2, h4;	/* 2-tuple, 4-tuple */
};

/* Microsoft, "Verifying the RSS Hash Calculation", default key. */
static const struct ms_row ms_suite[] = {
	{ AF_INET, "66.9.149.187", "161.142.100.80", 2794, 1766,
	  0x323e8fc2, 0x51ccc178 },
	{ AF_INET, "199.92.111.2", "65.69.140.83", 14230, 4739,
	  0xd718262a, 0xc626b0ea },
	{ AF_INET, "24.19.198.95", "12.22.207.184", 12898, 38024,
	  0xd2d0a5de, 0x5c2b394a },
	{ AF_INET, "38.27.205.30", "209.142.163.6", 48228, 2217,
	  0x82989176, 0xafc7327f },
	{ AF_INET, "153.39.163.191", "202.188.127.2", 44251, 1303,
	  0x5d1809c5, 0x10e828a2 },
	{ AF_INET6, "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766,
	  0x2cc18cd5, 0x40207d3d },
	{ AF_INET6, "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739,
	  0x0f0c461c, 0xdde51bbf },
	{ AF_INET6, "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
	  "fe80::200:f8ff:fe21:67cf", 44251, 38024,
	  0x4b61e985, 0x02d1feef },
};

#define MS_ROWS (sizeof(ms_suite) / sizeof(ms_suite[0]))

UNIT_TEST(rss_default_key_is_microsoft)
{
	static const __u8 ms_key[RSS_KEY_LEN] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
		0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
		0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
		0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
		0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	struct chimney_config cfg;

	config_defaults(&cfg);
	ASSERT_MEMEQ(cfg.rss_key, ms_key, RSS_KEY_LEN, "default rss.key");
}

/* A row's subtest: row1_ipv4 ... row8_ipv6, in the suite's order. */
static const char *ms_row_name(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "row%zu_%s", i + 1,
		 ms_suite[i].af == AF_INET ? "ipv4" : "ipv6");
	return buf;
}

/* The reference and both table entry points, every row, both tuples;
 * one subtest per row. */
UNIT_TEST(rss_verification_suite_user)
{
	char what[160], sub[32];
	size_t i;

	if (!rss_env())
		return;
	for (i = 0; i < MS_ROWS; i++) {
		const struct ms_row *r = &ms_suite[i];
		struct flow f4 = { r->af, r->src, r->dst, r->sport, r->dport };
		struct flow f2 = { r->af, r->src, r->dst, -1, -1 };
		__u8 sa[16], da[16];
		__be16 sp = htons(r->sport), dp = htons(r->dport);
		int alen = addr_len(r->af);

		if (!test__start_subtest(ms_row_name(i, sub, sizeof(sub))))
			continue;
		inet_pton(r->af, r->src, sa);
		inet_pton(r->af, r->dst, da);
		snprintf(what, sizeof(what), "%s -> %s 2-tuple", r->src, r->dst);
		ASSERT_EQ(ref_hash(&f2, false), r->h2, what);
		ASSERT_EQ(toeplitz_tuple(&E.def, sa, da, alen, NULL, NULL),
			  r->h2, what);
		ASSERT_EQ(user_hash(&f2, false), r->h2, what);
		snprintf(what, sizeof(what), "%s:%d -> %s:%d 4-tuple", r->src,
			 r->sport, r->dst, r->dport);
		ASSERT_EQ(ref_hash(&f4, false), r->h4, what);
		ASSERT_EQ(toeplitz_tuple(&E.def, sa, da, alen, &sp, &dp),
			  r->h4, what);
		ASSERT_EQ(user_hash(&f4, false), r->h4, what);
	}
}

/* The tables against the reference on inputs that set every bit. */
UNIT_TEST(rss_tables_match_reference)
{
	__u8 in[RSS_INPUT_MAX];
	struct chimney_tuple tp = { .family = 6 };
	__u32 seed = 0x9e3779b9;
	int n, i;

	if (!rss_env())
		return;
	for (n = 0; n < 64; n++) {
		for (i = 0; i < RSS_INPUT_MAX; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = n == 0 ? 0xff : seed >> 16;
		}
		memcpy(tp.saddr, in, 16);
		memcpy(tp.daddr, in + 16, 16);
		memcpy(&tp.sport, in + 32, 2);
		memcpy(&tp.dport, in + 34, 2);
		if (!ASSERT_EQ(toeplitz_hash_tuple(&E.def, &tp, 1, 0),
			       toeplitz_ref(E.key, in, 36), "36-byte input"))
			unit_hexdump("input", in, 36);
	}
}

/* ---- running frames through the XDP program ---- */

static int steer_ctr(const char *name)
{
	int idx = counter_index(name);

	if (idx < 0)
		unit_fail("counter %s does not exist", name);
	return idx;
}

#define __STEER_NAME(name, help) #name,
static const char *const steer_names[] = {
	CHIMNEY_STEER_COUNTERS(__STEER_NAME)
};
#undef __STEER_NAME

struct steer_exp {
	__s64 redirect, no_cpu, inner, skip_non_ip;
};

/* Every steering counter moved by exactly what exp says, and the others
 * (steer_received: only the cpumap program counts it) not at all. */
static bool steer_deltas(const __u64 *before, const __u64 *after,
			 const struct steer_exp *exp)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < sizeof(steer_names) / sizeof(steer_names[0]); i++) {
		const char *n = steer_names[i];
		int idx = steer_ctr(n);
		__s64 want = 0, got;

		if (idx < 0)
			return false;
		if (!strcmp(n, "steer_redirect"))
			want = exp->redirect;
		else if (!strcmp(n, "steer_no_cpu"))
			want = exp->no_cpu;
		else if (!strcmp(n, "steer_inner"))
			want = exp->inner;
		else if (!strcmp(n, "steer_skip_non_ip"))
			want = exp->skip_non_ip;
		got = after[idx] - before[idx];
		if (got != want) {
			unit_fail("counter %s: %+lld, expected %+lld", n,
				  (long long)got, (long long)want);
			ok = false;
		}
	}
	return ok;
}

/* One run: returns the verdict, or -1 after a failed check. The frame
 * must come out unchanged whatever the verdict. */
static int run_frame(const struct pb *b, __u64 *before, __u64 *after)
{
	__u8 out[PB_MAX_LEN + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = b->data,
		.data_size_in = b->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = 1,
	);

	if (!ASSERT_OK(env_counters_read(before), "read counters"))
		return -1;
	if (!ASSERT_OK(bpf_prog_test_run_opts(E.prog, &opts) ? -errno : 0,
		       "bpf_prog_test_run_opts"))
		return -1;
	if (!ASSERT_OK(env_counters_read(after), "read counters"))
		return -1;
	if (!ASSERT_EQ(opts.data_size_out, b->len, "output length") ||
	    !ASSERT_MEMEQ(out, b->data, b->len, "output frame"))
		return -1;
	return opts.retval;
}

static int cpumap_add(__u32 cpu)
{
	struct bpf_cpumap_val val = { .qsize = 64, .bpf_prog.fd = -1 };

	return bpf_map_update_elem(E.cpus, &cpu, &val, BPF_ANY) ? -errno : 0;
}

static void cpumap_del(__u32 cpu)
{
	bpf_map_delete_elem(E.cpus, &cpu);
}

/* steer_to[cpu] summed over the CPUs that counted it; -1 unreadable. */
static __s64 steer_to_sum(__u32 cpu)
{
	int fd = env_map_fd(PIN(steer_to)), n = libbpf_num_possible_cpus(), i;
	__u64 vals[CHIMNEY_MAX_CPUS];
	__s64 sum = 0;

	if (fd < 0 || n <= 0 || n > CHIMNEY_MAX_CPUS ||
	    bpf_map_lookup_elem(fd, &cpu, vals))
		return -1;
	for (i = 0; i < n; i++)
		sum += vals[i];
	return sum;
}

/* Config from KEY=VALUE strings over the defaults, as `chimney set`. */
static bool cfg_from(struct chimney_config *cfg, const char *const *kv)
{
	int n = 0;

	config_defaults(cfg);
	while (kv && kv[n])
		n++;
	return ASSERT_OK(config_apply_kv(cfg, n, (char **)kv, "test"),
			 "config keys");
}

/* Back to what every other test expects: steering off, default key. */
static void rss_reset(void)
{
	__u32 zero = 0, cpu;

	if (!E.ready)
		return;
	env_config_write(NULL);
	bpf_map_update_elem(E.tbl, &zero, &E.def, BPF_ANY);
	for (cpu = 0; cpu < CHIMNEY_MAX_CPUS; cpu++)
		cpumap_del(cpu);
}

static bool indir_write(__u32 bit)
{
	__u32 j, v;

	for (j = 0; j < PROBE_SIZE; j++) {
		v = (j >> bit) & 1 ? PROBE_CPU : NO_CPU;
		if (!ASSERT_OK(bpf_map_update_elem(E.indir, &j, &v, BPF_ANY) ?
			       -errno : 0, "indirection entry"))
			return false;
	}
	return true;
}

/*
 * The hash the XDP program computes for frame b, with steering on
 * (cpus=0, a 512-entry table) plus the keys in kv. inner: the frame is
 * steered by its VXLAN inner flow (steer_inner counts every run).
 */
static bool bpf_hash(const struct pb *b, const char *const *kv, bool inner,
		     __u32 *hash)
{
	const char *keys[8] = { "cpus=0", "rss.table_size=512" };
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	struct chimney_config cfg;
	__u32 idx[4] = {}, zero = 0;
	int n = 2, s, bit, v;
	bool ok = false;

	while (kv && *kv && n < 7)
		keys[n++] = *kv++;
	if (!rss_env() || !cfg_from(&cfg, keys))
		return false;
	if (!ASSERT_OK(cpumap_add(PROBE_CPU), "cpumap entry for CPU 0") ||
	    !ASSERT_OK(env_config_write(&cfg), "write config"))
		goto out;
	for (bit = 0; bit < PROBE_BITS; bit++) {
		if (!indir_write(bit))
			goto out;
		for (s = 0; s < 4; s++) {
			struct steer_exp exp = { .inner = inner };

			if (!ASSERT_OK(bpf_map_update_elem(E.tbl, &zero,
							   &E.shifted[s], BPF_ANY) ?
				       -errno : 0, "write shifted tables"))
				goto out;
			v = run_frame(b, before, after);
			if (v < 0)
				goto out;
			if (v == XDP_REDIRECT) {
				exp.redirect = 1;
				idx[s] |= 1U << bit;
			} else if (!ASSERT_EQ(v, XDP_PASS, "verdict")) {
				goto out;
			} else {
				exp.no_cpu = 1;
			}
			if (!steer_deltas(before, after, &exp))
				goto out;
		}
	}
	/* hash >> 27 has 5 bits: the rest of that index must be 0 */
	if (!ASSERT_EQ(idx[3] >> 5, 0, "index bits past bit 31 of the hash"))
		goto out;
	*hash = idx[0] | idx[1] << 9 | idx[2] << 18 | idx[3] << 27;
	ok = true;
out:
	rss_reset();
	return ok;
}

/* BPF, the table code and the reference agree on flow f in frame b. */
static bool check_frame(const char *what, const struct pb *b,
			const struct flow *f, bool sym, const char *const *kv,
			bool inner, __u32 *out)
{
	__u32 ref, bh = 0;
	char msg[200];

	if (!rss_env())
		return false;
	ref = ref_hash(f, sym);
	snprintf(msg, sizeof(msg), "%s: table code vs reference", what);
	if (!ASSERT_EQ(user_hash(f, sym), ref, msg))
		return false;
	if (!bpf_hash(b, kv, inner, &bh)) {
		unit_log("  while probing: %s\n", what);
		return false;
	}
	snprintf(msg, sizeof(msg), "%s: XDP program vs reference", what);
	if (!ASSERT_EQ(bh, ref, msg)) {
		unit_hexdump("frame", b->data, b->len);
		return false;
	}
	if (unit_verbose())
		unit_log("%s: 0x%08x\n", what, bh);
	if (out)
		*out = bh;
	return true;
}

/* ---- frame builders ---- */

static void push_ip(struct pb *b, const struct flow *f, __u8 proto,
		    __u16 frag)
{
	if (f->af == AF_INET)
		pb_ipv4(b, &(struct pb_ipv4_opts){ .src = f->src,
			.dst = f->dst, .proto = proto, .frag = frag, .id = 7 });
	else
		pb_ipv6(b, &(struct pb_ipv6_opts){ .src = f->src,
			.dst = f->dst, .nexthdr = proto });
}

/* TCP (flags A), UDP with 16 bytes of payload, or an echo request. */
static void push_l4(struct pb *b, const struct flow *f, int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		pb_tcp(b, &(struct pb_tcp_opts){ .sport = f->sport,
			.dport = f->dport, .flags = CHIMNEY_TCP_ACK });
		break;
	case IPPROTO_UDP:
		pb_udp(b, f->sport, f->dport);
		pb_raw(b, NULL, 16);
		break;
	default:
		if (f->af == AF_INET)
			pb_icmp(b, 8, 0, 1, 1);
		else
			pb_icmp6(b, 128, 0, 1, 1);
	}
}

/* Ether(**E)/IP(src, dst)/TCP|UDP|ICMP */
static void build(struct pb *b, const struct flow *f, int proto)
{
	pb_init(b);
	pb_eth(b, NULL);
	push_ip(b, f, 0, 0);
	push_l4(b, f, proto);
	pb_finish(b);
}

/* The MS suite through the XDP program: TCP frames for the 4-tuple,
 * ICMP echo requests for the 2-tuple; one subtest per row, so a row
 * that fails does not hide the rows after it. */
UNIT_TEST(rss_verification_suite_bpf)
{
	struct pb b;
	char what[160], sub[32];
	size_t i;

	for (i = 0; i < MS_ROWS; i++) {
		const struct ms_row *r = &ms_suite[i];
		struct flow f4 = { r->af, r->src, r->dst, r->sport, r->dport };
		struct flow f2 = { r->af, r->src, r->dst, -1, -1 };
		__u32 h;

		if (!test__start_subtest(ms_row_name(i, sub, sizeof(sub))))
			continue;
		/* Ether(**E)/IP(src=r.src, dst=r.dst)/TCP(sport, dport, flags="A") */
		build(&b, &f4, IPPROTO_TCP);
		snprintf(what, sizeof(what), "TCP %s:%d -> %s:%d", r->src,
			 r->sport, r->dst, r->dport);
		if (!check_frame(what, &b, &f4, false, NULL, false, &h) ||
		    !ASSERT_EQ(h, r->h4, "published 4-tuple value"))
			continue;
		/* Ether(**E)/IP(src, dst)/ICMP(id=1, seq=1), IPv6: ICMPv6EchoRequest */
		build(&b, &f2, 0);
		snprintf(what, sizeof(what), "ICMP %s -> %s", r->src, r->dst);
		if (!check_frame(what, &b, &f2, false, NULL, false, &h))
			continue;
		ASSERT_EQ(h, r->h2, "published 2-tuple value");
	}
}

static const struct flow v4_flow = { AF_INET, "192.0.2.1", "198.51.100.2",
				     40000, 443 };
static const struct flow v6_flow = { AF_INET6, "2001:db8::1", "2001:db8:1::2",
				     40000, 443 };

/* UDP hashes its ports; a protocol without ports its addresses only. */
UNIT_TEST(rss_bpf_l4_protocols)
{
	struct flow f2 = v4_flow, f2v6 = v6_flow;
	struct pb b;

	f2.sport = f2.dport = f2v6.sport = f2v6.dport = -1;
	/* Ether(**E)/IP(src="192.0.2.1", dst="198.51.100.2")/UDP(sport=40000, dport=443)/Raw(16) */
	build(&b, &v4_flow, IPPROTO_UDP);
	check_frame("IPv4/UDP", &b, &v4_flow, false, NULL, false, NULL);
	/* Ether(**E)/IPv6(src="2001:db8::1", dst="2001:db8:1::2")/UDP(sport=40000, dport=443)/Raw(16) */
	build(&b, &v6_flow, IPPROTO_UDP);
	check_frame("IPv6/UDP", &b, &v6_flow, false, NULL, false, NULL);
	/* Ether(**E)/IPv6(...)/TCP(sport=40000, dport=443, flags="A") */
	build(&b, &v6_flow, IPPROTO_TCP);
	check_frame("IPv6/TCP", &b, &v6_flow, false, NULL, false, NULL);
	/* Ether(**E)/IP(src="192.0.2.1", dst="198.51.100.2", proto=47)/Raw(24): GRE */
	pb_init(&b);
	pb_eth(&b, NULL);
	push_ip(&b, &f2, 0, 0);
	pb_l4_raw(&b, 47, NULL, 24);
	pb_finish(&b);
	check_frame("IPv4/GRE (no ports)", &b, &f2, false, NULL, false, NULL);
	/* Ether(**E)/IPv6(...)/ICMPv6EchoRequest(id=1, seq=1) */
	build(&b, &f2v6, 0);
	check_frame("ICMPv6", &b, &f2v6, false, NULL, false, NULL);
}

/*
 * Every fragment of a datagram lands on one CPU: the first (which has
 * the ports) and the others (which do not) all hash the 2-tuple.
 */
UNIT_TEST(rss_bpf_fragments)
{
	struct flow f2 = v4_flow, f2v6 = v6_flow;
	struct pb whole, frag;
	__u32 first = 0, rest = 1;

	f2.sport = f2.dport = f2v6.sport = f2v6.dport = -1;
	/* d = IP(src="192.0.2.1", dst="198.51.100.2", id=7)/UDP(sport=40000, dport=443)/Raw(16)
	 * (its first 16 bytes in one fragment, the last 8 in another) */
	build(&whole, &v4_flow, IPPROTO_UDP);
	check_frame("IPv4/UDP datagram, whole", &whole, &v4_flow, false, NULL,
		    false, NULL);
	/* Ether(**E)/fragment(d, 16)[0] */
	pb_fragment(&frag, &whole, 0, 16, true);
	check_frame("IPv4 first fragment", &frag, &f2, false, NULL, false,
		    &first);
	/* Ether(**E)/fragment(d, 16)[1] */
	pb_fragment(&frag, &whole, 16, 8, false);
	check_frame("IPv4 last fragment", &frag, &f2, false, NULL, false,
		    &rest);
	ASSERT_EQ(first, rest, "both IPv4 fragments, one hash");

	/* d6 = IPv6(src="2001:db8::1", dst="2001:db8:1::2")/IPv6ExtHdrFragment(id=9)/
	 *      UDP(sport=40000, dport=443)/Raw(16) */
	pb_init(&whole);
	pb_eth(&whole, NULL);
	push_ip(&whole, &v6_flow, 0, 0);
	pb_ipv6_frag(&whole, 0, false, 9);
	push_l4(&whole, &v6_flow, IPPROTO_UDP);
	pb_finish(&whole);
	first = 0;
	rest = 1;
	/* Ether(**E)/fragment6(d6, 64)[0]: first 16 bytes of UDP header + data */
	pb_fragment(&frag, &whole, 0, 16, true);
	check_frame("IPv6 first fragment", &frag, &f2v6, false, NULL, false,
		    &first);
	/* the last 8 bytes */
	pb_fragment(&frag, &whole, 16, 8, false);
	check_frame("IPv6 last fragment", &frag, &f2v6, false, NULL, false,
		    &rest);
	ASSERT_EQ(first, rest, "both IPv6 fragments, one hash");
}

/* Tags do not change the flow. */
UNIT_TEST(rss_bpf_vlan)
{
	struct pb b;

	/* Ether(**E)/Dot1Q(vlan=100)/IP(...)/TCP(sport=40000, dport=443, flags="A") */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_vlan(&b, ETH_P_8021Q, 100);
	push_ip(&b, &v4_flow, 0, 0);
	push_l4(&b, &v4_flow, IPPROTO_TCP);
	pb_finish(&b);
	check_frame("802.1Q IPv4/TCP", &b, &v4_flow, false, NULL, false, NULL);
	/* Ether(**E, type=0x88a8)/Dot1AD(vlan=10)/Dot1Q(vlan=100)/IPv6(...)/TCP(...) */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_vlan(&b, ETH_P_8021AD, 10);
	pb_vlan(&b, ETH_P_8021Q, 100);
	push_ip(&b, &v6_flow, 0, 0);
	push_l4(&b, &v6_flow, IPPROTO_TCP);
	pb_finish(&b);
	check_frame("QinQ IPv6/TCP", &b, &v6_flow, false, NULL, false, NULL);
}

/* Ether(**E)/IP(outer)/UDP(sport=49152, dport=4789)/VXLAN(vni=42)/
 *   Ether(**E)/IP(inner)/<inner L4> */
static void build_vxlan(struct pb *b, const struct flow *outer,
			const struct flow *in, int proto, __u16 in_frag)
{
	pb_init(b);
	pb_eth(b, NULL);
	push_ip(b, outer, 0, 0);
	pb_udp(b, outer->sport, outer->dport);
	pb_vxlan(b, 42);
	pb_eth(b, NULL);
	if (in_frag) {
		push_ip(b, in, IPPROTO_UDP, in_frag);
		pb_raw(b, NULL, 24);
	} else {
		push_ip(b, in, 0, 0);
		push_l4(b, in, proto);
	}
	pb_finish(b);
}

/* A tunnel is many flows: the inner flow decides, on configured ports. */
UNIT_TEST(rss_bpf_vxlan_inner)
{
	static const struct flow outer = { AF_INET, "203.0.113.1",
					   "203.0.113.2", 49152, VXLAN_PORT };
	static const struct flow outer6 = { AF_INET6, "2001:db8:ff::1",
					    "2001:db8:ff::2", 49152, VXLAN_PORT };
	static const struct flow in_a = { AF_INET, "10.1.0.1", "10.1.0.2",
					  1111, 80 };
	static const struct flow in_b = { AF_INET, "10.1.0.1", "10.1.0.2",
					  2222, 80 };
	static const struct flow in_frag = { AF_INET, "10.1.0.1", "10.1.0.2",
					     -1, -1 };
	static const char *const no_vxlan[] = { "vxlan.ports=none", NULL };
	static const char *const other_port[] = { "vxlan.ports=8472", NULL };
	struct pb b;

	if (!rss_env())
		return;
	/* Two inner flows through the same tunnel must be able to differ. */
	if (!ASSERT_NEQ(ref_hash(&in_a, false), ref_hash(&in_b, false),
			"fixture: the two inner flows hash apart"))
		return;
	/* .../VXLAN(vni=42)/Ether(**E)/IP(src="10.1.0.1", dst="10.1.0.2")/TCP(sport=1111, dport=80, flags="A") */
	build_vxlan(&b, &outer, &in_a, IPPROTO_TCP, 0);
	check_frame("VXLAN, inner TCP flow A", &b, &in_a, false, NULL, true, NULL);
	/* the same with TCP(sport=2222) */
	build_vxlan(&b, &outer, &in_b, IPPROTO_TCP, 0);
	check_frame("VXLAN, inner TCP flow B", &b, &in_b, false, NULL, true, NULL);
	/* IPv6 outside, IPv6 inside:
	 * Ether(**E)/IPv6(src="2001:db8:ff::1", dst="2001:db8:ff::2")/UDP(sport=49152, dport=4789)/
	 *   VXLAN(vni=42)/Ether(**E)/IPv6(src="2001:db8::1", dst="2001:db8:1::2")/TCP(sport=40000, dport=443, flags="A") */
	build_vxlan(&b, &outer6, &v6_flow, IPPROTO_TCP, 0);
	check_frame("IPv6 VXLAN, inner IPv6/TCP", &b, &v6_flow, false, NULL,
		    true, NULL);
	/* An inner fragment hashes the inner 2-tuple:
	 * .../VXLAN(vni=42)/Ether(**E)/IP(src="10.1.0.1", dst="10.1.0.2", proto=17, flags="MF", id=7)/Raw(24) */
	build_vxlan(&b, &outer, &in_frag, 0, PB_IP_MF);
	check_frame("VXLAN, inner IPv4 fragment", &b, &in_frag, false, NULL,
		    true, NULL);
	/* With 4789 not a VXLAN port, it is an outer UDP flow like any. */
	build_vxlan(&b, &outer, &in_a, IPPROTO_TCP, 0);
	check_frame("VXLAN frame, vxlan.ports=none: outer UDP flow", &b, &outer,
		    false, no_vxlan, false, NULL);
	check_frame("VXLAN frame, vxlan.ports=8472: outer UDP flow", &b, &outer,
		    false, other_port, false, NULL);
}

/* hash=symmetric: both directions, one hash; the default hash differs. */
UNIT_TEST(rss_bpf_symmetric)
{
	static const char *const sym[] = { "hash=symmetric", NULL };
	static const struct flow pairs[][2] = {
		{ { AF_INET, "192.0.2.1", "198.51.100.2", 40000, 443 },
		  { AF_INET, "198.51.100.2", "192.0.2.1", 443, 40000 } },
		{ { AF_INET6, "2001:db8::1", "2001:db8:1::2", 40000, 443 },
		  { AF_INET6, "2001:db8:1::2", "2001:db8::1", 443, 40000 } },
		/* same host: the ports decide the order */
		{ { AF_INET, "192.0.2.9", "192.0.2.9", 6000, 5000 },
		  { AF_INET, "192.0.2.9", "192.0.2.9", 5000, 6000 } },
		/* the 2-tuple (ICMP) */
		{ { AF_INET, "192.0.2.1", "198.51.100.2", -1, -1 },
		  { AF_INET, "198.51.100.2", "192.0.2.1", -1, -1 } },
	};
	__u32 h[2];
	struct pb b;
	char what[120];
	size_t i;
	int d;

	if (!rss_env())
		return;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		/* The fixture must be one where direction matters. */
		if (!ASSERT_NEQ(ref_hash(&pairs[i][0], false),
				ref_hash(&pairs[i][1], false),
				"fixture: directions differ with hash=toeplitz"))
			return;
		for (d = 0; d < 2; d++) {
			const struct flow *f = &pairs[i][d];

			/* Ether(**E)/IP|IPv6(src, dst)/TCP(sport, dport, flags="A") or ICMP */
			build(&b, f, f->sport < 0 ? 0 : IPPROTO_TCP);
			snprintf(what, sizeof(what), "pair %zu direction %d, toeplitz",
				 i, d);
			check_frame(what, &b, f, false, NULL, false, NULL);
			snprintf(what, sizeof(what), "pair %zu direction %d, symmetric",
				 i, d);
			if (!check_frame(what, &b, f, true, sym, false, &h[d]))
				return;
		}
		ASSERT_EQ(h[0], h[1], "symmetric: both directions, one hash");
	}
}

/* ---- what is never steered ---- */

static bool steering_on(const char *const *kv, struct chimney_config *cfg)
{
	__u32 j, cpu = PROBE_CPU;

	if (!rss_env() || !cfg_from(cfg, kv))
		return false;
	/* A table and a cpumap that would redirect anything they see. */
	for (j = 0; j < CHIMNEY_INDIR_MAX; j++)
		if (!ASSERT_OK(bpf_map_update_elem(E.indir, &j, &cpu, BPF_ANY) ?
			       -errno : 0, "indirection entry"))
			return false;
	return ASSERT_OK(cpumap_add(PROBE_CPU), "cpumap entry") &&
	       ASSERT_OK(env_config_write(cfg), "write config");
}

static void expect_pass(const char *what, const struct pb *b,
			const struct steer_exp *exp)
{
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	int v = run_frame(b, before, after);

	if (v < 0) {
		unit_log("  in: %s\n", what);
		return;
	}
	if (!ASSERT_EQ(v, XDP_PASS, what) || !steer_deltas(before, after, exp))
		unit_log("  in: %s\n", what);
}

UNIT_TEST(rss_non_ip_never_steered)
{
	static const char *const on[] = { "cpus=0", NULL };
	static const struct steer_exp skipped = { .skip_non_ip = 1 };
	struct chimney_config cfg;
	struct pb b;

	if (!steering_on(on, &cfg))
		goto out;
	/* Ether(**E)/ARP(psrc="192.0.2.1", pdst="192.0.2.2") */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_arp(&b, "192.0.2.1", "192.0.2.2");
	pb_finish(&b);
	expect_pass("ARP with steering on", &b, &skipped);
	/* Ether(**E, type=0x88cc)/Raw(46): LLDP */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_l3_raw(&b, 0x88cc, NULL, 46);
	pb_finish(&b);
	expect_pass("LLDP with steering on", &b, &skipped);
out:
	rss_reset();
}

/* Without cpus= nothing is steered or counted, even with a table and a
 * cpumap that would redirect. */
UNIT_TEST(rss_off_without_cpus)
{
	static const struct steer_exp none = {};
	struct chimney_config cfg;
	struct pb b;

	if (!steering_on(NULL, &cfg))
		goto out;
	if (!ASSERT_EQ(cfg.steer_nr, 0, "default cpus= is none"))
		goto out;
	build(&b, &v4_flow, IPPROTO_TCP);
	expect_pass("IPv4/TCP, steering off", &b, &none);
	build(&b, &v6_flow, IPPROTO_UDP);
	expect_pass("IPv6/UDP, steering off", &b, &none);
	/* Ether(**E)/ARP(...): not counted as skipped either */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_arp(&b, "192.0.2.1", "192.0.2.2");
	pb_finish(&b);
	expect_pass("ARP, steering off", &b, &none);
out:
	rss_reset();
}

/* A frame the parser gave up on passes where it is, unsteered. */
UNIT_TEST(rss_parse_failure_not_steered)
{
	static const char *const on[] = { "cpus=0", NULL };
	static const struct steer_exp none = {};
	struct chimney_config cfg;
	struct pb b;

	if (!steering_on(on, &cfg))
		goto out;
	/* raw(Ether(**E)/IP(...)/TCP(...))[:14 + 20 + 10]: TCP header cut */
	build(&b, &v4_flow, IPPROTO_TCP);
	pb_truncate(&b, 14 + 20 + 10);
	pb_put16(&b, 14 + 2, 20 + 10);	/* IP total length: what is there */
	pb_ipv4_fix_csum(&b, 14);
	expect_pass("truncated TCP header", &b, &none);
out:
	rss_reset();
}

/* ---- the indirection table ---- */

static void indir_of(const char *const *kv, __u32 *tbl,
		     struct chimney_config *cfg)
{
	memset(tbl, 0xff, CHIMNEY_INDIR_MAX * sizeof(*tbl));
	if (cfg_from(cfg, kv))
		steer_build_indir(cfg, tbl);
}

/* ethtool -X equal N: entry i -> i % N; weight: contiguous blocks in
 * proportion (ethtool's fill_indir_table). */
UNIT_TEST(rss_indir_ethtool_semantics)
{
	__u32 tbl[CHIMNEY_INDIR_MAX], i, n[4];
	struct chimney_config cfg;
	char buf[64];

	config_defaults(&cfg);
	ASSERT_EQ(cfg.indir_size, 128, "default rss.table_size");
	ASSERT_TRUE(cfg.cpumap_qsize >= 2048, "default cpumap.qsize");

	/* Four CPUs whatever this machine has: the builder only reads
	 * the config. */
	cfg.steer_nr = 4;
	cfg.steer_cpus[0] = 3;
	cfg.steer_cpus[1] = 1;
	cfg.steer_cpus[2] = 7;
	cfg.steer_cpus[3] = 0;
	steer_build_indir(&cfg, tbl);
	for (i = 0; i < cfg.indir_size; i++)
		if (!ASSERT_EQ(tbl[i], cfg.steer_cpus[i % 4], "equal: i % N"))
			break;

	cfg.steer_weights[0] = 1;
	cfg.steer_weights[1] = 0;
	cfg.steer_weights[2] = 2;
	cfg.steer_weights[3] = 1;
	steer_build_indir(&cfg, tbl);
	memset(n, 0, sizeof(n));
	for (i = 0; i < cfg.indir_size; i++) {
		/* blocks in order: 32 x CPU 3, none of CPU 1, 64 x CPU 7, 32 x CPU 0 */
		__u32 want = i < 32 ? 3 : i < 96 ? 7 : 0;

		if (!ASSERT_EQ(tbl[i], want, "weights 1,0,2,1"))
			break;
	}
	config_find("weights")->format(config_find("weights"), &cfg, buf,
				       sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "1,0,2,1"), "weights shown as set");
	cfg.steer_weights[0] = 0;
	cfg.steer_weights[2] = 0;
	config_find("weights")->format(config_find("weights"), &cfg, buf,
				       sizeof(buf));
	if (!ASSERT_TRUE(!strcmp(buf, "0,0,0,1"), "leading zero weights shown"))
		unit_log("weights shown as '%s'\n", buf);

	/* Through the keys, as `chimney set` applies them. */
	if (libbpf_num_possible_cpus() >= 2) {
		static const char *const w13[] = { "cpus=0-1", "weights=1,3", NULL };
		static const char *const eq[] = { "cpus=1,0", NULL };

		indir_of(w13, tbl, &cfg);
		memset(n, 0, sizeof(n));
		for (i = 0; i < cfg.indir_size; i++)
			n[tbl[i] & 3]++;
		ASSERT_EQ(n[0], 32, "weights=1,3: CPU 0 entries");
		ASSERT_EQ(n[1], 96, "weights=1,3: CPU 1 entries");
		indir_of(eq, tbl, &cfg);
		ASSERT_EQ(tbl[0], 1, "cpus=1,0: entry 0");
		ASSERT_EQ(tbl[1], 0, "cpus=1,0: entry 1");
		ASSERT_EQ(tbl[127], 0, "cpus=1,0: entry 127");
	}
}

/*
 * config_commit() end to end: the table it writes is the one the XDP
 * program indexes with hash & (size - 1). With cpus=0-1 and then CPU 1
 * taken out of the cpumap, a flow redirects exactly when its entry
 * names CPU 0.
 */
UNIT_TEST(rss_live_table_selects_cpu)
{
	static const char *const keys[][3] = {
		{ "cpus=0-1", NULL },
		{ "cpus=0-1", "weights=1,3", NULL },
		{ "cpus=0-1", "rss.table_size=16", NULL },
	};
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	__u32 tbl[CHIMNEY_INDIR_MAX];
	struct chimney_maps m;
	struct chimney_config cfg;
	size_t k;
	int i, v, seen[2];
	__s64 to0, to1;

	if (!rss_env())
		return;
	if (libbpf_num_possible_cpus() < 2) {
		unit_log("one possible CPU: nothing to select between\n");
		return;
	}
	maps_init(&m);
	m.config = env_config_fd();
	m.counters = env_counters_fd();
	m.rss_tbl = E.tbl;
	m.rss_indir = E.indir;
	m.cpus = E.cpus;
	/* m.cpumap_prog stays -1: entries without a program */
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		indir_of(keys[k], tbl, &cfg);
		if (!ASSERT_OK(config_commit(&m, NULL, &cfg), "config_commit"))
			break;
		cpumap_del(1);
		seen[0] = seen[1] = 0;
		to0 = steer_to_sum(0);
		to1 = steer_to_sum(1);
		for (i = 0; i < 32; i++) {
			struct flow f = v4_flow;
			struct steer_exp exp = {};
			__u32 cpu;
			struct pb b;

			f.sport = 30000 + 7 * i;
			build(&b, &f, IPPROTO_TCP);
			cpu = tbl[ref_hash(&f, false) & (cfg.indir_size - 1)];
			v = run_frame(&b, before, after);
			if (v < 0)
				break;
			if (cpu == 0)
				exp.redirect = 1;
			else
				exp.no_cpu = 1;
			seen[cpu & 1]++;
			if (!ASSERT_EQ(v, cpu == 0 ? XDP_REDIRECT : XDP_PASS,
				       keys[k][1] ? keys[k][1] : keys[k][0]) ||
			    !steer_deltas(before, after, &exp)) {
				unit_log("  flow sport %d, entry %u, CPU %u\n",
					 f.sport, ref_hash(&f, false) &
					 (cfg.indir_size - 1), cpu);
				break;
			}
		}
		/* The fixture must exercise both CPUs. */
		ASSERT_TRUE(seen[0] && seen[1], "flows landed on both CPUs");
		/* steer_to counts where each redirect went: CPU 0, never
		 * the CPU that was missing from the cpumap */
		ASSERT_EQ(steer_to_sum(0) - to0, (__s64)seen[0],
			  "steer_to[0] moved by the redirects");
		ASSERT_EQ(steer_to_sum(1) - to1, 0, "steer_to[1] did not move");
		rss_reset();
	}
	rss_reset();
}
