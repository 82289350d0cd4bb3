#!/usr/bin/env bash
# docs.route_signals_bird: every ```bird block of docs/route-signals.md (the per-state protocols
# an operator writes) is, line for line, in examples/bird/edge.conf, which the route labs run: the
# documented BIRD config is the tested one.
#
#   docs_bird_check.sh ROUTE_SIGNALS_MD EDGE_CONF
set -euo pipefail
doc=$1 conf=$2
blocks=0
block=""
inside=0
while IFS= read -r line; do
	if ((inside)); then
		if [[ $line == '```' ]]; then
			inside=0
			blocks=$((blocks + 1))
			# grep -F with a multi-line pattern matches any one line: compare whole text instead.
			if [[ $(<"$conf") != *"$block"* ]]; then
				printf 'docs/route-signals.md block %d is not in %s:\n%s\n' "$blocks" "$conf" "$block" >&2
				exit 1
			fi
		else
			block+="$line"$'\n'
		fi
	elif [[ $line == '```bird' ]]; then
		inside=1
		block=""
	fi
done <"$doc"
if ((blocks == 0)); then
	echo "no \`\`\`bird block in $doc" >&2
	exit 1
fi
echo "the $blocks BIRD blocks of $doc are in $conf"
