#!/usr/bin/env bash
# The demo itself (scripts/demo.sh installs and builds first): a throwaway namespace lab, anycastd
# on the edge with the VIPs 192.0.2.10 and 2001:db8::10, real client traffic, and a summary of
# what was answered where. Everything is removed at the end, also on failure or Ctrl-C.
#
#   run-demo.sh [BUILD_DIR]     (default: build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
ANYCASTD="${ANYCASTD:-$BUILD/control/anycastd}"
XDP_PASS="$BUILD/tests/lab/lab_xdp_pass.bpf.o"
VIP4=192.0.2.10
VIP6=2001:db8::10
N=20

# shellcheck source=../tests/lab/lab.sh
source "$ROOT/tests/lab/lab.sh"
# shellcheck source=../tests/lab/probes.sh
source "$ROOT/tests/lab/probes.sh"
lab_require_root

exec 2>&1 # one stream, in order
if [[ -t 1 ]]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

say "lab: client and edge namespaces on a veth pair"
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"
cat >&2 <<EOF
  client $LAB_CLIENT  $LAB_CLIENT_IF  $LAB_CLIENT_V4/24  $LAB_CLIENT_V6/64  (routes to the VIPs via the edge, nothing else)
  edge   $LAB_EDGE    $LAB_EDGE_IF    $LAB_EDGE_V4/24  $LAB_EDGE_V6/64
EOF

say "anycastd on the edge"
conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$VIP4" "$VIP6"
sed 's/^/  /' "$conf" >&2
lab_start_anycastd "$ANYCASTD" "$conf"
echo "  edge lo:       $(ip -n "$LAB_EDGE" -br addr show dev lo | awk '{$1 = $2 = ""; print}')" >&2
echo "  edge $LAB_EDGE_IF: $(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF" | grep -o 'prog/xdp id [0-9]*' || echo 'no XDP program')" >&2

# Kernel-side servers on the edge: TCP echo on the VIPs (through the loopback alias), and a
# kernel UDP echo on the edge's own link address, which is not a VIP.
lab_bg "$LAB_EDGE" socat "TCP4-LISTEN:8080,bind=$VIP4,reuseaddr,fork" PIPE
lab_bg "$LAB_EDGE" socat "TCP6-LISTEN:8080,bind=[$VIP6],ipv6only=1,reuseaddr,fork" PIPE
lab_bg "$LAB_EDGE" socat "UDP4-RECVFROM:7,bind=$LAB_EDGE_V4,fork" PIPE
lab_wait_listen "$LAB_EDGE" 8080
sleep 0.3

ROWS=()
PROBLEMS=()
declare -A k0 k1
snapshot() {
	lab_udp_counters "$LAB_EDGE" k0
	k0[tcp]=$(lab_snmp "$LAB_EDGE" Tcp PassiveOpens)
}
# row LABEL SENT ANSWERED REFUSED: one line of the summary, with the edge kernel's counter
# deltas since the last snapshot, and who answered, judged from them.
row() {
	lab_udp_counters "$LAB_EDGE" k1
	k1[tcp]=$(lab_snmp "$LAB_EDGE" Tcp PassiveOpens)
	local udp_in=$((k1[in4] - k0[in4] + k1[in6] - k0[in6]))
	local noports=$((k1[noports4] - k0[noports4] + k1[noports6] - k0[noports6]))
	local tcp=$((k1[tcp] - k0[tcp])) by
	if (($3 > 0 && tcp > 0)); then by="kernel TCP, through the loopback alias"
	elif (($3 > 0 && udp_in == 0)); then by="XDP fast path (the kernel never saw it)"
	elif (($3 > 0)); then by="kernel UDP socket"
	elif (($4 > 0 && noports > 0)); then by="passed to the kernel, no socket: ICMP port unreachable"
	else by="nobody"
	fi
	ROWS+=("$(printf '%-40s %4s %8s %11s %7s %9s   %s' "$1" "$2" "$3" "$udp_in" "$noports" "$tcp" "$by")")
}

say "client traffic"
for vip in "$VIP4" "$VIP6"; do
	snapshot
	out=$(lab_echo "$vip" 7 --count "$N" --expect any)
	echo "  UDP echo: $out" >&2
	row "UDP echo to VIP $vip port 7" "$N" "$(lab_field "$out" answered)" "$(lab_field "$out" refused)"
	[[ ${ROWS[-1]} == *"XDP fast path"* && $(lab_field "$out" answered) == "$N" ]] ||
		PROBLEMS+=("echo to $vip: expected all $N answered by XDP")
done
for vip in "$VIP4" "$VIP6"; do
	snapshot
	out=$(lab_client "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$vip" 8080) || true
	echo "  TCP:      $out" >&2
	row "TCP to VIP $vip port 8080" 1 "$(lab_field "$out" echoed)" 0
	[[ $(lab_field "$out" echoed) == 1 ]] || PROBLEMS+=("TCP to $vip:8080 not answered")
done
snapshot
out=$(lab_echo "$LAB_EDGE_V4" 7 --count 5 --expect any)
echo "  UDP echo: $out" >&2
row "UDP echo to $LAB_EDGE_V4 port 7 (no VIP)" 5 "$(lab_field "$out" answered)" "$(lab_field "$out" refused)"
snapshot
out=$(lab_echo "$VIP4" 7 --count 1 --timeout 1 --sport 53 --expect any)
echo "  UDP echo: $out   (from source port 53)" >&2
row "UDP echo to VIP from source port 53" 1 "$(lab_field "$out" answered)" "$(lab_field "$out" refused)"

say "stopping anycastd (SIGTERM)"
lab_stop_anycastd 20
echo "  exit code: $LAB_ANYCASTD_RC" >&2
if ip -n "$LAB_EDGE" addr show dev lo | grep -qF -e "$VIP4/" -e "$VIP6/"; then
	echo "  edge lo: VIPs still present!" >&2
else
	echo "  edge lo: VIP aliases removed (a router tracking them withdraws the route)" >&2
fi
lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF" && echo "  $LAB_EDGE_IF: XDP still attached!" >&2 ||
	echo "  $LAB_EDGE_IF: XDP program detached" >&2
out=$(lab_echo "$VIP4" 7 --count 2 --timeout 1 --expect any)
echo "  UDP echo to $VIP4:7 after stop: $out" >&2

say "summary: what was answered where"
printf '%-40s %4s %8s %11s %7s %9s   %s\n' "traffic (client results)" sent answered "edge UDP in" NoPorts "TCP opens" "answered by"
printf '%s\n' "${ROWS[@]}"
cat <<EOF
  edge UDP in / NoPorts / TCP opens: the edge kernel's own counters (/proc/net/snmp, snmp6)
  during that traffic; the fast path answers before the kernel sees a packet.
EOF

say "anycastd's log after start-up (it ends with its counter summary)"
awk 'seen; /anycastd started/ { seen = 1 }' "$LAB_ANYCASTD_LOG" | sed 's/^/  /'

[[ $LAB_ANYCASTD_RC == 0 ]] || PROBLEMS+=("anycastd exited with $LAB_ANYCASTD_RC after SIGTERM, expected 0")
say "cleanup"
echo "  removing namespaces $LAB_CLIENT and $LAB_EDGE"
if ((${#PROBLEMS[@]})); then
	printf '  DEMO FAILED: %s\n' "${PROBLEMS[@]}"
	exit 1
fi
