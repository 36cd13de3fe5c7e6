#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# selftests/run.sh against runners that misbehave on purpose. Each case
# is a scratch tree of its own holding a copy of run.sh and a few fake
# runners as selftests/e2e/test_*.sh (run.sh runs them in name order); it
# runs `run.sh e2e` there and checks the closing "N passed, N failed[, N
# skipped]" line, the FAIL lines run.sh adds for a runner, and its exit
# status. The count CI reads is only worth what these cases hold.
#
#   RUN_SH=FILE bash selftests/meta/test_run_sh.sh   tests another run.sh
#                                                    (an older one, say)
set -u
cd "$(dirname "$0")/../.."
RUN_SH=${RUN_SH:-selftests/run.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# runner FILE: a fake runner's script, from stdin.
runner() {
	cat > "$tmp/case/selftests/e2e/$1"
}

# start NAME: a fresh scratch tree for case NAME.
start() {
	CASE=$1
	rm -rf "$tmp/case"
	mkdir -p "$tmp/case/selftests/e2e"
	cp "$RUN_SH" "$tmp/case/selftests/run.sh"
}

# expect LAST_LINE RC [LINE...]: run run.sh in the scratch tree; its
# last line must be LAST_LINE, its exit status RC (0, or 1 for "not 0"),
# and every LINE must be a whole line of its output. The output is
# shown indented (so its PASS/FAIL lines are not taken for ours).
expect() {
	local want=$1 want_rc=$2 got rc l why=
	shift 2
	bash "$tmp/case/selftests/run.sh" e2e > "$tmp/out" 2>&1
	rc=$?
	got=$(tail -n 1 "$tmp/out")
	[ "$got" = "$want" ] || why+="last line '$got', want '$want'; "
	if [ "$want_rc" = 0 ] && [ "$rc" -ne 0 ] || { [ "$want_rc" != 0 ] && [ "$rc" -eq 0 ]; }; then
		why+="exit status $rc, want $([ "$want_rc" = 0 ] && echo 0 || echo non-zero); "
	fi
	for l in "$@"; do
		grep -qxF -- "$l" "$tmp/out" || why+="no line '$l'; "
	done
	if [ -n "$why" ]; then
		echo "FAIL run_sh_$CASE: ${why%; }"
		sed 's/^/    | /' "$tmp/out"
	else
		echo "PASS run_sh_$CASE"
	fi
}

# An earlier runner's FAIL must not hide a later runner's crash.
start fail_then_crash
runner test_1.sh <<'R'
echo "PASS one_a"
echo "FAIL one_b: on purpose"
exit 1
R
runner test_2.sh <<'R'
echo "PASS two_a"
exit 3
R
expect "2 passed, 2 failed" 1 \
	"FAIL selftests/e2e/test_2.sh: exited 3 without reporting a failed test"

# A runner that reports nothing has tested nothing, even with exit 0.
start silent_exit_0
runner test_1.sh <<'R'
echo "PASS one_a"
R
runner test_2.sh <<'R'
echo "setting up..."
exit 0
R
expect "1 passed, 1 failed" 1 \
	"FAIL selftests/e2e/test_2.sh: exited 0 without reporting any test"

# A runner killed by a signal lost its remaining tests, whatever it
# reported before, and whatever an earlier runner reported.
start sigkill
runner test_1.sh <<'R'
echo "FAIL one_a: on purpose"
exit 1
R
runner test_2.sh <<'R'
echo "PASS two_a"
kill -KILL $$
echo "PASS two_b"
R
expect "1 passed, 2 failed" 1 \
	"FAIL selftests/e2e/test_2.sh: died of SIGKILL (exit status 137), its remaining tests lost"

start sigkill_after_own_fail
runner test_1.sh <<'R'
echo "FAIL one_a: on purpose"
kill -SEGV $$
R
expect "0 passed, 2 failed" 1 \
	"FAIL selftests/e2e/test_1.sh: died of SIGSEGV (exit status 139), its remaining tests lost"

# A runner that reports its failure and exits 1 is not counted twice.
start own_fail_once
runner test_1.sh <<'R'
echo "PASS one_a"
echo "FAIL one_b: on purpose"
exit 1
R
expect "1 passed, 1 failed" 1 "FAIL one_b: on purpose"

# Skips are counted apart and do not fail the run.
start skips
runner test_1.sh <<'R'
echo "SKIP one_a: no such feature here"
echo "PASS one_b"
R
expect "1 passed, 0 failed, 1 skipped" 0 "  SKIP one_a: no such feature here"

# Subtests are listed and counted through their parent; a skipped
# subtest of a test that ran still counts as a skip, the subtests of a
# skipped test do not add to it. "x/y" without an "x" is a test.
start subtests
runner test_1.sh <<'R'
echo "PASS t/a"
echo "FAIL t/b"
echo "FAIL t"
echo "PASS u/a"
echo "SKIP u/b: no b here"
echo "PASS u"
echo "SKIP v/a: no a here"
echo "SKIP v: all 1 subtests skipped"
echo "PASS w/a"
exit 1
R
expect "2 passed, 1 failed, 2 skipped" 1 "  FAIL t/b" "  FAIL t" "  SKIP u/b: no b here"

# All well: nothing added.
start all_pass
runner test_1.sh <<'R'
echo "PASS one_a"
R
runner test_2.sh <<'R'
echo "PASS two_a"
R
expect "2 passed, 0 failed" 0
exit 0
