/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Toeplitz RSS hash (Microsoft RSS specification), usable from BPF
 * and from user space alike.
 *
 * Per packet, the hash is a XOR of table lookups, one per input byte:
 * T[i][b] is the XOR of the 32-bit key windows that the set bits of
 * byte value b select at input position i. User space derives T from
 * the key when the key is set (toeplitz_build); the data path never
 * walks bits.
 *
 * Input layout (network order), as in the specification:
 *   IPv4: saddr(4) daddr(4) [sport(2) dport(2)]   -> 8 or 12 bytes
 *   IPv6: saddr(16) daddr(16) [sport(2) dport(2)] -> 32 or 36 bytes
 */
#ifndef CHIMNEY_TOEPLITZ_H
#define CHIMNEY_TOEPLITZ_H

#include <linux/types.h>

/* BPF needs the loops unrolled (constant table offsets); gcc builds of
 * the same code for user space do not know the pragma. */
#ifdef __clang__
#define CHIMNEY_UNROLL _Pragma("unroll")
#else
#define CHIMNEY_UNROLL
#endif

#define RSS_KEY_LEN	40
#define RSS_INPUT_MAX	36

struct chimney_rss_table {
	__u32 t[RSS_INPUT_MAX][256];
};

/* The 32 key bits starting at bit `bit` (MSB first). */
static inline __u32 toeplitz_window(const __u8 *key, unsigned int bit)
{
	unsigned int byte = bit / 8, shift = bit % 8;
	__u64 w = 0;
	int i;

	/* 5 bytes cover any 32-bit window; bytes past the key are 0 */
	for (i = 0; i < 5; i++)
		w = (w << 8) | (byte + i < RSS_KEY_LEN ? key[byte + i] : 0);
	return (__u32)(w >> (8 - shift));
}

/* Bit-by-bit reference, as the specification states it. */
static inline __u32 toeplitz_ref(const __u8 *key, const __u8 *in, int n)
{
	__u32 h = 0;
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < 8; j++)
			if (in[i] & (0x80 >> j))
				h ^= toeplitz_window(key, i * 8 + j);
	return h;
}

static inline void toeplitz_build(const __u8 *key, struct chimney_rss_table *t)
{
	int i, b, j;

	for (i = 0; i < RSS_INPUT_MAX; i++)
		for (b = 0; b < 256; b++) {
			__u32 h = 0;

			for (j = 0; j < 8; j++)
				if (b & (0x80 >> j))
					h ^= toeplitz_window(key, i * 8 + j);
			t->t[i][b] = h;
		}
}

/*
 * Hash `len` bytes that sit at input position `pos`. With constant pos
 * and len (always the case here) the loop unrolls into len loads, and
 * every table index is a byte: in range by construction.
 */
static inline __attribute__((always_inline))
__u32 toeplitz_seg(const struct chimney_rss_table *t, int pos, const __u8 *p,
		   int len)
{
	__u32 h = 0;
	int i;

CHIMNEY_UNROLL
	for (i = 0; i < len; i++)
		h ^= t->t[pos + i][p[i]];
	return h;
}

/*
 * The hash of one tuple. alen is 4 or 16; sport/dport point at the two
 * ports in network order, or are NULL for the 2-tuple.
 */
static inline __attribute__((always_inline))
__u32 toeplitz_tuple(const struct chimney_rss_table *t, const void *saddr,
		     const void *daddr, int alen, const void *sport,
		     const void *dport)
{
	__u32 h;

	h = toeplitz_seg(t, 0, saddr, alen) ^
	    toeplitz_seg(t, alen, daddr, alen);
	if (sport)
		h ^= toeplitz_seg(t, 2 * alen, sport, 2) ^
		     toeplitz_seg(t, 2 * alen + 2, dport, 2);
	return h;
}

/*
 * Symmetric mode orders the endpoints: the (address, port) that compares
 * lower, byte by byte in network order, is hashed as the source. Both
 * directions then hash alike with any key, including the default one, at
 * the cost of one comparison. Returns 1 when src and dst must swap.
 */
static inline __attribute__((always_inline))
int toeplitz_sym_swap(const __u8 *saddr, const __u8 *daddr, int alen,
		      const __u8 *sport, const __u8 *dport)
{
	int i;

CHIMNEY_UNROLL
	for (i = 0; i < alen; i++)
		if (saddr[i] != daddr[i])
			return saddr[i] > daddr[i];
	if (!sport)
		return 0;
CHIMNEY_UNROLL
	for (i = 0; i < 2; i++)
		if (sport[i] != dport[i])
			return sport[i] > dport[i];
	return 0;
}

#endif /* CHIMNEY_TOEPLITZ_H */
