#!/usr/bin/env bash
# Integration test in its own namespaces (issue 21, [datapath] interface = ["e1", "e2"]):
# anycastd on an edge with two uplinks, each a veth pair to a client namespace of its own.
#
#   client1 (c1) 198.51.100.1/24  2001:db8:1::1/64 <---> (e1) edge 198.51.100.2/24  2001:db8:1::2/64
#   client2 (c2) 203.0.113.1/24   2001:db8:2::1/64 <---> (e2) edge 203.0.113.2/24   2001:db8:2::2/64
#
# Each client routes the VIPs 192.0.2.10 and 2001:db8::10 through its own uplink. Asserted:
#   1. a start naming an interface that does not exist (["e1", "nosuch0"]) fails, and nothing is
#      left attached to e1 or e2 (attach is all or nothing);
#      The same when e1 can be attached and e2 cannot (it carries another program, which
#      attach = "exclusive" refuses): e1 is left bare, e2's program untouched;
#   2. with ["e1", "e2"]: one program on both (the same prog id), status lists both "attached",
#      "native", with that prog_id; echo from each client answered by XDP (the edge kernel's UDP
#      counters do not move) and counted on its own interface only (answered rises by exactly the
#      echoes sent over it, the other interface's does not move);
#   3. e2 deleted: status shows e2 "gone" within a deadline and the log names it; client1 is still
#      answered by XDP;
#   4. the e2/c2 pair re-created with the same names: status shows e2 "attached" again (the same
#      program as e1's), echo from client2 answered by XDP and counted on e2;
#   4b. a reload to ["e1"] detaches e2 (status no longer lists it), e1 keeps its program and
#      answers; a reload back to ["e1", "e2"] attaches e2 again, answering;
#   5. SIGTERM: exit 0, nothing attached on e1 or e2.
#
#   test_uplinks_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
set -euo pipefail

usage="usage: test_uplinks_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
N=${LAB_ECHO_COUNT:-20}
VIP4=192.0.2.10
VIP6=2001:db8::10

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
[[ -r $XDP_PASS ]] || lab_fail "pass-through XDP object not found: $XDP_PASS (build target lab_xdp_pass)"
_lab_reap_stale

# uplink I: client namespace, its veth, the edge's veth, v4 and v6 of both ends
declare -A UP_NS UP_CIF UP_EIF UP_C4 UP_E4 UP_C6 UP_E6
UP_CIF[1]=c1 UP_EIF[1]=e1 UP_C4[1]=198.51.100.1 UP_E4[1]=198.51.100.2 UP_C6[1]=2001:db8:1::1 UP_E6[1]=2001:db8:1::2
UP_CIF[2]=c2 UP_EIF[2]=e2 UP_C4[2]=203.0.113.1 UP_E4[2]=203.0.113.2 UP_C6[2]=2001:db8:2::1 UP_E6[2]=2001:db8:2::2

id="$$-$RANDOM"
UP_NS[1]="aclab-$id-client1"
UP_NS[2]="aclab-$id-client2"
LAB_CLIENT=${UP_NS[1]} # lab_cleanup deletes LAB_CLIENT and LAB_EDGE; client2 through a hook
LAB_EDGE="aclab-$id-edge"
LAB_TMP="$(mktemp -d /tmp/aclab.XXXXXX)"
LAB_CLEANUP_HOOKS+=("_lab_del_ns ${UP_NS[2]}")
trap lab_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ns in "${UP_NS[1]}" "${UP_NS[2]}" "$LAB_EDGE"; do
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$ns" link set lo up
done

# uplink_up I: creates the veth pair of uplink I (again, after it was deleted), its addresses, the
# client's routes to the VIPs, TX checksum offload off and the pass-through XDP on the client end.
uplink_up() {
	local i=$1 cns=${UP_NS[$1]}
	ip -n "$cns" link add "${UP_CIF[$i]}" type veth peer name "${UP_EIF[$i]}" netns "$LAB_EDGE"
	ip -n "$cns" addr add "${UP_C4[$i]}/24" dev "${UP_CIF[$i]}"
	ip -n "$cns" addr add "${UP_C6[$i]}/64" dev "${UP_CIF[$i]}" nodad
	ip -n "$LAB_EDGE" addr add "${UP_E4[$i]}/24" dev "${UP_EIF[$i]}"
	ip -n "$LAB_EDGE" addr add "${UP_E6[$i]}/64" dev "${UP_EIF[$i]}" nodad
	ip netns exec "$cns" ethtool -K "${UP_CIF[$i]}" tx off >/dev/null
	ip -n "$cns" link set dev "${UP_CIF[$i]}" xdpdrv obj "$XDP_PASS" sec xdp
	ip -n "$cns" link set "${UP_CIF[$i]}" up
	ip -n "$LAB_EDGE" link set "${UP_EIF[$i]}" up
	ip -n "$cns" route add "$VIP4/32" via "${UP_E4[$i]}" dev "${UP_CIF[$i]}"
	ip -n "$cns" -6 route add "$VIP6/128" via "${UP_E6[$i]}" dev "${UP_CIF[$i]}"
}
uplink_up 1
uplink_up 2
lab_log "namespaces ${UP_NS[1]}, ${UP_NS[2]} and $LAB_EDGE up"

ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }
# iface_field NAME EXPR: EXPR (python, over i, the interface's entry in status "interfaces") of
# interface NAME in STATUS_JSON; "absent" when status does not list it.
iface_field() { json_get "(lambda i: 'absent' if i is None else $2)(iface('$1'))"; }
answered() { iface_field "$1" 'i["counters"]["answered"]'; }
# echo_over I WHAT EXPECTED ECHO_ARGS...: the echo client in client I's namespace.
echo_over() {
	local i=$1 what=$2 want=$3 out seen
	shift 3
	out=$(ip netns exec "${UP_NS[$i]}" "$LAB_PYTHON" "$LAB_DIR/udp_echo.py" "$@" --expect any) ||
		lab_fail "$what: echo client failed: $out"
	lab_log "$what: $out"
	seen="answered=$(lab_field "$out" answered) wrong=$(lab_field "$out" wrong) refused=$(lab_field "$out" refused)"
	lab_expect_eq "$what" "answered=$want wrong=0 refused=0" "$seen"
}
# xdp_echo_over I WHAT: N echoes to each VIP over uplink I, answered by XDP (the edge kernel's UDP
# counters do not move), counted as answered on uplink I's interface and on no other.
xdp_echo_over() {
	local i=$1 what=$2 j
	declare -A k0 k1 a0 a1
	status_json
	for j in 1 2; do a0[$j]=$(answered "${UP_EIF[$j]}"); done
	lab_udp_counters "$LAB_EDGE" k0
	echo_over "$i" "$what: echo $VIP4:7 over ${UP_EIF[$i]}" "$N" "$VIP4" 7 --count "$N"
	echo_over "$i" "$what: echo [$VIP6]:7 over ${UP_EIF[$i]}" "$N" "$VIP6" 7 --count "$N"
	lab_udp_counters "$LAB_EDGE" k1
	lab_expect_eq "$what: edge kernel Udp InDatagrams (XDP answered)" "${k0[in4]}" "${k1[in4]}"
	lab_expect_eq "$what: edge kernel Udp NoPorts" "${k0[noports4]}" "${k1[noports4]}"
	lab_expect_eq "$what: edge kernel Udp6InDatagrams (XDP answered)" "${k0[in6]}" "${k1[in6]}"
	lab_expect_eq "$what: client Udp InCsumErrors" 0 "$(lab_snmp "${UP_NS[$i]}" Udp InCsumErrors)"
	status_json
	for j in 1 2; do a1[$j]=$(answered "${UP_EIF[$j]}"); done
	[[ ${a0[$i]} =~ ^[0-9]+$ && ${a1[$i]} =~ ^[0-9]+$ ]] ||
		lab_fail "$what: status counters.answered of ${UP_EIF[$i]}: expected numbers, seen ${a0[$i]} -> ${a1[$i]}"
	lab_expect_eq "$what: status ${UP_EIF[$i]} counters.answered rise" "$((2 * N))" "$((a1[$i] - a0[$i]))"
	j=$((3 - i))
	if [[ ${a0[$j]} =~ ^[0-9]+$ && ${a1[$j]} =~ ^[0-9]+$ ]]; then
		lab_expect_eq "$what: status ${UP_EIF[$j]} counters.answered rise (no traffic over it)" 0 "$((a1[$j] - a0[$j]))"
	fi
}
# wait_state DEV STATE [DEADLINE_S]: until status lists DEV in STATE.
wait_state() {
	local deadline=$((SECONDS + ${3:-30})) seen
	while :; do
		status_json
		seen=$(iface_field "$1" 'i["state"]')
		[[ $seen == "$2" ]] && break
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "expected $1 in state $2 in status within ${3:-30} s, seen $seen: $STATUS_JSON"
		fi
		sleep 0.2
	done
	lab_log "ok: status shows $1 $2"
}
uplinks_config() { # uplinks_config FILE INTERFACE...
	local file=$1 list="" a
	shift
	for a in "$@"; do list+="${list:+, }\"$a\""; done
	cat >"$file" <<-EOF
		[datapath]
		kind = "xdp"
		interface = [$list]
		xdp_mode = "native"

		[anycast]
		addresses = ["$VIP4", "$VIP6"]
		loopback = "lo"

		[services.echo]
		port = 7

		[control]
		socket = "$LAB_TMP/anycastd.sock"
	EOF
}

# --- 1. an interface that does not exist: the start fails, nothing stays attached ---
conf_bad="$LAB_TMP/bad.toml"
uplinks_config "$conf_bad" e1 nosuch0
lab_expect_start_fails "start with [\"e1\", \"nosuch0\"]" "$conf_bad" nosuch0
links=$(ip -n "$LAB_EDGE" link show)
if grep -qE '\bxdp(generic|drv|offload)?\b|prog/xdp' <<<"$links"; then
	lab_fail "after the refused start: expected no XDP program in the edge, seen: $links"
fi
lab_log "ok: nothing attached in the edge after the refused start"

# --- 1b. e1 attachable, e2 carrying another program (attach = "exclusive", the default, refuses
# it): the start fails, e1 is left without a program and e2's program is untouched ---
ip -n "$LAB_EDGE" link set dev e2 xdpdrv obj "$XDP_PASS" sec xdp
other=$(lab_xdp_id "$LAB_EDGE" e2)
[[ $other =~ ^[0-9]+$ ]] || lab_fail "expected the lab's pass program on e2, seen: $(ip -n "$LAB_EDGE" link show dev e2)"
uplinks_config "$conf_bad" e1 e2
lab_expect_start_fails "start with e2 carrying another program" "$conf_bad" "e2 already has an XDP program attached"
lab_expect_eq "XDP program on e1 after the refused start (attach is all or nothing)" none "$(lab_xdp_id "$LAB_EDGE" e1)"
lab_expect_eq "XDP program on e2 after the refused start (the other program, untouched)" "$other" "$(lab_xdp_id "$LAB_EDGE" e2)"
ip -n "$LAB_EDGE" link set dev e2 xdpdrv off

# --- 2. both uplinks ---
conf="$LAB_TMP/anycastd.toml"
uplinks_config "$conf" e1 e2
lab_start_anycastd "$ANYCASTD" "$conf" --log-level debug
id1=$(lab_xdp_id "$LAB_EDGE" e1)
id2=$(lab_xdp_id "$LAB_EDGE" e2)
[[ $id1 =~ ^[0-9]+$ ]] || lab_fail "expected an XDP program on e1, seen: $(ip -n "$LAB_EDGE" link show dev e1)"
lab_expect_eq "XDP program on e2 (the one on e1)" "$id1" "$id2"
status_json
for dev in e1 e2; do
	lab_expect_eq "status $dev state/xdp_mode/prog_id" "attached native $id1" \
		"$(iface_field "$dev" 'i["state"]') $(iface_field "$dev" 'i["xdp_mode"]') $(iface_field "$dev" 'i["prog_id"]')"
done
xdp_echo_over 1 "uplink 1"
xdp_echo_over 2 "uplink 2"

# --- 3. e2 deleted: reported gone, e1 keeps answering ---
lines=$(wc -l <"$LAB_ANYCASTD_LOG")
ip -n "$LAB_EDGE" link del e2
wait_state e2 gone 30
tail -n +$((lines + 1)) "$LAB_ANYCASTD_LOG" | sed 's/^/    /' >&2
tail -n +$((lines + 1)) "$LAB_ANYCASTD_LOG" | grep -qw e2 ||
	lab_fail "expected a log line naming e2 after it was deleted, not seen"
lab_log "ok: the log names e2 after its deletion"
lab_expect_eq "status e1 state with e2 gone" attached "$(iface_field e1 'i["state"]')"
xdp_echo_over 1 "uplink 1 with e2 gone"

# --- 4. e2 re-created with the same name: attached again, answering ---
lines=$(wc -l <"$LAB_ANYCASTD_LOG")
uplink_up 2
wait_state e2 attached 30
tail -n +$((lines + 1)) "$LAB_ANYCASTD_LOG" | sed 's/^/    /' >&2
lab_expect_eq "XDP program on the re-created e2 (the one on e1)" "$id1" "$(lab_xdp_id "$LAB_EDGE" e2)"
lab_expect_eq "status e2 xdp_mode/prog_id after re-creation" "native $id1" \
	"$(iface_field e2 'i["xdp_mode"]') $(iface_field e2 'i["prog_id"]')"
xdp_echo_over 2 "uplink 2 re-created"
xdp_echo_over 1 "uplink 1 after e2 came back"

# --- 4b. a reload removes e2, another brings it back ---
uplinks_config "$conf" e1
out=$(ctl reload) || lab_fail "reload to [\"e1\"]: expected exit 0, seen $?: $out"
lab_log "reload to [\"e1\"]: $out"
status_json
lab_expect_eq "status e2 after the reload to [\"e1\"]" absent "$(iface_field e2 'i["state"]')"
lab_expect_eq "XDP program on e2 after the reload to [\"e1\"]" none "$(lab_xdp_id "$LAB_EDGE" e2)"
lab_expect_eq "XDP program on e1 after the reload to [\"e1\"] (the same)" "$id1" "$(lab_xdp_id "$LAB_EDGE" e1)"
xdp_echo_over 1 "uplink 1 after the reload to [\"e1\"]"
uplinks_config "$conf" e1 e2
out=$(ctl reload) || lab_fail "reload to [\"e1\", \"e2\"]: expected exit 0, seen $?: $out"
lab_log "reload to [\"e1\", \"e2\"]: $out"
status_json
lab_expect_eq "status e2 after the reload to [\"e1\", \"e2\"]" "attached $id1" \
	"$(iface_field e2 'i["state"]') $(iface_field e2 'i["prog_id"]')"
lab_expect_eq "XDP program on e2 after the reload to [\"e1\", \"e2\"]" "$id1" "$(lab_xdp_id "$LAB_EDGE" e2)"
xdp_echo_over 2 "uplink 2 after the reload to [\"e1\", \"e2\"]"

# --- 5. SIGTERM: nothing left attached ---
lab_stop_anycastd 30
lab_expect_eq "anycastd exit code after SIGTERM (deadline 30 s)" 0 "$LAB_ANYCASTD_RC"
for dev in e1 e2; do
	lab_expect_eq "XDP program on $dev after SIGTERM" none "$(lab_xdp_id "$LAB_EDGE" "$dev")"
done

lab_log "PASS"
