#!/usr/bin/env bash
# Restart in place on a loaded machine (issue 17): a CPU hog on every core, then ten
# `anycastctl restart`s in a row, on the XDP datapath and on the DPDK one (anycastd-dpdk on the
# edge's veth through net_af_xdp, the TAP exception path). Shows, for each: the VIP never leaves
# the edge's lo (the alias signal, sampled every 50 ms), an echo stream every 20 ms loses nothing,
# each restart is adopted as up, nothing is killed or held out, and on DPDK the same anycastd-dpdk
# process answers throughout (its table writes are judged by its heartbeat, not by a deadline).
# Measured times are printed, never asserted.
#
# Usage: test_restart_load_lab.sh ANYCASTD ANYCASTCTL ANYCASTD_DPDK XDP_PASS_OBJECT [xdp|dpdk]
# (without the last argument, both, each in namespaces of its own)
set -euo pipefail
usage="usage: test_restart_load_lab.sh ANYCASTD ANYCASTCTL ANYCASTD_DPDK XDP_PASS_OBJECT [xdp|dpdk]"
ANYCASTD=${1:?$usage} ANYCASTCTL=${2:?$usage} DPDK_BIN=${3:?$usage} XDP_PASS=${4:?$usage} KIND=${5:-}
if [[ -z $KIND ]]; then
	"$0" "$@" xdp
	exec "$0" "$@" dpdk
fi
[[ $KIND == xdp || $KIND == dpdk ]] || { echo "$usage" >&2; exit 2; }

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
HELPER="$LAB_DIR/ctl_lab.py"
RESTARTS=10
VIP4=192.0.2.10
VIP6=2001:db8::10

lab_setup "$XDP_PASS"
lab_log "restart in place under load: $KIND"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

CONF="$LAB_TMP/anycastd.toml"
if [[ $KIND == dpdk ]]; then
	[[ -x "$DPDK_BIN" ]] || lab_fail "anycastd-dpdk not found or not executable: $DPDK_BIN"
	ip -n "$LAB_EDGE" addr flush dev "$LAB_EDGE_IF" # DPDK's port now; the TAP interface takes them
	lab_write_dpdk_config "$CONF" "$DPDK_BIN" "$VIP4" "$VIP6"
else
	lab_write_config "$CONF" "$VIP4" "$VIP6"
fi
lab_append_health_route "$CONF"

ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }
now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }
count_log() { grep -cE "$1" "$LAB_ANYCASTD_LOG" || true; }

lab_start_anycastd "$ANYCASTD" "$CONF"
status_json
DPDK_PID=""
[[ $KIND == dpdk ]] && DPDK_PID=$(json_get 'd["status"]["dpdk"]["pid"]')

# The hog: one busy loop per core, bounded in time even if the trap never ran, killed at cleanup.
for _ in $(seq "$(nproc)"); do
	timeout 150 sh -c 'while :; do :; done' &
	LAB_PIDS+=("$!")
done
lab_log "CPU hog: $(nproc) busy loop(s)"

rm -f "$LAB_TMP/watch.ready"
"$LAB_PYTHON" "$HELPER" watch "$LAB_EDGE" lo "$VIP4" "$VIP6" --interval 0.05 --ready-file "$LAB_TMP/watch.ready" \
	>"$LAB_TMP/watch.out" &
LAB_PIDS+=("$!")
PID_watch=$!
wait_file "$LAB_TMP/watch.ready"
start_stream stream "$VIP4"
sleep 0.5

times=()
for i in $(seq "$RESTARTS"); do
	adopted=$(count_log "group default: adopted as up")
	t0=$(now)
	out=$(ctl restart) || lab_fail "anycastctl restart ($i): expected exit 0, seen $?: $out"
	deadline=$((SECONDS + 60))
	until (($(count_log "group default: adopted as up") > adopted)); do
		if ((SECONDS >= deadline)) || ! kill -0 "$LAB_ANYCASTD_PID" 2>/dev/null; then
			lab_dump_anycastd_log
			lab_fail "restart $i: the group was not adopted as up within 60 s"
		fi
		sleep 0.05
	done
	times+=("$(ms_since "$t0")")
done
lab_log "restart request to 'adopted as up', ms, under the hog: ${times[*]}"
sleep 1 # the first health rounds after the last restart, still under the hog
stop_probe stream
stop_probe watch
stream=$(<"$LAB_TMP/stream.out")
watch=$(<"$LAB_TMP/watch.out")
lab_log "echo stream across $RESTARTS restarts: $stream"
lab_log "aliases across $RESTARTS restarts: $watch"
grep -E "swap in|restarting|adopted the running|killing|held out|withdraw|not adopted" "$LAB_ANYCASTD_LOG" | sed 's/^/    /' >&2 || true

lab_expect_eq "$KIND: samples (every 50 ms) without the VIPs on lo" 0 "$(lab_field "$watch" absent)"
(($(lab_field "$watch" samples) > 0)) || lab_fail "$KIND: the alias watcher took no sample: $watch"
lab_expect_eq "$KIND: echo stream (every 20 ms) lost/wrong/refused" "lost=0 wrong=0 refused=0" \
	"lost=$(lab_field "$stream" lost) wrong=$(lab_field "$stream" wrong) refused=$(lab_field "$stream" refused)"
(($(lab_field "$stream" sent) > 0)) || lab_fail "$KIND: the echo stream sent nothing: $stream"
lab_expect_eq "$KIND: groups adopted as up" "$RESTARTS" "$(count_log "group default: adopted as up")"
lab_expect_eq "$KIND: lines saying a datapath was killed, or a group held out, withdrawn or not adopted" 0 \
	"$(count_log "killing it|held out|not adopted|cannot be adopted|withdrawn|-> draining")"
status_json
lab_expect_eq "$KIND: default state" up "$(json_get 'g("default")["state"]')"
lab_expect_eq "$KIND: anycastd's pid (exec in place)" "$LAB_ANYCASTD_PID" "$(json_get 'd["status"]["pid"]')"
if [[ $KIND == dpdk ]]; then
	lab_expect_eq "dpdk: datapath adoptions" "$RESTARTS" "$(count_log "adopted the running DPDK datapath \(pid $DPDK_PID\)")"
	lab_expect_eq "dpdk: the same anycastd-dpdk process" "$DPDK_PID" "$(json_get 'd["status"]["dpdk"]["pid"]')"
	lab_expect_eq "dpdk: datapath restarts" 0 "$(json_get 'd["status"]["dpdk"]["restarts"]')"
fi

lab_stop_anycastd 30
lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
lab_log "PASS ($KIND)"
