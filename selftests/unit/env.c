// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The programs under test, loaded by the instance loader once per run,
 * and the helpers that feed them packets and check verdict, output bytes and
 * counters. See env.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "config.h"
#include "env.h"
#include "instance.h"
#include "test.h"
#include "trace_pcap.h"

/* The kernel refuses test input shorter than an Ethernet header. */
#define ETH_HLEN_MIN	14

static struct instance inst;
static bool loaded;
static int load_err;	/* sticky: report, don't retry */
static struct trace_pcap *pcap;

/*
 * Through the instance loader, as `chimney attach` loads: TC first, its
 * maps shared with the cpumap and XDP objects, the default config
 * committed. Load only: libbpf loads the XDP object here, where attach
 * leaves that to libxdp.
 */
static int env_load(void)
{
	struct instance_opts opts = { .verb = "unit", .load_only = true };
	struct chimney_config cfg;
	int err;

	if (loaded)
		return 0;
	if (load_err)
		return load_err;
	config_defaults(&cfg);
	err = instance_open(&inst, &opts);
	if (!err)
		err = instance_load(&inst);
	if (!err)
		err = instance_commit(&inst, &cfg);
	if (err) {
		instance_close(&inst);
		load_err = err;
		return err;
	}
	loaded = true;
	return 0;
}

struct instance *env_instance(void)
{
	return env_load() ? NULL : &inst;
}

int env_prog_fd(enum unit_hook hook)
{
	int err = env_load();

	if (!ASSERT_OK(err, "instance open/load/commit (unit)"))
		return err;
	return inst.progs[hook == UNIT_XDP ? INSTANCE_XDP : INSTANCE_TC].fd;
}

int env_config_fd(void)
{
	return loaded ? inst.maps.config : -ENOENT;
}

int env_counters_fd(void)
{
	return loaded ? inst.maps.counters : -ENOENT;
}

int env_map_fd(const char *name)
{
	struct bpf_map *m;
	int i;

	for (i = 0; loaded && i < INSTANCE_NR_PROGS; i++) {
		m = bpf_object__find_map_by_name(inst.progs[i].obj, name);
		if (m)
			return bpf_map__fd(m);
	}
	return -ENOENT;
}

int env_config_write(const struct chimney_config *cfg)
{
	struct chimney_config def;
	__u32 zero = 0;
	int fd = env_config_fd();

	if (fd < 0)
		return fd;
	if (!cfg) {
		config_defaults(&def);
		cfg = &def;
	}
	return bpf_map_update_elem(fd, &zero, cfg, BPF_ANY) ? -errno : 0;
}

int env_counters_read(__u64 *sums)
{
	int fd = env_counters_fd();

	if (fd < 0)
		return fd;
	return counters_read(fd, sums, NULL, NULL);
}

bool expect_deltas(const __u64 *before, const __u64 *after,
		   const struct ctr_delta *exp, int n)
{
	__s64 want[CHIMNEY_NR_COUNTERS] = {};
	bool named[CHIMNEY_NR_COUNTERS] = {};
	bool ok = true;
	int i, idx;

	for (i = 0; i < n; i++) {
		idx = counter_index(exp[i].name);
		if (idx < 0) {
			unit_fail("expected counter '%s' does not exist",
				  exp[i].name);
			ok = false;
			continue;
		}
		if (named[idx]) {
			unit_fail("counter '%s' expected twice", exp[i].name);
			ok = false;
			continue;
		}
		named[idx] = true;
		want[idx] = exp[i].delta;
	}
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		__s64 got = (__s64)(after[i] - before[i]);

		if (got == want[i])
			continue;
		/* The counter name says it all; no source location. */
		unit_fail_at(NULL, 0, "counter %s: %+lld, expected %+lld",
			     counter_descs[i].name, (long long)got,
			     (long long)want[i]);
		ok = false;
	}
	return ok;
}

/* -w: every frame the tests run, into a pcap (user/trace_pcap.c). */
int env_pcap_open(const char *path)
{
	char err[256];

	pcap = trace_pcap_open(path, 65535, err, sizeof(err));
	if (!pcap) {
		fprintf(stderr, "unit: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static void pcap_write(const void *frame, size_t len)
{
	struct timespec ts;

	if (!pcap)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	trace_pcap_write(pcap, ts.tv_sec * 1000000000LL + ts.tv_nsec, frame,
			 len, len);
}

void env_cleanup(void)
{
	trace_pcap_close(pcap);
	pcap = NULL;
	if (loaded)
		instance_close(&inst);
	loaded = false;
}

bool env_run_pass(enum unit_hook hook, const void *frame, size_t len)
{
	__u8 in[PB_MAX_LEN + ETH_HLEN_MIN], out[PB_MAX_LEN + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct xdp_md md = {};
	__u32 want_ret;
	size_t frag = 0;
	int fd, err;

	fd = env_prog_fd(hook);
	if (fd < 0)
		return false;
	if (!ASSERT_TRUE(len <= PB_MAX_LEN, "frame size"))
		return false;
	if (len < ETH_HLEN_MIN) {
		if (!ASSERT_EQ(hook, UNIT_XDP,
			       "frames below 14 bytes only run through XDP"))
			return false;
		/* data_end below data_size_in: the kernel puts the rest
		 * of the input into a fragment, and data..data_end, all
		 * the program reads, is the short frame. */
		frag = ETH_HLEN_MIN;
		md.data = 0;
		md.data_end = len;
		opts.ctx_in = &md;
		opts.ctx_size_in = sizeof(md);
	}
	memcpy(in, frame, len);
	memset(in + len, 0x5a, frag);
	pcap_write(frame, len);

	opts.data_in = in;
	opts.data_size_in = len + frag;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(fd, &opts);
	if (!ASSERT_OK(err ? -errno : 0, "bpf_prog_test_run_opts"))
		return false;

	want_ret = hook == UNIT_XDP ? XDP_PASS : (__u32)TC_ACT_UNSPEC;
	if (!ASSERT_EQ((__s32)opts.retval, (__s32)want_ret, "verdict"))
		return false;
	/* The parser must never change a packet. */
	if (!ASSERT_EQ(opts.data_size_out, len + frag, "output length"))
		return false;
	return ASSERT_MEMEQ(out, in, len + frag, "output packet");
}

bool env_run_expect(enum unit_hook hook, const void *frame, size_t len,
		    const struct chimney_config *cfg,
		    const struct ctr_delta *exp)
{
	const char *pfx = hook == UNIT_XDP ? "rx_" : "tx_";
	static char names[64][64];
	struct ctr_delta full[64];
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	int n = 0, i;
	bool ok;

	if (env_prog_fd(hook) < 0)
		return false;
	if (!ASSERT_OK(env_config_write(cfg), "write config map"))
		return false;

	snprintf(names[n], sizeof(names[n]), "%spackets", pfx);
	full[n] = (struct ctr_delta){ names[n], 1 };
	n++;
	snprintf(names[n], sizeof(names[n]), "%sbytes", pfx);
	full[n] = (struct ctr_delta){ names[n], len };
	n++;
	for (i = 0; exp && exp[i].name; i++) {
		if (!ASSERT_TRUE(n < 64, "expected-counter list size"))
			return false;
		snprintf(names[n], sizeof(names[n]), "%s%s", pfx, exp[i].name);
		full[n] = (struct ctr_delta){ names[n], exp[i].delta };
		n++;
	}

	if (!ASSERT_OK(env_counters_read(before), "read counters"))
		return false;
	ok = env_run_pass(hook, frame, len);
	if (!ASSERT_OK(env_counters_read(after), "read counters"))
		return false;
	/* Check the counters even after a bad verdict: both help. */
	return expect_deltas(before, after, full, n) && ok;
}
