#!/usr/bin/env bash
# End to end, ExaBGP on edge1 (anycastd's `exabgp` signal, which carries the state's attributes
# from anycastd's own config: route-signals.md's table), BIRD on edge2, the BIRD router of
# examples/bird/router.conf (GRACEFUL_SHUTDOWN -> local preference 0):
#   1. `anycastctl drain --soft`: edge1's routes at the router first carry the draining
#      attributes (65535:0, MED 1000, one prepend; the router's filter sets local preference 0);
#      after soft_drain_ms they are withdrawn; the group drains and stays down; a continuous
#      echo stream (IPv4 and IPv6) loses nothing; `undrain` announces it again;
#   2. the same with the soft maintenance file (edge1.disable.soft);
#   3. a `soft = true` check failing: the routes carry the degraded attributes (MED 500, two
#      prepends, 64512:666) and the group is `degraded`, nothing lost; passing again: `up`, the
#      attributes gone.
# Times are printed ([measure]), never asserted.
#
#   test_soft_drain.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL
set -euo pipefail

ANYCASTD=${1:?usage: test_soft_drain.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL}
XDP_PASS=${2:?usage: test_soft_drain.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL}
ANYCASTCTL=${3:?usage: test_soft_drain.sh ANYCASTD XDP_PASS_OBJECT ANYCASTCTL}
SOFT_DRAIN_MS=3000 # long enough to see the tagged routes before the withdrawal

# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"
e2e_set_binaries "$ANYCASTD" "$ANYCASTCTL"
e2e_setup "$XDP_PASS"
E2E_INTERVAL_MS=500 # room for the exec check's 400 ms timeout

e2e_start_router_bird
e2e_start_speaker edge1 exabgp
e2e_start_speaker edge2 bird
e2e_wait_session edge1
e2e_wait_session edge2
e2e_learn_ll6

conf="$LAB_TMP/edge1.toml"
soft_fail="$LAB_TMP/edge1.soft-fail"
e2e_anycastd_config edge1 "$conf" exabgp "$(
	cat <<-EOF
		[[health.check]]
		kind = "exec"
		timeout_ms = 400 # not half the interval: a loaded machine forks slowly
		command = "test ! -e $soft_fail"
		soft = true

		[route.degraded]
		med = 500
		prepend = 2
		communities = ["64512:666"]

		[route.draining]
		med = 1000
		prepend = 1
	EOF
)"
e2e_config_add "$conf" route "soft_drain_ms = $SOFT_DRAIN_MS"
e2e_config_add "$conf" route.exabgp "local_as = 65001" # examples/exabgp/exabgp.conf's local-as
"$E2E_ANYCASTD" --check --config "$conf" >/dev/null || lab_fail "edge1's config is refused: $("$E2E_ANYCASTD" --check --config "$conf" 2>&1)"
E2E_START_US[edge1]=$(e2e_now_us)
e2e_start_anycastd edge1 "$conf"
e2e_start_edge_anycastd edge2 bird
e2e_wait_announced edge1
e2e_wait_announced edge2
e2e_wait_group edge1 state up

# expect_attrs WHAT FAMILY PATTERN...: each pattern (grep -E) in the router's route from edge1.
expect_attrs() {
	local what=$1 fam=$2 route p
	shift 2
	route=$(e2e_router_route edge1 "$fam")
	for p in "$@"; do
		grep -qE -- "$p" <<<"$route" || lab_fail "$what: expected /$p/ in the router's IPv$fam route from edge1: ${route:-(no route)}"
	done
	lab_log "ok: $what: the router's IPv$fam route from edge1 has $*"
}

# soft_drain CAUSE START STOP: START (a command string) begins a soft drain of edge1 under the
# streams; the draining attributes, the router moving to edge2, the withdrawal soft_drain_ms
# later, the drain; nothing lost; STOP lets edge1 back in.
soft_drain() {
	local cause=$1 start=$2 stop=$3 r0 t0 ms fam held
	r0=$(e2e_answers edge1)
	e2e_stream_start "soft$cause"
	e2e_wait_share edge1 "$r0" # edge1 carries its share before the drain
	t0=$(e2e_now_us)
	eval "$start"
	e2e_wait_router_route edge1 '\(65535,0\)' present 15 4
	e2e_measure "$cause -> IPv4 route from edge1 tagged 65535:0 at the router" "$(e2e_since_ms "$t0")"
	for fam in 4 6; do
		e2e_wait_router_route edge1 '\(65535,0\)' present 15 "$fam"
		expect_attrs "$cause, draining" "$fam" 'BGP\.med: 1000' 'BGP\.as_path: 65001 65001$' 'BGP\.local_pref: 0'
	done
	lab_expect_eq "$cause: edge1's group state while the routes are tagged" draining "$(e2e_group_field edge1 state)"
	lab_log "ok: $cause: tagged and still announced (the withdrawal comes soft_drain_ms later)"
	# Local preference 0 takes edge1 out of the router's ECMP route (seen here 2-4 s after the
	# tag, under load: possibly only with the withdrawal); edge1 answers meanwhile either way.
	ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
	e2e_measure "$cause -> the router's kernel routes the IPv4 VIP to edge2 only" "$ms"
	e2e_route_via edge2 4 || lab_fail "$cause: expected the route via edge2: $(ip -n "$E2E_ROUTER" route show "$VIP4/32")"
	for fam in 4 6; do
		e2e_wait_router_route edge1 'unicast' absent 30 "$fam"
		e2e_measure "$cause -> IPv$fam route from edge1 withdrawn at the router (soft_drain_ms $SOFT_DRAIN_MS)" "$(e2e_since_ms "$t0")"
	done
	e2e_wait_group edge1 state down 30
	e2e_measure "$cause -> edge1's group down (drain_ms ${E2E_DRAIN_MS:-1000} after the withdrawal)" "$(e2e_since_ms "$t0")"
	sleep 0.5 # the streams go on after edge1 stopped answering
	e2e_stream_check "across the $cause of edge1" "soft$cause"
	held=$(e2e_group_field edge1 held_out)
	[[ -n $held ]] || lab_fail "$cause: expected edge1's group held out after the drain: $(e2e_status edge1)"
	lab_log "ok: $cause: edge1's group down, held out ($held)"
	eval "$stop"
	t0=$(e2e_now_us)
	ms=$(e2e_wait_route present edge1 30 "$t0" 4)
	e2e_measure "$cause ended -> IPv4 route via edge1 back" "$ms"
	e2e_wait_router_route edge1 '\(65535,0\)' absent 15 4
	e2e_wait_group edge1 state up
}

# --- 1. anycastctl drain --soft / undrain ---
soft_drain "anycastctl drain --soft" \
	'out=$(e2e_ctl edge1 drain --soft all) || lab_fail "anycastctl drain --soft all: $out"' \
	'out=$(e2e_ctl edge1 undrain all) || lab_fail "anycastctl undrain all: $out"'

# --- 2. the soft maintenance file ---
soft_drain "soft maintenance file" 'touch "$LAB_TMP/edge1.disable.soft"' 'rm -f "$LAB_TMP/edge1.disable.soft"'

# --- 3. degraded: a soft check failing, then passing ---
r0=$(e2e_answers edge1)
e2e_stream_start degraded
e2e_wait_share edge1 "$r0"
t0=$(e2e_now_us)
touch "$soft_fail"
e2e_wait_router_route edge1 'BGP\.med: 500' present 15 4
e2e_measure "soft check failing -> IPv4 route from edge1 degraded at the router" "$(e2e_since_ms "$t0")"
for fam in 4 6; do
	e2e_wait_router_route edge1 'BGP\.med: 500' present 15 "$fam"
	expect_attrs "degraded" "$fam" 'BGP\.as_path: 65001 65001 65001$' '\(64512,666\)'
done
lab_expect_eq "edge1's group state with the soft check failing" degraded "$(e2e_group_field edge1 state)"
grep -q '(65535,0)' <<<"$(e2e_router_route edge1 4)" && lab_fail "a degraded route must not carry GRACEFUL_SHUTDOWN: $(e2e_router_route edge1 4)"
ms=$(e2e_wait_route absent edge1 15 "$t0" 4) # two prepends more: the router prefers edge2
e2e_measure "soft check failing -> the router's kernel routes the IPv4 VIP to edge2 only" "$ms"
t0=$(e2e_now_us)
rm -f "$soft_fail"
for fam in 4 6; do e2e_wait_router_route edge1 'BGP\.med: 500' absent 15 "$fam"; done
e2e_measure "soft check passing -> IPv4 and IPv6 routes from edge1 without the degraded attributes" "$(e2e_since_ms "$t0")"
for fam in 4 6; do
	route=$(e2e_router_route edge1 "$fam")
	[[ -n $route ]] || lab_fail "the IPv$fam route from edge1 left the router on the way back up"
	grep -q '(64512,666)' <<<"$route" && lab_fail "the IPv$fam route from edge1 still has 64512:666 once up: $route"
done
e2e_wait_route present edge1 15 "$t0" 4 >/dev/null
e2e_wait_group edge1 state up
sleep 0.3
e2e_stream_check "across edge1 degraded and back" degraded
e2e_log_status edge1

lab_log "PASS"
