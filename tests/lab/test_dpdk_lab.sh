#!/usr/bin/env bash
# The DPDK datapath in the namespace lab: anycastd starts anycastd-dpdk on the edge's veth
# through net_af_xdp (the edge's kernel no longer sees that port's traffic) with the TAP
# exception path carrying the edge's own addresses. Shows: UDP echo to the v4 and v6 VIPs is
# answered by DPDK while the edge's kernel UDP counters stay still; ARP and ND from the client
# are answered by the kernel through the exception path; TCP to a server on the VIP alias works
# both ways; status and metrics show the datapath, anycastctl nic the port and ac0; a killed datapath withdraws the route (the
# alias goes) and comes back; anycastctl restart (ten times) hands the running datapath over
# without losing an answer or refusing a control client; anycastctl capture copies through the
# channel what DPDK answers, byte for byte what tcpdump on the client sees, and ends with its
# client, at a restart in place and with the datapath; SIGTERM withdraws and everything stops
# cleanly.
#
# Usage: test_dpdk_lab.sh ANYCASTD ANYCASTCTL ANYCASTD_DPDK XDP_PASS_OBJECT
set -euo pipefail
ANYCASTD=$1 ANYCASTCTL=$2 DPDK_BIN=$3 XDP_PASS=$4
# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
HELPER="$LAB_DIR/ctl_lab.py"

VIP4=192.0.2.10
VIP6=2001:db8::10
METRICS=127.0.0.1:9187 # inside the edge namespace: no clash with anything on the host

lab_setup "$XDP_PASS"
[[ -x "$DPDK_BIN" ]] || lab_fail "anycastd-dpdk not found or not executable: $DPDK_BIN"
# The edge's addresses move from the veth (now DPDK's port) to the exception interface.
ip -n "$LAB_EDGE" addr flush dev "$LAB_EDGE_IF"
PORT_MAC=$(lab_edge cat "/sys/class/net/$LAB_EDGE_IF/address")
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }
wait_alias() { # wait_alias ADDR present|absent DEADLINE_S
	local deadline=$((SECONDS + $3))
	while :; do
		if alias_present "$1"; then [[ $2 == present ]] && return 0; else [[ $2 == absent ]] && return 0; fi
		((SECONDS < deadline)) || lab_fail "alias $1 on the edge's lo: expected $2 within $3 s"
		sleep 0.02
	done
}

CONF="$LAB_TMP/anycastd.toml"
lab_write_dpdk_config "$CONF" "$DPDK_BIN" "$VIP4" "$VIP6"
lab_append_health_route "$CONF"
cat >>"$CONF" <<EOF2

[metrics]
listen = "$METRICS"
EOF2

lab_start_anycastd "$ANYCASTD" "$CONF"
lab_wait_log "DPDK datapath up" 5

# --- 1. status: the DPDK datapath runs, with the TAP exception path ---
status_json
lab_expect_eq "status: datapath" dpdk "$(json_get 'd["status"]["datapath"]')"
lab_expect_eq "status: dpdk running" true "$(json_get 'd["status"]["dpdk"]["running"]')"
lab_expect_eq "status: exception path" tap "$(json_get 'd["status"]["dpdk"]["exception"]')"
lab_expect_eq "status: port MAC is the veth's" "$PORT_MAC" "$(json_get 'd["status"]["dpdk"]["mac"]')"
lab_expect_eq "exception interface carries the port's MAC" "$PORT_MAC" "$(lab_edge cat /sys/class/net/ac0/address)"
DPDK_PID=$(json_get 'd["status"]["dpdk"]["pid"]')

# --- 1b. the NIC report (issue 22): the port as DPDK reports it, the exception interface as the
# kernel does (the TAP driver is "tun") ---
lab_expect_eq "status.nic: port 0's name, driver (status.dpdk's), MAC, kernel figures" \
	"port 0|$(json_get 'd["status"]["dpdk"]["driver"]')|$PORT_MAC|not a kernel interface (DPDK port)" \
	"$(json_get '"|".join([d["status"]["nic"][0]["name"], d["status"]["nic"][0]["dpdk"]["driver"], d["status"]["nic"][0]["dpdk"]["mac"], d["status"]["nic"][0]["channels"]["not_reported"]])')"
lab_expect_eq "status.nic: the exception interface" "ac0 exception tun" \
	"$(json_get 'd["status"]["nic"][1]["name"]') $(json_get 'd["status"]["nic"][1]["role"]') $(json_get 'd["status"]["nic"][1]["driver"]["driver"]')"
nic_text=$(ctl nic) || lab_fail "anycastctl nic failed: $nic_text"
grep -qE '^port 0 \(uplink, link (up|down)\)$' <<<"$nic_text" || lab_fail "anycastctl nic: expected a block for port 0, seen: $nic_text"
grep -qxF "  xdp features:  not a kernel interface (DPDK port)" <<<"$nic_text" ||
	lab_fail "anycastctl nic: expected port 0's XDP features as not a kernel interface, seen: $nic_text"
lab_log "ok: anycastctl nic reports port 0 and ac0"

# --- 2. ARP and ND through the exception path: the kernel on ac0 answers for the edge ---
lab_expect_eq "ping the edge over IPv4 (ARP, ICMP via the exception path)" 0 \
	"$(lab_client ping -c 2 -W 2 -q "$LAB_EDGE_V4" >/dev/null 2>&1; echo $?)"
lab_expect_eq "ping the edge over IPv6 (ND, ICMPv6 via the exception path)" 0 \
	"$(lab_client ping -6 -c 2 -W 2 -q "$LAB_EDGE_V6" >/dev/null 2>&1; echo $?)"
lab_expect_eq "client's ARP entry for the edge is the port's MAC" "$PORT_MAC" \
	"$(lab_client ip -4 neigh show "$LAB_EDGE_V4" dev "$LAB_CLIENT_IF" | awk '{print $3}')"
lab_expect_eq "client's ND entry for the edge is the port's MAC" "$PORT_MAC" \
	"$(lab_client ip -6 neigh show "$LAB_EDGE_V6" dev "$LAB_CLIENT_IF" | awk '{print $3}')"

# --- 3. UDP echo answered by DPDK; the edge's kernel never sees it ---
declare -A before after
lab_udp_counters "$LAB_EDGE" before
lab_expect_echo "echo to $VIP4 answered by DPDK" 20 "$VIP4" 7 --count 20
lab_expect_echo "echo to $VIP6 answered by DPDK" 20 "$VIP6" 7 --count 20
lab_udp_counters "$LAB_EDGE" after
for k in in4 noports4 in6 noports6; do
	lab_expect_eq "edge kernel UDP counter $k unchanged" "${before[$k]}" "${after[$k]}"
done
lab_expect_eq "client UDP checksum errors" 0 "$(lab_snmp "$LAB_CLIENT" Udp InCsumErrors)"

# --- 4. TCP to a server on the VIP alias, both ways through the exception path ---
lab_bg "$LAB_EDGE" socat "TCP4-LISTEN:8080,bind=$VIP4,reuseaddr,fork" PIPE
lab_bg "$LAB_EDGE" socat "TCP6-LISTEN:8080,bind=[$VIP6],ipv6only=1,reuseaddr,fork" PIPE
sleep 0.3
for vip in "$VIP4" "$VIP6"; do
	lab_expect_eq "TCP to $vip:8080 (socat on the edge, bound to the VIP)" "connected=1 echoed=1" \
		"$(lab_client "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$vip" 8080 | grep -o 'connected=[01] echoed=[01]')"
done

# --- 5. counters in status and metrics ---
status_json
answered=$(json_get 'd["status"]["counters"]["answered"]["echo"]')
((answered >= 40)) || lab_fail "status counters: echo answered $answered, expected at least the 40 sent"
to_kernel=$(json_get 'sum(l["datapath"]["to_kernel"] for l in d["status"]["dpdk"]["lcores"])')
from_kernel=$(json_get 'sum(l["datapath"]["from_kernel"] for l in d["status"]["dpdk"]["lcores"])')
((to_kernel > 0 && from_kernel > 0)) || lab_fail "exception path counters: to_kernel=$to_kernel from_kernel=$from_kernel"
lab_log "ok: exception path carried $to_kernel frames to the kernel and $from_kernel from it"
metrics=$(lab_edge "$LAB_PYTHON" "$HELPER" http-get "http://$METRICS/metrics")
grep -q '^anycastd_dpdk_up 1$' <<<"$metrics" || lab_fail "metrics: anycastd_dpdk_up 1 missing"
grep -qE '^anycastd_answered_total\{service="echo"\} [1-9]' <<<"$metrics" || lab_fail "metrics: no answered echo"
lab_log "ok: metrics show the DPDK datapath"

# --- 6. anycastctl capture through the channel, byte for byte against tcpdump on the client ---
start_client_tcpdump
ctl capture -w "$LAB_TMP/dpdk.pcap" --filter "vip $VIP4 and port 7" --count 10 --seconds 30 2>"$LAB_TMP/capture.err" &
CAPTURE_PID=$!
wait_capture_running
for i in 1 2 3 4 5; do
	lab_expect_echo "echo to the other VIP during the capture ($i)" 1 "$VIP6" 7 --count 1
	lab_expect_echo "echo to the captured VIP ($i)" 1 "$VIP4" 7 --count 1
done
expect_capture_summary "capture on DPDK" "$CAPTURE_PID" "$LAB_TMP/capture.err" "10 frames (5 requests, 5 answers), 0 lost; ended: count"
stop_client_tcpdump
lab_expect_eq "hosts in the capture" "$VIP4 $LAB_CLIENT_V4" "$(python3 "$LAB_DIR/pcap_frames.py" hosts "$LAB_TMP/dpdk.pcap")"
same=$(python3 "$LAB_DIR/pcap_frames.py" same "$LAB_TMP/dpdk.pcap" "$LAB_TMP/client.pcap" "$VIP4") ||
	lab_fail "capture on DPDK against the client's tcpdump: $same"
lab_expect_eq "capture on DPDK is byte for byte what the client saw" "same=10" "$same"
status_json
lab_expect_eq "no capture in the status after it" null "$(json_get 'd["status"]["capture"]')"

# A killed client ends its capture: the daemon switches the datapath's copy off.
"$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" capture -w "$LAB_TMP/long.pcap" --seconds 60 2>/dev/null &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
lab_expect_echo "echo during the killed client's capture" 3 "$VIP4" 7 --count 3
kill -KILL "$CAPTURE_PID"
wait "$CAPTURE_PID" 2>/dev/null || true
lab_wait_log "ended .client ended.:" 10
status_json
lab_expect_eq "no capture in the status after the client was killed" null "$(json_get 'd["status"]["capture"]')"

# anycastctl restart in the middle of a capture: the client gets its end, and the next image,
# asking the datapath itself when it adopts it, finds the copy off (it says so when not).
ctl capture -w "$LAB_TMP/restart.pcap" --seconds 60 2>"$LAB_TMP/restart.err" &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
adopted=$(grep -c "adopted the running DPDK datapath (pid $DPDK_PID)" "$LAB_ANYCASTD_LOG" || true)
ctl restart >/dev/null
rc=0
wait "$CAPTURE_PID" || rc=$?
cat "$LAB_TMP/restart.err" >&2
lab_expect_eq "the capture's client exits cleanly at the restart" 0 "$rc"
grep -q "ended: daemon restarting" "$LAB_TMP/restart.err" || lab_fail "expected 'ended: daemon restarting'"
deadline=$((SECONDS + 20))
until (($(grep -c "adopted the running DPDK datapath (pid $DPDK_PID)" "$LAB_ANYCASTD_LOG") > adopted)); do
	((SECONDS < deadline)) || { lab_dump_anycastd_log; lab_fail "the datapath was not adopted within 20 s of the restart"; }
	sleep 0.05
done
grep -q "packet capture was left on" "$LAB_ANYCASTD_LOG" &&
	lab_fail "the restarted image found the capture still on in the datapath"
lab_log "ok: captures on DPDK (byte for byte, killed client, restart in place)"

# --- 7. anycastctl restart hands the running datapath to the new image: no answer lost ---
ANYCASTD_PID=$LAB_ANYCASTD_PID
start_stream restartstream "$VIP4"
start_ctl_stream restartctl "$LAB_TMP/anycastd.sock"
start_ctl_stream restartmetrics "http://$METRICS/metrics" "$LAB_EDGE"
sleep 0.3
# Ten restarts, with status asked and the metrics scraped all the while: the listeners pass through
# each exec, so no client is refused while the new image adopts the datapath.
for i in 1 2 3 4 5 6 7 8 9 10; do
	adopted=$(grep -c "adopted the running DPDK datapath (pid $DPDK_PID)" "$LAB_ANYCASTD_LOG" || true)
	out=$(ctl restart) || lab_fail "anycastctl restart ($i): expected exit 0, seen $?: $out"
	deadline=$((SECONDS + 20))
	until (($(grep -c "adopted the running DPDK datapath (pid $DPDK_PID)" "$LAB_ANYCASTD_LOG") > adopted)); do
		((SECONDS < deadline)) || { lab_dump_anycastd_log; lab_fail "restart $i: the datapath not adopted within 20 s"; }
		sleep 0.05
	done
done
lab_wait_log "group default: adopted as up" 5
sleep 0.5
stop_probe restartctl
stop_probe restartmetrics
expect_ctl_stream restartctl "10 restarts in place: control socket"
expect_ctl_stream restartmetrics "10 restarts in place: metrics listener"
stop_probe restartstream
stream=$(<"$LAB_TMP/restartstream.out")
lab_log "echo stream across the restart: $stream"
lab_expect_eq "restart: echo stream (every 20 ms) lost/wrong/refused" "lost=0 wrong=0 refused=0" \
	"lost=$(lab_field "$stream" lost) wrong=$(lab_field "$stream" wrong) refused=$(lab_field "$stream" refused)"
status_json
lab_expect_eq "restart: anycastd's pid (exec in place)" "$ANYCASTD_PID" "$(json_get 'd["status"]["pid"]')"
lab_expect_eq "restart: the same anycastd-dpdk process" "$DPDK_PID" "$(json_get 'd["status"]["dpdk"]["pid"]')"

# --- 8. a killed datapath withdraws the route, then comes back; a capture running ends ---
ctl capture -w "$LAB_TMP/killed.pcap" --seconds 60 2>"$LAB_TMP/killed.err" &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
killed_at=$(date +%s%N)
kill -KILL "$DPDK_PID"
wait_alias "$VIP4" absent 5
lab_log "ok: alias withdrawn $((($(date +%s%N) - killed_at) / 1000000)) ms after the datapath was killed"
lab_wait_log "DPDK datapath \(anycastd-dpdk\) was killed by SIGKILL" 5
deadline=$((SECONDS + 30))
until (($(grep -c "DPDK datapath up: pid" "$LAB_ANYCASTD_LOG") >= 2)); do
	((SECONDS < deadline)) || { lab_dump_anycastd_log; lab_fail "no new datapath reported up within 30 s of the kill"; }
	sleep 0.05
done
wait_alias "$VIP4" present 30
lab_log "ok: datapath restarted, group announced again"
rc=0
wait "$CAPTURE_PID" || rc=$?
cat "$LAB_TMP/killed.err" >&2
lab_expect_eq "the capture's client exits cleanly when the datapath dies" 0 "$rc"
grep -q "ended: datapath: " "$LAB_TMP/killed.err" || lab_fail "expected the capture to end naming the datapath"
status_json
lab_expect_eq "status: restarts" 1 "$(json_get 'd["status"]["dpdk"]["restarts"]')"
lab_expect_echo "echo to $VIP4 after the restart" 10 "$VIP4" 7 --count 10
DPDK_PID=$(json_get 'd["status"]["dpdk"]["pid"]')

# --- 9. SIGTERM: withdraw, drain, stop the datapath, exit 0 ---
lab_stop_anycastd 30
lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
alias_present "$VIP4" && lab_fail "alias $VIP4 still on lo after SIGTERM"
kill -0 "$DPDK_PID" 2>/dev/null && lab_fail "anycastd-dpdk (pid $DPDK_PID) still runs after anycastd stopped"
lab_edge test -e /sys/class/net/ac0 && lab_fail "exception interface ac0 still exists"
grep -q "anycastd-dpdk (pid $DPDK_PID) exited with status 0" "$LAB_ANYCASTD_LOG" ||
	{ lab_dump_anycastd_log; lab_fail "anycastd-dpdk did not exit cleanly"; }
lab_log "PASS"
