/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One's complement arithmetic (RFC 1071, RFC 1624) for the stages that
 * check a checksum (csum.h) and the ones that rewrite a packet and keep
 * its checksums right (mss.h).
 *
 * Every value here is in network order, loaded natively: words are
 * summed as they lie in memory, and the checksum field is read and
 * written the same way. A one's complement sum in one byte order is
 * the byte swap of the sum in the other, the checksum field included,
 * so nothing is ever byte-swapped per word. Sums are kept unfolded in a
 * __u64 (a 16- or 32-bit word at a time cannot overflow it for any
 * frame) and folded only where a 16-bit value is needed.
 */
#ifndef CHIMNEY_BPF_CSUM_OPS_H
#define CHIMNEY_BPF_CSUM_OPS_H

#include "common.h"

/* Fold a sum of 16- and 32-bit words to 16 bits (end-around carries). */
static __always_inline __u16 csum_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * Is a sum right, i.e. does it fold to 0xffff (-0)? Exactly when it is
 * a nonzero multiple of 0xffff, since 2^16 = 1 modulo 0xffff, and the
 * sum of a segment with its pseudo-header or of an IPv4 header is never
 * 0 (the protocol, the version). Divisibility by an odd constant is a
 * multiply by its inverse modulo 2^64 and one compare (Granlund and
 * Montgomery, 1994), where a fold is a chain of shifts, masks and adds
 * on every packet. A bad frame's expected value still needs the fold.
 */
#define CSUM_INV_FFFF	0xfffefffefffeffffULL	/* 0xffff^-1 mod 2^64 */
#define CSUM_MAX_FFFF	0x0001000100010001ULL	/* (2^64 - 1) / 0xffff */

static __always_inline int csum_ok(__u64 s)
{
	return s * CSUM_INV_FFFF <= CSUM_MAX_FFFF;
}

/*
 * The sum after one 16-bit word it covers changed from `from` to `to`:
 * adding ~from subtracts from (RFC 1624, eqn. 3, unfolded). With
 * to = 0 it takes a word out, the checksum field itself for example.
 */
static __always_inline __u64 csum_replace16(__u64 sum, __u16 from, __u16 to)
{
	return sum + (__u16)~from + to;
}

/* A checksum field after one 16-bit word it covers changed. */
static __always_inline __u16 csum_update16(__u16 check, __u16 from, __u16 to)
{
	return ~csum_fold(csum_replace16((__u16)~check, from, to));
}

/*
 * A 16-bit value at byte offset `off` of the summed area, as the word
 * csum_replace16() takes. At an odd offset its bytes straddle two
 * 16-bit words of the sum, its high byte the low half of one and its
 * low byte the high half of the next: that adds up exactly like the
 * byte-swapped value in one word, so swapping makes one 16-bit update
 * right. (xt_TCPMSS does not swap, and gets the checksum of an MSS at
 * an odd offset wrong; see the README.)
 */
static __always_inline __u16 csum_word_at(__u16 v, __u32 off)
{
	return (off & 1) ? __builtin_bswap16(v) : v;
}

/*
 * The pseudo-header of a TCP, UDP or ICMPv6 segment of len bytes,
 * unfolded: the addresses, the protocol and the length (RFC 9293 3.1,
 * RFC 8200 8.1). IPv6 has a 32-bit length and three zero bytes before
 * the protocol where IPv4 has one zero byte, the protocol and a 16-bit
 * length; below 64K both add the same two 16-bit words, so the IPv4
 * word serves both.
 */
static __always_inline __u64 csum_pseudo(const struct chimney_tuple *t,
					 __u32 proto, __u32 len)
{
	__u64 s = (__u64)t->saddr[0] + t->daddr[0];

	if (t->family == 6)
		s += (__u64)t->saddr[1] + t->saddr[2] + t->saddr[3] +
		     t->daddr[1] + t->daddr[2] + t->daddr[3];
	return s + bpf_htonl(proto << 16 | len);
}

#endif /* CHIMNEY_BPF_CSUM_OPS_H */
