#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Other tools' TC filters on chimney's clsact qdisc: detach removes only
# chimney's own filter (its handle and priority, and its program), and
# the qdisc chimney created only when no other filter is left on either
# hook. The foreign filters are classic-BPF `tc filter ... bpf bytecode`
# ones (kind bpf, no eBPF program): this kernel has no other classifier
# built in, and a bpf filter is what chimney could mistake for its own.
#
# One namespace, ${E2E_ID}a, with the veth pair lco0/lco0p inside it.
E2E_ID=${E2E_ID:-lcoft$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS=${E2E_ID}a
IF=lco0
PINS=/sys/fs/bpf/chimney/$NS/$IF
# a classic BPF classifier that matches nothing: traffic goes on as before
NOMATCH='1,6 0 0 0'

ns_veth_or_fail foreign_tc "$NS" "$IF"

reset() { iface_reset "$NS" "$IF"; }

# attach_ids: attach in skb mode; XID and TID, the programs' ids.
attach_ids() {
	ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || return 1
	XID=$(status_get "$NS" "$IF" .xdp_prog_id)
	TID=$(status_get "$NS" "$IF" .tc_prog_id)
	[ -n "$XID" ] && [ -n "$TID" ]
}

# chimney_gone: no XDP program, no filter running chimney_tc, no pins,
# both programs freed.
chimney_gone() {
	local bad=0
	[ -z "$(xdp_prog "$NS" "$IF")" ] || { echo "XDP left: $(xdp_prog "$NS" "$IF")"; bad=1; }
	if tc_filters "$NS" "$IF" egress | grep -q chimney_tc; then
		echo "chimney's filter left: $(tc_filters "$NS" "$IF" egress)"
		bad=1
	fi
	[ -e "$PINS" ] && { echo "pins left"; bad=1; }
	prog_freed "$XID" "$TID" || bad=1
	return $bad
}

# --- a foreign egress filter keeps the qdisc, and itself -----------------
t=foreign_tc_egress_survives
reset
attach_ids || fail "${t}_attach" "attach failed"
tc -n "$NS" filter add dev "$IF" egress prio 5 handle 5 bpf bytecode "$NOMATCH"
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "kept the clsact qdisc chimney created" "$E2E_OUT" &&
   [ "$(tc_filters "$NS" "$IF" egress)" = "5 0x5 0 -" ] &&
   has_clsact "$NS" "$IF" && chimney_gone >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	{ echo "detach exit $rc"; tc -n "$NS" filter show dev "$IF" egress; } >>"$E2E_OUT" 2>&1
	fail "$t" "the foreign egress filter and the clsact qdisc must survive detach, chimney's filter must not"
fi

# --- ... on ingress too ------------------------------------------------------
t=foreign_tc_ingress_survives
reset
attach_ids || fail "${t}_attach" "attach failed"
tc -n "$NS" filter add dev "$IF" ingress prio 3 handle 3 bpf bytecode "$NOMATCH"
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ "$(tc_filters "$NS" "$IF" ingress)" = "3 0x3 0 -" ] &&
   [ -z "$(tc_filters "$NS" "$IF" egress)" ] &&
   has_clsact "$NS" "$IF" && chimney_gone >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "$t" "a foreign ingress filter must keep the clsact qdisc chimney made"
fi

# --- without foreign filters the qdisc chimney made goes ---------------------
t=foreign_tc_none_qdisc_gone
reset
attach_ids || fail "${t}_attach" "attach failed"
if [ "$(status_get "$NS" "$IF" .clsact)" = true ] &&
   ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1 && ! has_clsact "$NS" "$IF" &&
   chimney_gone >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	tc -n "$NS" qdisc show dev "$IF" >>"$E2E_OUT" 2>&1
	fail "$t" "the clsact qdisc chimney created must go with its only filter"
fi

# --- a qdisc chimney did not create stays, empty or not ----------------------
t=foreign_tc_qdisc_not_ours
reset
tc -n "$NS" qdisc add dev "$IF" clsact
attach_ids || fail "${t}_attach" "attach failed"
if ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1 && has_clsact "$NS" "$IF" &&
   [ -z "$(tc_filters "$NS" "$IF" egress)" ] && chimney_gone >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	fail "$t" "a clsact qdisc that was there before attach must stay"
fi

# --- a foreign filter in chimney's own place is not chimney's ----------------
# chimney's filter removed by hand and another put at its handle and
# priority: the pins' handle and priority alone would take it for ours.
t=foreign_tc_in_chimneys_slot
reset
attach_ids || fail "${t}_attach" "attach failed"
tc -n "$NS" filter del dev "$IF" egress prio 1 handle 0xc41 bpf
tc -n "$NS" filter add dev "$IF" egress prio 1 handle 0xc41 bpf bytecode "$NOMATCH"
js=$(ch -n "$NS" status "$IF" --json 2>&1)
ch -n "$NS" status "$IF" >/dev/null 2>&1
src=$?
echo "$js" >"$E2E_OUT"
if [ "$src" -eq 1 ] &&
   jq -e '.[0] | .state == "stale" and .tc_attached == false and
	.xdp_attached == true and .missing == ["tc"]' <<<"$js" >/dev/null; then
	pass "${t}_status"
else
	echo "status exit $src" >>"$E2E_OUT"
	fail "${t}_status" "status must see that the filter at chimney's handle is not chimney's program"
fi
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] &&
   grep -q "left the bpf filter at chimney's handle 0xc41 priority 1 on egress" "$E2E_OUT" &&
   [ "$(tc_filters "$NS" "$IF" egress)" = "1 0xc41 0 -" ] &&
   has_clsact "$NS" "$IF" && chimney_gone >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	{ echo "detach exit $rc"; tc -n "$NS" filter show dev "$IF" egress; } >>"$E2E_OUT" 2>&1
	fail "$t" "the foreign filter at chimney's handle/priority must survive, with its qdisc"
fi
reset
