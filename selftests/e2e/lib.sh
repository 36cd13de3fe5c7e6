#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared helpers for e2e tests, in the style of xdp-tools' test_runner.
# Each test file sources this, builds its own namespaces with unique
# names, and reports one line per test:
#   PASS <name> | FAIL <name> | SKIP <name>: <reason>
# On FAIL the captured output of the failing step is printed after it.
#
# Names: every namespace and link made here carries the test's unique
# prefix ($E2E_ID), and cleanup (on EXIT) removes all of them, detaching
# chimney first so no pins are left behind.

set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
CHIMNEY=${CHIMNEY:-$ROOT/build/chimney}
E2E_ID=${E2E_ID:-c$$}
E2E_NETNS=()
E2E_OUT=$(mktemp)

pass() { echo "PASS $1"; }
skip() { echo "SKIP $1: $2"; }
fail() {
	echo "FAIL $1${2:+: $2}"
	if [ -s "$E2E_OUT" ]; then
		sed 's/^/    | /' "$E2E_OUT" | tail -40
	fi
}

# check NAME CMD...: PASS if CMD succeeds, FAIL with its output otherwise.
check() {
	local name=$1
	shift
	if "$@" >"$E2E_OUT" 2>&1; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

# check_fails NAME CMD...: PASS if CMD fails (exit != 0).
check_fails() {
	local name=$1
	shift
	if "$@" >"$E2E_OUT" 2>&1; then
		fail "$name" "command unexpectedly succeeded: $*"
	else
		pass "$name"
	fi
}

# ns_add NAME: create a namespace with lo up, registered for cleanup.
ns_add() {
	ip netns add "$1" || return 1
	E2E_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# veth_pair NS_A IF_A NS_B IF_B IDX: a veth pair between two namespaces,
# addressed 10.200.IDX.1/24 + fd00:IDX::1/64 on A and .2 / ::2 on B (no
# DAD, so IPv6 works at once). tx checksum offload is off on both ends:
# a veth sender with offload puts partial checksums on the wire.
veth_pair() {
	local na=$1 ia=$2 nb=$3 ib=$4 idx=$5
	ip link add "$ia" netns "$na" type veth peer name "$ib" netns "$nb" || return 1
	ip -n "$na" addr add "10.200.$idx.1/24" dev "$ia"
	ip -n "$nb" addr add "10.200.$idx.2/24" dev "$ib"
	ip -n "$na" addr add "fd00:$idx::1/64" dev "$ia" nodad
	ip -n "$nb" addr add "fd00:$idx::2/64" dev "$ib" nodad
	ip netns exec "$na" ethtool -K "$ia" tx off >/dev/null 2>&1
	ip netns exec "$nb" ethtool -K "$ib" tx off >/dev/null 2>&1
	ip -n "$na" link set "$ia" up
	ip -n "$nb" link set "$ib" up
}

# Pair of namespaces "${E2E_ID}a" / "${E2E_ID}b" joined by veth0/veth1.
# Sets NS_A NS_B IF_A IF_B and the addresses A4 B4 A6 B6.
setup_pair() {
	local idx=${1:-1}
	NS_A=${E2E_ID}a
	NS_B=${E2E_ID}b
	IF_A=veth0
	IF_B=veth1
	ns_add "$NS_A" && ns_add "$NS_B" &&
		veth_pair "$NS_A" "$IF_A" "$NS_B" "$IF_B" "$idx" || return 1
	A4=10.200.$idx.1
	B4=10.200.$idx.2
	A6=fd00:$idx::1
	B6=fd00:$idx::2
}

# pair_or_fail NAME IDX: setup_pair IDX, or FAIL NAME_setup and end the
# test script: nothing in it can run without the namespaces.
pair_or_fail() {
	if ! setup_pair "$2" >>"$E2E_OUT" 2>&1; then
		fail "$1_setup" "cannot build the namespace pair"
		exit 1
	fi
}

# stat_get NS IFACE COUNTER: one counter's sum, 0 when absent.
stat_get() {
	"$CHIMNEY" -n "$1" stats "$2" --json 2>/dev/null |
		jq -r --arg k "$3" '.[$k] // 0'
}

# kstat_get NS IFACE rx|tx packets|bytes: the kernel's own interface
# counter (what `ip -s link` shows), read through netlink in NS.
kstat_get() {
	ip -n "$1" -j -s link show dev "$2" 2>/dev/null |
		jq -r --arg d "$3" --arg k "$4" '.[0].stats64[$d][$k] // empty'
}

# status_get NS IFACE JQ: a field of the instance's `status --json`
# entry, e.g. status_get $NS_B veth1 .xdp_prog_id; empty when absent.
status_get() {
	"$CHIMNEY" -n "$1" status --json 2>/dev/null |
		jq -r --arg i "$2" ".[] | select(.ifname == \$i) | $3" 2>/dev/null
}

# wait_listen NS PORT: wait up to 5 s for a TCP listener on PORT in NS.
wait_listen() {
	local i
	for i in $(seq 50); do
		[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# no_trace NS IFACE: chimney left nothing on IFACE in NS: no XDP program,
# no chimney filter or clsact qdisc, no pin directory. Prints what it
# found otherwise (for the FAIL output) and returns 1.
no_trace() {
	local ns=$1 ifc=$2 bad=0 out
	out=$(ip -n "$ns" link show dev "$ifc" 2>&1)
	if grep -Eq 'xdp|prog/xdp' <<<"$out"; then
		echo "XDP still attached: $out"
		bad=1
	fi
	out=$(tc -n "$ns" qdisc show dev "$ifc" 2>&1)
	if grep -q clsact <<<"$out"; then
		echo "clsact qdisc left: $out"
		echo "egress filters: $(tc -n "$ns" filter show dev "$ifc" egress 2>&1)"
		bad=1
	fi
	if [ -e "/sys/fs/bpf/chimney/$ns/$ifc" ]; then
		echo "pins left: $(ls -la "/sys/fs/bpf/chimney/$ns/$ifc" 2>&1)"
		bad=1
	fi
	return $bad
}

# veth_in NS IFACE: a veth pair IFACE/IFACEp inside NS, both up.
veth_in() {
	ip -n "$1" link add "$2" type veth peer name "${2}p" &&
		ip -n "$1" link set "$2" up && ip -n "$1" link set "${2}p" up
}

# ns_veth_or_fail NAME NS IFACE...: namespace NS (cleaned on exit) with
# veth_in NS IFACE for each IFACE, or FAIL NAME_setup and end the script.
ns_veth_or_fail() {
	local name=$1 ns=$2 ifc ok=0
	shift 2
	if ns_add "$ns" >"$E2E_OUT" 2>&1; then
		ok=1
		for ifc in "$@"; do
			veth_in "$ns" "$ifc" >>"$E2E_OUT" 2>&1 || ok=0
		done
	fi
	[ "$ok" -eq 1 ] && return 0
	fail "${name}_setup" "cannot build namespace $ns"
	exit 1
}

# iface_reset NS IFACE: whatever a case left on IFACE goes (that case
# already reported it): chimney detached, skb-mode XDP off, clsact gone.
iface_reset() {
	timeout 20 "$CHIMNEY" -n "$1" detach "$2" >/dev/null 2>&1
	ip -n "$1" link set dev "$2" xdpgeneric off 2>/dev/null
	tc -n "$1" qdisc del dev "$2" clsact 2>/dev/null
	# best effort: what is already gone is no failure of the caller's
	return 0
}

# xdp_prog NS IFACE: "ID NAME" of the XDP program `ip -j link` shows on
# IFACE, empty when there is none.
xdp_prog() {
	ip -n "$1" -j link show dev "$2" 2>/dev/null |
		jq -r '.[0].xdp.prog // empty | "\(.id) \(.name)"'
}

# tc_filters NS IFACE ingress|egress: one line per filter on that hook of
# IFACE's clsact, "PREF HANDLE PROG_ID PROG_NAME" (0 and - for a filter
# that runs no eBPF program), from `tc -j filter show`.
tc_filters() {
	tc -n "$1" -j filter show dev "$2" "$3" 2>/dev/null |
		jq -r '.[] | select(.options.handle) |
			"\(.pref) \(.options.handle) \(.options.prog.id // 0) \(.options.prog.name // "-")"'
}

# has_clsact NS IFACE: is there a clsact qdisc on IFACE?
has_clsact() {
	tc -n "$1" -j qdisc show dev "$2" 2>/dev/null |
		jq -e 'any(.[]; .kind == "clsact")' >/dev/null
}

# prog_freed ID...: wait up to 5 s for the kernel to free these programs
# (cls_bpf lets go after an RCU grace period); 1 if one is still loaded.
prog_freed() {
	local i id left
	for i in $(seq 50); do
		left=
		for id in "$@"; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left=$id
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "program $left still loaded: $(bpftool prog show id "$left" 2>&1)"
	return 1
}

# dispatcher_probe NS: can libxdp attach through its multi-program
# dispatcher on this kernel? Asks libxdp itself, by loading xdp_null with
# xdp-loader on a scratch veth in NS (nsenter keeps the root mount
# namespace, so libxdp sees the real bpffs). Returns 0 when a dispatcher
# was used, 1 when not (E2E_DISPATCHER_REASON holds libxdp's words), 2
# when the probe could not run.
E2E_DISPATCHER_REASON=
dispatcher_probe() {
	local ns=$1 obj=$ROOT/build/xdp_null.bpf.o out st rc
	E2E_DISPATCHER_REASON=
	if [ ! -f "$obj" ] || ! command -v xdp-loader >/dev/null; then
		E2E_DISPATCHER_REASON="xdp-loader or $obj missing"
		return 2
	fi
	# libxdp builds no dispatcher without bpffs ("Can't use dispatcher
	# without a working bpffs"), and chimney mounts it first: without
	# it, the answer would be about this machine's past, not its kernel.
	if ! bpffs_ensure; then
		E2E_DISPATCHER_REASON="cannot mount bpffs on /sys/fs/bpf"
		return 2
	fi
	ip -n "$ns" link add dprobe0 type veth peer name dprobe1 || return 2
	ip -n "$ns" link set dprobe0 up
	ip -n "$ns" link set dprobe1 up
	out=$(nsenter --net="/run/netns/$ns" timeout 20 xdp-loader load -v \
		-m skb dprobe0 "$obj" 2>&1)
	rc=$?
	st=$(nsenter --net="/run/netns/$ns" timeout 20 xdp-loader status dprobe0 2>&1)
	nsenter --net="/run/netns/$ns" timeout 20 xdp-loader unload --all dprobe0 \
		>/dev/null 2>&1
	ip -n "$ns" link del dprobe0
	if [ "$rc" -ne 0 ]; then
		E2E_DISPATCHER_REASON="xdp-loader load failed on a bare veth: $(tail -1 <<<"$out")"
		return 2
	fi
	grep -q xdp_dispatcher <<<"$st" && return 0
	E2E_DISPATCHER_REASON=$(grep -i 'dispatcher' <<<"$out" | sed 's/^ *//' |
		paste -sd ';' -)
	E2E_DISPATCHER_REASON=${E2E_DISPATCHER_REASON:-no dispatcher in xdp-loader status}
	return 1
}

# bpffs_ensure: bpffs on /sys/fs/bpf, mounted the way chimney mounts it
# when missing (user/ns.c), for the steps that need it before chimney
# ran: a machine that has just booted has none.
bpffs_ensure() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	mkdir -p /sys/fs/bpf && mount -t bpf -o mode=0700 bpf /sys/fs/bpf
}

. "$ROOT/selftests/lib/netns.sh"

# What a killed earlier run of this test left: gone before anything
# here is made (a namespace that exists already cannot be added).
ns_stale_teardown "$E2E_ID"

e2e_cleanup() {
	ns_teardown "${E2E_NETNS[@]}"
	rm -f "$E2E_OUT"
}
trap e2e_cleanup EXIT
