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
 * The input is read in 32-bit words straight from struct chimney_tuple
 * (IPv4 uses the first word of each address field).
 */
#ifndef CHIMNEY_TOEPLITZ_H
#define CHIMNEY_TOEPLITZ_H

#include <linux/types.h>

#include <chimney/pkt.h>

/*
 * BPF wants the loops fully unrolled (constant table offsets, no loop
 * for the verifier to walk). The plain "unroll" pragma is not enough:
 * clang 14 then leaves the loops rolled. gcc builds of the same code for
 * user space do not know the pragma.
 */
#ifdef __clang__
#define CHIMNEY_UNROLL _Pragma("clang loop unroll(full)")
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
 * XOR into h the table entries of four input bytes at input positions
 * pos..pos+3: a[0], a[1], b[0], b[1]. An address word passes b = a + 2;
 * the port word passes its two ports apart, so that symmetric mode can
 * swap them without a copy.
 *
 * In BPF this is one asm block, 5 instructions per byte: load, shift,
 * add the table base, load the entry at a constant offset, XOR. From C,
 * clang 14 emits a register copy for every lookup and, without an
 * ordering point per word, hoists all byte loads of a tuple ahead of
 * the lookups and spills them (an IPv6 tuple overflows the 512-byte
 * stack). The asm also keeps every offset below the 32 KB a BPF load's
 * 16-bit offset reaches: positions 32..35 (the IPv6 ports) use a base
 * 32 KB into the table. The C version below is the same computation;
 * the unit tests compare the two on the same tuples.
 */
#ifdef __bpf__
/* h ^= T[pos + i][byte at p + k], in the asm blocks below: %[x] is one
 * scratch register, reused (the CPU renames it), so the block needs few
 * registers and the hash spills nothing. */
#define TOEPLITZ_BYTE(p, k, o)						\
	"%[x] = *(u8 *)(%[" p "] + " #k "); %[x] <<= 2; %[x] += %[base];"	\
	"%[x] = *(u32 *)(%[x] + %[" o "]); %[h] ^= %[x];"
#define TOEPLITZ_OFFS(pos)						\
	[base] "r"((const __u8 *)t + ((pos) >= 32 ? 32768 : 0)),	\
	[o0] "i"(((pos) & 31) * 1024), [o1] "i"(((pos) & 31) * 1024 + 1024), \
	[o2] "i"(((pos) & 31) * 1024 + 2048),				\
	[o3] "i"(((pos) & 31) * 1024 + 3072)
#endif

/* The 4 input bytes at a, at input positions pos..pos+3. */
static inline __attribute__((always_inline))
__u32 toeplitz_word(const struct chimney_rss_table *t, int pos,
		    const __u8 *a, __u32 h)
{
#ifdef __bpf__
	__u64 x;

	asm volatile(TOEPLITZ_BYTE("a", 0, "o0") TOEPLITZ_BYTE("a", 1, "o1")
		     TOEPLITZ_BYTE("a", 2, "o2") TOEPLITZ_BYTE("a", 3, "o3")
		     : [h] "+r"(h), [x] "=&r"(x)
		     : [a] "r"(a), TOEPLITZ_OFFS(pos)
		     : "memory");
	return h;
#else
	return h ^ t->t[pos][a[0]] ^ t->t[pos + 1][a[1]] ^
	       t->t[pos + 2][a[2]] ^ t->t[pos + 3][a[3]];
#endif
}

/* The port word: the 2 bytes at a, then the 2 at b. */
static inline __attribute__((always_inline))
__u32 toeplitz_ports(const struct chimney_rss_table *t, int pos,
		     const __u8 *a, const __u8 *b, __u32 h)
{
#ifdef __bpf__
	__u64 x;

	asm volatile(TOEPLITZ_BYTE("a", 0, "o0") TOEPLITZ_BYTE("a", 1, "o1")
		     TOEPLITZ_BYTE("b", 0, "o2") TOEPLITZ_BYTE("b", 1, "o3")
		     : [h] "+r"(h), [x] "=&r"(x)
		     : [a] "r"(a), [b] "r"(b), TOEPLITZ_OFFS(pos)
		     : "memory");
	return h;
#else
	return h ^ t->t[pos][a[0]] ^ t->t[pos + 1][a[1]] ^
	       t->t[pos + 2][b[0]] ^ t->t[pos + 3][b[1]];
#endif
}

/* A 32-bit word read as a big-endian number (BPF and user space share
 * the host's byte order). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TOEPLITZ_BE32(w)	__builtin_bswap32(w)
#define TOEPLITZ_BE16(w)	__builtin_bswap16(w)
#else
#define TOEPLITZ_BE32(w)	(w)
#define TOEPLITZ_BE16(w)	(w)
#endif

/*
 * The hash over addresses of n 32-bit words (1: IPv4, 4: IPv6; a
 * constant in each caller, so the loops unroll) and, when sp is not
 * NULL, the ports at sp and dp. The 2-tuple leaves the port word out:
 * a zero input byte adds T[i][0] = 0, so that is the 4-tuple with both
 * ports zero.
 *
 * Symmetric mode orders the endpoints: the (address, port) that is
 * lower as a big-endian number, that is byte by byte in network order,
 * is hashed as the source. Both directions of a flow then hash alike
 * with any key, including the default one, for one comparison per word.
 */
static inline __attribute__((always_inline))
__u32 toeplitz_hash_words(const struct chimney_rss_table *t, const __u32 *s,
			  const __u32 *d, int n, const __be16 *sp,
			  const __be16 *dp, int sym)
{
	int i, swap = -1;
	__u32 a, b, h = 0;

	if (sym) {
CHIMNEY_UNROLL
		for (i = 0; i < n; i++) {
			a = TOEPLITZ_BE32(s[i]);
			b = TOEPLITZ_BE32(d[i]);
			if (a != b) {
				swap = a > b;
				break;
			}
		}
		if (swap < 0)
			swap = sp && TOEPLITZ_BE16(*sp) > TOEPLITZ_BE16(*dp);
		if (swap) {
			const __u32 *tmp = s;

			s = d;
			d = tmp;
			if (sp) {
				const __be16 *tp = sp;

				sp = dp;
				dp = tp;
			}
		}
	}
	if (sp)
		h = toeplitz_ports(t, 8 * n, (const __u8 *)sp,
				   (const __u8 *)dp, h);
CHIMNEY_UNROLL
	for (i = 0; i < n; i++) {
		h = toeplitz_word(t, 4 * i, (const __u8 *)&s[i], h);
		h = toeplitz_word(t, 4 * (n + i), (const __u8 *)&d[i], h);
	}
	return h;
}

/*
 * The hash of a tuple exactly as chimney steers it; the XDP program and
 * `chimney hash` both call this.
 *   ports: hash the 4-tuple (TCP/UDP), else the 2-tuple.
 *   sym:   hash=symmetric, see toeplitz_hash_words().
 */
static inline __attribute__((always_inline))
__u32 toeplitz_hash_tuple(const struct chimney_rss_table *t,
			  const struct chimney_tuple *tp, int ports, int sym)
{
	const __be16 *sp = ports ? &tp->sport : 0;

	if (tp->family == 4)
		return toeplitz_hash_words(t, tp->saddr, tp->daddr, 1, sp,
					   &tp->dport, sym);
	return toeplitz_hash_words(t, tp->saddr, tp->daddr, 4, sp,
				   &tp->dport, sym);
}

/*
 * The same hash from raw fields, for user space: alen is 4 or 16;
 * sport/dport point at the ports in network order, or are NULL for the
 * 2-tuple. Any alignment.
 */
static inline __u32 toeplitz_tuple(const struct chimney_rss_table *t,
				   const void *saddr, const void *daddr,
				   int alen, const void *sport,
				   const void *dport)
{
	struct chimney_tuple tp = { .family = alen == 4 ? 4 : 6 };

	__builtin_memcpy(tp.saddr, saddr, alen == 4 ? 4 : 16);
	__builtin_memcpy(tp.daddr, daddr, alen == 4 ? 4 : 16);
	if (sport && dport) {
		__builtin_memcpy(&tp.sport, sport, 2);
		__builtin_memcpy(&tp.dport, dport, 2);
	}
	return toeplitz_hash_tuple(t, &tp, sport && dport, 0);
}

#endif /* CHIMNEY_TOEPLITZ_H */
