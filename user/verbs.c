// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one table of verbs. main() dispatches through it and prints it in
 * `chimney --help`; build/chimney-docgen lists it for the man page and
 * the bash completion, so it lives here, outside main.o.
 */
#include "chimney.h"

const struct verb verbs[] = {
	{ "attach", cmd_attach, "load and attach to an interface, pin maps" },
	{ "detach", cmd_detach, "remove programs and pins from an interface" },
	{ "status", cmd_status, "what is attached where, with which config" },
	{ "set", cmd_set, "change config live (KEY=VALUE ...)" },
	{ "stats", cmd_stats, "counters" },
	{ "hash", cmd_hash, "RSS hash of a flow and the CPU it selects (offline)" },
	{ "mss", cmd_mss, "per-destination MSS clamp rules (add, del, list)" },
	{ "flows", cmd_flows, "the flow table: state, age, idle, packets, bytes, CPU" },
	{ "run", cmd_run, "daemon: sweep stale flows, serve Prometheus /metrics" },
	{ "trace", cmd_trace, "sampled packets (bad checksums) as text, JSON or pcap" },
	{ "demo", cmd_demo, "namespace lab: each field failure and its fix" },
};

const size_t nverbs = sizeof(verbs) / sizeof(verbs[0]);
