// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Questions user space asks about an instance's flow table, run with
 * BPF_PROG_TEST_RUN against the instance's pinned maps (user/flowtab.c
 * binds every map of this object to its pin before loading, so it
 * defines only the one it reads).
 *
 * chimney_flow_count returns the number of entries in `flows`. The
 * kernel keeps that count for LRU hashes (it moves on every insert,
 * delete and eviction), so this is exact and costs nothing like a walk.
 */
#include "lib/common.h"
#include "lib/flow_maps.h"

/* The kfunc takes the kernel's struct bpf_map; without vmlinux.h a
 * definition (not a forward declaration) is needed for libbpf to match
 * the kfunc's prototype. Its fields are never used. */
struct bpf_map {
	int unused;
};

extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym __weak;

SEC("syscall")
int chimney_flow_count(void *ctx)
{
	/* Kernels before 6.6 have no such kfunc: user space counts. */
	if (!bpf_map_sum_elem_count)	/* libbpf 1.1 has no bpf_ksym_exists() */
		return -1;
	return bpf_map_sum_elem_count((const struct bpf_map *)&flows);
}

char _license[] SEC("license") = "GPL";
