/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MSS clamping of SYN and SYN-ACK segments, with the kernel's xt_TCPMSS
 * as the reference. (The path-MTU signals ICMP reports are logged by
 * lib/pmtu.h.)
 *
 * Which segments: TCP with SYN set and RST clear (what the usual
 * `-p tcp --tcp-flags SYN,RST SYN` rule in front of TCPMSS selects), over
 * IPv4 or IPv6, behind VLAN tags, IPv4 options or IPv6 extension
 * headers: the parser's l4_off already points past all of them.
 * Fragments are skipped: the TCP header may not be whole.
 *
 * The clamp, most specific rule first:
 *   1. a prefix rule (mss_rules_v4/v6, LPM) matching the address the
 *      connection's SYN is sent to: the destination of a SYN, the source
 *      of a SYN-ACK. Keying both halves of the handshake on the same
 *      address makes one rule clamp both directions of a connection;
 *   2. the interface rule: the smallest of mss=N, mtu=N minus 40 (IPv4)
 *      or 60 (IPv6) and, with mss=auto, the route MTU minus 40/60 toward
 *      the segment's destination and back toward its source (the two
 *      MTUs xt_TCPMSS --clamp-mss-to-pmtu takes the minimum of).
 *
 * The rewrite never raises an MSS and touches only a well-formed 4-byte
 * MSS option found by a strict walk: NOP and EOL are single bytes,
 * every other option needs a length byte inside the header, a length of
 * at least 2 that does not run past the data offset, and MSS must be
 * exactly 4 bytes and appear once. Anything else is counted as malformed
 * and left alone: unlike xt_TCPMSS, which steps over bad lengths one byte
 * at a time and may rewrite or insert behind them. The layouts the
 * common stacks send (Linux, Windows, macOS) are recognized whole, with a
 * few compares; every other layout is walked option by option.
 *
 * No MSS option: as xt_TCPMSS, one is inserted right after the base
 * header, with min(clamp, 536) for IPv4 or min(clamp, 1220) for IPv6
 * (what the receiver assumes without an option, so the effective MSS is
 * never raised), unless data follows the header or the header is
 * already 60 bytes long. The packet grows by 4 bytes.
 *
 * Checksums are updated incrementally (RFC 1624, lib/csum_ops.h). An
 * MSS value at an odd offset straddles two 16-bit checksum words;
 * swapping the bytes of the old and new value makes one 16-bit update
 * right (csum_word_at(); xt_TCPMSS does not, and is wrong there).
 * TC uses bpf_l4_csum_replace(), which knows the skb's ip_summed: with
 * CHECKSUM_PARTIAL the field holds only the pseudo-header sum, so data
 * changes leave it alone and only a length change (BPF_F_PSEUDO_HDR)
 * updates it. XDP cannot see ip_summed, yet a veth peer with tx offload
 * delivers exactly such packets; a field equal to the pseudo-header sum
 * that does not verify as a full checksum is treated the same way.
 */
#ifndef CHIMNEY_BPF_MSS_H
#define CHIMNEY_BPF_MSS_H

#include "maps.h"
#include "counters.h"
#include "csum_ops.h"
#include <chimney/tcp.h>

/* The longest TCP header an inserted MSS option still fits in. */
#define MSS_INSERT_HLEN_MAX	(CHIMNEY_TCP_HDR_MAX - CHIMNEY_TCPOLEN_MSS)

/* The clamp's view of a SYN's checksum field (XDP). */
enum mss_csum_kind {
	MSS_CSUM_FULL,		/* a whole checksum (possibly a bad one) */
	MSS_CSUM_PARTIAL,	/* the pseudo-header sum only */
};

enum mss_walk_res {
	MSS_OPT_NONE,
	MSS_OPT_FOUND,
	MSS_OPT_MALFORMED,
};

static __always_inline int mss_dir_on(const struct chimney_config *cfg,
				      int hook)
{
	if (cfg->mss_dir == CHIMNEY_MSS_DIR_BOTH)
		return 1;
	return cfg->mss_dir == (hook == CHIMNEY_HOOK_RX ? CHIMNEY_MSS_DIR_IN :
							   CHIMNEY_MSS_DIR_OUT);
}

/* Is clamping on in this hook's direction? */
static __always_inline int mss_enabled(const struct chimney_config *cfg,
				       int hook)
{
	return (cfg->mss_fixed | cfg->mss_mtu | cfg->mss_auto |
		cfg->mss_rules_v4 | cfg->mss_rules_v6) && mss_dir_on(cfg, hook);
}

/*
 * The pseudo-header sum of the TCP segment, folded, not inverted: what
 * a CHECKSUM_PARTIAL sender leaves in the field.
 */
static __always_inline __u16 mss_pseudo_sum(const struct pkt *pkt,
					    __u32 l4_len)
{
	return csum_fold(csum_pseudo(&pkt->tuple, IPPROTO_TCP, l4_len));
}

/* ---- the option walk ----------------------------------------------- */

/* An option's offset in the TCP header, widened to 0..63. */
#define mss_widen(v)	verifier_widen(v, 0x3f)

/*
 * Walk the options of the TCP header at l4_off, hlen bytes long (the
 * parser checked that they lie within the frame). One step per option:
 * each consumes at least one of at most 40 bytes, so 40 steps always
 * finish the walk. On MSS_OPT_FOUND, *mss_at is the option's offset in
 * the TCP header.
 *
 * NOP steps by one, other options by their length: the position is
 * never exact to the verifier (lib/verifier.h: widened positions). It
 * starts as 20 plus the difference of two loads of one packet byte
 * (zero at run time; the volatile one clang cannot merge with the
 * other, and the verifier does not know them equal) and is widened
 * after every step, so all paths of a step meet in one state, while at
 * run time the position stays in a register.
 */
static __always_inline int mss_walk(void *data, void *data_end, __u64 l4_off,
				    __u64 hlen, __u32 *mss_at)
{
	__u8 *th = data + (l4_off & PKT_OFF_MASK), *p;
	/* 64-bit (lib/verifier.h: clang 14 code generation) */
	__u64 i, found = 0, kind, len;
	int k;

	if ((void *)(th + CHIMNEY_TCP_HDR_LEN) > data_end)
		return MSS_OPT_MALFORMED;
	i = CHIMNEY_TCP_HDR_LEN + (__u64)th[12] -
	    (__u64)*(volatile __u8 *)(th + 12);
	i = mss_widen(i);
	for (k = 0; k < CHIMNEY_TCP_OPT_SPACE; k++) {
		if (i >= hlen)
			break;
		p = data + ((l4_off + i) & PKT_OFF_MASK);
		if ((void *)(p + 1) > data_end)
			return MSS_OPT_MALFORMED;
		kind = p[0];
		if (kind == CHIMNEY_TCPOPT_EOL)
			break;
		if (kind == CHIMNEY_TCPOPT_NOP) {
			i++;
			i = mss_widen(i);
			continue;
		}
		/* A length byte inside the header, >= 2, not past it. */
		if (i + 2 > hlen || (void *)(p + 2) > data_end)
			return MSS_OPT_MALFORMED;
		len = p[1];
		if (len < 2 || i + len > hlen)
			return MSS_OPT_MALFORMED;
		if (kind == CHIMNEY_TCPOPT_MSS) {
			/* Receivers disagree on which of two MSS options
			 * counts: rewriting one of them is no clamp. */
			if (len != CHIMNEY_TCPOLEN_MSS || found)
				return MSS_OPT_MALFORMED;
			found = i;
		}
		i += len;
		i = mss_widen(i);
	}
	*mss_at = found;
	return found ? MSS_OPT_FOUND : MSS_OPT_NONE;
}

/*
 * The option layouts the common TCP stacks send, recognized whole. A
 * match is well formed by construction (every kind and length byte is
 * fixed, only values vary) and has the MSS first, so the walk is not
 * needed: most SYNs cost a few compares instead of a step per option.
 * Anything else takes the walk. Words are read as they lie in memory
 * and compared with constants in network order.
 */
#define MSS_W(a, b, c, d)	bpf_htonl((a) << 24 | (b) << 16 | (c) << 8 | (d))

static __always_inline int mss_known_layout(void *data, void *data_end,
					    __u64 l4_off, __u64 hlen)
{
	__u8 *o = data + (l4_off & PKT_OFF_MASK) + CHIMNEY_TCP_HDR_LEN;
	__u32 w1, w2;

	if ((void *)(o + 12) > data_end)
		return 0;
	/* MSS first, in all of them */
	if (*(__u16 *)o !=
	    bpf_htons(CHIMNEY_TCPOPT_MSS << 8 | CHIMNEY_TCPOLEN_MSS))
		return 0;
	w1 = *(__u32 *)(o + 4);
	w2 = *(__u32 *)(o + 8);
	/* Linux: MSS, SAckOK, Timestamp, NOP, WScale */
	if (hlen == 40 && w1 == MSS_W(4, 2, 8, 10) &&
	    (void *)(o + 20) <= data_end &&
	    (*(__u32 *)(o + 16) & MSS_W(0xff, 0xff, 0xff, 0)) == MSS_W(1, 3, 3, 0))
		return 1;
	/* Linux without timestamps: MSS, NOP, NOP, SAckOK, NOP, WScale */
	if (hlen == 32 && w1 == MSS_W(1, 1, 4, 2) &&
	    (w2 & MSS_W(0xff, 0xff, 0xff, 0)) == MSS_W(1, 3, 3, 0))
		return 1;
	/* Windows: MSS, NOP, WScale, NOP, NOP, SAckOK */
	if (hlen == 32 && (w1 & MSS_W(0xff, 0xff, 0xff, 0)) == MSS_W(1, 3, 3, 0) &&
	    w2 == MSS_W(1, 1, 4, 2))
		return 1;
	/* macOS, iOS: MSS, NOP, WScale, NOP, NOP, Timestamp, SAckOK, EOL */
	if (hlen == 44 && (w1 & MSS_W(0xff, 0xff, 0xff, 0)) == MSS_W(1, 3, 3, 0) &&
	    w2 == MSS_W(1, 1, 8, 10) && (void *)(o + 24) <= data_end &&
	    *(__u32 *)(o + 20) == MSS_W(4, 2, 0, 0))
		return 1;
	return 0;
}

/* ---- which clamp applies ------------------------------------------- */

/*
 * The MTU of the route toward dst (toward = 1) or back toward the source
 * (toward = 0), or 0 when there is no usable answer. tot_len at its
 * largest makes every route MTU below 64K come back as FRAG_NEEDED with
 * the MTU in mtu_result, before any neighbour lookup; this works the
 * same from kernel 5.12 on, with or without BPF_FIB_LOOKUP_SKIP_NEIGH.
 */
static __always_inline __u32 mss_route_mtu(void *ctx, const struct pkt *pkt,
					   int toward, __u32 ifindex,
					   __u32 flags)
{
	const struct chimney_tuple *t = &pkt->tuple;
	struct bpf_fib_lookup fib = {};
	long rc;

	fib.l4_protocol = IPPROTO_TCP;
	fib.tot_len = 0xffff;
	fib.ifindex = ifindex;
	if (toward) {
		fib.sport = t->sport;
		fib.dport = t->dport;
	} else {
		fib.sport = t->dport;
		fib.dport = t->sport;
	}
	if (t->family == 4) {
		fib.family = AF_INET;
		fib.ipv4_src = toward ? t->saddr[0] : t->daddr[0];
		fib.ipv4_dst = toward ? t->daddr[0] : t->saddr[0];
	} else {
		fib.family = AF_INET6;
		if (toward) {
			__builtin_memcpy(fib.ipv6_src, t->saddr, 16);
			__builtin_memcpy(fib.ipv6_dst, t->daddr, 16);
		} else {
			__builtin_memcpy(fib.ipv6_src, t->daddr, 16);
			__builtin_memcpy(fib.ipv6_dst, t->saddr, 16);
		}
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), flags);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return fib.mtu_result;
	/* SUCCESS: an MTU of 64K or more; anything else: no route this
	 * way (local address, forwarding off, unreachable): no limit. */
	return 0;
}

static __always_inline __u32 mss_min_mtu(__u32 m, __u32 mtu, __u32 hdr)
{
	if (mtu > hdr + CHIMNEY_TCP_HDR_LEN && mtu - hdr < m)
		return mtu - hdr;
	return m;
}

/*
 * The mss=auto lookups. Inbound on X (XDP), the kernel routes the packet
 * onward from X (an input lookup) and replies leave through X (an output
 * lookup). Outbound on X (TC), the destination is reached through X and
 * the source through the interface the packet came in on (none for a
 * local sender). Read only when mss=auto is on: the XDP ingress ifindex
 * is three dependent loads.
 */
static __always_inline __u32 mss_auto_mss(void *ctx, const struct pkt *pkt,
					  int hook, __u32 m, __u32 hdr)
{
	__u32 dst_if, dst_flags, src_if;

	if (hook == CHIMNEY_HOOK_RX) {
		dst_if = src_if = ((struct xdp_md *)ctx)->ingress_ifindex;
		dst_flags = 0;
	} else {
		dst_if = ((struct __sk_buff *)ctx)->ifindex;
		src_if = ((struct __sk_buff *)ctx)->ingress_ifindex;
		dst_flags = BPF_FIB_LOOKUP_OUTPUT;
	}
	m = mss_min_mtu(m, mss_route_mtu(ctx, pkt, 1, dst_if, dst_flags), hdr);
	if (src_if)
		m = mss_min_mtu(m, mss_route_mtu(ctx, pkt, 0, src_if,
						 BPF_FIB_LOOKUP_OUTPUT), hdr);
	return m;
}

/* The clamp for this segment, or 0 when no rule applies. */
static __always_inline __u32 mss_limit(void *ctx, const struct pkt *pkt,
				       const struct chimney_config *cfg,
				       int hook)
{
	const struct chimney_mss_rule *r = NULL;
	/* The address the connection's SYN is sent to. */
	int synack = pkt->tcp_flags & CHIMNEY_TCP_ACK;
	const __be32 *resp = synack ? pkt->tuple.saddr : pkt->tuple.daddr;
	__u32 hdr, m = 0xffffffff;

	if (pkt->tuple.family == 4) {
		hdr = CHIMNEY_MSS_HDR_V4;
		if (cfg->mss_rules_v4) {
			struct chimney_mss_key4 k = { .prefixlen = 32 };

			__builtin_memcpy(k.addr, resp, 4);
			r = bpf_map_lookup_elem(&mss_rules_v4, &k);
		}
	} else {
		hdr = CHIMNEY_MSS_HDR_V6;
		if (cfg->mss_rules_v6) {
			struct chimney_mss_key6 k = { .prefixlen = 128 };

			__builtin_memcpy(k.addr, resp, 16);
			r = bpf_map_lookup_elem(&mss_rules_v6, &k);
		}
	}
	if (r)
		return r->mss;

	if (cfg->mss_fixed)
		m = cfg->mss_fixed;
	if (cfg->mss_mtu)
		m = mss_min_mtu(m, cfg->mss_mtu, hdr);
	if (cfg->mss_auto)
		m = mss_auto_mss(ctx, pkt, hook, m, hdr);
	return m == 0xffffffff ? 0 : m;
}

/* What the checks before a rewrite decide, shared by both hooks. */
struct mss_plan {
	__u32 limit;		/* the clamp */
	__u32 hlen;		/* TCP header length */
	__u32 mss_at;		/* MSS option offset in the TCP header */
	__u16 old_mss, new_mss;	/* host order */
	int res;		/* enum mss_walk_res */
};

/*
 * Count the SYN and decide. Returns 1 when the caller must rewrite
 * (plan->res says: the MSS value, or an insertion), 0 when the segment
 * stays as it is (its outcome counted here).
 */
static __always_inline int mss_decide(void *ctx, void *data, void *data_end,
				      const struct pkt *pkt,
				      const struct chimney_config *cfg,
				      int hook, struct chimney_counters *c,
				      struct mss_plan *pl)
{
	__u8 *p;

	count_hook(c, hook, HC_mss_syn);
	pl->limit = mss_limit(ctx, pkt, cfg, hook);
	if (!pl->limit) {
		count_hook(c, hook, HC_mss_no_rule);
		return 0;
	}
	p = data + (pkt->l4_off & PKT_OFF_MASK);
	if ((void *)(p + CHIMNEY_TCP_HDR_LEN) > data_end) {
		/* The parser saw the header; this keeps the verifier sure. */
		count_hook(c, hook, HC_mss_malformed);
		return 0;
	}
	pl->hlen = (p[12] >> 4) * 4;
	if (mss_known_layout(data, data_end, pkt->l4_off, pl->hlen)) {
		pl->res = MSS_OPT_FOUND;
		pl->mss_at = CHIMNEY_TCP_HDR_LEN;
	} else {
		pl->res = mss_walk(data, data_end, pkt->l4_off, pl->hlen,
				   &pl->mss_at);
	}
	if (pl->res == MSS_OPT_MALFORMED) {
		count_hook(c, hook, HC_mss_malformed);
		return 0;
	}
	if (pl->res == MSS_OPT_FOUND) {
		p = data + ((pkt->l4_off + pl->mss_at) & PKT_OFF_MASK);
		if ((void *)(p + CHIMNEY_TCPOLEN_MSS) > data_end) {
			count_hook(c, hook, HC_mss_malformed);
			return 0;
		}
		pl->old_mss = (__u16)p[2] << 8 | p[3];
		if (pl->old_mss <= pl->limit) {
			count_hook(c, hook, HC_mss_small_enough);
			return 0;
		}
		pl->new_mss = pl->limit;
		return 1;
	}
	/* No MSS option. xt_TCPMSS adds one only to a header followed by
	 * no data and with room for 4 more bytes. */
	if (pkt->l4_len != pl->hlen || pl->hlen > MSS_INSERT_HLEN_MAX) {
		count_hook(c, hook, HC_mss_absent);
		return 0;
	}
	pl->new_mss = pkt->tuple.family == 4 ? CHIMNEY_MSS_DEFAULT_V4 :
					       CHIMNEY_MSS_DEFAULT_V6;
	if (pl->limit < pl->new_mss)
		pl->new_mss = pl->limit;
	return 1;
}

/*
 * The options an insertion moves up: hlen - 20, at most 36 (a header of
 * 60 has no room). The range checks must stay in the code, where the
 * verifier sees [0, 36] (lib/verifier.h: ordering points).
 */
static __always_inline __u64 mss_optlen(__u64 hlen)
{
	barrier_var(hlen);
	if (hlen <= CHIMNEY_TCP_HDR_LEN || hlen > MSS_INSERT_HLEN_MAX)
		return 0;
	return hlen - CHIMNEY_TCP_HDR_LEN;
}

/* ---- XDP ----------------------------------------------------------- */

/*
 * Is the TCP checksum field of this segment (l4_len bytes at l4_off)
 * only its pseudo-header sum? Cheap when not: a full checksum almost
 * never equals the pseudo-header sum, and only then is the segment
 * summed, in 64-byte stack chunks (a SYN is one or two). A segment too
 * long to sum here (> 1536 bytes) is taken as full.
 */
#define MSS_CSUM_CHUNK		64
#define MSS_CSUM_CHUNKS		24

static __always_inline int mss_xdp_csum_kind(struct xdp_md *ctx,
					     const struct pkt *pkt,
					     __u16 check, __u16 pseudo)
{
	__u8 buf[MSS_CSUM_CHUNK];
	__u32 l4_off = pkt->l4_off, l4_len = pkt->l4_len, off, n;
	__s64 sum = pseudo;
	int k;

	if (check != pseudo || l4_len > MSS_CSUM_CHUNK * MSS_CSUM_CHUNKS)
		return MSS_CSUM_FULL;
	for (k = 0; k < MSS_CSUM_CHUNKS; k++) {
		off = k * MSS_CSUM_CHUNK;
		if (off >= l4_len)
			break;
		n = l4_len - off;
		if (n > MSS_CSUM_CHUNK)
			n = MSS_CSUM_CHUNK;
		/* 1..64, in a form the verifier keeps: clang would drop
		 * the mask (lib/verifier.h: ordering points). */
		barrier_var(n);
		n = ((n - 1) & (MSS_CSUM_CHUNK - 1)) + 1;
		__builtin_memset(buf, 0, sizeof(buf));
		if (bpf_xdp_load_bytes(ctx, l4_off + off, buf, n))
			return MSS_CSUM_FULL;
		sum = bpf_csum_diff(NULL, 0, (__be32 *)buf, sizeof(buf), sum);
		if (sum < 0)
			return MSS_CSUM_FULL;
	}
	return csum_ok(sum) ? MSS_CSUM_FULL : MSS_CSUM_PARTIAL;
}

/* Lower the MSS value in place. */
static __always_inline int mss_xdp_rewrite(struct xdp_md *ctx,
					   const struct pkt *pkt,
					   const struct mss_plan *pl, int *kind)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *th = data + (pkt->l4_off & PKT_OFF_MASK), *p;
	__u16 check, from, to;
	__u32 at = pl->mss_at & 0x3f;

	if ((void *)(th + CHIMNEY_TCP_HDR_LEN) > data_end)
		return -1;
	p = th + at;
	if ((void *)(p + CHIMNEY_TCPOLEN_MSS) > data_end)
		return -1;
	check = *(__u16 *)(th + 16);
	*kind = mss_xdp_csum_kind(ctx, pkt, check,
				  mss_pseudo_sum(pkt, pkt->l4_len));
	p[2] = pl->new_mss >> 8;
	p[3] = pl->new_mss & 0xff;
	if (*kind == MSS_CSUM_PARTIAL)
		return 0;
	/* The value sits at byte at + 2 of the TCP header. */
	from = csum_word_at(bpf_htons(pl->old_mss), at + 2);
	to = csum_word_at(bpf_htons(pl->new_mss), at + 2);
	*(__u16 *)(th + 16) = csum_update16(check, from, to);
	return 0;
}

/*
 * Insert an MSS option after the base TCP header: trim any Ethernet
 * padding and grow the frame by 4 bytes, move the options up, write the
 * option, bump the data offset and the IP length.
 */
static __always_inline int mss_xdp_insert(struct xdp_md *ctx, struct pkt *pkt,
					  const struct mss_plan *pl, int *kind)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l4_off = pkt->l4_off & PKT_OFF_MASK, l3_off = pkt->l3_off & 0xff;
	__u32 hlen = pl->hlen & 0x3c, optlen = mss_optlen(hlen);
	__u32 old_len = pkt->l4_len, new_len = old_len + CHIMNEY_TCPOLEN_MSS;
	__u8 opts[CHIMNEY_TCP_OPT_SPACE] = {};
	__u16 check, w12_old, w12_new, opt0, opt1;
	__u8 *th;
	__u64 s;
	int delta;

	th = data + l4_off;
	if ((void *)(th + CHIMNEY_TCP_HDR_LEN) > data_end)
		return -1;
	check = *(__u16 *)(th + 16);
	w12_old = *(__u16 *)(th + 12);
	if (optlen && bpf_xdp_load_bytes(ctx, l4_off + CHIMNEY_TCP_HDR_LEN, opts,
					 optlen))
		return -1;
	*kind = mss_xdp_csum_kind(ctx, pkt, check,
				  mss_pseudo_sum(pkt, old_len));

	/* The whole frame, including fragments of a multi-buffer one:
	 * trailing padding or anything else after the segment goes. */
	delta = (int)(l4_off + hlen + CHIMNEY_TCPOLEN_MSS) -
		(int)bpf_xdp_get_buff_len(ctx);
	if (bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	if (optlen && bpf_xdp_store_bytes(ctx, l4_off + CHIMNEY_TCP_HDR_LEN +
					  CHIMNEY_TCPOLEN_MSS, opts, optlen))
		return -1;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	th = data + l4_off;
	if ((void *)(th + CHIMNEY_TCP_HDR_LEN + CHIMNEY_TCPOLEN_MSS) > data_end)
		return -1;
	th[20] = CHIMNEY_TCPOPT_MSS;
	th[21] = CHIMNEY_TCPOLEN_MSS;
	th[22] = pl->new_mss >> 8;
	th[23] = pl->new_mss & 0xff;
	th[12] += CHIMNEY_TCPOLEN_MSS << 2;	/* data offset: 4-byte words */
	w12_new = *(__u16 *)(th + 12);
	opt0 = *(__u16 *)(th + 20);
	opt1 = *(__u16 *)(th + 22);

	if (*kind == MSS_CSUM_PARTIAL) {
		*(__u16 *)(th + 16) = mss_pseudo_sum(pkt, new_len);
	} else {
		s = (__u16)~check;
		s = csum_replace16(s, bpf_htons(old_len), bpf_htons(new_len));
		s = csum_replace16(s, w12_old, w12_new);
		s += opt0 + opt1;
		*(__u16 *)(th + 16) = ~csum_fold(s);
	}

	if (pkt->tuple.family == 4) {
		struct iphdr *iph = data + l3_off;
		__u16 from, to;

		if ((void *)(iph + 1) > data_end)
			return -1;
		from = iph->tot_len;
		to = bpf_htons(bpf_ntohs(from) + CHIMNEY_TCPOLEN_MSS);
		iph->tot_len = to;
		iph->check = csum_update16(iph->check, from, to);
	} else {
		struct ipv6hdr *ip6h = data + l3_off;

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		ip6h->payload_len = bpf_htons(bpf_ntohs(ip6h->payload_len) +
					      CHIMNEY_TCPOLEN_MSS);
	}
	pkt->l4_len = new_len;
	pkt->pkt_len = l4_off + new_len;
	return 0;
}

/*
 * The SYN work in XDP is a global function (lib/verifier.h): checked
 * once, on its own, instead of once for every distinct state the parser
 * can leave behind. It may grow the frame (bpf_xdp_adjust_tail()), so
 * the caller's packet pointers are stale after it.
 */
__noinline int mss_xdp_syn(struct xdp_md *ctx, struct pkt *pkt,
			   const struct chimney_config *cfg,
			   struct chimney_counters *c)
{
	struct mss_plan pl = {};
	int kind = MSS_CSUM_FULL, err;
	void *data, *data_end;

	if (!ctx || !pkt || !cfg || !c)
		return 0;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (!mss_decide(ctx, data, data_end, pkt, cfg, CHIMNEY_HOOK_RX, c, &pl))
		return 0;
	if (pl.res == MSS_OPT_FOUND)
		err = mss_xdp_rewrite(ctx, pkt, &pl, &kind);
	else
		err = mss_xdp_insert(ctx, pkt, &pl, &kind);
	if (err) {
		count_hook(c, CHIMNEY_HOOK_RX, HC_mss_error);
		return 0;
	}
	count_hook(c, CHIMNEY_HOOK_RX, pl.res == MSS_OPT_FOUND ?
				       HC_mss_clamped : HC_mss_inserted);
	if (kind == MSS_CSUM_PARTIAL)
		count_hook(c, CHIMNEY_HOOK_RX, HC_mss_csum_partial);
	return 0;
}

/*
 * Does the stage have SYN work for this segment? Every other packet
 * pays only these tests in either hook; a TCP fragment is counted and
 * skipped (its header may not be whole).
 */
static __always_inline int mss_wants(const struct pkt *pkt,
				     const struct chimney_config *cfg,
				     struct chimney_counters *c, int hook)
{
	if (!(pkt->tcp_flags & CHIMNEY_TCP_SYN)) {
		if ((pkt->flags & PKT_F_FRAG) &&
		    pkt->tuple.proto == IPPROTO_TCP && mss_enabled(cfg, hook))
			count_hook(c, hook, HC_mss_fragment);
		return 0;
	}
	return !(pkt->tcp_flags & CHIMNEY_TCP_RST) && mss_enabled(cfg, hook);
}

/*
 * The stage in XDP: inbound SYN / SYN-ACK. The frame may change length:
 * no packet pointer from before it is valid after it (lib/verifier.h:
 * packet pointers are re-derived, not kept).
 */
static __always_inline void mss_xdp(struct xdp_md *ctx, struct pkt *pkt,
				    const struct chimney_config *cfg,
				    struct chimney_counters *c)
{
	if (mss_wants(pkt, cfg, c, CHIMNEY_HOOK_RX))
		mss_xdp_syn(ctx, pkt, cfg, c);
}

/* ---- TC ------------------------------------------------------------ */

static __always_inline int mss_tc_rewrite(struct __sk_buff *skb,
					  const struct pkt *pkt,
					  const struct mss_plan *pl)
{
	__u32 l4_off = pkt->l4_off & PKT_OFF_MASK, at = pl->mss_at & 0x3f;
	__u16 new_be = bpf_htons(pl->new_mss);

	if (bpf_skb_store_bytes(skb, l4_off + at + 2, &new_be, 2, 0))
		return -1;
	return bpf_l4_csum_replace(skb, l4_off + 16,
				   csum_word_at(bpf_htons(pl->old_mss), at + 2),
				   csum_word_at(new_be, at + 2), 2) ? -1 : 0;
}

static __always_inline int mss_tc_insert(struct __sk_buff *skb,
					 struct pkt *pkt,
					 const struct mss_plan *pl)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 l4_off = pkt->l4_off & PKT_OFF_MASK, l3_off = pkt->l3_off & 0xff;
	__u32 hlen = pl->hlen & 0x3c, optlen = mss_optlen(hlen);
	__u32 old_len = pkt->l4_len, new_len = old_len + CHIMNEY_TCPOLEN_MSS;
	__u8 opts[CHIMNEY_TCP_OPT_SPACE] = {};
	__u8 opt[CHIMNEY_TCPOLEN_MSS] = { CHIMNEY_TCPOPT_MSS,
					  CHIMNEY_TCPOLEN_MSS,
					  pl->new_mss >> 8,
					  pl->new_mss & 0xff };
	__u16 w12_old, w12_new, ip_old, ip_new;
	__u8 *th;

	/* Egress frames carry no padding: anything after the TCP header
	 * would be data, which xt_TCPMSS would not move either. */
	if (skb->len != l4_off + old_len)
		return 1;
	th = data + l4_off;
	if ((void *)(th + CHIMNEY_TCP_HDR_LEN) > data_end)
		return -1;
	w12_old = *(__u16 *)(th + 12);
	w12_new = bpf_htons(bpf_ntohs(w12_old) + (CHIMNEY_TCPOLEN_MSS << 10));
	if (optlen && bpf_skb_load_bytes(skb, l4_off + CHIMNEY_TCP_HDR_LEN, opts,
					 optlen))
		return -1;
	if (pkt->tuple.family == 4) {
		if (bpf_skb_load_bytes(skb, l3_off + 2, &ip_old, 2))
			return -1;
	} else {
		if (bpf_skb_load_bytes(skb, l3_off + 4, &ip_old, 2))
			return -1;
	}
	ip_new = bpf_htons(bpf_ntohs(ip_old) + CHIMNEY_TCPOLEN_MSS);

	if (bpf_skb_change_tail(skb, skb->len + CHIMNEY_TCPOLEN_MSS, 0))
		return -1;
	if (optlen && bpf_skb_store_bytes(skb, l4_off + CHIMNEY_TCP_HDR_LEN +
					  CHIMNEY_TCPOLEN_MSS, opts, optlen, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, l4_off + CHIMNEY_TCP_HDR_LEN, opt,
				sizeof(opt), 0) ||
	    bpf_skb_store_bytes(skb, l4_off + 12, &w12_new, 2, 0))
		return -1;
	if (pkt->tuple.family == 4) {
		if (bpf_skb_store_bytes(skb, l3_off + 2, &ip_new, 2, 0) ||
		    bpf_l3_csum_replace(skb, l3_off + 10, ip_old, ip_new, 2))
			return -1;
	} else {
		if (bpf_skb_store_bytes(skb, l3_off + 4, &ip_new, 2, 0))
			return -1;
	}
	/* The length is in the pseudo-header: the one change a
	 * CHECKSUM_PARTIAL field must see. The others are data. */
	if (bpf_l4_csum_replace(skb, l4_off + 16, bpf_htons(old_len),
				bpf_htons(new_len), BPF_F_PSEUDO_HDR | 2) ||
	    bpf_l4_csum_replace(skb, l4_off + 16, w12_old, w12_new, 2) ||
	    bpf_l4_csum_replace(skb, l4_off + 16, 0, *(__u32 *)opt, 4))
		return -1;
	pkt->l4_len = new_len;
	pkt->pkt_len += CHIMNEY_TCPOLEN_MSS;
	return 0;
}

/* The SYN work in TC, global for the same reason as mss_xdp_syn(); its
 * helpers change the skb. */
__noinline int mss_tc_syn(struct __sk_buff *skb, struct pkt *pkt,
			  const struct chimney_config *cfg,
			  struct chimney_counters *c)
{
	struct mss_plan pl = {};
	void *data, *data_end;
	int err;

	if (!skb || !pkt || !cfg || !c)
		return 0;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (!mss_decide(skb, data, data_end, pkt, cfg, CHIMNEY_HOOK_TX, c, &pl))
		return 0;
	if (pl.res == MSS_OPT_FOUND) {
		err = mss_tc_rewrite(skb, pkt, &pl);
	} else {
		err = mss_tc_insert(skb, pkt, &pl);
		if (err > 0) {
			count_hook(c, CHIMNEY_HOOK_TX, HC_mss_absent);
			return 0;
		}
	}
	if (err) {
		count_hook(c, CHIMNEY_HOOK_TX, HC_mss_error);
		return 0;
	}
	count_hook(c, CHIMNEY_HOOK_TX, pl.res == MSS_OPT_FOUND ?
				       HC_mss_clamped : HC_mss_inserted);
	return 0;
}

/*
 * The stage in TC egress: outbound SYN / SYN-ACK. Its helpers change
 * the skb: no packet pointer from before it is valid after it
 * (lib/verifier.h: packet pointers are re-derived, not kept).
 */
static __always_inline void mss_tc(struct __sk_buff *skb, struct pkt *pkt,
				   const struct chimney_config *cfg,
				   struct chimney_counters *c)
{
	if (mss_wants(pkt, cfg, c, CHIMNEY_HOOK_TX))
		mss_tc_syn(skb, pkt, cfg, c);
}

#endif /* CHIMNEY_BPF_MSS_H */
