// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flows: the flow table of an interface, each flow shown from its
 * initiator (the endpoint whose packet created the entry) with state,
 * age, idle time, packets and bytes per direction, and the CPU it is
 * steered to. Read with batched lookups; the table stays live meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "flowtab.h"
#include "log.h"

enum flows_sort { SORT_BYTES, SORT_PACKETS, SORT_AGE, SORT_IDLE };

/* A flow as the walk read it: all a row is printed from. */
struct flow_ent {
	struct chimney_flow_key k;
	struct chimney_flow v;
	__u32 seq;		/* its place in the walk: ties keep walk order */
};

/* One row being printed, with what is derived from the flow. */
struct flow_row {
	struct chimney_flow_key k;
	struct chimney_flow v;
	int state;
	int orig;		/* value index of the initiator's direction */
	__u64 age, idle;	/* ns */
};

/*
 * What the walk keeps. A full default table is 262,144 flows: the rows
 * are kept as read (112 bytes each, 29 MB for a full table) and sorted
 * in place; with --limit N only the N that sort first are kept, in a
 * heap whose root is the one that sorts last, so a top-N of a full
 * table holds N rows, not the table.
 */
struct flows_list {
	struct flow_ent *ents;
	size_t n, cap;
	size_t seen;		/* flows walked */
	size_t limit;		/* 0: keep all */
	__u64 now;
};

static enum flows_sort sort_by;
static __u64 sort_now;		/* the `now` ages and idle times are taken at */

static __u64 since(__u64 now, __u64 t)
{
	return now > t ? now - t : 0;
}

static __u64 sort_val(const struct flow_ent *e)
{
	switch (sort_by) {
	case SORT_PACKETS:
		return e->v.packets[0] + e->v.packets[1];
	case SORT_AGE:
		return since(sort_now, e->v.first_seen);
	case SORT_IDLE:
		return since(sort_now, e->v.last_seen);
	default:
		return e->v.bytes[0] + e->v.bytes[1];
	}
}

/*
 * Largest first; equal values in walk order, so the heap of --limit
 * keeps exactly the rows a sort of the whole table would show first.
 */
static int ent_cmp(const void *a, const void *b)
{
	const struct flow_ent *x = a, *y = b;
	__u64 vx = sort_val(x), vy = sort_val(y);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void heap_swap(struct flow_ent *h, size_t i, size_t j)
{
	struct flow_ent t = h[i];

	h[i] = h[j];
	h[j] = t;
}

/* Restore the heap below i: every parent sorts after its children. */
static void heap_down(struct flow_ent *h, size_t n, size_t i)
{
	size_t c, last;

	for (;;) {
		last = i;
		c = 2 * i + 1;
		if (c < n && ent_cmp(&h[c], &h[last]) > 0)
			last = c;
		if (c + 1 < n && ent_cmp(&h[c + 1], &h[last]) > 0)
			last = c + 1;
		if (last == i)
			return;
		heap_swap(h, i, last);
		i = last;
	}
}

static void heap_up(struct flow_ent *h, size_t i)
{
	while (i && ent_cmp(&h[i], &h[(i - 1) / 2]) > 0) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static int collect(const struct chimney_flow_key *keys,
		   const struct chimney_flow *vals, __u32 n, void *arg)
{
	struct flows_list *l = arg;
	struct flow_ent e;
	__u32 i;

	for (i = 0; i < n; i++) {
		e.k = keys[i];
		e.v = vals[i];
		e.seq = l->seen++;
		if (l->limit && l->n == l->limit) {
			/* full: keep it only if it sorts before the root */
			if (ent_cmp(&e, &l->ents[0]) < 0) {
				l->ents[0] = e;
				heap_down(l->ents, l->n, 0);
			}
			continue;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap + l->cap / 2 : 8192;
			struct flow_ent *tmp;

			if (l->limit && cap > l->limit)
				cap = l->limit;
			tmp = realloc(l->ents, cap * sizeof(*tmp));
			if (!tmp)
				return -ENOMEM;
			l->ents = tmp;
			l->cap = cap;
		}
		l->ents[l->n] = e;
		if (l->limit)
			heap_up(l->ents, l->n);
		l->n++;
	}
	return 0;
}

static void row_fill(struct flow_row *r, const struct flow_ent *e, __u64 now)
{
	r->k = e->k;
	r->v = e->v;
	r->state = chimney_flow_state(&r->k, &r->v);
	r->orig = r->v.init_dir & 1;
	r->age = since(now, r->v.first_seen);
	r->idle = since(now, r->v.last_seen);
}

static const char *proto_name(__u8 proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

static void addr_str(const struct flow_row *r, int end, char *buf, size_t len)
{
	const __be32 *a = end ? r->k.hi_addr : r->k.lo_addr;

	inet_ntop(r->k.family == 4 ? AF_INET : AF_INET6, a, buf, len);
}

/* The initiator's end (0) or the responder's (1), in key terms. */
static int end_of(const struct flow_row *r, int who)
{
	return r->orig ^ who;
}

static __u16 port_of(const struct flow_row *r, int end)
{
	return ntohs(end ? r->k.hi_port : r->k.lo_port);
}

static void flags_str(__u8 f, char *buf)
{
	static const char letters[] = "FSRPAUEC";
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (f & (1 << i))
			buf[n++] = letters[i];
	if (!n)
		buf[n++] = '-';
	buf[n] = 0;
}

static void dur_str(__u64 ns, char *buf, size_t len)
{
	double s = ns / 1e9;

	if (s < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)s % 3600 / 60);
}

static void cpu_str(const struct chimney_flow *v, char *buf, size_t len)
{
	if (v->cpu == CHIMNEY_FLOW_CPU_NONE)
		snprintf(buf, len, "-");
	else if (v->cpu == CHIMNEY_FLOW_CPU_LOCAL)
		snprintf(buf, len, "local");
	else
		snprintf(buf, len, "%u", v->cpu);
}

static struct json_object *dir_json(const struct flow_row *r, int idx)
{
	struct json_object *o = json_object_new_object();
	char fl[9];

	flags_str(r->v.tcp_flags[idx], fl);
	json_object_object_add(o, "packets", json_object_new_int64(r->v.packets[idx]));
	json_object_object_add(o, "bytes", json_object_new_int64(r->v.bytes[idx]));
	if (r->k.proto == IPPROTO_TCP)
		json_object_object_add(o, "tcp_flags", json_object_new_string(fl));
	return o;
}

static struct json_object *row_json(const struct flow_row *r)
{
	struct json_object *o = json_object_new_object();
	char a[INET6_ADDRSTRLEN], pbuf[8];
	int src = end_of(r, 0), dst = end_of(r, 1);

	json_object_object_add(o, "proto", json_object_new_string(
		proto_name(r->k.proto, pbuf, sizeof(pbuf))));
	json_object_object_add(o, "family", json_object_new_int(r->k.family));
	addr_str(r, src, a, sizeof(a));
	json_object_object_add(o, "src", json_object_new_string(a));
	json_object_object_add(o, "sport", json_object_new_int(port_of(r, src)));
	addr_str(r, dst, a, sizeof(a));
	json_object_object_add(o, "dst", json_object_new_string(a));
	json_object_object_add(o, "dport", json_object_new_int(port_of(r, dst)));
	json_object_object_add(o, "state", json_object_new_string(
		flow_state_names[r->state]));
	json_object_object_add(o, "age_ms", json_object_new_int64(r->age / 1000000));
	json_object_object_add(o, "idle_ms", json_object_new_int64(r->idle / 1000000));
	json_object_object_add(o, "orig", dir_json(r, r->orig));
	json_object_object_add(o, "reply", dir_json(r, !r->orig));
	/* cpu: the CPU the flow is steered to; null when it is not steered
	 * (placement says why) */
	json_object_object_add(o, "cpu",
		r->v.cpu < CHIMNEY_MAX_CPUS ? json_object_new_int(r->v.cpu) : NULL);
	json_object_object_add(o, "placement", json_object_new_string(
		r->v.cpu == CHIMNEY_FLOW_CPU_NONE ? "none" :
		r->v.cpu == CHIMNEY_FLOW_CPU_LOCAL ? "local" : "cpu"));
	json_object_object_add(o, "hash", json_object_new_int64(r->v.hash));
	json_object_object_add(o, "encap", json_object_new_boolean(r->v.encap));
	return o;
}

static void print_row(const struct flow_row *r)
{
	char a[INET6_ADDRSTRLEN], ep[2][INET6_ADDRSTRLEN + 10], pbuf[8];
	char age[16], idle[16], pk[48], by[48], cpu[8];
	int who, end;

	for (who = 0; who < 2; who++) {
		end = end_of(r, who);
		addr_str(r, end, a, sizeof(a));
		if (r->k.family == 6)
			snprintf(ep[who], sizeof(ep[who]), "[%s]:%u", a,
				 port_of(r, end));
		else
			snprintf(ep[who], sizeof(ep[who]), "%s:%u", a,
				 port_of(r, end));
	}
	dur_str(r->age, age, sizeof(age));
	dur_str(r->idle, idle, sizeof(idle));
	snprintf(pk, sizeof(pk), "%llu/%llu",
		 (unsigned long long)r->v.packets[r->orig],
		 (unsigned long long)r->v.packets[!r->orig]);
	snprintf(by, sizeof(by), "%llu/%llu",
		 (unsigned long long)r->v.bytes[r->orig],
		 (unsigned long long)r->v.bytes[!r->orig]);
	cpu_str(&r->v, cpu, sizeof(cpu));
	printf("%-5s %-24s %-24s %-11s %8s %8s %15s %21s %5s\n",
	       proto_name(r->k.proto, pbuf, sizeof(pbuf)), ep[0], ep[1],
	       flow_state_names[r->state], age, idle, pk, by, cpu);
}

/* Write s, indented by `indent` spaces after each of its newlines. */
static void put_indented(const char *s, int indent)
{
	const char *nl;

	while ((nl = strchr(s, '\n'))) {
		fwrite(s, 1, nl + 1 - s, stdout);
		printf("%*s", indent, "");
		s = nl + 1;
	}
	fputs(s, stdout);
}

#define FLOWS_JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

/*
 * --json, streamed: the summary object is built and printed without its
 * last line, then the flows array one row at a time, each a small json-c
 * object serialized and freed at once. A tree of the whole table took
 * 1.4 GB for 262,144 flows. The bytes are what json-c prints for the
 * whole tree: the rows are indented as the array's elements at depth 2.
 */
static void flows_json(const struct chimney_ctx *ctx,
		       const struct flows_list *l, struct chimney_flow_stats *st,
		       __u32 size, __u64 entries, __u64 ev)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ex = json_object_new_object();
	struct flow_row row;
	const char *s;
	size_t i, len;

	json_object_object_add(o, "ifname", json_object_new_string(ctx->ifname));
	json_object_object_add(o, "netns", json_object_new_string(
		ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS));
	json_object_object_add(o, "size", json_object_new_int64(size));
	json_object_object_add(o, "entries", json_object_new_int64(entries));
	json_object_object_add(o, "evictions", json_object_new_int64(ev));
	for (i = 0; i < FLOW_ST_MAX; i++)
		json_object_object_add(ex, flow_state_names[i],
			json_object_new_int64(*flow_stats_expired(st, i)));
	json_object_object_add(o, "expired", ex);
	json_object_object_add(o, "sweeps", json_object_new_int64(st->flow_sweeps));
	s = json_object_to_json_string_length(o, FLOWS_JSON_FLAGS, &len);
	/* all but the closing "\n}" */
	fwrite(s, 1, len > 2 ? len - 2 : 0, stdout);
	json_object_put(o);

	fputs(",\n  \"flows\":[", stdout);
	for (i = 0; i < l->n; i++) {
		row_fill(&row, &l->ents[i], l->now);
		o = row_json(&row);
		fputs(i ? ",\n    " : "\n    ", stdout);
		put_indented(json_object_to_json_string_ext(o, FLOWS_JSON_FLAGS), 4);
		json_object_put(o);
	}
	fputs("\n  ]\n}\n", stdout);
}

struct flows_opts {
	int sort;		/* enum flows_sort */
	unsigned long limit;	/* 0: all */
};

static const struct cli_value flows_sorts[] = {
	{ .name = "bytes", .val = SORT_BYTES },
	{ .name = "packets", .val = SORT_PACKETS },
	{ .name = "age", .val = SORT_AGE },
	{ .name = "idle", .val = SORT_IDLE },
	{}
};

static const struct cli_opt flows_opts[] = {
	CLI_OPT("sort", CLI_ENUM, struct flows_opts, sort, .key = 's',
		.arg = "KEY", .values = flows_sorts,
		.help = "bytes (default), packets, age or idle; largest first",
		.doc = "`bytes` (default), `packets`, `age` or `idle`, largest first."),
	CLI_OPT("limit", CLI_UINT, struct flows_opts, limit, .key = 'l',
		.arg = "N", .help = "at most N flows (default: all)"),
	{}
};

const struct cli_spec flows_cli = {
	.name = "flows",
	.forms = (const char *const[]){ "IFACE", NULL },
	.min_args = 1,
	.max_args = 1,
	.about =
	"List IFACE's flow table (flow=on): each flow from its initiator, with its\n"
	"state, age, idle time, packets and bytes (initiator/responder), and the\n"
	"CPU it is steered to (local: received without steering; -: nothing\n"
	"received yet). A summary line gives occupancy, expiries and evictions.\n",
	.opts = flows_opts,
	.common = CLI_COMMON,
	.json_help = "one JSON object with the summary and a flows array",
};

int cmd_flows(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct flows_opts fo = { .sort = SORT_BYTES };
	struct flows_list l = {};
	struct flow_row row;
	struct chimney_flow_stats st = {};
	struct chimney_maps m;
	struct flow_query *q;
	struct cli_args a;
	__u64 entries, ev;
	__u32 size;
	size_t i, shown;
	int err, ret = 1;

	err = cli_parse(&flows_cli, argc, argv, &fo, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	sort_by = fo.sort;
	if (ctx_resolve_attached(&ctx, "flows"))
		return 1;
	if (maps_open_pinned(&ctx, &m))
		return 1;
	q = flow_query_open(ctx.pin_dir);

	l.now = sort_now = mono_ns();
	l.limit = fo.limit;
	err = flow_walk(m.flows, 8192, collect, &l);
	if (err) {
		pr_err("flows: reading the flow table failed: %s\n",
		       strerror(-err));
		goto out;
	}
	flow_stats_read(m.flow_stats, &st);
	ev = flow_evictions(m.counters, q, &st, l.seen, &entries);
	/* glibc sorts elements this large through an array of pointers:
	 * 16 bytes a row besides the rows */
	qsort(l.ents, l.n, sizeof(*l.ents), ent_cmp);
	shown = l.n;
	size = map_max_entries(m.flows);

	if (ctx.json) {
		flows_json(&ctx, &l, &st, size, entries, ev);
	} else {
		printf("%s (netns %s): %llu flows of %u (%.1f%%); %llu expired, %llu evicted, %llu sweeps\n",
		       ctx.ifname, ctx.netns ? ctx.netns : CHIMNEY_DEFAULT_NS,
		       (unsigned long long)entries, size,
		       size ? 100.0 * entries / size : 0,
		       (unsigned long long)flow_stats_expired_total(&st),
		       (unsigned long long)ev,
		       (unsigned long long)st.flow_sweeps);
		if (shown)
			printf("%-5s %-24s %-24s %-11s %8s %8s %15s %21s %5s\n",
			       "proto", "initiator", "responder", "state", "age",
			       "idle", "packets", "bytes", "cpu");
		for (i = 0; i < shown; i++) {
			row_fill(&row, &l.ents[i], l.now);
			print_row(&row);
		}
		if (shown < l.seen)
			printf("(%zu more; --limit)\n", l.seen - shown);
	}
	ret = 0;
out:
	free(l.ents);
	flow_query_close(q);
	maps_close(&m);
	return ret;
}
