#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# docfill.sh DOCGEN VERSION DATE TEMPLATE OUTPUT
#
# Fills a documentation template (deploy/*.in) from chimney's own lists:
# a line that is exactly @SECTION_NAME@ becomes the output of
# `DOCGEN section-name`, and @VERSION@ and @DATE@ anywhere become VERSION
# and DATE. Any other @WORD@ left over is an error, so that a misspelt
# placeholder cannot reach a man page; so is a section DOCGEN refuses.
set -eu
[ $# -eq 5 ] || { echo "usage: $0 DOCGEN VERSION DATE TEMPLATE OUTPUT" >&2; exit 1; }
docgen=$1 version=$2 date=$3 in=$4 out=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# sed replacement text: escape \, & and the / delimiter
esc() { printf '%s' "$1" | sed 's/[\/&]/\\&/g'; }

: > "$tmp/script.sed"
for ph in $(grep -x '@[A-Z_]*@' "$in" | sort -u); do
	name=$(printf '%s' "$ph" | tr -d @ | tr 'A-Z_' 'a-z-')
	"$docgen" "$name" > "$tmp/$name"
	# r queues the file for the end of the cycle, which d still reaches
	printf '/^%s$/{\nr %s\nd\n}\n' "$ph" "$tmp/$name" >> "$tmp/script.sed"
done
printf 's/@VERSION@/%s/g\ns/@DATE@/%s/g\n' "$(esc "$version")" "$(esc "$date")" \
	>> "$tmp/script.sed"
sed -f "$tmp/script.sed" "$in" > "$tmp/out"
if grep -n '@[A-Z_][A-Z_]*@' "$tmp/out" >&2; then
	echo "$in: placeholder left unfilled (above)" >&2
	exit 1
fi
# the same directory as OUTPUT, so that mv replaces it in one step
cp "$tmp/out" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
