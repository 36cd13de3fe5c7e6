// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The layout of `chimney top`, from crafted views: top_render() is a
 * pure function of a view and a size, so these tests need no terminal
 * and no BPF. At every size from 80x24 down to the minimum, no line
 * passes the width and the frame the height, sections go whole from
 * the last one up and the title names them; below the minimum, one
 * line says the terminal is too small. The bars follow the shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimney.h"
#include "flowtab.h"
#include "top.h"
#include "test.h"

/* The first line of each section, in order: how a test finds them. */
static const char *const sec_heads[] = {
	"CPU  ", "INSTANCE", "FLOWS", "bad csum/s:",
};
static const char *const sec_names[] = {
	"CPUs", "instances", "flows", "checksums",
};
#define NSEC 4

struct fixture {
	struct top_view v;
	struct top_cpu cpu[2];
	struct top_inst inst[4];
};

/* Two CPUs, four instances with flow tables, traffic everywhere. */
static void fixture_init(struct fixture *x)
{
	int i;

	memset(x, 0, sizeof(*x));
	x->v.interval = 1;
	x->v.have_rates = true;
	snprintf(x->v.clock, sizeof(x->v.clock), "12:00:00");
	x->v.scope = "all namespaces";
	x->v.ncpus = 2;
	x->v.cpu = x->cpu;
	x->v.ninst = 4;
	x->v.inst = x->inst;
	for (i = 0; i < 2; i++) {
		x->cpu[i].rx = 1000;
		x->cpu[i].landed = 1000;
		x->cpu[i].have_lost = x->cpu[i].have_softirq = true;
		x->cpu[i].softirq_pct = 10;
	}
	for (i = 0; i < 4; i++) {
		struct top_inst *in = &x->inst[i];

		snprintf(in->name, sizeof(in->name), "topns%d/veth%d", i, i);
		in->rate[CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_RX, HC_packets)] = 500;
		in->rate[GC_csum_bad_tcp] = 2;
		in->flow_on = true;
		in->entries = 100;
		in->size = 262144;
		in->have_stats = true;
	}
}

/* Which line starts section s; -1 if none does. */
static int find_sec(const struct top_frame *f, int s)
{
	int i;

	for (i = 1; i < f->n; i++)
		if (!strncmp(f->line[i].text, sec_heads[s],
			     strlen(sec_heads[s])))
			return i;
	return -1;
}

static bool fits(const struct top_frame *f, int rows, int cols)
{
	int i;

	if (f->n > rows) {
		unit_fail("%dx%d: %d lines", cols, rows, f->n);
		return false;
	}
	for (i = 0; i < f->n; i++)
		if ((int)strlen(f->line[i].text) > cols) {
			unit_fail("%dx%d: line %d is %zu long: '%s'", cols, rows,
				  i, strlen(f->line[i].text), f->line[i].text);
			return false;
		}
	return true;
}

static struct top_frame frame;

UNIT_TEST(top_render_80x24_has_every_section)
{
	struct fixture x;
	int s, at = 0, i;

	fixture_init(&x);
	top_render(&x.v, 24, 80, &frame);
	if (!fits(&frame, 24, 80))
		return;
	for (s = 0; s < NSEC; s++) {
		i = find_sec(&frame, s);
		if (!ASSERT_TRUE(i > at, sec_names[s]))
			break;
		at = i;
	}
	ASSERT_TRUE(!strstr(frame.line[0].text, "too short"), "nothing hidden");
	ASSERT_OK_PTR(strstr(frame.line[0].text, "12:00:00"), "clock in title");
	for (i = 0; i < frame.n; i++)
		unit_log("|%s|\n", frame.line[i].text);
}

/*
 * Every size between the minimum and 80x24: the frame fits, the
 * sections shown are in order, each one whole or (CPUs, instances)
 * cut with a "+N more" line, and every section not shown is named in
 * the title.
 */
UNIT_TEST(top_render_degrades_cleanly)
{
	struct fixture x;
	int rows, cols, s, i;
	char what[32];

	fixture_init(&x);
	for (cols = TOP_MIN_COLS; cols <= 80; cols += 5) {
		for (rows = TOP_MIN_ROWS; rows <= 24; rows++) {
			snprintf(what, sizeof(what), "%dx%d", cols, rows);
			top_render(&x.v, rows, cols, &frame);
			if (!fits(&frame, rows, cols) ||
			    !ASSERT_FALSE(frame.too_small, what) ||
			    !ASSERT_TRUE(find_sec(&frame, 0) >= 1, "CPUs always shown"))
				return;
			for (s = 0; s < NSEC; s++) {
				bool shown = find_sec(&frame, s) > 0;
				const char *h = strstr(frame.line[0].text,
						       "too short for ");
				bool named = h && strstr(h, sec_names[s]);

				if (shown == named) {
					unit_fail("%s: section %s shown %d, named in the title %d: '%s'",
						  what, sec_names[s], shown, named,
						  frame.line[0].text);
					for (i = 0; i < frame.n; i++)
						unit_log("|%s|\n", frame.line[i].text);
					return;
				}
			}
		}
	}
}

UNIT_TEST(top_render_too_small)
{
	static const int sizes[][2] = {
		{ TOP_MIN_COLS - 1, 24 }, { 80, TOP_MIN_ROWS - 1 }, { 20, 2 },
		{ 0, 0 },
	};
	struct fixture x;
	size_t k;

	fixture_init(&x);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int cols = sizes[k][0], rows = sizes[k][1];

		top_render(&x.v, rows, cols, &frame);
		if (!ASSERT_TRUE(frame.too_small, "too small") ||
		    !ASSERT_EQ(frame.n, 1, "one line") ||
		    !fits(&frame, 1, cols))
			return;
		if (cols >= 18)
			ASSERT_TRUE(!strncmp(frame.line[0].text, "terminal too small",
					     18), "says so");
	}
}

/* The CPU line of cpu i. */
static const struct top_line *cpu_line(const struct top_frame *f, int i)
{
	int at = find_sec(f, 0);

	return at > 0 && at + 1 + i < f->n ? &f->line[at + 1 + i] : NULL;
}

UNIT_TEST(top_render_bars_follow_the_shares)
{
	const struct top_line *l0, *l1;
	struct fixture x;
	int bar;

	fixture_init(&x);
	/* everything went into the stack on CPU 1 */
	x.cpu[0].landed = 0;
	x.cpu[1].landed = 4000;
	top_render(&x.v, 24, 80, &frame);
	l0 = cpu_line(&frame, 0);
	l1 = cpu_line(&frame, 1);
	if (!ASSERT_OK_PTR(l0, "CPU 0 line") || !ASSERT_OK_PTR(l1, "CPU 1 line"))
		return;
	bar = strchr(l1->text, ']') - l1->text - l1->bar_off;
	unit_log("|%s|\n|%s|\n", l0->text, l1->text);
	ASSERT_EQ(l0->bar_len, 0, "CPU 0: empty bar");
	ASSERT_EQ(l1->bar_len, bar, "CPU 1: full bar");
	ASSERT_EQ(l1->style, TOP_BAR_HOT, "CPU 1 is hot");
	ASSERT_EQ(l0->style, TOP_BAR, "CPU 0 is not");
	ASSERT_OK_PTR(strstr(l1->text, "] 100%"), "CPU 1: 100%");
	ASSERT_EQ(l1->text[l1->bar_off + bar - 1], '|', "filled with |");

	/* an even split: half each, neither hot */
	x.cpu[0].landed = x.cpu[1].landed = 2000;
	top_render(&x.v, 24, 80, &frame);
	l0 = cpu_line(&frame, 0);
	l1 = cpu_line(&frame, 1);
	ASSERT_EQ(l0->bar_len, (bar + 1) / 2, "CPU 0: half");
	ASSERT_EQ(l1->bar_len, (bar + 1) / 2, "CPU 1: half");
	ASSERT_EQ(l0->style, TOP_BAR, "CPU 0 not hot");
	ASSERT_EQ(l1->style, TOP_BAR, "CPU 1 not hot");

	/* before the first interval: dashes, no bar */
	x.v.have_rates = false;
	top_render(&x.v, 24, 80, &frame);
	l0 = cpu_line(&frame, 0);
	ASSERT_EQ(l0->bar_len, 0, "no rates: no bar");
	ASSERT_OK_PTR(strstr(l0->text, " - "), "no rates: dashes");
}

/* The device checksum lie column is there exactly when the counter is. */
UNIT_TEST(top_render_lie_column_follows_the_counter_list)
{
	bool exists = counter_index("csum_offload_lie") >= 0;
	struct fixture x;
	int at;

	fixture_init(&x);
	top_render(&x.v, 24, 80, &frame);
	at = find_sec(&frame, 1);
	if (!ASSERT_TRUE(at > 0, "instances shown"))
		return;
	unit_log("csum_offload_lie %s; |%s|\n", exists ? "exists" : "does not exist",
		 frame.line[at].text);
	ASSERT_EQ(strstr(frame.line[at].text, "lie/s") != NULL, exists,
		  "lie/s column");
}

UNIT_TEST(top_fmt_rate_table)
{
	static const struct {
		double r;
		const char *want;
	} rows[] = {
		{ 0, "0" }, { -3, "0" }, { 7.5, "7.5" }, { 7, "7" },
		{ 950, "950" }, { 9999, "9999" }, { 12345, "12.3k" },
		{ 4560000, "4.56M" }, { 2.5e9, "2.50G" },
	};
	char buf[16];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		top_fmt_rate(rows[i].r, buf, sizeof(buf));
		if (!ASSERT_TRUE(!strcmp(buf, rows[i].want), "top_fmt_rate"))
			unit_log("%g: '%s', want '%s'\n", rows[i].r, buf, rows[i].want);
		ASSERT_TRUE(strlen(buf) <= 6, "at most 6 characters");
	}
}

/* evicted = created - expired - entries, never below what was stored */
UNIT_TEST(top_flow_evictions_from)
{
	struct chimney_flow_stats st = {};

	st.expired_closed = 3;
	ASSERT_EQ(flow_evictions_from(10, 5, &st), 2ULL, "10 - 3 - 5");
	ASSERT_EQ(flow_evictions_from(7, 5, &st), 0ULL, "no underflow");
	st.flow_evictions = 4;
	ASSERT_EQ(flow_evictions_from(10, 5, &st), 4ULL, "never goes back");
}
