#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The unit tests whose clock readings are all taken in user space, run as
# if the machine had booted 20 seconds ago: in a time namespace whose
# CLOCK_MONOTONIC (and CLOCK_BOOTTIME, which /proc/uptime shows) are set
# back to about 20 s. A test that builds "N seconds ago" by a plain
# subtraction from the monotonic clock wraps there, the way it would on a
# CI machine that has just booted.
#
# Only user-space clocks are moved: a BPF program's bpf_ktime_get_*()
# still reads the machine's own clock, so a test that compares a BPF-side
# timestamp with a user-space one cannot run here (its two clocks would
# be minutes apart). Such tests are left out below, and say why.
#
#   selftests/unit-early-boot.sh      prints the runner's PASS/FAIL lines
#                                     and "N passed, N failed"
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNNER=$BUILD/unit_runner
UPTIME=${UPTIME:-20}	# seconds the clocks read in the namespace

# The tests, each with why its clocks are all user space.
TESTS=(
	# last_seen of every flow written from user space (mono_ago_ns),
	# swept from user space; no packet runs after the write
	flow_sweep_full_table
	# every flow's last_seen written from user space after the packets
	# that created them, then swept from user space only
	flow_sweep_by_state
)
# Not here: flow_affinity_* (the XDP program compares its coarse ktime
# with a last_seen written from user space), flow_lru_evictions (BPF
# writes last_seen, user space sweeps), and every test that reads no
# clock at all.

if [ "$(id -u)" != 0 ]; then
	echo "unit-early-boot: must run as root (time namespace, BPF)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -e /proc/self/ns/time ]; then
	echo "SKIP unit_early_boot: this kernel has no time namespaces"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

# secs_of CLOCK: whole seconds the clock reads now. CLOCK_MONOTONIC from
# /proc/timer_list ("now at NS nsecs"), CLOCK_BOOTTIME from /proc/uptime:
# they differ by the time the machine spent suspended.
secs_of() {
	case $1 in
	monotonic) awk '/^now at/ { print int($3 / 1e9); exit }' /proc/timer_list ;;
	boottime) awk '{ print int($1) }' /proc/uptime ;;
	esac
}
mono=$(secs_of monotonic)
boot=$(secs_of boottime)
[ -n "$mono" ] || mono=$boot
# Already within UPTIME of boot: nothing to set back.
off_mono=$(( mono > UPTIME ? mono - UPTIME : 0 ))
off_boot=$(( boot > UPTIME ? boot - UPTIME : 0 ))

log=$(mktemp)
trap 'rm -f "$log" "$log.out"' EXIT
failed=0

# A listed name that matches no test is a failure: a rename must not
# quietly drop a test from this list.
known=$("$RUNNER" -l 2>/dev/null)
for t in "${TESTS[@]}"; do
	if ! grep -qx -- "$t" <<<"$known"; then
		echo "FAIL $t: no such unit test (renamed? update $0)" | tee -a "$log"
	fi
done

inner=$(unshare -T --fork --monotonic=-"$off_mono" --boottime=-"$off_boot" \
	awk '{ print int($1) }' /proc/uptime 2>&1)
echo "# machine up ${mono}s (monotonic), ${boot}s (boottime); in the namespace" \
     "both set back to about ${UPTIME}s (/proc/uptime there: ${inner}s)"
if ! [ "$inner" -le $(( UPTIME + 10 )) ] 2>/dev/null; then
	echo "FAIL unit_early_boot: the time namespace did not take: $inner" | tee -a "$log"
else
	unshare -T --fork --monotonic=-"$off_mono" --boottime=-"$off_boot" \
		"$RUNNER" "${TESTS[@]}" >"$log.out" 2>&1
	rc=$?
	# the runner's own lines, without its summary (the last line is ours)
	grep -v '^Summary: ' "$log.out" | tee -a "$log"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL unit_early_boot: unit_runner exited $rc without reporting a failed test" |
			tee -a "$log"
	fi
	rm -f "$log.out"
fi

passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
