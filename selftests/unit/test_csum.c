// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checksum verification (bpf/lib/csum.h) through the XDP program: every
 * protocol and family, good and bad, and the edge rules (UDP checksum 0,
 * fragments, IP options, VLAN tags, odd lengths, Ethernet padding, IP
 * length beyond the frame, routing headers, multi-buffer jumbo frames),
 * the csum=drop verdicts, the events ring buffer and its rate limit.
 *
 * Each case runs its frame twice: with csum=off, which gives what the
 * parser and the other stages count, and with the case's mode. The
 * second run must move exactly the same counters plus the case's csum_*
 * ones, return the case's verdict and leave the frame unchanged. So a
 * case states only what checksum verification adds, and a stray counter
 * anywhere fails it. On top of that every case checks the rule that
 * each IPv4/IPv6 frame ends in exactly one csum_ok_/bad_/unverified_
 * counter.
 *
 * Scapy equivalents use the shorthands of test_parse.c:
 *   E  = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
 *   V4 = dict(src="192.0.2.1", dst="198.51.100.2", id=0)
 *   V6 = dict(src="2001:db8::1", dst="2001:db8::2")
 *   T  = dict(sport=40000, dport=80, window=65535)
 *   P  = lambda n: Raw(bytes(0xa0 + (i & 31) for i in range(n)))
 * "bad(x, off)" flips bit 0x20 of byte off of raw(x) after all fields
 * were computed; "chk(x, layer, v)" sets that layer's checksum field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chimney/event.h>

#include "chimney.h"
#include "config.h"
#include "env.h"
#include "pkt_builder.h"
#include "test.h"

#define ETH_LEN		14
#define IP4_LEN		20
#define IP6_LEN		40

/* ---- running a frame ---------------------------------------------- */

static void csum_config(struct chimney_config *cfg, __u32 mode, __u32 rate)
{
	config_defaults(cfg);
	cfg->csum_mode = mode;
	cfg->csum_sample_rate = rate;
}

/* One BPF_PROG_TEST_RUN of the XDP program; the output lands in out. */
static bool xdp_run(const void *frame, size_t len, __u32 repeat,
		    __u32 *verdict, __u8 *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = out ? *out_len : 0,
		.repeat = repeat,
	);
	int fd = env_prog_fd(UNIT_XDP);

	if (fd < 0)
		return false;
	if (!ASSERT_OK(bpf_prog_test_run_opts(fd, &opts) ? -errno : 0,
		       "bpf_prog_test_run_opts"))
		return false;
	*verdict = opts.retval;
	if (out_len)
		*out_len = opts.data_size_out;
	return true;
}

/* Counter deltas of one run under cfg; false when the run failed. */
static bool run_deltas(const void *frame, size_t len,
		       const struct chimney_config *cfg, __u32 *verdict,
		       __s64 *delta)
{
	static __u8 out[PB_MAX_LEN + 256];
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	__u32 out_len = sizeof(out);
	int i;

	if (env_prog_fd(UNIT_XDP) < 0 ||
	    !ASSERT_OK(env_config_write(cfg), "write config") ||
	    !ASSERT_OK(env_counters_read(before), "read counters") ||
	    !xdp_run(frame, len, 1, verdict, out, &out_len) ||
	    !ASSERT_OK(env_counters_read(after), "read counters"))
		return false;
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		delta[i] = after[i] - before[i];
	/* Checksum verification never changes a frame, whatever it decides. */
	return ASSERT_EQ(out_len, len, "output length") &&
	       ASSERT_MEMEQ(out, frame, len, "output frame");
}

static bool is_outcome(const char *name)
{
	return !strncmp(name, "csum_ok_", 8) || !strncmp(name, "csum_bad_", 9) ||
	       !strncmp(name, "csum_unverified_", 16);
}

/*
 * Run frame with csum=off, then under cfg, and check that the second run
 * moved what the first did plus exactly `exp` (full counter names, NULL
 * name ends the list), with verdict `want`.
 */
static bool csum_expect(const void *frame, size_t len,
			const struct chimney_config *cfg, __u32 want,
			const struct ctr_delta *exp)
{
	__s64 off[CHIMNEY_NR_COUNTERS], on[CHIMNEY_NR_COUNTERS];
	__s64 want_d[CHIMNEY_NR_COUNTERS];
	struct chimney_config base = *cfg;
	__s64 outcomes = 0, ip;
	__u32 verdict;
	bool ok = true;
	int i, idx;

	base.csum_mode = CHIMNEY_CSUM_OFF;
	if (!run_deltas(frame, len, &base, &verdict, off))
		return false;
	if (!ASSERT_EQ(verdict, XDP_PASS, "verdict with csum=off"))
		return false;
	if (!run_deltas(frame, len, cfg, &verdict, on))
		return false;
	ok &= ASSERT_EQ(verdict, want, "verdict");

	memcpy(want_d, off, sizeof(want_d));
	for (i = 0; exp && exp[i].name; i++) {
		idx = counter_index(exp[i].name);
		if (idx < 0) {
			unit_fail("expected counter '%s' does not exist",
				  exp[i].name);
			return false;
		}
		want_d[idx] += exp[i].delta;
	}
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		if (on[i] != want_d[i]) {
			unit_fail("counter %s: %+lld, expected %+lld (csum=off: %+lld)",
				  counter_descs[i].name, (long long)on[i],
				  (long long)want_d[i], (long long)off[i]);
			ok = false;
		}
		if (is_outcome(counter_descs[i].name))
			outcomes += on[i];
	}
	/* The rule the counters are built on: one outcome per IP frame. */
	if (cfg->csum_mode != CHIMNEY_CSUM_OFF) {
		ip = on[counter_index("rx_ipv4")] + on[counter_index("rx_ipv6")];
		ok &= ASSERT_EQ(outcomes, ip, "csum outcomes vs IP frames");
	}
	return ok;
}

/* ---- fixtures ----------------------------------------------------- */

static const struct pb_tcp_opts tcp_ack = {
	.flags = CHIMNEY_TCP_ACK | CHIMNEY_TCP_PSH, .seq = 1, .ack = 1 };

/* Offset of the checksum field of the first L4 layer of a kind. */
static size_t csum_field(const struct pb *b, enum pb_kind kind)
{
	int l = pb_find(b, kind, 0);

	if (l < 0) {
		unit_fail("fixture has no layer of kind %d", kind);
		return 0;
	}
	switch (kind) {
	case PB_TCP:
		return b->layer[l].off + 16;
	case PB_UDP:
		return b->layer[l].off + 6;
	case PB_IPV4:
		return b->layer[l].off + 10;
	default:
		return b->layer[l].off + 2;	/* ICMP, ICMPv6 */
	}
}

static size_t payload_at(const struct pb *b, size_t i)
{
	return b->layer[pb_find(b, PB_RAW, 0)].off + i;
}

static void flip(struct pb *b, size_t off)
{
	pb_put8(b, off, b->data[off] ^ 0x20);
}

/* A checksum field made wrong, but never 0 (UDP's "none"). */
static void wrong_field(struct pb *b, size_t off)
{
	__u16 v = pb_get16(b, off) ^ 0x5a5a;

	pb_put16(b, off, v ? v : 0x1234);
}

/* Ether(**E)/IP(**V4)/TCP(**T, flags="PA")/P(n) */
static void ip4_tcp(struct pb *b, size_t n)
{
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_ack);
	if (n)
		pb_raw(b, NULL, n);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=9000)/P(n) */
static void ip4_udp(struct pb *b, size_t n)
{
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_udp(b, 5000, 9000);
	if (n)
		pb_raw(b, NULL, n);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/TCP(**T, flags="PA")/P(n) */
static void ip6_tcp(struct pb *b, size_t n)
{
	pb_eth(b, NULL);
	pb_ipv6(b, NULL);
	pb_tcp(b, &tcp_ack);
	if (n)
		pb_raw(b, NULL, n);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/UDP(sport=5000, dport=9000)/P(n) */
static void ip6_udp(struct pb *b, size_t n)
{
	pb_eth(b, NULL);
	pb_ipv6(b, NULL);
	pb_udp(b, 5000, 9000);
	if (n)
		pb_raw(b, NULL, n);
	pb_finish(b);
}

/* 64-byte frame: the inline path. */
static void b_ip4_tcp(struct pb *b) { ip4_tcp(b, 10); }
/* 1514-byte frame: the loop. */
static void b_ip4_tcp_1514(struct pb *b) { ip4_tcp(b, 1460); }
static void b_ip4_udp(struct pb *b) { ip4_udp(b, 18); }
static void b_ip4_udp_1000(struct pb *b) { ip4_udp(b, 1000); }
static void b_ip6_tcp(struct pb *b) { ip6_tcp(b, 0); }
static void b_ip6_tcp_1440(struct pb *b) { ip6_tcp(b, 1440); }
static void b_ip6_udp(struct pb *b) { ip6_udp(b, 12); }

/* Ether(**E)/IP(**V4)/ICMP(type=8, id=1, seq=1)/P(56) */
static void b_ip4_icmp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_icmp(b, 8, 0, 1, 1);
	pb_raw(b, NULL, 56);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/ICMPv6EchoRequest(id=1, seq=1)/P(56) */
static void b_ip6_icmp6(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv6(b, NULL);
	pb_icmp6(b, 128, 0, 1, 1);
	pb_raw(b, NULL, 56);
	pb_finish(b);
}

/* bad(Ether(**E)/IP(**V4)/TCP(**T, flags="PA")/P(10), 59) */
static void b_ip4_tcp_bad_payload(struct pb *b)
{
	ip4_tcp(b, 10);
	flip(b, payload_at(b, 5));
}

/* chk(Ether(**E)/IP(**V4)/TCP(**T, flags="PA")/P(10), TCP, wrong) */
static void b_ip4_tcp_bad_field(struct pb *b)
{
	ip4_tcp(b, 10);
	wrong_field(b, csum_field(b, PB_TCP));
}

/* bad(Ether(**E)/IP(**V4)/TCP(**T, flags="PA")/P(1460), 1500) */
static void b_ip4_tcp_1514_bad(struct pb *b)
{
	ip4_tcp(b, 1460);
	flip(b, payload_at(b, 1446));
}

static void b_ip4_udp_bad(struct pb *b)
{
	ip4_udp(b, 18);
	flip(b, payload_at(b, 17));
}

static void b_ip4_udp_1000_bad(struct pb *b)
{
	ip4_udp(b, 1000);
	flip(b, payload_at(b, 500));
}

static void b_ip4_icmp_bad(struct pb *b)
{
	b_ip4_icmp(b);
	flip(b, payload_at(b, 30));
}

static void b_ip6_tcp_bad(struct pb *b)
{
	ip6_tcp(b, 0);
	wrong_field(b, csum_field(b, PB_TCP));
}

static void b_ip6_tcp_1440_bad(struct pb *b)
{
	ip6_tcp(b, 1440);
	flip(b, payload_at(b, 1439));
}

static void b_ip6_udp_bad(struct pb *b)
{
	ip6_udp(b, 12);
	wrong_field(b, csum_field(b, PB_UDP));
}

/* A wrong IPv6 source address is caught through the pseudo-header. */
static void b_ip6_udp_bad_addr(struct pb *b)
{
	ip6_udp(b, 12);
	flip(b, ETH_LEN + 8 + 15);
}

static void b_ip6_icmp6_bad(struct pb *b)
{
	b_ip6_icmp6(b);
	flip(b, payload_at(b, 0));
}

/* chk(Ether(**E)/IP(**V4)/UDP()/P(18), IP, wrong): L4 still right */
static void b_ip4_hdr_bad(struct pb *b)
{
	ip4_udp(b, 18);
	wrong_field(b, csum_field(b, PB_IPV4));
}

/* Both the IPv4 header and the TCP checksum wrong: one bad frame. */
static void b_ip4_hdr_and_tcp_bad(struct pb *b)
{
	ip4_tcp(b, 10);
	wrong_field(b, csum_field(b, PB_IPV4));
	flip(b, payload_at(b, 3));
}

/* The TTL changed in flight without the header checksum following. */
static void b_ip4_ttl_changed(struct pb *b)
{
	ip4_tcp(b, 10);
	pb_put8(b, ETH_LEN + 8, 63);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=9000, chksum=0)/P(18) */
static void b_ip4_udp_zero(struct pb *b)
{
	ip4_udp(b, 18);
	pb_put16(b, csum_field(b, PB_UDP), 0);
}

/* Ether(**E)/IPv6(**V6)/UDP(sport=5000, dport=9000, chksum=0)/P(12) */
static void b_ip6_udp_zero(struct pb *b)
{
	ip6_udp(b, 12);
	pb_put16(b, csum_field(b, PB_UDP), 0);
}

/*
 * A UDP checksum that computes to 0 goes on the wire as 0xffff (RFC
 * 768): the last two payload bytes are chosen so that it does.
 */
static void b_ip4_udp_ffff(struct pb *b)
{
	size_t f, last;
	__u32 v;

	ip4_udp(b, 18);
	f = csum_field(b, PB_UDP);
	last = payload_at(b, 16);
	for (v = 0; v <= 0xffff; v++) {
		pb_put16(b, last, v);
		pb_l4_fix_csum(b, pb_find(b, PB_UDP, 0), 8 + 18);
		if (pb_get16(b, f) == 0xffff)
			return;
	}
	unit_fail("no payload gives a UDP checksum of 0");
}

/* fragment(Ether(**E)/IP(**V4, id=7)/UDP()/P(100), 48)[0] */
static void ip4_udp_whole(struct pb *w)
{
	pb_init(w);
	pb_eth(w, NULL);
	pb_ipv4(w, &(struct pb_ipv4_opts){ .id = 7 });
	pb_udp(w, 5000, 9000);
	pb_raw(w, NULL, 100);
	pb_finish(w);
}

static void b_ip4_frag_first(struct pb *b)
{
	struct pb w;

	ip4_udp_whole(&w);
	pb_fragment(b, &w, 0, 48, true);
}

static void b_ip4_frag_last(struct pb *b)
{
	struct pb w;

	ip4_udp_whole(&w);
	pb_fragment(b, &w, 96, 12, false);
}

/* A fragment's IPv4 header is still checked. */
static void b_ip4_frag_bad_hdr(struct pb *b)
{
	b_ip4_frag_last(b);
	wrong_field(b, csum_field(b, PB_IPV4));
}

/* fragment6(Ether(**E)/IPv6(**V6)/IPv6ExtHdrFragment(id=9)/UDP()/P(100), 56)[0] */
static void ip6_udp_whole(struct pb *w)
{
	pb_init(w);
	pb_eth(w, NULL);
	pb_ipv6(w, NULL);
	pb_ipv6_frag(w, 0, false, 9);
	pb_udp(w, 5000, 9000);
	pb_raw(w, NULL, 100);
	pb_finish(w);
}

static void b_ip6_frag_first(struct pb *b)
{
	struct pb w;

	ip6_udp_whole(&w);
	pb_fragment(b, &w, 0, 48, true);
}

static void b_ip6_frag_last(struct pb *b)
{
	struct pb w;

	ip6_udp_whole(&w);
	pb_fragment(b, &w, 48, 60, false);
}

/* An atomic fragment (offset 0, no M) is a whole packet: checked. */
static void b_ip6_atomic_frag(struct pb *b)
{
	ip6_udp_whole(b);
}

/* IP options: Router Alert (RFC 2113) and a NOP, EOL padded. */
static const __u8 ip_opts[8] = { 0x94, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };

/* Ether(**E)/IP(**V4, options=[IPOption_Router_Alert(), IPOption_NOP()])/TCP(**T, flags="PA")/P(10) */
static void b_ip4_options(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv4(b, &(struct pb_ipv4_opts){ .opts = ip_opts,
					  .opts_len = sizeof(ip_opts) });
	pb_tcp(b, &tcp_ack);
	pb_raw(b, NULL, 10);
	pb_finish(b);
}

/* An option byte changed after the header checksum was computed. */
static void b_ip4_options_bad(struct pb *b)
{
	b_ip4_options(b);
	pb_put8(b, ETH_LEN + IP4_LEN + 4, 0x07);
}

static void b_ip4_options_tcp_bad(struct pb *b)
{
	b_ip4_options(b);
	flip(b, payload_at(b, 9));
}

/* Ether(**E)/Dot1Q(vlan=100)/IP(**V4)/TCP(**T, flags="PA")/P(10) */
static void b_vlan_ip4_tcp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x8100, 100);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_ack);
	pb_raw(b, NULL, 10);
	pb_finish(b);
}

static void b_vlan_ip4_tcp_bad(struct pb *b)
{
	b_vlan_ip4_tcp(b);
	flip(b, payload_at(b, 0));
}

/* Ether(**E)/Dot1AD(vlan=10)/Dot1Q(vlan=100)/IPv6(**V6)/UDP()/P(40) */
static void b_qinq_ip6_udp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x88a8, 10);
	pb_vlan(b, 0x8100, 100);
	pb_ipv6(b, NULL);
	pb_udp(b, 5000, 9000);
	pb_raw(b, NULL, 40);
	pb_finish(b);
}

static void b_qinq_ip6_udp_bad(struct pb *b)
{
	b_qinq_ip6_udp(b);
	flip(b, payload_at(b, 39));
}

/*
 * Ether(**E)/IP(**V4)/TCP(**T, flags="A")/Padding(b"\xee" * 6): a
 * 60-byte minimum frame whose padding is not zero. No length covers it,
 * and no checksum either.
 */
static void b_ip4_tcp_padded(struct pb *b)
{
	size_t i, end;

	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_tcp(b, &(struct pb_tcp_opts){ .flags = CHIMNEY_TCP_ACK });
	pb_pad_to(b, 60);
	pb_finish(b);
	end = ETH_LEN + IP4_LEN + 20;
	for (i = end; i < b->len; i++)
		pb_put8(b, i, 0xee);
}

/* Ether(**E)/IP(**V4)/UDP()/P(3)/Padding(b"\xee" * 15): odd, padded */
static void b_ip4_udp_odd_padded(struct pb *b)
{
	size_t i, end;

	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_udp(b, 5000, 9000);
	pb_raw(b, NULL, 3);
	pb_pad_to(b, 60);
	pb_finish(b);
	end = ETH_LEN + IP4_LEN + 8 + 3;
	for (i = end; i < b->len; i++)
		pb_put8(b, i, 0xee);
}

/* raw(Ether(**E)/IP(**V4)/UDP()/P(100))[:80]: IP length beyond the frame */
static void b_ip4_truncated(struct pb *b)
{
	ip4_udp(b, 100);
	pb_truncate(b, 80);
}

static void b_ip4_truncated_bad_hdr(struct pb *b)
{
	b_ip4_truncated(b);
	wrong_field(b, csum_field(b, PB_IPV4));
}

static void b_ip6_truncated(struct pb *b)
{
	ip6_udp(b, 100);
	pb_truncate(b, 100);
}

/* Ether(**E)/IP(**V4, proto=47)/P(24): GRE has no checksum chimney checks */
static void b_ip4_gre(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_l4_raw(b, 47, NULL, 24);
	pb_finish(b);
}

static void b_ip4_gre_bad_hdr(struct pb *b)
{
	b_ip4_gre(b);
	wrong_field(b, csum_field(b, PB_IPV4));
}

/* Ether(**E)/IPv6(**V6, nh=59): no next header */
static void b_ip6_nonext(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv6(b, NULL);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/TCP(**T, flags="PA")/P(33) */
static void b_ip6_ext_tcp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv6(b, NULL);
	pb_ipv6_ext(b, 0, 8);
	pb_ipv6_ext(b, 60, 16);
	pb_tcp(b, &tcp_ack);
	pb_raw(b, NULL, 33);
	pb_finish(b);
}

static void b_ip6_ext_tcp_bad(struct pb *b)
{
	b_ip6_ext_tcp(b);
	flip(b, payload_at(b, 32));
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrRouting(segleft=0)/UDP()/P(20) */
static void b_ip6_rthdr(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv6(b, NULL);
	pb_ipv6_ext(b, 43, 8);
	pb_udp(b, 5000, 9000);
	pb_raw(b, NULL, 20);
	pb_finish(b);
}

/* The same, segments left 2: in transit, the pseudo-header would need
 * the final destination. */
static void b_ip6_rthdr_transit(struct pb *b)
{
	b_ip6_rthdr(b);
	pb_put8(b, ETH_LEN + IP6_LEN + 3, 2);
}

/* Ether(**E)/IP(**V4)/TCP(**T, dataofs=4): the parser gives up at L4 */
static void b_ip4_tcp_bad_doff(struct pb *b)
{
	ip4_tcp(b, 10);
	pb_put8(b, ETH_LEN + IP4_LEN + 12, 4 << 4);
}

static void b_ip4_tcp_bad_doff_bad_hdr(struct pb *b)
{
	b_ip4_tcp_bad_doff(b);
	wrong_field(b, csum_field(b, PB_IPV4));
}

/* Ether(**E)/IP(**V4, ihl=4)/...: no header length to check against */
static void b_ip4_bad_ihl(struct pb *b)
{
	ip4_tcp(b, 10);
	pb_put8(b, ETH_LEN, 0x44);
}

/* Ether(**E)/ARP(): not IP, no checksum verdict */
static void b_arp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_arp(b, "192.0.2.1", "192.0.2.2");
	pb_pad_to(b, 60);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(dport=4789)/VXLAN(vni=42)/Ether(**E)/IP(**V4)/TCP(**T) */
static void b_vxlan(struct pb *b)
{
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_udp(b, 49152, 4789);
	pb_vxlan(b, 42);
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_ack);
	pb_finish(b);
}

static void b_vxlan_inner_bad(struct pb *b)
{
	b_vxlan(b);
	/* outer UDP covers the inner frame: a flipped inner byte is an
	 * outer UDP error */
	flip(b, b->len - 1);
}

/*
 * Ether(**E)/IP(**V4)/UDP(sport=5000, dport=9000, len=20)/P(20): the UDP
 * length covers 12 payload bytes of the 20 the IP packet carries; the
 * checksum covers the UDP length only.
 */
static void b_ip4_udp_len_below_ip(struct pb *b)
{
	int udp;

	ip4_udp(b, 20);
	udp = b->layer[pb_find(b, PB_UDP, 0)].off;
	pb_put16(b, udp + 4, 20);
	pb_l4_fix_csum(b, pb_find(b, PB_UDP, 0), 20);
	/* bytes past the UDP length are not summed: change one */
	pb_put8(b, b->len - 1, b->data[b->len - 1] ^ 0xff);
}

/* Jumbo frames, multi-buffer in BPF_PROG_TEST_RUN past one page. */
static void b_ip4_udp_9000(struct pb *b) { ip4_udp(b, 9000 - 42); }
static void b_ip4_udp_8999(struct pb *b) { ip4_udp(b, 8999 - 42); }
static void b_ip6_tcp_9000(struct pb *b) { ip6_tcp(b, 9000 - 74); }

static void b_ip4_udp_9000_bad(struct pb *b)
{
	b_ip4_udp_9000(b);
	flip(b, 8000);
}

static void b_ip4_udp_8999_bad_last(struct pb *b)
{
	b_ip4_udp_8999(b);
	flip(b, b->len - 1);
}

static void b_ip6_tcp_9000_bad(struct pb *b)
{
	b_ip6_tcp_9000(b);
	flip(b, 5000);
}

/* The flip lands in the linear part; the checksum field after 4 KB. */
static void b_ip6_tcp_9000_bad_early(struct pb *b)
{
	b_ip6_tcp_9000(b);
	flip(b, 200);
}

/* ---- the table ---------------------------------------------------- */

struct csum_case {
	const char *name;
	void (*build)(struct pb *b);
	__u32 mode;		/* CHIMNEY_CSUM_COUNT or _DROP */
	__u32 verdict;
	bool good;		/* pb_check() must accept the fixture */
	struct ctr_delta exp[4];
};

#define C(n, d) { #n, d }
#define COUNT CHIMNEY_CSUM_COUNT
#define DROP CHIMNEY_CSUM_DROP

static const struct csum_case cases[] = {
	/* every protocol x family, good and bad */
	{ "ipv4_tcp_good", b_ip4_tcp, COUNT, XDP_PASS, true, { C(csum_ok_tcp, 1) } },
	{ "ipv4_tcp_1514_good", b_ip4_tcp_1514, COUNT, XDP_PASS, true, { C(csum_ok_tcp, 1) } },
	{ "ipv4_tcp_bad_payload", b_ip4_tcp_bad_payload, COUNT, XDP_PASS, false, { C(csum_bad_tcp, 1) } },
	{ "ipv4_tcp_bad_field", b_ip4_tcp_bad_field, COUNT, XDP_PASS, false, { C(csum_bad_tcp, 1) } },
	{ "ipv4_tcp_1514_bad", b_ip4_tcp_1514_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp, 1) } },
	{ "ipv4_udp_good", b_ip4_udp, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	{ "ipv4_udp_1000_good", b_ip4_udp_1000, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	{ "ipv4_udp_bad", b_ip4_udp_bad, COUNT, XDP_PASS, false, { C(csum_bad_udp, 1) } },
	{ "ipv4_udp_1000_bad", b_ip4_udp_1000_bad, COUNT, XDP_PASS, false, { C(csum_bad_udp, 1) } },
	{ "ipv4_icmp_good", b_ip4_icmp, COUNT, XDP_PASS, true, { C(csum_ok_icmp, 1) } },
	{ "ipv4_icmp_bad", b_ip4_icmp_bad, COUNT, XDP_PASS, false, { C(csum_bad_icmp, 1) } },
	{ "ipv6_tcp_good", b_ip6_tcp, COUNT, XDP_PASS, true, { C(csum_ok_tcp6, 1) } },
	{ "ipv6_tcp_1494_good", b_ip6_tcp_1440, COUNT, XDP_PASS, true, { C(csum_ok_tcp6, 1) } },
	{ "ipv6_tcp_bad", b_ip6_tcp_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp6, 1) } },
	{ "ipv6_tcp_1494_bad", b_ip6_tcp_1440_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp6, 1) } },
	{ "ipv6_udp_good", b_ip6_udp, COUNT, XDP_PASS, true, { C(csum_ok_udp6, 1) } },
	{ "ipv6_udp_bad", b_ip6_udp_bad, COUNT, XDP_PASS, false, { C(csum_bad_udp6, 1) } },
	{ "ipv6_udp_bad_src_addr", b_ip6_udp_bad_addr, COUNT, XDP_PASS, false, { C(csum_bad_udp6, 1) } },
	{ "ipv6_icmp6_good", b_ip6_icmp6, COUNT, XDP_PASS, true, { C(csum_ok_icmp6, 1) } },
	{ "ipv6_icmp6_bad", b_ip6_icmp6_bad, COUNT, XDP_PASS, false, { C(csum_bad_icmp6, 1) } },
	/* the IPv4 header */
	{ "ipv4_hdr_bad", b_ip4_hdr_bad, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv4_hdr_and_tcp_bad_counted_once", b_ip4_hdr_and_tcp_bad, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv4_ttl_changed", b_ip4_ttl_changed, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	/* UDP checksum 0 */
	{ "ipv4_udp_zero_valid", b_ip4_udp_zero, COUNT, XDP_PASS, false, { C(csum_ok_udp_zero, 1) } },
	{ "ipv6_udp_zero_invalid", b_ip6_udp_zero, COUNT, XDP_PASS, false, { C(csum_bad_udp6_zero, 1) } },
	{ "ipv4_udp_ffff", b_ip4_udp_ffff, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	/* fragments: IPv4 header checked, L4 not */
	{ "ipv4_frag_first", b_ip4_frag_first, COUNT, XDP_PASS, true, { C(csum_unverified_fragment, 1) } },
	{ "ipv4_frag_last", b_ip4_frag_last, COUNT, XDP_PASS, true, { C(csum_unverified_fragment, 1) } },
	{ "ipv4_frag_bad_hdr", b_ip4_frag_bad_hdr, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv6_frag_first", b_ip6_frag_first, COUNT, XDP_PASS, true, { C(csum_unverified_fragment, 1) } },
	{ "ipv6_frag_last", b_ip6_frag_last, COUNT, XDP_PASS, true, { C(csum_unverified_fragment, 1) } },
	{ "ipv6_atomic_frag_checked", b_ip6_atomic_frag, COUNT, XDP_PASS, true, { C(csum_ok_udp6, 1) } },
	/* IP options, VLAN tags */
	{ "ipv4_options_good", b_ip4_options, COUNT, XDP_PASS, true, { C(csum_ok_tcp, 1) } },
	{ "ipv4_options_bad_hdr", b_ip4_options_bad, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv4_options_tcp_bad", b_ip4_options_tcp_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp, 1) } },
	{ "vlan_ipv4_tcp_good", b_vlan_ip4_tcp, COUNT, XDP_PASS, true, { C(csum_ok_tcp, 1) } },
	{ "vlan_ipv4_tcp_bad", b_vlan_ip4_tcp_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp, 1) } },
	{ "qinq_ipv6_udp_good", b_qinq_ip6_udp, COUNT, XDP_PASS, true, { C(csum_ok_udp6, 1) } },
	{ "qinq_ipv6_udp_bad", b_qinq_ip6_udp_bad, COUNT, XDP_PASS, false, { C(csum_bad_udp6, 1) } },
	/* lengths: padding, truncation, UDP shorter than IP */
	{ "eth_padding_not_an_error", b_ip4_tcp_padded, COUNT, XDP_PASS, true, { C(csum_ok_tcp, 1) } },
	{ "eth_padding_odd_udp", b_ip4_udp_odd_padded, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	{ "ipv4_len_beyond_truncated", b_ip4_truncated, COUNT, XDP_PASS, false, { C(csum_unverified_truncated, 1) } },
	{ "ipv4_len_beyond_bad_hdr", b_ip4_truncated_bad_hdr, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv6_len_beyond_truncated", b_ip6_truncated, COUNT, XDP_PASS, false, { C(csum_unverified_truncated, 1) } },
	{ "udp_len_below_ip_len", b_ip4_udp_len_below_ip, COUNT, XDP_PASS, false, { C(csum_ok_udp, 1) } },
	/* what cannot be checked */
	{ "ipv4_gre_proto", b_ip4_gre, COUNT, XDP_PASS, true, { C(csum_unverified_proto, 1) } },
	{ "ipv4_gre_bad_hdr", b_ip4_gre_bad_hdr, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv6_no_next_header", b_ip6_nonext, COUNT, XDP_PASS, true, { C(csum_unverified_proto, 1) } },
	{ "ipv6_ext_tcp_good", b_ip6_ext_tcp, COUNT, XDP_PASS, true, { C(csum_ok_tcp6, 1) } },
	{ "ipv6_ext_tcp_bad", b_ip6_ext_tcp_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp6, 1) } },
	{ "ipv6_rthdr_final_checked", b_ip6_rthdr, COUNT, XDP_PASS, true, { C(csum_ok_udp6, 1) } },
	{ "ipv6_rthdr_in_transit", b_ip6_rthdr_transit, COUNT, XDP_PASS, false, { C(csum_unverified_rthdr, 1) } },
	{ "tcp_bad_doff_parse", b_ip4_tcp_bad_doff, COUNT, XDP_PASS, false, { C(csum_unverified_parse, 1) } },
	{ "tcp_bad_doff_bad_hdr", b_ip4_tcp_bad_doff_bad_hdr, COUNT, XDP_PASS, false, { C(csum_bad_ip, 1) } },
	{ "ipv4_bad_ihl_parse", b_ip4_bad_ihl, COUNT, XDP_PASS, false, { C(csum_unverified_parse, 1) } },
	{ "arp_not_ip", b_arp, COUNT, XDP_PASS, true, { } },
	{ "vxlan_outer_good", b_vxlan, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	{ "vxlan_inner_byte_bad", b_vxlan_inner_bad, COUNT, XDP_PASS, false, { C(csum_bad_udp, 1) } },
	/* csum=drop: only proven-bad frames */
	{ "drop_ipv4_tcp_good", b_ip4_tcp, DROP, XDP_PASS, true, { C(csum_ok_tcp, 1) } },
	{ "drop_ipv4_tcp_bad", b_ip4_tcp_bad_payload, DROP, XDP_DROP, false, { C(csum_bad_tcp, 1), C(csum_drop, 1) } },
	{ "drop_ipv4_hdr_bad", b_ip4_hdr_bad, DROP, XDP_DROP, false, { C(csum_bad_ip, 1), C(csum_drop, 1) } },
	{ "drop_ipv6_udp_bad", b_ip6_udp_bad, DROP, XDP_DROP, false, { C(csum_bad_udp6, 1), C(csum_drop, 1) } },
	{ "drop_ipv6_udp_zero", b_ip6_udp_zero, DROP, XDP_DROP, false, { C(csum_bad_udp6_zero, 1), C(csum_drop, 1) } },
	{ "drop_ipv4_udp_zero_passes", b_ip4_udp_zero, DROP, XDP_PASS, false, { C(csum_ok_udp_zero, 1) } },
	{ "drop_fragment_passes", b_ip4_frag_first, DROP, XDP_PASS, true, { C(csum_unverified_fragment, 1) } },
	{ "drop_truncated_passes", b_ip4_truncated, DROP, XDP_PASS, false, { C(csum_unverified_truncated, 1) } },
	{ "drop_truncated_bad_hdr", b_ip4_truncated_bad_hdr, DROP, XDP_DROP, false, { C(csum_bad_ip, 1), C(csum_drop, 1) } },
	{ "drop_rthdr_transit_passes", b_ip6_rthdr_transit, DROP, XDP_PASS, false, { C(csum_unverified_rthdr, 1) } },
	{ "drop_parse_failure_passes", b_ip4_tcp_bad_doff, DROP, XDP_PASS, false, { C(csum_unverified_parse, 1) } },
	/* multi-buffer: 9000-byte frames span a page */
	{ "jumbo_ipv4_udp_9000_good", b_ip4_udp_9000, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	{ "jumbo_ipv4_udp_8999_good", b_ip4_udp_8999, COUNT, XDP_PASS, true, { C(csum_ok_udp, 1) } },
	{ "jumbo_ipv4_udp_9000_bad", b_ip4_udp_9000_bad, COUNT, XDP_PASS, false, { C(csum_bad_udp, 1) } },
	{ "jumbo_ipv4_udp_8999_bad_last_byte", b_ip4_udp_8999_bad_last, COUNT, XDP_PASS, false, { C(csum_bad_udp, 1) } },
	{ "jumbo_ipv6_tcp_9000_good", b_ip6_tcp_9000, COUNT, XDP_PASS, true, { C(csum_ok_tcp6, 1) } },
	{ "jumbo_ipv6_tcp_9000_bad", b_ip6_tcp_9000_bad, COUNT, XDP_PASS, false, { C(csum_bad_tcp6, 1) } },
	{ "jumbo_ipv6_tcp_9000_bad_early", b_ip6_tcp_9000_bad_early, COUNT, XDP_PASS, false, { C(csum_bad_tcp6, 1) } },
	{ "jumbo_drop_bad", b_ip4_udp_9000_bad, DROP, XDP_DROP, false, { C(csum_bad_udp, 1), C(csum_drop, 1) } },
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

static void run_case(const struct unit_test *t)
{
	const struct csum_case *c = t->arg;
	struct chimney_config cfg;
	char err[160];
	struct pb b;

	pb_init(&b);
	c->build(&b);
	if (c->good && pb_check(&b, err, sizeof(err)))
		unit_fail("fixture %s is inconsistent: %s", c->name, err);
	/* No sampling here: the rate limit would make samples depend on
	 * how fast the cases run. The ring buffer has its own tests. */
	csum_config(&cfg, c->mode, 0);
	if (!csum_expect(b.data, b.len, &cfg, c->verdict, c->exp))
		unit_hexdump("frame", b.data, b.len < 128 ? b.len : 128);
}

/*
 * Odd and even segment lengths around every piece boundary of the
 * summing code, good and with the last byte flipped, on both paths; and
 * IPv6 segment lengths whose low byte is 0xfa-0xff, where the length and
 * next-header words of the pseudo-header carry out of 32 bits when added
 * in network order (a bug once: 1 in some 100,000 iperf3 segments).
 */
static bool every_length_n(size_t n)
{
	return n <= 260 || (n >= 1230 && n <= 1262) || n == 1440;
}

UNIT_TEST(csum_every_length)
{
	struct chimney_config cfg;
	struct pb b;
	size_t n;

	csum_config(&cfg, CHIMNEY_CSUM_COUNT, 0);
	for (n = 0; n <= 1440 && !unit_failed(); n++) {
		if (!every_length_n(n))
			continue;
		const struct ctr_delta good[] = { { "csum_ok_udp", 1 }, {} };
		const struct ctr_delta bad[] = { { "csum_bad_udp", 1 }, {} };
		const struct ctr_delta good6[] = { { "csum_ok_tcp6", 1 }, {} };
		const struct ctr_delta good6u[] = { { "csum_ok_udp6", 1 }, {} };

		pb_init(&b);
		ip4_udp(&b, n);
		if (!csum_expect(b.data, b.len, &cfg, XDP_PASS, good))
			unit_log("IPv4/UDP with %zu payload bytes\n", n);
		if (n) {
			flip(&b, b.len - 1);
			if (!csum_expect(b.data, b.len, &cfg, XDP_PASS, bad))
				unit_log("IPv4/UDP with %zu payload bytes, last flipped\n", n);
		}
		pb_init(&b);
		ip6_tcp(&b, n);
		if (!csum_expect(b.data, b.len, &cfg, XDP_PASS, good6))
			unit_log("IPv6/TCP with %zu payload bytes\n", n);
		pb_init(&b);
		ip6_udp(&b, n);
		if (!csum_expect(b.data, b.len, &cfg, XDP_PASS, good6u))
			unit_log("IPv6/UDP with %zu payload bytes\n", n);
	}
}

/* Every csum_bad_* counter has a case: a reason added without one fails. */
UNIT_TEST(csum_every_counter_covered)
{
#define __NAME(n, h) #n,
	static const char *const names[] = { CHIMNEY_CSUM_COUNTERS(__NAME) };
#undef __NAME
	size_t r, i;
	int j;

	for (r = 0; r < sizeof(names) / sizeof(names[0]); r++) {
		bool found = false;

		if (!is_outcome(names[r]) && strcmp(names[r], "csum_drop"))
			continue;
		/* load failures need a kernel that fails a helper */
		if (!strcmp(names[r], "csum_unverified_load"))
			continue;
		for (i = 0; i < NR_CASES && !found; i++)
			for (j = 0; cases[i].exp[j].name; j++)
				if (!strcmp(cases[i].exp[j].name, names[r]))
					found = true;
		ASSERT_TRUE(found, names[r]);
	}
}

/* csum=off: a bad frame moves no csum counter and passes. */
UNIT_TEST(csum_off_ignores_bad)
{
	__s64 d[CHIMNEY_NR_COUNTERS];
	struct chimney_config cfg;
	__u32 verdict;
	struct pb b;
	int i;

	pb_init(&b);
	b_ip4_tcp_bad_payload(&b);
	csum_config(&cfg, CHIMNEY_CSUM_OFF, 100);
	if (!run_deltas(b.data, b.len, &cfg, &verdict, d))
		return;
	ASSERT_EQ(verdict, XDP_PASS, "verdict");
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		if (!strncmp(counter_descs[i].name, "csum_", 5))
			ASSERT_EQ(d[i], 0, counter_descs[i].name);
}

/* ---- the events ring buffer --------------------------------------- */

/* One of the XDP program's maps, by name (the program loaded first);
 * negative when absent. The environment owns the fd. */
static int xdp_map_fd(const char *name)
{
	return env_prog_fd(UNIT_XDP) < 0 ? -1 : env_map_fd(name);
}

struct ev_sink {
	struct chimney_event ev[8];
	int n;
	int total;
};

static int ev_collect(void *arg, void *data, size_t size)
{
	struct ev_sink *s = arg;

	if (size >= sizeof(struct chimney_event) && s->n < 8)
		memcpy(&s->ev[s->n++], data, sizeof(struct chimney_event));
	s->total++;
	return 0;
}

/* Open the ring buffer and drain what earlier tests left in it. */
static struct ring_buffer *events_open(struct ev_sink *s)
{
	struct ring_buffer *rb;
	int fd = xdp_map_fd(PIN(events));

	if (!ASSERT_TRUE(fd >= 0, "events map of the XDP program"))
		return NULL;
	rb = ring_buffer__new(fd, ev_collect, s, NULL);
	if (!ASSERT_OK_PTR(rb, "ring_buffer__new"))
		return NULL;
	ring_buffer__consume(rb);
	memset(s, 0, sizeof(*s));
	return rb;
}

/* Refill the token bucket: as if no sample had been taken for long. */
static bool ratelimit_reset(void)
{
	struct { __u32 lock; __u32 pad; __u64 tokens, last_ns; } v = {};
	__u32 zero = 0;
	int fd = xdp_map_fd(PIN(csum_rl));

	if (!ASSERT_TRUE(fd >= 0, "csum_rl map of the XDP program"))
		return false;
	return ASSERT_OK(bpf_map_update_elem(fd, &zero, &v, BPF_ANY) ? -errno : 0,
			 "reset csum_rl");
}

/* A sampled bad frame carries its bytes, lengths, tuple and checksums. */
static void check_sample(const char *what, void (*build)(struct pb *),
			 enum pb_kind kind, const char *reason)
{
	struct chimney_config cfg;
	struct ring_buffer *rb;
	struct ev_sink s;
	struct pb b, right;
	const struct chimney_event *ev;
	__u32 verdict, out_len = 0;
	char err[160];
	size_t f, cap;

	unit_log("%s:\n", what);
	rb = events_open(&s);
	if (!rb || !ratelimit_reset())
		goto out;
	pb_init(&b);
	build(&b);
	csum_config(&cfg, CHIMNEY_CSUM_COUNT, 100);
	if (!ASSERT_OK(env_config_write(&cfg), "write config") ||
	    !xdp_run(b.data, b.len, 1, &verdict, NULL, &out_len))
		goto out;
	ring_buffer__consume(rb);
	if (!ASSERT_EQ(s.total, 1, "samples in the ring"))
		goto out;
	ev = &s.ev[0];
	cap = b.len < CHIMNEY_EVENT_SNAP ? b.len : CHIMNEY_EVENT_SNAP;
	ASSERT_EQ(ev->type, CHIMNEY_EV_CSUM, "type");
	ASSERT_EQ(ev->reason, counter_index(reason), "reason");
	ASSERT_EQ(ev->pkt_len, b.len, "pkt_len");
	ASSERT_EQ(ev->cap_len, cap, "cap_len");
	ASSERT_MEMEQ(ev->data, b.data, cap, "captured bytes");
	ASSERT_EQ(ev->l3_off, ETH_LEN, "l3_off");
	f = csum_field(&b, kind);
	ASSERT_EQ(ntohs(ev->found), pb_get16(&b, f), "found");
	/* expected is the value that makes the frame right */
	right = b;
	pb_put16(&right, f, ntohs(ev->expected));
	if (pb_check(&right, err, sizeof(err)))
		unit_fail("frame with the expected checksum 0x%04x: %s",
			  ntohs(ev->expected), err);
	ASSERT_NEQ(ev->found, ev->expected, "found differs from expected");
	ASSERT_TRUE(ev->ts_ns > 0, "timestamp");
out:
	ring_buffer__free(rb);
}

UNIT_TEST(csum_sample_content)
{
	check_sample("IPv4/TCP payload flipped", b_ip4_tcp_bad_payload, PB_TCP,
		     "csum_bad_tcp");
	check_sample("IPv4 header checksum", b_ip4_hdr_bad, PB_IPV4,
		     "csum_bad_ip");
	check_sample("IPv6/UDP checksum", b_ip6_udp_bad, PB_UDP,
		     "csum_bad_udp6");
	check_sample("IPv6/UDP checksum 0", b_ip6_udp_zero, PB_UDP,
		     "csum_bad_udp6_zero");
	check_sample("ICMPv6", b_ip6_icmp6_bad, PB_ICMP6, "csum_bad_icmp6");
	/* a jumbo frame: the first 512 bytes, pkt_len the whole */
	check_sample("9000-byte IPv4/UDP", b_ip4_udp_9000_bad, PB_UDP,
		     "csum_bad_udp");
}

/* The sample names the flow: addresses and ports of the tuple. */
UNIT_TEST(csum_sample_tuple)
{
	struct chimney_config cfg;
	struct ring_buffer *rb;
	struct ev_sink s;
	__u32 verdict, out_len = 0;
	struct pb b;
	__u8 a[16];

	rb = events_open(&s);
	if (!rb || !ratelimit_reset())
		goto out;
	pb_init(&b);
	b_ip6_udp_bad(&b);
	csum_config(&cfg, CHIMNEY_CSUM_DROP, 100);
	if (!ASSERT_OK(env_config_write(&cfg), "write config") ||
	    !xdp_run(b.data, b.len, 1, &verdict, NULL, &out_len))
		goto out;
	ASSERT_EQ(verdict, XDP_DROP, "verdict");
	ring_buffer__consume(rb);
	if (!ASSERT_EQ(s.total, 1, "samples"))
		goto out;
	ASSERT_EQ(s.ev[0].tuple.family, 6, "family");
	ASSERT_EQ(s.ev[0].tuple.proto, IPPROTO_UDP, "proto");
	ASSERT_EQ(ntohs(s.ev[0].tuple.sport), 5000, "sport");
	ASSERT_EQ(ntohs(s.ev[0].tuple.dport), 9000, "dport");
	inet_pton(AF_INET6, PB_V6_SRC, a);
	ASSERT_MEMEQ(s.ev[0].tuple.saddr, a, 16, "saddr");
	inet_pton(AF_INET6, PB_V6_DST, a);
	ASSERT_MEMEQ(s.ev[0].tuple.daddr, a, 16, "daddr");
out:
	ring_buffer__free(rb);
}

/*
 * csum.sample_rate=1 and 20 bad frames at once: the full bucket gives
 * one sample, and every other frame is counted as rate-limited. (A
 * second token needs a whole second between two of these runs.)
 */
UNIT_TEST(csum_sample_rate_limit)
{
	__s64 d[CHIMNEY_NR_COUNTERS];
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	struct chimney_config cfg;
	struct ring_buffer *rb;
	struct ev_sink s;
	__u32 verdict, out_len = 0;
	struct pb b;
	int i, samples, limited;

	rb = events_open(&s);
	if (!rb || !ratelimit_reset())
		goto out;
	pb_init(&b);
	b_ip4_udp_bad(&b);
	csum_config(&cfg, CHIMNEY_CSUM_COUNT, 1);
	if (!ASSERT_OK(env_config_write(&cfg), "write config") ||
	    !ASSERT_OK(env_counters_read(before), "read counters") ||
	    !xdp_run(b.data, b.len, 20, &verdict, NULL, &out_len) ||
	    !ASSERT_OK(env_counters_read(after), "read counters"))
		goto out;
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		d[i] = after[i] - before[i];
	samples = d[counter_index("csum_samples")];
	limited = d[counter_index("csum_samples_ratelimited")];
	ASSERT_EQ(d[counter_index("csum_bad_udp")], 20, "csum_bad_udp");
	ASSERT_EQ(samples + limited, 20, "samples + rate-limited");
	ASSERT_TRUE(samples >= 1 && samples <= 2, "1 sample, 2 if a second passed");
	ASSERT_EQ(d[counter_index("csum_samples_lost")], 0, "lost");
	ring_buffer__consume(rb);
	ASSERT_EQ(s.total, samples, "records in the ring");

	/* csum.sample_rate=0: no sample, nothing counted as limited */
	csum_config(&cfg, CHIMNEY_CSUM_COUNT, 0);
	if (!ASSERT_OK(env_config_write(&cfg), "write config") ||
	    !ASSERT_OK(env_counters_read(before), "read counters") ||
	    !xdp_run(b.data, b.len, 5, &verdict, NULL, &out_len) ||
	    !ASSERT_OK(env_counters_read(after), "read counters"))
		goto out;
	ASSERT_EQ(after[counter_index("csum_samples")] -
		  before[counter_index("csum_samples")], 0, "samples at rate 0");
	ASSERT_EQ(after[counter_index("csum_samples_ratelimited")] -
		  before[counter_index("csum_samples_ratelimited")], 0,
		  "rate-limited at rate 0");
out:
	ring_buffer__free(rb);
}

/* A ring nobody reads fills up; samples past it are counted as lost. */
UNIT_TEST(csum_sample_ring_full)
{
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	struct chimney_config cfg;
	struct ring_buffer *rb;
	struct ev_sink s;
	__u32 verdict, out_len = 0;
	struct pb b;
	long samples, lost;
	const int n = 1000;

	rb = events_open(&s);
	if (!rb || !ratelimit_reset())
		goto out;
	pb_init(&b);
	b_ip4_tcp_bad_payload(&b);
	csum_config(&cfg, CHIMNEY_CSUM_COUNT, 100000);
	if (!ASSERT_OK(env_config_write(&cfg), "write config") ||
	    !ASSERT_OK(env_counters_read(before), "read counters") ||
	    !xdp_run(b.data, b.len, n, &verdict, NULL, &out_len) ||
	    !ASSERT_OK(env_counters_read(after), "read counters"))
		goto out;
	samples = after[counter_index("csum_samples")] -
		  before[counter_index("csum_samples")];
	lost = after[counter_index("csum_samples_lost")] -
	       before[counter_index("csum_samples_lost")];
	ASSERT_EQ(samples + lost +
		  (long)(after[counter_index("csum_samples_ratelimited")] -
			 before[counter_index("csum_samples_ratelimited")]),
		  n, "every bad frame accounted for");
	ASSERT_TRUE(lost > 0, "a full ring loses samples");
	ASSERT_TRUE(samples > 0 && samples < n, "some samples fit");
	ring_buffer__consume(rb);
	ASSERT_EQ(s.total, samples, "records in the ring = samples");
out:
	ring_buffer__free(rb);
	env_config_write(NULL);
}

__attribute__((constructor)) static void register_csum_cases(void)
{
	static char names[NR_CASES][64];
	size_t i;

	for (i = 0; i < NR_CASES; i++) {
		snprintf(names[i], sizeof(names[i]), "csum_%s", cases[i].name);
		unit_register(names[i], run_case, &cases[i]);
	}
}
