/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The parse result shared by every stage. Fixed-width types only, so the
 * unit runner can mirror it if needed.
 */
#ifndef CHIMNEY_PKT_H
#define CHIMNEY_PKT_H

#include <linux/types.h>

/* pkt.flags */
#define PKT_F_VLAN		(1U << 0)
#define PKT_F_FRAG		(1U << 1)	/* any IP fragment, the first too */
#define PKT_F_IP_OPTS		(1U << 2)
#define PKT_F_IPV6_EXT		(1U << 3)
#define PKT_F_ENCAP		(1U << 4)	/* inner, inner_tcp_flags are valid */
#define PKT_F_L4		(1U << 5)	/* l4_off points at a parsed L4 header */
#define PKT_F_INNER_FRAG	(1U << 6)	/* with PKT_F_ENCAP: inner packet is a fragment */

/*
 * A flow tuple. IPv4 addresses sit in addr[0]; the rest is zero. Ports
 * are zero for protocols without ports and for fragments.
 */
struct chimney_tuple {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;	/* IPPROTO_* */
	__u8 family;	/* 4 or 6 */
	__u8 pad[2];
};

struct pkt {
	__u32 pkt_len;		/* whole frame, including non-linear parts */
	__u16 l3_off;		/* offsets from the start of the frame */
	__u16 l4_off;
	__u16 l4_len;		/* L4 header + payload per the IP header */
	__u16 l3_proto;		/* ETH_P_IP / ETH_P_IPV6, host order; 0 for non-IP */
	__u16 flags;		/* PKT_F_* */
	__u8 tcp_flags;		/* the TCP header's flags (CHIMNEY_TCP_*) */
	__u8 inner_tcp_flags;	/* with PKT_F_ENCAP: the inner TCP header's flags */
	struct chimney_tuple tuple;
	struct chimney_tuple inner;
};

#endif /* CHIMNEY_PKT_H */
