/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The programs under test and the helpers that feed them packets.
 *
 * The instance is loaded once per run, on first use, by the loader
 * `chimney attach` uses (user/instance.c), load only: one set of maps
 * shared by both hooks and the cpumap program, the default config
 * committed, so a test sees a packet counted under the right hook and
 * nowhere else. libbpf loads the XDP object here as attach does (where
 * the kernel lets libxdp use its dispatcher, attach has libxdp load it
 * as it attaches instead).
 */
#ifndef CHIMNEY_UNIT_ENV_H
#define CHIMNEY_UNIT_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <chimney/config.h>
#include <chimney/counters.h>

#include "pkt_builder.h"

enum unit_hook {
	UNIT_XDP,	/* chimney_xdp, rx_ counters, returns XDP_PASS */
	UNIT_TC,	/* chimney_tc, tx_ counters, returns TC_ACT_UNSPEC */
};

/* An expected counter change. */
struct ctr_delta {
	const char *name;
	__s64 delta;
};

/* Load (once) and return the program fd; a failure fails the test. */
int env_prog_fd(enum unit_hook hook);
/* The loaded instance (loading it once); NULL when it does not load. */
struct instance;
struct instance *env_instance(void);
/* Map fds of the shared maps; negative when nothing loaded. */
int env_config_fd(void);
int env_counters_fd(void);
/* Any map of the loaded objects by name, used by a program or not. */
int env_map_fd(const char *name);

/* Write cfg (NULL: config_defaults()) into the config map. */
int env_config_write(const struct chimney_config *cfg);
/* Sums over CPUs, CHIMNEY_NR_COUNTERS values. */
int env_counters_read(__u64 *sums);

/*
 * Assert that after - before is exactly `delta` for each named counter
 * in exp (n entries, full names such as "rx_ipv4") and 0 for every other
 * counter. Unknown or repeated names are failures too. Logs every
 * mismatch, not only the first.
 */
bool expect_deltas(const __u64 *before, const __u64 *after,
		   const struct ctr_delta *exp, int n);

/*
 * Run frame through a hook with BPF_PROG_TEST_RUN and check the verdict
 * (XDP_PASS / TC_ACT_UNSPEC) and that the output is the input, byte for
 * byte. A frame shorter than an Ethernet header, which the kernel
 * refuses as test input, is given to XDP as the linear part of a
 * multi-buffer frame whose 14-byte fragment the program never reads: it
 * sees data..data_end as the short frame. TC cannot run such frames.
 */
bool env_run_pass(enum unit_hook hook, const void *frame, size_t len);

/*
 * The whole check for one fixture: write cfg (NULL: defaults), run the
 * frame through the hook, and assert the counter deltas. exp names are
 * per hook, without the rx_/tx_ prefix ("ipv4", "parse_tcp_bad_doff"),
 * terminated by a NULL name; <hook>_packets +1 and <hook>_bytes +len are
 * added here.
 */
bool env_run_expect(enum unit_hook hook, const void *frame, size_t len,
		    const struct chimney_config *cfg,
		    const struct ctr_delta *exp);

/* -w: every frame run is also appended to this pcap. */
int env_pcap_open(const char *path);
void env_cleanup(void);

#endif /* CHIMNEY_UNIT_ENV_H */
