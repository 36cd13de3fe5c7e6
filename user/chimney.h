/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_USER_H
#define CHIMNEY_USER_H

#include <limits.h>
#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

#include <chimney/config.h>
#include <chimney/counters.h>

#include "cli.h"

#define CHIMNEY_PIN_ROOT	"/sys/fs/bpf/chimney"
#define CHIMNEY_DEFAULT_NS	"default"

/* What every subcommand works on: a namespace and maybe an interface. */
struct chimney_ctx {
	const char *netns;	/* NULL: the root namespace */
	const char *ifname;
	int ifindex;
	bool json;
	char pin_dir[PATH_MAX];
};

/* Names of the pinned maps inside an instance's directory. */
#define PIN_CONFIG	"config"
#define PIN_COUNTERS	"counters"
#define PIN_META	"meta"
#define PIN_RSS_TBL	"rss_tbl"
#define PIN_RSS_INDIR	"rss_indir"
#define PIN_CPUS	"cpus"
#define PIN_CPUMAP_PROG	"cpumap_prog"	/* the program cpumap entries run */
#define PIN_FLOWS	"flows"
#define PIN_FLOW_STATS	"flow_stats"
#define PIN_EVENTS	"events"	/* ring buffer of sampled packets */

/* Every map of one instance, by fd; -1 where not open. */
struct bpf_object;

struct chimney_maps {
	int config;
	int counters;
	int meta;
	int rss_tbl;
	int rss_indir;
	int cpus;
	int cpumap_prog;
	int flows;
	int flow_stats;
	int events;
};

/* ns.c */
int require_root(const char *verb);
int ns_enter(const char *name);
int ns_restore(void);
int check_name(const char *what, const char *name);
int ctx_resolve(struct chimney_ctx *ctx, const char *verb, bool need_iface);
void ctx_from_args(struct chimney_ctx *ctx, const struct cli_args *args);
/* ctx_resolve() plus: chimney must be attached there. */
int ctx_resolve_attached(struct chimney_ctx *ctx, const char *verb);
int bpffs_ensure(void);
int pin_dir_path(char *buf, size_t len, const char *netns, const char *ifname);
int pin_open(const struct chimney_ctx *ctx, const char *name);
bool instance_exists(const struct chimney_ctx *ctx);
int instance_read_meta(const struct chimney_ctx *ctx, struct chimney_meta *m);
int instance_read_config(const struct chimney_ctx *ctx,
			 struct chimney_config *cfg);

/* Walk every instance pinned under CHIMNEY_PIN_ROOT. */
typedef int (*instance_fn)(const char *netns, const char *ifname, void *arg);
int for_each_instance(instance_fn fn, void *arg);

/* counters.c */
struct counter_desc {
	const char *name;
	const char *help;
	int hook;		/* CHIMNEY_HOOK_RX/TX, or -1 for a global */
	const char *base;	/* the name without the rx_/tx_ prefix */
};
extern const struct counter_desc counter_descs[CHIMNEY_NR_COUNTERS];
int counters_read(int map_fd, __u64 *sums, __u64 **per_cpu, int *ncpus);
int counter_index(const char *name);

/* steer.c */
void maps_init(struct chimney_maps *m);
void maps_close(struct chimney_maps *m);
int maps_open_pinned(const struct chimney_ctx *ctx, struct chimney_maps *m);
/* The same from a loaded object's maps, borrowed (no maps_close());
 * cpumap_prog, a program, stays -1. */
void maps_from_obj(struct chimney_maps *m, struct bpf_object *obj);
void steer_build_indir(const struct chimney_config *cfg, __u32 *tbl);
/*
 * Write cfg and its derived maps; old is the running config or NULL.
 * Prints nothing: the caller reports the error, with its context;
 * config_commit_step() also gives the map or table that failed.
 */
int config_commit(const struct chimney_maps *m,
		  const struct chimney_config *old,
		  const struct chimney_config *cfg);
int config_commit_step(const struct chimney_maps *m,
		       const struct chimney_config *old,
		       const struct chimney_config *cfg, const char **failed);
/*
 * CPUs in the cpumap that the config map no longer lists, and that no
 * active flow uses (busy[cpu] set; NULL: none is), are removed from it.
 * Safe against a concurrent config_commit().
 */
void steer_retire_cpus(const struct chimney_maps *m, const bool *busy);

/* attach.c */
bool xdp_prog_attached(int ifindex, __u32 id, bool *multiprog);
int unpin_instance(const char *dir);

/* trace.c: veth senders put partial checksums on the wire (one-line warning). */
void csum_warn_partial(const struct chimney_ctx *ctx,
		       const struct chimney_config *cfg);

/* mss.c: the path-MTU signals, shown by `chimney stats`. */
struct json_object;
void pmtu_stats_json(const struct chimney_ctx *ctx, struct json_object *o);
void pmtu_stats_text(const struct chimney_ctx *ctx);

/*
 * The verbs, each in the file of its name (attach.c also has detach and
 * set); argv[0] is the verb's name.
 */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_mss(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_demo(int argc, char **argv);
/* version.c: `chimney --version`, called from main's option parsing. */
int cmd_version(int argc, char **argv);
/* Their options and arguments (cli.h), next to each. */
extern const struct cli_spec attach_cli, detach_cli, set_cli, status_cli,
	stats_cli, hash_cli, mss_cli, flows_cli, run_cli, trace_cli, demo_cli,
	version_cli;

/* verbs.c: the one table of verbs, in `chimney --help` order. */
struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct cli_spec *cli;
	const char *summary;
};
extern const struct verb verbs[];
extern const size_t nverbs;

/* verbs.c: chimney's own options, before the verb. */
struct main_opts {
	bool version;
};
extern const struct cli_spec main_cli;

#endif
