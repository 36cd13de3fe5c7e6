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

struct flow_row {
	struct chimney_flow_key k;
	struct chimney_flow v;
	int state;
	int orig;		/* value index of the initiator's direction */
	__u64 age, idle;	/* ns */
};

struct flows_list {
	struct flow_row *rows;
	size_t n, cap;
	__u64 now;
};

static int collect(const struct chimney_flow_key *keys,
		   const struct chimney_flow *vals, __u32 n, void *arg)
{
	struct flows_list *l = arg;
	struct flow_row *r;
	__u32 i;

	if (l->n + n > l->cap) {
		size_t cap = (l->n + n) * 2;
		struct flow_row *tmp = realloc(l->rows, cap * sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		l->rows = tmp;
		l->cap = cap;
	}
	for (i = 0; i < n; i++) {
		r = &l->rows[l->n++];
		r->k = keys[i];
		r->v = vals[i];
		r->state = chimney_flow_state(&r->k, &r->v);
		r->orig = r->v.init_dir & 1;
		r->age = l->now > r->v.first_seen ? l->now - r->v.first_seen : 0;
		r->idle = l->now > r->v.last_seen ? l->now - r->v.last_seen : 0;
	}
	return 0;
}

static enum flows_sort sort_by;

static int row_cmp(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;
	__u64 vx, vy;

	switch (sort_by) {
	case SORT_PACKETS:
		vx = x->v.packets[0] + x->v.packets[1];
		vy = y->v.packets[0] + y->v.packets[1];
		break;
	case SORT_AGE:
		vx = x->age;
		vy = y->age;
		break;
	case SORT_IDLE:
		vx = x->idle;
		vy = y->idle;
		break;
	default:
		vx = x->v.bytes[0] + x->v.bytes[1];
		vy = y->v.bytes[0] + y->v.bytes[1];
		break;
	}
	return (vx < vy) - (vx > vy);	/* largest first */
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

	l.now = mono_ns();
	err = flow_walk(m.flows, 8192, collect, &l);
	if (err) {
		pr_err("flows: reading the flow table failed: %s\n",
		       strerror(-err));
		goto out;
	}
	flow_stats_read(m.flow_stats, &st);
	ev = flow_evictions(m.counters, q, &st, l.n, &entries);
	qsort(l.rows, l.n, sizeof(*l.rows), row_cmp);
	shown = fo.limit && fo.limit < l.n ? fo.limit : l.n;
	size = map_max_entries(m.flows);

	if (ctx.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *arr = json_object_new_array();
		struct json_object *ex = json_object_new_object();

		json_object_object_add(o, "ifname", json_object_new_string(ctx.ifname));
		json_object_object_add(o, "netns", json_object_new_string(
			ctx.netns ? ctx.netns : CHIMNEY_DEFAULT_NS));
		json_object_object_add(o, "size", json_object_new_int64(size));
		json_object_object_add(o, "entries", json_object_new_int64(entries));
		json_object_object_add(o, "evictions", json_object_new_int64(ev));
		for (i = 0; i < FLOW_ST_MAX; i++)
			json_object_object_add(ex, flow_state_names[i],
				json_object_new_int64(*flow_stats_expired(&st, i)));
		json_object_object_add(o, "expired", ex);
		json_object_object_add(o, "sweeps", json_object_new_int64(st.flow_sweeps));
		for (i = 0; i < shown; i++)
			json_object_array_add(arr, row_json(&l.rows[i]));
		json_object_object_add(o, "flows", arr);
		cli_json_print(o, false);
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
		for (i = 0; i < shown; i++)
			print_row(&l.rows[i]);
		if (shown < l.n)
			printf("(%zu more; --limit)\n", l.n - shown);
	}
	ret = 0;
out:
	free(l.rows);
	flow_query_close(q);
	maps_close(&m);
	return ret;
}
