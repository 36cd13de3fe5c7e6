// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top: a live view of every instance (or those named), in the style of
 * htop and bpftop: per CPU where packets went into the stack, the rates
 * of what chimney decides, the flow table. The layout is top_render()'s
 * (top_render.c); this file reads what it shows and runs the screen.
 *
 * Each refresh reads, per instance, the counter block (one lookup of a
 * PERCPU_ARRAY: every CPU's row at once), steer_to (one batch of the
 * possible CPUs' entries), flow_stats and config (one lookup each) and,
 * while the flow table is on, its element count (one run of the
 * flow_count program); and /proc/stat once, through a descriptor kept
 * open. Nothing is walked: the flow table's occupancy is the kernel's
 * count, never a walk of the table.
 *
 * Softirq time comes from /proc/stat's softirq column (time), not from
 * /proc/softirqs' NET_RX counts (how often the handler ran): one NAPI
 * run takes up to 64 packets per poll and loops for up to 2 ms, so a
 * pegged CPU runs fewer, longer softirqs than a light one, and counts
 * of runs say nothing of how busy a CPU is. The column covers every
 * softirq (timers, RCU, ...), of which a CPU busy with packets spends
 * nearly all on NET_RX; with tick-based accounting
 * (CONFIG_IRQ_TIME_ACCOUNTING off) it is sampled at each tick. Steered
 * packets are taken into the stack by the cpumap kthread of their CPU,
 * which is system time, not softirq: the bar, from chimney's own
 * counters, shows that work; the softirq column the receive side's.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "flowtab.h"
#include "log.h"
#include "top.h"

/* One read of one instance. */
struct top_read {
	__u64 sums[CHIMNEY_NR_COUNTERS];
	__u64 *pc;		/* ncpus rows of CHIMNEY_NR_COUNTERS */
	__u64 *to;		/* steer_to per target CPU, summed */
	bool have_to;
	struct chimney_flow_stats st;
	bool have_st;
	struct chimney_config cfg;
	bool have_cfg;
	long entries;		/* -1: unknown */
};

/* An instance being watched. */
struct top_src {
	struct top_src *next;
	char netns[IFNAMSIZ * 4];	/* "" for the root namespace */
	char ifname[IFNAMSIZ];
	char pin_dir[PATH_MAX];
	int counters, config, flow_stats, steer_to;
	struct flow_query *q;
	__u32 size;			/* flow table max_entries */
	ino_t ino;			/* of the counters pin: a re-attach pins anew */
	bool named;			/* named on the command line */
	bool seen;			/* found by the current rescan */
	bool gone;
	struct top_read cur, prev;
	bool have_prev;
};

/* /proc/stat: per CPU, softirq and all time, in USER_HZ ticks. */
struct cpu_times {
	__u64 softirq, total;
	bool ok;
};

struct top {
	struct top_src *list;
	int nsrc;
	const char *netns;		/* -n: only this namespace */
	bool named;			/* IFACEs given: no rescan */
	int ncpus;
	int stat_fd;
	struct cpu_times *st_cur, *st_prev;
	__u64 t_cur, t_prev;		/* CLOCK_MONOTONIC ns of the reads */
	bool have_prev;
	char scope[IFNAMSIZ * 4 + 16];
	/* the view handed to top_render() */
	struct top_view v;
	struct top_frame frame;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 delta(__u64 a, __u64 b)
{
	/* a counter that went back (a re-attach started it over) adds 0 */
	return a > b ? a - b : 0;
}

/* ---- instances ------------------------------------------------------ */

static void read_free(struct top_read *r)
{
	free(r->pc);
	free(r->to);
	r->pc = r->to = NULL;
}

static void src_free(struct top_src *s)
{
	int *fds[] = { &s->counters, &s->config, &s->flow_stats, &s->steer_to };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	flow_query_close(s->q);
	read_free(&s->cur);
	read_free(&s->prev);
	free(s);
}

static ino_t pin_ino(const char *pin_dir)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, PIN(counters));
	return stat(path, &st) ? 0 : st.st_ino;
}

/*
 * Open what a refresh reads of one instance. steer_to may be missing
 * (an instance attached by an older chimney): its queue loss is then
 * unknown, the rest is shown.
 */
static int src_open(struct top *t, const char *netns, const char *ifname,
		    bool named)
{
	struct chimney_ctx ctx = { .netns = netns, .ifname = ifname };
	struct top_src *s;
	int err, fd;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->counters = s->config = s->flow_stats = s->steer_to = -1;
	snprintf(s->netns, sizeof(s->netns), "%s", netns ? netns : "");
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	err = pin_dir_path(s->pin_dir, sizeof(s->pin_dir), netns, ifname);
	if (err)
		goto fail;
	snprintf(ctx.pin_dir, sizeof(ctx.pin_dir), "%s", s->pin_dir);
	s->ino = pin_ino(s->pin_dir);
	s->counters = pin_open(&ctx, PIN(counters));
	s->config = pin_open(&ctx, PIN(config));
	s->flow_stats = pin_open(&ctx, PIN(flow_stats));
	if (s->counters < 0 || s->config < 0 || s->flow_stats < 0) {
		err = s->counters < 0 ? s->counters :
		      s->config < 0 ? s->config : s->flow_stats;
		pr_err("top: cannot open the pins of %s%s%s in %s: %s\n",
		       s->netns, *s->netns ? "/" : "", ifname, s->pin_dir,
		       strerror(-err));
		goto fail;
	}
	s->steer_to = pin_open(&ctx, PIN(steer_to));
	fd = pin_open(&ctx, PIN(flows));
	if (fd >= 0) {
		s->size = map_max_entries(fd);
		close(fd);
	}
	s->q = flow_query_open(s->pin_dir);
	s->named = named;
	s->seen = true;
	s->next = t->list;
	t->list = s;
	t->nsrc++;
	return 0;
fail:
	src_free(s);
	return err;
}

static struct top_src *src_find(struct top *t, const char *netns,
				const char *ifname)
{
	struct top_src *s;

	for (s = t->list; s; s = s->next)
		if (!strcmp(s->netns, netns ? netns : "") &&
		    !strcmp(s->ifname, ifname))
			return s;
	return NULL;
}

/* for_each_instance() callback: keep, or open what is new. */
static int rescan_one(const char *netns, const char *ifname, void *arg)
{
	struct top *t = arg;
	struct top_src *s;

	if (t->netns && (!netns || strcmp(netns, t->netns)))
		return 0;
	s = src_find(t, netns, ifname);
	if (s) {
		s->seen = true;
		return 0;
	}
	/* an instance being attached may not have every pin yet: the
	 * next rescan retries, and says nothing meanwhile */
	log_hold_errors(true);
	src_open(t, netns, ifname, false);
	log_hold_errors(false);
	return 0;
}

static int src_cmp(const void *a, const void *b)
{
	const struct top_src *x = *(const struct top_src *const *)a;
	const struct top_src *y = *(const struct top_src *const *)b;
	int c = strcmp(x->netns, y->netns);

	return c ? c : strcmp(x->ifname, y->ifname);
}

/* The list in name order: the screen does not reshuffle. */
static void src_sort(struct top *t)
{
	struct top_src **a, *s;
	int i = 0;

	if (t->nsrc < 2)
		return;
	a = calloc(t->nsrc, sizeof(*a));
	if (!a)
		return;
	for (s = t->list; s; s = s->next)
		a[i++] = s;
	qsort(a, t->nsrc, sizeof(*a), src_cmp);
	for (i = 0; i < t->nsrc; i++)
		a[i]->next = i + 1 < t->nsrc ? a[i + 1] : NULL;
	t->list = a[0];
	free(a);
}

/*
 * Instances come and go while top runs. Without IFACEs, the pin
 * directories are read again and what is new is opened, what went
 * away dropped; an instance attached again (new maps under the same
 * pins) is opened again. A named one stays on the screen as gone.
 */
static void rescan(struct top *t)
{
	struct top_src **pp, *s;

	for (s = t->list; s; s = s->next) {
		s->seen = s->named;
		if (!s->gone && pin_ino(s->pin_dir) != s->ino)
			s->gone = true;
	}
	if (!t->named)
		for_each_instance(rescan_one, t);
	for (pp = &t->list; (s = *pp);) {
		if (!s->seen || (s->gone && !s->named)) {
			*pp = s->next;
			t->nsrc--;
			src_free(s);
			continue;
		}
		pp = &s->next;
	}
	src_sort(t);
}

/* ---- reading ---------------------------------------------------------- */

static int read_steer_to(const struct top_src *s, int ncpus, __u64 *to)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 keys[CHIMNEY_MAX_CPUS], n = ncpus, out;
	__u64 *vals;
	int err, k, c;

	if (s->steer_to < 0)
		return -ENOENT;
	vals = calloc((size_t)ncpus * ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	/* The targets are CPU ids, so the first ncpus keys hold them all:
	 * one batch, every receiving CPU's value of each. */
	err = bpf_map_lookup_batch(s->steer_to, NULL, &out, keys, vals, &n,
				   &opts);
	if (err && err != -ENOENT)
		goto out;
	err = 0;
	memset(to, 0, ncpus * sizeof(*to));
	for (k = 0; k < (int)n; k++)
		for (c = 0; keys[k] < (__u32)ncpus && c < ncpus; c++)
			to[keys[k]] += vals[(size_t)k * ncpus + c];
out:
	free(vals);
	return err;
}

static void src_read(struct top *t, struct top_src *s)
{
	struct top_read *r = &s->cur;
	__u32 zero = 0;
	long cnt;
	int n;

	read_free(&s->prev);
	s->prev = s->cur;
	memset(r, 0, sizeof(*r));
	r->entries = -1;
	if (s->gone)
		return;
	if (counters_read(s->counters, r->sums, &r->pc, &n) || n != t->ncpus) {
		free(r->pc);
		r->pc = NULL;
	}
	r->to = calloc(t->ncpus, sizeof(*r->to));
	r->have_to = r->to && !read_steer_to(s, t->ncpus, r->to);
	r->have_st = !flow_stats_read(s->flow_stats, &r->st);
	r->have_cfg = !bpf_map_lookup_elem(s->config, &zero, &r->cfg);
	/* After the counters: the evictions derived from both are a lower
	 * bound (flowtab.h). */
	cnt = s->q && r->have_cfg && r->cfg.flow_on ? flow_query_count(s->q) : -1;
	r->entries = cnt >= 0 ? cnt : r->have_st ? (long)r->st.entries : -1;
}

/* /proc/stat's cpuN lines: softirq (the 7th number) and the sum of the
 * first eight (guest time is already in user and nice). */
static void read_stat(struct top *t)
{
	char buf[16384], *p, *nl;
	unsigned long long v[8];
	ssize_t n;
	int cpu, i;

	for (i = 0; i < t->ncpus; i++)
		t->st_cur[i].ok = false;
	if (t->stat_fd < 0)
		return;
	n = pread(t->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (p = buf; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, "cpu", 3) || p[3] < '0' || p[3] > '9')
			continue;
		if (sscanf(p, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) != 9 || cpu < 0 || cpu >= t->ncpus)
			continue;
		t->st_cur[cpu].softirq = v[6];
		t->st_cur[cpu].total = 0;
		for (i = 0; i < 8; i++)
			t->st_cur[cpu].total += v[i];
		t->st_cur[cpu].ok = true;
	}
}

/* One refresh: read everything, keep the last read for the rates. */
static void sample(struct top *t)
{
	struct cpu_times *tmp;
	struct top_src *s;

	if (t->t_cur)
		rescan(t);
	tmp = t->st_prev;
	t->st_prev = t->st_cur;
	t->st_cur = tmp;
	t->t_prev = t->t_cur;
	t->have_prev = t->t_cur != 0;
	read_stat(t);
	for (s = t->list; s; s = s->next) {
		s->have_prev = s->cur.pc != NULL;
		src_read(t, s);
	}
	t->t_cur = now_ns();
}

/* ---- the view ----------------------------------------------------------- */

/* Flows evicted so far, as of read r; false when it cannot be told. */
static bool evictions(const struct top_read *r, __u64 *ev)
{
	if (!r->pc || !r->have_st || r->entries < 0)
		return false;
	*ev = flow_evictions_from(r->sums[GC_flow_created], r->entries, &r->st);
	return true;
}

/* One instance's rates into in, and its per-CPU share into v->cpu. */
static void view_inst(struct top_view *v, const struct top_src *s,
		      struct top_inst *in, double dt, bool one_ns)
{
	const int rx_pk = CHIMNEY_HOOK_IDX(CHIMNEY_HOOK_RX, HC_packets);
	const struct top_read *r = &s->cur, *p = &s->prev;
	struct chimney_flow_stats st = r->st, ps = p->st;
	__u64 rdr_sum = 0, got_sum = 0, ev, pev;
	int c, k;

	if (one_ns)
		snprintf(in->name, sizeof(in->name), "%s", s->ifname);
	else
		snprintf(in->name, sizeof(in->name), "%s%s%s", s->netns,
			 *s->netns ? "/" : "", s->ifname);
	in->gone = s->gone;
	in->size = s->size;
	in->entries = r->entries > 0 ? r->entries : 0;
	in->flow_on = (r->have_cfg && r->cfg.flow_on) || in->entries;
	if (!(r->have_to && p->have_to))
		for (c = 0; c < v->ncpus; c++)
			v->cpu[c].have_lost = false;
	if (dt <= 0 || !s->have_prev || !r->pc || !p->pc)
		return;
	for (c = 0; c < v->ncpus; c++) {
		const __u64 *a = &r->pc[c * CHIMNEY_NR_COUNTERS];
		const __u64 *b = &p->pc[c * CHIMNEY_NR_COUNTERS];
		__u64 rx = delta(a[rx_pk], b[rx_pk]);
		__u64 rdr = delta(a[GC_steer_redirect], b[GC_steer_redirect]);
		__u64 got = delta(a[GC_steer_received], b[GC_steer_received]);
		__u64 drop = delta(a[GC_csum_drop], b[GC_csum_drop]);

		for (k = 0; k < CHIMNEY_NR_COUNTERS; k++)
			in->rate[k] += delta(a[k], b[k]) / dt;
		v->cpu[c].rx += rx / dt;
		v->cpu[c].steered += got / dt;
		/* received and neither sent away nor dropped (csum=drop),
		 * plus sent here */
		v->cpu[c].landed += (delta(rx, rdr + drop) + got) / dt;
		/* steer_to is read before the counters: a packet on its
		 * way shows as received and not yet as sent, never as lost */
		if (r->have_to && p->have_to)
			v->cpu[c].lost += delta(delta(r->to[c], p->to[c]), got) / dt;
		rdr_sum += rdr;
		got_sum += got;
	}
	in->qloss = delta(rdr_sum, got_sum) / dt;
	in->have_stats = r->have_st && p->have_st && evictions(r, &ev) &&
			 evictions(p, &pev);
	if (!in->have_stats)
		return;
	in->evicted = delta(ev, pev) / dt;
	for (k = 0; k < FLOW_ST_MAX; k++)
		in->expired[k] = delta(*flow_stats_expired(&st, k),
				       *flow_stats_expired(&ps, k)) / dt;
}

static int build_view(struct top *t)
{
	struct top_view *v = &t->v;
	double dt = t->have_prev ? (t->t_cur - t->t_prev) / 1e9 : 0;
	time_t now = time(NULL);
	struct top_src *s;
	bool one_ns;
	struct tm tm;
	int c;

	free(v->inst);
	v->inst = calloc(t->nsrc ? t->nsrc : 1, sizeof(*v->inst));
	if (!v->inst)
		return -ENOMEM;
	memset(v->cpu, 0, t->ncpus * sizeof(*v->cpu));
	v->ninst = 0;
	v->ncpus = t->ncpus;
	v->scope = t->scope;
	v->interval = dt;
	v->have_rates = dt > 0;
	if (localtime_r(&now, &tm))
		strftime(v->clock, sizeof(v->clock), "%H:%M:%S", &tm);
	for (c = 0; c < t->ncpus; c++) {
		const struct cpu_times *a = &t->st_cur[c], *b = &t->st_prev[c];
		__u64 tot = a->ok && b->ok ? delta(a->total, b->total) : 0;

		v->cpu[c].have_softirq = tot > 0;
		v->cpu[c].softirq_pct =
			tot ? 100.0 * delta(a->softirq, b->softirq) / tot : 0;
		v->cpu[c].have_lost = true;
	}
	one_ns = true;
	for (s = t->list; s; s = s->next)
		one_ns &= !strcmp(s->netns, t->list->netns);
	snprintf(t->scope, sizeof(t->scope), "%s%s",
		 one_ns && t->list ? "namespace " : "all namespaces",
		 one_ns && t->list ? (*t->list->netns ? t->list->netns :
				      CHIMNEY_DEFAULT_NS) : "");
	for (s = t->list; s; s = s->next)
		view_inst(v, s, &v->inst[v->ninst++], dt, one_ns);
	return 0;
}

/* ---- the screen ------------------------------------------------------- */

static void draw(const struct top_frame *f)
{
	int y, x0, n;

	erase();
	for (y = 0; y < f->n && y < LINES; y++) {
		const struct top_line *l = &f->line[y];
		int len = strlen(l->text);

		switch (l->style) {
		case TOP_TITLE:
			attron(A_REVERSE);
			/* the whole width, as htop's header */
			mvhline(y, 0, ' ', COLS);
			mvaddnstr(y, 0, l->text, COLS);
			attroff(A_REVERSE);
			break;
		case TOP_HEAD:
			attron(A_BOLD);
			mvaddnstr(y, 0, l->text, COLS);
			attroff(A_BOLD);
			break;
		case TOP_BAR:
		case TOP_BAR_HOT:
			x0 = l->bar_off < len ? l->bar_off : len;
			n = l->bar_len < len - x0 ? l->bar_len : len - x0;
			mvaddnstr(y, 0, l->text, x0);
			attron(COLOR_PAIR(l->style == TOP_BAR_HOT ? 2 : 1) | A_BOLD);
			addnstr(l->text + x0, n);
			attroff(COLOR_PAIR(l->style == TOP_BAR_HOT ? 2 : 1) | A_BOLD);
			addnstr(l->text + x0 + n, COLS - x0 - n);
			break;
		default:
			mvaddnstr(y, 0, l->text, COLS);
		}
	}
	refresh();
}

static int screen_loop(struct top *t, double delay)
{
	__u64 period = delay * 1e9, next, waited;
	int ch, ms, early = 0;
	SCREEN *scr;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		pr_err("top: not a terminal; --once prints one frame\n");
		return -ENOTTY;
	}
	/* newterm, not initscr: without a terminal description it returns
	 * NULL where initscr would exit */
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		pr_err("top: no terminal to draw on (TERM=%s); --once prints one frame\n",
		       getenv("TERM") ? getenv("TERM") : "");
		return -ENOTTY;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_RED, -1);
	}
	t->v.interactive = true;
	next = now_ns() + period;
	while (!stop) {
		top_render(&t->v, LINES, COLS, &t->frame);
		draw(&t->frame);
		ms = (int)((__s64)(next - now_ns()) / 1000000);
		timeout(ms > 0 ? ms : 0);
		waited = now_ns();
		ch = getch();
		if (ch == 'q' || ch == 'Q')
			break;
		/* A terminal that went away (EOF, EIO) makes getch() fail
		 * at once, every time: leave instead of spinning. */
		if (ch == ERR && ms > 10 && now_ns() - waited < 1000000) {
			if (++early > 100)
				break;
		} else {
			early = 0;
		}
		/* a key or KEY_RESIZE draws again at once; the read waits
		 * for its time */
		if (now_ns() >= next) {
			sample(t);
			if (build_view(t))
				break;
			next += period;
			if (next < now_ns())
				next = now_ns() + period;
		}
	}
	endwin();
	delscreen(scr);
	return 0;
}

/* ---- --once --json ------------------------------------------------------- */

static struct json_object *jrate(const struct top_view *v, double r, bool have)
{
	return v->have_rates && have ? json_object_new_double(r) : NULL;
}

/* What the frame shows, as numbers: rates per second, shares 0..1. */
static void view_json(const struct top_view *v)
{
	struct json_object *o = json_object_new_object(), *a, *e, *r;
	double sum = 0;
	int c, i, k;

	json_object_object_add(o, "interval", json_object_new_double(v->interval));
	a = json_object_new_array();
	for (c = 0; c < v->ncpus; c++)
		sum += v->cpu[c].landed;
	for (c = 0; c < v->ncpus; c++) {
		const struct top_cpu *cp = &v->cpu[c];

		e = json_object_new_object();
		json_object_object_add(e, "cpu", json_object_new_int(c));
		json_object_object_add(e, "share", jrate(v, sum > 0 ? cp->landed / sum : 0, true));
		json_object_object_add(e, "rx_packets", jrate(v, cp->rx, true));
		json_object_object_add(e, "steer_received", jrate(v, cp->steered, true));
		json_object_object_add(e, "queue_lost", jrate(v, cp->lost, cp->have_lost));
		json_object_object_add(e, "softirq_pct", jrate(v, cp->softirq_pct,
							       cp->have_softirq));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "cpus", a);
	a = json_object_new_array();
	for (i = 0; i < v->ninst; i++) {
		const struct top_inst *in = &v->inst[i];

		e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(in->name));
		json_object_object_add(e, "gone", json_object_new_boolean(in->gone));
		/* every counter that moved, per second, by its own name */
		r = json_object_new_object();
		for (k = 0; k < CHIMNEY_NR_COUNTERS; k++)
			if (in->rate[k] > 0)
				json_object_object_add(r, counter_descs[k].name,
						       json_object_new_double(in->rate[k]));
		json_object_object_add(e, "rates", r);
		json_object_object_add(e, "queue_lost", jrate(v, in->qloss, !in->gone));
		if (in->flow_on) {
			r = json_object_new_object();
			json_object_object_add(r, "entries", json_object_new_int64(in->entries));
			json_object_object_add(r, "size", json_object_new_int64(in->size));
			json_object_object_add(r, "evicted", jrate(v, in->evicted, in->have_stats));
			for (k = 0; k < FLOW_ST_MAX; k++)
				json_object_object_add(r, flow_state_names[k],
						       jrate(v, in->expired[k], in->have_stats));
			json_object_object_add(e, "flows", r);
		}
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "instances", a);
	cli_json_print(o, false);
}

/* ---- the verb ----------------------------------------------------------- */

struct top_opts {
	double delay;
	bool once;
};

static const struct cli_opt top_opts[] = {
	CLI_OPT("delay", CLI_NUM, struct top_opts, delay, .key = 'd',
		.arg = "SECS", .min = 0.1, .max = 3600,
		.help = "refresh every SECS seconds (default 1); with --once, the interval of the rates",
		.doc = "Refresh every SECS seconds (default 1, from 0.1 to 3600); with `--once`, the time between the two reads the rates are taken from."),
	CLI_OPT("once", CLI_FLAG, struct top_opts, once,
		.help = "print one frame as plain text (80 columns, every section) and exit",
		.doc = "Print one frame as plain text, 80 columns wide with every section, and exit: the rates are over the `-d` interval between two reads. For scripts and tests."),
	{}
};

const struct cli_spec top_cli = {
	.name = "top",
	.forms = (const char *const[]){ "[IFACE...]", NULL },
	.min_args = 0,
	.max_args = -1,
	.about =
	"A live view of every attached instance (or IFACE's, in -n NETNS or the\n"
	"root namespace): one bar per CPU, the share of the packets taken into\n"
	"the stack there (received and kept, or steered there), with rx_packets,\n"
	"steer_received, what its cpumap queue lost and its softirq time; the\n"
	"rates of bad checksums, drops, MSS clamps and path-MTU signals per\n"
	"instance; the flow table; bad checksums by reason. q quits.\n",
	.opts = top_opts,
	.common = CLI_COMMON,
	.netns_help = "only instances in this namespace; IFACEs are looked up there",
	.json_help = "with --once: the frame's numbers as one JSON object (rates per second)",
	.footer =
	"Exit status: 1 when an IFACE has no instance, or there is none at all.\n",
};

static void top_free(struct top *t)
{
	struct top_src *s;

	while ((s = t->list)) {
		t->list = s->next;
		src_free(s);
	}
	if (t->stat_fd >= 0)
		close(t->stat_fd);
	free(t->st_cur);
	free(t->st_prev);
	free(t->v.cpu);
	free(t->v.inst);
}

/* The instances to show: those named, or every one in scope. */
static int top_open(struct top *t, const struct cli_args *a)
{
	int i, err;

	if (!a->n) {
		for_each_instance(rescan_one, t);
		if (!t->nsrc) {
			if (t->netns)
				pr_err("top: chimney is not attached to any interface in namespace '%s'\n",
				       t->netns);
			else
				pr_err("top: chimney is not attached anywhere\n");
			return -ENOENT;
		}
		src_sort(t);
		return 0;
	}
	t->named = true;
	for (i = 0; i < a->n; i++) {
		struct chimney_ctx ctx = { .netns = t->netns, .ifname = a->v[i] };

		if (src_find(t, t->netns, a->v[i]))
			continue;
		err = ctx_resolve_attached(&ctx, "top");
		ns_restore();
		if (err)
			return err;
		err = src_open(t, t->netns, a->v[i], true);
		if (err)
			return err;
	}
	src_sort(t);
	return 0;
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .delay = 1 };
	struct top t = { .stat_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct cli_args a;
	int err, i, ret = 1;

	err = cli_parse(&top_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	for (i = 0; i < a.n; i++)
		if (check_name("interface", a.v[i]))
			return 1;
	if (opt_json && !o.once) {
		pr_err("top: --json needs --once (a screen is no JSON)\n");
		return 1;
	}
	if (require_root("top") || bpffs_ensure())
		return 1;
	t.netns = opt_netns;
	if (t.netns) {
		/* an unknown namespace fails as with every verb */
		if (ns_enter(t.netns))
			return 1;
		ns_restore();
	}
	t.ncpus = libbpf_num_possible_cpus();
	if (t.ncpus <= 0 || t.ncpus > CHIMNEY_MAX_CPUS) {
		pr_err("top: cannot tell the number of CPUs\n");
		return 1;
	}
	t.st_cur = calloc(t.ncpus, sizeof(*t.st_cur));
	t.st_prev = calloc(t.ncpus, sizeof(*t.st_prev));
	t.v.cpu = calloc(t.ncpus, sizeof(*t.v.cpu));
	if (!t.st_cur || !t.st_prev || !t.v.cpu) {
		pr_err("top: out of memory\n");
		goto out;
	}
	t.stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (top_open(&t, &a))
		goto out;

	/* no SA_RESTART: a signal ends the wait for a key at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sample(&t);
	if (o.once) {
		struct timespec ts = { .tv_sec = (time_t)o.delay,
			.tv_nsec = (long)((o.delay - (time_t)o.delay) * 1e9) };

		while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
			;
		sample(&t);
		if (build_view(&t))
			goto out;
		if (opt_json) {
			view_json(&t.v);
		} else {
			top_render(&t.v, TOP_MAX_ROWS, 80, &t.frame);
			for (i = 0; i < t.frame.n; i++)
				printf("%s\n", t.frame.line[i].text);
		}
		ret = 0;
		goto out;
	}
	if (build_view(&t))
		goto out;
	ret = screen_loop(&t, o.delay) ? 1 : 0;
out:
	top_free(&t);
	return ret;
}
