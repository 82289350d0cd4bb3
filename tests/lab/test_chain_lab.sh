#!/usr/bin/env bash
# Integration test in its own namespaces (issue 21, [datapath] attach = "chain"): anycastd beside
# other XDP programs through tail calls. The lab's own programs (tests/lab/chain/) share one prog
# array `chain`, pinned in a bpffs of the lab's own:
#
#   veth-edge --XDP--> root --slot 0--> filter --slot 1--> anycastd --slot 2--> observer
#                      (pass if empty)  drops 198.51.100.66  (pass if empty)     counts, passes
#
# Asserted:
#   1. with slot 1 empty (no anycastd) the chain passes traffic to the kernel (a socat UDP echo on
#      the edge's own address answers), and the filtered source gets nothing (its counter rises);
#   2. start-up refusals, each leaving the root, the filter and every slot as they were: chain_map
#      missing ("does not exist"), a pinned map that is not a prog array ("not a prog array"),
#      slot 1 holding another program ("holds another program"), chain_index >= max_entries
#      ("out of range");
#   3. anycastd at slot 1: its program (anycast_xdp) in the slot, status says attach "chain" with
#      map, index and prog_id; echo to the VIPs from 198.51.100.1 answered by XDP (the edge
#      kernel's UDP counters and the observer's UDP counter do not move), the filtered source gets
#      nothing; TCP to a socat on the VIP works and went through anycastd's tail call to slot 2
#      (the observer's TCP counter rises); with slot 2 emptied, TCP still works (anycastd passes
#      when the tail call finds nothing) and echo is still answered;
#   4. kill -9: the slot keeps the program and echo is still answered; a new anycastd takes the
#      slot over (its own program found there: the same id, or a new anycast_xdp and a log line
#      saying it adopted or replaced the old id), status names the slot's id, answers go on;
#   5. anycastctl restart: an echo stream across it loses nothing, the slot taken over as in 4;
#   6. SIGTERM: exit 0, slot 1 empty, slots 0 and 2 and the root untouched and working (the filtered
#      source still dropped), and echo to the VIP reaches the edge kernel (a socat on the VIP,
#      re-added to lo by the lab, answers; Udp InDatagrams rises).
#
#   test_chain_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT ROOT_OBJECT FILTER_OBJECT OBSERVER_OBJECT
set -euo pipefail

usage="usage: test_chain_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT ROOT_OBJECT FILTER_OBJECT OBSERVER_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
ROOT_OBJ=${4:?$usage}
FILTER_OBJ=${5:?$usage}
OBSERVER_OBJ=${6:?$usage}
N=${LAB_ECHO_COUNT:-20}
VIP4=192.0.2.10
VIP6=2001:db8::10
FILTERED=198.51.100.66 # the filter's dropped source (chain/filter.c)
SLOTS=4                # max_entries of `chain` (chain/chain.h)
INDEX=1                # anycastd's slot

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
for f in "$ROOT_OBJ" "$FILTER_OBJ" "$OBSERVER_OBJ"; do
	[[ -r $f ]] || lab_fail "BPF object not found: $f (build target lab_chain_progs)"
done

# --- the lab's bpffs: ip netns exec mounts a fresh sysfs, so /sys/fs/bpf is empty inside the
# namespaces; a bpffs mounted under /tmp is seen by every process, inside or out. The name carries
# the script's pid (stale mounts of killed runs are removed) and no dot (libbpf rewrites dots in
# pin paths).
while read -r m; do
	owner=${m#/tmp/aclabchain-}
	owner=${owner%%-*}
	if ! _lab_pid_alive "$owner"; then
		lab_log "removing stale bpffs $m (owner $owner is gone)"
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		rmdir "$m" 2>/dev/null || true
	fi
done < <(awk '$3 == "bpf" && $2 ~ "^/tmp/aclabchain-[0-9]+-" { print $2 }' /proc/mounts)
BPFFS_DIR=""
chain_cleanup() {
	[[ -n $BPFFS_DIR ]] || return 0
	if mountpoint -q "$BPFFS_DIR"; then umount "$BPFFS_DIR" 2>/dev/null || umount -l "$BPFFS_DIR"; fi
	rmdir "$BPFFS_DIR" 2>/dev/null
}
lab_setup "$XDP_PASS"
# lab_cleanup runs the hooks before stopping anycastd; the bpffs is only unmounted (its pins
# dropped), which anycastd's own fds outlive.
LAB_CLEANUP_HOOKS+=("chain_cleanup")
BPFFS_DIR=$(mktemp -d "/tmp/aclabchain-$$-XXXXXX")
mount -t bpf bpf "$BPFFS_DIR"
FS=$BPFFS_DIR
CHAIN=$FS/root_maps/chain
lab_log "bpffs of the lab at $FS"

lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"
ip -n "$LAB_CLIENT" addr add "$FILTERED/24" dev "$LAB_CLIENT_IF"

# --- the lab's programs ---
bpftool prog load "$ROOT_OBJ" "$FS/root" pinmaps "$FS/root_maps"
bpftool prog load "$FILTER_OBJ" "$FS/filter" map name chain pinned "$CHAIN" pinmaps "$FS/filter_maps"
bpftool prog load "$OBSERVER_OBJ" "$FS/observer" pinmaps "$FS/observer_maps"
bpftool map update pinned "$CHAIN" key 0 0 0 0 value pinned "$FS/filter"
bpftool map update pinned "$CHAIN" key 2 0 0 0 value pinned "$FS/observer"
ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdpdrv pinned "$FS/root"

prog_id() { bpftool -j prog show pinned "$1" | "$LAB_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
ROOT_ID=$(prog_id "$FS/root")
FILTER_ID=$(prog_id "$FS/filter")
OBSERVER_ID=$(prog_id "$FS/observer")
lab_log "root prog $ROOT_ID, filter $FILTER_ID, observer $OBSERVER_ID"

# slot_id N: the id of the program in slot N of the chain, or "empty".
slot_id() {
	bpftool -j map dump pinned "$CHAIN" | "$LAB_PYTHON" -c '
import json, sys
want = int(sys.argv[1])
for e in json.load(sys.stdin):
    f = e.get("formatted", e)
    k = f["key"] if isinstance(f["key"], int) else int.from_bytes(bytes(int(b, 16) for b in f["key"]), "little")
    if k == want:
        v = f["value"]
        print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little"))
        break
else:
    print("empty")' "$1"
}
# counter MAP_PIN KEY: an array map's u64 at KEY.
counter() {
	bpftool -j map lookup pinned "$1" key "$2" 0 0 0 | "$LAB_PYTHON" -c '
import json, sys
e = json.load(sys.stdin)
v = e.get("formatted", e)["value"]
print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little"))'
}
filter_drops() { counter "$FS/filter_maps/filter_drops" 0; }
observed_udp() { counter "$FS/observer_maps/observed" 0; }
observed_tcp() { counter "$FS/observer_maps/observed" 1; }
# chain_state: root, the slots; what must stay as it is across refusals and after SIGTERM.
chain_state() {
	local s i
	s="root=$(lab_xdp_id "$LAB_EDGE" "$LAB_EDGE_IF")"
	for ((i = 0; i < SLOTS; i++)); do s+=" slot$i=$(slot_id "$i")"; done
	echo "$s"
}
ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }
# echo_from SOURCE WHAT EXPECTED ECHO_ARGS...: the echo client bound to SOURCE.
echo_from() {
	local src=$1 what=$2 want=$3
	shift 3
	lab_expect_echo "$what" "$want" "$@" --source "$src"
}
chain_config() { # chain_config FILE CHAIN_MAP INDEX
	cat >"$1" <<-EOF
		[datapath]
		kind = "xdp"
		attach = "chain"
		chain_map = "$2"
		chain_index = $3

		[anycast]
		addresses = ["$VIP4", "$VIP6"]
		loopback = "lo"

		[services.echo]
		port = 7

		[control]
		socket = "$LAB_TMP/anycastd.sock"
	EOF
}

expect_state() { # expect_state WHAT EXPECTED
	lab_expect_eq "$1" "$2" "$(chain_state)"
}
STATE0="root=$ROOT_ID slot0=$FILTER_ID slot1=empty slot2=$OBSERVER_ID slot3=empty"
expect_state "the lab's chain before anycastd" "$STATE0"

# --- 1. the chain alone: slot 1 empty, everything the filter lets through reaches the kernel ---
lab_bg "$LAB_EDGE" socat "UDP4-RECVFROM:7,bind=$LAB_EDGE_V4,fork" PIPE
for _ in $(seq 1 50); do
	[[ -n "$(ip netns exec "$LAB_EDGE" ss -Huln "sport = :7")" ]] && break
	sleep 0.1
done
declare -A k0 k1
lab_udp_counters "$LAB_EDGE" k0
drops0=$(filter_drops)
echo_from "$LAB_CLIENT_V4" "echo $LAB_EDGE_V4:7 (socat on the edge) through root and filter, slot 1 empty" "$N" \
	"$LAB_EDGE_V4" 7 --count "$N"
echo_from "$FILTERED" "echo $LAB_EDGE_V4:7 from the filtered source $FILTERED" 0 "$LAB_EDGE_V4" 7 --count 3 --timeout 1
lab_udp_counters "$LAB_EDGE" k1
lab_expect_eq "edge kernel Udp InDatagrams: the chain passed the echo to the kernel" "$N" "$((k1[in4] - k0[in4]))"
drops1=$(filter_drops)
((drops1 - drops0 >= 3)) || lab_fail "filter drop counter: expected to rise by at least 3, seen $drops0 -> $drops1"
lab_log "ok: filter dropped $((drops1 - drops0)) frames from $FILTERED"

# --- 2. start-up refusals: each leaves the chain as it was ---
conf_bad="$LAB_TMP/bad.toml"
chain_config "$conf_bad" "$FS/no_such_map" "$INDEX"
lab_expect_start_fails "chain_map missing" "$conf_bad" "does not exist"
expect_state "chain after the refusal (chain_map missing)" "$STATE0"

chain_config "$conf_bad" "$FS/filter_maps/filter_drops" "$INDEX"
lab_expect_start_fails "chain_map an array map, not a prog array" "$conf_bad" "not a prog array"
expect_state "chain after the refusal (not a prog array)" "$STATE0"

bpftool map update pinned "$CHAIN" key "$INDEX" 0 0 0 value pinned "$FS/observer"
STATE_TAKEN="root=$ROOT_ID slot0=$FILTER_ID slot1=$OBSERVER_ID slot2=$OBSERVER_ID slot3=empty"
expect_state "chain with the observer put at slot 1" "$STATE_TAKEN"
chain_config "$conf_bad" "$CHAIN" "$INDEX"
lab_expect_start_fails "slot $INDEX holding another program" "$conf_bad" "holds another program"
expect_state "chain after the refusal (slot taken)" "$STATE_TAKEN"
bpftool map delete pinned "$CHAIN" key "$INDEX" 0 0 0
expect_state "chain with slot 1 emptied by the lab" "$STATE0"

chain_config "$conf_bad" "$CHAIN" "$SLOTS"
lab_expect_start_fails "chain_index $SLOTS with max_entries $SLOTS" "$conf_bad" "out of range"
expect_state "chain after the refusal (index out of range)" "$STATE0"
if alias_present "$VIP4" || alias_present "$VIP6"; then
	lab_fail "expected no VIP alias on the edge's lo after the refused starts, seen: $(ip -n "$LAB_EDGE" addr show dev lo)"
fi
lab_log "ok: no alias left by the refused starts"

# --- 3. anycastd at slot 1 ---
conf="$LAB_TMP/anycastd.toml"
chain_config "$conf" "$CHAIN" "$INDEX"
lab_start_anycastd "$ANYCASTD" "$conf" --log-level debug
ACID=$(slot_id "$INDEX")
[[ $ACID =~ ^[0-9]+$ ]] || lab_fail "expected a program at slot $INDEX after the start, seen: $(chain_state)"
acname=$(bpftool -j prog show id "$ACID" | "$LAB_PYTHON" -c 'import json,sys; print(json.load(sys.stdin).get("name"))')
lab_expect_eq "name of the program at slot $INDEX" anycast_xdp "$acname"
expect_state "chain with anycastd" "root=$ROOT_ID slot0=$FILTER_ID slot1=$ACID slot2=$OBSERVER_ID slot3=empty"
status_json
lab_expect_eq "status attach" chain "$(json_get 'd["status"]["attach"]')"
lab_expect_eq "status chain" "$CHAIN $INDEX $ACID" \
	"$(json_get '" ".join(str(d["status"]["chain"][k]) for k in ("map", "index", "prog_id"))')"

# check_answering WHAT: echo from the client's own address answered by XDP at slot 1 (the edge
# kernel's UDP counters and the observer's UDP counter do not move); from the filtered source,
# nothing, and the filter counts it.
check_answering() {
	local what=$1 d0 d1 o0 o1
	declare -A e0 e1
	lab_udp_counters "$LAB_EDGE" e0
	o0=$(observed_udp)
	d0=$(filter_drops)
	echo_from "$LAB_CLIENT_V4" "$what: echo $VIP4:7" "$N" "$VIP4" 7 --count "$N"
	lab_expect_echo "$what: echo [$VIP6]:7" "$N" "$VIP6" 7 --count "$N"
	echo_from "$FILTERED" "$what: echo $VIP4:7 from the filtered source" 0 "$VIP4" 7 --count 3 --timeout 1
	lab_udp_counters "$LAB_EDGE" e1
	o1=$(observed_udp)
	d1=$(filter_drops)
	lab_expect_eq "$what: edge kernel Udp InDatagrams (XDP answered)" "${e0[in4]}" "${e1[in4]}"
	lab_expect_eq "$what: edge kernel Udp NoPorts" "${e0[noports4]}" "${e1[noports4]}"
	lab_expect_eq "$what: edge kernel Udp6InDatagrams (XDP answered)" "${e0[in6]}" "${e1[in6]}"
	lab_expect_eq "$what: client Udp InCsumErrors" 0 "$(lab_snmp "$LAB_CLIENT" Udp InCsumErrors)"
	lab_expect_eq "$what: observer's UDP counter (anycastd answered, passed nothing on)" "$o0" "$o1"
	((d1 - d0 >= 3)) || lab_fail "$what: filter drop counter: expected to rise by at least 3, seen $d0 -> $d1"
	lab_log "ok: $what: the filter dropped $((d1 - d0)) frames from $FILTERED"
}
check_answering "anycastd at slot $INDEX"

lab_bg "$LAB_EDGE" socat "TCP4-LISTEN:8080,bind=$VIP4,reuseaddr,fork" PIPE
lab_wait_listen "$LAB_EDGE" 8080
t0=$(observed_tcp)
out=$(lab_client "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$VIP4" 8080) || true
lab_log "tcp $VIP4: $out"
lab_expect_eq "TCP to $VIP4:8080 (socat on the edge, bound to the VIP)" "connected=1 echoed=1" \
	"connected=$(lab_field "$out" connected) echoed=$(lab_field "$out" echoed)"
t1=$(observed_tcp)
((t1 > t0)) || lab_fail "observer's TCP counter: expected to rise (anycastd tail-called slot 2), seen $t0 -> $t1"
lab_log "ok: observer saw $((t1 - t0)) TCP frames after anycastd"
# slot 2 empty: what anycastd does not answer goes to the kernel (XDP_PASS after the failed tail call)
bpftool map delete pinned "$CHAIN" key 2 0 0 0
out=$(lab_client "$LAB_PYTHON" "$LAB_DIR/tcp_probe.py" "$VIP4" 8080) || true
lab_log "tcp $VIP4 with slot 2 empty: $out"
lab_expect_eq "TCP to $VIP4:8080 with slot 2 empty" "connected=1 echoed=1" \
	"connected=$(lab_field "$out" connected) echoed=$(lab_field "$out" echoed)"
lab_expect_eq "observer's TCP counter with slot 2 empty" "$t1" "$(observed_tcp)"
echo_from "$LAB_CLIENT_V4" "echo $VIP4:7 with slot 2 empty" "$N" "$VIP4" 7 --count "$N"
bpftool map update pinned "$CHAIN" key 2 0 0 0 value pinned "$FS/observer"

# expect_own_slot WHAT PREVIOUS_ID LOG_LINE: after a start that found anycastd's own program
# (PREVIOUS_ID) at the slot, the slot holds anycast_xdp again: the same program, or a new one and
# anycastd's log (after line LOG_LINE) says it took over PREVIOUS_ID ("adopted" or "replaced the
# program (id PREVIOUS_ID) left there by an earlier anycastd"); prints the slot's id.
expect_own_slot() {
	local what=$1 prev=$2 mark=$3 now name said
	now=$(slot_id "$INDEX")
	[[ $now =~ ^[0-9]+$ ]] || lab_fail "$what: expected a program at slot $INDEX, seen: $(chain_state)"
	name=$(bpftool -j prog show id "$now" | "$LAB_PYTHON" -c 'import json,sys; print(json.load(sys.stdin).get("name"))')
	lab_expect_eq "$what: name of the program at slot $INDEX" anycast_xdp "$name" >&2
	said=$(tail -n +"$((mark + 1))" "$LAB_ANYCASTD_LOG" | grep -F "slot $INDEX of $CHAIN" | grep -E "adopt|replac" | grep -F "$prev" || true)
	lab_log "$what: slot $INDEX held $prev, now $now; anycastd said: ${said:-nothing about $prev}"
	if [[ $now != "$prev" && -z $said ]]; then
		lab_dump_anycastd_log
		lab_fail "$what: slot $INDEX changed from $prev to $now and the log does not say anycastd adopted or replaced its own program $prev"
	fi
	echo "$now"
}

# --- 4. kill -9: the slot keeps the program; a new anycastd adopts it ---
kill -KILL "$LAB_ANYCASTD_PID"
wait "$LAB_ANYCASTD_PID" 2>/dev/null || true
LAB_ANYCASTD_PID=""
expect_state "chain after kill -9" "root=$ROOT_ID slot0=$FILTER_ID slot1=$ACID slot2=$OBSERVER_ID slot3=empty"
check_answering "after kill -9"

mv "$LAB_TMP/anycastd.log" "$LAB_TMP/anycastd-1.log"
lab_start_anycastd "$ANYCASTD" "$conf" --log-level debug
ACID2=$(expect_own_slot "second start (after kill -9)" "$ACID" 0)
status_json
lab_expect_eq "status chain.prog_id after the second start" "$ACID2" \
	"$(json_get 'd["status"]["chain"]["prog_id"]')"
expect_state "chain after the second start" "root=$ROOT_ID slot0=$FILTER_ID slot1=$ACID2 slot2=$OBSERVER_ID slot3=empty"
check_answering "second start (slot taken over)"

# --- 5. anycastctl restart: answers go on ---
pid=$LAB_ANYCASTD_PID
start_stream restartstream "$VIP4"
sleep 0.5
mark=$(wc -l <"$LAB_ANYCASTD_LOG")
out=$(ctl restart) || lab_fail "anycastctl restart: expected exit 0, seen $?: $out"
lab_log "anycastctl restart: $out"
# restart execs anycastd in place: the new image logs 'anycastd started' again
deadline=$((SECONDS + 30))
until tail -n +"$((mark + 1))" "$LAB_ANYCASTD_LOG" | grep -q "anycastd started"; do
	((SECONDS < deadline)) || { lab_dump_anycastd_log; lab_fail "restart: expected 'anycastd started' again within 30 s"; }
	sleep 0.1
done
sleep 1
tail -n +"$((mark + 1))" "$LAB_ANYCASTD_LOG" | grep -iE "restart|adopt|chain|slot|started" | sed 's/^/    /' >&2 || true
stop_probe restartstream
stream=$(<"$LAB_TMP/restartstream.out")
lab_log "echo stream across the restart: $stream"
lab_expect_eq "echo stream across anycastctl restart: lost/wrong/refused" "lost=0 wrong=0 refused=0" \
	"lost=$(lab_field "$stream" lost) wrong=$(lab_field "$stream" wrong) refused=$(lab_field "$stream" refused)"
kill -0 "$pid" 2>/dev/null || lab_fail "restart: expected anycastd to keep pid $pid, it is gone"
ACID3=$(expect_own_slot "anycastctl restart" "$ACID2" "$mark")
status_json
lab_expect_eq "status chain.prog_id after the restart" "$ACID3" \
	"$(json_get 'd["status"]["chain"]["prog_id"]')"
check_answering "after anycastctl restart"

# --- 6. SIGTERM: slot 1 emptied, nothing else touched, the VIP's UDP reaches the kernel ---
lab_stop_anycastd 30
lab_expect_eq "anycastd exit code after SIGTERM (deadline 30 s)" 0 "$LAB_ANYCASTD_RC"
expect_state "chain after SIGTERM" "$STATE0"
d0=$(filter_drops)
echo_from "$FILTERED" "after SIGTERM: echo $VIP4:7 from the filtered source" 0 "$VIP4" 7 --count 3 --timeout 1
d1=$(filter_drops)
((d1 - d0 >= 3)) || lab_fail "after SIGTERM: filter drop counter: expected to rise by at least 3, seen $d0 -> $d1"
lab_log "ok: after SIGTERM the filter still drops ($((d1 - d0)) frames)"
# The VIP's UDP now goes to the kernel: the lab puts the VIP back on lo with a socat echo on it.
ip -n "$LAB_EDGE" addr replace "$VIP4/32" dev lo
lab_bg "$LAB_EDGE" socat "UDP4-RECVFROM:7,bind=$VIP4,fork" PIPE
for _ in $(seq 1 50); do
	[[ -n "$(ip netns exec "$LAB_EDGE" ss -Huln "src $VIP4 and sport = :7")" ]] && break
	sleep 0.1
done
lab_udp_counters "$LAB_EDGE" k0
lab_expect_echo "after SIGTERM: echo $VIP4:7 answered by socat on the edge" "$N" "$VIP4" 7 --count "$N"
lab_udp_counters "$LAB_EDGE" k1
lab_expect_eq "after SIGTERM: edge kernel Udp InDatagrams (the VIP's UDP reached the kernel)" "$N" "$((k1[in4] - k0[in4]))"

lab_log "PASS"
