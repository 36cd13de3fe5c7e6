#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `make demo` / `chimney demo`: a namespace lab that shows each field
# failure chimney exists for, and its fix. Every scene builds its own
# namespaces and tears them down, also on Ctrl-C or error.
#
#   deploy/demo.sh              all scenes
#   deploy/demo.sh SCENE...     only these (see --help)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHIMNEY=${CHIMNEY:-$ROOT/build/chimney}
ID=demo$$
NSES=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
	local ns dir
	for ns in "${NSES[@]}"; do
		for dir in /sys/fs/bpf/chimney/"$ns"/*; do
			[ -d "$dir" ] && "$CHIMNEY" -n "$ns" detach "$(basename "$dir")" >/dev/null 2>&1
		done
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	NSES=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { ip netns add "$1" && NSES+=("$1") && ip -n "$1" link set lo up; }

# A client and a server namespace joined by a veth pair.
lab_pair() {
	CL=${ID}cl SV=${ID}sv
	ns "$CL" && ns "$SV" || exit 1
	ip link add eth0 netns "$CL" type veth peer name eth0 netns "$SV"
	ip -n "$CL" addr add 10.77.0.1/24 dev eth0
	ip -n "$SV" addr add 10.77.0.2/24 dev eth0
	ip -n "$CL" addr add fd77::1/64 dev eth0 nodad
	ip -n "$SV" addr add fd77::2/64 dev eth0 nodad
	# veth senders with tx checksum offload put partial checksums on the
	# wire; XDP cannot tell them from corruption.
	ip netns exec "$CL" ethtool -K eth0 tx off >/dev/null
	ip netns exec "$SV" ethtool -K eth0 tx off >/dev/null
	ip -n "$CL" link set eth0 up
	ip -n "$SV" link set eth0 up
}

scene_basic() {
	say "Scene: attach, run traffic, read the counters"
	lab_pair
	run "$CHIMNEY" -n "$SV" attach eth0 || return 1
	run "$CHIMNEY" -n "$SV" status eth0
	run ip netns exec "$CL" ping -c 5 -i 0.05 -q 10.77.0.2
	run ip netns exec "$CL" ping -c 5 -i 0.05 -q fd77::2
	ip netns exec "$SV" iperf3 -s -1 -D -B 10.77.0.2 >/dev/null
	sleep 0.3
	run ip netns exec "$CL" iperf3 -c 10.77.0.2 -n 20M -f m | tail -4
	run "$CHIMNEY" -n "$SV" stats eth0
	run "$CHIMNEY" -n "$SV" detach eth0
	cleanup
}

SCENES=(basic)

usage() {
	echo "Usage: $0 [SCENE...]   scenes: ${SCENES[*]}"
}

if [ "$(id -u)" != 0 ]; then
	echo "demo: must run as root (namespaces, BPF)" >&2
	exit 1
fi
if [ ! -x "$CHIMNEY" ]; then
	echo "demo: $CHIMNEY not built; run make first" >&2
	exit 1
fi
case "${1:-}" in -h|--help) usage; exit 0;; esac
sel=("$@")
[ ${#sel[@]} -eq 0 ] && sel=("${SCENES[@]}")
rc=0
for s in "${sel[@]}"; do
	if ! declare -F "scene_$s" >/dev/null; then
		echo "demo: unknown scene '$s'" >&2; usage >&2; exit 1
	fi
	"scene_$s" || { echo "demo: scene $s failed" >&2; rc=1; }
	cleanup
done
exit $rc
