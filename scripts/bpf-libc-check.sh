#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# bpf-libc-check.sh CLANG SOURCE [CFLAGS...]
#
# Fails when a BPF source reaches a glibc header, and names the include
# chain that gets there. Under -target bpf, glibc's <gnu/stubs.h> asks for
# gnu/stubs-32.h, which only libc6-dev-i386 ships: a leak builds on a
# machine that has that package and breaks on a fresh one. -MG lets the
# preprocessor go past the missing file, so the check gives the same answer
# on both kinds of machine.
set -u
clang=$1 src=$2
shift 2
# -H prints the include tree on stderr, one dot per level.
"$clang" "$@" -M -MG -H "$src" 2>&1 >/dev/null | awk -v src="$src" '
	BEGIN { stack[0] = src }
	/^\.+ / {
		depth = index($0, " ") - 1
		path = substr($0, depth + 2)
		stack[depth] = path
		if (path ~ /\/(gnu|bits|sys)\/[^\/]+\.h$/ || path ~ /^\/usr\/include\/[^\/]+\.h$/) {
			chain = stack[0]
			for (i = 1; i <= depth; i++)
				chain = chain " -> " stack[i]
			printf "%s: a BPF source reaches glibc, which breaks the build on a machine without libc6-dev-i386:\n  %s\n  define what it needs locally instead (see bpf/lib/common.h)\n", src, chain
			found = 1
			exit 1
		}
	}
	END { exit found }
' >&2
