#!/usr/bin/env bash
# The end-to-end lab itself, with BIRD driven by hand (birdc), so that a failure of the daemon
# tests (test_bird_*.sh, test_exabgp_*.sh) can be told apart from a failure of the lab: the
# example BIRD configs bring up BGP and BFD between the router and both edges; enabling the edges'
# static protocols puts an ECMP route for each VIP into the router's kernel table; echo from the
# client is answered by both edges (anycastd only as the fast path here, its route signal not
# exported); `birdc disable` withdraws one edge without a single answer lost; deleting an edge's
# link (a dead machine) takes its route away through BFD. Times are printed, not asserted (the
# deadlines are generous).
#
#   test_bgp_topology.sh ANYCASTD_BINARY XDP_PASS_OBJECT
set -euo pipefail

ANYCASTD=${1:?usage: test_bgp_topology.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
XDP_PASS=${2:?usage: test_bgp_topology.sh ANYCASTD_BINARY XDP_PASS_OBJECT}

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_set_binaries "$ANYCASTD"
e2e_setup "$XDP_PASS"

t0=$(e2e_now_us)
e2e_start_router_bird
e2e_start_edge_bird edge1
e2e_start_edge_bird edge2
for edge in edge1 edge2; do
	e2e_fastpath_config "$edge" "$LAB_TMP/$edge.toml"
	e2e_start_anycastd "$edge" "$LAB_TMP/$edge.toml"
done
e2e_wait_session edge1
e2e_wait_session edge2
e2e_measure "BIRDs started -> both BGP sessions Established" "$(e2e_since_ms "$t0")"
e2e_wait_bfd edge1
e2e_wait_bfd edge2
e2e_measure "BIRDs started -> both BFD sessions Up" "$(e2e_since_ms "$t0")"
e2e_learn_ll6

# --- announce by hand: an ECMP route via both edges, v4 and v6 ---
t0=$(e2e_now_us)
for edge in edge1 edge2; do
	e2e_birdc "$edge" enable anycast_vips4 anycast_vips6 >/dev/null ||
		e2e_birdc "$edge" enable '"anycast_vips?"' >/dev/null
done
for edge in edge1 edge2; do
	ms=$(e2e_wait_route present "$edge" 15 "$t0" 4)
	e2e_measure "birdc enable -> IPv4 route via $edge at the router" "$ms"
	ms=$(e2e_wait_route present "$edge" 15 "$t0" 6)
	e2e_measure "birdc enable -> IPv6 route via $edge at the router" "$ms"
done
e2e_show_router_routes

lab_expect_echo "echo $VIP4:7 through the router" 20 "$VIP4" 7 --count 20
lab_expect_echo "echo [$VIP6]:7 through the router" 20 "$VIP6" 7 --count 20

# ECMP: one client, eight source ports, both edges answer.
declare -A rx0
for edge in edge1 edge2; do rx0[$edge]=$(e2e_answers "$edge"); done
out=$(e2e_probe stream "$VIP4" 7 --duration 1 --interval 0.005 --sockets 32) || lab_fail "stream over both edges: $out"
lab_log "stream v4 over ECMP: $out"
out=$(e2e_probe stream "$VIP6" 7 --duration 1 --interval 0.005 --sockets 8) || lab_fail "stream v6 over ECMP: $out"
lab_log "stream v6 over ECMP: $out"
for edge in edge1 edge2; do
	n=$(($(e2e_answers "$edge") - rx0[$edge]))
	lab_log "$edge answered $n of the 400 streamed"
	((n >= 20)) || lab_fail "expected ECMP to send a share of the stream to $edge, it answered $n"
done

# --- withdraw edge1 by hand, under traffic: nothing lost (edge1 still answers what is in flight) ---
e2e_probe_bg "$LAB_TMP/stream.out" stream "$VIP4" 7 --interval 0.01 --sockets 8
sleep 0.5
t0=$(e2e_now_us)
e2e_birdc edge1 disable anycast_vips4 anycast_vips6 >/dev/null || e2e_birdc edge1 disable '"anycast_vips?"' >/dev/null
ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
e2e_measure "birdc disable on edge1 -> IPv4 route via edge1 gone" "$ms"
ms=$(e2e_wait_route absent edge1 15 "$t0" 6)
e2e_measure "birdc disable on edge1 -> IPv6 route via edge1 gone" "$ms"
e2e_route_via edge2 4 || lab_fail "expected the route via edge2 to stay"
sleep 0.5
e2e_probe_end "$LAB_TMP/stream.out"
out=$E2E_OUT
lab_log "stream across the withdrawal of edge1: $out"
lab_expect_eq "datagrams lost across a withdrawal by hand" "lost=0 refused=0" \
	"lost=$(lab_field "$out" lost) refused=$(lab_field "$out" refused)"

t0=$(e2e_now_us)
e2e_birdc edge1 enable anycast_vips4 anycast_vips6 >/dev/null || e2e_birdc edge1 enable '"anycast_vips?"' >/dev/null
ms=$(e2e_wait_route present edge1 15 "$t0" 4)
e2e_measure "birdc enable on edge1 -> IPv4 route via edge1 back" "$ms"

# --- a dead machine: edge1's link deleted; BFD takes the route away ---
e2e_wait_bfd edge1
t0=$(e2e_now_us)
ip -n "${E2E_NS[edge1]}" link del "$E2E_EDGE_IF"
ms=$(e2e_wait_route absent edge1 5 "$t0" 4)
e2e_measure "edge1's link deleted -> IPv4 route via edge1 gone (BFD)" "$ms"
ms=$(e2e_wait_route absent edge1 5 "$t0" 6)
e2e_measure "edge1's link deleted -> IPv6 route via edge1 gone (BFD)" "$ms"
e2e_birdc router show protocols edge1 | tail -n 1 | sed 's/^/    router: /' >&2
lab_expect_echo "echo $VIP4:7 with edge1 dead (edge2 answers)" 10 "$VIP4" 7 --count 10

lab_log "PASS"
