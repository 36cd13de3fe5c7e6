#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Half an instance, and attach repairing it without losing its maps:
# - clsact deleted under chimney (egress counting stopped): attach puts
#   the TC half back, loaded against the pinned maps; the counters go
#   on from where they were and the flow table keeps its flows.
# - chimney's XDP program replaced by another tool's: attach refuses,
#   in one line, and leaves the other program and chimney's pins alone;
#   once that program is gone, attach puts the XDP half back, again
#   without loss.
# - both halves removed by hand: attach brings both back, the config
#   kept.
# - pins removed by hand, programs left running (what an attach killed
#   before this chimney left): attach takes chimney's programs for
#   orphans, removes them and attaches afresh.
# Each repair ends in a detach that leaves nothing.
E2E_ID=${E2E_ID:-lcr$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 30 "$CHIMNEY" "$@"; }
OBJ=$ROOT/build/xdp_null.bpf.o
pair_or_fail repair 45
NS=$NS_B
IF=$IF_B
PINS=/sys/fs/bpf/chimney/$NS/$IF

ping4() { ip netns exec "$NS_A" timeout 20 ping -q -c 10 -i 0.01 -W 2 "$B4"; }
# the ICMP flow's packets each way, as the flow table has them
flow_icmp() {
	ch -n "$NS" flows "$IF" --json 2>/dev/null | jq -r --arg a "$A4" \
		'[.flows[] | select(.proto == "icmp" and .src == $a) | "\(.orig.packets) \(.reply.packets)"] | first // "0 0"'
}
# flows_kept NAME: the ICMP flow's entry survived the repair and counted
# the ping after it, both ways (F_ORIG, F_REPLY: its packets before).
flows_kept() {
	local orig reply
	read -r orig reply <<<"$(flow_icmp)"
	if [ "$orig" -gt "$F_ORIG" ] && [ "$reply" -gt "$F_REPLY" ]; then
		pass "$1"
	else
		echo "ICMP flow: $F_ORIG/$F_REPLY before, $orig/$reply after" >"$E2E_OUT"
		fail "$1" "the flow entry should have survived and counted on"
	fi
	F_ORIG=$orig F_REPLY=$reply
}

# counting NAME WHAT RX0 TX0: a ping; rx_icmp and tx_icmp must be 10 up
# on RX0 and TX0 (not reset, and both halves counting).
counting() {
	local rx tx
	ping4 >>"$E2E_OUT" 2>&1 || { echo "ping failed"; return 1; }
	rx=$(stat_get "$NS" "$IF" rx_icmp)
	tx=$(stat_get "$NS" "$IF" tx_icmp)
	[ "$rx" -eq $(($3 + 10)) ] && [ "$tx" -eq $(($4 + 10)) ] ||
		{ echo "$2: rx_icmp $3 -> $rx, tx_icmp $4 -> $tx (want +10 each)"; return 1; }
}

if ! ch -n "$NS" attach "$IF" flow=on vxlan.ports=4789,8472 >"$E2E_OUT" 2>&1 ||
   ! ping4 >>"$E2E_OUT" 2>&1; then
	fail repair_setup "attach or ping failed"
	exit 1
fi
rx0=$(stat_get "$NS" "$IF" rx_icmp)
tx0=$(stat_get "$NS" "$IF" tx_icmp)
read -r F_ORIG F_REPLY <<<"$(flow_icmp)"

# --- clsact deleted ---------------------------------------------------
t=repair_clsact_deleted
tc -n "$NS" qdisc del dev "$IF" clsact
ping4 >/dev/null 2>&1
rx1=$(stat_get "$NS" "$IF" rx_icmp)
tx1=$(stat_get "$NS" "$IF" tx_icmp)
if [ "$tx1" -ne "$tx0" ] || [ "$rx1" -ne $((rx0 + 10)) ]; then
	echo "without clsact: rx_icmp $rx0 -> $rx1, tx_icmp $tx0 -> $tx1" >"$E2E_OUT"
	fail "${t}_setup" "egress should stop counting, ingress go on"
fi
xid=$(status_get "$NS" "$IF" .xdp_prog_id)
if ch -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1 &&
   grep -q "repaired: TC egress attached again (prog id [0-9]*; clsact created)" "$E2E_OUT" &&
   [ "$(status_get "$NS" "$IF" .xdp_prog_id)" = "$xid" ] &&
   [ "$(status_get "$NS" "$IF" '.config["vxlan.ports"]')" = 4789,8472 ] &&
   counting "$t" "after the repair" "$rx1" "$tx1" >>"$E2E_OUT"; then
	pass "$t"
else
	fail "$t" "attach should re-attach TC, XDP and config untouched, counters going on"
fi
flows_kept "${t}_flows_kept"

# --- XDP replaced by another program --------------------------------------
t=repair_xdp_foreign
rx2=$(stat_get "$NS" "$IF" rx_icmp)
tx2=$(stat_get "$NS" "$IF" tx_icmp)
ip -force -n "$NS" link set dev "$IF" xdpdrv obj "$OBJ" sec xdp >"$E2E_OUT" 2>&1
fid=$(ip -j -n "$NS" link show dev "$IF" | jq -r '.[0].xdp.prog.id // empty')
before=$(ls "$PINS" 2>/dev/null | wc -l)
ch -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ -n "$fid" ] && [ "$rc" -eq 1 ] && [ "$(wc -l <"$E2E_OUT")" -eq 1 ] &&
   grep -q "another XDP program (id $fid, xdp_null).*pins.*kept" "$E2E_OUT" &&
   [ "$(ip -j -n "$NS" link show dev "$IF" | jq -r '.[0].xdp.prog.id')" = "$fid" ] &&
   [ "$(ls "$PINS" | wc -l)" -eq "$before" ] && [ "$before" -gt 0 ] &&
   [ "$(stat_get "$NS" "$IF" rx_icmp)" -eq "$rx2" ]; then
	pass "${t}_refused"
else
	echo "rc=$rc foreign prog '$fid'" >>"$E2E_OUT"
	fail "${t}_refused" "want exit 1, one line naming the foreign program, it and the pins left alone"
fi
ip -n "$NS" link set dev "$IF" xdpdrv off
if ch -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1 &&
   grep -q "repaired: XDP attached again (prog id [0-9]*)" "$E2E_OUT" &&
   [ "$(status_get "$NS" "$IF" .state)" = attached ] &&
   counting "$t" "after the repair" "$rx2" "$tx2" >>"$E2E_OUT"; then
	pass "${t}_repaired"
else
	fail "${t}_repaired" "once the foreign program is gone, attach should re-attach XDP, counters going on"
fi
flows_kept "${t}_flows_kept"

# --- both halves removed by hand ------------------------------------------
t=repair_both_halves
rx3=$(stat_get "$NS" "$IF" rx_icmp)
tx3=$(stat_get "$NS" "$IF" tx_icmp)
ip -n "$NS" link set dev "$IF" xdp off
tc -n "$NS" filter del dev "$IF" egress prio 1 handle 0xc41 bpf
if ch -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1 &&
   grep -q "repaired: XDP attached again (prog id [0-9]*), TC egress attached again" "$E2E_OUT" &&
   [ "$(status_get "$NS" "$IF" '.config["vxlan.ports"]')" = 4789,8472 ] &&
   counting "$t" "after the repair" "$rx3" "$tx3" >>"$E2E_OUT"; then
	pass "$t"
else
	fail "$t" "attach should re-attach both halves, config and counters kept"
fi
# clsact is still the one the repair above created: detach removes it
if ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1 && no_trace "$NS" "$IF" >>"$E2E_OUT"; then
	pass repair_detach_no_trace
else
	fail repair_detach_no_trace "detach after the repairs left something"
fi

# --- pins removed, programs left: orphans -----------------------------------
t=repair_orphans
ch -n "$NS" attach "$IF" >/dev/null 2>&1
rm -rf "$PINS"
ch -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "removing XDP program [0-9]* (chimney_xdp)" "$E2E_OUT" &&
   grep -q "removing TC egress filter" "$E2E_OUT" &&
   [ "$(status_get "$NS" "$IF" .state)" = attached ] &&
   [ "$(tc -n "$NS" filter show dev "$IF" egress | grep -c 'handle 0xc41')" -eq 1 ]; then
	pass "$t"
else
	echo "rc=$rc" >>"$E2E_OUT"
	fail "$t" "attach should remove chimney's orphaned programs and attach afresh"
fi
# Whose clsact it is cannot be told any more: it stays.
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
tc -n "$NS" qdisc del dev "$IF" clsact 2>/dev/null
if no_trace "$NS" "$IF" >>"$E2E_OUT"; then
	pass "${t}_detach"
else
	fail "${t}_detach" "detach after the orphans' attach left something"
fi
