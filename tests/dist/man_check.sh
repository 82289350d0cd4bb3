#!/usr/bin/env bash
# dist.man_pages: the built man pages render with man(1) without a groff warning, each has NAME
# and SYNOPSIS, anycastd.toml(5) has a row "KEY reload|restart" for every key `anycastd
# --list-keys` prints (a key added without its row in docs/configuration.md fails here), and
# anycastctl(8) lists every command `anycastctl --help` lists.
#
#   man_check.sh MAN_DIR ANYCASTD ANYCASTCTL
set -euo pipefail

usage="usage: man_check.sh MAN_DIR ANYCASTD ANYCASTCTL"
man_dir=${1:?$usage} anycastd=${2:?$usage} anycastctl=${3:?$usage}
pages=(anycastd.8 anycastctl.8 anycastd-zone-check.8 anycastd.toml.5)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# 80 columns, the width the tables are laid out for (docs/man/doc-to-man.lua), in a UTF-8 locale
# as on an operator's terminal (man picks groff's device from it; CTest may pass no locale), every
# groff warning on ("w"): a markup error, an unknown macro or character, a line or a table that
# does not fit the width. One is not about the page: tbl's "table text block will not fit on one
# page" comes and goes with where a page boundary falls next to a tall table row (a few lines
# added above move it), although man on a terminal shows one continuous page; it is left out.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings=w -l "$1" 2>"$tmp/all-warnings" || return 1
	grep -v '^warning: page [0-9]*: table text block will not fit on one page$' "$tmp/all-warnings" >"$tmp/warnings" || true
}

for page in "${pages[@]}"; do
	file=$man_dir/$page
	[[ -s $file ]] || fail "$file: not built (the target man)"
	render "$file" >"$tmp/$page.txt" || fail "man -l $file failed: $(cat "$tmp/all-warnings")"
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

commands=$("$anycastctl" --help | awk '/^commands:$/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }')
[[ -n $commands ]] || fail "no commands found in anycastctl --help"
for command in $commands; do
	grep -qE "^ +$command( |$)" "$tmp/anycastctl.8.txt" ||
		fail "anycastctl(8) does not list the command $command (anycastctl --help does): docs/anycastctl.md"
done
echo "ok: anycastctl(8) lists every command of anycastctl --help: ${commands//$'\n'/ }"
