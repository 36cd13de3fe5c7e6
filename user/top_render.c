// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The layout of `chimney top`: a view (top.h) in, lines of text out.
 *
 * Sections, in order: the CPUs (where packets went into the stack,
 * with what XDP received, what was steered there, what its queue lost
 * and its softirq time), the instances (rates of the counters an
 * operator watches), the flow table, the bad checksums by reason. Each
 * is laid out whole and kept only if it fits, from the first down, so
 * a short terminal loses the last sections first, never half a line;
 * the CPUs and instances may instead lose their last rows to a "+N
 * more" line. The title names what was left out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimney.h"
#include "flowtab.h"
#include "top.h"

/* A CPU that takes this share of the packets or more is "hot". */
#define TOP_HOT_SHARE	0.8
#define BAR_MIN		10

void top_fmt_rate(double r, char *buf, size_t len)
{
	if (r < 0)
		r = 0;
	if (r == 0)
		snprintf(buf, len, "0");
	else if (r < 10 && r != (double)(long long)r)
		snprintf(buf, len, "%.1f", r);
	else if (r < 10000)
		snprintf(buf, len, "%.0f", r);
	else if (r < 1e6)
		snprintf(buf, len, "%.1fk", r / 1e3);
	else if (r < 1e9)
		snprintf(buf, len, "%.2fM", r / 1e6);
	else
		snprintf(buf, len, "%.2fG", r / 1e9);
}

/* A count (not a rate) in at most 7 characters. */
static void fmt_count(__u64 n, char *buf, size_t len)
{
	if (n < 10000000)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1fM", n / 1e6);
}

/* The next line of f, empty, or NULL when f is full. */
static struct top_line *add(struct top_frame *f, enum top_style style)
{
	struct top_line *l;

	if (f->n >= TOP_MAX_ROWS)
		return NULL;
	l = &f->line[f->n++];
	memset(l, 0, sizeof(*l));
	l->style = style;
	return l;
}

/* Append to l, cut at cols: a line never passes the width. */
static void put(struct top_line *l, int cols, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(struct top_line *l, int cols, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!l)
		return;
	n = strlen(l->text);
	if ((int)n >= cols)
		return;
	va_start(ap, fmt);
	vsnprintf(l->text + n, cols - n + 1, fmt, ap);
	va_end(ap);
}

/* An instance's name in a column of width w: one too long keeps its
 * end, the interface, behind a ~. */
static void put_name(struct top_line *l, int cols, const char *name, int w)
{
	size_t len = strlen(name);

	if ((int)len > w)
		put(l, cols, "~%s", name + len - (w - 1));
	else
		put(l, cols, "%-*s", w, name);
}

static void rate_or_dash(const struct top_view *v, double r, bool have,
			 char *buf, size_t len)
{
	if (!v->have_rates || !have)
		snprintf(buf, len, "-");
	else
		top_fmt_rate(r, buf, len);
}

/* ---- CPUs -------------------------------------------------------- */

#define CPU_LEFT	5	/* "%3d [" */
#define CPU_RIGHT	34	/* " %7s %9s %7s %7s" */
#define CPU_PCT		6	/* "] 100%" */

static int sec_cpus(const struct top_view *v, struct top_frame *f, int cols)
{
	int bar = cols - CPU_LEFT - CPU_PCT - CPU_RIGHT, i, k, fill;
	double sum = 0, share;
	struct top_line *l;
	char a[16], b[16], c[16], d[16];

	if (bar < BAR_MIN)
		bar = BAR_MIN;
	for (i = 0; i < v->ncpus; i++)
		sum += v->cpu[i].landed;
	l = add(f, TOP_HEAD);
	put(l, cols, "%-*.*s", CPU_LEFT + bar + CPU_PCT, CPU_LEFT + bar + CPU_PCT,
	    "CPU  where packets entered the stack");
	put(l, cols, " %7s %9s %7s %7s", "rx/s", "steered/s", "lost/s", "softirq");
	for (i = 0; i < v->ncpus; i++) {
		const struct top_cpu *cp = &v->cpu[i];

		share = v->have_rates && sum > 0 ? cp->landed / sum : 0;
		fill = (int)(share * bar + 0.5);
		l = add(f, v->ncpus > 1 && share >= TOP_HOT_SHARE ?
			TOP_BAR_HOT : TOP_BAR);
		if (!l)
			break;
		put(l, cols, "%3d [", i);
		l->bar_off = CPU_LEFT;
		l->bar_len = fill;
		for (k = 0; k < bar; k++)
			put(l, cols, "%c", k < fill ? '|' : ' ');
		if (v->have_rates)
			put(l, cols, "] %3.0f%%", share * 100);
		else
			put(l, cols, "]    -");
		rate_or_dash(v, cp->rx, true, a, sizeof(a));
		rate_or_dash(v, cp->steered, true, b, sizeof(b));
		rate_or_dash(v, cp->lost, cp->have_lost, c, sizeof(c));
		if (v->have_rates && cp->have_softirq)
			snprintf(d, sizeof(d), "%.0f%%", cp->softirq_pct);
		else
			snprintf(d, sizeof(d), "-");
		put(l, cols, " %7s %9s %7s %7s", a, b, c, d);
	}
	return 1;	/* head lines */
}

/* ---- instances --------------------------------------------------- */

/* Sum of the rates of every counter whose name starts with prefix. */
static double rate_prefix(const struct top_inst *in, const char *prefix)
{
	size_t n = strlen(prefix);
	double sum = 0;
	int i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		if (!strncmp(counter_descs[i].name, prefix, n))
			sum += in->rate[i];
	return sum;
}

enum inst_col { IC_RX, IC_BAD, IC_DROP, IC_LIE, IC_MSS_IN, IC_MSS_OUT,
		IC_PTB, IC_QLOSS, IC_MAX };

/* In the order of the line; dropped from the lowest prio up. */
static const struct {
	const char *title;
	int width, prio;
} inst_cols[IC_MAX] = {
	[IC_RX]		= { "rx/s", 7, 0 },
	[IC_BAD]	= { "badsum/s", 8, 1 },
	[IC_DROP]	= { "drop/s", 6, 2 },
	[IC_LIE]	= { "lie/s", 6, 3 },
	[IC_MSS_IN]	= { "mss in/s", 8, 4 },
	[IC_MSS_OUT]	= { "out/s", 6, 5 },
	[IC_PTB]	= { "ptb/s", 6, 6 },
	[IC_QLOSS]	= { "qloss/s", 7, 7 },
};

#define NAME_MIN	10

static double inst_val(const struct top_inst *in, int col, int lie)
{
	switch (col) {
	case IC_RX:
		return in->rate[CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_RX, HC_packets)];
	case IC_BAD:
		return rate_prefix(in, "csum_bad_");
	case IC_DROP:
		return in->rate[GC_csum_drop];
	case IC_LIE:
		return lie >= 0 ? in->rate[lie] : 0;
	case IC_MSS_IN:
		return in->rate[CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_RX, HC_mss_clamped)];
	case IC_MSS_OUT:
		return in->rate[CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_TX, HC_mss_clamped)];
	case IC_PTB:
		return rate_prefix(in, "pmtu_");
	default:
		return in->qloss;
	}
}

static int sec_inst(const struct top_view *v, struct top_frame *f, int cols)
{
	/* Looked up by name: the column appears once the counter exists. */
	int lie = counter_index("csum_offload_lie");
	bool on[IC_MAX];
	int i, k, p, w, name;
	struct top_line *l;
	char buf[16];

	for (k = 0; k < IC_MAX; k++)
		on[k] = k != IC_LIE || lie >= 0;
	for (p = IC_MAX - 1; p > 0; p--) {
		w = 0;
		for (k = 0; k < IC_MAX; k++)
			if (on[k])
				w += 1 + inst_cols[k].width;
		name = cols - w;
		if (name >= NAME_MIN)
			break;
		for (k = 0; k < IC_MAX; k++)
			if (inst_cols[k].prio == p)
				on[k] = false;
	}
	w = 0;
	for (k = 0; k < IC_MAX; k++)
		if (on[k])
			w += 1 + inst_cols[k].width;
	name = cols - w;
	if (name > 24)
		name = 24;

	l = add(f, TOP_HEAD);
	put(l, cols, "%-*.*s", name, name, "INSTANCE");
	for (k = 0; k < IC_MAX; k++)
		if (on[k])
			put(l, cols, " %*s", inst_cols[k].width, inst_cols[k].title);
	for (i = 0; i < v->ninst; i++) {
		const struct top_inst *in = &v->inst[i];

		l = add(f, TOP_PLAIN);
		if (!l)
			break;
		put_name(l, cols, in->name, name);
		if (in->gone) {
			put(l, cols, " (detached or attached again: no rates)");
			continue;
		}
		for (k = 0; k < IC_MAX; k++) {
			if (!on[k])
				continue;
			rate_or_dash(v, inst_val(in, k, lie), true, buf, sizeof(buf));
			put(l, cols, " %*s", inst_cols[k].width, buf);
		}
	}
	if (!v->ninst) {
		l = add(f, TOP_PLAIN);
		put(l, cols, "(no instance attached)");
	}
	return 1;
}

/* ---- the flow table ---------------------------------------------- */

#define FLOW_FIXED	(1 + 13 + 1 + 5 + 1 + 6 + 1 + 7)	/* entries/size .. evict/s */
#define FLOW_REASON	6
#define FLOW_NAME_MIN	8

static int sec_flows(const struct top_view *v, struct top_frame *f, int cols)
{
	bool reasons = cols - FLOW_FIXED - FLOW_ST_MAX * FLOW_REASON >=
		       FLOW_NAME_MIN;
	int name = cols - FLOW_FIXED -
		   (reasons ? FLOW_ST_MAX * FLOW_REASON : FLOW_REASON);
	int i, k, nflow = 0, nhead = 1;
	char es[32], e[16], s[16], a[16], b[16];
	struct top_line *l;
	double tot;

	if (name > 24)
		name = 24;
	for (i = 0; i < v->ninst; i++)
		nflow += v->inst[i].flow_on && !v->inst[i].gone;
	if (!nflow) {
		l = add(f, TOP_PLAIN);
		put(l, cols, "flow table: off on every instance shown (flow=on)");
		return 0;
	}
	if (reasons) {
		/* the reason columns' own title, over them */
		l = add(f, TOP_HEAD);
		put(l, cols, "%*s", cols, "expired/s by reason (chimney run)");
		nhead++;
	}
	l = add(f, TOP_HEAD);
	put(l, cols, "%-*.*s %13s %5s %6s %7s", name, name, "FLOWS", "entries/size",
	    "use", "new/s", "evict/s");
	if (reasons)
		for (k = 0; k < FLOW_ST_MAX; k++)
			put(l, cols, " %*.3s", FLOW_REASON - 1, flow_state_names[k]);
	else
		put(l, cols, " %*s", FLOW_REASON - 1, "exp/s");
	for (i = 0; i < v->ninst; i++) {
		const struct top_inst *in = &v->inst[i];

		if (!in->flow_on || in->gone)
			continue;
		l = add(f, TOP_PLAIN);
		if (!l)
			break;
		put_name(l, cols, in->name, name);
		fmt_count(in->entries, e, sizeof(e));
		fmt_count(in->size, s, sizeof(s));
		snprintf(es, sizeof(es), "%s/%s", e, s);
		rate_or_dash(v, in->rate[GC_flow_created], true, a, sizeof(a));
		rate_or_dash(v, in->evicted, in->have_stats, b, sizeof(b));
		put(l, cols, " %13s %4.1f%% %6s %7s", es,
		    in->size ? 100.0 * in->entries / in->size : 0.0, a, b);
		if (reasons) {
			for (k = 0; k < FLOW_ST_MAX; k++) {
				rate_or_dash(v, in->expired[k], in->have_stats,
					     a, sizeof(a));
				put(l, cols, " %*s", FLOW_REASON - 1, a);
			}
		} else {
			for (k = 0, tot = 0; k < FLOW_ST_MAX; k++)
				tot += in->expired[k];
			rate_or_dash(v, tot, in->have_stats, a, sizeof(a));
			put(l, cols, " %*s", FLOW_REASON - 1, a);
		}
	}
	return nhead;
}

/* ---- bad checksums by reason -------------------------------------- */

static int sec_csum(const struct top_view *v, struct top_frame *f, int cols)
{
	static const char prefix[] = "csum_bad_";
	const char *label = "bad csum/s:";
	struct top_line *l;
	char tok[64], r[16];
	double sum;
	int i, k;

	l = add(f, TOP_PLAIN);
	put(l, cols, "%s", label);
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		if (strncmp(counter_descs[i].name, prefix, sizeof(prefix) - 1))
			continue;
		for (k = 0, sum = 0; k < v->ninst; k++)
			sum += v->inst[k].rate[i];
		rate_or_dash(v, sum, true, r, sizeof(r));
		snprintf(tok, sizeof(tok), "  %s %s",
			 counter_descs[i].name + sizeof(prefix) - 1, r);
		/* wrap whole tokens, the next line indented under the first */
		if (l && strlen(l->text) + strlen(tok) > (size_t)cols) {
			l = add(f, TOP_PLAIN);
			put(l, cols, "%*s", (int)strlen(label), "");
		}
		put(l, cols, "%s", tok);
	}
	return 0;
}

/* ---- the frame ----------------------------------------------------- */

typedef int (*sec_fn)(const struct top_view *v, struct top_frame *f,
		      int cols);

static const struct {
	const char *name;	/* in the title, when left out */
	sec_fn fn;
	bool rows_may_go;	/* may lose body rows to a "+N more" line */
} sections[] = {
	{ "CPUs", sec_cpus, true },
	{ "instances", sec_inst, true },
	{ "flows", sec_flows, false },
	{ "checksums", sec_csum, false },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void copy_line(struct top_frame *f, const struct top_line *l)
{
	if (f->n < TOP_MAX_ROWS)
		f->line[f->n++] = *l;
}

/*
 * The first line: what is shown, the clock, and the sections the
 * terminal is too short for. What does not fit goes, least useful
 * first: the clock and the key, then the scope; the hidden sections
 * stay to the last, since they say why something is missing.
 */
static void title(const struct top_view *v, struct top_frame *f, int cols,
		  const char *hidden)
{
	struct top_line *l = &f->line[0];
	char full[TOP_MAX_COLS + 1], brief[64], right[64], hid[160];
	const char *left;

	memset(l, 0, sizeof(*l));
	l->style = TOP_TITLE;
	snprintf(full, sizeof(full), "chimney top: %d instance%s (%s), %d CPU%s, %.1fs",
		 v->ninst, v->ninst == 1 ? "" : "s", v->scope ? v->scope : "",
		 v->ncpus, v->ncpus == 1 ? "" : "s", v->interval);
	snprintf(brief, sizeof(brief), "chimney top: %d instance%s",
		 v->ninst, v->ninst == 1 ? "" : "s");
	snprintf(right, sizeof(right), "%s%s", v->clock,
		 v->interactive ? "  q quits" : "");
	snprintf(hid, sizeof(hid), "%s%s", *hidden ? "; too short for " : "",
		 hidden);
	left = strlen(full) + strlen(hid) <= (size_t)cols ? full :
	       strlen(brief) + strlen(hid) <= (size_t)cols ? brief :
	       "chimney top";
	put(l, cols, "%s%s", left, hid);
	/* the clock only where it fits whole beside the rest */
	if (strlen(l->text) + 2 + strlen(right) <= (size_t)cols)
		put(l, cols, "%*s", cols - (int)strlen(l->text), right);
}

void top_render(const struct top_view *v, int rows, int cols,
		struct top_frame *f)
{
	struct top_frame *t;
	char hidden[128] = "";
	size_t s;
	int avail, nhead, body, keep, i;

	if (cols > TOP_MAX_COLS)
		cols = TOP_MAX_COLS;
	if (rows > TOP_MAX_ROWS)
		rows = TOP_MAX_ROWS;
	memset(f, 0, sizeof(*f));
	f->cols = cols;
	if (cols < TOP_MIN_COLS || rows < TOP_MIN_ROWS) {
		f->too_small = true;
		put(add(f, TOP_PLAIN), cols > 0 ? cols : 0,
		    "terminal too small: %dx%d, needs %dx%d", cols, rows,
		    TOP_MIN_COLS, TOP_MIN_ROWS);
		return;
	}
	t = malloc(sizeof(*t));
	f->n = 1;	/* the title, written last: it names what was left out */
	for (s = 0; t && s < NSECTIONS; s++) {
		memset(t, 0, sizeof(*t));
		nhead = sections[s].fn(v, t, cols);
		body = t->n - nhead;
		/* a blank line before each section */
		avail = rows - f->n - 1;
		if (t->n <= avail) {
			keep = t->n;
		} else if (sections[s].rows_may_go && body > 1 &&
			   avail >= nhead + 2) {
			keep = avail - 1;	/* and the "+N more" line */
		} else {
			snprintf(hidden + strlen(hidden),
				 sizeof(hidden) - strlen(hidden), "%s%s",
				 *hidden ? ", " : "", sections[s].name);
			continue;
		}
		add(f, TOP_PLAIN);
		for (i = 0; i < keep; i++)
			copy_line(f, &t->line[i]);
		if (keep < t->n)
			put(add(f, TOP_PLAIN), cols, "  (+%d more %s: a taller terminal shows them)",
			    t->n - keep, sections[s].name);
	}
	if (!t)
		put(add(f, TOP_PLAIN), cols, "(out of memory)");
	free(t);
	title(v, f, cols, hidden);
}
