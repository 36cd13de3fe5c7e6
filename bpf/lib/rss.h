/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Receive-side steering: the Toeplitz hash NICs compute, an indirection
 * table and a cpumap redirect. The hash itself is in
 * include/chimney/toeplitz.h, shared with `chimney hash`.
 */
#ifndef CHIMNEY_BPF_RSS_H
#define CHIMNEY_BPF_RSS_H

#include "maps.h"
#include "counters.h"
#include <chimney/toeplitz.h>

/*
 * The hash of one tuple: the 4-tuple for TCP and UDP, the 2-tuple for
 * everything else and for every fragment (the first fragment has ports,
 * the others do not, and all must land together).
 */
static __always_inline __u32 rss_hash_tuple(const struct chimney_rss_table *t,
					    const struct chimney_tuple *tp,
					    int frag, __u32 mode)
{
	const __u8 *sa = (const __u8 *)tp->saddr, *da = (const __u8 *)tp->daddr;
	const __u8 *sp = (const __u8 *)&tp->sport, *dp = (const __u8 *)&tp->dport;
	const __u8 *tmp;
	int ports;

	ports = !frag && (tp->proto == IPPROTO_TCP || tp->proto == IPPROTO_UDP);
	if (!ports)
		sp = dp = NULL;
	/* Both address lengths are spelled out so each call has constant
	 * lengths and unrolls; a variable alen would need a bounded loop
	 * per byte. */
	if (tp->family == 4) {
		if (mode == CHIMNEY_HASH_SYMMETRIC &&
		    toeplitz_sym_swap(sa, da, 4, sp, dp)) {
			tmp = sa; sa = da; da = tmp;
			tmp = sp; sp = dp; dp = tmp;
		}
		return toeplitz_tuple(t, sa, da, 4, sp, dp);
	}
	if (mode == CHIMNEY_HASH_SYMMETRIC &&
	    toeplitz_sym_swap(sa, da, 16, sp, dp)) {
		tmp = sa; sa = da; da = tmp;
		tmp = sp; sp = dp; dp = tmp;
	}
	return toeplitz_tuple(t, sa, da, 16, sp, dp);
}

/*
 * Steer a parsed IP packet. Returns XDP_REDIRECT, or XDP_PASS when
 * steering is off or the chosen CPU has no cpumap entry.
 */
static __always_inline int rss_steer(const struct pkt *pkt,
				     const struct chimney_config *cfg,
				     __u64 *c)
{
	const struct chimney_rss_table *t;
	const struct chimney_tuple *tp;
	__u32 zero = 0, idx, *cpu, hash;
	int frag, ret;

	if (!cfg->steer_nr)
		return XDP_PASS;
	if (!pkt->l3_proto) {
		count_global(c, GC_steer_skip_non_ip);
		return XDP_PASS;
	}
	t = bpf_map_lookup_elem(&rss_tbl, &zero);
	if (!t)
		return XDP_PASS;
	/* A tunnel carries many flows between two endpoints: hash the
	 * inner flow, or all of them land on one CPU. */
	if (pkt->flags & PKT_F_ENCAP) {
		tp = &pkt->inner;
		frag = pkt->flags & PKT_F_INNER_FRAG;
		count_global(c, GC_steer_inner);
	} else {
		tp = &pkt->tuple;
		frag = pkt->flags & PKT_F_FRAG;
	}
	hash = rss_hash_tuple(t, tp, frag, cfg->hash_mode);
	idx = hash & (cfg->indir_size - 1) & (CHIMNEY_INDIR_MAX - 1);
	cpu = bpf_map_lookup_elem(&rss_indir, &idx);
	if (!cpu)
		return XDP_PASS;
	ret = bpf_redirect_map(&cpus, *cpu, XDP_PASS);
	count_global(c, ret == XDP_REDIRECT ? GC_steer_redirect :
					      GC_steer_no_cpu);
	return ret;
}

#endif /* CHIMNEY_BPF_RSS_H */
