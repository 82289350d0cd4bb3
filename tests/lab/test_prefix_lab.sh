#!/usr/bin/env bash
# Integration test for prefix VIPs: anycastd owns 203.0.113.0/24 and 2001:db8:1::/48. Echo to
# two different addresses inside each prefix is answered by XDP; while it runs the edge has a
# `local` route for each prefix, and after SIGTERM the routes and the program are gone.
#
#   test_prefix_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT
set -euo pipefail

ANYCASTD=${1:?usage: test_prefix_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
XDP_PASS=${2:?usage: test_prefix_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
N=${LAB_ECHO_COUNT:-10}
P4=203.0.113.0/24
P6=2001:db8:1::/48
TARGETS=(203.0.113.7 203.0.113.200 2001:db8:1::7 2001:db8:1:ab::1)

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
lab_setup "$XDP_PASS"
lab_route_vip "$P4"
lab_route_vip "$P6"

conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$P4" "$P6"
lab_start_anycastd "$ANYCASTD" "$conf" --log-level debug

# local_route PREFIX: the edge's `local` route for PREFIX, in any table, or nothing.
local_route() {
	local fam=-4
	[[ $1 == *:* ]] && fam=-6
	ip -n "$LAB_EDGE" "$fam" route show table all type local | grep -E "^local $1 " || true
}

for p in "$P4" "$P6"; do
	r=$(local_route "$p")
	[[ -n $r ]] || lab_fail "expected a local route for $p on the edge, seen: $(ip -n "$LAB_EDGE" route show table all type local; ip -n "$LAB_EDGE" -6 route show table all type local)"
	lab_log "ok: $r"
done
lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF" ||
	lab_fail "expected an XDP program on $LAB_EDGE_IF, seen: $(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF")"

declare -A edge0 edge1 client1
lab_udp_counters "$LAB_EDGE" edge0
for t in "${TARGETS[@]}"; do
	lab_expect_echo "echo $t port 7 (inside a prefix VIP)" "$N" "$t" 7 --count "$N"
done
lab_udp_counters "$LAB_EDGE" edge1
lab_udp_counters "$LAB_CLIENT" client1
lab_expect_eq "edge kernel Udp InDatagrams during the echo run (XDP answered)" "${edge0[in4]}" "${edge1[in4]}"
lab_expect_eq "edge kernel Udp NoPorts during the echo run" "${edge0[noports4]}" "${edge1[noports4]}"
lab_expect_eq "edge kernel Udp6InDatagrams during the echo run (XDP answered)" "${edge0[in6]}" "${edge1[in6]}"
lab_expect_eq "edge kernel Udp6NoPorts during the echo run" "${edge0[noports6]}" "${edge1[noports6]}"
lab_expect_eq "client Udp InCsumErrors" 0 "${client1[csum4]}"
lab_expect_eq "client Udp6InCsumErrors" 0 "${client1[csum6]}"

lab_stop_anycastd 20
lab_log "anycastd after SIGTERM:"
sed -n '/anycastd started/,$p' "$LAB_ANYCASTD_LOG" | tail -n +2 | sed 's/^/    /' >&2
lab_expect_eq "anycastd exit code after SIGTERM (deadline 20 s)" 0 "$LAB_ANYCASTD_RC"

for p in "$P4" "$P6"; do
	r=$(local_route "$p")
	[[ -z $r ]] || lab_fail "expected no local route for $p after SIGTERM, seen: $r"
	lab_log "ok: no local route for $p"
done
if lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF"; then
	lab_fail "expected no XDP program on $LAB_EDGE_IF after SIGTERM, seen: $(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF")"
fi
lab_log "ok: no XDP program on $LAB_EDGE_IF"
for t in 203.0.113.7 2001:db8:1::7; do
	lab_expect_echo "echo $t port 7 after SIGTERM (unanswered)" 0 "$t" 7 --count 3 --timeout 1
done

lab_log "PASS"
