#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Checksum verification end to end: frames with wrong checksums are
# injected from namespace A through an AF_PACKET socket (build/csum_inject)
# into veth1 in namespace B, where chimney runs, between good traffic.
# Each kind is injected an exact number of times and its counter must
# move by exactly that number, and the csum_bad_* counters together by
# the number of bad frames; csum=drop keeps every bad datagram from a
# UDP socket and none of the good ones; 100,000+ real TCP segments
# (iperf3) give no false positive; `chimney trace -w` writes the bytes
# that were injected; a second pair with MTU 9000 carries jumbo frames
# (multi-buffer in XDP) both ways.
#
# tx checksum offload is off on every sender (lib.sh's veth_pair): a veth
# sender with it on puts partial checksums on the wire, which XDP cannot
# tell from corruption.
E2E_ID=${E2E_ID:-cs$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INJ=$ROOT/build/csum_inject
TMP=$(mktemp -d)
trap 'e2e_cleanup; rm -rf "$TMP"' EXIT

ch() { timeout 20 "$CHIMNEY" "$@"; }

# stats NS IFACE: the counters as one JSON object
stats() { ch -n "$1" stats "$2" --json; }

# delta S0 S1 KEY: S1[KEY] - S0[KEY]
delta() {
	jq -rn --argjson a "$1" --argjson b "$2" --arg k "$3" \
		'($b[$k] // 0) - ($a[$k] // 0)'
}

# bad_sum S0 S1: the change of all csum_bad_* counters together
bad_sum() {
	jq -rn --argjson a "$1" --argjson b "$2" \
		'[$b | to_entries[] | select(.key | startswith("csum_bad_")) |
		  .value - ($a[.key] // 0)] | add // 0'
}

# outcome_sum S0 S1: the change of csum_ok_*, csum_bad_* and
# csum_unverified_* together; IP frames: of rx_ipv4 and rx_ipv6
outcome_sum() {
	jq -rn --argjson a "$1" --argjson b "$2" \
		'[$b | to_entries[] |
		  select(.key | test("^csum_(ok|bad|unverified)_")) |
		  .value - ($a[.key] // 0)] | add // 0'
}
ip_sum() {
	jq -rn --argjson a "$1" --argjson b "$2" \
		'($b.rx_ipv4 + $b.rx_ipv6) - (($a.rx_ipv4 // 0) + ($a.rx_ipv6 // 0))'
}

# inject ARGS...: csum_inject from A's veth0 to B's veth1
inject() {
	ip netns exec "$NS_A" timeout 30 "$INJ" -i "$IF_A" --dst-mac "$MAC_B" "$@"
}

# nstat_get NS NAME: a kernel SNMP counter of the namespace, absolute
nstat_get() {
	ip netns exec "$1" nstat -asz "$2" 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'
}

# wait_udp NS PORT: wait up to 5 s for a UDP socket bound to PORT in NS
wait_udp() {
	local i
	for i in $(seq 50); do
		[ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# drain: read and drop whatever samples wait in the ring buffer
drain() { ch -n "$NS_B" trace "$IF_B" --timeout 0.3 >/dev/null 2>&1; }

if [ ! -x "$INJ" ]; then
	skip csum_e2e "$INJ not built (make)"
	exit 0
fi

pair_or_fail csum 41
MAC_B=$(ip -n "$NS_B" -j link show dev "$IF_B" | jq -r '.[0].address')

# ---- attach: the partial-checksum warning on a veth --------------------

out=$(ch -n "$NS_B" attach "$IF_B" 2>&1)
rc=$?
echo "$out" >"$E2E_OUT"
if [ $rc -ne 0 ]; then
	fail csum_attach "attach failed"
	exit 0
fi
if grep -q "is a veth" <<<"$out" && [ "$(grep -c 'warning' <<<"$out")" = 1 ]; then
	pass csum_attach_veth_warning
else
	fail csum_attach_veth_warning "no one-line veth warning in the attach output"
fi
# with csum=off there is nothing to warn about
out=$(ch -n "$NS_A" attach "$IF_A" csum=off 2>&1)
echo "$out" >"$E2E_OUT"
if ! grep -q "is a veth" <<<"$out"; then
	pass csum_attach_no_warning_when_off
else
	fail csum_attach_no_warning_when_off "warned although csum=off"
fi
ch -n "$NS_A" detach "$IF_A" >/dev/null 2>&1

# Sampling would race the frames of a burst against the rate limit; the
# trace tests turn it back on.
ch -n "$NS_B" set "$IF_B" csum.sample_rate=0 >/dev/null

# ---- exact counts per kind ---------------------------------------------

# count_kind NAME COUNTER N ARGS...: inject N frames, COUNTER must move by
# N and the csum_bad_* counters together by BAD (exported by the caller)
count_kind() {
	local name=$1 ctr=$2 n=$3 s0 s1 d bs os is
	shift 3
	s0=$(stats "$NS_B" "$IF_B")
	if ! inject --count "$n" "$@" >"$E2E_OUT" 2>&1; then
		fail "$name" "injection failed"
		return
	fi
	sleep 0.2
	s1=$(stats "$NS_B" "$IF_B")
	d=$(delta "$s0" "$s1" "$ctr")
	bs=$(bad_sum "$s0" "$s1")
	os=$(outcome_sum "$s0" "$s1")
	is=$(ip_sum "$s0" "$s1")
	if [ "$d" = "$n" ] && [ "$bs" = "$BAD" ] && [ "$os" = "$is" ]; then
		pass "$name"
	else
		{
			echo "injected $n ($*); $ctr moved by $d, expected $n"
			echo "sum of csum_bad_* moved by $bs, expected $BAD"
			echo "outcomes $os for $is IP frames"
			jq -cn --argjson a "$s0" --argjson b "$s1" \
				'$b | with_entries(.value -= ($a[.key] // 0)) |
				 with_entries(select(.value != 0))'
		} >"$E2E_OUT"
		fail "$name" "$ctr moved by $d for $n injected"
	fi
}

BAD=37 count_kind csum_count_tcp4_payload_flipped csum_bad_tcp 37 \
	--src "$A4" --dst "$B4" --proto tcp --corrupt payload --len 200
BAD=23 count_kind csum_count_ip_header_wrong csum_bad_ip 23 \
	--src "$A4" --dst "$B4" --proto udp --corrupt iphdr --len 64
BAD=29 count_kind csum_count_udp6_wrong csum_bad_udp6 29 \
	--src "$A6" --dst "$B6" --proto udp --corrupt l4 --len 101
BAD=11 count_kind csum_count_udp6_zero csum_bad_udp6_zero 11 \
	--src "$A6" --dst "$B6" --proto udp --corrupt zero --len 40
BAD=0 count_kind csum_count_udp4_zero_valid csum_ok_udp_zero 13 \
	--src "$A4" --dst "$B4" --proto udp --corrupt zero --len 40
BAD=7 count_kind csum_count_icmp4_payload csum_bad_icmp 7 \
	--src "$A4" --dst "$B4" --proto icmp --corrupt payload --len 56
BAD=9 count_kind csum_count_icmp6_payload csum_bad_icmp6 9 \
	--src "$A6" --dst "$B6" --proto icmp --corrupt payload --len 56
BAD=17 count_kind csum_count_tcp6_payload_odd csum_bad_tcp6 17 \
	--src "$A6" --dst "$B6" --proto tcp --corrupt payload --len 1001
BAD=0 count_kind csum_count_udp4_good csum_ok_udp 31 \
	--src "$A4" --dst "$B4" --proto udp --corrupt none --len 333
# an IP length beyond the frame: truncated, the IPv4 header still checked
BAD=0 count_kind csum_count_ip_len_beyond_truncated csum_unverified_truncated 6 \
	--src "$A4" --dst "$B4" --proto udp --len 50 --claim-len 200
BAD=4 count_kind csum_count_ip_len_beyond_bad_header csum_bad_ip 4 \
	--src "$A4" --dst "$B4" --proto udp --len 50 --claim-len 200 --corrupt iphdr

# csum=off: the same bad frames move no csum counter
ch -n "$NS_B" set "$IF_B" csum=off >"$E2E_OUT" 2>&1
s0=$(stats "$NS_B" "$IF_B")
inject --count 19 --src "$A4" --dst "$B4" --proto tcp --corrupt payload \
	--len 100 >>"$E2E_OUT" 2>&1
sleep 0.2
s1=$(stats "$NS_B" "$IF_B")
moved=$(jq -rn --argjson a "$s0" --argjson b "$s1" \
	'[$b | to_entries[] | select(.key | startswith("csum_")) |
	  .value - ($a[.key] // 0)] | add // 0')
if [ "$moved" = 0 ] && [ "$(delta "$s0" "$s1" rx_tcp)" -ge 19 ]; then
	pass csum_set_off_live
else
	fail csum_set_off_live "csum counters moved by $moved with csum=off"
fi
ch -n "$NS_B" set "$IF_B" csum=count >/dev/null
check_fails csum_set_bad_value ch -n "$NS_B" set "$IF_B" csum=maybe

# ---- count vs drop: what reaches a UDP socket --------------------------

# send_mix TAGS: good and bad datagrams interleaved, to port 9000, over
# IPv4 and IPv6: 3 x 20 good, and 3 x 10 bad (UDP checksum, IPv4 header,
# UDP over IPv6)
send_mix() {
	local i
	for i in 1 2 3 4 5; do
		inject --count 4 --tag good --src "$A4" --dst "$B4" --proto udp --len 80 &&
		inject --count 2 --tag bad --src "$A4" --dst "$B4" --proto udp --corrupt l4 --len 80 &&
		inject --count 4 --tag good --src "$A6" --dst "$B6" --proto udp --len 80 &&
		inject --count 2 --tag bad --src "$A4" --dst "$B4" --proto udp --corrupt iphdr --len 80 &&
		inject --count 4 --tag good --src "$A4" --dst "$B4" --proto udp --len 1200 &&
		inject --count 2 --tag bad --src "$A6" --dst "$B6" --proto udp --corrupt l4 --len 1200 ||
			return 1
	done
}

# receive MODE: set csum=MODE, send the mix to a listening socket in B;
# sets GOT_GOOD GOT_BAD DROPS CSUMERR (kernel UDP checksum errors) IPERR
receive() {
	local s0 s1 e4 e6 h0 f4 f6 h1
	ch -n "$NS_B" set "$IF_B" csum="$1" >"$E2E_OUT" 2>&1 || return 1
	ip netns exec "$NS_B" timeout 20 "$INJ" --listen 9000 --timeout 6 \
		>"$TMP/recv.$1" 2>>"$E2E_OUT" &
	local pid=$!
	wait_udp "$NS_B" 9000 || { kill "$pid"; return 1; }
	e4=$(nstat_get "$NS_B" UdpInCsumErrors)
	e6=$(nstat_get "$NS_B" Udp6InCsumErrors)
	h0=$(nstat_get "$NS_B" IpInHdrErrors)
	s0=$(stats "$NS_B" "$IF_B")
	send_mix >>"$E2E_OUT" 2>&1 || { kill "$pid"; return 1; }
	wait "$pid"
	s1=$(stats "$NS_B" "$IF_B")
	f4=$(nstat_get "$NS_B" UdpInCsumErrors)
	f6=$(nstat_get "$NS_B" Udp6InCsumErrors)
	h1=$(nstat_get "$NS_B" IpInHdrErrors)
	GOT_GOOD=$(grep -c '^chimney:good:' "$TMP/recv.$1")
	GOT_BAD=$(grep -c '^chimney:bad:' "$TMP/recv.$1")
	DROPS=$(delta "$s0" "$s1" csum_drop)
	BADS=$(bad_sum "$s0" "$s1")
	CSUMERR=$(( f4 + f6 - e4 - e6 ))
	IPERR=$(( h1 - h0 ))
}

if receive count; then
	# The stack checks UDP and IPv4 header checksums itself: the bad
	# ones pass XDP and die there, counted by the kernel.
	if [ "$GOT_GOOD" = 60 ] && [ "$GOT_BAD" = 0 ] && [ "$DROPS" = 0 ] &&
	   [ "$BADS" = 30 ] && [ "$CSUMERR" = 20 ] && [ "$IPERR" = 10 ]; then
		pass csum_count_mode_passes_bad_to_stack
	else
		echo "count: good $GOT_GOOD/60 bad $GOT_BAD/0 csum_drop $DROPS csum_bad_* $BADS/30 kernel csum errors $CSUMERR/20 ip header errors $IPERR/10" >>"$E2E_OUT"
		fail csum_count_mode_passes_bad_to_stack "see counts"
	fi
else
	fail csum_count_mode_passes_bad_to_stack "receiver or injection failed"
fi
if receive drop; then
	# In drop mode XDP drops them first: the stack never sees one.
	if [ "$GOT_GOOD" = 60 ] && [ "$GOT_BAD" = 0 ] && [ "$DROPS" = 30 ] &&
	   [ "$BADS" = 30 ] && [ "$CSUMERR" = 0 ] && [ "$IPERR" = 0 ]; then
		pass csum_drop_mode_socket_gets_only_good
	else
		echo "drop: good $GOT_GOOD/60 bad $GOT_BAD/0 csum_drop $DROPS/30 csum_bad_* $BADS/30 kernel csum errors $CSUMERR/0 ip header errors $IPERR/0" >>"$E2E_OUT"
		fail csum_drop_mode_socket_gets_only_good "see counts"
	fi
else
	fail csum_drop_mode_socket_gets_only_good "receiver or injection failed"
fi
ch -n "$NS_B" set "$IF_B" csum=count >/dev/null

# ---- trace: text and pcap with the injected bytes -----------------------

ch -n "$NS_B" set "$IF_B" csum.sample_rate=100000 >/dev/null
drain
inject --count 5 --src "$A4" --dst "$B4" --proto tcp --corrupt payload \
	--len 300 --tag traced --pcap "$TMP/sent.pcap" -v >"$TMP/sent.txt" 2>&1
inject --count 3 --src "$A6" --dst "$B6" --proto udp --corrupt l4 \
	--len 77 --tag traced6 --pcap "$TMP/sent6.pcap" -v >"$TMP/sent6.txt" 2>&1
# the parser gives up on these (IP length beyond the frame): the flow
# comes from the captured header
inject --count 2 --src "$A4" --dst "$B4" --proto udp --corrupt iphdr \
	--len 20 --claim-len 100 --pcap "$TMP/sentt.pcap" -v >"$TMP/sentt.txt" 2>&1
ch -n "$NS_B" trace "$IF_B" -c 10 --timeout 10 -w "$TMP/got.pcap" \
	>"$TMP/trace.txt" 2>"$E2E_OUT"
{
	tcpdump -r "$TMP/sent.pcap" -n -t -xx 2>/dev/null
	tcpdump -r "$TMP/sent6.pcap" -n -t -xx 2>/dev/null
	tcpdump -r "$TMP/sentt.pcap" -n -t -xx 2>/dev/null
} >"$TMP/sent.dump"
tcpdump -r "$TMP/got.pcap" -n -t -xx >"$TMP/got.dump" 2>>"$E2E_OUT"
if [ -s "$TMP/sent.dump" ] && cmp -s "$TMP/sent.dump" "$TMP/got.dump"; then
	pass csum_trace_pcap_has_injected_bytes
else
	diff "$TMP/sent.dump" "$TMP/got.dump" | head -20 >>"$E2E_OUT"
	fail csum_trace_pcap_has_injected_bytes "tcpdump of the trace pcap differs from the frames sent"
fi
# The text names each frame's flow and both checksums, as the injector
# computed them.
ok=1
{ cat "$TMP/sent.txt"; cat "$TMP/sent6.txt"; cat "$TMP/sentt.txt"; } |
	sed -n 's/.*checksum \(0x[0-9a-f]*\), expected \(0x[0-9a-f]*\)$/checksum \1, expected \2/p' \
	>"$TMP/want.txt"
sed -n 's/.*: [A-Za-z0-9 ]* checksum \(0x[0-9a-f]*\), expected \(0x[0-9a-f]*\)$/checksum \1, expected \2/p' \
	"$TMP/trace.txt" >"$TMP/have.txt"
cmp -s "$TMP/want.txt" "$TMP/have.txt" || ok=0
[ "$(grep -c "csum_bad_tcp $A4:40000 > $B4:9000 TCP" "$TMP/trace.txt")" = 5 ] || ok=0
[ "$(grep -c "csum_bad_udp6 \[$A6\]:40000 > \[$B6\]:9000 UDP" "$TMP/trace.txt")" = 3 ] || ok=0
[ "$(grep -c "csum_bad_ip $A4:40000 > $B4:9000 UDP len 62: IPv4 header" "$TMP/trace.txt")" = 2 ] || ok=0
if [ $ok = 1 ] && [ -s "$TMP/want.txt" ]; then
	pass csum_trace_text_tuple_and_checksums
else
	{ echo "trace:"; cat "$TMP/trace.txt"; echo "injector:"; cat "$TMP/want.txt"; } >>"$E2E_OUT"
	fail csum_trace_text_tuple_and_checksums "trace lines do not match the injected frames"
fi
ch -n "$NS_B" trace "$IF_B" -c 1 --timeout 5 --json >"$TMP/trace.json" 2>/dev/null &
tpid=$!
sleep 0.3
inject --count 1 --src "$A6" --dst "$B6" --proto udp --corrupt zero --len 10 \
	>/dev/null 2>&1
wait "$tpid"
if jq -e '.reason == "csum_bad_udp6_zero" and .found == 0 and .expected > 0 and .proto == 17' \
	"$TMP/trace.json" >/dev/null 2>&1; then
	pass csum_trace_json_live
else
	cat "$TMP/trace.json" >"$E2E_OUT"
	fail csum_trace_json_live "no JSON record of the live udp6 zero frame"
fi
ch -n "$NS_B" set "$IF_B" csum.sample_rate=0 >/dev/null

# ---- no false positives under real TCP traffic --------------------------

iperf_run() {
	local addr=$1 bytes=$2
	ip netns exec "$NS_B" timeout 60 iperf3 -s -1 -B "$addr" -p 5201 \
		>/dev/null 2>&1 &
	wait_listen "$NS_B" 5201 || return 1
	ip netns exec "$NS_A" timeout 60 iperf3 -c "$addr" -p 5201 -n "$bytes" \
		>>"$E2E_OUT" 2>&1
	local rc=$?
	wait
	return $rc
}

s0=$(stats "$NS_B" "$IF_B")
: >"$E2E_OUT"
if iperf_run "$B4" 160M && iperf_run "$B6" 40M; then
	s1=$(stats "$NS_B" "$IF_B")
	ok4=$(delta "$s0" "$s1" csum_ok_tcp)
	ok6=$(delta "$s0" "$s1" csum_ok_tcp6)
	bs=$(bad_sum "$s0" "$s1")
	os=$(outcome_sum "$s0" "$s1")
	is=$(ip_sum "$s0" "$s1")
	echo "csum_ok_tcp +$ok4 csum_ok_tcp6 +$ok6 csum_bad_* +$bs outcomes $os IP frames $is" >>"$E2E_OUT"
	if [ "$bs" = 0 ] && [ $((ok4 + ok6)) -ge 100000 ] && [ "$ok6" -gt 0 ] &&
	   [ "$os" = "$is" ]; then
		pass csum_iperf3_100k_segments_no_false_positive
	else
		fail csum_iperf3_100k_segments_no_false_positive "$(tail -1 "$E2E_OUT")"
	fi
else
	fail csum_iperf3_100k_segments_no_false_positive "iperf3 failed"
fi

# ---- jumbo frames: multi-buffer XDP at MTU 9000 -------------------------

NS_C=${E2E_ID}c
NS_D=${E2E_ID}d
# veth runs multi-buffer XDP programs natively at any MTU (kernel 5.18+);
# a program without xdp.frags could not attach here at all.
if ns_add "$NS_C" && ns_add "$NS_D" && veth_pair "$NS_C" veth2 "$NS_D" veth3 42 &&
   ip -n "$NS_C" link set veth2 mtu 9000 && ip -n "$NS_D" link set veth3 mtu 9000 &&
   ch -n "$NS_D" attach veth3 --mode native csum.sample_rate=0 >"$E2E_OUT" 2>&1; then
	MAC_D=$(ip -n "$NS_D" -j link show dev veth3 | jq -r '.[0].address')
	s0=$(stats "$NS_D" veth3)
	ip netns exec "$NS_C" timeout 30 "$INJ" -i veth2 --dst-mac "$MAC_D" \
		--src 10.200.42.1 --dst 10.200.42.2 --proto udp --corrupt payload \
		--len 8000 --count 17 >>"$E2E_OUT" 2>&1
	ip netns exec "$NS_C" timeout 30 "$INJ" -i veth2 --dst-mac "$MAC_D" \
		--src 10.200.42.1 --dst 10.200.42.2 --proto udp --len 8001 \
		--count 19 >>"$E2E_OUT" 2>&1
	ip netns exec "$NS_C" timeout 30 "$INJ" -i veth2 --dst-mac "$MAC_D" \
		--src fd00:42::1 --dst fd00:42::2 --proto tcp --corrupt payload \
		--len 8900 --count 5 >>"$E2E_OUT" 2>&1
	sleep 0.2
	s1=$(stats "$NS_D" veth3)
	b4=$(delta "$s0" "$s1" csum_bad_udp)
	g4=$(delta "$s0" "$s1" csum_ok_udp)
	b6=$(delta "$s0" "$s1" csum_bad_tcp6)
	by=$(delta "$s0" "$s1" rx_bytes)
	echo "csum_bad_udp +$b4/17 csum_ok_udp +$g4/19 csum_bad_tcp6 +$b6/5 rx_bytes +$by" >>"$E2E_OUT"
	if [ "$b4" = 17 ] && [ "$g4" = 19 ] && [ "$b6" = 5 ] &&
	   [ "$by" -ge $((36 * 8000 + 5 * 8900)) ]; then
		pass csum_jumbo_9000_counted_exactly
	else
		fail csum_jumbo_9000_counted_exactly "$(tail -1 "$E2E_OUT")"
	fi
	# real jumbo TCP: no false positive either
	s0=$(stats "$NS_D" veth3)
	ip netns exec "$NS_D" timeout 60 iperf3 -s -1 -B 10.200.42.2 -p 5202 \
		>/dev/null 2>&1 &
	if wait_listen "$NS_D" 5202 &&
	   ip netns exec "$NS_C" timeout 60 iperf3 -c 10.200.42.2 -p 5202 -n 100M \
		>>"$E2E_OUT" 2>&1; then
		wait
		s1=$(stats "$NS_D" veth3)
		ok=$(delta "$s0" "$s1" csum_ok_tcp)
		bs=$(bad_sum "$s0" "$s1")
		echo "jumbo iperf3: csum_ok_tcp +$ok csum_bad_* +$bs" >>"$E2E_OUT"
		if [ "$bs" = 0 ] && [ "$ok" -ge 10000 ]; then
			pass csum_jumbo_iperf3_no_false_positive
		else
			fail csum_jumbo_iperf3_no_false_positive "$(tail -1 "$E2E_OUT")"
		fi
	else
		wait
		fail csum_jumbo_iperf3_no_false_positive "iperf3 failed"
	fi
else
	fail csum_jumbo_9000_counted_exactly "MTU 9000 veth pair with native XDP: setup or attach failed"
fi
