# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shell helpers shared by the e2e tests (selftests/e2e/lib.sh) and the
# demo (deploy/demo.sh). Source with $CHIMNEY set.

# ns_pids NS: the processes that run in NS or serve its chimney
# instances. `ip netns pids` looks at a process's main thread only, and
# `chimney -n NS run` keeps that one in the root namespace (its metrics
# listener's thread alone enters NS): a daemon left running would adopt
# the instances of the next namespace of that name. So: any thread in
# NS, a file open on one of its pin directories (the daemon's lock), or
# a chimney command line with -n NS.
ns_pids() {
	local ns=$1 p t f d a args
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		for t in "$p"/task/*/ns/net; do
			[ "$t" -ef "/run/netns/$ns" ] && { echo "${p#/proc/}"; continue 2; }
		done
		for f in "$p"/fd/*; do
			for d in /sys/fs/bpf/chimney/"$ns"/*; do
				[ "$f" -ef "$d" ] && { echo "${p#/proc/}"; continue 3; }
			done
		done 2>/dev/null
		mapfile -d "" args 2>/dev/null <"$p/cmdline" || continue
		[[ ${args[0]:-} == *chimney ]] || continue
		for a in "${!args[@]}"; do
			[ "${args[a]}" = -n ] && [ "${args[a + 1]:-}" = "$ns" ] &&
				{ echo "${p#/proc/}"; continue 2; }
		done
	done
}

# ns_teardown NS...: kill what runs in each namespace or serves it,
# detach every chimney instance pinned for it, and delete it.
ns_teardown() {
	local ns dir
	for ns in "$@"; do
		kill -9 $(ns_pids "$ns") 2>/dev/null
		for dir in /sys/fs/bpf/chimney/"$ns"/*; do
			[ -d "$dir" ] && "$CHIMNEY" -n "$ns" detach "$(basename "$dir")" >/dev/null 2>&1
		done
		ip netns del "$ns" 2>/dev/null
	done
}

# ns_stale NAME ID: is NAME (a namespace, or a pin directory under
# /sys/fs/bpf/chimney) a leftover of an earlier run of the script whose
# names are ID<suffix>? ID is a tag and the run's PID (at1234: at1234a,
# at1234b). A run killed before its EXIT trap ran leaves them for good.
# Its own ID's names are the script's to clear (a PID the kernel gave
# out again, or an ID set by hand); of the tag's other IDs, those whose
# run is gone, never those of a run still going.
ns_stale() {
	local name=$1 id=$2 tag=${2%%[0-9]*}
	[[ $name =~ ^${id}[a-z]*$ ]] && return 0
	[[ $id =~ ^[a-z]+[0-9]+$ ]] || return 1
	[[ $name =~ ^${tag}([0-9]+)[a-z]*$ ]] || return 1
	[ ! -d "/proc/${BASH_REMATCH[1]}" ]
}

# ns_stale_teardown ID: tear down the leftovers ns_stale finds: the
# namespaces (their chimney instances and processes with them, by
# ns_teardown), then pins whose namespace is gone already. Say what went.
ns_stale_teardown() {
	local id=$1 name
	for name in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		ns_stale "$name" "$id" || continue
		echo "# removing namespace $name, left by an earlier run"
		ns_teardown "$name"
	done
	for name in /sys/fs/bpf/chimney/*; do
		[ -e "$name" ] || continue
		name=${name##*/}
		ns_stale "$name" "$id" && [ ! -e "/run/netns/$name" ] || continue
		echo "# removing pins /sys/fs/bpf/chimney/$name, left by an earlier run"
		rm -rf "/sys/fs/bpf/chimney/$name"
	done
}
