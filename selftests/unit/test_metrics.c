// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus exposition of `chimney run`, from crafted snapshots:
 * metrics_render() is a pure function, so these tests need neither
 * HTTP nor BPF. They pin the exact sample lines (labels, escaping,
 * which counters are split by CPU), and check the text the way
 * Prometheus parses it: every family has one HELP and one TYPE line,
 * in that order, before its samples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimney.h"
#include "flowtab.h"
#include "log.h"
#include "metrics.h"
#include "test.h"

/*
 * Families besides the counter list: flow_sweeps, flow_evictions,
 * flow_expired, flow_sweep_seconds, flow_sweep_duration, flow_entries,
 * flow_table_size, flow_occupancy_ratio, steer_cpus, run_instances,
 * run_sweep_interval.
 */
#define DAEMON_FAMILIES	11

struct expo {
	char *buf;
	size_t len;
};

static bool render(struct expo *e, const struct snapshot *s, size_t n,
		   double interval)
{
	FILE *f;

	e->buf = NULL;
	e->len = 0;
	f = open_memstream(&e->buf, &e->len);
	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return false;
	metrics_render(f, s, n, interval);
	fclose(f);
	return true;
}

/* How many lines of e are line, or with prefix, start with it. */
static int count_lines(const struct expo *e, const char *line, bool prefix)
{
	size_t l = strlen(line);
	const char *p = e->buf;
	int n = 0;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		n += (prefix ? len >= l : len == l) && !memcmp(p, line, l);
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static int count_line(const struct expo *e, const char *line)
{
	return count_lines(e, line, false);
}

static int count_prefix(const struct expo *e, const char *prefix)
{
	return count_lines(e, prefix, true);
}

#define EXPECT_LINE(e, line) ({						\
	int ___n = count_line((e), (line));				\
	if (___n != 1)							\
		unit_fail("line '%s' appears %d times, expected once",	\
			  (line), ___n);				\
	___n == 1;							\
})

/*
 * The text format's structure: "# HELP name ..." then "# TYPE name
 * counter|gauge", once per name, then samples of that name only. Returns
 * the number of families.
 */
static int check_structure(const struct expo *e)
{
	char fam[160] = "", name[160], **seen = NULL;
	const char *p = e->buf;
	int nfam = 0, lineno = 0, i;
	bool want_type = false;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		char line[1024];

		lineno++;
		if (!nl) {
			unit_fail("line %d does not end in a newline", lineno);
			break;
		}
		snprintf(line, sizeof(line), "%.*s", len, p);
		p = nl + 1;
		if (!strncmp(line, "# HELP ", 7)) {
			if (want_type)
				unit_fail("line %d: HELP without TYPE before it", lineno);
			if (sscanf(line + 7, "%159s", fam) != 1)
				unit_fail("line %d: HELP without a name", lineno);
			for (i = 0; i < nfam; i++)
				if (!strcmp(seen[i], fam))
					unit_fail("line %d: family %s again", lineno, fam);
			seen = realloc(seen, (nfam + 1) * sizeof(*seen));
			seen[nfam++] = strdup(fam);
			want_type = true;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[16] = "";

			if (!want_type ||
			    sscanf(line + 7, "%159s %15s", name, type) != 2 ||
			    strcmp(name, fam) ||
			    (strcmp(type, "counter") && strcmp(type, "gauge")))
				unit_fail("line %d: '%s' is not the TYPE of %s",
					  lineno, line, fam);
			want_type = false;
			continue;
		}
		/* a sample: NAME{labels} VALUE or NAME VALUE */
		snprintf(name, sizeof(name), "%.*s",
			 (int)strcspn(line, "{ "), line);
		if (want_type || strcmp(name, fam))
			unit_fail("line %d: sample '%s' outside its family %s",
				  lineno, line, fam);
	}
	for (i = 0; i < nfam; i++)
		free(seen[i]);
	free(seen);
	return nfam;
}

/* What chimney run adds: the first instance's flow families, and its own. */
static const char *const daemon_lines[] = {
	"# HELP chimney_flow_sweeps_total Sweeps of the flow table by chimney run",
	"# TYPE chimney_flow_sweeps_total counter",
	"chimney_flow_sweeps_total{netns=\"default\",ifname=\"eth0\"} 4",
	"chimney_flow_evictions_total{netns=\"default\",ifname=\"eth0\"} 1",
	"# HELP chimney_flow_expired_total Flows chimney run expired, by reason: the state whose idle timeout ran out (flow.timeout.*)",
	"# TYPE chimney_flow_expired_total counter",
	"chimney_flow_expired_total{netns=\"default\",ifname=\"eth0\",reason=\"closed\"} 2",
	"chimney_flow_expired_total{netns=\"default\",ifname=\"eth0\",reason=\"udp\"} 6",
	"chimney_flow_expired_total{netns=\"default\",ifname=\"eth0\",reason=\"other\"} 0",
	"# TYPE chimney_flow_sweep_seconds_total counter",
	"chimney_flow_sweep_seconds_total{netns=\"default\",ifname=\"eth0\"} 1.500000",
	"# TYPE chimney_flow_sweep_duration_seconds gauge",
	"chimney_flow_sweep_duration_seconds{netns=\"default\",ifname=\"eth0\"} 0.002500",
	"# TYPE chimney_flow_entries gauge",
	"chimney_flow_entries{netns=\"default\",ifname=\"eth0\"} 3",
	"chimney_flow_table_size{netns=\"default\",ifname=\"eth0\"} 4096",
	"chimney_flow_occupancy_ratio{netns=\"default\",ifname=\"eth0\"} 0.000732",
	"# TYPE chimney_steer_cpus gauge",
	"chimney_steer_cpus{netns=\"default\",ifname=\"eth0\"} 2",
	"# TYPE chimney_run_instances gauge",
	"chimney_run_instances 3",
	"# HELP chimney_run_sweep_interval_seconds Time until the next sweep (adapts to the expiry rate)",
	"chimney_run_sweep_interval_seconds 0.250",
};

static void help_line(char *buf, size_t len, const char *ctr)
{
	snprintf(buf, len, "# HELP chimney_%s_total %s", ctr,
		 counter_descs[counter_index(ctr)].help);
}

/*
 * Three instances: one with every number, one whose maps could not be
 * read and whose names need escaping, one with a count but no known
 * capacity.
 */
UNIT_TEST(metrics_render_exposition)
{
	int rx_pk = counter_index("rx_packets"), tx_by = counter_index("tx_bytes");
	int rx_v4 = counter_index("rx_ipv4"), st_rx = counter_index("steer_received");
	int xdp_ab = counter_index("xdp_aborted");
	struct snapshot s[3] = {};
	char line[512];
	struct expo e;
	__u64 *pc;
	size_t i;

	if (!ASSERT_TRUE(rx_pk >= 0 && tx_by >= 0 && rx_v4 >= 0 && st_rx >= 0 &&
			 xdp_ab >= 0, "counter names"))
		return;
	pc = calloc(2 * CHIMNEY_NR_COUNTERS, sizeof(*pc));
	if (!ASSERT_OK_PTR(pc, "alloc"))
		return;
	strcpy(s[0].netns, "default");
	strcpy(s[0].ifname, "eth0");
	s[0].have_counters = true;
	s[0].ncpus = 2;
	s[0].per_cpu = pc;
	pc[0 * CHIMNEY_NR_COUNTERS + rx_pk] = 5;
	pc[1 * CHIMNEY_NR_COUNTERS + rx_pk] = 7;
	pc[1 * CHIMNEY_NR_COUNTERS + tx_by] = 1500;
	pc[0 * CHIMNEY_NR_COUNTERS + st_rx] = 11;
	s[0].sums[rx_pk] = 12;
	s[0].sums[tx_by] = 1500;
	s[0].sums[st_rx] = 11;
	s[0].sums[rx_v4] = 3;
	/* a sum that is not the rows' sum: a summed series shows sums[] */
	s[0].sums[xdp_ab] = 9;
	s[0].have_stats = true;
	s[0].st.flow_sweeps = 4;
	s[0].st.flow_evictions = 1;
	s[0].st.expired_closed = 2;
	s[0].st.expired_udp = 6;
	s[0].st.sweep_ns_total = 1500000000;
	s[0].st.sweep_ns_last = 2500000;
	s[0].have_entries = true;
	s[0].entries = 3;
	s[0].size = 4096;
	s[0].have_config = true;
	s[0].steer_cpus = 2;
	/* netns: a", ifname: a\b<newline>c */
	strcpy(s[1].netns, "ns\"1");
	strcpy(s[1].ifname, "a\\b\nc");
	strcpy(s[2].netns, "default");
	strcpy(s[2].ifname, "eth1");
	s[2].have_entries = true;

	if (!render(&e, s, 3, 0.25))
		goto out;
	if (unit_verbose())
		unit_log("%s", e.buf);

	ASSERT_EQ(check_structure(&e), CHIMNEY_NR_COUNTERS + DAEMON_FAMILIES,
		  "families");

	/* per-hook packets and bytes, and steering: one series per CPU */
	help_line(line, sizeof(line), "rx_packets");
	EXPECT_LINE(&e, line);
	EXPECT_LINE(&e, "# TYPE chimney_rx_packets_total counter");
	EXPECT_LINE(&e, "chimney_rx_packets_total{netns=\"default\",ifname=\"eth0\",cpu=\"0\"} 5");
	EXPECT_LINE(&e, "chimney_rx_packets_total{netns=\"default\",ifname=\"eth0\",cpu=\"1\"} 7");
	ASSERT_EQ(count_prefix(&e, "chimney_rx_packets_total{"), 2, "rx_packets: 2 CPUs, no sum");
	EXPECT_LINE(&e, "chimney_tx_bytes_total{netns=\"default\",ifname=\"eth0\",cpu=\"0\"} 0");
	EXPECT_LINE(&e, "chimney_tx_bytes_total{netns=\"default\",ifname=\"eth0\",cpu=\"1\"} 1500");
	EXPECT_LINE(&e, "chimney_steer_received_total{netns=\"default\",ifname=\"eth0\",cpu=\"0\"} 11");
	EXPECT_LINE(&e, "chimney_steer_received_total{netns=\"default\",ifname=\"eth0\",cpu=\"1\"} 0");
	ASSERT_EQ(count_prefix(&e, "chimney_steer_received_total{"), 2, "steer_received: per CPU");
	/* everything else: summed, one series per instance */
	help_line(line, sizeof(line), "rx_ipv4");
	EXPECT_LINE(&e, line);
	EXPECT_LINE(&e, "chimney_rx_ipv4_total{netns=\"default\",ifname=\"eth0\"} 3");
	ASSERT_EQ(count_prefix(&e, "chimney_rx_ipv4_total{"), 1, "rx_ipv4: summed");
	EXPECT_LINE(&e, "chimney_xdp_aborted_total{netns=\"default\",ifname=\"eth0\"} 9");
	ASSERT_EQ(count_prefix(&e, "chimney_rx_ipv4_total{netns=\"ns"), 0,
		  "no counters of an instance whose counters were not read");

	/* the daemon's counts */
	for (i = 0; i < sizeof(daemon_lines) / sizeof(daemon_lines[0]); i++)
		EXPECT_LINE(&e, daemon_lines[i]);
	ASSERT_EQ(count_prefix(&e, "chimney_flow_expired_total{"), FLOW_ST_MAX,
		  "one expiry series per state");

	/* Label values escape backslash, double quote and newline; the
	 * capacity is shown even when nothing else could be read. */
	EXPECT_LINE(&e, "chimney_flow_table_size{netns=\"ns\\\"1\",ifname=\"a\\\\b\\nc\"} 0");
	ASSERT_EQ(count_prefix(&e, "chimney_flow_table_size{"), 3, "table size of all");
	ASSERT_EQ(count_prefix(&e, "chimney_flow_sweeps_total{"), 1,
		  "no flow_stats of the unread instance");
	ASSERT_EQ(count_prefix(&e, "chimney_flow_entries{netns=\"ns"), 0,
		  "no occupancy of the unread instance");
	/* a count without a capacity: no ratio (no division by 0) */
	EXPECT_LINE(&e, "chimney_flow_entries{netns=\"default\",ifname=\"eth1\"} 0");
	EXPECT_LINE(&e, "chimney_flow_table_size{netns=\"default\",ifname=\"eth1\"} 0");
	ASSERT_EQ(count_prefix(&e, "chimney_flow_occupancy_ratio{"), 1,
		  "a ratio only with entries and size");
	ASSERT_EQ(count_prefix(&e, "chimney_steer_cpus{"), 1,
		  "cpus= only where the config was read");
	free(e.buf);
out:
	free(pc);
}

/* No instance: every family still has HELP and TYPE, and no sample but
 * the daemon's own. */
UNIT_TEST(metrics_render_no_instances)
{
	struct expo e;

	if (!render(&e, NULL, 0, 10))
		return;
	ASSERT_EQ(check_structure(&e), CHIMNEY_NR_COUNTERS + DAEMON_FAMILIES,
		  "families");
	ASSERT_EQ(count_prefix(&e, "chimney_"), 2, "two samples");
	EXPECT_LINE(&e, "chimney_run_instances 0");
	EXPECT_LINE(&e, "chimney_run_sweep_interval_seconds 10.000");
	free(e.buf);
}

/*
 * The exporter's log lines are rate-limited (log_ratelimit(), as its
 * server's messages use it): a burst per window, the rest counted and
 * handed back once, when the window is over, by the next message or by
 * the flush.
 */
UNIT_TEST(log_ratelimit_window)
{
	const __u64 s = 1000000000ULL, t0 = 5 * s;
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(60 * s, 3);
	unsigned long missed = 99;
	int i, ok = 0;

	for (i = 0; i < 1000; i++) {
		ok += log_ratelimit(&rl, t0 + i * 1000000ULL, &missed);
		if (!ASSERT_EQ(missed, 0, "nothing handed back within the window"))
			return;
	}
	ASSERT_EQ(ok, 3, "a burst of 3 in the window");
	ASSERT_EQ(log_ratelimit_missed(&rl, t0 + 59 * s), 0,
		  "the window still lasts: no count yet");
	/* the first message of the next window says what the last hid */
	ASSERT_TRUE(log_ratelimit(&rl, t0 + 60 * s, &missed), "new window");
	ASSERT_EQ(missed, 997, "suppressed in the first window");
	ASSERT_TRUE(log_ratelimit(&rl, t0 + 61 * s, &missed), "2nd of 3");
	ASSERT_TRUE(log_ratelimit(&rl, t0 + 62 * s, &missed), "3rd of 3");
	ASSERT_FALSE(log_ratelimit(&rl, t0 + 63 * s, &missed), "4th");
	ASSERT_FALSE(log_ratelimit(&rl, t0 + 64 * s, &missed), "5th");
	/* no message follows: the flush tells it, once */
	ASSERT_EQ(log_ratelimit_missed(&rl, t0 + 119 * s), 0, "window lasts");
	ASSERT_EQ(log_ratelimit_missed(&rl, t0 + 120 * s), 2, "flushed");
	ASSERT_EQ(log_ratelimit_missed(&rl, t0 + 121 * s), 0, "only once");
	ASSERT_TRUE(log_ratelimit(&rl, t0 + 500 * s, &missed), "quiet since");
	ASSERT_EQ(missed, 0, "nothing was missed");
}
