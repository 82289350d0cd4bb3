#!/usr/bin/env bash
# End to end, the routing daemon failing under anycastd: SPEAKER (frr: FRR's bgpd, or gobgp:
# gobgpd) on both edges, anycastd's route signal of that speaker, the signal's timeout_ms 10 s,
# BGP hold time 90 s (so that a speaker stopped for a while keeps its session, on a busy machine too):
#   1. the speaker down when anycastd starts (bgpd stopped, zebra up; gobgpd stopped): edge1's
#      announcement fails and is retried; its status shows the signal unreachable and the failed
#      commands counted; no route via edge1. The speaker started: edge1 announced (time),
#      the status shows the last command ok, the failures still counted.
#   2. the speaker hanging (SIGSTOP) when edge1 must withdraw (its maintenance file): the call
#      gives up, vtysh at timeout_ms (its process group killed: "timed out"), the gobgp CLI by
#      itself after 1 s ("context deadline exceeded"); never more than one vtysh or gobgp child at
#      a time (sampled); counted and shown in status; the route stays while the speaker cannot
#      be told. SIGCONT: the retried withdrawal lands (time).
#   3. kill -9 of the speaker under an announced group: per docs/route-signals.md, bgpd's routes
#      stay at the router (graceful restart: stale until the restarted bgpd's End-of-RIB),
#      gobgpd's go at once (time). anycastd's probe (every 5 s) shows the signal unreachable.
#      The speaker restarted: it comes back withdrawn, the probe sees it, anycastd announces again
#      (logged "announcing again"); time to the route via edge1 at the router.
# Times are printed, not asserted.
#
#   test_speaker_faults.sh frr|gobgp ANYCASTD XDP_PASS_OBJECT ANYCASTCTL
set -euo pipefail

usage="usage: test_speaker_faults.sh frr|gobgp ANYCASTD XDP_PASS_OBJECT ANYCASTCTL"
SPEAKER=${1:?$usage}
ANYCASTD=${2:?$usage}
XDP_PASS=${3:?$usage}
ANYCASTCTL=${4:?$usage}
case $SPEAKER in
frr) cli=vtysh daemon=bgpd ;;
gobgp) cli=gobgp daemon=gobgpd ;;
*) echo "$usage" >&2; exit 2 ;;
esac

export E2E_HOLD_S=90 E2E_SIGNAL_TIMEOUT_MS=10000
# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_set_binaries "$ANYCASTD" "$ANYCASTCTL"
e2e_setup "$XDP_PASS"

# start_speaker EDGE: the edge's bgpd (zebra still running) or gobgpd, started again.
start_speaker() {
	if [[ $SPEAKER == frr ]]; then e2e_start_edge_bgpd "$1"; else e2e_start_edge_gobgp "$1"; fi
}
# kill_speaker EDGE SIGNAL: the edge's bgpd or gobgpd signalled and reaped.
kill_speaker() {
	local pid=${E2E_SPEAKER_PID[$1]} deadline=$((SECONDS + 15))
	kill "-$2" "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || true
}
# wait_signal EDGE DEADLINE_S WHAT TEST: polls `anycastctl status` until the shell TEST (on
# $reachable $failures $consecutive $detail) holds.
wait_signal() {
	local edge=$1 deadline=$((SECONDS + $2)) what=$3 test=$4
	while :; do
		reachable=$(e2e_signal "$edge" reachable)
		failures=$(e2e_signal "$edge" failures)
		consecutive=$(e2e_signal "$edge" consecutive_failures)
		detail=$(e2e_signal "$edge" last_detail)
		eval "$test" && break
		((SECONDS < deadline)) || lab_fail "$edge: expected $what within $2 s; status: $(e2e_status "$edge")"
		sleep 0.2
	done
	lab_log "ok: $edge: $what (reachable $reachable, failures $failures, in a row $consecutive)"
}
# cli_children EDGE: how many vtysh or gobgp processes anycastd on EDGE is running.
cli_children() {
	pgrep -c -P "${E2E_ANYCASTD_PID[$1]}" -x "$cli" || true
}

# --- 1. the speaker down at anycastd's start ---
e2e_start_router_bird
e2e_start_speaker edge1 "$SPEAKER"
e2e_start_speaker edge2 "$SPEAKER"
e2e_wait_session edge1
e2e_wait_session edge2
e2e_learn_ll6
kill_speaker edge1 TERM
lab_log "$daemon on edge1 stopped before anycastd starts"
e2e_start_edge_anycastd edge1 "$SPEAKER"
e2e_start_edge_anycastd edge2 "$SPEAKER"
e2e_wait_announced edge2
wait_signal edge1 30 "announcement failing with $daemon down, counted" \
	'[[ $reachable == false && $failures -ge 2 && $consecutive -ge 2 ]]'
lab_log "edge1 signal: $(e2e_signal edge1 summary)"
e2e_route_via edge1 4 && lab_fail "expected no route via edge1 while its $daemon is down"
lab_expect_eq "edge1's group state with $daemon down (healthy: up, its announcement pending)" up "$(e2e_group_state edge1)"
start_speaker edge1
t0=$(e2e_now_us)
e2e_wait_session edge1
ms=$(e2e_wait_route present edge1 30 "$t0" 4)
e2e_measure "$daemon started after anycastd ($SPEAKER) -> IPv4 route via edge1" "$ms"
ms=$(e2e_wait_route present edge1 30 "$t0" 6)
e2e_measure "$daemon started after anycastd ($SPEAKER) -> IPv6 route via edge1" "$ms"
wait_signal edge1 10 "announced once $daemon is up, the failures still counted" \
	'[[ $reachable == true && $consecutive == 0 && $failures -ge 2 && $(e2e_signal edge1 last_ok) == true ]]'
e2e_log_status edge1

# --- 2. the speaker hanging (SIGSTOP) when edge1 withdraws ---
f0=$(e2e_signal edge1 failures)
kill -STOP "${E2E_SPEAKER_PID[edge1]}"
t0=$(e2e_now_us)
touch "$LAB_TMP/edge1.disable"
max_children=0
deadline=$((SECONDS + 30))
until (($(e2e_signal edge1 failures) > f0)); do
	n=$(cli_children edge1)
	((n > max_children)) && max_children=$n
	((SECONDS < deadline)) || { kill -CONT "${E2E_SPEAKER_PID[edge1]}"; lab_fail "edge1: no failed withdrawal counted within 30 s with $daemon stopped: $(e2e_status edge1)"; }
	sleep 0.2
done
e2e_measure "$daemon stopped, maintenance file -> failed withdrawal in status (timeout_ms $E2E_SIGNAL_TIMEOUT_MS)" "$(e2e_since_ms "$t0")"
detail=$(e2e_signal edge1 last_detail)
lab_log "edge1 signal with $daemon stopped: $(e2e_signal edge1 summary)"
[[ $detail == *"timed out"* || $detail == *"context deadline exceeded"* ]] ||
	lab_fail "expected the status to say the $cli run timed out: $detail"
lab_expect_eq "edge1's signal reachable with $daemon stopped" false "$(e2e_signal edge1 reachable)"
for _ in 1 2 3 4 5 6 7 8 9 10; do # the retries, each bounded in turn
	n=$(cli_children edge1)
	((n > max_children)) && max_children=$n
	sleep 0.2
done
((max_children <= 1)) || lab_fail "expected at most one $cli run at a time, saw $max_children"
lab_log "ok: at most $max_children $cli run at a time while $daemon hangs"
e2e_route_via edge1 4 || lab_fail "expected the route via edge1 to stay while $daemon cannot be told (session kept: hold time ${E2E_HOLD_S} s)"
kill -CONT "${E2E_SPEAKER_PID[edge1]}"
t0=$(e2e_now_us)
ms=$(e2e_wait_route absent edge1 30 "$t0" 4)
e2e_measure "$daemon continued (SIGCONT) -> IPv4 route via edge1 gone (the retried withdrawal)" "$ms"
e2e_wait_route absent edge1 30 "$t0" 6 >/dev/null
wait_signal edge1 10 "withdrawn once $daemon answers again" '[[ $reachable == true && $consecutive == 0 ]]'
lab_log "$cli runs left after $daemon answered: $(cli_children edge1)"
rm -f "$LAB_TMP/edge1.disable"
e2e_wait_route present edge1 30 "" 4 >/dev/null
e2e_wait_route present edge1 30 "" 6 >/dev/null
lab_log "edge1 announced again (maintenance file removed)"

# --- 3. kill -9 of the speaker, and its restart ---
log=${E2E_ANYCASTD_LOG[edge1]}
mark=$(wc -l <"$log")
kill_speaker edge1 KILL
t0=$(e2e_now_us)
if [[ $SPEAKER == gobgp ]]; then
	ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
	e2e_measure "kill -9 of gobgpd on edge1 -> IPv4 route via edge1 gone" "$ms"
else
	sleep 2
	e2e_route_via edge1 4 || lab_fail "expected the route via edge1 to stay after kill -9 of bgpd (graceful restart)"
	lab_log "ok: 2 s after kill -9 of bgpd the route via edge1 is still at the router (graceful restart): $(e2e_birdc router show route for "$VIP4/32" | grep -c 'edge1') line(s) from edge1"
fi
wait_signal edge1 15 "the probe shows $daemon unreachable" '[[ $reachable == false ]]'
start_speaker edge1
t0=$(e2e_now_us)
deadline=$((SECONDS + 30))
until tail -n "+$((mark + 1))" "$log" | grep -q "announcing again"; do
	((SECONDS < deadline)) || lab_fail "edge1: expected anycastd to announce again after $daemon restarted: $(tail -n 20 "$log")"
	sleep 0.05
done
e2e_measure "$daemon restarted on edge1 -> anycastd announcing again" "$(e2e_since_ms "$t0")"
ms=$(e2e_wait_route present edge1 30 "$t0" 4)
e2e_measure "$daemon restarted on edge1 -> IPv4 route via edge1 (again)" "$ms"
ms=$(e2e_wait_route present edge1 30 "$t0" 6)
e2e_measure "$daemon restarted on edge1 -> IPv6 route via edge1 (again)" "$ms"
wait_signal edge1 10 "$daemon back, the signal reachable" '[[ $reachable == true && $consecutive == 0 ]]'
lab_expect_echo "echo $VIP4:7 after $daemon's restart" 10 "$VIP4" 7 --count 10
e2e_log_status edge1

lab_log "PASS"
