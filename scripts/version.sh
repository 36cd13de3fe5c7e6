#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The version chimney is built as: VERSION, then, in a git checkout,
# +git<commits>.<hash> (and .dirty with uncommitted changes), a valid
# Debian version that grows with every commit. Outside a checkout (a
# tarball, the fresh-machine chroot) the caller passes CHIMNEY_VERSION.
set -u
cd "$(dirname "$0")/.."
base=$(cat VERSION)
if count=$(git rev-list --count HEAD 2>/dev/null) &&
   hash=$(git rev-parse --short=7 HEAD 2>/dev/null); then
	dirty=
	git diff --quiet HEAD -- 2>/dev/null || dirty=.dirty
	echo "$base+git$count.$hash$dirty"
else
	echo "$base"
fi
