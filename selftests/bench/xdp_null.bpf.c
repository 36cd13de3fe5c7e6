// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bench's own programs:
 *   xdp_null       the floor: an XDP program that only passes.
 *   xdp_ref_steer  a yardstick for steering's budget: the least any
 *                  program can do for parse + Toeplitz + redirect. It
 *                  reads only the plain shapes (Ethernet, IPv4 without
 *                  options or IPv6 without extension headers, TCP),
 *                  checks only what its reads need, counts nothing, and
 *                  hashes with chimney's own code and tables into
 *                  chimney's indirection table and cpumap (the bench
 *                  hands it chimney's map fds). chimney_xdp against it
 *                  is the price of the parser's full checks, the
 *                  counters and the feature gates; it against xdp_null
 *                  is what the machine charges for the job itself.
 */
#include "lib/common.h"
#include "lib/steer_maps.h"

/* The default rss.table_size, which the bench's steering rows use. */
#define REF_INDIR_SIZE	128

SEC("xdp")
int xdp_null(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* xdp.frags like chimney_xdp: the kernel lets programs share a
 * cpumap only when they agree on that. */
SEC("xdp.frags")
int xdp_ref_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct chimney_tuple tp = {};
	const struct chimney_rss_table *t;
	__u32 zero = 0, idx, *cpu;
	struct tcphdr *th;
	__be16 proto;

	if (data + ETH_HLEN > data_end)
		return XDP_PASS;
	proto = *(__be16 *)(data + offsetof(struct ethhdr, h_proto));
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + ETH_HLEN;

		if ((void *)(iph + 1) > data_end || *(__u8 *)iph != 0x45 ||
		    iph->protocol != IPPROTO_TCP)
			return XDP_PASS;
		tp.family = 4;
		tp.saddr[0] = iph->saddr;
		tp.daddr[0] = iph->daddr;
		th = (void *)(iph + 1);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = data + ETH_HLEN;

		if ((void *)(ip6h + 1) > data_end ||
		    ip6h->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		tp.family = 6;
		__builtin_memcpy(tp.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(tp.daddr, &ip6h->daddr, 16);
		th = (void *)(ip6h + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	tp.sport = th->source;
	tp.dport = th->dest;

	t = bpf_map_lookup_elem(&rss_tbl, &zero);
	if (!t)
		return XDP_ABORTED;
	idx = toeplitz_hash_tuple(t, &tp, 1, 0) & (REF_INDIR_SIZE - 1);
	cpu = bpf_map_lookup_elem(&rss_indir, &idx);
	if (!cpu)
		return XDP_ABORTED;
	return bpf_redirect_map(&cpus, *cpu, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
