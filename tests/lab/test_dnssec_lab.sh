#!/usr/bin/env bash
# Signed zones (issue 24), against Knot and through a validating resolver, in namespaces of the
# lab's own. The zone of tests/dns/signed (plus the records of LAB_EXTRA below) is signed at test
# time by tests/dns/signed/sign_zone.sh (ldns-signzone, ECDSAP256SHA256) four times, under four
# origins: nsec.example (NSEC), nsec3.example (NSEC3, iterations 0), optout.example (NSEC3 opt-out,
# with the insecure delegation `insecure`) and iter.example (NSEC3, 5 iterations: the RFC 9276 load
# warning). knotd serves the four signed files in its namespace (knot), one veth hop from the
# client; anycastd serves the same files on the edge's VIPs (192.0.2.10, 2001:db8::10) from XDP in
# generic mode, its slow path on the loopback alias (or, with the dpdk argument, from anycastd-dpdk
# on the edge veth through net_af_xdp, the slow path's traffic through the TAP exception path, as
# lab.dns_dpdk does; there every case whose reply fits the client's size must be answered by the
# DPDK worker, but the proofs that depend on a name: dns_signed_proof). dnssec_lab.py, in the
# client namespace, asks both servers every case with and without DO, at buffer sizes 512 and
# 1232, over IPv4 and IPv6, and compares the sections as sets (as lab.dns does); in generic XDP
# mode no reply whose frame fits generic XDP's room (GENERIC_ROOM) may pass as dns_no_room. Then
# it asks Debian's unbound, validating, in a namespace of its own (resolver) with the four zones'
# KSKs as trust anchors and a stub zone per origin to the VIPs, every case: AD set (but on the
# opt-out zone's NXDOMAIN and wildcard answers, insecure by RFC 5155 9.2), never SERVFAIL. Knot 3.2 keeps an RRset without its RRSIGs in a
# truncated reply: the server under test's TC replies are held to knotd's rcode and flags and to
# a subset of its records, every RRset signed. Then one record's RRSIG is altered in the file
# anycastd serves, anycastd reloads, and unbound must answer SERVFAIL for that record while the
# zone's other records still validate. Last, on XDP, anycastd restarts in native XDP mode and the
# DO cases of the NSEC3 zone run again, dns_no_room accepted (veth's tailroom, docs/dns.md "Frame
# growth") and counted.
#
#   test_dnssec_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT [xdp | dpdk ANYCASTD_DPDK]
#
# LAB_DNSSEC_KNOT_ONLY=1 puts a second knotd on the edge's VIPs in anycastd's place (same files,
# the same reload for the tampered copy): it proves the zones, the cases, the resolver and the
# tampering without anycastd; the path counters and the XDP modes are then skipped.
set -euo pipefail

usage="usage: test_dnssec_lab.sh ANYCASTD ANYCASTCTL XDP_PASS_OBJECT [xdp | dpdk ANYCASTD_DPDK]"
ANYCASTD=${1:?$usage}
ANYCASTCTL=${2:?$usage}
XDP_PASS=${3:?$usage}
DATAPATH=${4:-xdp}
case $DATAPATH in
xdp) ;;
dpdk) DPDK_BIN=${5:?$usage} ;;
*) echo "$usage" >&2; exit 1 ;;
esac
KNOT_ONLY=${LAB_DNSSEC_KNOT_ONLY:-0}
VIP4=192.0.2.10
VIP6=2001:db8::10
# knotd's link to the client (203.0.113.0/25) and the resolver's (203.0.113.128/25)
KNOT_IF=veth-kc
KNOT_CLIENT_IF=veth-knot
KNOT4=203.0.113.53
KNOT6=2001:db8:fffe::53
KNOT_CLIENT4=203.0.113.1
KNOT_CLIENT6=2001:db8:fffe::1
RES_IF=veth-rc
RES_CLIENT_IF=veth-res
RES4=203.0.113.153
RES6=2001:db8:fffd::53
RES_CLIENT4=203.0.113.129
RES_CLIENT6=2001:db8:fffd::1
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../dns/signed" && pwd)"
# variant:origin, the order dnssec_lab.py reads them in
ZONES=(nsec:nsec.example nsec3:nsec3.example nsec3-optout:optout.example nsec3-iter:iter.example)
TAMPER_ORIGIN=nsec.example
# Records the lab adds to the signed zone's cases: `big` (3 x 200 bytes) fits 1232 bytes with its
# RRSIG but not 512; `bigger` (5 x 219 bytes) fits 1232 bytes without DO but not with its RRSIG;
# `tamper` is asked of the resolver only after its RRSIG was altered; `mail2` is asked then too,
# and must still validate.
LAB_EXTRA=$(printf 'big IN TXT "%s" "%s" "%s"\nbigger IN TXT "%s" "%s" "%s" "%s" "%s"\ntamper IN A 192.0.2.66\nmail2 IN A 192.0.2.67\n' \
	"$(printf 'a%.0s' {1..200})" "$(printf 'b%.0s' {1..200})" "$(printf 'c%.0s' {1..200})" \
	"$(printf 'd%.0s' {1..219})" "$(printf 'e%.0s' {1..219})" "$(printf 'f%.0s' {1..219})" \
	"$(printf 'g%.0s' {1..219})" "$(printf 'h%.0s' {1..219})")

# shellcheck source=lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=probes.sh
source "$(dirname "${BASH_SOURCE[0]}")/probes.sh"
lab_require_root
for tool in knotd knotc dig unbound ldns-keygen ldns-signzone ldns-key2ds; do
	command -v "$tool" >/dev/null ||
		lab_fail "$tool is missing (scripts/deps.sh installs knot, bind9-dnsutils, unbound, ldnsutils)"
done
/usr/bin/python3 -c 'import dns.message, yaml' 2>/dev/null ||
	lab_fail "python3-dnspython or python3-yaml is missing (scripts/deps.sh installs them)"
[[ $KNOT_ONLY == 1 || -x $ANYCASTCTL ]] || lab_fail "anycastctl binary not found or not executable: $ANYCASTCTL"

lab_setup "$XDP_PASS"
[[ $DATAPATH == xdp || -x $DPDK_BIN ]] || lab_fail "anycastd-dpdk not found or not executable: $DPDK_BIN"
lab_route_vip "$VIP4/32"
lab_route_vip "$VIP6/128"

# --- the zones, signed now ---
ZDIR="$LAB_TMP/zones"
SERVED="$LAB_TMP/served" # the files the server under test reads (the tampered copy goes here)
mkdir -p "$ZDIR" "$SERVED"
for z in "${ZONES[@]}"; do
	variant=${z%%:*} origin=${z#*:}
	{ sed "s/example\.net/$origin/g" "$SRC/signed.zone"; echo "$LAB_EXTRA"; } >"$ZDIR/$origin.zone"
	"$SRC/sign_zone.sh" "$variant" "$origin" "$ZDIR/$origin.zone" "$ZDIR/$variant" >/dev/null ||
		lab_fail "sign_zone.sh $variant $origin failed"
	cp "$ZDIR/$variant/$origin.signed" "$SERVED/$origin.zone"
done
# The tampered copy: one byte of the signature (the last base64 field) of tamper's A changed.
tampered="$ZDIR/$TAMPER_ORIGIN.tampered"
awk -v owner="tamper.$TAMPER_ORIGIN." '
	$1 == owner && $4 == "RRSIG" && $5 == "A" {
		sig = $NF; c = substr(sig, 10, 1); n = (c == "A") ? "B" : "A"
		$NF = substr(sig, 1, 9) n substr(sig, 11); done = 1
	}
	{ print }
	END { if (!done) exit 1 }' "$ZDIR/nsec/$TAMPER_ORIGIN.signed" >"$tampered" ||
	lab_fail "no RRSIG of tamper.$TAMPER_ORIGIN. A in the signed zone"
lab_log "signed ${ZONES[*]}"

# --- a namespace one veth hop from the client (its name in LINK_NS): ---
#   lab_link_ns ROLE NS_IF CLIENT_IF NS4 NS6 CLIENT4 CLIENT6 PREFIXLEN4
lab_link_ns() {
	local ns="${LAB_CLIENT%-client}-$1"
	LAB_CLEANUP_HOOKS+=("_lab_del_ns $ns")
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$ns" link set lo up
	ip -n "$LAB_CLIENT" link add "$3" type veth peer name "$2" netns "$ns"
	ip -n "$LAB_CLIENT" addr add "$6/$8" dev "$3"
	ip -n "$LAB_CLIENT" addr add "$7/64" dev "$3" nodad
	ip -n "$ns" addr add "$4/$8" dev "$2"
	ip -n "$ns" addr add "$5/64" dev "$2" nodad
	ip -n "$LAB_CLIENT" link set "$3" up
	ip -n "$ns" link set "$2" up
	LINK_NS=$ns
}
lab_link_ns knot "$KNOT_IF" "$KNOT_CLIENT_IF" "$KNOT4" "$KNOT6" "$KNOT_CLIENT4" "$KNOT_CLIENT6" 25
KNOT_NS=$LINK_NS
lab_link_ns resolver "$RES_IF" "$RES_CLIENT_IF" "$RES4" "$RES6" "$RES_CLIENT4" "$RES_CLIENT6" 25
RES_NS=$LINK_NS
# The resolver reaches the VIPs through the client, which forwards (its own namespace's sysctls);
# the edge answers it through the client too (the slow path's replies, and TCP).
ip netns exec "$LAB_CLIENT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$RES_NS" route add default via "$RES_CLIENT4"
ip -n "$RES_NS" -6 route add default via "$RES_CLIENT6"
# (On DPDK the edge's addresses, and so these routes, are the exception interface's: added once
# anycastd made it.)
route_resolver() {
	ip -n "$LAB_EDGE" route add 203.0.113.128/25 via "$LAB_CLIENT_V4"
	ip -n "$LAB_EDGE" -6 route add 2001:db8:fffd::/64 via "$LAB_CLIENT_V6"
}
[[ $DATAPATH == dpdk && $KNOT_ONLY != 1 ]] || route_resolver
# The same partial-checksum reason as on the client's veth (lab_setup): the resolver's datagrams
# cross the client to the edge's XDP program.
ip netns exec "$RES_NS" ethtool -K "$RES_IF" tx off >/dev/null

# knot_start NS DIR LISTEN ORIGIN:FILE...: knotd in NS serving those files, until each zone loaded
knot_start() {
	local ns=$1 dir=$2 listen=$3
	shift 3
	mkdir -p "$dir/run" "$dir/db"
	{
		cat <<-EOF
			server:
			    rundir: "$dir/run"
			    user: root:root
			    listen: [ $listen ]
			    udp-workers: 1
			    tcp-workers: 1
			    background-workers: 1
			database:
			    storage: "$dir/db"
			log:
			  - target: "$dir/knotd.log"
			    any: info
			zone:
		EOF
		local z
		for z in "$@"; do
			printf '  - domain: %s\n    file: "%s"\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n' \
				"${z%%:*}" "${z#*:}"
		done
	} >"$dir/knot.conf"
	lab_bg "$ns" knotd -c "$dir/knot.conf"
	local deadline=$((SECONDS + 15)) origin
	for z in "$@"; do
		origin=${z%%:*}
		until ip netns exec "$ns" knotc -c "$dir/knot.conf" zone-status "$origin" 2>/dev/null | grep -q "serial: 2026120701"; do
			if ((SECONDS >= deadline)); then
				cat "$dir/knotd.log" >&2 || true
				lab_fail "knotd ($dir) did not load $origin within 15 s"
			fi
			sleep 0.1
		done
	done
}
ref_zones=() served_zones=()
for z in "${ZONES[@]}"; do
	origin=${z#*:}
	ref_zones+=("$origin:$ZDIR/${z%%:*}/$origin.signed")
	served_zones+=("$origin:$SERVED/$origin.zone")
done
knot_start "$KNOT_NS" "$LAB_TMP/knot" "\"$KNOT4@53\", \"$KNOT6@53\"" "${ref_zones[@]}"
lab_log "knotd serves ${ref_zones[*]%%:*} in $KNOT_NS"

# --- the server under test on the VIPs: anycastd (XDP generic, or DPDK), or a second knotd ---
conf="$LAB_TMP/anycastd.toml"
start_anycastd() { # MODE: an XDP mode, or dpdk
	if [[ $1 == dpdk ]]; then
		lab_write_dpdk_config "$conf" "$DPDK_BIN" "$VIP4" "$VIP6"
	else
		lab_write_config "$conf" "$VIP4" "$VIP6"
		sed -i "s/^xdp_mode = .*/xdp_mode = \"$1\"/" "$conf"
	fi
	{
		printf '\n[services.dns]\nport = 53\nslow_path = true\n'
		local z
		for z in "${served_zones[@]}"; do
			printf '\n[[services.dns.zone]]\norigin = "%s"\nfile = "%s"\n' "${z%%:*}" "${z#*:}"
		done
		printf '\n[services.dns.rrl]\nrate = 0\n'
	} >>"$conf"
	lab_start_anycastd "$ANYCASTD" "$conf"
	[[ $1 != dpdk ]] || lab_wait_log "DPDK datapath up" 5
}
if [[ $KNOT_ONLY == 1 ]]; then
	lab_edge ip addr add "$VIP4/32" dev lo
	lab_edge ip addr add "$VIP6/128" dev lo
	knot_start "$LAB_EDGE" "$LAB_TMP/sut" "\"$VIP4@53\", \"$VIP6@53\"" "${served_zones[@]}"
	lab_log "server under test: knotd on the VIPs (LAB_DNSSEC_KNOT_ONLY=1)"
	sut_args=(--knot-only)
else
	if [[ $DATAPATH == dpdk ]]; then
		# As in test_dns_lab.sh: the veth is DPDK's port now, the edge's addresses go to the
		# exception interface.
		ip -n "$LAB_EDGE" addr flush dev "$LAB_EDGE_IF"
		start_anycastd dpdk
		route_resolver
	else
		start_anycastd generic
	fi
	# RFC 9276: iterations > 0 served, but warned about at load, naming the zone
	grep -qE "iter\.example.*iteration|iteration.*iter\.example" "$LAB_ANYCASTD_LOG" || {
		lab_dump_anycastd_log
		lab_fail "no load warning about NSEC3 iterations naming iter.example in anycastd's log"
	}
	lab_log "ok: the NSEC3 iterations warning for iter.example is in anycastd's log: $(grep -m1 -E 'iteration' "$LAB_ANYCASTD_LOG")"
	sut_args=(--edge-ns "$LAB_EDGE" --anycastctl "$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock")
	# The DPDK worker grows a frame by up to 1966 bytes (docs/dns.md, "DPDK: delivery, swap, frame
	# growth"): every answer that fits is its own.
	[[ $DATAPATH == xdp ]] || sut_args+=(--fast-required)
fi

# --- unbound, validating, in the resolver namespace ---
UDIR="$LAB_TMP/unbound"
mkdir -p "$UDIR"
{
	cat <<-EOF
		server:
		    interface: $RES4
		    interface: $RES6
		    port: 53
		    access-control: 203.0.113.128/25 allow
		    access-control: 2001:db8:fffd::/64 allow
		    chroot: ""
		    username: ""
		    directory: "$UDIR"
		    pidfile: "$UDIR/unbound.pid"
		    do-daemonize: no
		    use-syslog: no
		    logfile: "$UDIR/unbound.log"
		    verbosity: 1
		    val-log-level: 2
		    num-threads: 1
		    do-not-query-localhost: no
		    module-config: "validator iterator"
	EOF
	for z in "${ZONES[@]}"; do
		echo "    trust-anchor-file: \"$ZDIR/${z%%:*}/${z#*:}.anchor\""
	done
	printf 'remote-control:\n    control-enable: no\n'
	for z in "${ZONES[@]}"; do
		printf 'stub-zone:\n    name: "%s"\n    stub-addr: %s\n    stub-addr: %s\n' "${z#*:}" "$VIP4" "$VIP6"
	done
} >"$UDIR/unbound.conf"
unbound-checkconf "$UDIR/unbound.conf" >/dev/null || lab_fail "unbound-checkconf rejects $UDIR/unbound.conf"
lab_bg "$RES_NS" unbound -c "$UDIR/unbound.conf"
deadline=$((SECONDS + 15))
until [[ -n "$(ip netns exec "$RES_NS" ss -Hlun "sport = :53")" ]]; do
	((SECONDS >= deadline)) && { cat "$UDIR/unbound.log" >&2; lab_fail "unbound did not listen within 15 s"; }
	sleep 0.1
done
lab_log "unbound validates in $RES_NS"

origins=()
for z in "${ZONES[@]}"; do origins+=("${z#*:}"); done
run_client() { # extra dnssec_lab.py arguments
	lab_client "$LAB_PYTHON" "$LAB_DIR/dnssec_lab.py" --knot4 "$KNOT4" --knot6 "$KNOT6" --vip4 "$VIP4" --vip6 "$VIP6" \
		--zones "${origins[@]}" "${sut_args[@]}" "$@"
}
# Generic XDP with anycastd's plain (not frags-aware) program grows dig's query frames to
# 444-byte frames here (docs/dns.md "Frame growth"): every reply that fits passes no dns_no_room.
GENERIC_ROOM=444
room_args=()
[[ $KNOT_ONLY == 1 || $DATAPATH != xdp ]] || room_args=(--room "$GENERIC_ROOM")
run_client --resolver4 "$RES4" --resolver6 "$RES6" "${room_args[@]}" || {
	[[ $KNOT_ONLY == 1 ]] || lab_dump_anycastd_log
	tail -n 40 "$UDIR/unbound.log" >&2
	lab_fail "dnssec_lab.py reported a failure (above)"
}

# --- the tampered RRSIG, served by the server under test ---
cp "$tampered" "$SERVED/$TAMPER_ORIGIN.zone"
if [[ $KNOT_ONLY == 1 ]]; then
	ip netns exec "$LAB_EDGE" knotc -c "$LAB_TMP/sut/knot.conf" zone-reload "$TAMPER_ORIGIN" >/dev/null ||
		lab_fail "knotc zone-reload $TAMPER_ORIGIN failed"
else
	"$ANYCASTCTL" --socket "$LAB_TMP/anycastd.sock" reload >/dev/null || lab_fail "anycastctl reload (tampered zone) failed"
fi
want_sig=$(awk -v owner="tamper.$TAMPER_ORIGIN." '$1 == owner && $4 == "RRSIG" && $5 == "A" { print $NF }' "$tampered")
deadline=$((SECONDS + 10))
until lab_client dig +dnssec +short +nosplit +tries=1 +timeout=2 "@$VIP4" "tamper.$TAMPER_ORIGIN" A | grep -qF -- "$want_sig"; do
	((SECONDS >= deadline)) && lab_fail "the VIP does not serve the tampered RRSIG of tamper.$TAMPER_ORIGIN within 10 s"
	sleep 0.2
done
lab_log "ok: the VIP serves the tampered RRSIG of tamper.$TAMPER_ORIGIN A"
unbound_status() { # NAME TYPE: "STATUS ad|noad"
	local out
	out=$(lab_client dig +tries=1 +timeout=5 "@$RES4" "$1" "$2")
	printf '%s %s\n' "$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")" \
		"$(grep -qE '^;; flags:[^;]* ad[ ;]' <<<"$out" && echo ad || echo noad)"
}
lab_expect_eq "unbound: tamper.$TAMPER_ORIGIN A with its RRSIG altered is bogus" "SERVFAIL noad" \
	"$(unbound_status "tamper.$TAMPER_ORIGIN" A)"
lab_expect_eq "unbound: mail2.$TAMPER_ORIGIN A in the same zone still validates" "NOERROR ad" \
	"$(unbound_status "mail2.$TAMPER_ORIGIN" A)"
grep -q "validation failure <tamper.$TAMPER_ORIGIN. A IN>" "$UDIR/unbound.log" ||
	lab_fail "unbound's log names no validation failure for tamper.$TAMPER_ORIGIN A"

if [[ $KNOT_ONLY == 1 ]]; then
	lab_log "PASS (knotd as the server under test)"
	exit 0
fi
if [[ $DATAPATH == dpdk ]]; then
	lab_stop_anycastd 20
	lab_expect_eq "anycastd exit code after SIGTERM (dpdk)" 0 "$LAB_ANYCASTD_RC"
	lab_log "PASS"
	exit 0
fi

# --- native XDP on veth: the DO cases again, dns_no_room accepted and counted ---
cp "$ZDIR/nsec/$TAMPER_ORIGIN.signed" "$SERVED/$TAMPER_ORIGIN.zone"
lab_stop_anycastd 20
lab_expect_eq "anycastd exit code after SIGTERM (generic)" 0 "$LAB_ANYCASTD_RC"
start_anycastd native
run_client --do-only --only nsec3 --growth-limited || {
	lab_dump_anycastd_log
	lab_fail "dnssec_lab.py (native XDP) reported a failure (above)"
}
lab_stop_anycastd 20
lab_expect_eq "anycastd exit code after SIGTERM (native)" 0 "$LAB_ANYCASTD_RC"
lab_log "PASS"
