#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Config writers racing through the real CLI. Each round starts, at
# once, three `chimney set`s of different keys and a `chimney mss add`
# or `del`; all of them read the whole pinned config value, change
# their part and write it back. Afterwards every key must hold what its
# set asked for, and the config's rule counts (mss_rules_v4/v6, which
# XDP reads to skip the trie lookup) must equal the rules `mss list`
# shows. Without the config lock some rounds lose a key or a count.
#
# Topology: ${E2E_ID}a -- veth0 | veth1 -- ${E2E_ID}b, chimney on veth1
# with steering on (cpus=0), so each commit also rewrites the
# indirection table.
E2E_ID=${E2E_ID:-cw$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-60}
ch() { timeout 20 "$CHIMNEY" "$@"; }

if ! command -v jq >/dev/null || ! command -v bpftool >/dev/null; then
	skip config_writers "jq and bpftool are needed"
	exit 0
fi
pair_or_fail config_writers 66
PIN=/sys/fs/bpf/chimney/$NS_B/$IF_B
if ! ch -n "$NS_B" attach "$IF_B" cpus=0 >"$E2E_OUT" 2>&1; then
	fail config_writers_attach "attach failed"
	exit 0
fi

# rule_counts: "V4 V6" as the config map holds them.
rule_counts() {
	bpftool -j map dump pinned "$PIN/config" |
		jq -r '.[0].formatted.value | "\(.mss_rules_v4) \(.mss_rules_v6)"'
}

lost=0 errors=0 start=$(date +%s)
: >"$E2E_OUT"
for r in $(seq 0 $((ROUNDS - 1))); do
	# the v4 rule comes and goes; the v6 rules pile up, one a round
	if [ $((r % 2)) = 0 ]; then op4=(add 10.99.0.0/16 mss 1300); else op4=(del 10.99.0.0/16); fi
	ch -n "$NS_B" set "$IF_B" csum.sample_rate=$((r + 1)) 2>>"$E2E_OUT" & p1=$!
	ch -n "$NS_B" set "$IF_B" flow.timeout.udp=$((r % 50 + 1))s 2>>"$E2E_OUT" & p2=$!
	ch -n "$NS_B" set "$IF_B" mss=$((100 + r)) 2>>"$E2E_OUT" & p3=$!
	ch -n "$NS_B" mss "$IF_B" "${op4[@]}" 2>>"$E2E_OUT" & p4=$!
	ch -n "$NS_B" mss "$IF_B" add "2001:db8:$(printf %x "$r")::/48" mss 1280 \
		2>>"$E2E_OUT" & p5=$!
	for p in $p1 $p2 $p3 $p4 $p5; do
		wait "$p" || errors=$((errors + 1))
	done

	cfg=$(status_get "$NS_B" "$IF_B" .config)
	got=$(jq -r '"\(.["csum.sample_rate"]) \(.["flow.timeout.udp"]) \(.mss)"' <<<"$cfg")
	want="$((r + 1)) $((r % 50 + 1))s $((100 + r))"
	rules=$(ch -n "$NS_B" mss "$IF_B" list --json |
		jq -r '"\([.[] | select(.family == 4)] | length) \([.[] | select(.family == 6)] | length)"')
	counts=$(rule_counts)
	if [ "$got" != "$want" ] || [ "$counts" != "$rules" ] ||
	   [ "$rules" != "$(( (r + 1) % 2 )) $((r + 1))" ]; then
		lost=$((lost + 1))
		echo "round $r: keys '$got' (asked '$want'), rule counts in the config '$counts', rules listed '$rules'" >>"$E2E_OUT"
	fi
done
echo "$lost of $ROUNDS rounds lost an update, $errors commands failed, $(( $(date +%s) - start ))s" >>"$E2E_OUT"
if [ "$lost" = 0 ] && [ "$errors" = 0 ]; then
	pass config_writers_parallel_cli
else
	fail config_writers_parallel_cli "parallel set and mss lost updates"
fi
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
exit 0
