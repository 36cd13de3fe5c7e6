// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * slowloris: hold many slow HTTP clients against a server, for
 * selftests/e2e/test_metrics_slowloris.sh.
 *
 *   slowloris ADDR PORT [-n CLIENTS] [-s SRC] [-k PER_SRC] [-g GREEDY]
 *             [-i TRICKLE_MS] [-t SECONDS]
 *
 * CLIENTS connections, PER_SRC from each source address starting at
 * SRC (IPv4; 127.0.0.0/8 is all local), each sends the start of a
 * request ("GET /metrics HTTP/1.1" and a header that never ends) and
 * then one more byte every TRICKLE_MS, so that an idle timeout never
 * sees it idle. GREEDY more come from the next source address alone,
 * to go past a per-address limit. A connection the server closes is
 * opened again 20 ms later, as an attacker would: refused ones make a
 * steady stream of refusals. Every second a line says how many are
 * held; after SECONDS the tool closes everything and exits, with a last
 * line:
 *
 *   slowloris: done: peak P held, C closed by the server, longest H s
 *
 * Bounded: at most CLIENTS + GREEDY sockets, for SECONDS (at most 120).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define RECONNECT_NS	20000000ULL
#define MAX_SECONDS	120

enum state { DOWN, CONNECTING, HELD };

struct client {
	int fd;
	enum state st;
	struct in_addr src;
	unsigned long long since;	/* connected at, or down until */
	unsigned long long next_byte;
};

static const char start[] = "GET /metrics HTTP/1.1\r\nHost: chimney\r\nX-Slow: ";

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: slowloris ADDR PORT [-n CLIENTS] [-s SRC] [-k PER_SRC]\n"
			"                 [-g GREEDY] [-i TRICKLE_MS] [-t SECONDS]\n");
	exit(2);
}

static int open_one(struct client *c, const struct sockaddr_in *dst, int ep)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr = c->src };
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP };

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) ||
	    (connect(c->fd, (const struct sockaddr *)dst, sizeof(*dst)) &&
	     errno != EINPROGRESS)) {
		close(c->fd);
		c->fd = -1;
		return -errno;
	}
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->st = CONNECTING;
	return 0;
}

int main(int argc, char **argv)
{
	int n = 1000, per_src = 64, greedy = 0, trickle_ms = 1000, secs = 20;
	unsigned long long t0, end, now, tick, longest = 0, closed = 0;
	struct epoll_event evs[256];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct in_addr src0;
	struct client *cl;
	struct rlimit rl;
	int i, k, ep, opt, held, peak = 0, total, errs = 0;

	inet_pton(AF_INET, "127.0.77.1", &src0);
	if (argc < 3 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		usage();
	dst.sin_port = htons(atoi(argv[2]));
	optind = 3;
	while ((opt = getopt(argc, argv, "n:s:k:g:i:t:")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &src0) != 1)
				usage();
			break;
		case 'k':
			per_src = atoi(optarg);
			break;
		case 'g':
			greedy = atoi(optarg);
			break;
		case 'i':
			trickle_ms = atoi(optarg);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (n < 0 || greedy < 0 || per_src < 1 || trickle_ms < 1 ||
	    secs < 1 || secs > MAX_SECONDS)
		usage();
	total = n + greedy;
	/* a descriptor per client, and some */
	rl.rlim_cur = rl.rlim_max = total + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		fprintf(stderr, "slowloris: cannot allow %d descriptors: %s\n",
			total + 64, strerror(errno));
		return 1;
	}
	cl = calloc(total, sizeof(*cl));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cl || ep < 0)
		return 1;
	for (i = 0; i < total; i++) {
		/* client i's source: the (i / per_src)-th address, greedy
		 * ones all on the one after the last */
		k = i < n ? i / per_src : (n + per_src - 1) / per_src;
		cl[i].src.s_addr = htonl(ntohl(src0.s_addr) + k);
		cl[i].fd = -1;
	}
	t0 = now_ns();
	end = t0 + secs * 1000000000ULL;
	tick = t0 + 1000000000ULL;
	while ((now = now_ns()) < end) {
		int m;

		held = 0;
		for (i = 0; i < total; i++) {
			struct client *c = &cl[i];

			if (c->st == DOWN && now >= c->since &&
			    open_one(c, &dst, ep) && !errs++)
				fprintf(stderr, "slowloris: connect: %s\n",
					strerror(errno));
			if (c->st != HELD)
				continue;
			held++;
			if (now >= c->next_byte) {
				/* one byte more of a header that never ends */
				if (write(c->fd, "a", 1) < 0 && errno != EAGAIN)
					shutdown(c->fd, SHUT_RDWR);
				c->next_byte = now + trickle_ms * 1000000ULL;
			}
		}
		if (held > peak)
			peak = held;
		if (now >= tick) {
			printf("slowloris: %llus: %d held, peak %d, %llu closed by the server\n",
			       (now - t0) / 1000000000ULL, held, peak, closed);
			fflush(stdout);
			tick += 1000000000ULL;
		}
		m = epoll_wait(ep, evs, 256, 20);
		now = now_ns();
		for (k = 0; k < m; k++) {
			struct client *c = evs[k].data.ptr;
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			char buf[512];

			if (c->st == CONNECTING && (evs[k].events & EPOLLOUT) &&
			    !getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) &&
			    !soerr) {
				struct epoll_event ev = {
					.events = EPOLLIN | EPOLLRDHUP,
					.data.ptr = c,
				};

				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				if (write(c->fd, start, sizeof(start) - 1) < 0)
					soerr = errno;
				c->st = HELD;
				c->since = now;
				c->next_byte = now + trickle_ms * 1000000ULL;
				if (!soerr && !(evs[k].events &
						(EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
					continue;
			}
			/* readable: the server answered (an error) or closed */
			if (c->st == HELD && read(c->fd, buf, sizeof(buf)) > 0 &&
			    !(evs[k].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
				continue;
			if (c->st == HELD) {
				closed++;
				if (now - c->since > longest)
					longest = now - c->since;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = -1;
			c->st = DOWN;
			c->since = now + RECONNECT_NS;
		}
	}
	for (i = 0; i < total; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	printf("slowloris: done: peak %d held, %llu closed by the server, longest %.1f s\n",
	       peak, closed, longest / 1e9);
	free(cl);
	close(ep);
	return 0;
}
