/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `chimney run`: the instances it serves, shared with the exporter. */
#ifndef CHIMNEY_USER_RUN_H
#define CHIMNEY_USER_RUN_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include "chimney.h"
#include "flowtab.h"

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
	pthread_mutex_t lock;	/* the list, against the exporter thread */
	struct run_inst *list;
	int ninst;
	double interval;	/* seconds until the next sweep */
	char **noted;		/* instances reported as not served */
	int nnoted;
};

/* Label value of an instance's namespace. */
static inline const char *run_inst_ns(const struct run_inst *ri)
{
	return ri->netns[0] ? ri->netns : CHIMNEY_DEFAULT_NS;
}

/* metrics.c */
struct metrics_server;
/*
 * Listen on ADDR:PORT, [ADDR6]:PORT, :PORT or PORT (loopback) in the
 * current network namespace and serve /metrics from rs. NULL on error
 * (printed).
 */
struct metrics_server *metrics_start(struct run_state *rs, const char *addr);
void metrics_stop(struct metrics_server *ms);
/* 0 when addr is a valid --metrics value, else an error printed. */
int metrics_addr_check(const char *addr);
/* The Prometheus text exposition of rs; the caller holds rs->lock. */
void metrics_render(FILE *f, struct run_state *rs);

#endif /* CHIMNEY_USER_RUN_H */
