// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP ingress: the stages in order. Each reads the struct pkt filled by
 * the parser and never re-parses:
 *   parse -> checksum verdict -> MSS clamp -> flow table -> steer
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/parse.h"
#include "lib/rss.h"
#include <xdp/xdp_helpers.h>

/* libxdp dispatcher metadata: run early, and let later programs see
 * every packet chimney passes. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(chimney_xdp);

SEC("xdp")
int chimney_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct chimney_config *cfg;
	struct pkt pkt = {};
	__u64 *c;
	int reason;

	c = counters_get();
	cfg = config_get();
	if (!c || !cfg)
		return XDP_PASS;

	reason = parse_packet(&pkt, data, data_end, data_end - data, cfg);
	count_parse(c, CHIMNEY_HOOK_RX, &pkt, reason);
	if (reason)
		return XDP_PASS;

	/* stage: checksum verdict (lib/csum.h) */

	/* stage: MSS clamp of inbound SYN / SYN-ACK (lib/mss.h) */

	/* stage: flow table update, rx side (lib/flow.h) */

	/* stage: steering (lib/rss.h) */
	return rss_steer(&pkt, cfg, c);
}

char _license[] SEC("license") = "GPL";
