// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* chimney: the command-line front end, in the style of ip and xdp-loader. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chimney.h"
#include "config.h"
#include "log.h"

/*
 * demo: the lab is a shell script (namespaces, iperf3, nft) next to the
 * binary of a build tree (build/../deploy), or named by $CHIMNEY_DEMO.
 */
static int cmd_demo(int argc, char **argv)
{
	char self[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 32];
	const char *env = getenv("CHIMNEY_DEMO");
	ssize_t n;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: chimney demo [SCENE...]\n\n"
		       "Build a namespace lab, show each field failure and its fix,\n"
		       "and tear the lab down. `chimney demo --list` names the scenes.\n");
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		n = 0;
	self[n] = 0;
	if (env) {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		/* dirname() writes into its argument: give it a copy */
		snprintf(dir, sizeof(dir), "%s", self);
		snprintf(path, sizeof(path), "%s/../deploy/demo.sh", dirname(dir));
	}
	/* The lab needs the test tools of a build tree: a package has none. */
	if (access(path, X_OK)) {
		pr_err("demo: no lab next to this binary (%s): the demo runs from a clone, `make demo`\n",
		       path);
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "--list"))
		argv[1] = "--help";
	/* the script runs this very binary */
	if (n > 0)
		setenv("CHIMNEY", self[0] ? self : "chimney", 0);
	argv[0] = path;
	execv(path, argv);
	pr_err("demo: cannot run %s: %s\n", path, strerror(errno));
	return 1;
}

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} verbs[] = {
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

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: chimney [-n NETNS] [-v] [--json] COMMAND [ARGS]\n"
		"       chimney [-n NETNS] --version [IFACE] [--json]\n"
		"\n"
		"eBPF/XDP offload and steering data plane.\n\n"
		"Commands:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
		"\nOptions:\n"
		"  -n, --netns NS   act in the named network namespace (like `ip -n`);\n"
		"                   pins stay in the root mount namespace\n"
		"  -v, --verbose    show debug output, including libbpf and libxdp\n"
		"      --json       machine-readable output where there is a table\n"
		"  -h, --help       this help; `chimney COMMAND --help` for a command\n"
		"      --version    versions of chimney, libbpf and libxdp, the kernel's\n"
		"                   BTF and freplace (libxdp dispatcher) and, with IFACE,\n"
		"                   its native XDP (`chimney --version --help`)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *verb;
	size_t i;
	int c;

	opterr = 0;
	/* '+': stop at the verb, whose own options follow it */
	while ((c = getopt_long(argc, argv, "+n:vjh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt_netns = optarg;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			/* The rest is --version's own, like a verb's after argv[0]. */
			argc -= optind - 1;
			argv += optind - 1;
			optind = 0;
			return cmd_version(argc, argv);
		default:
			pr_err("option '%s' is unknown or needs an argument (see `chimney --help`)\n",
			       argv[optind - 1]);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	log_init_libs();
	verb = argv[optind];
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].name, verb))
			continue;
		/* The verb sees itself as argv[0]; getopt starts afresh. */
		argc -= optind;
		argv += optind;
		optind = 0;
		return verbs[i].fn(argc, argv);
	}
	pr_err("unknown command '%s' (see `chimney --help`)\n", verb);
	return 1;
}
