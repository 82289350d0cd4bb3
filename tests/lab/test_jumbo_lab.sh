#!/usr/bin/env bash
# Jumbo frames (issue 21, multi-buffer frames): the lab's veth pair at MTU 9000, anycastd on the
# edge with the VIPs 192.0.2.10 and 2001:db8::10, a UDP echo server bound to both VIPs on the
# edge's loopback alias.
#
#   - The premise: the kernel refuses a plain (not frags-aware) `xdp` program on the edge veth at
#     this MTU, so anycastd's program attaching there in native mode shows it is `xdp.frags`.
#   - An 8000-byte echo request arrives in several buffers: anycastd passes it untouched, counts
#     it once under passed.multi_buffer, and the kernel's echo server answers it byte for byte
#     (the edge kernel's UDP InDatagrams rise by one per request).
#   - Small echo requests at the same MTU are still answered by XDP: the edge kernel's UDP
#     counters do not move, nor does the multi_buffer counter.
#
#   test_jumbo_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
set -euo pipefail

usage="usage: test_jumbo_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
N=${LAB_JUMBO_COUNT:-10}
SIZE=8000
VIP4=192.0.2.10
VIP6=2001:db8::10
LAB_MTU=9000

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
[[ -x "$ANYCASTCTL" ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

for ns_if in "$LAB_CLIENT $LAB_CLIENT_IF" "$LAB_EDGE $LAB_EDGE_IF"; do
	read -r ns dev <<<"$ns_if"
	mtu=$(ip -n "$ns" -o link show dev "$dev" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	lab_expect_eq "MTU of $dev" "$LAB_MTU" "$mtu"
done

# --- the premise: a program that is not frags-aware is refused here ---
if ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdpdrv obj "$XDP_PASS" sec xdp 2>"$LAB_TMP/plain_xdp.err"; then
	ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdpdrv off
	lab_fail "the kernel attached a plain xdp program at MTU $LAB_MTU: this lab would not show that anycastd's is frags-aware"
fi
lab_log "ok: a plain xdp program is refused at MTU $LAB_MTU ($(grep -m1 -i -e mtu -e range "$LAB_TMP/plain_xdp.err" || head -n1 "$LAB_TMP/plain_xdp.err"))"

conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$VIP4" "$VIP6"
lab_start_anycastd "$ANYCASTD" "$conf" --log-level debug
SOCK="$LAB_TMP/anycastd.sock"

link=$(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF")
# native mode shows as "xdp" (generic would be "xdpgeneric") with the program's id
grep -qE "mtu $LAB_MTU xdp |prog/xdp id" <<<"$link" && ! grep -q xdpgeneric <<<"$link" ||
	lab_fail "expected anycastd's program attached in native mode to $LAB_EDGE_IF, seen: $link"
lab_log "ok: anycastd's program attached in native mode at MTU $LAB_MTU"

# counter NAME: one counter of `anycastctl status --json` (status.counters, e.g. passed.multi_buffer).
counter() {
	local json
	json=$("$ANYCASTCTL" --socket "$SOCK" status --json) || lab_fail "anycastctl status --json failed"
	STATUS_JSON=$json json_get "d['status']['counters']['${1%%.*}']['${1#*.}']"
}

# The slow path's echo server, on both VIPs (the loopback aliases anycastd added).
for vip in "$VIP4" "$VIP6"; do
	rm -f "$LAB_TMP/server-$vip.ready"
	lab_bg "$LAB_EDGE" "$LAB_PYTHON" "$LAB_DIR/udp_echo_server.py" "$vip" 7 --ready-file "$LAB_TMP/server-$vip.ready"
	wait_file "$LAB_TMP/server-$vip.ready"
done

# --- jumbo echo: passed as multi_buffer, answered by the kernel's server, byte for byte ---
declare -A edge0 edge1 edge2 client2
for vip in "$VIP4" "$VIP6"; do
	fam=4
	[[ $vip == *:* ]] && fam=6
	lab_udp_counters "$LAB_EDGE" edge0
	mb0=$(counter passed.multi_buffer)
	lab_expect_echo "$SIZE-byte echo to $vip:7 (slow path)" "$N" "$vip" 7 --count "$N" --size "$SIZE"
	mb1=$(counter passed.multi_buffer)
	lab_udp_counters "$LAB_EDGE" edge1
	lab_expect_eq "passed.multi_buffer rise for $N $SIZE-byte requests to $vip" "$N" "$((mb1 - mb0))"
	lab_expect_eq "edge kernel UDP (v$fam) datagrams in for them (the server got each once)" "$N" \
		"$((${edge1[in$fam]} - ${edge0[in$fam]}))"
done

# --- small echo at the same MTU: still answered by XDP ---
lab_udp_counters "$LAB_EDGE" edge1
mb1=$(counter passed.multi_buffer)
echo1=$(counter answered.echo)
lab_expect_echo "small echo $VIP4:7 (XDP)" "$N" "$VIP4" 7 --count "$N"
lab_expect_echo "small echo [$VIP6]:7 (XDP)" "$N" "$VIP6" 7 --count "$N"
lab_udp_counters "$LAB_EDGE" edge2
lab_udp_counters "$LAB_CLIENT" client2
lab_expect_eq "edge kernel Udp InDatagrams during the small echo run (XDP answered)" "${edge1[in4]}" "${edge2[in4]}"
lab_expect_eq "edge kernel Udp6InDatagrams during the small echo run (XDP answered)" "${edge1[in6]}" "${edge2[in6]}"
lab_expect_eq "answered.echo rise for the small requests" "$((2 * N))" "$(($(counter answered.echo) - echo1))"
lab_expect_eq "passed.multi_buffer during the small echo run" "$mb1" "$(counter passed.multi_buffer)"
lab_expect_eq "client Udp InCsumErrors" 0 "${client2[csum4]}"
lab_expect_eq "client Udp6InCsumErrors" 0 "${client2[csum6]}"

lab_stop_anycastd 20
lab_expect_eq "anycastd exit code after SIGTERM (deadline 20 s)" 0 "$LAB_ANYCASTD_RC"
lab_log "PASS"
