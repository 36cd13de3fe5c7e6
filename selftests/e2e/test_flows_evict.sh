#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A full flow table never locks out a new connection: with flow.size=1024,
# 10,000 new TCP connections (each one byte each way, then closed) all
# succeed. The LRU makes room by evicting the least recently used flows;
# `chimney run` counts those evictions (created - expired - entries: at
# most 1,024 flows can be left, so at least created - expired - 1024
# were evicted) and warns that the table is full (the kernel's LRU
# evicts from a little below 100%: in a table this small, from 80-97%
# depending on how the inserts spread over CPUs, so "full" is above 90%
# or evicting).
#
# Topology: ${E2E_ID}a (client) -- veth0 | veth1 -- ${E2E_ID}b (server,
# chimney on veth1 with flow.size=1024, chimney run -n ${E2E_ID}b).
E2E_ID=${E2E_ID:-fv$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

PORT=7001
N=10000
SIZE=1024

if ! command -v jq >/dev/null || ! command -v curl >/dev/null; then
	skip flows_evict "jq and curl are needed"
	exit 0
fi
pair_or_fail flows_evict 62
if ! ch -n "$NS_B" attach "$IF_B" flow=on flow.size=$SIZE >"$E2E_OUT" 2>&1; then
	fail flows_evict_attach "attach failed"
	exit 0
fi
ip netns exec "$NS_B" timeout 150 "$FLOWGEN" server "$B4" $PORT 140 \
	>/dev/null 2>&1 &
disown $!
wait_listen "$NS_B" $PORT
if ! daemon_start "$NS_B" 2>"$E2E_OUT"; then
	fail flows_evict_daemon "chimney run did not start"
	exit 0
fi

# --- 10,000 new connections through a 1,024-entry table
if ip netns exec "$NS_A" timeout 120 "$FLOWGEN" churn "$B4" $PORT $N \
	>"$E2E_OUT" 2>&1 && grep -q "^ok $N failed 0" "$E2E_OUT"; then
	pass flows_full_table_connects_all
else
	fail flows_full_table_connects_all "not every connection succeeded"
fi

# --- the daemon's next sweeps count the evictions
evicted_enough() {
	local m c e x
	m=$(metrics "$NS_B") || return 1
	c=$(metric "$m" chimney_flow_created_total)
	e=$(metric "$m" chimney_flow_evictions_total)
	x=$(metric "$m" chimney_flow_expired_total)
	[ "$c" -ge $N ] && [ "$e" -ge $(( c - x - SIZE )) ] && [ "$e" -gt 0 ]
}
wait_for 20 evicted_enough
m=$(metrics "$NS_B")
c=$(metric "$m" chimney_flow_created_total)
e=$(metric "$m" chimney_flow_evictions_total)
x=$(metric "$m" chimney_flow_expired_total)
n=$(metric "$m" chimney_flow_entries)
f=$(metric "$m" chimney_flow_insert_failed_total)
echo "created $c evicted $e expired $x entries $n insert_failed $f" >"$E2E_OUT"
if [ "$c" -ge $N ] && [ "$e" -ge $(( c - x - SIZE )) ] && [ "$e" -le $(( c - x )) ]; then
	pass flows_evictions_counted
else
	fail flows_evictions_counted \
		"expected created >= $N and created - expired - $SIZE <= evicted <= created - expired"
fi
if [ "$n" -le $SIZE ] && [ "$f" = 0 ]; then
	pass flows_table_bounded
else
	fail flows_table_bounded "more entries than flow.size, or failed inserts"
fi
# The evictions shown by `chimney flows` are the same count.
fe=$(flows "$NS_B" "$IF_B" | jq .evictions)
if [ "${fe:-0}" -ge "$e" ]; then
	pass flows_cli_evictions
else
	echo "chimney flows: $fe, metrics: $e" >"$E2E_OUT"
	fail flows_cli_evictions "chimney flows shows fewer evictions than the daemon"
fi
if grep -q "flow table full" "$DAEMON_LOG"; then
	pass flows_occupancy_warning
else
	cp "$DAEMON_LOG" "$E2E_OUT"
	fail flows_occupancy_warning "no flow-table-full warning in the daemon's log"
fi

daemon_stop TERM
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
exit 0
