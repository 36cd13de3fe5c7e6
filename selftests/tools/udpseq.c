// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpseq: a paced UDP stream with sequence numbers, to count what a
 * change under traffic loses or reorders (the upgrade test).
 *
 *   udpseq recv ADDR PORT SECS
 *       Receive datagrams on ADDR:PORT until the sender's end marker
 *       arrives, or SECS pass. Prints one line:
 *         "sent S received R lost L reordered O duplicate D"
 *       (sent: as the end marker says; lost: sent minus the distinct
 *       sequence numbers received; reordered: datagrams whose number is
 *       below one received before them). Exit status 0 when the end
 *       marker came, 1 otherwise.
 *   udpseq send ADDR PORT PPS SECS [SPORT]
 *       Send PPS datagrams a second for SECS seconds, or until SIGTERM
 *       or SIGINT, from source port SPORT (default: any), numbered from
 *       0, then the end marker (a few times: it may be lost too).
 *       Prints "sent N".
 *
 * Only numeric addresses; every wait is bounded, and the sequence
 * space by PPS * SECS (at most SEQ_MAX).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netaddr.h"

#define SEQ_MAX		(1u << 24)	/* numbers a receiver can track */
#define END_MAGIC	0x656e64756470736bULL
#define END_COPIES	5
#define PAYLOAD		64

struct dgram {
	uint64_t seq;
	uint64_t end;		/* END_MAGIC in the end marker */
	uint64_t sent;		/* in the end marker: how many were sent */
	char pad[PAYLOAD - 24];
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "udpseq: bad number '%s' (%ld-%ld)\n", s, min, max);
		exit(2);
	}
	return v;
}

static int do_recv(const struct sockaddr_storage *ss, socklen_t len, long secs)
{
	uint64_t deadline = mono_ns() + secs * 1000000000ULL;
	uint64_t received = 0, distinct = 0, reordered = 0, dup = 0;
	uint64_t highest = 0, sent = 0;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd, buf = 16 << 20, got_end = 0, any = 0;
	unsigned char *seen;
	struct dgram d;
	ssize_t n;

	seen = calloc(SEQ_MAX / 8, 1);
	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!seen || fd < 0)
		return perror("udpseq: socket"), 1;
	/* room for a second's worth and more: the receiver competes for
	 * the CPU with what the test does meanwhile (loading programs) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (const struct sockaddr *)ss, len))
		return perror("udpseq: bind"), 1;
	while (!got_end && mono_ns() < deadline) {
		n = recv(fd, &d, sizeof(d), 0);
		if (n < 0)
			continue;	/* the timeout: look at the clock */
		if (n != sizeof(d))
			continue;
		if (d.end == END_MAGIC) {
			sent = d.sent;
			got_end = 1;
			break;
		}
		if (d.seq >= SEQ_MAX)
			continue;
		received++;
		if (seen[d.seq / 8] & (1 << (d.seq % 8))) {
			dup++;
			continue;
		}
		seen[d.seq / 8] |= 1 << (d.seq % 8);
		distinct++;
		if (any && d.seq < highest)
			reordered++;
		if (!any || d.seq > highest)
			highest = d.seq;
		any = 1;
	}
	printf("sent %llu received %llu lost %lld reordered %llu duplicate %llu\n",
	       (unsigned long long)sent, (unsigned long long)received,
	       got_end ? (long long)(sent - distinct) : -1LL,
	       (unsigned long long)reordered, (unsigned long long)dup);
	free(seen);
	close(fd);
	return got_end ? 0 : 1;
}

static int do_send(const struct sockaddr_storage *ss, socklen_t len, long pps,
		   long secs, long sport)
{
	uint64_t total = (uint64_t)pps * secs, seq = 0, start, due;
	struct sockaddr_storage src = { .ss_family = ss->ss_family };
	struct timespec ts;
	struct dgram d;
	int fd, i;

	if (total > SEQ_MAX) {
		fprintf(stderr, "udpseq: PPS * SECS above %u\n", SEQ_MAX);
		return 2;
	}
	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perror("udpseq: socket"), 1;
	if (sport) {
		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons(sport);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons(sport);
		if (bind(fd, (struct sockaddr *)&src, len))
			return perror("udpseq: bind"), 1;
	}
	if (connect(fd, (const struct sockaddr *)ss, len))
		return perror("udpseq: connect"), 1;
	memset(&d, 0, sizeof(d));
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	start = mono_ns();
	while (seq < total && !stop) {
		/* every datagram that is due by now, then sleep to the next */
		due = start + seq * 1000000000ULL / pps;
		if (mono_ns() < due) {
			ts.tv_sec = due / 1000000000ULL;
			ts.tv_nsec = due % 1000000000ULL;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		d.seq = seq;
		/* a full socket buffer (ENOBUFS) is the sender's own loss:
		 * try the same number again rather than count it lost */
		if (send(fd, &d, sizeof(d), 0) != sizeof(d)) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			return perror("udpseq: send"), 1;
		}
		seq++;
	}
	usleep(200000);
	d.end = END_MAGIC;
	d.sent = seq;
	for (i = 0; i < END_COPIES; i++) {
		if (send(fd, &d, sizeof(d), 0) != sizeof(d))
			perror("udpseq: send end");
		usleep(50000);
	}
	printf("sent %llu\n", (unsigned long long)seq);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc >= 5 && !strcmp(argv[1], "recv")) {
		if (netaddr_parse(argv[2], argv[3], &ss, &len))
			return fprintf(stderr, "udpseq: bad address\n"), 2;
		return do_recv(&ss, len, num(argv[4], 1, 3600));
	}
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "send")) {
		if (netaddr_parse(argv[2], argv[3], &ss, &len))
			return fprintf(stderr, "udpseq: bad address\n"), 2;
		return do_send(&ss, len, num(argv[4], 1, 1000000),
			       num(argv[5], 1, 3600),
			       argc == 7 ? num(argv[6], 1, 65535) : 0);
	}
	fprintf(stderr, "usage: udpseq recv ADDR PORT SECS\n"
			"       udpseq send ADDR PORT PPS SECS [SPORT]\n");
	return 2;
}
