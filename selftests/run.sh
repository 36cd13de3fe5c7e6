#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs the unit runner and every e2e test, and ends with the one line CI
# reads: "N passed, N failed[, N skipped]".
#
# Protocol: every runner prints one line per test, starting with
# "PASS <name>", "FAIL <name>" or "SKIP <name>: <reason>". Anything else
# is detail, shown as it comes.
#
#   selftests/run.sh            unit + docs + e2e
#   selftests/run.sh unit       unit (and unit-early-boot.sh) + docs
#   selftests/run.sh docs       the man page and the bash completion
#   selftests/run.sh e2e [PAT]  e2e tests whose file name matches PAT
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
pat=${2:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "selftests: must run as root (BPF, namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

run() {
	# Keep going after a failing runner; a crash counts as a failure.
	"$@" 2>&1 | tee -a "$log"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL $*: exited $rc without reporting a failed test" | tee -a "$log"
	fi
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
if [ "$what" = all ] || [ "$what" = e2e ]; then
	echo "== e2e =="
	for t in selftests/e2e/test_*.sh; do
		[ -n "$pat" ] && [[ "$t" != *"$pat"* ]] && continue
		run bash "$t"
	done
fi

passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^SKIP ' "$log")
echo "== $(( $(uptime_s) - start ))s =="
if [ "$failed" -gt 0 ]; then
	echo "failed tests:"
	grep '^FAIL ' "$log" | sed 's/^/  /'
fi
if [ "$skipped" -gt 0 ]; then
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
