#!/usr/bin/env bash
# Integration test of the NIC report (issue 22, `anycastctl nic` and the status JSON's "nic"):
# anycastd on the edge's veth and on a bridge with no ports, xdp_mode = "auto".
#
#   client (veth-client, pass-through XDP) <---> (veth-edge) edge, plus acbr0: a bridge
#
# The bridge is the interface without XDP features: no native XDP (auto falls back to generic)
# and no flags in the netdev family's answer. Asserted:
#   1. `anycastctl nic` with no daemon on the socket: exit 3, "cannot connect to" the socket;
#      `anycastctl nic extra`: exit 2, "nic takes no argument";
#   2. `nic --json`: veth-edge is driver "veth", the MTU set here (1400), rx/tx queues as many as
#      the edge's sysfs lists, xdp_mode "native", the XDP features veth reports for a device whose
#      peer runs XDP (drivers/net/veth.c, veth_set_xdp_features: basic, redirect, ndo-xmit, rx-sg,
#      ndo-xmit-sg), no IRQs (a virtual device), rings not reported (veth has none), a veth tune
#      line; acbr0 is driver "bridge", xdp_mode "generic", xdp features present and empty, queues
#      not reported by the driver;
#   3. the text: a block per interface with those figures, "xdp features:  none" for acbr0;
#   4. `status --json` carries the same report under status.nic;
#   5. acbr0 deleted: its figures read "not reported: no such interface", veth-edge's still there;
#   6. after SIGTERM: `anycastctl nic` exits 3.
#
#   test_nic_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT
set -euo pipefail

usage="usage: test_nic_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
VIP4=192.0.2.10
BRIDGE=acbr0
MTU=1400

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
trap lab_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LAB_MTU=$MTU lab_setup "$XDP_PASS"
ip -n "$LAB_EDGE" link add "$BRIDGE" type bridge
ip -n "$LAB_EDGE" link set "$BRIDGE" up

ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }
# nic_get EXPR: EXPR (python, over n(name), an interface's entry of NIC_JSON's "nic") printed.
NIC_JSON=""
nic_get() {
	/usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
def n(name):
    return next(i for i in d["nic"] if i["name"] == name)
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$1" <<<"$NIC_JSON"
}
# expect_exit WHAT CODE SUBSTRING CMD...: CMD exits CODE and says SUBSTRING on stderr.
expect_exit() {
	local what=$1 want=$2 says=$3 rc=0 err
	shift 3
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	lab_expect_eq "$what: exit status" "$want" "$rc"
	[[ $err == *"$says"* ]] || lab_fail "$what: expected \"$says\" on stderr, seen: $err"
	lab_log "ok: $what: $err"
}

# --- 1. no daemon; bad arguments ---
expect_exit "anycastctl nic without a daemon" 3 "cannot connect to anycastd on $LAB_TMP/anycastd.sock" ctl nic
expect_exit "anycastctl nic extra" 2 'nic takes no argument (got "extra")' ctl nic extra

conf="$LAB_TMP/anycastd.toml"
cat >"$conf" <<-EOF
	[datapath]
	kind = "xdp"
	interface = ["$LAB_EDGE_IF", "$BRIDGE"]
	xdp_mode = "auto"

	[anycast]
	addresses = ["$VIP4"]
	loopback = "lo"

	[services.echo]
	port = 7

	[control]
	socket = "$LAB_TMP/anycastd.sock"
EOF
lab_start_anycastd "$ANYCASTD" "$conf"

# --- 2. the JSON ---
NIC_JSON=$(ctl nic --json) || lab_fail "anycastctl nic --json failed: $NIC_JSON"
lab_log "nic --json: $NIC_JSON"
rxq=$(ip netns exec "$LAB_EDGE" sh -c "ls -d /sys/class/net/$LAB_EDGE_IF/queues/rx-* | wc -l")
txq=$(ip netns exec "$LAB_EDGE" sh -c "ls -d /sys/class/net/$LAB_EDGE_IF/queues/tx-* | wc -l")
lab_expect_eq "veth-edge driver, mtu, state, xdp_mode" "veth $MTU attached native" \
	"$(nic_get 'n("veth-edge")["driver"]["driver"]') $(nic_get 'n("veth-edge")["mtu"]') $(nic_get 'n("veth-edge")["state"]') $(nic_get 'n("veth-edge")["xdp_mode"]')"
lab_expect_eq "veth-edge rx/tx queues (sysfs: rx-*, tx-*)" "$rxq $txq" \
	"$(nic_get 'n("veth-edge")["channels"]["rx"]') $(nic_get 'n("veth-edge")["channels"]["tx"]')"
lab_expect_eq "veth-edge xdp features (the peer runs XDP)" '["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"]' \
	"$(nic_get 'n("veth-edge")["xdp_features"]["names"]')"
lab_expect_eq "veth-edge irqs" '{"not_reported": "none: a virtual device (no device behind it)"}' "$(nic_get 'n("veth-edge")["irqs"]')"
lab_expect_eq "veth-edge rings" '{"not_reported": "not reported by the driver"}' "$(nic_get 'n("veth-edge")["rings"]')"
lab_expect_eq "veth-edge has the veth tune line" true \
	"$(nic_get 'any(l.startswith("veth: XDP_TX and redirects out of a veth") for l in n("veth-edge")["tune"])')"
lab_expect_eq "acbr0 driver, state, xdp_mode" "bridge attached generic" \
	"$(nic_get 'n("acbr0")["driver"]["driver"]') $(nic_get 'n("acbr0")["state"]') $(nic_get 'n("acbr0")["xdp_mode"]')"
lab_expect_eq "acbr0 xdp features: reported, none" "0 []" \
	"$(nic_get 'n("acbr0")["xdp_features"]["flags"]') $(nic_get 'n("acbr0")["xdp_features"]["names"]')"
lab_expect_eq "acbr0 queues" '{"not_reported": "not reported by the driver"}' "$(nic_get 'n("acbr0")["channels"]')"

# --- 3. the text ---
text=$(ctl nic) || lab_fail "anycastctl nic failed: $text"
printf '%s\n' "$text" | sed 's/^/    /' >&2
for line in "veth-edge (uplink, attached)" "  mtu:           $MTU" "  xdp mode:      native" \
	"  xdp features:  basic redirect ndo-xmit rx-sg ndo-xmit-sg" \
	"  irqs:          none: a virtual device (no device behind it)" \
	"acbr0 (uplink, attached)" "  xdp mode:      generic" "  xdp features:  none" "  tune:"; do
	grep -qxF -- "$line" <<<"$text" || lab_fail "anycastctl nic: expected the line \"$line\""
done
grep -q "^  driver:        veth " <<<"$text" || lab_fail "anycastctl nic: expected a driver line for veth"
grep -q "^  driver:        bridge " <<<"$text" || lab_fail "anycastctl nic: expected a driver line for the bridge"
lab_log "ok: anycastctl nic shows both interfaces"

# --- 4. the status JSON ---
status_json
lab_expect_eq "status.nic names and veth-edge driver" '["veth-edge", "acbr0"] veth' \
	"$(json_get '[i["name"] for i in d["status"]["nic"]]') $(json_get 'd["status"]["nic"][0]["driver"]["driver"]')"

# --- 5. the bridge deleted ---
ip -n "$LAB_EDGE" link del "$BRIDGE"
NIC_JSON=$(ctl nic --json) || lab_fail "anycastctl nic --json after the bridge went failed: $NIC_JSON"
lab_expect_eq "acbr0 gone: driver, xdp features" \
	"not reported: no such interface|not reported: no such interface" \
	"$(nic_get 'n("acbr0")["driver"]["not_reported"]')|$(nic_get 'n("acbr0")["xdp_features"]["not_reported"]')"
lab_expect_eq "veth-edge still reported" veth "$(nic_get 'n("veth-edge")["driver"]["driver"]')"

# --- 6. the daemon stopped ---
lab_stop_anycastd
expect_exit "anycastctl nic after SIGTERM" 3 "cannot connect to" ctl nic
lab_log "PASS"
