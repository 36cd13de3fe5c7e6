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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "config.h"
#include "log.h"

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

/*
 * The config lock: flock on the directory that holds the instance's pin
 * directory (<root>/<netns>/), not on the pin directory itself, which
 * `chimney run` holds exclusively for as long as it serves the instance
 * (one daemon per instance): a writer would wait for the daemon to exit.
 * bpffs cannot hold a lock file (only pins and directories), and a map
 * fd is no use either: every map fd shares one anonymous inode, so a
 * flock on one would lock every map of every instance. The directory
 * is shared by the namespace's instances; config writes are rare and
 * short, and a writer waits for another at most for one commit.
 *
 * attach holds it from before it looks at an interface until its
 * instance is published (or repaired, or upgraded) and configured: two
 * attaches in one namespace take turns, so neither can take the
 * other's staging directory for the remains of an interrupted one. A
 * writer then waits for the programs to load (a few seconds).
 *
 * Detach removes a namespace directory once it is empty and the next
 * attach makes a new one, so a lock on the old one would exclude
 * nobody: after locking, the directory must still be the one the path
 * names, else lock again.
 */
int config_lock(const struct chimney_ctx *ctx, bool create)
{
	struct stat locked, named;
	char dir[PATH_MAX], *slash;
	int fd, err;

	snprintf(dir, sizeof(dir), "%s", ctx->pin_dir);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return -EINVAL;
	*slash = 0;
	for (;;) {
		/* attach makes <root>/<netns> (and <root>) first */
		if (create) {
			if (mkdir(CHIMNEY_PIN_ROOT, 0700) && errno != EEXIST)
				return -errno;
			if (mkdir(dir, 0700) && errno != EEXIST)
				return -errno;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		while ((err = flock(fd, LOCK_EX)) && errno == EINTR)
			;
		if (err) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!fstat(fd, &locked) && !stat(dir, &named) &&
		    locked.st_dev == named.st_dev && locked.st_ino == named.st_ino)
			return fd;
		close(fd);
	}
}

int config_update(const struct chimney_ctx *ctx, config_edit_fn edit,
		  void *arg, const char *verb)
{
	int lock, err;

	lock = config_lock(ctx, false);
	if (lock < 0) {
		pr_err("%s: locking the config of %s failed: %s\n", verb,
		       ctx->ifname, strerror(-lock));
		return lock;
	}
	err = config_update_held(ctx, edit, arg, verb);
	close(lock);		/* drops the flock */
	return err;
}

int config_update_held(const struct chimney_ctx *ctx, config_edit_fn edit,
		       void *arg, const char *verb)
{
	struct chimney_config old, cfg;
	struct chimney_maps m;
	char cmd[1024];
	const char *step;
	__u32 zero = 0;
	int err;

	err = maps_open_pinned(ctx, &m);
	if (err)
		return err;
	/* Read under the lock: the config the last writer left. */
	if (bpf_map_lookup_elem(m.config, &zero, &old)) {
		err = -errno;
		pr_err("%s: reading config of %s failed: %s\n", verb,
		       ctx->ifname, strerror(-err));
		goto close;
	}
	cfg = old;
	err = edit(&cfg, arg);
	if (err)
		goto close;
	/* The flows map was sized when attach created it. Resizing it
	 * live would mean a new map, a copy of a table both hooks keep
	 * writing, and new programs bound to it: not done; the commands
	 * that start over with the size are printed instead. */
	if (cfg.flow_size != old.flow_size) {
		reattach_cmd(ctx, &cfg, cmd, sizeof(cmd));
		pr_err("%s: flow.size is fixed when attach creates the flow table (it is %u); to change it, detach and attach again, which loses the flows and counters: %s\n",
		       verb, old.flow_size, cmd);
		err = -EINVAL;
		goto close;
	}
	err = config_commit_step(&m, &old, &cfg, &step);
	if (err)
		pr_err("%s: writing the %s of %s failed: %s; its config may be partly applied\n",
		       verb, step, ctx->ifname, strerror(-err));
	/* csum= changed on a running instance: the attach-time warning */
	else if (cfg.csum_mode != old.csum_mode)
		csum_warn_partial(ctx, &cfg);
close:
	maps_close(&m);
	return err;
}

struct kv_edit {
	int n;
	char **kv;
	const char *verb;
};

static int kv_apply(struct chimney_config *cfg, void *arg)
{
	const struct kv_edit *e = arg;

	return config_apply_kv(cfg, e->n, e->kv, e->verb);
}

int config_update_kv(const struct chimney_ctx *ctx, int n, char **kv,
		     const char *verb)
{
	struct kv_edit e = { .n = n, .kv = kv, .verb = verb };

	return config_update(ctx, kv_apply, &e, verb);
}

int config_update_kv_held(const struct chimney_ctx *ctx, int n, char **kv,
			  const char *verb)
{
	struct kv_edit e = { .n = n, .kv = kv, .verb = verb };

	return config_update_held(ctx, kv_apply, &e, verb);
}

/*
 * The prefix rule counts are not config: they count the entries of the
 * mss_rules tries, which `chimney mss` keeps. A config given whole (a
 * file's, or one saved before) has its own, 0 for a file, and would
 * make the data path skip tries that hold rules.
 */
int config_edit_replace(struct chimney_config *cfg, void *arg)
{
	__u32 v4 = cfg->mss_rules_v4, v6 = cfg->mss_rules_v6;

	*cfg = *(const struct chimney_config *)arg;
	cfg->mss_rules_v4 = v4;
	cfg->mss_rules_v6 = v6;
	return 0;
}

int config_replace(const struct chimney_ctx *ctx,
		   const struct chimney_config *cfg, const char *verb)
{
	return config_update(ctx, config_edit_replace, (void *)cfg, verb);
}
