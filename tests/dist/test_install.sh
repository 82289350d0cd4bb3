#!/usr/bin/env bash
# dist.install: the packages scripts/package.sh built, installed with dpkg into a throwaway root
# (tests/dist/root.sh: an overlay of /, maintainer scripts and all, nothing reaches the host):
#   1. anycastd alone (it only suggests anycastd-dpdk): the default configuration is a conffile
#      and passes the installed `anycastd --check`, with the note that it will not start; the
#      unit is enabled (the wants link) and nothing was started (the postinst has no start, no
#      process runs the installed binary); each installed binary's --version; each installed
#      man page renders with `man -l`;
#   2. kind = "dpdk" with anycastd alone: the installed --check names the missing anycastd-dpdk
#      package; with anycastd-dpdk installed it passes, and anycastd-dpdk --version answers;
#   3. removal keeps the configuration, purge removes it and the unit's enablement.
#
#   test_install.sh PACKAGES_DIR
set -euo pipefail
# shellcheck source=root.sh
source "$(dirname "${BASH_SOURCE[0]}")/root.sh"
dist_private_mounts "$@"
packages=$(realpath "$1")
trap dist_cleanup EXIT

anycastd_deb=$(dist_deb "$packages" anycastd)
dpdk_deb=$(dist_deb "$packages" anycastd-dpdk)
version=$(dpkg-deb -f "$anycastd_deb" Version)

# --- the packages' relations ---
depends=$(dpkg-deb -f "$anycastd_deb" Depends)
[[ $depends != *anycastd-dpdk* ]] || dist_fail "anycastd depends on anycastd-dpdk: $depends"
[[ $(dpkg-deb -f "$anycastd_deb" Suggests) == *anycastd-dpdk* ]] ||
	dist_fail "anycastd should suggest anycastd-dpdk, its Suggests: $(dpkg-deb -f "$anycastd_deb" Suggests)"
[[ $(dpkg-deb -f "$dpdk_deb" Depends) == *"anycastd (= $version)"* ]] ||
	dist_fail "anycastd-dpdk should depend on anycastd (= $version), its Depends: $(dpkg-deb -f "$dpdk_deb" Depends)"
dist_log "ok: anycastd suggests anycastd-dpdk, which depends on anycastd (= $version)"

dist_root_setup
# --- 1. anycastd alone ---
dist_install "$anycastd_deb"
dist_expect_eq "dpkg's status of anycastd" "install ok installed $version" \
	"$(dist_query anycastd Status Version)"

conffiles=$(dist_query anycastd Conffiles)
grep -q '^ /etc/anycastd/anycastd.toml ' <<<"$conffiles" ||
	dist_fail "/etc/anycastd/anycastd.toml is not a conffile of anycastd; its conffiles: $conffiles"
dist_log "ok: /etc/anycastd/anycastd.toml is a conffile"

out=$(dist_in_root /usr/sbin/anycastd --check --config /etc/anycastd/anycastd.toml 2>&1) ||
	dist_fail "the installed anycastd --check refuses the installed default configuration: $out"
grep -q "^/etc/anycastd/anycastd.toml: ok$" <<<"$out" || dist_fail "--check on the default configuration: no 'ok': $out"
grep -q "shipped_default = true: anycastd will not start" <<<"$out" ||
	dist_fail "--check on the default configuration: expected the note that it will not start, seen: $out"
dist_log "ok: the installed --check on the installed default configuration: $(tr '\n' ' ' <<<"$out")"

# Enabled the Debian way: deb-systemd-helper made the wants link, systemctl agrees (offline).
wants=/etc/systemd/system/multi-user.target.wants/anycastd.service
[[ -L $DIST_ROOT$wants ]] || dist_fail "the unit is not enabled: no $wants after the postinst"
dist_expect_eq "systemctl --root is-enabled anycastd" enabled "$(systemctl --root="$DIST_ROOT" is-enabled anycastd.service)"
[[ -f $DIST_ROOT/lib/systemd/system/anycastd.service ]] || dist_fail "no /lib/systemd/system/anycastd.service"

# Nothing started: the postinst holds no start (--no-start), and no process runs the binary.
postinst=$DIST_ROOT/var/lib/dpkg/info/anycastd.postinst
if grep -nE 'deb-systemd-invoke[^#]*(start|restart)|systemctl[^#]*(start|restart)|invoke-rc.d' "$postinst"; then
	dist_fail "the postinst starts or restarts the unit (lines above); it must only enable it"
fi
for exe in /proc/[0-9]*/exe; do
	[[ $(readlink "$exe" 2>/dev/null) == "$DIST_ROOT/usr/sbin/anycastd"* ]] &&
		dist_fail "a process runs the installed anycastd after the installation: ${exe%/exe}"
done
dist_log "ok: the unit is enabled, nothing was started"

for bin in anycastd anycastctl anycastd-zone-check; do
	dist_expect_eq "installed $bin --version" "$bin ${version%-*}" "$(dist_in_root "/usr/sbin/$bin" --version)"
done

pages=0
while IFS= read -r page; do
	text=$(dist_in_root man -l "$page" 2>&1 >/dev/null) || dist_fail "man -l $page failed: $text"
	[[ -z $text ]] || dist_fail "man -l $page warned: $text"
	[[ -n $(dist_in_root man -l "$page" 2>/dev/null) ]] || dist_fail "man -l $page rendered nothing"
	pages=$((pages + 1))
done < <(dist_in_root dpkg -L anycastd | grep -E '^/usr/share/man/man[0-9]/.+\.[0-9]\.gz$' || true)
dist_log "ok: man -l renders each of the $pages installed man pages"

# --- 2. kind = "dpdk" ---
dpdk_example=/usr/share/doc/anycastd/examples/anycastd-dpdk.toml
rc=0
out=$(dist_in_root /usr/sbin/anycastd --check --config "$dpdk_example" 2>&1) || rc=$?
dist_expect_eq "--check of a kind = \"dpdk\" configuration without anycastd-dpdk: exit status" 1 "$rc"
grep -q "install the anycastd-dpdk package" <<<"$out" || dist_fail "--check without anycastd-dpdk should name the package, seen: $out"
dist_log "ok: $out"

dist_install "$dpdk_deb"
out=$(dist_in_root /usr/sbin/anycastd --check --config "$dpdk_example" 2>&1) ||
	dist_fail "--check of $dpdk_example with anycastd-dpdk installed: $out"
dist_log "ok: with anycastd-dpdk installed: $out"
dist_expect_eq "installed anycastd-dpdk --version" "anycastd-dpdk ${version%-*}" \
	"$(dist_in_root /usr/sbin/anycastd-dpdk --version 2>&1 | sed -n 1p)"
# --- 3. remove, purge ---
dist_in_root dpkg -r anycastd-dpdk anycastd 2>&1 | sed 's/^/    /' >&2
[[ ! -e $DIST_ROOT/usr/sbin/anycastd && -f $DIST_ROOT/etc/anycastd/anycastd.toml ]] ||
	dist_fail "after dpkg -r: expected the binaries gone and /etc/anycastd/anycastd.toml kept"
dist_log "ok: dpkg -r removed the binaries and kept the configuration"
dist_in_root dpkg -P anycastd 2>&1 | sed 's/^/    /' >&2
[[ ! -e $DIST_ROOT/etc/anycastd/anycastd.toml && ! -L $DIST_ROOT$wants ]] ||
	dist_fail "after dpkg -P: expected /etc/anycastd/anycastd.toml and $wants gone"
dist_log "ok: dpkg -P removed the configuration and the unit's enablement"
echo "dist.install: ok"
