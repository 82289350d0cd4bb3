#!/usr/bin/env bash
# dist.man_pages: the built man pages render with man(1) without a groff warning, each has NAME
# and SYNOPSIS, anycastd.toml(5) has a row "KEY reload|restart" for every key `anycastd
# --list-keys` prints (a key added without its row in docs/configuration.md fails here), and
# anycastctl(8) has every command's line of `anycastctl --help`; anycastd(8) and
# anycastd-zone-check(8) have every option their program's --help lists.
#
#   man_check.sh MAN_DIR ANYCASTD ANYCASTCTL ANYCASTD_ZONE_CHECK
set -euo pipefail

usage="usage: man_check.sh MAN_DIR ANYCASTD ANYCASTCTL ANYCASTD_ZONE_CHECK"
man_dir=${1:?$usage} anycastd=${2:?$usage} anycastctl=${3:?$usage} zone_check=${4:?$usage}
pages=(anycastd.8 anycastctl.8 anycastd-zone-check.8 anycastd.toml.5)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# 80 columns, the width the tables are laid out for (docs/man/doc-to-man.lua), in a UTF-8 locale
# as on an operator's terminal (man picks groff's device from it; CTest may pass no locale), every
# groff warning on ("w"): a markup error, an unknown macro or character, a line or a table that does
# not fit. Then as lintian renders them (groff-message): 120 columns, groff's own output.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings=w -l "$1" 2>"$tmp/warnings" || return 1
	LC_ALL=C.UTF-8 MANWIDTH=120 MANROFFSEQ='' man --warnings -E UTF-8 -l -Tutf8 -Z "$1" 2>>"$tmp/warnings" >/dev/null
}

for page in "${pages[@]}"; do
	file=$man_dir/$page
	[[ -s $file ]] || fail "$file: not built (the target man)"
	render "$file" >"$tmp/$page.txt" || fail "man -l $file failed: $(cat "$tmp/warnings")"
	if [[ -s $tmp/warnings ]]; then
		cat "$tmp/warnings" >&2
		fail "$page: groff warnings (above)"
	fi
	for section in NAME SYNOPSIS; do
		grep -qx "$section" "$tmp/$page.txt" || fail "$page: no $section section"
	done
	echo "ok: $page renders without warnings ($(wc -l <"$tmp/$page.txt") lines at 80 columns), NAME and SYNOPSIS"
done

# The key table renders one row a key: the key, then how it takes effect, alone on the line.
keys=$("$anycastd" --list-keys | awk '{ print $1, $2 }' | sort -u)
rows=$(awk 'NF == 2 && ($2 == "reload" || $2 == "restart") { print $1, $2 }' "$tmp/anycastd.toml.5.txt" | sort -u)
missing=$(comm -23 <(echo "$keys") <(echo "$rows"))
if [[ -n $missing ]]; then
	printf '    %s\n' "${missing//$'\n'/$'\n    '}" >&2
	fail "anycastd.toml(5) has no row for these keys of anycastd --list-keys (docs/configuration.md, \"Which keys a reload changes\")"
fi
echo "ok: anycastd.toml(5) has a row for each of the $(wc -l <<<"$keys") keys of anycastd --list-keys"

# Each command's line of --help (the command, its arguments, what it does) is in the page as it is
# (docs/anycastctl.md's usage block): a command missing or described otherwise fails.
usage=$("$anycastctl" --help | awk '/^commands:$/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { sub(/^ +/, ""); print }')
[[ -n $usage ]] || fail "no commands found in anycastctl --help"
sed 's/^ *//' "$tmp/anycastctl.8.txt" >"$tmp/anycastctl.8.lines"
while IFS= read -r line; do
	grep -qxF -- "$line" "$tmp/anycastctl.8.lines" ||
		fail "anycastctl(8) does not have this line of anycastctl --help: \"$line\" (docs/anycastctl.md's usage)"
done <<<"$usage"
commands=$(awk '{ print $1 }' <<<"$usage")
echo "ok: anycastctl(8) lists every command of anycastctl --help as it does: ${commands//$'\n'/ }"

# Options: each one --help lists, as an option item of the page (at the start of its line).
for program in "$anycastd" "$zone_check"; do
	page=$(basename "$program").8
	options=$("$program" --help | grep -oE '(^|[ ,|])--?[a-zA-Z][-a-z]*' | sed 's/^[ ,|]*//' | sort -u)
	[[ -n $options ]] || fail "no options found in $program --help"
	for option in $options; do
		grep -qE -- "^ +(-[a-zA-Z], )?$option( |,|$)" "$tmp/$page.txt" ||
			fail "$page has no item for the option $option ($(basename "$program") --help lists it)"
	done
	echo "ok: $page has an item for each option of $(basename "$program") --help: ${options//$'\n'/ }"
done
