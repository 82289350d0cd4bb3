#!/usr/bin/env bash
# dist.unit: the unit the anycastd package installs, installed with dpkg into a throwaway root
# (root.sh), passes `systemd-analyze verify` there, and `systemd-analyze security --offline=yes`
# gives it the exposure figure docs/packaging.md states (a change to the unit's sandboxing that
# moves the figure fails here until the docs say the new one). Its runtime under systemd is not
# tested: systemd is not PID 1 on these machines (docs/packaging.md says what was tried).
#
#   test_unit.sh PACKAGES_DIR PACKAGING_MD
set -euo pipefail
# shellcheck source=root.sh
source "$(dirname "${BASH_SOURCE[0]}")/root.sh"
dist_private_mounts "$@"
packages=$(realpath "$1") doc=$(realpath "$2")
trap dist_cleanup EXIT

dist_root_setup
dist_install "$(dist_deb "$packages" anycastd)"
unit=/lib/systemd/system/anycastd.service

out=$(dist_in_root systemd-analyze verify "$unit" 2>&1) || dist_fail "systemd-analyze verify $unit: $out"
[[ -z $out ]] || dist_fail "systemd-analyze verify $unit passed with complaints: $out"
dist_log "ok: systemd-analyze verify $unit: no complaint"

security=$(dist_in_root systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) ||
	dist_fail "systemd-analyze security --offline=yes $unit failed: $security"
seen=$(sed -n 's/.*Overall exposure level for anycastd.service: \([0-9.]*\).*/\1/p' <<<"$security")
[[ -n $seen ]] || dist_fail "no overall exposure level in: $security"
documented=$(sed -n 's/.*Overall exposure level for anycastd.service: \([0-9.]*\).*/\1/p' "$doc" | sed -n 1p)
dist_expect_eq "systemd-analyze security --offline=yes: exposure (as $doc states)" "$documented" "$seen"
echo "dist.unit: ok"
