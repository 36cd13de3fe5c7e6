#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The man page and the bash completion against the binary they describe:
# groff, man --warnings and lexgrog (what lintian runs) find nothing; the
# page names every config key, every counter and every verb with each of
# its options, as build/chimney-docgen lists them (from the same tables
# the binary parses its options with) and as `chimney --help`,
# `chimney VERB --help`, `chimney set --help` and `chimney stats
# --help-counters` print them; the completion, driven through _chimney as
# bash would, offers the same verbs, keys, options and option values, and
# the interfaces of the namespace named with -n.
#
# The only namespace it creates is its own, uniquely named, removed on exit.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CHIMNEY=$BUILD/chimney
DOCGEN=$BUILD/chimney-docgen
MAN=$BUILD/chimney.8
COMP=$BUILD/chimney.bash-completion
BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
NS=chimneydoc$$
tmp=$(mktemp -d)

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# Every file the checks read must exist; nothing else makes sense without.
for f in "$CHIMNEY" "$DOCGEN" "$MAN" "$COMP"; do
	if [ ! -e "$f" ]; then
		fail docs_built "$f missing (run make)"
		exit 1
	fi
done
pass docs_built

# --- the lists, from each source -------------------------------------------

help_verbs() {	# `chimney --help`: the Commands: block
	"$CHIMNEY" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'
}
help_keys() {	# `chimney set --help`: "  KEY   help" lines
	"$CHIMNEY" set --help | awk '/^  [a-z]/ { print $1 }'
}
help_counters() {
	"$CHIMNEY" stats --help-counters | awk '{ print $1 }'
}
# The options a --help lists in its option column: -x and --long.
help_opts() {	# [VERB]
	"$CHIMNEY" "$@" --help | grep -E '^ +-' |
		grep -oE '^ +(-[a-zA-Z], )?--?[a-zA-Z][a-zA-Z-]*' | tr -s ', ' '\n\n' |
		grep -v '^$'
}
# "--opt a|b|c" in a usage block: prints "--opt a b c", lowercase words only.
help_opt_values() {	# VERB
	"$CHIMNEY" "$1" --help | awk '!NF { exit } { print }' |
		grep -oE -- '--[a-z-]+ [A-Za-z:]+(\|[A-Za-z:]+)+' |
		while read -r opt alts; do
			vals=$(tr '|' '\n' <<< "$alts" | grep -xE '[a-z]+' | tr '\n' ' ')
			[ -n "$vals" ] && echo "$opt $vals"
		done
}

"$DOCGEN" verbs > "$tmp/verbs.gen"
"$DOCGEN" keys > "$tmp/keys.gen"
"$DOCGEN" counters > "$tmp/counters.gen"
help_verbs > "$tmp/verbs.help"
help_keys > "$tmp/keys.help"
help_counters > "$tmp/counters.help"

# The generator and the binary read the same tables: their lists must be
# the same ones (counters: the binary's are the per-CPU block, the
# generator adds chimney run's).
check_same() {	# NAME A B
	if ! diff -u "$2" "$3" > "$tmp/diff"; then
		fail "$1" "$2 and $3 differ"
		cat "$tmp/diff"
		return 1
	fi
	pass "$1"
}
check_same docgen_verbs_match_help "$tmp/verbs.gen" "$tmp/verbs.help"
check_same docgen_keys_match_help "$tmp/keys.gen" "$tmp/keys.help"
grep -vxF -f "$tmp/counters.gen" "$tmp/counters.help" > "$tmp/missing"
if [ -s "$tmp/missing" ]; then
	fail docgen_counters_cover_help "counters --help-counters has, docgen not: $(tr '\n' ' ' < "$tmp/missing")"
else
	pass docgen_counters_cover_help
fi
# Each verb's options: the table docgen prints the man page's and the
# completion's lists from is the one --help prints.
"$DOCGEN" verb-options | sort > "$tmp/opts.gen"
for v in $(cat "$tmp/verbs.help"); do
	help_opts "$v" | sed "s/^/$v /"
done | sort > "$tmp/opts.help"
check_same docgen_options_match_help "$tmp/opts.gen" "$tmp/opts.help"

# --- the man page ------------------------------------------------------------

out=$(groff -man -ww -z "$MAN" 2>&1)
if [ $? -ne 0 ] || [ -n "$out" ]; then
	fail man_groff_warnings "groff -man -ww -z: $out"
else
	pass man_groff_warnings
fi

# What lintian runs (at its 120 columns), and at 80.
bad=
for width in 80 120; do
	out=$(env -i PATH="$PATH" LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=$width \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$MAN" 2>&1 >/dev/null)
	[ $? -ne 0 ] || [ -n "$out" ] && bad+="MANWIDTH=$width: $out; "
done
if [ -n "$bad" ]; then
	fail man_warnings "man --warnings: $bad"
else
	pass man_warnings
fi

# lintian's bad-whatis-entry: lexgrog must parse NAME (exit 2: it cannot).
out=$(LC_ALL=C.UTF-8 lexgrog "$MAN" 2>&1)
if [ $? -ne 0 ] || [[ $out != *'"chimney - '* ]]; then
	fail man_whatis "lexgrog: $out"
else
	pass man_whatis
fi

# A name is named when it appears in bold, whole: \fBNAME\fR.
check_named() {	# NAME LIST...
	local name=$1 n missing=
	shift
	for n in $(sort -u "$@"); do
		grep -qF "\\fB$n\\fR" "$MAN" || missing+="$n "
	done
	if [ -n "$missing" ]; then
		fail "$name" "not in $MAN: $missing"
	else
		pass "$name"
	fi
}
check_named man_names_every_key "$tmp/keys.gen" "$tmp/keys.help"
check_named man_names_every_counter "$tmp/counters.gen" "$tmp/counters.help"

# One .SS per verb, and in it every option of the verb's --help.
section() {	# .SS NAME or .SH NAME: its lines, font escapes and \- undone
	awk -v h="$1" '$0 == h { on = 1; next } on && /^\.S[HS]( |$)/ { exit } on' "$MAN" |
		sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g'
}
has_opt() {	# OPT: on stdin, as a word of its own
	grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|$)"
}
missing=
for v in $(sort -u "$tmp/verbs.gen" "$tmp/verbs.help"); do
	if ! grep -qx "\.SS $v" "$MAN"; then
		missing+="$v "
	fi
done
if [ -n "$missing" ]; then
	fail man_section_per_verb "no .SS for: $missing"
else
	pass man_section_per_verb
fi
missing=
for v in $(cat "$tmp/verbs.help"); do
	section ".SS $v" > "$tmp/sec"
	for o in $(help_opts "$v"); do
		has_opt "$o" < "$tmp/sec" || missing+="$v $o; "
	done
done
section ".SH OPTIONS" > "$tmp/sec"
for o in $(help_opts); do
	has_opt "$o" < "$tmp/sec" || missing+="global $o; "
done
if [ -n "$missing" ]; then
	fail man_every_option "options --help lists that the man page's section lacks: $missing"
else
	pass man_every_option
fi

# --- the completion --------------------------------------------------------

if ! bash -n "$COMP" 2> "$tmp/err"; then
	fail completion_syntax "$(cat "$tmp/err")"
else
	pass completion_syntax
fi
if [ ! -r "$BASH_COMPLETION" ]; then
	fail completion "no $BASH_COMPLETION (Debian package bash-completion)"
	exit 1
fi

# The completion runs in a bash of its own: bash-completion, then ours.
# `comp LINE` sets COMP_* as bash does on TAB at the end of LINE (words
# split at blanks, and at '=' when it is in COMP_WORDBREAKS, as it is by
# default) and prints COMPREPLY, one a line.
cat > "$tmp/drive.sh" <<'EOF'
. "$BASH_COMPLETION"
. "$COMP"
comp() {
	local line=$1 w
	local -a toks
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMP_WORDS=()
	read -ra toks <<< "$line"
	for w in "${toks[@]}"; do
		while [[ $COMP_WORDBREAKS == *=* && $w == *=* ]]; do
			[[ -n ${w%%=*} ]] && COMP_WORDS+=("${w%%=*}")
			COMP_WORDS+=("=")
			w=${w#*=}
		done
		[[ -n $w ]] && COMP_WORDS+=("$w")
	done
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_chimney chimney "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
	return 0
}
EOF
# complete LINE [nobreak]: the replies, sorted; nobreak: '=' not a word break
complete_line() {
	BASH_COMPLETION=$BASH_COMPLETION COMP=$COMP PATH="$(dirname "$CHIMNEY"):$PATH" \
		bash -c '. "$1"; [ -n "$3" ] && COMP_WORDBREAKS=${COMP_WORDBREAKS//=}; comp "$2"' \
		drive "$tmp/drive.sh" "$1" "${2:-}" 2>&1 | sort
}
# expect NAME LINE WANT... : the replies are exactly WANT (none: none)
expect() {
	local name=$1 line=$2 got want=
	shift 2
	got=$(complete_line "$line" | tr '\n' ' ')
	(($#)) && want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	if [ "$got" != "$want" ]; then
		fail "$name" "'$line<TAB>' gave '$got', want '$want'"
	else
		pass "$name"
	fi
}
# expect_has NAME LINE WANT... : the replies include every WANT
expect_has() {
	local name=$1 line=$2 got w missing=
	shift 2
	got=$(complete_line "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<< "$got" || missing+="$w "
	done
	if [ -n "$missing" ]; then
		fail "$name" "'$line<TAB>' lacks: $missing(gave: $(tr '\n' ' ' <<< "$got"))"
	else
		pass "$name"
	fi
}

expect completion_verbs "chimney " $(cat "$tmp/verbs.help")
expect completion_verb_prefix "chimney se" set
expect_has completion_global_options "chimney -" $(help_opts) -n -v --json --help --version
expect completion_key_prefix "chimney set lo cs" csum= csum.sample_rate=
expect completion_key_values "chimney set lo csum=" off count drop
expect completion_key_value_prefix "chimney attach lo csum=d" drop
got=$(complete_line "chimney attach lo csum=d" nobreak)
if [ "$got" != "csum=drop" ]; then
	fail completion_key_values_whole_word "without '=' in COMP_WORDBREAKS: '$got', want csum=drop"
else
	pass completion_key_values_whole_word
fi
expect completion_key_once "chimney set lo csum=off cs" csum.sample_rate=
expect completion_every_key_attach "chimney attach lo " $(sed 's/$/=/' "$tmp/keys.help")
expect completion_every_key_set "chimney set lo " $(sed 's/$/=/' "$tmp/keys.help")
expect completion_mss_subcommands "chimney mss lo " add del list
expect completion_mss_add_kind "chimney mss lo add 10.8.0.0/16 " mtu mss
expect completion_sort_after_eq "chimney flows lo --sort=p" packets
# the scenes, from the lab script the binary runs (chimney demo --list)
scenes=$("$CHIMNEY" demo --list 2>/dev/null | sed -n 's/.*scenes: //p')
if [ -z "$scenes" ]; then
	fail completion_demo_scenes "chimney demo --list names no scene"
else
	expect_has completion_demo_scenes "chimney demo " $scenes
fi

# Every option of every verb's --help, and every one-word value its usage
# line gives an option ("--mode native|skb").
missing=
for v in $(cat "$tmp/verbs.help"); do
	got=$(complete_line "chimney $v -")
	for o in $(help_opts "$v"); do
		grep -qxF -- "$o" <<< "$got" || missing+="$v $o; "
	done
done
if [ -n "$missing" ]; then
	fail completion_every_option "not offered: $missing"
else
	pass completion_every_option
fi
missing=
for v in $(cat "$tmp/verbs.help"); do
	while read -r opt vals; do
		got=$(complete_line "chimney $v lo $opt ")
		for val in $vals; do
			grep -qxF -- "$val" <<< "$got" || missing+="$v $opt $val; "
		done
	done < <(help_opt_values "$v")
done
if [ -n "$missing" ]; then
	fail completion_option_values "not offered: $missing"
else
	pass completion_option_values
fi

# Namespaces and the interfaces in one: a namespace of our own, with an
# interface no other namespace has.
if ! ip netns add "$NS" 2> "$tmp/err" ||
   ! ip -n "$NS" link add "cd$$" type veth peer name "cdp$$" 2> "$tmp/err"; then
	fail completion_netns "cannot make namespace $NS: $(cat "$tmp/err")"
	exit 0
fi
expect_has completion_netns "chimney -n " "$NS"
expect_has completion_netns_long "chimney --netns=" "$NS"
expect completion_ifaces_in_netns "chimney -n $NS stats " lo "cd$$" "cdp$$"
expect completion_ifaces_in_netns_after_verb "chimney attach -n $NS " lo "cd$$" "cdp$$"
expect completion_ifaces_in_netns_long "chimney --netns=$NS detach " lo "cd$$" "cdp$$"
expect completion_hash_dev_in_netns "chimney -n $NS hash --dev cdp" "cdp$$"
# an optional argument is the next word only when that is a number
expect completion_optional_argument_number "chimney -n $NS stats --watch 2 " lo "cd$$" "cdp$$"
expect completion_optional_argument_left_out "chimney -n $NS stats --watch cd$$ "
got=$(complete_line "chimney stats ")
if grep -qxF "cd$$" <<< "$got" || ! grep -qx lo <<< "$got"; then
	fail completion_ifaces_root "'chimney stats <TAB>' gave '$(tr '\n' ' ' <<< "$got")': want the root namespace's"
else
	pass completion_ifaces_root
fi
ip netns del "$NS"
got=$(complete_line "chimney -n ")
if grep -qxF "$NS" <<< "$got"; then
	fail completion_netns_gone "$NS still offered after ip netns del"
else
	pass completion_netns_gone
fi
exit 0
