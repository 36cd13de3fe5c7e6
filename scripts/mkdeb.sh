#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# mkdeb.sh BUILD VERSION: build BUILD/chimney_VERSION_ARCH.deb from the
# files `make install PREFIX=/usr` writes. Depends is what dpkg-shlibdeps
# finds in the binary, not a typed list; the man page and changelog are
# compressed and the binary stripped, as debhelper would.
set -euo pipefail
build=$1 version=$2
cd "$(dirname "$0")/.."
arch=$(dpkg --print-architecture)
stage=$build/deb
root=$stage/root
deb=$build/chimney_${version}_${arch}.deb
maint="chimney developers <chimney@example.org>"

rm -rf "$stage"
mkdir -p "$root/DEBIAN"
make --no-print-directory -s install PREFIX=/usr DESTDIR="$root" >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/sbin/chimney"
gzip -9n "$root/usr/share/man/man8/chimney.8"

doc=$root/usr/share/doc/chimney
install -d "$doc"
cat >"$doc/copyright" <<EOC
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: chimney

Files: *
Copyright: 2025-2026 chimney developers
License: GPL-2.0 or BSD-2-Clause
 The BPF programs and the user-space tools are dual-licensed, as every
 source file's SPDX line says.
 .
 On Debian systems, the full text of the GNU General Public License
 version 2 can be found in the file '/usr/share/common-licenses/GPL-2'.
 .
 Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following conditions are
 met: 1. Redistributions of source code must retain the above copyright
 notice, this list of conditions and the following disclaimer. 2.
 Redistributions in binary form must reproduce the above copyright
 notice, this list of conditions and the following disclaimer in the
 documentation and/or other materials provided with the distribution.
 THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS
 IS" AND ANY EXPRESS OR IMPLIED WARRANTIES ARE DISCLAIMED.
EOC
# A native package's changelog; its version must be the package's.
{
	printf 'chimney (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Built from %s.\n\n' \
		"$(git rev-parse --short=12 HEAD 2>/dev/null || echo 'a source tree')"
	printf ' -- %s  %s\n' "$maint" "$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$doc/changelog.gz"

# dpkg-shlibdeps reads debian/control from the current directory.
mkdir -p "$stage/debian"
printf 'Source: chimney\n\nPackage: chimney\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e root/usr/sbin/chimney 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# What no library link says: the unit's ExecReload runs /bin/kill, which
# procps ships and a minimal Debian lacks (systemd-analyze verify fails).
depends="$depends, procps"

echo /etc/chimney/chimney.conf >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/control" <<EOC
Package: chimney
Version: $version
Architecture: $arch
Maintainer: $maint
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: bpftool, iproute2
Section: net
Priority: optional
Description: eBPF/XDP offload and steering data plane
 chimney does in software what NIC offloads promise, and counts every
 decision: RSS steering with the NIC's own Toeplitz hash, checksum
 verification, MSS clamping for tunnels and a flow table, in XDP and TC
 programs. The chimney command attaches them, pins their maps for
 bpftool, and its daemon sweeps stale flows and serves Prometheus
 metrics.
EOC
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
