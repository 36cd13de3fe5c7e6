#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `chimney run --config FILE`: an INI file names the interfaces to attach
# and their keys (the keys of attach and set, plus mode). A good file
# attaches with exactly those keys. A bad one is refused with FILE:LINE
# and the reason, and nothing is attached: a bad value, an unknown key,
# a key outside a section, a repeated key, a bad section name, a line
# that is not KEY = VALUE, a bad mode, a second section gone wrong, and
# an interface that does not exist (after the good one before it was
# attached: that one is detached again).
#
# Topology: ${E2E_ID}a -- veth0 | veth1 -- ${E2E_ID}b; the files name
# veth1 in ${E2E_ID}b (chimney -n ${E2E_ID}b run --config ...).
E2E_ID=${E2E_ID:-fc$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_DIR/flows_lib.sh"

CONF=$(mktemp --suffix=.conf)
trap 'rm -f "$CONF"; flows_cleanup' EXIT

if ! command -v jq >/dev/null; then
	skip flows_config "jq is needed"
	exit 0
fi
pair_or_fail flows_config 65

run_conf() {
	ch -n "$NS_B" run --config "$CONF" --once --metrics off
}

# nothing_attached: no pins and no XDP program on veth1.
nothing_attached() {
	[ ! -e "/sys/fs/bpf/chimney/$NS_B/$IF_B" ] &&
		! ip -n "$NS_B" link show dev "$IF_B" | grep -q xdp
}

# bad NAME LINE REASON-REGEX: the file in $CONF must be refused at LINE.
bad() {
	local name=$1 line=$2 re=$3
	if run_conf >"$E2E_OUT" 2>&1; then
		fail "flows_config_$name" "a bad file was accepted"
	elif ! grep -Eq "$CONF:$line: .*$re" "$E2E_OUT"; then
		fail "flows_config_$name" "expected '$CONF:$line: ...$re'"
	elif ! nothing_attached; then
		fail "flows_config_$name" "something was attached"
	else
		pass "flows_config_$name"
	fi
	ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1
}

# --- a good file
cat >"$CONF" <<EOF
# chimney run --config: one section per interface
[$IF_B]
flow = on
    flow.size = 4096          ; indentation is layout only
flow.timeout.udp = 30s
flow.timeout.tcp_established = 1h
cpus = 0
mode = skb
EOF
if run_conf >"$E2E_OUT" 2>&1 &&
   st=$(status_get "$NS_B" "$IF_B" .) &&
   [ "$(jq -r '.config.flow' <<<"$st")" = on ] &&
   [ "$(jq -r '.config["flow.size"]' <<<"$st")" = 4096 ] &&
   [ "$(jq -r '.config["flow.timeout.udp"]' <<<"$st")" = 30s ] &&
   [ "$(jq -r '.config["flow.timeout.tcp_established"]' <<<"$st")" = 1h ] &&
   [ "$(jq -r '.config.cpus' <<<"$st")" = 0 ] &&
   [ "$(jq -r '.xdp_mode' <<<"$st")" = skb ]; then
	pass flows_config_good_file_attaches
else
	status_get "$NS_B" "$IF_B" . >>"$E2E_OUT"
	fail flows_config_good_file_attaches "not attached with the file's keys"
fi
# run again: attached already, the file's config is applied again
if run_conf >"$E2E_OUT" 2>&1 && grep -q "already attached; config updated" "$E2E_OUT"; then
	pass flows_config_rerun_updates
else
	fail flows_config_rerun_updates "a second run with the same file failed"
fi
ch -n "$NS_B" detach "$IF_B" >/dev/null 2>&1

# --- bad files: FILE:LINE: reason, nothing attached
printf '[%s]\nflow = on\ncpus = 0\nflow.timeout.udp = 5 parsecs\n' "$IF_B" >"$CONF"
bad bad_value 4 "bad value '5 parsecs' for flow.timeout.udp"

printf '# comment\n[%s]\nflow.sise = 1024\n' "$IF_B" >"$CONF"
bad unknown_key 3 "unknown key 'flow.sise'"

printf 'flow = on\n[%s]\n' "$IF_B" >"$CONF"
bad key_outside_section 1 "outside an interface section"

printf '[%s]\n\nflow = on\nflow = off\n' "$IF_B" >"$CONF"
bad repeated_key 4 "already set on line 3"

printf '# comment\n[a/b/c]\nflow = on\n' >"$CONF"
bad bad_section 2 "bad section"

printf '[%s]\nflow = on\nflow on\n' "$IF_B" >"$CONF"
bad syntax 3 "syntax error"

printf '[%s]\nmode = turbo\n' "$IF_B" >"$CONF"
bad bad_mode 2 "bad value 'turbo' for mode"

printf '[%s]\nflow = on\n\n[%s]\nflow = on\nflow.size = 3\n' "$IF_B" "$IF_A" >"$CONF"
bad second_section 6 "bad value '3' for flow.size"

printf '[otherns/%s]\nflow = on\n' "$IF_B" >"$CONF"
bad other_namespace 1 "serves only"

# --- deploy/ stays consistent with the CLI: the example config, the
# DaemonSet's ConfigMap and command line, the systemd unit's commands
# (and its reload, the daemon's SIGHUP). --check now wants the files'
# eth0 and a free metrics port: the commands run in $NS_A, given an eth0,
# whatever this machine's own interfaces and ports are.
in_a() {
	nsenter --net="/run/netns/$NS_A" "$CHIMNEY" "$@"
}
deploy_ok() {
	local d=$ROOT/deploy cmd
	ip -n "$NS_A" link add eth0 type veth peer name eth0p || return 1
	in_a run --config "$d/chimney.conf.example" --check || return 1
	awk '/chimney.conf: \|/ { on = 1; next } on && /^---/ { exit }
	     on { sub(/^    /, ""); print }' "$d/daemonset.yaml" >"$CONF"
	# the container's command, with --check added and the node address
	cmd=$(awk -F'"' '/command: \["\/usr\/sbin\/chimney"/,/\]/ {
		for (i = 2; i <= NF; i += 2) printf "%s\n", $i }' "$d/daemonset.yaml" |
		sed -e "s|/etc/chimney/chimney.conf|$CONF|" \
		    -e 's|\$(NODE_IP)|127.0.0.1|' -e '1d')
	# shellcheck disable=SC2086
	in_a $cmd --check || return 1
	while read -r cmd; do
		cmd=${cmd#*=/usr/sbin/chimney }
		cmd=${cmd//\/etc\/chimney\/chimney.conf/$ROOT/deploy/chimney.conf.example}
		# shellcheck disable=SC2086
		in_a $cmd --check || return 1
	done < <(grep -E '^ExecStart(Pre)?=' "$d/chimney.service")
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$d/chimney.service" || {
		echo "chimney.service: no ExecReload sending SIGHUP"
		return 1
	}
	ip -n "$NS_A" link del eth0
}
if deploy_ok >"$E2E_OUT" 2>&1; then
	pass flows_config_deploy_files_consistent
else
	fail flows_config_deploy_files_consistent \
		"deploy/ (example config, DaemonSet, systemd unit) disagrees with the CLI"
fi

# --- an interface that is not there: the one attached before it goes
printf '[%s]\nflow = on\n\n[nosuch0]\nflow = on\n' "$IF_B" >"$CONF"
if run_conf >"$E2E_OUT" 2>&1; then
	fail flows_config_attach_all_or_nothing "a file with a missing interface was accepted"
elif ! grep -q "nosuch0" "$E2E_OUT"; then
	fail flows_config_attach_all_or_nothing "the error does not name the missing interface"
elif ! nothing_attached; then
	fail flows_config_attach_all_or_nothing "$IF_B was left attached"
else
	pass flows_config_attach_all_or_nothing
fi
exit 0
