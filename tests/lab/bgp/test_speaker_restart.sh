#!/usr/bin/env bash
# End to end, robustness: the routing daemon on an edge restarts under an announced group (edge1
# BIRD, edge2 ExaBGP). Either comes back knowing nothing of the group (BIRD from `disabled;`,
# ExaBGP with no routes), so the router loses the route via that edge; anycastd's probe (every
# 5 s while up) sees the group withdrawn and announces it again: the route must come back at the
# router within 30 s and the log say "announcing again". Times are printed, not asserted.
#
#   test_speaker_restart.sh ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]
set -euo pipefail

ANYCASTD=${1:?usage: test_speaker_restart.sh ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]}
XDP_PASS=${2:?usage: test_speaker_restart.sh ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]}
ANYCASTCTL=${3:-}

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_set_binaries "$ANYCASTD" "$ANYCASTCTL"
e2e_setup "$XDP_PASS"
e2e_daemon_lab bird exabgp

stop_speaker() { # stop_speaker EDGE: SIGTERM, wait for the exit
	local pid=${E2E_SPEAKER_PID[$1]} deadline=$((SECONDS + 15))
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || true
}

for edge in edge1 edge2; do
	speaker=${E2E_SPEAKER[$edge]}
	log=${E2E_ANYCASTD_LOG[$edge]}
	mark=$(wc -l <"$log")
	t0=$(e2e_now_us)
	stop_speaker "$edge"
	ms=$(e2e_wait_route absent "$edge" 15 "$t0" 4)
	e2e_measure "$speaker on $edge stopped -> route via $edge gone" "$ms"
	if [[ $speaker == exabgp ]]; then
		rm -f "${E2E_EXABGP_PIPE[$edge]}.in" "${E2E_EXABGP_PIPE[$edge]}.out"
		e2e_start_edge_exabgp "$edge"
	else
		e2e_start_edge_bird "$edge"
	fi
	t0=$(e2e_now_us)
	e2e_wait_session "$edge"
	ms=$(e2e_wait_route present "$edge" 30 "$t0" 4)
	e2e_measure "$speaker on $edge restarted -> IPv4 route via $edge again" "$ms"
	ms=$(e2e_wait_route present "$edge" 30 "$t0" 6)
	e2e_measure "$speaker on $edge restarted -> IPv6 route via $edge again" "$ms"
	tail -n +"$((mark + 1))" "$log" | grep -q "announcing again" ||
		lab_fail "$edge: expected anycastd's log to say 'announcing again' after $speaker restarted: $(tail -n 20 "$log")"
	tail -n +"$((mark + 1))" "$log" | grep "announcing again" | sed 's/^/    /' >&2
	lab_log "ok: $speaker on $edge restarted, the group announced again"
done
lab_expect_echo "echo $VIP4:7 after both routing daemons restarted" 10 "$VIP4" 7 --count 10
lab_log "PASS"
