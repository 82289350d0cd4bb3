#!/usr/bin/env bash
# The DPDK datapath on two uplinks (issue 21): anycastd starts anycastd-dpdk with two net_af_xdp
# ports, one on each of the edge's veths, and a TAP exception interface per port (ac0, ac1), each
# with the edge's own addresses on that link. Two client namespaces, one per uplink, each with
# no other way to the edge. Shows: echo to the v4 and v6 VIPs answered on both uplinks; a reply
# leaves by the port its request came in (client B, which has only uplink B, gets its answers,
# and only port 1's answer counter moves while it asks); ARP, ND, ICMP and TCP through each
# exception interface (the kernel's replies route out of the link they belong to); per-port
# status and metrics; SIGTERM removes both interfaces and both AF_XDP programs.
#
# Usage: test_dpdk_ports_lab.sh ANYCASTD ANYCASTCTL ANYCASTD_DPDK XDP_PASS_OBJECT
set -euo pipefail
ANYCASTD=$1 ANYCASTCTL=$2 DPDK_BIN=$3 XDP_PASS=$4
# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
HELPER="$LAB_DIR/ctl_lab.py"

VIP4=192.0.2.10
VIP6=2001:db8::10
METRICS=127.0.0.1:9187 # inside the edge namespace
# Uplink B: its own client namespace and veth pair, its own subnet.
B_CLIENT_IF=veth-client-b
B_EDGE_IF=veth-edge-b
B_CLIENT_V4=203.0.113.1
B_EDGE_V4=203.0.113.2
B_CLIENT_V6=2001:db8:fffe::1
B_EDGE_V6=2001:db8:fffe::2

lab_setup "$XDP_PASS" # uplink A: $LAB_CLIENT <-> $LAB_EDGE
[[ -x "$DPDK_BIN" ]] || lab_fail "anycastd-dpdk not found or not executable: $DPDK_BIN"
B_CLIENT="${LAB_CLIENT}2"
ip netns add "$B_CLIENT"
LAB_CLEANUP_HOOKS+=("_lab_del_ns '$B_CLIENT'")
client_b() { ip netns exec "$B_CLIENT" "$@"; }
ip netns exec "$B_CLIENT" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip -n "$B_CLIENT" link set lo up
ip -n "$B_CLIENT" link add "$B_CLIENT_IF" type veth peer name "$B_EDGE_IF" netns "$LAB_EDGE"
ip -n "$B_CLIENT" addr add "$B_CLIENT_V4/24" dev "$B_CLIENT_IF"
ip -n "$B_CLIENT" addr add "$B_CLIENT_V6/64" dev "$B_CLIENT_IF" nodad
client_b ethtool -K "$B_CLIENT_IF" tx off >/dev/null
ip -n "$B_CLIENT" link set dev "$B_CLIENT_IF" xdpdrv obj "$XDP_PASS" sec xdp
ip -n "$B_CLIENT" link set "$B_CLIENT_IF" up
ip -n "$LAB_EDGE" link set "$B_EDGE_IF" up
ip -n "$B_CLIENT" route add "$VIP4/32" via "$B_EDGE_V4" dev "$B_CLIENT_IF"
ip -n "$B_CLIENT" -6 route add "$VIP6/128" via "$B_EDGE_V6" dev "$B_CLIENT_IF"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

# Both veths are DPDK's ports now: the edge's addresses move to the exception interfaces.
ip -n "$LAB_EDGE" addr flush dev "$LAB_EDGE_IF"
MAC_A=$(lab_edge cat "/sys/class/net/$LAB_EDGE_IF/address")
MAC_B=$(lab_edge cat "/sys/class/net/$B_EDGE_IF/address")

ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }
# port_counter PORT FIELD: a per-port datapath counter from status
port_counter() { status_json; json_get "d['status']['dpdk']['ports'][$1]['datapath']['$2']"; }
echo_b() { client_b "$LAB_PYTHON" "$LAB_DIR/udp_echo.py" "$@"; }
expect_echo_b() { # as lab_expect_echo, from client B
	local what=$1 want=$2 out
	shift 2
	out=$(echo_b "$@" --expect any) || lab_fail "$what: echo client failed: $out"
	lab_log "$what: $out"
	lab_expect_eq "$what" "answered=$want wrong=0 refused=0" \
		"answered=$(lab_field "$out" answered) wrong=$(lab_field "$out" wrong) refused=$(lab_field "$out" refused)"
}

# Two ports need two worker lcores; this machine may have two CPUs, so lcore 2 shares CPU 1
# (--lcores syntax; the workers sleep when idle).
# EAL's runtime directory for this run's file prefix goes with the lab.
LAB_CLEANUP_HOOKS+=("rm -rf '/var/run/dpdk/aclabp$$'")
CONF="$LAB_TMP/anycastd.toml"
cat >"$CONF" <<EOF
[datapath]
kind = "dpdk"

[datapath.dpdk]
eal_args = ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix=aclabp$$",
            "--vdev=net_af_xdp0,iface=$LAB_EDGE_IF", "--vdev=net_af_xdp1,iface=$B_EDGE_IF"]
lcores = "0-1,2@1"
exception = "tap"
binary = "$DPDK_BIN"

[[datapath.dpdk.ports]]
exception_interface = "ac0"
exception_addresses = ["$LAB_EDGE_V4/24", "$LAB_EDGE_V6/64"]

[[datapath.dpdk.ports]]
exception_interface = "ac1"
exception_addresses = ["$B_EDGE_V4/24", "$B_EDGE_V6/64"]

[anycast]
addresses = ["$VIP4", "$VIP6"]

[services.echo]
port = 7

[control]
socket = "$LAB_TMP/anycastd.sock"

[metrics]
listen = "$METRICS"
EOF
lab_append_health_route "$CONF"
"$ANYCASTD" --check --config "$CONF" >/dev/null || lab_fail "anycastd --check refuses the two-port configuration"

lab_start_anycastd "$ANYCASTD" "$CONF"
lab_wait_log "DPDK datapath up: pid [0-9]+, 2 ports, 2 workers" 5

# --- 1. status: two ports, each with its own exception interface carrying its MAC ---
status_json
lab_expect_eq "status: ports" 2 "$(json_get 'len(d["status"]["dpdk"]["ports"])')"
lab_expect_eq "status: port 0's interface" ac0 "$(json_get 'd["status"]["dpdk"]["ports"][0]["exception_interface"]')"
lab_expect_eq "status: port 1's interface" ac1 "$(json_get 'd["status"]["dpdk"]["ports"][1]["exception_interface"]')"
lab_expect_eq "status: port 0's MAC is uplink A's" "$MAC_A" "$(json_get 'd["status"]["dpdk"]["ports"][0]["mac"]')"
lab_expect_eq "status: port 1's MAC is uplink B's" "$MAC_B" "$(json_get 'd["status"]["dpdk"]["ports"][1]["mac"]')"
lab_expect_eq "status: workers per port" "[0, 1]" "$(json_get 'sorted(l["port"] for l in d["status"]["dpdk"]["lcores"])')"
lab_expect_eq "ac0 carries uplink A's MAC" "$MAC_A" "$(lab_edge cat /sys/class/net/ac0/address)"
lab_expect_eq "ac1 carries uplink B's MAC" "$MAC_B" "$(lab_edge cat /sys/class/net/ac1/address)"
lab_expect_eq "ac1 has uplink B's address" 1 "$(lab_edge ip -4 -o addr show dev ac1 | grep -c "$B_EDGE_V4/24")"
text=$(ctl status)
grep -q "exception tap on 2 ports: ac0, ac1" <<<"$text" || lab_fail "status text does not name both interfaces: $text"

# --- 2. ARP, ND and ICMP through each exception interface ---
lab_expect_eq "A: ping the edge over IPv4 (ARP via ac0)" 0 "$(lab_client ping -c 2 -W 2 -q "$LAB_EDGE_V4" >/dev/null 2>&1; echo $?)"
lab_expect_eq "A: ping the edge over IPv6 (ND via ac0)" 0 "$(lab_client ping -6 -c 2 -W 2 -q "$LAB_EDGE_V6" >/dev/null 2>&1; echo $?)"
lab_expect_eq "B: ping the edge over IPv4 (ARP via ac1)" 0 "$(client_b ping -c 2 -W 2 -q "$B_EDGE_V4" >/dev/null 2>&1; echo $?)"
lab_expect_eq "B: ping the edge over IPv6 (ND via ac1)" 0 "$(client_b ping -6 -c 2 -W 2 -q "$B_EDGE_V6" >/dev/null 2>&1; echo $?)"
lab_expect_eq "A's ARP entry is port 0's MAC" "$MAC_A" \
	"$(lab_client ip -4 neigh show "$LAB_EDGE_V4" dev "$LAB_CLIENT_IF" | awk '{print $3}')"
lab_expect_eq "B's ARP entry is port 1's MAC" "$MAC_B" \
	"$(client_b ip -4 neigh show "$B_EDGE_V4" dev "$B_CLIENT_IF" | awk '{print $3}')"
lab_expect_eq "B's ND entry is port 1's MAC" "$MAC_B" \
	"$(client_b ip -6 neigh show "$B_EDGE_V6" dev "$B_CLIENT_IF" | awk '{print $3}')"

# --- 3. echo answered on both uplinks, each reply out of the port its request came in ---
declare -A before after
lab_udp_counters "$LAB_EDGE" before
a0=$(port_counter 0 tx_answers) b0=$(port_counter 1 tx_answers)
lab_expect_echo "A: echo to $VIP4" 20 "$VIP4" 7 --count 20
lab_expect_echo "A: echo to $VIP6" 20 "$VIP6" 7 --count 20
a1=$(port_counter 0 tx_answers) b1=$(port_counter 1 tx_answers)
lab_expect_eq "A's 40 requests: answers out of port 0 / port 1" "40 / 0" "$((a1 - a0)) / $((b1 - b0))"
expect_echo_b "B: echo to $VIP4" 20 "$VIP4" 7 --count 20
expect_echo_b "B: echo to $VIP6" 20 "$VIP6" 7 --count 20
a2=$(port_counter 0 tx_answers) b2=$(port_counter 1 tx_answers)
lab_expect_eq "B's 40 requests: answers out of port 0 / port 1" "0 / 40" "$((a2 - a1)) / $((b2 - b1))"
lab_udp_counters "$LAB_EDGE" after
for k in in4 noports4 in6 noports6; do
	lab_expect_eq "edge kernel UDP counter $k unchanged" "${before[$k]}" "${after[$k]}"
done

# --- 4. TCP to a server on the VIP alias from both uplinks: the kernel's replies leave by the
# interface of the link they belong to (the client on B has no other way back) ---
lab_bg "$LAB_EDGE" socat "TCP4-LISTEN:8080,bind=$VIP4,reuseaddr,fork" PIPE
lab_bg "$LAB_EDGE" socat "TCP6-LISTEN:8080,bind=[$VIP6],ipv6only=1,reuseaddr,fork" PIPE
sleep 0.3
k0=$(port_counter 0 from_kernel) k1=$(port_counter 1 from_kernel)
for vip in "$VIP4" "$VIP6"; do
	lab_expect_eq "A: TCP to $vip:8080" "connected=1 echoed=1" \
		"$(lab_client "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$vip" 8080 | grep -o 'connected=[01] echoed=[01]')"
	lab_expect_eq "B: TCP to $vip:8080" "connected=1 echoed=1" \
		"$(client_b "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$vip" 8080 | grep -o 'connected=[01] echoed=[01]')"
done
k0b=$(port_counter 0 from_kernel) k1b=$(port_counter 1 from_kernel)
((k0b > k0 && k1b > k1)) || lab_fail "kernel -> wire on each port during TCP: port 0 $k0 -> $k0b, port 1 $k1 -> $k1b"
lab_log "ok: the kernel sent $((k0b - k0)) frames out of port 0 and $((k1b - k1)) out of port 1"

# --- 5. per-port links and metrics ---
status_json
lab_expect_eq "status: both links up" "[true, true]" "$(json_get '[p["link_up"] for p in d["status"]["dpdk"]["ports"]]')"
metrics=$(lab_edge "$LAB_PYTHON" "$HELPER" http-get "http://$METRICS/metrics")
for port in 0 1; do
	grep -qE "^anycastd_dpdk_link_up\{port=\"$port\",interface=\"ac$port\"\} 1$" <<<"$metrics" ||
		lab_fail "metrics: link_up of port $port missing"
	grep -qE "^anycastd_dpdk_tx_answers_total\{lcore=\"[0-9]+\",port=\"$port\",queue=\"0\"\} [1-9]" <<<"$metrics" ||
		lab_fail "metrics: no answers counted on port $port"
	grep -qE "^anycastd_dpdk_port_xstat\{port=\"$port\",name=\"rx_good_packets\"\} [1-9]" <<<"$metrics" ||
		lab_fail "metrics: port $port's xstats missing"
done
lab_log "ok: metrics per port"

# --- 6. SIGTERM: both interfaces and both AF_XDP programs go ---
DPDK_PID=$(json_get 'd["status"]["dpdk"]["pid"]')
lab_stop_anycastd 30
lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
kill -0 "$DPDK_PID" 2>/dev/null && lab_fail "anycastd-dpdk (pid $DPDK_PID) still runs after anycastd stopped"
for dev in ac0 ac1; do
	if lab_edge test -e "/sys/class/net/$dev"; then lab_fail "exception interface $dev still exists"; fi
done
for dev in "$LAB_EDGE_IF" "$B_EDGE_IF"; do
	if lab_has_xdp "$LAB_EDGE" "$dev"; then lab_fail "an XDP program stayed on $dev"; fi
done
grep -q "anycastd-dpdk (pid $DPDK_PID) exited with status 0" "$LAB_ANYCASTD_LOG" ||
	{ lab_dump_anycastd_log; lab_fail "anycastd-dpdk did not exit cleanly"; }
lab_log "PASS"
