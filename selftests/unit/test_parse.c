// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parser coverage (bpf/lib/parse.h and count_parse() in
 * bpf/lib/counters.h): one fixture per branch, run through the XDP
 * program and, for a representative subset, the TC program. Each case
 * asserts the verdict, that the packet comes out unchanged, and the
 * exact change of every counter: the ones listed move by the amount
 * given, <hook>_packets by 1, <hook>_bytes by the frame length, and
 * nothing else moves, in either hook. Good fixtures must also have right
 * lengths and checksums (pb_check()), since later stages reuse them.
 *
 * Each fixture carries the equivalent scapy expression. Shorthands, to
 * paste before them:
 *
 *   from scapy.all import *
 *   from scapy.layers.ipsec import AH
 *   from scapy.layers.vxlan import VXLAN
 *   E  = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
 *   V4 = dict(src="192.0.2.1", dst="198.51.100.2", id=0)
 *   V6 = dict(src="2001:db8::1", dst="2001:db8::2")
 *   T  = dict(sport=40000, dport=80, window=65535)  # flags="S" by default
 *   P  = lambda n: Raw(bytes(0xa0 + (i & 31) for i in range(n)))
 *   Z  = lambda n: Padding(b"\0" * n)
 *
 * "raw(x)[:n]" cuts a frame after all fields were computed; the C code
 * does the same with pb_truncate() after pb_finish().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "env.h"
#include "pkt_builder.h"
#include "test.h"

#define HOOK_XDP	(1U << UNIT_XDP)
#define HOOK_TC		(1U << UNIT_TC)
#define HOOK_BOTH	(HOOK_XDP | HOOK_TC)

#define VXLAN_PORT	4789
#define ETH_LEN		14
#define IP4_LEN		20
#define IP6_LEN		40

struct parse_case {
	const char *name;
	void (*build)(struct pb *b);	/* builds and finishes the frame */
	unsigned int hooks;
	const char *cfg;		/* "key=value" over the defaults */
	/* The fixture's lengths disagree on purpose in a way the parser
	 * accepts (UDP length below the IP payload): skip pb_check(). */
	bool lengths_differ;
	/* Hook-relative counter deltas besides packets/bytes. */
	struct ctr_delta exp[8];
};

#define C(n, d) { #n, d }

/* ---- common layers ------------------------------------------------ */

static const struct pb_tcp_opts tcp_def;	/* T: 40000 -> 80, SYN */

/* Ether(**E)/IP(**V4) */
static int eth_ip4(struct pb *b, const struct pb_ipv4_opts *o)
{
	pb_eth(b, NULL);
	return pb_ipv4(b, o);
}

/* Ether(**E)/IPv6(**V6) */
static int eth_ip6(struct pb *b, const struct pb_ipv6_opts *o)
{
	pb_eth(b, NULL);
	return pb_ipv6(b, o);
}

/* ---- IPv4 / IPv6 x TCP / UDP / ICMP ------------------------------- */

/* Ether(**E)/IP(**V4)/TCP(**T) */
static void b_ipv4_tcp(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/*
 * Ether(**E)/IP(**V4)/TCP(**T, flags="SA", seq=1000, ack=1, options=[
 *   ("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
 *   ("NOP", None), ("WScale", 7)])/P(32)
 */
static const __u8 tcp_syn_opts[20] = {
	2, 4, 0x05, 0xb4,		/* MSS 1460 */
	4, 2,				/* SACK permitted */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,	/* timestamps 1, 0 */
	1,				/* NOP */
	3, 3, 7,			/* window scale 7 */
};

static void b_ipv4_tcp_options(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_tcp(b, &(struct pb_tcp_opts){
		.flags = CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK, .seq = 1000,
		.ack = 1, .opts = tcp_syn_opts,
		.opts_len = sizeof(tcp_syn_opts) });
	pb_raw(b, NULL, 32);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/TCP(**T, flags="A")/Z(6): a 60-byte minimum frame,
 * IP total length shorter than the frame */
static void b_ipv4_tcp_eth_padding(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_tcp(b, &(struct pb_tcp_opts){ .flags = CHIMNEY_TCP_ACK });
	pb_pad_to(b, 60);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53)/P(20) */
static void b_ipv4_udp(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 20);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53)/P(2)/Z(16) */
static void b_ipv4_udp_eth_padding(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 2);
	pb_pad_to(b, 60);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53, len=12)/P(20): a UDP
 * length below the IP payload is legal (the rest is IP padding) */
static void b_ipv4_udp_len_below_ip(struct pb *b)
{
	int udp;

	eth_ip4(b, NULL);
	udp = pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 20);
	pb_finish(b);
	pb_put16(b, udp + 4, 12);
	pb_l4_fix_csum(b, pb_find(b, PB_UDP, 0), 12);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53): exactly 8 bytes */
static void b_ipv4_udp_empty(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_udp(b, 5000, 53);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/ICMP(type=8, id=1, seq=1): exactly 8 bytes */
static void b_ipv4_icmp(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_icmp(b, 8, 0, 1, 1);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/ICMP(type=0, id=1, seq=1)/P(56) */
static void b_ipv4_icmp_payload(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_icmp(b, 0, 0, 1, 1);
	pb_raw(b, NULL, 56);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/TCP(**T) */
static void b_ipv6_tcp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6, fl=0x12345, tc=0x20)/UDP(sport=5000, dport=53)/P(20) */
static void b_ipv6_udp(struct pb *b)
{
	eth_ip6(b, &(struct pb_ipv6_opts){ .flow = 0x12345, .tclass = 0x20 });
	pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 20);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/ICMPv6EchoRequest(id=1, seq=1) */
static void b_ipv6_icmp6(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_icmp6(b, 128, 0, 1, 1);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/ICMPv6Unknown(type=200): the 4-byte minimum */
static void b_ipv6_icmp6_4_bytes(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_icmp6_bare(b, 200, 0);
	pb_finish(b);
}

/* ---- IPv4 options and fragments ----------------------------------- */

/* Ether(**E)/IP(**V4, options=IPOption_Router_Alert())/UDP(sport=5000, dport=53) */
static const __u8 ip_opt_ra[4] = { 0x94, 0x04, 0x00, 0x00 };

static void b_ipv4_options_ra(struct pb *b)
{
	eth_ip4(b, &(struct pb_ipv4_opts){ .opts = ip_opt_ra, .opts_len = 4 });
	pb_udp(b, 5000, 53);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4, options=IPOption(b"\x01" * 39 + b"\x00"))/TCP(**T):
 * IHL 15, the longest header */
static void b_ipv4_options_max(struct pb *b)
{
	__u8 opts[40];

	memset(opts, 1, 39);	/* NOP */
	opts[39] = 0;		/* EOL */
	eth_ip4(b, &(struct pb_ipv4_opts){ .opts = opts, .opts_len = 40 });
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4, flags="DF")/TCP(**T): DF alone is no fragment */
static void b_ipv4_df(struct pb *b)
{
	eth_ip4(b, &(struct pb_ipv4_opts){ .frag = PB_IP_DF });
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* The datagram fragmented below:
 * Ether(**E)/IP(**V4, id=7)/UDP(sport=5000, dport=dport)/P(100) */
static void udp_datagram4(struct pb *w, __u16 dport)
{
	pb_init(w);
	eth_ip4(w, &(struct pb_ipv4_opts){ .id = 7 });
	pb_udp(w, 5000, dport);
	pb_raw(w, NULL, 100);
	pb_finish(w);
}

/* fragment(<udp_datagram4, dport=53>, fragsize=48)[0]: offset 0, MF */
static void b_ipv4_frag_first(struct pb *b)
{
	struct pb w;

	udp_datagram4(&w, 53);
	pb_fragment(b, &w, 0, 48, true);
}

/* fragment(<udp_datagram4, dport=53>, fragsize=48)[1]: offset 6, MF */
static void b_ipv4_frag_middle(struct pb *b)
{
	struct pb w;

	udp_datagram4(&w, 53);
	pb_fragment(b, &w, 48, 48, true);
}

/* fragment(<udp_datagram4, dport=53>, fragsize=48)[2]: offset 12, no MF */
static void b_ipv4_frag_last(struct pb *b)
{
	struct pb w;

	udp_datagram4(&w, 53);
	pb_fragment(b, &w, 96, 12, false);
}

/* fragment(Ether(**E)/IP(**V4, id=7)/TCP(**T)/P(40), fragsize=8)[0]:
 * a first fragment holding 8 bytes of a TCP header; L4 is not parsed
 * in fragments, so this is no truncation */
static void b_ipv4_frag_first_partial_tcp(struct pb *b)
{
	struct pb w;

	pb_init(&w);
	eth_ip4(&w, &(struct pb_ipv4_opts){ .id = 7 });
	pb_tcp(&w, &tcp_def);
	pb_raw(&w, NULL, 40);
	pb_finish(&w);
	pb_fragment(b, &w, 0, 8, true);
}

/* fragment(<udp_datagram4, dport=4789>, fragsize=48)[0]: a fragment to
 * the VXLAN port is not parsed as VXLAN */
static void b_ipv4_frag_first_vxlan_port(struct pb *b)
{
	struct pb w;

	udp_datagram4(&w, VXLAN_PORT);
	pb_fragment(b, &w, 0, 48, true);
}

/* ---- other L4 ------------------------------------------------------ */

/* Ether(**E)/IP(**V4, proto=47)/GRE(proto=0x0800)/P(20) */
static const __u8 gre_hdr[24] = { 0x00, 0x00, 0x08, 0x00 };

static void b_ipv4_gre(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_l4_raw(b, 47, gre_hdr, sizeof(gre_hdr));
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6, nh=47)/GRE(proto=0x0800)/P(20) */
static void b_ipv6_gre(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_l4_raw(b, 47, gre_hdr, sizeof(gre_hdr));
	pb_finish(b);
}

/*
 * Ether(**E)/IP(**V4, proto=58)/Raw(ICMPv6 Packet Too Big, MTU 1400):
 * ICMPv6's number in IPv4 is no ICMP at all: l4_other, and no path-MTU
 * signal however much it looks like one.
 */
static void b_ipv4_proto_icmp6(struct pb *b)
{
	static const __u8 echo[8] = { 2, 0, 0, 0, 0, 0, 0x05, 0x78 };

	eth_ip4(b, NULL);
	pb_l4_raw(b, 58, echo, sizeof(echo));	/* IPPROTO_ICMPV6 */
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6, nh=1)/Raw(ICMP frag needed, MTU 1400): and the
 * other way round */
static void b_ipv6_nh_icmp(struct pb *b)
{
	static const __u8 echo[8] = { 3, 4, 0, 0, 0, 0, 0x05, 0x78 };

	eth_ip6(b, NULL);
	pb_l4_raw(b, 1, echo, sizeof(echo));	/* IPPROTO_ICMP */
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6, nh=59): no next header, no payload */
static void b_ipv6_no_next(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_finish(b);
}

/* ---- IPv6 extension headers --------------------------------------- */

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/UDP(sport=5000, dport=53) */
static void b_ipv6_hbh_udp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 0, 8);
	pb_udp(b, 5000, 53);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 12)])
 * /TCP(**T): 16 bytes, hdrlen 1 */
static void b_ipv6_hbh16_tcp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 0, 16);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrRouting()/TCP(**T) */
static void b_ipv6_routing_tcp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 43, 8);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 20)])
 * /UDP(sport=5000, dport=53)/P(10) */
static void b_ipv6_dstopts_udp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 60, 24);
	pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 10);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/AH(spi=0x100, seq=1, icv=bytes(0xa0 + i for i in
 * range(12)))/TCP(**T): 24 bytes, payload length 4 (in 4-byte units,
 * minus 2; (4 + 1) * 8 would overrun into the TCP header) */
static void b_ipv6_ah_tcp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ah(b, 0x100, 1, 12);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrFragment(id=9)/TCP(**T): an atomic
 * fragment (offset 0, M 0) is a whole packet, parsed through to L4 */
static void b_ipv6_atomic_frag_tcp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_frag(b, 0, false, 9);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrFragment(id=9)/GRE(proto=0x0800)/P(20):
 * an atomic fragment of another protocol is l4_other, not a fragment */
static void b_ipv6_atomic_frag_gre(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_frag(b, 0, false, 9);
	pb_l4_raw(b, 47, gre_hdr, sizeof(gre_hdr));
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/ICMPv6EchoRequest(id=1, seq=1) */
static void b_ipv6_hbh_icmp6(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 0, 8);
	pb_icmp6(b, 128, 0, 1, 1);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/GRE(proto=0x0800)/P(20) */
static void b_ipv6_hbh_gre(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 0, 8);
	pb_l4_raw(b, 47, gre_hdr, sizeof(gre_hdr));
	pb_finish(b);
}

/* The datagram fragmented below:
 * Ether(**E)/IPv6(**V6)/[IPv6ExtHdrHopByHop()/]IPv6ExtHdrFragment(id=9)
 * /UDP(sport=5000, dport=53)/P(100) */
static void udp_datagram6(struct pb *w, bool hbh)
{
	pb_init(w);
	eth_ip6(w, NULL);
	if (hbh)
		pb_ipv6_ext(w, 0, 8);
	pb_ipv6_frag(w, 0, false, 9);
	pb_udp(w, 5000, 53);
	pb_raw(w, NULL, 100);
	pb_finish(w);
}

/* fragment6(<udp_datagram6>, 102)[0]: offset 0, M 1 (48 bytes) */
static void b_ipv6_frag_first(struct pb *b)
{
	struct pb w;

	udp_datagram6(&w, false);
	pb_fragment(b, &w, 0, 48, true);
}

/* fragment6(<udp_datagram6>, 102)[1]: offset 6, M 1 */
static void b_ipv6_frag_middle(struct pb *b)
{
	struct pb w;

	udp_datagram6(&w, false);
	pb_fragment(b, &w, 48, 48, true);
}

/* fragment6(<udp_datagram6>, 102)[2]: offset 12, M 0 */
static void b_ipv6_frag_last(struct pb *b)
{
	struct pb w;

	udp_datagram6(&w, false);
	pb_fragment(b, &w, 96, 12, false);
}

/* fragment6(<udp_datagram6 with hop-by-hop>, 110)[0] */
static void b_ipv6_hbh_frag_first(struct pb *b)
{
	struct pb w;

	udp_datagram6(&w, true);
	pb_fragment(b, &w, 0, 48, true);
}

/*
 * Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()
 * /IPv6ExtHdrRouting()/IPv6ExtHdrFragment(id=9)/AH(spi=0x100, seq=1,
 * icv=bytes(0xa0 + i for i in range(12)))/IPv6ExtHdrDestOpt()/TCP(**T):
 * six extension headers, the most the parser walks
 */
static void ext_chain(struct pb *b, int n)
{
	static const __u8 types[] = { 0, 60, 43, 44, 51, 60, 60 };
	int i;

	for (i = 0; i < n; i++) {
		if (types[i] == 44)
			pb_ipv6_frag(b, 0, false, 9);
		else if (types[i] == 51)
			pb_ipv6_ah(b, 0x100, 1, 12);
		else
			pb_ipv6_ext(b, types[i], 8);
	}
}

static void b_ipv6_ext_6_deep(struct pb *b)
{
	eth_ip6(b, NULL);
	ext_chain(b, 6);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* As ipv6_ext_6_deep with one more IPv6ExtHdrDestOpt() before TCP */
static void b_ipv6_ext_7_deep(struct pb *b)
{
	eth_ip6(b, NULL);
	ext_chain(b, 7);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/*
 * fragment6(Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()
 *   /IPv6ExtHdrRouting()/IPv6ExtHdrDestOpt()/IPv6ExtHdrDestOpt()
 *   /IPv6ExtHdrFragment(id=9)/UDP(sport=5000, dport=53)/P(100), 136)[0]:
 * a first fragment whose fragment header is the sixth header
 */
static void b_ipv6_frag_at_depth_6(struct pb *b)
{
	static const __u8 types[] = { 0, 60, 43, 60, 60 };
	struct pb w;
	int i;

	pb_init(&w);
	eth_ip6(&w, NULL);
	for (i = 0; i < 5; i++)
		pb_ipv6_ext(&w, types[i], 8);
	pb_ipv6_frag(&w, 0, false, 9);
	pb_udp(&w, 5000, 53);
	pb_raw(&w, NULL, 100);
	pb_finish(&w);
	pb_fragment(b, &w, 0, 48, true);
}

/* Six headers, then a fragment header as the seventh: too deep, even
 * though a fragment header would end the walk */
static void b_ipv6_ext_7th_is_frag(struct pb *b)
{
	static const __u8 types[] = { 0, 60, 43, 60, 60, 60 };
	int i;

	eth_ip6(b, NULL);
	for (i = 0; i < 6; i++)
		pb_ipv6_ext(b, types[i], 8);
	pb_ipv6_frag(b, 8, true, 9);
	pb_raw(b, NULL, 16);
	pb_finish(b);
}

/* ---- VLAN ----------------------------------------------------------- */

/* Ether(**E)/Dot1Q(vlan=100)/IP(**V4)/TCP(**T) */
static void b_vlan_8021q_ipv4_tcp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x8100, 100);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/Dot1AD(vlan=200)/Dot1Q(vlan=100)/IP(**V4)/UDP(sport=5000, dport=53) */
static void b_vlan_qinq_ipv4_udp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x88a8, 200);
	pb_vlan(b, 0x8100, 100);
	pb_ipv4(b, NULL);
	pb_udp(b, 5000, 53);
	pb_finish(b);
}

/* Ether(**E)/Dot1Q(vlan=200)/Dot1Q(vlan=100)/IPv6(**V6)/TCP(**T) */
static void b_vlan_double_8021q_ipv6_tcp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x8100, 200);
	pb_vlan(b, 0x8100, 100);
	pb_ipv6(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/Dot1AD(vlan=300)/IPv6(**V6)/ICMPv6EchoRequest(id=1, seq=1) */
static void b_vlan_8021ad_ipv6_icmp6(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x88a8, 300);
	pb_ipv6(b, NULL);
	pb_icmp6(b, 128, 0, 1, 1);
	pb_finish(b);
}

/* Ether(**E)/Dot1Q(vlan=100)/ARP(hwsrc=E["src"], psrc="192.0.2.1", pdst="192.0.2.2") */
static void b_vlan_arp(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x8100, 100);
	pb_arp(b, "192.0.2.1", "192.0.2.2");
	pb_finish(b);
}

/* Ether(**E)/Dot1AD(vlan=300)/Dot1Q(vlan=200)/Dot1Q(vlan=100)/IP(**V4)/TCP(**T) */
static void b_vlan_three_tags(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x88a8, 300);
	pb_vlan(b, 0x8100, 200);
	pb_vlan(b, 0x8100, 100);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/Dot1Q(vlan=300)/Dot1Q(vlan=200)/Dot1AD(vlan=100)/IP(**V4)/TCP(**T) */
static void b_vlan_three_tags_ad_last(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x8100, 300);
	pb_vlan(b, 0x8100, 200);
	pb_vlan(b, 0x88a8, 100);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* raw(Ether(**E)/Dot1Q(vlan=100)/IP(**V4))[:16]: half a tag */
static void b_vlan_truncated(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x8100, 100);
	pb_ipv4(b, NULL);
	pb_finish(b);
	pb_truncate(b, ETH_LEN + 2);
}

/* raw(Ether(**E)/Dot1AD(vlan=200)/Dot1Q(vlan=100)/IP(**V4))[:21]: the
 * second tag cut short */
static void b_vlan_truncated_second(struct pb *b)
{
	pb_eth(b, NULL);
	pb_vlan(b, 0x88a8, 200);
	pb_vlan(b, 0x8100, 100);
	pb_ipv4(b, NULL);
	pb_finish(b);
	pb_truncate(b, ETH_LEN + 4 + 3);
}

/* ---- non-IP and Ethernet ------------------------------------------ */

/* Ether(**E, dst="ff:ff:ff:ff:ff:ff")/ARP(hwsrc=E["src"], psrc="192.0.2.1",
 * pdst="192.0.2.2") */
static void b_arp(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .dst = "ff:ff:ff:ff:ff:ff" });
	pb_arp(b, "192.0.2.1", "192.0.2.2");
	pb_finish(b);
}

/* Dot3(**E, len=46)/P(46): an 802.3 length, not an ethertype */
static void b_eth_8023(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .type = 46 });
	pb_raw(b, NULL, 46);
	pb_finish(b);
}

/* Ether(**E, type=0x88b5): a bare 14-byte header */
static void b_eth_only(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .type = 0x88b5 });
	pb_finish(b);
}

/* raw(Ether(**E)/IP(**V4))[:10] */
static void b_eth_truncated(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_finish(b);
	pb_truncate(b, 10);
}

/* raw(Ether(**E)/IP(**V4))[:13]: one byte short */
static void b_eth_truncated_13(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_finish(b);
	pb_truncate(b, 13);
}

/* ---- malformed IPv4 ----------------------------------------------- */

/* raw(Ether(**E)/IP(**V4)/TCP(**T))[:33]: 19 bytes of IP header */
static void b_ipv4_truncated(struct pb *b)
{
	b_ipv4_tcp(b);
	pb_truncate(b, ETH_LEN + IP4_LEN - 1);
}

/* Ether(**E, type=0x0800): the frame ends with the Ethernet header */
static void b_ipv4_truncated_empty(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .type = 0x0800 });
	pb_finish(b);
}

/* raw(Ether(**E)/IP(**V4, options=IPOption_Router_Alert()))[:34]: the
 * options (IHL 6) run past the frame */
static void b_ipv4_truncated_options(struct pb *b)
{
	eth_ip4(b, &(struct pb_ipv4_opts){ .opts = ip_opt_ra, .opts_len = 4 });
	pb_finish(b);
	pb_truncate(b, ETH_LEN + IP4_LEN);
}

/* Ether(**E, type=0x0800)/IPv6(**V6)/TCP(**T) */
static void b_ipv4_bad_version(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .type = 0x0800 });
	pb_ipv6(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4, ihl=4)/TCP(**T) */
static void b_ipv4_bad_ihl(struct pb *b)
{
	int ip;

	pb_eth(b, NULL);
	ip = pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, ip, 0x44);
	pb_ipv4_fix_csum(b, ip);
}

/* Ether(**E)/IP(**V4, ihl=0)/TCP(**T) */
static void b_ipv4_bad_ihl_zero(struct pb *b)
{
	int ip;

	pb_eth(b, NULL);
	ip = pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, ip, 0x40);
}

/* Ether(**E)/IP(**V4, len=19)/TCP(**T) */
static void b_ipv4_bad_len(struct pb *b)
{
	int ip;

	pb_eth(b, NULL);
	ip = pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN - 1);
	pb_ipv4_fix_csum(b, ip);
}

/* Ether(**E)/IP(**V4, len=20, options=IPOption_Router_Alert())/TCP(**T):
 * the total length covers the fixed header but not the options */
static void b_ipv4_bad_len_options(struct pb *b)
{
	int ip;

	pb_eth(b, NULL);
	ip = pb_ipv4(b, &(struct pb_ipv4_opts){ .opts = ip_opt_ra,
						 .opts_len = 4 });
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN);
	pb_ipv4_fix_csum(b, ip);
}

/* Ether(**E)/IP(**V4, len=41)/TCP(**T): one byte beyond the frame */
static void b_ipv4_len_beyond(struct pb *b)
{
	int ip;

	pb_eth(b, NULL);
	ip = pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 20 + 1);
	pb_ipv4_fix_csum(b, ip);
}

/* ---- malformed IPv6 ----------------------------------------------- */

/* raw(Ether(**E)/IPv6(**V6)/TCP(**T))[:53]: 39 bytes of IPv6 header */
static void b_ipv6_truncated(struct pb *b)
{
	b_ipv6_tcp(b);
	pb_truncate(b, ETH_LEN + IP6_LEN - 1);
}

/* Ether(**E, type=0x86dd)/IP(**V4, proto=59)/P(40) */
static void b_ipv6_bad_version(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .type = 0x86dd });
	pb_ipv4(b, NULL);
	pb_raw(b, NULL, 40);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6, plen=21)/TCP(**T): one byte beyond the frame */
static void b_ipv6_len_beyond(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 4, 21);
}

/* Ether(**E)/IPv6(**V6, nh=0)/Raw(b"\x06"): the hop-by-hop header runs
 * past the frame */
static void b_ipv6_ext_truncated_frame(struct pb *b)
{
	static const __u8 nh = 6;

	/* next header 0 (hop-by-hop) comes from the raw layer's type */
	eth_ip6(b, NULL);
	pb_l4_raw(b, 0, &nh, 1);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6, plen=8)/IPv6ExtHdrHopByHop(options=
 * [PadN(optdata=b"\0" * 12)])/TCP(**T): the header is 16 bytes, the
 * payload length 8; the rest of the frame is beyond the packet */
static void b_ipv6_ext_truncated_len(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_ipv6_ext(b, 0, 16);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 4, 8);
}

/* raw(Ether(**E)/IPv6(**V6, plen=4)/IPv6ExtHdrFragment(offset=1, m=1,
 * id=9))[:58]: half a fragment header, and the frame ends */
static void b_ipv6_frag_hdr_truncated_frame(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_ipv6_frag(b, 8, true, 9);
	pb_finish(b);
	pb_put16(b, ip + 4, 4);
	pb_truncate(b, ETH_LEN + IP6_LEN + 4);
}

/* Ether(**E)/IPv6(**V6, plen=4)/IPv6ExtHdrFragment(offset=1, m=1, id=9)
 * /Z(16): the frame has the bytes, the payload length does not */
static void b_ipv6_frag_hdr_truncated_len(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_ipv6_frag(b, 8, true, 9);
	pb_pad(b, 16);
	pb_finish(b);
	pb_put16(b, ip + 4, 4);
}

/* Ether(**E)/IPv6(**V6, plen=20)/AH(spi=0x100, seq=1, icv=...12 bytes)
 * /TCP(**T): the 24-byte AH runs past the payload length */
static void b_ipv6_ah_truncated(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_ipv6_ah(b, 0x100, 1, 12);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 4, 20);
}

/* Ether(**E)/IPv6(**V6)/IPv6ExtHdrHopByHop()/TCP(**T, dataofs=4) */
static void b_ipv6_hbh_tcp_bad_doff(struct pb *b)
{
	int tcp;

	eth_ip6(b, NULL);
	pb_ipv6_ext(b, 0, 8);
	tcp = pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, tcp + 12, 4 << 4);
}

/* ---- malformed L4 --------------------------------------------------- */

/* Ether(**E)/IP(**V4, len=30)/TCP(**T), cut after 10 bytes of TCP */
static void b_tcp_truncated_frame(struct pb *b)
{
	int ip;

	ip = eth_ip4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 10);
	pb_ipv4_fix_csum(b, ip);
	pb_truncate(b, ETH_LEN + IP4_LEN + 10);
}

/* Ether(**E)/IP(**V4, len=30)/TCP(**T): the frame has the whole header,
 * the IP total length only 10 bytes of it */
static void b_tcp_truncated_iplen(struct pb *b)
{
	int ip;

	ip = eth_ip4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 10);
	pb_ipv4_fix_csum(b, ip);
}

/* Ether(**E)/IPv6(**V6, plen=12)/TCP(**T), cut after 12 bytes of TCP */
static void b_ipv6_tcp_truncated(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 4, 12);
	pb_truncate(b, ETH_LEN + IP6_LEN + 12);
}

/* Ether(**E)/IP(**V4)/TCP(**T, dataofs=4) */
static void b_tcp_bad_doff(struct pb *b)
{
	int tcp;

	eth_ip4(b, NULL);
	tcp = pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, tcp + 12, 4 << 4);
}

/* Ether(**E)/IP(**V4)/TCP(**T, dataofs=0) */
static void b_tcp_bad_doff_zero(struct pb *b)
{
	int tcp;

	eth_ip4(b, NULL);
	tcp = pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, tcp + 12, 0);
}

/* Ether(**E)/IP(**V4)/TCP(**T, dataofs=15): 60 bytes claimed, 20 there */
static void b_tcp_doff_beyond(struct pb *b)
{
	int tcp;

	eth_ip4(b, NULL);
	tcp = pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, tcp + 12, 15 << 4);
}

/* Ether(**E)/IP(**V4)/TCP(**T, dataofs=6)/Z(6): the frame has the bytes,
 * the IP packet does not */
static void b_tcp_doff_beyond_padding(struct pb *b)
{
	int tcp;

	eth_ip4(b, NULL);
	tcp = pb_tcp(b, &tcp_def);
	pb_pad(b, 6);
	pb_finish(b);
	pb_put8(b, tcp + 12, 6 << 4);
}

/* raw(Ether(**E)/IP(**V4, len=24)/UDP(sport=5000, dport=53))[:38] */
static void b_udp_truncated_frame(struct pb *b)
{
	int ip;

	ip = eth_ip4(b, NULL);
	pb_udp(b, 5000, 53);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 4);
	pb_ipv4_fix_csum(b, ip);
	pb_truncate(b, ETH_LEN + IP4_LEN + 4);
}

/* Ether(**E)/IP(**V4, len=24)/UDP(sport=5000, dport=53)/P(10) */
static void b_udp_truncated_iplen(struct pb *b)
{
	int ip;

	ip = eth_ip4(b, NULL);
	pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 10);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 4);
	pb_ipv4_fix_csum(b, ip);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53, len=7)/P(10) */
static void b_udp_bad_len_short(struct pb *b)
{
	int udp;

	eth_ip4(b, NULL);
	udp = pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 10);
	pb_finish(b);
	pb_put16(b, udp + 4, 7);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53, len=19)/P(10) */
static void b_udp_bad_len_beyond(struct pb *b)
{
	int udp;

	eth_ip4(b, NULL);
	udp = pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 10);
	pb_finish(b);
	pb_put16(b, udp + 4, 19);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53, len=24)/P(10)/Z(6): the
 * UDP length reaches into the Ethernet padding */
static void b_udp_bad_len_padding(struct pb *b)
{
	int udp;

	eth_ip4(b, NULL);
	udp = pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 10);
	pb_pad(b, 6);
	pb_finish(b);
	pb_put16(b, udp + 4, 24);
}

/* Ether(**E)/IPv6(**V6)/UDP(sport=5000, dport=53, len=0) */
static void b_ipv6_udp_bad_len_zero(struct pb *b)
{
	int udp;

	eth_ip6(b, NULL);
	udp = pb_udp(b, 5000, 53);
	pb_finish(b);
	pb_put16(b, udp + 4, 0);
}

/* raw(Ether(**E)/IP(**V4, len=24)/ICMP(id=1, seq=1))[:38] */
static void b_icmp_truncated(struct pb *b)
{
	int ip;

	ip = eth_ip4(b, NULL);
	pb_icmp(b, 8, 0, 1, 1);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 4);
	pb_ipv4_fix_csum(b, ip);
	pb_truncate(b, ETH_LEN + IP4_LEN + 4);
}

/* Ether(**E)/IP(**V4, len=27)/ICMP(id=1, seq=1): 7 bytes of ICMP in the
 * IP packet, 8 in the frame */
static void b_icmp_truncated_iplen(struct pb *b)
{
	int ip;

	ip = eth_ip4(b, NULL);
	pb_icmp(b, 8, 0, 1, 1);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 7);
	pb_ipv4_fix_csum(b, ip);
}

/* raw(Ether(**E)/IPv6(**V6, plen=3)/ICMPv6EchoRequest(id=1, seq=1))[:57] */
static void b_icmp6_truncated(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_icmp6(b, 128, 0, 1, 1);
	pb_finish(b);
	pb_put16(b, ip + 4, 3);
	pb_truncate(b, ETH_LEN + IP6_LEN + 3);
}

/* Ether(**E)/IPv6(**V6, plen=3)/ICMPv6EchoRequest(id=1, seq=1) */
static void b_icmp6_truncated_iplen(struct pb *b)
{
	int ip;

	ip = eth_ip6(b, NULL);
	pb_icmp6(b, 128, 0, 1, 1);
	pb_finish(b);
	pb_put16(b, ip + 4, 3);
}

/* ---- VXLAN ---------------------------------------------------------- */

/* Ether(**E)/IP(**V4)/UDP(sport=54321, dport=dport)/VXLAN(vni=42) */
static int vxlan4(struct pb *b, __u16 dport)
{
	int ip = eth_ip4(b, NULL);

	pb_udp(b, 54321, dport);
	pb_vxlan(b, 42);
	return ip;
}

/* inner: Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") */
static void inner_eth(struct pb *b)
{
	pb_eth(b, &(struct pb_eth_opts){ .src = "02:00:00:00:01:01",
					  .dst = "02:00:00:00:01:02" });
}

/* inner: IP(src="203.0.113.1", dst="203.0.113.2", id=0) */
static int inner_ip4(struct pb *b)
{
	return pb_ipv4(b, &(struct pb_ipv4_opts){ .src = "203.0.113.1",
						   .dst = "203.0.113.2" });
}

/* <vxlan4, dport=4789>/<inner eth>/<inner ip4>/TCP(**T) */
static void b_vxlan_ipv4_tcp(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IPv6(**V6)/UDP(sport=54321, dport=4789)/VXLAN(vni=42)
 * /<inner eth>/IPv6(src="2001:db8:1::1", dst="2001:db8:1::2")/UDP(sport=5000, dport=53)/P(8) */
static void b_vxlan6_ipv6_udp(struct pb *b)
{
	eth_ip6(b, NULL);
	pb_udp(b, 54321, VXLAN_PORT);
	pb_vxlan(b, 42);
	inner_eth(b);
	pb_ipv6(b, &(struct pb_ipv6_opts){ .src = "2001:db8:1::1",
					   .dst = "2001:db8:1::2" });
	pb_udp(b, 5000, 53);
	pb_raw(b, NULL, 8);
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/<inner ip4>/ICMP(id=1, seq=1) */
static void b_vxlan_inner_icmp(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	inner_ip4(b);
	pb_icmp(b, 8, 0, 1, 1);
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/<inner ip4, id=7, flags="MF">/P(16):
 * an inner first fragment still gives an inner tuple (without ports) */
static void b_vxlan_inner_frag(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	pb_ipv4(b, &(struct pb_ipv4_opts){ .src = "203.0.113.1",
					   .dst = "203.0.113.2", .id = 7,
					   .frag = PB_IP_MF, .proto = 17 });
	pb_raw(b, NULL, 16);
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/ARP(...): nothing to hash, not
 * counted as VXLAN, and no error either */
static void b_vxlan_inner_arp(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	pb_arp(b, "203.0.113.1", "203.0.113.2");
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/Dot1Q(vlan=5)/<inner ip4>/TCP(**T):
 * inner VLAN tags are not parsed */
static void b_vxlan_inner_vlan(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	pb_vlan(b, 0x8100, 5);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* <vxlan4, dport=8472>/<inner eth>/<inner ip4>/TCP(**T) */
static void b_vxlan_port_8472(struct pb *b)
{
	vxlan4(b, 8472);
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* <vxlan4, dport=4790>/<inner eth>/<inner ip4>/TCP(**T) */
static void b_vxlan_port_4790(struct pb *b)
{
	vxlan4(b, 4790);
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(sport=4789, dport=33333)/VXLAN(vni=42)/...:
 * only the destination port selects VXLAN */
static void b_vxlan_source_port(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_udp(b, VXLAN_PORT, 33333);
	pb_vxlan(b, 42);
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/<inner ip4>/UDP(sport=5000, dport=4789)
 * /VXLAN(vni=7)/Ether()/IP()/TCP(**T): VXLAN in VXLAN; only the outer
 * tunnel is parsed (the inner parse has no config) */
static void b_vxlan_nested(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	inner_ip4(b);
	pb_udp(b, 5000, VXLAN_PORT);
	pb_vxlan(b, 7);
	pb_eth(b, NULL);
	pb_ipv4(b, NULL);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=0)/VXLAN(vni=42)/...: port 0
 * marks an unused slot in the config and never selects VXLAN */
static void b_udp_dport_0(struct pb *b)
{
	eth_ip4(b, NULL);
	pb_udp(b, 5000, 0);
	pb_vxlan(b, 42);
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
}

/* <vxlan4, dport=4789>/P(10): the inner Ethernet header is cut short */
static void b_vxlan_truncated_eth(struct pb *b)
{
	vxlan4(b, VXLAN_PORT);
	pb_raw(b, NULL, 10);
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/raw(<inner ip4>/TCP(**T))[:12] */
static void b_vxlan_truncated_ipv4(struct pb *b)
{
	static const __u8 ip4[12] = { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6 };

	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	pb_l3_raw(b, 0x0800, ip4, sizeof(ip4));
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/raw(IPv6(src="2001:db8:1::1", dst="2001:db8:1::2"))[:30] */
static void b_vxlan_truncated_ipv6(struct pb *b)
{
	static const __u8 ip6[30] = { 0x60, 0, 0, 0, 0, 0, 59, 64, 0x20, 0x01,
					     0x0d, 0xb8, 0, 1 };

	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	pb_l3_raw(b, 0x86dd, ip6, sizeof(ip6));
	pb_finish(b);
}

/* <vxlan4, dport=4789>/<inner eth>/<inner ip4>/TCP(**T, dataofs=4) */
static void b_vxlan_inner_tcp_bad_doff(struct pb *b)
{
	int tcp;

	vxlan4(b, VXLAN_PORT);
	inner_eth(b);
	inner_ip4(b);
	tcp = pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put8(b, tcp + 12, 4 << 4);
}

/*
 * Ether(**E)/IP(**V4, len=36)/UDP(sport=54321, dport=4789, len=16)
 *   /VXLAN(vni=42)/Padding(raw(<inner eth>/<inner ip4>/TCP(**T))):
 * the outer packet ends with the VXLAN header; what follows is beyond
 * it (Ethernet trailer) and must not be parsed as an inner packet
 */
static void b_vxlan_inner_beyond_outer(struct pb *b)
{
	int ip, udp;

	ip = vxlan4(b, VXLAN_PORT);
	udp = ip + IP4_LEN;
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 8 + 8);
	pb_ipv4_fix_csum(b, ip);
	pb_put16(b, udp + 4, 8 + 8);
}

/* As vxlan_inner_beyond_outer, with an inner ARP: the inner Ethernet
 * header itself lies past the outer packet */
static void b_vxlan_inner_eth_beyond_outer(struct pb *b)
{
	int ip, udp;

	ip = vxlan4(b, VXLAN_PORT);
	udp = ip + IP4_LEN;
	inner_eth(b);
	pb_arp(b, "203.0.113.1", "203.0.113.2");
	pb_finish(b);
	pb_put16(b, ip + 2, IP4_LEN + 8 + 8);
	pb_ipv4_fix_csum(b, ip);
	pb_put16(b, udp + 4, 8 + 8);
}

/*
 * Ether(**E)/IP(**V4, len=90)/UDP(sport=54321, dport=4789, len=70)
 *   /VXLAN(vni=42)/<inner eth>/<inner ip4>/TCP(**T), with the outer
 * lengths ending 20 bytes early: the inner IP total length (40) runs
 * past the outer packet, into the Ethernet trailer
 */
static void b_vxlan_inner_len_beyond_outer(struct pb *b)
{
	int ip, udp;

	ip = vxlan4(b, VXLAN_PORT);
	udp = ip + IP4_LEN;
	inner_eth(b);
	inner_ip4(b);
	pb_tcp(b, &tcp_def);
	pb_finish(b);
	pb_put16(b, ip + 2, pb_get16(b, ip + 2) - 20);
	pb_ipv4_fix_csum(b, ip);
	pb_put16(b, udp + 4, pb_get16(b, udp + 4) - 20);
}

/* ---- the table -------------------------------------------------------- */

static const struct parse_case cases[] = {
	/* good: IPv4/IPv6 x TCP/UDP/ICMP */
	{ "ipv4_tcp", b_ipv4_tcp, HOOK_BOTH, .exp = { C(ipv4, 1), C(tcp, 1) } },
	{ "ipv4_tcp_options", b_ipv4_tcp_options, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(tcp, 1) } },
	{ "ipv4_tcp_eth_padding", b_ipv4_tcp_eth_padding, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(tcp, 1) } },
	{ "ipv4_udp", b_ipv4_udp, HOOK_BOTH, .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "ipv4_udp_empty", b_ipv4_udp_empty, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "ipv4_udp_eth_padding", b_ipv4_udp_eth_padding, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "ipv4_udp_len_below_ip", b_ipv4_udp_len_below_ip, HOOK_XDP,
	  .lengths_differ = true, .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "ipv4_icmp", b_ipv4_icmp, HOOK_BOTH, .exp = { C(ipv4, 1), C(icmp, 1) } },
	{ "ipv4_icmp_payload", b_ipv4_icmp_payload, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(icmp, 1) } },
	{ "ipv6_tcp", b_ipv6_tcp, HOOK_BOTH, .exp = { C(ipv6, 1), C(tcp, 1) } },
	{ "ipv6_udp", b_ipv6_udp, HOOK_BOTH, .exp = { C(ipv6, 1), C(udp, 1) } },
	{ "ipv6_icmp6", b_ipv6_icmp6, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(icmp6, 1) } },
	{ "ipv6_icmp6_4_bytes", b_ipv6_icmp6_4_bytes, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(icmp6, 1) } },

	/* IPv4 options and fragments */
	{ "ipv4_options_router_alert", b_ipv4_options_ra, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(ip_options, 1), C(udp, 1) } },
	{ "ipv4_options_max", b_ipv4_options_max, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(ip_options, 1), C(tcp, 1) } },
	{ "ipv4_df_not_fragment", b_ipv4_df, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(tcp, 1) } },
	{ "ipv4_frag_first", b_ipv4_frag_first, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(fragment, 1) } },
	{ "ipv4_frag_middle", b_ipv4_frag_middle, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(fragment, 1) } },
	{ "ipv4_frag_last", b_ipv4_frag_last, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(fragment, 1) } },
	{ "ipv4_frag_first_partial_tcp", b_ipv4_frag_first_partial_tcp,
	  HOOK_XDP, .exp = { C(ipv4, 1), C(fragment, 1) } },
	{ "ipv4_frag_first_vxlan_port", b_ipv4_frag_first_vxlan_port, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(fragment, 1) } },

	/* other L4 */
	{ "ipv4_gre", b_ipv4_gre, HOOK_BOTH, .exp = { C(ipv4, 1), C(l4_other, 1) } },
	{ "ipv6_gre", b_ipv6_gre, HOOK_XDP, .exp = { C(ipv6, 1), C(l4_other, 1) } },
	{ "ipv4_proto_icmp6", b_ipv4_proto_icmp6, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(l4_other, 1) } },
	{ "ipv6_nh_icmp", b_ipv6_nh_icmp, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(l4_other, 1) } },
	{ "ipv6_no_next_header", b_ipv6_no_next, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(l4_other, 1) } },

	/* IPv6 extension headers */
	{ "ipv6_ext_hbh_udp", b_ipv6_hbh_udp, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(udp, 1) } },
	{ "ipv6_ext_hbh16_tcp", b_ipv6_hbh16_tcp, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(tcp, 1) } },
	{ "ipv6_ext_routing_tcp", b_ipv6_routing_tcp, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(tcp, 1) } },
	{ "ipv6_ext_dstopts_udp", b_ipv6_dstopts_udp, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(udp, 1) } },
	{ "ipv6_ext_ah_tcp", b_ipv6_ah_tcp, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(tcp, 1) } },
	{ "ipv6_ext_atomic_frag_tcp", b_ipv6_atomic_frag_tcp, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(tcp, 1) } },
	{ "ipv6_ext_atomic_frag_gre", b_ipv6_atomic_frag_gre, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(l4_other, 1) } },
	{ "ipv6_ext_hbh_icmp6", b_ipv6_hbh_icmp6, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(icmp6, 1) } },
	{ "ipv6_ext_hbh_gre", b_ipv6_hbh_gre, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(l4_other, 1) } },
	{ "ipv6_frag_first", b_ipv6_frag_first, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(fragment, 1) } },
	{ "ipv6_frag_middle", b_ipv6_frag_middle, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(fragment, 1) } },
	{ "ipv6_frag_last", b_ipv6_frag_last, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(fragment, 1) } },
	{ "ipv6_frag_first_after_hbh", b_ipv6_hbh_frag_first, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(fragment, 1) } },
	{ "ipv6_ext_6_deep", b_ipv6_ext_6_deep, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(tcp, 1) } },
	{ "ipv6_frag_at_depth_6", b_ipv6_frag_at_depth_6, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(fragment, 1) } },

	/* VLAN */
	{ "vlan_8021q_ipv4_tcp", b_vlan_8021q_ipv4_tcp, HOOK_BOTH,
	  .exp = { C(vlan, 1), C(ipv4, 1), C(tcp, 1) } },
	{ "vlan_qinq_ipv4_udp", b_vlan_qinq_ipv4_udp, HOOK_BOTH,
	  .exp = { C(vlan, 1), C(ipv4, 1), C(udp, 1) } },
	{ "vlan_double_8021q_ipv6_tcp", b_vlan_double_8021q_ipv6_tcp, HOOK_XDP,
	  .exp = { C(vlan, 1), C(ipv6, 1), C(tcp, 1) } },
	{ "vlan_8021ad_ipv6_icmp6", b_vlan_8021ad_ipv6_icmp6, HOOK_XDP,
	  .exp = { C(vlan, 1), C(ipv6, 1), C(icmp6, 1) } },
	{ "vlan_arp", b_vlan_arp, HOOK_XDP, .exp = { C(vlan, 1), C(non_ip, 1) } },

	/* non-IP */
	{ "arp", b_arp, HOOK_BOTH, .exp = { C(non_ip, 1) } },
	{ "eth_8023_length", b_eth_8023, HOOK_XDP, .exp = { C(non_ip, 1) } },
	{ "eth_header_only", b_eth_only, HOOK_BOTH, .exp = { C(non_ip, 1) } },

	/* VXLAN */
	{ "vxlan_ipv4_tcp", b_vxlan_ipv4_tcp, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(udp, 1), C(vxlan, 1) } },
	{ "vxlan_over_ipv6_inner_ipv6_udp", b_vxlan6_ipv6_udp, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(udp, 1), C(vxlan, 1) } },
	{ "vxlan_inner_icmp", b_vxlan_inner_icmp, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(vxlan, 1) } },
	{ "vxlan_inner_fragment", b_vxlan_inner_frag, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(vxlan, 1) } },
	{ "vxlan_inner_arp", b_vxlan_inner_arp, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_inner_vlan_not_parsed", b_vxlan_inner_vlan, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_port_8472_not_configured", b_vxlan_port_8472, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_source_port_not_vxlan", b_vxlan_source_port, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_cfg_8472_parsed", b_vxlan_port_8472, HOOK_BOTH,
	  .cfg = "vxlan.ports=8472",
	  .exp = { C(ipv4, 1), C(udp, 1), C(vxlan, 1) } },
	{ "vxlan_cfg_8472_4789_not_parsed", b_vxlan_ipv4_tcp, HOOK_BOTH,
	  .cfg = "vxlan.ports=8472", .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_cfg_none", b_vxlan_ipv4_tcp, HOOK_XDP,
	  .cfg = "vxlan.ports=none", .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_cfg_fourth_slot", b_vxlan_port_4790, HOOK_XDP,
	  .cfg = "vxlan.ports=1,8472,4789,4790",
	  .exp = { C(ipv4, 1), C(udp, 1), C(vxlan, 1) } },
	{ "vxlan_nested_parsed_once", b_vxlan_nested, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(vxlan, 1) } },
	{ "udp_dport_0_not_vxlan", b_udp_dport_0, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1) } },
	{ "vxlan_truncated_inner_eth", b_vxlan_truncated_eth, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },
	{ "vxlan_truncated_inner_ipv4", b_vxlan_truncated_ipv4, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },
	{ "vxlan_truncated_inner_ipv6", b_vxlan_truncated_ipv6, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },
	{ "vxlan_inner_tcp_bad_doff", b_vxlan_inner_tcp_bad_doff, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },
	{ "vxlan_inner_beyond_outer", b_vxlan_inner_beyond_outer, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },
	{ "vxlan_inner_eth_beyond_outer", b_vxlan_inner_eth_beyond_outer,
	  HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },
	{ "vxlan_inner_len_beyond_outer", b_vxlan_inner_len_beyond_outer,
	  HOOK_XDP,
	  .exp = { C(ipv4, 1), C(udp, 1), C(parse_vxlan_truncated, 1) } },

	/* malformed L2 */
	{ "eth_truncated", b_eth_truncated, HOOK_XDP,
	  .exp = { C(parse_eth_truncated, 1) } },
	{ "eth_truncated_13", b_eth_truncated_13, HOOK_XDP,
	  .exp = { C(parse_eth_truncated, 1) } },
	{ "vlan_truncated", b_vlan_truncated, HOOK_BOTH,
	  .exp = { C(parse_vlan_truncated, 1) } },
	{ "vlan_truncated_second_tag", b_vlan_truncated_second, HOOK_XDP,
	  .exp = { C(vlan, 1), C(parse_vlan_truncated, 1) } },
	{ "vlan_too_deep", b_vlan_three_tags, HOOK_BOTH,
	  .exp = { C(vlan, 1), C(parse_vlan_too_deep, 1) } },
	{ "vlan_too_deep_8021ad_third", b_vlan_three_tags_ad_last, HOOK_XDP,
	  .exp = { C(vlan, 1), C(parse_vlan_too_deep, 1) } },

	/* malformed IPv4; the kernel's skb test run refuses (EINVAL) an
	 * IP ethertype without a whole IP header, so truncated IP headers
	 * run through XDP only */
	{ "ipv4_truncated", b_ipv4_truncated, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_ipv4_truncated, 1) } },
	{ "ipv4_truncated_empty", b_ipv4_truncated_empty, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_ipv4_truncated, 1) } },
	{ "ipv4_truncated_options", b_ipv4_truncated_options, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_ipv4_truncated, 1) } },
	{ "ipv4_bad_version", b_ipv4_bad_version, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_ipv4_bad_version, 1) } },
	{ "ipv4_bad_ihl", b_ipv4_bad_ihl, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_ipv4_bad_ihl, 1) } },
	{ "ipv4_bad_ihl_zero", b_ipv4_bad_ihl_zero, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_ipv4_bad_ihl, 1) } },
	{ "ipv4_bad_len", b_ipv4_bad_len, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_ipv4_bad_len, 1) } },
	{ "ipv4_bad_len_options", b_ipv4_bad_len_options, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_ipv4_bad_len, 1) } },
	{ "ipv4_len_beyond", b_ipv4_len_beyond, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_ipv4_len_beyond, 1) } },

	/* malformed IPv6 */
	{ "ipv6_truncated", b_ipv6_truncated, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(parse_ipv6_truncated, 1) } },
	{ "ipv6_bad_version", b_ipv6_bad_version, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(parse_ipv6_bad_version, 1) } },
	{ "ipv6_len_beyond", b_ipv6_len_beyond, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(parse_ipv6_len_beyond, 1) } },
	{ "ipv6_ext_truncated_frame", b_ipv6_ext_truncated_frame, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_truncated, 1) } },
	{ "ipv6_ext_truncated_len", b_ipv6_ext_truncated_len, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_truncated, 1) } },
	{ "ipv6_frag_hdr_truncated_frame", b_ipv6_frag_hdr_truncated_frame,
	  HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_truncated, 1) } },
	{ "ipv6_frag_hdr_truncated_len", b_ipv6_frag_hdr_truncated_len, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_truncated, 1) } },
	{ "ipv6_ext_ah_truncated", b_ipv6_ah_truncated, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_truncated, 1) } },
	{ "ipv6_ext_too_deep", b_ipv6_ext_7_deep, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_too_deep, 1) } },
	{ "ipv6_ext_too_deep_7th_is_frag", b_ipv6_ext_7th_is_frag, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_ipv6_ext_too_deep, 1) } },

	/* malformed L4 */
	{ "tcp_truncated_frame", b_tcp_truncated_frame, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_tcp_truncated, 1) } },
	{ "tcp_truncated_iplen", b_tcp_truncated_iplen, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_tcp_truncated, 1) } },
	{ "ipv6_tcp_truncated", b_ipv6_tcp_truncated, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(parse_tcp_truncated, 1) } },
	{ "tcp_bad_doff", b_tcp_bad_doff, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_tcp_bad_doff, 1) } },
	{ "tcp_bad_doff_zero", b_tcp_bad_doff_zero, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_tcp_bad_doff, 1) } },
	{ "ipv6_ext_tcp_bad_doff", b_ipv6_hbh_tcp_bad_doff, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(ipv6_ext, 1), C(parse_tcp_bad_doff, 1) } },
	{ "tcp_doff_beyond", b_tcp_doff_beyond, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_tcp_doff_beyond, 1) } },
	{ "tcp_doff_beyond_padding", b_tcp_doff_beyond_padding, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_tcp_doff_beyond, 1) } },
	{ "udp_truncated_frame", b_udp_truncated_frame, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_udp_truncated, 1) } },
	{ "udp_truncated_iplen", b_udp_truncated_iplen, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_udp_truncated, 1) } },
	{ "udp_bad_len_short", b_udp_bad_len_short, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_udp_bad_len, 1) } },
	{ "udp_bad_len_beyond", b_udp_bad_len_beyond, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_udp_bad_len, 1) } },
	{ "udp_bad_len_into_padding", b_udp_bad_len_padding, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_udp_bad_len, 1) } },
	{ "ipv6_udp_bad_len_zero", b_ipv6_udp_bad_len_zero, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(parse_udp_bad_len, 1) } },
	{ "icmp_truncated", b_icmp_truncated, HOOK_BOTH,
	  .exp = { C(ipv4, 1), C(parse_icmp_truncated, 1) } },
	{ "icmp_truncated_iplen", b_icmp_truncated_iplen, HOOK_XDP,
	  .exp = { C(ipv4, 1), C(parse_icmp_truncated, 1) } },
	{ "icmp6_truncated", b_icmp6_truncated, HOOK_BOTH,
	  .exp = { C(ipv6, 1), C(parse_icmp6_truncated, 1) } },
	{ "icmp6_truncated_iplen", b_icmp6_truncated_iplen, HOOK_XDP,
	  .exp = { C(ipv6, 1), C(parse_icmp6_truncated, 1) } },
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

static bool expects_reason(const struct parse_case *c)
{
	int i;

	for (i = 0; c->exp[i].name; i++)
		if (!strncmp(c->exp[i].name, "parse_", 6))
			return true;
	return false;
}

static bool case_config(const struct parse_case *c, struct chimney_config *cfg)
{
	char kv[128], err[128], *eq;

	/* Parser cases measure the parser alone: the checksum stage (on by
	 * default) would add its own counters to every good frame, and has
	 * its own tests in test_csum.c. */
	config_defaults(cfg);
	if (config_apply_one(cfg, "csum", "off", err, sizeof(err))) {
		unit_fail("config csum=off: %s", err);
		return false;
	}
	if (!c->cfg)
		return true;
	snprintf(kv, sizeof(kv), "%s", c->cfg);
	eq = strchr(kv, '=');
	if (!ASSERT_OK_PTR(eq, "case config is key=value"))
		return false;
	*eq = 0;
	if (config_apply_one(cfg, kv, eq + 1, err, sizeof(err))) {
		unit_fail("config %s: %s", c->cfg, err);
		return false;
	}
	return true;
}

static void run_case(const struct unit_test *t, enum unit_hook hook)
{
	const struct parse_case *c = t->arg;
	struct chimney_config cfg;
	char err[160];
	struct pb b;

	pb_init(&b);
	c->build(&b);
	/* Good fixtures double as fixtures for checksum and MSS work:
	 * their lengths and checksums must be right. */
	if (!expects_reason(c) && !c->lengths_differ &&
	    pb_check(&b, err, sizeof(err)))
		unit_fail("fixture %s is inconsistent: %s", c->name, err);
	if (!case_config(c, &cfg))
		return;
	if (!env_run_expect(hook, b.data, b.len, &cfg, c->exp))
		unit_hexdump("frame", b.data, b.len);
}

static void run_xdp(const struct unit_test *t)
{
	run_case(t, UNIT_XDP);
}

static void run_tc(const struct unit_test *t)
{
	run_case(t, UNIT_TC);
}

/* Every parse reason has at least one XDP case: a reason added to the
 * list without a test here fails this. */
UNIT_TEST(parse_every_reason_covered)
{
#define __REASON(n, h) #n,
	static const char *const reasons[] = {
		CHIMNEY_PARSE_REASONS(__REASON)
	};
#undef __REASON
	size_t r, i;
	int j;

	for (r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
		bool found = false;

		for (i = 0; i < NR_CASES && !found; i++) {
			if (!(cases[i].hooks & HOOK_XDP))
				continue;
			for (j = 0; cases[i].exp[j].name; j++)
				if (!strcmp(cases[i].exp[j].name, reasons[r]))
					found = true;
		}
		ASSERT_TRUE(found, reasons[r]);
	}
}

__attribute__((constructor)) static void register_parse_cases(void)
{
	size_t i;
	char *name;

	for (i = 0; i < NR_CASES; i++) {
		if (cases[i].hooks & HOOK_XDP) {
			if (asprintf(&name, "xdp_parse_%s", cases[i].name) < 0)
				abort();
			unit_register(name, run_xdp, &cases[i]);
		}
	}
	for (i = 0; i < NR_CASES; i++) {
		if (cases[i].hooks & HOOK_TC) {
			if (asprintf(&name, "tc_parse_%s", cases[i].name) < 0)
				abort();
			unit_register(name, run_tc, &cases[i]);
		}
	}
}
