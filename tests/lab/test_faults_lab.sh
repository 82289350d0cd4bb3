#!/usr/bin/env bash
# Control-plane faults in the namespace lab (docs/robustness.md has the whole fault matrix and
# which other test covers the rest). Checks every 200 ms (100 ms while rising or falling), rise 2,
# fall 2, drain 1 s; the route signal is the alias on the edge's lo unless a part says otherwise.
#
#   test_faults_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT PART
#
# PART alias (lab.faults_alias): the alias removed behind anycastd's back while the group is up
#   is put back by the next probe (every 5 s) and the log says so; an alias put on lo by hand
#   while the group is drained (down) is reported in the log, left alone (it is not anycastd's),
#   and the group stays down; removed by hand and undrained, the group comes back and answers.
# PART xdp (lab.faults_xdp): the XDP program detached by someone else: the datapath check fails
#   naming it, the group is withdrawn; then, after a restart of anycastd, the program replaced
#   by a foreign one: the same, naming both program ids, and SIGTERM leaves the foreign program
#   where it is.
# PART startup (lab.faults_startup): start-up failing half-way, after the program was attached
#   (and, with a routing-daemon signal, after the aliases were added): the metrics port taken,
#   the control socket's directory a regular file. anycastd exits 1 with an error naming the
#   problem and leaves no XDP program and no alias behind.
set -euo pipefail

usage="usage: test_faults_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT alias|xdp|startup"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
PART=${4:?$usage}
[[ $PART == alias || $PART == xdp || $PART == startup ]] || { echo "$usage" >&2; exit 2; }
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
SOCK="$LAB_TMP/anycastd.sock"
CONF="$LAB_TMP/anycastd.toml"

ctl() { "$ANYCASTCTL" --socket "$SOCK" "$@"; }

write_config() { # write_config [METRICS_LISTEN]
	lab_write_config "$CONF" "$VIP4" "$VIP6"
	cat >>"$CONF" <<-EOF

		[health]
		interval_ms = 200
		fast_interval_ms = 100
		rise = 2
		fall = 2
		disable_file = ""

		[[health.check]]
		kind = "datapath"

		[route]
		signal = "alias"
		drain_ms = 1000

		[metrics]
		listen = "${1:-}"
	EOF
}


wait_alias() { # wait_alias ADDR present|absent DEADLINE_S
	local deadline=$((SECONDS + $3))
	while :; do
		if alias_present "$1"; then [[ $2 == present ]] && return 0; else [[ $2 == absent ]] && return 0; fi
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "alias $1 on the edge's lo: expected $2 within $3 s, seen: $(ip -n "$LAB_EDGE" -o addr show dev lo | awk '{print $4}' | tr '\n' ' ')"
		fi
		sleep 0.05
	done
}

LOG_MARK=0
log_mark() { LOG_MARK=$(wc -l <"$LAB_ANYCASTD_LOG"); }
wait_new_log() { # wait_new_log PATTERN DEADLINE_S
	local deadline=$((SECONDS + $2))
	until tail -n +"$((LOG_MARK + 1))" "$LAB_ANYCASTD_LOG" | grep -qE "$1"; do
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "expected '$1' in anycastd's log within $2 s (after line $LOG_MARK), not seen"
		fi
		sleep 0.05
	done
	tail -n +"$((LOG_MARK + 1))" "$LAB_ANYCASTD_LOG" | grep -E -m1 "$1" | sed 's/^/    /' >&2
}

group_state() {
	ctl status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["groups"][0]["state"])'
}

xdp_prog_id() { # the id of the program on the edge's NIC, "" when none
	ip -n "$LAB_EDGE" -d link show dev "$LAB_EDGE_IF" | grep -oE 'prog/xdp id [0-9]+' | awk '{print $3}' | head -1
}

# ======================================================================================
run_alias() {
	write_config
	lab_start_anycastd "$ANYCASTD" "$CONF"
	wait_alias "$VIP4" present 10

	# --- removed behind anycastd's back while up: put back by the next probe ---
	log_mark
	ip -n "$LAB_EDGE" addr del "$VIP4/32" dev lo
	lab_log "removed $VIP4/32 from the edge's lo by hand"
	wait_new_log "group default: up but partly .*announcing again" 10
	wait_alias "$VIP4" present 5
	lab_log "ok: alias $VIP4 restored by anycastd"
	lab_expect_echo "echo $VIP4:7 after the alias was restored" 5 "$VIP4" 7 --count 5

	# --- added by hand while the group is drained: reported, left alone, group stays down ---
	ctl drain default >/dev/null
	wait_alias "$VIP4" absent 10
	log_mark
	lab_wait_log "group default: draining -> down" 10
	ip -n "$LAB_EDGE" addr add "$VIP4/32" dev lo
	lab_log "added $VIP4/32 to the edge's lo by hand while the group is drained"
	wait_new_log "group default: down but partly .*withdrawing again" 10
	lab_expect_eq "group state with a stray alias on lo" down "$(group_state)"
	alias_present "$VIP4" || lab_fail "the hand-added alias $VIP4 was removed: anycastd removes only what it added"
	lab_log "ok: the hand-added alias is reported and left alone"
	ip -n "$LAB_EDGE" addr del "$VIP4/32" dev lo
	ctl undrain default >/dev/null
	wait_alias "$VIP4" present 10
	wait_alias "$VIP6" present 10
	lab_expect_echo "echo $VIP4:7 after undrain" 5 "$VIP4" 7 --count 5

	lab_stop_anycastd 20
	lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
	alias_present "$VIP4" && lab_fail "alias $VIP4 left on lo after SIGTERM"
	lab_log "ok: no alias left after SIGTERM"
}

# ======================================================================================
run_xdp() {
	write_config
	lab_start_anycastd "$ANYCASTD" "$CONF"
	wait_alias "$VIP4" present 10
	local ours
	ours=$(xdp_prog_id)
	[[ -n $ours ]] || lab_fail "no XDP program on $LAB_EDGE_IF after start"

	# --- detached by someone else ---
	log_mark
	ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdp off
	lab_log "detached prog id $ours from $LAB_EDGE_IF by hand"
	wait_new_log "check datapath FAILS: no XDP program on $LAB_EDGE_IF \\(ours was prog id $ours\\)" 10
	wait_alias "$VIP4" absent 10
	lab_log "ok: the group withdrew (alias $VIP4 gone)"
	# drain_ms later it stops answering: down, then ready (answering, not announced) while the
	# check keeps failing; never up again
	lab_wait_log "group default: draining -> (ready|down)" 10
	sleep 1
	local state
	state=$(group_state)
	[[ $state == ready || $state == down ]] || lab_fail "group state with the program detached: expected ready or down, seen $state"
	alias_present "$VIP4" && lab_fail "alias $VIP4 back on lo while the program is detached"
	lab_log "ok: group $state, not announced, while the program is detached"
	lab_stop_anycastd 20
	lab_expect_eq "anycastd exit code after SIGTERM (program detached meanwhile)" 0 "$LAB_ANYCASTD_RC"

	# --- replaced by someone else ---
	lab_start_anycastd "$ANYCASTD" "$CONF"
	wait_alias "$VIP4" present 10
	ours=$(xdp_prog_id)
	log_mark
	ip -force -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdpdrv obj "$XDP_PASS" sec xdp
	local theirs
	theirs=$(xdp_prog_id)
	[[ -n $theirs && $theirs != "$ours" ]] || lab_fail "replacing the program by hand failed (ids: ours $ours, now '$theirs')"
	lab_log "replaced prog id $ours on $LAB_EDGE_IF by a pass-through program, prog id $theirs"
	wait_new_log "check datapath FAILS: XDP program on $LAB_EDGE_IF is prog id $theirs, not ours \\($ours\\)" 10
	wait_alias "$VIP4" absent 10
	lab_log "ok: the group withdrew (alias $VIP4 gone)"
	lab_stop_anycastd 20
	lab_expect_eq "anycastd exit code after SIGTERM (program replaced meanwhile)" 0 "$LAB_ANYCASTD_RC"
	lab_expect_eq "the foreign program after anycastd's exit (left alone)" "$theirs" "$(xdp_prog_id)"
}

# ======================================================================================
# expect_failed_start WHAT MESSAGE: anycastd with $CONF exits 1 within 30 s, its output contains
# MESSAGE, and it leaves no program on the NIC and no VIP on lo.
expect_failed_start() {
	local what=$1 message=$2 rc=0 out
	out=$(timeout 30 ip netns exec "$LAB_EDGE" "$ANYCASTD" --config "$CONF" 2>&1) || rc=$?
	LAST_OUT=$out
	sed 's/^/    /' <<<"$out" >&2
	lab_expect_eq "$what: anycastd exit code" 1 "$rc"
	# In the sanitized build a leak or a memory error on the way out also exits 1: tell them apart.
	if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" <<<"$out"; then
		lab_fail "$what: a sanitizer finding on the failed start-up, see above"
	fi
	grep -qF -- "$message" <<<"$out" || lab_fail "$what: expected the error to say '$message', seen the output above"
	lab_log "ok: $what: the error names the problem"
	[[ -z $(xdp_prog_id) ]] || lab_fail "$what: an XDP program (id $(xdp_prog_id)) is left on $LAB_EDGE_IF"
	alias_present "$VIP4" && lab_fail "$what: alias $VIP4 left on lo"
	alias_present "$VIP6" && lab_fail "$what: alias $VIP6 left on lo"
	lab_log "ok: $what: no XDP program and no alias left behind"
}

run_startup() {
	# The metrics port taken by another process in the edge namespace.
	lab_bg "$LAB_EDGE" socat TCP4-LISTEN:9187,bind=127.0.0.1,reuseaddr,fork PIPE
	lab_wait_listen "$LAB_EDGE" 9187
	write_config 127.0.0.1:9187
	expect_failed_start "metrics port taken" "127.0.0.1:9187"

	# The same with a routing-daemon signal: there the aliases go on lo when a group starts
	# answering, before the metrics listener is opened.
	sed -i 's/^signal = "alias"$/signal = "bird"/' "$CONF"
	cat >>"$CONF" <<-EOF

		[route.bird]
		socket = "$LAB_TMP/bird.ctl"
		protocol = ["anycast_vips4", "anycast_vips6"]
	EOF
	expect_failed_start "metrics port taken, bird signal" "127.0.0.1:9187"
	grep -qF "added address $VIP4/32 on lo" <<<"$LAST_OUT" ||
		lab_fail "bird signal: expected the aliases to be added before the failure (the half-way point), see above"

	# The control socket's directory is a regular file.
	write_config
	: >"$LAB_TMP/not-a-dir"
	sed -i "s|^socket = .*|socket = \"$LAB_TMP/not-a-dir/anycastd.sock\"|" "$CONF"
	expect_failed_start "control socket path unusable" "$LAB_TMP/not-a-dir/anycastd.sock"
}

"run_$PART"
lab_log "PASS ($PART)"
