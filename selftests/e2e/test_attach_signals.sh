#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A signal at any step of attach leaves either the whole instance or
# nothing of chimney: no XDP program, no chimney TC filter, no clsact it
# made, no pins (nor its staging directory). And a plain attach after it
# succeeds, and detach then leaves nothing.
#
# One attach is traced first (strace -e trace=...) to number its system
# calls; then attach runs again under strace with a signal injected at
# the N-th call of one kind (-e inject=SYSCALL:signal=SIG:when=N), for
# the calls of its guarded section, from the signals being blocked to
# their unblocking. strace injects the signal as the call is entered, so
# SIGKILL at N ends the process before call N runs: "at N" is the state
# after call N-1 (rtnetlink does a request within the sendto that sends
# it, so the state after a request is the one at the next call). The
# default cases are every call there that changes what outlives the
# process (the staging directory, a pin, a write of the meta record, a
# netlink request that is no dump, the publishing rename, the word to
# the guard process), the first and the last of the fourteen pins
# standing for all, and the section's edges; E2E_SIGNALS_FULL=1 takes
# every call of the section instead (some 60, four minutes). SIGINT and
# SIGTERM are tried at the section's edges, its first request and the
# rename: inside it they wait, so the attach completes and then ends;
# and where attach takes the config lock, before it, where they end it.
#
# strace runs without -f: the guard process attach forks must not be
# traced, or the injection would count and hit its calls as well.
#
# The cases run in two lanes at once, each on a namespace pair of its
# own (each attach spends some 2 s in the verifier, on one CPU).
#
# Expected: SIGKILL before the rename that publishes the pins -> nothing
# (the guard process takes the staging down); at or after it -> whole.
# SIGINT/SIGTERM inside the section -> whole; before it -> nothing.
E2E_ID=${E2E_ID:-lcs$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 30 "$CHIMNEY" "$@"; }
TRACE=$(mktemp)
MATRIX=$(mktemp)
signals_cleanup() {
	rm -f "$TRACE" "$MATRIX"
	e2e_cleanup
}
trap signals_cleanup EXIT

if ! command -v strace >/dev/null; then
	skip attach_signals "strace is not installed"
	exit 0
fi
pair_or_fail signals 43
# lane LANE: the namespace and interface a lane's cases run on
lane() {
	case $1 in
	1) NS=$NS_B ;;
	2) NS=${E2E_ID}d ;;
	esac
	IF=$IF_B
	STAGE=/sys/fs/bpf/chimney/$NS/attach:$IF
	PINS=/sys/fs/bpf/chimney/$NS/$IF
}
if ! { ns_add "${E2E_ID}c" && ns_add "${E2E_ID}d" &&
       veth_pair "${E2E_ID}c" "$IF_A" "${E2E_ID}d" "$IF_B" 46; } >"$E2E_OUT" 2>&1; then
	fail signals_setup "cannot build the second namespace pair"
	exit 1
fi
lane 1

# nothing_left: no_trace (lib.sh), and no chimney filter on egress and
# no staging directory either.
nothing_left() {
	no_trace "$NS" "$IF" || return 1
	if tc -n "$NS" filter show dev "$IF" egress 2>/dev/null | grep -q chimney_tc; then
		echo "chimney's TC filter left: $(tc -n "$NS" filter show dev "$IF" egress)"
		return 1
	fi
	if [ -e "$STAGE" ]; then
		echo "staging directory left: $(ls -la "$STAGE")"
		return 1
	fi
}

# whole: status says attached, and its XDP and TC programs are the ones
# on the interface, and the pins are there (and no staging directory).
whole() {
	local st xid tid
	st=$(ch -n "$NS" status "$IF" --json 2>/dev/null)
	xid=$(jq -r '.[0].xdp_prog_id // empty' <<<"$st")
	tid=$(jq -r '.[0].tc_prog_id // empty' <<<"$st")
	[ "$(jq -r '.[0].state // empty' <<<"$st")" = attached ] &&
		[ -n "$xid" ] && [ -n "$tid" ] &&
		ip -n "$NS" link show dev "$IF" | grep -q "prog/xdp id $xid " &&
		tc -n "$NS" filter show dev "$IF" egress | grep -q "chimney_tc.* id $tid " &&
		[ -e "$PINS/counters" ] && [ -e "$PINS/cpumap_prog" ] && [ ! -e "$STAGE" ]
}

# outcome: whole or nothing, once the guard process is done (it runs
# when the attach it guards died; give it up to 5 s); else "half".
outcome() {
	local i
	for i in $(seq 50); do
		if whole; then
			echo whole
			return
		fi
		if nothing_left >/dev/null 2>&1; then
			echo nothing
			return
		fi
		sleep 0.1
	done
	echo half
}

# --- the calls of one attach, numbered per system call ----------------
SYSCALLS=rt_sigprocmask,clone,pipe2,mkdir,bpf,sendto,recvmsg,recvfrom,renameat2,write,flock
ch -n "$NS" detach "$IF" >/dev/null 2>&1
if ! strace -o "$TRACE" -e trace="$SYSCALLS" "$CHIMNEY" -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1 ||
   ! ch -n "$NS" detach "$IF" >>"$E2E_OUT" 2>&1 || ! nothing_left >>"$E2E_OUT"; then
	fail signals_trace "a traced attach and its detach failed"
	exit 1
fi

# CASES: "SYSCALL N WHAT" lines, for every call of the guarded section
# (from the rt_sigprocmask that blocks the signals to the one that
# restores them) that DEFAULT or FULL picks; POS is its place in the
# section: b (before the publishing rename), a (at or after it).
cases() {
	awk -v full="${E2E_SIGNALS_FULL:-0}" '
	{
		name = $0; sub(/\(.*/, "", name)
		if (name !~ /^[a-z_0-9]+$/) next
		n[name]++
		if (!in_sec && name == "rt_sigprocmask" && $0 ~ /SIG_BLOCK/) {
			in_sec = 1; pos = "b"
		}
		if (!in_sec) next
		what = name
		keep = full
		if (name == "rt_sigprocmask" || name == "clone" ||
		    name == "renameat2" || name == "write")
			keep = 1
		# a netlink request that changes something: not a dump
		if (name == "sendto" && $0 !~ /NLM_F_DUMP|0x300/) keep = 1
		if (name == "mkdir" && $0 ~ /attach:/) { keep = 1; what = "mkdir staging" }
		if (name == "bpf" && $0 ~ /BPF_OBJ_PIN/) {
			pins++
			p = $0; sub(/.*pathname="[^"]*\//, "", p); sub(/".*/, "", p)
			what = "pin " p
			if (pins == 1 || p == "cpumap_prog") keep = 1
		}
		if (name == "bpf" && $0 ~ /BPF_MAP_UPDATE_ELEM/) {
			keep = 1; what = "write meta"
		}
		if (name == "sendto") what = "netlink request " (++req)
		if (name == "renameat2") what = "publish (rename)"
		if (name == "write" && !wrote++) what = "tell the guard"
		if (name == "rt_sigprocmask") what = ($0 ~ /SIG_BLOCK/) ? "block signals" : "unblock signals"
		if (keep) print name, n[name], pos, what
		# killed at the rename, the pins were not published yet
		if (name == "renameat2") pos = "a"
		if (name == "rt_sigprocmask" && $0 ~ /SIG_SETMASK/) exit
	}' "$TRACE"
}
mapfile -t CASES < <(cases)
if [ "${#CASES[@]}" -lt 10 ]; then
	{ echo "cases: ${CASES[*]}"; cat "$TRACE"; } >"$E2E_OUT"
	fail signals_cases "found ${#CASES[@]} calls in the guarded section; the trace has no section"
	exit 1
fi
# The calls SIGINT and SIGTERM are tried at: the section's edges, its
# netlink requests and the rename; and a call before it (flock, where
# attach takes the config lock), where they end the attach at once.
FLOCK_N=$(awk '/^flock\(/ { print ++n; exit }' "$TRACE")

# run_case SIG SYSCALL N POS WHAT: inject, judge, attach again, detach.
run_case() {
	local sig=$1 sc=$2 n=$3 pos=$4 what=$5 name rc got want
	name="signal_${sig}_${sc}_${n}"
	# in a subshell of its own, which says "Killed" into E2E_OUT
	(strace -o /dev/null -e inject="$sc:signal=$sig:when=$n" \
		"$CHIMNEY" -n "$NS" attach "$IF"; exit $?) >"$E2E_OUT" 2>&1
	rc=$?
	got=$(outcome)
	case $sig$pos in
	KILLb|INTx|TERMx) want=nothing ;;
	*) want=whole ;;
	esac
	printf '%-5s %-15s %3s  %-28s exit %3s  %s\n' "$sig" "$sc" "$n" "$what" "$rc" "$got" >>"$MATRIX"
	{
		echo "attach exit $rc under inject=$sc:signal=$sig:when=$n ($what): $got, want $want"
		ip -n "$NS" link show dev "$IF"
		tc -n "$NS" qdisc show dev "$IF"
		tc -n "$NS" filter show dev "$IF" egress
		ls -la "/sys/fs/bpf/chimney/$NS" 2>&1
		nothing_left
	} >>"$E2E_OUT" 2>&1
	if [ "$got" != "$want" ]; then
		fail "$name" "$what: $got, want $want"
	elif ! ch -n "$NS" attach "$IF" >"$E2E_OUT" 2>&1 || ! whole; then
		fail "$name" "$what: the plain attach after it failed or left no whole instance"
	elif ! ch -n "$NS" detach "$IF" >"$E2E_OUT" 2>&1 || ! nothing_left >>"$E2E_OUT" 2>&1; then
		fail "$name" "$what: detach after the attach left something"
	else
		pass "$name"
		return 0
	fi
	# the next case starts clean even so
	ch -n "$NS" detach "$IF" >/dev/null 2>&1
	ip -n "$NS" link set dev "$IF" xdp off 2>/dev/null
	tc -n "$NS" qdisc del dev "$IF" clsact 2>/dev/null
	rm -rf "$STAGE" "$PINS"
	return 1
}

# ALL: "SIG SYSCALL N POS WHAT" lines, every case of the run.
ALL=()
for c in "${CASES[@]}"; do
	ALL+=("KILL $c")
done
for sig in INT TERM; do
	[ -n "$FLOCK_N" ] && ALL+=("$sig flock $FLOCK_N x take the config lock")
	for c in "${CASES[@]}"; do
		read -r sc n pos what <<<"$c"
		case $what in
		"block signals"|"netlink request 1"|"publish (rename)"|"unblock signals")
			ALL+=("$sig $c") ;;
		esac
	done
done

# Each lane takes every other case; its report lines, its matrix.
for l in 1 2; do
	(
		lane "$l"
		E2E_OUT=$E2E_OUT.$l
		MATRIX=$MATRIX.$l
		: >"$MATRIX"
		for ((k = l - 1; k < ${#ALL[@]}; k += 2)); do
			read -r sig sc n pos what <<<"${ALL[k]}"
			run_case "$sig" "$sc" "$n" "$pos" "$what"
		done
		rm -f "$E2E_OUT"
	) >"$MATRIX.out$l" 2>&1 &
done
wait
cat "$MATRIX.out1" "$MATRIX.out2"
echo "# signal syscall        N  step                         attach    outcome"
cat "$MATRIX.1" "$MATRIX.2" | sed 's/^/# /'
rm -f "$MATRIX".*
