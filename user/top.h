/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `chimney top`: what one refresh shows, and the layout of a frame.
 *
 * top.c reads the maps and /proc/stat twice and turns the differences
 * into a struct top_view (rates per second, shares per CPU); the layout
 * is top_render(), a pure function of a view and a terminal size that
 * fills lines of text. The ncurses screen and `--once` print the same
 * frame, so what the e2e test reads under tmux is what the unit tests
 * (selftests/unit/test_top.c) lay out from crafted views: the sections
 * kept at each size, that no line passes the width, the bars.
 */
#ifndef CHIMNEY_USER_TOP_H
#define CHIMNEY_USER_TOP_H

#include <stdbool.h>
#include <limits.h>
#include <net/if.h>
#include <linux/types.h>

#include <chimney/counters.h>
#include <chimney/flow.h>

/* Below this a frame is one line saying so: nothing else fits whole. */
#define TOP_MIN_COLS	60
#define TOP_MIN_ROWS	5
/* What a frame can hold; a larger terminal shows this much. */
#define TOP_MAX_COLS	300
#define TOP_MAX_ROWS	200

/* One CPU, over the last interval. */
struct top_cpu {
	double rx;		/* rx_packets on it, /s */
	double steered;		/* steer_received on it, /s */
	/*
	 * Packets taken into the stack here: received and neither
	 * redirected away nor dropped, plus steered here. Its share of the
	 * sum over CPUs is the bar.
	 */
	double landed;
	double lost;		/* steer_to[cpu] - steer_received, /s */
	bool have_lost;		/* every instance shown has steer_to */
	double softirq_pct;	/* /proc/stat softirq / all time, this CPU */
	bool have_softirq;
};

/* One instance, over the last interval. */
struct top_inst {
	/* "NETNS/IFACE"; IFACE alone when every instance shown is in one
	 * namespace, which the title names */
	char name[IFNAMSIZ * 5 + 2];
	bool gone;			/* detached or re-attached meanwhile */
	double rate[CHIMNEY_NR_COUNTERS];	/* every counter, /s */
	double qloss;			/* steer_redirect - steer_received, /s */
	bool flow_on;			/* flow=on, or entries left in the table */
	__u64 entries, size;		/* flow table occupancy */
	double evicted;			/* /s, from flow_evictions_from() */
	double expired[FLOW_ST_MAX];	/* /s, by reason (chimney run's sweeps) */
	bool have_stats;		/* flow_stats readable */
};

struct top_view {
	double interval;	/* seconds between the two reads */
	bool have_rates;	/* false on the first read: "-" everywhere */
	char clock[16];		/* HH:MM:SS of the second read */
	int ncpus;
	struct top_cpu *cpu;
	int ninst;
	struct top_inst *inst;
	const char *scope;	/* what is shown: "namespace X", "all namespaces" */
	bool interactive;	/* keys work: the title says q quits */
};

enum top_style {
	TOP_PLAIN,
	TOP_TITLE,		/* the first line: reverse video */
	TOP_HEAD,		/* a section's column titles: bold */
	TOP_BAR,		/* a CPU line; bar_off/bar_len: the filled part */
	TOP_BAR_HOT,		/* the same, a CPU taking most of the packets */
};

struct top_line {
	char text[TOP_MAX_COLS + 1];
	enum top_style style;
	int bar_off, bar_len;
};

struct top_frame {
	int n;
	struct top_line line[TOP_MAX_ROWS];
	int cols;		/* the width it was laid out for */
	bool too_small;		/* one line: the terminal is too small */
};

/*
 * Lay out v for a rows x cols terminal (clamped to TOP_MAX_*): the
 * title, then the CPUs, the instances' rates, the flow table and the
 * bad checksums by reason, dropping whole sections from the last one
 * up when they do not fit (the title says which); below TOP_MIN_COLS x
 * TOP_MIN_ROWS one line that says the terminal is too small. No line is
 * longer than cols.
 */
void top_render(const struct top_view *v, int rows, int cols,
		struct top_frame *f);

/* Rate as at most 6 characters: 0, 7.5, 950, 12.3k, 4.56M. */
void top_fmt_rate(double r, char *buf, size_t len);

#endif /* CHIMNEY_USER_TOP_H */
