#!/usr/bin/env bash
# End to end with ExaBGP 4.2 on edge1 (examples/exabgp/exabgp.conf; anycastd's `exabgp` route
# signal over ExaBGP's named pipes, explicit next hop per family) and BIRD on edge2:
#   1. both edges announce: the router has the VIPs via both, echo is answered;
#   2. edge1's maintenance file: edge1's routes leave the router; time; edge2 answers, nothing lost;
#   5. the file removed: edge1 back after `rise` checks; time;
#   4. SIGTERM drain of edge1 under a continuous stream: nothing lost; time to the route gone.
#
#   test_exabgp_withdraw.sh ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]
set -euo pipefail

ANYCASTD=${1:?usage: test_exabgp_withdraw.sh ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]}
XDP_PASS=${2:?usage: test_exabgp_withdraw.sh ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]}
ANYCASTCTL=${3:-}

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_set_binaries "$ANYCASTD" "$ANYCASTCTL"
e2e_setup "$XDP_PASS"

# --- 1. both announce ---
e2e_daemon_lab exabgp bird
e2e_birdc router show route for "$VIP6/128" all | grep -E "BGP.next_hop|unicast" | sed 's/^/    router: /' >&2
lab_expect_echo "echo $VIP4:7 with both edges up" 20 "$VIP4" 7 --count 20
lab_expect_echo "echo [$VIP6]:7 with both edges up" 20 "$VIP6" 7 --count 20
e2e_log_status edge1

# --- 2. maintenance file; 5. removed ---
e2e_withdrawn_by "maintenance file created on edge1 (ExaBGP)" 'touch "$LAB_TMP/edge1.disable"'
e2e_back_by "maintenance file removed on edge1 (ExaBGP)" 'rm -f "$LAB_TMP/edge1.disable"'

# --- 4. SIGTERM drain, nothing lost ---
sleep 0.5
r0=$(e2e_answers edge1)
e2e_stream_start sigterm
e2e_wait_share edge1 "$r0" # edge1 carries its share before the signal
t0=$(e2e_now_us)
kill -TERM "${E2E_ANYCASTD_PID[edge1]}"
ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
e2e_measure "SIGTERM to edge1's anycastd (ExaBGP) -> IPv4 route via edge1 gone" "$ms"
ms=$(e2e_wait_route absent edge1 15 "$t0" 6)
e2e_measure "SIGTERM to edge1's anycastd (ExaBGP) -> IPv6 route via edge1 gone" "$ms"
e2e_wait_exit edge1 20
e2e_measure "SIGTERM to edge1's anycastd (ExaBGP) -> anycastd exited" "$(e2e_since_ms "$t0")"
lab_expect_eq "edge1 anycastd exit code after SIGTERM" 0 "$E2E_RC"
sleep 0.5
e2e_stream_check "across the SIGTERM drain of edge1 (ExaBGP)" sigterm
n=$(($(e2e_answers edge1) - r0))
((n >= 20)) || lab_fail "expected edge1 to have carried part of the stream before SIGTERM, it answered $n"
lab_log "ok: edge1 answered $n of the streams"

lab_log "PASS"
