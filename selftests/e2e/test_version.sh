#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# chimney --version: each fact it prints is checked against a source that
# does not go through chimney: scripts/version.sh, ldd and dpkg for the
# libraries, uname, bpftool for BTF, libxdp itself (xdp-loader) for
# freplace and the dispatcher, and a trial attach by the test (never by
# chimney) for native XDP. Then the errors, non-root, and the option
# orders.
#
# Topology: namespace ${E2E_ID}a with a veth pair cverv0/cverv1.
E2E_ID=${E2E_ID:-cver$$}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ch() { timeout 20 "$CHIMNEY" "$@"; }

NS=${E2E_ID}a
IF0=cverv0
IF1=cverv1
OBJ=$ROOT/build/xdp_null.bpf.o
if ! { ns_add "$NS" &&
       ip -n "$NS" link add "$IF0" type veth peer name "$IF1" &&
       ip -n "$NS" link set "$IF0" up && ip -n "$NS" link set "$IF1" up; } \
		>"$E2E_OUT" 2>&1; then
	fail version_setup "cannot build namespace $NS"
	exit 1
fi

# field NAME JSON JQ: PASS when the jq expression is true on JSON.
field() {
	if jq -e "$3" <<<"$2" >"$E2E_OUT" 2>&1; then
		pass "$1"
	else
		echo "$2" >>"$E2E_OUT"
		fail "$1" "expected $3"
	fi
}

# upstream VERSION: a Debian version without epoch and revision.
upstream() {
	local v=${1#*:}
	echo "${v%-*}"
}

# lib_check NAME LIB: chimney's runtime LIB is the file the dynamic
# loader resolves for build/chimney (ldd), named by its suffix, and the
# Debian package that owns that file has that upstream version: exactly
# for libbpf; for libxdp to major.minor, because libxdp names its file
# by its ABI version (Debian's libxdp1 1.3.1 ships libxdp.so.1.3.0), and
# a library has no other run-time trace of its release.
lib_check() {
	local name=$1 lib=$2 want file pkg pv ver
	want=$(ldd "$CHIMNEY" | awk -v l="$lib.so" '$1 ~ "^" l {print $3}')
	want=$(readlink -f "$want")
	file=$(jq -r ".$lib.file" <<<"$J")
	ver=$(jq -r ".$lib.version" <<<"$J")
	if [ -z "$want" ] || [ "$file" != "$want" ] ||
	   [ "$ver" != "${want##*.so.}" ]; then
		echo "ldd: $want; chimney: $ver from $file" >"$E2E_OUT"
		fail "${name}_loaded_file" "runtime $lib is not the loaded file"
	else
		pass "${name}_loaded_file"
	fi
	pkg=$(dpkg-query -S "$want" 2>/dev/null | cut -d: -f1 | head -1)
	if [ -z "$pkg" ]; then
		skip "${name}_dpkg" "$want belongs to no Debian package"
		return
	fi
	pv=$(upstream "$(dpkg-query -W -f='${Version}' "$pkg")")
	if [ "$lib" = libxdp ]; then
		[[ "$pv" == "${ver%.*}".* ]]
	else
		[ "$pv" = "$ver" ]
	fi
	if [ $? -eq 0 ]; then
		pass "${name}_dpkg"
	else
		echo "$pkg $pv, chimney $ver" >"$E2E_OUT"
		fail "${name}_dpkg" "runtime $lib $ver does not match package $pkg $pv"
	fi
}

# --- versions ------------------------------------------------------------
T=$(ch --version 2>"$E2E_OUT")
rc=$?
J=$(ch --version --json 2>>"$E2E_OUT")
if [ "$rc" -ne 0 ] || ! jq -e . <<<"$J" >/dev/null 2>&1; then
	echo "$T" >>"$E2E_OUT"
	echo "$J" >>"$E2E_OUT"
	fail version_runs "chimney --version failed (rc $rc) or its JSON does not parse"
	exit 1
fi
pass version_runs

want=$("$ROOT/scripts/version.sh")
got=$(awk '$1 == "chimney" {print $2}' <<<"$T")
if [ "$got" = "$want" ] && [ "$(jq -r .version <<<"$J")" = "$want" ]; then
	pass version_string
else
	echo "scripts/version.sh: $want; text: $got; json: $(jq -r .version <<<"$J")" >"$E2E_OUT"
	fail version_string "not scripts/version.sh's version (rebuild?)"
fi

field version_json_fields "$J" '
	(.version | type == "string") and
	(.libbpf.version | type == "string") and (.libbpf.api | type == "string") and
	(.libbpf.build | type == "string") and
	(.libxdp.version | type == "string") and (.libxdp.build | type == "string") and
	(.kernel.release | type == "string") and (.kernel.btf | type == "boolean") and
	(.kernel.freplace | type == "boolean") and
	(.kernel.dispatcher | type == "boolean") and (has("interface") | not)'

# every plain line: a key padded to 11 columns, the value from column 13
if awk 'length($0) < 13 || substr($0, 12, 1) != " " || substr($0, 13, 1) == " " {
		bad = 1 } END { exit bad }' <<<"$T"; then
	pass version_text_aligned
else
	echo "$T" >"$E2E_OUT"
	fail version_text_aligned "a line is not 'key<padding> value'"
fi

lib_check libbpf_runtime libbpf
lib_check libxdp_runtime libxdp
# built and run on this machine: the build-time versions are the same,
# so the text does not mention them
field libs_build_same "$J" '.libbpf.build == .libbpf.version and
	.libxdp.build == .libxdp.version'
if grep -q 'built with' <<<"$T"; then
	echo "$T" >"$E2E_OUT"
	fail libs_build_not_shown "'built with' shown although the versions agree"
else
	pass libs_build_not_shown
fi

# --- kernel ----------------------------------------------------------------
field kernel_release "$J" ".kernel.release == \"$(uname -r)\""

# BTF: bpftool's own parse of the same file; btf__type_cnt() counts the
# void type 0 that bpftool does not print.
if [ -r /sys/kernel/btf/vmlinux ] && command -v bpftool >/dev/null; then
	n=$(bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -c '^\[')
	if [ "$n" -gt 0 ]; then
		field kernel_btf "$J" ".kernel.btf == true and .kernel.btf_types == $((n + 1))"
	else
		field kernel_btf "$J" '.kernel.btf == false and (.kernel.btf_error | length > 0)'
	fi
else
	field kernel_btf "$J" '.kernel.btf == false and (.kernel.btf_error | length > 0)'
fi

# freplace / dispatcher: ask libxdp itself. xdp-loader loads xdp_null on
# cverv0 in skb mode, in a private mount namespace with a bpffs of its
# own (libxdp's dispatcher needs one; the host's is left alone), and
# says whether a dispatcher was used or why not.
LX=$(timeout 30 unshare --mount --propagation private sh -c '
	mount -t bpf bpf /sys/fs/bpf || exit 2
	exec nsenter --net="/run/netns/$1" sh -c "
		xdp-loader load -v -m skb $2 $3 2>&1; echo rc=\$?
		xdp-loader status $2 2>&1
		xdp-loader unload --all $2 >/dev/null 2>&1"' sh "$NS" "$IF0" "$OBJ" 2>&1)
if ! command -v xdp-loader >/dev/null || [ ! -f "$OBJ" ] ||
   ! grep -q '^rc=0' <<<"$LX"; then
	skip kernel_freplace_vs_libxdp "xdp-loader could not load on a bare veth: $(tail -1 <<<"$LX")"
	field kernel_freplace_error "$J" '.kernel.freplace or
		(.kernel.freplace_error | length > 0)'
elif grep -q xdp_dispatcher <<<"$LX"; then
	field kernel_freplace_vs_libxdp "$J" '.kernel.freplace and .kernel.dispatcher'
else
	# libxdp's reason, e.g. "Compatibility check for dispatcher program
	# failed: Operation not permitted", carries chimney's error text
	err=$(jq -r '.kernel.freplace_error // empty' <<<"$J")
	if jq -e '.kernel.freplace == false and .kernel.dispatcher == false' \
			<<<"$J" >/dev/null && [ -n "$err" ] &&
	   grep -i dispatcher <<<"$LX" | grep -qF -- "$err"; then
		pass kernel_freplace_vs_libxdp
	else
		{ echo "libxdp:"; echo "$LX"; echo "chimney:"; jq .kernel <<<"$J"; } >"$E2E_OUT"
		fail kernel_freplace_vs_libxdp "libxdp used no dispatcher; chimney must say freplace refused, with libxdp's reason"
	fi
fi
if grep -q 'refused\|available' <<<"$(awk '$1 == "freplace"' <<<"$T")"; then
	pass kernel_freplace_text
else
	echo "$T" >"$E2E_OUT"
	fail kernel_freplace_text "no 'freplace available|refused (...)' line"
fi

# --- native XDP --------------------------------------------------------------
# chimney first (it must attach nothing), then the test's own trial
# attach in native mode as the independent answer.
for ifc in "$IF1" lo; do
	t=native_xdp_$([ "$ifc" = lo ] && echo lo || echo veth)
	JI=$(ch -n "$NS" --version "$ifc" --json 2>"$E2E_OUT")
	if [ $? -ne 0 ]; then
		fail "$t" "chimney -n $NS --version $ifc failed"
		continue
	fi
	if ip -n "$NS" -d link show dev "$ifc" | grep -q 'prog/xdp'; then
		ip -n "$NS" -d link show dev "$ifc" >"$E2E_OUT"
		fail "${t}_untouched" "an XDP program is on $ifc after --version"
	else
		pass "${t}_untouched"
	fi
	if ip -n "$NS" link set dev "$ifc" xdpdrv obj "$OBJ" sec xdp 2>/dev/null; then
		trial=true
		ip -n "$NS" link set dev "$ifc" xdpdrv off
	else
		trial=false
	fi
	field "$t" "$JI" ".interface.native_xdp == $trial and
		.interface.name == \"$ifc\" and .interface.netns == \"$NS\""
done
# the probe programs are gone with the process (freed after an RCU grace)
for i in $(seq 20); do
	left=$(bpftool prog show 2>/dev/null | grep -E 'name probe_(xdp|ext)')
	[ -z "$left" ] && break
	sleep 0.1
done
if [ -z "$left" ]; then
	pass version_probes_unloaded
else
	echo "$left" >"$E2E_OUT"
	fail version_probes_unloaded "probe programs still loaded"
fi

# --- errors ------------------------------------------------------------------
# one_error NAME CMD...: exit 1, nothing on stdout, one line on stderr;
# with --json in CMD, stdout is {"error": the same line}.
one_error() {
	local name=$1 rc out ok=1
	shift
	out=$("$@" 2>"$E2E_OUT")
	rc=$?
	[ "$rc" -eq 1 ] || ok=0
	[ "$(wc -l <"$E2E_OUT")" -eq 1 ] || ok=0
	if [[ " $* " == *" --json "* ]]; then
		[ "$(jq -r .error <<<"$out" 2>/dev/null)" = "$(sed 's/^chimney: //' "$E2E_OUT")" ] || ok=0
	else
		[ -z "$out" ] || ok=0
	fi
	if [ "$ok" -eq 1 ]; then
		pass "$name"
	else
		echo "rc $rc, stdout: $out" >>"$E2E_OUT"
		fail "$name" "want exit 1 and one error line"
	fi
}
one_error version_missing_iface ch -n "$NS" --version cvernope
one_error version_missing_iface_json ch -n "$NS" --version cvernope --json
one_error version_missing_netns ch -n "${E2E_ID}nope" --version lo
one_error version_bad_option_json ch --version --cverbogus --json
one_error version_two_ifaces ch --version lo "$IF1"

# --- non-root, options, help -------------------------------------------------
if command -v setpriv >/dev/null; then
	JN=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CHIMNEY" --version "$IF1" --json 2>"$E2E_OUT")
	if [ $? -eq 0 ]; then
		field version_nonroot "$JN" "
			.version == \"$want\" and .libbpf.version == \"$(jq -r .libbpf.version <<<"$J")\" and
			.kernel.freplace == null and .kernel.freplace_error == \"needs root\" and
			.interface.native_xdp == null and .interface.native_xdp_error == \"needs root\""
	else
		fail version_nonroot "--version as nobody exited non-zero"
	fi
else
	skip version_nonroot "no setpriv"
fi

a=$(ch --json --version 2>/dev/null | jq -S . 2>/dev/null)
b=$(ch --version --json 2>/dev/null | jq -S . 2>/dev/null)
if [ -n "$a" ] && [ "$a" = "$b" ]; then
	pass version_json_either_order
else
	diff <(echo "$a") <(echo "$b") >"$E2E_OUT"
	fail version_json_either_order "--json --version and --version --json differ"
fi

if ch --help | grep -q -- '--version'; then
	pass version_in_help
else
	fail version_in_help "chimney --help does not list --version"
fi
