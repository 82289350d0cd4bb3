#!/usr/bin/env bash
# End to end, SPEAKER (bird, frr or gobgp: BIRD, FRR's bgpd or gobgpd, from examples/) on both
# edges, anycastd's route signal of that speaker (health interval 200 ms, fast
# 100 ms, rise 3, fall 2, drain 1 s; FRR and GoBGP 4 s: e2e_speaker_timing):
#   1. both edges announce: the router's table has the VIPs via both (ECMP), echo is answered;
#      time from anycastd's launch to the routes at the router;
#   2. edge1's maintenance file: edge1 withdrawn, the client keeps being answered (by edge2);
#      time from the file to the route leaving the router's table;
#   5. the file removed: edge1 back after `rise` checks; time;
#   3. edge1's TCP check fails (its server stopped): withdrawn; time;
#   5. the server back: edge1 back; time.
# A continuous stream of echo runs across each withdrawal (answered while edge1 drains: nothing
# may be lost). Times are printed, not asserted; waits have generous deadlines.
#
#   test_withdraw.sh SPEAKER ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]
set -euo pipefail

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_speaker_begin test_withdraw.sh "$@"

# --- 1. both edges announce ---
e2e_daemon_lab "$SPEAKER" "$SPEAKER"
lab_expect_echo "echo $VIP4:7 with both edges up" 20 "$VIP4" 7 --count 20
lab_expect_echo "echo [$VIP6]:7 with both edges up" 20 "$VIP6" 7 --count 20
declare -A rx0
for edge in edge1 edge2; do rx0[$edge]=$(e2e_answers "$edge"); done
out=$(e2e_probe stream "$VIP4" 7 --duration 1 --interval 0.005 --sockets 32) || lab_fail "stream over both edges: $out"
lab_log "stream over ECMP: $out"
for edge in edge1 edge2; do
	n=$(($(e2e_answers "$edge") - rx0[$edge]))
	((n >= 20)) || lab_fail "expected $edge to answer a share of the stream (ECMP), it answered $n"
	lab_log "ok: $edge answered $n of the 200 streamed"
done
e2e_log_status edge1

# --- 2. maintenance file; 5. removed ---
e2e_withdrawn_by "maintenance file created on edge1 ($SPEAKER)" 'touch "$LAB_TMP/edge1.disable"'
e2e_back_by "maintenance file removed on edge1 ($SPEAKER)" 'rm -f "$LAB_TMP/edge1.disable"'

# --- 3. failing TCP check; 5. server back ---
sleep 1 # let edge1 settle in `up` (hold-down, if any, counts from the last change)
e2e_withdrawn_by "TCP check server stopped on edge1 ($SPEAKER)" 'e2e_stop_tcp_server edge1'
e2e_back_by "TCP check server restarted on edge1 ($SPEAKER)" 'e2e_start_tcp_server edge1'

lab_log "PASS"
