#!/usr/bin/env bash
# anycastctl capture (issue 22, docs/capture.md) in the namespace lab: echo on port 7 to two IPv4
# VIPs and one IPv6 VIP; tcpdump on the client's veth sees the same wire from the other end.
#
#   test_capture_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
#
#   1. a capture filtered to one VIP and port 7, while echo goes to both IPv4 VIPs: it ends at its
#      count; every frame in its file (read by tcpdump -r) is byte for byte a request or an answer
#      tcpdump saw on the client for that VIP, and each of those is in the file; the program
#      copied exactly those frames (ac_capture_cnt) and lost none; the switch is off after it.
#   2. -w - | tcpdump -r -, filtered on the client's IPv6 address: tcpdump reads its frames.
#   3. one at a time: a second capture is refused while one runs; the client killed: the capture
#      ends and the switch goes off. A client stopped (SIGSTOP) under 20,000 requests: answers and
#      status go on, frames are lost to the full rings and counted; SIGTERM to the client ends it
#      with a file tcpdump reads.
#   4. bad input: a filter that does not parse (anycastctl, and the daemon sent it raw), a file
#      that cannot be written, capture options on another command.
#   5. anycastctl restart in the middle of a capture: the client gets the end ("daemon
#      restarting"), the new image's switch (the same map) is off.
#   6. kill -9 of anycastd in the middle of a capture: the switch stays on in the attached
#      program's map; the next anycastd (--adopt, as a supervisor restarts it) shares the maps and
#      switches it off.
set -euo pipefail

usage="usage: test_capture_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}

VIP4=192.0.2.10
VIP4_OTHER=192.0.2.20
VIP6=2001:db8::10

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
FRAMES="$LAB_DIR/pcap_frames.py"
lab_require_root
command -v tcpdump >/dev/null || lab_fail "tcpdump not found (scripts/deps.sh installs it)"
command -v bpftool >/dev/null || lab_fail "bpftool not found (scripts/deps.sh installs it)"
lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP4_OTHER/32"
lab_route_vip "$VIP6/128"

SOCK="$LAB_TMP/anycastd.sock"
CONF="$LAB_TMP/anycastd.toml"
lab_write_config "$CONF" "$VIP4" "$VIP4_OTHER" "$VIP6"
lab_append_health_route "$CONF"
ctl() { "$ANYCASTCTL" --socket "$SOCK" "$@"; }

# capture_map NAME: the running program's map NAME (ac_capture, ac_capture_cnt) read with
# bpftool: "flags=N" for ac_capture, "copied=N lost=N" summed over the CPUs for the counts.
capture_map() {
	local prog
	prog=$(lab_xdp_id "$LAB_EDGE" "$LAB_EDGE_IF")
	[[ $prog =~ ^[0-9]+$ ]] || lab_fail "no XDP program on the edge's $LAB_EDGE_IF ($prog)"
	/usr/bin/python3 - "$prog" "$1" <<-'PY'
		import json, subprocess, sys
		prog, name = sys.argv[1], sys.argv[2]
		def bpftool(*args):
		    return json.loads(subprocess.check_output(["bpftool", "-j", *args]))
		for mid in bpftool("prog", "show", "id", prog)["map_ids"]:
		    if bpftool("map", "show", "id", str(mid))["name"] != name:
		        continue
		    entry = bpftool("map", "lookup", "id", str(mid), "key", "0", "0", "0", "0")
		    def le(hexbytes):
		        return int.from_bytes(bytes(int(b, 16) for b in hexbytes), "little")
		    if "values" in entry:  # per CPU: copied, lost
		        copied = sum(le(v["value"][0:8]) for v in entry["values"])
		        lost = sum(le(v["value"][8:16]) for v in entry["values"])
		        print(f"copied={copied} lost={lost}")
		    else:
		        print(f"flags={le(entry['value'][0:4])}")
		    sys.exit(0)
		sys.exit(f"program {prog} has no map {name}")
	PY
}

lab_start_anycastd "$ANYCASTD" "$CONF"
lab_expect_echo "echo before any capture" 3 "$VIP4" 7 --count 3
lab_expect_eq "switch at start" "flags=0" "$(capture_map ac_capture)"

# --- 1. filtered capture, byte for byte against tcpdump on the client -------------------------
start_client_tcpdump
ctl capture -w "$LAB_TMP/edge.pcap" --filter "vip $VIP4 and port 7" --count 10 --seconds 30 \
	2>"$LAB_TMP/capture1.err" &
CAPTURE_PID=$!
wait_capture_running
lab_expect_eq "status shows the filter" "vip $VIP4/32 and port 7" "$(json_get 'd["status"]["capture"]["filter"]')"
lab_expect_echo "echo to the other VIP only" 3 "$VIP4_OTHER" 7 --count 3
lab_expect_eq "traffic the filter does not match: nothing copied, nothing lost" "copied=0 lost=0" \
	"$(capture_map ac_capture_cnt)"
for i in 1 2 3 4 5; do
	lab_expect_echo "echo to the other VIP ($i)" 1 "$VIP4_OTHER" 7 --count 1
	lab_expect_echo "echo to the captured VIP ($i)" 1 "$VIP4" 7 --count 1
done
expect_capture_summary "capture 1" "$CAPTURE_PID" "$LAB_TMP/capture1.err" "10 frames (5 requests, 5 answers), 0 lost; ended: count"
stop_client_tcpdump
lab_expect_eq "frames tcpdump reads in the capture" 10 "$(python3 "$FRAMES" count "$LAB_TMP/edge.pcap")"
lab_expect_eq "hosts in the capture" "$VIP4 $LAB_CLIENT_V4" "$(python3 "$FRAMES" hosts "$LAB_TMP/edge.pcap")"
same=$(python3 "$FRAMES" same "$LAB_TMP/edge.pcap" "$LAB_TMP/client.pcap" "$VIP4") ||
	lab_fail "capture 1 against the client's tcpdump: $same"
lab_expect_eq "capture 1 is byte for byte what the client saw" "same=10" "$same"
lab_expect_eq "copied and lost: only the filter's frames" "copied=10 lost=0" "$(capture_map ac_capture_cnt)"
lab_expect_eq "switch after the capture" "flags=0" "$(capture_map ac_capture)"
status_json
lab_expect_eq "no capture in the status after it" null "$(json_get 'd["status"]["capture"]')"

# --- 2. IPv6, to stdout, read by tcpdump -r - ------------------------------------------------
ctl capture -w - --filter "src $LAB_CLIENT_V6" --count 4 --seconds 30 2>"$LAB_TMP/capture2.err" |
	tcpdump -r - -nn >"$LAB_TMP/capture2.txt" 2>/dev/null &
CAPTURE_PID=$!
wait_capture_running
lab_expect_echo "IPv6 echo during the capture" 2 "$VIP6" 7 --count 2
wait "$CAPTURE_PID" || lab_fail "capture 2 (-w - | tcpdump -r -) failed: $(cat "$LAB_TMP/capture2.err")"
lab_expect_eq "tcpdump -r - reads the IPv6 frames" 4 "$(grep -c "IP6 " "$LAB_TMP/capture2.txt")"
lab_expect_eq "IPv6 requests to the VIP" 2 "$(grep -c "> $VIP6.7: UDP" "$LAB_TMP/capture2.txt")"

# --- 3. one at a time; a killed client ends it -------------------------------------------------
# Not through ctl(): $! must be anycastctl itself, not a subshell around it.
"$ANYCASTCTL" --socket "$SOCK" capture -w "$LAB_TMP/long.pcap" --seconds 60 2>"$LAB_TMP/long.err" &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
rc=0
out=$(ctl capture -w "$LAB_TMP/second.pcap" --seconds 5 2>&1) || rc=$?
lab_expect_eq "a second capture is refused" 1 "$rc"
grep -q "already running" <<<"$out" || lab_fail "second capture: expected 'already running', seen: $out"
[[ ! -e "$LAB_TMP/second.pcap" ]] || lab_fail "the refused capture left its file behind"
lab_expect_eq "switch on during the capture" "flags=1" "$(capture_map ac_capture)"
kill -KILL "$CAPTURE_PID"
wait "$CAPTURE_PID" 2>/dev/null || true
deadline=$((SECONDS + 10))
until [[ $(capture_map ac_capture) == "flags=0" ]]; do
	((SECONDS >= deadline)) && lab_fail "the switch is still on 10 s after the capture's client was killed"
	sleep 0.1
done
lab_log "ok: the killed client's capture switched off"
lab_wait_log "ended .client ended.: 0 frames" 10

# --- 3b. a client that does not read: the rings fill, frames are lost and counted, answers go on
"$ANYCASTCTL" --socket "$SOCK" capture -w "$LAB_TMP/slow.pcap" --count 1000000 --seconds 60 \
	2>"$LAB_TMP/slow.err" &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
kill -STOP "$CAPTURE_PID"
# 20,000 requests without waiting for the answers: about 4 MB of frames, more than the socket, the
# daemon's 1 MiB backlog and the rings hold while nobody reads.
lab_client "$LAB_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
for i in range(20000):
    s.sendto(b"capture-load-%06d" % i, (sys.argv[1], 7))
' "$VIP4"
lab_expect_echo "answered while the capture's client is stopped" 3 "$VIP4" 7 --count 3
status_json
lab_log "ok: status answered while the capture's client is stopped ($(json_get 'd["status"]["capture"]["frames"]') frames so far)"
lost=$(capture_map ac_capture_cnt)
lost=${lost##*lost=}
((lost > 0)) || lab_fail "expected frames lost to full rings while the client was stopped, seen lost=$lost"
kill -CONT "$CAPTURE_PID"
kill -TERM "$CAPTURE_PID"
rc=0
wait "$CAPTURE_PID" || rc=$?
cat "$LAB_TMP/slow.err" >&2
lab_expect_eq "the stopped client ends cleanly on SIGTERM" 0 "$rc"
grep -q "ended: interrupted" "$LAB_TMP/slow.err" || lab_fail "expected 'ended: interrupted'"
frames=$(python3 "$FRAMES" count "$LAB_TMP/slow.pcap")
((frames > 0)) || lab_fail "the slow client's file holds no frame tcpdump reads"
lab_log "ok: $frames frames in the slow client's file, $lost lost to full rings"
deadline=$((SECONDS + 10))
until [[ $(capture_map ac_capture) == "flags=0" ]]; do
	((SECONDS >= deadline)) && lab_fail "the switch is still on 10 s after the slow client ended"
	sleep 0.1
done

# --- 4. bad input ------------------------------------------------------------------------------
expect_ctl_fails() { # WHAT EXIT SUBSTRING ARGS...
	local what=$1 want_rc=$2 want=$3 rc=0 out
	shift 3
	out=$(ctl "$@" 2>&1) || rc=$?
	lab_expect_eq "$what: exit status" "$want_rc" "$rc"
	grep -qF -- "$want" <<<"$out" || lab_fail "$what: expected '$want', seen: $out"
}
expect_ctl_fails "filter that does not parse" 2 'unknown word "vipp"' capture -w "$LAB_TMP/x.pcap" --filter "vipp $VIP4"
expect_ctl_fails "filter of two families" 2 "different address families" capture -w "$LAB_TMP/x.pcap" \
	--filter "vip $VIP4 and src $LAB_CLIENT_V6"
expect_ctl_fails "port out of range" 2 "port wants a number from 1 to 65535" capture -w "$LAB_TMP/x.pcap" --filter "port 70000"
expect_ctl_fails "file that cannot be written" 1 "cannot write capture file $LAB_TMP/no/such/dir.pcap" \
	capture -w "$LAB_TMP/no/such/dir.pcap"
expect_ctl_fails "capture without -w" 2 "capture needs -w FILE" capture
expect_ctl_fails "capture options on status" 2 "are for capture only" status --count 3
expect_ctl_fails "count of zero" 2 "--count wants a number of frames" capture -w "$LAB_TMP/x.pcap" --count 0
[[ ! -e "$LAB_TMP/x.pcap" ]] || lab_fail "a refused capture left $LAB_TMP/x.pcap behind"
raw=$(printf '%s\n' '{"command":"capture","filter":"vip 192.0.2.300"}' | socat -t 5 - "UNIX-CONNECT:$SOCK")
grep -q '"ok":false' <<<"$raw" && grep -q 'capture filter: vip' <<<"$raw" ||
	lab_fail "a bad filter sent raw to the daemon: expected a refusal naming the filter, seen: $raw"
raw=$(printf '%s\n' '{"command":"capture","count":-1}' | socat -t 5 - "UNIX-CONNECT:$SOCK")
grep -q '"count\\" must be a whole number' <<<"$raw" || lab_fail "count -1 sent raw: expected a refusal, seen: $raw"
lab_expect_echo "still answering after the bad input" 3 "$VIP4" 7 --count 3

# --- 5. anycastctl restart in the middle of a capture -------------------------------------------
PROG_BEFORE=$(lab_xdp_id "$LAB_EDGE" "$LAB_EDGE_IF")
ctl capture -w "$LAB_TMP/restart.pcap" --seconds 60 2>"$LAB_TMP/restart.err" &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
lab_expect_echo "echo during the capture" 2 "$VIP4" 7 --count 2
ctl restart >/dev/null
rc=0
wait "$CAPTURE_PID" || rc=$?
cat "$LAB_TMP/restart.err" >&2
lab_expect_eq "the capture's client exits cleanly at the restart" 0 "$rc"
grep -q "ended: daemon restarting" "$LAB_TMP/restart.err" || lab_fail "expected 'ended: daemon restarting'"
lab_wait_log "sharing the running program's maps" 30
deadline=$((SECONDS + 30))
until [[ $(lab_xdp_id "$LAB_EDGE" "$LAB_EDGE_IF") != "$PROG_BEFORE" ]]; do
	((SECONDS >= deadline)) && lab_fail "the restarted image did not attach its program within 30 s"
	sleep 0.1
done
lab_expect_eq "switch after the restart" "flags=0" "$(capture_map ac_capture)"
lab_expect_echo "echo after the restart" 3 "$VIP4" 7 --count 3

# --- 6. kill -9 in the middle of a capture -------------------------------------------------------
ctl capture -w "$LAB_TMP/killed.pcap" --seconds 60 2>"$LAB_TMP/killed.err" &
CAPTURE_PID=$!
LAB_PIDS+=("$CAPTURE_PID")
wait_capture_running
kill -KILL "$LAB_ANYCASTD_PID"
wait "$LAB_ANYCASTD_PID" 2>/dev/null || true
LAB_ANYCASTD_PID=""
rc=0
wait "$CAPTURE_PID" || rc=$?
lab_expect_eq "the capture's client fails when anycastd dies" 1 "$rc"
grep -q "without its summary" "$LAB_TMP/killed.err" || lab_fail "expected 'without its summary', seen: $(cat "$LAB_TMP/killed.err")"
lab_expect_eq "switch left on by the killed daemon" "flags=1" "$(capture_map ac_capture)"
mv "$LAB_ANYCASTD_LOG" "$LAB_TMP/first.log"
LAB_WAIT_UP=0 lab_start_anycastd "$ANYCASTD" "$CONF" --adopt  # the groups are adopted as they are
grep -q "packet capture was left on by the previous instance: switched off" "$LAB_ANYCASTD_LOG" ||
	lab_fail "the adopting anycastd did not say it switched the capture off"
lab_expect_eq "switch after the adoption" "flags=0" "$(capture_map ac_capture)"
lab_expect_echo "echo after the adoption" 3 "$VIP4" 7 --count 3
lab_stop_anycastd
lab_log "PASS"
