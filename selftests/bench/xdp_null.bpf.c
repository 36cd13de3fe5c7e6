// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor for `make bench`: an XDP program that only passes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_null(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
