/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table: key, value and states, shared by BPF (bpf/lib/flow.h)
 * and user space (`chimney flows`, `chimney run`).
 *
 * The key is canonical: the endpoint (address, then port) that compares
 * lower comes first, so both directions of a flow find one entry. The
 * value's per-direction fields are indexed by key order: [0] is
 * lo -> hi, [1] is hi -> lo; init_dir says which of the two opened the
 * flow, so user space can print it as initiator -> responder.
 *
 * Fixed-width types and no pointers, so `bpftool map dump` prints the
 * map by field name.
 */
#ifndef CHIMNEY_FLOW_H
#define CHIMNEY_FLOW_H

#include <linux/types.h>

#include <chimney/config.h>
#include <chimney/counters.h>
#include <chimney/pkt.h>
#include <chimney/tcp.h>

#define CHIMNEY_FLOW_SIZE_DEFAULT	262144

/* chimney_flow.cpu besides a CPU id */
#define CHIMNEY_FLOW_CPU_NONE	0xffff	/* not placed yet: no packet received */
#define CHIMNEY_FLOW_CPU_LOCAL	0xfffe	/* received without steering: stays
					 * on the CPU the NIC picked */

/*
 * X(name, help) - flow states. An expiry's reason is the state the flow
 * was in, and each state has its own idle timeout
 * (flow.timeout.<tcp_>name). TCP states derive from the flags seen in
 * both directions; see chimney_flow_tcp_state().
 */
#define CHIMNEY_FLOW_STATES(X)						\
	X(syn_sent,	"TCP handshake not completed (SYN without ACKs both ways)") \
	X(established,	"TCP with ACKs seen both ways, or picked up mid-stream") \
	X(fin_wait,	"TCP with a FIN seen one way")			\
	X(closed,	"TCP with FINs both ways, or a RST")		\
	X(udp,		"UDP")						\
	X(other,	"Other IP protocols (ICMP, GRE, ...)")

#define __CHIMNEY_FS(name, help) FLOW_ST_##name,
enum chimney_flow_state {
	CHIMNEY_FLOW_STATES(__CHIMNEY_FS)
	FLOW_ST_MAX,
};
#undef __CHIMNEY_FS

_Static_assert(FLOW_ST_MAX == CHIMNEY_FLOW_NR_STATES,
	       "config.h sizes flow_timeout_ms[] by the number of flow states");

struct chimney_flow_key {
	__be32 lo_addr[4];	/* IPv4 in [0], the rest 0 */
	__be32 hi_addr[4];
	__be16 lo_port;		/* 0 for protocols without ports */
	__be16 hi_port;
	__u8 proto;		/* IPPROTO_* */
	__u8 family;		/* 4 or 6 */
	__u8 pad[2];
};

struct chimney_flow {
	__u64 first_seen;	/* bpf_ktime_get_coarse_ns(): CLOCK_MONOTONIC */
	__u64 last_seen;
	__u64 packets[2];	/* [0]: lo -> hi, [1]: hi -> lo (atomic adds) */
	__u64 bytes[2];		/* frame bytes as the hooks see them */
	__u32 hash;		/* RSS hash of the received direction, once placed */
	__u16 cpu;		/* CPU the flow is steered to, or CHIMNEY_FLOW_CPU_* */
	__u8 tcp_flags[2];	/* TCP flags seen, OR-ed, per direction */
	__u8 state;		/* enum chimney_flow_state */
	__u8 init_dir;		/* direction of the packet that created the entry */
	__u8 encap;		/* 1: keyed by a VXLAN packet's inner flow */
	__u8 pad;
	/* Low 32 bits of jiffies when last_seen was taken: a packet in the
	 * same tick skips reading the clock (last_seen would not change).
	 * Whoever moves last_seen by hand must change it too. */
	__u32 last_tick;
};

/*
 * Bookkeeping of `chimney run`, one per instance, in the pinned
 * flow_stats map. Only the daemon writes it (one daemon per instance,
 * held by a lock on the pin directory); it lives in a map, not in the
 * daemon, so that a restarted daemon continues the counts.
 */
#define __CHIMNEY_FX(name, help) __u64 expired_##name;
#define __CHIMNEY_SW(name, help) __u64 name;
struct chimney_flow_stats {
	CHIMNEY_FLOW_STATES(__CHIMNEY_FX)	/* expiries by reason */
	CHIMNEY_SWEEP_COUNTERS(__CHIMNEY_SW)
	__u64 sweep_ns_total;	/* time spent sweeping */
	__u64 sweep_ns_last;	/* duration of the last sweep */
	__u64 entries;		/* occupancy after the last sweep */
	__u64 last_sweep;	/* CLOCK_REALTIME seconds */
};
#undef __CHIMNEY_FX
#undef __CHIMNEY_SW

/*
 * Build the canonical key of a tuple; returns the packet's direction
 * (0: its source is the lower endpoint). Addresses compare as raw
 * 32-bit words and ports as raw 16-bit values: any total order works,
 * as long as both directions and user space use the same one. The
 * tuple's layout matches the key's, and IPv4 tuples have zeroed upper
 * words (the parser works on a zeroed struct pkt).
 */
static inline __attribute__((always_inline))
int chimney_flow_key_make(struct chimney_flow_key *k,
			  const struct chimney_tuple *t)
{
	int swap = 0, i;

	if (t->family == 4) {
		if (t->saddr[0] != t->daddr[0])
			swap = t->saddr[0] > t->daddr[0];
		else
			swap = t->sport > t->dport;
	} else {
		swap = -1;
#ifdef __clang__
#pragma unroll
#endif
		for (i = 0; i < 4; i++) {
			if (swap < 0 && t->saddr[i] != t->daddr[i])
				swap = t->saddr[i] > t->daddr[i];
		}
		if (swap < 0)
			swap = t->sport > t->dport;
	}
	if (!swap) {
		__builtin_memcpy(k->lo_addr, t->saddr, 16);
		__builtin_memcpy(k->hi_addr, t->daddr, 16);
		k->lo_port = t->sport;
		k->hi_port = t->dport;
	} else {
		__builtin_memcpy(k->lo_addr, t->daddr, 16);
		__builtin_memcpy(k->hi_addr, t->saddr, 16);
		k->lo_port = t->dport;
		k->hi_port = t->sport;
	}
	k->proto = t->proto;
	k->family = t->family;
	k->pad[0] = k->pad[1] = 0;
	return swap;
}

/*
 * The TCP state is a function of the flags seen both ways, so any
 * reader with the two flag bytes gets the same answer: BPF stores it
 * for bpftool, and user space recomputes it (a store racing on another
 * CPU can leave the stored copy one step behind).
 */
static inline __attribute__((always_inline))
int chimney_flow_tcp_state(__u8 f0, __u8 f1)
{
	__u8 any = f0 | f1;

	if ((any & CHIMNEY_TCP_RST) || (f0 & f1 & CHIMNEY_TCP_FIN))
		return FLOW_ST_closed;
	if (any & CHIMNEY_TCP_FIN)
		return FLOW_ST_fin_wait;
	if ((f0 & CHIMNEY_TCP_ACK) && (f1 & CHIMNEY_TCP_ACK))
		return FLOW_ST_established;
	if (any & CHIMNEY_TCP_SYN)
		return FLOW_ST_syn_sent;
	/* ACKs one way only and no SYN: picked up mid-stream (after an
	 * eviction, an attach, or with asymmetric routing). */
	return FLOW_ST_established;
}

/* The state of a flow as user space should see it. */
static inline int chimney_flow_state(const struct chimney_flow_key *k,
				     const struct chimney_flow *v)
{
	if (k->proto == 6 /* IPPROTO_TCP */)
		return chimney_flow_tcp_state(v->tcp_flags[0], v->tcp_flags[1]);
	return v->state < FLOW_ST_MAX ? v->state : FLOW_ST_other;
}

#endif /* CHIMNEY_FLOW_H */
