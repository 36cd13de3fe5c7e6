// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TC egress (clsact, direct action): parse, count, pass.
 *
 * Verdicts are TC_ACT_UNSPEC, not TC_ACT_OK: UNSPEC lets filters of a
 * lower priority on the same hook still run, so chimney never hides
 * packets from another tool's classifier.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/parse.h"

/* Enough for two VLAN tags, IPv6 with a few extension headers and a TCP
 * header with options. */
#define TC_PULL_LEN 256

SEC("tc")
int chimney_tc(struct __sk_buff *skb)
{
	const struct chimney_config *cfg;
	struct pkt pkt = {};
	void *data, *data_end;
	__u32 want;
	__u64 *c;
	int reason;

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
	count_parse(c, CHIMNEY_HOOK_TX, &pkt, reason);
	if (reason)
		return TC_ACT_UNSPEC;

	/* stage: MSS clamp of outbound SYN / SYN-ACK (lib/mss.h) */

	/* stage: flow table update, tx side (lib/flow.h) */

	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
