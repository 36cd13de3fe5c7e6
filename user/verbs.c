// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one table of verbs, and chimney's own options. main() dispatches
 * through them and prints them in `chimney --help`; build/chimney-docgen
 * lists them, with each verb's options, for the man page and the bash
 * completion, so they live here, outside main.o.
 */
#include "chimney.h"

const struct verb verbs[] = {
	{ "attach", cmd_attach, &attach_cli, "load and attach to an interface, pin maps" },
	{ "detach", cmd_detach, &detach_cli, "remove programs and pins from an interface" },
	{ "status", cmd_status, &status_cli, "what is attached where, with which config" },
	{ "gc", cmd_gc, &gc_cli, "remove the pins of instances whose namespace or interface is gone" },
	{ "set", cmd_set, &set_cli, "change config live (KEY=VALUE ...)" },
	{ "stats", cmd_stats, &stats_cli, "counters" },
	{ "hash", cmd_hash, &hash_cli, "RSS hash of a flow and the CPU it selects (offline)" },
	{ "mss", cmd_mss, &mss_cli, "per-destination MSS clamp rules (add, del, list)" },
	{ "flows", cmd_flows, &flows_cli, "the flow table: state, age, idle, packets, bytes, CPU" },
	{ "run", cmd_run, &run_cli, "daemon: sweep stale flows, serve Prometheus /metrics" },
	{ "top", cmd_top, &top_cli, "live view: per-CPU packets and softirq, rates, the flow table" },
	{ "trace", cmd_trace, &trace_cli, "sampled packets (bad checksums) as text, JSON or pcap" },
	{ "demo", cmd_demo, &demo_cli, "namespace lab: each field failure and its fix" },
};

const size_t nverbs = sizeof(verbs) / sizeof(verbs[0]);

static void print_commands(FILE *f)
{
	size_t i;

	fprintf(f, "Commands:\n");
	for (i = 0; i < nverbs; i++)
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
}

static const struct cli_opt main_opts[] = {
	CLI_OPT("version", CLI_FLAG, struct main_opts, version,
		.rest = true, .no_usage = true,
		.help = "versions of chimney, libbpf and libxdp, the kernel's BTF and freplace (libxdp dispatcher) and, with IFACE, its native XDP (`chimney --version --help`)",
		.doc = "Print the versions of chimney, libbpf and libxdp, the kernel's BTF and freplace (the libxdp dispatcher) and, with IFACE, its native XDP, and exit; `chimney --version --help` gives its options."),
	{}
};

const struct cli_spec main_cli = {
	.forms = (const char *const[]){ "COMMAND [ARGS]", "--version [IFACE] [--json]", NULL },
	.min_args = 1,
	.max_args = -1,
	.expect = "a COMMAND",
	.about = "eBPF/XDP offload and steering data plane.\n",
	.opts = main_opts,
	.common = CLI_COMMON,
	.netns_help = "act in the named network namespace (like `ip -n`); pins stay in the root mount namespace, so a later `chimney -n NETNS` finds them",
	.json_help = "machine-readable output, errors too",
	.footer = "`chimney COMMAND --help` gives the options of a command; -n, -v and --json\nmay follow the command too.\n",
	.more_help = print_commands,
	.opts_first = true,
	.stop_at_arg = true,
};
