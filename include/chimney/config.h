/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-interface configuration. It lives in an ARRAY map of one entry
 * with BTF, so `bpftool map dump` prints it field by field. Live
 * changes are map updates; nothing here needs a reload.
 *
 * User space fills it from one table of keys (user/config.c); a new key
 * adds a field here and a row there.
 */
#ifndef CHIMNEY_CONFIG_H
#define CHIMNEY_CONFIG_H

#include <linux/types.h>

#include <chimney/toeplitz.h>

#define CHIMNEY_MAX_VXLAN_PORTS 4
#define CHIMNEY_MAX_CPUS	256	/* cpumap size: CPU ids chimney can steer to */
#define CHIMNEY_MAX_STEER	64	/* CPUs listed in cpus= */
#define CHIMNEY_INDIR_MAX	512	/* largest indirection table */
#define CHIMNEY_FLOW_NR_STATES	6	/* FLOW_ST_MAX, include/chimney/flow.h */

enum chimney_hash_mode {
	CHIMNEY_HASH_TOEPLITZ = 0,
	CHIMNEY_HASH_SYMMETRIC = 1,
};

struct chimney_config {
	/* UDP destination ports parsed as VXLAN. Host order, so that
	 * `bpftool map dump` shows 4789; 0 = unused slot. */
	__u16 vxlan_ports[CHIMNEY_MAX_VXLAN_PORTS];

	/* Steering (bpf/lib/rss.h). Off while steer_nr is 0. The hash
	 * tables derived from rss_key and the indirection table live in
	 * their own maps (rss_tbl, rss_indir); these fields are what they
	 * were built from. */
	__u32 steer_nr;
	__u16 steer_cpus[CHIMNEY_MAX_STEER];
	__u16 steer_weights[CHIMNEY_MAX_STEER];	/* all 0: equal */
	__u32 indir_size;			/* power of two */
	__u32 hash_mode;			/* enum chimney_hash_mode */
	__u32 cpumap_qsize;
	__u8 rss_key[RSS_KEY_LEN];

	/* MSS clamping (bpf/lib/mss.h). The interface rule is the
	 * smallest of mss_fixed, mss_mtu - 40/60 and the route MTU - 40/60
	 * (mss_auto), each when set; a prefix rule in mss_rules_v4/v6
	 * replaces it for the connections it covers. */
	__u32 mss_dir;		/* enum chimney_mss_dir */
	__u32 mss_auto;		/* mss=auto: follow the route MTU */
	__u32 mss_fixed;	/* mss=N; 0: off */
	__u32 mss_mtu;		/* mtu=N; 0: off */
	/* Entries in the prefix tries, kept by `chimney mss`, so that a
	 * SYN skips the trie lookup while a trie is empty. */
	__u32 mss_rules_v4;
	__u32 mss_rules_v6;

	/* Checksum verification (bpf/lib/csum.h). */
	__u32 csum_mode;		/* enum chimney_csum_mode */
	__u32 csum_sample_rate;		/* bad frames sampled per second; 0: none */

	/* Flow table (bpf/lib/flow.h) and flow affinity. flow_size is the
	 * flows map's max_entries, fixed when attach creates the map.
	 * Durations in ms; flow_timeout_ms is indexed by
	 * enum chimney_flow_state and only read by `chimney run`. */
	__u32 flow_on;
	__u32 flow_size;
	__u32 flow_rebalance_idle_ms;
	__u32 flow_timeout_ms[CHIMNEY_FLOW_NR_STATES];
};

/* csum=: what XDP does with a frame whose checksum it proved wrong. */
enum chimney_csum_mode {
	CHIMNEY_CSUM_OFF = 0,
	CHIMNEY_CSUM_COUNT = 1,
	CHIMNEY_CSUM_DROP = 2,
};

/*
 * Attachment bookkeeping, written by `chimney attach` and read by
 * `status` and `detach`. Not used by the data path.
 */
enum chimney_xdp_mode {
	CHIMNEY_XDP_NATIVE = 1,
	CHIMNEY_XDP_SKB = 2,
};

/* meta.clsact_created */
enum chimney_clsact {
	CHIMNEY_CLSACT_FOUND = 0,	/* there before chimney: never removed */
	CHIMNEY_CLSACT_CREATED = 1,	/* chimney created it: detach removes it */
	/* absent when last looked at, chimney's create under way: an
	 * interrupted attach left it (if it is there) */
	CHIMNEY_CLSACT_PENDING = 2,
};

struct chimney_meta {
	__u32 ifindex;
	__u32 xdp_mode;		/* enum chimney_xdp_mode */
	__u32 xdp_multiprog;	/* 1 when attached through the libxdp dispatcher */
	__u32 xdp_prog_id;
	__u32 tc_prog_id;
	__u32 tc_handle;
	__u32 tc_priority;
	__u32 clsact_created;	/* enum chimney_clsact */
	__u64 attached_at;	/* CLOCK_REALTIME seconds */
	/* Fields added since are appended here, so that the ones above
	 * keep their offsets. */
	/* The layout version of the pinned maps (user/layout.c): a build
	 * whose maps differ cannot take them over. */
	__u32 layout;
	__u32 cpumap_prog_id;	/* the program the cpumap entries run */
	/* The hash of the BPF objects the running programs were loaded
	 * from (instance_build_hash()); 0 while an upgrade is under way.
	 * Another build's may be an upgrade. */
	__u64 build;
};

#endif /* CHIMNEY_CONFIG_H */
