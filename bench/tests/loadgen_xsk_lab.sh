#!/usr/bin/env bash
# loadgen's AF_XDP engine when things go wrong, in a namespace lab (tests/lab/lab.sh): each case
# must end in an error that names the problem, or for a TX ring that stops completing, a run that
# ends by its deadline and says what it sent and what it could not. Needs root.
#
#   bench/tests/loadgen_xsk_lab.sh BUILD_DIR
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../tests/lab/lab.sh
source "$SRC/tests/lab/lab.sh"
BUILD="$(cd "${1:?usage: loadgen_xsk_lab.sh BUILD_DIR}" && pwd)"
LOADGEN="$BUILD/bench/loadgen"
[[ -x $LOADGEN ]] || lab_fail "missing $LOADGEN: build first"

lab_setup "$BUILD/tests/lab/lab_xdp_pass.bpf.o"
EDGE_MAC=$(lab_edge cat "/sys/class/net/$LAB_EDGE_IF/address")
# The floor reflector answers on the edge, so a run that works is seen to work.
ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdpdrv obj "$BUILD/bench/xdp_floor.bpf.o" sec xdp.frags

# expect_error NAME PATTERN CMD...: CMD fails (exit 1) and its stderr holds PATTERN.
expect_error() {
	local name=$1 pattern=$2 rc=0
	shift 2
	"$@" >"$LAB_TMP/$name.out" 2>"$LAB_TMP/$name.err" || rc=$?
	((rc == 1)) || lab_fail "$name: exit status $rc, not 1: $(cat "$LAB_TMP/$name.err" "$LAB_TMP/$name.out")"
	grep -qE -- "$pattern" "$LAB_TMP/$name.err" ||
		lab_fail "$name: the error does not say /$pattern/: $(cat "$LAB_TMP/$name.err")"
	lab_log "ok: $name: $(tail -n 1 "$LAB_TMP/$name.err")"
}

jfield() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

lg() { lab_client "$LOADGEN" --engine xsk --dev "$LAB_CLIENT_IF" --dst-mac "$EDGE_MAC" --vip 192.0.2.1 "$@"; }

expect_error no_interface "no interface 'acnosuch0' here" \
	lab_client "$LOADGEN" --engine xsk --dev acnosuch0 --dst-mac "$EDGE_MAC"
expect_error too_many_threads "has 1 TX queue\(s\): --threads 2 is too many" lg --threads 2 --count 10

ip -n "$LAB_CLIENT" link set "$LAB_CLIENT_IF" down
expect_error interface_down "interface $LAB_CLIENT_IF is down" lg --count 10
ip -n "$LAB_CLIENT" link set "$LAB_CLIENT_IF" up
ip -n "$LAB_EDGE" link set "$LAB_EDGE_IF" down
expect_error no_carrier "interface $LAB_CLIENT_IF is up but has no carrier" lg --count 10
ip -n "$LAB_EDGE" link set "$LAB_EDGE_IF" up

# Root keeps RLIMIT_MEMLOCK from mattering through CAP_IPC_LOCK (and could raise the limit with
# CAP_SYS_RESOURCE): without both, a 64 KiB limit cannot hold the UMEM.
expect_error umem_refused "registering a UMEM of [0-9]+ KiB for queue 0 of $LAB_CLIENT_IF: .*RLIMIT_MEMLOCK is 64 KiB" \
	lab_client prlimit --memlock=65536:65536 setpriv --bounding-set -ipc_lock,-sys_resource --inh-caps -ipc_lock,-sys_resource \
	"$LOADGEN" --engine xsk --dev "$LAB_CLIENT_IF" --dst-mac "$EDGE_MAC" --count 10

# A second sender on a queue that one already holds.
lg --rate 1000 --count 5000 --duration 10 --json "$LAB_TMP/first.json" >"$LAB_TMP/first.out" 2>&1 &
first=$!
LAB_PIDS+=("$first")
sleep 1.5 # bound well before that (loading the receiver takes a few ms)
kill -0 "$first" 2>/dev/null || lab_fail "the first sender ended early: $(cat "$LAB_TMP/first.out")"
expect_error queue_busy "queue 0 of $LAB_CLIENT_IF is already bound by another AF_XDP socket" lg --count 10 --no-recv
wait "$first" || lab_fail "the first sender failed beside the refused second: $(cat "$LAB_TMP/first.out")"
answered=$(jfield "$LAB_TMP/first.json" answered)
((answered == 5000)) || lab_fail "the first sender's 5000 requests got $answered answers: $(cat "$LAB_TMP/first.out")"
lab_log "ok: the first sender ran on: 5000 requests, $answered answers"

# The interface goes away under a running sender: the kernel stops taking frames from its ring.
# The run must end by its deadline (10 s, far above what it needs; none would be a hang), with
# exit status 3 and what it sent.
lg --rate 2000 --count 100000 --duration 10 --settle 0 --json "$LAB_TMP/gone.json" >"$LAB_TMP/gone.out" 2>"$LAB_TMP/gone.err" &
gone=$!
LAB_PIDS+=("$gone")
sleep 2
ip -n "$LAB_CLIENT" link del "$LAB_CLIENT_IF"
deadline=$((SECONDS + 30))
while kill -0 "$gone" 2>/dev/null; do
	((SECONDS < deadline)) || lab_fail "loadgen still runs 30 s after its interface went away (deadline 10 s)"
	sleep 0.2
done
rc=0
wait "$gone" || rc=$?
((rc == 3)) || lab_fail "exit status $rc after the interface went away, not 3: $(cat "$LAB_TMP/gone.err" "$LAB_TMP/gone.out")"
grep -q "the kernel stopped taking frames from queue 0 of $LAB_CLIENT_IF" "$LAB_TMP/gone.err" ||
	lab_fail "the stall is not reported: $(cat "$LAB_TMP/gone.err")"
sent=$(jfield "$LAB_TMP/gone.json" sent)
((sent > 0 && sent < 100000)) || lab_fail "sent $sent before the interface went away"
lab_log "ok: ring stopped: $(cat "$LAB_TMP/gone.err") ($(cat "$LAB_TMP/gone.out"))"
lab_log "loadgen's AF_XDP engine: every failure named"
