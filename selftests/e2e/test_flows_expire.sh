#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Stale flows expire by state, each counted by its reason: 500 TCP
# connections to a server in ${E2E_ID}b; the client closes half of them
# cleanly (FIN both ways) and abandons the other half without FIN or RST
# (its link goes down, then its processes are killed). With short
# configured timeouts, `chimney run` expires the closed flows on the
# closed linger (flow.timeout.tcp_closed) and the abandoned ones on the
# established idle timeout (flow.timeout.tcp_established). Then the
# metrics endpoint passes `promtool check metrics` and shows the same.
#
# Topology: ${E2E_ID}a (client) -- veth0 | veth1 -- ${E2E_ID}b (server,
# chimney on veth1, chimney run -n ${E2E_ID}b).
E2E_ID=${E2E_ID:-fe$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

PORT=7000
N=500
HALF=250

if ! command -v jq >/dev/null || ! command -v curl >/dev/null; then
	skip flows_expire "jq and curl are needed"
	exit 0
fi
pair_or_fail flows_expire 61

# --- attach with short timeouts, start the daemon, open 500 connections
if ! ch -n "$NS_B" attach "$IF_B" flow=on flow.timeout.tcp_closed=2s \
	flow.timeout.tcp_established=8s >"$E2E_OUT" 2>&1; then
	fail flows_expire_attach "attach failed"
	exit 0
fi
ip netns exec "$NS_B" timeout 150 "$FLOWGEN" server "$B4" $PORT 140 \
	>/dev/null 2>&1 &
disown $!
wait_listen "$NS_B" $PORT
if ! daemon_start "$NS_B" 2>"$E2E_OUT"; then
	fail flows_expire_daemon "chimney run did not start"
	exit 0
fi

ip netns exec "$NS_A" timeout 150 "$FLOWGEN" hold "$B4" $PORT $N $HALF 140 \
	>"$E2E_OUT.hold" 2>&1 &
HOLD=$!
if wait_for 60 grep -q "^open $N closed $HALF" "$E2E_OUT.hold"; then
	pass flows_connections_open
else
	cp "$E2E_OUT.hold" "$E2E_OUT"
	fail flows_connections_open "the client did not open $N connections"
fi

# The clean closes are FIN both ways: wait until the server has answered
# each (or their flows already expired), then abandon the rest: no FIN,
# no RST can leave once the link is down.
closed_or_gone() {
	local s
	s=$(flows "$NS_B" "$IF_B" | jq --argjson p $PORT \
		'([.flows[] | select(.proto == "tcp" and .dport == $p and
		   .state == "closed")] | length) + .expired.closed')
	[ "${s:-0}" -ge $HALF ]
}
wait_for 30 closed_or_gone
ip -n "$NS_A" link set "$IF_A" down
kill -9 "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
ip netns pids "$NS_A" | xargs -r kill -9 2>/dev/null

# --- every flow to the port leaves, each by its own reason
gone() {
	[ "$(flows "$NS_B" "$IF_B" | jq --argjson p $PORT \
		'[.flows[] | select(.proto == "tcp" and .dport == $p)] | length')" = 0 ]
}
if ! wait_for 60 gone; then
	{
		echo "TCP flows to port $PORT still in the table:"
		tcp_states "$NS_B" "$IF_B" $PORT
		cat "$DAEMON_LOG"
	} >"$E2E_OUT"
	fail flows_expire_all "flows not expired after 60s"
else
	pass flows_expire_all
fi
j=$(flows "$NS_B" "$IF_B")
exp_closed=$(jq .expired.closed <<<"$j")
exp_est=$(jq .expired.established <<<"$j")
exp_fin=$(jq .expired.fin_wait <<<"$j")
exp_syn=$(jq .expired.syn_sent <<<"$j")
echo "$j" | jq -c '{expired, evictions, entries}' >"$E2E_OUT"
if [ "$exp_closed" = $HALF ] && [ "$exp_fin" = 0 ] && [ "$exp_syn" = 0 ]; then
	pass flows_closed_expire_on_linger
else
	fail flows_closed_expire_on_linger \
		"expected $HALF closed expiries (got $exp_closed, fin_wait $exp_fin, syn_sent $exp_syn)"
fi
if [ "$exp_est" = $HALF ]; then
	pass flows_abandoned_expire_on_idle
else
	fail flows_abandoned_expire_on_idle \
		"expected $HALF established (idle) expiries, got $exp_est"
fi
if [ "$(jq .evictions <<<"$j")" = 0 ]; then
	pass flows_no_evictions_below_size
else
	fail flows_no_evictions_below_size "evictions in a table far from full"
fi

# --- the metrics endpoint: promtool accepts it, and it says the same
m=$(metrics "$NS_B")
printf '%s\n' "$m" >"$E2E_OUT"
if ! command -v promtool >/dev/null; then
	skip flows_metrics_promtool "promtool not installed (Debian package prometheus)"
elif [ -z "$m" ]; then
	fail flows_metrics_promtool "no answer from /metrics"
elif promtool check metrics <<<"$m" >"$E2E_OUT" 2>&1; then
	pass flows_metrics_promtool
else
	fail flows_metrics_promtool "promtool check metrics refused the exposition"
fi
lbl="ifname=\"$IF_B\""
if [ "$(metric "$m" chimney_flow_expired_total 'reason="closed"')" = $HALF ] &&
   [ "$(metric "$m" chimney_flow_expired_total 'reason="established"')" = $HALF ] &&
   [ "$(metric "$m" chimney_rx_packets_total "$lbl")" -gt 0 ] &&
   [ "$(metric "$m" chimney_flow_sweeps_total "$lbl")" -gt 0 ]; then
	pass flows_metrics_values
else
	grep -E '^chimney_(flow|run)' <<<"$m" >"$E2E_OUT"
	fail flows_metrics_values "metrics disagree with chimney flows"
fi

daemon_stop TERM
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
exit 0
