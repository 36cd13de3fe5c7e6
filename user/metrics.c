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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "chimney.h"
#include "flowtab.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"

/*
 * What one client can hold, so that no number of slow clients (a
 * slowloris that sends a byte a second) keeps /metrics from a scraper:
 * the server is event-driven (epoll), so an idle connection costs a
 * file descriptor and a little memory, not a thread; it takes up to
 * CONN_MAX of them, at most PER_IP from one address; a connection idle
 * for IDLE_S is closed, and any connection is cut CONN_LIFETIME_S after
 * it opened, even one that trickles bytes to stay busy. A scrape takes
 * milliseconds; Prometheus reconnects when its keep-alive connection was
 * closed.
 */
#define METRICS_CONN_MAX	2048
#define METRICS_PER_IP		128
#define METRICS_IDLE_S		5
#define METRICS_CONN_LIFETIME_S	15
/* descriptors kept for the daemon itself: maps, pins, namespaces */
#define METRICS_FD_RESERVE	256
/*
 * What the HTTP server logs is about clients (a refused connection, a
 * peer that reset): a client can make it say so at will, so at most
 * LOG_BURST lines in LOG_WINDOW, then one with the count suppressed.
 */
#define METRICS_LOG_BURST	3
#define METRICS_LOG_WINDOW_NS	(60 * 1000000000ULL)

/* An open connection, for the lifetime cut (metrics_reaper()). */
struct metrics_conn {
	struct metrics_conn *next, **pprev;
	int fd;
	__u64 opened;		/* mono ns */
	bool cut;		/* shut down once already */
};

struct metrics_server {
	struct MHD_Daemon *d;
	metrics_collect_fn collect;
	void *arg;
	struct log_ratelimit rl;
	/* open connections, oldest last; lock also guards stopping */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct metrics_conn *conns;
	bool stopping;
	pthread_t reaper;
	bool have_reaper;
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

	/* Steering as configured: with it, a dashboard or an alert tells
	 * cpus=1 (one CPU by choice) from a skewed spread. */
	put_help(f, "chimney_steer_cpus",
		 "CPUs received flows are steered to (cpus=); 0: steering off",
		 "gauge");
	for (k = 0; k < n; k++) {
		if (!s[k].have_config)
			continue;
		put_inst(f, "chimney_steer_cpus", &s[k]);
		fprintf(f, "} %u\n", s[k].steer_cpus);
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

int metrics_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, err;

	if (parse_listen(addr, &ss, &sl))
		return metrics_addr_check(addr);
	/* Our own socket: bind errors (address in use, no such address)
	 * come back as errno, not as a libmicrohttpd log line, and the
	 * daemon finds them before it attaches anything. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A full backlog drops SYNs, and the scraper waits a second for
	 * its retransmission: as deep as the kernel allows. */
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, SOMAXCONN)) {
		err = -errno;
		close(fd);
		goto fail;
	}
	return fd;
fail:
	pr_err("run: cannot listen on %s for --metrics: %s\n", addr,
	       strerror(-err));
	return err;
}

static void say_missed(unsigned long missed)
{
	if (missed)
		pr_warn("metrics: %lu more messages of the HTTP server not shown\n",
			missed);
}

/* libmicrohttpd's messages, through the log, rate-limited. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_server *ms = cls;
	unsigned long missed;
	char msg[256];
	size_t n;
	bool ok;

	ok = log_ratelimit(&ms->rl, mono_ns(), &missed);
	say_missed(missed);
	if (!ok)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	pr_warn("metrics: %s (at most %d such lines a minute)\n", msg,
		METRICS_LOG_BURST);
}

/* Track each connection for the lifetime cut. */
static void notify_conn(void *cls, struct MHD_Connection *conn,
			void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct metrics_server *ms = cls;
	const union MHD_ConnectionInfo *ci;
	struct metrics_conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		c = ci ? calloc(1, sizeof(*c)) : NULL;
		if (!c)
			return;	/* not cut: the idle timeout still holds */
		c->fd = ci->connect_fd;
		c->opened = mono_ns();
		pthread_mutex_lock(&ms->lock);
		c->next = ms->conns;
		if (c->next)
			c->next->pprev = &c->next;
		c->pprev = &ms->conns;
		ms->conns = c;
		pthread_mutex_unlock(&ms->lock);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	/* libmicrohttpd closes the socket after this returns: under the
	 * lock, the reaper never shuts down a descriptor reused since. */
	pthread_mutex_lock(&ms->lock);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	pthread_mutex_unlock(&ms->lock);
	free(c);
	*socket_context = NULL;
}

/*
 * Once a second: shut down connections open for longer than
 * METRICS_CONN_LIFETIME_S (libmicrohttpd then sees the end and closes
 * them in its own thread), and tell how many log lines a window that
 * ended suppressed, even when no further line comes.
 */
static void *metrics_reaper(void *arg)
{
	struct metrics_server *ms = arg;
	__u64 max = METRICS_CONN_LIFETIME_S * 1000000000ULL;
	struct metrics_conn *c;
	struct timespec ts;
	__u64 now;

	pthread_mutex_lock(&ms->lock);
	while (!ms->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec++;
		pthread_cond_timedwait(&ms->wake, &ms->lock, &ts);
		now = mono_ns();
		for (c = ms->conns; c; c = c->next) {
			if (c->cut || now - c->opened < max)
				continue;
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
		}
		say_missed(log_ratelimit_missed(&ms->rl, now));
	}
	pthread_mutex_unlock(&ms->lock);
	return NULL;
}

/*
 * Descriptors for CONN_MAX connections and the daemon's own: the soft
 * limit is often 1024 (systemd's default), the hard one far higher, and
 * nothing here uses select(). What the limit allows, when the hard one
 * is lower.
 */
static unsigned int conn_limit(void)
{
	struct rlimit rl;
	rlim_t want = METRICS_CONN_MAX + METRICS_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 64;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return METRICS_CONN_MAX;
	return rl.rlim_cur > 2 * METRICS_FD_RESERVE ?
	       rl.rlim_cur - METRICS_FD_RESERVE : 64;
}

struct metrics_server *metrics_start(int fd, metrics_collect_fn collect,
				     void *arg)
{
	struct metrics_server *ms;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	pthread_condattr_t ca;
	unsigned int limit;
	int flags, err;

	ms = calloc(1, sizeof(*ms));
	if (!ms) {
		close(fd);
		return NULL;
	}
	ms->collect = collect;
	ms->arg = arg;
	ms->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(METRICS_LOG_WINDOW_NS,
							  METRICS_LOG_BURST);
	pthread_mutex_init(&ms->lock, NULL);
	/* the reaper's wait is on the monotonic clock, like its deadlines */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ms->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		ss.ss_family = AF_INET;
	limit = conn_limit();
	/* One thread, woken by epoll for whichever connection is ready:
	 * a slow client costs it nothing while it waits. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ms->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, ms,
				 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, ms,
				 MHD_OPTION_LISTEN_SOCKET, fd,
				 MHD_OPTION_CONNECTION_LIMIT, limit,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				 (unsigned int)METRICS_PER_IP,
				 MHD_OPTION_CONNECTION_TIMEOUT,
				 (unsigned int)METRICS_IDLE_S,
				 MHD_OPTION_NOTIFY_CONNECTION, notify_conn, ms,
				 MHD_OPTION_END);
	if (!ms->d) {
		pr_err("run: starting the metrics server failed\n");
		close(fd);
		goto fail;
	}
	err = pthread_create(&ms->reaper, NULL, metrics_reaper, ms);
	if (err) {
		pr_err("run: starting the metrics server's reaper failed: %s\n",
		       strerror(err));
		goto fail;
	}
	ms->have_reaper = true;
	inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
		  (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
		  (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  host, sizeof(host));
	pr_info(ss.ss_family == AF_INET ?
		"metrics: serving http://%s:%u/metrics (up to %u connections, %d per address)\n" :
		"metrics: serving http://[%s]:%u/metrics (up to %u connections, %d per address)\n",
		host, ntohs(((struct sockaddr_in *)&ss)->sin_port), limit,
		METRICS_PER_IP);
	return ms;
fail:
	metrics_stop(ms);
	return NULL;
}

void metrics_stop(struct metrics_server *ms)
{
	if (!ms)
		return;
	if (ms->have_reaper) {
		pthread_mutex_lock(&ms->lock);
		ms->stopping = true;
		pthread_cond_signal(&ms->wake);
		pthread_mutex_unlock(&ms->lock);
		pthread_join(ms->reaper, NULL);
	}
	/* closes the listening socket and every connection, notify_conn()
	 * freeing what it tracked */
	if (ms->d)
		MHD_stop_daemon(ms->d);
	/* what the last window suppressed, told before the daemon ends */
	say_missed(log_ratelimit_missed(&ms->rl, ~0ULL));
	pthread_cond_destroy(&ms->wake);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}
