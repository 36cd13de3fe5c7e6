#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The Grafana dashboard (deploy/grafana-chimney.json) and the alerting
# rules (deploy/chimney-alerts.yaml) against a live exporter: chimney run
# --metrics in our own namespace, on a port of our own, serving an
# instance with steering and the flow table on. Every metric name a
# dashboard query (and template variable) or a rule uses must have a
# sample in that /metrics; the one exception is the device checksum lie
# counter, allow-listed below until it exists. The rules also pass
# `promtool check rules` and `promtool test rules`
# (selftests/e2e/chimney-alerts.test.yaml: each alert fires on its fault,
# after its `for:`, and not on the series beside it).
#
# Topology: ${E2E_ID}a -- veth0 | veth1 -- ${E2E_ID}b (chimney, run).
E2E_ID=${E2E_ID:-topm$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DASH=$ROOT/deploy/grafana-chimney.json
RULES=$ROOT/deploy/chimney-alerts.yaml
RULES_TEST=$E2E_DIR/chimney-alerts.test.yaml
PORT=19477
# Names a rule may use before chimney exports them. Each is a counter a
# later change adds; its rule matches nothing until then (an absent
# series is an empty vector) and works unchanged once it lands.
#   chimney_csum_offload_lie_total: device checksum lies (csum_offload_lie)
ALLOW_MISSING="chimney_csum_offload_lie_total"

ch() { timeout 20 "$CHIMNEY" "$@"; }

TESTS="monitoring_dashboard_json monitoring_dashboard_names_exist
	monitoring_alerts_promtool_check monitoring_alerts_promtool_test
	monitoring_alerts_names_exist"
if ! command -v promtool >/dev/null || ! command -v jq >/dev/null ||
   ! command -v curl >/dev/null; then
	for t in $TESTS; do skip "$t" "needs promtool, jq and curl (make deps)"; done
	exit 0
fi

# names: the chimney_* metric names in the PromQL on stdin, one a line
names() { grep -oE 'chimney_[a-zA-Z0-9_]+' | sort -u; }

# rule_exprs FILE: the text of every expr: of a rules file, one-line or
# a block (`expr: |` and the lines indented under it)
rule_exprs() {
	awk '
	blk && (match($0, /^ */) && RLENGTH > ind || /^ *$/) { print; next }
	{ blk = 0 }
	/^ *expr:/ {
		match($0, /^ */); ind = RLENGTH
		v = $0; sub(/^ *expr: */, "", v)
		if (v ~ /^[|>][-+]?$/ || v == "") blk = 1; else print v
	}' "$1"
}

# missing NAMES_FILE: the names without a sample line in the exposition
missing() {
	local n
	while read -r n; do
		grep -qE "^$n(\{| )" "$E2E_OUT.metrics" || echo "$n"
	done <"$1"
}

# check_names TEST NAMES_FILE MIN ALLOWED WHY: PASS when the file has at
# least MIN names (an extraction that found nothing proves nothing) and
# every one but those ALLOWED (space-separated) is in /metrics
check_names() {
	local t=$1 f=$2 min=$3 allow=$4 why=$5
	missing "$f" | grep -vxF -f <(tr ' ' '\n' <<<"$allow") >"$E2E_OUT.miss"
	{
		echo "names ($(wc -l <"$f")): $(tr '\n' ' ' <"$f")"
		echo "not in /metrics${allow:+ (allowed to be: $allow)}: $(tr '\n' ' ' <"$E2E_OUT.miss")"
	} >"$E2E_OUT"
	if [ "$(wc -l <"$f")" -ge "$min" ] && [ ! -s "$E2E_OUT.miss" ]; then
		pass "$t"
	else
		fail "$t" "$why"
	fi
}

# --- the dashboard on its own --------------------------------------------
if jq -e '
	(.panels | length) >= 10 and
	([.panels[] | select(.type != "row") | .targets[] | .expr] | length) >= 20 and
	all(.panels[] | select(.type != "row"); .datasource.uid == "${datasource}" and (.targets | length) > 0) and
	all(.panels[] | select(.type != "row") | .targets[]; (.expr | length) > 0)
   ' "$DASH" >"$E2E_OUT" 2>&1; then
	pass monitoring_dashboard_json
else
	fail monitoring_dashboard_json "$DASH: at least 10 panels, 20 queries, each with the datasource variable"
fi

if promtool check rules "$RULES" >"$E2E_OUT" 2>&1; then
	pass monitoring_alerts_promtool_check
else
	fail monitoring_alerts_promtool_check "promtool check rules $RULES"
fi
if promtool test rules "$RULES_TEST" >"$E2E_OUT" 2>&1; then
	pass monitoring_alerts_promtool_test
else
	fail monitoring_alerts_promtool_test "promtool test rules $RULES_TEST"
fi

# --- a live /metrics ------------------------------------------------------
pair_or_fail monitoring 44
if ! ch -n "$NS_B" attach "$IF_B" cpus=0-1 flow=on flow.size=4096 >"$E2E_OUT" 2>&1; then
	fail monitoring_dashboard_names_exist "attach failed"
	fail monitoring_alerts_names_exist "attach failed"
	exit 1
fi
ip netns exec "$NS_A" ping -c 20 -i 0.01 -q "$B4" >/dev/null 2>&1
"$CHIMNEY" -n "$NS_B" run --metrics "127.0.0.1:$PORT" >"$E2E_OUT.run" 2>&1 &
DPID=$!
trap 'kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; rm -f "$E2E_OUT".*; e2e_cleanup' EXIT
# until the first sweep is in: its families have samples then
for i in $(seq 50); do
	ip netns exec "$NS_B" curl -sf --max-time 2 "http://127.0.0.1:$PORT/metrics" \
		>"$E2E_OUT.metrics" 2>/dev/null &&
		grep -q '^chimney_flow_sweeps_total{.*} [1-9]' "$E2E_OUT.metrics" && break
	sleep 0.2
done
if ! grep -q '^chimney_flow_sweeps_total{' "$E2E_OUT.metrics" 2>/dev/null; then
	cat "$E2E_OUT.run" >"$E2E_OUT"
	fail monitoring_dashboard_names_exist "no /metrics from chimney run on port $PORT"
	fail monitoring_alerts_names_exist "no /metrics from chimney run on port $PORT"
	exit 1
fi

{
	jq -r '.. | objects | .expr? // empty' "$DASH"
	jq -r '.templating.list[] | .query | if type == "object" then .query else . end' "$DASH"
} | names >"$E2E_OUT.dash"
check_names monitoring_dashboard_names_exist "$E2E_OUT.dash" 20 "" \
	"every metric the dashboard queries must be in /metrics"
rule_exprs "$RULES" | names >"$E2E_OUT.rules"
check_names monitoring_alerts_names_exist "$E2E_OUT.rules" 6 "$ALLOW_MISSING" \
	"every metric a rule uses must be in /metrics"
exit 0
