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

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: chimney [-n NETNS] [-v] [--json] COMMAND [ARGS]\n"
		"       chimney [-n NETNS] --version [IFACE] [--json]\n"
		"\n"
		"eBPF/XDP offload and steering data plane.\n\n"
		"Commands:\n");
	for (i = 0; i < nverbs; i++)
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
	for (i = 0; i < nverbs; i++) {
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
