// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: the counters, summed over CPUs or per CPU, as text or JSON. */
#include <errno.h>
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
	cli_json_print(o, false);
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

static void print_counters(FILE *f)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		fprintf(f, "%-28s %s\n", counter_descs[i].name,
			counter_descs[i].help);
}

struct stats_opts {
	bool per_cpu, all;
	double watch;	/* seconds; 0: print once */
};

static const struct cli_opt stats_opts[] = {
	CLI_OPT("per-cpu", CLI_FLAG, struct stats_opts, per_cpu, .key = 'c',
		.help = "one column per CPU",
		.doc = "One column per CPU; with `--json`, each value is an array indexed by CPU."),
	CLI_OPT("all", CLI_FLAG, struct stats_opts, all, .key = 'a',
		.help = "include zero counters",
		.doc = "Include the counters that are zero."),
	CLI_OPT("watch", CLI_NUM, struct stats_opts, watch, .key = 'w',
		.arg = "SECS", .optional = true, .dflt = 1, .min = 0.1,
		.max = 3600,
		.help = "reprint every SECS seconds (default 1) with rates",
		.doc = "Print again every SECS seconds (default 1, from 0.1 to 3600), with rates. SECS may be left out; it is given as `--watch=2`, `-w2` or `--watch 2`, the next word being taken when it is a number."),
	{ .name = "help-counters", .kind = CLI_ACTION, .action = print_counters,
	  .no_usage = true, .help = "list every counter with its meaning" },
	{}
};

const struct cli_spec stats_cli = {
	.name = "stats",
	.forms = (const char *const[]){ "IFACE", "--help-counters", NULL },
	.min_args = 1,
	.max_args = 1,
	.about =
	"Print chimney's counters for IFACE, summed over CPUs. Counters that are\n"
	"zero are left out unless --all is given (JSON always has every counter).\n"
	"rx_* counters come from XDP ingress, tx_* from TC egress.\n",
	.opts = stats_opts,
	.common = CLI_COMMON,
	.json_help = "one flat JSON object of name: value",
};

int cmd_stats(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct stats_opts o = {};
	__u64 sums[CHIMNEY_NR_COUNTERS], prev[CHIMNEY_NR_COUNTERS];
	bool have_prev = false;
	struct cli_args a;
	__u64 *pc = NULL;
	int fd, ncpus, err;

	err = cli_parse(&stats_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	if (ctx_resolve_attached(&ctx, "stats"))
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
		err = counters_read(fd, sums, o.per_cpu ? &pc : NULL, &ncpus);
		if (err) {
			pr_err("stats: reading counters failed: %s\n",
			       strerror(-err));
			break;
		}
		if (ctx.json) {
			print_json(&ctx, sums, pc, ncpus, o.per_cpu, true);
		} else {
			if (o.watch)
				printf("\033[H\033[2J%s (every %.1fs, Ctrl-C to stop)\n",
				       ctx.ifname, o.watch);
			print_text(sums, have_prev ? prev : NULL, o.watch, pc,
				   ncpus, o.per_cpu, o.all);
			pmtu_stats_text(&ctx);
		}
		fflush(stdout);
		free(pc);
		pc = NULL;
		memcpy(prev, sums, sizeof(prev));
		have_prev = true;
		if (o.watch)
			usleep(o.watch * 1e6);
	} while (o.watch && !stop);
	close(fd);
	return err ? 1 : 0;
}
