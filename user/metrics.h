/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Prometheus exporter of `chimney run`.
 *
 * It knows nothing of the daemon's structures or locks: for each scrape
 * it asks the daemon, through a callback, for a snapshot (a copy of
 * every instance's numbers, taken under the daemon's lock), renders it
 * with metrics_render() and frees it. metrics_render() is a pure
 * function of the snapshot, so the exposition is tested without HTTP
 * and without BPF (selftests/unit/test_metrics.c).
 */
#ifndef CHIMNEY_USER_METRICS_H
#define CHIMNEY_USER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include <chimney/counters.h>
#include <chimney/flow.h>

/* What one scrape shows of one instance. */
struct snapshot {
	char netns[IFNAMSIZ * 4];	/* label value: "default" for the root ns */
	char ifname[IFNAMSIZ];
	/* the counter block: sums, and ncpus rows of CHIMNEY_NR_COUNTERS */
	bool have_counters;
	__u64 sums[CHIMNEY_NR_COUNTERS];
	__u64 *per_cpu;			/* malloc'ed; snapshot_free() frees it */
	int ncpus;
	/* the daemon's pinned bookkeeping (flow_stats) */
	bool have_stats;
	struct chimney_flow_stats st;
	/* occupancy: the kernel's count, or as of the last sweep */
	bool have_entries;
	__u64 entries;
	__u32 size;			/* flow table capacity, 0 if unknown */
	/* the config: how many CPUs cpus= lists (0: steering off) */
	bool have_config;
	__u32 steer_cpus;
};

/* Free an array of n snapshots and what they point to. */
void snapshot_free(struct snapshot *s, size_t n);

/*
 * The Prometheus text exposition (format 0.0.4) of n instances, and of
 * the daemon itself: chimney_run_instances (n) and the current sweep
 * interval. Writes to f only; reads nothing else.
 */
void metrics_render(FILE *f, const struct snapshot *s, size_t n,
		    double sweep_interval);

/*
 * The daemon's side of a scrape, called from the server's thread: fill
 * *s with a malloc'ed array of *n snapshots (freed by the caller with
 * snapshot_free()) and *sweep_interval. 0 or a negative errno.
 */
typedef int (*metrics_collect_fn)(void *arg, struct snapshot **s, size_t *n,
				  double *sweep_interval);

struct metrics_server;
/*
 * Bind and listen on ADDR:PORT, [ADDR6]:PORT, :PORT or PORT (loopback)
 * in the current network namespace: the socket, or a negative errno
 * (printed). The daemon does it before it attaches anything, so that a
 * busy port stops it first; --check binds and closes.
 */
int metrics_listen(const char *addr);
/*
 * Serve /metrics on fd (metrics_listen()'s, owned by the server from
 * now on, also on failure) from what collect returns, in threads of
 * its own. What a client can hold is bounded (metrics.c): connections
 * in all and per address, idle time, lifetime; the server's own
 * messages are rate-limited. NULL on error (printed).
 */
struct metrics_server *metrics_start(int fd, metrics_collect_fn collect,
				     void *arg);
void metrics_stop(struct metrics_server *ms);
/* 0 when addr is a valid --metrics value, else an error printed. */
int metrics_addr_check(const char *addr);

#endif /* CHIMNEY_USER_METRICS_H */
