#!/usr/bin/env bash
# NSID (RFC 5001) and DNS cookies (RFC 7873, RFC 9018) against Knot, in the lab's namespaces
# (docs/dns.md, "NSID and cookies"). knotd serves tests/lab/dns/example.net.zone in a namespace of
# its own with `server: nsid` and mod-cookies under the same secret as anycastd; anycastd A on the
# edge (XDP, VIP 192.0.2.10, nsid "site-a", a secret file) and anycastd B in a second edge
# namespace (VIP 192.0.2.20, the same secret file) answer the client. dns_cookies_lab.py, in the
# client namespace, checks over each transport given:
#   - dig +nsid +cookie and kdig +nsid +cookie, anycastd against knotd: rcode, flags, NSID text;
#     a 24-byte cookie of server cookie version 1 from both;
#   - a server cookie issued by A is accepted by B; tampered with, BADCOOKIE as knotd answers;
#   - rollover: a cookie issued under the old secret is accepted once the old secret is the
#     previous file (reload), and is BADCOOKIE once the previous file is gone (reload);
#   - which path answered (the slow path's counters: cookie_new, cookie_valid, cookie_bad over
#     TCP; the fast path's answered counters over UDP);
# and with `udp` among the transports (the fast path answering options), response rate
# limiting: a flood of cookieless queries from one source is limited, the same number with a
# valid cookie are all answered. Then a secret file that is malformed makes the reload fail
# naming the file, and anycastd goes on answering with its old secret.
#
#   test_dns_cookies_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT TRANSPORT...   (tcp, udp)
set -euo pipefail

usage="usage: test_dns_cookies_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT TRANSPORT..."
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
shift 3
TRANSPORTS=("$@")
((${#TRANSPORTS[@]})) || { echo "$usage" >&2; exit 1; }
VIP4=192.0.2.10
VIP_B=192.0.2.20
NSID=site-a
KNOT_IF=veth-kc
KNOT_CLIENT_IF=veth-knot
KNOT4=203.0.113.53
KNOT_CLIENT4=203.0.113.1
B_IF=veth-b
B_CLIENT_IF=veth-cb
B_EDGE4=203.0.113.130
B_CLIENT4=203.0.113.129
ZONE_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dns/example.net.zone"
SECRET=000102030405060708090a0b0c0d0e0f
SECRET_NEW=f0e1d2c3b4a5968778695a4b3c2d1e0f

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
for tool in knotd knotc dig kdig; do
	command -v "$tool" >/dev/null || lab_fail "$tool is missing (scripts/deps.sh installs knot, knot-dnsutils, bind9-dnsutils)"
done
/usr/bin/python3 -c 'import dns.message' 2>/dev/null || lab_fail "python3-dnspython is missing (scripts/deps.sh installs it)"
[[ -x $ANYCASTCTL ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"

lab_setup "$XDP_PASS"
lab_route_vip "$VIP4/32"
client_py() { lab_client "$LAB_PYTHON" "$LAB_DIR/dns_cookies_lab.py" "$@"; }
ctl() { "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" "$@"; }

umask 077
printf '%s\n' "$SECRET" >"$LAB_TMP/secret"
printf '%s %s\n' "${SECRET_NEW:0:16}" "${SECRET_NEW:16}" >"$LAB_TMP/secret-new"

# --- a namespace of its own: knotd, or anycastd B, one veth hop from the client ---
# side_ns ROLE CLIENT_IF NS_IF CLIENT_ADDR NS_ADDR: the namespace ${LAB_CLIENT%-client}-ROLE.
side_ns() {
	local ns="${LAB_CLIENT%-client}-$1"
	LAB_CLEANUP_HOOKS+=("_lab_del_ns $ns")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$LAB_CLIENT" link add "$2" type veth peer name "$3" netns "$ns"
	ip -n "$LAB_CLIENT" addr add "$4/25" dev "$2"
	ip -n "$ns" addr add "$5/25" dev "$3"
	ip -n "$LAB_CLIENT" link set "$2" up
	ip -n "$ns" link set "$3" up
}
KNOT_NS="${LAB_CLIENT%-client}-knot"
B_NS="${LAB_CLIENT%-client}-edge2"
side_ns knot "$KNOT_CLIENT_IF" "$KNOT_IF" "$KNOT_CLIENT4" "$KNOT4"
side_ns edge2 "$B_CLIENT_IF" "$B_IF" "$B_CLIENT4" "$B_EDGE4"
# B answers from XDP on its veth (the client's end runs the pass-through, as lab_setup does) and
# its slow path answers the client's 198.51.100.1 back through the client.
lab_client ethtool -K "$B_CLIENT_IF" tx off >/dev/null
ip -n "$LAB_CLIENT" link set dev "$B_CLIENT_IF" xdpdrv obj "$XDP_PASS" sec xdp.frags
ip -n "$LAB_CLIENT" route add "$VIP_B/32" via "$B_EDGE4" dev "$B_CLIENT_IF"
ip -n "$B_NS" route add "$LAB_CLIENT_V4/32" via "$B_CLIENT4" dev "$B_IF"

KNOT_DIR="$LAB_TMP/knot"
mkdir -p "$KNOT_DIR/run" "$KNOT_DIR/db"
cat >"$KNOT_DIR/knot.conf" <<-EOF
	server:
	    rundir: "$KNOT_DIR/run"
	    user: root:root
	    listen: [ "$KNOT4@53" ]
	    nsid: "$NSID"
	    udp-workers: 1
	    tcp-workers: 1
	    background-workers: 1
	database:
	    storage: "$KNOT_DIR/db"
	log:
	  - target: "$KNOT_DIR/knotd.log"
	    any: info
	mod-cookies:
	  - id: lab
	    secret: 0x$SECRET
	template:
	  - id: default
	    global-module: mod-cookies/lab
	zone:
	  - domain: example.net
	    file: "$ZONE_FILE"
	    zonefile-sync: -1
	    zonefile-load: whole
	    journal-content: none
EOF
lab_bg "$KNOT_NS" knotd -c "$KNOT_DIR/knot.conf"
deadline=$((SECONDS + 15))
until ip netns exec "$KNOT_NS" knotc -c "$KNOT_DIR/knot.conf" zone-status example.net 2>/dev/null | grep -q "serial: 2024060101"; do
	if ((SECONDS >= deadline)); then
		cat "$KNOT_DIR/knotd.log" >&2 || true
		lab_fail "knotd did not load example.net within 15 s"
	fi
	sleep 0.1
done
lab_log "knotd serves example.net in $KNOT_NS (NSID $NSID, mod-cookies)"

# dns_section FILE NSID SECRET_FILE [PREVIOUS_FILE]: [services.dns] with the zone, RRL off.
dns_section() {
	cat >>"$1" <<-EOF

		[services.dns]
		port = 53
		slow_path = true
		nsid = "$2"
		cookie_secret_file = "$3"${4:+
		cookie_secret_previous_file = \"$4\"}

		[[services.dns.zone]]
		origin = "example.net"
		file = "$ZONE_FILE"

		[services.dns.rrl]
		rate = 0
		slip = 0
	EOF
}

# --- anycastd B, by hand in its namespace (lab_start_anycastd is for the one edge) ---
conf_b="$LAB_TMP/anycastd-b.toml"
lab_write_config "$conf_b" "$VIP_B"
sed -i -e "s|interface = \"$LAB_EDGE_IF\"|interface = \"$B_IF\"|" -e "s|$LAB_TMP/anycastd.sock|$LAB_TMP/b.sock|" "$conf_b"
dns_section "$conf_b" site-b "$LAB_TMP/secret"
: >"$LAB_TMP/anycastd-b.log"
ip netns exec "$B_NS" "$ANYCASTD" --config "$conf_b" >"$LAB_TMP/anycastd-b.log" 2>&1 &
B_PID=$!
LAB_CLEANUP_HOOKS+=("kill -TERM $B_PID 2>/dev/null; sleep 1; kill -KILL $B_PID 2>/dev/null")
deadline=$((SECONDS + 30))
until grep -q "ready -> up" "$LAB_TMP/anycastd-b.log"; do
	kill -0 "$B_PID" 2>/dev/null || { cat "$LAB_TMP/anycastd-b.log" >&2; lab_fail "anycastd B exited"; }
	((SECONDS < deadline)) || { cat "$LAB_TMP/anycastd-b.log" >&2; lab_fail "anycastd B not up within 30 s"; }
	sleep 0.1
done
lab_log "anycastd B up in $B_NS (VIP $VIP_B)"

# --- anycastd A on the edge ---
conf="$LAB_TMP/anycastd.toml"
lab_write_config "$conf" "$VIP4"
dns_section "$conf" "$NSID" "$LAB_TMP/secret"
lab_start_anycastd "$ANYCASTD" "$conf"
pid=$LAB_ANYCASTD_PID

# counters: the slow path's cookie counters and the fast path's answers, as "new valid bad dns".
counters() {
	status_json
	json_get '" ".join(str(d["status"]["dns"]["slow_path"]["counters"][k]) for k in ("cookie_new", "cookie_valid", "cookie_bad")) + " " + str(d["status"]["counters"]["answered"]["dns"])'
}
reload_a() { ctl reload >/dev/null || { lab_dump_anycastd_log; lab_fail "anycastctl reload ($1) failed"; }; }

# expect_old_cookie TRANSPORT valid|invalid WHAT: sends $LAB_TMP/cookie-old to A. Over UDP a
# valid cookie is answered NOERROR, an invalid one BADCOOKIE; over TCP both are answered (an
# invalid one as a client cookie alone, as Knot does), and the slow path's counters tell.
expect_old_cookie() {
	local transport=$1 want=$2 what=$3 rcode new0 valid0 new1 valid1
	read -r new0 valid0 _ _ <<<"$(counters)"
	rcode=$(client_py accept --vip "$VIP4" --transport "$transport" --file "$LAB_TMP/cookie-old")
	read -r new1 valid1 _ _ <<<"$(counters)"
	if [[ $transport == udp ]]; then
		lab_expect_eq "udp $what" "$([[ $want == valid ]] && echo NOERROR || echo BADCOOKIE)" "$rcode"
	else
		lab_expect_eq "tcp $what: rcode" NOERROR "$rcode"
		lab_expect_eq "tcp $what: counted (cookie_valid, cookie_new)" \
			"$([[ $want == valid ]] && echo "1 0" || echo "0 1")" "$((valid1 - valid0)) $((new1 - new0))"
	fi
}

for transport in "${TRANSPORTS[@]}"; do
	lab_log "--- over $transport ---"
	read -r new0 valid0 bad0 fast0 <<<"$(counters)"
	client_py compare --vip "$VIP4" --knot "$KNOT4" --nsid "$NSID" --transport "$transport" ||
		lab_fail "dig/kdig against knotd over $transport (above)"
	client_py cross --vip "$VIP4" --vip-b "$VIP_B" --knot "$KNOT4" --transport "$transport" ||
		lab_fail "cookies across two instances and BADCOOKIE over $transport (above)"
	read -r new1 valid1 bad1 fast1 <<<"$(counters)"
	lab_log "A's counters over $transport: slow path cookie_new +$((new1 - new0)) cookie_valid +$((valid1 - valid0)) cookie_bad +$((bad1 - bad0)), fast path answered.dns +$((fast1 - fast0))"
	if [[ $transport == tcp ]]; then
		# compare: dig and kdig with a client cookie; cross: one issued, one tampered (over TCP
		# answered as a client cookie alone).
		lab_expect_eq "tcp: the slow path answered A's cookie queries (new, valid, bad)" "4 0 0" \
			"$((new1 - new0)) $((valid1 - valid0)) $((bad1 - bad0))"
	else
		# dig, kdig, the cookie issued, the tampered one: four queries to A, each answered by one
		# path. Native XDP over veth has little room to grow a frame (docs/dns.md, "Frame
		# growth"): a reply with NSID and cookie may pass as dns_no_room to the slow path.
		lab_expect_eq "udp: A's four cookie queries answered, fast path plus slow path" 4 \
			"$((fast1 - fast0 + new1 - new0 + valid1 - valid0 + bad1 - bad0))"
		((fast1 > fast0)) || lab_fail "udp: the fast path answered none of the cookie queries"
	fi

	# Rollover (docs/dns.md): a cookie issued under the old secret ...
	client_py issue --vip "$VIP4" --transport "$transport" --file "$LAB_TMP/cookie-old" >/dev/null ||
		lab_fail "no cookie issued over $transport"
	sed -i -e "s|^cookie_secret_file = .*|cookie_secret_file = \"$LAB_TMP/secret-new\"\ncookie_secret_previous_file = \"$LAB_TMP/secret\"|" "$conf"
	reload_a "new secret, the old one previous"
	expect_old_cookie "$transport" valid "rollover: the old secret's cookie, the old secret previous"
	sed -i -e "/^cookie_secret_previous_file = /d" "$conf"
	reload_a "previous secret removed"
	expect_old_cookie "$transport" invalid "rollover: the old secret's cookie once the previous file is gone"
	sed -i -e "s|^cookie_secret_file = .*|cookie_secret_file = \"$LAB_TMP/secret\"|" "$conf"
	reload_a "back to the first secret"
done

if [[ " ${TRANSPORTS[*]} " == *" udp "* ]]; then
	# RRL on the fast path: rate 1, slip 0 (over the limit: dropped). 50 cookieless queries from
	# one source get a handful of answers; 50 with a valid server cookie are all answered.
	sed -i -e 's/^rate = 0$/rate = 1/' "$conf"
	reload_a "rrl rate 1"
	read -r plain valid <<<"$(client_py flood --vip "$VIP4" --count 50 | tail -n 1)"
	lab_log "rrl flood: $plain of 50 cookieless queries answered, $valid of 50 with a valid cookie"
	((plain <= 5)) || lab_fail "rrl: $plain of 50 cookieless queries answered (rate 1: at most a few)"
	lab_expect_eq "rrl: every query with a valid cookie answered" 50 "$valid"
fi

# A malformed secret file: the reload fails naming the file; the old secret keeps answering.
printf 'not a secret\n' >"$LAB_TMP/secret-bad"
sed -i -e "s|^cookie_secret_file = .*|cookie_secret_file = \"$LAB_TMP/secret-bad\"|" "$conf"
if out=$(ctl reload 2>&1); then lab_fail "reload with a malformed secret file succeeded: $out"; fi
[[ $out == *"$LAB_TMP/secret-bad"* ]] || lab_fail "the reload's error does not name the file: $out"
lab_log "ok: reload refused: $out"
client_py cross --vip "$VIP4" --vip-b "$VIP_B" --knot "$KNOT4" --transport tcp ||
	lab_fail "cookies after the refused reload (above)"

kill -0 "$pid" 2>/dev/null || lab_fail "anycastd (pid $pid) is gone"
lab_stop_anycastd 20
lab_expect_eq "anycastd exit code after SIGTERM" 0 "$LAB_ANYCASTD_RC"
lab_log "PASS"
