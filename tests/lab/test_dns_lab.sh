#!/usr/bin/env bash
# DNS from static zones, against Knot, in its own namespaces. knotd (Debian's knot) serves
# tests/lab/dns/example.net.zone in a third namespace (knot) wired to the client by its own veth
# pair; anycastd serves the same zone on the edge's VIPs (192.0.2.10, 2001:db8::10) from XDP, with
# its slow path on the loopback alias (or, with the dpdk argument, from anycastd-dpdk on the edge
# veth through net_af_xdp, the slow path's traffic through the TAP exception path). dns_lab.py, in the client namespace, asks both servers the
# same questions with dig over IPv4 and IPv6 and compares rcode, flags, answer and authority
# sections; each case names the path that must answer it, and the fast path's counters
# (anycastctl status --json) and the edge kernel's UDP/TCP counters must move accordingly, so a fast
# path that passes everything to the slow path fails. Then malformed messages must be passed and
# counted, never answered wrongly; anycastd must still run and exit 0 on SIGTERM.
#
#   test_dns_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT [xdp | dpdk ANYCASTD_DPDK]
#
# LAB_DNS_KNOT_ONLY=1 checks knotd's answers against the cases' expectations alone, without
# starting anycastd: it proves the zone and the expectations when the anycastd side is in doubt.
set -euo pipefail

usage="usage: test_dns_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT [xdp | dpdk ANYCASTD_DPDK]"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
DATAPATH=${4:-xdp}
case $DATAPATH in
xdp) ;;
dpdk) DPDK_BIN=${5:?$usage} ;;
*) echo "$usage" >&2; exit 1 ;;
esac
VIP4=192.0.2.10
VIP6=2001:db8::10
# the knot namespace's side of its veth pair to the client
KNOT_IF=veth-kc
KNOT_CLIENT_IF=veth-knot
KNOT4=203.0.113.53
KNOT6=2001:db8:fffe::53
KNOT_CLIENT4=203.0.113.1
KNOT_CLIENT6=2001:db8:fffe::1
ZONE_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dns/example.net.zone"

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
for tool in knotd knotc dig; do
	command -v "$tool" >/dev/null || lab_fail "$tool is missing (scripts/deps.sh installs knot, bind9-dnsutils)"
done
/usr/bin/python3 -c 'import dns.message, yaml' 2>/dev/null ||
	lab_fail "python3-dnspython or python3-yaml is missing (scripts/deps.sh installs them)"
[[ -r $ZONE_FILE ]] || lab_fail "zone file not found: $ZONE_FILE"
[[ ${LAB_DNS_KNOT_ONLY:-0} == 1 || -x $ANYCASTCTL ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"

lab_setup "$XDP_PASS"
[[ $DATAPATH == xdp || -x $DPDK_BIN ]] || lab_fail "anycastd-dpdk not found or not executable: $DPDK_BIN"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

# --- knotd in its own namespace, one veth hop from the client like the edge ---
KNOT_NS="${LAB_CLIENT%-client}-knot"
LAB_CLEANUP_HOOKS+=("_lab_del_ns $KNOT_NS")
ip netns add "$KNOT_NS"
ip netns exec "$KNOT_NS" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip -n "$KNOT_NS" link set lo up
ip -n "$LAB_CLIENT" link add "$KNOT_CLIENT_IF" type veth peer name "$KNOT_IF" netns "$KNOT_NS"
ip -n "$LAB_CLIENT" addr add "$KNOT_CLIENT4/24" dev "$KNOT_CLIENT_IF"
ip -n "$LAB_CLIENT" addr add "$KNOT_CLIENT6/64" dev "$KNOT_CLIENT_IF" nodad
ip -n "$KNOT_NS" addr add "$KNOT4/24" dev "$KNOT_IF"
ip -n "$KNOT_NS" addr add "$KNOT6/64" dev "$KNOT_IF" nodad
ip -n "$LAB_CLIENT" link set "$KNOT_CLIENT_IF" up
ip -n "$KNOT_NS" link set "$KNOT_IF" up

KNOT_DIR="$LAB_TMP/knot"
mkdir -p "$KNOT_DIR/run" "$KNOT_DIR/db"
cat >"$KNOT_DIR/knot.conf" <<-EOF
	server:
	    rundir: "$KNOT_DIR/run"
	    user: root:root
	    listen: [ "$KNOT4@53", "$KNOT6@53" ]
	    udp-workers: 1
	    tcp-workers: 1
	    background-workers: 1
	database:
	    storage: "$KNOT_DIR/db"
	log:
	  - target: "$KNOT_DIR/knotd.log"
	    any: info
	zone:
	  - domain: example.net
	    file: "$ZONE_FILE"
	    zonefile-sync: -1
	    zonefile-load: whole
	    journal-content: none
EOF
lab_bg "$KNOT_NS" knotd -c "$KNOT_DIR/knot.conf"
deadline=$((SECONDS + 15))
until ip netns exec "$KNOT_NS" knotc -c "$KNOT_DIR/knot.conf" zone-status example.net 2>/dev/null | grep -q "serial: 2024060101"; do
	if ((SECONDS >= deadline)); then
		cat "$KNOT_DIR/knotd.log" >&2 || true
		lab_fail "knotd did not load example.net (serial 2024060101) within 15 s"
	fi
	sleep 0.1
done
lab_log "knotd serves example.net in $KNOT_NS"

if [[ ${LAB_DNS_KNOT_ONLY:-0} == 1 ]]; then
	lab_client "$LAB_PYTHON" "$LAB_DIR/dns_lab.py" --knot4 "$KNOT4" --knot6 "$KNOT6" --knot-only ||
		lab_fail "dns_lab.py reported a failure (above)"
	lab_log "PASS (knotd only)"
	exit 0
fi

# --- anycastd on the edge, the same zone, RRL off ---
conf="$LAB_TMP/anycastd.toml"
if [[ $DATAPATH == xdp ]]; then
	lab_write_config "$conf" "$VIP4" "$VIP6"
else
	# As in test_dpdk_lab.sh: the edge's addresses move from the veth (now DPDK's port) to the
	# exception interface, through which the kernel (the slow path among it) sends and receives.
	ip -n "$LAB_EDGE" addr flush dev "$LAB_EDGE_IF"
	lab_write_dpdk_config "$conf" "$DPDK_BIN" "$VIP4" "$VIP6"
fi
cat >>"$conf" <<-EOF

	[services.dns]
	port = 53
	slow_path = true

	[[services.dns.zone]]
	origin = "example.net"
	file = "$ZONE_FILE"

	[services.dns.rrl]
	rate = 0
	slip = 2
EOF
lab_start_anycastd "$ANYCASTD" "$conf"
[[ $DATAPATH == dpdk ]] && lab_wait_log "DPDK datapath up" 5
pid=$LAB_ANYCASTD_PID
STATUS_JSON=$("$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" status --json) ||
	lab_fail "anycastctl status --json failed: $STATUS_JSON"
lab_expect_eq "status: the zone loaded (origin, serial, records)" "example.net. 2024060101 42" \
	"$(json_get '" ".join(str(d["status"]["dns"]["zones"][0][k]) for k in ("origin", "serial", "records"))')"

# XDP on veth grows a frame only into the tailroom the peer's skb left (docs/dns.md, "Frame
# growth"): there a fast case may pass as dns_no_room and the slow path answer it.
growth_limited=()
[[ $DATAPATH == xdp ]] && growth_limited=(--growth-limited)
lab_client "$LAB_PYTHON" "$LAB_DIR/dns_lab.py" --knot4 "$KNOT4" --knot6 "$KNOT6" --vip4 "$VIP4" --vip6 "$VIP6" \
	--edge-ns "$LAB_EDGE" --anycastctl "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "${growth_limited[@]}" || {
	lab_dump_anycastd_log
	lab_fail "dns_lab.py reported a failure (above)"
}

# Response rate limiting on the fast path, either datapath: rate 1 a second, slip 2, by
# reload. Six queries from one source in one instant: the first answered whole, then dropped,
# truncated, dropped, truncated, dropped (docs/configuration.md, [services.dns.rrl]).
rrl_counters() {
	STATUS_JSON=$("$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" status --json) ||
		lab_fail "anycastctl status --json failed: $STATUS_JSON"
	json_get '" ".join(str(x) for x in (d["status"]["counters"]["packets"]["drop"], d["status"]["counters"]["dns"]["slipped"], d["status"]["counters"]["dns"]["noerror"]))'
}
sed -i 's/^rate = 0$/rate = 1/' "$conf"
"$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" reload >/dev/null || lab_fail "anycastctl reload (rrl rate 1) failed"
read -r drop0 slip0 noerr0 <<<"$(rrl_counters)"
replies=$(lab_client "$LAB_PYTHON" -c '
import socket, struct, sys, time
import dns.message
q = dns.message.make_query("www.example.net.", "A", use_edns=0).to_wire()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 0))
for i in range(6):
    s.sendto(q[:0] + struct.pack("!H", 0x5100 + i) + q[2:], (sys.argv[1], 53))
s.settimeout(1.0)
got = []
try:
    while True:
        r = s.recv(4096)
        an = struct.unpack("!H", r[6:8])[0]
        got.append(("tc" if r[2] & 0x02 else "whole") + ":" + str(an))
except socket.timeout:
    pass
print(" ".join(sorted(got)))' "$VIP4")
read -r drop1 slip1 noerr1 <<<"$(rrl_counters)"
lab_expect_eq "rrl: replies to six queries (rate 1, slip 2)" "tc:0 tc:0 whole:2" "$replies"
lab_expect_eq "rrl: drops, slips, whole answers counted" "3 2 1" \
	"$((drop1 - drop0)) $((slip1 - slip0)) $((noerr1 - noerr0))"

kill -0 "$pid" 2>/dev/null || lab_fail "anycastd (pid $pid) is gone after the DNS cases"
lab_log "ok: anycastd still running (pid $pid)"
lab_stop_anycastd 20
lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
lab_log "PASS"
