// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * MSS clamping (bpf/lib/mss.h) through both programs: XDP (mss.dir=in)
 * and TC egress (mss.dir=out).
 *
 * Every rewriting case builds two frames with the packet builder: the
 * input, and the frame the clamp must produce, from scratch, with every
 * length and checksum computed by pb_finish(). The program's output must
 * equal the expected frame byte for byte, so each output checksum is
 * checked against a full recomputation (and pb_check() recomputes it
 * once more on the output itself). Cases that must not change the frame
 * expect the input back.
 *
 * Counters: a case names the mss_ and pmtu_ counters it moves; every
 * other mss_ or pmtu_ counter must stay put, and the hook's packets
 * counter must move by one. The other stages' counters (checksum
 * verdicts, flows) are theirs to test.
 *
 * Scapy shorthands (as in test_parse.c):
 *   E  = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
 *   V4 = dict(src="192.0.2.1", dst="198.51.100.2", id=0)
 *   V6 = dict(src="2001:db8::1", dst="2001:db8::2")
 *   T  = dict(sport=40000, dport=80, window=65535, flags="S")
 *   LINUX = [("MSS",1460),("SAckOK",b""),("Timestamp",(1,0)),("NOP",None),("WScale",7)]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chimney/mss.h>

#include "chimney.h"
#include "config.h"
#include "env.h"
#include "pkt_builder.h"
#include "test.h"

#define MAX_OPTS	40

/* ---- frames --------------------------------------------------------- */

struct syn_spec {
	int family;		/* 4 or 6 */
	int vlans;		/* 0, 1 or 2 tags */
	bool ip_opts;		/* IPv4 options: Router Alert, NOP*3, EOL */
	bool v6_ext;		/* IPv6 hop-by-hop + destination options */
	__u8 flags;		/* 0: SYN */
	size_t payload;		/* data bytes after the header */
	size_t pad_to;		/* Ethernet padding up to this length */
	const char *src, *dst;	/* NULL: the builder's defaults */
};

/*
 * Ether(**E)/[Dot1Q()]/IP(**V4[, options])|IPv6(**V6)/[ext]/TCP(**T,
 * options=opts)/[Raw]/[Padding].
 */
static void build_syn(struct pb *b, const struct syn_spec *s, const __u8 *opts,
		      size_t optlen)
{
	/* Router Alert, NOP*3, EOL */
	static const __u8 ip_opts[8] = { 0x94, 0x04, 0, 0, 1, 1, 1, 0 };
	struct pb_tcp_opts t = {
		.flags = s->flags ? s->flags : CHIMNEY_TCP_SYN,
		.seq = 1000,
		.ack = (s->flags & CHIMNEY_TCP_ACK) ? 2000 : 0,
		.opts = opts,
		.opts_len = optlen,
	};
	int i;

	pb_init(b);
	pb_eth(b, NULL);
	for (i = 0; i < s->vlans; i++)
		pb_vlan(b, i == 0 && s->vlans == 2 ? 0x88a8 : 0x8100, 100 + i);
	if (s->family == 4) {
		struct pb_ipv4_opts o = {
			.src = s->src, .dst = s->dst, .frag = PB_IP_DF,
			.opts = s->ip_opts ? ip_opts : NULL,
			.opts_len = s->ip_opts ? sizeof(ip_opts) : 0,
		};

		pb_ipv4(b, &o);
	} else {
		struct pb_ipv6_opts o = { .src = s->src, .dst = s->dst };

		pb_ipv6(b, &o);
		if (s->v6_ext) {
			pb_ipv6_ext(b, 0, 8);
			pb_ipv6_ext(b, 60, 16);
		}
	}
	pb_tcp(b, &t);
	if (s->payload)
		pb_raw(b, NULL, s->payload);
	if (s->pad_to)
		pb_pad_to(b, s->pad_to);
	pb_finish(b);
}

static size_t tcp_off(const struct pb *b)
{
	return b->layer[pb_find(b, PB_TCP, 0)].off;
}

/* The pseudo-header sum, folded, not inverted: a CHECKSUM_PARTIAL field. */
static __u16 pseudo_field(const struct pb *b)
{
	int ip = pb_find(b, PB_IPV4, 0) >= 0 ? pb_find(b, PB_IPV4, 0) :
					       pb_find(b, PB_IPV6, 0);
	const __u8 *p = b->data + b->layer[ip].off;
	size_t l4 = tcp_off(b), end = b->len;
	__u8 tail[4] = { 0, 6, 0, 0 };
	__u32 s;
	int pad = pb_find(b, PB_PAD, 0);

	if (pad >= 0)
		end = b->layer[pad].off;
	if (b->layer[ip].kind == PB_IPV4)
		s = pb_csum_add(0, p + 12, 8);
	else
		s = pb_csum_add(0, p + 8, 32);
	tail[2] = (end - l4) >> 8;
	tail[3] = end - l4;
	return pb_csum_fold(pb_csum_add(s, tail, 4));
}

/* One's complement a + b, 16 bits. */
static __u16 ones_add(__u16 a, __u16 b)
{
	__u32 s = (__u32)a + b;

	return (s & 0xffff) + (s >> 16);
}

/* ---- running -------------------------------------------------------- */

struct run {
	__u8 out[PB_MAX_LEN + 64];
	__u32 out_len;
	__u32 verdict;
	__s64 delta[CHIMNEY_NR_COUNTERS];
};

static void mss_config(struct chimney_config *cfg)
{
	config_defaults(cfg);
}

static bool run_hook(enum unit_hook hook, const struct pb *in,
		     const struct chimney_config *cfg, struct run *r)
{
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->data,
		.data_size_in = in->len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	int fd = env_prog_fd(hook), i;

	if (fd < 0)
		return false;
	if (!ASSERT_OK(env_config_write(cfg), "write config") ||
	    !ASSERT_OK(env_counters_read(before), "read counters"))
		return false;
	if (!ASSERT_OK(bpf_prog_test_run_opts(fd, &opts) ? -errno : 0,
		       "bpf_prog_test_run_opts"))
		return false;
	if (!ASSERT_OK(env_counters_read(after), "read counters"))
		return false;
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		r->delta[i] = after[i] - before[i];
	return true;
}

static const char *hook_pfx(enum unit_hook hook)
{
	return hook == UNIT_XDP ? "rx_" : "tx_";
}

/*
 * The mss_/pmtu_ counters must move exactly as exp says (names without
 * the rx_/tx_ prefix for hook counters, NULL-terminated), the hook's
 * packets counter by one.
 */
static bool check_counters(enum unit_hook hook, const struct run *r,
			   const char *const *exp)
{
	__s64 want[CHIMNEY_NR_COUNTERS] = {};
	char name[64];
	bool ok = true;
	int i, idx;

	for (i = 0; exp && exp[i]; i++) {
		if (!strncmp(exp[i], "pmtu_", 5))
			snprintf(name, sizeof(name), "%s", exp[i]);
		else
			snprintf(name, sizeof(name), "%s%s", hook_pfx(hook), exp[i]);
		idx = counter_index(name);
		if (!ASSERT_TRUE(idx >= 0, name))
			return false;
		want[idx]++;
	}
	snprintf(name, sizeof(name), "%spackets", hook_pfx(hook));
	if (!ASSERT_EQ(r->delta[counter_index(name)], 1, name))
		ok = false;
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		const char *n = counter_descs[i].name;

		if (!strstr(n, "mss_") && strncmp(n, "pmtu_", 5))
			continue;
		if (r->delta[i] != want[i]) {
			unit_fail("counter %s: %+lld, expected %+lld", n,
				  (long long)r->delta[i], (long long)want[i]);
			ok = false;
		}
	}
	return ok;
}

/*
 * Run `in` through hook and expect `want` (NULL: the input unchanged)
 * and the listed counters. want's own checksums are checked first, and
 * then recomputed on the output.
 */
static bool expect_run(enum unit_hook hook, const struct pb *in,
		       const struct pb *want, const struct chimney_config *cfg,
		       const char *const *ctrs)
{
	static struct run r;
	struct pb got;
	char err[128];
	bool ok;

	if (!want)
		want = in;
	if (!run_hook(hook, in, cfg, &r))
		return false;
	ok = ASSERT_EQ(r.verdict, hook == UNIT_XDP ? XDP_PASS :
			(__u32)TC_ACT_UNSPEC, "verdict");
	ok &= check_counters(hook, &r, ctrs);
	if (!ASSERT_EQ(r.out_len, want->len, "output length")) {
		unit_hexdump("output", r.out, r.out_len);
		unit_hexdump("expected", want->data, want->len);
		return false;
	}
	ok &= ASSERT_MEMEQ(r.out, want->data, want->len, "output frame");
	/* The output's checksums, recomputed (only frames built valid). */
	if (want->finished && !pb_check(want, err, sizeof(err))) {
		got = *want;
		memcpy(got.data, r.out, r.out_len);
		if (pb_check(&got, err, sizeof(err))) {
			unit_fail("output checksum: %s", err);
			ok = false;
		}
	}
	if (!ok)
		unit_hexdump("input", in->data, in->len);
	return ok;
}

#define CTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_CTRS ((const char *const *)NULL)

static const enum unit_hook hooks[] = { UNIT_XDP, UNIT_TC };

/* Both hooks, each with mss.dir naming its own direction only. */
static bool expect_both(const struct pb *in, const struct pb *want,
			struct chimney_config *cfg, const char *const *ctrs)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < 2; i++) {
		cfg->mss_dir = hooks[i] == UNIT_XDP ? CHIMNEY_MSS_DIR_IN :
						      CHIMNEY_MSS_DIR_OUT;
		if (!expect_run(hooks[i], in, want, cfg, ctrs)) {
			unit_log("  ^ through %s\n", hooks[i] == UNIT_XDP ?
				 "XDP" : "TC");
			ok = false;
		}
	}
	return ok;
}

/* ---- option layouts -------------------------------------------------- */

#define MSS(v)	2, 4, (v) >> 8, (v) & 0xff
#define TS	8, 10, 0, 0, 0, 1, 0, 0, 0, 0
#define SACKOK	4, 2
#define WS	3, 3, 7
#define NOP	1

struct layout {
	const char *name;
	__u8 opts[MAX_OPTS];	/* with MSS 1460 */
	size_t len;
	size_t mss_at;		/* offset of the MSS option in opts */
};

/* Each layout carries MSS 1460 somewhere; the offsets in the comments
 * are those of the 2-byte value in the TCP header. */
static const struct layout layouts[] = {
	/* Linux's own SYN: LINUX; value at 22 */
	{ "first", { MSS(1460), SACKOK, TS, NOP, WS }, 20, 0 },
	/* [NOP]*5 + Timestamp + SAckOK + WScale + MSS; value at 42 */
	{ "last", { NOP, NOP, NOP, NOP, NOP, TS, SACKOK, WS, MSS(1460) }, 24, 20 },
	/* [NOP, MSS, NOP*3]: value at 23, odd, straddling checksum words */
	{ "after_nop", { NOP, MSS(1460), NOP, NOP, NOP }, 8, 1 },
	/* [NOP, NOP, Timestamp, MSS]; value at 34 */
	{ "after_timestamp", { NOP, NOP, TS, MSS(1460) }, 16, 12 },
	/* [SAckOK, MSS, NOP, NOP]; value at 24 */
	{ "after_sackok", { SACKOK, MSS(1460), NOP, NOP }, 8, 2 },
	/* [WScale, MSS, NOP]: value at 25, odd */
	{ "after_wscale", { WS, MSS(1460), NOP }, 8, 3 },
	/* The other stacks' own layouts, recognized whole by the clamp:
	 * Linux without timestamps [MSS, NOP, NOP, SAckOK, NOP, WScale] */
	{ "linux_no_ts", { MSS(1460), NOP, NOP, SACKOK, NOP, WS }, 12, 0 },
	/* Windows [MSS, NOP, WScale, NOP, NOP, SAckOK] */
	{ "windows", { MSS(1460), NOP, WS, NOP, NOP, SACKOK }, 12, 0 },
	/* macOS [MSS, NOP, WScale, NOP, NOP, Timestamp, SAckOK, EOL, EOL] */
	{ "macos", { MSS(1460), NOP, WS, NOP, NOP, TS, SACKOK, 0, 0 }, 24, 0 },
};

static void layout_with(const struct layout *l, __u16 mss, __u8 *opts)
{
	memcpy(opts, l->opts, l->len);
	opts[l->mss_at + 2] = mss >> 8;
	opts[l->mss_at + 3] = mss & 0xff;
}

/* ---- clamping, per layout, family, direction of the handshake ------- */

struct clamp_case {
	const struct layout *l;
	int family;
	__u8 flags;
};

static void test_clamp_layout(const struct unit_test *t)
{
	const struct clamp_case *c = t->arg;
	struct syn_spec s = { .family = c->family, .flags = c->flags };
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];

	mss_config(&cfg);
	cfg.mss_fixed = 1360;
	layout_with(c->l, 1460, o);
	build_syn(&in, &s, o, c->l->len);
	layout_with(c->l, 1360, o);
	build_syn(&want, &s, o, c->l->len);
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
}

/* Above, equal, below: only above changes. mtu=1400 gives 1360 / 1340. */
static void test_clamp_values(const struct unit_test *t)
{
	const int *family = t->arg;
	const __u16 clamp = *family == 4 ? 1360 : 1340;
	const struct { __u16 in, out; } v[] = {
		{ 1460, clamp }, { 65535, clamp }, { clamp + 1, clamp },
		{ clamp, clamp }, { clamp - 1, clamp - 1 }, { 536, 536 },
	};
	struct syn_spec s = { .family = *family };
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];
	size_t i;

	mss_config(&cfg);
	cfg.mss_mtu = 1400;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unit_log("MSS %u, clamp %u\n", v[i].in, clamp);
		layout_with(&layouts[0], v[i].in, o);
		build_syn(&in, &s, o, layouts[0].len);
		layout_with(&layouts[0], v[i].out, o);
		build_syn(&want, &s, o, layouts[0].len);
		expect_both(&in, &want, &cfg, v[i].in > clamp ?
			    CTRS("mss_syn", "mss_clamped") :
			    CTRS("mss_syn", "mss_small_enough"));
	}
}

/* mss= and mtu= both set: the smaller clamp wins, per family. */
UNIT_TEST(mss_fixed_and_mtu_smaller_wins)
{
	struct syn_spec s4 = { .family = 4 }, s6 = { .family = 6 };
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];

	mss_config(&cfg);
	cfg.mss_fixed = 1350;
	cfg.mss_mtu = 1400;	/* 1360 for IPv4, 1340 for IPv6 */
	layout_with(&layouts[0], 1460, o);
	build_syn(&in, &s4, o, layouts[0].len);
	layout_with(&layouts[0], 1350, o);
	build_syn(&want, &s4, o, layouts[0].len);
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
	layout_with(&layouts[0], 1460, o);
	build_syn(&in, &s6, o, layouts[0].len);
	layout_with(&layouts[0], 1340, o);
	build_syn(&want, &s6, o, layouts[0].len);
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
}

/* Headers in front of TCP: VLAN tags, IPv4 options, IPv6 ext headers. */
struct hdr_case {
	struct syn_spec s;
	const struct layout *l;
};

static void test_clamp_headers(const struct unit_test *t)
{
	const struct hdr_case *c = t->arg;
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];

	mss_config(&cfg);
	cfg.mss_fixed = 1200;
	layout_with(c->l, 1460, o);
	build_syn(&in, &c->s, o, c->l->len);
	layout_with(c->l, 1200, o);
	build_syn(&want, &c->s, o, c->l->len);
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
}

/* ---- malformed option lists: never touched ----------------------- */

struct bad_case {
	const char *name;
	__u8 opts[MAX_OPTS];
	size_t len;
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ "zero_length", { NOP, 8, 0, MSS(1460), NOP }, 8,
	  "[NOP, (8, len 0), MSS, NOP]: xt_TCPMSS steps over it and rewrites" },
	{ "length_one", { 5, 1, MSS(1460), NOP, NOP }, 8,
	  "[(5, len 1), MSS, NOP, NOP]" },
	{ "past_data_offset", { MSS(1460), 8, 10, 0, 0, 0, 0, 0, 0 }, 12,
	  "[MSS, Timestamp with 8 of its 10 bytes inside the header]" },
	{ "mss_len_3", { 2, 3, 5, NOP }, 4, "[(MSS, len 3), NOP]" },
	{ "mss_len_5", { 2, 5, 5, 0xb4, 0, NOP, NOP, NOP }, 8,
	  "[(MSS, len 5), NOP*3]" },
	{ "duplicate_mss", { MSS(1460), MSS(1400) }, 8, "[MSS 1460, MSS 1400]" },
	{ "no_length_byte", { MSS(1460), NOP, NOP, NOP, 4 }, 8,
	  "[MSS, NOP*3, then kind 4 in the header's last byte]" },
	/* Linux's layout but for one length: no known layout, and the walk
	 * finds the timestamp running past the header. */
	{ "linux_ts_too_long", { MSS(1460), SACKOK, 8, 32, 0, 0, 0, 1, 0, 0, 0,
				 0, NOP, WS }, 20,
	  "[MSS, SAckOK, (Timestamp, len 32), NOP, WScale]" },
	{ "windows_sackok_len_3", { MSS(1460), NOP, WS, NOP, NOP, 4, 3 }, 12,
	  "[MSS, NOP, WScale, NOP, NOP, (SAckOK, len 3)]" },
};

static void test_malformed(const struct unit_test *t)
{
	const struct bad_case *c = t->arg;
	struct syn_spec s = { .family = 4 };
	static struct pb in;
	struct chimney_config cfg;

	unit_log("%s\n", c->why);
	mss_config(&cfg);
	cfg.mss_fixed = 1200;
	build_syn(&in, &s, c->opts, c->len);
	expect_both(&in, NULL, &cfg, CTRS("mss_syn", "mss_malformed"));
	s.family = 6;
	build_syn(&in, &s, c->opts, c->len);
	expect_both(&in, NULL, &cfg, CTRS("mss_syn", "mss_malformed"));
}

/* ---- no MSS option: inserted as xt_TCPMSS does ---------------------- */

/* Ether/IP/TCP(options=[]) -> options=[("MSS", min(clamp, 536))] */
UNIT_TEST(mss_insert_no_options)
{
	const struct { int family; __u16 clamp, ins; } v[] = {
		{ 4, 1360, 536 }, { 4, 500, 500 },
		{ 6, 1340, 1220 }, { 6, 1000, 1000 },
	};
	static struct pb in, want;
	struct chimney_config cfg;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct syn_spec s = { .family = v[i].family };
		__u8 o[4] = { MSS(v[i].ins) };

		unit_log("IPv%d, clamp %u: insert %u\n", v[i].family,
			 v[i].clamp, v[i].ins);
		mss_config(&cfg);
		cfg.mss_fixed = v[i].clamp;
		build_syn(&in, &s, NULL, 0);
		build_syn(&want, &s, o, sizeof(o));
		expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_inserted"));
	}
}

/* The new option goes first, the others move up by 4 bytes. */
UNIT_TEST(mss_insert_before_other_options)
{
	const __u8 opts[] = { SACKOK, NOP, NOP, NOP, WS, TS, NOP, NOP };
	__u8 o[sizeof(opts) + 4] = { MSS(536) };
	struct syn_spec s = { .family = 4, .vlans = 1 };
	static struct pb in, want;
	struct chimney_config cfg;

	memcpy(o + 4, opts, sizeof(opts));
	mss_config(&cfg);
	cfg.mss_fixed = 1360;
	build_syn(&in, &s, opts, sizeof(opts));
	build_syn(&want, &s, o, sizeof(o));
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_inserted"));
	/* IPv6 behind extension headers, a SYN-ACK */
	s.family = 6;
	s.vlans = 0;
	s.v6_ext = true;
	s.flags = CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK;
	o[2] = 1220 >> 8;
	o[3] = 1220 & 0xff;
	build_syn(&in, &s, opts, sizeof(opts));
	build_syn(&want, &s, o, sizeof(o));
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_inserted"));
}

/* A 56-byte header grows to 60; a 60-byte one has no room. */
UNIT_TEST(mss_insert_room)
{
	__u8 opts36[36], opts40[40], o[40] = { MSS(536) };
	struct syn_spec s = { .family = 4 };
	static struct pb in, want;
	struct chimney_config cfg;

	memset(opts36, NOP, sizeof(opts36));
	memset(opts40, NOP, sizeof(opts40));
	memcpy(o + 4, opts36, sizeof(opts36));
	mss_config(&cfg);
	cfg.mss_fixed = 1360;
	build_syn(&in, &s, opts36, sizeof(opts36));
	build_syn(&want, &s, o, sizeof(o));
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_inserted"));
	build_syn(&in, &s, opts40, sizeof(opts40));
	expect_both(&in, NULL, &cfg, CTRS("mss_syn", "mss_absent"));
}

/* Data after the header (a SYN with data): left alone, as xt_TCPMSS does. */
UNIT_TEST(mss_absent_with_data)
{
	const __u8 opts[] = { SACKOK, NOP, NOP };
	struct syn_spec s = { .family = 4, .payload = 10 };
	static struct pb in;
	struct chimney_config cfg;

	mss_config(&cfg);
	cfg.mss_fixed = 1360;
	build_syn(&in, &s, opts, sizeof(opts));
	expect_both(&in, NULL, &cfg, CTRS("mss_syn", "mss_absent"));
	s.family = 6;
	build_syn(&in, &s, NULL, 0);
	expect_both(&in, NULL, &cfg, CTRS("mss_syn", "mss_absent"));
}

/*
 * EOL ends the list: an MSS behind it is no option to a receiver (Linux
 * stops at EOL), so the SYN has none and one is inserted in front.
 * [EOL, MSS 1460, EOL*3] -> [MSS 536, EOL, MSS 1460, EOL*3]
 */
UNIT_TEST(mss_eol_hides_mss)
{
	const __u8 opts[] = { 0, MSS(1460), 0, 0, 0 };
	__u8 o[sizeof(opts) + 4] = { MSS(536) };
	struct syn_spec s = { .family = 4 };
	static struct pb in, want;
	struct chimney_config cfg;

	memcpy(o + 4, opts, sizeof(opts));
	mss_config(&cfg);
	cfg.mss_fixed = 1360;
	build_syn(&in, &s, opts, sizeof(opts));
	build_syn(&want, &s, o, sizeof(o));
	expect_both(&in, &want, &cfg, CTRS("mss_syn", "mss_inserted"));
}

/*
 * Ethernet padding: Ether/IP/TCP(options=[]) padded to 60 bytes. XDP
 * drops the padding as it grows the frame (the IP length says where the
 * packet ends). Egress frames carry no padding; one that does looks like
 * data, and TC leaves it.
 */
UNIT_TEST(mss_insert_trims_padding)
{
	struct syn_spec s = { .family = 4, .pad_to = 60 }, s2 = { .family = 4 };
	__u8 o[4] = { MSS(536) };
	static struct pb in, want;
	struct chimney_config cfg;

	mss_config(&cfg);
	cfg.mss_fixed = 1360;
	build_syn(&in, &s, NULL, 0);
	build_syn(&want, &s2, o, sizeof(o));
	cfg.mss_dir = CHIMNEY_MSS_DIR_IN;
	expect_run(UNIT_XDP, &in, &want, &cfg, CTRS("mss_syn", "mss_inserted"));
	cfg.mss_dir = CHIMNEY_MSS_DIR_OUT;
	expect_run(UNIT_TC, &in, NULL, &cfg, CTRS("mss_syn", "mss_absent"));
}

/* ---- segments the clamp must not touch -------------------------------- */

UNIT_TEST(mss_non_syn_untouched)
{
	const __u8 flags[] = { CHIMNEY_TCP_ACK,
			       CHIMNEY_TCP_ACK | CHIMNEY_TCP_PSH,
			       CHIMNEY_TCP_FIN | CHIMNEY_TCP_ACK,
			       CHIMNEY_TCP_RST };
	static struct pb in;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];
	size_t i;

	mss_config(&cfg);
	cfg.mss_fixed = 536;
	/* even with an MSS option in it, a non-SYN is not a SYN */
	layout_with(&layouts[0], 1460, o);
	for (i = 0; i < sizeof(flags); i++) {
		struct syn_spec s = { .family = 4, .flags = flags[i],
				      .payload = 20 };

		build_syn(&in, &s, o, layouts[0].len);
		expect_both(&in, NULL, &cfg, NO_CTRS);
	}
	/* SYN with RST: not what `--tcp-flags SYN,RST SYN` selects */
	{
		struct syn_spec s = {
			.family = 6, .flags = CHIMNEY_TCP_SYN | CHIMNEY_TCP_RST
		};

		build_syn(&in, &s, o, layouts[0].len);
		expect_both(&in, NULL, &cfg, NO_CTRS);
	}
}

/* Fragments are skipped and counted, whatever they carry. */
UNIT_TEST(mss_fragments_untouched)
{
	struct syn_spec s = { .family = 4, .payload = 40 };
	static struct pb whole, frag;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];

	mss_config(&cfg);
	cfg.mss_fixed = 536;
	layout_with(&layouts[0], 1460, o);
	/* IPv4: the first fragment (the SYN's header in it), then a later one */
	build_syn(&whole, &s, o, layouts[0].len);
	pb_fragment(&frag, &whole, 0, 48, true);
	expect_both(&frag, NULL, &cfg, CTRS("mss_fragment"));
	pb_fragment(&frag, &whole, 48, 32, false);
	expect_both(&frag, NULL, &cfg, CTRS("mss_fragment"));

	/* IPv6: IPv6()/IPv6ExtHdrFragment()/TCP(...), first fragment */
	pb_init(&whole);
	pb_eth(&whole, NULL);
	pb_ipv6(&whole, NULL);
	pb_ipv6_frag(&whole, 0, false, 7);
	{
		struct pb_tcp_opts t = { .opts = o, .opts_len = layouts[0].len };

		pb_tcp(&whole, &t);
	}
	pb_raw(&whole, NULL, 40);
	pb_finish(&whole);
	pb_fragment(&frag, &whole, 0, 48, true);
	expect_both(&frag, NULL, &cfg, CTRS("mss_fragment"));
}

/* Clamping off (the default): nothing counted, nothing changed. */
UNIT_TEST(mss_off_by_default)
{
	struct syn_spec s = { .family = 4 };
	static struct pb in;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];

	mss_config(&cfg);
	layout_with(&layouts[0], 1460, o);
	build_syn(&in, &s, o, layouts[0].len);
	expect_run(UNIT_XDP, &in, NULL, &cfg, NO_CTRS);
	expect_run(UNIT_TC, &in, NULL, &cfg, NO_CTRS);
}

/* mss.dir: each hook clamps only its own direction. */
UNIT_TEST(mss_dir)
{
	struct syn_spec s = { .family = 4 };
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];

	mss_config(&cfg);
	cfg.mss_fixed = 1000;
	layout_with(&layouts[0], 1460, o);
	build_syn(&in, &s, o, layouts[0].len);
	layout_with(&layouts[0], 1000, o);
	build_syn(&want, &s, o, layouts[0].len);

	cfg.mss_dir = CHIMNEY_MSS_DIR_IN;
	expect_run(UNIT_XDP, &in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
	expect_run(UNIT_TC, &in, NULL, &cfg, NO_CTRS);
	cfg.mss_dir = CHIMNEY_MSS_DIR_OUT;
	expect_run(UNIT_XDP, &in, NULL, &cfg, NO_CTRS);
	expect_run(UNIT_TC, &in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
	cfg.mss_dir = CHIMNEY_MSS_DIR_BOTH;
	expect_run(UNIT_XDP, &in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
	expect_run(UNIT_TC, &in, &want, &cfg, CTRS("mss_syn", "mss_clamped"));
}

/* ---- checksums ----------------------------------------------------- */

/*
 * XDP: a field holding the pseudo-header sum only (what a veth peer
 * with tx offload sends, CHECKSUM_PARTIAL) stays the pseudo-header sum:
 * the stack finishes it over the rewritten bytes. When the length
 * changes (insertion), the field becomes the new length's sum.
 */
UNIT_TEST(mss_xdp_partial_checksum)
{
	struct syn_spec s4 = { .family = 4 }, s6 = { .family = 6 };
	const struct syn_spec *sp[] = { &s4, &s6 };
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS], ins[4] = { MSS(536) };
	size_t csum, i;

	mss_config(&cfg);
	cfg.mss_fixed = 1000;
	cfg.mss_dir = CHIMNEY_MSS_DIR_IN;
	for (i = 0; i < 2; i++) {
		/* the option at an odd offset too: nothing to swap here */
		layout_with(&layouts[2], 1460, o);
		build_syn(&in, sp[i], o, layouts[2].len);
		csum = tcp_off(&in) + 16;
		pb_put16(&in, csum, pseudo_field(&in));
		layout_with(&layouts[2], 1000, o);
		build_syn(&want, sp[i], o, layouts[2].len);
		pb_put16(&want, csum, pseudo_field(&want));
		want.finished = false;	/* not a valid full checksum */
		expect_run(UNIT_XDP, &in, &want, &cfg,
			   CTRS("mss_syn", "mss_clamped", "mss_csum_partial"));

		ins[2] = (i ? 1000 : 536) >> 8;
		ins[3] = (i ? 1000 : 536) & 0xff;
		build_syn(&in, sp[i], NULL, 0);
		pb_put16(&in, csum, pseudo_field(&in));
		build_syn(&want, sp[i], ins, sizeof(ins));
		pb_put16(&want, csum, pseudo_field(&want));
		want.finished = false;
		expect_run(UNIT_XDP, &in, &want, &cfg,
			   CTRS("mss_syn", "mss_inserted", "mss_csum_partial"));
	}
}

/*
 * A wrong checksum stays exactly as wrong (RFC 1624 updates keep the
 * error): the receiver still drops the segment, and the clamp neither
 * hides nor adds damage.
 */
UNIT_TEST(mss_bad_checksum_stays_bad)
{
	struct syn_spec s = { .family = 4 };
	static struct pb in, want;
	struct chimney_config cfg;
	__u8 o[MAX_OPTS];
	size_t csum, i;

	mss_config(&cfg);
	cfg.mss_fixed = 1000;
	for (i = 0; i < 2; i++) {
		layout_with(&layouts[5], 1460, o);
		build_syn(&in, &s, o, layouts[5].len);
		csum = tcp_off(&in) + 16;
		pb_put16(&in, csum, ones_add(pb_get16(&in, csum), 0x0101));
		layout_with(&layouts[5], 1000, o);
		build_syn(&want, &s, o, layouts[5].len);
		pb_put16(&want, csum, ones_add(pb_get16(&want, csum), 0x0101));
		want.finished = false;
		cfg.mss_dir = i ? CHIMNEY_MSS_DIR_OUT : CHIMNEY_MSS_DIR_IN;
		expect_run(hooks[i], &in, &want, &cfg,
			   CTRS("mss_syn", "mss_clamped"));
	}
}

/* ---- prefix rules ---------------------------------------------------- */

static int rule_add(int family, const char *addr, __u32 plen, __u16 mss)
{
	struct chimney_mss_key4 k4 = { .prefixlen = plen };
	struct chimney_mss_key6 k6 = { .prefixlen = plen };
	struct chimney_mss_rule r = { .mss = mss };
	int fd;

	if (family == 4) {
		fd = env_map_fd(PIN(mss_rules_v4));
		if (fd < 0 || inet_pton(AF_INET, addr, k4.addr) != 1)
			return -EINVAL;
		return bpf_map_update_elem(fd, &k4, &r, BPF_ANY) ? -errno : 0;
	}
	fd = env_map_fd(PIN(mss_rules_v6));
	if (fd < 0 || inet_pton(AF_INET6, addr, k6.addr) != 1)
		return -EINVAL;
	return bpf_map_update_elem(fd, &k6, &r, BPF_ANY) ? -errno : 0;
}

static void rules_flush(void)
{
	const char *maps[] = { PIN(mss_rules_v4), PIN(mss_rules_v6) };
	__u8 key[32];
	size_t i;
	int fd;

	for (i = 0; i < 2; i++) {
		fd = env_map_fd(maps[i]);
		if (fd < 0)
			continue;
		while (!bpf_map_get_next_key(fd, NULL, key))
			if (bpf_map_delete_elem(fd, key))
				break;
	}
}

/* One SYN (or SYN-ACK) with MSS 1460 and the MSS it must come out with. */
static void expect_mss(const struct syn_spec *s, __u16 out,
		       struct chimney_config *cfg, const char *outcome)
{
	static struct pb in, want;
	__u8 o[MAX_OPTS];

	layout_with(&layouts[0], 1460, o);
	build_syn(&in, s, o, layouts[0].len);
	layout_with(&layouts[0], out, o);
	build_syn(&want, s, o, layouts[0].len);
	unit_log("%s -> %s %s: expect %u\n", s->src ? s->src : "default",
		 s->dst ? s->dst : "default",
		 s->flags & CHIMNEY_TCP_ACK ? "SYN-ACK" : "SYN", out);
	expect_both(&in, out == 1460 ? NULL : &want, cfg,
		    CTRS("mss_syn", outcome));
}

/*
 * Longest prefix wins, a prefix rule replaces the interface rule (also
 * upward), and the address matched is the SYN's destination, which is a
 * SYN-ACK's source.
 */
UNIT_TEST(mss_prefix_rules)
{
	struct chimney_config cfg;
	struct syn_spec s = { .family = 4 };

	if (env_prog_fd(UNIT_TC) < 0 || env_prog_fd(UNIT_XDP) < 0)
		return;
	rules_flush();
	if (!ASSERT_OK(rule_add(4, "198.51.0.0", 16, 1300), "add /16") ||
	    !ASSERT_OK(rule_add(4, "198.51.100.0", 24, 1100), "add /24") ||
	    !ASSERT_OK(rule_add(4, "203.0.113.0", 24, 1400), "add 203/24") ||
	    !ASSERT_OK(rule_add(6, "2001:db8::", 32, 1000), "add v6 /32"))
		goto out;
	mss_config(&cfg);
	cfg.mss_fixed = 1200;
	cfg.mss_rules_v4 = 3;
	cfg.mss_rules_v6 = 1;

	s.dst = "198.51.100.2";		/* /24 over /16 */
	expect_mss(&s, 1100, &cfg, "mss_clamped");
	s.dst = "198.51.7.2";		/* /16 only */
	expect_mss(&s, 1300, &cfg, "mss_clamped");
	s.dst = "203.0.113.9";		/* rule above the interface's 1200 */
	expect_mss(&s, 1400, &cfg, "mss_clamped");
	s.dst = "192.0.2.99";		/* no prefix: the interface rule */
	expect_mss(&s, 1200, &cfg, "mss_clamped");

	/* A SYN-ACK from the /24 answers a SYN sent to it. */
	s.flags = CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK;
	s.src = "198.51.100.2";
	s.dst = "192.0.2.1";
	expect_mss(&s, 1100, &cfg, "mss_clamped");
	/* ...and one sent to it answers a SYN from it: the interface rule */
	s.src = "192.0.2.1";
	s.dst = "198.51.100.2";
	expect_mss(&s, 1200, &cfg, "mss_clamped");

	s.family = 6;
	s.flags = 0;
	s.src = NULL;
	s.dst = "2001:db8::2";
	expect_mss(&s, 1000, &cfg, "mss_clamped");
	s.dst = "2001:db9::2";		/* interface rule */
	expect_mss(&s, 1200, &cfg, "mss_clamped");

	/* Prefix rules alone: a SYN they do not cover has no rule. */
	cfg.mss_fixed = 0;
	s.family = 4;
	s.dst = "192.0.2.99";
	expect_mss(&s, 1460, &cfg, "mss_no_rule");
	s.dst = "198.51.100.2";
	expect_mss(&s, 1100, &cfg, "mss_clamped");
	/* The counts in the config gate the lookups: zero means empty. */
	cfg.mss_rules_v4 = 0;
	cfg.mss_fixed = 1200;
	expect_mss(&s, 1200, &cfg, "mss_clamped");
out:
	rules_flush();
}

/* ---- path-MTU signals -------------------------------------------------- */

static bool newest_pmtu(struct chimney_pmtu_ent *out, __u64 *heads)
{
	struct chimney_pmtu_log *logs;
	int fd = env_map_fd(PIN(pmtu_log)), n, cpu;
	__u32 zero = 0;
	bool found = false;

	n = libbpf_num_possible_cpus();
	if (!ASSERT_TRUE(fd >= 0 && n > 0, "pmtu_log map"))
		return false;
	logs = calloc(n, sizeof(*logs));
	if (!ASSERT_OK_PTR(logs, "calloc"))
		return false;
	if (!ASSERT_OK(bpf_map_lookup_elem(fd, &zero, logs) ? -errno : 0,
		       "read pmtu_log")) {
		free(logs);
		return false;
	}
	*heads = 0;
	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < n; cpu++) {
		__u64 h = logs[cpu].head;
		const struct chimney_pmtu_ent *e;

		*heads += h;
		if (!h)
			continue;
		e = &logs[cpu].ent[(h - 1) % CHIMNEY_PMTU_LOG];
		if (!found || e->ktime_ns > out->ktime_ns) {
			*out = *e;
			found = true;
		}
	}
	free(logs);
	return true;
}

/* Ether/IP(src="192.0.2.254", dst="192.0.2.1")/ICMP(type=3, code=4,
 * nexthopmtu=1450)/IP(src="192.0.2.1", dst="198.51.100.7")/TCP() (the
 * first 28 bytes of it, as routers quote) */
UNIT_TEST(mss_pmtu_frag_needed)
{
	__u8 quote[28] = { 0x45, 0, 0x05, 0xdc, 0, 0, 0x40, 0, 64, 6, 0, 0,
			   192, 0, 2, 1, 198, 51, 100, 7, 0x9c, 0x40, 0, 80 };
	struct pb_ipv4_opts ip = { .src = "192.0.2.254", .dst = "192.0.2.1" };
	struct chimney_pmtu_ent e;
	static struct pb in;
	struct chimney_config cfg;
	__u64 h0, h1;

	mss_config(&cfg);
	if (!newest_pmtu(&e, &h0))
		return;
	pb_init(&in);
	pb_eth(&in, NULL);
	pb_ipv4(&in, &ip);
	pb_icmp(&in, 3, 4, 0, 1450);
	pb_raw(&in, quote, sizeof(quote));
	pb_finish(&in);
	/* counted with clamping off too: it is what the path says */
	expect_run(UNIT_XDP, &in, NULL, &cfg, CTRS("pmtu_frag_needed"));
	if (!newest_pmtu(&e, &h1))
		return;
	ASSERT_EQ(h1, h0 + 1, "ring entries");
	ASSERT_EQ(e.mtu, 1450, "reported MTU");
	ASSERT_EQ(e.family, 4, "family");
	ASSERT_EQ(ntohl(e.reporter[0]), 0xc00002fe, "reporter 192.0.2.254");
	ASSERT_EQ(ntohl(e.dst[0]), 0xc6336407, "quoted dst 198.51.100.7");

	/* Not "fragmentation needed": port unreachable is no signal */
	pb_init(&in);
	pb_eth(&in, NULL);
	pb_ipv4(&in, &ip);
	pb_icmp(&in, 3, 3, 0, 0);
	pb_raw(&in, quote, sizeof(quote));
	pb_finish(&in);
	expect_run(UNIT_XDP, &in, NULL, &cfg, NO_CTRS);
	/* TC egress does not look: these are for received ones */
	pb_init(&in);
	pb_eth(&in, NULL);
	pb_ipv4(&in, &ip);
	pb_icmp(&in, 3, 4, 0, 1450);
	pb_raw(&in, quote, sizeof(quote));
	pb_finish(&in);
	expect_run(UNIT_TC, &in, NULL, &cfg, NO_CTRS);
}

/* Ether/IPv6(src="2001:db8::fe", dst="2001:db8::1")/ICMPv6PacketTooBig(
 * mtu=1280)/IPv6(src="2001:db8::1", dst="2001:db8:1::7")/TCP() */
UNIT_TEST(mss_pmtu_packet_too_big)
{
	struct pb_ipv6_opts ip = { .src = "2001:db8::fe", .dst = "2001:db8::1" };
	__u8 quote[60] = { 0x60, 0, 0, 0, 0, 20, 6, 64 };
	struct chimney_pmtu_ent e;
	static struct pb in;
	struct chimney_config cfg;
	__u8 want_dst[16];
	__u64 h0, h1;

	inet_pton(AF_INET6, "2001:db8::1", quote + 8);
	inet_pton(AF_INET6, "2001:db8:1::7", quote + 24);
	memcpy(want_dst, quote + 24, 16);
	mss_config(&cfg);
	cfg.mss_fixed = 1200;	/* clamping on changes nothing here */
	if (!newest_pmtu(&e, &h0))
		return;
	pb_init(&in);
	pb_eth(&in, NULL);
	pb_ipv6(&in, &ip);
	pb_icmp6(&in, 2, 0, 0, 1280);	/* 32-bit MTU in id:seq */
	pb_raw(&in, quote, sizeof(quote));
	pb_finish(&in);
	expect_run(UNIT_XDP, &in, NULL, &cfg, CTRS("pmtu_pkt_too_big"));
	if (!newest_pmtu(&e, &h1))
		return;
	ASSERT_EQ(h1, h0 + 1, "ring entries");
	ASSERT_EQ(e.mtu, 1280, "reported MTU");
	ASSERT_EQ(e.family, 6, "family");
	ASSERT_MEMEQ(e.dst, want_dst, 16, "quoted dst");
}

/* ---- registration ------------------------------------------------------ */

static const int fam4 = 4, fam6 = 6;

__attribute__((constructor)) static void register_mss_tests(void)
{
	static struct clamp_case cc[2 * 2 * sizeof(layouts) / sizeof(layouts[0])];
	static char names[sizeof(cc) / sizeof(cc[0])][64];
	static struct hdr_case hc[] = {
		{ { .family = 4, .vlans = 1 }, &layouts[0] },
		{ { .family = 6, .vlans = 2 }, &layouts[2] },
		{ { .family = 4, .ip_opts = true }, &layouts[5] },
		{ { .family = 4, .ip_opts = true, .vlans = 1,
		    .flags = CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK }, &layouts[2] },
		{ { .family = 6, .v6_ext = true }, &layouts[0] },
		{ { .family = 6, .v6_ext = true, .vlans = 1,
		    .flags = CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK }, &layouts[5] },
	};
	static const char *const hnames[] = {
		"mss_clamp_vlan_ipv4", "mss_clamp_qinq_ipv6_odd",
		"mss_clamp_ipv4_options", "mss_clamp_vlan_ipv4_options_synack_odd",
		"mss_clamp_ipv6_ext", "mss_clamp_vlan_ipv6_ext_synack_odd",
	};
	static char bnames[sizeof(bad_cases) / sizeof(bad_cases[0])][64];
	size_t i, n = 0;
	int f, a;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		for (f = 4; f <= 6; f += 2)
			for (a = 0; a < 2; a++) {
				cc[n] = (struct clamp_case){
					&layouts[i], f,
					a ? CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK :
					    CHIMNEY_TCP_SYN };
				snprintf(names[n], sizeof(names[n]),
					 "mss_clamp_%s_ipv%d_%s", layouts[i].name,
					 f, a ? "synack" : "syn");
				unit_register(names[n], test_clamp_layout, &cc[n]);
				n++;
			}
	unit_register("mss_clamp_values_ipv4", test_clamp_values, &fam4);
	unit_register("mss_clamp_values_ipv6", test_clamp_values, &fam6);
	for (i = 0; i < sizeof(hc) / sizeof(hc[0]); i++)
		unit_register(hnames[i], test_clamp_headers, &hc[i]);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		snprintf(bnames[i], sizeof(bnames[i]), "mss_malformed_%s",
			 bad_cases[i].name);
		unit_register(bnames[i], test_malformed, &bad_cases[i]);
	}
}
