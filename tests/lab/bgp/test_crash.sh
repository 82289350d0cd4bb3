#!/usr/bin/env bash
# End to end, SPEAKER (bird, frr or gobgp) on both edges, anycastd's route signal of that speaker: failures of the whole thing.
#   6. kill -9 of anycastd on edge1, with edge2 withdrawn (its maintenance file) so that edge1 is
#      the only way to the VIPs: every sample (every 50 ms, for 4 s around the kill; probe.py
#      sample, IPv4 and IPv6) shows either no route via edge1 at the router or the client
#      answered. The route stays (the speaker keeps what anycastd told it; the fast path keeps
#      answering: docs/configuration.md, "After kill -9"). Then anycastd is started again on
#      edge1 (it adopts the running fast path and aliases, and announces) under the same sampling.
#   7. a dead machine: edge1's link is deleted (nothing more leaves edge1, not even a TCP FIN:
#      only BFD can tell), then its namespace with everything in it. The route via edge1 must
#      leave the router's table within 5 s (BFD: about 300 ms); the time is printed, and the
#      client is answered by edge2. With SPEAKER bird only (the lab's FRR and GoBGP run no BFD:
#      the hold time would decide, untested here).
#
#   test_crash.sh SPEAKER ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]
set -euo pipefail

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_speaker_begin test_crash.sh "$@"
e2e_daemon_lab "$SPEAKER" "$SPEAKER"

# edge1 alone: edge2 withdrawn by its maintenance file
touch "$LAB_TMP/edge2.disable"
e2e_wait_route absent edge2 15 "" 4 >/dev/null
e2e_wait_route absent edge2 15 "" 6 >/dev/null
lab_log "edge2 withdrawn (maintenance file): edge1 is the only route"
e2e_show_router_routes

# sampled EVENT ACTION: samples (v4 and v6) from 1 s before ACTION to 3 s after it; every sample
# must satisfy "no route via edge1, or answered".
sampled() {
	local what=$1 action=$2 out4 out6
	e2e_probe_bg "$LAB_TMP/sample4.out" sample "$VIP4" 7 --router "$E2E_ROUTER" \
		--via "${E2E_EDGE_V4[edge1]}" --interval 0.05 --duration 4 --timeout 0.5
	local p4=$E2E_BG_PID
	e2e_probe_bg "$LAB_TMP/sample6.out" sample "$VIP6" 7 --router "$E2E_ROUTER" \
		--via "${E2E_EDGE_V6[edge1]},${E2E_LL6[edge1]}" --interval 0.05 --duration 4 --timeout 0.5
	local p6=$E2E_BG_PID
	sleep 1
	eval "$action"
	wait "$p4" || true
	wait "$p6" || true
	out4=$(tail -n 1 "$LAB_TMP/sample4.out")
	out6=$(tail -n 1 "$LAB_TMP/sample6.out")
	lab_log "$what, IPv4 samples: $out4"
	lab_log "$what, IPv6 samples: $out6"
	lab_expect_eq "$what: IPv4 samples with a route via edge1 and no answer" 0 "$(lab_field "$out4" violations)"
	lab_expect_eq "$what: IPv6 samples with a route via edge1 and no answer" 0 "$(lab_field "$out6" violations)"
	# The sampling covered the event: about 80 samples in 4 s on an idle machine, 18-22 with both
	# cores busy (each sample is a probe and an `ip route`); 10 still spans the second before the
	# action and the seconds after it.
	(($(lab_field "$out4" samples) >= 10)) || lab_fail "$what: expected at least 10 samples in 4 s: $out4"
}

# --- 6. kill -9 ---
sampled "kill -9 of edge1's anycastd ($SPEAKER)" 'kill -KILL "${E2E_ANYCASTD_PID[edge1]}"'
wait "${E2E_ANYCASTD_PID[edge1]}" 2>/dev/null || true
E2E_ANYCASTD_PID[edge1]=""
e2e_route_via edge1 4 || lab_fail "after kill -9 of anycastd: expected the route via edge1 to stay ($SPEAKER keeps it)"
lab_log "ok: after kill -9 of anycastd the route via edge1 stayed ($SPEAKER keeps it) and the fast path answered"
lab_log "edge1 after kill -9: XDP $(lab_has_xdp "${E2E_NS[edge1]}" "$E2E_EDGE_IF" && echo attached || echo gone)," \
	"VIPs on lo: $(ip -n "${E2E_NS[edge1]}" -br addr show dev lo | cut -c1-200)"

# anycastd started again on edge1 after the crash: it takes over what the dead one left
sampled "anycastd restarted on edge1 after kill -9 ($SPEAKER)" \
	'E2E_START_US[edge1]=$(e2e_now_us); e2e_start_anycastd edge1 "$LAB_TMP/edge1.toml"'
e2e_route_via edge1 4 || lab_fail "expected the route via edge1 after anycastd's restart"
lab_expect_echo "echo $VIP4:7 after edge1's restart" 10 "$VIP4" 7 --count 10

# --- 7. dead machine (BFD: BIRD only) ---
if [[ $SPEAKER != bird ]]; then
	lab_log "PASS"
	exit 0
fi
rm -f "$LAB_TMP/edge2.disable"
e2e_wait_route present edge2 30 "" 4 >/dev/null
e2e_wait_route present edge2 30 "" 6 >/dev/null
e2e_wait_bfd edge1
e2e_wait_bfd edge2
lab_log "edge2 back; both BFD sessions up"
e2e_show_router_routes
t0=$(e2e_now_us)
ip -n "${E2E_NS[edge1]}" link del "$E2E_EDGE_IF"
ms=$(e2e_wait_route absent edge1 5 "$t0" 4)
e2e_measure "edge1's link deleted -> IPv4 route via edge1 gone (BFD)" "$ms"
ms=$(e2e_wait_route absent edge1 5 "$t0" 6)
e2e_measure "edge1's link deleted -> IPv6 route via edge1 gone (BFD)" "$ms"
lab_log "router: $(e2e_birdc router show protocols edge1 | tail -n 1)"
# the rest of the machine: its processes and namespace
E2E_ANYCASTD_PID[edge1]=""
_lab_del_ns "${E2E_NS[edge1]}"
unset 'E2E_NS[edge1]'
e2e_route_via edge2 4 || lab_fail "expected the route via edge2 to stay"
lab_expect_echo "echo $VIP4:7 with edge1 dead (edge2)" 10 "$VIP4" 7 --count 10
lab_expect_echo "echo [$VIP6]:7 with edge1 dead (edge2)" 10 "$VIP6" 7 --count 10

lab_log "PASS"
