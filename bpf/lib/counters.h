/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_BPF_COUNTERS_H
#define CHIMNEY_BPF_COUNTERS_H

#include "maps.h"

/*
 * The per-CPU counter block, looked up once per packet. Per-CPU: no
 * atomics needed.
 */
static __always_inline struct chimney_counters *counters_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

/*
 * The value is a struct of named __u64 fields laid out in enum order,
 * so it is also a flat array: counter idx is the word at idx * 8, a
 * fixed offset when idx is a constant. counter_add() is the one place
 * that looks at it as an array.
 */
_Static_assert(sizeof(struct chimney_counters) ==
	       CHIMNEY_NR_COUNTERS * sizeof(__u64),
	       "struct chimney_counters: one __u64 per counter, in enum order");

static __always_inline void counter_add(struct chimney_counters *c, __u32 idx,
					__u64 v)
{
	/* Callers pass compile-time constants, or parse reasons that are
	 * < HC_MAX; the bound check keeps the verifier sure of it. */
	if (idx < CHIMNEY_NR_COUNTERS)
		((__u64 *)c)[idx] += v;
}

static __always_inline void count_hook(struct chimney_counters *c, int hook,
				       int hc)
{
	counter_add(c, CHIMNEY_HOOK_IDX(hook, hc), 1);
}

static __always_inline void count_hook_add(struct chimney_counters *c,
					   int hook, int hc, __u64 v)
{
	counter_add(c, CHIMNEY_HOOK_IDX(hook, hc), v);
}

/* A negative gc turns into an index past the end: not counted. */
static __always_inline void count_global(struct chimney_counters *c, int gc)
{
	counter_add(c, gc, 1);
}

/*
 * The counters every hook keeps for a parsed packet: what it was, and,
 * when the parser gave up, why. `segs` is how many wire packets the
 * frame stands for (a GSO super-packet on TC egress is split after the
 * hook; counting it once would undercount the wire), and `bytes` their
 * total size on the wire. XDP passes 1 and the frame length.
 */
static __always_inline void count_parse_n(struct chimney_counters *c,
					  int hook, const struct pkt *pkt,
					  int reason, __u32 segs, __u64 bytes)
{
	count_hook_add(c, hook, HC_packets, segs);
	count_hook_add(c, hook, HC_bytes, bytes);
	if (reason)
		count_hook_add(c, hook, reason, segs);
	if (pkt->l3_proto == ETH_P_IP)
		count_hook_add(c, hook, HC_ipv4, segs);
	else if (pkt->l3_proto == ETH_P_IPV6)
		count_hook_add(c, hook, HC_ipv6, segs);
	else if (!reason)
		count_hook_add(c, hook, HC_non_ip, segs);
	/* One test for the rare shapes, so a plain packet pays one branch
	 * instead of five. */
	if (pkt->flags & (PKT_F_VLAN | PKT_F_IP_OPTS | PKT_F_IPV6_EXT |
			  PKT_F_FRAG | PKT_F_ENCAP)) {
		if (pkt->flags & PKT_F_VLAN)
			count_hook_add(c, hook, HC_vlan, segs);
		if (pkt->flags & PKT_F_IP_OPTS)
			count_hook_add(c, hook, HC_ip_options, segs);
		if (pkt->flags & PKT_F_IPV6_EXT)
			count_hook_add(c, hook, HC_ipv6_ext, segs);
		if (pkt->flags & PKT_F_FRAG)
			count_hook_add(c, hook, HC_fragment, segs);
		if (pkt->flags & PKT_F_ENCAP)
			count_hook_add(c, hook, HC_vxlan, segs);
	}
	if (!(pkt->flags & PKT_F_L4)) {
		/* IP with a protocol the parser does not know */
		if (!reason && pkt->l3_proto && !(pkt->flags & PKT_F_FRAG))
			count_hook_add(c, hook, HC_l4_other, segs);
		return;
	}
	switch (pkt->tuple.proto) {
	case IPPROTO_TCP:
		count_hook_add(c, hook, HC_tcp, segs);
		break;
	case IPPROTO_UDP:
		count_hook_add(c, hook, HC_udp, segs);
		break;
	case IPPROTO_ICMP:
		count_hook_add(c, hook, HC_icmp, segs);
		break;
	case IPPROTO_ICMPV6:
		count_hook_add(c, hook, HC_icmp6, segs);
		break;
	}
}

static __always_inline void count_parse(struct chimney_counters *c,
					int hook, const struct pkt *pkt,
					int reason)
{
	count_parse_n(c, hook, pkt, reason, 1, pkt->pkt_len);
}

#endif /* CHIMNEY_BPF_COUNTERS_H */
