#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Failures of attach and friends: each exits 1 with a one-line error
# that names the cause, and changes nothing (no pins, no XDP program, no
# clsact or filter). Then all-or-nothing: a failure in a late attach step
# must unwind the steps before it.
E2E_ID=${E2E_ID:-er$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

PIN_ROOT=/sys/fs/bpf/chimney
BLOCK_PIN=
ROOT_MADE=
errors_cleanup() {
	[ -n "$BLOCK_PIN" ] && rm -f "$BLOCK_PIN"
	[ -n "$ROOT_MADE" ] && rmdir "$PIN_ROOT" 2>/dev/null
	e2e_cleanup
}
trap errors_cleanup EXIT

# untouched NS IFACE...: no trace on any IFACE and no pin directory for
# the namespace at all (nothing is attached there during these tests).
untouched() {
	local ns=$1 ifc bad=0
	shift
	for ifc in "$@"; do
		no_trace "$ns" "$ifc" || bad=1
	done
	if [ -e "$PIN_ROOT/$ns" ]; then
		echo "pin directory created: $(ls -laR "$PIN_ROOT/$ns" 2>&1)"
		bad=1
	fi
	return $bad
}

# expect_error NAME WANT CMD...: CMD exits 1, prints exactly one line
# (on stderr, nothing on stdout) containing every |-separated part of
# WANT, and veth1 in B is untouched.
expect_error() {
	local name=$1 want=$2 rc part ok=1 out
	shift 2
	"$@" >"$E2E_OUT.out" 2>"$E2E_OUT"
	rc=$?
	out=$(cat "$E2E_OUT.out")
	rm -f "$E2E_OUT.out"
	[ "$rc" -eq 1 ] || ok=0
	[ -z "$out" ] || ok=0
	[ "$(wc -l <"$E2E_OUT")" -eq 1 ] || ok=0
	IFS='|' read -ra parts <<<"$want"
	for part in "${parts[@]}"; do
		grep -qiF -- "$part" "$E2E_OUT" || ok=0
	done
	untouched "$NS_B" "$IF_B" >>"$E2E_OUT" || ok=0
	if [ "$ok" -eq 1 ]; then
		pass "$name"
	else
		[ -n "$out" ] && echo "stdout: $out" >>"$E2E_OUT"
		fail "$name" "want exit 1 (got $rc) and one stderr line with '$want', nothing changed"
	fi
}

pair_or_fail errors 8
# A VXLAN device has no native XDP (ndo_bpf); macvlan has none either.
ip -n "$NS_B" link add vxe type vxlan id 77 dstport 4789 local "$B4" dev "$IF_B" &&
	ip -n "$NS_B" link set vxe up

expect_error err_unknown_iface "nosuch|not found|$NS_B" \
	ch -n "$NS_B" attach nosuch
expect_error err_unknown_netns "${E2E_ID}nons|not found" \
	ch -n "${E2E_ID}nons" attach "$IF_B"
if [ -e "$PIN_ROOT/${E2E_ID}nons" ]; then
	fail err_unknown_netns_no_pins "a pin directory was made for the unknown namespace"
else
	pass err_unknown_netns_no_pins
fi
expect_error err_default_netns_reserved "default" \
	ch -n default attach "$IF_B"
expect_error err_bad_iface_name "invalid interface" \
	ch -n "$NS_B" attach ../x

# Not root: as nobody, before anything is looked up or created.
if command -v setpriv >/dev/null; then
	asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
else
	asnobody() { su -s /bin/sh nobody -c "$(printf '%q ' "$@")"; }
fi
for verb in attach detach set stats status; do
	args=("$IF_B")
	[ "$verb" = set ] && args+=(vxlan.ports=4789)
	[ "$verb" = status ] && args=()
	expect_error "err_not_root_$verb" "$verb|root" \
		asnobody timeout 20 "$CHIMNEY" -n "$NS_B" "$verb" "${args[@]}"
done

# Native XDP on a device whose driver cannot: a clear error, and the
# VXLAN device is left as it was.
expect_error err_native_unsupported "vxe|native|--mode skb" \
	ch -n "$NS_B" attach vxe --mode native
if no_trace "$NS_B" vxe >"$E2E_OUT"; then
	pass err_native_unsupported_no_trace
else
	fail err_native_unsupported_no_trace "the failed native attach left something on vxe"
fi
# Without --mode the same device falls back to skb.
if ch -n "$NS_B" attach vxe >"$E2E_OUT" 2>&1 &&
   [ "$(status_get "$NS_B" vxe .xdp_mode)" = skb ] &&
   ip -n "$NS_B" link show dev vxe | grep -q xdpgeneric &&
   ch -n "$NS_B" detach vxe >>"$E2E_OUT" 2>&1 &&
   no_trace "$NS_B" vxe >>"$E2E_OUT"; then
	pass attach_default_falls_back_to_skb
else
	fail attach_default_falls_back_to_skb "attach without --mode on VXLAN should use skb mode"
	ch -n "$NS_B" detach vxe >/dev/null 2>&1
fi

# Bad options: getopt's message comes first, the usage after it.
expect_first_line() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >/dev/null 2>"$E2E_OUT"
	rc=$?
	if [ "$rc" -eq 1 ] && head -1 "$E2E_OUT" | grep -qF -- "$want" &&
	   untouched "$NS_B" "$IF_B" >>"$E2E_OUT"; then
		pass "$name"
	else
		fail "$name" "want exit 1 (got $rc), first line naming '$want', nothing changed"
	fi
}
expect_first_line err_bad_flag "--bogus" ch -n "$NS_B" attach "$IF_B" --bogus
expect_first_line err_bad_global_flag "--bogus" ch --bogus -n "$NS_B" attach "$IF_B"
expect_error err_bad_mode "bogus|mode" ch -n "$NS_B" attach "$IF_B" --mode bogus
expect_error err_unknown_verb "frobnicate" ch -n "$NS_B" frobnicate "$IF_B"
expect_first_line err_missing_iface "IFACE" ch -n "$NS_B" attach

# Config errors at attach are found before anything is touched.
expect_error err_attach_unknown_key "'foo'" ch -n "$NS_B" attach "$IF_B" foo=1
expect_error err_attach_bad_value "'abc'|vxlan.ports" \
	ch -n "$NS_B" attach "$IF_B" vxlan.ports=abc
expect_error err_attach_too_many_ports "at most" \
	ch -n "$NS_B" attach "$IF_B" vxlan.ports=1,2,3,4,5
expect_error err_attach_not_kv "KEY=VALUE|'vxlan.ports'" \
	ch -n "$NS_B" attach "$IF_B" vxlan.ports
expect_error err_attach_one_bad_of_two "'bogus'" \
	ch -n "$NS_B" attach "$IF_B" vxlan.ports=8472 bogus=1

# Verbs on an interface chimney is not attached to.
expect_error err_detach_not_attached "not attached|$IF_B" ch -n "$NS_B" detach "$IF_B"
expect_error err_set_not_attached "not attached|$IF_B" \
	ch -n "$NS_B" set "$IF_B" vxlan.ports=4789
expect_error err_stats_not_attached "not attached|$IF_B" ch -n "$NS_B" stats "$IF_B"

# --- All or nothing ------------------------------------------------------
# 1. Someone holds chimney's slot on the clsact egress hook (handle 0xc41,
#    priority 1): the "attach TC egress" step fails after XDP was
#    attached. XDP must be gone again, no pins, and the other filter and
#    the clsact it sits on (not chimney's) must stay.
t=aon_tc_egress_step
tc -n "$NS_B" qdisc add dev "$IF_B" clsact &&
	tc -n "$NS_B" filter add dev "$IF_B" egress prio 1 handle 0xc41 \
		bpf da obj "$ROOT/build/tc_egress.bpf.o" sec tc
other=$(tc -n "$NS_B" filter show dev "$IF_B" egress | grep -o ' id [0-9]*' | head -1)
if [ -z "$other" ]; then
	fail "$t" "could not install the blocking tc filter"
else
	for mode in native skb; do
		ch -n "$NS_B" attach "$IF_B" --mode "$mode" >/dev/null 2>"$E2E_OUT"
		rc=$?
		{
			bad=0
			[ "$rc" -eq 1 ] || { echo "exit $rc"; bad=1; }
			grep -q "step 'attach TC egress'" "$E2E_OUT" ||
				{ echo "error does not name the step"; bad=1; }
			if ip -n "$NS_B" link show dev "$IF_B" | grep -q 'prog/xdp'; then
				echo "XDP left attached: $(ip -n "$NS_B" link show dev "$IF_B")"
				bad=1
			fi
			[ -e "$PIN_ROOT/$NS_B" ] && { echo "pins left"; bad=1; }
			now=$(tc -n "$NS_B" filter show dev "$IF_B" egress)
			if [ "$(grep -c 'handle 0xc41' <<<"$now")" -ne 1 ] ||
			   ! grep -q "$other" <<<"$now"; then
				echo "the other filter changed: $now"
				bad=1
			fi
			[ "$bad" -eq 0 ]
		} >>"$E2E_OUT" 2>&1
		if [ $? -eq 0 ]; then
			pass "${t}_$mode"
		else
			fail "${t}_$mode" "a failed TC step must unwind XDP and leave the other filter"
		fi
	done
fi
tc -n "$NS_B" qdisc del dev "$IF_B" clsact 2>/dev/null

# 2. The pin directory cannot be made (the namespace's directory name is
#    taken by a pinned map), the last step but one: XDP, the TC filter and
#    the clsact qdisc chimney created must all be unwound.
t=aon_pin_step
bpffs_ensure
[ -d "$PIN_ROOT" ] || { mkdir -p "$PIN_ROOT" && ROOT_MADE=1; }
BLOCK_PIN=$PIN_ROOT/$NS_B
if ! bpftool map create "$BLOCK_PIN" type array key 4 value 4 entries 1 \
	name e2e_block >"$E2E_OUT" 2>&1; then
	BLOCK_PIN=
	fail "$t" "could not pin the blocking map"
else
	ch -n "$NS_B" attach "$IF_B" --mode skb >/dev/null 2>"$E2E_OUT"
	rc=$?
	{
		bad=0
		[ "$rc" -eq 1 ] || { echo "exit $rc"; bad=1; }
		grep -q "step 'create pin directory'" "$E2E_OUT" ||
			{ echo "error does not name the step"; bad=1; }
		no_trace "$NS_B" "$IF_B" || bad=1
		[ -z "$(tc -n "$NS_B" filter show dev "$IF_B" egress)" ] ||
			{ echo "filter left"; bad=1; }
		[ "$bad" -eq 0 ]
	} >>"$E2E_OUT" 2>&1
	if [ $? -eq 0 ]; then
		pass "$t"
	else
		fail "$t" "a failed pin step must unwind XDP, the filter and chimney's clsact"
	fi
	rm -f "$BLOCK_PIN"
	BLOCK_PIN=
fi

# After all of the above, a normal attach works and detach is clean.
if ch -n "$NS_B" attach "$IF_B" >"$E2E_OUT" 2>&1 &&
   [ "$(status_get "$NS_B" "$IF_B" .state)" = attached ] &&
   ch -n "$NS_B" detach "$IF_B" >>"$E2E_OUT" 2>&1 &&
   untouched "$NS_B" "$IF_B" >>"$E2E_OUT"; then
	pass errors_then_clean_attach
else
	fail errors_then_clean_attach "attach/detach after the failures did not work cleanly"
fi
