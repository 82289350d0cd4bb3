#!/usr/bin/env bash
# State-change hooks ([[hook]], docs/hooks.md) with a real anycastd in the namespace lab, the
# alias route signal, checks every 500 ms (100 ms while rising or falling), rise 2, fall 2 (a
# check's 400 ms timeout, so that a loaded machine does not make the group flap).
#
#   test_hooks_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
#
#   1. start: the recording hook writes "default down ready" and "default ready up" with a
#      timestamp; status (text and --json) and the metrics show its runs.
#      A hook that does not exist is refused by --check and by a reload (naming it); a reload
#      that changes a hook's timeout takes effect without a state change.
#   2. an exec check failing: the hook records up -> draining -> ready; passing again: ready ->
#      up.
#   3. a hook that ignores SIGTERM and leaves a child, both hanging, running when `anycastctl
#      restart` comes: the old image kills their process group at the hook's timeout before the
#      exec; after the restart neither process runs, and neither is a zombie child of anycastd.
#   4. the same at SIGTERM: anycastd exits 0, the hook's processes are gone, the recording hook
#      heard the last change (draining -> down) before the exit.
#   Throughout, a third hook with `states = ["draining", "down"]` records only the changes into
#   those states (status shows its filter), the SIGTERM's draining -> down last.
#
# Processes the hook orphaned are reparented to init, which reaps them; in a container whose
# pid 1 does not reap, a killed orphan stays a zombie of pid 1: the lab checks that no process of
# the hook runs and that anycastd has no zombie child.
set -euo pipefail

usage="usage: test_hooks_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
VIP4=192.0.2.10

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
[[ -x "$ANYCASTCTL" ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"
lab_require_root
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"

CONF="$LAB_TMP/anycastd.toml"
SOCK="$LAB_TMP/anycastd.sock"
SICK="$LAB_TMP/sick"
SLOW="$LAB_TMP/slow"       # present: the hanging hook hangs
STATES="$LAB_TMP/states.log"
FILTERED="$LAB_TMP/filtered.log" # the filtered hook's record
ctl() { "$ANYCASTCTL" --socket "$SOCK" "$@"; }

# The recording hook and the hanging one.
cat >"$LAB_TMP/record.sh" <<-EOF
	#!/bin/sh
	echo "\$ANYCASTD_GROUP \$ANYCASTD_OLD_STATE \$ANYCASTD_NEW_STATE \$ANYCASTD_TIME \$ANYCASTD_CHANGES" >>"$STATES"
	echo "recorded \$ANYCASTD_NEW_STATE"
EOF
cat >"$LAB_TMP/hang.sh" <<-EOF
	#!/bin/sh
	[ -e "$SLOW" ] || exit 0
	trap '' TERM
	(trap '' TERM; exec sleep 300) &
	echo "\$\$ \$!" >>"$LAB_TMP/hang.pids"
	while :; do sleep 1; done
EOF
cat >"$LAB_TMP/filtered.sh" <<-EOF
	#!/bin/sh
	echo "\$ANYCASTD_OLD_STATE \$ANYCASTD_NEW_STATE \$ANYCASTD_CHANGES" >>"$FILTERED"
EOF
chmod 755 "$LAB_TMP/record.sh" "$LAB_TMP/hang.sh" "$LAB_TMP/filtered.sh"

lab_write_config "$CONF" "$VIP4"
cat >>"$CONF" <<-EOF

	[health]
	interval_ms = 500
	fast_interval_ms = 100
	rise = 2
	fall = 2
	disable_file = "$LAB_TMP/disable"

	[[health.check]]
	kind = "exec"
	command = "test ! -e $SICK"
	timeout_ms = 400

	[route]
	signal = "alias"
	drain_ms = 300

	[metrics]
	listen = ""

	[[hook]]
	command = ["$LAB_TMP/record.sh"]
	timeout_ms = 5000

	[[hook]]
	command = ["$LAB_TMP/hang.sh"]
	timeout_ms = 1000
	groups = ["default"]

	[[hook]]
	command = ["$LAB_TMP/filtered.sh"]
	states = ["draining", "down"]
EOF

# wait_states N: until the recording hook wrote N lines (up to 20 s).
wait_states() {
	local deadline=$((SECONDS + 20))
	until [[ -f $STATES ]] && (($(wc -l <"$STATES") >= $1)); do
		((SECONDS < deadline)) || { lab_dump_anycastd_log; cat "$STATES" >&2 || true; lab_fail "expected $1 recorded changes within 20 s"; }
		sleep 0.05
	done
}
# line N of the record, without the timestamp and the count
state_line() { sed -n "${1}p" "$STATES" | cut -d' ' -f1-3; }

# no_hook_processes: no pid of hang.pids runs, and anycastd (pid $1, if given) has no zombie child.
no_hook_processes() {
	local pid stat
	for pid in $(cat "$LAB_TMP/hang.pids"); do
		stat=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
		[[ -z $stat || $stat == Z ]] || lab_fail "$2: hook process $pid still runs (state $stat)"
		if [[ -n $stat && -n ${1:-} ]]; then
			local ppid
			ppid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null || true)
			[[ $ppid != "$1" ]] || lab_fail "$2: hook process $pid is a zombie child of anycastd"
		fi
	done
	if [[ -n ${1:-} ]] && ps -eo ppid=,stat= | awk -v p="$1" '$1 == p && $2 ~ /^Z/ { found = 1 } END { exit !found }'; then
		lab_fail "$2: anycastd has a zombie child"
	fi
	lab_log "$2: $(wc -w <"$LAB_TMP/hang.pids") hook processes recorded, none runs"
}

# --- 1. start ---
lab_start_anycastd "$ANYCASTD" "$CONF"
wait_states 2
lab_expect_eq "first change recorded" "default down ready" "$(state_line 1)"
lab_expect_eq "second change recorded" "default ready up" "$(state_line 2)"
grep -qE '^default ready up [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z 1$' "$STATES" ||
	lab_fail "expected an RFC 3339 timestamp and a count in: $(cat "$STATES")"
# The runs are counted once each hook's run ended: the record shows the change, the status may lag.
deadline=$((SECONDS + 20))
until ctl status --json | python3 -c '
import json, sys
h = json.load(sys.stdin)["status"]["groups"][0]["hooks"]["hooks"]
sys.exit(0 if h[0]["runs"] >= 2 and h[1]["runs"] >= 2 else 1)'; do
	((SECONDS < deadline)) || lab_fail "status --json: expected 2 runs of each hook"
	sleep 0.1
done
json=$(ctl status --json)
python3 - "$json" "$LAB_TMP" <<-'EOF' || lab_fail "status --json hooks: unexpected content"
	import json, sys
	g = json.loads(sys.argv[1])["status"]["groups"][0]
	h = g["hooks"]["hooks"]
	assert h[0]["command"] == [sys.argv[2] + "/record.sh"], h[0]
	assert h[0]["failures"] == 0 and h[0]["last"]["ok"], h[0]
	assert h[0]["last"]["output"] == "recorded " + h[0]["last"]["new_state"] + "\n", h[0]
	assert h[0]["last"]["result"] == "exit 0", h[0]
	assert h[1]["hook"] == 1 and h[1]["timeout_ms"] == 1000 and h[1]["states"] == [], h[1]
	assert h[2]["states"] == ["draining", "down"] and h[2]["runs"] == 0, h[2]
EOF
text=$(ctl status)
grep -q "hook\[0\]: *$LAB_TMP/record.sh: 2 runs, 0 failures" <<<"$text" || { echo "$text" >&2; lab_fail "status text: expected hook[0]'s runs"; }
grep -q "output:  recorded up" <<<"$text" || { echo "$text" >&2; lab_fail "status text: expected the last output"; }
grep -q "hook\[2\]: *$LAB_TMP/filtered.sh (on draining, down): 0 runs" <<<"$text" || { echo "$text" >&2; lab_fail "status text: expected hook[2]'s states"; }
[[ -e $FILTERED ]] && lab_fail "the hook filtered on draining and down ran for: $(cat "$FILTERED")"

# A hook that is not there: refused by --check and by a reload, naming it; the running hooks stay.
cp "$CONF" "$LAB_TMP/good.toml"
sed -i "s|\"$LAB_TMP/record.sh\"|\"$LAB_TMP/missing.sh\"|" "$CONF"
want="hook[0].command[0]: \"$LAB_TMP/missing.sh\": No such file or directory"
out=$("$ANYCASTD" --check --config "$CONF" 2>&1) && lab_fail "--check accepted a missing hook: $out"
grep -qF "$want" <<<"$out" || lab_fail "--check: expected '$want', seen: $out"
out=$(ctl reload 2>&1) && lab_fail "reload accepted a missing hook: $out"
grep -qF "$want" <<<"$out" || lab_fail "reload: expected '$want', seen: $out"
lab_log "missing hook refused: $out"
# A reload that changes a hook's timeout: taken without restarting the group.
sed "s|timeout_ms = 5000|timeout_ms = 4000|" "$LAB_TMP/good.toml" >"$CONF"
ctl reload >/dev/null || lab_fail "reload with a changed hook timeout failed"
lab_expect_eq "reloaded hook timeout" 4000 \
	"$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["groups"][0]["hooks"]["hooks"][0]["timeout_ms"])')"
lab_expect_eq "the group stays up across the hook reload" "default ready up" "$(tail -n 1 "$STATES" | cut -d' ' -f1-3)"

# --- 2. a failing health check ---
seen=$(wc -l <"$STATES")
touch "$SICK"
wait_states $((seen + 2))
lab_expect_eq "check fails: withdrawn" "default up draining" "$(state_line $((seen + 1)))"
lab_expect_eq "drain over: answering, not announced" "default draining ready" "$(state_line $((seen + 2)))"
rm -f "$SICK"
wait_states $((seen + 3))
lab_expect_eq "check passes: announced again" "default ready up" "$(state_line $((seen + 3)))"

# --- 3. a hook hanging at anycastctl restart ---
touch "$SLOW"
: >"$LAB_TMP/hang.pids"
ctl drain default >/dev/null
deadline=$((SECONDS + 20))
until [[ -s "$LAB_TMP/hang.pids" ]]; do
	((SECONDS < deadline)) || lab_fail "the hanging hook did not start within 20 s"
	sleep 0.05
done
lab_log "hanging hook running: $(cat "$LAB_TMP/hang.pids")"
pid_before=$LAB_ANYCASTD_PID
ctl restart >/dev/null || lab_fail "anycastctl restart failed"
deadline=$((SECONDS + 30))
until (($(grep -c "anycastd started" "$LAB_ANYCASTD_LOG") >= 2)); do
	((SECONDS < deadline)) || { lab_dump_anycastd_log; lab_fail "restart: expected 'anycastd started' again within 30 s"; }
	sleep 0.05
done
lab_expect_eq "restart in place keeps the pid" "$pid_before" "$LAB_ANYCASTD_PID"
grep -q "hang.sh (up -> draining) failed: timed out after 1000 ms: process group killed" "$LAB_ANYCASTD_LOG" ||
	{ lab_dump_anycastd_log; lab_fail "expected the old image to kill the hanging hook at its timeout"; }
no_hook_processes "$LAB_ANYCASTD_PID" "after anycastctl restart"

# --- 4. a hook hanging at SIGTERM ---
ctl undrain default >/dev/null
# Until the group is up again (the hanging hook, still armed, takes its timeout on each change).
deadline=$((SECONDS + 30))
until [[ $(tail -n 1 "$STATES" | cut -d' ' -f3) == up ]]; do
	((SECONDS < deadline)) || { lab_dump_anycastd_log; cat "$STATES" >&2; lab_fail "expected the group up again within 30 s"; }
	sleep 0.05
done
lines=$(wc -l <"$STATES")
: >"$LAB_TMP/hang.pids"
lab_stop_anycastd 60
lab_expect_eq "SIGTERM: exit status" 0 "$LAB_ANYCASTD_RC"
[[ -s "$LAB_TMP/hang.pids" ]] || lab_fail "SIGTERM: the hanging hook never ran"
no_hook_processes "" "after SIGTERM"
lab_expect_eq "SIGTERM: withdrawn, recorded" "default up draining" "$(state_line $((lines + 1)))"
lab_expect_eq "SIGTERM: down, recorded before the exit" "default draining down" "$(state_line $((lines + 2)))"
# The filtered hook: only changes into draining or down (a coalesced one, count > 1, may end
# elsewhere, having passed through one).
lab_log "the hook on draining and down recorded: $(tr '\n' ';' <"$FILTERED")"
if awk '$3 == 1 && $2 != "draining" && $2 != "down" { bad = 1 } END { exit !bad }' "$FILTERED"; then
	lab_fail "the hook filtered on draining and down ran for another state: $(cat "$FILTERED")"
fi
grep -q "^up draining " "$FILTERED" || lab_fail "the filtered hook missed up -> draining: $(cat "$FILTERED")"
lab_expect_eq "the filtered hook's last change (SIGTERM)" "draining down" "$(tail -n 1 "$FILTERED" | cut -d' ' -f1-2)"
lab_log "hooks lab passed"
