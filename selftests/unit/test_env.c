// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The test environment itself: both programs load from the skeletons
 * and share one set of maps, the counter layout agrees between BPF and
 * user space, and the checking helpers do fail when they should, so a
 * passing parse test means something.
 */
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "config.h"
#include "env.h"
#include "pkt_builder.h"
#include "test.h"

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

UNIT_TEST(env_xdp_loads)
{
	ASSERT_TRUE(env_prog_fd(UNIT_XDP) >= 0, "XDP program fd");
}

UNIT_TEST(env_tc_loads_and_shares_maps)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), i, ids[64];
	int fd, xfd;
	__u32 cfg_id, ctr_id;
	bool cfg_seen = false, ctr_seen = false;

	xfd = env_prog_fd(UNIT_XDP);
	fd = env_prog_fd(UNIT_TC);
	if (!ASSERT_TRUE(fd >= 0 && xfd >= 0, "both programs loaded"))
		return;
	/* The TC program must use the very maps the tests read, which
	 * are the instance's, as `chimney attach` loads them. */
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (!ASSERT_OK(bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0,
		       "TC program info"))
		return;
	cfg_id = map_id(env_config_fd());
	ctr_id = map_id(env_counters_fd());
	for (i = 0; i < info.nr_map_ids && i < 64; i++) {
		cfg_seen |= ids[i] == cfg_id;
		ctr_seen |= ids[i] == ctr_id;
	}
	ASSERT_TRUE(cfg_seen, "TC program uses the shared config map");
	ASSERT_TRUE(ctr_seen, "TC program uses the shared counters map");
	ASSERT_EQ(info.type, BPF_PROG_TYPE_SCHED_CLS, "TC program type");
}

UNIT_TEST(env_counters_layout)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int i, fd;

	if (env_prog_fd(UNIT_XDP) < 0)
		return;
	fd = env_counters_fd();
	if (!ASSERT_OK(bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0,
		       "counters map info"))
		return;
	ASSERT_EQ(info.type, BPF_MAP_TYPE_PERCPU_ARRAY, "counters map type");
	ASSERT_EQ(info.value_size, sizeof(struct chimney_counters),
		  "counters value size");
	ASSERT_EQ(info.value_size, CHIMNEY_NR_COUNTERS * sizeof(__u64),
		  "one __u64 per counter");
	/* Names are the test's handle on counters: unique, and each one
	 * resolves back to its own slot. */
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		ASSERT_EQ(counter_index(counter_descs[i].name), i,
			  counter_descs[i].name);
	ASSERT_EQ(counter_index("rx_packets"),
		  CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_RX, HC_packets), "rx_packets");
	ASSERT_EQ(counter_index("tx_parse_vxlan_truncated"),
		  CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_TX, HC_parse_vxlan_truncated),
		  "tx_parse_vxlan_truncated");
	ASSERT_TRUE(counter_index("rx_no_such_counter") < 0, "unknown name");
}

UNIT_TEST(env_config_roundtrip)
{
	struct chimney_config cfg, back;
	char err[128];
	__u32 zero = 0;

	if (env_prog_fd(UNIT_XDP) < 0)
		return;
	config_defaults(&cfg);
	if (!ASSERT_OK(config_apply_one(&cfg, "vxlan.ports", "8472,4790",
					err, sizeof(err)), err))
		return;
	if (!ASSERT_OK(env_config_write(&cfg), "write config"))
		return;
	if (!ASSERT_OK(bpf_map_lookup_elem(env_config_fd(), &zero, &back) ?
		       -errno : 0, "read config"))
		return;
	ASSERT_MEMEQ(&back, &cfg, sizeof(cfg), "config map contents");
	ASSERT_EQ(back.vxlan_ports[0], 8472, "first port, host order");
	ASSERT_OK(env_config_write(NULL), "restore defaults");
}

/* The delta helper must fail on every kind of mismatch. */
UNIT_TEST(env_expect_deltas_fails_when_it_should)
{
	__u64 before[CHIMNEY_NR_COUNTERS] = {}, after[CHIMNEY_NR_COUNTERS] = {};
	int ipv4 = counter_index("rx_ipv4"), tcp = counter_index("tx_tcp");
	const struct ctr_delta good[] = { { "rx_ipv4", 2 }, { "tx_tcp", 1 } };
	const struct ctr_delta wrong[] = { { "rx_ipv4", 1 }, { "tx_tcp", 1 } };
	const struct ctr_delta missing[] = { { "rx_ipv4", 2 } };
	const struct ctr_delta unmoved[] = { { "rx_ipv4", 2 }, { "tx_tcp", 1 },
					     { "rx_udp", 1 } };
	const struct ctr_delta unknown[] = { { "rx_ipv4", 2 }, { "tx_tcp", 1 },
					     { "rx_bogus", 0 } };
	const struct ctr_delta twice[] = { { "rx_ipv4", 2 }, { "tx_tcp", 1 },
					   { "rx_ipv4", 2 } };

	if (!ASSERT_TRUE(ipv4 >= 0 && tcp >= 0, "counter names"))
		return;
	before[ipv4] = 10;
	after[ipv4] = 12;
	before[tcp] = 5;
	after[tcp] = 6;

	ASSERT_TRUE(expect_deltas(before, after, good, 2), "exact deltas pass");

	unit_mute_begin();
	expect_deltas(before, after, wrong, 2);
	ASSERT_TRUE(unit_mute_end(), "a wrong delta fails");

	unit_mute_begin();
	expect_deltas(before, after, missing, 1);
	ASSERT_TRUE(unit_mute_end(), "an unlisted counter that moved fails");

	unit_mute_begin();
	expect_deltas(before, after, unmoved, 3);
	ASSERT_TRUE(unit_mute_end(), "a listed counter that did not move fails");

	unit_mute_begin();
	expect_deltas(before, after, unknown, 3);
	ASSERT_TRUE(unit_mute_end(), "an unknown counter name fails");

	unit_mute_begin();
	expect_deltas(before, after, twice, 3);
	ASSERT_TRUE(unit_mute_end(), "a counter listed twice fails");
}

/*
 * End to end: a real run of Ether()/IP()/TCP() through XDP with a wrong
 * expectation, and with the right one against the other hook's counters,
 * must both fail; the right expectation must pass.
 */
UNIT_TEST(env_wrong_expectation_fails)
{
	const struct ctr_delta right[] = { { "ipv4", 1 }, { "tcp", 1 }, {} };
	const struct ctr_delta wrong[] = { { "ipv4", 1 }, { "udp", 1 }, {} };
	const struct ctr_delta less[] = { { "ipv4", 1 }, {} };
	struct chimney_config cfg;
	char err[128];
	struct pb b;

	/* parser counters only: no checksum stage */
	config_defaults(&cfg);
	if (!ASSERT_OK(config_apply_one(&cfg, "csum", "off", err, sizeof(err)), err))
		return;
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, NULL);
	pb_tcp(&b, NULL);
	pb_finish(&b);

	if (!ASSERT_TRUE(env_run_expect(UNIT_XDP, b.data, b.len, &cfg, right),
			 "the right expectation passes"))
		return;

	unit_mute_begin();
	env_run_expect(UNIT_XDP, b.data, b.len, &cfg, wrong);
	ASSERT_TRUE(unit_mute_end(), "udp instead of tcp fails");

	unit_mute_begin();
	env_run_expect(UNIT_XDP, b.data, b.len, &cfg, less);
	ASSERT_TRUE(unit_mute_end(), "leaving out rx_tcp fails");
}

/*
 * XDP sees a frame shorter than Ethernet as the linear part of a
 * multi-buffer frame; check that it really sees the short frame
 * (rx_bytes is data_end - data) and that the fragment comes back too.
 */
UNIT_TEST(env_short_frame_via_xdp_frags)
{
	const struct ctr_delta exp[] = { { "parse_eth_truncated", 1 }, {} };
	static const __u8 frame[6] = { 1, 2, 3, 4, 5, 6 };

	ASSERT_TRUE(env_run_expect(UNIT_XDP, frame, sizeof(frame), NULL, exp),
		    "6-byte frame");
}
