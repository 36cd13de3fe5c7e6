#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The data plane never depends on the daemon. `chimney run` is killed
# with -9 in the middle of a ping flood: no ping is lost, chimney's
# counters and the flow's packet count carry on, and nothing the daemon
# counted (sweeps, expiries) is reset. A restarted daemon adopts the
# pinned state: it reports the sweeps and expiries of the one before,
# goes on counting from there, and expires the flood's flow. A second
# daemon leaves an instance the first one serves alone.
#
# Topology: ${E2E_ID}a (ping) -- veth0 | veth1 -- ${E2E_ID}b (chimney on
# veth1, chimney run -n ${E2E_ID}b).
E2E_ID=${E2E_ID:-fd$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

if ! command -v jq >/dev/null || ! command -v curl >/dev/null; then
	skip flows_daemon "jq and curl are needed"
	exit 0
fi
pair_or_fail flows_daemon 64
if ! ch -n "$NS_B" attach "$IF_B" flow=on flow.timeout.other=1s \
	>"$E2E_OUT" 2>&1; then
	fail flows_daemon_attach "attach failed"
	exit 0
fi
if ! daemon_start "$NS_B" 2>"$E2E_OUT"; then
	fail flows_daemon_start "chimney run did not start"
	exit 0
fi

# icmp_packets: packets of the ping flow in the table (0 when absent).
icmp_packets() {
	flows "$NS_B" "$IF_B" | jq '[.flows[] | select(.proto == "icmp" and
		.family == 4) | .orig.packets] | add // 0'
}
expired_other() {
	flows "$NS_B" "$IF_B" | jq .expired.other
}
expired_other_gt() {
	[ "$(expired_other)" -gt "$1" ]
}

# --- a first flow expires under daemon 1, so there is something to keep
ip netns exec "$NS_A" ping -c 3 -i 0.1 -q "$B4" >/dev/null 2>&1
wait_for 20 expired_other_gt 0
m=$(metrics "$NS_B")
sweeps1=$(metric "$m" chimney_flow_sweeps_total)
exp1=$(expired_other)

# --- kill -9 in the middle of a ping flood
ip netns exec "$NS_A" ping -c 400 -i 0.01 -q "$B4" >"$E2E_OUT.ping" 2>&1 &
PING=$!
sleep 1
rx0=$(stat_get "$NS_B" "$IF_B" rx_packets)
pk0=$(icmp_packets)
daemon_stop KILL
sleep 1
rx1=$(stat_get "$NS_B" "$IF_B" rx_packets)
pk1=$(icmp_packets)
wait "$PING"
ping_rc=$?
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$E2E_OUT.ping")
{
	echo "ping: exit $ping_rc, ${loss:-?}% loss"
	echo "rx_packets at the kill $rx0, 1s later $rx1"
	echo "flood flow packets at the kill $pk0, 1s later $pk1"
} >"$E2E_OUT"
if [ "$ping_rc" = 0 ] && [ "$loss" = 0 ]; then
	pass flows_kill9_no_loss
else
	fail flows_kill9_no_loss "ping lost packets while the daemon died"
fi
if [ "$rx1" -gt "$rx0" ] && [ "$pk1" -gt "$pk0" ] && [ "$pk0" -gt 0 ]; then
	pass flows_kill9_counters_carry_on
else
	fail flows_kill9_counters_carry_on "counters stopped or reset with the daemon"
fi
if [ "$(expired_other)" -ge "$exp1" ] && [ "$exp1" -ge 1 ]; then
	pass flows_kill9_daemon_counts_kept
else
	echo "expired.other before $exp1, after $(expired_other)" >"$E2E_OUT"
	fail flows_kill9_daemon_counts_kept "the daemon's counts did not survive it"
fi

# --- restart: adopts the pinned state and carries on
if ! daemon_start "$NS_B" 2>"$E2E_OUT"; then
	fail flows_restart_adopts "chimney run did not restart"
	exit 0
fi
m=$(metrics "$NS_B")
sweeps2=$(metric "$m" chimney_flow_sweeps_total)
adopted=$(sed -n 's/.*adopted: flow table of [0-9]*, \([0-9]*\) sweeps.*/\1/p' \
	"$DAEMON_LOG" | head -1)
# the flood's flow expires under the new daemon
wait_for 20 expired_other_gt "$exp1"
exp2=$(expired_other)
{
	echo "sweeps: daemon 1 at the first check $sweeps1, the new daemon reported $adopted when adopting, its metrics $sweeps2"
	echo "expired.other: $exp1 before the kill, $exp2 under the new daemon"
	cat "$DAEMON_LOG"
} >"$E2E_OUT"
if [ -n "$adopted" ] && [ "$adopted" -ge "$sweeps1" ] &&
   [ "$sweeps2" -ge "$adopted" ] && [ "$exp2" -gt "$exp1" ]; then
	pass flows_restart_adopts
else
	fail flows_restart_adopts "the restarted daemon did not carry on from the pinned state"
fi
if command -v promtool >/dev/null; then
	if promtool check metrics <<<"$(metrics "$NS_B")" >"$E2E_OUT" 2>&1; then
		pass flows_restart_metrics_promtool
	else
		fail flows_restart_metrics_promtool "promtool refused the exposition"
	fi
else
	skip flows_restart_metrics_promtool "promtool not installed"
fi

# --- one daemon per instance: a second one leaves it alone
out=$(ch -n "$NS_B" run --once --json 2>"$E2E_OUT.err")
if [ "$(jq length <<<"$out" 2>/dev/null)" = 0 ]; then
	pass flows_one_daemon_per_instance
else
	{ echo "$out"; cat "$E2E_OUT.err"; } >"$E2E_OUT"
	fail flows_one_daemon_per_instance "a second chimney run swept a served instance"
fi

rm -f "$E2E_OUT.ping" "$E2E_OUT.err"
daemon_stop TERM
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
exit 0
