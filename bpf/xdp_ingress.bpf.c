// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP ingress: parse, count, pass. Later stages (checksum verdict, MSS
 * clamp, flow table, steering) read the struct pkt filled here and never
 * re-parse.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/parse.h"
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
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
