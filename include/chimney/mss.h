/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MSS clamping and the path-MTU log: the types BPF (bpf/lib/mss.h,
 * bpf/lib/pmtu.h) and user space (user/mss.c, `chimney stats`) share.
 * The config fields are the mss_* block of struct chimney_config.
 */
#ifndef CHIMNEY_MSS_H
#define CHIMNEY_MSS_H

#include <linux/types.h>

/* mss.dir: which hook clamps. BOTH is 0, so a zeroed config clamps both. */
enum chimney_mss_dir {
	CHIMNEY_MSS_DIR_BOTH = 0,
	CHIMNEY_MSS_DIR_IN = 1,		/* XDP ingress */
	CHIMNEY_MSS_DIR_OUT = 2,	/* TC egress */
};

/* IP + TCP base headers: MSS = MTU - this. */
#define CHIMNEY_MSS_HDR_V4	40
#define CHIMNEY_MSS_HDR_V6	60
/*
 * The MSS a receiver assumes when a SYN carries no MSS option (RFC 1122
 * for IPv4; the IPv6 minimum MTU 1280 - 60). xt_TCPMSS inserts an option
 * of at most these values, and so does chimney.
 */
#define CHIMNEY_MSS_DEFAULT_V4	536
#define CHIMNEY_MSS_DEFAULT_V6	1220

/*
 * Per-prefix rules: one LPM trie per family, keyed by the address the
 * connection's SYN is sent to (see bpf/lib/mss.h for why).
 */
#define CHIMNEY_MSS_RULES_MAX	1024

struct chimney_mss_key4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct chimney_mss_key6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct chimney_mss_rule {
	__u16 mss;	/* the clamp, for this trie's family */
	__u16 mtu;	/* as given with `mtu N`; 0 when given as `mss N` */
};

/*
 * Path-MTU signals (ICMP fragmentation needed, ICMPv6 packet too big)
 * seen on ingress (bpf/lib/pmtu.h): the last CHIMNEY_PMTU_LOG of them
 * in a ring per CPU (the pmtu_log map is a PERCPU_ARRAY). head counts
 * every signal logged on that CPU; slot head % CHIMNEY_PMTU_LOG is the
 * next. Only its own CPU writes a ring, so no atomics are needed; a
 * reader may see a slot half written, which `chimney stats` can live
 * with. It merges the CPUs' rings by ktime_ns.
 */
#define CHIMNEY_PMTU_LOG	16

struct chimney_pmtu_ent {
	__u64 ktime_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 mtu;		/* the MTU the message reports */
	__u8 family;		/* 4 or 6 */
	__u8 pad[3];
	__be32 reporter[4];	/* the router that sent the message */
	__be32 dst[4];		/* destination of the packet it quotes */
};

struct chimney_pmtu_log {
	__u64 head;
	struct chimney_pmtu_ent ent[CHIMNEY_PMTU_LOG];
};

#endif /* CHIMNEY_MSS_H */
