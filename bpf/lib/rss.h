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
 * The indirection-table entry a parsed IP packet's hash selects, or
 * NULL; *hash gets the hash. Both lookups are of ARRAY maps with keys in
 * range, so NULL "cannot happen"; if it does, xdp_aborted says so and
 * the packet stays on its CPU.
 */
static __always_inline __u32 *rss_pick(const struct pkt *pkt,
				       const struct chimney_config *cfg,
				       __u32 *hash, struct chimney_counters *c)
{
	const struct chimney_tuple *tp = &pkt->tuple;
	const struct chimney_rss_table *t;
	__u32 zero = 0, idx, *entry;

	t = bpf_map_lookup_elem(&rss_tbl, &zero);
	if (!t) {
		count_global(c, GC_xdp_aborted);
		return NULL;
	}
	/* A tunnel carries many flows between two endpoints: hash the
	 * inner flow, or all of them land on one CPU. */
	if (pkt->flags & PKT_F_ENCAP)
		tp = &pkt->inner;
	/* One base pointer from here on (lib/verifier.h: ordering
	 * points), not a choice between the two tuples per field. */
	barrier_var(tp);
	/* The 4-tuple for TCP and UDP, the 2-tuple for everything else
	 * and for every fragment (the first fragment has ports, the others
	 * do not, and all must land together). The parser leaves the ports
	 * zero in exactly those cases, and zero port bytes add nothing to
	 * the hash: hashing the port word always gives both, without a
	 * test per packet. */
	*hash = toeplitz_hash_tuple(t, tp, 1,
				    cfg->hash_mode == CHIMNEY_HASH_SYMMETRIC);
	idx = *hash & (cfg->indir_size - 1) & (CHIMNEY_INDIR_MAX - 1);
	entry = bpf_map_lookup_elem(&rss_indir, &idx);
	if (!entry)
		count_global(c, GC_xdp_aborted);
	return entry;
}

/*
 * Redirect a steered packet to the cpumap queue of `cpu`: XDP_REDIRECT,
 * counted steer_redirect and, under `cpu`, in steer_to; or, when that
 * CPU has no cpumap entry, XDP_PASS, counted `miss`: the packet stays
 * on the receiving CPU.
 *
 * A VXLAN packet counts steer_inner once its inner flow decided where
 * it goes: when it is redirected, and on a steer_no_cpu miss (the
 * indirection table chose, by the inner flow, a CPU that is not
 * there). A flow's kept CPU that is gone (steer_flow_cpu_gone) decides
 * nothing yet: lib/flow.h places the flow again, and that counts it.
 */
static __always_inline int steer_to_cpu(const struct pkt *pkt, __u32 cpu,
					struct chimney_counters *c, int miss)
{
	/* A long, as the helper returns it (lib/verifier.h: clang 14
	 * code generation). */
	long ret = bpf_redirect_map(&cpus, cpu, XDP_PASS);

	if ((pkt->flags & PKT_F_ENCAP) &&
	    (ret == XDP_REDIRECT || miss == GC_steer_no_cpu))
		count_global(c, GC_steer_inner);
	if (ret == XDP_REDIRECT) {
		__u64 *to = bpf_map_lookup_elem(&steer_to, &cpu);

		count_global(c, GC_steer_redirect);
		/* Per-CPU, like the counters: no atomics. An ARRAY lookup
		 * the verifier inlines, not a helper call. */
		if (to)
			(*to)++;
		return XDP_REDIRECT;
	}
	count_global(c, miss);
	return XDP_PASS;
}

/*
 * Steer a parsed IP packet. Returns XDP_REDIRECT, or XDP_PASS when
 * steering is off or the chosen CPU has no cpumap entry. Packets of
 * flows the flow table tracks are steered by lib/flow.h instead, to the
 * CPU their flow keeps.
 */
static __always_inline int rss_steer(const struct pkt *pkt,
				     const struct chimney_config *cfg,
				     struct chimney_counters *c)
{
	__u32 *cpu, hash;

	if (!cfg->steer_nr)
		return XDP_PASS;
	if (!pkt->l3_proto) {
		count_global(c, GC_steer_skip_non_ip);
		return XDP_PASS;
	}
	cpu = rss_pick(pkt, cfg, &hash, c);
	if (!cpu)
		return XDP_PASS;
	return steer_to_cpu(pkt, *cpu, c, GC_steer_no_cpu);
}

#endif /* CHIMNEY_BPF_RSS_H */
