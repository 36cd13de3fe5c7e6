// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The freplace probe of `chimney --version`: does this kernel let an
 * EXT (freplace) program attach? libxdp's multi-program dispatcher is
 * exactly that (each program replaces a global stub function of the
 * dispatcher), so the answer says whether libxdp can share an interface.
 *
 * Not a hook, hence in bpf/probe/ rather than bpf/ itself (the Makefile
 * builds every .bpf.c directly in bpf/ as one). User space loads this
 * object twice: once with only probe_xdp (the target), once with only
 * probe_ext, aimed at probe_target inside the loaded target. Nothing is
 * ever attached to an interface.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/*
 * Global and not inlined, so it is a separate subprogram with BTF of its
 * own, the kind of function freplace replaces (as the dispatcher's
 * prog0..prog9 stubs). It reads the context so clang cannot fold the
 * call away.
 */
__noinline int probe_target(struct xdp_md *ctx)
{
	return ctx->rx_queue_index == 0xffffffff ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	return probe_target(ctx);
}

/* Same signature as probe_target: the kernel checks the BTF match. */
SEC("freplace/probe_target")
int probe_ext(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
