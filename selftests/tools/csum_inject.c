// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * csum_inject: send crafted Ethernet frames with good or deliberately
 * wrong checksums through an AF_PACKET socket, exactly --count of them,
 * and (with --listen) receive UDP datagrams to see which ones a stack
 * delivered. For the checksum e2e tests and the demo.
 *
 *   csum_inject -i IFACE --dst-mac MAC --src IP --dst IP
 *               [--proto tcp|udp|icmp] [--corrupt KIND] [--count N]
 *               [--len BYTES] [--tag TEXT] [--pcap FILE] [-v]
 *   csum_inject --listen PORT [--timeout SECS]
 *
 * Corruption kinds, each made so that exactly one checksum is wrong:
 *   none     all checksums right
 *   payload  one payload byte flipped after the checksums were computed
 *   iphdr    the IPv4 header checksum wrong (L4 right)
 *   l4       the L4 checksum field wrong
 *   zero     UDP checksum field 0 ("none computed": valid over IPv4,
 *            invalid over IPv6)
 *
 * --claim-len N adds N to the IPv4 total length (the header checksum
 * follows, unless --corrupt iphdr): an IP length beyond the frame.
 *
 * -v prints, per frame, the checksum it carries and the one it should
 * carry, as `chimney trace` reports them. --pcap also writes the frames
 * sent, so a test can compare them with what was captured.
 *
 * Payload: "chimney:TAG:SEQ:" and then a byte pattern up to --len.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "pkt_builder.h"
#include "trace_pcap.h"

enum corrupt { C_NONE, C_PAYLOAD, C_IPHDR, C_L4, C_ZERO };

static const char *const corrupt_names[] = {
	[C_NONE] = "none", [C_PAYLOAD] = "payload", [C_IPHDR] = "iphdr",
	[C_L4] = "l4", [C_ZERO] = "zero",
};

struct opts {
	const char *ifname, *src_mac, *dst_mac, *src, *dst, *tag, *pcap;
	const char *proto;
	enum corrupt corrupt;
	unsigned long count;
	size_t len;
	unsigned int claim;
	__u16 sport, dport;
	int verbose;
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("csum_inject: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	exit(1);
}

static int family_of(const char *addr)
{
	struct in6_addr a;

	if (inet_pton(AF_INET, addr, &a) == 1)
		return 4;
	if (inet_pton(AF_INET6, addr, &a) == 1)
		return 6;
	die("bad address '%s'", addr);
}

/* One frame: the headers, the payload for sequence seq, all finished. */
static void build(struct pb *b, const struct opts *o, unsigned long seq,
		  int flip)
{
	__u8 payload[PB_MAX_LEN];
	int fam = family_of(o->src);
	size_t n;

	if (family_of(o->dst) != fam)
		die("--src and --dst are of different families");
	n = snprintf((char *)payload, sizeof(payload), "chimney:%s:%lu:",
		     o->tag, seq);
	if (o->len > n)
		n = o->len;
	if (n > PB_MAX_LEN - 100)
		die("--len %zu too long", o->len);
	for (size_t i = strlen((char *)payload); i < n; i++)
		payload[i] = 'a' + i % 26;
	if (flip >= 0)
		payload[flip] ^= 0x20;

	pb_init(b);
	pb_eth(b, &(struct pb_eth_opts){ .src = o->src_mac, .dst = o->dst_mac });
	if (fam == 4)
		pb_ipv4(b, &(struct pb_ipv4_opts){ .src = o->src, .dst = o->dst,
						   .id = seq });
	else
		pb_ipv6(b, &(struct pb_ipv6_opts){ .src = o->src, .dst = o->dst });
	if (!strcmp(o->proto, "tcp"))
		pb_tcp(b, &(struct pb_tcp_opts){ .sport = o->sport, .dport = o->dport,
						 .flags = CHIMNEY_TCP_ACK |
							  CHIMNEY_TCP_PSH,
						 .seq = 1000 + seq, .ack = 1 });
	else if (!strcmp(o->proto, "udp"))
		pb_udp(b, o->sport, o->dport);
	else if (!strcmp(o->proto, "icmp") && fam == 4)
		pb_icmp(b, 8, 0, 0x4242, seq);
	else if (!strcmp(o->proto, "icmp"))
		pb_icmp6(b, 128, 0, 0x4242, seq);
	else
		die("unknown --proto '%s'", o->proto);
	pb_raw(b, payload, n);
	pb_finish(b);
}

/* Offset of the L4 checksum field, and of the payload. */
static size_t l4_csum_off(const struct pb *b)
{
	static const enum pb_kind kinds[] = { PB_TCP, PB_UDP, PB_ICMP, PB_ICMP6 };
	static const size_t field[] = { 16, 6, 2, 2 };
	size_t i;
	int l;

	for (i = 0; i < 4; i++) {
		l = pb_find(b, kinds[i], 0);
		if (l >= 0)
			return b->layer[l].off + field[i];
	}
	die("no L4 layer");
}

static size_t payload_off(const struct pb *b)
{
	return b->layer[pb_find(b, PB_RAW, 0)].off;
}

/* A wrong value for a checksum field: never 0, which means "none". */
static __u16 wrong(__u16 v)
{
	return (v ^ 0x5a5a) ? v ^ 0x5a5a : v ^ 0xa5a5;
}

/*
 * The frame for seq with its corruption applied; *found is the checksum
 * field it carries where it is wrong, *expected the right value.
 */
static void make(struct pb *b, const struct opts *o, unsigned long seq,
		 __u16 *found, __u16 *expected)
{
	struct pb right;
	size_t ip = 14, f;
	int flip;

	build(b, o, seq, -1);
	if (o->claim) {
		if (pb_find(b, PB_IPV4, 0) < 0)
			die("--claim-len needs IPv4");
		pb_put16(b, ip + 2, pb_get16(b, ip + 2) + o->claim);
		pb_ipv4_fix_csum(b, ip);
	}
	switch (o->corrupt) {
	case C_NONE:
		f = l4_csum_off(b);
		*found = *expected = pb_get16(b, f);
		break;
	case C_PAYLOAD:
		/* The checksum of the flipped payload is what it should be;
		 * the frame keeps the one of the original. */
		flip = (b->len - payload_off(b)) / 2;
		build(&right, o, seq, flip);
		f = l4_csum_off(b);
		*found = pb_get16(b, f);
		*expected = pb_get16(&right, f);
		pb_put8(b, payload_off(b) + flip,
			right.data[payload_off(&right) + flip]);
		break;
	case C_IPHDR:
		if (pb_find(b, PB_IPV4, 0) < 0)
			die("--corrupt iphdr needs IPv4");
		*expected = pb_get16(b, ip + 10);
		*found = wrong(*expected);
		pb_put16(b, ip + 10, *found);
		break;
	case C_L4:
		f = l4_csum_off(b);
		*expected = pb_get16(b, f);
		*found = wrong(*expected);
		pb_put16(b, f, *found);
		break;
	case C_ZERO:
		if (pb_find(b, PB_UDP, 0) < 0)
			die("--corrupt zero needs --proto udp");
		f = l4_csum_off(b);
		*expected = pb_get16(b, f);
		*found = 0;
		pb_put16(b, f, 0);
		break;
	}
}

static struct trace_pcap *pcap_open(const char *path)
{
	struct trace_pcap *p;
	char err[256];

	p = trace_pcap_open(path, 65535, err, sizeof(err));
	if (!p)
		die("%s: %s", path, err);
	return p;
}

static void pcap_write(struct trace_pcap *p, const void *frame, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	trace_pcap_write(p, ts.tv_sec * 1000000000LL + ts.tv_nsec, frame, len,
			 len);
}

static int inject(struct opts *o)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	static char mac[32];
	struct ifreq ifr = {};
	struct trace_pcap *pcap = NULL;
	unsigned long i;
	struct pb b;
	int s;

	if (!o->ifname || !o->dst_mac || !o->src || !o->dst)
		die("-i, --dst-mac, --src and --dst are required");
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0)
		die("AF_PACKET socket: %s", strerror(errno));
	sll.sll_ifindex = if_nametoindex(o->ifname);
	if (!sll.sll_ifindex)
		die("no interface %s", o->ifname);
	if (!o->src_mac) {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
		if (ioctl(s, SIOCGIFHWADDR, &ifr))
			die("%s: no hardware address: %s", o->ifname, strerror(errno));
		snprintf(mac, sizeof(mac), "%s",
			 ether_ntoa((struct ether_addr *)ifr.ifr_hwaddr.sa_data));
		o->src_mac = mac;
	}
	sll.sll_halen = 6;
	if (o->pcap)
		pcap = pcap_open(o->pcap);

	for (i = 0; i < o->count; i++) {
		__u16 found = 0, expected = 0;

		make(&b, o, i, &found, &expected);
		if (sendto(s, b.data, b.len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) != (ssize_t)b.len)
			die("send of frame %lu (%zu bytes): %s", i, b.len,
			    strerror(errno));
		if (pcap)
			pcap_write(pcap, b.data, b.len);
		if (o->verbose)
			printf("frame %lu len %zu %s checksum 0x%04x, expected 0x%04x\n",
			       i, b.len, corrupt_names[o->corrupt], found,
			       expected);
	}
	trace_pcap_close(pcap);
	close(s);
	return 0;
}

/*
 * Print "chimney:TAG:SEQ:" of every UDP datagram that reaches PORT (IPv4
 * and IPv6), until `timeout` seconds pass.
 */
static int listen_udp(unsigned int port, double timeout)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct timespec start, now;
	char buf[PB_MAX_LEN];
	int s, off = 0;
	ssize_t n;

	s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0)
		die("UDP socket: %s", strerror(errno));
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind port %u: %s", port, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &start);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		double left;
		char *c;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout - (now.tv_sec - start.tv_sec) -
		       (now.tv_nsec - start.tv_nsec) / 1e9;
		if (left <= 0)
			break;
		if (poll(&p, 1, left * 1000 + 1) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			die("recv: %s", strerror(errno));
		buf[n] = 0;
		/* up to the third ':' after "chimney" */
		c = buf;
		for (int k = 0; k < 3 && c; k++)
			c = strchr(c + 1, ':');
		if (c)
			c[1] = 0;
		printf("%s\n", buf);
	}
	close(s);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: csum_inject -i IFACE --dst-mac MAC --src IP --dst IP\n"
	      "                   [--proto tcp|udp|icmp] [--corrupt none|payload|iphdr|l4|zero]\n"
	      "                   [--count N] [--len BYTES] [--sport N] [--dport N]\n"
	      "                   [--src-mac MAC] [--tag TEXT] [--pcap FILE]\n"
	      "                   [--claim-len N] [-v]\n"
	      "       csum_inject --listen PORT [--timeout SECS]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "src-mac", required_argument, NULL, 'S' },
		{ "dst-mac", required_argument, NULL, 'D' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "proto", required_argument, NULL, 'p' },
		{ "corrupt", required_argument, NULL, 'x' },
		{ "count", required_argument, NULL, 'c' },
		{ "len", required_argument, NULL, 'l' },
		{ "sport", required_argument, NULL, 'P' },
		{ "dport", required_argument, NULL, 'Q' },
		{ "tag", required_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'w' },
		{ "listen", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "claim-len", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct opts o = { .proto = "udp", .count = 1, .tag = "x",
			  .sport = 40000, .dport = 9000 };
	unsigned int listen_port = 0;
	double timeout = 3;
	size_t k;
	int c;

	while ((c = getopt_long(argc, argv, "i:c:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'S': o.src_mac = optarg; break;
		case 'D': o.dst_mac = optarg; break;
		case 's': o.src = optarg; break;
		case 'd': o.dst = optarg; break;
		case 'p': o.proto = optarg; break;
		case 'x':
			for (k = 0; k < sizeof(corrupt_names) / sizeof(corrupt_names[0]); k++)
				if (!strcmp(optarg, corrupt_names[k]))
					break;
			if (k == sizeof(corrupt_names) / sizeof(corrupt_names[0]))
				die("unknown --corrupt '%s'", optarg);
			o.corrupt = k;
			break;
		case 'c': o.count = strtoul(optarg, NULL, 0); break;
		case 'l': o.len = strtoul(optarg, NULL, 0); break;
		case 'P': o.sport = strtoul(optarg, NULL, 0); break;
		case 'Q': o.dport = strtoul(optarg, NULL, 0); break;
		case 't': o.tag = optarg; break;
		case 'w': o.pcap = optarg; break;
		case 'L': listen_port = strtoul(optarg, NULL, 0); break;
		case 'T': timeout = strtod(optarg, NULL); break;
		case 'C': o.claim = strtoul(optarg, NULL, 0); break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (listen_port)
		return listen_udp(listen_port, timeout);
	return inject(&o);
}
