// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TC egress (clsact, direct action): the stages in order, every packet
 * passed:
 *   parse -> count -> MSS clamp -> flow table
 *
 * Verdicts are TC_ACT_UNSPEC, not TC_ACT_OK: UNSPEC lets filters of a
 * lower priority on the same hook still run, so chimney never hides
 * packets from another tool's classifier.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/parse.h"
#include "lib/mss.h"
#include "lib/flow.h"

/* Enough for two VLAN tags, IPv6 with a few extension headers and a TCP
 * header with options. */
#define TC_PULL_LEN 256

/*
 * Bytes on the wire for a GSO packet: every segment after the first
 * repeats the headers (L2 up to the end of the L4 header).
 */
static __always_inline __u64 gso_wire_bytes(struct __sk_buff *skb,
					    const struct pkt *pkt, __u32 segs)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 hlen = pkt->l4_off;

	if (!(pkt->flags & PKT_F_L4))
		return skb->len;
	if (pkt->tuple.proto == IPPROTO_TCP) {
		struct tcphdr *th = data + (pkt->l4_off & PKT_OFF_MASK);

		if ((void *)(th + 1) > data_end)
			return skb->len;
		hlen += th->doff * 4;
	} else if (pkt->tuple.proto == IPPROTO_UDP) {
		hlen += sizeof(struct udphdr);
	}
	return skb->len + (__u64)(segs - 1) * hlen;
}

SEC("tc")
int chimney_tc(struct __sk_buff *skb)
{
	const struct chimney_config *cfg;
	struct pkt pkt = {};
	void *data, *data_end;
	__u32 want, segs;
	struct chimney_counters *c;
	__u64 wire;
	int reason;

	CHIMNEY_SALT();
	c = counters_get();
	cfg = config_get();
	if (!c || !cfg)
		return TC_ACT_UNSPEC;

	/* Headers of a non-linear skb may sit outside the linear area that
	 * direct packet access sees; pull only when they do, since pulling
	 * unclones the skb. */
	want = skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN;
	if (skb->data_end - skb->data < want)
		bpf_skb_pull_data(skb, want);

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	reason = parse_packet(&pkt, data, data_end, skb->len, cfg);
	/*
	 * One count_parse_n() for GSO and single packets, and the wire
	 * bytes computed once for it and the flow table: each copy of the
	 * counting code, and each branch between the parse and the end of
	 * the program, is verified again for every state the parser leaves
	 * behind (two copies and a second gso_wire_bytes() cost the
	 * verifier more than a third of its budget).
	 */
	segs = skb->gso_segs;
	if (segs > 1) {
		wire = gso_wire_bytes(skb, &pkt, segs);
	} else {
		segs = 1;
		wire = skb->len;
	}
	count_parse_n(c, CHIMNEY_HOOK_TX, &pkt, reason, segs, wire);
	if (reason)
		return TC_ACT_UNSPEC;

	/* stage: MSS clamp of outbound SYN / SYN-ACK (lib/mss.h). Its
	 * helpers may change the skb: data and data_end are stale from
	 * here on; gso_wire_bytes() reads the skb's own. */
	mss_tc(skb, &pkt, cfg, c);

	/* stage: flow table update, tx side (lib/flow.h); a single
	 * packet's bytes are pkt.pkt_len there, which the MSS stage grew
	 * when it inserted an option (GSO packets are never SYNs) */
	if (cfg->flow_on)
		flow_tx(&pkt, cfg, c, segs, wire);

	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
