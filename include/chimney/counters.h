/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one list of counters. BPF indexes a PERCPU_ARRAY value by the enum
 * built from it; `chimney stats`, the JSON output and the Prometheus
 * exposition take their names and help text from the same list.
 *
 * Hook counters are kept twice, once per hook, with an rx_ (XDP ingress)
 * or tx_ (TC egress) prefix, so the same parser outcome is visible per
 * direction. Global counters belong to one hook's feature and have a
 * single name.
 */
#ifndef CHIMNEY_COUNTERS_H
#define CHIMNEY_COUNTERS_H

/* X(name, help) - counted separately for rx (XDP) and tx (TC). */
#define CHIMNEY_HOOK_COUNTERS(X)						\
	X(packets,		"Packets seen by the hook")			\
	X(bytes,		"Bytes seen by the hook (whole frame)")	\
	X(non_ip,		"Frames that are neither IPv4 nor IPv6 (passed)") \
	X(ipv4,			"IPv4 packets")					\
	X(ipv6,			"IPv6 packets")					\
	X(vlan,			"Frames with one or two VLAN tags")		\
	X(ip_options,		"IPv4 packets carrying header options")	\
	X(ipv6_ext,		"IPv6 packets carrying extension headers")	\
	X(fragment,		"IP fragments (L4 not parsed past the first)") \
	X(tcp,			"TCP segments")					\
	X(udp,			"UDP datagrams")				\
	X(icmp,			"ICMP messages")				\
	X(icmp6,		"ICMPv6 messages")				\
	X(l4_other,		"IP packets with another L4 protocol")		\
	X(vxlan,		"VXLAN packets whose inner headers were parsed") \
	CHIMNEY_PARSE_REASONS(X)

/*
 * X(name, help) - why the parser gave up on a frame. Each reason is a
 * counter; the frame always passes unchanged.
 */
#define CHIMNEY_PARSE_REASONS(X)						\
	X(parse_eth_truncated,	"Frame shorter than an Ethernet header")	\
	X(parse_vlan_truncated,	"VLAN tag runs past the frame")		\
	X(parse_vlan_too_deep,	"More than two VLAN tags")			\
	X(parse_ipv4_truncated,	"IPv4 header runs past the frame")		\
	X(parse_ipv4_bad_version, "IPv4 ethertype but IP version is not 4") \
	X(parse_ipv4_bad_ihl,	"IPv4 IHL below 5")				\
	X(parse_ipv4_bad_len,	"IPv4 total length shorter than its header") \
	X(parse_ipv4_len_beyond, "IPv4 total length beyond the frame")	\
	X(parse_ipv6_truncated,	"IPv6 header runs past the frame")		\
	X(parse_ipv6_bad_version, "IPv6 ethertype but IP version is not 6") \
	X(parse_ipv6_len_beyond, "IPv6 payload length beyond the frame")	\
	X(parse_ipv6_ext_truncated, "IPv6 extension header runs past the packet") \
	X(parse_ipv6_ext_too_deep, "IPv6 extension-header chain longer than 6") \
	X(parse_tcp_truncated,	"TCP header runs past the packet")		\
	X(parse_tcp_bad_doff,	"TCP data offset below 5")			\
	X(parse_tcp_doff_beyond, "TCP data offset past the end of the packet") \
	X(parse_udp_truncated,	"UDP header runs past the packet")		\
	X(parse_udp_bad_len,	"UDP length below 8 or beyond the IP payload") \
	X(parse_icmp_truncated,	"ICMP header runs past the packet")		\
	X(parse_icmp6_truncated, "ICMPv6 header runs past the packet")	\
	X(parse_vxlan_truncated, "VXLAN inner headers run past the packet")

/* X(name, help) - receive-side steering (bpf/lib/rss.h). */
#define CHIMNEY_STEER_COUNTERS(X)						\
	X(steer_redirect,	"Packets redirected to their CPU's cpumap queue (counted on the receiving CPU)") \
	X(steer_received,	"Steered packets that reached their target CPU (per-CPU: where the work landed)") \
	X(steer_inner,		"VXLAN packets steered by their inner flow")	\
	X(steer_no_cpu,		"Indirection entry names a CPU missing from the cpumap (passed locally)") \
	X(steer_skip_non_ip,	"Frames not steered because they are not IP")

/* X(name, help) - features that run in one hook only. */
#define CHIMNEY_GLOBAL_COUNTERS(X)						\
	X(xdp_aborted,		"XDP program hit an internal error (map lookup failed)") \
	CHIMNEY_STEER_COUNTERS(X)

enum chimney_hook {
	CHIMNEY_HOOK_RX = 0,	/* XDP ingress */
	CHIMNEY_HOOK_TX = 1,	/* TC egress */
	CHIMNEY_HOOK_MAX,
};

#define __CHIMNEY_HC(name, help) HC_##name,
/* Index of a hook counter inside one hook's block. */
enum chimney_hook_ctr {
	CHIMNEY_HOOK_COUNTERS(__CHIMNEY_HC)
	HC_MAX,
};
#undef __CHIMNEY_HC

#define __CHIMNEY_GC(name, help) GC_##name,
enum chimney_global_ctr {
	GC_FIRST = HC_MAX * CHIMNEY_HOOK_MAX - 1,
	CHIMNEY_GLOBAL_COUNTERS(__CHIMNEY_GC)
	GC_END,
};
#undef __CHIMNEY_GC

#define CHIMNEY_NR_COUNTERS GC_END

/*
 * The counters map value. Its fields are named, so that
 * `bpftool map dump` prints rx_packets = 12 rather than an anonymous
 * array; the field order matches the enums above, which lets BPF and
 * user space index it as a flat __u64 array too.
 */
#define __CHIMNEY_RX(name, help) __u64 rx_##name;
#define __CHIMNEY_TX(name, help) __u64 tx_##name;
#define __CHIMNEY_G(name, help) __u64 name;
struct chimney_counters {
	CHIMNEY_HOOK_COUNTERS(__CHIMNEY_RX)
	CHIMNEY_HOOK_COUNTERS(__CHIMNEY_TX)
	CHIMNEY_GLOBAL_COUNTERS(__CHIMNEY_G)
};
#undef __CHIMNEY_RX
#undef __CHIMNEY_TX
#undef __CHIMNEY_G

#define CHIMNEY_HOOK_IDX(hook, hc) ((hook) * HC_MAX + (hc))

#endif /* CHIMNEY_COUNTERS_H */
