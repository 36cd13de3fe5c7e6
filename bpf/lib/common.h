/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_BPF_COMMON_H
#define CHIMNEY_BPF_COMMON_H

/*
 * UAPI headers rather than vmlinux.h: the shared include/chimney types
 * use <linux/types.h>, and the two must not be mixed in one unit.
 *
 * No UAPI header here may reach glibc. <linux/icmp.h> includes
 * <linux/if.h>, which includes glibc's <sys/socket.h>; under -target bpf
 * clang does not define __x86_64__, so glibc then wants gnu/stubs-32.h,
 * which only libc6-dev-i386 ships: the build breaks on a fresh machine.
 * What chimney needs of <linux/icmp.h> and <sys/socket.h> is defined
 * below instead, as xdp-tools' headers/linux/if.h and the kernel
 * selftests' progs/bpf_tracing_net.h do. The Makefile checks every BPF
 * object's dependency list for glibc headers (bpf-libc-check).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <chimney/config.h>
#include <chimney/counters.h>
#include <chimney/event.h>
#include <chimney/mss.h>
#include <chimney/pkt.h>

#include "verifier.h"

/*
 * Test builds only (make BPF_EXTRA=-DCHIMNEY_BUILD_SALT=N): one store of
 * N to the stack at each program's entry, so that such a build's
 * programs differ from the default build's, and from another N's, in
 * their tags (bpf_prog_info.tag, a hash of the instructions) and in
 * nothing they do. The upgrade test replaces programs with them.
 */
#ifdef CHIMNEY_BUILD_SALT
#define CHIMNEY_SALT()							\
	do {								\
		volatile __u32 __salt = CHIMNEY_BUILD_SALT;		\
		(void)__salt;						\
	} while (0)
#else
#define CHIMNEY_SALT()	do { } while (0)
#endif

#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif

/* From include/net/ip.h and include/net/ipv6.h (not UAPI). */
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define IP6_MF		0x0001
#define IP6_OFFSET	0xFFF8

/* From <linux/icmp.h>, which reaches glibc (see the top of this file). */
#define ICMP_DEST_UNREACH	3
#define ICMP_FRAG_NEEDED	4

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 un;		/* echo id/sequence, gateway, frag-needed MTU */
};

/* From <sys/socket.h> (glibc): the address families bpf_fib_lookup takes. */
#define AF_INET		2
#define AF_INET6	10

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/*
 * The tripwire: a glibc header anywhere above defines __GLIBC__. Fail here
 * with the reason, on every machine, not only on one that lacks
 * libc6-dev-i386.
 */
#ifdef __GLIBC__
#error "a BPF header reached glibc (see the comment at the top of bpf/lib/common.h)"
#endif

#endif /* CHIMNEY_BPF_COMMON_H */
