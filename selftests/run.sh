#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs the unit runner and every e2e test, and ends with the one line CI
# reads: "N passed, N failed[, N skipped]".
#
# Protocol: every runner prints one line per test, starting with
# "PASS <name>", "FAIL <name>" or "SKIP <name>: <reason>". Anything else
# is detail, shown as it comes. A line for "<name>/<sub>" where the same
# runner also reports "<name>" is a subtest (build/unit_runner prints
# them): shown and listed, but counted through its parent, so one
# failing subtest is one failed test and adding subtests does not change
# the count. Only a skipped subtest of a test that was not skipped as a
# whole counts, as skipped: a skip must show in the closing line even
# when its test passed.
#
# Each runner is judged by its own output and its own exit status, never
# by what earlier runners printed. On top of the tests it reports, a
# runner counts as one more failed test, named after the runner, when it
#   - died of a signal (exit status 128+N): its remaining tests are lost,
#     whatever it reported before;
#   - exited non-zero without reporting a failed test of its own;
#   - reported no test at all, whatever its exit status.
#
#   selftests/run.sh            unit + docs + meta + e2e
#   selftests/run.sh unit       unit (and unit-early-boot.sh) + docs + meta
#   selftests/run.sh docs       the man page, the completion and the README
#   selftests/run.sh meta       the test infrastructure's own tests
#   selftests/run.sh e2e [PAT]  e2e tests whose file name matches PAT
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
pat=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log		# every runner's result lines, and ours
passed=0 failed=0 skipped=0

if [ "$(id -u)" != 0 ]; then
	echo "selftests: must run as root (BPF, namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# tally FILE: "PASSED FAILED SKIPPED OWN_FAILS" of one runner's output:
# its tests (subtests counted through their parent, but for skips), and
# how many FAIL lines it printed at all (a failing subtest is a failure
# it reported).
tally() {
	awk '
	/^(PASS|FAIL|SKIP) / {
		name = $2
		sub(/:$/, "", name)
		n++
		kind[n] = $1
		nm[n] = name
		kind_of[name] = $1
		if ($1 == "FAIL")
			own++
	}
	END {
		for (i = 1; i <= n; i++) {
			slash = index(nm[i], "/")
			parent = substr(nm[i], 1, slash - 1)
			if (slash > 1 && (parent in kind_of)) {
				# a subtest: its parent counts, but a
				# skip inside a test that ran shows
				if (kind[i] == "SKIP" && kind_of[parent] != "SKIP")
					c["SKIP"]++
				continue
			}
			c[kind[i]]++
		}
		printf "%d %d %d %d\n", c["PASS"], c["FAIL"], c["SKIP"], own
	}' "$1"
}

# run CMD...: runs one runner, shows its output as it comes, and judges
# it by that output and its exit status alone.
run() {
	local name=$1 out=$tmp/out rc p f s own sig
	[ "$1" = bash ] && name=$2
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	grep -E '^(PASS|FAIL|SKIP) ' "$out" >>"$log"
	read -r p f s own < <(tally "$out")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$rc" -gt 128 ] && sig=$(kill -l $((rc - 128)) 2>/dev/null); then
		judged "$name: died of SIG$sig (exit status $rc), its remaining tests lost"
	elif [ "$rc" -ne 0 ] && [ "$own" -eq 0 ]; then
		judged "$name: exited $rc without reporting a failed test"
	elif [ $((p + f + s)) -eq 0 ]; then
		judged "$name: exited $rc without reporting any test"
	fi
}

# judged REASON: the runner itself failed, beyond the tests it reported.
judged() {
	echo "FAIL $1" | tee -a "$log"
	failed=$((failed + 1))
}

# Seconds since boot: the wall clock may be stepped meanwhile (an NTP
# client setting a freshly booted machine's time).
uptime_s() { local s _; read -r s _ </proc/uptime; echo "${s%.*}"; }
start=$(uptime_s)
if [ "$what" = all ] || [ "$what" = unit ]; then
	echo "== unit =="
	run "$BUILD/unit_runner"
	# The tests whose clocks are all user space, again as if the
	# machine had booted 20 s ago: a machine up for minutes, as CI's
	# usually is, would never show a clock that wraps near boot.
	echo "== unit, monotonic clock at 20 s =="
	run bash selftests/unit-early-boot.sh
fi
if [ "$what" = all ] || [ "$what" = unit ] || [ "$what" = docs ]; then
	echo "== docs =="
	for t in selftests/docs/test_*.sh; do
		run bash "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = unit ] || [ "$what" = meta ]; then
	echo "== meta =="
	for t in selftests/meta/test_*.sh; do
		[ -e "$t" ] && run bash "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = e2e ]; then
	echo "== e2e =="
	for t in selftests/e2e/test_*.sh; do
		[ -n "$pat" ] && [[ "$t" != *"$pat"* ]] && continue
		run bash "$t"
	done
fi

echo "== $(( $(uptime_s) - start ))s =="
if grep -q '^FAIL ' "$log"; then
	echo "failed tests:"
	grep '^FAIL ' "$log" | sed 's/^/  /'
fi
if grep -q '^SKIP ' "$log"; then
	echo "skipped tests:"
	grep '^SKIP ' "$log" | sed 's/^/  /'
fi
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran" >&2
	failed=1
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
