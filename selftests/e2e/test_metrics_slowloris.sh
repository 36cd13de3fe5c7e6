#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# /metrics stays available under a slowloris. build/slowloris holds
# 1,000 slow clients against `chimney run --metrics` (16 source
# addresses, each under the per-address limit; every client sends the
# start of a request and then a byte a second, so it is never idle),
# plus 200 from one more address that go past that address's limit and
# reconnect each time they are refused: a steady stream of refusals.
# While they are connected:
#   - the server holds them all (the tool counts 1,000 connected);
#   - ten scrapes from another address each answer 200 within 1 s;
#   - no connection is held longer than the lifetime cut (15 s, plus
#     the reaper's second and some slack);
#   - the daemon's log holds at most a few lines about them (3 a
#     minute, then one with the count of those not shown), and that
#     count says the refusals were counted, not lost.
# Bounded: the tool stops by itself after 22 s; all of it runs in the
# test's own namespace, on its loopback.
E2E_ID=${E2E_ID:-lcrs$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

SLOW=$ROOT/build/slowloris
for t in curl "$SLOW"; do
	if ! command -v "$t" >/dev/null; then
		skip metrics_slowloris "$t is needed"
		exit 0
	fi
done
NS=${E2E_ID}n
if ! ns_add "$NS" >"$E2E_OUT" 2>&1; then
	fail metrics_slowloris_setup "cannot make the namespace"
	exit 1
fi
METRICS_PORT=9480
if ! daemon_start "$NS" 2>"$E2E_OUT"; then
	fail metrics_slowloris_start "chimney run did not start"
	exit 0
fi

SLOW_OUT=$(mktemp)
trap 'rm -f "$SLOW_OUT"; flows_cleanup' EXIT
ip netns exec "$NS" timeout 40 "$SLOW" 127.0.0.1 "$METRICS_PORT" \
	-n 1000 -s 127.0.77.1 -k 63 -g 200 -i 1000 -t 22 >"$SLOW_OUT" 2>&1 &
SLOW_PID=$!
held() {
	tail -1 "$SLOW_OUT" | sed -n 's/^slowloris: [0-9]*s: \([0-9]*\) held.*/\1/p'
}
held_all() {
	[ "$(held)" -ge 1000 ] 2>/dev/null
}
# a server that refuses them churns below 1,000: scrape all the same
wait_for 10 held_all

# ten scrapes, 0.5 s apart, while the clients are connected
times=() codes=()
for i in $(seq 10); do
	r=$(ip netns exec "$NS" curl -s -o /dev/null --max-time 5 \
		-w '%{http_code} %{time_total}' "http://127.0.0.1:$METRICS_PORT/metrics")
	codes+=("${r% *}")
	times+=("${r#* }")
	sleep 0.5
done
during=$(held)
wait "$SLOW_PID"
daemon_stop TERM
max=$(printf '%s\n' "${times[@]}" | sort -g | tail -1)
{
	echo "scrapes: codes ${codes[*]}; seconds ${times[*]}; slowest $max"
	echo "slow clients held during the scrapes: $during"
	tail -3 "$SLOW_OUT"
	echo "daemon log:"
	cat "$DAEMON_LOG"
} >"$E2E_OUT"
echo "# slowloris: $during slow clients held; scrapes answered in at most ${max}s"
if [ "${during:-0}" -ge 1000 ] 2>/dev/null; then
	pass metrics_slowloris_clients_held
else
	fail metrics_slowloris_clients_held "the server held ${during:-no} slow clients, not 1,000"
fi
ok=1
for c in "${codes[@]}"; do
	[ "$c" = 200 ] || ok=0
done
if [ "$ok" = 1 ] && [ "${#codes[@]}" = 10 ] &&
   awk -v m="$max" 'BEGIN { exit !(m < 1) }'; then
	pass metrics_slowloris_scrapes_answer
else
	fail metrics_slowloris_scrapes_answer "a scrape failed or took 1 s or more"
fi

longest=$(sed -n 's/.*done: .* longest \([0-9.]*\) s/\1/p' "$SLOW_OUT")
if [ -n "$longest" ] && awk -v l="$longest" 'BEGIN { exit !(l > 10 && l < 18) }'; then
	pass metrics_slowloris_lifetime_cut
else
	fail metrics_slowloris_lifetime_cut "connections held ${longest:-?} s, where the cut is at 15 s"
fi

# what the log says about the clients: every line but the daemon's
# start and stop (whoever wrote it: the HTTP server may write its own)
lines=$(grep -Evc '^(metrics: serving|run: (serving|stopping))' "$DAEMON_LOG")
shown=$(grep -c "at most 3 such lines a minute" "$DAEMON_LOG")
hidden=$(sed -n 's/.*metrics: \([0-9]*\) more messages of the HTTP server not shown/\1/p' \
	"$DAEMON_LOG" | awk '{ s += $1 } END { print s + 0 }')
echo "# slowloris: $lines log lines about clients in ~25 s; $hidden messages counted, not shown"
if [ "$lines" -le 5 ] && [ "$shown" -ge 1 ] && [ "$hidden" -ge 1000 ]; then
	pass metrics_slowloris_log_bounded
else
	fail metrics_slowloris_log_bounded "$lines lines about clients ($shown shown, $hidden counted)"
fi
exit 0
