#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `make demo` / `chimney demo`: a namespace lab that shows each field
# failure chimney exists for, and its fix. Every scene builds its own
# namespaces and tears them down, also on Ctrl-C or error.
#
#   deploy/demo.sh              all scenes
#   deploy/demo.sh SCENE...     only these (see --help)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHIMNEY=${CHIMNEY:-$ROOT/build/chimney}
ID=demo$$
NSES=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

. "$ROOT/selftests/lib/netns.sh"

cleanup() {
	ns_teardown "${NSES[@]}"
	NSES=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { ip netns add "$1" && NSES+=("$1") && ip -n "$1" link set lo up; }

# A client and a server namespace joined by a veth pair.
lab_pair() {
	CL=${ID}cl SV=${ID}sv
	ns "$CL" && ns "$SV" || exit 1
	ip link add eth0 netns "$CL" type veth peer name eth0 netns "$SV"
	ip -n "$CL" addr add 10.77.0.1/24 dev eth0
	ip -n "$SV" addr add 10.77.0.2/24 dev eth0
	ip -n "$CL" addr add fd77::1/64 dev eth0 nodad
	ip -n "$SV" addr add fd77::2/64 dev eth0 nodad
	# veth senders with tx checksum offload put partial checksums on the
	# wire; XDP cannot tell them from corruption.
	ip netns exec "$CL" ethtool -K eth0 tx off >/dev/null
	ip netns exec "$SV" ethtool -K eth0 tx off >/dev/null
	ip -n "$CL" link set eth0 up
	ip -n "$SV" link set eth0 up
}

scene_basic() {
	say "Scene: attach, run traffic, read the counters"
	lab_pair
	run "$CHIMNEY" -n "$SV" attach eth0 || return 1
	run "$CHIMNEY" -n "$SV" status eth0
	run ip netns exec "$CL" ping -c 5 -i 0.05 -q 10.77.0.2
	run ip netns exec "$CL" ping -c 5 -i 0.05 -q fd77::2
	ip netns exec "$SV" iperf3 -s -1 -D -B 10.77.0.2 >/dev/null
	sleep 0.3
	run ip netns exec "$CL" iperf3 -c 10.77.0.2 -n 20M -f m | tail -4
	run "$CHIMNEY" -n "$SV" stats eth0
	run "$CHIMNEY" -n "$SV" detach eth0
	cleanup
}

# top_during NS LEAD SECS CMD...: run CMD (traffic) in the background
# and, LEAD seconds into it, show chimney top's frame of NS's eth0 over
# the next SECS; then CMD's output. Returns CMD's status.
top_during() {
	local ns=$1 lead=$2 secs=$3 out pid rc
	shift 3
	out=$(mktemp)
	"$@" >"$out" 2>&1 &
	pid=$!
	sleep "$lead"
	run "$CHIMNEY" -n "$ns" top --once -d "$secs" eth0
	wait $pid
	rc=$?
	cat "$out"
	rm -f "$out"
	return $rc
}

# 32 TCP flows from a client that sends everything from CPU 0: the
# process is pinned there, and RPS on its own veth end processes the
# returning ACKs (which clock most TCP sends out) there too. On veth,
# receive processing runs on the sending CPU, so without steering CPU 0
# does all of the server's receive work: a NIC without RSS, whose one
# queue interrupts one CPU. chimney top shows where it went, during the
# run.
scene_steer_flows() {
	printf '$ ip netns exec %s taskset -c 0 iperf3 -c 10.77.0.2 -P 32 -t 4 &\n' "$CL"
	top_during "$SV" 1 2 sh -c "ip netns exec $CL taskset -c 0 iperf3 -c 10.77.0.2 -P 32 -t 4 -f g |
		grep -E 'SUM.*receiver'"
}

scene_steer() {
	say "Scene: receive steering - many flows, one busy CPU, then all CPUs"
	if [ "$(nproc)" -lt 2 ]; then
		echo "(needs at least 2 CPUs; this machine has $(nproc))"
		return 0
	fi
	lab_pair
	ip netns exec "$CL" sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
	ip netns exec "$SV" iperf3 -s -D >/dev/null
	sleep 0.3
	echo "Steering off (no cpus=): packets stay on the CPU that receives them."
	run "$CHIMNEY" -n "$SV" attach eth0 || return 1
	"$CHIMNEY" -n "$SV" status eth0 | grep steering
	scene_steer_flows
	echo
	echo "Steering on: a Toeplitz hash of each flow picks an indirection-table"
	echo "entry; the entry's CPU gets the packet through a cpumap."
	run "$CHIMNEY" -n "$SV" set eth0 cpus=0-1
	"$CHIMNEY" -n "$SV" status eth0 | grep steering
	run "$CHIMNEY" -n "$SV" hash --dev eth0 10.77.0.1 10.77.0.2 40000 5201
	scene_steer_flows
	echo "(CPU 0 also runs the sender here, so the flows it takes get a"
	echo " smaller share of it: TCP adapts each flow to its CPU's speed.)"
	run "$CHIMNEY" -n "$SV" detach eth0
	cleanup
}

# TCP Chimney's failure: offloaded sessions that nobody tore down filled
# the table until the server stopped accepting connections. Here the
# daemon expires what was abandoned, and a table too small for a flood
# of new connections evicts instead of refusing.
scene_flows() {
	local fg=$ROOT/build/flowgen log dpid rc=0
	say "Scene: stale sessions - abandoned connections expire, a flood still connects"
	if [ ! -x "$fg" ]; then
		echo "(needs $fg: run make)"
		return 0
	fi
	lab_pair
	run "$CHIMNEY" -n "$SV" attach eth0 flow=on flow.size=1024 \
		flow.timeout.tcp_established=5s flow.timeout.tcp_closed=2s || return 1
	log=$(mktemp)
	printf '$ %s -n %s run &\n' "$CHIMNEY" "$SV"
	"$CHIMNEY" -n "$SV" run --metrics 127.0.0.1:9477 >"$log" 2>&1 &
	dpid=$!
	ip netns exec "$SV" timeout 120 "$fg" server 10.77.0.2 7000 110 >/dev/null 2>&1 &
	disown $!
	sleep 0.3
	echo "200 connections; the client closes 100 of them cleanly and keeps 100 open:"
	ip netns exec "$CL" timeout 120 "$fg" hold 10.77.0.2 7000 200 100 110 &
	disown $!
	sleep 2
	run "$CHIMNEY" -n "$SV" flows eth0 --sort age --limit 4
	echo
	echo "The client vanishes without FIN or RST: its link goes down, its processes die."
	run ip -n "$CL" link set eth0 down
	ip netns pids "$CL" | xargs -r kill -9
	echo "(waiting 7s: the closed linger is 2s, the established idle timeout 5s)"
	sleep 7
	run "$CHIMNEY" -n "$SV" flows eth0 --limit 4
	echo
	echo "A flood of 5,000 new connections into the 1,024-entry table:"
	run ip -n "$CL" link set eth0 up
	sleep 1
	printf '$ ip netns exec %s %s churn 10.77.0.2 7000 5000 &\n' "$CL" "$fg"
	echo "chimney top during the flood: inserts, evictions, the table full:"
	top_during "$SV" 0 1 ip netns exec "$CL" timeout 100 "$fg" churn 10.77.0.2 7000 5000 || rc=1
	sleep 1
	echo "Every one connected: the LRU evicted the least recently used flows."
	printf '$ curl -s http://127.0.0.1:9477/metrics | grep ...\n'
	ip netns exec "$SV" curl -s http://127.0.0.1:9477/metrics |
		grep -E '^chimney_flow_(entries|table_size|evictions_total|expired_total|created_total)'
	echo "From the daemon's log:"
	grep -E 'full|adopted' "$log" | head -3
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	rm -f "$log"
	run "$CHIMNEY" -n "$SV" detach eth0
	cleanup
	return $rc
}

# Buggy checksum offload passed corrupted frames up as good, and the cure
# was to turn offload off. chimney checks every checksum in XDP: frames
# with wrong ones, injected among good traffic, are counted by reason,
# shown by `chimney trace` (and in a pcap), and with csum=drop never
# reach the stack.
scene_csum() {
	local inj=$ROOT/build/csum_inject mac pcap recv e0 e1
	say "Scene: corrupted frames among good traffic - caught, counted, traced"
	if [ ! -x "$inj" ]; then
		echo "(needs $inj: run make)"
		return 0
	fi
	lab_pair
	mac=$(ip -n "$SV" -j link show dev eth0 | jq -r '.[0].address')
	pcap=$(mktemp --suffix=.pcap)
	recv=$(mktemp)
	# inj ARGS: csum_inject from the client's side of the wire
	inj() { ip netns exec "$CL" "$inj" -i eth0 --dst-mac "$mac" "$@"; }
	run "$CHIMNEY" -n "$SV" attach eth0 || return 1
	run "$CHIMNEY" -n "$SV" stats eth0 | grep -E '^csum_' || echo "(no csum counter yet)"
	ip netns exec "$SV" iperf3 -s -1 -D -B 10.77.0.2 >/dev/null
	sleep 0.3
	echo
	echo "Good traffic: 200 MB of TCP. Meanwhile, 25 corrupted frames from the"
	echo "client's side of the wire: 10 TCP segments with one payload byte"
	echo "flipped, 5 UDP datagrams with a wrong IPv4 header checksum, 5 IPv6/UDP"
	echo "with a wrong checksum, 5 IPv6/UDP with checksum 0 (invalid over IPv6)."
	ip netns exec "$CL" iperf3 -c 10.77.0.2 -n 200M -f m >"$recv" 2>&1 &
	sleep 0.5
	inj --src 10.77.0.1 --dst 10.77.0.2 --proto tcp --corrupt payload --len 300 --count 10
	inj --src 10.77.0.1 --dst 10.77.0.2 --proto udp --corrupt iphdr --len 64 --count 5
	inj --src fd77::1 --dst fd77::2 --proto udp --corrupt l4 --len 100 --count 5
	inj --src fd77::1 --dst fd77::2 --proto udp --corrupt zero --len 100 --count 5
	wait
	grep -E 'receiver' "$recv"
	echo
	echo "Every bad frame counted once, by reason (10 + 5 + 5 + 5), and no good one:"
	run "$CHIMNEY" -n "$SV" stats eth0 | grep -E '^csum_(ok|bad)'
	echo
	echo "The sampled frames, with the checksum found and the one expected:"
	run "$CHIMNEY" -n "$SV" trace eth0 -c 25 -w "$pcap"
	echo
	echo "The same frames in a pcap; tcpdump checks the checksums too:"
	run tcpdump -r "$pcap" -n -v -c 3 2>/dev/null
	echo
	say "csum=drop: a bad datagram never reaches the stack"
	run "$CHIMNEY" -n "$SV" set eth0 csum=drop
	ip netns exec "$SV" timeout 10 "$inj" --listen 9000 --timeout 2 >"$recv" &
	sleep 0.5
	e0=$(ip netns exec "$SV" nstat -asz UdpInCsumErrors | awk '/UdpIn/ {print $2}')
	inj --src 10.77.0.1 --dst 10.77.0.2 --proto udp --tag good --count 5
	inj --src 10.77.0.1 --dst 10.77.0.2 --proto udp --corrupt l4 --tag bad --count 5
	wait
	e1=$(ip netns exec "$SV" nstat -asz UdpInCsumErrors | awk '/UdpIn/ {print $2}')
	echo "The socket received $(grep -c good "$recv") good and $(grep -c bad "$recv") bad datagrams;"
	echo "the kernel's UdpInCsumErrors moved by $((e1 - e0)): XDP dropped the bad ones first."
	run "$CHIMNEY" -n "$SV" stats eth0 | grep -E '^csum_(drop|bad_udp) '
	echo
	say "The trap: partial checksums from tx offload look like corruption"
	echo "A sender with tx checksum offload on (the veth default) leaves the TCP"
	echo "checksum to hardware that a veth does not have: XDP sees a partial one."
	echo "That is what the warning at attach was about."
	run "$CHIMNEY" -n "$SV" set eth0 csum=count csum.sample_rate=0
	printf '$ ip netns exec %s ethtool -K eth0 tx on\n' "$CL"
	ip netns exec "$CL" ethtool -K eth0 tx on >/dev/null
	ip netns exec "$SV" iperf3 -s -1 -D -B 10.77.0.2 >/dev/null
	sleep 0.3
	echo "chimney top while it sends: every segment counted bad, by reason tcp:"
	top_during "$SV" 1 1 sh -c "ip netns exec $CL iperf3 -c 10.77.0.2 -t 3 -b 20M -f m |
		grep -E 'receiver'"
	run "$CHIMNEY" -n "$SV" stats eth0 | grep -E '^csum_bad_tcp '
	echo "(tests and this lab turn tx offload off on senders: ethtool -K eth0 tx off)"
	run "$CHIMNEY" -n "$SV" detach eth0
	rm -f "$pcap" "$recv"
	cleanup
}

# The field failure of issue 5: a VPN tunnel with a smaller MTU, and the
# ICMP "fragmentation needed" messages lost on the way back, so full-size
# packets vanish and downloads hang. The fix is to clamp the MSS of the
# SYNs crossing the router: chimney on the router's client-facing port,
# next to the kernel's own xt_TCPMSS for comparison.
#
#   client c0 - a0 routerA u0 ==VXLAN, MTU 1450== u1 routerB b0 - s0 server
scene_mss() {
	local probe=$ROOT/build/mss_probe CL RA RB SV port=7100 out
	say "Scene: a PMTU black hole behind a VXLAN tunnel (MTU 1450), and the MSS clamp"
	if [ ! -x "$probe" ]; then
		echo "(needs $probe: run make)"
		return 0
	fi
	CL=${ID}mc RA=${ID}ma RB=${ID}mb SV=${ID}ms
	ns "$CL" && ns "$RA" && ns "$RB" && ns "$SV" || return 1
	ip link add c0 netns "$CL" type veth peer name a0 netns "$RA"
	ip link add u0 netns "$RA" type veth peer name u1 netns "$RB"
	ip link add b0 netns "$RB" type veth peer name s0 netns "$SV"
	ip -n "$CL" addr add 10.78.1.2/24 dev c0
	ip -n "$RA" addr add 10.78.1.1/24 dev a0
	ip -n "$RA" addr add 10.78.2.1/24 dev u0
	ip -n "$RB" addr add 10.78.2.2/24 dev u1
	ip -n "$RB" addr add 10.78.4.1/24 dev b0
	ip -n "$SV" addr add 10.78.4.2/24 dev s0
	for l in "$CL c0" "$RA a0" "$RA u0" "$RB u1" "$RB b0" "$SV s0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$RA" link add vx0 type vxlan id 42 local 10.78.2.1 remote 10.78.2.2 dstport 4789 dev u0
	ip -n "$RB" link add vx0 type vxlan id 42 local 10.78.2.2 remote 10.78.2.1 dstport 4789 dev u1
	ip -n "$RA" addr add 10.78.3.1/24 dev vx0
	ip -n "$RB" addr add 10.78.3.2/24 dev vx0
	ip -n "$RA" link set vx0 mtu 1450 up
	ip -n "$RB" link set vx0 mtu 1450 up
	ip -n "$CL" route add default via 10.78.1.1
	ip -n "$SV" route add default via 10.78.4.1
	ip -n "$RA" route add 10.78.4.0/24 via 10.78.3.2
	ip -n "$RB" route add 10.78.1.0/24 via 10.78.3.1
	for n in "$RA" "$RB"; do
		ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
	done
	for n in "$CL" "$SV"; do
		ip netns exec "$n" sysctl -qw net.ipv4.tcp_mtu_probing=0 net.ipv4.tcp_no_metrics_save=1
	done
	ip netns exec "$RA" ethtool -K a0 tx off >/dev/null
	ip netns exec "$RB" ethtool -K b0 tx off >/dev/null
	echo "Router B drops the ICMP \"fragmentation needed\" it sends back to the server:"
	ip netns exec "$RB" nft -f - <<-EOF
	table inet blackhole {
		chain out {
			type filter hook output priority 0; policy accept;
			icmp type destination-unreachable icmp code frag-needed counter drop
			icmpv6 type packet-too-big counter drop
		}
	}
	EOF
	ip netns exec "$RB" nft list chain inet blackhole out | sed -n '/icmp /p'
	ip netns exec "$CL" ping -c1 -W3 10.78.4.2 >/dev/null

	# fetch: a 20 MB download server -> client, 8 s at most
	fetch() {
		port=$((port + 1))
		ip -n "$SV" route flush cache
		ip netns exec "$SV" timeout 20 "$probe" serve $port 20971520 &
		sleep 0.3
		printf '$ client: download 20 MB from 10.78.4.2\n'
		out=$(ip netns exec "$CL" timeout 15 "$probe" fetch 10.78.4.2 $port 20971520 8)
		echo "  $out"
		kill %% 2>/dev/null
		wait 2>/dev/null
	}

	say "Without a clamp: the server's 1500-byte packets do not fit the tunnel"
	fetch
	echo "Stalled. Router B generated the ICMP messages; the rule ate them:"
	ip netns exec "$RB" nft list chain inet blackhole out | sed -n 's/^[[:space:]]*//; /icmp type/p'

	say "With chimney on router A's client-facing port: mtu=1450"
	run "$CHIMNEY" -n "$RA" attach a0 mtu=1450 || return 1
	fetch
	echo "The client's SYN (in, XDP) and the server's SYN-ACK (out, TC) were clamped:"
	run "$CHIMNEY" -n "$RA" stats a0 | grep -E 'mss_'
	run "$CHIMNEY" -n "$RA" detach a0

	say "mss=auto follows the route MTU toward the peer, like --clamp-mss-to-pmtu"
	run "$CHIMNEY" -n "$RA" attach a0 mss=auto || return 1
	fetch
	say "Or a rule for the far side's prefix only, changed live"
	run "$CHIMNEY" -n "$RA" set a0 mss=off
	run "$CHIMNEY" -n "$RA" mss a0 add 10.78.4.0/24 mtu 1450
	run "$CHIMNEY" -n "$RA" mss a0 list
	fetch
	run "$CHIMNEY" -n "$RA" detach a0

	say "The kernel's reference: iptables TCPMSS --clamp-mss-to-pmtu on router A"
	if run ip netns exec "$RA" iptables -t mangle -A FORWARD -p tcp \
		--tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu; then
		fetch
		ip netns exec "$RA" iptables -t mangle -F FORWARD
	fi

	say "What the network says: with the ICMP let through, chimney on the server"
	echo "logs the MTU each \"fragmentation needed\" reports - the tunnel's real MTU."
	ip netns exec "$RB" nft delete table inet blackhole
	run "$CHIMNEY" -n "$SV" attach s0 || return 1
	fetch
	run "$CHIMNEY" -n "$SV" stats s0 | sed -n '/^pmtu_/p; /^path MTU/,$p'
	run "$CHIMNEY" -n "$SV" detach s0
	cleanup
}

SCENES=(basic steer flows csum mss)

usage() {
	echo "Usage: $0 [SCENE...]   scenes: ${SCENES[*]}"
}

if [ "$(id -u)" != 0 ]; then
	echo "demo: must run as root (namespaces, BPF)" >&2
	exit 1
fi
if [ ! -x "$CHIMNEY" ]; then
	echo "demo: $CHIMNEY not built; run make first" >&2
	exit 1
fi
case "${1:-}" in -h|--help) usage; exit 0;; esac
# what a demo killed before its cleanup left
ns_stale_teardown "$ID"
sel=("$@")
[ ${#sel[@]} -eq 0 ] && sel=("${SCENES[@]}")
rc=0
for s in "${sel[@]}"; do
	if ! declare -F "scene_$s" >/dev/null; then
		echo "demo: unknown scene '$s'" >&2; usage >&2; exit 1
	fi
	"scene_$s" || { echo "demo: scene $s failed" >&2; rc=1; }
	cleanup
done
exit $rc
