/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maps shared by both hooks. Each .bpf.c includes this, so each object
 * declares them; the instance loader (user/instance.c) loads the TC
 * object first, which creates them all, and hands their fds to the XDP
 * and cpumap objects (bpf_map__reuse_fd), so one interface has exactly
 * one set, pinned under /sys/fs/bpf/chimney/<ns>/<if>/. Every map here
 * is in the list of <chimney/maps.h> (a unit test checks).
 */
#ifndef CHIMNEY_BPF_MAPS_H
#define CHIMNEY_BPF_MAPS_H

#include "common.h"
#include <chimney/flow.h>

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
#include "steer_maps.h"

/*
 * Packets redirected to each target CPU's cpumap queue, counted on the
 * receiving CPU under the target's id: steer_redirect says how many left
 * a CPU, this says where they went, so that the sum over receiving CPUs
 * minus the target's steer_received is what its queue lost (`chimney
 * top`). Not in the counter block, whose entries are one per counter;
 * not in steer_maps.h, which the bench's reference program shares.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CHIMNEY_MAX_CPUS);
	__type(key, __u32);
	__type(value, __u64);
} steer_to SEC(".maps");

/* MSS clamping (bpf/lib/mss.h): per-prefix rules, one LPM trie per family. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CHIMNEY_MSS_RULES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct chimney_mss_key4);
	__type(value, struct chimney_mss_rule);
} mss_rules_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CHIMNEY_MSS_RULES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct chimney_mss_key6);
	__type(value, struct chimney_mss_rule);
} mss_rules_v6 SEC(".maps");

/* Path-MTU signals (bpf/lib/pmtu.h): the per-CPU ring of the MTUs ICMP
 * reported. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chimney_pmtu_log);
} pmtu_log SEC(".maps");

/*
 * Checksum verification (bpf/lib/csum.h): sampled bad frames for
 * `chimney trace`, and the token bucket that limits them to
 * csum.sample_rate per second across all CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CHIMNEY_EVENTS_SIZE);
} events SEC(".maps");

struct csum_ratelimit {
	struct bpf_spin_lock lock;
	__u64 tokens;		/* 1e9 per sample */
	__u64 last_ns;		/* last refill, bpf_ktime_get_coarse_ns */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_ratelimit);
} csum_rl SEC(".maps");

/* Where multi-buffer frames are copied to be summed, 512 bytes at a time.
 * Shared but not pinned (CHIMNEY_INTERNAL_MAP): nothing in it outlives
 * the packet being summed. */
struct csum_scratch {
	__u8 buf[512];
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_scratch);
} csum_scratch SEC(".maps");

/*
 * The flow table (flow_maps.h). flow_stats belongs to `chimney run`
 * (expiries, evictions, sweeps); no program touches it, it is declared
 * here so that it is created and pinned with the table whose history
 * it holds.
 */
#include "flow_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chimney_flow_stats);
} flow_stats SEC(".maps");

static __always_inline const struct chimney_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config, &zero);
}

#endif /* CHIMNEY_BPF_MAPS_H */
