#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `chimney flows` on a full default flow table (262,144 entries, filled
# by build/flowfill): --json parses, has exactly the flows the table
# holds, sorted, and the memory stays bounded.
#
# The bounds: the rows are kept as read, 112 bytes each (29 MB for a
# full table), glibc's sort adds 16 bytes a row, and the process itself
# (libbpf loading the flow-count program with the kernel's BTF) peaks
# at ~18 MB: ~40 MB measured, for --json and text alike. 64 MB leaves
# room for allocator slack and catches any per-row retention of JSON
# (a tree of the table took 1.4 GB, ~5 KB a row). With --limit 10 only
# ten rows are kept: under 32 MB, below what the rows of the table
# alone (29 MB) plus the process would take.
E2E_ID=${E2E_ID:-smlfb$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLOWFILL=$ROOT/build/flowfill
NS=${E2E_ID}a
SIZE=262144
RSS_MAX_KB=$((64 * 1024))
RSS_LIMIT_MAX_KB=$((32 * 1024))
JSON=$(mktemp)
TIMES=$(mktemp)
big_cleanup() {
	rm -f "$JSON" "$JSON.jq" "$TIMES"
	e2e_cleanup
}
trap big_cleanup EXIT

ch() { timeout 60 "$CHIMNEY" "$@"; }

# rss NAME ARGS...: chimney ARGS (stdout to $JSON) under /usr/bin/time;
# sets RSS_KB and SECS, FAILs NAME when chimney fails.
rss() {
	local name=$1
	shift
	if ! timeout 60 /usr/bin/time -f '%M %e' -o "$TIMES" "$CHIMNEY" "$@" \
			>"$JSON" 2>"$E2E_OUT"; then
		fail "$name" "command failed: chimney $*"
		return 1
	fi
	read -r RSS_KB SECS <"$TIMES"
	echo "    chimney $*: max RSS $RSS_KB KB, $SECS s"
}

if [ ! -x /usr/bin/time ] || [ ! -x "$FLOWFILL" ]; then
	skip flows_big "needs /usr/bin/time (package time) and $FLOWFILL"
	exit 0
fi
# IPv6 off before the links come up: no router solicitations or MLD
# reports add flows behind the fill's back.
if ! { ns_add "$NS" &&
       ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 &&
       ip -n "$NS" link add sml0 type veth peer name sml1 &&
       ip -n "$NS" link set sml0 up && ip -n "$NS" link set sml1 up &&
       ch -n "$NS" attach sml0 flow=on csum=off; } >"$E2E_OUT" 2>&1; then
	fail flows_big_setup "cannot attach to a veth in $NS"
	exit 1
fi

out=$("$FLOWFILL" "/sys/fs/bpf/chimney/$NS/sml0/flows" "$SIZE" 2>&1)
present=$(sed -n 's/^inserted [0-9]* present \([0-9]*\)$/\1/p' <<<"$out")
# The LRU evicts a little before it is full (a few entries per CPU).
if [ -n "$present" ] && [ "$present" -gt $((SIZE * 9 / 10)) ]; then
	pass flows_big_fill
else
	echo "$out" >"$E2E_OUT"
	fail flows_big_fill "flowfill did not fill the table"
	exit 1
fi
echo "    table of $SIZE holds $present flows"

# --json: parses, exactly the table's flows, every row whole (15
# fields, those of the first row), sorted by bytes (the default). One
# pass of jq over the document (jq 1.6 needs ~5 s of CPU to parse it):
# the summary on the first line, then each row's bytes.
if rss flows_big_json -n "$NS" flows sml0 --json; then
	jq -r '"\(.flows | length) \(.entries) \(.size) \(.flows | map(length) |
		unique | map(tostring) | join(",")) \(.flows[0] | keys | join(","))",
		(.flows[] | .orig.bytes + .reply.bytes)' "$JSON" >"$JSON.jq" 2>"$E2E_OUT"
	got=$(head -1 "$JSON.jq")
	want="$present $present $SIZE 15 age_ms,cpu,dport,dst,encap,family,hash,idle_ms,orig,placement,proto,reply,sport,src,state"
	if [ "$got" = "$want" ] && tail -n +2 "$JSON.jq" | sort -c -nr 2>>"$E2E_OUT"; then
		pass flows_big_json
	else
		{ echo "want: $want"; echo "got:  $got"; } >>"$E2E_OUT"
		fail flows_big_json "not the table as JSON, sorted by bytes"
	fi
	rm -f "$JSON.jq"
	if [ "$RSS_KB" -lt "$RSS_MAX_KB" ]; then
		pass flows_big_json_rss
	else
		: >"$E2E_OUT"
		fail flows_big_json_rss "max RSS $RSS_KB KB, bound $RSS_MAX_KB KB"
	fi
fi

# Text: the summary, the column names and one line per flow.
if rss flows_big_text -n "$NS" flows sml0 --sort age; then
	lines=$(wc -l <"$JSON")
	if [ "$lines" -eq $((present + 2)) ] && [ "$RSS_KB" -lt "$RSS_MAX_KB" ]; then
		pass flows_big_text
	else
		head -3 "$JSON" >"$E2E_OUT"
		fail flows_big_text "$lines lines for $present flows, max RSS $RSS_KB KB (bound $RSS_MAX_KB)"
	fi
fi

# --limit 10 keeps ten rows, not the table.
if rss flows_big_limit -n "$NS" flows sml0 --json --limit 10; then
	got=$(jq -r '[(.flows | length), .entries] | join(" ")' "$JSON" 2>&1)
	if [ "$got" = "10 $present" ] && [ "$RSS_KB" -lt "$RSS_LIMIT_MAX_KB" ]; then
		pass flows_big_limit
	else
		echo "got: $got" >"$E2E_OUT"
		fail flows_big_limit "want 10 flows of $present, max RSS $RSS_KB KB under $RSS_LIMIT_MAX_KB"
	fi
fi
