#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Orphans: chimney's programs on an interface with no pins (an attach of
# an older build interrupted before it pinned; made here by removing the
# pin directory by hand). status finds them in every namespace, by
# program name and tag, and says how to remove them; detach removes them
# and says so, and exits 0 only when nothing of chimney is left; a
# foreign program is never taken for one.
#
# One namespace, ${E2E_ID}a, with the veth pair lco0/lco0p inside it.
E2E_ID=${E2E_ID:-lcoor$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS=${E2E_ID}a
IF=lco0
PINS=/sys/fs/bpf/chimney/$NS/$IF
NULL_OBJ=$ROOT/build/xdp_null.bpf.o

ns_veth_or_fail orphans "$NS" "$IF"

# --- status lists them ----------------------------------------------------
t=orphans_status
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach failed"
xid=$(status_get "$NS" "$IF" .xdp_prog_id)
tid=$(status_get "$NS" "$IF" .tc_prog_id)
xtag=$(bpftool -j prog show id "$xid" | jq -r .tag)
ttag=$(bpftool -j prog show id "$tid" | jq -r .tag)
rm -r "$PINS"
txt=$(ch -n "$NS" status 2>&1)
rc=$?
js=$(ch -n "$NS" status --json 2>/dev/null)
# without -n: every namespace, this one among them
all=$(ch status --json 2>/dev/null)
{ echo "$txt"; echo "$js"; } >"$E2E_OUT"
hint="\`chimney -n $NS detach $IF\` removes it"
want=$(jq -cnS --arg ns "$NS" --arg i "$IF" --arg h "$hint" \
	--argjson x "$xid" --argjson t "$tid" --arg xt "$xtag" --arg tt "$ttag" \
	'[{netns: $ns, ifname: $i, state: "orphan", hook: "xdp",
	   prog_name: "chimney_xdp", prog_id: $x, tag: $xt, hint: $h},
	  {netns: $ns, ifname: $i, state: "orphan", hook: "tc egress",
	   prog_name: "chimney_tc", prog_id: $t, tag: $tt, hint: $h}]')
got=$(jq -cS '[.[] | del(.ifindex)]' <<<"$js")
gotall=$(jq -cS --arg ns "$NS" '[.[] | select(.netns == $ns) | del(.ifindex)]' <<<"$all")
if [ "$rc" -eq 1 ] && [ "$got" = "$want" ] && [ "$gotall" = "$want" ] &&
   grep -qF "orphan chimney_xdp id $xid, tag $xtag, on xdp: no pins record it there; $hint" <<<"$txt" &&
   grep -qF "orphan chimney_tc id $tid, tag $ttag, on tc egress: no pins record it there; $hint" <<<"$txt"; then
	pass "$t"
else
	{ echo "status exit $rc"; echo "want $want"; echo "got  $got"; echo "all  $gotall"; } >>"$E2E_OUT"
	fail "$t" "status must list both programs as orphans, by name, id and tag, with the command, and exit 1"
fi

# --- detach removes them, and says so ----------------------------------------
t=orphans_detach
ch -n "$NS" detach "$IF" --json >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] &&
   jq -e --argjson x "$xid" --argjson t "$tid" '
	[.removed[] | [.what, .prog_id, .orphan]] == [["xdp", $x, true], ["tc egress", $t, true]] and
	(.notes | any(test("removed orphan chimney_xdp id \($x)"))) and
	(.notes | any(test("removed orphan chimney_tc id \($t)"))) and
	(.notes | any(test("left the clsact qdisc, empty now: no pins say chimney created it")))' \
	"$E2E_OUT" >/dev/null &&
   [ -z "$(xdp_prog "$NS" "$IF")" ] && [ -z "$(tc_filters "$NS" "$IF" egress)" ] &&
   prog_freed "$xid" "$tid" >>"$E2E_OUT" &&
   ch -n "$NS" status >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "$t" "detach must remove both orphans, say so, and leave status clean"
fi
tc -n "$NS" qdisc del dev "$IF" clsact 2>/dev/null

# Nothing left: not attached, exit 1.
t=orphans_detach_again
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "chimney is not attached to $IF" "$E2E_OUT"; then
	pass "$t"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "$t" "a second detach must say not attached and exit 1"
fi

# --- a foreign program is no orphan -------------------------------------------
t=orphans_foreign_untouched
ip -n "$NS" link set dev "$IF" xdpgeneric obj "$NULL_OBJ" sec xdp
before=$(xdp_prog "$NS" "$IF")
ch -n "$NS" status >"$E2E_OUT" 2>&1
src=$?
ch -n "$NS" detach "$IF" >>"$E2E_OUT" 2>&1
rc=$?
if [ "${before#* }" = xdp_null ] && [ "$src" -eq 0 ] &&
   grep -q "chimney is not attached anywhere" "$E2E_OUT" && [ "$rc" -eq 1 ] &&
   [ "$(xdp_prog "$NS" "$IF")" = "$before" ]; then
	pass "$t"
else
	echo "status exit $src, detach exit $rc, XDP before '$before' now '$(xdp_prog "$NS" "$IF")'" >>"$E2E_OUT"
	fail "$t" "xdp_null must be neither listed nor removed"
fi
ip -n "$NS" link set dev "$IF" xdpgeneric off

# --- an orphan beside an instance: detach takes both ---------------------------
# chimney's own TC program a second time, at another priority than the
# pins record (as an older build might have left it): that filter is an
# orphan, though its program is the instance's.
t=orphans_beside_instance
ch -n "$NS" attach "$IF" --mode skb >"$E2E_OUT" 2>&1 || fail "${t}_attach" "attach failed"
xid=$(status_get "$NS" "$IF" .xdp_prog_id)
tid=$(status_get "$NS" "$IF" .tc_prog_id)
# (nsenter, not tc -n, which mounts a /sys of its own without bpffs)
bpftool prog pin id "$tid" "/sys/fs/bpf/${E2E_ID}tc" &&
	nsenter --net="/run/netns/$NS" tc filter add dev "$IF" egress prio 7 \
		handle 7 bpf da pinned "/sys/fs/bpf/${E2E_ID}tc" >>"$E2E_OUT" 2>&1
rm -f "/sys/fs/bpf/${E2E_ID}tc"
js=$(ch -n "$NS" status --json 2>/dev/null)
ch -n "$NS" status >/dev/null 2>&1
src=$?
echo "$js" >"$E2E_OUT"
if [ "$src" -eq 1 ] &&
   [ "$(jq -c '[.[] | [.state, .hook, .prog_id]]' <<<"$js")" = \
     "[[\"attached\",null,null],[\"orphan\",\"tc egress\",$tid]]" ]; then
	pass "${t}_status"
else
	echo "status exit $src" >>"$E2E_OUT"
	fail "${t}_status" "status must show the instance attached and the filter at prio 7 as an orphan"
fi
ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -qF "removed orphan chimney_tc id $tid (tc egress)" "$E2E_OUT" &&
   [ -z "$(tc_filters "$NS" "$IF" egress)" ] && ! has_clsact "$NS" "$IF" &&
   [ -z "$(xdp_prog "$NS" "$IF")" ] && [ ! -e "$PINS" ] &&
   prog_freed "$xid" "$tid" >>"$E2E_OUT"; then
	pass "$t"
else
	echo "detach exit $rc; egress: $(tc_filters "$NS" "$IF" egress)" >>"$E2E_OUT"
	fail "$t" "detach must remove chimney's filters at every priority, and then the qdisc it made"
fi
