#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Which devices attach takes. The programs parse Ethernet frames:
#  - a tun device (link/none: its frames begin with the IP header) is
#    refused with one line, by attach and by `run --config`, and nothing
#    is left (no XDP, no clsact or filter, no pins);
#  - a tap (the same driver, Ethernet frames) and a veth attach;
#  - lo attaches (its frames have an Ethernet header) with a one-line
#    warning that its local TCP and UDP carry partial checksums, at
#    attach and again when set changes csum=; the warning is true: a
#    local SYN counts csum_bad_tcp.
# All in one namespace, ${E2E_ID}a.
E2E_ID=${E2E_ID:-smldv$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS=${E2E_ID}a
CONF=$(mktemp --suffix=.conf)
ERR=$(mktemp)
devices_cleanup() {
	rm -f "$CONF" "$ERR"
	e2e_cleanup
}
trap devices_cleanup EXIT

if ! { ns_add "$NS" &&
       ip -n "$NS" tuntap add mode tun name smltun0 &&
       ip -n "$NS" link set smltun0 up &&
       ip -n "$NS" addr add 10.201.0.1/24 dev smltun0 &&
       ip -n "$NS" tuntap add mode tap name smltap0 &&
       ip -n "$NS" link add smlv0 type veth peer name smlv1 &&
       ip -n "$NS" link set smlv0 up && ip -n "$NS" link set smlv1 up; } \
		>"$E2E_OUT" 2>&1; then
	fail devices_setup "cannot make the tun, tap and veth devices in $NS"
	exit 1
fi

# untouched IFACE: no_trace, no egress filter, and no pin directory for
# the namespace at all.
untouched() {
	local bad=0 f
	no_trace "$NS" "$1" || bad=1
	f=$(tc -n "$NS" filter show dev "$1" egress 2>/dev/null)
	[ -z "$f" ] || { echo "egress filter: $f"; bad=1; }
	if [ -e "/sys/fs/bpf/chimney/$NS" ]; then
		echo "pins: $(ls -laR "/sys/fs/bpf/chimney/$NS" 2>&1)"
		bad=1
	fi
	return $bad
}

# ---- tun: refused, one line, nothing left ---------------------------------

ch -n "$NS" attach smltun0 csum=drop >"$E2E_OUT" 2>"$ERR"
rc=$?
out=$(cat "$E2E_OUT")
cat "$ERR" >>"$E2E_OUT"
if [ "$rc" -eq 1 ] && [ -z "$out" ] && [ "$(wc -l <"$ERR")" -eq 1 ] &&
   grep -q "smltun0 has no Ethernet header (link/none)" "$ERR"; then
	pass dev_tun_refused
else
	fail dev_tun_refused "want exit 1 (got $rc) and one stderr line naming smltun0 and the missing Ethernet header"
fi
if untouched smltun0 >"$E2E_OUT" 2>&1; then
	pass dev_tun_untouched
else
	fail dev_tun_untouched "the refused attach left something"
fi

# run --config attaches through the same path: refused there too.
printf '[%s/smltun0]\nflow = on\n' "$NS" >"$CONF"
ch run --config "$CONF" --once --metrics off >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "smltun0 has no Ethernet header" "$E2E_OUT" &&
   untouched smltun0 >>"$E2E_OUT" 2>&1; then
	pass dev_tun_refused_by_run
else
	fail dev_tun_refused_by_run "run --config with a tun: want exit 1 (got $rc), the reason, nothing left"
fi

# ---- tap and veth: Ethernet, attached -------------------------------------

for dev in smltap0 smlv0; do
	if ch -n "$NS" attach "$dev" >"$E2E_OUT" 2>&1 &&
	   grep -q "^$dev: attached" "$E2E_OUT" &&
	   [ -n "$(status_get "$NS" "$dev" .xdp_prog_id)" ] &&
	   ch -n "$NS" detach "$dev" >>"$E2E_OUT" 2>&1 &&
	   no_trace "$NS" "$dev" >>"$E2E_OUT"; then
		pass "dev_${dev#sml}_attaches"
	else
		fail "dev_${dev#sml}_attaches" "attach and detach of $dev"
		ch -n "$NS" detach "$dev" >/dev/null 2>&1
	fi
done

# ---- lo: attached, with the warning that fits it ---------------------------

# lo_warned FILE: exactly one warning line, the loopback one, which names
# `ethtool -K lo tx off` as no remedy and sends nobody to a peer.
lo_warned() {
	[ "$(grep -c warning "$1")" -eq 1 ] &&
		grep -q "warning: lo is the loopback: local TCP and UDP carry partial checksums" "$1" &&
		grep -q "ethtool -K lo tx off changes nothing" "$1" &&
		! grep -q PEER "$1"
}

ch -n "$NS" attach lo >"$E2E_OUT" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "^lo: attached" "$E2E_OUT" && lo_warned "$E2E_OUT"; then
	pass dev_lo_attach_warns
else
	fail dev_lo_attach_warns "want lo attached (exit $rc) with the one-line loopback warning"
fi

# What the warning says: a local SYN over lo has a partial checksum.
bad0=$(stat_get "$NS" lo csum_bad_tcp)
ip netns exec "$NS" timeout 5 bash -c 'echo >/dev/tcp/127.0.0.1/9' 2>/dev/null
bad1=$(stat_get "$NS" lo csum_bad_tcp)
if [ $((bad1 - bad0)) -ge 1 ]; then
	pass dev_lo_local_tcp_partial
else
	: >"$E2E_OUT"
	fail dev_lo_local_tcp_partial "csum_bad_tcp moved by $((bad1 - bad0)) for a local SYN"
fi

if ch -n "$NS" set lo csum=drop >"$E2E_OUT" 2>&1 && lo_warned "$E2E_OUT"; then
	pass dev_lo_set_warns
else
	fail dev_lo_set_warns "set lo csum=drop: want the loopback warning"
fi
# A set that leaves csum= alone says nothing.
if ch -n "$NS" set lo csum.sample_rate=50 >"$E2E_OUT" 2>&1 &&
   ! grep -q warning "$E2E_OUT"; then
	pass dev_lo_set_quiet
else
	fail dev_lo_set_quiet "a set that does not touch csum= warned"
fi
if ch -n "$NS" detach lo >"$E2E_OUT" 2>&1 && no_trace "$NS" lo >>"$E2E_OUT"; then
	pass dev_lo_detach
else
	fail dev_lo_detach "detach lo left something"
fi
