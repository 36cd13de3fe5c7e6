// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Crafted test frames with correct lengths and checksums; see pkt_build.h. */
#include <errno.h>
#include <string.h>
/* glibc's netinet/in.h before the UAPI headers: linux/libc-compat.h then
 * skips the definitions glibc already made. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt_build.h"

static const __u8 def_dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 def_src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

void pb_init(struct pb *b)
{
	memset(b, 0, sizeof(*b));
}

/* Reserve len zeroed bytes for a new layer; NULL on (sticky) error. */
static void *push(struct pb *b, enum pb_layer_type type, __u32 len)
{
	struct pb_layer *l;
	void *p;

	if (b->err)
		return NULL;
	if (b->nlayers == PB_MAX_LAYERS) {
		b->err = -E2BIG;
		return NULL;
	}
	if (len > PB_MAX_LEN - b->len) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	l = &b->layers[b->nlayers++];
	memset(l, 0, sizeof(*l));
	l->type = type;
	l->off = b->len;
	p = b->buf + b->len;
	memset(p, 0, len);
	b->len += len;
	return p;
}

static struct pb_layer *last_layer(struct pb *b)
{
	return &b->layers[b->nlayers - 1];
}

struct ethhdr *pb_eth(struct pb *b, const __u8 *dst, const __u8 *src,
		      __u16 ethertype)
{
	struct ethhdr *eth = push(b, PB_ETH, sizeof(*eth));

	if (!eth)
		return NULL;
	memcpy(eth->h_dest, dst ? dst : def_dst, ETH_ALEN);
	memcpy(eth->h_source, src ? src : def_src, ETH_ALEN);
	last_layer(b)->ethertype = ethertype;
	eth->h_proto = htons(ethertype);
	return eth;
}

void *pb_vlan(struct pb *b, __u16 tpid, __u16 tci)
{
	__be16 *vh = push(b, PB_VLAN, 4);

	if (!vh)
		return NULL;
	last_layer(b)->tpid = tpid;
	vh[0] = htons(tci);
	return vh;
}

static int addr_parse(struct pb *b, int af, const char *s, void *dst)
{
	if (inet_pton(af, s, dst) != 1) {
		b->err = -EINVAL;
		return -EINVAL;
	}
	return 0;
}

struct iphdr *pb_ipv4(struct pb *b, const char *saddr, const char *daddr)
{
	struct iphdr *iph = push(b, PB_IPV4, sizeof(*iph));

	if (!iph)
		return NULL;
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->id = htons(1);
	if (addr_parse(b, AF_INET, saddr, &iph->saddr) ||
	    addr_parse(b, AF_INET, daddr, &iph->daddr))
		return NULL;
	return iph;
}

struct ipv6hdr *pb_ipv6(struct pb *b, const char *saddr, const char *daddr)
{
	struct ipv6hdr *ip6h = push(b, PB_IPV6, sizeof(*ip6h));

	if (!ip6h)
		return NULL;
	ip6h->version = 6;
	ip6h->hop_limit = 64;
	if (addr_parse(b, AF_INET6, saddr, &ip6h->saddr) ||
	    addr_parse(b, AF_INET6, daddr, &ip6h->daddr))
		return NULL;
	return ip6h;
}

struct tcphdr *pb_tcp(struct pb *b, __u16 sport, __u16 dport, __u8 flags)
{
	struct tcphdr *th = push(b, PB_TCP, sizeof(*th));

	if (!th)
		return NULL;
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(1);
	if (flags & PB_TCP_ACK)
		th->ack_seq = htonl(1);
	th->doff = sizeof(*th) / 4;
	((__u8 *)th)[13] = flags;
	th->window = htons(65535);
	return th;
}

struct udphdr *pb_udp(struct pb *b, __u16 sport, __u16 dport)
{
	struct udphdr *uh = push(b, PB_UDP, sizeof(*uh));

	if (!uh)
		return NULL;
	uh->source = htons(sport);
	uh->dest = htons(dport);
	return uh;
}

void *pb_vxlan(struct pb *b, __u32 vni)
{
	__be32 *vx = push(b, PB_VXLAN, 8);

	if (!vx)
		return NULL;
	vx[0] = htonl(0x08000000);	/* I flag: the VNI is valid */
	vx[1] = htonl(vni << 8);
	return vx;
}

void *pb_raw(struct pb *b, const void *data, __u32 len)
{
	__u8 *p = push(b, PB_RAW, len);
	__u32 i;

	if (!p)
		return NULL;
	if (data)
		memcpy(p, data, len);
	else
		for (i = 0; i < len; i++)
			p[i] = i;
	return p;
}

void *pb_payload_to(struct pb *b, __u32 frame_len)
{
	return pb_raw(b, NULL, frame_len > b->len ? frame_len - b->len : 0);
}

__u32 pb_csum_add(__u32 sum, const void *data, __u32 len)
{
	const __u8 *p = data;
	__u32 i;

	/* Big-endian 16-bit words; the sum is folded only at the end,
	 * and 32 bits cannot overflow for PB_MAX_LEN bytes. */
	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* The folded, complemented checksum in network byte order. */
__u16 pb_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Pseudo-header sum (RFC 793 / RFC 8200) of the IP layer at ip. */
static int pseudo_sum(const struct pb *b, int ip, __u8 proto, __u32 l4_len,
		      __u32 *sum)
{
	const struct pb_layer *l;
	__u32 s = 0;

	if (ip < 0)
		return -EINVAL;
	l = &b->layers[ip];
	if (l->type == PB_IPV4) {
		const struct iphdr *iph = (const void *)(b->buf + l->off);

		s = pb_csum_add(s, &iph->saddr, 8);
	} else {
		const struct ipv6hdr *ip6h = (const void *)(b->buf + l->off);

		s = pb_csum_add(s, &ip6h->saddr, 32);
		s += l4_len >> 16;
	}
	s += proto;
	s += l4_len & 0xffff;
	*sum = s;
	return 0;
}

/* The type field value that announces layer l (0: none known). */
static __u16 ethertype_of(const struct pb_layer *l)
{
	switch (l->type) {
	case PB_VLAN:
		return l->tpid;
	case PB_IPV4:
		return ETH_P_IP;
	case PB_IPV6:
		return ETH_P_IPV6;
	default:
		return 0;
	}
}

static __u8 ipproto_of(const struct pb_layer *l)
{
	switch (l->type) {
	case PB_TCP:
		return IPPROTO_TCP;
	case PB_UDP:
		return IPPROTO_UDP;
	default:
		return 0;
	}
}

/* Index of the closest IP layer before layer i, or -1. */
static int ip_before(const struct pb *b, int i)
{
	while (--i >= 0)
		if (b->layers[i].type == PB_IPV4 || b->layers[i].type == PB_IPV6)
			return i;
	return -1;
}

static int finish_layer(struct pb *b, int i)
{
	struct pb_layer *l = &b->layers[i];
	const struct pb_layer *next = i + 1 < b->nlayers ? l + 1 : NULL;
	__u8 *p = b->buf + l->off;
	__u32 len = b->len - l->off;	/* this header to the end */
	__u16 type = next ? ethertype_of(next) : 0;
	__u8 proto = next ? ipproto_of(next) : 0;
	__u32 sum;
	int err;

	switch (l->type) {
	case PB_ETH:
		((struct ethhdr *)p)->h_proto = htons(type ? type : l->ethertype);
		break;
	case PB_VLAN:
		((__be16 *)p)[1] = htons(type ? type : l->ethertype);
		break;
	case PB_IPV4: {
		struct iphdr *iph = (void *)p;

		if (len > 0xffff)
			return -EMSGSIZE;
		iph->tot_len = htons(len);
		if (proto)
			iph->protocol = proto;
		iph->check = 0;
		iph->check = pb_csum_fold(pb_csum_add(0, iph, iph->ihl * 4));
		break;
	}
	case PB_IPV6: {
		struct ipv6hdr *ip6h = (void *)p;

		if (len - sizeof(*ip6h) > 0xffff)
			return -EMSGSIZE;
		ip6h->payload_len = htons(len - sizeof(*ip6h));
		if (proto)
			ip6h->nexthdr = proto;
		break;
	}
	case PB_TCP: {
		struct tcphdr *th = (void *)p;

		err = pseudo_sum(b, ip_before(b, i), IPPROTO_TCP, len, &sum);
		if (err)
			return err;
		th->check = 0;
		th->check = pb_csum_fold(pb_csum_add(sum, p, len));
		break;
	}
	case PB_UDP: {
		struct udphdr *uh = (void *)p;

		if (len > 0xffff)
			return -EMSGSIZE;
		uh->len = htons(len);
		err = pseudo_sum(b, ip_before(b, i), IPPROTO_UDP, len, &sum);
		if (err)
			return err;
		uh->check = 0;
		uh->check = pb_csum_fold(pb_csum_add(sum, p, len));
		/* 0 means "no checksum" in UDP: send its other form. */
		if (!uh->check)
			uh->check = 0xffff;
		break;
	}
	case PB_VXLAN:
	case PB_RAW:
		break;
	}
	return 0;
}

int pb_finish(struct pb *b)
{
	int i, err;

	if (b->err)
		return b->err;
	/* Innermost first: an outer checksum covers the finished inner
	 * headers. */
	for (i = b->nlayers - 1; i >= 0; i--) {
		err = finish_layer(b, i);
		if (err) {
			b->err = err;
			return err;
		}
	}
	return 0;
}

int pb_layer_off(const struct pb *b, enum pb_layer_type type, int n)
{
	int i;

	for (i = 0; i < b->nlayers; i++)
		if (b->layers[i].type == type && n-- == 0)
			return b->layers[i].off;
	return -1;
}
