#!/usr/bin/env bash
# End to end, SPEAKER (bird, frr or gobgp) on both edges, anycastd's route signal of that
# speaker, drain 1 s (FRR and GoBGP 4 s: e2e_speaker_timing):
#   4. a SIGTERM drain of edge1 while edge2 is up: the client sends continuously (IPv4 and IPv6,
#      one datagram every 10 ms each, over eight source ports each, so that ECMP gives edge1 its
#      share) across the whole drain, and not one answer may be lost; printed: SIGTERM -> route
#      gone at the router, SIGTERM -> anycastd exited (about drain_ms). Twice: as is, and with
#      the router's BIRD paused for 150 ms at the SIGTERM (a router slow to converge), which is
#      what makes the drain necessary: without it (drain_ms = 0) that phase loses datagrams;
#   and the same with `anycastctl drain all` / `undrain all` (when anycastctl is given): no loss,
#      the route leaves and comes back (after `rise` checks).
#
#   test_drain.sh SPEAKER ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]
set -euo pipefail

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_speaker_begin test_drain.sh "$@"
e2e_daemon_lab "$SPEAKER" "$SPEAKER"

# --- anycastctl drain / undrain ---
if [[ -n "$ANYCASTCTL" ]]; then
	r0=$(e2e_answers edge1)
	e2e_stream_start ctl_drain
	e2e_wait_share edge1 "$r0" # drain only once edge1 carries its share of the stream
	t0=$(e2e_now_us)
	out=$(e2e_ctl edge1 drain all) || lab_fail "anycastctl drain all on edge1 failed: $out"
	lab_log "anycastctl drain all: $out"
	ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
	e2e_measure "anycastctl drain on edge1 ($SPEAKER) -> IPv4 route via edge1 gone" "$ms"
	sleep 1.5 # past drain_ms (bird): edge1 stops answering; the stream must be on edge2 by then
	e2e_stream_check "across anycastctl drain of edge1" ctl_drain
	e2e_log_status edge1
	# held out: still withdrawn a while later, healthy as it is
	sleep 1
	e2e_route_via edge1 4 && lab_fail "edge1 came back by itself while drained"
	lab_log "ok: edge1 stays withdrawn while drained"
	out=$(e2e_ctl edge1 undrain all) || lab_fail "anycastctl undrain all on edge1 failed: $out"
	t0=$(e2e_now_us)
	lab_log "anycastctl undrain all: $out"
	ms=$(e2e_wait_route present edge1 30 "$t0" 4)
	e2e_measure "anycastctl undrain on edge1 ($SPEAKER) -> IPv4 route via edge1 back" "$ms"
else
	lab_log "no anycastctl given: drain/undrain by anycastctl not tested"
fi

# sigterm_drain LABEL PAUSE_S: SIGTERM to edge1's anycastd under the streams; nothing may be lost.
# PAUSE_S > 0: the router's BIRD is stopped (SIGSTOP) for that long from the moment of the
# SIGTERM, a router slow to converge: the route via edge1 then outlives edge1's withdrawal by
# that much, and only the drain (edge1 answering for drain_ms after withdrawing) keeps those
# datagrams answered. 0.15 s stays well inside BFD's 300 ms. (Checked: with drain_ms = 0 this
# phase loses datagrams, 7 in 2.5 s here; with 1000, none.)
sigterm_drain() {
	local label=$1 pause=$2 r0 t0 ms n
	r0=$(e2e_answers edge1)
	e2e_stream_start "sigterm$pause"
	e2e_wait_share edge1 "$r0" # edge1 carries its share before the signal
	if [[ $pause != 0 ]]; then kill -STOP "${E2E_SPEAKER_PID[router]}"; fi
	t0=$(e2e_now_us)
	kill -TERM "${E2E_ANYCASTD_PID[edge1]}"
	if [[ $pause != 0 ]]; then
		sleep "$pause"
		kill -CONT "${E2E_SPEAKER_PID[router]}"
	fi
	ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
	e2e_measure "$label: SIGTERM -> IPv4 route via edge1 gone" "$ms"
	ms=$(e2e_wait_route absent edge1 15 "$t0" 6)
	e2e_measure "$label: SIGTERM -> IPv6 route via edge1 gone" "$ms"
	e2e_wait_exit edge1 20
	e2e_measure "$label: SIGTERM -> anycastd exited (drain_ms ${E2E_DRAIN_MS:-1000})" "$(e2e_since_ms "$t0")"
	lab_expect_eq "$label: edge1 anycastd exit code after SIGTERM" 0 "$E2E_RC"
	sleep 0.5 # the streams go on after edge1 stopped answering
	e2e_stream_check "across the $label of edge1" "sigterm$pause"
	n=$(($(e2e_answers edge1) - r0))
	((n >= 20)) || lab_fail "expected edge1 to have carried part of the streams before SIGTERM, it answered $n"
	lab_log "ok: edge1 answered $n of the streams (its share before and during the drain)"
}

# --- 4. SIGTERM drain of edge1, edge2 up: zero loss ---
sigterm_drain "SIGTERM drain ($SPEAKER)" 0

# after the drain: edge1 holds nothing, answers nothing; edge2 answers everything
lo=$(ip -n "${E2E_NS[edge1]}" addr show dev lo)
if grep -qF -e "$VIP4/" -e "$VIP6/" <<<"$lo"; then lab_fail "expected no VIP on edge1's lo after the drain: $lo"; fi
lab_has_xdp "${E2E_NS[edge1]}" "$E2E_EDGE_IF" && lab_fail "expected no XDP program on edge1's $E2E_EDGE_IF after the drain"
lab_log "ok: edge1 removed its VIPs and its program"
if [[ $SPEAKER == bird ]]; then
	e2e_birdc edge1 show protocols | grep -E "anycast_vips[46] " | sed 's/^/    edge1 BIRD: /' >&2
fi
lab_expect_echo "echo $VIP4:7 after edge1's drain (edge2)" 10 "$VIP4" 7 --count 10
lab_expect_echo "echo [$VIP6]:7 after edge1's drain (edge2)" 10 "$VIP6" 7 --count 10

# --- 4 again, with a router slow to converge ---
E2E_START_US[edge1]=$(e2e_now_us)
e2e_start_anycastd edge1 "$LAB_TMP/edge1.toml"
e2e_wait_announced edge1
sigterm_drain "SIGTERM drain ($SPEAKER), router paused 150 ms" 0.15

lab_log "PASS"
