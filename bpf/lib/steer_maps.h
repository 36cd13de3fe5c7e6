/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The steering maps: the Toeplitz tables, the indirection table and the
 * cpumap. Part of maps.h; on their own for the bench's reference program
 * (selftests/bench/xdp_null.bpf.c), which steers through chimney's maps.
 */
#ifndef CHIMNEY_BPF_STEER_MAPS_H
#define CHIMNEY_BPF_STEER_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chimney_rss_table);
} rss_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CHIMNEY_INDIR_MAX);
	__type(key, __u32);
	__type(value, __u32);		/* CPU id */
} rss_indir SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, CHIMNEY_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

#endif /* CHIMNEY_BPF_STEER_MAPS_H */
