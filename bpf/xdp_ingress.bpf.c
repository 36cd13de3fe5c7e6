// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP ingress: the stages in order. Each reads the struct pkt the
 * parser filled, and none parses a header again (the checksum stage
 * walks an IPv6 extension chain once more for a routing header; csum.h
 * says why):
 *   parse -> count -> checksum verdict -> path-MTU signals -> MSS clamp
 *         -> flow table -> steer
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/parse.h"
#include "lib/csum.h"
#include "lib/pmtu.h"
#include "lib/mss.h"
#include "lib/flow.h"
#include "lib/rss.h"
#include <xdp/xdp_helpers.h>

/* libxdp dispatcher metadata: run early, and let later programs see
 * every packet chimney passes. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(chimney_xdp);

/* xdp.frags: multi-buffer frames (jumbo MTU) are seen whole; see
 * parse_xdp_multibuf() for their length. */
SEC("xdp.frags")
int chimney_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct chimney_config *cfg;
	struct pkt pkt = {};
	struct chimney_counters *c;
	int reason, ret;

	CHIMNEY_SALT();
	c = counters_get();
	cfg = config_get();
	if (!c || !cfg)
		return XDP_PASS;

	reason = parse_packet(&pkt, data, data_end, data_end - data, cfg);
	if (reason == HC_parse_ipv4_len_beyond ||
	    reason == HC_parse_ipv6_len_beyond) {
		/* The mask gives a global function's result a range
		 * (lib/verifier.h); parse reasons are all below 64. */
		reason = parse_xdp_multibuf(ctx, &pkt, cfg, reason) & 0x3f;
	}
	count_parse(c, CHIMNEY_HOOK_RX, &pkt, reason);

	/* stage: checksum verdict (lib/csum.h). Before the parse-reason
	 * exit: an IPv4 header whose length runs past the frame is still
	 * checked, and the frame counted `truncated`. */
	if (csum_verdict(ctx, &pkt, reason, cfg, c) == XDP_DROP)
		return XDP_DROP;
	if (reason)
		return XDP_PASS;

	/* stage: path-MTU signals ICMP reports (lib/pmtu.h) */
	pmtu_xdp(ctx, &pkt, c);

	/* stage: MSS clamp of inbound SYN / SYN-ACK (lib/mss.h). It may
	 * grow the frame: data and data_end are stale from here on, and
	 * the stages after it read no packet bytes. */
	mss_xdp(ctx, &pkt, cfg, c);

	/* stage: flow table update, rx side (lib/flow.h). A tracked flow
	 * is steered there, to the CPU it keeps. */
	if (cfg->flow_on) {
		ret = flow_rx(&pkt, cfg, c);
		if (ret >= 0)
			return ret;
	}

	/* stage: steering (lib/rss.h) */
	return rss_steer(&pkt, cfg, c);
}

char _license[] SEC("license") = "GPL";
