#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `chimney run --config`: never stuck, never silently wrong.
#   - the file is the whole truth: a key it no longer names goes back to
#     its default on an attached interface; the prefix rules `chimney
#     mss` added stay in force;
#   - all or nothing across interfaces: when the third of three fails
#     to attach, the first gets its old config back and the second,
#     attached by this run, is detached;
#   - --check finds what would fail later, with FILE:LINE: a missing
#     interface or namespace, a device without Ethernet, a busy metrics
#     port (which also stops the daemon before it attaches anything);
#   - SIGHUP reloads the file, all or nothing: a good file is applied
#     (an interface it no longer names is detached, a new one attached),
#     a bad one or one that fails to apply changes nothing and the
#     daemon keeps running.
#
# Topology: one namespace ${E2E_ID}n with veth pairs v0/p0, v1/p1, v2/p2,
# a tun device (no Ethernet) and lo (no native XDP).
E2E_ID=${E2E_ID:-lcrc$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

CONF=$(mktemp --suffix=.conf)
trap 'rm -f "$CONF"; flows_cleanup' EXIT

for t in jq curl bpftool; do
	if ! command -v $t >/dev/null; then
		skip run_config "$t is needed"
		exit 0
	fi
done
NS=${E2E_ID}n
setup() {
	local i
	ns_add "$NS" || return 1
	for i in 0 1 2; do
		ip -n "$NS" link add "v$i" type veth peer name "p$i" &&
			ip -n "$NS" link set "v$i" up &&
			ip -n "$NS" link set "p$i" up || return 1
	done
	ip -n "$NS" tuntap add dev tun0 mode tun
}
if ! setup >"$E2E_OUT" 2>&1; then
	fail run_config_setup "cannot build the namespace"
	exit 1
fi

# cfg IFACE KEY: a key of IFACE's running config ("" when not attached).
cfg() {
	status_get "$NS" "$1" ".config[\"$2\"]"
}
attached() {
	[ -e "/sys/fs/bpf/chimney/$NS/$1" ]
}
detach_all() {
	local i
	for i in v0 v1 v2 lo; do
		ch -n "$NS" detach "$i" >/dev/null 2>&1
	done
}
run_once() {
	ch -n "$NS" run --config "$CONF" --once --metrics off "$@"
}

# --- the whole truth: csum=drop by hand, a file without csum
ch -n "$NS" attach v0 flow=on csum=drop >"$E2E_OUT" 2>&1
printf '[v0]\nflow = on\n' >"$CONF"
before=$(cfg v0 csum)
if run_once >>"$E2E_OUT" 2>&1 && [ "$before" = drop ] &&
   [ "$(cfg v0 csum)" = count ] && [ "$(cfg v0 flow)" = on ]; then
	pass run_config_whole_truth
else
	echo "csum before: $before, after: $(cfg v0 csum)" >>"$E2E_OUT"
	fail run_config_whole_truth "a key the file does not name kept its old value"
fi

# --- ... but the prefix rules of `chimney mss` stay in force: the
# config counts them, and a count of 0 makes every SYN skip the trie
rules_v4() {
	bpftool map dump pinned "/sys/fs/bpf/chimney/$NS/v0/config" -j |
		jq '.[0].formatted.value.mss_rules_v4'
}
ch -n "$NS" mss v0 add 10.8.0.0/16 mtu 1400 >"$E2E_OUT" 2>&1
if run_once >>"$E2E_OUT" 2>&1 && [ "$(rules_v4)" = 1 ]; then
	pass run_config_keeps_mss_rules
else
	echo "mss_rules_v4 after run --config: $(rules_v4)" >>"$E2E_OUT"
	fail run_config_keeps_mss_rules "run --config made the data path forget the prefix rules"
fi
detach_all

# --- all or nothing across interfaces: v0 attached (csum=drop), v1
# not; lo cannot take native XDP, so the third section fails to attach
ch -n "$NS" attach v0 flow=on csum=drop >"$E2E_OUT" 2>&1
printf '[v0]\nflow = on\ncsum = off\n\n[v1]\nflow = on\n\n[lo]\nmode = native\n' >"$CONF"
if run_once >>"$E2E_OUT" 2>&1; then
	fail run_config_all_or_nothing "a file whose third interface cannot attach was applied"
elif ! grep -q "attaching $NS/lo (line 8 of $CONF) failed" "$E2E_OUT"; then
	fail run_config_all_or_nothing "the error does not name lo and its line"
elif [ "$(cfg v0 csum)" != drop ] || attached v1 || attached lo; then
	echo "v0 csum=$(cfg v0 csum); v1 attached: $(attached v1 && echo yes || echo no)" >>"$E2E_OUT"
	fail run_config_all_or_nothing "the interfaces before the failed one were not put back"
else
	pass run_config_all_or_nothing
fi
detach_all

# --- --check: what would fail later, with FILE:LINE, nothing attached
# check_bad NAME LINE REGEX [RUN ARGS...]: run --check must refuse $CONF.
check_bad() {
	local name=$1 line=$2 re=$3
	shift 3
	if "$CHIMNEY" "$@" run --config "$CONF" --check >"$E2E_OUT" 2>&1; then
		fail "run_check_$name" "--check accepted it"
	elif ! grep -Eq "$CONF:$line: .*$re" "$E2E_OUT"; then
		fail "run_check_$name" "expected '$CONF:$line: ...$re'"
	elif attached v0; then
		fail "run_check_$name" "something was attached"
	else
		pass "run_check_$name"
	fi
}
printf '[v0]\nflow = on\n\n[v9]\nflow = on\n' >"$CONF"
check_bad missing_iface 4 "interface 'v9' not found in namespace '$NS'" -n "$NS"
printf '[%s/v0]\nflow = on\n\n[%sgone/v1]\n' "$NS" "$NS" >"$CONF"
check_bad missing_netns 4 "network namespace '${NS}gone' not found"
printf '[v0]\n\n[tun0]\nflow = on\n' >"$CONF"
check_bad no_ethernet 3 "tun0 has no Ethernet header" -n "$NS"

# a busy metrics port: another chimney run holds it
printf '[v1]\nflow = on\n' >"$CONF"
PORT=9479
"$CHIMNEY" -n "$NS" run --metrics "127.0.0.1:$PORT" >"$E2E_OUT.holder" 2>&1 &
HOLDER=$!
if ! wait_listen "$NS" "$PORT"; then
	fail run_config_port_busy_setup "the port holder did not listen"
else
	ch -n "$NS" run --config "$CONF" --check --metrics "127.0.0.1:$PORT" \
		>"$E2E_OUT" 2>&1
	rc_check=$?
	ch -n "$NS" run --config "$CONF" --metrics "127.0.0.1:$PORT" \
		>>"$E2E_OUT" 2>&1
	rc_run=$?
	ch -n "$NS" run --config "$CONF" --check --metrics off >>"$E2E_OUT" 2>&1
	rc_off=$?
	echo "exit codes: --check $rc_check, run $rc_run, --check --metrics off $rc_off" >>"$E2E_OUT"
	if [ "$rc_check" != 0 ] && [ "$rc_run" != 0 ] && [ "$rc_off" = 0 ] &&
	   [ "$(grep -c "cannot listen on 127.0.0.1:$PORT.*in use" "$E2E_OUT")" = 2 ] &&
	   ! grep -q "v1: attached" "$E2E_OUT" && ! attached v1; then
		pass run_config_port_busy
	else
		fail run_config_port_busy "a busy --metrics port was not found first"
	fi
fi
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
rm -f "$E2E_OUT.holder"
detach_all

# --- SIGHUP: reload, all or nothing
# hup WHAT: SIGHUP the daemon and wait for the line that ends the
# reload (applied, refused or failed): the log's line count grows past
# the one it had.
hup() {
	local n
	n=$(grep -c "run: SIGHUP: " "$DAEMON_LOG")
	kill -HUP "$DAEMON_PID"
	# shellcheck disable=SC2016
	wait_for 30 bash -c '[ "$(grep -c "run: SIGHUP: " "$1")" -gt "$2" ]' _ \
		"$DAEMON_LOG" "$n"
}
METRICS_PORT=9478
printf '[v0]\nflow = on\ncsum = drop\n\n[v1]\nflow = on\n' >"$CONF"
if ! daemon_start "$NS" --config "$CONF" 2>"$E2E_OUT"; then
	fail run_reload_start "chimney run --config did not start"
	exit 0
fi
printf '[v0]\nflow = on\n\n[v2]\nflow = on\n' >"$CONF"
hup
m=$(metrics "$NS")
{
	echo "v0 csum=$(cfg v0 csum); v1 attached: $(attached v1 && echo yes || echo no); v2: $(attached v2 && echo yes || echo no)"
	echo "served: $(metric "$m" chimney_run_instances)"
	cat "$DAEMON_LOG"
} >"$E2E_OUT"
if kill -0 "$DAEMON_PID" 2>/dev/null && [ "$(cfg v0 csum)" = count ] &&
   ! attached v1 && attached v2 && [ "$(metric "$m" chimney_run_instances)" = 2 ] &&
   grep -q "run: SIGHUP: $CONF reloaded" "$DAEMON_LOG"; then
	pass run_reload_applies
else
	fail run_reload_applies "the edited file is not what runs after SIGHUP"
fi

# reload_refused NAME REGEX: after SIGHUP with $CONF, the daemon runs
# on, v0 and v2 as they were, v1 still detached, and one line (matching
# REGEX) says why nothing changed.
reload_refused() {
	local name=$1 re=$2 lines0 lines
	lines0=$(wc -l <"$DAEMON_LOG")
	hup
	sleep 0.5
	lines=$(( $(wc -l <"$DAEMON_LOG") - lines0 ))
	{
		echo "v0 csum=$(cfg v0 csum) flow=$(cfg v0 flow); v2 attached: $(attached v2 && echo yes || echo no)"
		echo "$lines new log lines:"
		tail -n "$lines" "$DAEMON_LOG"
	} >"$E2E_OUT"
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "run_reload_$name" "the daemon died"
	elif [ "$(cfg v0 csum)" != count ] || [ "$(cfg v0 flow)" != on ] ||
	     ! attached v2 || attached v1; then
		fail "run_reload_$name" "the running config changed"
	elif ! tail -n "$lines" "$DAEMON_LOG" | grep -Eq "$re"; then
		fail "run_reload_$name" "no line says why ('$re')"
	elif [ -n "${3:-}" ] && [ "$lines" != 1 ]; then
		fail "run_reload_$name" "$lines lines, where one says it"
	else
		pass "run_reload_$name"
	fi
}
printf '[v0]\nflow = off\ncsum = maybe\n' >"$CONF"
reload_refused bad_file "run: SIGHUP: $CONF:3: bad value 'maybe' for csum.*nothing reloaded" one
printf '[v0]\nflow = off\n\n[v9]\n' >"$CONF"
reload_refused missing_iface "run: SIGHUP: $CONF:4: interface 'v9' not found.*nothing reloaded" one
# a good file whose last interface fails to attach: v0's new config and
# v1's attach are undone
printf '[v0]\nflow = off\n\n[v1]\nflow = on\n\n[lo]\nmode = native\n' >"$CONF"
reload_refused apply_fails "run: SIGHUP: applying $CONF failed; the running config stays"

daemon_stop TERM
detach_all
exit 0
