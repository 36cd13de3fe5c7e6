#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make check-fresh: the README's set-up on a Debian 12 that has nothing
# installed by hand. A developer's machine (and CI, which runs on it) has
# packages, mounts and an uptime that a new machine lacks; a chroot made
# by debootstrap has none of them:
#
#   1. debootstrap a minimal bookworm (plus make, which the README's
#      commands need) from the mirror this machine's apt sources name;
#   2. in it: make deps, the build, the unit suite (and the user-space
#      clock tests as if the machine had just booted), make install,
#      chimney --version, make uninstall (nothing may be left), make deb;
#   3. in a second, pristine copy: apt-get install ./chimney_*.deb, which
#      must pull in the runtime libraries, then chimney --version, chimney
#      hash on the published vector, and systemd-analyze verify of the
#      installed unit;
#   4. lintian on the .deb.
#
# Each step prints PASS or FAIL (with its log's tail); the last line is
# "N passed, N failed". The chroots live in build/fresh/ and are torn down
# at the end: everything runs in a private mount namespace, so no mount
# outlives this script even under SIGKILL, and the mounts are undone
# first; nothing is removed while anything below a chroot is mounted, and
# rm never crosses a file-system boundary (--one-file-system), so it
# cannot reach the host's /dev or /sys through a leftover bind mount.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" != 0 ]; then
	echo "check-fresh: must run as root (debootstrap, chroot, BPF)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
# Private mounts: whatever happens to this script, its mounts die with it.
if [ -z "${CHECK_FRESH_NS:-}" ]; then
	CHECK_FRESH_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

work=$top/build/fresh
root=$work/root
pkgroot=$work/pkgroot
logs=$work/logs
suite=bookworm
start=$(date +%s)
passed=0 failed=0

# The chroot sees a clean environment, as a new root login would.
CHROOT_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive)

mounted_below() {
	# findmnt -r escapes blanks as \x20; the paths here have none.
	findmnt -rn -o TARGET | awk -v r="$1" '$0 == r || index($0, r "/") == 1' | sort -r
}

teardown_one() {
	local r=$1 m

	[ -e "$r" ] || return 0
	for m in $(mounted_below "$r"); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if [ -n "$(mounted_below "$r")" ]; then
		echo "check-fresh: still mounted below $r, not removing it:" >&2
		mounted_below "$r" >&2
		return 1
	fi
	rm -rf --one-file-system "$r"
}

teardown() {
	teardown_one "$pkgroot" && teardown_one "$root"
}

elapsed() { echo $(( $(date +%s) - start ))s; }

# step NAME CMD...: run CMD with its output in logs/NAME.log.
step() {
	local name=$1 t0=$(date +%s) rc
	shift
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS fresh_$name ($(( $(date +%s) - t0 ))s)"
		passed=$((passed + 1))
	else
		echo "FAIL fresh_$name (exit $rc, $(( $(date +%s) - t0 ))s); the end of its log:"
		tail -n 25 "$logs/$name.log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
	return $rc
}

finish() {
	trap - EXIT INT TERM
	teardown || failed=$((failed + 1))
	echo "== check-fresh: $(elapsed) =="
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
trap finish EXIT
trap 'echo "check-fresh: interrupted"; failed=$((failed + 1)); exit 1' INT TERM

# The mirror this machine's apt sources name for bookworm (one-line
# sources.list entries or deb822 .sources stanzas).
find_mirror() {
	local f

	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++
			if ($i ~ /^\[/ || $i ~ /\]$/) i++
			if ($(i + 1) == s) { print $i; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v s="$suite" '
			function flush() { if (deb && ok && uri != "") { print uri; exit } deb = ok = 0; uri = "" }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
			tolower($1) == "uris:" { uri = $2 }
			END { flush() }' "$f"
	done
}

mount_chroot() {
	local r=$1

	# The root a mount point of its own, as on a booted machine: `ip netns
	# add` makes / rslave and /run/netns a shared mount.
	mount --bind "$r" "$r" &&
	mount -t tmpfs -o mode=0755 tmpfs "$r/run" &&
	mount -t proc proc "$r/proc" &&
	# A sysfs of its own: no bpffs, tracefs or debugfs below it, as at boot.
	mount -t sysfs sysfs "$r/sys" &&
	# Not recursive: /dev/pts, /dev/shm and the rest stay outside.
	mount --bind /dev "$r/dev" &&
	cp /etc/resolv.conf "$r/etc/resolv.conf" &&
	# Packages must not start services in a chroot.
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d" &&
	chmod 0755 "$r/usr/sbin/policy-rc.d"
}

in_root() { chroot "$root" "${CHROOT_ENV[@]}" "$@"; }
in_pkgroot() { chroot "$pkgroot" "${CHROOT_ENV[@]}" "$@"; }

# The tree as it is (tracked and untracked, not ignored): what a developer
# is about to commit, and in CI exactly the commit.
copy_source() {
	mkdir -p "$root/src" &&
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$root/src"
}

# Everything on the root file system but the source tree and /tmp.
snapshot() {
	in_root find / -xdev \( -path /src -o -path /tmp -o -path /root \) -prune \
		-o -print | sort
}

install_uninstall() {
	snapshot >"$work/before.txt" || return 1
	in_root make -C /src install CHIMNEY_VERSION="$version" || return 1
	snapshot >"$work/installed.txt" || return 1
	echo "installed:"
	comm -13 "$work/before.txt" "$work/installed.txt" | sed 's/^/  /'
	in_root chimney --version || return 1
	in_root sh -c 'command -v chimney' | grep -qx /usr/local/sbin/chimney || return 1
	in_root make -C /src uninstall CHIMNEY_VERSION="$version" || return 1
	snapshot >"$work/after.txt" || return 1
	if ! diff "$work/before.txt" "$work/after.txt"; then
		echo "make uninstall left the lines above behind"
		return 1
	fi
	echo "uninstall removed all of it"
}

deb_install() {
	local deb

	deb=$(ls "$root"/src/build/chimney_*.deb) || return 1
	cp "$deb" "$pkgroot/tmp/" || return 1
	cp "$deb" "$work/" || return 1
	in_pkgroot apt-get update -q || return 1
	in_pkgroot apt-get install -y --no-install-recommends "/tmp/${deb##*/}" || return 1
	echo "Depends: $(dpkg-deb -f "$deb" Depends)"
	in_pkgroot chimney --version || return 1
	in_pkgroot chimney --version --json || return 1
	# The Microsoft RSS verification suite's first IPv4 vector.
	in_pkgroot chimney hash 66.9.149.187 161.142.100.80 2794 1766 |
		tee /dev/stderr | grep -q '0x51ccc178' || return 1
}

unit_verify() {
	# systemd is not in a minimal chroot; install it there, not on the host.
	in_pkgroot apt-get install -y --no-install-recommends systemd man-db || return 1
	in_pkgroot systemd-analyze verify /lib/systemd/system/chimney.service
}

lint() {
	lintian --fail-on error,warning -I "$work"/chimney_*.deb
}

mkdir -p "$work"
teardown || exit 1
# What an earlier run left: its logs and package, not this run's.
rm -rf "$logs" "$work"/chimney_*.deb "$work"/*.txt
mkdir -p "$logs"
mirror=$(find_mirror | head -n 1)
if [ -z "$mirror" ]; then
	echo "FAIL fresh_mirror: no $suite mirror in /etc/apt/sources.list*"
	failed=1
	exit 1
fi
version=$(scripts/version.sh)
echo "== check-fresh: Debian $suite from $mirror, chimney $version"

step debootstrap debootstrap --variant=minbase --include=make "$suite" "$root" "$mirror" || exit 1
cp -a "$root" "$pkgroot" || exit 1
step mount eval 'mount_chroot "$root" && mount_chroot "$pkgroot"' || exit 1
step source copy_source || exit 1
# The README's set-up: make deps (apt-get update + install), the build.
step deps in_root make -C /src deps || exit 1
step build in_root make -C /src -j"$(nproc)" CHIMNEY_VERSION="$version" || exit 1
step unit in_root /src/selftests/run.sh unit
if [ -x selftests/unit-early-boot.sh ]; then
	step unit_early_boot in_root /src/selftests/unit-early-boot.sh
fi
step install_uninstall install_uninstall
step deb in_root make -C /src deb CHIMNEY_VERSION="$version" || exit 1
step deb_install deb_install
step systemd_verify unit_verify
step lintian lint
