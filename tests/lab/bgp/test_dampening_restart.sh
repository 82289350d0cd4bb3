#!/usr/bin/env bash
# End to end, BIRD on edge1, anycastd's `bird` signal, [health.dampening] with a 6 s half-life:
#   1. edge1's group flaps (an exec check the lab fails and passes) until dampening suppresses
#      it: status shows the penalty above reuse and `suppressed`; healthy again, the group waits
#      in `ready` and the router has no route via edge1;
#   2. `anycastctl restart`: the new image shows the handed-over penalty (decayed, so only
#      checked to be above reuse) and `suppressed`, and keeps the group withdrawn at the router;
#   3. once the penalty has decayed under reuse, the group is announced again (up, not
#      suppressed). Times are printed, never asserted.
#
#   test_dampening_restart.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL
set -euo pipefail

ANYCASTD=${1:?usage: test_dampening_restart.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL}
XDP_PASS=${2:?usage: test_dampening_restart.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL}
ANYCASTCTL=${3:?usage: test_dampening_restart.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL}
REUSE=300

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_set_binaries "$ANYCASTD" "$ANYCASTCTL"
e2e_setup "$XDP_PASS"
E2E_INTERVAL_MS=500 # room for the exec check's 400 ms timeout
E2E_DRAIN_MS=300 # flaps come faster; the drain itself is lab.bird_drain's

# Only the router and edge1: the flaps are edge1's alone.
e2e_start_router_bird
e2e_start_speaker edge1 bird
e2e_wait_session edge1
e2e_learn_ll6
fail="$LAB_TMP/edge1.fail"
# Each withdrawal adds 1000; at 1500 the group is suppressed, under 300 reused: two flaps within
# a half-life suppress it, and the penalty then takes about 15 s to decay to reuse, well over
# what a restart needs (a 3 s half-life was too short here: a restart on a loaded machine took
# 4.9 s, and the penalty had decayed before the new image's status was read).
e2e_anycastd_config edge1 "$LAB_TMP/edge1.toml" bird "$(
	cat <<-EOF
		[[health.check]]
		kind = "exec"
		timeout_ms = 400 # not half the interval: a loaded machine forks slowly
		command = "test ! -e $fail"

		[health.dampening]
		penalty = 1000
		suppress = 1500
		reuse = $REUSE
		half_life_ms = 6000
	EOF
)"
E2E_START_US[edge1]=$(e2e_now_us)
e2e_start_anycastd edge1 "$LAB_TMP/edge1.toml"
e2e_wait_announced edge1

# above_reuse PENALTY: true when the status's penalty (a JSON number) is above reuse.
above_reuse() { "$E2E_PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$1" "$REUSE"; }

# --- 1. flap until suppressed ---
suppressed=false
for flap in 1 2 3 4 5 6; do
	touch "$fail"
	e2e_wait_route absent edge1 15 "" 4 >/dev/null
	suppressed=$(e2e_group_field edge1 suppressed)
	lab_log "flap $flap: withdrawn, penalty $(e2e_group_field edge1 penalty), suppressed $suppressed"
	rm -f "$fail"
	[[ $suppressed == true ]] && break
	e2e_wait_route present edge1 15 "" 4 >/dev/null
done
[[ $suppressed == true ]] || lab_fail "edge1's group not suppressed after $flap flaps: $(e2e_status edge1)"
e2e_wait_group edge1 state ready
penalty=$(e2e_group_field edge1 penalty)
above_reuse "$penalty" || lab_fail "a suppressed group's penalty ($penalty) must be above reuse ($REUSE)"
e2e_route_via edge1 4 && lab_fail "edge1 announced while suppressed: $(ip -n "$E2E_ROUTER" route show "$VIP4/32")"
lab_log "ok: suppressed after $flap flaps, healthy and waiting in ready, penalty $penalty, no route via edge1"

# --- 2. restart in place ---
log=${E2E_ANYCASTD_LOG[edge1]}
started_before=$(grep -c "anycastd started" "$log")
# The router's route via edge1, polled every 10 ms from before the restart until it is back.
e2e_probe_bg "$LAB_TMP/watch4.out" watch "$VIP4" --router "$E2E_ROUTER" --via "${E2E_EDGE_V4[edge1]}" --interval 0.01 \
	--ready-file "$LAB_TMP/watch4.ready"
watch4=$E2E_BG_PID
deadline=$((SECONDS + 10))
until [[ -e "$LAB_TMP/watch4.ready" ]]; do
	((SECONDS < deadline)) || lab_fail "the route watch did not start within 10 s: $(cat "$LAB_TMP/watch4.out")"
	sleep 0.01
done
t0=$(e2e_now_us)
out=$(e2e_ctl edge1 restart) || lab_fail "anycastctl restart on edge1 failed: $out"
deadline=$((SECONDS + 30))
until (($(grep -c "anycastd started" "$log") > started_before)); do
	((SECONDS < deadline)) || lab_fail "no new 'anycastd started' on edge1 within 30 s of the restart: $(tail -n 30 "$log")"
	sleep 0.01
done
e2e_measure "anycastctl restart -> new image logged 'anycastd started'" "$(e2e_since_ms "$t0")"
after=$(e2e_group_field edge1 penalty)
lab_log "the new image: penalty $after (the old one showed $penalty), suppressed $(e2e_group_field edge1 suppressed), state $(e2e_group_field edge1 state)"
lab_expect_eq "suppressed after the restart" true "$(e2e_group_field edge1 suppressed)"
above_reuse "$after" || lab_fail "the new image's penalty ($after) is not above reuse ($REUSE): not handed over?"
e2e_route_via edge1 4 && lab_fail "edge1 announced right after the restart while suppressed"

# --- 3. decayed under reuse: announced again ---
ms=$(e2e_wait_route present edge1 30 "$t0" 4)
e2e_measure "anycastctl restart -> IPv4 route via edge1 back (penalty decayed under reuse)" "$ms"
kill -TERM "$watch4" 2>/dev/null || true
wait "$watch4" || true
w=$(tail -n 1 "$LAB_TMP/watch4.out")
lab_log "router's IPv4 route via edge1, polled from the restart on: $w"
# one change, to present (so absent before it): never announced early and withdrawn again
[[ $(lab_field "$w" changes) =~ ^[0-9]+:present$ ]] || lab_fail "expected the route via edge1 to come back exactly once after the restart: $w"
lab_expect_eq "edge1's group state once the penalty decayed" up "$(e2e_group_field edge1 state)"
lab_expect_eq "suppressed once the penalty decayed" false "$(e2e_group_field edge1 suppressed)"
e2e_log_status edge1

lab_log "PASS"
