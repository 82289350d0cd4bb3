#!/usr/bin/env bash
# dist.bash_completion: dist/bash-completion/anycastctl in a plain bash (--norc, no
# bash-completion package loaded), against a real anycastd with two groups in the namespace lab.
# The completion function is called as bash calls it, with COMP_WORDS and COMP_CWORD set, and
# COMPREPLY is checked:
#   1. no daemon on the socket: drain completes to nothing, with nothing on stderr, quickly;
#   2. `complete -p anycastctl` names the function, and bash-completion's loader finds the file
#      under share/bash-completion/completions;
#   3. commands (dr -> drain, and every command of anycastctl --help for an empty word);
#   4. options, the capture options only after capture;
#   5. the daemon's group names (and all) after drain, undrain and check, with --socket PATH and
#      --socket=PATH; nothing after status or after a group;
#   6. files after --socket;
#   7. the daemon stopped: drain completes to nothing again, quietly.
#
#   bash_completion_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT COMPLETION_FILE
set -euo pipefail

usage="usage: bash_completion_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT COMPLETION_FILE"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
COMPLETION=${4:?$usage}

LAB_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../lab" && pwd)"
# shellcheck source=../lab/lab.sh
source "$LAB_SCRIPTS/lab.sh"
[[ -x "$ANYCASTCTL" ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"
[[ -r "$COMPLETION" ]] || lab_fail "completion file not found: $COMPLETION"
lab_require_root
lab_setup "$XDP_PASS"

SOCK="$LAB_TMP/anycastd.sock"
CONF="$LAB_TMP/anycastd.toml"
lab_write_config "$CONF"
cat >>"$CONF" <<EOF

[[group]]
name = "edge-dns"
addresses = ["192.0.2.10"]

[[group]]
name = "edge_ntp.b"
addresses = ["192.0.2.20"]
EOF

# The anycastctl under test is the one on PATH, as for an operator: the completion asks the
# anycastctl it completes.
PATH="$(dirname "$ANYCASTCTL"):$PATH"
[[ "$(command -v anycastctl)" -ef "$ANYCASTCTL" ]] || lab_fail "anycastctl on PATH is not $ANYCASTCTL"

# complete WORD... : the completions bash would offer for the line WORD... (the last word the one
# being completed, "" for a new word), sorted, space-separated. Anything the completion writes on
# stderr fails the test.
complete_line() {
	local err="$LAB_TMP/completion.err" out
	out=$(bash --norc --noprofile -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_anycastctl anycastctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd " "
		exit 0' complete "$COMPLETION" anycastctl "$@" 2>"$err")
	[[ -s $err ]] && lab_fail "completing 'anycastctl $*' wrote on stderr: $(cat "$err")"
	echo "$out"
}

expect_completion() {
	local want=$1
	shift
	local got
	got=$(complete_line "$@")
	[[ $got == "$want" ]] || lab_fail "completing 'anycastctl $*': expected '$want', got '$got'"
	lab_log "ok: 'anycastctl $*' completes to '$want'"
}

# 1. No daemon yet.
start=$(date +%s%N)
expect_completion "" --socket "$SOCK" drain ""
ms=$((($(date +%s%N) - start) / 1000000))
lab_log "completing a group with no daemon took $ms ms"
((ms < 2000)) || lab_fail "completing a group with no daemon took $ms ms (at most 2000)"

# 2. Registered for anycastctl, with the function.
registered=$(bash --norc --noprofile -c 'source "$1"; complete -p anycastctl' complete "$COMPLETION")
[[ $registered == "complete -F _anycastctl anycastctl" ]] ||
	lab_fail "complete -p anycastctl: expected 'complete -F _anycastctl anycastctl', got '$registered'"
lab_log "ok: complete -p anycastctl: $registered"

# 2b. bash-completion (the package) finds it where dist/CMakeLists.txt installs it, by its name,
# the first time anycastctl is completed.
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
[[ -r $BASH_COMPLETION ]] || lab_fail "$BASH_COMPLETION not found: install bash-completion (scripts/deps.sh)"
install -D -m 0644 "$COMPLETION" "$LAB_TMP/prefix/share/bash-completion/completions/anycastctl"
loaded=$(XDG_DATA_DIRS="$LAB_TMP/prefix/share" bash --norc --noprofile -c \
	'source "$1"; __load_completion anycastctl && complete -p anycastctl' complete "$BASH_COMPLETION")
[[ $loaded == "complete -F _anycastctl anycastctl" ]] ||
	lab_fail "bash-completion did not load the completion from share/bash-completion/completions: '$loaded'"
lab_log "ok: bash-completion loads it from share/bash-completion/completions/anycastctl"

# 3. Commands: every one of --help's, and a prefix.
commands=$(anycastctl --help | awk '/^commands:$/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' | sort | paste -sd " ")
[[ $commands == *drain*groups* ]] || lab_fail "anycastctl --help lists no drain or groups command: $commands"
expect_completion "$commands" ""
expect_completion "drain" dr
expect_completion "undrain" un
expect_completion "restart" --socket "$SOCK" res

# 4. Options.
expect_completion "--socket" --so
expect_completion "--json" status --j
expect_completion "--count" capture -w - --co
expect_completion "" status --co

LAB_WAIT_UP=0 lab_start_anycastd "$ANYCASTD" "$CONF"

# 5. The daemon's groups.
start=$(date +%s%N)
expect_completion "all edge-dns edge_ntp.b" --socket "$SOCK" drain ""
lab_log "completing a group from the running daemon took $((($(date +%s%N) - start) / 1000000)) ms"
expect_completion "edge_ntp.b" --socket "$SOCK" undrain edge_
expect_completion "all edge-dns edge_ntp.b" --socket "$SOCK" --json check ""
expect_completion "all edge-dns edge_ntp.b" --socket = "$SOCK" drain ""
expect_completion "all" drain --socket "$SOCK" a
expect_completion "" --socket "$SOCK" status ""
expect_completion "" --socket "$SOCK" drain edge-dns ""

# 6. Files for --socket.
expect_completion "$SOCK" --socket "$LAB_TMP/anycastd.so"

# 7. The daemon gone.
lab_stop_anycastd 20
[[ $LAB_ANYCASTD_RC == 0 ]] || lab_fail "anycastd exited with $LAB_ANYCASTD_RC"
expect_completion "" --socket "$SOCK" drain ""
lab_log "PASS: dist.bash_completion"
