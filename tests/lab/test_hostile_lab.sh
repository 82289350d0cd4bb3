#!/usr/bin/env bash
# Hostile packets against a running anycastd, in its own namespaces: hostile.py (in the client
# namespace) fires every malformed class at the VIPs from an AF_PACKET socket, each frame followed
# by a valid echo request, and checks that every valid request is answered, no malformed frame is
# answered (capture on the client veth), and each pass counter (anycastctl status --json) moved by
# exactly what went out on the wire for its reason. Then anycastd must still be running and exit
# 0 on SIGTERM. The classes are listed in hostile.py and docs/robustness.md.
#
#   test_hostile_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
set -euo pipefail

usage="usage: test_hostile_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
VIP4=192.0.2.10
VIP6=2001:db8::10

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
[[ -x "$ANYCASTCTL" ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"
lab_require_root
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

mac_of() { ip -n "$1" -o link show dev "$2" | grep -oE 'link/ether [0-9a-f:]+' | awk '{print $2}'; }
CLIENT_MAC=$(mac_of "$LAB_CLIENT" "$LAB_CLIENT_IF")
EDGE_MAC=$(mac_of "$LAB_EDGE" "$LAB_EDGE_IF")

# A quiet wire, so that what the counters see is what hostile.py sent: fixed neighbours (no ARP,
# no neighbour discovery) and no router solicitations. hostile.py still accounts for any frame
# the client's kernel sends by itself.
ip -n "$LAB_CLIENT" neigh replace "$LAB_EDGE_V4" lladdr "$EDGE_MAC" dev "$LAB_CLIENT_IF" nud permanent
ip -n "$LAB_CLIENT" neigh replace "$LAB_EDGE_V6" lladdr "$EDGE_MAC" dev "$LAB_CLIENT_IF" nud permanent
ip -n "$LAB_EDGE" neigh replace "$LAB_CLIENT_V4" lladdr "$CLIENT_MAC" dev "$LAB_EDGE_IF" nud permanent
ip -n "$LAB_EDGE" neigh replace "$LAB_CLIENT_V6" lladdr "$CLIENT_MAC" dev "$LAB_EDGE_IF" nud permanent
lab_client sysctl -qw "net.ipv6.conf.$LAB_CLIENT_IF.router_solicitations=0"

conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$VIP4" "$VIP6"
# DNS on the VIPs too, so that hostile DNS messages meet the DNS parser (hostile.py's dns_*
# classes); the zone is the DNS lab's.
cat >>"$conf" <<-EOF

	[services.dns]
	port = 53

	[[services.dns.zone]]
	origin = "example.net"
	file = "$LAB_DIR/dns/example.net.zone"
EOF
lab_start_anycastd "$ANYCASTD" "$conf"
pid=$LAB_ANYCASTD_PID

out=$(lab_client "$LAB_PYTHON" "$LAB_DIR/hostile.py" --iface "$LAB_CLIENT_IF" --client-mac "$CLIENT_MAC" \
	--edge-mac "$EDGE_MAC" --client4 "$LAB_CLIENT_V4" --client6 "$LAB_CLIENT_V6" --vip4 "$VIP4" --vip6 "$VIP6" \
	--anycastctl "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" 2>&1) || {
	echo "$out" >&2
	lab_dump_anycastd_log
	lab_fail "hostile.py reported a failure (above)"
}
echo "$out" | sed 's/^/    /' >&2

kill -0 "$pid" 2>/dev/null || lab_fail "anycastd (pid $pid) is gone after the hostile packets"
lab_log "ok: anycastd still running (pid $pid)"
lab_expect_echo "echo $VIP4:7 after the hostile packets" 5 "$VIP4" 7 --count 5
lab_stop_anycastd 20
lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
lab_log "PASS"
