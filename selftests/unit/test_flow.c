// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flow table: the canonical key, one entry for both directions (XDP
 * receives one way, TC transmits the other), TCP states, exact
 * per-direction counters under concurrency, flow affinity when cpus= or
 * the indirection table change, rebalancing of idle flows, and the
 * sweep of `chimney run` (expiries by reason, evictions, a full table).
 *
 * Idleness is simulated by writing last_seen straight into the map:
 * the data path compares it with bpf_ktime_get_coarse_ns(), the sweep
 * with CLOCK_MONOTONIC_COARSE, so setting it seconds back is the same
 * as waiting.
 *
 * Fixtures carry their scapy equivalents; with
 *   from scapy.all import *
 *   E = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "config.h"
#include "env.h"
#include "flowtab.h"
#include "instance.h"
#include "pkt_builder.h"
#include "test.h"

#define A4	"192.0.2.1"
#define B4	"198.51.100.2"
#define A6	"2001:db8::1"
#define B6	"2001:db8::2"

static struct {
	bool ready;
	int xdp, tc;
	struct chimney_maps m;	/* the env's maps: never closed here */
	int ncpus;
} F;

static bool flow_env(void)
{
	if (F.ready)
		return true;
	F.xdp = env_prog_fd(UNIT_XDP);
	F.tc = env_prog_fd(UNIT_TC);
	if (F.xdp < 0 || F.tc < 0)
		return false;
	F.m = env_instance()->maps;
	/* cpumap entries without a program: the test run returns the
	 * redirect verdict and never carries it out */
	F.m.cpumap_prog = -1;
	F.ncpus = libbpf_num_possible_cpus();
	F.ready = true;
	return true;
}

static void map_clear(int fd, size_t key_size)
{
	__u8 key[64], next[64];

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

static void cpumap_clear(void)
{
	__u32 cpu;

	for (cpu = 0; cpu < CHIMNEY_MAX_CPUS; cpu++)
		bpf_map_delete_elem(F.m.cpus, &cpu);
}

/*
 * A clean slate: no flows, no cpumap entries, zeroed daemon stats, and
 * defaults + kv committed the way attach does (Toeplitz tables,
 * indirection table, cpumap entries, config).
 */
static bool flow_reset(struct chimney_config *cfg, int n, char **kv)
{
	struct chimney_flow_stats st = {};
	struct chimney_counters *zero;
	__u32 key = 0;
	int err;

	if (!flow_env())
		return false;
	/* Counters and flow_stats start at 0 together, as on attach:
	 * evictions are derived from both. Other tests look at counter
	 * deltas only. */
	zero = calloc(F.ncpus, sizeof(*zero));
	if (!ASSERT_OK_PTR(zero, "alloc"))
		return false;
	err = bpf_map_update_elem(F.m.counters, &key, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	if (!ASSERT_OK(err, "zero counters"))
		return false;
	map_clear(F.m.flows, sizeof(struct chimney_flow_key));
	cpumap_clear();
	if (!ASSERT_OK(flow_stats_write(F.m.flow_stats, &st), "zero flow_stats"))
		return false;
	config_defaults(cfg);
	if (!ASSERT_OK(config_apply_kv(cfg, n, kv, "test"), "config"))
		return false;
	return ASSERT_OK(config_commit(&F.m, NULL, cfg), "config_commit");
}

/* Leave the shared programs as the other tests expect them. */
static void flow_cleanup(void)
{
	struct chimney_config cfg;

	if (!F.ready)
		return;
	map_clear(F.m.flows, sizeof(struct chimney_flow_key));
	cpumap_clear();
	config_defaults(&cfg);
	config_commit(&F.m, NULL, &cfg);
}

static bool commit(struct chimney_config *cfg, int n, char **kv)
{
	struct chimney_config old = *cfg;

	if (!ASSERT_OK(config_apply_kv(cfg, n, kv, "test"), "config"))
		return false;
	return ASSERT_OK(config_commit(&F.m, &old, cfg), "config_commit");
}

/* Frames */

/* Ether(**E)/IP(src,dst)/TCP(sport,dport,flags)/Raw(payload) (or IPv6) */
static void mk_tcp(struct pb *b, int af, const char *src, const char *dst,
		   __u16 sp, __u16 dp, __u8 flags, size_t payload)
{
	pb_init(b);
	pb_eth(b, NULL);
	if (af == 4)
		pb_ipv4(b, &(struct pb_ipv4_opts){ .src = src, .dst = dst });
	else
		pb_ipv6(b, &(struct pb_ipv6_opts){ .src = src, .dst = dst });
	pb_tcp(b, &(struct pb_tcp_opts){ .sport = sp, .dport = dp,
					 .flags = flags, .seq = 1000,
					 .ack = flags & CHIMNEY_TCP_ACK ?
						2000 : 0 });
	if (payload)
		pb_raw(b, NULL, payload);
	pb_finish(b);
}

/* Ether(**E)/IP(src,dst)/UDP(sport,dport)/Raw(payload) */
static void mk_udp(struct pb *b, const char *src, const char *dst, __u16 sp,
		   __u16 dp, size_t payload)
{
	pb_init(b);
	pb_eth(b, NULL);
	pb_ipv4(b, &(struct pb_ipv4_opts){ .src = src, .dst = dst });
	pb_udp(b, sp, dp);
	if (payload)
		pb_raw(b, NULL, payload);
	pb_finish(b);
}

static __u32 run(int fd, const struct pb *b)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b->data,
		    .data_size_in = b->len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o)) {
		unit_fail("BPF_PROG_TEST_RUN: %s", strerror(errno));
		return ~0U;
	}
	return o.retval;
}

static bool run_xdp(const struct pb *b, __u32 verdict, const char *what)
{
	return ASSERT_EQ(run(F.xdp, b), verdict, what);
}

static bool run_tc(const struct pb *b, const char *what)
{
	return ASSERT_EQ((__s32)run(F.tc, b), TC_ACT_UNSPEC, what);
}

/* The tuple of a packet from src:sp to dst:dp. */
static struct chimney_tuple tuple(int af, const char *src, const char *dst,
				  __u16 sp, __u16 dp, __u8 proto)
{
	struct chimney_tuple t = { .family = af, .proto = proto,
				   .sport = htons(sp), .dport = htons(dp) };

	inet_pton(af == 4 ? AF_INET : AF_INET6, src, t.saddr);
	inet_pton(af == 4 ? AF_INET : AF_INET6, dst, t.daddr);
	return t;
}

/* The entry of the flow a packet src:sp -> dst:dp belongs to; *dir
 * gets that packet's direction. */
static bool flow_get(int af, const char *src, const char *dst, __u16 sp,
		     __u16 dp, __u8 proto, struct chimney_flow *v, int *dir,
		     struct chimney_flow_key *kout)
{
	struct chimney_tuple t = tuple(af, src, dst, sp, dp, proto);
	struct chimney_flow_key k;
	int d;

	d = chimney_flow_key_make(&k, &t);
	if (dir)
		*dir = d;
	if (kout)
		*kout = k;
	if (bpf_map_lookup_elem(F.m.flows, &k, v)) {
		unit_fail("no flow for %s:%u -> %s:%u proto %u", src, sp, dst,
			  dp, proto);
		return false;
	}
	return true;
}

/*
 * The monotonic clock `secs` seconds ago, floored at 0. It counts from
 * boot: on a machine up for less than `secs`, a plain subtraction wraps
 * to a time far in the future, and a flow "idle since then" is never
 * idle. The floor makes it idle since boot, as idle as a flow can be
 * yet, and waiting until boot is `secs` back makes that idle enough:
 * the tests ask for ages of a few seconds, so they hold from the first
 * second after boot on and wait at most that long.
 */
static __u64 mono_ago_ns(double secs)
{
	__u64 now = mono_ns(), d = (__u64)(secs * 1e9);

	if (now >= d)
		return now - d;
	unit_log("up for %.1fs only: %.1fs ago is boot, once %.1fs have passed\n",
		 now / 1e9, secs, (d - now) / 1e9);
	/* and a tick more: mono_ns() is the coarse clock */
	usleep((d - now) / 1000 + 10000);
	return 0;
}

/* Make a flow look idle for `secs` seconds. */
static bool flow_age(int af, const char *src, const char *dst, __u16 sp,
		     __u16 dp, __u8 proto, double secs)
{
	struct chimney_flow_key k;
	struct chimney_flow v;

	if (!flow_get(af, src, dst, sp, dp, proto, &v, NULL, &k))
		return false;
	v.last_seen = mono_ago_ns(secs);
	v.last_tick--;		/* not this tick: the data path reads the clock */
	return ASSERT_OK(bpf_map_update_elem(F.m.flows, &k, &v, BPF_EXIST) ?
			 -errno : 0, "write last_seen");
}

static __u64 map_count(int fd)
{
	struct chimney_flow_key k, n;
	__u64 cnt = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &n)) {
		k = n;
		prev = &k;
		cnt++;
	}
	return cnt;
}

static __u64 ctr(const char *name)
{
	__u64 sums[CHIMNEY_NR_COUNTERS];
	int i = counter_index(name);

	if (i < 0 || env_counters_read(sums)) {
		unit_fail("cannot read counter %s", name);
		return 0;
	}
	return sums[i];
}

/* ---- the key ---- */

UNIT_TEST(flow_key_canonical)
{
	/* Each case is a subtest: the assertions below name what failed,
	 * the subtest names the case. */
	static const struct {
		const char *name;
		int af;
		const char *a, *b;
		__u16 pa, pb;
	} cases[] = {
		{ "ipv4_lower_first", 4, "10.0.0.1", "10.0.0.2", 40000, 80 },
		{ "ipv4_higher_first", 4, "10.0.0.2", "10.0.0.1", 40000, 80 },
		{ "ipv4_same_host", 4, "10.0.0.1", "10.0.0.1", 80, 40000 },
		{ "ipv4_first_byte_decides", 4, "255.0.0.1", "1.0.0.255", 1, 65535 },
		{ "ipv6_lower_first", 6, "2001:db8::1", "2001:db8::2", 40000, 443 },
		{ "ipv6_earlier_word_decides", 6, "2001:db8::2:0:0:1",
		  "2001:db8::1:ffff:ffff:ffff", 5, 5 },
		{ "ipv6_same_host", 6, "fe80::1", "fe80::1", 1000, 999 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chimney_tuple f = tuple(cases[i].af, cases[i].a, cases[i].b,
					       cases[i].pa, cases[i].pb, 6);
		struct chimney_tuple r = tuple(cases[i].af, cases[i].b, cases[i].a,
					       cases[i].pb, cases[i].pa, 6);
		struct chimney_flow_key kf, kr;
		int df, dr;

		if (!test__start_subtest(cases[i].name))
			continue;
		df = chimney_flow_key_make(&kf, &f);
		dr = chimney_flow_key_make(&kr, &r);
		ASSERT_MEMEQ(&kf, &kr, sizeof(kf), "both directions, one key");
		ASSERT_EQ(df ^ dr, 1, "the two directions are told apart");
		/* the key holds both endpoints, each with its own port */
		ASSERT_MEMEQ(df ? kf.hi_addr : kf.lo_addr, f.saddr, 16,
			     "source endpoint address");
		ASSERT_EQ(df ? kf.hi_port : kf.lo_port, f.sport,
			  "source endpoint port");
		ASSERT_MEMEQ(df ? kf.lo_addr : kf.hi_addr, f.daddr, 16,
			     "destination endpoint address");
		ASSERT_EQ(kf.proto, 6, "proto");
		ASSERT_EQ(kf.family, cases[i].af, "family");
	}
}

/* ---- one entry for both hooks, TCP states, per-direction counts ---- */

UNIT_TEST(flow_tcp_both_directions_states)
{
	char *kv[] = { "flow=on" };
	struct chimney_config cfg;
	struct chimney_flow v;
	__u64 bytes[2] = {}, pkts[2] = {}, created, hit;
	struct pb b;
	int da, db;

	if (!flow_reset(&cfg, 1, kv))
		goto out;
	created = ctr("flow_created");
	hit = ctr("flow_hit");

	/* Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=40001,dport=80,flags="S") in */
	mk_tcp(&b, 4, A4, B4, 40001, 80, CHIMNEY_TCP_SYN, 0);
	if (!run_xdp(&b, XDP_PASS, "SYN in"))
		goto out;
	if (!flow_get(4, A4, B4, 40001, 80, 6, &v, &da, NULL))
		goto out;
	db = !da;
	pkts[da]++;
	bytes[da] += b.len;
	ASSERT_EQ(v.state, FLOW_ST_syn_sent, "after SYN");
	ASSERT_EQ(v.init_dir, da, "the SYN's direction opened the flow");
	ASSERT_EQ(v.cpu, CHIMNEY_FLOW_CPU_LOCAL, "received, steering off: local");
	ASSERT_EQ(ctr("flow_created") - created, 1, "flow_created");

	/* Ether(**E)/IP(src=B4,dst=A4)/TCP(sport=80,dport=40001,flags="SA") out */
	mk_tcp(&b, 4, B4, A4, 80, 40001, CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK, 0);
	run_tc(&b, "SYN-ACK out");
	pkts[db]++;
	bytes[db] += b.len;
	flow_get(4, A4, B4, 40001, 80, 6, &v, NULL, NULL);
	ASSERT_EQ(v.state, FLOW_ST_syn_sent, "after SYN-ACK");

	/* Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=40001,dport=80,flags="A")/Raw(100 bytes) in */
	mk_tcp(&b, 4, A4, B4, 40001, 80, CHIMNEY_TCP_ACK, 100);
	run_xdp(&b, XDP_PASS, "ACK in");
	pkts[da]++;
	bytes[da] += b.len;
	flow_get(4, A4, B4, 40001, 80, 6, &v, NULL, NULL);
	ASSERT_EQ(v.state, FLOW_ST_established, "after the handshake");

	/* Ether(**E)/IP(src=B4,dst=A4)/TCP(sport=80,dport=40001,flags="PA")/Raw(1000 bytes) out */
	mk_tcp(&b, 4, B4, A4, 80, 40001, CHIMNEY_TCP_PSH | CHIMNEY_TCP_ACK,
	       1000);
	run_tc(&b, "data out");
	pkts[db]++;
	bytes[db] += b.len;

	/* Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=40001,dport=80,flags="FA") in */
	mk_tcp(&b, 4, A4, B4, 40001, 80, CHIMNEY_TCP_FIN | CHIMNEY_TCP_ACK, 0);
	run_xdp(&b, XDP_PASS, "FIN in");
	pkts[da]++;
	bytes[da] += b.len;
	flow_get(4, A4, B4, 40001, 80, 6, &v, NULL, NULL);
	ASSERT_EQ(v.state, FLOW_ST_fin_wait, "after one FIN");

	/* Ether(**E)/IP(src=B4,dst=A4)/TCP(sport=80,dport=40001,flags="FA") out */
	mk_tcp(&b, 4, B4, A4, 80, 40001, CHIMNEY_TCP_FIN | CHIMNEY_TCP_ACK, 0);
	run_tc(&b, "FIN out");
	pkts[db]++;
	bytes[db] += b.len;
	flow_get(4, A4, B4, 40001, 80, 6, &v, NULL, NULL);
	ASSERT_EQ(v.state, FLOW_ST_closed, "after FINs both ways");

	ASSERT_EQ(v.packets[da], pkts[da], "packets A->B");
	ASSERT_EQ(v.packets[db], pkts[db], "packets B->A");
	ASSERT_EQ(v.bytes[da], bytes[da], "bytes A->B");
	ASSERT_EQ(v.bytes[db], bytes[db], "bytes B->A");
	ASSERT_EQ(v.tcp_flags[da],
		  CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK | CHIMNEY_TCP_FIN,
		  "flags seen A->B");
	ASSERT_EQ(v.tcp_flags[db],
		  CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK | CHIMNEY_TCP_FIN |
		  CHIMNEY_TCP_PSH, "flags seen B->A");
	ASSERT_EQ(map_count(F.m.flows), 1, "one entry for both directions");
	ASSERT_EQ(ctr("flow_created") - created, 1, "created once");
	ASSERT_EQ(ctr("flow_hit") - hit, 5, "every later packet found it");

	/* A new connection on the same 5-tuple (TIME_WAIT reuse).
	 * Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=40001,dport=80,flags="S") in */
	mk_tcp(&b, 4, A4, B4, 40001, 80, CHIMNEY_TCP_SYN, 0);
	hit = ctr("flow_tcp_reuse");
	run_xdp(&b, XDP_PASS, "SYN on a closed flow");
	flow_get(4, A4, B4, 40001, 80, 6, &v, NULL, NULL);
	ASSERT_EQ(v.state, FLOW_ST_syn_sent, "a new SYN restarts a closed flow");
	ASSERT_EQ(v.tcp_flags[db], 0, "the old connection's flags are gone");
	ASSERT_EQ(ctr("flow_tcp_reuse") - hit, 1, "flow_tcp_reuse");
out:
	flow_cleanup();
}

UNIT_TEST(flow_tcp_rst_and_midstream)
{
	char *kv[] = { "flow=on" };
	struct chimney_config cfg;
	struct chimney_flow v;
	struct pb b;

	if (!flow_reset(&cfg, 1, kv))
		goto out;
	/* Ether(**E)/IPv6(src=A6,dst=B6)/TCP(sport=5000,dport=443,flags="S") in */
	mk_tcp(&b, 6, A6, B6, 5000, 443, CHIMNEY_TCP_SYN, 0);
	run_xdp(&b, XDP_PASS, "SYN in");
	/* Ether(**E)/IPv6(src=B6,dst=A6)/TCP(sport=443,dport=5000,flags="R") out */
	mk_tcp(&b, 6, B6, A6, 443, 5000, CHIMNEY_TCP_RST, 0);
	run_tc(&b, "RST out");
	if (flow_get(6, A6, B6, 5000, 443, 6, &v, NULL, NULL)) {
		ASSERT_EQ(v.state, FLOW_ST_closed, "a RST closes");
		ASSERT_EQ(v.packets[0] + v.packets[1], 2, "both packets, one entry");
	}

	/* A flow picked up mid-stream (after an eviction or an attach):
	 * Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=40002,dport=80,flags="A")/Raw(10 bytes) in */
	mk_tcp(&b, 4, A4, B4, 40002, 80, CHIMNEY_TCP_ACK, 10);
	run_xdp(&b, XDP_PASS, "ACK in");
	if (flow_get(4, A4, B4, 40002, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.state, FLOW_ST_established, "mid-stream: established");
out:
	flow_cleanup();
}

UNIT_TEST(flow_udp_other_and_untracked)
{
	char *kv[] = { "flow=on" }, *off[] = { "flow=off" };
	struct chimney_config cfg;
	struct chimney_flow v;
	__u64 frag, nonip, created;
	struct pb b, whole;
	int d;

	if (!flow_reset(&cfg, 1, kv))
		goto out;
	/* Ether(**E)/IP(src=A4,dst=B4)/UDP(sport=5353,dport=53)/Raw(20 bytes) in, then the reply out */
	mk_udp(&b, A4, B4, 5353, 53, 20);
	run_xdp(&b, XDP_PASS, "UDP in");
	mk_udp(&b, B4, A4, 53, 5353, 40);
	run_tc(&b, "UDP out");
	if (flow_get(4, A4, B4, 5353, 53, 17, &v, &d, NULL)) {
		ASSERT_EQ(v.state, FLOW_ST_udp, "UDP state");
		ASSERT_EQ(v.packets[d], 1, "query");
		ASSERT_EQ(v.packets[!d], 1, "answer");
	}

	/* Ether(**E)/IP(src=A4,dst=B4)/ICMP(type=8,id=7,seq=1) in */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, &(struct pb_ipv4_opts){ .src = A4, .dst = B4 });
	pb_icmp(&b, 8, 0, 7, 1);
	pb_finish(&b);
	run_xdp(&b, XDP_PASS, "ICMP in");
	if (flow_get(4, A4, B4, 0, 0, 1, &v, NULL, NULL))
		ASSERT_EQ(v.state, FLOW_ST_other, "ICMP: other");

	/* fragment(Ether(**E)/IP(src=A4,dst=B4)/UDP(sport=1,dport=2)/Raw(200 bytes), 96)[1] in */
	frag = ctr("flow_skip_fragment");
	created = ctr("flow_created");
	mk_udp(&whole, A4, B4, 1, 2, 200);
	pb_fragment(&b, &whole, 96, 112, false);
	run_xdp(&b, XDP_PASS, "IPv4 fragment in");
	ASSERT_EQ(ctr("flow_skip_fragment") - frag, 1, "fragments are not tracked");
	ASSERT_EQ(ctr("flow_created") - created, 0, "no flow for a fragment");

	/* Ether(**E)/ARP(psrc=A4,pdst=B4) in */
	nonip = ctr("flow_skip_non_ip");
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_arp(&b, A4, B4);
	pb_finish(&b);
	run_xdp(&b, XDP_PASS, "ARP in");
	ASSERT_EQ(ctr("flow_skip_non_ip") - nonip, 1, "non-IP is not tracked");
	ASSERT_EQ(map_count(F.m.flows), 2, "the UDP and the ICMP flow");

	/* flow=off: nothing is tracked, nothing counted */
	if (!commit(&cfg, 1, off))
		goto out;
	created = ctr("flow_created");
	mk_udp(&b, A4, B4, 6000, 53, 20);
	run_xdp(&b, XDP_PASS, "UDP in, flow=off");
	ASSERT_EQ(ctr("flow_created") - created, 0, "flow=off creates nothing");
	ASSERT_EQ(map_count(F.m.flows), 2, "flow=off adds no entry");
out:
	flow_cleanup();
}

/* ---- exact counts when CPUs race on one flow ---- */

struct hammer {
	int cpu;
	const struct pb *b;
	__u32 repeat;
	int err;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = h->b->data,
		    .data_size_in = h->b->len, .repeat = h->repeat);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	h->err = bpf_prog_test_run_opts(F.xdp, &o) ? -errno : 0;
	return NULL;
}

UNIT_TEST(flow_counters_exact_concurrent)
{
	char *kv[] = { "flow=on" };
	struct hammer h[2];
	pthread_t th[2];
	struct chimney_config cfg;
	struct chimney_flow v;
	__u32 rep = 200000;
	struct pb b;
	int i, n, d;

	if (!flow_reset(&cfg, 1, kv))
		goto out;
	/* Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=40003,dport=80,flags="A")/Raw(26 bytes) */
	mk_tcp(&b, 4, A4, B4, 40003, 80, CHIMNEY_TCP_ACK, 26);
	/* One thread per CPU (two at most), all on the same flow: plain
	 * adds would lose updates, atomic ones cannot. */
	n = F.ncpus >= 2 ? 2 : 1;
	if (n < 2)
		unit_log("one CPU: no concurrency to test, counting only\n");
	for (i = 0; i < n; i++) {
		h[i] = (struct hammer){ .cpu = i, .b = &b, .repeat = rep };
		pthread_create(&th[i], NULL, hammer_fn, &h[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ASSERT_OK(h[i].err, "BPF_PROG_TEST_RUN");
	}
	if (flow_get(4, A4, B4, 40003, 80, 6, &v, &d, NULL)) {
		ASSERT_EQ(v.packets[d], (__u64)n * rep, "packets, exactly");
		ASSERT_EQ(v.bytes[d], (__u64)n * rep * b.len, "bytes, exactly");
		ASSERT_EQ(v.packets[!d], 0, "nothing the other way");
	}
out:
	flow_cleanup();
}

/* ---- affinity ---- */

/*
 * Works with one CPU: a flow that arrived while steering was off keeps
 * being processed where it was received after cpus= turns steering on;
 * new flows are steered; once idle, the old flow is steered too.
 */
UNIT_TEST(flow_affinity_steering_turned_on)
{
	char *kv[] = { "flow=on" }, *on[] = { "cpus=0" };
	struct chimney_config cfg;
	struct chimney_flow v;
	__u64 placed, moved;
	struct pb f, g;

	if (!flow_reset(&cfg, 1, kv))
		goto out;
	/* F: Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=41000,dport=80,flags="A") */
	mk_tcp(&f, 4, A4, B4, 41000, 80, CHIMNEY_TCP_ACK, 0);
	/* G: Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=41001,dport=80,flags="A") */
	mk_tcp(&g, 4, A4, B4, 41001, 80, CHIMNEY_TCP_ACK, 0);
	run_xdp(&f, XDP_PASS, "F while steering is off");
	if (!commit(&cfg, 1, on))
		goto out;
	placed = ctr("steer_flow_placed");
	moved = ctr("steer_flow_moved");
	run_xdp(&f, XDP_PASS, "F stays where it was received");
	if (flow_get(4, A4, B4, 41000, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, CHIMNEY_FLOW_CPU_LOCAL, "F: still local");
	run_xdp(&g, XDP_REDIRECT, "G, a new flow, is steered");
	if (flow_get(4, A4, B4, 41001, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 0, "G: CPU 0");
	ASSERT_EQ(ctr("steer_flow_placed") - placed, 1, "G placed");

	/* F idle past flow.rebalance_idle (2s): it may move now */
	if (!flow_age(4, A4, B4, 41000, 80, 6, 3))
		goto out;
	run_xdp(&f, XDP_REDIRECT, "F after 3s idle is steered");
	if (flow_get(4, A4, B4, 41000, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 0, "F: CPU 0 now");
	ASSERT_EQ(ctr("steer_flow_moved") - moved, 1, "F counted as moved");
out:
	flow_cleanup();
}

static bool cpumap_has(__u32 cpu)
{
	struct bpf_cpumap_val val;

	return !bpf_map_lookup_elem(F.m.cpus, &cpu, &val);
}

/*
 * Two CPUs: a flow placed on one keeps it after cpus= moves the whole
 * table to the other; its CPU's cpumap entry outlives cpus= while it is
 * in use; new flows follow the new table; an idle flow moves.
 */
UNIT_TEST(flow_affinity_cpus_change)
{
	char *kv[] = { "flow=on", "cpus=0" }, *to1[] = { "cpus=1" };
	char *off[] = { "flow=off", "cpus=0" };
	struct chimney_config cfg;
	struct chimney_flow v;
	struct sweep_result *r = NULL;
	__u64 placed, redirect, gone;
	struct pb f, g;

	if (!flow_env())
		return;
	if (F.ncpus < 2) {
		unit_log("one possible CPU: cpus= cannot change between two; see flow_affinity_steering_turned_on\n");
		return;
	}
	if (!flow_reset(&cfg, 2, kv))
		goto out;
	/* F: Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=42000,dport=80,flags="A") */
	mk_tcp(&f, 4, A4, B4, 42000, 80, CHIMNEY_TCP_ACK, 0);
	/* G: Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=42001,dport=80,flags="A") */
	mk_tcp(&g, 4, A4, B4, 42001, 80, CHIMNEY_TCP_ACK, 0);
	run_xdp(&f, XDP_REDIRECT, "F steered");
	if (flow_get(4, A4, B4, 42000, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 0, "F on CPU 0");

	if (!commit(&cfg, 1, to1))
		goto out;
	ASSERT_TRUE(cpumap_has(0), "CPU 0 stays in the cpumap while flows use it");
	placed = ctr("steer_flow_placed");
	redirect = ctr("steer_redirect");
	run_xdp(&f, XDP_REDIRECT, "F after cpus=1");
	if (flow_get(4, A4, B4, 42000, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 0, "F keeps CPU 0 (no reordering)");
	ASSERT_EQ(ctr("steer_flow_placed") - placed, 0, "F not placed again");
	ASSERT_EQ(ctr("steer_redirect") - redirect, 1, "F redirected");
	run_xdp(&g, XDP_REDIRECT, "G after cpus=1");
	if (flow_get(4, A4, B4, 42001, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 1, "G, new, follows the new table");

	/* The daemon's part: CPU 0 is busy while F is active... */
	r = calloc(1, sizeof(*r));
	if (!ASSERT_OK_PTR(r, "alloc") ||
	    !ASSERT_OK(flow_sweep(&F.m, NULL, &cfg, r), "sweep"))
		goto out;
	ASSERT_TRUE(r->busy_cpu[0], "sweep: F's CPU is busy");
	steer_retire_cpus(&F.m, r->busy_cpu);
	ASSERT_TRUE(cpumap_has(0), "busy CPU 0 not retired");
	/* ... and retired once F idles past flow.rebalance_idle */
	if (!flow_age(4, A4, B4, 42000, 80, 6, 3))
		goto out;
	ASSERT_OK(flow_sweep(&F.m, NULL, &cfg, r), "sweep");
	ASSERT_FALSE(r->busy_cpu[0], "sweep: idle F does not hold CPU 0");
	steer_retire_cpus(&F.m, r->busy_cpu);
	ASSERT_FALSE(cpumap_has(0), "CPU 0 retired");
	ASSERT_TRUE(cpumap_has(1), "CPU 1 stays");
	run_xdp(&f, XDP_REDIRECT, "F after idling");
	if (flow_get(4, A4, B4, 42000, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 1, "idle F moved to CPU 1");

	/* A CPU taken away under an active flow: placed again. */
	gone = ctr("steer_flow_cpu_gone");
	bpf_map_delete_elem(F.m.cpus, &(__u32){ 1 });
	bpf_map_update_elem(F.m.cpus, &(__u32){ 0 },
			    &(struct bpf_cpumap_val){ .qsize = 64 }, BPF_ANY);
	bpf_map_update_elem(F.m.rss_indir, &(__u32){ 0 }, &(__u32){ 0 }, BPF_ANY);
	{
		__u32 i, zero = 0;

		for (i = 0; i < cfg.indir_size; i++)
			bpf_map_update_elem(F.m.rss_indir, &i, &zero, BPF_ANY);
	}
	run_xdp(&f, XDP_REDIRECT, "F with its CPU gone");
	ASSERT_EQ(ctr("steer_flow_cpu_gone") - gone, 1, "steer_flow_cpu_gone");
	if (flow_get(4, A4, B4, 42000, 80, 6, &v, NULL, NULL))
		ASSERT_EQ(v.cpu, 0, "placed on what the table names");

	/* flow=off: no affinity to keep, dropped CPUs leave at once */
	if (!flow_reset(&cfg, 2, kv) || !commit(&cfg, 1, to1))
		goto out;
	ASSERT_TRUE(cpumap_has(0), "flow=on: CPU 0 kept");
	if (!commit(&cfg, 2, off))
		goto out;
	if (!commit(&cfg, 1, to1))
		goto out;
	ASSERT_FALSE(cpumap_has(0), "flow=off: CPU 0 removed with cpus=");
out:
	free(r);
	flow_cleanup();
}

/* ---- the sweep ---- */

UNIT_TEST(flow_sweep_by_state)
{
	char *kv[] = { "flow=on", "flow.timeout.tcp_closed=1s",
		       "flow.timeout.tcp_established=4s",
		       "flow.timeout.udp=1s", "flow.timeout.other=4s" };
	struct chimney_config cfg;
	struct chimney_flow_stats st;
	struct sweep_result *r;
	struct pb b;

	r = calloc(1, sizeof(*r));
	if (!ASSERT_OK_PTR(r, "alloc") || !flow_reset(&cfg, 5, kv))
		goto out;
	/* established: Ether(**E)/IP(src=A4,dst=B4)/TCP(sport=43000,dport=80,flags="A") in + out */
	mk_tcp(&b, 4, A4, B4, 43000, 80, CHIMNEY_TCP_ACK, 0);
	run_xdp(&b, XDP_PASS, "est in");
	mk_tcp(&b, 4, B4, A4, 80, 43000, CHIMNEY_TCP_ACK, 0);
	run_tc(&b, "est out");
	/* closed: ... TCP(sport=43001,dport=80,flags="R") in */
	mk_tcp(&b, 4, A4, B4, 43001, 80, CHIMNEY_TCP_RST, 0);
	run_xdp(&b, XDP_PASS, "rst in");
	/* udp: ... UDP(sport=43002,dport=53) in */
	mk_udp(&b, A4, B4, 43002, 53, 0);
	run_xdp(&b, XDP_PASS, "udp in");
	/* other: ... ICMP(type=8) in */
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, &(struct pb_ipv4_opts){ .src = A4, .dst = B4 });
	pb_icmp(&b, 8, 0, 1, 1);
	pb_finish(&b);
	run_xdp(&b, XDP_PASS, "icmp in");
	/* a fresh UDP flow that must survive */
	mk_udp(&b, A4, B4, 43003, 53, 0);
	run_xdp(&b, XDP_PASS, "udp in");

	/*
	 * All but the fresh UDP flow idle 2s: beyond 1s, within 4s. Every
	 * last_seen is written here, the fresh one too, so the sweep
	 * compares user-space clock readings only (selftests/unit-early-boot.sh),
	 * and ages of seconds hold seconds after boot.
	 */
	if (!flow_age(4, A4, B4, 43000, 80, 6, 2) ||
	    !flow_age(4, A4, B4, 43001, 80, 6, 2) ||
	    !flow_age(4, A4, B4, 43002, 53, 17, 2) ||
	    !flow_age(4, A4, B4, 0, 0, 1, 2) ||
	    !flow_age(4, A4, B4, 43003, 53, 17, 0))
		goto out;
	if (!ASSERT_OK(flow_sweep(&F.m, NULL, &cfg, r), "sweep"))
		goto out;
	ASSERT_EQ(r->scanned, 5, "scanned");
	ASSERT_EQ(r->expired[FLOW_ST_closed], 1, "closed: past its 1s linger");
	ASSERT_EQ(r->expired[FLOW_ST_udp], 1, "idle UDP: past 1s");
	ASSERT_EQ(r->expired[FLOW_ST_established], 0, "established: within 4s");
	ASSERT_EQ(r->expired[FLOW_ST_other], 0, "other: within 4s");
	ASSERT_EQ(r->expired_total, 2, "expired");
	ASSERT_EQ(r->entries, 3, "left");
	ASSERT_EQ(map_count(F.m.flows), 3, "left in the map");
	ASSERT_EQ(r->evictions, 0, "no evictions");
	if (ASSERT_OK(flow_stats_read(F.m.flow_stats, &st), "flow_stats")) {
		ASSERT_EQ(st.expired_closed, 1, "flow_stats: closed");
		ASSERT_EQ(st.expired_udp, 1, "flow_stats: udp");
		ASSERT_EQ(st.flow_sweeps, 1, "flow_stats: one sweep");
		ASSERT_EQ(st.entries, 3, "flow_stats: entries");
	}
	/* Counts accumulate in the map, across sweeps (and daemons). */
	flow_age(4, A4, B4, 43000, 80, 6, 5);
	ASSERT_OK(flow_sweep(&F.m, NULL, &cfg, r), "second sweep");
	ASSERT_EQ(r->expired[FLOW_ST_established], 1, "established past 4s");
	if (ASSERT_OK(flow_stats_read(F.m.flow_stats, &st), "flow_stats")) {
		ASSERT_EQ(st.expired_established, 1, "flow_stats: established");
		ASSERT_EQ(st.expired_closed, 1, "flow_stats: closed kept");
		ASSERT_EQ(st.flow_sweeps, 2, "flow_stats: two sweeps");
	}
out:
	free(r);
	flow_cleanup();
}

#define LRU_PIN_PARENT	"/sys/fs/bpf"
#define LRU_PIN_PREFIX	"chimney-unit-flow-"

/*
 * flow_lru_evictions pins its table in a directory named by the
 * runner's PID. A run killed in between leaves it behind, a map in it:
 * remove those of runs that are gone, and the one of the PID this run
 * has now, which can only be left over. A live runner's (another tree
 * running its tests at the same time) stays.
 */
static void lru_stale_pins_clean(void)
{
	char sub[PATH_MAX], pin[PATH_MAX + 256];
	struct dirent *de, *pe;
	DIR *d, *pd;
	char *end;
	long pid;

	d = opendir(LRU_PIN_PARENT);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, LRU_PIN_PREFIX, strlen(LRU_PIN_PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(LRU_PIN_PREFIX), &end, 10);
		if (*end || pid <= 0)
			continue;
		if (pid != getpid() && (!kill(pid, 0) || errno != ESRCH))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", LRU_PIN_PARENT, de->d_name);
		pd = opendir(sub);
		while (pd && (pe = readdir(pd))) {
			if (strcmp(pe->d_name, ".") && strcmp(pe->d_name, "..")) {
				snprintf(pin, sizeof(pin), "%s/%s", sub, pe->d_name);
				unlink(pin);
			}
		}
		if (pd)
			closedir(pd);
		if (rmdir(sub))
			unit_log("cannot remove %s, left by an earlier run: %s\n",
				 sub, strerror(errno));
		else
			unit_log("removed %s, left by an earlier run\n", sub);
	}
	closedir(d);
}

/*
 * Whether the kernel has a kfunc, asked of its own BTF: what libbpf
 * resolves a __ksym against. No vmlinux BTF, no kfunc.
 */
static bool kernel_has_kfunc(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has;

	if (libbpf_get_error(btf))
		return false;
	has = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	return has;
}

/*
 * A 64-entry table of its own, fed 500 flows: all are created (the LRU
 * never refuses one), and the evictions the kernel did silently are
 * found as created - expired - entries, with entries from the kernel's
 * own count (subtest kernel_count: skipped on a kernel without
 * bpf_map_sum_elem_count, where chimney counts by walking, and failed on
 * one that has it but where the count program does not work).
 */
UNIT_TEST(flow_lru_evictions)
{
	char dir[64], path[128] = "";
	struct chimney_maps m;
	struct chimney_config cfg;
	struct chimney_flow_stats st = {};
	struct instance_opts opts = { .verb = "unit", .flow_size = 64,
				      .load_only = true };
	struct instance inst;
	struct flow_query *q = NULL;
	struct sweep_result *r = NULL;
	__u64 sums[CHIMNEY_NR_COUNTERS], entries, ev;
	__u32 zero = 0, i;
	long cnt;
	struct pb b;
	int fd;

	/* The kernel's count needs a pin. A machine that has just booted
	 * has no bpffs mounted: mount it the way chimney does. */
	if (!ASSERT_OK(bpffs_ensure(), "bpffs on " LRU_PIN_PARENT))
		return;
	lru_stale_pins_clean();
	snprintf(dir, sizeof(dir), LRU_PIN_PARENT "/" LRU_PIN_PREFIX "%d",
		 getpid());
	snprintf(path, sizeof(path), "%s/flows", dir);
	/* an instance of its own, as attach loads it with flow.size=64 */
	if (!ASSERT_OK(instance_open(&inst, &opts), "open"))
		goto out;
	if (!ASSERT_OK(instance_load(&inst), "load with flow.size=64"))
		goto out;
	m = inst.maps;
	config_defaults(&cfg);
	config_apply_kv(&cfg, 2, (char *[]){ "flow=on", "flow.size=64" }, "test");
	bpf_map_update_elem(m.config, &zero, &cfg, BPF_ANY);
	fd = inst.progs[INSTANCE_XDP].fd;
	for (i = 0; i < 500; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 1);

		/* Ether(**E)/IP(src=A4,dst=B4)/UDP(sport=10000+i,dport=53) */
		mk_udp(&b, A4, B4, 10000 + i, 53, 0);
		o.data_in = b.data;
		o.data_size_in = b.len;
		if (bpf_prog_test_run_opts(fd, &o)) {
			unit_fail("test run: %s", strerror(errno));
			goto out;
		}
	}
	counters_read(m.counters, sums, NULL, NULL);
	ASSERT_EQ(sums[GC_flow_created], 500, "every new flow got an entry");
	ASSERT_EQ(sums[GC_flow_insert_failed], 0, "no insert failed");
	entries = map_count(m.flows);
	ASSERT_TRUE(entries > 0 && entries <= 64, "the table holds at most 64");

	/* the kernel's count, through a query program bound to the pin */
	if (!ASSERT_OK(mkdir(dir, 0700) && errno != EEXIST ? -errno : 0,
		       "pin directory") ||
	    !ASSERT_OK(bpf_obj_pin(m.flows, path) ? -errno : 0, "pin"))
		goto out;
	if (test__start_subtest("kernel_count")) {
		/* Asked of the kernel's BTF, not inferred from the program
		 * failing: where the kfunc exists, a count program that
		 * does not load or run is a failure. */
		if (!kernel_has_kfunc("bpf_map_sum_elem_count")) {
			test__skip("no kfunc bpf_map_sum_elem_count in this kernel (before 6.6): evictions below count by walking");
		} else {
			q = flow_query_open(dir);
			if (ASSERT_OK_PTR(q, "flow_count program loads and runs (the kernel has bpf_map_sum_elem_count)")) {
				cnt = flow_query_count(q);
				ASSERT_EQ(cnt, (long)entries, "kernel count = walked count");
			}
		}
	}
	if (!test__start_subtest("evictions"))
		goto out;
	ev = flow_evictions(m.counters, q, &st, entries, &entries);
	ASSERT_EQ(ev, 500 - entries, "evictions = created - entries");
	ASSERT_TRUE(ev >= 500 - 64, "at least 436 evictions");

	/* Sweeping them out is expiry, not eviction: the count holds. */
	r = calloc(1, sizeof(*r));
	if (!ASSERT_OK_PTR(r, "alloc"))
		goto out;
	config_apply_kv(&cfg, 1, (char *[]){ "flow.timeout.udp=100ms" }, "test");
	usleep(300000);
	if (ASSERT_OK(flow_sweep(&m, q, &cfg, r), "sweep")) {
		ASSERT_EQ(r->expired[FLOW_ST_udp], entries, "all expired as udp");
		ASSERT_EQ(r->entries, 0, "empty");
		ASSERT_EQ(r->evictions, ev, "evictions unchanged by the sweep");
	}
	flow_stats_read(m.flow_stats, &st);
	ASSERT_EQ(st.flow_evictions, ev, "flow_stats: evictions");
out:
	free(r);
	flow_query_close(q);
	unlink(path);
	rmdir(dir);
	instance_close(&inst);
}

/*
 * A full default table (262,144 entries), every flow expired: the
 * sweep's worst case. The time is logged (`unit_runner -v
 * flow_sweep_full_table`), not asserted; the results are.
 */
UNIT_TEST(flow_sweep_full_table)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	/* A timeout the flows' age passes, set here rather than relying on
	 * the default's 2m: the age must stay within what the clock has
	 * counted since boot (see mono_ago_ns()). */
	char *kv[] = { "flow=on", "flow.timeout.udp=1s" };
	struct chimney_config cfg, walk;
	struct chimney_flow_key *keys = NULL;
	struct chimney_flow *vals = NULL;
	struct sweep_result *r = NULL;
	__u32 size = CHIMNEY_FLOW_SIZE_DEFAULT, chunk = 8192, i, j, n;
	__u64 seen, present;

	if (!flow_reset(&cfg, 2, kv))
		goto out;
	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, sizeof(*vals));
	r = calloc(1, sizeof(*r));
	if (!ASSERT_OK_PTR(keys && vals && r ? keys : NULL, "alloc"))
		goto out;
	/* idle 3s: past the 1s timeout by a margin no scheduling hiccup
	 * between here and the sweep can eat (it only adds idle time) */
	seen = mono_ago_ns(3);
	for (i = 0; i < size; i += chunk) {
		for (j = 0; j < chunk; j++) {
			__u32 id = i + j;

			memset(&keys[j], 0, sizeof(keys[j]));
			keys[j].family = 4;
			keys[j].proto = 17;
			keys[j].lo_addr[0] = htonl(0x0a000000 | (id >> 8));
			keys[j].hi_addr[0] = htonl(0x0b000001);
			keys[j].lo_port = htons(1024 + (id & 0xff));
			keys[j].hi_port = htons(53);
			memset(&vals[j], 0, sizeof(vals[j]));
			vals[j].state = FLOW_ST_udp;
			vals[j].first_seen = vals[j].last_seen = seen;
			vals[j].cpu = CHIMNEY_FLOW_CPU_LOCAL;
		}
		n = chunk;
		if (bpf_map_update_batch(F.m.flows, keys, vals, &n, &opts)) {
			unit_fail("filling the table: %s", strerror(errno));
			goto out;
		}
	}
	present = map_count(F.m.flows);
	unit_log("table of %u filled with %llu flows (the LRU evicts a little before it is full)\n",
		 size, (unsigned long long)present);
	ASSERT_TRUE(present > size * 9ULL / 10, "table (nearly) full");

	/* flow.timeout.udp=7d: nothing is due, a walk of the full table */
	walk = cfg;
	config_apply_kv(&walk, 1, (char *[]){ "flow.timeout.udp=7d" }, "test");
	if (!ASSERT_OK(flow_sweep(&F.m, NULL, &walk, r), "sweep, nothing due"))
		goto out;
	ASSERT_EQ(r->scanned, present, "walked every entry");
	ASSERT_EQ(r->expired_total, 0, "none expired");
	unit_log("sweep of %llu entries, none due: %.1f ms\n",
		 (unsigned long long)r->scanned, r->duration_ns / 1e6);

	/* flow.timeout.udp=1s against 3s idle: the whole table expires,
	 * walked and deleted in batches. */
	if (!ASSERT_OK(flow_sweep(&F.m, NULL, &cfg, r), "sweep, all due"))
		goto out;
	ASSERT_EQ(r->scanned, present, "walked every entry");
	ASSERT_EQ(r->expired[FLOW_ST_udp], present, "every flow expired as udp");
	ASSERT_EQ(r->entries, 0, "table empty");
	ASSERT_EQ(map_count(F.m.flows), 0, "map empty");
	unit_log("sweep of %llu entries, all expired and deleted: %.1f ms\n",
		 (unsigned long long)r->scanned, r->duration_ns / 1e6);
out:
	free(keys);
	free(vals);
	free(r);
	flow_cleanup();
}
