#!/usr/bin/env bash
# End to end, SPEAKER (bird, frr or gobgp) on both edges, anycastd's route signal of that speaker: 8. restart without withdrawal. With edge1 withdrawn (its
# maintenance file), edge2 carries every client; `anycastctl restart` on edge2 re-executes
# anycastd, which adopts the running fast path, aliases and announced routes. Across it, the
# router's route via edge2 is polled every 10 ms (probe.py watch, IPv4 and IPv6) and must never
# be missing, and the echo streams (IPv4 and IPv6, every 10 ms) must lose nothing. Printed: the
# time from the command to the new instance's "anycastd started", the program ids before and
# after.
#
#   test_restart.sh SPEAKER ANYCASTD XDP_PASS_OBJECT ANYCASTCTL
set -euo pipefail

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_speaker_begin test_restart.sh ctl "$@"
e2e_daemon_lab "$SPEAKER" "$SPEAKER"

touch "$LAB_TMP/edge1.disable"
e2e_wait_route absent edge1 15 "" 4 >/dev/null
e2e_wait_route absent edge1 15 "" 6 >/dev/null
lab_log "edge1 withdrawn (maintenance file): edge2 carries every client"
sleep 1 # edge2 settled in `up`

xdp_prog() { ip -n "${E2E_NS[edge2]}" -d link show dev "$E2E_EDGE_IF" | grep -oE 'prog/xdp id [0-9]+|xdp.*id [0-9]+' | grep -oE '[0-9]+$' | head -n 1; }
prog_before=$(xdp_prog)
pid_before=${E2E_ANYCASTD_PID[edge2]}
log=${E2E_ANYCASTD_LOG[edge2]}
started_before=$(grep -c "anycastd started" "$log")
e2e_log_status edge2

e2e_probe_bg "$LAB_TMP/watch4.out" watch "$VIP4" --router "$E2E_ROUTER" --via "${E2E_EDGE_V4[edge2]}" --interval 0.01
watch4=$E2E_BG_PID
e2e_probe_bg "$LAB_TMP/watch6.out" watch "$VIP6" --router "$E2E_ROUTER" --via "${E2E_EDGE_V6[edge2]},${E2E_LL6[edge2]}" --interval 0.01
watch6=$E2E_BG_PID
e2e_stream_start restart
sleep 1

t0=$(e2e_now_us)
out=$(e2e_ctl edge2 restart) || lab_fail "anycastctl restart on edge2 failed: $out"
lab_log "anycastctl restart: $out"
e2e_measure "anycastctl restart on edge2 ($SPEAKER) -> command returned" "$(e2e_since_ms "$t0")"
deadline=$((SECONDS + 30))
until (($(grep -c "anycastd started" "$log") > started_before)); do
	kill -0 "$pid_before" 2>/dev/null || lab_fail "anycastd on edge2 is gone after the restart: $(tail -n 30 "$log")"
	((SECONDS < deadline)) || lab_fail "no new 'anycastd started' on edge2 within 30 s of the restart: $(tail -n 30 "$log")"
	sleep 0.01
done
e2e_measure "anycastctl restart on edge2 ($SPEAKER) -> new instance logged 'anycastd started'" "$(e2e_since_ms "$t0")"
sleep 2 # several health rounds of the new instance (past rise)

kill -TERM "$watch4" "$watch6"
wait "$watch4" || true
wait "$watch6" || true
e2e_stream_check "across anycastctl restart of edge2" restart
for fam in 4 6; do
	w=$(tail -n 1 "$LAB_TMP/watch$fam.out")
	lab_log "router's IPv$fam route via edge2, polled across the restart: $w"
	lab_expect_eq "IPv$fam polls without the route via edge2 during the restart" 0 "$(lab_field "$w" absent)"
done

prog_after=$(xdp_prog)
lab_log "edge2: pid $pid_before before, $(kill -0 "$pid_before" 2>/dev/null && echo "same pid running" || echo "pid gone"); XDP program id $prog_before before, $prog_after after"
e2e_log_status edge2
state=$(e2e_group_state edge2)
lab_expect_eq "edge2's group state after the restart" up "$state"
lab_expect_echo "echo $VIP4:7 after the restart (edge2)" 10 "$VIP4" 7 --count 10

lab_log "PASS"
