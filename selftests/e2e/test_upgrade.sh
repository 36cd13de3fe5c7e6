#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Upgrades under traffic. `chimney attach` on an attached interface
# with a build whose programs differ replaces them in place (XDP with
# XDP_FLAGS_REPLACE, TC with BPF_TC_F_REPLACE, the cpumap entries),
# keeping every pinned map. Here it does so UPGRADES times, alternating
# the default build and a salted one (make BPF_EXTRA=-DCHIMNEY_BUILD_SALT=1,
# whose programs differ in their tags only), while a 10,000 pps UDP
# stream with sequence numbers (build/udpseq) and an iperf3 TCP flow
# run through the interface. Asserted: every replacement is reported
# and done, no datagram is lost, no counter goes backwards across a
# replacement, and the UDP flow's entry in the flow table survives,
# still counting. Then: a build whose maps' layout differs (simulated
# by editing the layout version in the pinned meta) is refused with the
# commands that would do it by hand, changing nothing; so is a new
# flow.size.
E2E_ID=${E2E_ID:-lcu$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPGRADES=${UPGRADES:-20}
PPS=10000
UDP_PORT=5300
UDP_SPORT=40123
TCP_PORT=5301
SALT=$ROOT/build/salt1
ch() { timeout 60 "$CHIMNEY" "$@"; }
UDPSEQ=$ROOT/build/udpseq
LOG=$(mktemp)
SENDER= RECEIVER= IPERF_S= IPERF_C=
upgrade_cleanup() {
	local p
	for p in $SENDER $IPERF_C $RECEIVER $IPERF_S; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -f "$LOG" "$LOG".*
	e2e_cleanup
}
trap upgrade_cleanup EXIT

# The salted build, made here when missing (the BPF objects and the
# binary, some 15 s): the same sources, a different tag for each program.
if ! make -s -C "$ROOT" BUILD=build/salt1 BPF_EXTRA=-DCHIMNEY_BUILD_SALT=1 \
	build/salt1/chimney >"$E2E_OUT" 2>&1; then
	fail upgrade_salt_build "make BUILD=build/salt1 BPF_EXTRA=-DCHIMNEY_BUILD_SALT=1 failed"
	exit 1
fi
for t in "$UDPSEQ" iperf3; do
	if ! command -v "$t" >/dev/null; then
		fail upgrade_tools "$t missing (run make; iperf3 is a Debian package)"
		exit 1
	fi
done
pair_or_fail upgrade 44
NS=$NS_B
IF=$IF_B
PINS=/sys/fs/bpf/chimney/$NS/$IF

# The UDP stream's flow entry: the packets of its initiator (A).
flow_packets() {
	ch -n "$NS" flows "$IF" --json 2>/dev/null | jq -r --arg a "$A4" \
		--argjson s "$UDP_SPORT" --argjson d "$UDP_PORT" \
		'[.flows[] | select(.proto == "udp" and .src == $a and .sport == $s and .dport == $d) | .orig.packets] | first // 0'
}

if ! ch -n "$NS" attach "$IF" flow=on >"$E2E_OUT" 2>&1; then
	fail upgrade_attach "attach failed"
	exit 1
fi
pass upgrade_attach

# --- traffic ------------------------------------------------------------
ip netns exec "$NS" "$UDPSEQ" recv "$B4" "$UDP_PORT" 600 >"$LOG.recv" 2>&1 &
RECEIVER=$!
ip netns exec "$NS" timeout 600 iperf3 -s -1 -p "$TCP_PORT" -J >"$LOG.iperf_s" 2>&1 &
IPERF_S=$!
sleep 0.5
if ! wait_listen "$NS" "$TCP_PORT"; then
	fail upgrade_traffic "iperf3 server did not start"
	exit 1
fi
ip netns exec "$NS_A" "$UDPSEQ" send "$B4" "$UDP_PORT" "$PPS" 600 "$UDP_SPORT" \
	>"$LOG.send" 2>&1 &
SENDER=$!
# a TCP flow beside it, rate-limited so that the two cores keep time
# for the stream and the loads; interrupted at the end (SIGINT: iperf3
# still prints its report)
ip netns exec "$NS_A" timeout 600 iperf3 -c "$B4" -p "$TCP_PORT" -t 600 \
	-b 200M -J >"$LOG.iperf_c" 2>&1 &
IPERF_C=$!
sleep 2

# --- replacements --------------------------------------------------------
bad_mono=0 bad_flow=0 bad_up=0 done_up=0 last_flow=0
start=$(date +%s)
for i in $(seq "$UPGRADES"); do
	bin=$CHIMNEY
	[ $((i % 2)) -eq 1 ] && bin=$SALT/chimney
	before=$(ch -n "$NS" stats "$IF" --json)
	fp0=$(flow_packets)
	out=$(timeout 60 "$bin" -n "$NS" attach "$IF" 2>&1)
	rc=$?
	after=$(ch -n "$NS" stats "$IF" --json)
	fp1=$(flow_packets)
	echo "#$i rc=$rc: $(head -1 <<<"$out")" >>"$LOG"
	if [ "$rc" -ne 0 ] ||
	   ! grep -Eq "upgraded: XDP prog id [0-9]+ -> [0-9]+, TC prog id [0-9]+ -> [0-9]+" <<<"$out"; then
		echo "$out" >>"$LOG"
		bad_up=$((bad_up + 1))
	else
		done_up=$((done_up + 1))
	fi
	# no counter below its value before the replacement
	back=$(jq -n --argjson a "$before" --argjson b "$after" \
		'[$a | to_entries[] | select(.value > ($b[.key] // -1)) | .key] | join(",")')
	if [ -z "$before" ] || [ -z "$after" ] || [ "$back" != '""' ]; then
		echo "#$i counters went backwards: $back" >>"$LOG"
		bad_mono=$((bad_mono + 1))
	fi
	# the flow is still in the table, and counting
	if [ "$fp0" -le "$last_flow" ] || [ "$fp1" -le "$fp0" ]; then
		echo "#$i flow entry: $last_flow, then $fp0 before and $fp1 after" >>"$LOG"
		bad_flow=$((bad_flow + 1))
	fi
	last_flow=$fp1
done
secs=$(($(date +%s) - start))
sleep 1
kill -INT "$IPERF_C" 2>/dev/null
kill -TERM "$SENDER" 2>/dev/null
wait "$SENDER"
SENDER=
wait "$RECEIVER"
RECEIVER=
wait "$IPERF_C" 2>/dev/null
IPERF_C=
wait "$IPERF_S" 2>/dev/null
IPERF_S=

read -r _ sent _ received _ lost _ reordered _ dup <"$LOG.recv"
tcp_bytes=$(jq -r '.end.sum_received.bytes // 0' "$LOG.iperf_s" 2>/dev/null)
tcp_retr=$(jq -r '.end.sum_sent.retransmits // "?"' "$LOG.iperf_c" 2>/dev/null)
echo "# $done_up of $UPGRADES replacements in ${secs}s; UDP: sent ${sent:-?} received ${received:-?} lost ${lost:-?} reordered ${reordered:-?} duplicate ${dup:-?}; TCP: ${tcp_bytes:-?} bytes received, ${tcp_retr} retransmits; flow entry at $last_flow packets"

cp "$LOG" "$E2E_OUT"
if [ "$done_up" -eq "$UPGRADES" ]; then
	pass upgrade_replaced_every_time
else
	fail upgrade_replaced_every_time "$bad_up of $UPGRADES attaches did not report an upgrade"
fi
if [ "$bad_mono" -eq 0 ]; then
	pass upgrade_counters_never_go_back
else
	fail upgrade_counters_never_go_back "$bad_mono replacements with a counter lower after"
fi
if [ "$bad_flow" -eq 0 ] && [ "$last_flow" -gt 0 ]; then
	pass upgrade_flow_entry_kept
else
	fail upgrade_flow_entry_kept "$bad_flow replacements lost or stopped the UDP flow's entry"
fi
cat "$LOG.recv" "$LOG.send" >"$E2E_OUT" 2>&1
if [ -n "$lost" ] && [ "$lost" -eq 0 ] && [ "${sent:-0}" -gt 0 ]; then
	pass upgrade_no_datagram_lost
else
	fail upgrade_no_datagram_lost "UDP: ${lost:-?} of ${sent:-?} datagrams lost"
fi
if [ "${tcp_bytes:-0}" -gt 0 ] 2>/dev/null; then
	pass upgrade_tcp_flow
else
	cat "$LOG.iperf_s" "$LOG.iperf_c" >"$E2E_OUT" 2>&1
	fail upgrade_tcp_flow "the iperf3 flow did not get through"
fi

# --- a build whose maps differ: refused, nothing changes -----------------
# meta's layout version (struct chimney_meta: 4 bytes at offset 40),
# edited in the pin: as a build with other map definitions would see it
meta_hex() {
	bpftool -j map dump pinned "$PINS/meta" | jq -r '.[0].value | map(ltrimstr("0x")) | join(" ")'
}
meta_put() {
	# shellcheck disable=SC2086 # the bytes are separate words
	bpftool map update pinned "$PINS/meta" key hex 00 00 00 00 value hex $1
}
t=upgrade_other_layout_refused
orig=$(meta_hex)
read -ra b <<<"$orig"
b[40]=$(printf '%02x' $(((16#${b[40]} + 1) % 256)))
st0=$(ch -n "$NS" status "$IF" --json | jq -c '.[0] | {xdp_prog_id, tc_prog_id}')
c0=$(stat_get "$NS" "$IF" rx_packets)
if [ "${#b[@]}" -ne 56 ] || ! meta_put "${b[*]}" >"$E2E_OUT" 2>&1; then
	fail "$t" "cannot edit the pinned meta (${#b[@]} bytes)"
else
	bin=$SALT/chimney
	[ $((UPGRADES % 2)) -eq 1 ] && bin=$CHIMNEY
	ch_out=$(timeout 60 "$bin" -n "$NS" attach "$IF" 2>&1)
	rc=$?
	echo "$ch_out" >"$E2E_OUT"
	st1=$(ch -n "$NS" status "$IF" --json | jq -c '.[0] | {xdp_prog_id, tc_prog_id}')
	if [ "$rc" -eq 1 ] && [ "$(wc -l <<<"$ch_out")" -eq 1 ] &&
	   grep -q "layout" <<<"$ch_out" &&
	   grep -q "detach $IF && chimney -n $NS attach $IF flow=on" <<<"$ch_out" &&
	   [ "$st0" = "$st1" ] && [ -e "$PINS/flows" ] &&
	   [ "$(stat_get "$NS" "$IF" rx_packets)" -ge "$c0" ]; then
		pass "$t"
	else
		echo "rc=$rc; programs $st0 -> $st1" >>"$E2E_OUT"
		fail "$t" "want exit 1, one line naming the layout and the commands, nothing changed"
	fi
	meta_put "$orig" >/dev/null 2>&1
fi

# --- a new flow.size: refused, with the commands -------------------------
t=upgrade_flow_size_refused
ch -n "$NS" attach "$IF" flow.size=4096 >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 1 ] &&
   grep -q "flow.size.*chimney -n $NS detach $IF && chimney -n $NS attach $IF flow=on flow.size=4096" "$E2E_OUT" &&
   [ "$(ch -n "$NS" status "$IF" --json | jq -r '.[0].config["flow.size"]')" = 262144 ]; then
	pass "$t"
else
	fail "$t" "want exit 1 and the detach/attach commands with flow.size=4096"
fi

if ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1 && no_trace "$NS" "$IF" >>"$E2E_OUT"; then
	pass upgrade_detach_no_trace
else
	fail upgrade_detach_no_trace "detach after the upgrades left something"
fi
