// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The packet builder against known bytes. The vectors below come from
 * outside the builder: the IPv4 header is the worked example of the
 * Wikipedia article "Internet checksum" (checksum 0xb861), and the frames
 * were written with `unit_runner -w` and checked by `tcpdump -vv` (IP,
 * TCP, UDP, ICMP, ICMPv6 checksums "correct"/"sum ok"). Later features
 * (checksum validation, MSS clamping) rely on the builder's checksums.
 */
#include <stdio.h>
#include <string.h>

#include "pkt_builder.h"
#include "test.h"

static size_t unhex(const char *s, __u8 *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (*s && n < max) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = v;
		s += 2;
	}
	return n;
}

static void expect_bytes(const struct pb *b, const char *hex, const char *what)
{
	__u8 want[PB_MAX_LEN];
	size_t n = unhex(hex, want, sizeof(want));

	if (!ASSERT_EQ(b->len, n, what))
		unit_hexdump("built", b->data, b->len);
	else
		ASSERT_MEMEQ(b->data, want, n, what);
}

/* IP(src="192.168.0.1", dst="192.168.0.199", flags="DF", id=0)/P(95)
 * with proto 17: the textbook header 4500 0073 0000 4000 4011 b861 ... */
UNIT_TEST(builder_ipv4_header_checksum_vector)
{
	static const __u8 want[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	struct pb b;

	pb_init(&b);
	pb_ipv4(&b, &(struct pb_ipv4_opts){ .src = "192.168.0.1",
					    .dst = "192.168.0.199",
					    .frag = PB_IP_DF });
	pb_l4_raw(&b, 17, NULL, 0x73 - 20);
	pb_finish(&b);
	ASSERT_MEMEQ(b.data, want, sizeof(want), "IPv4 header");
}

/* Ether(**E)/IP(**V4)/TCP(**T) */
UNIT_TEST(builder_ipv4_tcp_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, NULL);
	pb_tcp(&b, NULL);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 0800 4500"
		     "0028 0000 0000 4006 8e99 c000 0201 c633"
		     "6402 9c40 0050 0000 0000 0000 0000 5002"
		     "ffff 271b 0000", "frame");
}

/* Ether(**E)/IP(**V4)/UDP(sport=5000, dport=53)/P(20) */
UNIT_TEST(builder_ipv4_udp_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, NULL);
	pb_udp(&b, 5000, 53);
	pb_raw(&b, NULL, 20);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 0800 4500"
		     "0030 0000 0000 4011 8e86 c000 0201 c633"
		     "6402 1388 0035 001c 5f17 a0a1 a2a3 a4a5"
		     "a6a7 a8a9 aaab acad aeaf b0b1 b2b3", "frame");
}

/* Ether(**E)/IP(**V4)/ICMP(type=8, id=1, seq=1) */
UNIT_TEST(builder_ipv4_icmp_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, NULL);
	pb_icmp(&b, 8, 0, 1, 1);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 0800 4500"
		     "001c 0000 0000 4001 8eaa c000 0201 c633"
		     "6402 0800 f7fd 0001 0001", "frame");
}

/* Ether(**E)/IPv6(**V6, fl=0x12345, tc=0x20)/UDP(sport=5000, dport=53)/P(20) */
UNIT_TEST(builder_ipv6_udp_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv6(&b, &(struct pb_ipv6_opts){ .flow = 0x12345, .tclass = 0x20 });
	pb_udp(&b, 5000, 53);
	pb_raw(&b, NULL, 20);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 86dd 6201"
		     "2345 001c 1140 2001 0db8 0000 0000 0000"
		     "0000 0000 0001 2001 0db8 0000 0000 0000"
		     "0000 0000 0002 1388 0035 001c efd9 a0a1"
		     "a2a3 a4a5 a6a7 a8a9 aaab acad aeaf b0b1"
		     "b2b3", "frame");
}

/* Ether(**E)/IPv6(**V6)/ICMPv6EchoRequest(id=1, seq=1) */
UNIT_TEST(builder_ipv6_icmp6_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv6(&b, NULL);
	pb_icmp6(&b, 128, 0, 1, 1);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 86dd 6000"
		     "0000 0008 3a40 2001 0db8 0000 0000 0000"
		     "0000 0000 0001 2001 0db8 0000 0000 0000"
		     "0000 0000 0002 8000 2446 0001 0001", "frame");
}

/* Ether(**E)/IPv6(**V6)/AH(spi=0x100, seq=1, icv=...)/TCP(**T): the
 * AH length field and the next-header chain */
UNIT_TEST(builder_ipv6_ah_tcp_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv6(&b, NULL);
	pb_ipv6_ah(&b, 0x100, 1, 12);
	pb_tcp(&b, NULL);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 86dd 6000"
		     "0000 002c 3340 2001 0db8 0000 0000 0000"
		     "0000 0000 0001 2001 0db8 0000 0000 0000"
		     "0000 0000 0002 0604 0000 0000 0100 0000"
		     "0001 a0a1 a2a3 a4a5 a6a7 a8a9 aaab 9c40"
		     "0050 0000 0000 0000 0000 5002 ffff b7dd"
		     "0000", "frame");
}

/* Ether(**E)/IP(**V4)/UDP(sport=54321, dport=4789)/VXLAN(vni=42)
 * /Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02")
 * /IP(src="203.0.113.1", dst="203.0.113.2", id=0)/TCP(**T): the outer UDP
 * checksum covers the finished inner packet */
UNIT_TEST(builder_vxlan_vector)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, NULL);
	pb_udp(&b, 54321, 4789);
	pb_vxlan(&b, 42);
	pb_eth(&b, &(struct pb_eth_opts){ .src = "02:00:00:00:01:01",
					   .dst = "02:00:00:00:01:02" });
	pb_ipv4(&b, &(struct pb_ipv4_opts){ .src = "203.0.113.1",
					    .dst = "203.0.113.2" });
	pb_tcp(&b, NULL);
	pb_finish(&b);
	expect_bytes(&b,
		     "0200 0000 0002 0200 0000 0001 0800 4500"
		     "005a 0000 0000 4011 8e5c c000 0201 c633"
		     "6402 d431 12b5 0046 6460 0800 0000 0000"
		     "2a00 0200 0000 0102 0200 0000 0101 0800"
		     "4500 0028 0000 0000 4006 02cc cb00 7101"
		     "cb00 7102 9c40 0050 0000 0000 0000 0000"
		     "5002 ffff 9b4d 0000", "frame");
}

/* Ether(**E)/Dot1AD(vlan=200)/Dot1Q(vlan=100)/IP(**V4): TPIDs and
 * ethertypes land in the right type fields */
UNIT_TEST(builder_vlan_types)
{
	struct pb b;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_vlan(&b, 0x88a8, 200);
	pb_vlan(&b, 0x8100, 100);
	pb_ipv4(&b, NULL);
	pb_finish(&b);
	ASSERT_EQ(pb_get16(&b, 12), 0x88a8, "outer TPID");
	ASSERT_EQ(pb_get16(&b, 14), 200, "outer TCI");
	ASSERT_EQ(pb_get16(&b, 16), 0x8100, "inner TPID");
	ASSERT_EQ(pb_get16(&b, 18), 100, "inner TCI");
	ASSERT_EQ(pb_get16(&b, 20), 0x0800, "ethertype");
	ASSERT_EQ(b.data[22], 0x45, "IPv4 follows");
}

/* The chain of next-header values and the extension header lengths. */
UNIT_TEST(builder_ipv6_ext_chain)
{
	struct pb b;
	int hbh, rt, dst, fh, ah;

	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv6(&b, NULL);
	hbh = pb_ipv6_ext(&b, 0, 16);
	rt = pb_ipv6_ext(&b, 43, 8);
	fh = pb_ipv6_frag(&b, 0, false, 9);
	ah = pb_ipv6_ah(&b, 1, 1, 12);
	dst = pb_ipv6_ext(&b, 60, 8);
	pb_udp(&b, 1, 2);
	pb_finish(&b);
	ASSERT_EQ(b.data[14 + 6], 0, "IPv6 next header: hop-by-hop");
	ASSERT_EQ(b.data[hbh], 43, "hop-by-hop -> routing");
	ASSERT_EQ(b.data[hbh + 1], 1, "hop-by-hop hdrlen (16 bytes)");
	ASSERT_EQ(b.data[rt], 44, "routing -> fragment");
	ASSERT_EQ(b.data[rt + 1], 0, "routing hdrlen");
	ASSERT_EQ(b.data[fh], 51, "fragment -> AH");
	ASSERT_EQ(pb_get16(&b, fh + 2), 0, "atomic fragment");
	ASSERT_EQ(b.data[ah], 60, "AH -> dstopts");
	ASSERT_EQ(b.data[ah + 1], 4, "AH payload length (24 bytes)");
	ASSERT_EQ(b.data[dst], 17, "dstopts -> UDP");
	ASSERT_EQ(pb_get16(&b, 14 + 4), 16 + 8 + 8 + 24 + 8 + 8,
		  "IPv6 payload length");
	ASSERT_EQ(pb_check(&b, (char[64]){}, 64), 0, "lengths and checksums");
}

/* Fragments carry consecutive slices of the datagram with the right
 * offsets and flags, and the slices put back together are the datagram. */
UNIT_TEST(builder_fragments)
{
	struct pb w, f[3];
	const size_t off[3] = { 0, 48, 96 }, len[3] = { 48, 48, 12 };
	size_t i, ip = 14;
	char err[128];

	pb_init(&w);
	pb_eth(&w, NULL);
	pb_ipv4(&w, &(struct pb_ipv4_opts){ .id = 7 });
	pb_udp(&w, 5000, 53);
	pb_raw(&w, NULL, 100);
	pb_finish(&w);

	for (i = 0; i < 3; i++) {
		bool last = i == 2;

		pb_fragment(&f[i], &w, off[i], len[i], !last);
		ASSERT_EQ(f[i].len, ip + 20 + len[i], "fragment length");
		ASSERT_EQ(pb_get16(&f[i], ip + 2), 20 + len[i], "total length");
		ASSERT_EQ(pb_get16(&f[i], ip + 6),
			  off[i] / 8 | (last ? 0 : PB_IP_MF), "frag_off");
		ASSERT_EQ(pb_get16(&f[i], ip + 4), 7, "id");
		ASSERT_MEMEQ(f[i].data + ip + 20, w.data + ip + 20 + off[i],
			     len[i], "fragment payload");
		ASSERT_EQ(pb_check(&f[i], err, sizeof(err)), 0, err);
	}

	/* IPv6: the fragment header's offset and M flag */
	pb_init(&w);
	pb_eth(&w, NULL);
	pb_ipv6(&w, NULL);
	pb_ipv6_frag(&w, 0, false, 9);
	pb_udp(&w, 5000, 53);
	pb_raw(&w, NULL, 100);
	pb_finish(&w);
	pb_fragment(&f[0], &w, 48, 48, true);
	ASSERT_EQ(pb_get16(&f[0], ip + 4), 8 + 48, "IPv6 payload length");
	ASSERT_EQ(pb_get16(&f[0], ip + 40 + 2), 48 | 1, "offset 48, M");
	ASSERT_MEMEQ(f[0].data + ip + 48, w.data + ip + 48 + 48, 48,
		     "IPv6 fragment payload");
}

/* pb_check() must catch what it claims to check. */
UNIT_TEST(builder_check_catches_errors)
{
	struct pb b, bad;
	char err[128];
	int ip, udp;

	pb_init(&b);
	pb_eth(&b, NULL);
	ip = pb_ipv4(&b, NULL);
	udp = pb_udp(&b, 5000, 53);
	pb_raw(&b, NULL, 20);
	pb_pad_to(&b, 80);
	pb_finish(&b);
	if (!ASSERT_EQ(pb_check(&b, err, sizeof(err)), 0, "good packet"))
		unit_log("%s\n", err);

	bad = b;
	bad.data[udp + 10] ^= 1;
	ASSERT_EQ(pb_check(&bad, err, sizeof(err)), -1, "payload bit flip");

	bad = b;
	bad.data[ip + 8] ^= 1;
	ASSERT_EQ(pb_check(&bad, err, sizeof(err)), -1, "IPv4 header bit flip");

	bad = b;
	pb_put16(&bad, udp + 4, 27);
	ASSERT_EQ(pb_check(&bad, err, sizeof(err)), -1, "UDP length");

	/* padding is not covered by any checksum */
	bad = b;
	bad.data[b.len - 1] = 0xff;
	ASSERT_EQ(pb_check(&bad, err, sizeof(err)), 0, "padding change");
}

/*
 * pb_raw_to(): payload that the lengths cover, up to a frame length, and
 * nothing on a frame already that long (unlike pb_pad_to(), whose bytes
 * no length covers).
 */
UNIT_TEST(builder_raw_to_frame_length)
{
	__u8 count[64];
	struct pb b;
	char err[128];
	int udp, raw, i;

	for (i = 0; i < (int)sizeof(count); i++)
		count[i] = i;
	pb_init(&b);
	pb_eth(&b, NULL);
	pb_ipv4(&b, NULL);
	udp = pb_udp(&b, 5000, 53);
	raw = pb_raw_to(&b, 64, count);
	pb_raw_to(&b, 60, NULL);
	pb_finish(&b);
	ASSERT_EQ(b.len, 64, "frame length");
	ASSERT_EQ(raw, 14 + 20 + 8, "payload offset");
	ASSERT_EQ(pb_get16(&b, 14 + 2), 64 - 14, "IPv4 total length");
	ASSERT_EQ(pb_get16(&b, udp + 4), 64 - udp, "UDP length");
	ASSERT_MEMEQ(b.data + raw, count, 64 - raw, "payload: data's first bytes");
	if (!ASSERT_EQ(pb_check(&b, err, sizeof(err)), 0, "lengths and checksums"))
		unit_log("%s\n", err);
}
