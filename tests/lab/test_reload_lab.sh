#!/usr/bin/env bash
# lab.reload: every configuration key against a running anycastd on XDP in the namespace lab,
# then reloads that fail part-way and a group removed by a reload (tests/lab/reload_lab.py says
# what each row checks). A real BIRD in the edge namespace serves the group with signal = "bird"
# (static protocols only, no peer); a second path to its socket stands for a moved socket.
#
#   test_reload_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
set -euo pipefail
ANYCASTD=$1 ANYCASTCTL=$2 XDP_PASS=$3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lab.sh
source "$HERE/lab.sh"

lab_setup "$XDP_PASS"
for vip in 192.0.2.21/32 192.0.2.22/32 192.0.2.23/32 192.0.2.24/32 2001:db8::21/128; do lab_route_vip "$vip"; done

cat >"$LAB_TMP/bird.conf" <<-CONF
	router id 198.51.100.2;
	protocol device {}
	protocol static anycast4 { ipv4; route 192.0.2.22/32 unreachable; disabled; }
	protocol static anycast6 { ipv6; route 2001:db8::22/128 unreachable; disabled; }
	protocol static gshut4 { ipv4; route 192.0.2.22/32 unreachable; disabled; }
CONF
command -v bird >/dev/null || lab_fail "bird not found (scripts/deps.sh installs it)"
ip netns exec "$LAB_EDGE" bird -f -c "$LAB_TMP/bird.conf" -s "$LAB_TMP/bird.ctl" -P "$LAB_TMP/bird.pid" \
	>>"$LAB_TMP/bird.log" 2>&1 &
deadline=$((SECONDS + 10))
until birdc -s "$LAB_TMP/bird.ctl" show status >/dev/null 2>&1; do
	((SECONDS < deadline)) || lab_fail "BIRD did not answer on $LAB_TMP/bird.ctl within 10 s: $(tail -n 5 "$LAB_TMP/bird.log")"
	sleep 0.1
done
ln -s "$LAB_TMP/bird.ctl" "$LAB_TMP/bird2.ctl"
lab_log "BIRD up in $LAB_EDGE"

# A second interface for the reload of datapath.interface: a veth pair inside the edge.
LAB_EXTRA_IF=rl-extra
ip -n "$LAB_EDGE" link add "$LAB_EXTRA_IF" type veth peer name "$LAB_EXTRA_IF-p"
ip -n "$LAB_EDGE" link set "$LAB_EXTRA_IF" up
ip -n "$LAB_EDGE" link set "$LAB_EXTRA_IF-p" up

export LAB_EDGE LAB_CLIENT LAB_EDGE_IF LAB_TMP LAB_EXTRA_IF
python3 "$HERE/reload_lab.py" "$ANYCASTD" "$ANYCASTCTL" "$HERE/udp_echo.py"
