# shellcheck shell=bash
# The namespace lab's probes, sourced after lab.sh by the labs that send traffic or assert: the
# kernel's counters in a namespace (lab_snmp, lab_snmp6, lab_udp_counters), the UDP echo client
# (lab_echo), reading probe result lines (lab_field), what is attached or aliased (lab_has_xdp,
# alias_present), anycastctl status JSON (json_get), background echo and control-socket streams
# (start_stream, start_ctl_stream, expect_ctl_stream, stop_probe, wait_file), and the assertions
# (lab_expect_eq, lab_expect_echo).
#
# Why a file of its own: lab.sh builds the lab and runs anycastd in it; this file only looks at
# what the lab does and fails the script when it is wrong. It builds on lab.sh (lab_log,
# lab_fail, lab_dump_anycastd_log, lab_client, LAB_DIR, LAB_PYTHON, LAB_TMP, LAB_PIDS,
# LAB_CLIENT, LAB_EDGE), so source lab.sh first. lab_bg and lab_wait_listen stay in lab.sh: they
# start and await the servers the lab hosts (socat, knotd), killed with anycastd at cleanup.
#
#   source tests/lab/lab.sh
#   source tests/lab/probes.sh

declare -F lab_fail >/dev/null || {
	echo "probes.sh: source lab.sh first" >&2
	return 1
}

# lab_snmp NS PROTO FIELD: a counter from /proc/net/snmp (Udp, Tcp, Ip ...) in namespace NS.
lab_snmp() {
	ip netns exec "$1" cat /proc/net/snmp | awk -v p="$2:" -v f="$3" '
		$1 == p && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == p && hdr { if (f in col) print $col[f]; else print "missing"; exit }'
}

# lab_snmp6 NS FIELD: a counter from /proc/net/snmp6 (Udp6InDatagrams ...) in namespace NS.
lab_snmp6() {
	ip netns exec "$1" cat /proc/net/snmp6 | awk -v f="$2" '$1 == f { print $2; found = 1 } END { if (!found) print "missing" }'
}

# lab_udp_counters NS VAR: sets the associative array VAR (declare -A first) to the kernel's UDP
# counters in namespace NS: in4 noports4 csum4 in6 noports6 csum6 (Udp InDatagrams, NoPorts,
# InCsumErrors; Udp6InDatagrams, Udp6NoPorts, Udp6InCsumErrors).
lab_udp_counters() {
	local -n _c=$2
	_c["in4"]=$(lab_snmp "$1" Udp InDatagrams)
	_c["noports4"]=$(lab_snmp "$1" Udp NoPorts)
	_c["csum4"]=$(lab_snmp "$1" Udp InCsumErrors)
	_c["in6"]=$(lab_snmp6 "$1" Udp6InDatagrams)
	_c["noports6"]=$(lab_snmp6 "$1" Udp6NoPorts)
	_c["csum6"]=$(lab_snmp6 "$1" Udp6InCsumErrors)
	local k
	for k in "${!_c[@]}"; do
		[[ ${_c[$k]} =~ ^[0-9]+$ ]] || lab_fail "could not read UDP counter $k in $1: '${_c[$k]}'"
	done
}

# lab_echo ARGS...: the UDP echo client from the client namespace; prints its result line.
lab_echo() {
	lab_client "$LAB_PYTHON" "$LAB_DIR/udp_echo.py" "$@"
}

# lab_field LINE KEY: the value of KEY=... in a result line of udp_echo.py / tcp_probe.py.
lab_field() {
	local kv
	for kv in $1; do
		[[ $kv == "$2="* ]] && { echo "${kv#*=}"; return 0; }
	done
	echo missing
}

# lab_has_xdp NS DEV: true when a program is attached to DEV.
lab_has_xdp() {
	local link
	link=$(ip -n "$1" link show dev "$2") || return 1
	grep -q -E '\bxdp(generic|drv|offload)?\b|prog/xdp' <<<"$link"
}

# lab_expect_eq WHAT EXPECTED SEEN: fails the script, naming both, when they differ.
lab_expect_eq() {
	if [[ "$2" != "$3" ]]; then
		lab_dump_anycastd_log
		lab_fail "$1: expected $2, seen $3"
	fi
	lab_log "ok: $1 ($3)"
}

# lab_expect_echo WHAT EXPECTED_ANSWERED ECHO_ARGS...: runs the echo client and checks that
# exactly EXPECTED_ANSWERED datagrams were echoed byte for byte, with nothing wrong or refused.
lab_expect_echo() {
	local what=$1 want=$2
	shift 2
	local out
	out=$(lab_echo "$@" --expect any) || lab_fail "$what: echo client failed: $out"
	lab_log "$what: $out"
	local seen
	seen="answered=$(lab_field "$out" answered) wrong=$(lab_field "$out" wrong) refused=$(lab_field "$out" refused)"
	lab_expect_eq "$what" "answered=$want wrong=0 refused=0" "$seen"
}

# STATUS_JSON: what `anycastctl status --json` prints now, for json_get (each lab defines ctl).
STATUS_JSON=""
status_json() {
	STATUS_JSON=$(ctl status --json) || lab_fail "anycastctl status --json failed (exit $?): $STATUS_JSON"
}

# wait_capture_running: until the status shows a capture (anycastctl capture's handoff happened).
wait_capture_running() {
	local deadline=$((SECONDS + 10))
	while :; do
		status_json
		[[ $(json_get 'd["status"]["capture"] is not None') == true ]] && return 0
		((SECONDS >= deadline)) && lab_fail "expected a capture in anycastctl status within 10 s"
		sleep 0.1
	done
}

# The client's side of a capture check: tcpdump on the client's veth writing $LAB_TMP/client.pcap
# (echo on port 7), started until it listens, and stopped once the capture is over.
start_client_tcpdump() {
	lab_client tcpdump -i "$LAB_CLIENT_IF" -nn -U -w "$LAB_TMP/client.pcap" udp port 7 2>"$LAB_TMP/tcpdump.err" &
	TCPDUMP_PID=$!
	LAB_PIDS+=("$TCPDUMP_PID")
	local deadline=$((SECONDS + 10))
	until grep -q "listening on" "$LAB_TMP/tcpdump.err"; do
		((SECONDS >= deadline)) && lab_fail "tcpdump on the client did not start: $(cat "$LAB_TMP/tcpdump.err")"
		sleep 0.1
	done
}
stop_client_tcpdump() {
	sleep 0.5 # the last answers into the file
	kill -TERM "$TCPDUMP_PID" # background jobs ignore SIGINT
	wait "$TCPDUMP_PID" || true
}

# expect_capture_summary WHAT PID ERRFILE SUMMARY: the anycastctl capture PID exits 0 and its
# stderr (ERRFILE) holds SUMMARY.
expect_capture_summary() {
	local rc=0
	wait "$2" || rc=$?
	cat "$3" >&2
	lab_expect_eq "$1: exit status" 0 "$rc"
	grep -qF "$4" "$3" || lab_fail "$1: expected its summary '$4'"
}

# jq-like access to STATUS_JSON: json_get 'EXPR' with d the parsed reply, g(name) a group,
# check(group, prefix) a group's check, iface(name) an XDP interface's entry (None if not listed).
json_get() {
	/usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
def g(name):
    return next(x for x in d["status"]["groups"] if x["name"] == name)
def check(group, prefix):
    return next(c for c in g(group)["checks"] if c["name"].startswith(prefix))
def iface(name):
    return next((i for i in d["status"].get("interfaces", []) if i["name"] == name), None)
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$1" <<<"$STATUS_JSON"
}

# lab_expect_start_fails WHAT CONFIG SUBSTRING: $ANYCASTD in the edge exits non-zero before
# 'anycastd started', saying SUBSTRING; its output is shown indented.
LAB_REFUSALS=0
lab_expect_start_fails() {
	local what=$1 conf=$2 want=$3 log pid rc=0
	LAB_REFUSALS=$((LAB_REFUSALS + 1))
	log="$LAB_TMP/refused-$LAB_REFUSALS.log"
	ip netns exec "$LAB_EDGE" "$ANYCASTD" --config "$conf" >"$log" 2>&1 &
	pid=$!
	LAB_PIDS+=("$pid")
	local deadline=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q "anycastd started" "$log" || ((SECONDS >= deadline)); then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" || true
			cat "$log" >&2
			lab_fail "$what: expected anycastd to refuse to start, it started (or hung 30 s)"
		fi
		sleep 0.1
	done
	wait "$pid" || rc=$?
	sed 's/^/    /' "$log" >&2
	((rc != 0)) || lab_fail "$what: expected a non-zero exit code, seen 0"
	grep -qF -- "$want" "$log" || lab_fail "$what: expected '$want' in anycastd's output, not seen"
	lab_log "ok: $what: exit $rc, '$want'"
}

# lab_xdp_id NS DEV: the id of the XDP program attached to DEV in NS, "none", or "absent" without DEV.
lab_xdp_id() {
	local j
	j=$(ip -j -n "$1" link show dev "$2" 2>/dev/null) || { echo absent; return 0; }
	/usr/bin/python3 -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp")
print(x["prog"]["id"] if x and "prog" in x else "none")' <<<"$j"
}

# Background echo streams from the client (ctl_lab.py stream, one datagram every 20 ms), for what
# must lose nothing: start_stream NAME HOST, then stop_probe NAME; the summary is in $LAB_TMP/NAME.out.
wait_file() {
	local deadline=$((SECONDS + 10))
	until [[ -e $1 ]]; do
		((SECONDS >= deadline)) && lab_fail "expected $1 to appear within 10 s"
		sleep 0.02
	done
}
start_stream() { # start_stream NAME HOST
	rm -f "$LAB_TMP/$1.ready"
	# not through the lab_client function: $! must be the probe itself (ip netns exec execs it)
	ip netns exec "$LAB_CLIENT" "$LAB_PYTHON" "$LAB_DIR/ctl_lab.py" stream "$2" 7 --interval 0.02 --timeout 0.5 \
		--records "$LAB_TMP/$1.records" --ready-file "$LAB_TMP/$1.ready" >"$LAB_TMP/$1.out" &
	LAB_PIDS+=("$!")
	eval "PID_$1=$!"
	wait_file "$LAB_TMP/$1.ready"
}
# start_ctl_stream NAME SOCKET|URL [NS]: status requests over anycastd's control socket (or GETs of
# an http:// metrics URL, from namespace NS) in a tight loop, a fresh connection each and no retry
# (ctl_lab.py ctl-stream), until stop_probe NAME; expect_ctl_stream NAME WHAT then fails the lab
# if any client was refused, reset, answered wrongly or not within 10 s.
start_ctl_stream() {
	rm -f "$LAB_TMP/$1.ready"
	local in_ns=()
	[[ -n ${3:-} ]] && in_ns=(ip netns exec "$3")
	"${in_ns[@]}" "$LAB_PYTHON" "$LAB_DIR/ctl_lab.py" ctl-stream "$2" --ready-file "$LAB_TMP/$1.ready" >"$LAB_TMP/$1.out" &
	LAB_PIDS+=("$!")
	eval "PID_$1=$!"
	wait_file "$LAB_TMP/$1.ready"
}
expect_ctl_stream() {
	local out
	out=$(<"$LAB_TMP/$1.out")
	lab_log "$2: clients: $out"
	lab_expect_eq "$2: clients refused/reset/bad/slow" "refused=0 reset=0 bad=0 slow=0" \
		"refused=$(lab_field "$out" refused) reset=$(lab_field "$out" reset) bad=$(lab_field "$out" bad) slow=$(lab_field "$out" slow)"
	(($(lab_field "$out" ok) > 0)) || lab_fail "$2: no request was answered: $out"
}
stop_probe() { # stop_probe NAME: SIGTERM, wait; its summary line is then in $LAB_TMP/NAME.out
	local pid_var="PID_$1" rc=0
	kill -TERM "${!pid_var}" 2>/dev/null || true
	wait "${!pid_var}" || rc=$?
	((rc == 0)) || lab_fail "probe $1 failed (exit $rc): $(cat "$LAB_TMP/$1.out")"
}

# alias_present ADDR: whether ADDR is on the edge's loopback (an alias anycastd added, or not).
# (ip's output is read whole first: with pipefail, `ip | grep -q` fails when grep quits early and
# ip, which flushes per address, gets SIGPIPE.)
alias_present() {
	local fam=inet addrs
	[[ $1 == *:* ]] && fam=inet6
	addrs=$(ip -n "$LAB_EDGE" -o addr show dev lo)
	grep -qE "[[:space:]]$fam $1/" <<<"$addrs"
}
