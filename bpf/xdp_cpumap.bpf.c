// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs on the target CPU of a steered packet, from the cpumap kthread,
 * before the packet enters the stack there. It only counts: the per-CPU
 * view of steer_received is exactly where steered work landed.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"

/* frags: a cpumap program must match the multi-buffer support of the
 * XDP program that redirects into the map (chimney_xdp is xdp.frags). */
SEC("xdp.frags/cpumap")
int chimney_cpumap(struct xdp_md *ctx)
{
	struct chimney_counters *c = counters_get();

	CHIMNEY_SALT();
	if (c)
		count_global(c, GC_steer_received);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
