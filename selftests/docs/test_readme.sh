#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The README's tables of config keys and counters against the code, as
# the kernel checks bpftool's documentation against its source: every
# key of user/config.c's table and every counter of
# include/chimney/counters.h (and chimney run's flow_stats counts) is
# named in a README table, and every name in those tables exists. The
# lists come from build/chimney-docgen, which prints them from the
# tables the binary runs on.
#
# What the check reads as a table (so that a README edit keeps it
# meaningful):
#   - a Markdown table, outside code blocks, whose header's first cell
#     starts with "key" (a key table) or with "counter" or "reason" (a
#     counter table); other tables (the bench's rows) are not looked at;
#   - in each row, every `name` in backquotes in the first cell is a
#     name. `_udp` after `csum_ok_tcp` in the same cell abbreviates
#     csum_ok_udp (the earlier name with its last _word replaced). A
#     key with a '*' (`flow.timeout.*`) must match a key and names none:
#     each key needs its own row;
#   - in a counter table whose header's first cell says `rx_`, each name
#     is a per-hook counter without its prefix, and stands for rx_NAME
#     and tx_NAME, both of which must exist.
#
#   README=FILE DOCGEN=FILE bash selftests/docs/test_readme.sh
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
DOCGEN=${DOCGEN:-$BUILD/chimney-docgen}
README=${README:-README.md}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# readme_names FILE: "KIND NAME LINE" for every name of the tables above;
# KIND is key, keyglob, counter or hook (a per-hook counter's base).
readme_names() {
	awk '
	/^```/ { fence = !fence; next }
	fence { next }
	!/^\|/ { row = 0; next }
	{
		row++
		n = split($0, cell, "|")
		first = cell[2]
		if (row == 1) {
			h = first
			gsub(/`/, "", h)
			sub(/^ +/, "", h)
			kind = ""
			if (h ~ /^key/)
				kind = "key"
			else if (h ~ /^(counter|reason)/)
				kind = index(first, "`rx_`") ? "hook" : "counter"
			next
		}
		if (row == 2 || kind == "")
			next
		prev = ""
		while (match(first, /`[^`]+`/)) {
			name = substr(first, RSTART + 1, RLENGTH - 2)
			first = substr(first, RSTART + RLENGTH)
			if (name ~ /^_/ && prev != "") {
				stem = prev
				sub(/_[^_]*$/, "", stem)
				name = stem name
			} else {
				prev = name
			}
			k = kind
			if (k == "key" && index(name, "*"))
				k = "keyglob"
			print k, name, NR
		}
	}' "$1"
}

# readme_check FILE DIR: compares FILE's tables with the code's lists;
# writes DIR/{keys,counters}.{missing,unknown}, one name (unknown:
# "name (README line N)") a line. Returns 1 when FILE has no key table
# or no counter table at all (so nothing above could pass vacuously).
readme_check() {
	local file=$1 dir=$2 kind name line k found
	mkdir -p "$dir"
	: > "$dir/keys.missing"; : > "$dir/keys.unknown"
	: > "$dir/counters.missing"; : > "$dir/counters.unknown"
	: > "$dir/keys.named"; : > "$dir/counters.named"
	readme_names "$file" > "$dir/names"
	while read -r kind name line; do
		case $kind in
		key)
			echo "$name" >> "$dir/keys.named"
			grep -qxF -- "$name" "$tmp/keys.code" ||
				echo "$name (README line $line)" >> "$dir/keys.unknown"
			;;
		keyglob)
			found=
			while read -r k; do
				# shellcheck disable=SC2053 # a glob, on purpose
				[[ $k == $name ]] && found=1 && break
			done < "$tmp/keys.code"
			[ -n "$found" ] ||
				echo "$name (README line $line)" >> "$dir/keys.unknown"
			;;
		counter)
			echo "$name" >> "$dir/counters.named"
			grep -qxF -- "$name" "$tmp/counters.code" ||
				echo "$name (README line $line)" >> "$dir/counters.unknown"
			;;
		hook)
			echo "rx_$name" >> "$dir/counters.named"
			echo "tx_$name" >> "$dir/counters.named"
			grep -qxF -- "rx_$name" "$tmp/counters.code" &&
			grep -qxF -- "tx_$name" "$tmp/counters.code" ||
				echo "$name (README line $line, as rx_$name and tx_$name)" >> "$dir/counters.unknown"
			;;
		esac
	done < "$dir/names"
	grep -vxF -f "$dir/keys.named" "$tmp/keys.code" > "$dir/keys.missing"
	grep -vxF -f "$dir/counters.named" "$tmp/counters.code" > "$dir/counters.missing"
	grep -q '^key' "$dir/names" && grep -qE '^(counter|hook) ' "$dir/names"
}

# report NAME LISTFILE WHAT: PASS when LISTFILE is empty.
report() {
	if [ -s "$2" ]; then
		fail "$1" "$3: $(paste -sd ' ' "$2" | sed 's/) /), /g')"
	else
		pass "$1"
	fi
}

if [ ! -x "$DOCGEN" ] || [ ! -r "$README" ]; then
	fail readme_tables "$DOCGEN or $README missing (run make)"
	exit 1
fi
if ! "$DOCGEN" keys > "$tmp/keys.code" ||
   ! "$DOCGEN" counters > "$tmp/counters.code" ||
   [ ! -s "$tmp/keys.code" ] || [ ! -s "$tmp/counters.code" ]; then
	fail readme_tables "$DOCGEN keys / counters printed nothing"
	exit 1
fi

if ! readme_check "$README" "$tmp/readme"; then
	fail readme_tables "$README: no key table or no counter table found (header 'key ...' / 'counter ...')"
	exit 1
fi
pass readme_tables
report readme_names_every_key "$tmp/readme/keys.missing" \
	"config keys (user/config.c) in no key table of $README"
report readme_keys_exist "$tmp/readme/keys.unknown" \
	"names in $README's key tables that are no config key"
report readme_names_every_counter "$tmp/readme/counters.missing" \
	"counters (include/chimney/counters.h) in no counter table of $README"
report readme_counters_exist "$tmp/readme/counters.unknown" \
	"names in $README's counter tables that are no counter"

# The check itself: a README that lost a row, or gained one naming
# nothing, must fail it. The rows are the first of each kind found above.
mutant() {	# NAME SED-SCRIPT: README edited by SED-SCRIPT, checked
	local name=$1
	sed "$2" "$README" > "$tmp/$name.md"
	readme_check "$tmp/$name.md" "$tmp/$name" >/dev/null 2>&1
}
ok=1 why=
read -r _ ckey kline < <(grep '^key ' "$tmp/readme/names" | head -1)
read -r _ cctr cline < <(grep '^counter ' "$tmp/readme/names" | head -1)
read -r _ chook hline < <(grep '^hook ' "$tmp/readme/names" | head -1)
mutant lost_key "${kline}d"
grep -qxF -- "$ckey" "$tmp/lost_key/keys.missing" || { ok=0; why+="a lost row of $ckey went unnoticed; "; }
mutant lost_counter "${cline}d"
grep -qxF -- "$cctr" "$tmp/lost_counter/counters.missing" || { ok=0; why+="a lost row of $cctr went unnoticed; "; }
if [ -n "${chook:-}" ]; then
	mutant lost_hook "${hline}d"
	grep -qxF -- "tx_$chook" "$tmp/lost_hook/counters.missing" || { ok=0; why+="a lost row of $chook went unnoticed; "; }
fi
mutant new_key "${kline}a| \`no.such_key\` | x | x |"
grep -q '^no\.such_key ' "$tmp/new_key/keys.unknown" || { ok=0; why+="a row for a key that does not exist went unnoticed; "; }
mutant new_counter "${cline}a| \`no_such_counter\` | x |"
grep -q '^no_such_counter ' "$tmp/new_counter/counters.unknown" || { ok=0; why+="a row for a counter that does not exist went unnoticed; "; }
if [ "$ok" = 1 ]; then
	pass readme_check_catches_drift
else
	fail readme_check_catches_drift "${why%; }"
fi
exit 0
