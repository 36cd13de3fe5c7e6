/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_BPF_COMMON_H
#define CHIMNEY_BPF_COMMON_H

/*
 * UAPI headers rather than vmlinux.h: the shared include/chimney types
 * use <linux/types.h>, and the two must not be mixed in one unit.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <chimney/config.h>
#include <chimney/counters.h>
#include <chimney/event.h>
#include <chimney/mss.h>
#include <chimney/pkt.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif

/* From include/net/ip.h and include/net/ipv6.h (not UAPI). */
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define IP6_MF		0x0001
#define IP6_OFFSET	0xFFF8

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

#endif /* CHIMNEY_BPF_COMMON_H */
