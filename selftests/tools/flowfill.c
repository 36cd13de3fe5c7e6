// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowfill: fill a pinned flow table with synthetic flows, for the tests
 * of `chimney flows` on big tables (selftests/e2e/test_flows_big.sh).
 *
 *   flowfill PIN N
 *	Insert N flows into the flow table pinned at PIN (an instance's
 *	`flows` map) with BPF_MAP_UPDATE_BATCH, 8,192 at a time, then count
 *	what the table holds with BPF_MAP_LOOKUP_BATCH. Prints
 *	"inserted N present M": the table is an LRU, which evicts a little
 *	before it is full, so M may be below N for a full table.
 *
 * Flow i is deterministic: every fourth one IPv6, TCP, UDP and ICMP in
 * turn, TCP flags for a mix of states, packets and bytes that differ
 * from flow to flow (so a sort has one answer), seen up to a minute ago
 * on the coarse clock the data path stamps with.
 *
 * Raw bpf(2) calls: the tools link no libbpf, and these two commands are
 * all it needs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#include <chimney/flow.h>

#define CHUNK	8192

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void make_flow(__u32 id, __u64 now, struct chimney_flow_key *k,
		      struct chimney_flow *v)
{
	static const __u8 protos[] = { 6, 17, 6, 1 };
	static const __u8 tcp_flags[][2] = {
		{ 0x02, 0x00 },		/* syn_sent */
		{ 0x12, 0x10 },		/* established */
		{ 0x11, 0x10 },		/* fin_wait */
		{ 0x11, 0x11 },		/* closed */
	};
	int six = (id & 3) == 3;

	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->family = six ? 6 : 4;
	k->proto = protos[(id >> 2) & 3];
	if (six && k->proto == 1)
		k->proto = 58;		/* ICMPv6 */
	if (six) {
		k->lo_addr[0] = htonl(0xfd00000a);
		k->lo_addr[3] = htonl(id);
		k->hi_addr[0] = htonl(0xfd00000b);
		k->hi_addr[3] = htonl(1);
	} else {
		k->lo_addr[0] = htonl(0x0a000000 | id);	/* id < 2^24 */
		k->hi_addr[0] = htonl(0x0b000001);
	}
	if (k->proto == 6 || k->proto == 17) {
		k->lo_port = htons(1024 + (id & 0xff));
		k->hi_port = htons(k->proto == 6 ? 443 : 53);
	}
	v->first_seen = now - (id % 60000) * 1000000ULL;
	v->last_seen = now - (id % 997) * 1000000ULL;
	if (v->last_seen < v->first_seen)
		v->last_seen = v->first_seen;
	v->packets[0] = 1 + id % 1000;
	v->packets[1] = id % 500;
	v->bytes[0] = 64ULL * v->packets[0] + id;
	v->bytes[1] = 1500ULL * v->packets[1];
	v->hash = id * 2654435761U;
	v->cpu = id % 3 == 0 ? CHIMNEY_FLOW_CPU_LOCAL :
		 id % 3 == 1 ? CHIMNEY_FLOW_CPU_NONE : id & 1;
	v->init_dir = (id >> 4) & 1;
	v->encap = (id % 101) == 0;
	if (k->proto == 6) {
		v->tcp_flags[0] = tcp_flags[(id >> 5) & 3][0];
		v->tcp_flags[1] = tcp_flags[(id >> 5) & 3][1];
		v->state = chimney_flow_tcp_state(v->tcp_flags[0],
						  v->tcp_flags[1]);
	} else {
		v->state = k->proto == 17 ? FLOW_ST_udp : FLOW_ST_other;
	}
}

/* The number of entries, walked in batches. */
static long count_flows(int fd, struct chimney_flow_key *keys,
			struct chimney_flow *vals)
{
	union bpf_attr a;
	__u64 in = 0, out = 0;
	long total = 0;
	int first = 1, err;

	for (;;) {
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = fd;
		a.batch.in_batch = first ? 0 : (__u64)(unsigned long)&in;
		a.batch.out_batch = (__u64)(unsigned long)&out;
		a.batch.keys = (__u64)(unsigned long)keys;
		a.batch.values = (__u64)(unsigned long)vals;
		a.batch.count = CHUNK;
		err = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a) ? -errno : 0;
		if (err && err != -ENOENT)
			return err;
		total += a.batch.count;
		if (err == -ENOENT)
			return total;
		in = out;
		first = 0;
	}
}

int main(int argc, char **argv)
{
	struct chimney_flow_key *keys;
	struct chimney_flow *vals;
	union bpf_attr a;
	unsigned long n, i, j, done = 0;
	long present;
	char *end;
	__u64 now;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: flowfill PIN N\n");
		return 2;
	}
	n = strtoul(argv[2], &end, 10);
	if (*end || !*argv[2] || n > 1UL << 24) {
		fprintf(stderr, "flowfill: N must be a count up to 2^24\n");
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.pathname = (__u64)(unsigned long)argv[1];
	fd = sys_bpf(BPF_OBJ_GET, &a);
	if (fd < 0) {
		fprintf(stderr, "flowfill: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	keys = calloc(CHUNK, sizeof(*keys));
	vals = calloc(CHUNK, sizeof(*vals));
	if (!keys || !vals) {
		fprintf(stderr, "flowfill: out of memory\n");
		return 1;
	}
	now = coarse_ns();
	for (i = 0; i < n; i += j) {
		for (j = 0; j < CHUNK && i + j < n; j++)
			make_flow(i + j, now, &keys[j], &vals[j]);
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = fd;
		a.batch.keys = (__u64)(unsigned long)keys;
		a.batch.values = (__u64)(unsigned long)vals;
		a.batch.count = j;
		a.batch.elem_flags = BPF_ANY;
		if (sys_bpf(BPF_MAP_UPDATE_BATCH, &a)) {
			fprintf(stderr, "flowfill: update after %lu flows: %s\n",
				done + a.batch.count, strerror(errno));
			return 1;
		}
		done += a.batch.count;
	}
	present = count_flows(fd, keys, vals);
	if (present < 0) {
		fprintf(stderr, "flowfill: counting: %s\n", strerror(-present));
		return 1;
	}
	printf("inserted %lu present %ld\n", done, present);
	close(fd);
	free(keys);
	free(vals);
	return 0;
}
