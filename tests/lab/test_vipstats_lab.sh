#!/usr/bin/env bash
# Per-VIP counters after real traffic (issue 22), in the namespace lab: three VIPs in two groups,
# [metrics] vip_series = 2, so the third VIP is counted in "other".
#
#   test_vipstats_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
#
#   1. echo requests to each VIP and datagrams to a port nothing serves: `anycastctl status --json`
#      (vips[]) and the metrics (anycastd_vip_packets_total) count each VIP's answers and passes,
#      the third VIP's in vip="other", and say one VIP is over the limit; `anycastctl status`
#      prints the table.
#   2. a reload that removes VIP6: VIP4 keeps its count, VIP6 is gone, the third VIP gets a series
#      of its own from 0, "other" is gone; traffic after it counts on.
#   3. anycastctl restart (the new image takes the maps over): every count carries on, none moves
#      to another VIP; traffic after it counts on.
#
# Control's probes (the datapath check) are not counted per VIP, so the counts are exact.
set -euo pipefail

usage="usage: test_vipstats_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}

VIP4=192.0.2.10
VIP6=2001:db8::10
VIP_EXTRA=192.0.2.20
METRICS=127.0.0.1:9187

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
HELPER="$LAB_DIR/ctl_lab.py"
[[ -x "$ANYCASTCTL" ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"
lab_require_root
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"
lab_route_vip "$VIP_EXTRA/32"

SOCK="$LAB_TMP/anycastd.sock"
CONF="$LAB_TMP/anycastd.toml"
ctl() { "$ANYCASTCTL" --socket "$SOCK" "$@"; }

# write_config "ADDRESSES OF default": group default with those, group extra with VIP_EXTRA.
write_config() {
	cat >"$CONF" <<-EOF
		[datapath]
		kind = "xdp"
		interface = "$LAB_EDGE_IF"
		xdp_mode = "native"

		[anycast]
		loopback = "lo"

		[services.echo]
		port = 7

		[control]
		socket = "$SOCK"

		[metrics]
		listen = "$METRICS"
		vip_series = 2

		[health]
		interval_ms = 200
		fast_interval_ms = 100
		rise = 1
		fall = 2

		[[health.check]]
		kind = "datapath"

		[route]
		signal = "alias"
		drain_ms = 0

		[[group]]
		name = "default"
		addresses = [$1]

		[[group]]
		name = "extra"
		addresses = ["$VIP_EXTRA"]
	EOF
}

# vip_counts: "VIP:answered/passed/dropped ..." from status --json, in its order (in a $(...)
# subshell: STATUS_JSON stays as it was outside).
vip_counts() {
	status_json
	json_get '" ".join(v["vip"] + ":" + "/".join(str(v["counters"][k]) for k in ("answered", "passed", "dropped")) for v in d["status"]["vips"])'
}

# metric VIP ACTION: anycastd_vip_packets_total's sample, "absent" when there is none.
metric() {
	local body
	body=$(lab_edge "$LAB_PYTHON" "$HELPER" http-get "http://$METRICS/metrics") || lab_fail "GET /metrics failed"
	awk -v want="anycastd_vip_packets_total{vip=\"$1\",action=\"$2\"}" '$1 == want { print $2; found = 1 } END { if (!found) print "absent" }' <<<"$body"
}

# to_port_9 VIP COUNT: datagrams nothing serves: the fast path passes them (port_unknown).
to_port_9() {
	lab_echo "$1" 9 --count "$2" --timeout 0.2 --expect any >/dev/null || true
}

write_config "\"$VIP4\", \"$VIP6\""
"$ANYCASTD" --check --config "$CONF" >/dev/null || lab_fail "config rejected: $("$ANYCASTD" --check --config "$CONF" 2>&1)"
lab_start_anycastd "$ANYCASTD" "$CONF"
lab_wait_log "group extra: .*-> up" 30

# --- 1. traffic, status, metrics ---
lab_expect_echo "echo to $VIP4" 5 "$VIP4" 7 --count 5
lab_expect_echo "echo to $VIP6" 3 "$VIP6" 7 --count 3
lab_expect_echo "echo to $VIP_EXTRA" 4 "$VIP_EXTRA" 7 --count 4
to_port_9 "$VIP4" 2
lab_expect_eq "per-VIP counts" "$VIP4/32:5/2/0 $VIP6/128:3/0/0 other:4/0/0" "$(vip_counts)"
status_json
lab_expect_eq "vip_series in status" '{"limit": 2, "over_limit": 1}' "$(json_get 'd["status"]["vip_series"]')"
lab_expect_eq "metric $VIP4 answer" 5 "$(metric "$VIP4/32" answer)"
lab_expect_eq "metric $VIP4 pass" 2 "$(metric "$VIP4/32" pass)"
lab_expect_eq "metric $VIP6 answer" 3 "$(metric "$VIP6/128" answer)"
lab_expect_eq "metric other answer" 4 "$(metric other answer)"
out=$(ctl status) || lab_fail "anycastctl status failed: $out"
sed -n '/^per VIP/,$p' <<<"$out" | sed 's/^/    /' >&2
grep -qE "^$VIP4/32 +default +5 +2 +0$" <<<"$out" || lab_fail "anycastctl status: no per-VIP row for $VIP4 with 5 2 0"
grep -q "1 VIP above the limit of 2 series" <<<"$out" || lab_fail "anycastctl status: the limit's line is missing"

# --- 2. a reload that removes VIP6 ---
write_config "\"$VIP4\""
out=$(ctl reload) || lab_fail "anycastctl reload: expected exit 0, seen $?: $out"
lab_expect_eq "per-VIP counts after the reload" "$VIP4/32:5/2/0 $VIP_EXTRA/32:0/0/0" "$(vip_counts)"
lab_expect_eq "metric $VIP6 after the reload" absent "$(metric "$VIP6/128" answer)"
lab_expect_eq "metric other after the reload" absent "$(metric other answer)"
lab_expect_echo "echo to $VIP4 after the reload" 1 "$VIP4" 7 --count 1
lab_expect_echo "echo to $VIP_EXTRA after the reload" 2 "$VIP_EXTRA" 7 --count 2
lab_expect_eq "per-VIP counts after the reload's traffic" "$VIP4/32:6/2/0 $VIP_EXTRA/32:2/0/0" "$(vip_counts)"

# --- 3. anycastctl restart ---
marked=$(wc -l <"$LAB_ANYCASTD_LOG")
out=$(ctl restart) || lab_fail "anycastctl restart: expected exit 0, seen $?: $out"
deadline=$((SECONDS + 20))
until tail -n +"$((marked + 1))" "$LAB_ANYCASTD_LOG" | grep -q "group extra: adopted as up"; do
	((SECONDS < deadline)) || { lab_dump_anycastd_log; lab_fail "restart: the groups were not adopted within 20 s"; }
	sleep 0.1
done
tail -n +"$((marked + 1))" "$LAB_ANYCASTD_LOG" | grep -q "sharing the running program's maps" ||
	lab_fail "restart: the new image did not share the maps"
lab_expect_eq "per-VIP counts after the restart" "$VIP4/32:6/2/0 $VIP_EXTRA/32:2/0/0" "$(vip_counts)"
lab_expect_echo "echo to $VIP4 after the restart" 1 "$VIP4" 7 --count 1
lab_expect_echo "echo to $VIP_EXTRA after the restart" 1 "$VIP_EXTRA" 7 --count 1
lab_expect_eq "per-VIP counts after the restart's traffic" "$VIP4/32:7/2/0 $VIP_EXTRA/32:3/0/0" "$(vip_counts)"
lab_expect_eq "metric $VIP_EXTRA answer after the restart" 3 "$(metric "$VIP_EXTRA/32" answer)"

lab_stop_anycastd
lab_log "PASS"
