# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shell helpers shared by the e2e tests (selftests/e2e/lib.sh) and the
# demo (deploy/demo.sh). Source with $CHIMNEY set.

# ns_teardown NS...: detach every chimney instance pinned for each
# namespace, kill what still runs in it, and delete it.
ns_teardown() {
	local ns dir
	for ns in "$@"; do
		for dir in /sys/fs/bpf/chimney/"$ns"/*; do
			[ -d "$dir" ] && "$CHIMNEY" -n "$ns" detach "$(basename "$dir")" >/dev/null 2>&1
		done
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
