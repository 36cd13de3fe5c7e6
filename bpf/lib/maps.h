/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maps shared by both hooks. Each .bpf.c includes this, so each object
 * declares them; `chimney attach` loads the XDP object first and hands
 * its map fds to the TC object (bpf_map__reuse_fd), so one interface
 * has exactly one set, pinned under /sys/fs/bpf/chimney/<ns>/<if>/.
 */
#ifndef CHIMNEY_BPF_MAPS_H
#define CHIMNEY_BPF_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chimney_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chimney_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chimney_meta);
} meta SEC(".maps");

/*
 * Steering. They are declared here with the rest, not in rss.h, so that
 * the first object loaded creates every map and user space can fill them
 * before any program is attached.
 */
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

static __always_inline const struct chimney_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config, &zero);
}

#endif /* CHIMNEY_BPF_MAPS_H */
