#!/usr/bin/env bash
# docs.config_keys: docs/configuration.md's table "Which keys a reload changes" lists every key
# `anycastd --list-keys` prints, with the same "reload" or "restart", and no other key.
#
#   docs_keys_check.sh ANYCASTD CONFIGURATION_MD
set -euo pipefail
anycastd=$1 doc=$2
want=$("$anycastd" --list-keys | awk '{ print $1, $2 }' | sort)
# The rows of the first table after the heading, up to the first line that is not a row.
have=$(awk -F'|' '/^### Which keys a reload changes/ { on = 1; next }
	on && /^\|/ { seen = 1; if ($2 ~ /`/) { gsub(/[ `]/, "", $2); gsub(/ /, "", $3); print $2, $3 }; next }
	on && seen { exit }' "$doc" | sort)
if [[ "$want" != "$have" ]]; then
	echo "docs/configuration.md's key table differs from anycastd --list-keys (< --list-keys, > the docs):" >&2
	diff <(echo "$want") <(echo "$have") >&2 || true
	exit 1
fi
echo "docs/configuration.md lists all $(wc -l <<<"$want") keys as anycastd --list-keys does"
