/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `chimney run`: the instances the daemon serves.
 *
 * Lock rules. The main thread owns the list: it alone adopts, sweeps
 * and frees instances, and it alone writes list, ninst and interval,
 * always under lock, so it may read them without. The exporter's thread
 * sees the daemon only through run_snapshot(), which copies what a
 * scrape shows while holding lock; nothing of struct run_inst leaves
 * the daemon.
 */
#ifndef CHIMNEY_USER_RUN_H
#define CHIMNEY_USER_RUN_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>

#include "chimney.h"
#include "flowtab.h"
#include "metrics.h"

struct run_inst {
	struct run_inst *next;
	char netns[IFNAMSIZ * 4];	/* "" for the root namespace */
	char ifname[IFNAMSIZ];
	char pin_dir[PATH_MAX];
	struct chimney_maps m;
	struct flow_query *q;	/* NULL: occupancy from the walk */
	int lock_fd;		/* flock on the pin directory */
	__u32 config_id;	/* id of the pinned config map: a re-attach
				 * makes new maps under the same name */
	__u32 size;		/* flows max_entries */
	bool seen;		/* found by the current rescan */
	bool full;		/* above the occupancy warning level */
	__u64 warned_at;	/* mono ns of the last occupancy warning */
	__u64 evictions;	/* as of the last sweep */
	bool have_evictions;
};

struct run_state {
	pthread_mutex_t lock;	/* list, ninst, interval: see above */
	struct run_inst *list;
	int ninst;
	double interval;	/* seconds until the next sweep */
	char **noted;		/* instances reported as not served */
	int nnoted;
};

/*
 * The exporter's metrics_collect_fn (arg: the struct run_state): reads
 * every instance's counters, flow_stats and occupancy into a snapshot
 * array under rs->lock.
 */
int run_snapshot(void *rs, struct snapshot **s, size_t *n,
		 double *sweep_interval);

#endif /* CHIMNEY_USER_RUN_H */
