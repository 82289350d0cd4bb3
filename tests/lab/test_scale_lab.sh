#!/usr/bin/env bash
# The control plane at 65,536 exact VIPs (issue 19): anycastd on the edge with that many IPv6
# /128s in 2001:db8:1::/112, the alias route signal, the datapath check.
#
#   test_scale_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT times|sigterm
#
# times    host_vips = "auto" (local routes at this size). Prints how long the start (launch to
#          the group up, every VIP local), a SIGHUP reload of the same file and the stop (SIGTERM
#          to exit) took: figures, not assertions. Asserts what they are of: every VIP is a local
#          route with anycastd's marker while up, anycastctl answers, an echo to the first and
#          the last VIP is answered, the exit code is 0 and nothing is left on lo.
#          LAB_SCALE_VIPS=N takes another count, LAB_SCALE_FORM=addresses the other form (minutes
#          at 65,536: the kernel's address list; for the before/after figures of docs/robustness.md).
# sigterm  host_vips = "addresses": the start takes minutes, so it is surely under way when the
#          lab acts. While the addresses go on: anycastctl status answers, anycastctl reload is
#          refused with why, SIGHUP is taken (and waits); then SIGTERM: anycastd stops adding,
#          removes what it added, and exits 0 with no address or route of its own left on lo.
set -euo pipefail

usage="usage: test_scale_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT times|sigterm"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
PART=${4:?$usage}
N=${LAB_SCALE_VIPS:-65536}
PREFIX6=2001:db8:1::/112
FORM=auto
case $PART in
times) FORM=${LAB_SCALE_FORM:-auto} ;;
sigterm) FORM=addresses ;;
*) echo "$usage" >&2; exit 2 ;;
esac
((N >= 1 && N <= 65536)) || { echo "LAB_SCALE_VIPS: 1 to 65536 (they are numbered within $PREFIX6)" >&2; exit 2; }

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
[[ -x "$ANYCASTCTL" ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"
lab_setup "$XDP_PASS"
lab_route_vip "$PREFIX6"
SOCK="$LAB_TMP/anycastd.sock"
ctl() { timeout 10 "$ANYCASTCTL" --socket "$SOCK" "$@"; }

vip() { printf '2001:db8:1::%x' "$1"; }
FIRST=$(vip 0)
LAST=$(vip $((N - 1)))

conf="$LAB_TMP/anycastd.toml"
{
	printf '[datapath]\nkind = "xdp"\ninterface = "%s"\nxdp_mode = "native"\n\n' "$LAB_EDGE_IF"
	printf '[anycast]\nloopback = "lo"\nhost_vips = "%s"\naddresses = [\n' "$FORM"
	printf '"2001:db8:1::%x",\n' $(seq 0 $((N - 1)))
	printf ']\n\n[services.echo]\nport = 7\n\n[control]\nsocket = "%s"\n' "$SOCK"
} >"$conf"
lab_append_health_route "$conf"

# ours: anycastd's addresses and local routes on the edge's lo (the marker, protocol 0xac).
ours() {
	local routes addresses
	routes=$(ip -n "$LAB_EDGE" -6 route show table local proto 0xac | grep -c '^local 2001:db8:1::' || true)
	# Debian 12's iproute2 cannot filter addresses by protocol: no address in the prefix is
	# anyone else's in this lab.
	addresses=$(ip -n "$LAB_EDGE" -6 addr show dev lo | grep -c 'inet6 2001:db8:1::' || true)
	echo $((routes + addresses))
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

launch() {
	LAB_ANYCASTD_LOG="$LAB_TMP/anycastd.log"
	: >"$LAB_ANYCASTD_LOG"
	ip netns exec "$LAB_EDGE" "$ANYCASTD" --config "$conf" >>"$LAB_ANYCASTD_LOG" 2>&1 &
	LAB_ANYCASTD_PID=$!
}

if [[ $PART == times ]]; then
	t0=$(now)
	launch
	lab_wait_log "ready -> up" 600
	t1=$(now)
	have=$(ours)
	lab_expect_eq "VIPs of anycastd's on lo while up" "$N" "$have"
	ctl status >/dev/null || lab_fail "anycastctl status failed while up"
	lab_expect_echo "echo $FIRST port 7" 3 "$FIRST" 7 --count 3
	lab_expect_echo "echo $LAST port 7" 3 "$LAST" 7 --count 3

	t2=$(now)
	kill -HUP "$LAB_ANYCASTD_PID"
	lab_wait_log "configuration reloaded" 600
	t3=$(now)
	lab_expect_eq "VIPs of anycastd's on lo after the reload" "$N" "$(ours)"

	t4=$(now)
	lab_stop_anycastd 600
	t5=$(now)
	lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
	lab_expect_eq "VIPs of anycastd's left on lo after the stop" 0 "$(ours)"
	grep -E "adding [0-9]+ VIPs|added [0-9]+ VIPs|SIGTERM|removed [0-9]+ VIPs|anycastd stopped" "$LAB_ANYCASTD_LOG" | sed 's/^/    /' >&2 || true
	printf '[lab] %d IPv6 /128 VIPs, host_vips = "%s": start %s s (launch to up), reload %s s (SIGHUP, same file), stop %s s (SIGTERM to exit)\n' \
		"$N" "$FORM" "$(elapsed "$t0" "$t1")" "$(elapsed "$t2" "$t3")" "$(elapsed "$t4" "$t5")" >&2
	lab_log "PASS"
	exit 0
fi

# sigterm
launch
lab_wait_log "adding [0-9]+ VIPs on lo" 120
# Some are on (the start is under way), far from all (it takes minutes at this size).
deadline=$((SECONDS + 60))
until (($(ours) > 0)); do
	((SECONDS < deadline)) || lab_fail "no VIP of anycastd's on lo 60 s after it began adding"
	sleep 0.2
done
lab_log "adding: $(ours) of $N on lo"
ctl status >/dev/null || lab_fail "anycastctl status was not answered while the VIPs were being added"
lab_log "ok: anycastctl status answered during the start"
out=$(ctl reload 2>&1) && lab_fail "anycastctl reload during the start was accepted, expected a refusal: $out"
[[ $out == *"being added"* ]] || lab_fail "anycastctl reload refused, but not saying why: $out"
lab_log "ok: anycastctl reload refused during the start: $out"
kill -HUP "$LAB_ANYCASTD_PID"
lab_wait_log "SIGHUP: reloading .* once the VIPs being added are in" 30
lab_log "ok: SIGHUP taken during the start"
during=$(ours)
((during < N)) || lab_fail "every VIP was on before SIGTERM: the lab did not stop a start under way"
lab_stop_anycastd 120
lab_expect_eq "anycastd exit code after SIGTERM during the start" 0 "$LAB_ANYCASTD_RC"
lab_expect_eq "VIPs of anycastd's left on lo after SIGTERM during the start" 0 "$(ours)"
grep -q "stopped after adding" "$LAB_ANYCASTD_LOG" ||
	lab_fail "expected anycastd to log that it stopped adding ('stopped after adding'), not seen"
grep -E "SIGTERM|stopped after adding|removed [0-9]+ VIPs|anycastd stopped" "$LAB_ANYCASTD_LOG" | sed 's/^/    /' >&2
lab_log "SIGTERM with $during of $N VIPs on: exit 0, nothing left on lo"
lab_log "PASS"
