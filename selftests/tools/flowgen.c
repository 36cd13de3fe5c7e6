// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowgen: many TCP connections, for the flow-table tests.
 *
 *   flowgen server ADDR PORT [SECS]
 *       Accept connections; echo one byte for each read; close a
 *       connection when its peer closes (so a clean close is FIN both
 *       ways). Exits after SECS (default 120).
 *   flowgen hold ADDR PORT N CLOSE [SECS]
 *       Open N connections (one byte each way on each), then close the
 *       first CLOSE of them cleanly and keep the rest open. Prints
 *       "open N closed CLOSE" when done, then waits SECS (default 120)
 *       or until killed.
 *   flowgen churn ADDR PORT N
 *       N connections one after another: connect, one byte each way,
 *       close. Prints "ok X failed Y"; exit status 0 only when all N
 *       succeeded.
 *
 * Only numeric addresses, every wait bounded (5 s per socket operation,
 * SECS overall), every loop bounded by its count: the tool cannot run
 * away, and it only talks to the address it is given.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "netaddr.h"

#define MAX_CONNS	100000
#define OP_TIMEOUT	5

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = OP_TIMEOUT };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A connection with one byte sent and its echo read back; -1 on error. */
static int conn_open(const struct sockaddr_storage *ss, socklen_t len)
{
	char c = 'x';
	int fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_timeouts(fd);
	if (connect(fd, (const struct sockaddr *)ss, len) ||
	    write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Seconds on CLOCK_MONOTONIC: the wall clock may be stepped while the
 * server runs (an NTP client setting the time of a machine that has
 * just booted), which would end it early or keep it past its SECS.
 */
static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int do_server(const struct sockaddr_storage *ss, socklen_t len,
		     int secs)
{
	struct epoll_event ev, evs[256];
	time_t end = mono_s() + secs;
	int lfd, ep, one = 1, n, i, fd;
	char buf[512];
	ssize_t r;

	lfd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)ss, len) || listen(lfd, 4096))
		return perror("bind/listen"), 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (mono_s() < end) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				/* a bounded batch per wakeup */
				for (int k = 0; k < 256; k++) {
					int cfd = accept4(lfd, NULL, NULL,
							  SOCK_NONBLOCK | SOCK_CLOEXEC);

					if (cfd < 0)
						break;
					ev.events = EPOLLIN;
					ev.data.fd = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				if (write(fd, buf, 1) != 1) {
					/* the peer is gone: nothing to echo */
				}
				continue;
			}
			if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				/* peer closed: close too, FIN both ways */
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	return 0;
}

static int do_hold(const struct sockaddr_storage *ss, socklen_t len, int n,
		   int nclose, int secs)
{
	int *fds, i, opened = 0;

	fds = calloc(n, sizeof(*fds));
	if (!fds)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = conn_open(ss, len);
		if (fds[i] < 0) {
			fprintf(stderr, "hold: connection %d: %s\n", i,
				strerror(errno));
			return 1;
		}
		opened++;
	}
	for (i = 0; i < nclose && i < n; i++)
		close(fds[i]);
	printf("open %d closed %d\n", opened, nclose < n ? nclose : n);
	fflush(stdout);
	/* hold the rest; a kill -9 later must not close them first:
	 * the test takes the link down before it kills */
	sleep(secs);
	return 0;
}

static int do_churn(const struct sockaddr_storage *ss, socklen_t len, int n)
{
	int i, ok = 0, failed = 0, fd;

	for (i = 0; i < n; i++) {
		fd = conn_open(ss, len);
		if (fd < 0) {
			if (failed < 5)
				fprintf(stderr, "churn: connection %d: %s\n", i,
					strerror(errno));
			failed++;
			continue;
		}
		close(fd);
		ok++;
	}
	printf("ok %d failed %d\n", ok, failed);
	return failed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: flowgen server ADDR PORT [SECS]\n"
		"       flowgen hold ADDR PORT N CLOSE [SECS]\n"
		"       flowgen churn ADDR PORT N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int n;

	if (argc < 4 || netaddr_parse(argv[2], argv[3], &ss, &len))
		usage();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (!strcmp(argv[1], "server"))
		return do_server(&ss, len, argc > 4 ? atoi(argv[4]) : 120);
	if (argc < 5)
		usage();
	n = atoi(argv[4]);
	if (n <= 0 || n > MAX_CONNS)
		usage();
	if (!strcmp(argv[1], "hold")) {
		if (argc < 6)
			usage();
		return do_hold(&ss, len, n, atoi(argv[5]),
			       argc > 6 ? atoi(argv[6]) : 120);
	}
	if (!strcmp(argv[1], "churn"))
		return do_churn(&ss, len, n);
	usage();
	return 2;
}
