#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Failures of attach and friends: each exits 1 with a one-line error
# that names the cause, and changes nothing (no pins, no XDP program, no
# clsact or filter). Then all-or-nothing: a failure in a late attach step
# must unwind the steps before it. Then the option parser every verb
# shares: bad options, --json errors, optional arguments, and JSON that
# escapes the interface names it prints.
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

# Bad options: one line naming the option, and where the help is.
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
expect_error err_missing_iface_one_line "attach|IFACE|attach --help" ch -n "$NS_B" attach
expect_error err_no_command "COMMAND|chimney --help" ch -n "$NS_B"

# Every verb parses its options through the one table-driven parser:
# an unknown option, a missing argument, a bad value and a stray
# argument are each one line, exit 1, that name it.
VERBS=$(ch --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }')
if [ -z "$VERBS" ]; then
	fail cli_verbs "chimney --help lists no command"
fi
for v in $VERBS; do
	expect_error "err_unknown_option_$v" "$v: unknown option '--cliq$$'|chimney $v --help" \
		ch -n "$NS_B" "$v" "$IF_B" "--cliq$$"
	expect_error "err_unknown_short_option_$v" "$v: unknown option '-Z'" \
		ch -n "$NS_B" "$v" -Z "$IF_B"
done
expect_error err_missing_argument "flows: option '--sort' needs an argument KEY" \
	ch -n "$NS_B" flows "$IF_B" --sort
expect_error err_missing_argument_short "trace: option '-c' needs an argument N" \
	ch -n "$NS_B" trace "$IF_B" -c
expect_error err_missing_netns "option '-n' needs an argument NETNS" ch detach "$IF_B" -n
expect_error err_bad_enum "flows: --sort takes bytes, packets, age or idle, not 'size'" \
	ch -n "$NS_B" flows "$IF_B" --sort size
expect_error err_bad_number "stats: --watch takes a number from 0.1 to 3600, not '0'" \
	ch -n "$NS_B" stats "$IF_B" --watch=0
expect_error err_flag_with_value "option '--all' takes no argument" \
	ch -n "$NS_B" stats "$IF_B" --all=yes
expect_error err_stray_argument "detach: unexpected argument 'extra'" \
	ch -n "$NS_B" detach "$IF_B" extra

# Under --json an error is also a JSON object on stdout, {"error": the
# line on stderr}, wherever --json stands and whatever failed.
expect_json_error() {	# NAME CMD...
	local name=$1 rc line got
	shift
	got=$("$@" 2>"$E2E_OUT")
	rc=$?
	line=$(sed 's/^chimney: //' "$E2E_OUT")
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$E2E_OUT")" -eq 1 ] &&
	   jq -e --arg l "$line" 'type == "object" and .error == $l and length == 1' \
		<<<"$got" >/dev/null 2>&1 &&
	   untouched "$NS_B" "$IF_B" >>"$E2E_OUT"; then
		pass "$name"
	else
		echo "exit $rc; stdout: $got" >>"$E2E_OUT"
		fail "$name" "want exit 1, one stderr line, and stdout {\"error\": that line}"
	fi
}
for v in $VERBS; do
	[ "$v" = demo ] && continue	# no --json: it runs the lab
	expect_json_error "err_json_unknown_option_$v" ch -n "$NS_B" "$v" "--cliq$$" --json
done
expect_json_error err_json_before_verb ch --json -n "$NS_B" attach "$IF_B" --bogus
expect_json_error err_json_unknown_iface ch -n "$NS_B" attach nosuch --json
expect_json_error err_json_unknown_netns ch -n "${E2E_ID}nons" stats "$IF_B" --json
expect_json_error err_json_not_attached ch -n "$NS_B" stats "$IF_B" --json
expect_json_error err_json_bad_key ch -n "$NS_B" set "$IF_B" foo=1 --json
expect_json_error err_json_unknown_verb ch --json frobnicate
expect_json_error err_json_version ch --version --bogus --json

# Every verb's --help names the common options, from the same table.
for v in $VERBS; do
	[ "$v" = demo ] && continue	# its own lab: no -n, -v or --json
	out=$(ch "$v" --help 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qE '^  -n, --netns NETNS ' <<<"$out" &&
	   grep -qE '^      --json ' <<<"$out" && grep -qE '^  -h, --help ' <<<"$out" &&
	   grep -qE '^  -v, --verbose ' <<<"$out" && grep -q "^Usage: chimney .*$v" <<<"$out"; then
		pass "help_common_options_$v"
	else
		echo "$out" >"$E2E_OUT"
		fail "help_common_options_$v" "--help lacks -n, -v, --json or -h (exit $rc)"
	fi
done

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
# 1. Another tool holds chimney's slot on the clsact egress hook (handle
#    0xc41, priority 1: the bench's xdp_null as a classifier, not in
#    direct-action mode, so that its return value is a class id and
#    every packet goes on; a chimney_tc there whose maps are pinned
#    nowhere would be chimney's own orphan, which attach removes): the
#    "attach TC egress" step fails after XDP was attached. XDP must be
#    gone again, no pins (staged or not), and the other filter and the
#    clsact it sits on (not chimney's) must stay.
t=aon_tc_egress_step
tc -n "$NS_B" qdisc add dev "$IF_B" clsact &&
	tc -n "$NS_B" filter add dev "$IF_B" egress prio 1 handle 0xc41 \
		bpf obj "$ROOT/build/xdp_null.bpf.o" sec xdp
other=$(tc -n "$NS_B" filter show dev "$IF_B" egress)
if ! grep -q "name xdp_null" <<<"$other"; then
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
			if [ "$now" != "$other" ]; then
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
#    taken by a pinned map). Pins come first, before anything is
#    attached: no XDP, no TC filter, no clsact may be left.
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

# --- Options with an optional argument -----------------------------------
# stats --watch [SECS]: SECS as the next word when it is a number, after
# '=', or attached to -w; left out (default 1 s) when the next word is the
# interface. Each run prints its first screen and is stopped by timeout.
watch_every() {	# ARGS...: the period the first screen names
	timeout 1 "$CHIMNEY" -n "$NS_B" stats "$@" 2>>"$E2E_OUT" |
		sed -n 's/.*(every \([0-9.]*\)s, Ctrl-C to stop)$/\1/p' | head -1
}
if ! ch -n "$NS_B" attach "$IF_B" >"$E2E_OUT" 2>&1; then
	fail watch_setup "attach $IF_B failed"
else
	for t in "watch_next_word 2.0 $IF_B --watch 2" \
		 "watch_equals 2.0 $IF_B --watch=2" \
		 "watch_next_word_before_iface 2.5 --watch 2.5 $IF_B" \
		 "watch_short_next_word 3.0 -w 3 $IF_B" \
		 "watch_short_attached 3.0 -w3 $IF_B" \
		 "watch_default_before_iface 1.0 --watch $IF_B" \
		 "watch_default_last 1.0 $IF_B --watch"; do
		read -r name want args <<<"$t"
		: >"$E2E_OUT"
		# shellcheck disable=SC2086
		got=$(watch_every $args)
		if [ "$got" = "$want" ]; then
			pass "$name"
		else
			fail "$name" "stats $args: every '$got' s, want $want"
		fi
	done
	ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
fi

# --- JSON output escapes what it prints ----------------------------------
# Interface names may hold '"' and '\': attach, status, detach and
# stats --json must still print valid JSON with the name intact, in a
# namespace of their own.
NS_Q=${E2E_ID}q
QIF='a"b'
BIF='c\d'
if ! { ns_add "$NS_Q" &&
       ip -n "$NS_Q" link add "$QIF" type veth peer name "cliq$$" &&
       ip -n "$NS_Q" link add "$BIF" type veth peer name "cliqb$$" &&
       for l in "$QIF" "cliq$$" "$BIF" "cliqb$$"; do ip -n "$NS_Q" link set "$l" up; done; } \
		>"$E2E_OUT" 2>&1; then
	fail json_escape_setup "cannot make interfaces named $QIF and $BIF"
else
	for ifc in "$QIF" "$BIF"; do
		tag=quote
		[ "$ifc" = "$BIF" ] && tag=backslash
		ok=1
		: >"$E2E_OUT"
		a=$(ch -n "$NS_Q" attach "$ifc" --mode skb --json 2>>"$E2E_OUT")
		jq -e --arg i "$ifc" --arg n "$NS_Q" '.attached == $i and .netns == $n' \
			<<<"$a" >/dev/null 2>&1 || { echo "attach: $a" >>"$E2E_OUT"; ok=0; }
		u=$(ch -n "$NS_Q" attach "$ifc" --json 2>>"$E2E_OUT")
		jq -e --arg i "$ifc" '.attached == $i and .updated == true' \
			<<<"$u" >/dev/null 2>&1 || { echo "attach again: $u" >>"$E2E_OUT"; ok=0; }
		st=$(ch -n "$NS_Q" status "$ifc" --json 2>>"$E2E_OUT")
		jq -e --arg i "$ifc" '.[0].ifname == $i' <<<"$st" >/dev/null 2>&1 ||
			{ echo "status: $st" >>"$E2E_OUT"; ok=0; }
		ch -n "$NS_Q" stats "$ifc" --json 2>>"$E2E_OUT" | jq -e 'type == "object"' \
			>/dev/null 2>&1 || { echo "stats: not JSON" >>"$E2E_OUT"; ok=0; }
		d=$(ch -n "$NS_Q" detach "$ifc" --json 2>>"$E2E_OUT")
		jq -e --arg i "$ifc" '.detached == $i' <<<"$d" >/dev/null 2>&1 ||
			{ echo "detach: $d" >>"$E2E_OUT"; ok=0; }
		e=$(ch -n "$NS_Q" stats "$ifc" --json 2>>"$E2E_OUT")
		jq -e --arg i "$ifc" '.error | contains($i)' <<<"$e" >/dev/null 2>&1 ||
			{ echo "error: $e" >>"$E2E_OUT"; ok=0; }
		no_trace "$NS_Q" "$ifc" >>"$E2E_OUT" || ok=0
		if [ "$ok" -eq 1 ]; then
			pass "json_escapes_ifname_$tag"
		else
			fail "json_escapes_ifname_$tag" "--json output with interface '$ifc' is not valid JSON naming it"
		fi
	done
fi
