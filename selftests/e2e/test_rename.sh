#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# An attached interface renamed (`ip link set X name Y`): the instance
# is the ifindex its pins record. status finds it by that ifindex and
# says so; detach by the old name and by the new one both remove
# everything (programs off the interface by ifindex, pins); attach by
# the new name adopts the instance (its pin directory moves to the new
# name, programs, config and all); attach by the old name, now another
# interface's, is refused rather than leave the renamed one unmanaged.
#
# One namespace, ${E2E_ID}a, with veth pairs lco*/lco*p inside it.
E2E_ID=${E2E_ID:-lcorn$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS=${E2E_ID}a
PINS=/sys/fs/bpf/chimney/$NS

ns_veth_or_fail rename "$NS" lco0

# rename NS OLD NEW: what an operator does (down, rename, up).
rename() {
	ip -n "$1" link set dev "$2" down &&
		ip -n "$1" link set dev "$2" name "$3" &&
		ip -n "$1" link set dev "$3" up
}

# gone_from NS IFACE XDP_ID TC_ID PINDIR: nothing of chimney's left on
# IFACE nor at PINDIR, and both programs freed. Says what it found.
gone_from() {
	local bad=0
	[ -z "$(xdp_prog "$1" "$2")" ] || { echo "XDP left: $(xdp_prog "$1" "$2")"; bad=1; }
	[ -z "$(tc_filters "$1" "$2" egress)" ] ||
		{ echo "egress filters left: $(tc_filters "$1" "$2" egress)"; bad=1; }
	has_clsact "$1" "$2" && { echo "clsact left"; bad=1; }
	[ -e "$5" ] && { echo "pins left at $5"; bad=1; }
	prog_freed "$3" "$4" || bad=1
	return $bad
}

# --- status finds the renamed instance by its ifindex ----------------------
t=rename_status
ch -n "$NS" attach lco0 --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach lco0 failed"
ifx=$(ip -n "$NS" -j link show dev lco0 | jq -r '.[0].ifindex')
xid=$(status_get "$NS" lco0 .xdp_prog_id)
tid=$(status_get "$NS" lco0 .tc_prog_id)
rename "$NS" lco0 lco1
txt=$(ch -n "$NS" status 2>&1)
rc=$?
js=$(ch -n "$NS" status lco1 --json 2>/dev/null)
{ echo "$txt"; echo "$js"; } >"$E2E_OUT"
if [ "$rc" -eq 1 ] &&
   grep -qF "attached to ifindex $ifx, now named lco1; pins under $PINS/lco0" <<<"$txt" &&
   grep -qF "\`chimney -n $NS attach lco1\` moves the pins" <<<"$txt" &&
   grep -qF "\`chimney -n $NS detach lco1\` removes the instance" <<<"$txt" &&
   jq -e --argjson i "$ifx" 'length == 1 and (.[0] | .ifname == "lco0" and
	.ifname_now == "lco1" and .renamed == true and .state == "attached" and
	.ifindex == $i and .xdp_attached and .tc_attached)' <<<"$js" >/dev/null; then
	pass "$t"
else
	echo "status exit $rc" >>"$E2E_OUT"
	fail "$t" "want exit 1, the instance found as ifindex $ifx now named lco1, with the commands"
fi

# --- detach by the old name -------------------------------------------------
t=rename_detach_old_name
ch -n "$NS" detach lco0 >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "ifindex $ifx is now named lco1" "$E2E_OUT" &&
   gone_from "$NS" lco1 "$xid" "$tid" "$PINS/lco0" >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "$t" "detach lco0 must remove the programs from lco1 (ifindex $ifx) and the pins"
fi

# --- detach by the new name -------------------------------------------------
t=rename_detach_new_name
ch -n "$NS" attach lco1 --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach lco1 failed"
xid=$(status_get "$NS" lco1 .xdp_prog_id)
tid=$(status_get "$NS" lco1 .tc_prog_id)
rename "$NS" lco1 lco2
ch -n "$NS" detach lco2 --json >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] &&
   jq -e --argjson x "$xid" --argjson t "$tid" '.detached == "lco2" and
	([.removed[] | select(.orphan == false) | .prog_id // .what] |
	 sort_by(tostring) == ([$x, $t, "clsact", "pins"] | sort_by(tostring)))' \
	"$E2E_OUT" >/dev/null &&
   gone_from "$NS" lco2 "$xid" "$tid" "$PINS/lco1" >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "$t" "detach lco2 must find the instance pinned as lco1 and remove all of it"
fi

# --- attach by the new name adopts ------------------------------------------
t=rename_attach_adopts
ch -n "$NS" attach lco2 --mode skb vxlan.ports=8472 >"$E2E_OUT" 2>&1 ||
	fail "${t}_attach" "attach lco2 failed"
xid=$(status_get "$NS" lco2 .xdp_prog_id)
tid=$(status_get "$NS" lco2 .tc_prog_id)
rename "$NS" lco2 lco3
# what the other verbs say meanwhile: where the pins are, and the fix
ch -n "$NS" set lco3 vxlan.ports=1 >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "pinned under its old name lco2" "$E2E_OUT" &&
   grep -qF "\`chimney -n $NS attach lco3\` moves the pins" "$E2E_OUT"; then
	pass "${t}_set_says_where"
else
	echo "set exit $rc" >>"$E2E_OUT"
	fail "${t}_set_says_where" "set on the new name must fail naming the old one and the fix"
fi
ch -n "$NS" attach lco3 >"$E2E_OUT" 2>&1
rc=$?
js=$(ch -n "$NS" status --json 2>>"$E2E_OUT")
ch -n "$NS" status >/dev/null 2>&1
src=$?
echo "$js" >>"$E2E_OUT"
if [ "$rc" -eq 0 ] && grep -q "already attached" "$E2E_OUT" &&
   [ -d "$PINS/lco3" ] && [ ! -e "$PINS/lco2" ] && [ "$src" -eq 0 ] &&
   jq -e --argjson x "$xid" --argjson t "$tid" 'length == 1 and (.[0] |
	.ifname == "lco3" and .renamed == false and .state == "attached" and
	.xdp_prog_id == $x and .tc_prog_id == $t and
	.config["vxlan.ports"] == "8472")' <<<"$js" >/dev/null &&
   [ "$(xdp_prog "$NS" lco3)" = "$xid chimney_xdp" ] &&
   ch -n "$NS" stats lco3 --json >/dev/null 2>>"$E2E_OUT"; then
	pass "$t"
else
	echo "attach exit $rc, status exit $src" >>"$E2E_OUT"
	fail "$t" "attach lco3 must move the pins from lco2 and keep programs $xid/$tid and vxlan.ports=8472"
fi

# --- attach by the old name, now another interface's: refused ----------------
t=rename_attach_old_name_refused
rename "$NS" lco3 lco4
veth_in "$NS" lco3
before=$(bpftool -j map dump pinned "$PINS/lco3/meta" 2>&1)
ch -n "$NS" attach lco3 --mode skb >"$E2E_OUT" 2>&1
rc=$?
after=$(bpftool -j map dump pinned "$PINS/lco3/meta" 2>&1)
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$E2E_OUT")" -eq 1 ] &&
   grep -qF "now named lco4, where chimney is attached" "$E2E_OUT" &&
   [ "$before" = "$after" ] && [ -z "$(xdp_prog "$NS" lco3)" ] &&
   [ "$(xdp_prog "$NS" lco4)" = "$xid chimney_xdp" ] &&
   [ "$(tc_filters "$NS" lco4 egress)" = "1 0xc41 $tid chimney_tc" ]; then
	pass "$t"
else
	{ echo "attach exit $rc"; echo "lco3: $(xdp_prog "$NS" lco3); lco4: $(xdp_prog "$NS" lco4)"; } >>"$E2E_OUT"
	fail "$t" "attach lco3 must be refused in one line, leaving lco4's instance and pins as they were"
fi
if ch -n "$NS" detach lco4 >"$E2E_OUT" 2>&1 &&
   gone_from "$NS" lco4 "$xid" "$tid" "$PINS/lco3" >>"$E2E_OUT" 2>&1 &&
   [ ! -e "$PINS" ]; then
	pass "${t}_detach"
else
	fail "${t}_detach" "detach lco4 must leave nothing"
fi
