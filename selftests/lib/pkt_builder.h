/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet builder for test frames (the unit fixtures, the bench's
 * scenarios, the injector tools), in the spirit of scapy's
 * layer stacking: push layers outermost first, then pb_finish() fills
 * every field left at 0 that depends on what follows, inside out:
 * ethertypes and IP next-header values from the next layer, IPv4 total
 * length, IPv6 payload length, UDP length, and all checksums (IPv4
 * header; TCP, UDP and ICMPv6 with the pseudo-header of the nearest
 * enclosing IP layer; ICMP). Inner layers are finished before outer
 * ones, so an outer UDP checksum covers final inner bytes.
 *
 * Lengths run to the end of the packet, except for trailing Ethernet
 * padding added with pb_pad()/pb_pad_to(), which no length covers.
 *
 * Malformed fixtures are made by changing bytes after pb_finish() (each
 * pb_* returns the offset of its layer); pb_ipv4_fix_csum() recomputes an
 * IPv4 header checksum after such an edit.
 *
 * Builders abort on overflow: fixtures are code, and a fixture that does
 * not fit is a bug in the test.
 */
#ifndef CHIMNEY_TESTLIB_PKT_BUILDER_H
#define CHIMNEY_TESTLIB_PKT_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <chimney/tcp.h>

#define PB_MAX_LEN	9216	/* a jumbo frame (multi-buffer XDP tests) */
#define PB_MAX_LAYERS	32

/* Addresses of the fixtures: documentation ranges (RFC 5737, 3849). */
#define PB_MAC_SRC	"02:00:00:00:00:01"
#define PB_MAC_DST	"02:00:00:00:00:02"
#define PB_V4_SRC	"192.0.2.1"
#define PB_V4_DST	"198.51.100.2"
#define PB_V6_SRC	"2001:db8::1"
#define PB_V6_DST	"2001:db8::2"

#define PB_VXLAN_PORT	4789	/* IANA; chimney's default vxlan.ports */

#define PB_IP_DF	0x4000
#define PB_IP_MF	0x2000

enum pb_kind {
	PB_ETH,
	PB_VLAN,
	PB_ARP,
	PB_IPV4,
	PB_IPV6,
	PB_IPV6_EXT,	/* hop-by-hop, routing, dstopts, fragment, AH */
	PB_TCP,
	PB_UDP,
	PB_ICMP,
	PB_ICMP6,
	PB_VXLAN,
	PB_L3_RAW,	/* payload of an Ethernet frame, with its ethertype */
	PB_L4_RAW,	/* an IP payload of another protocol (GRE, ...) */
	PB_RAW,		/* application payload */
	PB_PAD,		/* Ethernet trailing padding */
};

struct pb_layer {
	enum pb_kind kind;
	__u16 off;
	__u16 len;
	/* Ethertype for PB_VLAN (its TPID) and PB_L3_RAW, IP protocol
	 * number for PB_IPV6_EXT and PB_L4_RAW. */
	__u16 type;
	/* The next-layer field was given explicitly: keep it. */
	bool fixed_next;
};

struct pb {
	__u8 data[PB_MAX_LEN];
	size_t len;
	struct pb_layer layer[PB_MAX_LAYERS];
	int nr;
	bool finished;
	/* Made by pb_fragment(): L4 headers cover only part of the
	 * datagram, so their checksums cannot be checked here. */
	bool fragment;
};

struct pb_eth_opts {
	const char *src, *dst;	/* NULL: PB_MAC_SRC / PB_MAC_DST */
	__u16 type;		/* 0: from the next layer */
};

struct pb_ipv4_opts {
	const char *src, *dst;	/* NULL: PB_V4_SRC / PB_V4_DST */
	__u8 tos;
	__u8 ttl;		/* 0: 64 */
	__u8 proto;		/* 0: from the next layer */
	__u16 id;
	__u16 frag;		/* flags | offset in 8-byte units, host order */
	const void *opts;	/* IP options, a multiple of 4 bytes */
	size_t opts_len;
};

struct pb_ipv6_opts {
	const char *src, *dst;	/* NULL: PB_V6_SRC / PB_V6_DST */
	__u8 hlim;		/* 0: 64 */
	__u8 nexthdr;		/* 0 with nothing after it: 59 (no next header) */
	__u32 flow;
	__u8 tclass;
};

struct pb_tcp_opts {
	__u16 sport, dport;	/* 0: 40000 / 80 */
	__u32 seq, ack;
	__u8 flags;		/* CHIMNEY_TCP_*; 0: SYN */
	__u16 win;		/* 0: 65535 */
	const void *opts;	/* TCP options, a multiple of 4 bytes */
	size_t opts_len;
};

void pb_init(struct pb *b);

int pb_eth(struct pb *b, const struct pb_eth_opts *o);
/* tpid: 0x8100 (802.1Q) or 0x88a8 (802.1ad) */
int pb_vlan(struct pb *b, __u16 tpid, __u16 tci);
/* An ARP request who-has tip tell sip. */
int pb_arp(struct pb *b, const char *sip, const char *tip);
/* Any other L3 payload: ethertype and bytes (NULL: a byte pattern). */
int pb_l3_raw(struct pb *b, __u16 ethertype, const void *data, size_t len);

int pb_ipv4(struct pb *b, const struct pb_ipv4_opts *o);
int pb_ipv6(struct pb *b, const struct pb_ipv6_opts *o);
/*
 * Hop-by-hop (0), routing (43, type 0 with segments left 0) or
 * destination options (60): len bytes in all, a multiple of 8, filled
 * with PadN.
 */
int pb_ipv6_ext(struct pb *b, __u8 type, size_t len);
/* Fragment header: offset in bytes (a multiple of 8), M flag, id. */
int pb_ipv6_frag(struct pb *b, __u16 offset, bool more, __u32 id);
/* Authentication header with an icv_len-byte ICV (a multiple of 4). */
int pb_ipv6_ah(struct pb *b, __u32 spi, __u32 seq, size_t icv_len);

int pb_tcp(struct pb *b, const struct pb_tcp_opts *o);
int pb_udp(struct pb *b, __u16 sport, __u16 dport);
/* Echo request/reply and friends: type, code, identifier, sequence. */
int pb_icmp(struct pb *b, __u8 type, __u8 code, __u16 id, __u16 seq);
int pb_icmp6(struct pb *b, __u8 type, __u8 code, __u16 id, __u16 seq);
/* The 4-byte ICMPv6 header alone: type, code, checksum. */
int pb_icmp6_bare(struct pb *b, __u8 type, __u8 code);
int pb_vxlan(struct pb *b, __u32 vni);
/* An IP payload of another protocol (e.g. 47, GRE). */
int pb_l4_raw(struct pb *b, __u8 proto, const void *data, size_t len);
/* Application payload (NULL: a byte pattern). */
int pb_raw(struct pb *b, const void *data, size_t len);
/*
 * Application payload up to a frame of frame_len bytes (none when the
 * frame is already that long): the first bytes of data (NULL: the byte
 * pattern). Unlike pb_pad_to(), the lengths cover it.
 */
int pb_raw_to(struct pb *b, size_t frame_len, const void *data);
/* Ethernet trailing padding: n zero bytes no length field covers. */
int pb_pad(struct pb *b, size_t n);
/* Pad to at least len bytes (60: the Ethernet minimum without FCS). */
int pb_pad_to(struct pb *b, size_t len);

void pb_finish(struct pb *b);

/*
 * One fragment of a finished datagram, like scapy's fragment() and
 * fragment6(): IPv4 (the first IPv4 layer) or IPv6 (which must carry a
 * pb_ipv6_frag() header, built atomic). The fragmentable part is the
 * payload after the IPv4 header or after the fragment header; the
 * fragment carries bytes [offset, offset + len) of it. L4 checksums
 * stay those of the whole datagram.
 */
void pb_fragment(struct pb *out, const struct pb *whole, size_t offset,
		 size_t len, bool more);

/* Layer index of the n-th (0-based) layer of a kind, or -1. */
int pb_find(const struct pb *b, enum pb_kind kind, int n);

/* Byte access for malformed fixtures: offsets from the frame start. */
void pb_put8(struct pb *b, size_t off, __u8 v);
void pb_put16(struct pb *b, size_t off, __u16 v);	/* big endian */
__u16 pb_get16(const struct pb *b, size_t off);
/* Cut the frame to len bytes (lengths and checksums stay as they were). */
void pb_truncate(struct pb *b, size_t len);
void pb_ipv4_fix_csum(struct pb *b, size_t ip_off);
/* Recompute the checksum of L4 layer index `layer` over len bytes. */
void pb_l4_fix_csum(struct pb *b, int layer, size_t len);

/* RFC 1071: the one's complement sum of buf, folded, not inverted. */
__u32 pb_csum_add(__u32 sum, const void *buf, size_t len);
__u16 pb_csum_fold(__u32 sum);

/*
 * Check, independently of pb_finish(), that every length and checksum
 * the layers carry is right: IPv4 header checksum and total length,
 * IPv6 payload length, UDP length, TCP/UDP/ICMP/ICMPv6 checksums (not
 * for fragments). 0, or -1 with the first problem in err.
 */
int pb_check(const struct pb *b, char *err, size_t errlen);

#endif /* CHIMNEY_TESTLIB_PKT_BUILDER_H */
