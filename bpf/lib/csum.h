/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Checksum verification at XDP ingress: the IPv4 header checksum, and
 * the TCP, UDP, ICMP and ICMPv6 checksums over the whole L4 segment,
 * with the pseudo-header where the protocol has one. Every IP frame ends
 * in exactly one csum_ok_*, csum_bad_* or csum_unverified_* counter (see
 * include/chimney/counters.h); a bad one is sampled to the `events` ring
 * buffer and, with csum=drop, dropped. Nothing else is ever dropped.
 *
 * Sums are taken as lib/csum_ops.h describes: 32-bit words, loaded as
 * they lie in memory, are added into 64-bit accumulators, and found
 * and expected values stay in network order. A sum is right when it is
 * a nonzero multiple of 0xffff (csum_ok()); only bad frames fold theirs.
 *
 * The linear part of a frame is summed in place, 128 bytes per loop
 * round (32 loads into 4 independent accumulators) and then a tail of
 * 64/32/16/8/4/2/1-byte pieces: a load and an add per 4 bytes, and no
 * helper call (bpf_csum_diff() would be one per piece). A segment that
 * reaches past the linear part (a multi-buffer xdp.frags frame) is
 * copied CSUM_CHUNK bytes at a time with bpf_xdp_load_bytes() and
 * summed from the copy.
 */
#ifndef CHIMNEY_BPF_CSUM_H
#define CHIMNEY_BPF_CSUM_H

#include "maps.h"
#include "counters.h"
#include "parse.h"
#include "csum_ops.h"

#define CSUM_BLOCK		128
#define CSUM_LINEAR_MAX		4096	/* summed in place; longer: copied */
#define CSUM_CHUNK		512	/* bytes per bpf_xdp_load_bytes() */
#define CSUM_NSEC_PER_SEC	1000000000ULL

/*
 * The checksum field value that makes a sum right: the sum without the
 * field it contains (adding ~found subtracts it), folded and inverted.
 */
static __always_inline __u16 csum_expected(__u64 sum, __u16 found)
{
	return ~csum_fold(csum_replace16(sum, found, 0));
}

#define CSUM_LD4(acc, p, o)	acc += *(__u32 *)((p) + (o))

/*
 * Sum len bytes of the linear area at off. The caller made sure that
 * off + len lies within it and at most at PKT_OFF_MASK, and that len is
 * below CSUM_LINEAR_MAX, the loop's bound; the checks here are the
 * verifier's. Returns 0, or -1 if a piece is not in bounds after all.
 */
static __always_inline int csum_linear(void *data, void *data_end, __u32 off,
				       __u32 len, __u64 *sum)
{
	__u64 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	void *p;
	int i;

	for (i = 0; i < CSUM_LINEAR_MAX / CSUM_BLOCK; i++) {
		if (len < CSUM_BLOCK)
			break;
		off &= PKT_OFF_MASK;
		p = data + off;
		if (p + CSUM_BLOCK > data_end)
			return -1;
		CSUM_LD4(s0, p, 0);  CSUM_LD4(s1, p, 4);
		CSUM_LD4(s2, p, 8);  CSUM_LD4(s3, p, 12);
		CSUM_LD4(s0, p, 16); CSUM_LD4(s1, p, 20);
		CSUM_LD4(s2, p, 24); CSUM_LD4(s3, p, 28);
		CSUM_LD4(s0, p, 32); CSUM_LD4(s1, p, 36);
		CSUM_LD4(s2, p, 40); CSUM_LD4(s3, p, 44);
		CSUM_LD4(s0, p, 48); CSUM_LD4(s1, p, 52);
		CSUM_LD4(s2, p, 56); CSUM_LD4(s3, p, 60);
		CSUM_LD4(s0, p, 64); CSUM_LD4(s1, p, 68);
		CSUM_LD4(s2, p, 72); CSUM_LD4(s3, p, 76);
		CSUM_LD4(s0, p, 80); CSUM_LD4(s1, p, 84);
		CSUM_LD4(s2, p, 88); CSUM_LD4(s3, p, 92);
		CSUM_LD4(s0, p, 96); CSUM_LD4(s1, p, 100);
		CSUM_LD4(s2, p, 104); CSUM_LD4(s3, p, 108);
		CSUM_LD4(s0, p, 112); CSUM_LD4(s1, p, 116);
		CSUM_LD4(s2, p, 120); CSUM_LD4(s3, p, 124);
		off += CSUM_BLOCK;
		len -= CSUM_BLOCK;
	}
	if (len >= CSUM_BLOCK)
		return -1;
	/* The tail, largest piece first: every piece starts at an even
	 * offset of the segment, so a last odd byte is the high-order
	 * byte of its 16-bit word, as RFC 1071 pads it. */
	off &= PKT_OFF_MASK;
	p = data + off;
	if (len & 64) {
		if (p + 64 > data_end)
			return -1;
		CSUM_LD4(s0, p, 0);  CSUM_LD4(s1, p, 4);
		CSUM_LD4(s2, p, 8);  CSUM_LD4(s3, p, 12);
		CSUM_LD4(s0, p, 16); CSUM_LD4(s1, p, 20);
		CSUM_LD4(s2, p, 24); CSUM_LD4(s3, p, 28);
		CSUM_LD4(s0, p, 32); CSUM_LD4(s1, p, 36);
		CSUM_LD4(s2, p, 40); CSUM_LD4(s3, p, 44);
		CSUM_LD4(s0, p, 48); CSUM_LD4(s1, p, 52);
		CSUM_LD4(s2, p, 56); CSUM_LD4(s3, p, 60);
		off = (off + 64) & PKT_OFF_MASK;
		p = data + off;
	}
	if (len & 32) {
		if (p + 32 > data_end)
			return -1;
		CSUM_LD4(s0, p, 0);  CSUM_LD4(s1, p, 4);
		CSUM_LD4(s2, p, 8);  CSUM_LD4(s3, p, 12);
		CSUM_LD4(s0, p, 16); CSUM_LD4(s1, p, 20);
		CSUM_LD4(s2, p, 24); CSUM_LD4(s3, p, 28);
		off = (off + 32) & PKT_OFF_MASK;
		p = data + off;
	}
	if (len & 16) {
		if (p + 16 > data_end)
			return -1;
		CSUM_LD4(s0, p, 0);  CSUM_LD4(s1, p, 4);
		CSUM_LD4(s2, p, 8);  CSUM_LD4(s3, p, 12);
		off = (off + 16) & PKT_OFF_MASK;
		p = data + off;
	}
	if (len & 8) {
		if (p + 8 > data_end)
			return -1;
		CSUM_LD4(s0, p, 0);  CSUM_LD4(s1, p, 4);
		off = (off + 8) & PKT_OFF_MASK;
		p = data + off;
	}
	if (len & 4) {
		if (p + 4 > data_end)
			return -1;
		CSUM_LD4(s2, p, 0);
		off = (off + 4) & PKT_OFF_MASK;
		p = data + off;
	}
	if (len & 2) {
		if (p + 2 > data_end)
			return -1;
		s3 += *(__u16 *)p;
		off = (off + 2) & PKT_OFF_MASK;
		p = data + off;
	}
	if (len & 1) {
		if (p + 1 > data_end)
			return -1;
		s3 += *(__u8 *)p;
	}
	*sum += s0 + s1 + s2 + s3;
	return 0;
}

#define CSUM_LD16(acc, p, o)						\
	CSUM_LD4(acc, p, (o) + 0); CSUM_LD4(acc, p, (o) + 4);		\
	CSUM_LD4(acc, p, (o) + 8); CSUM_LD4(acc, p, (o) + 12)
#define CSUM_LD64(p, o)							\
	CSUM_LD16(s0, p, (o) + 0); CSUM_LD16(s1, p, (o) + 16);		\
	CSUM_LD16(s2, p, (o) + 32); CSUM_LD16(s3, p, (o) + 48)

/*
 * Add the whole scratch buffer to its running sum, 64 bytes a round. A
 * loop, not 128 unrolled additions, which clang regroups into dozens of
 * partial sums and spills to the stack.
 */
static __always_inline void csum_sum512(struct csum_scratch *w)
{
	__u64 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	__u8 *p;
	int i;

#pragma clang loop unroll(disable)
	for (i = 0; i < CSUM_CHUNK / 64; i++) {
		p = w->buf + i * 64;
		CSUM_LD64(p, 0);
	}
	w->sum += s0 + s1 + s2 + s3;
}

/*
 * Sum len bytes at off of a frame that may span several buffers: copy
 * CSUM_CHUNK bytes at a time into a per-CPU scratch buffer and sum the
 * whole buffer. A short last chunk lands in a zeroed buffer, so the
 * bytes after it add nothing and an odd last byte is padded with zero.
 *
 * A global function of its own (lib/verifier.h): its 128-round loop
 * would otherwise be walked by the verifier once per protocol path of
 * csum_check(); alone it is walked once. Only multi-buffer frames pay
 * for the call. Returns the sum folded to 32 bits, or -1.
 */
__noinline long csum_frags(struct xdp_md *ctx, __u32 off, __u32 len)
{
	struct csum_scratch *w;
	__u32 zero = 0;
	__u64 n;
	int i;

	w = bpf_map_lookup_elem(&csum_scratch, &zero);
	if (!w)
		return -1;
	/* The running sum lives in the map value: what stays live across
	 * the helper call then (nearly) fits the callee-saved registers,
	 * and the function needs little stack (a call chain shares 512
	 * bytes, and the main program's frame is a big part of them). */
	w->sum = 0;
	/* Whole chunks in the loop, the short one after it: one path
	 * per round keeps the verifier's walk linear. */
	for (i = 0; i < 0x10000 / CSUM_CHUNK; i++) {
		if (len < CSUM_CHUNK)
			break;
		if (bpf_xdp_load_bytes(ctx, off, w->buf, CSUM_CHUNK))
			return -1;
		csum_sum512(w);
		off += CSUM_CHUNK;
		len -= CSUM_CHUNK;
	}
	if (len >= CSUM_CHUNK)
		return -1;
	if (len) {
		/* 64-bit stores: memset() of a byte array is 512 of them */
		__u64 *q = (__u64 *)w->buf;

#pragma unroll
		for (i = 0; i < CSUM_CHUNK / 8; i++)
			q[i] = 0;
		/* len is 1..CSUM_CHUNK-1 here; the test must be on the
		 * register the call takes (lib/verifier.h: ordering
		 * points). */
		n = len;
		barrier_var(n);
		if (n < 1 || n >= CSUM_CHUNK)
			return -1;
		if (bpf_xdp_load_bytes(ctx, off, w->buf, n))
			return -1;
		csum_sum512(w);
	}
	n = w->sum;
	n = (n & 0xffffffff) + (n >> 32);
	return (n & 0xffffffff) + (n >> 32);
}

/*
 * Sum an L4 segment in place when it lies in the linear part, and
 * below PKT_OFF_MASK: csum_linear() masks every offset it reaches
 * (lib/verifier.h: masked offsets). Otherwise copy it.
 */
static __always_inline int csum_segment(struct xdp_md *ctx, void *data,
					void *data_end, __u32 off, __u32 len,
					__u64 *sum)
{
	__u32 linear = data_end - data;
	long s;

	if (off + len <= linear && off + len <= PKT_OFF_MASK &&
	    len < CSUM_LINEAR_MAX)
		return csum_linear(data, data_end, off, len, sum);
	s = csum_frags(ctx, off, len);
	if (s < 0)
		return -1;
	*sum += s;
	return 0;
}

/*
 * The token bucket behind csum.sample_rate: up to `rate` samples at once,
 * refilled at `rate` per second, shared by all CPUs. A lockless peek
 * first: under a flood of bad frames nearly every one finds the bucket
 * empty, and taking the lock for each would bounce it between CPUs.
 * Returns 1 (take a sample), 0 (rate-limited) or -1 (no bucket).
 */
static __always_inline int csum_rl_take(__u32 rate)
{
	struct csum_ratelimit *rl;
	__u64 now, elapsed, tokens, cap;
	__u32 zero = 0;
	int ok = 0;

	rl = bpf_map_lookup_elem(&csum_rl, &zero);
	if (!rl)
		return -1;	/* in-range ARRAY key: "cannot happen" */
	now = bpf_ktime_get_coarse_ns();
	elapsed = now - rl->last_ns;
	if (elapsed < CSUM_NSEC_PER_SEC &&
	    rl->tokens + elapsed * rate < CSUM_NSEC_PER_SEC)
		return 0;

	cap = (__u64)rate * CSUM_NSEC_PER_SEC;
	bpf_spin_lock(&rl->lock);
	elapsed = now - rl->last_ns;
	/* Another CPU may have refilled with a later clock reading. */
	if ((__s64)elapsed < 0)
		elapsed = 0;
	/* A second refills the bucket; more would overflow the product. */
	if (elapsed > CSUM_NSEC_PER_SEC)
		elapsed = CSUM_NSEC_PER_SEC;
	tokens = rl->tokens + elapsed * rate;
	if (tokens > cap)
		tokens = cap;
	if (tokens >= CSUM_NSEC_PER_SEC) {
		tokens -= CSUM_NSEC_PER_SEC;
		ok = 1;
	}
	rl->tokens = tokens;
	if (elapsed)
		rl->last_ns = now;
	bpf_spin_unlock(&rl->lock);
	return ok;
}

/*
 * Put a bad frame into the events ring buffer, as received: its first
 * CHIMNEY_EVENT_SNAP bytes, from all buffers of a multi-buffer frame.
 * Only bad frames get here, so the clock and the copy cost nothing on
 * the good path.
 */
static __always_inline void csum_sample(struct xdp_md *ctx,
					const struct pkt *pkt,
					const struct chimney_config *cfg,
					struct chimney_counters *c,
					__u32 reason, __u16 found,
					__u16 expected)
{
	struct chimney_event *ev;
	__u32 cap;
	int ok;

	ok = csum_rl_take(cfg->csum_sample_rate);
	if (ok <= 0) {
		count_global(c, ok ? GC_xdp_aborted :
				     GC_csum_samples_ratelimited);
		return;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count_global(c, GC_csum_samples_lost);
		return;
	}
	cap = pkt->pkt_len;
	if (cap > CHIMNEY_EVENT_SNAP)
		cap = CHIMNEY_EVENT_SNAP;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = CHIMNEY_EV_CSUM;
	ev->ifindex = ctx->ingress_ifindex;
	ev->pkt_len = pkt->pkt_len;
	ev->reason = reason;
	ev->found = found;
	ev->expected = expected;
	ev->l3_off = pkt->l3_off;
	ev->l4_off = pkt->l4_off;
	ev->pad = 0;
	__builtin_memcpy(&ev->tuple, &pkt->tuple, sizeof(ev->tuple));
	if (cap < 1 || bpf_xdp_load_bytes(ctx, 0, ev->data, cap))
		cap = 0;
	ev->cap_len = cap;
	bpf_ringbuf_submit(ev, 0);
	count_global(c, GC_csum_samples);
}

/*
 * What csum_check() found wrong, in one return value: a flag bit, the
 * csum_bad_* counter, the checksum found and the one expected.
 */
#define CSUM_BAD		(1ULL << 48)
#define CSUM_BAD_INFO(reason, found, expected)				\
	(CSUM_BAD | (__u64)(reason) << 32 | (__u32)(found) << 16 | (expected))

/*
 * A checksum proven wrong: count it, sample it, drop it if asked to.
 * Global, and called by the main program rather than by csum_check():
 * the sampling code needs stack of its own (lib/verifier.h: global
 * functions).
 */
__noinline int csum_bad(struct xdp_md *ctx, const struct pkt *pkt,
			const struct chimney_config *cfg,
			struct chimney_counters *c, __u64 bad)
{
	__u32 reason = (bad >> 32) & 0xffff;

	if (!pkt || !cfg || !c)
		return XDP_PASS;
	count_global(c, reason);
	if (cfg->csum_sample_rate)
		csum_sample(ctx, pkt, cfg, c, reason, bad >> 16, bad);
	if (cfg->csum_mode != CHIMNEY_CSUM_DROP)
		return XDP_PASS;
	count_global(c, GC_csum_drop);
	return XDP_DROP;
}

/*
 * The IPv4 header at off, hlen bytes (20-60), known to lie in the linear
 * area. Returns 1 when its checksum is right, 0 when wrong (found and
 * expected filled), -1 when it cannot be read.
 */
static __always_inline int csum_ipv4_hdr(void *data, void *data_end, __u32 off,
					 __u32 hlen, __u16 *found,
					 __u16 *expected)
{
	struct iphdr *iph;
	__u64 sum;
	void *p;
	int i;

	off &= PKT_OFF_MASK;
	p = data + off;
	if (p + sizeof(*iph) > data_end)
		return -1;
	iph = p;
	sum = (__u64)*(__u32 *)(p + 0) + *(__u32 *)(p + 4) +
	      *(__u32 *)(p + 8) + *(__u32 *)(p + 12) + *(__u32 *)(p + 16);
	/* Options: up to 40 bytes, in 4-byte words. */
	for (i = 0; i < 10; i++) {
		if (sizeof(*iph) + 4 * i >= hlen)
			break;
		p = data + off + sizeof(*iph) + 4 * i;
		if (p + 4 > data_end)
			return -1;
		sum += *(__u32 *)p;
	}
	if (csum_ok(sum))
		return 1;
	*found = iph->check;
	*expected = csum_expected(sum, iph->check);
	return 0;
}

/*
 * Does an IPv6 routing header with segments left follow? Then the packet
 * is in transit and its L4 checksum covers the final destination, the
 * last address of the routing header (RFC 8200 8.1), not daddr. Read
 * here rather than flagged by the parser: a flag set inside the
 * parser's extension-header loop doubles the verifier's states per
 * round for every stage that follows, while this walk, inside the
 * global csum_check(), is verified once and runs only for packets with
 * extension headers. 1: in transit, 0: not, -1: unreadable.
 */
static __always_inline int csum_ipv6_in_transit(void *data, void *data_end,
						const struct pkt *pkt)
{
	__u32 cur = pkt->l3_off + sizeof(struct ipv6hdr), len, i;
	__u8 *p, nh;

	p = data + (pkt->l3_off & PKT_OFF_MASK);
	if ((void *)(p + sizeof(struct ipv6hdr)) > data_end)
		return -1;
	nh = ((struct ipv6hdr *)p)->nexthdr;
	for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
		if (cur >= pkt->l4_off)
			break;
		p = data + (cur & PKT_OFF_MASK);
		if ((void *)(p + 4) > data_end)
			return -1;
		if (nh == IPPROTO_ROUTING && p[3])
			return 1;
		/* AH counts 4-byte units less 2, the others 8-byte units
		 * less 1; a fragment header (atomic here) reads as 8. */
		len = nh == IPPROTO_AH ? (p[1] + 2) * 4 : (p[1] + 1) * 8;
		nh = p[0];
		cur += len;
	}
	return 0;
}

/*
 * A frame the parser gave up on. With an IPv4 header that can be read
 * (version 4, IHL >= 5, inside the frame) its checksum is still checked;
 * returns 0 when it is wrong (found and expected filled). Otherwise the
 * frame is counted `truncated` when its IP length runs past the frame,
 * `parse` for the other reasons, and 1 returned. No L4 checksum is
 * judged.
 */
static __always_inline int csum_unparsed(void *data, void *data_end,
					 const struct pkt *pkt,
					 struct chimney_counters *c,
					 int reason, __u16 *found,
					 __u16 *expected)
{
	__u8 *vihl;

	if (pkt->l3_proto == ETH_P_IP) {
		vihl = data + (pkt->l3_off & PKT_OFF_MASK);
		if ((void *)(vihl + 1) <= data_end && (*vihl >> 4) == 4 &&
		    (*vihl & 0xf) >= 5 &&
		    !csum_ipv4_hdr(data, data_end, pkt->l3_off,
				   (*vihl & 0xf) * 4, found, expected))
			return 0;
	}
	count_global(c, reason == HC_parse_ipv4_len_beyond ||
			reason == HC_parse_ipv6_len_beyond ?
			GC_csum_unverified_truncated :
			GC_csum_unverified_parse);
	return 1;
}

/*
 * The checks behind csum_verdict(). A global function (lib/verifier.h):
 * the verifier walks it once, with the packet unknown, instead of once
 * for every path through the parser that reaches it, each with its own
 * constant offsets.
 *
 * Returns 0 when the frame's outcome is counted (ok or unverified), or
 * CSUM_BAD_INFO() for a frame proven bad, which csum_bad() handles.
 */
__noinline long csum_check(struct xdp_md *ctx, const struct pkt *pkt,
			   struct chimney_counters *c, int reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct chimney_tuple *t = &pkt->tuple;
	__u16 found = 0, expected = 0, l4_len = pkt->l4_len;
	__u32 csum_off, seg_len, ok_ctr, bad_ctr;
	__u64 sum = 0;
	int v4, udp = 0, ret;
	void *p;

	if (!pkt || !c)
		return 0;
	/* A VXLAN frame with a short inner packet is whole outside. */
	if (reason && reason != HC_parse_vxlan_truncated) {
		if (csum_unparsed(data, data_end, pkt, c, reason, &found,
				  &expected))
			return 0;
		bad_ctr = GC_csum_bad_ip;
		goto bad;
	}

	v4 = pkt->l3_proto == ETH_P_IP;
	if (v4) {
		ret = csum_ipv4_hdr(data, data_end, pkt->l3_off,
				    pkt->l4_off - pkt->l3_off, &found,
				    &expected);
		if (ret < 0) {
			count_global(c, GC_csum_unverified_parse);
			return 0;
		}
		if (!ret) {
			bad_ctr = GC_csum_bad_ip;
			goto bad;
		}
	}
	if (pkt->flags & PKT_F_FRAG) {
		count_global(c, GC_csum_unverified_fragment);
		return 0;
	}
	if (!v4 && (pkt->flags & PKT_F_IPV6_EXT)) {
		ret = csum_ipv6_in_transit(data, data_end, pkt);
		if (ret < 0)
			goto unverified_parse;
		if (ret) {
			count_global(c, GC_csum_unverified_rthdr);
			return 0;
		}
	}
	if (!(pkt->flags & PKT_F_L4))
		goto unverified_proto;

	seg_len = l4_len;
	switch (t->proto) {
	case IPPROTO_TCP:
		csum_off = __builtin_offsetof(struct tcphdr, check);
		ok_ctr = v4 ? GC_csum_ok_tcp : GC_csum_ok_tcp6;
		bad_ctr = v4 ? GC_csum_bad_tcp : GC_csum_bad_tcp6;
		break;
	case IPPROTO_UDP: {
		struct udphdr *uh = data + (pkt->l4_off & PKT_OFF_MASK);

		if ((void *)(uh + 1) > data_end)
			goto unverified_parse;
		/* The UDP length, not the IP one, bounds the datagram. */
		seg_len = bpf_ntohs(uh->len);
		if (seg_len < sizeof(*uh) || seg_len > l4_len)
			goto unverified_parse;
		csum_off = __builtin_offsetof(struct udphdr, check);
		ok_ctr = v4 ? GC_csum_ok_udp : GC_csum_ok_udp6;
		bad_ctr = v4 ? GC_csum_bad_udp : GC_csum_bad_udp6;
		udp = 1;
		break;
	}
	case IPPROTO_ICMP:
		if (!v4)
			goto unverified_proto;
		csum_off = __builtin_offsetof(struct icmphdr, checksum);
		ok_ctr = GC_csum_ok_icmp;
		bad_ctr = GC_csum_bad_icmp;
		break;
	case IPPROTO_ICMPV6:
		if (v4)
			goto unverified_proto;
		csum_off = __builtin_offsetof(struct icmp6hdr, icmp6_cksum);
		ok_ctr = GC_csum_ok_icmp6;
		bad_ctr = GC_csum_bad_icmp6;
		break;
	default:
		goto unverified_proto;
	}

	p = data + ((pkt->l4_off + csum_off) & PKT_OFF_MASK);
	if (p + 2 > data_end)
		goto unverified_parse;
	found = *(__u16 *)p;
	/* RFC 768: 0 means the sender computed none. Over IPv6 a sender
	 * must compute one (RFC 8200 8.1): 0 is wrong, and the sum below
	 * still runs to report the value it should have had. */
	if (udp && !found && v4) {
		count_global(c, GC_csum_ok_udp_zero);
		return 0;
	}

	/* The pseudo-header; ICMP over IPv4 has none. */
	if (!v4 || t->proto != IPPROTO_ICMP)
		sum = csum_pseudo(t, t->proto, seg_len);

	if (csum_segment(ctx, data, data_end, pkt->l4_off, seg_len, &sum)) {
		count_global(c, GC_csum_unverified_load);
		return 0;
	}
	if (udp && !found) {
		bad_ctr = GC_csum_bad_udp6_zero;
	} else if (csum_ok(sum)) {
		count_global(c, ok_ctr);
		return 0;
	}
	expected = csum_expected(sum, found);
	/* UDP sends a computed 0 as all ones (RFC 768). */
	if (udp && !expected)
		expected = 0xffff;
bad:
	return CSUM_BAD_INFO(bad_ctr, found, expected);

unverified_proto:
	count_global(c, GC_csum_unverified_proto);
	return 0;
unverified_parse:
	count_global(c, GC_csum_unverified_parse);
	return 0;
}

#define CSUM_FAST_MAX	64	/* L4 segments shorter than this stay inline */

/* One piece of the inline tail: n bytes at p, if `len` has bit n. */
#define CSUM_FAST_PIECE(n, loads)					\
	if (len & (n)) {						\
		if (p + (n) > data_end)					\
			return 0;					\
		loads;							\
		p += (n);						\
	}

/*
 * The common case, inline: a whole IPv4 (no options) or IPv6 (no
 * extension headers) TCP or UDP packet whose segment is shorter than
 * CSUM_FAST_MAX bytes: a 64-byte frame, a bare ACK. Straight-line code,
 * so the verifier's walk through it stays short for every parser path
 * that reaches it, and no call: the small packets, which cannot pay
 * for one, never make one. Returns 1 when the checksums are right (and
 * counted), 0 to leave every other outcome, a wrong checksum included,
 * to csum_check().
 */
static __always_inline int csum_fast(void *data, void *data_end,
				     const struct pkt *pkt,
				     struct chimney_counters *c)
{
	const struct chimney_tuple *t = &pkt->tuple;
	__u32 len = pkt->l4_len, ctr;
	__u64 s0 = 0, s1 = 0, hs;
	void *p;

	if ((pkt->flags & (PKT_F_FRAG | PKT_F_IP_OPTS | PKT_F_IPV6_EXT |
			   PKT_F_L4)) != PKT_F_L4 || len >= CSUM_FAST_MAX)
		return 0;
	p = data + (pkt->l4_off & PKT_OFF_MASK);
	if (p + sizeof(struct udphdr) > data_end)
		return 0;
	if (t->proto == IPPROTO_TCP) {
		if (p + sizeof(struct tcphdr) > data_end)
			return 0;
		ctr = t->family == 4 ? GC_csum_ok_tcp : GC_csum_ok_tcp6;
	} else if (t->proto == IPPROTO_UDP) {
		struct udphdr *uh = p;

		/* 0 (no checksum) and a UDP length short of the IP one
		 * have their own rules: csum_check() applies them. */
		if (!uh->check || bpf_ntohs(uh->len) != len)
			return 0;
		ctr = t->family == 4 ? GC_csum_ok_udp : GC_csum_ok_udp6;
	} else {
		return 0;
	}

	if (t->family == 4) {
		void *ip = data + (pkt->l3_off & PKT_OFF_MASK);

		if (ip + sizeof(struct iphdr) > data_end)
			return 0;
		hs = (__u64)*(__u32 *)(ip + 0) + *(__u32 *)(ip + 4) +
		     *(__u32 *)(ip + 8) + *(__u32 *)(ip + 12) +
		     *(__u32 *)(ip + 16);
		if (!csum_ok(hs))
			return 0;
	}
	s0 = csum_pseudo(t, t->proto, len);

	CSUM_FAST_PIECE(32, CSUM_LD4(s0, p, 0); CSUM_LD4(s1, p, 4);
			    CSUM_LD4(s0, p, 8); CSUM_LD4(s1, p, 12);
			    CSUM_LD4(s0, p, 16); CSUM_LD4(s1, p, 20);
			    CSUM_LD4(s0, p, 24); CSUM_LD4(s1, p, 28))
	CSUM_FAST_PIECE(16, CSUM_LD4(s0, p, 0); CSUM_LD4(s1, p, 4);
			    CSUM_LD4(s0, p, 8); CSUM_LD4(s1, p, 12))
	CSUM_FAST_PIECE(8, CSUM_LD4(s0, p, 0); CSUM_LD4(s1, p, 4))
	CSUM_FAST_PIECE(4, CSUM_LD4(s0, p, 0))
	CSUM_FAST_PIECE(2, s1 += *(__u16 *)p)
	CSUM_FAST_PIECE(1, s0 += *(__u8 *)p)
	if (!csum_ok(s0 + s1))
		return 0;
	count_global(c, ctr);
	return 1;
}

/*
 * The checksum stage. `reason` is the parser's verdict: frames it gave
 * up on come here too, since an IPv4 header whose total length runs
 * past the frame (`truncated`) can still be checked. Returns XDP_DROP
 * only for a frame proven bad under csum=drop, XDP_PASS otherwise.
 */
static __always_inline int csum_verdict(struct xdp_md *ctx,
					const struct pkt *pkt, int reason,
					const struct chimney_config *cfg,
					struct chimney_counters *c)
{
	__u64 bad;

	if (cfg->csum_mode == CHIMNEY_CSUM_OFF || !pkt->l3_proto)
		return XDP_PASS;
	if (!reason && csum_fast((void *)(long)ctx->data,
				 (void *)(long)ctx->data_end, pkt, c))
		return XDP_PASS;
	bad = csum_check(ctx, pkt, c, reason);
	if (!bad)
		return XDP_PASS;
	return csum_bad(ctx, pkt, cfg, c, bad);
}

#endif /* CHIMNEY_BPF_CSUM_H */
