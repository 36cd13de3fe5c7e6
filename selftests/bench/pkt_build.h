/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small packet builder for crafted test frames, in the spirit of
 * scapy's layering: push headers outermost first, then pb_finish()
 * fills what follows from the stack of layers, the way scapy does for
 * fields left unset:
 *
 *   Ether()/Dot1Q(vlan=10)/IP(src="10.0.0.1")/TCP(dport=80)/Raw(...)
 *
 *   pb_init(&b);
 *   pb_eth(&b, NULL, NULL, 0);
 *   pb_vlan(&b, ETH_P_8021Q, 10);
 *   pb_ipv4(&b, "10.0.0.1", "10.0.0.2");
 *   pb_tcp(&b, 40000, 80, PB_TCP_ACK);
 *   pb_payload_to(&b, 64);
 *   err = pb_finish(&b);
 *
 * pb_finish() sets every ethertype / next-protocol field from the layer
 * that follows, every length field to "up to the end of the frame", the
 * IPv4 header checksum and the TCP/UDP checksums (pseudo-header of the
 * closest IP layer before it). It works from the innermost layer out,
 * so an outer UDP checksum covers an already finished inner packet
 * (VXLAN).
 *
 * The push functions return a pointer to the header they wrote, so a
 * caller can set a field the builder does not (TTL, fragment offset)
 * before pb_finish(), or break one on purpose after it. Errors (frame
 * too long, too many layers, bad address) are sticky: the first one is
 * returned by pb_finish() and every push after it returns NULL.
 *
 * Self-contained (libc and UAPI headers only) so that any test program
 * can compile it in.
 */
#ifndef CHIMNEY_PKT_BUILD_H
#define CHIMNEY_PKT_BUILD_H

#include <stddef.h>
#include <linux/types.h>

#define PB_MAX_LEN	9216	/* a jumbo frame */
#define PB_MAX_LAYERS	16

/* TCP flags byte (offset 13 of the TCP header). */
#define PB_TCP_FIN	0x01
#define PB_TCP_SYN	0x02
#define PB_TCP_RST	0x04
#define PB_TCP_PSH	0x08
#define PB_TCP_ACK	0x10

#define PB_VXLAN_PORT	4789

enum pb_layer_type {
	PB_ETH,
	PB_VLAN,
	PB_IPV4,
	PB_IPV6,
	PB_TCP,
	PB_UDP,
	PB_VXLAN,
	PB_RAW,
};

struct pb_layer {
	enum pb_layer_type type;
	__u32 off;		/* from the start of the frame */
	__u16 tpid;		/* PB_VLAN: goes into the previous type field */
	__u16 ethertype;	/* PB_ETH/PB_VLAN: used when nothing follows */
};

struct pb {
	__u8 buf[PB_MAX_LEN];
	__u32 len;
	struct pb_layer layers[PB_MAX_LAYERS];
	int nlayers;
	int err;		/* first error, negative errno */
};

void pb_init(struct pb *b);

/* dst/src NULL: 02:00:00:00:00:02 / 02:00:00:00:00:01. ethertype is
 * used only when no VLAN or IP layer follows (0 otherwise). */
struct ethhdr *pb_eth(struct pb *b, const __u8 *dst, const __u8 *src,
		      __u16 ethertype);
/* An 802.1Q (ETH_P_8021Q) or 802.1ad (ETH_P_8021AD) tag. */
void *pb_vlan(struct pb *b, __u16 tpid, __u16 tci);
/* Addresses in text form; TTL 64, DF clear, no options. */
struct iphdr *pb_ipv4(struct pb *b, const char *saddr, const char *daddr);
/* Hop limit 64, flow label 0. */
struct ipv6hdr *pb_ipv6(struct pb *b, const char *saddr, const char *daddr);
/* seq 1, ack 1 when ACK is set, window 65535, no options. */
struct tcphdr *pb_tcp(struct pb *b, __u16 sport, __u16 dport, __u8 flags);
struct udphdr *pb_udp(struct pb *b, __u16 sport, __u16 dport);
/* The 8-byte VXLAN header (I flag set); an inner pb_eth() follows. */
void *pb_vxlan(struct pb *b, __u32 vni);
/* Raw bytes; data NULL fills a counting pattern (0x00, 0x01, ...). */
void *pb_raw(struct pb *b, const void *data, __u32 len);
/* Raw payload up to a total frame length (nothing when already there). */
void *pb_payload_to(struct pb *b, __u32 frame_len);

/* Fill lengths, next-protocol fields and checksums. 0 or -errno. */
int pb_finish(struct pb *b);

/* Offset of the n-th layer of a type (n = 0: the outermost), or -1. */
int pb_layer_off(const struct pb *b, enum pb_layer_type type, int n);

/* Internet checksum helpers, exported to re-checksum a changed header. */
__u32 pb_csum_add(__u32 sum, const void *data, __u32 len);
__u16 pb_csum_fold(__u32 sum);

#endif /* CHIMNEY_PKT_BUILD_H */
