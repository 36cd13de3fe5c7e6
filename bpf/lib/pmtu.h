/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Path-MTU signals seen on ingress: every ICMP "fragmentation needed"
 * and ICMPv6 "packet too big" is counted (pmtu_frag_needed,
 * pmtu_pkt_too_big), whether MSS clamping is on or not, and the MTU it
 * reports goes into the pmtu_log map with the router that sent it and
 * the destination of the packet it quotes, for `chimney stats`.
 *
 * The log is a ring per CPU (struct chimney_pmtu_log): a writer owns
 * its CPU's ring, so taking a slot needs no atomics, and `chimney
 * stats` merges the rings by time.
 */
#ifndef CHIMNEY_BPF_PMTU_H
#define CHIMNEY_BPF_PMTU_H

#include "maps.h"
#include "counters.h"

static __always_inline void pmtu_log_add(const struct pkt *pkt, __u32 mtu,
					 const __be32 *dst,
					 struct chimney_counters *c)
{
	struct chimney_pmtu_log *log;
	struct chimney_pmtu_ent *e;
	__u32 zero = 0;

	log = bpf_map_lookup_elem(&pmtu_log, &zero);
	if (!log) {
		/* in-range ARRAY key: "cannot happen", but not silently */
		count_global(c, GC_xdp_aborted);
		return;
	}
	/* Per-CPU ring: no atomics; `chimney stats` merges by time. */
	e = &log->ent[log->head & (CHIMNEY_PMTU_LOG - 1)];
	log->head++;
	e->ktime_ns = bpf_ktime_get_ns();
	e->mtu = mtu;
	e->family = pkt->tuple.family;
	__builtin_memcpy(e->reporter, pkt->tuple.saddr, 16);
	__builtin_memcpy(e->dst, dst, 16);
}

/*
 * ICMP type 3 code 4 carries the next-hop MTU in bytes 6-7; ICMPv6
 * type 2 carries it in bytes 4-7. Both quote the packet that was too
 * big; its destination says which path is narrow (zero when the quote
 * is cut short). Copied out right after each bounds check, so the
 * verifier never sees a maybe-NULL packet pointer.
 */
static __always_inline void pmtu_signal(void *data, void *data_end,
					const struct pkt *pkt,
					struct chimney_counters *c)
{
	__u8 *p = data + (pkt->l4_off & PKT_OFF_MASK);
	__be32 dst[4] = {};
	__u32 mtu;

	if ((void *)(p + 8) > data_end)
		return;
	if (pkt->tuple.proto == IPPROTO_ICMP) {
		if (p[0] != ICMP_DEST_UNREACH || p[1] != ICMP_FRAG_NEEDED)
			return;
		count_global(c, GC_pmtu_frag_needed);
		mtu = (__u32)p[6] << 8 | p[7];
		/* quoted IPv4 header: daddr at 16 */
		if ((void *)(p + 8 + 20) <= data_end)
			__builtin_memcpy(dst, p + 8 + 16, 4);
	} else if (pkt->tuple.proto == IPPROTO_ICMPV6) {
		if (p[0] != ICMPV6_PKT_TOOBIG)
			return;
		count_global(c, GC_pmtu_pkt_too_big);
		mtu = (__u32)p[4] << 24 | (__u32)p[5] << 16 |
		      (__u32)p[6] << 8 | p[7];
		/* quoted IPv6 header: daddr at 24 */
		if ((void *)(p + 8 + 40) <= data_end)
			__builtin_memcpy(dst, p + 8 + 24, 16);
	} else {
		return;
	}
	pmtu_log_add(pkt, mtu, dst, c);
}

/* Global (lib/verifier.h), as the MSS stage's SYN work is: verified
 * once, not once per parser state that reaches the call. */
__noinline int pmtu_xdp_icmp(struct xdp_md *ctx, const struct pkt *pkt,
			     struct chimney_counters *c)
{
	if (!ctx || !pkt || !c)
		return 0;
	pmtu_signal((void *)(long)ctx->data, (void *)(long)ctx->data_end,
		    pkt, c);
	return 0;
}

/*
 * The stage in XDP. PKT_F_L4: the parser read an ICMP header of the
 * packet's own family (IPv4's protocol 58 is no ICMPv6), which also
 * leaves out fragments. Every other packet pays these tests only.
 */
static __always_inline void pmtu_xdp(struct xdp_md *ctx, const struct pkt *pkt,
				     struct chimney_counters *c)
{
	if ((pkt->tuple.proto == IPPROTO_ICMP ||
	     pkt->tuple.proto == IPPROTO_ICMPV6) && (pkt->flags & PKT_F_L4))
		pmtu_xdp_icmp(ctx, pkt, c);
}

#endif /* CHIMNEY_BPF_PMTU_H */
