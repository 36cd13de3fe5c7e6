#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Pins whose namespace or interface is gone. Deleting a namespace takes
# its interfaces and the programs on them, not the pins, which keep the
# maps (the flow table among them) alive. status lists such instances
# and names `chimney gc`; gc removes their pins, and the maps are freed
# (bpftool no longer lists the flow map); a second gc finds nothing; an
# instance whose interface exists is never removed. `detach -n GONE
# IFACE` removes the pins too, and says that is all it could do.
#
# Namespaces ${E2E_ID}a (deleted), ${E2E_ID}b (kept: one interface
# deleted, one attached), ${E2E_ID}c (deleted, for detach). Every gc here
# is limited to these with -n: other tests' pins are theirs.
E2E_ID=${E2E_ID:-lcogc$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS_A=${E2E_ID}a
NS_B=${E2E_ID}b
NS_C=${E2E_ID}c
ROOTPINS=/sys/fs/bpf/chimney

# The pins of namespaces this test deletes, should it fail before gc.
gc_cleanup() {
	rm -rf "$ROOTPINS/$NS_A" "$ROOTPINS/$NS_C"
	e2e_cleanup
}
trap gc_cleanup EXIT

ns_veth_or_fail gc "$NS_A" lco0
ns_veth_or_fail gc "$NS_B" lco0 lco1
ns_veth_or_fail gc "$NS_C" lco0

# map_freed ID: wait up to 10 s for the kernel to free map ID (the
# namespace's interfaces, and with them the programs holding the map, go
# in the kernel's own time after `ip netns del`).
map_freed() {
	local i
	for i in $(seq 100); do
		bpftool map show id "$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	echo "map $1 still there: $(bpftool map show id "$1" 2>&1)"
	return 1
}

t=gc_setup_attach
if ch -n "$NS_A" attach lco0 --mode skb flow=on >"$E2E_OUT" 2>&1 &&
   ch -n "$NS_B" attach lco0 --mode skb >>"$E2E_OUT" 2>&1 &&
   ch -n "$NS_B" attach lco1 --mode skb >>"$E2E_OUT" 2>&1 &&
   ch -n "$NS_C" attach lco0 --mode skb >>"$E2E_OUT" 2>&1; then
	pass "$t"
else
	fail "$t" "attach failed"
fi
flows_id=$(bpftool -j map show pinned "$ROOTPINS/$NS_A/lco0/flows" | jq -r .id)
ifx_b0=$(ip -n "$NS_B" -j link show dev lco0 | jq -r '.[0].ifindex')
ip netns del "$NS_A"
ip -n "$NS_B" link del lco0

# --- status lists them, with the way to clean them --------------------------
t=gc_status_netns_gone
txt=$(ch -n "$NS_A" status 2>&1)
rc=$?
js=$(ch -n "$NS_A" status --json 2>/dev/null)
{ echo "$txt"; echo "$js"; } >"$E2E_OUT"
if [ "$rc" -eq 1 ] &&
   grep -qF "lco0 (netns $NS_A, ifindex " <<<"$txt" &&
   grep -qF "gone (namespace $NS_A no longer exists)" <<<"$txt" &&
   grep -qF "\`chimney gc\` removes its pins (so does \`chimney -n $NS_A detach lco0\`)" <<<"$txt" &&
   jq -e 'length == 1 and (.[0] | .state == "stale" and .netns_exists == false and
	.iface_exists == false and .gc == true and (.hint | startswith("`chimney gc`")))' \
	<<<"$js" >/dev/null; then
	pass "$t"
else
	echo "status exit $rc" >>"$E2E_OUT"
	fail "$t" "status -n $NS_A must show the instance gone with its namespace, and name chimney gc"
fi
t=gc_status_iface_gone
js=$(ch -n "$NS_B" status --json 2>/dev/null)
ch -n "$NS_B" status >/dev/null 2>&1
rc=$?
echo "$js" >"$E2E_OUT"
if [ "$rc" -eq 1 ] &&
   [ "$(jq -c '[.[] | [.ifname, .state, .netns_exists, .iface_exists, .gc]] | sort' <<<"$js")" = \
     '[["lco0","stale",true,false,true],["lco1","attached",true,true,false]]' ]; then
	pass "$t"
else
	echo "status exit $rc" >>"$E2E_OUT"
	fail "$t" "status -n $NS_B: lco0 gone (gc), lco1 attached"
fi
# without -n, the gone namespace is among them
if ch status --json 2>/dev/null | jq -e --arg a "$NS_A" \
	'any(.[]; .netns == $a and .gc == true)' >/dev/null; then
	pass gc_status_all_netns
else
	fail gc_status_all_netns "status without -n must list the instance of the deleted namespace"
fi

# --- gc --dry-run removes nothing ---------------------------------------------
t=gc_dry_run
ch -n "$NS_A" gc --dry-run --json >"$E2E_OUT" 2>&1
rc=$?
# without -n, it lists ours among whatever else
ch gc --dry-run --json >"$E2E_OUT.all" 2>&1
if [ "$rc" -eq 0 ] && [ -d "$ROOTPINS/$NS_A/lco0" ] &&
   jq -e --arg a "$NS_A" '.dry_run == true and
	(.instances | length == 1 and (.[0] | .netns == $a and .ifname == "lco0" and
	 .reason == "netns_gone"))' "$E2E_OUT" >/dev/null &&
   jq -e --arg a "$NS_A" --arg b "$NS_B" '[.instances[] |
	select(.netns == $a or .netns == $b) | [.netns, .ifname, .reason]] | sort ==
	[[$a, "lco0", "netns_gone"], [$b, "lco0", "iface_gone"]]' "$E2E_OUT.all" >/dev/null; then
	pass "$t"
else
	cat "$E2E_OUT.all" >>"$E2E_OUT"
	fail "$t" "--dry-run must list the instances and leave the pins"
fi
rm -f "$E2E_OUT.all"

# --- gc removes the pins, and the maps go with them -----------------------------
t=gc_removes
ch -n "$NS_A" gc >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] &&
   grep -qxF "removed $NS_A/lco0 (namespace $NS_A is gone): $ROOTPINS/$NS_A/lco0" "$E2E_OUT" &&
   [ ! -e "$ROOTPINS/$NS_A" ] && [ -n "$flows_id" ] &&
   map_freed "$flows_id" >>"$E2E_OUT"; then
	pass "$t"
else
	echo "gc exit $rc; flows map id '$flows_id'" >>"$E2E_OUT"
	fail "$t" "gc must remove the pins of $NS_A and free its flow map"
fi
t=gc_removes_iface_gone_keeps_live
ch -n "$NS_B" gc --json >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] &&
   jq -e --arg b "$NS_B" --argjson i "$ifx_b0" '.dry_run == false and
	.instances == [{netns: $b, ifname: "lco0", ifindex: $i, reason: "iface_gone",
		why: "no interface has ifindex \($i) any more",
		pin_dir: "/sys/fs/bpf/chimney/\($b)/lco0"}]' "$E2E_OUT" >/dev/null &&
   [ ! -e "$ROOTPINS/$NS_B/lco0" ] && [ -d "$ROOTPINS/$NS_B/lco1" ] &&
   [ "$(status_get "$NS_B" lco1 .state)" = attached ]; then
	pass "$t"
else
	echo "gc exit $rc" >>"$E2E_OUT"
	fail "$t" "gc must remove lco0's pins (interface deleted) and keep attached lco1"
fi

# --- again: nothing ----------------------------------------------------------------
t=gc_again_noop
ch -n "$NS_A" gc >"$E2E_OUT" 2>&1
rc=$?
js=$(ch -n "$NS_B" gc --json 2>>"$E2E_OUT")
if [ "$rc" -eq 0 ] &&
   grep -qx "nothing to collect: every instance's namespace and interface exist" "$E2E_OUT" &&
   [ "$(jq -c . <<<"$js")" = '{"dry_run":false,"instances":[]}' ] &&
   [ -d "$ROOTPINS/$NS_B/lco1" ]; then
	pass "$t"
else
	echo "$js" >>"$E2E_OUT"
	fail "$t" "a second gc must find nothing"
fi

# --- detach -n GONE IFACE ---------------------------------------------------------
t=gc_detach_gone_netns
ip netns del "$NS_C"
ch -n "$NS_C" detach lco0 >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -qx "lco0: detached" "$E2E_OUT" &&
   grep -qF "namespace $NS_C no longer exists: only the pins could be removed" "$E2E_OUT" &&
   [ ! -e "$ROOTPINS/$NS_C" ]; then
	pass "$t"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "$t" "detach in a deleted namespace must remove the pins and say that was all"
fi
ch -n "$NS_C" detach lco0 >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$E2E_OUT")" -eq 1 ] &&
   grep -qF "network namespace '$NS_C' not found, and chimney has no pins of lco0 for it" "$E2E_OUT"; then
	pass "${t}_again"
else
	echo "detach exit $rc" >>"$E2E_OUT"
	fail "${t}_again" "a second detach must fail in one line"
fi
