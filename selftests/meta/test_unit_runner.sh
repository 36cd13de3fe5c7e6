#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# build/unit_runner's subtests and skips, on tests that fail and skip on
# purpose (selftests/unit/test_runner_self.c, registered only with
# UNIT_RUNNER_SELFTEST set): every result line it prints for them, its
# summary and its exit status, with and without a subtest filter.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNNER=$BUILD/unit_runner
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME WANT_RC ARGS...: the runner's result and summary lines for
# ARGS must be exactly stdin, and its exit status WANT_RC.
check() {
	local name=$1 want_rc=$2 rc
	shift 2
	cat > "$tmp/want"
	UNIT_RUNNER_SELFTEST=1 "$RUNNER" "$@" > "$tmp/out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP|Summary:) ' "$tmp/out" > "$tmp/got"
	if ! diff -u "$tmp/want" "$tmp/got" > "$tmp/diff" || [ "$rc" != "$want_rc" ]; then
		echo "FAIL $name: exit status $rc (want $want_rc), result lines differ:"
		sed 's/^/    | /' "$tmp/diff"
		return
	fi
	echo "PASS $name"
}

check unit_runner_subtests_and_skips 1 runner_selftest <<'W'
PASS runner_selftest_subtests/a
FAIL runner_selftest_subtests/b
SKIP runner_selftest_subtests/c: c needs what this machine lacks
PASS runner_selftest_subtests/d
FAIL runner_selftest_subtests
PASS runner_selftest_all_pass/a
PASS runner_selftest_all_pass/b
PASS runner_selftest_all_pass
SKIP runner_selftest_all_skipped/a: no a
SKIP runner_selftest_all_skipped/b: no b
SKIP runner_selftest_all_skipped: all 2 subtests skipped
SKIP runner_selftest_skip: feature X absent
FAIL runner_selftest_skip_then_fail
PASS runner_selftest_fail_outside/a
FAIL runner_selftest_fail_outside
FAIL runner_selftest_bad_name
Summary: 1 passed, 4 failed, 2 skipped (subtests: 5 passed, 1 failed, 3 skipped)
W

# TEST/SUB runs only the subtests of TEST whose name has SUB.
check unit_runner_subtest_filter 0 runner_selftest_subtests/d <<'W'
PASS runner_selftest_subtests/d
PASS runner_selftest_subtests
Summary: 1 passed, 0 failed, 0 skipped (subtests: 1 passed, 0 failed, 0 skipped)
W

# The failing subtest's log is beneath its own line.
UNIT_RUNNER_SELFTEST=1 "$RUNNER" runner_selftest_subtests > "$tmp/out" 2>&1
if grep -A1 -x 'FAIL runner_selftest_subtests/b' "$tmp/out" | grep -q 'b fails on purpose'; then
	echo "PASS unit_runner_subtest_log"
else
	echo "FAIL unit_runner_subtest_log: the failure is not beneath FAIL runner_selftest_subtests/b"
	sed 's/^/    | /' "$tmp/out"
fi

# Without the variable, an ordinary run has none of them.
if "$RUNNER" -l | grep -q '^runner_selftest'; then
	echo "FAIL unit_runner_selftests_hidden: listed without UNIT_RUNNER_SELFTEST"
else
	echo "PASS unit_runner_selftests_hidden"
fi
exit 0
