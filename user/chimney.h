/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_USER_H
#define CHIMNEY_USER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>

#include <chimney/config.h>
#include <chimney/counters.h>
#include <chimney/maps.h>

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

/*
 * Every map of one instance, by fd, -1 where not open: one field per
 * entry of the list in <chimney/maps.h> (cpumap_prog is a program).
 */
struct bpf_object;

#define __CHIMNEY_MAP_FD(name, kind, help) int name;
struct chimney_maps {
	CHIMNEY_MAPS(__CHIMNEY_MAP_FD)
};
#undef __CHIMNEY_MAP_FD

/* maps.c: the list as a table. */
struct chimney_map_desc {
	const char *name;	/* in the objects, and of the pin */
	enum chimney_map_kind kind;
	const char *help;
	size_t off;		/* of its fd in struct chimney_maps */
};
extern const struct chimney_map_desc chimney_map_descs[CHIMNEY_NR_MAPS];

/* The pin name of a listed map: PIN(flows). Unlisted names do not build. */
#define PIN(map)	(chimney_map_descs[CHIMNEY_MAP_##map].name)

/* The fd slot of entry i in m. */
static inline int *maps_fd(struct chimney_maps *m, int i)
{
	return (int *)((char *)m + chimney_map_descs[i].off);
}

/* ns.c */
int require_root(const char *verb);
int ns_enter(const char *name);
int ns_restore(void);
int check_name(const char *what, const char *name);
/* Names checked, namespace entered, ifindex found: no root, no bpffs. */
int ctx_enter(struct chimney_ctx *ctx, const char *verb, bool need_iface);
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

/* maps.c */
void maps_init(struct chimney_maps *m);
void maps_close(struct chimney_maps *m);
/* Every pinned entry of the list (maps and cpumap_prog); internal ones
 * stay -1. All or nothing: a missing pin is an error, printed. */
int maps_open_pinned(const struct chimney_ctx *ctx, struct chimney_maps *m);
/* The same from a pin directory; partial: what is there, no error. */
int maps_open_dir(const char *dir, struct chimney_maps *m, bool partial);
/*
 * Bind every map of obj (not yet loaded) to the pin of the same name in
 * pin_dir: the maps of a program that works on an instance's pinned
 * state. -ENOENT when one has no pin.
 */
int maps_reuse_pinned(struct bpf_object *obj, const char *pin_dir);
/*
 * Entry 0 of an array map into val (size bytes), whatever the map's
 * value size: a map pinned by another build may hold a shorter struct
 * (the rest reads 0) or a longer one (cut to size), where a plain
 * lookup would write value_size bytes.
 */
int map_read0(int fd, void *val, size_t size);
/* Entry 0 of an array map, only if its value is size bytes (-EMSGSIZE). */
int map_write0(int fd, const void *val, size_t size);

/*
 * layout.c: the layout version of an instance's pinned maps (see there).
 * One map as the layout sees it, from an object's definition (before
 * load) or from a map the kernel holds; i is its index in the list.
 */
struct btf;
struct layout_map {
	__u32 type, key_size, value_size, max_entries, flags;
	__u32 shape;		/* of the key and value types' BTF */
	bool has_btf;
};
int layout_map_from_object(struct bpf_object *obj, int i,
			   struct layout_map *lm);
int layout_map_from_fd(int fd, int i, struct layout_map *lm);
/* The shape of one BTF type: members' names, offsets, sizes, nested. */
__u32 layout_btf_shape(const struct btf *btf, __u32 type_id);
/* Over the list's pinned maps, maps[] indexed like the list; never 0. */
__u32 layout_hash(const struct layout_map *maps);
/* "map counters: value size 8 -> 16" into buf; 0 when they agree. */
int layout_describe(const struct layout_map *was, const struct layout_map *is,
		    int i, char *buf, size_t len);

/* steer.c */
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
/*
 * The one way to change an attached instance's pinned config, for every
 * writer (set, attach on an attached interface, run --config, mss
 * add/del): under the instance's config lock, read the config as the
 * last writer left it, let edit change it (non-zero: an error, printed
 * by edit; nothing is written), and commit it with config_commit().
 * Writers of different keys, in any number of processes, cannot lose
 * each other's changes. Errors are printed with verb; returns 0 or a
 * negative errno.
 */
typedef int (*config_edit_fn)(struct chimney_config *cfg, void *arg);
int config_update(const struct chimney_ctx *ctx, config_edit_fn edit,
		  void *arg, const char *verb);
/* config_update() applying KEY=VALUE items (config_apply_kv()). */
int config_update_kv(const struct chimney_ctx *ctx, int n, char **kv,
		     const char *verb);
/*
 * config_update() writing cfg whole (a file's keys over the defaults, or
 * a config saved before): nothing of the running config survives but
 * the prefix rule counts, which count the tries `chimney mss` fills.
 */
int config_replace(const struct chimney_ctx *ctx,
		   const struct chimney_config *cfg, const char *verb);
/* config_update() edit: arg, a struct chimney_config, whole, but for
 * the prefix rule counts (config_replace(), attach's whole-config path). */
int config_edit_replace(struct chimney_config *cfg, void *arg);
/*
 * The config lock of ctx's namespace (an fd; close() drops it), making
 * its directory first when create. config_update_held() and
 * config_update_kv_held() are config_update() and config_update_kv()
 * for a caller that holds it (attach).
 */
int config_lock(const struct chimney_ctx *ctx, bool create);
int config_update_held(const struct chimney_ctx *ctx, config_edit_fn edit,
		       void *arg, const char *verb);
int config_update_kv_held(const struct chimney_ctx *ctx, int n, char **kv,
			  const char *verb);

/* instance.c (the loader itself: instance.h) */
bool xdp_prog_attached(int ifindex, __u32 id, bool *multiprog);
int unpin_instance(const char *dir);
/* The parents of an instance's pin directory, those that are empty. */
void unpin_parents(const char *dir);

/*
 * attach.c: what `chimney attach` does once its arguments are checked,
 * shared with `chimney run --config`. ctx is resolved (ctx_resolve());
 * mode is 0 (native, falling back to skb) or attach_parse_mode()'s. A
 * fresh attach gets cfg; an attached interface gets the n KEY=VALUE
 * items of kv over its running config, or (kv NULL) cfg whole, under the
 * config lock (config_update()). -errno, printed.
 */
int attach_config(struct chimney_ctx *ctx, int mode,
		  const struct chimney_config *cfg, int n, char **kv);
/*
 * Whether ctx's interface (resolved, in the current network namespace)
 * carries Ethernet frames, as the programs need; errors start with who
 * ("attach", or FILE:LINE for `run --config`). 0 or -errno, printed.
 */
int check_ethernet(const struct chimney_ctx *ctx, const char *who);
/* Whether chimney is attached to ctx's interface, as its pins say. */
bool attached_live(const struct chimney_ctx *ctx, struct chimney_meta *meta);
/* libxdp's mode for native|drv|skb|generic; -1 for anything else. */
int attach_parse_mode(const char *s);
/*
 * Into buf, the commands that start ctx's instance over by hand with
 * config cfg (what attach will not do in place: a new flow.size, a build
 * whose maps differ): "chimney [-n NS] detach IF && chimney [-n NS]
 * attach IF KEY=VALUE..." with every key that is not at its default,
 * and a word on MSS prefix rules, which go with the maps.
 */
void reattach_cmd(const struct chimney_ctx *ctx,
		  const struct chimney_config *cfg, char *buf, size_t len);
/*
 * detach.c: `chimney detach` on ctx, resolved with ctx_resolve() (the
 * interface need not exist): chimney's programs off the interface the
 * pins record by ifindex (or that ctx names, after a rename), orphans
 * too, then the pins. Printed; 0 only when nothing of chimney is left.
 */
int detach_iface(struct chimney_ctx *ctx);

/* trace.c: veth senders and loopback put partial checksums on the wire
 * (one-line warning). */
void csum_warn_partial(const struct chimney_ctx *ctx,
		       const struct chimney_config *cfg);

/*
 * mss.c: add (rule) or delete (rule NULL) the prefix rule whose LPM key
 * (struct chimney_mss_key4 or key6, by family 4 or 6) is key, and
 * recount the rules in the config. pfx names it in messages.
 */
struct chimney_mss_rule;
int mss_rule_update(const struct chimney_ctx *ctx, int family, const void *key,
		    const struct chimney_mss_rule *rule, const char *pfx);
/* mss.c: the path-MTU signals, shown by `chimney stats`. */
struct json_object;
void pmtu_stats_json(const struct chimney_ctx *ctx, struct json_object *o);
void pmtu_stats_text(const struct chimney_ctx *ctx);

/*
 * The verbs, each in the file of its name (attach.c also has set);
 * argv[0] is the verb's name.
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
int cmd_top(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_gc(int argc, char **argv);
/* version.c: `chimney --version`, called from main's option parsing. */
int cmd_version(int argc, char **argv);
/* Their options and arguments (cli.h), next to each. */
extern const struct cli_spec attach_cli, detach_cli, set_cli, status_cli,
	stats_cli, hash_cli, mss_cli, flows_cli, run_cli, trace_cli, top_cli,
	demo_cli, gc_cli, version_cli;

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
