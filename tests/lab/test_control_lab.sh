#!/usr/bin/env bash
# The control plane in the namespace lab, with the alias route signal: the VIP on the edge's lo
# is the announcement (`ip -n EDGE addr show dev lo`). Small timings: checks every 200 ms (100 ms
# while rising or falling), rise 2, fall 2, drain 1500 ms.
#
#   test_control_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT PART
#
# PART operate (lab.control_operate):
#   1. anycastctl status (text and --json) shows the group up with its VIPs; the metrics show the
#      group up and echo answers counted.
#   2. maintenance file: withdrawn, still answered during the drain, unanswered after it; removed:
#      announced again after rise, answered.
#   3. anycastctl drain / undrain: the same; drain of an unknown group is refused (exit 1).
#   4. an exec check failing: withdrawn after fall (the datapath check still passes); passing
#      again: announced after rise.
# PART lifecycle (lab.control_lifecycle), anycastd started with NOTIFY_SOCKET and WATCHDOG_USEC:
#   5. reload: a broken file (SIGHUP, anycastctl reload) is rejected and changes nothing; a second
#      [[group]] comes up and answers, the first is untouched; [log] stats_interval_s and level
#      take effect on a reload.
#   6. anycastctl restart: same pid, groups adopted as up, the aliases never leave lo (sampled
#      every 50 ms), an echo stream every 20 ms loses nothing; over ten restarts, status asked in
#      a tight loop (and the metrics, scraped in a tight loop) is never refused or reset; a group
#      drained by anycastctl stays drained across a restart; with [control] socket and [metrics]
#      listen changed in the file, the new image serves on the new ones and the old ones are
#      gone; with a file that does not load, restart is refused (step 5).
#   7. SIGTERM: the alias goes first, echo is answered through the drain, exit 0, XDP detached.
#   8. sd_notify: READY=1 after start, WATCHDOG=1 repeatedly (also after the restart),
#      STOPPING=1 on SIGTERM.
#
# Measured times are printed, never asserted.
set -euo pipefail

usage="usage: test_control_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT operate|lifecycle"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
PART=${4:?$usage}
[[ $PART == operate || $PART == lifecycle ]] || { echo "$usage" >&2; exit 2; }

VIP4=192.0.2.10
VIP6=2001:db8::10
VIP_EXTRA=192.0.2.20
DRAIN_MS=1500
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
DISABLE="$LAB_TMP/disable"
SICK="$LAB_TMP/sick"
# CTL_LAB_KEEP_LOG=FILE: anycastd's log is copied there at exit (the lab's directory is removed).
# shellcheck disable=SC2016 # expanded when the hook runs
[[ -n ${CTL_LAB_KEEP_LOG:-} ]] && LAB_CLEANUP_HOOKS+=('[[ -n $LAB_ANYCASTD_LOG ]] && cp "$LAB_ANYCASTD_LOG" "$CTL_LAB_KEEP_LOG"')

# --- helpers ---

ctl() { "$ANYCASTCTL" --socket "$SOCK" "$@"; }

now() { date +%s.%N; }
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# The [health], [route] and [metrics] sections shared by both forms of the config.
common_sections() {
	cat <<-EOF
		[health]
		interval_ms = 200
		fast_interval_ms = 100
		rise = 2
		fall = 2
		disable_file = "$DISABLE"

		[[health.check]]
		kind = "datapath"

		[[health.check]]
		kind = "exec"
		command = "test ! -e $SICK"

		[route]
		signal = "alias"
		drain_ms = $DRAIN_MS

		[metrics]
		listen = "$METRICS"
	EOF
}

# The single-group form: group "default" with VIP4 and VIP6.
write_flat_config() {
	lab_write_config "$CONF" "$VIP4" "$VIP6"
	common_sections >>"$CONF"
}

# The [[group]] form: "default" as before plus "extra" with VIP_EXTRA.
write_groups_config() {
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

		[[group]]
		name = "default"
		addresses = ["$VIP4", "$VIP6"]

		[[group]]
		name = "extra"
		addresses = ["$VIP_EXTRA"]

	EOF
	common_sections >>"$CONF"
}

# Log positions: mark, then wait for a pattern in the lines written since.
LOG_MARK=0
log_mark() { LOG_MARK=$(wc -l <"$LAB_ANYCASTD_LOG"); }
log_since_mark() { tail -n +"$((LOG_MARK + 1))" "$LAB_ANYCASTD_LOG"; }
wait_new_log() {
	local deadline=$((SECONDS + ${2:-20}))
	until log_since_mark | grep -qE "$1"; do
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "expected '$1' in anycastd's log within ${2:-20} s (after line $LOG_MARK), not seen"
		fi
		sleep 0.05
	done
}


# wait_alias ADDR present|absent DEADLINE_S: polls every 20 ms; prints how long it took (ms).
wait_alias() {
	local addr=$1 want=$2 t0
	t0=$(now)
	local deadline=$((SECONDS + ${3:-15}))
	while :; do
		if alias_present "$addr"; then [[ $want == present ]] && break; else [[ $want == absent ]] && break; fi
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "alias $addr on the edge's lo: expected $want within ${3:-15} s, seen: $(ip -n "$LAB_EDGE" -o addr show dev lo | awk '{print $4}' | tr '\n' ' ')"
		fi
		sleep 0.02
	done
	ms_since "$t0"
}

expect_alias() { # expect_alias WHAT ADDR present|absent
	local seen=absent
	alias_present "$2" && seen=present
	lab_expect_eq "$1" "$3" "$seen"
}

metrics_get() {
	lab_edge "$LAB_PYTHON" "$HELPER" http-get "http://$METRICS/metrics"
}

# Background probes in the client namespace / the host: started with their pid recorded, stopped
# with SIGTERM, their summary line read from a file.
start_watch() { # start_watch NAME ADDR...
	local name=$1
	shift
	rm -f "$LAB_TMP/$name.ready"
	"$LAB_PYTHON" "$HELPER" watch "$LAB_EDGE" lo "$@" --interval 0.05 --ready-file "$LAB_TMP/$name.ready" \
		>"$LAB_TMP/$name.out" &
	LAB_PIDS+=("$!")
	eval "PID_$name=$!"
	wait_file "$LAB_TMP/$name.ready"
}

# ======================================================================================
run_operate() {
	write_flat_config
	"$ANYCASTD" --check --config "$CONF" >/dev/null || lab_fail "config rejected: $("$ANYCASTD" --check --config "$CONF" 2>&1)"
	lab_start_anycastd "$ANYCASTD" "$CONF"
	wait_alias "$VIP4" present 10 >/dev/null
	wait_alias "$VIP6" present 10 >/dev/null

	# --- 1. status, status --json, metrics ---
	local out rc
	out=$(ctl status) || lab_fail "anycastctl status failed (exit $?): $out"
	sed 's/^/    /' <<<"$out" >&2
	grep -qE '^default +up ' <<<"$out" || lab_fail "status: expected a line 'default  up ...', seen: $out"
	grep -qE "^$VIP4/32 +default +up " <<<"$out" || lab_fail "status: expected '$VIP4/32  default  up', seen: $out"
	grep -qE "^$VIP6/128 +default +up " <<<"$out" || lab_fail "status: expected '$VIP6/128  default  up', seen: $out"
	lab_log "ok: anycastctl status shows group default up with $VIP4/32 and $VIP6/128"

	status_json
	lab_expect_eq "status --json: ok" true "$(json_get 'd["ok"]')"
	lab_expect_eq "status --json: group default state" up "$(json_get 'g("default")["state"]')"
	lab_expect_eq "status --json: group default vips" "[\"$VIP4/32\", \"$VIP6/128\"]" "$(json_get 'g("default")["vips"]')"
	lab_expect_eq "status --json: route signal" alias "$(json_get 'g("default")["route"]["kind"]')"

	lab_expect_echo "echo $VIP4:7" 10 "$VIP4" 7 --count 10
	local metrics
	metrics=$(metrics_get) || lab_fail "GET http://$METRICS/metrics in the edge namespace failed: $metrics"
	grep -E '^anycastd_(group_state|answered_total)' <<<"$metrics" | sed 's/^/    /' >&2
	lab_expect_eq "metric anycastd_group_state{group=\"default\",state=\"up\"}" 1 \
		"$(awk '/^anycastd_group_state\{/ && /group="default"/ && /state="up"/ {print $2}' <<<"$metrics")"
	local answered
	answered=$(awk '/^anycastd_answered_total\{/ && /service="echo"/ {print $2}' <<<"$metrics")
	[[ $answered =~ ^[0-9]+$ ]] || answered=-1
	((answered >= 10)) ||
		lab_fail "metric anycastd_answered_total{service=\"echo\"}: expected >= 10 (10 echoes answered), seen '$answered'"
	lab_log "ok: anycastd_answered_total{service=\"echo\"} = $answered"

	# --- 2. maintenance file ---
	local t
	log_mark
	touch "$DISABLE"
	t=$(wait_alias "$VIP4" absent 10)
	lab_log "maintenance file: alias $VIP4 left lo after $t ms"
	lab_expect_echo "echo $VIP4:7 right after the withdrawal (draining: XDP still answers)" 5 "$VIP4" 7 --count 5 --timeout 0.3
	expect_alias "alias $VIP6 withdrawn with $VIP4 (one group)" "$VIP6" absent
	wait_new_log "group default: draining -> down" 10
	sleep 0.2 # the tables are written right after the state change is logged
	lab_expect_echo "echo $VIP4:7 after drain_ms (not answered)" 0 "$VIP4" 7 --count 3 --timeout 0.5
	status_json
	lab_expect_eq "status: default held out" "maintenance file $DISABLE" "$(json_get 'g("default")["held_out"]')"
	rm -f "$DISABLE"
	t=$(wait_alias "$VIP4" present 10)
	lab_log "maintenance file removed: alias $VIP4 back on lo after $t ms"
	lab_expect_echo "echo $VIP4:7 after the maintenance file is gone" 5 "$VIP4" 7 --count 5
	status_json
	lab_expect_eq "status: default state after the maintenance" up "$(json_get 'g("default")["state"]')"

	# --- 3. anycastctl drain / undrain ---
	log_mark
	out=$(ctl drain default) || lab_fail "anycastctl drain default: expected exit 0, seen $?: $out"
	lab_log "anycastctl drain default: $out"
	t=$(wait_alias "$VIP4" absent 10)
	lab_log "drain: alias $VIP4 left lo after $t ms"
	lab_expect_echo "echo $VIP4:7 right after drain (draining: XDP still answers)" 5 "$VIP4" 7 --count 5 --timeout 0.3
	wait_new_log "group default: draining -> down" 10
	sleep 0.2
	lab_expect_echo "echo $VIP4:7 after drain_ms (not answered)" 0 "$VIP4" 7 --count 3 --timeout 0.5
	out=$(ctl undrain default) || lab_fail "anycastctl undrain default: expected exit 0, seen $?: $out"
	lab_log "anycastctl undrain default: $out"
	t=$(wait_alias "$VIP4" present 10)
	lab_log "undrain: alias $VIP4 back on lo after $t ms"
	lab_expect_echo "echo $VIP4:7 after undrain" 5 "$VIP4" 7 --count 5

	rc=0
	out=$(ctl drain nosuchgroup 2>&1) || rc=$?
	lab_expect_eq "anycastctl drain nosuchgroup: exit code" 1 "$rc"
	grep -q nosuchgroup <<<"$out" || lab_fail "anycastctl drain nosuchgroup: expected a message naming the group, seen: $out"
	lab_log "ok: anycastctl drain nosuchgroup: $out"

	# --- 4. exec check ---
	log_mark
	touch "$SICK"
	t=$(wait_alias "$VIP4" absent 10)
	lab_log "exec check failing: alias $VIP4 left lo after $t ms (fall 2 x fast_interval 100 ms + detection)"
	status_json
	lab_expect_eq "status: exec check result while $SICK exists" false "$(json_get 'check("default", "exec")["ok"]')"
	lab_expect_eq "status: datapath check result while $SICK exists" true "$(json_get 'check("default", "datapath")["ok"]')"
	lab_expect_eq "status: default held out (a failing check is not a hold-out)" "" "$(json_get 'g("default")["held_out"]')"
	# The rise counts from ready, after the drain: let the drain end first.
	wait_new_log "group default: draining -> (ready|down)" 10
	rm -f "$SICK"
	t=$(wait_alias "$VIP4" present 10)
	lab_log "exec check passing again: alias $VIP4 back on lo after $t ms (rise 2)"
	lab_expect_echo "echo $VIP4:7 after the exec check recovered" 5 "$VIP4" 7 --count 5
	status_json
	lab_expect_eq "status: default state at the end" up "$(json_get 'g("default")["state"]')"
	lab_expect_eq "status: default flaps (maintenance, drain, exec check)" 3 "$(json_get 'g("default")["flaps"]')"

	lab_stop_anycastd 20
	lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
}

# ======================================================================================
run_lifecycle() {
	local NOTIFY="$LAB_TMP/notify.sock" NOTES="$LAB_TMP/notify.log"
	: >"$NOTES"
	lab_bg "$LAB_EDGE" "$LAB_PYTHON" "$HELPER" notify-listen "$NOTIFY" "$NOTES"
	wait_file "$NOTIFY"

	write_flat_config
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=1000000 lab_start_anycastd "$ANYCASTD" "$CONF"
	wait_alias "$VIP4" present 10 >/dev/null
	local pid=$LAB_ANYCASTD_PID

	# --- 8a. READY=1 ---
	local deadline=$((SECONDS + 10))
	until grep -q 'READY=1' "$NOTES"; do
		((SECONDS >= deadline)) && lab_fail "sd_notify: expected READY=1 on NOTIFY_SOCKET within 10 s, seen: $(cat "$NOTES")"
		sleep 0.05
	done
	lab_log "ok: sd_notify READY=1 ($(grep -m1 'READY=1' "$NOTES"))"

	# --- 5. reload ---
	local flaps0 since0 out rc t
	status_json
	flaps0=$(json_get 'g("default")["flaps"]')
	since0=$(json_get 'g("default")["since"]["unix"]')
	cp "$CONF" "$LAB_TMP/good.toml"
	printf '\n[health\ninterval_ms = 100\n' >>"$CONF" # a TOML syntax error

	log_mark
	kill -HUP "$pid"
	wait_new_log "reload rejected" 10
	log_since_mark | grep "reload rejected" | sed 's/^/    /' >&2
	lab_log "ok: SIGHUP with a broken file: rejected and logged"
	rc=0
	out=$(ctl reload 2>&1) || rc=$?
	lab_expect_eq "anycastctl reload with a broken file: exit code" 1 "$rc"
	grep -q "reload rejected" <<<"$out" || lab_fail "anycastctl reload with a broken file: expected 'reload rejected ...', seen: $out"
	lab_log "anycastctl reload: $out"
	status_json
	lab_expect_eq "status after the rejected reloads: default state" up "$(json_get 'g("default")["state"]')"
	lab_expect_eq "status after the rejected reloads: reload_failures" 2 "$(json_get 'd["status"]["reload_failures"]')"
	lab_expect_eq "status after the rejected reloads: default flaps" "$flaps0" "$(json_get 'g("default")["flaps"]')"
	expect_alias "alias $VIP4 after the rejected reloads" "$VIP4" present
	lab_expect_echo "echo $VIP4:7 after the rejected reloads" 5 "$VIP4" 7 --count 5
	# The new image of a restart would start from this file: the restart is refused instead.
	rc=0
	out=$(ctl restart 2>&1) || rc=$?
	lab_expect_eq "anycastctl restart with a broken file: exit code" 1 "$rc"
	grep -q "restart refused" <<<"$out" || lab_fail "anycastctl restart with a broken file: expected 'restart refused ...', seen: $out"
	lab_log "anycastctl restart: $out"
	sleep 0.3
	kill -0 "$pid" 2>/dev/null || lab_fail "anycastctl restart with a broken file: expected anycastd (pid $pid) to keep running, it is gone"
	status_json
	lab_expect_eq "status after the refused restart: default state" up "$(json_get 'g("default")["state"]')"

	write_groups_config
	"$ANYCASTD" --check --config "$CONF" >/dev/null || lab_fail "groups config rejected: $("$ANYCASTD" --check --config "$CONF" 2>&1)"
	start_watch reloadwatch "$VIP4" "$VIP6"
	log_mark
	t=$(now)
	out=$(ctl reload) || lab_fail "anycastctl reload with a second group: expected exit 0, seen $?: $out"
	lab_log "anycastctl reload: $out"
	wait_new_log "group extra: ready -> up" 10
	wait_alias "$VIP_EXTRA" present 10 >/dev/null
	lab_log "reload: group extra announced $(ms_since "$t") ms after the reload"
	sleep 0.3
	stop_probe reloadwatch
	out=$(<"$LAB_TMP/reloadwatch.out")
	lab_log "default's aliases during the reload: $out"
	lab_expect_eq "samples without default's aliases during the reload" 0 "$(lab_field "$out" absent)"
	lab_expect_echo "echo $VIP_EXTRA:7 (the new group)" 5 "$VIP_EXTRA" 7 --count 5
	lab_expect_echo "echo $VIP4:7 (the old group)" 5 "$VIP4" 7 --count 5
	status_json
	lab_expect_eq "status after the reload: extra state" up "$(json_get 'g("extra")["state"]')"
	lab_expect_eq "status after the reload: default state" up "$(json_get 'g("default")["state"]')"
	lab_expect_eq "status after the reload: default flaps" "$flaps0" "$(json_get 'g("default")["flaps"]')"
	lab_expect_eq "status after the reload: default up since" "$since0" "$(json_get 'g("default")["since"]["unix"]')"
	if log_since_mark | grep -E "group default: (up|ready|draining|down) -> "; then
		lab_fail "reload: expected no state change of group default in the log, seen the lines above"
	fi
	lab_log "ok: group default untouched by the reload"

	# [log] takes effect on a reload: counters every second, then (level warn) no info line.
	cp "$CONF" "$LAB_TMP/groups.toml"
	printf '\n[log]\nstats_interval_s = 1\n' >>"$CONF"
	log_mark
	out=$(ctl reload) || lab_fail "anycastctl reload with [log] stats_interval_s = 1: expected exit 0, seen $?: $out"
	wait_new_log "counters: " 5
	lab_log "ok: reload: [log] stats_interval_s = 1 took effect (counters logged)"
	sed -i 's/^stats_interval_s = 1$/stats_interval_s = 1\nlevel = "warn"/' "$CONF"
	out=$(ctl reload) || lab_fail "anycastctl reload with [log] level = warn: expected exit 0, seen $?: $out"
	sleep 0.5
	log_mark
	lab_expect_echo "echo $VIP4:7 (counters move)" 5 "$VIP4" 7 --count 5
	sleep 2.5
	if log_since_mark | grep -E "\[info\]"; then
		lab_fail "reload: [log] level = warn, yet the info lines above were logged after it"
	fi
	lab_log "ok: reload: [log] level = warn took effect (no info line in 2.5 s of counters)"
	cp "$LAB_TMP/groups.toml" "$CONF"
	out=$(ctl reload) || lab_fail "anycastctl reload back to the groups file: expected exit 0, seen $?: $out"

	# --- 6. anycastctl restart ---
	local restart_at
	start_watch restartwatch "$VIP4" "$VIP6" "$VIP_EXTRA"
	start_stream restartstream "$VIP4"
	start_ctl_stream restartctl "$SOCK"
	start_ctl_stream restartmetrics "http://$METRICS/metrics" "$LAB_EDGE"
	sleep 0.3
	log_mark
	restart_at=$(now)
	out=$(ctl restart) || lab_fail "anycastctl restart: expected exit 0, seen $?: $out"
	lab_log "anycastctl restart: $out"
	wait_new_log "anycastd started" 20
	wait_new_log "group default: adopted as up" 5
	wait_new_log "group extra: adopted as up" 5
	lab_log "restart: 'anycastd started' again $(ms_since "$restart_at") ms after the request"
	sleep 1
	local stream watchout
	stop_probe restartstream
	stop_probe restartwatch
	stream=$(<"$LAB_TMP/restartstream.out")
	watchout=$(<"$LAB_TMP/restartwatch.out")
	lab_log "echo stream across the restart: $stream"
	lab_log "aliases across the restart: $watchout"
	log_since_mark | grep -E "restarting|adopted|started|replaced" | sed 's/^/    /' >&2
	kill -0 "$pid" 2>/dev/null || lab_fail "restart: expected anycastd to keep pid $pid, it is gone"
	status_json
	lab_expect_eq "restart: anycastd's pid (exec in place)" "$pid" "$(json_get 'd["status"]["pid"]')"
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- '--adopt' ||
		lab_fail "restart: expected pid $pid to run with --adopt, seen: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	lab_expect_eq "restart: samples (every 50 ms) without all aliases on lo" 0 "$(lab_field "$watchout" absent)"
	lab_expect_eq "restart: echo stream (every 20 ms) lost/wrong/refused" "lost=0 wrong=0 refused=0" \
		"lost=$(lab_field "$stream" lost) wrong=$(lab_field "$stream" wrong) refused=$(lab_field "$stream" refused)"
	(($(lab_field "$stream" sent) > 0)) || lab_fail "restart: the echo stream sent nothing: $stream"
	lab_expect_eq "restart: default state" up "$(json_get 'g("default")["state"]')"
	lab_expect_eq "restart: extra state" up "$(json_get 'g("extra")["state"]')"
	# Nine more, with status asked all the while: the listener passes through each exec.
	local i
	for i in 2 3 4 5 6 7 8 9 10; do
		log_mark
		out=$(ctl restart) || lab_fail "anycastctl restart ($i): expected exit 0, seen $?: $out"
		wait_new_log "anycastd started" 20
	done
	sleep 0.3
	stop_probe restartctl
	stop_probe restartmetrics
	expect_ctl_stream restartctl "10 restarts in place: control socket"
	expect_ctl_stream restartmetrics "10 restarts in place: metrics listener"
	lab_expect_eq "10 restarts in place: the pids that answered" "$pid" "$(lab_field "$(<"$LAB_TMP/restartctl.out")" pids)"

	# --- 6b. a group drained by anycastctl stays drained across a restart ---
	out=$(ctl drain extra) || lab_fail "anycastctl drain extra: expected exit 0, seen $?: $out"
	wait_alias "$VIP_EXTRA" absent 10 >/dev/null
	log_mark
	out=$(ctl restart) || lab_fail "anycastctl restart (extra drained): expected exit 0, seen $?: $out"
	wait_new_log "anycastd started" 20
	sleep 1 # longer than a rise (2 x 100 ms) would take
	status_json
	lab_expect_eq "restart with extra drained: extra state" down "$(json_get 'g("extra")["state"]')"
	lab_expect_eq "restart with extra drained: extra held out" "drained by anycastctl" "$(json_get 'g("extra")["held_out"]')"
	expect_alias "restart with extra drained: alias $VIP_EXTRA" "$VIP_EXTRA" absent
	lab_expect_eq "restart with extra drained: default state" up "$(json_get 'g("default")["state"]')"
	out=$(ctl undrain extra) || lab_fail "anycastctl undrain extra: expected exit 0, seen $?: $out"
	t=$(wait_alias "$VIP_EXTRA" present 10)
	lab_log "undrain extra after the restart: alias $VIP_EXTRA back on lo after $t ms"

	# --- 6c. [control] socket and [metrics] listen changed in the file, then a restart: the new
	#     image binds the configured ones and lets the inherited ones (and the socket file) go ---
	local moved="$LAB_TMP/moved.sock" moved_metrics=127.0.0.1:9188
	sed -i -e "s|^socket = \"$SOCK\"\$|socket = \"$moved\"|" -e "s|^listen = \"$METRICS\"\$|listen = \"$moved_metrics\"|" "$CONF"
	grep -q "socket = \"$moved\"" "$CONF" || lab_fail "could not move [control] socket in $CONF"
	grep -q "listen = \"$moved_metrics\"" "$CONF" || lab_fail "could not move [metrics] listen in $CONF"
	log_mark
	out=$(ctl restart) || lab_fail "anycastctl restart (socket moved): expected exit 0, seen $?: $out"
	wait_new_log "anycastd started" 20
	SOCK=$moved
	status_json
	lab_expect_eq "restart with [control] socket moved: pid" "$pid" "$(json_get 'd["status"]["pid"]')"
	[[ ! -e $LAB_TMP/anycastd.sock ]] || lab_fail "restart with [control] socket moved: the old socket file is still there"
	log_since_mark | grep -q "the restart handed over $LAB_TMP/anycastd.sock, the configuration says $moved" ||
		lab_fail "restart with [control] socket moved: expected the log to say the inherited socket was let go"
	lab_log "ok: [control] socket moved across a restart: served on $moved, the old file gone"
	log_since_mark | grep -q "metrics: the restart handed over $METRICS, the configuration says $moved_metrics" ||
		lab_fail "restart with [metrics] listen moved: expected the log to say the inherited listener was let go"
	local old_metrics=$METRICS
	METRICS=$moved_metrics
	metrics_get >/dev/null || lab_fail "restart with [metrics] listen moved: GET http://$METRICS/metrics failed"
	METRICS=$old_metrics
	! metrics_get >/dev/null 2>&1 || lab_fail "restart with [metrics] listen moved: $old_metrics still answers"
	METRICS=$moved_metrics
	lab_log "ok: [metrics] listen moved across a restart: served on $METRICS, $old_metrics closed"

	# --- 7. SIGTERM drain ---
	local term_at exit_at report
	start_watch termwatch "$VIP4"
	start_stream termstream "$VIP4"
	sleep 0.5
	log_mark
	term_at=$(now)
	lab_stop_anycastd 20
	exit_at=$(now)
	lab_log "SIGTERM: anycastd exited $(ms_since "$term_at") ms after the signal (drain_ms $DRAIN_MS)"
	sleep 0.5
	stop_probe termstream
	stop_probe termwatch
	stream=$(<"$LAB_TMP/termstream.out")
	watchout=$(<"$LAB_TMP/termwatch.out")
	lab_log "echo stream across SIGTERM: $stream"
	lab_log "alias $VIP4 across SIGTERM: $watchout"
	lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
	local withdrawn
	withdrawn=$(lab_field "$watchout" first_absent)
	[[ $withdrawn =~ ^[0-9.]+$ ]] || lab_fail "SIGTERM: expected the alias $VIP4 to leave lo, seen: $watchout"
	awk -v w="$withdrawn" -v x="$exit_at" 'BEGIN { exit !(w < x) }' ||
		lab_fail "SIGTERM: expected the alias to go before anycastd exited, seen alias gone at $withdrawn, exit seen at $exit_at"
	lab_log "SIGTERM: alias gone $(awk -v a="$term_at" -v b="$withdrawn" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms after the signal"
	report=$("$LAB_PYTHON" "$HELPER" drain-report "$LAB_TMP/termstream.records" --withdrawn "$withdrawn" \
		--exited "$exit_at" --drain-ms "$DRAIN_MS")
	lab_log "drain report: $report"
	lab_expect_eq "SIGTERM: echoes lost before the alias went" 0 "$(lab_field "$report" before_lost)"
	(($(lab_field "$report" after_withdrawn_answered) > 0)) ||
		lab_fail "SIGTERM: expected echoes answered after the alias went (the drain), seen none: $report"
	lab_expect_eq "SIGTERM: echoes lost in the first half of drain_ms after the alias went" 0 \
		"$(lab_field "$report" drain_window_lost)"
	lab_expect_eq "SIGTERM: echoes answered after anycastd exited" 0 "$(lab_field "$report" after_exit_answered)"
	lab_log "SIGTERM: echo answered for $(lab_field "$report" answered_after_withdrawn_ms) ms after the alias went (drain_ms $DRAIN_MS)"
	if lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF"; then
		lab_fail "SIGTERM: expected no XDP program on $LAB_EDGE_IF, seen: $(ip -n "$LAB_EDGE" link show dev "$LAB_EDGE_IF")"
	fi
	lab_log "ok: XDP detached from $LAB_EDGE_IF"
	expect_alias "alias $VIP_EXTRA after SIGTERM" "$VIP_EXTRA" absent

	# --- 8b. WATCHDOG=1, STOPPING=1 ---
	sleep 0.3
	local watchdogs after_restart
	watchdogs=$(grep -c 'WATCHDOG=1' "$NOTES" || true)
	after_restart=$(awk -v r="$restart_at" '$1 > r && /WATCHDOG=1/' "$NOTES" | wc -l)
	lab_log "sd_notify: $(wc -l <"$NOTES") datagrams, $watchdogs WATCHDOG=1 ($after_restart after the restart), max gap between them $(awk '/WATCHDOG=1/ { if (p) { g = ($1 - p) * 1000; if (g > m) m = g } p = $1 } END { printf "%.0f", m }' "$NOTES") ms"
	grep -v 'WATCHDOG=1' "$NOTES" | sed 's/^/    /' >&2
	((watchdogs >= 3)) || lab_fail "sd_notify: expected WATCHDOG=1 repeatedly (>= 3, WATCHDOG_USEC=1000000), seen $watchdogs"
	((after_restart >= 1)) || lab_fail "sd_notify: expected WATCHDOG=1 after the restart too, seen none"
	grep -q 'STOPPING=1' "$NOTES" || lab_fail "sd_notify: expected STOPPING=1 on SIGTERM, seen: $(cat "$NOTES")"
	local ready_line stop_line
	ready_line=$(grep -n -m1 'READY=1' "$NOTES" | cut -d: -f1)
	stop_line=$(grep -n -m1 'STOPPING=1' "$NOTES" | cut -d: -f1)
	((ready_line < stop_line)) || lab_fail "sd_notify: expected READY=1 before STOPPING=1, seen READY at line $ready_line, STOPPING at $stop_line"
	lab_log "ok: sd_notify READY=1, WATCHDOG=1 x $watchdogs, STOPPING=1"
}

"run_$PART"
lab_log "PASS ($PART)"
