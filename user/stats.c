// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: the counters, summed over CPUs or per CPU, as text or JSON. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "chimney.h"
#include "log.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void print_json(const struct chimney_ctx *ctx, const __u64 *sums,
		       const __u64 *pc, int ncpus, bool per_cpu, bool all)
{
	struct json_object *o = json_object_new_object();
	int i, cpu;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		if (!all && !sums[i])
			continue;
		if (per_cpu) {
			struct json_object *a = json_object_new_array();

			for (cpu = 0; cpu < ncpus; cpu++)
				json_object_array_add(a, json_object_new_int64(
					pc[cpu * CHIMNEY_NR_COUNTERS + i]));
			json_object_object_add(o, counter_descs[i].name, a);
		} else {
			json_object_object_add(o, counter_descs[i].name,
					       json_object_new_int64(sums[i]));
		}
	}
	pmtu_stats_json(ctx, o);	/* MSS clamping: path MTUs ICMP reported */
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static void print_text(const __u64 *sums, const __u64 *prev, double dt,
		       const __u64 *pc, int ncpus, bool per_cpu, bool all)
{
	int i, cpu;

	if (per_cpu) {
		printf("%-28s", "counter");
		for (cpu = 0; cpu < ncpus; cpu++) {
			char col[16];

			/* right-aligned over the numbers below */
			snprintf(col, sizeof(col), "cpu%d", cpu);
			printf(" %15s", col);
		}
		printf(" %15s\n", "total");
	}
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		if (!all && !sums[i])
			continue;
		printf("%-28s", counter_descs[i].name);
		if (per_cpu)
			for (cpu = 0; cpu < ncpus; cpu++)
				printf(" %15llu", (unsigned long long)
				       pc[cpu * CHIMNEY_NR_COUNTERS + i]);
		printf(" %15llu", (unsigned long long)sums[i]);
		if (prev && dt > 0)
			printf(" %12.1f/s", (sums[i] - prev[i]) / dt);
		printf("\n");
	}
}

static const char *stats_usage =
	"Usage: chimney [-n NETNS] stats IFACE [--json] [--per-cpu] [--all] [--watch [SECS]]\n"
	"\n"
	"Print chimney's counters for IFACE, summed over CPUs. Counters that are\n"
	"zero are left out unless --all is given (JSON always has every counter).\n"
	"rx_* counters come from XDP ingress, tx_* from TC egress.\n\n"
	"  -c, --per-cpu     one column per CPU\n"
	"  -a, --all         include zero counters\n"
	"  -w, --watch[=S]   reprint every S seconds (default 1) with rates\n"
	"      --json        one flat JSON object of name: value\n"
	"      --help-counters  list every counter with its meaning\n"
	"  -n, --netns NS    the named network namespace\n"
	"  -h, --help        this help\n";

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "per-cpu", no_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "help-counters", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct chimney_ctx ctx = { .netns = opt_netns, .json = opt_json };
	__u64 sums[CHIMNEY_NR_COUNTERS], prev[CHIMNEY_NR_COUNTERS];
	bool per_cpu = false, all = false, have_prev = false;
	double watch = 0;
	__u64 *pc = NULL;
	int c, fd, ncpus, err, i;
	char *end;

	while ((c = getopt_long(argc, argv, "n:jcaw::h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ctx.netns = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'c':
			per_cpu = true;
			break;
		case 'a':
			all = true;
			break;
		case 'w':
			watch = 1;
			if (optarg) {
				watch = strtod(optarg, &end);
				if (*end || watch < 0.1 || watch > 3600) {
					pr_err("stats: --watch takes 0.1-3600 seconds\n");
					return 1;
				}
			}
			break;
		case 'H':
			for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
				printf("%-28s %s\n", counter_descs[i].name,
				       counter_descs[i].help);
			return 0;
		case 'h':
			fputs(stats_usage, stdout);
			return 0;
		default:
			return bad_option("stats", argv);
		}
	}
	if (ctx_one_iface(&ctx, argc, argv, "stats", stats_usage) ||
	    ctx_resolve_attached(&ctx, "stats"))
		return 1;
	fd = pin_open(&ctx, PIN(counters));
	if (fd < 0) {
		pr_err("stats: cannot open %s/%s: %s\n", ctx.pin_dir,
		       PIN(counters), strerror(-fd));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		err = counters_read(fd, sums, per_cpu ? &pc : NULL, &ncpus);
		if (err) {
			pr_err("stats: reading counters failed: %s\n",
			       strerror(-err));
			break;
		}
		if (ctx.json) {
			print_json(&ctx, sums, pc, ncpus, per_cpu, true);
		} else {
			if (watch)
				printf("\033[H\033[2J%s (every %.1fs, Ctrl-C to stop)\n",
				       ctx.ifname, watch);
			print_text(sums, have_prev ? prev : NULL, watch, pc,
				   ncpus, per_cpu, all);
			pmtu_stats_text(&ctx);
		}
		fflush(stdout);
		free(pc);
		pc = NULL;
		memcpy(prev, sums, sizeof(prev));
		have_prev = true;
		if (watch)
			usleep(watch * 1e6);
	} while (watch && !stop);
	close(fd);
	return err ? 1 : 0;
}
