/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table stage: XDP updates it on receive, TC egress on
 * transmit. One LRU hash entry per flow, found from both directions by
 * its canonical key (include/chimney/flow.h).
 *
 * No locks beyond the map's own: the per-direction packet and byte
 * counts are atomic adds, so they stay exact when several CPUs update a
 * flow at once; last_seen is a plain store of a coarse clock, written
 * only when the tick count moved. TCP flags are OR-ed per direction, one
 * byte each, and only when a new flag appears: the two directions never
 * write the same byte, and the state is recomputed from both bytes by
 * every reader (chimney_flow_tcp_state()).
 *
 * A VXLAN packet is tracked as its inner flow: the outer UDP 5-tuple is
 * the same for every flow between two tunnel endpoints, and steering
 * places inner flows, so affinity must be per inner flow too.
 *
 * Expiry is not done here: `chimney run` sweeps idle flows out. Without
 * it, the LRU still makes room for every new flow.
 *
 * flow_tx() is a global function (lib/verifier.h): inlined into TC,
 * this stage multiplied with every parser outcome before it. flow_rx()
 * is inlined into XDP, where the program verifies well within the
 * limit with it (the checksum and MSS stages are global functions
 * there), and saves a call on every packet while flow=on. It steers
 * tracked packets itself (flow affinity).
 */
#ifndef CHIMNEY_BPF_FLOW_H
#define CHIMNEY_BPF_FLOW_H

#include "maps.h"
#include "counters.h"
#include "rss.h"
#include <chimney/flow.h>

#ifndef EEXIST
#define EEXIST 17	/* <errno.h> is not for BPF; UAPI value */
#endif

static __always_inline struct chimney_flow *
flow_create(const struct chimney_flow_key *key, __u8 proto, int dir, int encap,
	    __u64 now, __u32 tick, struct chimney_counters *c)
{
	struct chimney_flow nv = {};
	struct chimney_flow *v;
	long err;

	nv.first_seen = now;
	nv.last_seen = now;
	nv.last_tick = tick;
	nv.cpu = CHIMNEY_FLOW_CPU_NONE;
	nv.init_dir = dir;
	nv.encap = encap;
	if (proto == IPPROTO_TCP)
		nv.state = chimney_flow_tcp_state(0, 0);
	else if (proto == IPPROTO_UDP)
		nv.state = FLOW_ST_udp;
	else
		nv.state = FLOW_ST_other;

	/* NOEXIST: when another CPU inserted the flow since our lookup,
	 * join its entry rather than reset it. */
	err = bpf_map_update_elem(&flows, key, &nv, BPF_NOEXIST);
	if (!err) {
		count_global(c, GC_flow_created);
	} else if (err == -EEXIST) {
		count_global(c, GC_flow_insert_race);
	} else {
		count_global(c, GC_flow_insert_failed);
		return NULL;
	}
	v = bpf_map_lookup_elem(&flows, key);
	if (!v)		/* evicted again already: a table far too small */
		count_global(c, GC_flow_insert_failed);
	return v;
}

static __always_inline void flow_tcp(struct chimney_flow *v, int dir, __u8 fl,
				     struct chimney_counters *c)
{
	__u8 seen;

	/* A SYN on a closed flow opens a new connection on the same
	 * 5-tuple (TIME_WAIT reuse): start its flags and state over. */
	if ((fl & (CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK | CHIMNEY_TCP_RST)) ==
		    CHIMNEY_TCP_SYN &&
	    chimney_flow_tcp_state(v->tcp_flags[0], v->tcp_flags[1]) ==
		    FLOW_ST_closed) {
		v->tcp_flags[0] = 0;
		v->tcp_flags[1] = 0;
		count_global(c, GC_flow_tcp_reuse);
	}
	seen = v->tcp_flags[dir];
	if ((seen | fl) == seen)
		return;		/* nothing new: the common case */
	v->tcp_flags[dir] = seen | fl;
	v->state = chimney_flow_tcp_state(v->tcp_flags[0], v->tcp_flags[1]);
}

/*
 * Track one parsed packet. segs and bytes are what it stands for on the
 * wire (a GSO skb on egress carries several packets). Returns its flow,
 * or NULL when the packet is not tracked; *idle gets the ns since the
 * flow's previous packet (0 for a new flow).
 */
static __always_inline struct chimney_flow *
flow_update(const struct pkt *pkt, const struct chimney_config *cfg,
	    struct chimney_counters *c, __u32 segs, __u64 bytes, __u64 *idle)
{
	const struct chimney_tuple *t;
	struct chimney_flow_key key;
	struct chimney_flow *v;
	__u64 now, last;
	int dir, frag, encap;
	__u32 tick;
	__u8 tcpf;

	if (!cfg->flow_on)
		return NULL;
	if (!pkt->l3_proto) {
		count_global(c, GC_flow_skip_non_ip);
		return NULL;
	}
	encap = !!(pkt->flags & PKT_F_ENCAP);
	if (encap) {
		t = &pkt->inner;
		frag = pkt->flags & PKT_F_INNER_FRAG;
		tcpf = pkt->inner_tcp_flags;
	} else {
		t = &pkt->tuple;
		frag = pkt->flags & PKT_F_FRAG;
		tcpf = pkt->tcp_flags;
	}
	if (frag) {
		count_global(c, GC_flow_skip_fragment);
		return NULL;
	}
	dir = chimney_flow_key_make(&key, t) & 1;
	/*
	 * Times are the coarse clock (tick resolution, plenty for idle
	 * times of seconds), and even reading that is a helper call with
	 * a clock read behind it. The tick count is one load (64-bit
	 * JITs inline bpf_jiffies64()): a flow's later packets in the same
	 * tick keep last_seen as it is, and the clock is read once per
	 * tick per flow, not per packet.
	 */
	tick = bpf_jiffies64();

	v = bpf_map_lookup_elem(&flows, &key);
	if (v) {
		count_global(c, GC_flow_hit);
		if (v->last_tick == tick) {
			*idle = 0;	/* within the tick of its last packet */
		} else {
			now = bpf_ktime_get_coarse_ns();
			last = v->last_seen;
			*idle = now > last ? now - last : 0;
			v->last_seen = now;
			v->last_tick = tick;
		}
	} else {
		now = bpf_ktime_get_coarse_ns();
		v = flow_create(&key, t->proto, dir, encap, now, tick, c);
		if (!v)
			return NULL;
		*idle = 0;
	}
	__sync_fetch_and_add(&v->packets[dir], segs);
	__sync_fetch_and_add(&v->bytes[dir], bytes);
	if (t->proto == IPPROTO_TCP)
		flow_tcp(v, dir, tcpf, c);
	return v;
}

/*
 * Flow affinity. A flow keeps the placement its first received packet
 * got - a CPU, or CHIMNEY_FLOW_CPU_LOCAL when it was not steered -
 * whatever cpus= and the indirection table say since, so its packets
 * never overtake each other in two CPUs' queues. Only after
 * flow.rebalance_idle without a packet, when nothing of it can still be
 * queued, is it placed again by the current table. While flow=on,
 * `chimney set` keeps the cpumap entries of CPUs dropped from cpus= for
 * this (`chimney run` removes them once no active flow uses them); a
 * flow whose CPU is gone anyway is placed again.
 */
static __always_inline int flow_steer(const struct pkt *pkt,
				      const struct chimney_config *cfg,
				      struct chimney_counters *c,
				      struct chimney_flow *v, __u64 idle)
{
	__u32 cpu = v->cpu, place, *pick, hash = 0;
	int ret;

	if (cpu != CHIMNEY_FLOW_CPU_NONE &&
	    idle <= (__u64)cfg->flow_rebalance_idle_ms * 1000000) {
		if (cpu == CHIMNEY_FLOW_CPU_LOCAL)
			return XDP_PASS;
		if (steer_to_cpu(pkt, cpu, c, GC_steer_flow_cpu_gone) ==
		    XDP_REDIRECT)
			return XDP_REDIRECT;
	}

	/* Place it: a new flow, the first received packet of a flow TC
	 * created, one idle long enough, or one whose CPU is gone. The
	 * hash is kept even without steering, for `chimney flows`. */
	pick = rss_pick(pkt, cfg, &hash, c);
	place = CHIMNEY_FLOW_CPU_LOCAL;
	ret = XDP_PASS;
	if (cfg->steer_nr && pick) {
		ret = steer_to_cpu(pkt, *pick, c, GC_steer_no_cpu);
		if (ret == XDP_REDIRECT) {
			place = *pick;
			count_global(c, GC_steer_flow_placed);
		}
	}
	if (cpu != CHIMNEY_FLOW_CPU_NONE && cpu != place)
		count_global(c, GC_steer_flow_moved);
	v->hash = hash;
	v->cpu = place;
	return ret;
}

/*
 * The receive side (XDP): track the packet and, when it is tracked,
 * steer it by its flow. Returns the XDP verdict, or -1 when the packet
 * is not tracked (flow=off, non-IP, fragment): lib/rss.h steers it then.
 */
static __always_inline
int flow_rx(const struct pkt *pkt, const struct chimney_config *cfg,
	    struct chimney_counters *c)
{
	struct chimney_flow *v;
	__u64 idle = 0;

	if (!pkt || !cfg || !c)
		return -1;
	v = flow_update(pkt, cfg, c, 1, pkt->pkt_len, &idle);
	if (!v)
		return -1;
	return flow_steer(pkt, cfg, c, v, idle);
}

/*
 * The transmit side (TC egress): track the packet, which stands for
 * segs wire packets of `bytes` in all when it is a GSO one (segs > 1).
 * A single packet counts pkt->pkt_len: the MSS stage before this one
 * updates it when it grows the frame. Deciding that here, in the
 * function verified once, spares the caller a branch per parser state.
 */
__attribute__((noinline))
int flow_tx(const struct pkt *pkt, const struct chimney_config *cfg,
	    struct chimney_counters *c, __u32 segs, __u64 bytes)
{
	if (!pkt || !cfg || !c)
		return 0;
	if (segs <= 1) {
		segs = 1;
		bytes = pkt->pkt_len;
	}
	flow_update(pkt, cfg, c, segs, bytes, &(__u64){ 0 });
	return 0;
}

#endif /* CHIMNEY_BPF_FLOW_H */
