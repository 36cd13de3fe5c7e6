// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flow table from user space: batched walks, the exact occupancy,
 * the sweep, and `chimney run`'s pinned bookkeeping. See flowtab.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "flowtab.h"
#include "log.h"
#include "flow_count.skel.h"

#define FS_NAME(name, help) #name,
#define FS_HELP(name, help) help,
const char *const flow_state_names[FLOW_ST_MAX] = {
	CHIMNEY_FLOW_STATES(FS_NAME)
};
const char *const flow_state_help[FLOW_ST_MAX] = {
	CHIMNEY_FLOW_STATES(FS_HELP)
};
#undef FS_NAME
#undef FS_HELP

/* Batch size of walks and deletes: large enough that the per-call cost
 * vanishes, small enough to keep a chunk in cache. */
#define FLOW_CHUNK	8192

/*
 * bpf_ktime_get_coarse_ns() is ktime_get_coarse_ns(): CLOCK_MONOTONIC
 * at tick resolution. Reading the same coarse clock here keeps idle
 * times from coming out a tick too long.
 */
__u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 precise_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int flow_walk(int fd, __u32 chunk, flow_chunk_fn fn, void *arg)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct chimney_flow_key *keys;
	struct chimney_flow *vals;
	/* The hash map's batch cursor is a bucket index (a __u32); room
	 * for more costs nothing. */
	__u64 in = 0, out = 0;
	bool first = true;
	__u32 n;
	int err, ret;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					   vals, &n, &opts);
		if (err < 0 && err != -ENOENT)
			break;
		if (n) {
			ret = fn(keys, vals, n, arg);
			if (ret) {
				err = ret;
				break;
			}
		}
		if (err == -ENOENT) {	/* the end of the table */
			err = 0;
			break;
		}
		in = out;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return err;
}

struct flow_query {
	struct flow_count *skel;
};

struct flow_query *flow_query_open(const char *pin_dir)
{
	struct flow_query *q;

	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->skel = flow_count__open();
	if (!q->skel)
		goto fail;
	if (maps_reuse_pinned(q->skel->obj, pin_dir))
		goto fail;
	if (flow_count__load(q->skel))
		goto fail;
	if (flow_query_count(q) < 0)
		goto fail;
	return q;
fail:
	pr_debug("%s: no exact flow count from the kernel; counting while walking\n",
		 pin_dir);
	flow_query_close(q);
	return NULL;
}

long flow_query_count(struct flow_query *q)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	if (!q)
		return -EINVAL;
	err = bpf_prog_test_run_opts(
		bpf_program__fd(q->skel->progs.chimney_flow_count), &opts);
	if (err)
		return err;
	return (int)opts.retval;
}

void flow_query_close(struct flow_query *q)
{
	if (!q)
		return;
	flow_count__destroy(q->skel);
	free(q);
}

int flow_stats_read(int fd, struct chimney_flow_stats *st)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(fd, &zero, st) ? -errno : 0;
}

int flow_stats_write(int fd, const struct chimney_flow_stats *st)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, st, BPF_ANY) ? -errno : 0;
}

__u64 *flow_stats_expired(struct chimney_flow_stats *st, int state)
{
	/* The expired_* fields come first, in state order. */
	return &((__u64 *)st)[state];
}

__u64 flow_stats_expired_total(const struct chimney_flow_stats *st)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < FLOW_ST_MAX; i++)
		sum += flow_stats_expired((struct chimney_flow_stats *)st, i)[0];
	return sum;
}

_Static_assert(offsetof(struct chimney_flow_stats, expired_other) ==
	       FLOW_ST_other * sizeof(__u64),
	       "expired_* fields must lead struct chimney_flow_stats in state order");

static __u64 flow_created(int counters_fd)
{
	__u64 sums[CHIMNEY_NR_COUNTERS];

	if (counters_read(counters_fd, sums, NULL, NULL))
		return 0;
	return sums[GC_flow_created];
}

__u64 flow_evictions_from(__u64 created, __u64 entries,
			  const struct chimney_flow_stats *st)
{
	__u64 gone = flow_stats_expired_total(st) + entries;
	__u64 ev = created > gone ? created - gone : 0;

	/* A counter never goes back: a reading that came out low keeps
	 * the last value. */
	return ev > st->flow_evictions ? ev : st->flow_evictions;
}

__u64 flow_evictions(int counters_fd, struct flow_query *q,
		     const struct chimney_flow_stats *st, __u64 walked,
		     __u64 *entries)
{
	__u64 created;
	long cnt;

	/* created first, then entries: flows created in between make the
	 * result smaller, never larger */
	created = flow_created(counters_fd);
	cnt = q ? flow_query_count(q) : -1;
	*entries = cnt >= 0 ? (__u64)cnt : walked;
	return flow_evictions_from(created, *entries, st);
}

/* One sweep in progress. */
struct sweep_ctx {
	int fd;
	__u64 now;
	__u64 timeout_ns[FLOW_ST_MAX];
	__u64 busy_ns;
	struct sweep_result *r;
	struct chimney_flow_key *del;
	__u8 *del_state;
};

/*
 * Delete n expired keys. A key may be gone already (the LRU evicted
 * it since the walk read it): the batch stops there, that key is
 * skipped, the rest continue. Only deletions that happened count.
 */
static int sweep_delete(struct sweep_ctx *s, __u32 n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 i = 0, cnt, j;
	int err;

	while (i < n) {
		cnt = n - i;
		err = bpf_map_delete_batch(s->fd, s->del + i, &cnt, &opts);
		for (j = i; j < i + cnt && j < n; j++) {
			s->r->expired[s->del_state[j]]++;
			s->r->expired_total++;
		}
		if (!err)
			return 0;
		if (err != -ENOENT)
			return err;
		i += cnt + 1;
	}
	return 0;
}

static int sweep_chunk(const struct chimney_flow_key *keys,
		       const struct chimney_flow *vals, __u32 n, void *arg)
{
	struct sweep_ctx *s = arg;
	__u32 i, ndel = 0;
	__u64 idle;
	int st;

	for (i = 0; i < n; i++) {
		const struct chimney_flow *v = &vals[i];

		s->r->scanned++;
		st = chimney_flow_state(&keys[i], v);
		idle = s->now > v->last_seen ? s->now - v->last_seen : 0;
		if (idle > s->timeout_ns[st]) {
			s->del[ndel] = keys[i];
			s->del_state[ndel] = st;
			ndel++;
			continue;
		}
		if (v->cpu < CHIMNEY_MAX_CPUS && idle <= s->busy_ns)
			s->r->busy_cpu[v->cpu] = true;
	}
	/* Right away, chunk by chunk: the shorter the time between
	 * reading a flow idle and deleting it, the smaller the chance that
	 * it woke up in between (it would then start over as a new flow). */
	return ndel ? sweep_delete(s, ndel) : 0;
}

__u32 map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

int flow_sweep(const struct chimney_maps *m, struct flow_query *q,
	       const struct chimney_config *cfg, struct sweep_result *r)
{
	struct chimney_flow_stats st;
	struct sweep_ctx s = { .fd = m->flows, .r = r };
	__u64 t0 = precise_ns();
	int i, err, werr;

	memset(r, 0, sizeof(*r));
	r->size = map_max_entries(m->flows);
	for (i = 0; i < FLOW_ST_MAX; i++)
		s.timeout_ns[i] = (__u64)cfg->flow_timeout_ms[i] * 1000000;
	/* A flow idle up to flow.rebalance_idle still sends to its CPU;
	 * the margin covers the coarse clock's tick. */
	s.busy_ns = (__u64)cfg->flow_rebalance_idle_ms * 1000000 + 50000000;
	s.del = calloc(FLOW_CHUNK, sizeof(*s.del));
	s.del_state = calloc(FLOW_CHUNK, 1);
	if (!s.del || !s.del_state) {
		err = -ENOMEM;
		goto out;
	}
	s.now = mono_ns();
	werr = flow_walk(m->flows, FLOW_CHUNK, sweep_chunk, &s);
	r->walk_ok = !werr;
	if (werr)
		pr_warn("flow sweep: walking the table failed: %s\n",
			strerror(-werr));

	err = flow_stats_read(m->flow_stats, &st);
	if (err)
		goto out;
	for (i = 0; i < FLOW_ST_MAX; i++)
		*flow_stats_expired(&st, i) += r->expired[i];
	st.flow_evictions = flow_evictions(m->counters, q, &st,
					   r->scanned - r->expired_total,
					   &r->entries);
	r->evictions = st.flow_evictions;
	r->duration_ns = precise_ns() - t0;
	st.flow_sweeps++;
	st.sweep_ns_last = r->duration_ns;
	st.sweep_ns_total += r->duration_ns;
	st.entries = r->entries;
	st.last_sweep = time(NULL);
	err = flow_stats_write(m->flow_stats, &st);
	if (!err)
		err = werr;
out:
	free(s.del);
	free(s.del_state);
	return err;
}
