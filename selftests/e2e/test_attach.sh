#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The foundation end to end: attach in both XDP modes with real traffic
# (ping, iperf3, over IPv4 and IPv6) and counters checked against the
# kernel's own interface counters; detach leaving no trace; idempotent
# attach; live `set`; stale pins; pins of instances in named namespaces.
#
# Topology: namespaces ${E2E_ID}a / ${E2E_ID}b joined by veth0/veth1;
# chimney runs on veth1 (B), the receiving end of the traffic A sends.
E2E_ID=${E2E_ID:-at$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

# snap NS IFACE: one JSON object with chimney's counters plus the
# kernel's counters of IFACE (k_rx_packets, k_rx_bytes, k_tx_packets,
# k_tx_bytes). The kernel's are read before and after chimney's, and the
# snapshot is retried until both reads agree, so that no packet (an IPv6
# router solicitation, say) slips in between the two sources.
ksnap() {
	ip -n "$1" -j -s link show dev "$2" | jq -c '.[0].stats64 |
		{k_rx_packets: .rx.packets, k_rx_bytes: .rx.bytes,
		 k_tx_packets: .tx.packets, k_tx_bytes: .tx.bytes}'
}
snap() {
	local k1 k2 c i
	for i in $(seq 20); do
		k1=$(ksnap "$1" "$2")
		c=$(ch -n "$1" stats "$2" --json) || return 1
		k2=$(ksnap "$1" "$2")
		if [ -n "$k1" ] && [ "$k1" = "$k2" ]; then
			jq -cn --argjson k "$k1" --argjson c "$c" '$c + $k'
			return 0
		fi
		sleep 0.05
	done
	echo "snap: counters of $2 in $1 never stood still" >&2
	return 1
}

# delta S0 S1: per-key differences S1 - S0 as one JSON object.
delta() {
	jq -cn --argjson a "$1" --argjson b "$2" \
		'$b | with_entries(.value -= ($a[.key] // 0))'
}

# expect NAME DELTA JQ-BOOLEAN DESCRIPTION: PASS when the expression
# holds on the delta, FAIL printing the delta otherwise.
expect() {
	local name=$1 d=$2 expr=$3 what=$4
	if [ "$(jq -r "$expr" <<<"$d" 2>&1)" = true ]; then
		pass "$name"
	else
		{
			echo "expected: $what  ($expr)"
			echo "counter deltas (k_* = kernel's interface counters):"
			jq -c 'with_entries(select(.value != 0))' <<<"$d"
		} >"$E2E_OUT"
		fail "$name" "$what"
	fi
}

# iperf NAME SERVER_ADDR PORT [-R]: a 20 MB TCP transfer from A to B
# (B to A with -R). Sets
# RECV_BYTES to the payload bytes the server read (iperf3 -n stops the
# test once the client has written its bytes, so this can be a little
# less than 20 MB).
iperf() {
	local name=$1 addr=$2 port=$3 rev=${4:-} spid rc src json
	RECV_BYTES=0
	ip netns exec "$NS_B" timeout 30 iperf3 -s -1 -p "$port" >"$E2E_OUT.srv" 2>&1 &
	spid=$!
	if ! wait_listen "$NS_B" "$port"; then
		cp "$E2E_OUT.srv" "$E2E_OUT"
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		rm -f "$E2E_OUT.srv"
		fail "$name" "iperf3 server did not start"
		return 1
	fi
	json=$(ip netns exec "$NS_A" timeout 30 iperf3 -J -c "$addr" -p "$port" -n 20M $rev 2>&1)
	rc=$?
	wait "$spid"
	src=$?
	[ "$rc" -eq 0 ] && rc=$src
	RECV_BYTES=$(jq -r '.end.sum_received.bytes // 0' <<<"$json" 2>/dev/null)
	RECV_BYTES=${RECV_BYTES:-0}
	{
		jq -c '{error, sent: .end.sum_sent.bytes, received: .end.sum_received.bytes}' \
			<<<"$json" 2>/dev/null || echo "$json"
		cat "$E2E_OUT.srv"
	} >"$E2E_OUT"
	rm -f "$E2E_OUT.srv"
	if [ "$rc" -eq 0 ] && [ "$RECV_BYTES" -gt 0 ]; then
		pass "$name"
	else
		fail "$name" "iperf3 to $addr exited $rc, server read $RECV_BYTES bytes"
	fi
	return "$rc"
}

# reset_iface: whatever an earlier failed test left on veth1 goes, so
# that the next test starts clean (that test already reported it).
reset_iface() {
	ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
	ip -n "$NS_B" link set dev "$IF_B" xdp off 2>/dev/null
	ip -n "$NS_B" link set dev "$IF_B" xdpgeneric off 2>/dev/null
	tc -n "$NS_B" qdisc del dev "$IF_B" clsact 2>/dev/null
}

ping4() { ip netns exec "$NS_A" timeout 20 ping -q -c 20 -i 0.01 -W 2 "$B4"; }
ping6() { ip netns exec "$NS_A" timeout 20 ping -q -6 -c 20 -i 0.01 -W 2 "$B6"; }

# The parse-error counters and xdp_aborted: none may move on clean traffic.
ERR_KEYS='[to_entries[] | select(.key | test("parse_|xdp_aborted")) | .value] | add == 0'

pair_or_fail attach 7

# What libxdp can do here decides what status must report.
dispatcher_probe "$NS_B"
case $? in
0) DISPATCHER=true ;;
1) DISPATCHER=false ;;
*) DISPATCHER= ;;
esac

for mode in native skb; do
	t=attach_$mode
	reset_iface
	if ! ch -n "$NS_B" attach "$IF_B" --mode "$mode" >"$E2E_OUT" 2>&1; then
		fail "$t" "chimney attach --mode $mode failed"
		continue
	fi
	pass "$t"

	st=$(ch -n "$NS_B" status "$IF_B" --json 2>&1)
	echo "$st" >"$E2E_OUT"
	if [ "$(jq -r '.[0].state' <<<"$st")" = attached ] &&
	   [ "$(jq -r '.[0].xdp_mode' <<<"$st")" = "$mode" ]; then
		pass "${t}_status_mode"
	else
		fail "${t}_status_mode" "status does not report state attached, xdp_mode $mode"
	fi
	# The link itself must agree: native shows "xdp", skb "xdpgeneric".
	want=xdp
	[ "$mode" = skb ] && want=xdpgeneric
	ip -n "$NS_B" link show dev "$IF_B" >"$E2E_OUT" 2>&1
	if grep -qw "$want" "$E2E_OUT" &&
	   grep -q "prog/xdp id $(jq -r '.[0].xdp_prog_id' <<<"$st") " "$E2E_OUT"; then
		pass "${t}_link_mode"
	else
		fail "${t}_link_mode" "ip link does not show chimney's program in $want mode"
	fi
	if [ -z "$DISPATCHER" ]; then
		skip "${t}_status_dispatcher" "probe failed: $E2E_DISPATCHER_REASON"
	elif [ "$(jq -r '.[0].xdp_dispatcher' <<<"$st")" = "$DISPATCHER" ]; then
		pass "${t}_status_dispatcher"
	else
		echo "$st" >"$E2E_OUT"
		fail "${t}_status_dispatcher" "xdp_dispatcher should be $DISPATCHER (libxdp probe: ${E2E_DISPATCHER_REASON:-dispatcher works})"
	fi

	s0=$(snap "$NS_B" "$IF_B")
	check "${t}_ping4" ping4
	s1=$(snap "$NS_B" "$IF_B")
	check "${t}_ping6" ping6
	s2=$(snap "$NS_B" "$IF_B")
	iperf "${t}_iperf4" "$B4" 5207
	recv4=$RECV_BYTES
	s3=$(snap "$NS_B" "$IF_B")
	iperf "${t}_iperf6" "$B6" 5207
	recv6=$RECV_BYTES
	s4=$(snap "$NS_B" "$IF_B")
	iperf "${t}_iperf4_reverse" "$B4" 5207 -R
	recv4r=$RECV_BYTES
	s5=$(snap "$NS_B" "$IF_B")
	iperf "${t}_iperf6_reverse" "$B6" 5207 -R
	recv6r=$RECV_BYTES
	s6=$(snap "$NS_B" "$IF_B")
	if [ -z "$s0" ] || [ -z "$s1" ] || [ -z "$s2" ] || [ -z "$s3" ] ||
	   [ -z "$s4" ] || [ -z "$s5" ] || [ -z "$s6" ]; then
		fail "${t}_counters" "could not read counters"
		continue
	fi

	d=$(delta "$s0" "$s1")
	expect "${t}_ping4_icmp" "$d" '.rx_icmp == 20 and .tx_icmp == 20' \
		"20 echo requests in (rx_icmp), 20 replies out (tx_icmp)"
	d=$(delta "$s1" "$s2")
	# NDP is ICMPv6 too, hence at least 20, and nothing but ICMPv6.
	expect "${t}_ping6_icmp6" "$d" \
		'.rx_icmp6 >= 20 and .tx_icmp6 >= 20 and .rx_icmp6 == .rx_ipv6 and .tx_icmp6 == .tx_ipv6 and .rx_icmp == 0' \
		"at least 20 ICMPv6 each way, all IPv6 traffic ICMPv6"
	d=$(delta "$s2" "$s3")
	# Every payload byte the server read came through XDP.
	expect "${t}_iperf4_tcp" "$d" \
		".rx_tcp == .rx_ipv4 and .rx_tcp > 0 and .tx_tcp > 0 and .rx_bytes > $recv4 and $recv4 > 0" \
		"all IPv4 is TCP, rx_bytes above the $recv4 payload bytes iperf3 received"
	d=$(delta "$s3" "$s4")
	# NDP and MLD may join in: all IPv6 is TCP or ICMPv6.
	expect "${t}_iperf6_tcp" "$d" \
		".rx_tcp + .rx_icmp6 == .rx_ipv6 and .rx_tcp > 0 and .tx_tcp > 0 and .rx_bytes > $recv6 and $recv6 > 0" \
		"all IPv6 is TCP or ICMPv6, rx_bytes above the $recv6 payload bytes iperf3 received"

	# B sends: every payload byte A read went out through TC egress.
	d=$(delta "$s4" "$s5")
	expect "${t}_iperf4_reverse_tcp" "$d" \
		".tx_tcp == .tx_ipv4 and .tx_tcp > 0 and .tx_bytes > $recv4r and $recv4r > 0" \
		"all IPv4 out is TCP, tx_bytes above the $recv4r payload bytes iperf3 received"
	d=$(delta "$s5" "$s6")
	expect "${t}_iperf6_reverse_tcp" "$d" \
		".tx_tcp + .tx_icmp6 == .tx_ipv6 and .tx_tcp > 0 and .tx_bytes > $recv6r and $recv6r > 0" \
		"all IPv6 out is TCP or ICMPv6, tx_bytes above the $recv6r payload bytes iperf3 received"

	# Over the whole run XDP saw exactly what the interface received.
	d=$(delta "$s0" "$s6")
	expect "${t}_rx_packets_match_kernel" "$d" '.rx_packets == .k_rx_packets and .rx_packets > 0' \
		"chimney rx_packets == kernel rx_packets of $IF_B"
	# veth counts received bytes after eth_type_trans() when it runs
	# native XDP (NAPI mode), before it in skb mode; chimney counts the
	# whole frame in both.
	if [ "$mode" = native ]; then
		expect "${t}_rx_bytes_match_kernel" "$d" '.rx_bytes == .k_rx_bytes + 14 * .rx_packets' \
			"chimney rx_bytes == kernel rx_bytes + 14 per frame (veth NAPI counts without Ethernet header)"
	else
		expect "${t}_rx_bytes_match_kernel" "$d" '.rx_bytes == .k_rx_bytes' \
			"chimney rx_bytes == kernel rx_bytes of $IF_B"
	fi
	# Up to s4, B sent only ACKs and echo replies, never GSO.
	d4=$(delta "$s0" "$s4")
	expect "${t}_tx_packets_match_kernel" "$d4" '.tx_packets == .k_tx_packets and .tx_packets > 0' \
		"chimney tx_packets == kernel tx_packets of $IF_B (no GSO traffic)"
	expect "${t}_tx_bytes_match_kernel" "$d4" '.tx_bytes == .k_tx_bytes' \
		"chimney tx_bytes == kernel tx_bytes of $IF_B (no GSO traffic)"
	# With bulk TCP from B (the -R runs) TC egress sees GSO super-packets;
	# chimney counts each as the segments it becomes on the wire, so the
	# whole run must still match the interface exactly.
	expect "${t}_tx_packets_match_kernel_gso" "$d" '.tx_packets == .k_tx_packets' \
		"with GSO, chimney tx_packets (per wire segment) == kernel tx_packets of $IF_B"
	expect "${t}_tx_bytes_match_kernel_gso" "$d" '.tx_bytes == .k_tx_bytes' \
		"with GSO, chimney tx_bytes (headers repeated per segment) == kernel tx_bytes of $IF_B"
	expect "${t}_l3_sum" "$d" \
		'.rx_ipv4 + .rx_ipv6 + .rx_non_ip == .rx_packets and .tx_ipv4 + .tx_ipv6 + .tx_non_ip == .tx_packets' \
		"ipv4 + ipv6 + non_ip == packets, per direction"
	expect "${t}_no_parse_errors" "$d" "$ERR_KEYS" \
		"no parse-error counter and no xdp_aborted moved on clean traffic"

	# Detach leaves no trace, down to the programs themselves.
	xid=$(jq -r '.[0].xdp_prog_id' <<<"$st")
	tid=$(jq -r '.[0].tc_prog_id' <<<"$st")
	if ! ch -n "$NS_B" detach "$IF_B" >"$E2E_OUT" 2>&1; then
		fail "${t}_detach" "detach failed"
		continue
	fi
	pass "${t}_detach"
	{
		no_trace "$NS_B" "$IF_B"
		bad=$?
		egress=$(tc -n "$NS_B" filter show dev "$IF_B" egress 2>&1)
		if [ -n "$egress" ]; then
			echo "egress filters left: $egress"
			bad=1
		fi
		# Programs are freed once the kernel drops its last reference;
		# cls_bpf does that after an RCU grace period, so allow a moment.
		for i in $(seq 30); do
			bpftool prog show id "$xid" >/dev/null 2>&1 ||
				bpftool prog show id "$tid" >/dev/null 2>&1 || break
			sleep 0.1
		done
		for id in "$xid" "$tid"; do
			if bpftool prog show id "$id" >/dev/null 2>&1; then
				echo "program $id still loaded: $(bpftool prog show id "$id")"
				bad=1
			fi
		done
		[ "$xid" -gt 0 ] && [ "$tid" -gt 0 ] || { echo "bad ids $xid/$tid"; bad=1; }
		[ "$bad" -eq 0 ]
	} >"$E2E_OUT" 2>&1
	if [ $? -eq 0 ]; then
		pass "${t}_detach_no_trace"
	else
		fail "${t}_detach_no_trace" "detach left something behind"
	fi
done

# Default mode: native where the driver can, which veth can.
reset_iface
if ch -n "$NS_B" attach "$IF_B" >"$E2E_OUT" 2>&1 &&
   [ "$(status_get "$NS_B" "$IF_B" .xdp_mode)" = native ]; then
	pass attach_default_native
else
	fail attach_default_native "attach without --mode should pick native on veth"
fi
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1

# --- Idempotent attach ------------------------------------------------
t=attach_idempotent
reset_iface
ch -n "$NS_B" attach "$IF_B" --mode skb >"$E2E_OUT" 2>&1 ||
	fail "$t" "first attach failed"
id1=$(status_get "$NS_B" "$IF_B" .xdp_prog_id)
tc1=$(status_get "$NS_B" "$IF_B" .tc_prog_id)
if ch -n "$NS_B" attach "$IF_B" --mode skb vxlan.ports=4789,8472 >"$E2E_OUT" 2>&1; then
	pass "$t"
else
	fail "$t" "second attach failed"
fi
id2=$(status_get "$NS_B" "$IF_B" .xdp_prog_id)
tc2=$(status_get "$NS_B" "$IF_B" .tc_prog_id)
cfg=$(status_get "$NS_B" "$IF_B" '.config["vxlan.ports"]')
if [ -n "$id1" ] && [ "$id1" = "$id2" ] && [ "$tc1" = "$tc2" ] &&
   [ "$cfg" = 4789,8472 ] &&
   ip -n "$NS_B" link show dev "$IF_B" | grep -q "prog/xdp id $id1 "; then
	pass "${t}_updates_config_same_prog"
else
	echo "xdp prog id $id1 -> $id2, tc $tc1 -> $tc2, vxlan.ports '$cfg'" >"$E2E_OUT"
	fail "${t}_updates_config_same_prog" "expected same programs and vxlan.ports 4789,8472"
fi
# Without KEY=VALUE a re-attach keeps the config it has.
ch -n "$NS_B" attach "$IF_B" >"$E2E_OUT" 2>&1
cfg=$(status_get "$NS_B" "$IF_B" '.config["vxlan.ports"]')
if [ "$cfg" = 4789,8472 ] && [ "$(status_get "$NS_B" "$IF_B" .xdp_prog_id)" = "$id1" ]; then
	pass "${t}_keeps_config"
else
	echo "vxlan.ports '$cfg' after a bare re-attach" >>"$E2E_OUT"
	fail "${t}_keeps_config" "a bare re-attach changed the config or the program"
fi
# Another mode while attached: refused, nothing changes.
before=$(ch -n "$NS_B" status "$IF_B" --json)
ch -n "$NS_B" attach "$IF_B" --mode native vxlan.ports=1 >"$E2E_OUT" 2>&1
rc=$?
after=$(ch -n "$NS_B" status "$IF_B" --json)
if [ "$rc" -eq 1 ] && grep -q 'detach first' "$E2E_OUT" && grep -qw skb "$E2E_OUT" &&
   [ "$(wc -l <"$E2E_OUT")" -eq 1 ] && [ "$before" = "$after" ] &&
   ip -n "$NS_B" link show dev "$IF_B" | grep -q "prog/xdp id $id1 "; then
	pass "${t}_other_mode_refused"
else
	{ echo "rc=$rc"; diff <(echo "$before") <(echo "$after"); } >>"$E2E_OUT"
	fail "${t}_other_mode_refused" "want exit 1, one line naming the current mode, status unchanged"
fi

# --- Live set -----------------------------------------------------------
t=set_live
cfgpin=/sys/fs/bpf/chimney/$NS_B/$IF_B/config
if ch -n "$NS_B" set "$IF_B" vxlan.ports=8472,4790 >"$E2E_OUT" 2>&1 &&
   [ "$(status_get "$NS_B" "$IF_B" '.config["vxlan.ports"]')" = 8472,4790 ] &&
   [ "$(bpftool -j map dump pinned "$cfgpin" | jq -c '.[0].formatted.value.vxlan_ports' 2>/dev/null)" = '[8472,4790,0,0]' ] &&
   [ "$(status_get "$NS_B" "$IF_B" .xdp_prog_id)" = "$id1" ] &&
   [ "$(status_get "$NS_B" "$IF_B" .tc_prog_id)" = "$tc1" ]; then
	pass "$t"
else
	{ ch -n "$NS_B" status "$IF_B" --json; bpftool map dump pinned "$cfgpin"; } >>"$E2E_OUT" 2>&1
	fail "$t" "want vxlan.ports 8472,4790 in status and in the map, same prog ids $id1/$tc1"
fi
# Bad input: exit 1, one line that names it, config unchanged.
# Each case: the arguments | a string the error must contain.
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086 # some cases are two arguments
	ch -n "$NS_B" set "$IF_B" $args >"$E2E_OUT" 2>&1
	rc=$?
	now=$(bpftool -j map dump pinned "$cfgpin" | jq -c '.[0].formatted.value.vxlan_ports' 2>/dev/null)
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$E2E_OUT")" -eq 1 ] &&
	   grep -qF -- "$want" "$E2E_OUT" && [ "$now" = '[8472,4790,0,0]' ] &&
	   [ "$(status_get "$NS_B" "$IF_B" .xdp_prog_id)" = "$id1" ]; then
		pass "set_rejects_'$args'"
	else
		echo "rc=$rc; vxlan_ports now $now" >>"$E2E_OUT"
		fail "set_rejects_'$args'" "want exit 1, one line containing \"$want\", config unchanged"
	fi
done <<'CASES'
foo=1|'foo'
vxlan.ports=0|'0'
vxlan.ports=70000|'70000'
vxlan.ports=1,2,3,4,5|at most 4
vxlan.ports=abc|'abc'
vxlan.ports=|vxlan.ports
vxlan.ports|'vxlan.ports'
vxlan.ports=8472 bogus=2|'bogus'
CASES

# The data path follows a set at once: VXLAN between A and B is parsed
# as VXLAN only while its port is configured.
t=set_live_datapath
ip -n "$NS_A" link add vxa type vxlan id 42 local "$A4" remote "$B4" dstport 4789 dev "$IF_A" &&
ip -n "$NS_B" link add vxb type vxlan id 42 local "$B4" remote "$A4" dstport 4789 dev "$IF_B" &&
ip -n "$NS_A" addr add 10.207.99.1/24 dev vxa &&
ip -n "$NS_B" addr add 10.207.99.2/24 dev vxb &&
ip -n "$NS_A" link set vxa up && ip -n "$NS_B" link set vxb up
vping() { ip netns exec "$NS_A" timeout 20 ping -q -c 10 -i 0.01 -W 2 10.207.99.2; }
ch -n "$NS_B" set "$IF_B" vxlan.ports=none >/dev/null 2>&1
s0=$(snap "$NS_B" "$IF_B")
vping >"$E2E_OUT" 2>&1
r1=$?
s1=$(snap "$NS_B" "$IF_B")
ch -n "$NS_B" set "$IF_B" vxlan.ports=8472,4789 >>"$E2E_OUT" 2>&1
vping >>"$E2E_OUT" 2>&1
r2=$?
s2=$(snap "$NS_B" "$IF_B")
off=$(delta "$s0" "$s1")
on=$(delta "$s1" "$s2")
if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] &&
   [ "$(jq '.rx_vxlan == 0 and .rx_udp >= 10' <<<"$off")" = true ] &&
   [ "$(jq '.rx_vxlan >= 10 and .tx_vxlan >= 10' <<<"$on")" = true ] &&
   [ "$(status_get "$NS_B" "$IF_B" .xdp_prog_id)" = "$id1" ]; then
	pass "$t"
else
	{ echo "ping rc $r1/$r2"; echo "ports=none: $off"; echo "ports=8472,4789: $on"; } >>"$E2E_OUT"
	fail "$t" "rx_vxlan should stay 0 with vxlan.ports=none and count the pings once 4789 is set"
fi
ip -n "$NS_A" link del vxa 2>/dev/null
ip -n "$NS_B" link del vxb 2>/dev/null

# --- Namespaces: pins live in the root mount namespace -----------------
t=netns_pins
if [ -n "$(bpftool map dump pinned "/sys/fs/bpf/chimney/$NS_B/$IF_B/counters" 2>/dev/null |
	   grep rx_packets)" ] &&
   ch -n "$NS_B" stats "$IF_B" --json 2>"$E2E_OUT" | jq -e '.rx_packets > 0' >/dev/null; then
	pass "$t"
else
	fail "$t" "pins not visible from the root mount namespace or stats fails"
fi
t=status_all_netns
if ch -n "$NS_A" attach "$IF_A" --mode skb >"$E2E_OUT" 2>&1; then
	all=$(ch status --json 2>>"$E2E_OUT")
	ons=$(ch -n "$NS_A" status --json 2>>"$E2E_OUT")
	rc=$?
	txt=$(ch status 2>>"$E2E_OUT")
	if jq -e --arg a "$NS_A" --arg b "$NS_B" \
		'any(.[]; .netns == $a and .ifname == "veth0" and .state == "attached") and
		 any(.[]; .netns == $b and .ifname == "veth1" and .state == "attached")' \
		<<<"$all" >/dev/null &&
	   grep -q "^veth0 (netns $NS_A," <<<"$txt" &&
	   grep -q "^veth1 (netns $NS_B," <<<"$txt" &&
	   [ "$rc" -eq 0 ] &&
	   [ "$(jq -c '[.[] | [.netns, .ifname]]' <<<"$ons")" = "[[\"$NS_A\",\"veth0\"]]" ]; then
		pass "$t"
	else
		{ echo "status --json: $all"; echo "-n $NS_A status --json (rc $rc): $ons"; } >>"$E2E_OUT"
		fail "$t" "status without -n must list both namespaces' instances, -n only one"
	fi
	ch -n "$NS_A" detach "$IF_A" >/dev/null 2>&1
else
	fail "$t" "attach in $NS_A failed"
fi

# --- Stale pins ------------------------------------------------------------
# XDP removed by hand, our TC filter still there: status says stale, and
# attach repairs the instance (XDP attached again, with the pinned maps:
# config and TC filter kept) so that a later detach leaves no trace.
t=stale_xdp_removed
[ "$(status_get "$NS_B" "$IF_B" .state)" = attached ] ||
	ch -n "$NS_B" attach "$IF_B" --mode skb >/dev/null 2>&1
ip -n "$NS_B" link set dev "$IF_B" xdpgeneric off
ch -n "$NS_B" status "$IF_B" >"$E2E_OUT" 2>&1
rc=$?
if [ "$(status_get "$NS_B" "$IF_B" .state)" = stale ] && [ "$rc" -eq 1 ] &&
   grep -q "^$IF_B .*: stale" "$E2E_OUT"; then
	pass "${t}_status"
else
	echo "status exit $rc" >>"$E2E_OUT"
	fail "${t}_status" "status should say stale, and exit 1"
fi
cfg=$(status_get "$NS_B" "$IF_B" '.config["vxlan.ports"]')
tid=$(status_get "$NS_B" "$IF_B" .tc_prog_id)
if ch -n "$NS_B" attach "$IF_B" --mode skb >"$E2E_OUT" 2>&1 &&
   grep -q "repaired: XDP attached again" "$E2E_OUT" &&
   [ "$(status_get "$NS_B" "$IF_B" .state)" = attached ] &&
   [ "$(status_get "$NS_B" "$IF_B" '.config["vxlan.ports"]')" = "$cfg" ] &&
   [ "$(status_get "$NS_B" "$IF_B" .tc_prog_id)" = "$tid" ] &&
   [ "$(tc -n "$NS_B" filter show dev "$IF_B" egress | grep -c 'handle 0xc41')" -eq 1 ]; then
	pass "${t}_reattach"
else
	tc -n "$NS_B" filter show dev "$IF_B" egress >>"$E2E_OUT" 2>&1
	fail "${t}_reattach" "attach over half an instance should repair it, config ($cfg) and TC filter ($tid) kept"
fi
if ch -n "$NS_B" detach "$IF_B" >"$E2E_OUT" 2>&1 && no_trace "$NS_B" "$IF_B" >>"$E2E_OUT"; then
	pass "${t}_detach_no_trace"
else
	fail "${t}_detach_no_trace" "detach after the stale re-attach left something"
fi

# Both programs removed by hand (clsact left): detach still cleans up.
t=stale_by_hand
reset_iface
ch -n "$NS_B" attach "$IF_B" --mode skb >"$E2E_OUT" 2>&1
ip -n "$NS_B" link set dev "$IF_B" xdpgeneric off
tc -n "$NS_B" filter del dev "$IF_B" egress prio 1 handle 0xc41 bpf
if [ "$(status_get "$NS_B" "$IF_B" .state)" = stale ] &&
   ch -n "$NS_B" detach "$IF_B" >>"$E2E_OUT" 2>&1 && no_trace "$NS_B" "$IF_B" >>"$E2E_OUT"; then
	pass "$t"
else
	fail "$t" "want stale status, then a detach that leaves no trace"
fi

# Interface deleted under chimney: stale, detach removes the pins, and
# the re-created interface takes a fresh attach.
t=stale_iface_deleted
reset_iface
ch -n "$NS_B" attach "$IF_B" --mode native >"$E2E_OUT" 2>&1
ip -n "$NS_B" link del "$IF_B"
if [ "$(status_get "$NS_B" "$IF_B" .state)" = stale ]; then
	pass "${t}_status"
else
	ch -n "$NS_B" status >>"$E2E_OUT" 2>&1
	fail "${t}_status" "status should say stale"
fi
if ch -n "$NS_B" detach "$IF_B" >"$E2E_OUT" 2>&1 &&
   [ ! -e "/sys/fs/bpf/chimney/$NS_B/$IF_B" ]; then
	pass "${t}_detach"
else
	fail "${t}_detach" "detach of a deleted interface should remove its pins"
fi
veth_pair "$NS_A" "$IF_A" "$NS_B" "$IF_B" 7
if ch -n "$NS_B" attach "$IF_B" --mode native >"$E2E_OUT" 2>&1 &&
   [ "$(status_get "$NS_B" "$IF_B" .state)" = attached ] &&
   ping4 >>"$E2E_OUT" 2>&1 &&
   [ "$(stat_get "$NS_B" "$IF_B" rx_icmp)" -eq 20 ]; then
	pass "${t}_reattach"
else
	fail "${t}_reattach" "attach on the re-created interface should work and count"
fi
if ch -n "$NS_B" detach "$IF_B" >"$E2E_OUT" 2>&1 && no_trace "$NS_B" "$IF_B" >>"$E2E_OUT"; then
	pass "${t}_final_detach"
else
	fail "${t}_final_detach" "final detach left something"
fi
