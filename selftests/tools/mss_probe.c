// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mss_probe: the MSS clamping e2e tests' tool (selftests/e2e/test_mss.sh,
 * the `mss` demo scene).
 *
 *   mss_probe send IFACE DST-MAC SRC DST
 *	Send the crafted SYN fixtures out of IFACE through an AF_PACKET
 *	socket, IPv4 or IPv6 after the addresses. Each carries its fixture
 *	number in the TCP source port (50000 + n).
 *   mss_probe recv IFACE COUNT TIMEOUT-MS
 *	Capture TCP SYNs with source ports 50000-50099 on IFACE until COUNT
 *	distinct fixtures arrived or the time is up; print one line per
 *	fixture, in fixture order: its TCP options in hex, the MSS a
 *	receiver reads from them, and whether the TCP checksum is right
 *	(recomputed over the whole segment). Exit 0 when COUNT arrived.
 *   mss_probe list
 *	The fixtures and what each exercises.
 *   mss_probe serve [-6] PORT BYTES
 *	Accept one connection and send BYTES of a known pattern.
 *   mss_probe fetch ADDR PORT BYTES TIMEOUT-S
 *	Connect, read and check BYTES of that pattern. Prints
 *	"bytes=N ok=0|1 seconds=S mbit_s=M mss=X": mss is the connection's
 *	TCP_MAXSEG, the segment size the clamp left it. Exit 0 only when
 *	every byte arrived and matched within TIMEOUT-S.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "pkt_builder.h"
#include "netaddr.h"

#define SPORT_BASE	50000
#define MAX_FIXTURES	100

#define MSS(v)	2, 4, (v) >> 8, (v) & 0xff
#define TS	8, 10, 0, 0, 0, 1, 0, 0, 0, 0
#define SACKOK	4, 2
#define WS	3, 3, 7
#define NOP	1

struct fixture {
	const char *name;
	__u8 flags;		/* 0: SYN */
	__u8 opts[40];
	size_t len;
	size_t payload;		/* data after the header */
	bool ip_opts;		/* IPv4 Router Alert; IPv6 hop-by-hop + dstopts */
};

/*
 * Well-formed option lists only: on these chimney and xt_TCPMSS must
 * agree byte for byte. (On malformed ones they differ on purpose; the
 * unit tests pin chimney's behaviour there.)
 */
#define F(n, fl, data, ipo, ...)					\
	{ .name = n, .flags = fl, .opts = { __VA_ARGS__ },		\
	  .len = sizeof((__u8[]){ __VA_ARGS__ }), .payload = data,	\
	  .ip_opts = ipo }
#define F0(n, fl, data, ipo)						\
	{ .name = n, .flags = fl, .len = 0, .payload = data, .ip_opts = ipo }
#define SA	(CHIMNEY_TCP_SYN | CHIMNEY_TCP_ACK)

static const struct fixture fixtures[] = {
	F("linux_syn", 0, 0, false, MSS(1460), SACKOK, TS, NOP, WS),
	F("mss_last", 0, 0, false, NOP, NOP, NOP, NOP, NOP, TS, SACKOK, WS,
	  MSS(1460)),
	F("mss_after_nop_odd", 0, 0, false, NOP, MSS(1460), NOP, NOP, NOP),
	F("mss_after_timestamp", 0, 0, false, NOP, NOP, TS, MSS(1460)),
	F("mss_after_sackok", 0, 0, false, SACKOK, MSS(1460), NOP, NOP),
	F("mss_after_wscale_odd", 0, 0, false, WS, MSS(1460), NOP),
	F("mss_1200", 0, 0, false, MSS(1200), SACKOK, TS, NOP, WS),
	F("mss_1300", 0, 0, false, MSS(1300), NOP, NOP, NOP, NOP),
	F("mss_1340", 0, 0, false, MSS(1340), NOP, NOP, NOP, NOP),
	F("mss_1360", 0, 0, false, MSS(1360), NOP, NOP, NOP, NOP),
	F("mss_65535", 0, 0, false, MSS(65535)),
	F0("no_options", 0, 0, false),
	F("no_mss", 0, 0, false, SACKOK, NOP, NOP, NOP, WS, TS, NOP, NOP),
	F("no_mss_full_header", 0, 0, false, TS, TS, TS, TS),
	F("no_mss_with_data", 0, 16, false, SACKOK, NOP, NOP),
	F("synack", SA, 0, false, MSS(1460), SACKOK, TS, NOP, WS),
	F0("synack_no_options", SA, 0, false),
	F("ip_options_mss_odd", 0, 0, true, NOP, MSS(1460), NOP, NOP, NOP),
	F0("ip_options_no_mss", 0, 0, true),
	F("ack_not_syn", CHIMNEY_TCP_ACK, 8, false, MSS(1460)),
};

#define NR_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static int usage(void)
{
	fprintf(stderr,
		"usage: mss_probe send IFACE DST-MAC SRC DST\n"
		"       mss_probe recv IFACE COUNT TIMEOUT-MS\n"
		"       mss_probe list\n"
		"       mss_probe serve [-6] PORT BYTES\n"
		"       mss_probe fetch ADDR PORT BYTES TIMEOUT-S\n");
	return 2;
}

static int packet_socket(const char *ifname, struct sockaddr_ll *sll)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0) {
		perror("mss_probe: socket(AF_PACKET)");
		return -1;
	}
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(ETH_P_ALL);
	sll->sll_ifindex = if_nametoindex(ifname);
	if (!sll->sll_ifindex) {
		fprintf(stderr, "mss_probe: no interface %s\n", ifname);
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)sll, sizeof(*sll))) {
		perror("mss_probe: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static void build(struct pb *b, const struct fixture *f, int n, int family,
		  const char *smac, const char *dmac, const char *src,
		  const char *dst)
{
	static const __u8 ra[4] = { 0x94, 0x04, 0, 0 };
	struct pb_eth_opts e = { .src = smac, .dst = dmac };
	struct pb_tcp_opts t = {
		.sport = SPORT_BASE + n, .dport = 5001,
		.seq = 1000 + n, .ack = (f->flags & CHIMNEY_TCP_ACK) ? 7 : 0,
		.flags = f->flags ? f->flags : CHIMNEY_TCP_SYN,
		.win = 64240, .opts = f->opts, .opts_len = f->len,
	};

	pb_init(b);
	pb_eth(b, &e);
	if (family == 4) {
		struct pb_ipv4_opts ip = {
			.src = src, .dst = dst, .frag = PB_IP_DF, .id = n,
			.opts = f->ip_opts ? ra : NULL,
			.opts_len = f->ip_opts ? sizeof(ra) : 0,
		};

		pb_ipv4(b, &ip);
	} else {
		struct pb_ipv6_opts ip = { .src = src, .dst = dst };

		pb_ipv6(b, &ip);
		if (f->ip_opts) {
			pb_ipv6_ext(b, 0, 8);
			pb_ipv6_ext(b, 60, 8);
		}
	}
	pb_tcp(b, &t);
	if (f->payload)
		pb_raw(b, NULL, f->payload);
	pb_finish(b);
}

static int cmd_send(char **argv)
{
	struct sockaddr_ll sll;
	struct ifreq ifr = {};
	char smac[32];
	struct pb b;
	__u8 tmp[16];
	int fd, family;
	size_t i;

	family = inet_pton(AF_INET, argv[2], tmp) == 1 ? 4 : 6;
	fd = packet_socket(argv[0], &sll);
	if (fd < 0)
		return 1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		perror("mss_probe: SIOCGIFHWADDR");
		return 1;
	}
	snprintf(smac, sizeof(smac), "%s",
		 ether_ntoa((struct ether_addr *)ifr.ifr_hwaddr.sa_data));
	for (i = 0; i < NR_FIXTURES; i++) {
		build(&b, &fixtures[i], i, family, smac, argv[1], argv[2],
		      argv[3]);
		if (sendto(fd, b.data, b.len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) != (ssize_t)b.len) {
			perror("mss_probe: sendto");
			return 1;
		}
		/* The router may still be resolving the next hop: its
		 * queue holds a few packets, not a burst. */
		usleep(2000);
	}
	printf("sent %zu fixtures\n", NR_FIXTURES);
	return 0;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

/* The MSS a receiver reads (Linux tcp_parse_options), or -1 for none. */
static int read_mss(const __u8 *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 2 > len || o[i + 1] < 2 || i + o[i + 1] > len)
			break;
		if (o[i] == 2 && o[i + 1] == 4)
			return get16(o + i + 2);
		i += o[i + 1];
	}
	return -1;
}

struct seen {
	bool got;
	char line[256];
};

/* Parse one frame; fill s[n] when it is one of our fixtures. */
static void note(const __u8 *p, size_t len, struct seen *s)
{
	size_t off = 14, l4, tlen, hlen, i;
	char hex[128] = "", mss_s[16] = "none";
	__u32 sum;
	__u8 proto;
	__u16 type;
	int n, mss, used = 0;

	if (len < 14)
		return;
	type = get16(p + 12);
	if (type == 0x0800) {
		if (len < off + 20 || (p[off] >> 4) != 4)
			return;
		proto = p[off + 9];
		l4 = off + (p[off] & 15) * 4;
		tlen = get16(p + off + 2) - (l4 - off);
		sum = pb_csum_add(0, p + off + 12, 8);
	} else if (type == 0x86dd) {
		if (len < off + 40)
			return;
		proto = p[off + 6];
		l4 = off + 40;
		/* hop-by-hop, routing, destination options */
		while ((proto == 0 || proto == 43 || proto == 60) && l4 + 8 <= len) {
			proto = p[l4];
			l4 += (p[l4 + 1] + 1) * 8;
		}
		tlen = off + 40 + get16(p + off + 4) - l4;
		sum = pb_csum_add(0, p + off + 8, 32);
	} else {
		return;
	}
	if (proto != 6 || l4 + 20 > len || l4 + tlen > len)
		return;
	n = get16(p + l4) - SPORT_BASE;
	if (n < 0 || n >= (int)NR_FIXTURES)
		return;
	hlen = (p[l4 + 12] >> 4) * 4;
	if (hlen < 20 || hlen > tlen)
		return;
	sum += 6 + tlen;
	sum = pb_csum_add(sum, p + l4, tlen);
	for (i = 20; i < hlen; i++)
		used += snprintf(hex + used, sizeof(hex) - used, "%02x", p[l4 + i]);
	mss = read_mss(p + l4 + 20, hlen - 20);
	if (mss >= 0)
		snprintf(mss_s, sizeof(mss_s), "%d", mss);
	s[n].got = true;
	snprintf(s[n].line, sizeof(s[n].line),
		 "%02d %-22s flags=%02x doff=%zu data=%zu mss=%s csum=%s opts=%s",
		 n, fixtures[n].name, p[l4 + 13], hlen, tlen - hlen, mss_s,
		 pb_csum_fold(sum) == 0xffff ? "ok" : "BAD", hex[0] ? hex : "-");
}

static int cmd_recv(char **argv)
{
	static struct seen seen[MAX_FIXTURES];
	struct sockaddr_ll sll;
	__u8 buf[4096];
	long want = strtol(argv[1], NULL, 10), timeout = strtol(argv[2], NULL, 10);
	struct timespec t0, t;
	int fd, i, got = 0;

	fd = packet_socket(argv[0], &sll);
	if (fd < 0)
		return 1;
	printf("listening\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout - ((t.tv_sec - t0.tv_sec) * 1000 +
				  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		note(buf, n, seen);
		for (got = 0, i = 0; i < MAX_FIXTURES; i++)
			got += seen[i].got;
	}
	for (i = 0; i < MAX_FIXTURES; i++)
		if (seen[i].got)
			printf("%s\n", seen[i].line);
	return got >= want ? 0 : 1;
}

static __u8 pattern(__u64 i)
{
	return (__u8)(i * 2654435761u >> 13) ^ (__u8)(i >> 8);
}

static int cmd_serve(int argc, char **argv)
{
	int six = argc > 0 && !strcmp(argv[0], "-6");
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	unsigned long long bytes, sent = 0;
	__u8 buf[65536];
	int fd, c, one = 1;
	size_t i, n;
	ssize_t w;

	if (six) {
		argv++;
		argc--;
	}
	if (argc != 2)
		return usage();
	bytes = strtoull(argv[1], NULL, 10);
	fd = socket(six ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a4.sin_port = a6.sin6_port = htons(atoi(argv[0]));
	if (fd < 0 || (six ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
			     bind(fd, (struct sockaddr *)&a4, sizeof(a4))) ||
	    listen(fd, 1)) {
		perror("mss_probe: serve");
		return 1;
	}
	c = accept(fd, NULL, NULL);
	if (c < 0) {
		perror("mss_probe: accept");
		return 1;
	}
	while (sent < bytes) {
		n = bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		w = send(c, buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			return 1;
		sent += w;
	}
	close(c);
	close(fd);
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmd_fetch(char **argv)
{
	unsigned long long bytes = strtoull(argv[2], NULL, 10), got = 0;
	double timeout = strtod(argv[3], NULL), t0, left;
	struct sockaddr_storage ss;
	int fd, mss = 0, ok = 1;
	socklen_t sl = sizeof(mss), alen;
	__u8 buf[65536];
	ssize_t n, i;

	if (netaddr_parse(argv[0], argv[1], &ss, &alen))
		return usage();
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	t0 = now_s();
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, alen)) {
		perror("mss_probe: connect");
		return 1;
	}
	getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &sl);
	while (got < bytes) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		left = timeout - (now_s() - t0);
		if (left <= 0 || poll(&pfd, 1, left * 1000 + 1) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(got + i))
				ok = 0;
		got += n;
	}
	left = now_s() - t0;
	printf("bytes=%llu ok=%d seconds=%.2f mbit_s=%.1f mss=%d\n", got,
	       ok && got == bytes, left, got * 8 / left / 1e6, mss);
	close(fd);
	return ok && got == bytes ? 0 : 1;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "list")) {
		for (i = 0; i < NR_FIXTURES; i++)
			printf("%02zu %s\n", i, fixtures[i].name);
		return 0;
	}
	if (!strcmp(argv[1], "send") && argc == 6)
		return cmd_send(argv + 2);
	if (!strcmp(argv[1], "recv") && argc == 5)
		return cmd_recv(argv + 2);
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fetch") && argc == 6)
		return cmd_fetch(argv + 2);
	return usage();
}
