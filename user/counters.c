// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counter names and help, from the same X-macro list the BPF side uses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"

#define RX(n, h) { "rx_" #n, h, CHIMNEY_HOOK_RX, #n },
#define TX(n, h) { "tx_" #n, h, CHIMNEY_HOOK_TX, #n },
#define GL(n, h) { #n, h, -1, #n },
const struct counter_desc counter_descs[CHIMNEY_NR_COUNTERS] = {
	CHIMNEY_HOOK_COUNTERS(RX)
	CHIMNEY_HOOK_COUNTERS(TX)
	CHIMNEY_GLOBAL_COUNTERS(GL)
};
#undef RX
#undef TX
#undef GL

_Static_assert(sizeof(struct chimney_counters) ==
	       CHIMNEY_NR_COUNTERS * sizeof(__u64),
	       "counter struct and enum disagree");

int counter_index(const char *name)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		if (!strcmp(counter_descs[i].name, name))
			return i;
	return -ENOENT;
}

/*
 * Read the per-CPU counter block. sums gets CHIMNEY_NR_COUNTERS values;
 * when per_cpu is not NULL it gets a malloc'ed ncpus * NR array (row per
 * CPU) that the caller frees.
 */
int counters_read(int map_fd, __u64 *sums, __u64 **per_cpu, int *ncpus)
{
	struct chimney_counters *vals;
	__u32 zero = 0;
	int n, cpu, i;

	n = libbpf_num_possible_cpus();
	if (n < 0)
		return n;
	vals = calloc(n, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &zero, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	memset(sums, 0, CHIMNEY_NR_COUNTERS * sizeof(*sums));
	for (cpu = 0; cpu < n; cpu++) {
		const __u64 *row = (const __u64 *)&vals[cpu];

		for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
			sums[i] += row[i];
	}
	if (ncpus)
		*ncpus = n;
	if (per_cpu)
		*per_cpu = (__u64 *)vals;
	else
		free(vals);
	return 0;
}
