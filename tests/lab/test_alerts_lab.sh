#!/usr/bin/env bash
# The states the alert rules (dist/prometheus/anycastd-alerts.yml) are about, driven on a real
# anycastd in the namespace lab while its metrics endpoint is scraped every 0.3 s; the scrapes are
# the recording tests/dist/alert_series.py turns into promtool's input series (lab seconds become
# minutes there: one scrape is one 15 s sample).
#
#   test_alerts_lab.sh ANYCASTD XDP_PASS_OBJECT RECORDING_DIR
#
# The edge: group "web" (192.0.2.10, alias signal, an exec check failing while a file exists) and
# group "bgp" (192.0.2.20, the bird signal to a real BIRD in the edge namespace), both with the
# datapath check; DNS with RRL (rate 20) and NTP from a chronyd that never touches the clock (-x).
# Phases, each undoing the one before and held $HOLD scrapes once its state shows in the metrics:
#   healthy               a little echo and DNS traffic; `promtool check metrics` on a scrape
#   group_down            web's check fails
#   signal_unreachable    BIRD stopped with SIGSTOP: it accepts on its socket, never answers
#   clock_unsynchronised  chronyd restarted reporting itself unsynchronised
#   rrl_flood             the client floods DNS at 400 queries/s (for at most 12 s: ended with the phase)
#   xdp_detached          the XDP program detached by hand (last: anycastd does not reattach it)
# RECORDING_DIR gets scrape-NNNN.prom (every scrape, in order) and phases.txt ("PHASE LAST_SCRAPE"),
# and is kept after the run (docs/observability.md).
set -euo pipefail

usage="usage: test_alerts_lab.sh ANYCASTD XDP_PASS_OBJECT RECORDING_DIR"
ANYCASTD=${1:?$usage}
XDP_PASS=${2:?$usage}
REC=${3:?$usage}

VIP_WEB=192.0.2.10
VIP_BGP=192.0.2.20
METRICS=127.0.0.1:9187
HOLD=12 # scrapes a phase is held for: 180 s of synthetic time, over every rule's `for:`

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
HELPER="$LAB_DIR/ctl_lab.py"
ZONE_FILE="$LAB_DIR/dns/example.net.zone"
lab_require_root
for tool in chronyd chronyc bird birdc promtool; do
	command -v "$tool" >/dev/null || lab_fail "$tool is missing (scripts/deps.sh installs chrony, bird2, prometheus)"
done
lab_setup "$XDP_PASS"
lab_route_vip "$VIP_WEB/32"
lab_route_vip "$VIP_BGP/32"

mkdir -p "$REC"
rm -f "$REC"/scrape-*.prom "$REC/phases.txt"

# shellcheck source=chrony.sh
source "$(dirname "${BASH_SOURCE[0]}")/chrony.sh"

# BIRD with one static protocol for group bgp, disabled until anycastd enables it; no BGP peer:
# only its control socket matters here.
BIRD_SOCK="$LAB_TMP/bird.ctl"
cat >"$LAB_TMP/bird.conf" <<-EOF
	router id $LAB_EDGE_V4;
	protocol device {
	}
	protocol static anycast_bgp4 {
		disabled;
		ipv4;
		route $VIP_BGP/32 via "lo";
	}
EOF
lab_bg "$LAB_EDGE" bird -f -c "$LAB_TMP/bird.conf" -s "$BIRD_SOCK"
BIRD_PID=${LAB_PIDS[-1]}
# A BIRD left stopped would not take the cleanup's SIGTERM.
LAB_CLEANUP_HOOKS+=("kill -CONT $BIRD_PID 2>/dev/null")
deadline=$((SECONDS + 10))
until lab_edge birdc -s "$BIRD_SOCK" show status >/dev/null 2>&1; do
	((SECONDS < deadline)) || lab_fail "BIRD did not answer on $BIRD_SOCK within 10 s"
	sleep 0.1
done

start_chronyd synced

CONF="$LAB_TMP/anycastd.toml"
lab_write_config "$CONF"
cat >>"$CONF" <<-EOF

	[services.dns]
	port = 53

	[[services.dns.zone]]
	origin = "example.net"
	file = "$ZONE_FILE"

	[services.dns.rrl]
	rate = 20

	[services.ntp]
	port = 123
	clock = "chrony"
	chrony_socket = "$CHRONY_SOCK"

	[metrics]
	listen = "$METRICS"

	[health]
	interval_ms = 200
	fast_interval_ms = 100
	rise = 1
	fall = 2
	disable_file = ""

	[[health.check]]
	kind = "datapath"

	[route]
	drain_ms = 0

	[route.bird]
	socket = "$BIRD_SOCK"
	timeout_ms = 500

	[[group]]
	name = "web"
	addresses = ["$VIP_WEB"]

	[[group.check]]
	kind = "exec"
	command = "test ! -e $LAB_TMP/web.fail"
	timeout_ms = 150

	[[group]]
	name = "bgp"
	addresses = ["$VIP_BGP"]

	[group.route]
	signal = "bird"

	[group.route.bird]
	protocol = "anycast_bgp4"
EOF
"$ANYCASTD" --check --config "$CONF" >/dev/null || lab_fail "config rejected: $("$ANYCASTD" --check --config "$CONF" 2>&1)"
lab_start_anycastd "$ANYCASTD" "$CONF"

SCRAPES=0
LAST=""
# scrape: one GET /metrics into the recording, then the pause to the next.
scrape() {
	LAST=$(printf '%s/scrape-%04d.prom' "$REC" "$SCRAPES")
	lab_edge "$LAB_PYTHON" "$HELPER" http-get "http://$METRICS/metrics" >"$LAST" ||
		lab_fail "GET http://$METRICS/metrics failed (scrape $SCRAPES)"
	SCRAPES=$((SCRAPES + 1))
	sleep 0.3
}

# until_metric SERIES OP VALUE: scrapes until the last scrape has SERIES (as the text format
# writes it) OP (== or >) VALUE; 30 s at most.
until_metric() {
	local deadline=$((SECONDS + 30))
	while true; do
		scrape
		awk -v s="$1" -v op="$2" -v v="$3" \
			'$1 == s && ((op == "==" && $2 == v) || (op == ">" && $2 + 0 > v + 0)) { f = 1 } END { exit !f }' "$LAST" && break
		((SECONDS < deadline)) || {
			lab_dump_anycastd_log
			lab_fail "expected $1 $2 $3 within 30 s; last scrape: $LAST"
		}
	done
	lab_log "seen: $1 $2 $3 (scrape $((SCRAPES - 1)))"
}

# phase_end NAME: holds the state $HOLD scrapes, then marks the phase's last one.
phase_end() {
	local i
	for ((i = 0; i < HOLD; i++)); do scrape; done
	echo "$1 $((SCRAPES - 1))" >>"$REC/phases.txt"
	lab_log "phase $1: to scrape $((SCRAPES - 1))"
}

# --- healthy ---
until_metric 'anycastd_group_state{group="web",state="up"}' == 1
until_metric 'anycastd_group_state{group="bgp",state="up"}' == 1
until_metric 'anycastd_ntp_synchronised' == 1
lab_expect_echo "echo to $VIP_WEB" 3 "$VIP_WEB" 7 --count 3
lab_expect_echo "echo to $VIP_BGP" 3 "$VIP_BGP" 7 --count 3
lab_client "$LAB_PYTHON" "$LAB_DIR/dns_flood.py" "$VIP_WEB" --rate 10 --seconds 1 >&2
until_metric 'anycastd_answered_total{service="dns"}' '>' 0
out=$(promtool check metrics <"$LAST" 2>&1) || lab_fail "promtool check metrics on $LAST: $out"
lab_log "ok: promtool check metrics passes on $LAST"
phase_end healthy

# --- group_down ---
touch "$LAB_TMP/web.fail"
until_metric 'anycastd_group_state{group="web",state="up"}' == 0
phase_end group_down
rm "$LAB_TMP/web.fail"

# --- signal_unreachable ---
until_metric 'anycastd_group_state{group="web",state="up"}' == 1
kill -STOP "$BIRD_PID"
until_metric 'anycastd_route_signal_up{group="bgp",signal="bird"}' == 0
phase_end signal_unreachable
kill -CONT "$BIRD_PID"

# --- clock_unsynchronised ---
until_metric 'anycastd_route_signal_up{group="bgp",signal="bird"}' == 1
stop_chronyd
start_chronyd unsynced
until_metric 'anycastd_ntp_synchronised' == 0
phase_end clock_unsynchronised
stop_chronyd
start_chronyd synced

# --- rrl_flood ---
until_metric 'anycastd_ntp_synchronised' == 1
ip netns exec "$LAB_CLIENT" "$LAB_PYTHON" "$LAB_DIR/dns_flood.py" "$VIP_WEB" --rate 400 --seconds 12 >"$LAB_TMP/flood.out" &
FLOOD_PID=$!
LAB_PIDS+=("$FLOOD_PID")
until_metric 'anycastd_rate_limited_total{service="dns"}' '>' 0
phase_end rrl_flood
kill -TERM "$FLOOD_PID"
wait "$FLOOD_PID" 2>/dev/null || true

# --- xdp_detached ---
ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdp off
until_metric 'anycastd_check_up{group="web",check="datapath"}' == 0
until_metric 'anycastd_check_up{group="bgp",check="datapath"}' == 0
phase_end xdp_detached

lab_stop_anycastd
[[ $LAB_ANYCASTD_RC == 0 ]] || lab_fail "anycastd exited with $LAB_ANYCASTD_RC after SIGTERM"
lab_log "recorded $SCRAPES scrapes in $REC"
lab_log "PASS"
