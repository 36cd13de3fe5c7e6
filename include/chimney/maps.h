/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one list of an instance's maps (and the one program pin among
 * them). User space builds from it the fds of struct chimney_maps, the
 * pin names, the table the loader shares maps and pins by, and the
 * man page's list of pins. The BPF objects define the maps themselves
 * (bpf/lib/maps.h): a unit test (map_list_*) fails when a map of a
 * loaded object is not listed here, or a listed one is in none.
 *
 * X(name, kind, help), name being the map's name in the objects and its
 * pin's name in the instance directory:
 *   CHIMNEY_PINNED_MAP    a map, pinned: readers find it by its pin
 *   CHIMNEY_INTERNAL_MAP  a map the objects of an instance share, not
 *                         pinned: it holds nothing from one packet to
 *                         the next, so no reader has a use for it
 *   CHIMNEY_PINNED_PROG   no map: the pin of the program each cpumap
 *                         entry runs (xdp_cpumap's chimney_cpumap)
 */
#ifndef CHIMNEY_MAPS_H
#define CHIMNEY_MAPS_H

#define CHIMNEY_MAPS(X)							\
	X(config,	CHIMNEY_PINNED_MAP,					\
	  "ARRAY[1] struct chimney_config: the live config")		\
	X(counters,	CHIMNEY_PINNED_MAP,					\
	  "PERCPU_ARRAY[1] struct chimney_counters")			\
	X(meta,		CHIMNEY_PINNED_MAP,					\
	  "ARRAY[1] struct chimney_meta: attach bookkeeping")		\
	X(rss_tbl,	CHIMNEY_PINNED_MAP,					\
	  "ARRAY[1] Toeplitz lookup tables derived from rss.key")	\
	X(rss_indir,	CHIMNEY_PINNED_MAP,					\
	  "ARRAY[512] indirection table (entry -> CPU)")		\
	X(cpus,		CHIMNEY_PINNED_MAP,					\
	  "CPUMAP the steering targets")				\
	X(steer_to,	CHIMNEY_PINNED_MAP,					\
	  "PERCPU_ARRAY[256] packets redirected to each target CPU")	\
	X(cpumap_prog,	CHIMNEY_PINNED_PROG,					\
	  "the program each cpumap entry runs (counts steer_received)")	\
	X(events,	CHIMNEY_PINNED_MAP,					\
	  "RINGBUF sampled bad-checksum frames (chimney trace)")	\
	X(csum_rl,	CHIMNEY_PINNED_MAP,					\
	  "ARRAY[1] the token bucket of csum.sample_rate")		\
	X(csum_scratch,	CHIMNEY_INTERNAL_MAP,					\
	  "PERCPU_ARRAY[1] where multi-buffer frames are copied to be summed") \
	X(mss_rules_v4,	CHIMNEY_PINNED_MAP,					\
	  "LPM_TRIE per-prefix MSS clamp rules, IPv4")			\
	X(mss_rules_v6,	CHIMNEY_PINNED_MAP,					\
	  "LPM_TRIE per-prefix MSS clamp rules, IPv6")			\
	X(pmtu_log,	CHIMNEY_PINNED_MAP,					\
	  "PERCPU_ARRAY[1] log of path MTUs reported by ICMP")		\
	X(flows,	CHIMNEY_PINNED_MAP,					\
	  "LRU_HASH the flow table (flow.size entries)")		\
	X(flow_stats,	CHIMNEY_PINNED_MAP,					\
	  "ARRAY[1] chimney run's counts (expiries, sweeps), kept across restarts")

enum chimney_map_kind {
	CHIMNEY_PINNED_MAP,
	CHIMNEY_INTERNAL_MAP,
	CHIMNEY_PINNED_PROG,
};

/* CHIMNEY_MAP_config, ...: an entry's index in the list. */

#define __CHIMNEY_MAP_ID(name, kind, help) CHIMNEY_MAP_##name,
enum chimney_map_id {
	CHIMNEY_MAPS(__CHIMNEY_MAP_ID)
	CHIMNEY_NR_MAPS
};
#undef __CHIMNEY_MAP_ID

#endif /* CHIMNEY_MAPS_H */
