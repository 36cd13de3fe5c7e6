/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One packet parser for both hooks. It fills struct pkt with offsets and
 * the tuple and returns 0, or the HC_parse_* index of the reason it gave
 * up. It never reads past data_end and never changes the packet.
 *
 * Every pointer is re-derived from `data` plus a masked offset and
 * checked against data_end right before use: that is the shape the
 * verifier can follow through the unrolled loops below (lib/verifier.h:
 * masked offsets; packet pointers are re-derived, not kept).
 */
#ifndef CHIMNEY_BPF_PARSE_H
#define CHIMNEY_BPF_PARSE_H

#include "common.h"

#define VXLAN_HLEN		8
#define IPV6_EXT_MAX_DEPTH	6
#define VLAN_MAX_DEPTH		2

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ipv6_opt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;
};

/*
 * The parse functions below serve the outer packet and, for VXLAN, the
 * inner one (`inner`, a constant in every caller). They write straight
 * into struct pkt: the outer packet fills the tuple and the L3/L4
 * fields, an inner packet only pkt->inner, inner_tcp_flags and
 * PKT_F_INNER_FRAG. No intermediate result struct: copying one into
 * pkt would cost a copy and its spills on every packet.
 */
#define PARSE_OUTER	0
#define PARSE_INNER	1

/* parse_l4()'s "parsed, and it is UDP to a VXLAN port"; above every
 * HC_parse_* reason (see the _Static_assert below). */
#define PARSE_VXLAN	64

static __always_inline int ipv6_is_ext(__u8 nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
		return 1;
	}
	return 0;
}

static __always_inline int is_vxlan_port(const struct chimney_config *cfg,
					 __be16 nport)
{
	__u16 port = bpf_ntohs(nport);
	int i;

	if (!cfg || !port)
		return 0;
#pragma unroll
	for (i = 0; i < CHIMNEY_MAX_VXLAN_PORTS; i++)
		if (cfg->vxlan_ports[i] == port)
			return 1;
	return 0;
}

/*
 * L4: read ports (and TCP flags), check the header against both the IP
 * payload length and data_end. `l4_len` is the IP payload length as the
 * IP header claims it, already known to lie within the frame. Returns
 * 0, a reason, or PARSE_VXLAN.
 */
static __always_inline int parse_l4(void *data, void *data_end, __u32 off,
				    __u32 l4_len, struct pkt *pkt, int inner,
				    const struct chimney_config *cfg)
{
	struct chimney_tuple *t = inner ? &pkt->inner : &pkt->tuple;
	int ret = 0;
	void *p;

	/* lib/verifier.h: masked offsets */
	off &= PKT_OFF_MASK;
	p = data + off;

	switch (t->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = p;
		__u32 doff;

		if ((void *)(th + 1) > data_end || l4_len < sizeof(*th))
			return HC_parse_tcp_truncated;
		doff = th->doff * 4;
		if (doff < sizeof(*th))
			return HC_parse_tcp_bad_doff;
		if (doff > l4_len)
			return HC_parse_tcp_doff_beyond;
		if (p + doff > data_end)
			return HC_parse_tcp_truncated;
		t->sport = th->source;
		t->dport = th->dest;
		if (inner)
			pkt->inner_tcp_flags = ((__u8 *)th)[13];
		else
			pkt->tcp_flags = ((__u8 *)th)[13];
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = p;
		__u32 ulen;

		if ((void *)(uh + 1) > data_end || l4_len < sizeof(*uh))
			return HC_parse_udp_truncated;
		ulen = bpf_ntohs(uh->len);
		if (ulen < sizeof(*uh) || ulen > l4_len)
			return HC_parse_udp_bad_len;
		t->sport = uh->source;
		t->dport = uh->dest;
		/* Decided here, on the pointer just checked, not from
		 * t->dport later (lib/verifier.h: packet pointers). */
		if (!inner && is_vxlan_port(cfg, uh->dest))
			ret = PARSE_VXLAN;
		break;
	}
	/* ICMP is IPv4's and ICMPv6 IPv6's: the other family's number is
	 * some other protocol (l4_other), with no checksum or PMTU
	 * meaning here. */
	case IPPROTO_ICMP:
		if (t->family != 4)
			return 0;
		if (p + 8 > data_end || l4_len < 8)
			return HC_parse_icmp_truncated;
		break;
	case IPPROTO_ICMPV6:
		if (t->family != 6)
			return 0;
		if (p + 4 > data_end || l4_len < 4)
			return HC_parse_icmp6_truncated;
		break;
	default:
		return 0;
	}
	if (!inner)
		pkt->flags |= PKT_F_L4;
	return ret;
}

/* An IP fragment: only the first carries the L4 header, but its ports
 * are not used either: every fragment of a datagram must hash alike,
 * and none can be checksummed alone. The ports stay zero. */
static __always_inline void parse_frag(struct pkt *pkt, int inner)
{
	pkt->flags |= inner ? PKT_F_INNER_FRAG : PKT_F_FRAG;
}

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 off,
				      __u32 frame_len, struct pkt *pkt,
				      int inner,
				      const struct chimney_config *cfg)
{
	struct chimney_tuple *t = inner ? &pkt->inner : &pkt->tuple;
	struct iphdr *iph;
	__u32 ihl, tot;

	off &= PKT_OFF_MASK;
	iph = data + off;
	if ((void *)(iph + 1) > data_end)
		return HC_parse_ipv4_truncated;
	if (iph->version != 4)
		return HC_parse_ipv4_bad_version;
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph))
		return HC_parse_ipv4_bad_ihl;
	if ((void *)iph + ihl > data_end)
		return HC_parse_ipv4_truncated;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < ihl)
		return HC_parse_ipv4_bad_len;
	if (off + tot > frame_len)
		return HC_parse_ipv4_len_beyond;

	t->family = 4;
	t->proto = iph->protocol;
	t->saddr[0] = iph->saddr;
	t->daddr[0] = iph->daddr;
	if (!inner) {
		pkt->l4_off = off + ihl;
		pkt->l4_len = tot - ihl;
		if (ihl > sizeof(*iph))
			pkt->flags |= PKT_F_IP_OPTS;
	}
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		parse_frag(pkt, inner);
		return 0;
	}
	return parse_l4(data, data_end, off + ihl, tot - ihl, pkt, inner, cfg);
}

static __always_inline int parse_ipv6(void *data, void *data_end, __u32 off,
				      __u32 frame_len, struct pkt *pkt,
				      int inner,
				      const struct chimney_config *cfg)
{
	struct chimney_tuple *t = inner ? &pkt->inner : &pkt->tuple;
	struct ipv6hdr *ip6h;
	__u32 plen, end, cur;
	__u64 ext_end;
	__u8 nh;
	int i;

	off &= PKT_OFF_MASK;
	ip6h = data + off;
	if ((void *)(ip6h + 1) > data_end)
		return HC_parse_ipv6_truncated;
	if (ip6h->version != 6)
		return HC_parse_ipv6_bad_version;
	plen = bpf_ntohs(ip6h->payload_len);
	if (off + sizeof(*ip6h) + plen > frame_len)
		return HC_parse_ipv6_len_beyond;

	t->family = 6;
	__builtin_memcpy(t->saddr, &ip6h->saddr, 16);
	__builtin_memcpy(t->daddr, &ip6h->daddr, 16);
	end = off + sizeof(*ip6h) + plen;
	cur = off + sizeof(*ip6h);
	nh = ip6h->nexthdr;
	/* Where the extension headers must end. Behind an outer IPv6
	 * chain, an inner chain could run past the offset mask
	 * (lib/verifier.h: masked offsets), so it must end below it:
	 * min(end, PKT_OFF_MASK), computed without a branch, which would
	 * split the verifier's walk of every stage after the parser in
	 * two. */
	ext_end = end;
	if (inner) {
		__s64 over = (__s64)end - PKT_OFF_MASK;

		barrier_var(over);
		ext_end = end - (over & ~(over >> 63));
	}

#pragma unroll
	for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
		struct ipv6_opt_hdr_min *eh;
		__u32 len;

		if (!ipv6_is_ext(nh))
			break;
		if (!inner)
			pkt->flags |= PKT_F_IPV6_EXT;
		cur &= PKT_OFF_MASK;
		eh = data + cur;
		if (nh == IPPROTO_FRAGMENT) {
			struct frag_hdr *fh = data + cur;

			if ((void *)(fh + 1) > data_end || cur + 8 > ext_end)
				return HC_parse_ipv6_ext_truncated;
			if (fh->frag_off & bpf_htons(IP6_OFFSET | IP6_MF)) {
				t->proto = fh->nexthdr;
				goto frag;
			}
			/* An atomic fragment (offset 0, no MF) is a whole
			 * packet, not a fragment (RFC 6946): keep walking. */
			len = 8;
		} else {
			if ((void *)(eh + 1) > data_end)
				return HC_parse_ipv6_ext_truncated;
			if (nh == IPPROTO_AH)
				len = (eh->hdrlen + 2) * 4;
			else
				len = (eh->hdrlen + 1) * 8;
			if (cur + len > ext_end)
				return HC_parse_ipv6_ext_truncated;
		}
		nh = eh->nexthdr;
		cur += len;
	}
	if (ipv6_is_ext(nh))
		return HC_parse_ipv6_ext_too_deep;

	t->proto = nh;
	if (!inner) {
		pkt->l4_off = cur;
		pkt->l4_len = end - cur;
	}
	return parse_l4(data, data_end, cur, end - cur, pkt, inner, cfg);
frag:
	if (!inner) {
		pkt->l4_off = cur + 8;
		pkt->l4_len = end - (cur + 8);
	}
	parse_frag(pkt, inner);
	return 0;
}

/* cfg is NULL for the inner packet of a tunnel: no nested VXLAN. */
static __always_inline int parse_l3(void *data, void *data_end, __u32 off,
				    __u16 proto, __u32 frame_len,
				    struct pkt *pkt, int inner,
				    const struct chimney_config *cfg)
{
	if (proto == ETH_P_IP)
		return parse_ipv4(data, data_end, off, frame_len, pkt, inner,
				  cfg);
	return parse_ipv6(data, data_end, off, frame_len, pkt, inner, cfg);
}

/*
 * VXLAN: UDP header, 8-byte VXLAN header, inner Ethernet, inner IP. Only
 * the inner tuple, TCP flags and fragment flag are recorded, for
 * steering and the flow table; the outer packet stays the packet's
 * identity for everything else (checksums, MSS clamping).
 */
static __always_inline int parse_vxlan(void *data, void *data_end,
				       struct pkt *pkt)
{
	struct ethhdr *eth;
	__u32 off, end;
	__u16 proto;

	/* The inner packet ends with the outer IP payload: bytes past it
	 * (Ethernet padding) are no part of it. */
	end = pkt->l4_off + pkt->l4_len;
	off = pkt->l4_off + sizeof(struct udphdr) + VXLAN_HLEN;
	off &= PKT_OFF_MASK;
	eth = data + off;
	if ((void *)(eth + 1) > data_end || off + sizeof(*eth) > end)
		return HC_parse_vxlan_truncated;
	proto = bpf_ntohs(eth->h_proto);
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return 0;
	off += sizeof(*eth);
	if (parse_l3(data, data_end, off, proto, end, pkt, PARSE_INNER,
		     NULL)) {
		/* Nothing else is set yet: fragments and TCP flags come
		 * last, after every check. */
		__builtin_memset(&pkt->inner, 0, sizeof(pkt->inner));
		return HC_parse_vxlan_truncated;
	}
	pkt->flags |= PKT_F_ENCAP;
	return 0;
}

/*
 * Parse a frame. pkt_len is the whole frame (XDP multi-buffer or a
 * non-linear skb can be longer than data_end - data); length fields are
 * checked against it, reads against data_end. pkt must be zeroed.
 *
 * Returns 0 (pkt->l3_proto is 0 for non-IP frames) or a HC_parse_*
 * reason. After a failure, the fields of the headers before the failing
 * one are set, the rest stay zero: the counters count what was parsed,
 * and the one stage that looks at a failed frame, the checksum stage,
 * uses only l3_off and l3_proto (unless only the VXLAN inner packet
 * failed: the outer packet is whole).
 */
_Static_assert(HC_parse_vxlan_truncated < PARSE_VXLAN &&
	       HC_parse_eth_truncated < PARSE_VXLAN,
	       "PARSE_VXLAN is no parse reason");

static __always_inline int parse_packet(struct pkt *pkt, void *data,
					void *data_end, __u32 pkt_len,
					const struct chimney_config *cfg)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 proto;
	int i, ret;

	pkt->pkt_len = pkt_len;
	if ((void *)(eth + 1) > data_end)
		return HC_parse_eth_truncated;
	/* Not through the packed struct ethhdr (lib/verifier.h: clang 14
	 * code generation): the type sits 2-byte aligned. */
	proto = bpf_ntohs(*(__be16 *)(data + offsetof(struct ethhdr, h_proto)));

	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
#pragma unroll
		for (i = 0; i < VLAN_MAX_DEPTH; i++) {
			struct vlan_hdr *vh;

			if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
				break;
			vh = data + off;
			if ((void *)(vh + 1) > data_end)
				return HC_parse_vlan_truncated;
			pkt->flags |= PKT_F_VLAN;
			proto = bpf_ntohs(vh->proto);
			off += sizeof(*vh);
		}
		if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
			return HC_parse_vlan_too_deep;
	}

	pkt->l3_off = off;
	if (proto == ETH_P_IP)
		ret = parse_ipv4(data, data_end, off, pkt_len, pkt,
				 PARSE_OUTER, cfg);
	else if (proto == ETH_P_IPV6)
		ret = parse_ipv6(data, data_end, off, pkt_len, pkt,
				 PARSE_OUTER, cfg);
	else
		return 0;
	pkt->l3_proto = proto;
	if (ret == PARSE_VXLAN)
		return parse_vxlan(data, data_end, pkt);
	return ret;
}

/*
 * XDP multi-buffer frames (xdp.frags): data..data_end is the first
 * buffer only. XDP parses with that length, because asking for the
 * whole one (bpf_xdp_get_buff_len) is a helper call on every packet; a
 * frame whose IP length runs past the first buffer comes here with that
 * parse reason and, when it has more buffers, is parsed again with its
 * whole length. A global function (lib/verifier.h), so the second parse
 * is verified once, not once per path through the first.
 */
_Static_assert(HC_parse_vxlan_truncated < 64 && HC_parse_eth_truncated < 64,
	       "parse_xdp_multibuf() callers mask its result to 6 bits");

__noinline int parse_xdp_multibuf(struct xdp_md *ctx, struct pkt *pkt,
				  const struct chimney_config *cfg, int reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len;

	if (!pkt)
		return reason;
	len = bpf_xdp_get_buff_len(ctx);
	if (len <= (__u32)(data_end - data))
		return reason;
	__builtin_memset(pkt, 0, sizeof(*pkt));
	return parse_packet(pkt, data, data_end, len, cfg);
}

#endif /* CHIMNEY_BPF_PARSE_H */
