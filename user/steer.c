// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Committing a config: the config map plus the state derived from it
 * (Toeplitz tables, indirection table, cpumap entries).
 *
 * The order keeps every packet on a valid path: new cpumap entries
 * first, then the indirection table that names them, then the config
 * that turns steering on, and only then the removal of CPUs no longer
 * named. A packet that races the update sees either the old or the new
 * table, and both name live cpumap entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "config.h"
#include "log.h"

/* The fds of struct chimney_maps by name: a map's pin is its name. */
struct map_slot {
	const char *name;
	int *fd;
};

#define MAP_SLOTS(m) {					\
	{ PIN_CONFIG, &(m)->config },			\
	{ PIN_COUNTERS, &(m)->counters },		\
	{ PIN_META, &(m)->meta },			\
	{ PIN_RSS_TBL, &(m)->rss_tbl },			\
	{ PIN_RSS_INDIR, &(m)->rss_indir },		\
	{ PIN_CPUS, &(m)->cpus },			\
	{ PIN_CPUMAP_PROG, &(m)->cpumap_prog },		\
	{ PIN_FLOWS, &(m)->flows },			\
	{ PIN_FLOW_STATS, &(m)->flow_stats },		\
	{ PIN_EVENTS, &(m)->events },			\
}

void maps_init(struct chimney_maps *m)
{
	const struct map_slot slots[] = MAP_SLOTS(m);
	size_t i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		*slots[i].fd = -1;
}

void maps_close(struct chimney_maps *m)
{
	const struct map_slot slots[] = MAP_SLOTS(m);
	size_t i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (*slots[i].fd >= 0)
			close(*slots[i].fd);
		*slots[i].fd = -1;
	}
}

int maps_open_pinned(const struct chimney_ctx *ctx, struct chimney_maps *m)
{
	const struct map_slot pins[] = MAP_SLOTS(m);
	size_t i;

	maps_init(m);
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		*pins[i].fd = pin_open(ctx, pins[i].name);
		if (*pins[i].fd < 0) {
			int err = *pins[i].fd;

			pr_err("cannot open pin %s/%s: %s\n", ctx->pin_dir,
			       pins[i].name, strerror(-err));
			maps_close(m);
			return err;
		}
	}
	return 0;
}

void maps_from_obj(struct chimney_maps *m, struct bpf_object *obj)
{
	const struct map_slot slots[] = MAP_SLOTS(m);
	struct bpf_map *map;
	size_t i;

	maps_init(m);
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		map = bpf_object__find_map_by_name(obj, slots[i].name);
		if (map)
			*slots[i].fd = bpf_map__fd(map);
	}
}

/* ethtool -X semantics: equal spreads round-robin, weights in proportion. */
void steer_build_indir(const struct chimney_config *cfg, __u32 *tbl)
{
	__u32 i, n = cfg->steer_nr, size = cfg->indir_size;
	__u64 sum = 0, partial = 0;
	int j = -1;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		sum += cfg->steer_weights[i];
	for (i = 0; i < size; i++) {
		if (!sum) {
			tbl[i] = cfg->steer_cpus[i % n];
			continue;
		}
		while (i >= size * partial / sum) {
			j++;
			partial += cfg->steer_weights[j];
		}
		tbl[i] = cfg->steer_cpus[j];
	}
}

static bool cpu_listed(const struct chimney_config *cfg, __u32 cpu)
{
	__u32 i;

	for (i = 0; i < cfg->steer_nr; i++)
		if (cfg->steer_cpus[i] == cpu)
			return true;
	return false;
}

static int write_rss_table(int fd, const __u8 *key)
{
	struct chimney_rss_table *t;
	__u32 zero = 0;
	int err = 0;

	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	toeplitz_build(key, t);
	if (bpf_map_update_elem(fd, &zero, t, BPF_ANY))
		err = -errno;
	free(t);
	return err;
}

static int cpumap_add(const struct chimney_maps *m, __u32 cpu, __u32 qsize)
{
	struct bpf_cpumap_val val = {
		.qsize = qsize,
		.bpf_prog.fd = m->cpumap_prog,
	};

	return bpf_map_update_elem(m->cpus, &cpu, &val, BPF_ANY) ? -errno : 0;
}

/*
 * `chimney run` retires CPUs while `chimney set` may be committing a
 * config that lists them again. Both sides check after they write:
 * here, the config is read fresh before each delete and again after
 * it, and a CPU that turned out listed is put back; config_commit()
 * puts back any listed CPU missing once its config is written. Which
 * ever order the two interleave in, a listed CPU ends in the cpumap.
 */
void steer_retire_cpus(const struct chimney_maps *m, const bool *busy)
{
	int n = libbpf_num_possible_cpus();
	struct bpf_cpumap_val val;
	struct chimney_config cfg;
	__u32 cpu, zero = 0;

	if (n <= 0 || n > CHIMNEY_MAX_CPUS)
		n = CHIMNEY_MAX_CPUS;
	for (cpu = 0; cpu < (__u32)n; cpu++) {
		if (busy && busy[cpu])
			continue;
		if (bpf_map_lookup_elem(m->cpus, &cpu, &val))
			continue;	/* no entry */
		if (bpf_map_lookup_elem(m->config, &zero, &cfg) ||
		    cpu_listed(&cfg, cpu))
			continue;
		if (bpf_map_delete_elem(m->cpus, &cpu))
			continue;
		if (!bpf_map_lookup_elem(m->config, &zero, &cfg) &&
		    cpu_listed(&cfg, cpu)) {
			cpumap_add(m, cpu, cfg.cpumap_qsize);
			continue;
		}
		pr_debug("CPU %u left the cpumap\n", cpu);
	}
}

int config_commit(const struct chimney_maps *m,
		  const struct chimney_config *old,
		  const struct chimney_config *cfg)
{
	return config_commit_step(m, old, cfg, NULL);
}

int config_commit_step(const struct chimney_maps *m,
		       const struct chimney_config *old,
		       const struct chimney_config *cfg, const char **failed)
{
	struct bpf_cpumap_val val = {
		.qsize = cfg->cpumap_qsize,
		.bpf_prog.fd = m->cpumap_prog,
	};
	__u32 tbl[CHIMNEY_INDIR_MAX], zero = 0, i, cpu;
	const char *step;
	int err;

	/* The flows map was sized when attach created it. */
	step = "flow table size (fixed at attach)";
	if (old && old->flow_size != cfg->flow_size) {
		err = -EINVAL;
		goto fail;
	}

	step = "Toeplitz tables";
	if (!old || memcmp(old->rss_key, cfg->rss_key, RSS_KEY_LEN)) {
		err = write_rss_table(m->rss_tbl, cfg->rss_key);
		if (err)
			goto fail;
	}

	step = "cpumap entries";
	for (i = 0; i < cfg->steer_nr; i++) {
		cpu = cfg->steer_cpus[i];
		if (old && cpu_listed(old, cpu) &&
		    old->cpumap_qsize == cfg->cpumap_qsize)
			continue;
		if (bpf_map_update_elem(m->cpus, &cpu, &val, BPF_ANY)) {
			err = -errno;
			pr_debug("cpumap entry for CPU %u: %s\n", cpu,
				 strerror(-err));
			goto fail;
		}
	}

	step = "indirection table";
	if (cfg->steer_nr) {
		steer_build_indir(cfg, tbl);
		for (i = 0; i < cfg->indir_size; i++)
			if (bpf_map_update_elem(m->rss_indir, &i, &tbl[i], BPF_ANY)) {
				err = -errno;
				goto fail;
			}
	}

	step = "config map";
	if (bpf_map_update_elem(m->config, &zero, cfg, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	/* A CPU `chimney run` retired meanwhile is back (see
	 * steer_retire_cpus()). */
	for (i = 0; i < cfg->steer_nr; i++) {
		struct bpf_cpumap_val cur;

		cpu = cfg->steer_cpus[i];
		if (bpf_map_lookup_elem(m->cpus, &cpu, &cur))
			cpumap_add(m, cpu, cfg->cpumap_qsize);
	}

	/* Only now that no table names them: CPUs dropped from cpus=.
	 * With the flow table on, flows placed on them keep them until
	 * the flows go idle (flow affinity, bpf/lib/rss.h); `chimney run`
	 * retires them then. */
	if (old && !cfg->flow_on)
		steer_retire_cpus(m, NULL);
	return 0;
fail:
	/* The caller says what failed, where: with the verb and interface. */
	pr_debug("writing %s failed: %s\n", step, strerror(-err));
	if (failed)
		*failed = step;
	return err;
}
