// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney run: the daemon. It sweeps stale flows out of every instance's
 * flow table, retires CPUs that left cpus= once no active flow uses
 * them, and serves Prometheus metrics.
 *
 * The data plane never depends on it: the programs, their maps and
 * their counters live in the kernel and in pins. Everything the daemon
 * counts (expiries, evictions, sweeps) lives in each instance's pinned
 * flow_stats map too, so `kill -9` loses nothing and a restart adopts
 * the pinned state as it is. One daemon serves an instance at a time:
 * it holds a lock (flock) on the instance's pin directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "config.h"
#include "conffile.h"
#include "flowtab.h"
#include "log.h"
#include "metrics.h"
#include "run.h"

#define RESCAN_NS	2000000000ULL	/* look for new / gone instances */
#define IV_MIN		0.1		/* sweep interval bounds, seconds */
#define IV_MAX		10.0
#define FULL_PCT	90		/* occupancy warning */
#define FULL_REWARN_NS	60000000000ULL

static volatile sig_atomic_t stop, reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

struct run_opts {
	const char *netns;	/* -n: only this namespace */
	const char *config;
	const char *metrics;
	bool once;
	bool check;
	bool json;
	/* --config: serve exactly the file's interfaces */
	struct conf_file cf;
	bool have_cf;
};

/* Label value of an instance's namespace. */
static const char *run_inst_ns(const struct run_inst *ri)
{
	return ri->netns[0] ? ri->netns : CHIMNEY_DEFAULT_NS;
}

static __u32 pin_id(const char *dir, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static void inst_free(struct run_inst *ri)
{
	maps_close(&ri->m);
	flow_query_close(ri->q);
	if (ri->lock_fd >= 0)
		close(ri->lock_fd);	/* drops the flock */
	free(ri);
}

/* Why inst_adopt() left an instance alone; errors are negative errnos. */
enum adopt_result {
	ADOPT_OK = 0,		/* *out is ours to serve */
	ADOPT_NOT_READY,	/* attach still in progress, or the pins are gone */
	ADOPT_BUSY,		/* another chimney run serves it */
	ADOPT_NO_FLOWS,		/* no flow table: attached by an older chimney */
};

/*
 * Take over one pinned instance: lock it, open its maps, set up the
 * exact occupancy count. An enum adopt_result, or a negative errno.
 */
static int inst_adopt(const char *netns, const char *ifname,
		      struct run_inst **out)
{
	struct chimney_ctx ctx = { .netns = netns, .ifname = ifname };
	struct chimney_flow_stats st = {};
	struct run_inst *ri;
	char path[PATH_MAX];
	struct stat sb;
	int err;

	ri = calloc(1, sizeof(*ri));
	if (!ri)
		return -ENOMEM;
	ri->lock_fd = -1;
	maps_init(&ri->m);
	snprintf(ri->netns, sizeof(ri->netns), "%s", netns ? netns : "");
	snprintf(ri->ifname, sizeof(ri->ifname), "%s", ifname);
	err = pin_dir_path(ri->pin_dir, sizeof(ri->pin_dir), netns, ifname);
	if (err)
		goto fail;
	/* attach pins the cpumap program last: before that, an attach is
	 * still in progress */
	snprintf(path, sizeof(path), "%s/%s", ri->pin_dir, PIN(cpumap_prog));
	if (stat(path, &sb)) {
		err = ADOPT_NOT_READY;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s", ri->pin_dir, PIN(flows));
	if (stat(path, &sb)) {
		err = ADOPT_NO_FLOWS;
		goto fail;
	}
	ri->lock_fd = open(ri->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ri->lock_fd < 0) {
		err = ADOPT_NOT_READY;	/* detached meanwhile */
		goto fail;
	}
	if (flock(ri->lock_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? ADOPT_BUSY : -errno;
		goto fail;
	}
	ri->config_id = pin_id(ri->pin_dir, PIN(config));
	memcpy(ctx.pin_dir, ri->pin_dir, sizeof(ctx.pin_dir));
	err = maps_open_pinned(&ctx, &ri->m);
	if (err)
		goto fail;
	ri->q = flow_query_open(ri->pin_dir);
	ri->size = map_max_entries(ri->m.flows);
	flow_stats_read(ri->m.flow_stats, &st);
	pr_info("%s/%s: adopted: flow table of %u, %llu sweeps and %llu expiries so far%s\n",
		run_inst_ns(ri), ifname, ri->size,
		(unsigned long long)st.flow_sweeps,
		(unsigned long long)flow_stats_expired_total(&st),
		ri->q ? "" : " (occupancy counted while sweeping)");
	*out = ri;
	return ADOPT_OK;
fail:
	inst_free(ri);
	return err;
}

struct rescan_arg {
	struct run_state *rs;
	const struct run_opts *o;
	int err;
};

static struct run_inst *inst_find(struct run_state *rs, const char *netns,
				  const char *ifname)
{
	struct run_inst *ri;

	for (ri = rs->list; ri; ri = ri->next)
		if (!strcmp(ri->netns, netns ? netns : "") &&
		    !strcmp(ri->ifname, ifname))
			return ri;
	return NULL;
}

/* Whether an instance was reported as not served already; notes it. */
static bool noted(struct run_state *rs, const char *netns, const char *ifname)
{
	char name[PATH_MAX], **tmp;
	int i;

	snprintf(name, sizeof(name), "%s/%s", netns ? netns : "", ifname);
	for (i = 0; i < rs->nnoted; i++)
		if (!strcmp(rs->noted[i], name))
			return true;
	tmp = realloc(rs->noted, (rs->nnoted + 1) * sizeof(*tmp));
	if (tmp) {
		rs->noted = tmp;
		rs->noted[rs->nnoted] = strdup(name);
		if (rs->noted[rs->nnoted])
			rs->nnoted++;
	}
	return false;
}

static bool wanted(const struct run_opts *o, const char *netns,
		   const char *ifname)
{
	int i;

	if (o->netns && (!netns || strcmp(o->netns, netns)))
		return false;
	if (!o->have_cf)
		return true;
	for (i = 0; i < o->cf.n; i++) {
		const struct conf_iface *ci = &o->cf.ifs[i];

		if (!strcmp(ci->ifname, ifname) &&
		    !strcmp(ci->netns ? ci->netns : "", netns ? netns : ""))
			return true;
	}
	return false;
}

static int rescan_one(const char *netns, const char *ifname, void *p)
{
	struct rescan_arg *a = p;
	struct run_inst *ri;
	int err;

	if (!wanted(a->o, netns, ifname))
		return 0;
	ri = inst_find(a->rs, netns, ifname);
	if (ri) {
		char dir[PATH_MAX];

		pin_dir_path(dir, sizeof(dir), netns, ifname);
		/* Same maps as when adopted, or a re-attach: start over. */
		if (pin_id(dir, PIN(config)) == ri->config_id)
			ri->seen = true;
		return 0;
	}
	err = inst_adopt(netns, ifname, &ri);
	if (err == ADOPT_BUSY || err == ADOPT_NO_FLOWS) {
		/* said once per instance, not at every rescan */
		if (!noted(a->rs, netns, ifname))
			pr_warn(err == ADOPT_BUSY ?
				"%s/%s: served by another chimney run; left alone\n" :
				"%s/%s: no flow table pinned (attached by an older chimney?): not served\n",
				netns ? netns : CHIMNEY_DEFAULT_NS, ifname);
		return 0;
	}
	if (err != ADOPT_OK)
		return 0;	/* not ready (the next rescan retries), or said why */
	ri->seen = true;
	pthread_mutex_lock(&a->rs->lock);
	ri->next = a->rs->list;
	a->rs->list = ri;
	a->rs->ninst++;
	pthread_mutex_unlock(&a->rs->lock);
	return 0;
}

/* Adopt new instances, let go of detached or re-attached ones. */
static void rescan(struct run_state *rs, const struct run_opts *o)
{
	struct rescan_arg a = { .rs = rs, .o = o };
	struct run_inst **pp, *ri;

	for (ri = rs->list; ri; ri = ri->next)
		ri->seen = false;
	for_each_instance(rescan_one, &a);
	pthread_mutex_lock(&rs->lock);
	for (pp = &rs->list; (ri = *pp);) {
		if (ri->seen) {
			pp = &ri->next;
			continue;
		}
		pr_info("%s/%s: detached, re-attached or no longer named: let go\n",
			run_inst_ns(ri), ri->ifname);
		*pp = ri->next;
		rs->ninst--;
		inst_free(ri);
	}
	pthread_mutex_unlock(&rs->lock);
}

/*
 * Warn when the table is full: above FULL_PCT, or evicting. The kernel's
 * LRU keeps some free entries per CPU and starts evicting before the
 * count reaches the size (noticeably in small tables), so an eviction
 * since the last sweep means full too. Again every minute while it is.
 */
static void check_full(struct run_inst *ri, const struct sweep_result *r)
{
	__u64 now = mono_ns(), pct, ev;

	if (!r->size)
		return;
	pct = r->entries * 100 / r->size;
	ev = ri->have_evictions && r->evictions > ri->evictions ?
	     r->evictions - ri->evictions : 0;
	ri->evictions = r->evictions;
	ri->have_evictions = true;
	if (pct > FULL_PCT || ev) {
		if (!ri->full || now - ri->warned_at > FULL_REWARN_NS) {
			pr_warn("%s/%s: flow table full: %llu%% of %llu entries in use, %llu flows evicted since the last sweep (%llu in all); raise flow.size or shorten flow.timeout.*\n",
				run_inst_ns(ri), ri->ifname,
				(unsigned long long)pct,
				(unsigned long long)r->size,
				(unsigned long long)ev,
				(unsigned long long)r->evictions);
			ri->warned_at = now;
		}
		ri->full = true;
	} else if (ri->full && pct < FULL_PCT - 10) {
		pr_info("%s/%s: flow table back to %llu%%, no evictions\n",
			run_inst_ns(ri), ri->ifname, (unsigned long long)pct);
		ri->full = false;
	}
}

/* What a scrape shows of one instance; the caller holds rs->lock. */
static void snap_inst(const struct run_inst *ri, struct snapshot *s)
{
	struct chimney_config cfg;
	__u32 zero = 0;
	long cnt;

	snprintf(s->netns, sizeof(s->netns), "%s", run_inst_ns(ri));
	snprintf(s->ifname, sizeof(s->ifname), "%s", ri->ifname);
	s->have_counters = !counters_read(ri->m.counters, s->sums,
					  &s->per_cpu, &s->ncpus);
	s->have_stats = !flow_stats_read(ri->m.flow_stats, &s->st);
	cnt = ri->q ? flow_query_count(ri->q) : -1;
	if (cnt >= 0) {
		s->entries = cnt;
		s->have_entries = true;
	} else if (s->have_stats) {
		s->entries = s->st.entries;	/* as of the last sweep */
		s->have_entries = true;
	}
	s->size = ri->size;
	s->have_config = !bpf_map_lookup_elem(ri->m.config, &zero, &cfg);
	s->steer_cpus = s->have_config ? cfg.steer_nr : 0;
}

int run_snapshot(void *arg, struct snapshot **out, size_t *n,
		 double *sweep_interval)
{
	struct run_state *rs = arg;
	struct run_inst *ri;
	struct snapshot *s;
	size_t k = 0;
	int err = 0;

	/* Under the lock: rescan() frees instances, and their map fds
	 * with them, under it too. */
	pthread_mutex_lock(&rs->lock);
	s = calloc(rs->ninst ? rs->ninst : 1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto unlock;
	}
	for (ri = rs->list; ri && k < (size_t)rs->ninst; ri = ri->next)
		snap_inst(ri, &s[k++]);
	*sweep_interval = rs->interval;
	*out = s;
	*n = k;
unlock:
	pthread_mutex_unlock(&rs->lock);
	return err;
}

struct sweep_totals {
	__u64 scanned, expired;
	__u32 min_timeout_ms;
	bool full;
};

static int sweep_inst(struct run_inst *ri, struct sweep_result *r,
		      struct sweep_totals *t)
{
	struct chimney_config cfg;
	__u32 zero = 0;
	int err, i;

	if (bpf_map_lookup_elem(ri->m.config, &zero, &cfg))
		return -errno;
	err = flow_sweep(&ri->m, ri->q, &cfg, r);
	if (err) {
		pr_warn("%s/%s: sweep failed: %s\n", run_inst_ns(ri),
			ri->ifname, strerror(-err));
		return err;
	}
	/* CPUs dropped from cpus= that no active flow still uses */
	if (r->walk_ok)
		steer_retire_cpus(&ri->m, r->busy_cpu);
	check_full(ri, r);
	pr_debug("%s/%s: swept %llu flows in %.1f ms: %llu expired, %llu left, %llu evictions so far\n",
		 run_inst_ns(ri), ri->ifname, (unsigned long long)r->scanned,
		 r->duration_ns / 1e6, (unsigned long long)r->expired_total,
		 (unsigned long long)r->entries,
		 (unsigned long long)r->evictions);
	t->scanned += r->scanned;
	t->expired += r->expired_total;
	t->full |= ri->full;
	for (i = 0; i < FLOW_ST_MAX; i++)
		if (cfg.flow_timeout_ms[i] < t->min_timeout_ms)
			t->min_timeout_ms = cfg.flow_timeout_ms[i];
	return 0;
}

/*
 * The next interval. A flow expires at most one interval late, so the
 * ceiling is half the shortest timeout (and IV_MAX). Within that, the
 * daemon sweeps twice as often after a sweep that expired much (an
 * eighth of what it scanned: a burst of flows is ending, or the table
 * is filling), relaxes by half when nothing expired, and hurries while
 * a table is nearly full, when each expiry spares an eviction.
 */
static double next_interval(double iv, const struct sweep_totals *t)
{
	double max = t->min_timeout_ms / 2000.0;

	if (max > IV_MAX)
		max = IV_MAX;
	if (max < IV_MIN)
		max = IV_MIN;
	if (t->full || (t->expired && t->expired * 8 >= t->scanned))
		iv /= 2;
	else if (!t->expired)
		iv *= 1.5;
	if (iv > max)
		iv = max;
	if (iv < IV_MIN)
		iv = IV_MIN;
	return iv;
}

static void sleep_interruptible(double secs)
{
	struct timespec ts;
	double step;

	while (secs > 0 && !stop && !reload) {
		step = secs > 0.1 ? 0.1 : secs;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1e9;
		nanosleep(&ts, NULL);
		secs -= step;
	}
}

static void list_free(struct run_state *rs)
{
	struct run_inst *ri;

	pthread_mutex_lock(&rs->lock);
	while ((ri = rs->list)) {
		rs->list = ri->next;
		inst_free(ri);
	}
	rs->ninst = 0;
	while (rs->nnoted)
		free(rs->noted[--rs->nnoted]);
	free(rs->noted);
	rs->noted = NULL;
	pthread_mutex_unlock(&rs->lock);
}

/* A file's section as a resolved ctx, in its namespace; ns_restore() after. */
static int conf_ctx(const struct conf_iface *ci, struct chimney_ctx *ctx,
		    bool attached)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->netns = ci->netns;
	ctx->ifname = ci->ifname;
	return attached ? ctx_resolve_attached(ctx, "run") :
			  ctx_resolve(ctx, "run", true);
}

static const char *conf_ns(const struct conf_iface *ci)
{
	return ci->netns ? ci->netns : CHIMNEY_DEFAULT_NS;
}

/*
 * What a file names must be there: every namespace, every interface in
 * it, each with Ethernet frames (the test attach makes). Checked for
 * the whole file before anything is attached, by --check too, so that a
 * unit's ExecStartPre stops on "FILE:LINE: reason" for a missing
 * interface as for a bad key. The first problem is printed.
 */
static int conf_check_links(const char *path, const struct conf_file *cf)
{
	char where[PATH_MAX + 16], nspath[PATH_MAX];
	int i, err = 0;

	for (i = 0; i < cf->n && !err; i++) {
		const struct conf_iface *ci = &cf->ifs[i];
		struct chimney_ctx ctx = { .netns = ci->netns,
					   .ifname = ci->ifname };

		snprintf(where, sizeof(where), "%s:%d", path, ci->line);
		snprintf(nspath, sizeof(nspath), "/run/netns/%s", conf_ns(ci));
		if (ci->netns && access(nspath, F_OK)) {
			err = -errno;
			pr_err("%s: network namespace '%s' not found (see `ip netns list`)\n",
			       where, ci->netns);
			break;
		}
		err = ns_enter(ci->netns);
		if (!err) {
			ctx.ifindex = if_nametoindex(ci->ifname);
			if (!ctx.ifindex) {
				err = -ENODEV;
				pr_err("%s: interface '%s' not found in namespace '%s'\n",
				       where, ci->ifname, conf_ns(ci));
			}
		}
		if (!err)
			err = check_ethernet(&ctx, where);
		ns_restore();
	}
	return err;
}

/* What an interface of the file was before a run applied the file. */
struct conf_was {
	bool live;			/* attached, with this config: */
	struct chimney_config cfg;
};

/*
 * Put back what apply_file() changed in the first n interfaces: the
 * config each attached one had, whole; the ones it attached fresh are
 * detached. Best effort: every interface is tried, the first error
 * returned.
 */
static int conf_restore(const struct conf_file *cf, const struct conf_was *was,
			int n)
{
	struct chimney_ctx ctx;
	int i, err, ret = 0;

	for (i = 0; i < n; i++) {
		const struct conf_iface *ci = &cf->ifs[i];

		err = conf_ctx(ci, &ctx, true);
		if (!err)
			err = was[i].live ?
			      config_replace(&ctx, &was[i].cfg, "run") :
			      detach_iface(&ctx);
		ns_restore();
		if (err) {
			pr_err("run: %s/%s could not be put back as it was: %s\n",
			       conf_ns(ci), ci->ifname, strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	return ret;
}

/*
 * Attach every interface of the file with its config, the defaults and
 * the file's keys: the file is the whole truth, so an attached one gets
 * that config whole (a key the file no longer names goes back to its
 * default) and a restart is harmless. All or nothing across the file:
 * what every interface is first, then each is applied; when one fails,
 * those attached before get their old config back and those this run
 * attached are detached again.
 */
static int apply_file(const char *path, const struct conf_file *cf)
{
	struct chimney_meta meta;
	struct chimney_ctx ctx;
	struct conf_was *was;
	int i, err = 0;

	was = calloc(cf->n ? cf->n : 1, sizeof(*was));
	if (!was)
		return -ENOMEM;
	for (i = 0; i < cf->n && !err; i++) {
		err = conf_ctx(&cf->ifs[i], &ctx, false);
		if (!err && attached_live(&ctx, &meta)) {
			err = instance_read_config(&ctx, &was[i].cfg);
			if (err)
				pr_err("run: reading the config of %s/%s failed: %s\n",
				       conf_ns(&cf->ifs[i]), ctx.ifname,
				       strerror(-err));
			was[i].live = !err;
		}
		ns_restore();
	}
	if (err)
		goto out;	/* nothing changed yet */
	for (i = 0; i < cf->n; i++) {
		const struct conf_iface *ci = &cf->ifs[i];

		/* the same code path as `chimney attach`, with the file's
		 * validated config */
		err = conf_ctx(ci, &ctx, false);
		if (!err)
			err = attach_config(&ctx, ci->mode ?
					    attach_parse_mode(ci->mode) : 0,
					    &ci->cfg, 0, NULL);
		ns_restore();
		if (err) {
			pr_err("run: attaching %s/%s (line %d of %s) failed; putting back the interfaces before it\n",
			       conf_ns(ci), ci->ifname, ci->line, path);
			/* A config update that failed may be half written:
			 * this one too, when it was attached. */
			conf_restore(cf, was, was[i].live ? i + 1 : i);
			break;
		}
	}
out:
	free(was);
	return err;
}

static bool conf_names(const struct conf_file *cf, const struct conf_iface *ci)
{
	int i;

	for (i = 0; i < cf->n; i++)
		if (!strcmp(cf->ifs[i].ifname, ci->ifname) &&
		    !strcmp(cf->ifs[i].netns ? cf->ifs[i].netns : "",
			    ci->netns ? ci->netns : ""))
			return true;
	return false;
}

/*
 * SIGHUP: read and check the whole file again; a bad one changes
 * nothing (one line says why). A good one is applied like the first,
 * all or nothing; then the daemon serves the new file's interfaces, and
 * detaches those the old file named and the new one does not: the file
 * said how they are attached, whoever attached them first, so what is
 * attached does not depend on how often the daemon restarted since.
 * Interfaces no file named are never touched. Detaching comes last,
 * after the daemon let go of them: it cannot be undone.
 */
static void run_reload(struct run_state *rs, struct run_opts *o)
{
	struct conf_file cf, old;
	struct chimney_ctx ctx;
	int i, err, gone = 0;
	char why[512];

	if (!o->have_cf) {
		pr_info("run: SIGHUP: no --config, nothing to reload\n");
		return;
	}
	log_hold_errors(true);
	err = conf_load(o->config, o->netns, &cf);
	if (!err) {
		err = conf_check_links(o->config, &cf);
		if (err)
			conf_free(&cf);
	}
	log_hold_errors(false);
	if (err) {
		/* a copy: pr_err() writes the line it prints there */
		snprintf(why, sizeof(why), "%s", log_last_error());
		pr_err("run: SIGHUP: %s; nothing reloaded, the running config stays\n",
		       why);
		return;
	}
	if (apply_file(o->config, &cf)) {
		pr_err("run: SIGHUP: applying %s failed; the running config stays\n",
		       o->config);
		conf_free(&cf);
		return;
	}
	old = o->cf;
	o->cf = cf;
	rescan(rs, o);		/* lets go of the instances no longer named */
	for (i = 0; i < old.n; i++) {
		const struct conf_iface *ci = &old.ifs[i];

		if (conf_names(&o->cf, ci))
			continue;
		err = conf_ctx(ci, &ctx, true);
		if (!err)
			err = detach_iface(&ctx);
		ns_restore();
		if (err)
			pr_err("run: SIGHUP: detaching %s/%s, no longer in %s, failed\n",
			       conf_ns(ci), ci->ifname, o->config);
		else
			gone++;
	}
	conf_free(&old);
	rescan(rs, o);
	pr_info("run: SIGHUP: %s reloaded: serving %d instance%s, %d detached\n",
		o->config, rs->ninst, rs->ninst == 1 ? "" : "s", gone);
}

/* --once: one sweep of every instance, a line (or object) each. */
static int run_once(struct run_state *rs, const struct run_opts *o)
{
	struct json_object *arr = o->json ? json_object_new_array() : NULL;
	struct sweep_totals t = { .min_timeout_ms = ~0U };
	struct sweep_result *r;
	struct run_inst *ri;
	int ret = 0, i;

	r = malloc(sizeof(*r));
	if (!r)
		return 1;
	for (ri = rs->list; ri; ri = ri->next) {
		if (sweep_inst(ri, r, &t)) {
			ret = 1;
			continue;
		}
		if (arr) {
			struct json_object *jo = json_object_new_object();
			struct json_object *ex = json_object_new_object();

			json_object_object_add(jo, "netns", json_object_new_string(run_inst_ns(ri)));
			json_object_object_add(jo, "ifname", json_object_new_string(ri->ifname));
			json_object_object_add(jo, "scanned", json_object_new_int64(r->scanned));
			for (i = 0; i < FLOW_ST_MAX; i++)
				json_object_object_add(ex, flow_state_names[i],
						       json_object_new_int64(r->expired[i]));
			json_object_object_add(jo, "expired", ex);
			json_object_object_add(jo, "entries", json_object_new_int64(r->entries));
			json_object_object_add(jo, "size", json_object_new_int64(r->size));
			json_object_object_add(jo, "evictions", json_object_new_int64(r->evictions));
			json_object_object_add(jo, "duration_ms",
					       json_object_new_double(r->duration_ns / 1e6));
			json_object_array_add(arr, jo);
			continue;
		}
		printf("%s/%s: swept %llu flows in %.1f ms: expired %llu (",
		       run_inst_ns(ri), ri->ifname,
		       (unsigned long long)r->scanned, r->duration_ns / 1e6,
		       (unsigned long long)r->expired_total);
		for (i = 0; i < FLOW_ST_MAX; i++)
			printf("%s%s %llu", i ? ", " : "", flow_state_names[i],
			       (unsigned long long)r->expired[i]);
		printf("); %llu of %llu entries left; %llu evictions so far\n",
		       (unsigned long long)r->entries,
		       (unsigned long long)r->size,
		       (unsigned long long)r->evictions);
	}
	if (arr) {
		printf("%s\n", json_object_to_json_string_ext(arr,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	free(r);
	return ret;
}

static const struct cli_opt run_cli_opts[] = {
	CLI_OPT("config", CLI_STR, struct run_opts, config, .key = 'c',
		.arg = "FILE", .complete = CLI_COMP_FILE,
		.help = "attach the interfaces FILE names, with exactly its keys (INI: [IFACE] or [NETNS/IFACE] sections of KEY = VALUE, the keys of attach/set, plus mode = native|skb), and serve those; all or nothing; SIGHUP reloads it",
		.doc = "Attach the interfaces FILE names, with their keys, and serve those. The file is INI: sections [IFACE] or [NETNS/IFACE] of KEY = VALUE lines, with the keys of `attach` and `set` plus `mode = native|skb`. It is the whole truth: on an attached interface a key the file does not name goes back to its default. The whole file is checked first (its keys, and that its namespaces and interfaces exist); a bad one attaches nothing, and the error gives FILE:LINE. All or nothing: when an interface fails, the ones before it get their old config back or are detached. SIGHUP reads the file again and applies it the same way; a bad file changes nothing."),
	CLI_OPT("metrics", CLI_STR, struct run_opts, metrics, .key = 'm',
		.arg = "ADDR:PORT", .suggest = "off",
		.help = "listen on ADDR:PORT, [ADDR6]:PORT or PORT for GET /metrics; default 127.0.0.1:9477 (loopback); off: no listener",
		.doc = "Listen on ADDR:PORT, [ADDR6]:PORT or PORT for `GET /metrics`; default 127.0.0.1:9477 (loopback); `off`: no listener. Every counter is exported as `chimney_`NAME`_total` with its help text, labelled `netns` and `ifname`."),
	CLI_OPT("check", CLI_FLAG, struct run_opts, check,
		.help = "with --config: check FILE, its interfaces and the --metrics address, attach nothing, exit"),
	CLI_OPT("once", CLI_FLAG, struct run_opts, once,
		.help = "sweep every instance once, print what happened, exit"),
	{}
};

const struct cli_spec run_cli = {
	.name = "run",
	.min_args = 0,
	.max_args = 0,
	.about =
	"The daemon: expires stale flows from every instance's flow table by\n"
	"state-specific idle timeouts (flow.timeout.*), counts expiries by reason\n"
	"and LRU evictions, warns when a table is full (above 90%, or evicting),\n"
	"retires CPUs dropped from cpus= once no active flow uses them, and\n"
	"serves Prometheus metrics.\n"
	"Everything it counts is kept in pinned maps: the data plane and the\n"
	"counts survive `kill -9`, and a restart carries on.\n"
	"\n"
	"Without --config it adopts every instance pinned under " CHIMNEY_PIN_ROOT ",\n"
	"in every namespace, as they come and go. With --config, SIGHUP reloads\n"
	"the file, all or nothing.\n",
	.opts = run_cli_opts,
	.common = CLI_COMMON,
	.netns_help = "only instances in NETNS; the metrics listener is in NETNS",
	.json_help = "with --once: JSON",
};

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .metrics = "127.0.0.1:9477" };
	struct run_state rs = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.interval = 1.0 };
	struct metrics_server *ms = NULL;
	struct sweep_result *r = NULL;
	struct run_inst *ri;
	struct cli_args a;
	__u64 next_scan = 0;
	int ret = 1, lfd = -1;
	double iv;

	ret = cli_parse(&run_cli, argc, argv, &o, &a);
	if (ret)
		return ret < 0;
	ret = 1;
	o.netns = opt_netns;
	o.json = opt_json;
	if (require_root("run") || bpffs_ensure())
		return 1;
	if (o.netns) {
		if (!strcmp(o.netns, CHIMNEY_DEFAULT_NS)) {
			pr_err("'%s' is reserved for the root namespace; omit -n\n",
			       CHIMNEY_DEFAULT_NS);
			return 1;
		}
		if (ns_enter(o.netns))
			return 1;
		ns_restore();
	}
	if (o.check && !o.config) {
		pr_err("run: --check checks a --config FILE\n");
		return 1;
	}
	if (metrics_addr_check(o.metrics))
		return 1;
	/* The whole file is checked before anything is attached: its keys,
	 * then that what it names is there. */
	if (o.config) {
		if (conf_load(o.config, o.netns, &o.cf))
			return 1;
		o.have_cf = true;
		if (conf_check_links(o.config, &o.cf))
			goto out;
	}
	/* And the metrics port: a busy one stops the daemon before it
	 * attached anything. The socket is held and handed to the server
	 * (--check closes it). -n: the listener lives in that namespace. */
	if (!o.once && strcmp(o.metrics, "off")) {
		if (ns_enter(o.netns))
			goto out;
		lfd = metrics_listen(o.metrics);
		ns_restore();
		if (lfd < 0)
			goto out;
	}
	/* A daemon's log is a file or a journal: attach's lines on stdout
	 * in their place among stderr's, not when the buffer fills. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.check) {
		printf("%s: %d interface%s, every key valid, every interface there%s\n",
		       o.config, o.cf.n, o.cf.n == 1 ? "" : "s",
		       lfd >= 0 ? ", the metrics address free" : "");
		ret = 0;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (o.config && apply_file(o.config, &o.cf))
		goto out;

	rescan(&rs, &o);
	if (o.once) {
		ret = run_once(&rs, &o);
		goto out;
	}
	if (lfd >= 0) {
		/* its threads are in that namespace too */
		if (ns_enter(o.netns))
			goto out;
		ms = metrics_start(lfd, run_snapshot, &rs);
		lfd = -1;	/* the server's now, or closed */
		ns_restore();
		if (!ms)
			goto out;
	}
	r = malloc(sizeof(*r));
	if (!r)
		goto out;
	pr_info("run: serving %d instance%s%s%s\n", rs.ninst,
		rs.ninst == 1 ? "" : "s", o.netns ? " in namespace " : "",
		o.netns ? o.netns : "");

	while (!stop) {
		struct sweep_totals t = { .min_timeout_ms = ~0U };
		__u64 now;

		if (reload) {
			reload = 0;
			run_reload(&rs, &o);
		}
		now = mono_ns();

		if (now >= next_scan) {
			rescan(&rs, &o);
			next_scan = now + RESCAN_NS;
		}
		for (ri = rs.list; ri && !stop; ri = ri->next)
			sweep_inst(ri, r, &t);
		if (!rs.ninst)
			t.min_timeout_ms = RESCAN_NS / 1000000 * 2;
		/* The exporter reads it under the lock (run.h); only this
		 * thread writes it, so it reads it without. */
		iv = next_interval(rs.interval, &t);
		pthread_mutex_lock(&rs.lock);
		rs.interval = iv;
		pthread_mutex_unlock(&rs.lock);
		sleep_interruptible(iv);
	}
	pr_info("run: stopping; the data plane carries on without the daemon\n");
	ret = 0;
out:
	if (lfd >= 0)
		close(lfd);
	metrics_stop(ms);
	list_free(&rs);
	free(r);
	if (o.have_cf)
		conf_free(&o.cf);
	return ret;
}
