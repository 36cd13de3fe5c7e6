#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Half an instance, as status sees it: every program the pins record is
# looked for by its id (the XDP program on the interface; the filter on
# egress at chimney's handle and priority running the recorded TC
# program). Someone deleting the clsact qdisc, or putting another XDP
# program in chimney's place, leaves pins that still look attached: status
# must say which half is missing and what to do, exit 1, and carry it in
# --json. The command it gives must work. detach then removes the rest,
# and never the program that replaced chimney's.
#
# One namespace, ${E2E_ID}a, with the veth pair lco0/lco0p inside it.
E2E_ID=${E2E_ID:-lcohf$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS=${E2E_ID}a
IF=lco0
NULL_OBJ=$ROOT/build/xdp_null.bpf.o

ns_veth_or_fail status_half "$NS" "$IF"

reset() { iface_reset "$NS" "$IF"; }

# half NAME JQ TEXT HINT: status of IF exits 1, its --json entry
# satisfies JQ and has HINT, and its text has TEXT and HINT.
half() {
	local name=$1 expr=$2 text=$3 hint=$4 js txt rc
	txt=$(ch -n "$NS" status "$IF" 2>&1)
	rc=$?
	js=$(ch -n "$NS" status "$IF" --json 2>/dev/null)
	{ echo "$txt"; echo "$js"; } >"$E2E_OUT"
	if [ "$rc" -eq 1 ] && grep -qF "$text" <<<"$txt" &&
	   grep -qF "  to do      $hint" <<<"$txt" &&
	   jq -e --arg h "$hint" "length == 1 and (.[0] | .state == \"stale\" and
		.hint == \$h and ($expr))" <<<"$js" >/dev/null; then
		pass "$name"
	else
		echo "status exit $rc" >>"$E2E_OUT"
		fail "$name" "want exit 1, \"$text\", the commands, and $expr"
	fi
}

# attached NAME: status says attached, exit 0, both programs found.
attached() {
	local rc
	ch -n "$NS" status "$IF" >"$E2E_OUT" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] &&
	   [ "$(status_get "$NS" "$IF" '[.state, .xdp_attached, .tc_attached, .missing] | tostring')" = \
	     '["attached",true,true,[]]' ]; then
		pass "$1"
	else
		echo "status exit $rc" >>"$E2E_OUT"
		fail "$1" "status must say attached with both programs, exit 0"
	fi
}

# --- the clsact qdisc deleted: egress is not counted ----------------------
t=status_half_clsact_deleted
reset
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach failed"
attached "${t}_before"
tc -n "$NS" qdisc del dev "$IF" clsact
half "$t" '.xdp_attached and (.tc_attached | not) and (.clsact | not) and .missing == ["tc"]' \
	"stale (TC egress filter gone with the clsact qdisc: egress is not counted; XDP still attached)" \
	"\`chimney -n $NS attach $IF\` attaches the TC egress filter again; \`chimney -n $NS detach $IF\` removes the rest"
# The hint is true: attach repairs it, keeping the maps.
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1
attached "${t}_hint"

# --- another XDP program in chimney's place ---------------------------------
t=status_half_xdp_replaced
# replaced NAME: chimney attached, then its XDP program swapped for
# xdp_null by hand; XID, TID, NULL_ID: the programs' ids.
replaced() {
	reset
	ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || fail "${1}_attach" "attach failed"
	XID=$(status_get "$NS" "$IF" .xdp_prog_id)
	TID=$(status_get "$NS" "$IF" .tc_prog_id)
	ip -n "$NS" link set dev "$IF" xdpgeneric off
	ip -n "$NS" link set dev "$IF" xdpgeneric obj "$NULL_OBJ" sec xdp
	NULL_ID=$(xdp_prog "$NS" "$IF")
	NULL_ID=${NULL_ID% xdp_null}
}
replaced "$t"
half "$t" '(.xdp_attached | not) and .tc_attached and .missing == ["xdp"]' \
	"stale (XDP program id $XID gone: ingress is not seen; TC egress still attached)" \
	"xdp_null (id $NULL_ID) took the XDP program's place: once it is removed, \`chimney -n $NS attach $IF\` attaches the XDP program again; \`chimney -n $NS detach $IF\` removes the rest"
# The hint is true: with xdp_null gone, attach puts chimney back.
ip -n "$NS" link set dev "$IF" xdpgeneric off
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1
attached "${t}_hint"

# detach removes chimney's half, never the program in its place
t=status_half_xdp_replaced_detach
replaced "$t"
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ -n "$NULL_ID" ] &&
   [ "$(xdp_prog "$NS" "$IF")" = "$NULL_ID xdp_null" ] &&
   grep -qF "the XDP program (id $XID) was not attached any more" "$E2E_OUT" &&
   [ -z "$(tc_filters "$NS" "$IF" egress)" ] && ! has_clsact "$NS" "$IF" &&
   [ ! -e "/sys/fs/bpf/chimney/$NS/$IF" ] &&
   prog_freed "$XID" "$TID" >>"$E2E_OUT"; then
	pass "$t"
else
	echo "detach exit $rc; XDP now: $(xdp_prog "$NS" "$IF") (xdp_null was $NULL_ID)" >>"$E2E_OUT"
	fail "$t" "detach must remove chimney's TC half and pins, keep xdp_null, say the XDP half was gone"
fi

# --- the XDP program removed by hand ------------------------------------------
t=status_half_xdp_removed
reset
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach failed"
xid=$(status_get "$NS" "$IF" .xdp_prog_id)
ip -n "$NS" link set dev "$IF" xdpgeneric off
half "$t" '(.xdp_attached | not) and .tc_attached and .missing == ["xdp"]' \
	"stale (XDP program id $xid gone: ingress is not seen; TC egress still attached)" \
	"\`chimney -n $NS attach $IF\` attaches the XDP program again; \`chimney -n $NS detach $IF\` removes the rest"
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1
attached "${t}_hint"

# --- both removed by hand -----------------------------------------------------
t=status_half_both_gone
reset
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach failed"
ip -n "$NS" link set dev "$IF" xdpgeneric off
tc -n "$NS" filter del dev "$IF" egress prio 1 handle 0xc41 bpf
half "$t" '(.xdp_attached | not) and (.tc_attached | not) and .clsact and .missing == ["xdp", "tc"]' \
	"stale (neither program is attached any more)" \
	"\`chimney -n $NS attach $IF\` attaches both programs again; \`chimney -n $NS detach $IF\` removes the rest"
# The hint is true: attach puts them back (a fresh attach, or a repair).
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1
attached "${t}_hint"
reset
