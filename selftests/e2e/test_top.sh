#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# chimney top, as an operator sees it: under tmux (send-keys to type,
# capture-pane to read the screen) and as --once frames. Known traffic:
# chimney on veth1 with cpus=1, so that every IP packet is steered to
# CPU 1, and build/csum_inject sending an exact number of UDP frames
# (some with a wrong checksum) from veth0 between two refreshes; the
# screen must then show CPU 1 taking 100% with steered/s = count /
# interval, CPU 0 none, and the bad checksums by reason (--once --json
# the same numbers). Then a resize
# redraws whole lines only, a terminal below the minimum says it is too
# small, and q quits. Errors: no instance, an IFACE without one.
#
# Topology: ${E2E_ID}a (injector) -- veth0 | veth1 -- ${E2E_ID}b
# (chimney cpus=1 flow=on flow.size=1024).
E2E_ID=${E2E_ID:-top$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INJ=$ROOT/build/csum_inject
SOCK=$E2E_ID		# our own tmux server: -L SOCK
GOOD=2400		# good UDP frames per run
BAD=300			# and with a wrong UDP checksum
DELAY=3			# seconds between refreshes

ch() { timeout 30 "$CHIMNEY" "$@"; }
tm() { tmux -L "$SOCK" "$@"; }

top_cleanup() {
	tm kill-server 2>/dev/null
	e2e_cleanup
}
trap top_cleanup EXIT

TESTS="top_once_no_instance top_once_missing_iface top_once_known_traffic
	top_once_json top_tmux_cpu1_bar top_tmux_resize top_tmux_too_small top_tmux_q_quits"
if ! command -v tmux >/dev/null || [ ! -x "$INJ" ]; then
	for t in $TESTS; do skip "$t" "needs tmux and $INJ (make deps, make)"; done
	exit 0
fi
if [ "$(nproc)" -lt 2 ]; then
	for t in $TESTS; do skip "$t" "needs 2 CPUs, this machine has $(nproc)"; done
	exit 0
fi

pair_or_fail top 43
MAC_B=$(ip -n "$NS_B" -j link show dev "$IF_B" | jq -r '.[0].address')

# inject: GOOD good and BAD bad UDP frames from A's veth0 to B's veth1
inject() {
	ip netns exec "$NS_A" timeout 30 "$INJ" -i "$IF_A" --dst-mac "$MAC_B" \
		--src "$A4" --dst "$B4" --proto udp --count "$GOOD" --tag good &&
	ip netns exec "$NS_A" timeout 30 "$INJ" -i "$IF_A" --dst-mac "$MAC_B" \
		--src "$A4" --dst "$B4" --proto udp --corrupt l4 --count "$BAD" --tag bad
}

# cpu_col FRAME CPU N: the Nth field after the bar of CPU's line
# (1 share, 2 rx/s, 3 steered/s, 4 lost/s, 5 softirq).
cpu_col() {
	awk -v c="$2" -v n="$3" '
		$1 == c && $2 ~ /^\[/ { sub(/.*\]/, ""); split($0, f, " "); print f[n]; exit }' <<<"$1"
}

# inst_col FRAME IFACE N: the Nth number of IFACE's instance row
inst_col() {
	awk -v i="$2" -v n="$3" '
		/^INSTANCE/ { on = 1; next } on && $1 == i { print $(n + 1); exit }' <<<"$1"
}

# interval FRAME: the seconds the title says the rates are over
interval() { sed -n '1s/.*CPUs, \([0-9.]*\)s.*/\1/p' <<<"$1"; }

# near GOT WANT: GOT within 3% (and 3 packets) of WANT
near() {
	awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d;
		exit !(g != "" && d <= w * 0.03 + 3) }'
}

# expect_known FRAME: the checks of a frame whose interval held the
# injected frames and nothing else steered: prints what failed.
expect_known() {
	local f=$1 dt want bad bar
	dt=$(interval "$f")
	want=$(awk -v n=$((GOOD + BAD)) -v t="$dt" 'BEGIN { printf "%.1f", n / t }')
	bad=$(awk -v n="$BAD" -v t="$dt" 'BEGIN { printf "%.1f", n / t }')
	[ -n "$dt" ] || echo "no interval in the title"
	[ "$(cpu_col "$f" 1 1)" = "100%" ] || echo "CPU 1 share: $(cpu_col "$f" 1 1), want 100%"
	[ "$(cpu_col "$f" 0 1)" = "0%" ] || echo "CPU 0 share: $(cpu_col "$f" 0 1), want 0%"
	near "$(cpu_col "$f" 1 3)" "$want" || echo "CPU 1 steered/s: $(cpu_col "$f" 1 3), want $want"
	[ "$(cpu_col "$f" 0 3)" = 0 ] || echo "CPU 0 steered/s: $(cpu_col "$f" 0 3), want 0"
	[ "$(cpu_col "$f" 1 4)" = 0 ] || echo "CPU 1 lost/s: $(cpu_col "$f" 1 4), want 0"
	near "$(inst_col "$f" "$IF_B" 1)" "$want" || echo "rx/s: $(inst_col "$f" "$IF_B" 1), want $want"
	near "$(inst_col "$f" "$IF_B" 2)" "$bad" || echo "badsum/s: $(inst_col "$f" "$IF_B" 2), want $bad"
	grep -Eq "  udp $(awk -v b="$bad" 'BEGIN { printf "%.0f", b }')( |$)" <<<"$f" ||
		near "$(grep -o '  udp [0-9.]*' <<<"$f" | awk '{ print $2 }')" "$bad" ||
		echo "bad csum/s udp: want $bad"
	grep -Eq "^$IF_B +[0-9]+/1024 " <<<"$f" || echo "no flow table row of $IF_B with size 1024"
	# the bar of CPU 1 is full, that of CPU 0 empty
	bar=$(grep -E '^  1 \[' <<<"$f" | sed 's/^  1 \[\(.*\)\].*/\1/')
	[ -n "$bar" ] && [ -z "${bar//|/}" ] || echo "CPU 1 bar not full: [$bar]"
	bar=$(grep -E '^  0 \[' <<<"$f" | sed 's/^  0 \[\(.*\)\].*/\1/')
	[ -n "$bar" ] && [ -z "${bar// /}" ] || echo "CPU 0 bar not empty: [$bar]"
}

# one_line_error TEST PATTERN CMD...: PASS when CMD exits 1 with one
# line of output, matching PATTERN
one_line_error() {
	local t=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" >"$E2E_OUT"
	if [ $rc -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "$pat" <<<"$out"; then
		pass "$t"
	else
		fail "$t" "want exit 1 and one line matching '$pat'; got exit $rc"
	fi
}

# --- errors ------------------------------------------------------------
one_line_error top_once_no_instance "not attached" ch -n "$NS_A" top --once

if ! ch -n "$NS_B" attach "$IF_B" cpus=1 flow=on flow.size=1024 >"$E2E_OUT" 2>&1; then
	for t in $TESTS; do
		[ "$t" = top_once_no_instance ] || fail "$t" "attach failed"
	done
	exit 1
fi
one_line_error top_once_missing_iface "nosuch0" ch -n "$NS_B" top --once "$IF_B" nosuch0

# --- --once over known traffic -------------------------------------------
ch -n "$NS_B" top --once -d "$DELAY" "$IF_B" >"$E2E_OUT.frame" 2>&1 &
pid=$!
sleep 0.7
inject >>"$E2E_OUT" 2>&1
wait $pid
frame=$(cat "$E2E_OUT.frame")
{ echo "$frame"; expect_known "$frame"; } >"$E2E_OUT"
long=$(awk 'length($0) > 80' <<<"$frame")
if [ -z "$(expect_known "$frame")" ] && [ -z "$long" ]; then
	pass top_once_known_traffic
else
	fail top_once_known_traffic "$((GOOD + BAD)) frames steered to CPU 1 in one interval"
fi

# The same numbers as JSON, and --json without --once refused.
ch -n "$NS_B" top --once --json -d "$DELAY" "$IF_B" >"$E2E_OUT.frame" 2>&1 &
pid=$!
sleep 0.7
inject >>"$E2E_OUT" 2>&1
wait $pid
cp "$E2E_OUT.frame" "$E2E_OUT"
if jq -e --argjson n $((GOOD + BAD)) --argjson b "$BAD" '
	def near(x; w): (x - w | fabs) <= w * 0.03 + 3;
	(.interval) as $t |
	.cpus[1].share > 0.99 and .cpus[0].share < 0.01 and
	near(.cpus[1].steer_received; $n / $t) and .cpus[0].steer_received == 0 and
	.cpus[1].queue_lost == 0 and
	near(.instances[0].rates.rx_packets; $n / $t) and
	near(.instances[0].rates.csum_bad_udp; $b / $t) and
	.instances[0].flows.size == 1024' "$E2E_OUT.frame" >>"$E2E_OUT" 2>&1 &&
   ! ch -n "$NS_B" top --json "$IF_B" >>"$E2E_OUT" 2>&1; then
	pass top_once_json
else
	fail top_once_json "--once --json: the numbers of the frame; --json alone refused"
fi

# --- under tmux -----------------------------------------------------------
# screen: the pane as it is now
screen() { tm capture-pane -p -t top 2>/dev/null; }
# wait_refresh: until the clock in the title changes (a new read)
wait_refresh() {
	local c0 c i
	c0=$(screen | sed -n '1s/.* \([0-9:]\{8\}\).*/\1/p')
	for i in $(seq $(( DELAY * 10 + 30 ))); do
		sleep 0.1
		c=$(screen | sed -n '1s/.* \([0-9:]\{8\}\).*/\1/p')
		[ -n "$c" ] && [ "$c" != "$c0" ] && return 0
	done
	return 1
}
# whole_lines W H: every line of the screen is one top draws, whole, in
# W columns and H lines: prints the lines that are not
whole_lines() {
	screen | awk -v w="$1" -v h="$2" '
	length($0) > w { print "too long: " $0; next }
	NR > h { print "past the height: " $0; next }
	NR == 1 { if ($0 !~ /^chimney top/) print "title: " $0; next }
	/^$/ || /^CPU  / || /^  [0-9] \[[| ]*\] +[0-9]+% / || /^INSTANCE / ||
	/^veth1 / || /expired\/s by reason/ || /^FLOWS / ||
	/^bad csum\/s:/ || /^ +(  [a-z0-9_]+ [0-9.]+[kMG]?)+$/ ||
	/^  \(\+[0-9]+ more / { next }
	{ print "garbage: " $0 }'
}

tm new-session -d -s top -x 80 -y 24 \
	"timeout 300 $CHIMNEY -n $NS_B top -d $DELAY $IF_B" 2>"$E2E_OUT"
sleep 1
if ! wait_refresh; then
	screen >>"$E2E_OUT"
	for t in top_tmux_cpu1_bar top_tmux_resize top_tmux_too_small top_tmux_q_quits; do
		fail "$t" "chimney top did not come up under tmux"
	done
	exit 1
fi
inject >"$E2E_OUT" 2>&1
wait_refresh
frame=$(screen)
{ echo "$frame"; expect_known "$frame"; whole_lines 80 24; } >>"$E2E_OUT"
if [ -z "$(expect_known "$frame")" ] && [ -z "$(whole_lines 80 24)" ] &&
   [ "$(grep -c . <<<"$frame")" -le 24 ]; then
	pass top_tmux_cpu1_bar
else
	fail top_tmux_cpu1_bar "the screen after $((GOOD + BAD)) frames steered to CPU 1"
fi

# A resize redraws at once, whole lines only: wider, then too short for
# the last sections (which the title names), then back.
ok=1
: >"$E2E_OUT"
for size in 100x30 64x11 80x24; do
	w=${size%x*} h=${size#*x}
	tm resize-window -t top -x "$w" -y "$h"
	sleep 0.5
	{ echo "--- $size"; screen; } >>"$E2E_OUT"
	bad=$(whole_lines "$w" "$h")
	[ -z "$bad" ] || { echo "$bad" >>"$E2E_OUT"; ok=0; }
	case $size in
	64x11)
		screen | sed -n 1p | grep -q "too short for .*checksums" ||
			{ echo "title does not name what is hidden" >>"$E2E_OUT"; ok=0; } ;;
	*)
		for h in '^CPU  ' '^INSTANCE ' '^FLOWS ' '^bad csum/s:'; do
			[ "$(screen | grep -c "$h")" = 1 ] ||
				{ echo "$size: '$h' not once" >>"$E2E_OUT"; ok=0; }
		done ;;
	esac
	[ "$(screen | grep -cE '^  1 \[')" = 1 ] || { echo "$size: CPU 1 not once" >>"$E2E_OUT"; ok=0; }
done
if [ "$ok" = 1 ]; then
	pass top_tmux_resize
else
	fail top_tmux_resize "redraw after tmux resize-window"
fi

tm resize-window -t top -x 40 -y 4
sleep 0.5
frame=$(screen)
echo "$frame" >"$E2E_OUT"
if grep -q '^terminal too small: 40x4, needs 60x5$' <<<"$frame" &&
   [ "$(grep -c . <<<"$frame")" = 1 ]; then
	tm resize-window -t top -x 80 -y 24
	sleep 0.5
	if [ "$(screen | grep -c '^CPU  ')" = 1 ]; then
		pass top_tmux_too_small
	else
		screen >>"$E2E_OUT"
		fail top_tmux_too_small "no frame after growing back to 80x24"
	fi
else
	fail top_tmux_too_small "want the one line 'terminal too small' at 40x4"
fi

# q ends chimney top: its process goes, and with it the pane and the
# session
top_pid=$(pgrep -f "^timeout 300 $CHIMNEY -n $NS_B top " | head -1)
top_pid=$(pgrep -P "$top_pid" 2>/dev/null | head -1)
screen >"$E2E_OUT"
tm send-keys -t top q
gone=0
for i in $(seq 30); do
	sleep 0.1
	if ! tm has-session -t top 2>/dev/null &&
	   { [ -z "$top_pid" ] || ! kill -0 "$top_pid" 2>/dev/null; }; then
		gone=1
		break
	fi
done
if [ "$gone" = 1 ] && [ -n "$top_pid" ]; then
	pass top_tmux_q_quits
else
	{
		echo "chimney top pid: ${top_pid:-not found}"
		ps -o pid,stat,args -p "${top_pid:-1}"
		tm has-session -t top && echo "the session is still there"
	} >>"$E2E_OUT" 2>&1
	fail top_tmux_q_quits "still running 3 s after q"
fi
rm -f "$E2E_OUT.frame"
exit 0
