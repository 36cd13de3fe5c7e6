// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus exposition of `chimney run`, served by libmicrohttpd.
 *
 * Every counter of the shared list (include/chimney/counters.h) becomes
 * chimney_<name>_total with its help text, labelled netns and ifname;
 * steering counters and the per-hook packets/bytes are also split by
 * cpu, since where work lands is what they are about (the rest summed
 * over CPUs, to keep the series count independent of the CPU count).
 * The flow table adds occupancy, expiries by reason, evictions and
 * sweep time from the pinned flow_stats map, so a restarted daemon
 * carries on where the last one stopped.
 *
 * This file reads no map: the daemon hands it a snapshot per scrape
 * (metrics.h), and metrics_render() turns that into text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "chimney.h"
#include "flowtab.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"

struct metrics_server {
	struct MHD_Daemon *d;
	metrics_collect_fn collect;
	void *arg;
	int fd;
};

/* HELP text: backslash and newline escaped. */
static void put_help(FILE *f, const char *name, const char *help,
		     const char *type)
{
	const char *p;

	fprintf(f, "# HELP %s ", name);
	for (p = help; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *name, const char *val)
{
	const char *p;

	fprintf(f, "%s=\"", name);
	for (p = val; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void put_inst(FILE *f, const char *name, const struct snapshot *s)
{
	fprintf(f, "%s{", name);
	put_label(f, "netns", s->netns);
	fputc(',', f);
	put_label(f, "ifname", s->ifname);
}

static bool counter_per_cpu(const struct counter_desc *d)
{
	return !strncmp(d->base, "steer_", 6) ||
	       (d->hook >= 0 && (!strcmp(d->base, "packets") ||
				 !strcmp(d->base, "bytes")));
}

void snapshot_free(struct snapshot *s, size_t n)
{
	size_t k;

	if (!s)
		return;
	for (k = 0; k < n; k++)
		free(s[k].per_cpu);
	free(s);
}

void metrics_render(FILE *f, const struct snapshot *s, size_t n,
		    double sweep_interval)
{
	char name[160];
	size_t k;
	int i, cpu;

	/* The shared counter list, one family per counter. */
	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		const struct counter_desc *d = &counter_descs[i];
		bool per_cpu = counter_per_cpu(d);

		snprintf(name, sizeof(name), "chimney_%s_total", d->name);
		put_help(f, name, d->help, "counter");
		for (k = 0; k < n; k++) {
			if (!s[k].have_counters)
				continue;
			if (!per_cpu) {
				put_inst(f, name, &s[k]);
				fprintf(f, "} %llu\n",
					(unsigned long long)s[k].sums[i]);
				continue;
			}
			for (cpu = 0; s[k].per_cpu && cpu < s[k].ncpus; cpu++) {
				put_inst(f, name, &s[k]);
				fprintf(f, ",cpu=\"%d\"} %llu\n", cpu,
					(unsigned long long)s[k].per_cpu[
					cpu * CHIMNEY_NR_COUNTERS + i]);
			}
		}
	}

	/* chimney run's own counters, from the pinned flow_stats. */
#define SWEEP_FAMILY(cname, chelp)					\
	put_help(f, "chimney_" #cname "_total", chelp, "counter");	\
	for (k = 0; k < n; k++) {					\
		if (!s[k].have_stats)					\
			continue;					\
		put_inst(f, "chimney_" #cname "_total", &s[k]);		\
		fprintf(f, "} %llu\n", (unsigned long long)s[k].st.cname); \
	}
	CHIMNEY_SWEEP_COUNTERS(SWEEP_FAMILY)
#undef SWEEP_FAMILY

	put_help(f, "chimney_flow_expired_total",
		 "Flows chimney run expired, by reason: the state whose idle timeout ran out (flow.timeout.*)",
		 "counter");
	for (k = 0; k < n; k++) {
		struct chimney_flow_stats st = s[k].st;

		if (!s[k].have_stats)
			continue;
		for (i = 0; i < FLOW_ST_MAX; i++) {
			put_inst(f, "chimney_flow_expired_total", &s[k]);
			fprintf(f, ",reason=\"%s\"} %llu\n", flow_state_names[i],
				(unsigned long long)*flow_stats_expired(&st, i));
		}
	}

	put_help(f, "chimney_flow_sweep_seconds_total",
		 "Time chimney run spent sweeping the flow table", "counter");
	for (k = 0; k < n; k++) {
		if (!s[k].have_stats)
			continue;
		put_inst(f, "chimney_flow_sweep_seconds_total", &s[k]);
		fprintf(f, "} %.6f\n", s[k].st.sweep_ns_total / 1e9);
	}

	put_help(f, "chimney_flow_sweep_duration_seconds",
		 "Duration of the last sweep of the flow table", "gauge");
	for (k = 0; k < n; k++) {
		if (!s[k].have_stats)
			continue;
		put_inst(f, "chimney_flow_sweep_duration_seconds", &s[k]);
		fprintf(f, "} %.6f\n", s[k].st.sweep_ns_last / 1e9);
	}

	put_help(f, "chimney_flow_entries",
		 "Flows in the table (the kernel's count, or as of the last sweep)",
		 "gauge");
	for (k = 0; k < n; k++) {
		if (!s[k].have_entries)
			continue;
		put_inst(f, "chimney_flow_entries", &s[k]);
		fprintf(f, "} %llu\n", (unsigned long long)s[k].entries);
	}

	put_help(f, "chimney_flow_table_size",
		 "Capacity of the flow table (flow.size)", "gauge");
	for (k = 0; k < n; k++) {
		put_inst(f, "chimney_flow_table_size", &s[k]);
		fprintf(f, "} %u\n", s[k].size);
	}

	put_help(f, "chimney_flow_occupancy_ratio",
		 "Flow table entries / capacity (chimney run warns above 0.9)",
		 "gauge");
	for (k = 0; k < n; k++) {
		if (!s[k].have_entries || !s[k].size)
			continue;
		put_inst(f, "chimney_flow_occupancy_ratio", &s[k]);
		fprintf(f, "} %.6f\n", (double)s[k].entries / s[k].size);
	}

	put_help(f, "chimney_run_instances",
		 "Attached interfaces this chimney run serves", "gauge");
	fprintf(f, "chimney_run_instances %zu\n", n);
	put_help(f, "chimney_run_sweep_interval_seconds",
		 "Time until the next sweep (adapts to the expiry rate)",
		 "gauge");
	fprintf(f, "chimney_run_sweep_interval_seconds %.3f\n", sweep_interval);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static char not_found[] = "not found: try /metrics\n";
	static char bad_method[] = "only GET\n";
	struct metrics_server *ms = cls;
	struct snapshot *snap = NULL;
	double interval = 0;
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *f;

	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     bad_method, strlen(bad_method),
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     strlen(not_found), MHD_RESPMEM_PERSISTENT);
	/* The daemon copies what we show under its lock; rendering and
	 * sending happen outside it. */
	if (ms->collect(ms->arg, &snap, &n, &interval))
		return MHD_NO;
	f = open_memstream(&buf, &len);
	if (!f) {
		snapshot_free(snap, n);
		return MHD_NO;
	}
	metrics_render(f, snap, n, interval);
	snapshot_free(snap, n);
	fclose(f);
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     buf, len, MHD_RESPMEM_MUST_FREE);
}

/* ADDR:PORT, [ADDR6]:PORT, :PORT or PORT; loopback when no address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *port = s, *colon;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon || (size_t)(colon - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, colon - s - 1);
		host[colon - s - 1] = 0;
		port = colon + 2;
	} else if ((colon = strrchr(s, ':'))) {
		if (colon != s) {
			if ((size_t)(colon - s) >= sizeof(host))
				return -EINVAL;
			memcpy(host, s, colon - s);
			host[colon - s] = 0;
		}
		port = colon + 1;
	}
	return netaddr_parse(host, port, ss, sl);
}

int metrics_addr_check(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!strcmp(addr, "off") || !parse_listen(addr, &ss, &sl))
		return 0;
	pr_err("run: bad --metrics '%s': expected ADDR:PORT, [ADDR6]:PORT, PORT or off\n",
	       addr);
	return -EINVAL;
}

struct metrics_server *metrics_start(const char *addr,
				     metrics_collect_fn collect, void *arg)
{
	struct metrics_server *ms;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, flags;

	if (parse_listen(addr, &ss, &sl)) {
		pr_err("run: bad --metrics '%s': expected ADDR:PORT, [ADDR6]:PORT or PORT\n",
		       addr);
		return NULL;
	}
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return NULL;
	ms->collect = collect;
	ms->arg = arg;
	/* Our own socket: bind errors (address in use, no such address)
	 * come back as errno, not as a libmicrohttpd log line. */
	ms->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ms->fd < 0)
		goto err;
	setsockopt(ms->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ms->fd, (struct sockaddr *)&ss, sl) || listen(ms->fd, 16))
		goto err;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ms->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, ms,
				 MHD_OPTION_LISTEN_SOCKET, ms->fd,
				 MHD_OPTION_CONNECTION_LIMIT, 32,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10,
				 MHD_OPTION_END);
	if (!ms->d) {
		pr_err("run: starting the metrics server on %s failed\n", addr);
		close(ms->fd);
		free(ms);
		return NULL;
	}
	{
		char host[INET6_ADDRSTRLEN];
		const void *a = ss.ss_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)&ss)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;

		inet_ntop(ss.ss_family, a, host, sizeof(host));
		pr_info(ss.ss_family == AF_INET ?
			"metrics: serving http://%s:%u/metrics\n" :
			"metrics: serving http://[%s]:%u/metrics\n", host,
			ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	return ms;
err:
	pr_err("run: cannot listen on %s: %s\n", addr, strerror(errno));
	if (ms->fd >= 0)
		close(ms->fd);
	free(ms);
	return NULL;
}

void metrics_stop(struct metrics_server *ms)
{
	if (!ms)
		return;
	/* closes the listening socket too */
	MHD_stop_daemon(ms->d);
	free(ms);
}
