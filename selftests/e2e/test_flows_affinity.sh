#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Flow affinity without reordering: an iperf3 transfer is steered to
# CPU 0 (cpus=0). Mid-transfer, `chimney set cpus=1` moves the whole
# indirection table to CPU 1. The running flow keeps CPU 0: its entry in
# `chimney flows --json` still says cpu 0, chimney's per-CPU
# steer_received keeps growing on CPU 0 and not on CPU 1, and iperf3
# reports no more retransmits than a control run without the change, or
# if it does (a loaded machine makes spurious timer retransmits), the
# sender's TCP saw no reordering at all (TcpExt*Reorder). A
# flow that starts after the change (a ping) goes to CPU 1. Once the
# transfer is over and its flows idle past flow.rebalance_idle,
# `chimney run` retires CPU 0 from the cpumap.
#
# Topology: ${E2E_ID}a (iperf3 client) -- veth0 | veth1 -- ${E2E_ID}b
# (iperf3 server, chimney on veth1, chimney run -n ${E2E_ID}b).
E2E_ID=${E2E_ID:-fa$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

PORT=5201
RATE=30M	# well below what the pair carries: losses would be noise
DUR=5

if ! command -v iperf3 >/dev/null || ! command -v jq >/dev/null; then
	skip flows_affinity "iperf3 and jq are needed"
	exit 0
fi
if [ "$(nproc)" -lt 2 ]; then
	skip flows_affinity "needs two CPUs to move a flow between"
	exit 0
fi
pair_or_fail flows_affinity 63
# flow.rebalance_idle stays at its default, 2s: shorter, a sender that a
# loaded machine stalls that long would (rightly) count as idle and move.
if ! ch -n "$NS_B" attach "$IF_B" flow=on cpus=0 >"$E2E_OUT" 2>&1; then
	fail flows_affinity_attach "attach failed"
	exit 0
fi
ip netns exec "$NS_B" iperf3 -s -D -p $PORT >/dev/null 2>&1
if ! wait_listen "$NS_B" $PORT || ! daemon_start "$NS_B" 2>"$E2E_OUT"; then
	fail flows_affinity_setup "iperf3 server or chimney run did not start"
	exit 0
fi

# pc COUNTER: the counter per CPU, "c0 c1 ...".
pc() {
	ch -n "$NS_B" stats "$IF_B" --per-cpu --json |
		jq -r --arg k "$1" '(.[$k] // []) | map(tostring) | join(" ")'
}

# data_cpu: the CPU of the transfer's data flow (the TCP flow to $PORT
# with the most bytes).
data_cpu() {
	flows "$NS_B" "$IF_B" --sort bytes | jq -r --argjson p $PORT \
		'[.flows[] | select(.proto == "tcp" and .dport == $p)][0].cpu'
}

retrans() {
	jq -r '.end.sum_sent.retransmits // "none"' "$1"
}

# reorders: reordering events the client's TCP detected (absolute
# counters of its namespace; nstat's history file is left alone).
reorders() {
	ip netns exec "$NS_A" nstat -asz TcpExtTCPSACKReorder TcpExtTCPTSReorder \
		TcpExtTCPRenoReorder 2>/dev/null | awk 'NR > 1 { s += $2 } END { print s + 0 }'
}

# --- control: the same transfer, nothing changes
o0=$(reorders)
ip netns exec "$NS_A" timeout 40 iperf3 -c "$B4" -p $PORT -t $DUR -b $RATE -J \
	>"$E2E_OUT.ctl" 2>&1
r_ctl=$(retrans "$E2E_OUT.ctl")
o1=$(reorders)

# --- the change, mid-transfer
ip netns exec "$NS_A" timeout 40 iperf3 -c "$B4" -p $PORT -t $DUR -b $RATE -J \
	>"$E2E_OUT.chg" 2>&1 &
IPERF=$!
sleep 2
cpu_before=$(data_cpu)
ch -n "$NS_B" set "$IF_B" cpus=1 >"$E2E_OUT" 2>&1
pc_set=$(pc steer_received)
sleep 1
cpu_during=$(data_cpu)
ip netns exec "$NS_A" ping -c 3 -i 0.2 -q "$B4" >/dev/null 2>&1
ping_cpu=$(flows "$NS_B" "$IF_B" | jq -r \
	'[.flows[] | select(.proto == "icmp")][0].cpu')
wait "$IPERF"
pc_end=$(pc steer_received)
cpu_after=$(data_cpu)
r_chg=$(retrans "$E2E_OUT.chg")
o2=$(reorders)

read -r s0 s1 <<<"$pc_set"
read -r e0 e1 <<<"$pc_end"
{
	echo "data flow CPU: before set $cpu_before, 1s after $cpu_during, at the end $cpu_after"
	echo "steer_received per CPU at the set: $pc_set, at the end: $pc_end"
	echo "retransmits: control $r_ctl, with the change $r_chg"
	echo "reordering seen by the sender: control $(( o1 - o0 )), with the change $(( o2 - o1 ))"
	echo "new flow (ping) CPU: $ping_cpu"
} >"$E2E_OUT"

if [ "$cpu_before" = 0 ] && [ "$cpu_during" = 0 ] && [ "$cpu_after" = 0 ]; then
	pass flows_affinity_keeps_cpu
else
	fail flows_affinity_keeps_cpu "the running flow left CPU 0"
fi
if [ $(( e0 - s0 )) -ge 1000 ] && [ $(( e1 - s1 )) -le 50 ]; then
	pass flows_affinity_per_cpu_counters
else
	fail flows_affinity_per_cpu_counters \
		"after cpus=1 the transfer's packets must keep landing on CPU 0"
fi
if [ "$r_ctl" = none ] || [ "$r_chg" = none ]; then
	fail flows_affinity_no_reorder_retransmits "iperf3 failed"
elif [ "$r_chg" -le "$r_ctl" ] || [ $(( o2 - o1 )) = 0 ]; then
	pass flows_affinity_no_reorder_retransmits
else
	fail flows_affinity_no_reorder_retransmits \
		"more retransmits with the change than without, and TCP saw reordering"
fi
if [ "$ping_cpu" = 1 ]; then
	pass flows_new_flow_follows_table
else
	fail flows_new_flow_follows_table "a flow started after cpus=1 is not on CPU 1"
fi

# --- CPU 0 leaves the cpumap once nothing active uses it
cpu0_gone() {
	! bpftool map lookup pinned "/sys/fs/bpf/chimney/$NS_B/$IF_B/cpus" \
		key 0 0 0 0 >/dev/null 2>&1
}
if wait_for 20 cpu0_gone; then
	pass flows_idle_cpu_retired
else
	{
		echo "cpumap:"
		bpftool map dump pinned "/sys/fs/bpf/chimney/$NS_B/$IF_B/cpus" 2>&1 | head
		flows "$NS_B" "$IF_B" | jq -c '.flows[] | {proto, dport, cpu, idle_ms}'
	} >"$E2E_OUT"
	fail flows_idle_cpu_retired "CPU 0 still in the cpumap after its flows idled"
fi

rm -f "$E2E_OUT.ctl" "$E2E_OUT.chg"
daemon_stop TERM
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
exit 0
