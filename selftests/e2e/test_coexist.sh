#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# chimney beside another libxdp program on the same interface. Where the
# kernel lets libxdp build its dispatcher (freplace), both programs must
# run; where it does not, the test is skipped with libxdp's own reason,
# found by asking libxdp, and a refused second program must leave
# chimney attached and counting.
E2E_ID=${E2E_ID:-co$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }
OBJ=$ROOT/build/xdp_null.bpf.o
LCK=/run/xdp-loader.lck
LCK_BEFORE=
[ -e "$LCK" ] && LCK_BEFORE=1
STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)

coexist_cleanup() {
	[ -n "$STATS_BEFORE" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_BEFORE"
	# A killed xdp-loader (timeout) can leave its lock file behind.
	if [ -z "$LCK_BEFORE" ] && [ -e "$LCK" ] && ! pgrep -x xdp-loader >/dev/null; then
		rm -f "$LCK"
	fi
	e2e_cleanup
}
trap coexist_cleanup EXIT

xl() { nsenter --net="/run/netns/$NS_B" timeout 20 xdp-loader "$@"; }
ping4() { ip netns exec "$NS_A" timeout 20 ping -q -c 20 -i 0.01 -W 2 "$B4"; }

# chimney_works: still attached with the same program, and counting.
chimney_works() {
	local before after
	[ "$(status_get "$NS_B" "$IF_B" .state)" = attached ] ||
		{ echo "status: $(ch -n "$NS_B" status "$IF_B" 2>&1)"; return 1; }
	ip -n "$NS_B" link show dev "$IF_B" | grep -q "prog/xdp id $XID " ||
		xl status "$IF_B" | grep -qw "$XID" ||
		{ echo "chimney's program $XID is not on $IF_B:"; xl status "$IF_B"; return 1; }
	before=$(stat_get "$NS_B" "$IF_B" rx_icmp)
	ping4 || return 1
	after=$(stat_get "$NS_B" "$IF_B" rx_icmp)
	[ $((after - before)) -eq 20 ] ||
		{ echo "rx_icmp moved by $((after - before)), not 20"; return 1; }
}

pair_or_fail coexist 9
if [ ! -f "$OBJ" ] || ! command -v xdp-loader >/dev/null; then
	skip coexist_both_run "xdp-loader or $OBJ missing (run make)"
	exit 0
fi
dispatcher_probe "$NS_B"
probe=$?

if ! ch -n "$NS_B" attach "$IF_B" --mode skb >"$E2E_OUT" 2>&1; then
	fail coexist_attach "chimney attach failed"
	exit 1
fi
XID=$(status_get "$NS_B" "$IF_B" .xdp_prog_id)

xl load -m skb "$IF_B" "$OBJ" >"$E2E_OUT" 2>&1
load_rc=$?
load_out=$(cat "$E2E_OUT")

case $probe in
0)
	# The dispatcher works here: xdp_null joined chimney, both run.
	t=coexist_both_run
	st=$(xl status "$IF_B" 2>&1)
	# Programs under a dispatcher: " =>  PRIO  NAME  ID  TAG  ACTIONS"
	nid=$(awk '$1 == "=>" && $3 == "xdp_null" { print $4; exit }' <<<"$st")
	sysctl -qw kernel.bpf_stats_enabled=1
	run0=$(bpftool -j prog show id "${nid:-0}" 2>/dev/null | jq '.run_cnt // 0')
	{
		bad=0
		[ "$load_rc" -eq 0 ] || { echo "xdp-loader load exited $load_rc: $load_out"; bad=1; }
		grep -q xdp_dispatcher <<<"$st" || { echo "no dispatcher: $st"; bad=1; }
		[ "$(status_get "$NS_B" "$IF_B" .xdp_dispatcher)" = true ] ||
			{ echo "status does not report the dispatcher"; bad=1; }
		chimney_works || bad=1
		run1=$(bpftool -j prog show id "${nid:-0}" 2>/dev/null | jq '.run_cnt // 0')
		[ -n "$nid" ] && [ $((run1 - run0)) -ge 20 ] ||
			{ echo "xdp_null (id ${nid:-?}) ran $((run1 - run0)) times, want >= 20"; bad=1; }
		[ "$bad" -eq 0 ]
	} >"$E2E_OUT" 2>&1
	if [ $? -eq 0 ]; then
		pass "$t"
	else
		fail "$t" "both programs must be attached through the dispatcher and run"
	fi
	# Removing the other program leaves chimney alone.
	xl unload "$IF_B" -i "${nid:-0}" >"$E2E_OUT" 2>&1
	if chimney_works >>"$E2E_OUT" 2>&1; then
		pass coexist_unload_other_keeps_chimney
	else
		fail coexist_unload_other_keeps_chimney "chimney stopped after xdp_null was unloaded"
	fi
	;;
1)
	skip coexist_both_run "libxdp dispatcher unavailable: $E2E_DISPATCHER_REASON"
	# The second program could not join: it must have been refused
	# rather than replace chimney, and chimney must still work.
	t=coexist_refused_keeps_chimney
	{
		bad=0
		if [ "$load_rc" -eq 0 ]; then
			echo "xdp-loader load succeeded without a dispatcher:"
			echo "$load_out"
			xl status "$IF_B"
			bad=1
		fi
		chimney_works || bad=1
		[ "$bad" -eq 0 ]
	} >"$E2E_OUT" 2>&1
	if [ $? -eq 0 ]; then
		pass "$t"
	else
		fail "$t" "a refused second program must leave chimney attached and counting"
	fi
	;;
*)
	skip coexist_both_run "dispatcher probe failed: $E2E_DISPATCHER_REASON"
	;;
esac

if ch -n "$NS_B" detach "$IF_B" >"$E2E_OUT" 2>&1 && no_trace "$NS_B" "$IF_B" >>"$E2E_OUT"; then
	pass coexist_detach_no_trace
else
	fail coexist_detach_no_trace "detach after the coexistence test left something"
fi
