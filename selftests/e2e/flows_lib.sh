#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Helpers of the flow-table tests (test_flows_*.sh), sourced after lib.sh:
# the `chimney run` daemon (started per test, in the test's namespace so
# its metrics listener and the instances it adopts are the test's own),
# its /metrics, and `chimney flows --json`.

FLOWGEN=$ROOT/build/flowgen
DAEMON_PID=
DAEMON_LOG=$(mktemp)
METRICS_PORT=9477

ch() { timeout 30 "$CHIMNEY" "$@"; }

# daemon_start NS [ARGS...]: `chimney -n NS run` in the background, its
# log in $DAEMON_LOG; waits until it serves (or fails).
daemon_start() {
	local ns=$1 i
	shift
	: >"$DAEMON_LOG"
	"$CHIMNEY" -n "$ns" run --metrics "127.0.0.1:$METRICS_PORT" "$@" \
		>>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	for i in $(seq 100); do
		grep -q "^run: serving" "$DAEMON_LOG" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "chimney run did not start:" >&2
	cat "$DAEMON_LOG" >&2
	return 1
}

# daemon_stop [SIGNAL]: stop the daemon this test started.
daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

flows_cleanup() {
	daemon_stop KILL
	rm -f "$DAEMON_LOG"
	e2e_cleanup
}
trap flows_cleanup EXIT

# metrics NS: the daemon's /metrics, fetched inside NS.
metrics() {
	ip netns exec "$1" timeout 10 curl -sf \
		"http://127.0.0.1:$METRICS_PORT/metrics"
}

# metric TEXT NAME [LABEL=VALUE]: the sum of NAME's samples in TEXT
# (restricted to those with the label), 0 when absent.
metric() {
	awk -v n="$2" -v l="${3:-}" '
		$1 ~ "^" n "({|$)" && (l == "" || index($1, l) > 0) { s += $2 }
		END { printf "%d\n", s }' <<<"$1"
}

# wait_for SECS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local secs=$1 i
	shift
	for i in $(seq $(( secs * 5 ))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# flows NS IFACE [ARGS]: `chimney flows --json`.
flows() {
	ch -n "$1" flows "$2" --json "${@:3}"
}

# tcp_states NS IFACE PORT: "state=count ..." of the TCP flows to PORT.
tcp_states() {
	flows "$1" "$2" | jq -r --argjson p "$3" \
		'[.flows[] | select(.proto == "tcp" and .dport == $p) | .state]
		 | group_by(.) | map("\(.[0])=\(length)") | join(" ")'
}
