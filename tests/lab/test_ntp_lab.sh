#!/usr/bin/env bash
# NTP server mode in its own namespaces (VIPs 192.0.2.10 and 2001:db8::10). chronyd on the edge is the time source and never touches
# the clock (-x, `local stratum 10`, `port 0`: it serves nothing itself); anycastd answers NTP on
# the VIP from XDP with clock = "chrony". Clients that only measure (chronyd -Q, sntp, ntpdate -q;
# all namespaces share the host's one clock, so none may set it) accept the answers at stratum 11
# with an offset under 1 ms, and the edge kernel's UDP counters stay still. Then the clock check:
# a chronyd reporting itself unsynchronised, and a chronyd gone, each withdraw the route (the
# alias goes); a synchronised one brings it back.
#
#   test_ntp_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT
set -euo pipefail

ANYCASTD=${1:?usage: test_ntp_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
XDP_PASS=${2:?usage: test_ntp_lab.sh ANYCASTD_BINARY XDP_PASS_OBJECT}
VIP4=192.0.2.10
VIP6=2001:db8::10

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
for tool in chronyd chronyc sntp ntpdate; do
	command -v "$tool" >/dev/null || lab_fail "$tool is missing (scripts/deps.sh installs chrony, sntp, ntpsec-ntpdate)"
done
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

# shellcheck source=chrony.sh
source "$(dirname "${BASH_SOURCE[0]}")/chrony.sh"

wait_alias() { # wait_alias present|absent WHAT
	local deadline=$((SECONDS + 20))
	while true; do
		if alias_present "$VIP4"; then [[ $1 == present ]] && break; else [[ $1 == absent ]] && break; fi
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "expected the alias $VIP4 $1 within 20 s ($2)"
		fi
		sleep 0.05
	done
	lab_log "ok: alias $1 ($2)"
}

start_chronyd synced

conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$VIP4" "$VIP6"
cat >>"$conf" <<-EOF
	[services.ntp]
	port = 123
	clock = "chrony"
	chrony_socket = "$CHRONY_SOCK"

	[health]
	interval_ms = 300
	fast_interval_ms = 100
	rise = 2
	fall = 2
	hold_down_ms = 0
	disable_file = ""

	[[health.check]]
	kind = "clock"
	max_error_ms = 50
	timeout_ms = 250

	[route]
	drain_ms = 200
	EOF
lab_start_anycastd "$ANYCASTD" "$conf"
lab_wait_log "NTP clock: .*synchronised, stratum 10" 10

# --- clients that only measure: each must accept the answer (stratum 11), offset < 1 ms ---
declare -A edge0 edge1 client1
lab_udp_counters "$LAB_EDGE" edge0

# below_1ms NUMBER: |NUMBER| seconds < 0.001 (a sanity bound: the precision is a benchmark figure)
below_1ms() { awk -v x="$1" 'BEGIN { if (x < 0) x = -x; exit !(x < 0.001) }'; }

out=$(lab_client timeout 20 chronyd -Q -x -u root -t 15 "server $VIP4 iburst maxsamples 4" \
	"pidfile $LAB_TMP/chronyd-q.pid" 2>&1) || lab_fail "chronyd -Q failed: $out"
lab_log "chronyd -Q: $(grep -i 'wrong by' <<<"$out" || echo "$out")"
offset=$(sed -nE 's/.*System clock wrong by (-?[0-9.]+) seconds.*/\1/p' <<<"$out" | tail -1)
[[ -n "$offset" ]] || lab_fail "chronyd -Q printed no offset: $out"
below_1ms "$offset" || lab_fail "chronyd -Q offset $offset s is not under 1 ms"
lab_log "ok: chronyd -Q accepted the answers, offset $offset s"

for client in "sntp $VIP4" "ntpdate -q $VIP4" "sntp $VIP6"; do
	vip=${client##* }
	# shellcheck disable=SC2086 # the client's words
	out=$(lab_client timeout 20 $client 2>&1) || lab_fail "$client failed: $out"
	lab_log "$client: $out"
	line=$(grep -F " $vip " <<<"$out" | tail -1)
	[[ -n "$line" ]] || lab_fail "$client printed no result for $vip: $out"
	grep -qE " s11( |$)" <<<"$line" || lab_fail "$client: expected stratum 11 (s11), got: $line"
	offset=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "+/-") { print $(i - 1); exit } }' <<<"$line")
	[[ -n "$offset" ]] || lab_fail "$client: no offset in: $line"
	below_1ms "$offset" || lab_fail "$client: offset $offset s is not under 1 ms"
	lab_log "ok: $client accepted the answer, stratum 11, offset $offset s"
done

lab_udp_counters "$LAB_EDGE" edge1
lab_udp_counters "$LAB_CLIENT" client1
lab_expect_eq "edge kernel Udp InDatagrams during the NTP clients (XDP answered)" "${edge0[in4]}" "${edge1[in4]}"
lab_expect_eq "edge kernel Udp NoPorts during the NTP clients" "${edge0[noports4]}" "${edge1[noports4]}"
lab_expect_eq "edge kernel Udp6InDatagrams during the NTP clients (XDP answered)" "${edge0[in6]}" "${edge1[in6]}"
lab_expect_eq "edge kernel Udp6NoPorts during the NTP clients" "${edge0[noports6]}" "${edge1[noports6]}"
lab_expect_eq "client Udp InCsumErrors" 0 "${client1[csum4]}"
lab_expect_eq "client Udp6InCsumErrors" 0 "${client1[csum6]}"

# --- the clock check drives the route ---
alias_present "$VIP4" || { lab_dump_anycastd_log; lab_fail "expected the alias $VIP4 on the edge's lo while chronyd is synchronised"; }
stop_chronyd
start_chronyd unsynced
wait_alias absent "chronyd reports unsynchronised"
lab_wait_log "chronyd reports its clock not synchronised" 5

stop_chronyd
start_chronyd synced
wait_alias present "chronyd synchronised again"

stop_chronyd
wait_alias absent "chronyd stopped"
lab_wait_log "NTP clock: .*unreachable" 5

lab_stop_anycastd
[[ $LAB_ANYCASTD_RC == 0 ]] || lab_fail "anycastd exited with $LAB_ANYCASTD_RC after SIGTERM"
lab_log "PASS"
