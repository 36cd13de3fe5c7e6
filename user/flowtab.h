/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table from user space: walking it in batches, its occupancy,
 * the sweep that expires idle flows, and the pinned bookkeeping of
 * `chimney run`. Shared by `chimney flows`, `chimney run` and the tests.
 */
#ifndef CHIMNEY_USER_FLOWTAB_H
#define CHIMNEY_USER_FLOWTAB_H

#include <stdbool.h>
#include <linux/types.h>

#include <chimney/config.h>
#include <chimney/flow.h>

struct chimney_maps;
struct flow_query;

/* Flow state names, in enum chimney_flow_state order. */
extern const char *const flow_state_names[FLOW_ST_MAX];
extern const char *const flow_state_help[FLOW_ST_MAX];

/* CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_coarse_ns() follows. */
__u64 mono_ns(void);
/* A map's max_entries (the flow table's size), 0 when unreadable. */
__u32 map_max_entries(int fd);

/*
 * Call fn for every flow, fetched with BPF_MAP_LOOKUP_BATCH in chunks
 * of `chunk` entries. fn sees a chunk at a time (keys and values
 * arrays, n entries) and returns 0 to go on. The table is live: flows
 * added or removed meanwhile may or may not be seen.
 */
typedef int (*flow_chunk_fn)(const struct chimney_flow_key *keys,
			     const struct chimney_flow *vals, __u32 n,
			     void *arg);
int flow_walk(int fd, __u32 chunk, flow_chunk_fn fn, void *arg);

/*
 * The exact number of entries, from the kernel's own element count
 * (kfunc bpf_map_sum_elem_count, run through a small BPF_PROG_TYPE_SYSCALL
 * program bound to the instance's pinned maps). flow_query_open()
 * returns NULL when the kernel cannot do it; callers then count while
 * walking.
 */
struct flow_query *flow_query_open(const char *pin_dir);
long flow_query_count(struct flow_query *q);
void flow_query_close(struct flow_query *q);

int flow_stats_read(int fd, struct chimney_flow_stats *st);
int flow_stats_write(int fd, const struct chimney_flow_stats *st);
__u64 flow_stats_expired_total(const struct chimney_flow_stats *st);
__u64 *flow_stats_expired(struct chimney_flow_stats *st, int state);

/*
 * Evictions so far. The LRU removes flows without telling anyone, but
 * every flow is created once (flow_created, counted in BPF) and leaves
 * once, by expiry (counted by the sweep, in st) or by eviction, so
 *   evicted = created - expired - entries.
 * created is read before entries (from q, or `walked` without one):
 * flows created in between make the result smaller, never larger, so
 * it is a lower bound that the next reading catches up with; it never
 * goes below st->flow_evictions. *entries gets the occupancy used.
 */
__u64 flow_evictions(int counters_fd, struct flow_query *q,
		     const struct chimney_flow_stats *st, __u64 walked,
		     __u64 *entries);
/*
 * The same from numbers read already: flow_created (read first) and the
 * occupancy read after it. For a reader that has the counter block in
 * hand (`chimney top`), so the map is read once per refresh.
 */
__u64 flow_evictions_from(__u64 created, __u64 entries,
			  const struct chimney_flow_stats *st);

/* One sweep of one instance's table. */
struct sweep_result {
	__u64 scanned;
	__u64 expired[FLOW_ST_MAX];
	__u64 expired_total;
	__u64 entries;		/* after the sweep */
	__u64 size;		/* max_entries */
	__u64 evictions;	/* total so far */
	__u64 duration_ns;
	bool walk_ok;		/* the whole table was walked */
	/* CPUs that flows active within flow.rebalance_idle still use */
	bool busy_cpu[CHIMNEY_MAX_CPUS];
};

/*
 * Expire every flow idle longer than its state's timeout (cfg's
 * flow.timeout.*), delete them in batches, and update the pinned
 * flow_stats: expiries by reason, evictions, sweeps, duration,
 * occupancy. q may be NULL (occupancy from the walk). The caller holds
 * the instance's lock: flow_stats has one writer.
 */
int flow_sweep(const struct chimney_maps *m, struct flow_query *q,
	       const struct chimney_config *cfg, struct sweep_result *r);

#endif /* CHIMNEY_USER_FLOWTAB_H */
