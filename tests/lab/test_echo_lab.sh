#!/usr/bin/env bash
# Integration test in its own namespaces: anycastd on the edge with the VIPs 192.0.2.10 and
# 2001:db8::10. Echo from the client is answered by XDP (the edge kernel's UDP counters do not
# move, the client sees no checksum errors); TCP to a server bound to the VIP on the loopback
# alias goes through the kernel; after SIGTERM the aliases and the program are gone and echo is
# unanswered.
#
#   test_echo_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT
set -euo pipefail

ANYCASTD=${1:?usage: test_echo_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
XDP_PASS=${2:?usage: test_echo_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
N=${LAB_ECHO_COUNT:-20}
VIP4=192.0.2.10
VIP6=2001:db8::10

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$VIP4" "$VIP6"
lab_start_anycastd "$ANYCASTD" "$conf" --log-level debug

# --- started: aliases on lo, program on the NIC ---
lo_addrs=$(ip -n "$LAB_EDGE" addr show dev lo)
grep -qF "inet $VIP4/32 " <<<"$lo_addrs" || lab_fail "expected $VIP4/32 on the edge's lo, seen: $lo_addrs"
grep -qF "inet6 $VIP6/128 " <<<"$lo_addrs" || lab_fail "expected $VIP6/128 on the edge's lo, seen: $lo_addrs"
lab_log "ok: VIP aliases on the edge's lo"
lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF" ||
	lab_fail "expected an XDP program on $LAB_EDGE_IF, seen: $(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF")"
lab_log "ok: XDP attached to $LAB_EDGE_IF"

# --- echo, v4 and v6, answered by XDP ---
declare -A edge0 edge1 client1
lab_udp_counters "$LAB_EDGE" edge0
lab_expect_echo "echo $VIP4:7" "$N" "$VIP4" 7 --count "$N"
lab_expect_echo "echo [$VIP6]:7" "$N" "$VIP6" 7 --count "$N"
lab_udp_counters "$LAB_EDGE" edge1
lab_udp_counters "$LAB_CLIENT" client1

lab_expect_eq "edge kernel Udp InDatagrams during the echo run (XDP answered)" "${edge0[in4]}" "${edge1[in4]}"
lab_expect_eq "edge kernel Udp NoPorts during the echo run" "${edge0[noports4]}" "${edge1[noports4]}"
lab_expect_eq "edge kernel Udp6InDatagrams during the echo run (XDP answered)" "${edge0[in6]}" "${edge1[in6]}"
lab_expect_eq "edge kernel Udp6NoPorts during the echo run" "${edge0[noports6]}" "${edge1[noports6]}"
lab_expect_eq "client Udp InCsumErrors" 0 "${client1[csum4]}"
lab_expect_eq "client Udp6InCsumErrors" 0 "${client1[csum6]}"

# --- TCP to the VIP goes to the kernel through the loopback alias ---
lab_bg "$LAB_EDGE" socat "TCP4-LISTEN:8080,bind=$VIP4,reuseaddr,fork" PIPE
lab_bg "$LAB_EDGE" socat "TCP6-LISTEN:8080,bind=[$VIP6],ipv6only=1,reuseaddr,fork" PIPE
lab_wait_listen "$LAB_EDGE" 8080
sleep 0.2 # both listeners
tcp_opens=$(lab_snmp "$LAB_EDGE" Tcp PassiveOpens)
for vip in "$VIP4" "$VIP6"; do
	out=$(lab_client "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$vip" 8080) || true
	lab_log "tcp $vip: $out"
	lab_expect_eq "TCP to $vip:8080 (socat on the edge, bound to the VIP)" "connected=1 echoed=1" \
		"connected=$(lab_field "$out" connected) echoed=$(lab_field "$out" echoed)"
done
tcp_opens2=$(lab_snmp "$LAB_EDGE" Tcp PassiveOpens)
lab_expect_eq "edge kernel Tcp PassiveOpens (TCP reached the kernel)" 2 "$((tcp_opens2 - tcp_opens))"

# --- SIGTERM: exit 0, aliases removed, program detached, echo unanswered ---
lab_stop_anycastd 20
lab_log "anycastd after SIGTERM:"
sed -n '/anycastd started/,$p' "$LAB_ANYCASTD_LOG" | tail -n +2 | sed 's/^/    /' >&2
lab_expect_eq "anycastd exit code after SIGTERM (deadline 20 s)" 0 "$LAB_ANYCASTD_RC"

lo_addrs=$(ip -n "$LAB_EDGE" addr show dev lo)
if grep -qF -e "$VIP4/" -e "$VIP6/" <<<"$lo_addrs"; then
	lab_fail "expected no VIP on the edge's lo after SIGTERM, seen: $lo_addrs"
fi
lab_log "ok: VIP aliases removed from the edge's lo"
if lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF"; then
	lab_fail "expected no XDP program on $LAB_EDGE_IF after SIGTERM, seen: $(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF")"
fi
lab_log "ok: no XDP program on $LAB_EDGE_IF"

lab_expect_echo "echo $VIP4:7 after SIGTERM (unanswered)" 0 "$VIP4" 7 --count 3 --timeout 1
lab_expect_echo "echo [$VIP6]:7 after SIGTERM (unanswered)" 0 "$VIP6" 7 --count 3 --timeout 1

lab_log "PASS"
