#!/usr/bin/env bash
# dist.lintian: lintian on the packages scripts/package.sh built reports no error and no warning.
# A warning that stays is explained by an override in debian/*.lintian-overrides, with a comment
# saying why; lintian's informational tags are printed but do not fail.
#
#   test_lintian.sh PACKAGES_DIR
set -euo pipefail
packages=$(realpath "$1")
shopt -s nullglob
debs=("$packages"/*.deb)
((${#debs[@]} > 0)) || { echo "FAIL: no .deb in $packages" >&2; exit 1; }
rc=0
lintian --fail-on error,warning --display-info --tag-display-limit 0 "${debs[@]}" || rc=$?
if ((rc != 0)); then
	echo "FAIL: lintian reported errors or warnings (E: / W: above) on ${debs[*]}" >&2
	exit 1
fi
echo "dist.lintian: no error, no warning on ${#debs[@]} packages"
