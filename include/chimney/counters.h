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
	CHIMNEY_PARSE_REASONS(X)						\
	CHIMNEY_MSS_COUNTERS(X)

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

/*
 * X(name, help) - MSS clamping (bpf/lib/mss.h), per direction: rx_ is
 * mss.dir=in (XDP), tx_ is mss.dir=out (TC). Counted only while clamping
 * is on for that direction. Every SYN / SYN-ACK counted in mss_syn ends
 * in exactly one outcome, mss_clamped to mss_no_rule or mss_error;
 * mss_csum_partial is a note on a rewritten packet, not an outcome.
 */
#define CHIMNEY_MSS_COUNTERS(X)						\
	X(mss_syn,		"SYN and SYN-ACK segments seen by the MSS clamp") \
	X(mss_clamped,		"MSS option lowered to the clamp")		\
	X(mss_small_enough,	"MSS option already at or below the clamp (left as is)") \
	X(mss_inserted,		"No MSS option: one inserted, as xt_TCPMSS does (min of clamp and 536 / 1220)") \
	X(mss_absent,		"No MSS option and none inserted: data after the header or no room (as xt_TCPMSS)") \
	X(mss_malformed,	"TCP option list malformed (bad length, runs past the header, duplicate or odd-sized MSS): left as is") \
	X(mss_no_rule,		"No rule applies: no prefix match, and no mss/mtu, or mss=auto found no route MTU") \
	X(mss_fragment,		"TCP fragments skipped by the clamp (no whole header to read)") \
	X(mss_error,		"A helper failed while rewriting the segment (it passes as the helper left it)") \
	X(mss_csum_partial,	"XDP only: rewritten with the checksum field holding only the pseudo-header sum (CHECKSUM_PARTIAL from a local sender), left for the stack to finish")

/*
 * X(name, help) - path-MTU signals seen on ingress (XDP,
 * bpf/lib/pmtu.h): what the network reports about the path. Their MTU
 * values are kept in the pmtu_log map; `chimney stats` shows them.
 */
#define CHIMNEY_PMTU_COUNTERS(X)						\
	X(pmtu_frag_needed,	"ICMP destination unreachable / fragmentation needed received") \
	X(pmtu_pkt_too_big,	"ICMPv6 packet too big received")

/* X(name, help) - receive-side steering (bpf/lib/rss.h). */
#define CHIMNEY_STEER_COUNTERS(X)						\
	X(steer_redirect,	"Packets redirected to their CPU's cpumap queue (counted on the receiving CPU)") \
	X(steer_received,	"Steered packets that reached their target CPU (per-CPU: where the work landed)") \
	X(steer_inner,		"VXLAN packets steered by their inner flow")	\
	X(steer_no_cpu,		"Indirection entry names a CPU missing from the cpumap (passed locally)") \
	X(steer_skip_non_ip,	"Frames not steered because they are not IP")

/*
 * X(name, help) - checksum verification on ingress (bpf/lib/csum.h).
 * While csum= is not off, every IPv4/IPv6 frame ends in exactly one
 * csum_ok_*, csum_bad_* or csum_unverified_* counter, so their sum is
 * rx_ipv4 + rx_ipv6 and the sum of csum_bad_* is the number of frames
 * proven bad. A frame whose IPv4 header and L4 checksum are both wrong
 * is one csum_bad_ip: the L4 sum covers addresses from that header.
 * csum_drop and csum_samples* are notes on bad frames, not outcomes.
 */
#define CHIMNEY_CSUM_COUNTERS(X)						\
	X(csum_ok_tcp,		"IPv4 TCP: IP header and TCP checksum right")	\
	X(csum_ok_udp,		"IPv4 UDP: IP header and UDP checksum right")	\
	X(csum_ok_udp_zero,	"IPv4 UDP with checksum 0 (not computed, valid per RFC 768); IP header right") \
	X(csum_ok_icmp,		"IPv4 ICMP: IP header and ICMP checksum right") \
	X(csum_ok_tcp6,		"IPv6 TCP checksum right")			\
	X(csum_ok_udp6,		"IPv6 UDP checksum right")			\
	X(csum_ok_icmp6,	"ICMPv6 checksum right")			\
	X(csum_bad_ip,		"IPv4 header checksum wrong (L4 not judged: its pseudo-header uses this header)") \
	X(csum_bad_tcp,		"IPv4 TCP checksum wrong")			\
	X(csum_bad_udp,		"IPv4 UDP checksum wrong")			\
	X(csum_bad_icmp,	"IPv4 ICMP checksum wrong")			\
	X(csum_bad_tcp6,	"IPv6 TCP checksum wrong")			\
	X(csum_bad_udp6,	"IPv6 UDP checksum wrong")			\
	X(csum_bad_udp6_zero,	"IPv6 UDP with checksum 0 (invalid, RFC 8200 8.1)") \
	X(csum_bad_icmp6,	"ICMPv6 checksum wrong")			\
	X(csum_unverified_fragment, "IP fragments: L4 checksum covers the whole datagram (IPv4 header verified)") \
	X(csum_unverified_truncated, "IP length beyond the frame (IPv4 header verified)") \
	X(csum_unverified_proto, "L4 protocol without a checksum chimney checks (IPv4 header verified)") \
	X(csum_unverified_rthdr, "IPv6 routing header with segments left: the pseudo-header needs the final destination") \
	X(csum_unverified_parse, "Parser gave up on the IP or L4 header (IPv4 header verified when readable)") \
	X(csum_unverified_load,	"Multi-buffer frame whose bytes could not be read (bpf_xdp_load_bytes failed)") \
	X(csum_drop,		"Frames dropped by csum=drop (each is also one csum_bad_*)") \
	X(csum_samples,		"Bad frames sampled to the events ring buffer (chimney trace)") \
	X(csum_samples_ratelimited, "Bad frames not sampled: over csum.sample_rate") \
	X(csum_samples_lost,	"Bad frames not sampled: events ring buffer full (no reader)")

/*
 * X(name, help) - the flow table (bpf/lib/flow.h) and flow affinity in
 * steering. Counted only while flow=on. Every IP packet that is not a
 * fragment either finds its flow (flow_hit) or creates it
 * (flow_created, or flow_insert_race when another CPU got there first),
 * or is left untracked (flow_insert_failed).
 */
#define CHIMNEY_FLOW_COUNTERS(X)						\
	X(flow_hit,		"Packets that found their flow in the table")	\
	X(flow_created,		"Flows inserted (created - expired - evicted = entries)") \
	X(flow_insert_race,	"New flows another CPU inserted first (the packet joined that entry)") \
	X(flow_insert_failed,	"Packets not tracked: inserting their flow failed") \
	X(flow_tcp_reuse,	"Closed TCP flows restarted by a new SYN on the same 5-tuple") \
	X(flow_skip_fragment,	"IP fragments not tracked (ports are only in the first)") \
	X(flow_skip_non_ip,	"Frames not tracked because they are not IP")	\
	X(steer_flow_placed,	"Flows given a CPU by the indirection table (new, or idle past flow.rebalance_idle)") \
	X(steer_flow_moved,	"Idle flows whose new placement is another CPU") \
	X(steer_flow_cpu_gone,	"Flows whose CPU left the cpumap: placed again by the table")

/*
 * X(name, help) - kept by `chimney run` in each instance's flow_stats
 * map (struct chimney_flow_stats), not in the per-CPU block: user space
 * writes them. Expiries by reason come from CHIMNEY_FLOW_STATES
 * (include/chimney/flow.h).
 */
#define CHIMNEY_SWEEP_COUNTERS(X)						\
	X(flow_sweeps,		"Sweeps of the flow table by chimney run")	\
	X(flow_evictions,	"Flows the LRU pushed out to make room (flow_created - expired - entries)")

/* X(name, help) - features that run in one hook only. */
#define CHIMNEY_GLOBAL_COUNTERS(X)						\
	X(xdp_aborted,		"XDP program hit an internal error (map lookup failed)") \
	CHIMNEY_STEER_COUNTERS(X)						\
	CHIMNEY_PMTU_COUNTERS(X)						\
	CHIMNEY_CSUM_COUNTERS(X)						\
	CHIMNEY_FLOW_COUNTERS(X)

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
