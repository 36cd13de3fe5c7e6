// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Packet builder for test frames; see pkt_builder.h. Fields are
 * written byte by byte in network order, with the RFC offsets spelled
 * out, so the fixtures do not depend on the struct layouts the BPF
 * parser uses: a wrong struct there cannot hide behind the same wrong
 * struct here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/ether.h>

#include "pkt_builder.h"

#define ETH_TYPE_IPV4	0x0800
#define ETH_TYPE_ARP	0x0806
#define ETH_TYPE_IPV6	0x86dd

#define PROTO_ICMP	1
#define PROTO_IPIP	4
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_IPV6	41
#define PROTO_FRAG	44
#define PROTO_AH	51
#define PROTO_ICMP6	58
#define PROTO_NONE	59

static void __attribute__((noreturn, format(printf, 1, 2)))
pb_bug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pkt_builder: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	abort();
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

void pb_init(struct pb *b)
{
	memset(b, 0, sizeof(*b));
}

/* Append a layer of len zeroed bytes and return its offset. */
static int push(struct pb *b, enum pb_kind kind, size_t len)
{
	struct pb_layer *l;
	int off = b->len;

	if (b->finished)
		pb_bug("layer added after pb_finish()");
	if (b->nr == PB_MAX_LAYERS)
		pb_bug("more than %d layers", PB_MAX_LAYERS);
	if (b->len + len > PB_MAX_LEN)
		pb_bug("packet longer than %d bytes", PB_MAX_LEN);
	l = &b->layer[b->nr++];
	l->kind = kind;
	l->off = off;
	l->len = len;
	memset(b->data + off, 0, len);
	b->len += len;
	return off;
}

static struct pb_layer *last(struct pb *b)
{
	return &b->layer[b->nr - 1];
}

static void mac(__u8 *p, const char *s)
{
	struct ether_addr *a = ether_aton(s);

	if (!a)
		pb_bug("bad MAC %s", s);
	memcpy(p, a, 6);
}

static void addr(int af, __u8 *p, const char *s)
{
	if (inet_pton(af, s, p) != 1)
		pb_bug("bad address %s", s);
}

static void pattern(__u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = 0xa0 + (i & 0x1f);
}

int pb_eth(struct pb *b, const struct pb_eth_opts *o)
{
	static const struct pb_eth_opts def;
	int off;
	__u8 *p;

	if (!o)
		o = &def;
	off = push(b, PB_ETH, 14);
	p = b->data + off;
	mac(p, o->dst ? o->dst : PB_MAC_DST);
	mac(p + 6, o->src ? o->src : PB_MAC_SRC);
	if (o->type) {
		put16(p + 12, o->type);
		last(b)->fixed_next = true;
	}
	return off;
}

int pb_vlan(struct pb *b, __u16 tpid, __u16 tci)
{
	int off = push(b, PB_VLAN, 4);

	/* The TPID sits in the previous layer's type field; pb_finish
	 * copies it there. The tag itself is TCI + inner type. */
	last(b)->type = tpid;
	put16(b->data + off, tci);
	return off;
}

int pb_arp(struct pb *b, const char *sip, const char *tip)
{
	int off = push(b, PB_ARP, 28);
	__u8 *p = b->data + off;

	put16(p, 1);			/* hardware: Ethernet */
	put16(p + 2, ETH_TYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);		/* request */
	mac(p + 8, PB_MAC_SRC);
	addr(AF_INET, p + 14, sip);
	/* target MAC left zero */
	addr(AF_INET, p + 24, tip);
	return off;
}

int pb_l3_raw(struct pb *b, __u16 ethertype, const void *data, size_t len)
{
	int off = push(b, PB_L3_RAW, len);

	last(b)->type = ethertype;
	if (data)
		memcpy(b->data + off, data, len);
	else
		pattern(b->data + off, len);
	return off;
}

int pb_ipv4(struct pb *b, const struct pb_ipv4_opts *o)
{
	static const struct pb_ipv4_opts def;
	size_t hlen;
	int off;
	__u8 *p;

	if (!o)
		o = &def;
	if (o->opts_len % 4 || o->opts_len > 40)
		pb_bug("IPv4 options of %zu bytes", o->opts_len);
	hlen = 20 + o->opts_len;
	off = push(b, PB_IPV4, hlen);
	p = b->data + off;
	p[0] = 0x40 | hlen / 4;
	p[1] = o->tos;
	put16(p + 4, o->id);
	put16(p + 6, o->frag);
	p[8] = o->ttl ? o->ttl : 64;
	if (o->proto) {
		p[9] = o->proto;
		last(b)->fixed_next = true;
	}
	addr(AF_INET, p + 12, o->src ? o->src : PB_V4_SRC);
	addr(AF_INET, p + 16, o->dst ? o->dst : PB_V4_DST);
	if (o->opts_len)
		memcpy(p + 20, o->opts, o->opts_len);
	return off;
}

int pb_ipv6(struct pb *b, const struct pb_ipv6_opts *o)
{
	static const struct pb_ipv6_opts def;
	int off;
	__u8 *p;

	if (!o)
		o = &def;
	off = push(b, PB_IPV6, 40);
	p = b->data + off;
	put32(p, 6U << 28 | (__u32)o->tclass << 20 | (o->flow & 0xfffff));
	if (o->nexthdr) {
		p[6] = o->nexthdr;
		last(b)->fixed_next = true;
	}
	p[7] = o->hlim ? o->hlim : 64;
	addr(AF_INET6, p + 8, o->src ? o->src : PB_V6_SRC);
	addr(AF_INET6, p + 24, o->dst ? o->dst : PB_V6_DST);
	return off;
}

int pb_ipv6_ext(struct pb *b, __u8 type, size_t len)
{
	int off;
	__u8 *p;

	if (len < 8 || len % 8 || len > 2048)
		pb_bug("extension header of %zu bytes", len);
	off = push(b, PB_IPV6_EXT, len);
	last(b)->type = type;
	p = b->data + off;
	p[1] = len / 8 - 1;
	if (type == 43) {
		/* routing type 0, segments left 0: ignored by a node
		 * that does not know the type (RFC 8200 4.4) */
		return off;
	}
	/* Options area: one PadN covering bytes 2..len-1. */
	p[2] = 1;
	p[3] = len - 4;
	return off;
}

int pb_ipv6_frag(struct pb *b, __u16 offset, bool more, __u32 id)
{
	int off;
	__u8 *p;

	if (offset % 8)
		pb_bug("fragment offset %u not a multiple of 8", offset);
	off = push(b, PB_IPV6_EXT, 8);
	last(b)->type = PROTO_FRAG;
	p = b->data + off;
	put16(p + 2, offset | (more ? 1 : 0));
	put32(p + 4, id);
	return off;
}

int pb_ipv6_ah(struct pb *b, __u32 spi, __u32 seq, size_t icv_len)
{
	size_t len = 12 + icv_len;
	int off;
	__u8 *p;

	if (icv_len % 4)
		pb_bug("AH ICV of %zu bytes", icv_len);
	off = push(b, PB_IPV6_EXT, len);
	last(b)->type = PROTO_AH;
	p = b->data + off;
	p[1] = len / 4 - 2;	/* RFC 4302: in 4-byte units, minus 2 */
	put32(p + 4, spi);
	put32(p + 8, seq);
	pattern(p + 12, icv_len);
	return off;
}

int pb_tcp(struct pb *b, const struct pb_tcp_opts *o)
{
	static const struct pb_tcp_opts def;
	size_t hlen;
	int off;
	__u8 *p;

	if (!o)
		o = &def;
	if (o->opts_len % 4 || o->opts_len > 40)
		pb_bug("TCP options of %zu bytes", o->opts_len);
	hlen = 20 + o->opts_len;
	off = push(b, PB_TCP, hlen);
	p = b->data + off;
	put16(p, o->sport ? o->sport : 40000);
	put16(p + 2, o->dport ? o->dport : 80);
	put32(p + 4, o->seq);
	put32(p + 8, o->ack);
	p[12] = hlen / 4 << 4;
	p[13] = o->flags ? o->flags : CHIMNEY_TCP_SYN;
	put16(p + 14, o->win ? o->win : 65535);
	if (o->opts_len)
		memcpy(p + 20, o->opts, o->opts_len);
	return off;
}

int pb_udp(struct pb *b, __u16 sport, __u16 dport)
{
	int off = push(b, PB_UDP, 8);

	put16(b->data + off, sport);
	put16(b->data + off + 2, dport);
	return off;
}

static int icmp_common(struct pb *b, enum pb_kind kind, size_t len,
		       __u8 type, __u8 code, __u16 id, __u16 seq)
{
	int off = push(b, kind, len);
	__u8 *p = b->data + off;

	p[0] = type;
	p[1] = code;
	if (len == 8) {
		put16(p + 4, id);
		put16(p + 6, seq);
	}
	return off;
}

int pb_icmp(struct pb *b, __u8 type, __u8 code, __u16 id, __u16 seq)
{
	return icmp_common(b, PB_ICMP, 8, type, code, id, seq);
}

int pb_icmp6(struct pb *b, __u8 type, __u8 code, __u16 id, __u16 seq)
{
	return icmp_common(b, PB_ICMP6, 8, type, code, id, seq);
}

int pb_icmp6_bare(struct pb *b, __u8 type, __u8 code)
{
	return icmp_common(b, PB_ICMP6, 4, type, code, 0, 0);
}

int pb_vxlan(struct pb *b, __u32 vni)
{
	int off = push(b, PB_VXLAN, 8);

	b->data[off] = 0x08;	/* I flag: VNI valid */
	put32(b->data + off + 4, vni << 8);
	return off;
}

int pb_l4_raw(struct pb *b, __u8 proto, const void *data, size_t len)
{
	int off = push(b, PB_L4_RAW, len);

	last(b)->type = proto;
	if (data)
		memcpy(b->data + off, data, len);
	else
		pattern(b->data + off, len);
	return off;
}

int pb_raw(struct pb *b, const void *data, size_t len)
{
	int off = push(b, PB_RAW, len);

	if (data)
		memcpy(b->data + off, data, len);
	else
		pattern(b->data + off, len);
	return off;
}

int pb_raw_to(struct pb *b, size_t frame_len, const void *data)
{
	return pb_raw(b, data, b->len < frame_len ? frame_len - b->len : 0);
}

int pb_pad(struct pb *b, size_t n)
{
	return push(b, PB_PAD, n);
}

int pb_pad_to(struct pb *b, size_t len)
{
	return pb_pad(b, b->len < len ? len - b->len : 0);
}

/* ------------------------------------------------------------------ */

__u32 pb_csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

__u16 pb_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Where the bytes that lengths cover end: before any padding. */
static size_t content_end(const struct pb *b)
{
	int i;

	for (i = 0; i < b->nr; i++)
		if (b->layer[i].kind == PB_PAD)
			return b->layer[i].off;
	return b->len;
}

/* The IP layer whose pseudo-header covers layer i, or -1. */
static int enclosing_ip(const struct pb *b, int i)
{
	while (--i >= 0)
		if (b->layer[i].kind == PB_IPV4 || b->layer[i].kind == PB_IPV6)
			return i;
	return -1;
}

static __u32 pseudo_sum(const struct pb *b, int ip, __u8 proto, __u32 len)
{
	const __u8 *p = b->data + b->layer[ip].off;
	__u8 tail[8] = {};

	if (b->layer[ip].kind == PB_IPV4) {
		__u32 sum = pb_csum_add(0, p + 12, 8);

		return sum + proto + len;
	}
	/* RFC 8200 8.1: with a routing header the final destination
	 * would go here; the fixtures' routing headers have segments
	 * left 0, so the header's destination is the final one. */
	put32(tail, len);
	tail[7] = proto;
	return pb_csum_add(pb_csum_add(0, p + 8, 32), tail, 8);
}

static __u16 eth_type_of(const struct pb_layer *l)
{
	switch (l->kind) {
	case PB_VLAN:
	case PB_L3_RAW:
		return l->type;
	case PB_IPV4:
		return ETH_TYPE_IPV4;
	case PB_IPV6:
		return ETH_TYPE_IPV6;
	case PB_ARP:
		return ETH_TYPE_ARP;
	default:
		return 0;
	}
}

static __u8 ip_proto_of(const struct pb_layer *l)
{
	switch (l->kind) {
	case PB_IPV6_EXT:
	case PB_L4_RAW:
		return l->type;
	case PB_TCP:
		return PROTO_TCP;
	case PB_UDP:
		return PROTO_UDP;
	case PB_ICMP:
		return PROTO_ICMP;
	case PB_ICMP6:
		return PROTO_ICMP6;
	case PB_IPV4:
		return PROTO_IPIP;
	case PB_IPV6:
		return PROTO_IPV6;
	default:
		return PROTO_NONE;
	}
}

/* L4 checksum over [off, end) with the pseudo-header of layer ip. */
static __u16 l4_csum(const struct pb *b, int ip, __u8 proto, size_t off,
		     size_t end)
{
	__u32 sum = ip >= 0 ? pseudo_sum(b, ip, proto, end - off) : 0;

	return ~pb_csum_fold(pb_csum_add(sum, b->data + off, end - off));
}

void pb_ipv4_fix_csum(struct pb *b, size_t ip_off)
{
	__u8 *p = b->data + ip_off;
	size_t hlen = (p[0] & 0xf) * 4;

	put16(p + 10, 0);
	put16(p + 10, ~pb_csum_fold(pb_csum_add(0, p, hlen)));
}

void pb_l4_fix_csum(struct pb *b, int layer, size_t len)
{
	const struct pb_layer *l = &b->layer[layer];
	__u8 *p = b->data + l->off;
	int ip = l->kind == PB_ICMP ? -1 : enclosing_ip(b, layer);
	size_t at = l->kind == PB_TCP ? 16 : l->kind == PB_UDP ? 6 : 2;
	__u16 csum;

	if (l->kind != PB_TCP && l->kind != PB_UDP && l->kind != PB_ICMP &&
	    l->kind != PB_ICMP6)
		pb_bug("layer %d has no L4 checksum", layer);
	if (l->off + len > b->len)
		pb_bug("checksum over %zu bytes beyond the packet", len);
	put16(p + at, 0);
	csum = l4_csum(b, ip, ip_proto_of(l), l->off, l->off + len);
	if (l->kind == PB_UDP && !csum)
		csum = 0xffff;
	put16(p + at, csum);
}

void pb_finish(struct pb *b)
{
	size_t end = content_end(b);
	int i;

	if (b->finished)
		pb_bug("pb_finish() twice");
	/* Innermost first: lengths, then checksums that cover them. */
	for (i = b->nr - 1; i >= 0; i--) {
		struct pb_layer *l = &b->layer[i];
		const struct pb_layer *next = NULL;
		__u8 *p = b->data + l->off;
		__u16 csum;

		if (i + 1 < b->nr && b->layer[i + 1].kind != PB_PAD)
			next = &b->layer[i + 1];

		switch (l->kind) {
		case PB_ETH:
			if (!l->fixed_next && next)
				put16(p + 12, eth_type_of(next));
			break;
		case PB_VLAN:
			/* Its TPID went into the previous type field
			 * (Ethernet or the outer tag) through eth_type_of();
			 * its own type field gets the next layer's. */
			if (i == 0)
				pb_bug("VLAN tag without Ethernet header");
			if (next)
				put16(p + 2, eth_type_of(next));
			break;
		case PB_IPV4:
			put16(p + 2, end - l->off);
			if (!l->fixed_next)
				p[9] = next ? ip_proto_of(next) : PROTO_NONE;
			pb_ipv4_fix_csum(b, l->off);
			break;
		case PB_IPV6:
			put16(p + 4, end - l->off - 40);
			if (!l->fixed_next)
				p[6] = next ? ip_proto_of(next) : PROTO_NONE;
			break;
		case PB_IPV6_EXT:
			p[0] = next ? ip_proto_of(next) : PROTO_NONE;
			break;
		case PB_TCP:
			csum = l4_csum(b, enclosing_ip(b, i), PROTO_TCP,
				       l->off, end);
			put16(p + 16, csum);
			break;
		case PB_UDP:
			put16(p + 4, end - l->off);
			csum = l4_csum(b, enclosing_ip(b, i), PROTO_UDP,
				       l->off, end);
			/* RFC 768: a computed 0 is sent as all ones */
			put16(p + 6, csum ? csum : 0xffff);
			break;
		case PB_ICMP:
			/* ICMP has no pseudo-header */
			csum = l4_csum(b, -1, 0, l->off, end);
			put16(p + 2, csum);
			break;
		case PB_ICMP6:
			csum = l4_csum(b, enclosing_ip(b, i), PROTO_ICMP6,
				       l->off, end);
			put16(p + 2, csum);
			break;
		default:
			break;
		}
	}
	b->finished = true;
}

void pb_fragment(struct pb *out, const struct pb *whole, size_t offset,
		 size_t len, bool more)
{
	size_t end = content_end(whole), hdr_end = 0, fstart;
	int i, ip = -1, at = -1;

	if (!whole->finished)
		pb_bug("pb_fragment() of an unfinished packet");
	if (offset % 8)
		pb_bug("fragment offset %zu not a multiple of 8", offset);
	for (i = 0; i < whole->nr; i++) {
		const struct pb_layer *l = &whole->layer[i];

		if (l->kind == PB_IPV4 && ip < 0) {
			ip = at = i;
			break;
		}
		if (l->kind == PB_IPV6 && ip < 0)
			ip = i;
		if (l->kind == PB_IPV6_EXT && l->type == PROTO_FRAG) {
			at = i;
			break;
		}
	}
	if (at < 0)
		pb_bug("pb_fragment(): no IPv4 layer or IPv6 fragment header");
	hdr_end = whole->layer[at].off + whole->layer[at].len;
	fstart = hdr_end + offset;
	if (fstart + len > end)
		pb_bug("fragment [%zu, +%zu) beyond the datagram", offset, len);

	pb_init(out);
	memcpy(out->data, whole->data, hdr_end);
	memcpy(out->data + hdr_end, whole->data + fstart, len);
	out->len = hdr_end + len;
	memcpy(out->layer, whole->layer, (at + 1) * sizeof(out->layer[0]));
	out->nr = at + 1;
	if (len) {
		out->layer[out->nr++] = (struct pb_layer){
			.kind = PB_RAW, .off = hdr_end, .len = len,
		};
	}

	if (whole->layer[ip].kind == PB_IPV4) {
		__u8 *p = out->data + whole->layer[ip].off;
		__u16 frag = get16(p + 6) & PB_IP_DF;

		frag |= offset / 8 | (more ? PB_IP_MF : 0);
		put16(p + 6, frag);
		put16(p + 2, out->len - whole->layer[ip].off);
		pb_ipv4_fix_csum(out, whole->layer[ip].off);
	} else {
		__u8 *p = out->data + whole->layer[ip].off;
		__u8 *fh = out->data + whole->layer[at].off;

		put16(fh + 2, offset | (more ? 1 : 0));
		put16(p + 4, out->len - whole->layer[ip].off - 40);
	}
	out->fragment = true;
	out->finished = true;
}

int pb_find(const struct pb *b, enum pb_kind kind, int n)
{
	int i;

	for (i = 0; i < b->nr; i++)
		if (b->layer[i].kind == kind && n-- == 0)
			return i;
	return -1;
}

void pb_put8(struct pb *b, size_t off, __u8 v)
{
	if (off >= b->len)
		pb_bug("put8 at %zu beyond %zu", off, b->len);
	b->data[off] = v;
}

void pb_put16(struct pb *b, size_t off, __u16 v)
{
	if (off + 2 > b->len)
		pb_bug("put16 at %zu beyond %zu", off, b->len);
	put16(b->data + off, v);
}

__u16 pb_get16(const struct pb *b, size_t off)
{
	if (off + 2 > b->len)
		pb_bug("get16 at %zu beyond %zu", off, b->len);
	return get16(b->data + off);
}

void pb_truncate(struct pb *b, size_t len)
{
	if (len > b->len)
		pb_bug("truncate to %zu, longer than %zu", len, b->len);
	b->len = len;
}

/* ------------------------------------------------------------------ */

int pb_check(const struct pb *b, char *err, size_t errlen)
{
	size_t end = content_end(b);
	int i;

	for (i = 0; i < b->nr; i++) {
		const struct pb_layer *l = &b->layer[i];
		const __u8 *p = b->data + l->off;
		bool l4 = !b->fragment;
		__u32 sum;
		int ip;

		if (l->off + l->len > b->len)
			continue;	/* cut by pb_truncate() */
		switch (l->kind) {
		case PB_IPV4: {
			size_t hlen = (p[0] & 0xf) * 4;

			if (pb_csum_fold(pb_csum_add(0, p, hlen)) != 0xffff) {
				snprintf(err, errlen,
					 "IPv4 header checksum 0x%04x at %u is wrong",
					 get16(p + 10), l->off);
				return -1;
			}
			if (get16(p + 2) != end - l->off) {
				snprintf(err, errlen,
					 "IPv4 total length %u, packet has %zu",
					 get16(p + 2), end - l->off);
				return -1;
			}
			break;
		}
		case PB_IPV6:
			if (get16(p + 4) != end - l->off - 40) {
				snprintf(err, errlen,
					 "IPv6 payload length %u, packet has %zu",
					 get16(p + 4), end - l->off - 40);
				return -1;
			}
			break;
		case PB_UDP:
			if (!l4)
				break;
			if (get16(p + 4) != end - l->off) {
				snprintf(err, errlen, "UDP length %u, packet has %zu",
					 get16(p + 4), end - l->off);
				return -1;
			}
			/* fall through */
		case PB_TCP:
		case PB_ICMP6:
			if (!l4)
				break;
			ip = enclosing_ip(b, i);
			if (ip < 0) {
				snprintf(err, errlen, "L4 header without IP");
				return -1;
			}
			sum = pseudo_sum(b, ip, ip_proto_of(l), end - l->off);
			sum = pb_csum_add(sum, p, end - l->off);
			if (pb_csum_fold(sum) != 0xffff) {
				snprintf(err, errlen, "L4 checksum at %u is wrong",
					 l->off);
				return -1;
			}
			break;
		case PB_ICMP:
			if (!l4)
				break;
			sum = pb_csum_add(0, p, end - l->off);
			if (pb_csum_fold(sum) != 0xffff) {
				snprintf(err, errlen, "ICMP checksum at %u is wrong",
					 l->off);
				return -1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}
