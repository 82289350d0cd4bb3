# shellcheck shell=bash
# The end-to-end BGP lab, sourced by tests/lab/bgp/test_*.sh. Builds on ../lab.sh (its naming,
# stale-lab reaping) and ../probes.sh (its echo client and assertions), and adds a router running
# real BIRD 2 in front of two edges:
#
#   client ---- router (BIRD: BGP + BFD, kernel table, forwarding) ---- br0 ---+--- edge1
#   eth0        to-client               to-edge1, to-edge2                     +--- edge2
#
#   client  eth0       203.0.113.2/24    2001:db8:ffff::2/64   (routes the VIPs to the router)
#   router  to-client  203.0.113.1/24    2001:db8:ffff::1/64
#           br0        198.51.100.1/24   2001:db8:100::1/64    (bridge of to-edge1, to-edge2)
#   edge1   eth0       198.51.100.2/24   2001:db8:100::2/64    BIRD (ExaBGP, FRR, GoBGP) + anycastd
#   edge2   eth0       198.51.100.3/24   2001:db8:100::3/64    BIRD (FRR, GoBGP) + anycastd
#   VIPs    192.0.2.10/32, 2001:db8::10/128 on both edges (AS 65001), router AS 65000
#
# The addresses are those of examples/bird/{router,edge}.conf and examples/exabgp/exabgp.conf,
# which are run from the examples by textual substitution (e2e_template fails loudly when a line
# it replaces has gone from the example): logging to stderr, lab timers (connect retry 1 s, hold
# 3 s, keepalive 1 s, error wait 1-2 s), edge2's own addresses, and on the router `merge paths
# on` in both kernel protocols, so that with both edges up the VIP is one ECMP route via both
# (the router hashes on ports, fib_multipath_hash_policy=1, namespace-local, so one client
# spreads over both edges by its source ports).
#
# XDP: anycastd attaches to each edge's eth0; a frame it sends back with XDP_TX arrives on the
# router's to-edgeN, which therefore runs the pass-through XDP program. The client turns off TX
# checksum offload (a partial checksum would travel to the edge and back). Forwarding is on in
# the router namespace only (namespace-local sysctls); no namespace has a route out of the lab.
#
# Everything (namespaces aclab-<pid>-<random>-<role>, configs, sockets and logs in
# /tmp/aclab-e2e.<pid>.XXXXXX) is unique per run and removed by a trap on EXIT/INT/TERM
# (ANYCASTD_KEEP_LAB=1 keeps the directory); what a killed run left (a CTest timeout sends
# SIGKILL) is reaped at the next start: namespaces by lab.sh's _lab_reap_stale, directories here.
#
# Use (the test_*.sh here; each takes ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]):
#   source tests/lab/bgp/topology.sh
#   e2e_set_binaries ANYCASTD [ANYCASTCTL]
#   e2e_setup XDP_PASS_OBJECT           # namespaces, links, addresses, trap
#   e2e_daemon_lab bird bird            # router BIRD; per edge bird|exabgp|frr|gobgp, TCP server, anycastd;
#                                       # returns when both edges are announced (v4 and v6)
#   e2e_wait_route present|absent EDGE [DEADLINE_S] [T0_US] [4|6]   # prints ms since T0
#   e2e_stream_start NAME ... e2e_stream_check WHAT NAME            # echo streams, no loss
#   e2e_probe sample|stream|watch ...                               # probe.py in the client
#   e2e_ctl EDGE status|drain|undrain|restart ...                   # anycastctl on the edge
#   e2e_router_route EDGE [4|6], e2e_wait_router_route EDGE RE present|absent   # the router
#                                       # BIRD's route from EDGE with its attributes
#   e2e_group_field EDGE FIELD, e2e_wait_group EDGE FIELD VALUE     # the group in status --json
#   e2e_config_add FILE TABLE LINES     # keys added under a table e2e_anycastd_config wrote
# Or by hand: e2e_start_router_bird, e2e_start_speaker EDGE SPEAKER (e2e_start_edge_bird,
# _exabgp, _frr (zebra + e2e_start_edge_bgpd), _gobgp), e2e_wait_session EDGE,
# e2e_anycastd_config EDGE FILE SPEAKER, e2e_start_anycastd EDGE FILE.
# Measured times are printed as "[measure] WHAT  N ms" lines, never asserted.
#
# Timing knobs (environment): E2E_INTERVAL_MS (200), E2E_FAST_INTERVAL_MS (100), E2E_RISE (3),
# E2E_FALL (2), E2E_DRAIN_MS (1000), E2E_SIGNAL_TIMEOUT_MS (10000: [route.frr] / [route.gobgp]
# timeout_ms; one vtysh run took 1.3 s, and a withdrawal's two over 4 s, with both cores busy), E2E_HOLD_S (3: BGP hold
# time of the router, BIRD, FRR and GoBGP edges; ExaBGP's stays 3).

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lab.sh
source "$E2E_DIR/../lab.sh"
# shellcheck source=../probes.sh
source "$E2E_DIR/../probes.sh"
E2E_EXAMPLES="$(cd "$E2E_DIR/../../../examples" && pwd)"

VIP4=192.0.2.10
VIP6=2001:db8::10
E2E_ROUTER_V4=198.51.100.1
E2E_ROUTER_V6=2001:db8:100::1
E2E_CLIENT_V4=203.0.113.2
E2E_CLIENT_V6=2001:db8:ffff::2
E2E_ROUTER_CLIENT_V4=203.0.113.1
E2E_ROUTER_CLIENT_V6=2001:db8:ffff::1
declare -A E2E_EDGE_V4=([edge1]=198.51.100.2 [edge2]=198.51.100.3)
declare -A E2E_EDGE_V6=([edge1]=2001:db8:100::2 [edge2]=2001:db8:100::3)
E2E_EDGE_IF=eth0
E2E_TCP_PORT=8080 # the TCP health check's port (a socat server on the edge)

E2E_ROUTER=""
declare -A E2E_NS=()              # role -> namespace name
declare -A E2E_SPEAKER=()         # edge -> bird | exabgp | frr | gobgp
declare -A E2E_SPEAKER_PID=()     # edge -> pid of its BIRD, ExaBGP, bgpd or gobgpd
declare -A E2E_ANYCASTD_PID=()    # edge -> pid of its anycastd (the one we started last)
declare -A E2E_ANYCASTD_LOG=()
declare -A E2E_TCP_PID=()         # edge -> pid of the socat the TCP check connects to
E2E_ANYCASTD=""
E2E_ANYCASTCTL=""
E2E_PYTHON=/usr/bin/python3

e2e_log() { echo "[e2e] $*" >&2; }

# e2e_measure WHAT MS: one line per measured time, the same shape as tests/route's "[measure]".
e2e_measure() { printf '[measure] %-60s %8s ms\n' "$1" "$2"; }

# e2e_now_us: microseconds of the wall clock, for differences only.
e2e_now_us() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}
# e2e_since_ms T0: milliseconds since T0 (from e2e_now_us), one decimal.
e2e_since_ms() {
	local d=$(($(e2e_now_us) - $1))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# e2e_speaker_timing SPEAKER: FRR and GoBGP get drain_ms 4 s (unless E2E_DRAIN_MS says): the
# drain's clock starts when anycastd decides to withdraw and the withdrawal call runs inside it
# (two vtysh runs took 2.3 s here with both cores busy, and a 1 s drain was then used up by the
# time bgpd sent the withdrawal: an IPv6 datagram lost; docs/route-signals.md, "End to end with
# FRR and GoBGP").
e2e_speaker_timing() {
	case $1 in
	frr | gobgp) E2E_DRAIN_MS=${E2E_DRAIN_MS:-4000} ;;
	esac
}

# e2e_speaker_begin SCRIPT [ctl] SPEAKER ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]: a per-speaker
# scenario's arguments (ANYCASTCTL required with `ctl`) into SPEAKER, ANYCASTD, XDP_PASS and
# ANYCASTCTL; then the binaries, the speaker's timing and the namespaces.
e2e_speaker_begin() {
	local script=$1 ctl= usage
	shift
	[[ ${1-} == ctl ]] && { ctl=1; shift; }
	usage="usage: $script bird|frr|gobgp ANYCASTD XDP_PASS_OBJECT [ANYCASTCTL]"
	[[ -z $ctl ]] || usage=${usage/\[ANYCASTCTL\]/ANYCASTCTL}
	SPEAKER=${1:?$usage}
	ANYCASTD=${2:?$usage}
	XDP_PASS=${3:?$usage}
	ANYCASTCTL=${4:-}
	[[ -z $ctl || -n $ANYCASTCTL ]] || { echo "$usage" >&2; exit 2; }
	e2e_set_binaries "$ANYCASTD" "$ANYCASTCTL"
	e2e_speaker_timing "$SPEAKER"
	e2e_setup "$XDP_PASS"
}

e2e_ns() { ip netns exec "${E2E_NS[$1]}" "${@:2}"; }

# ---------------------------------------------------------------------------------------------
# Setup and cleanup

e2e_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	local hook pid edge role
	for hook in "${LAB_CLEANUP_HOOKS[@]}"; do eval "$hook"; done
	if ((rc != 0)); then e2e_dump_logs; fi
	# anycastd first (SIGTERM: it withdraws and stops cleanly), then the routing daemons.
	for edge in "${!E2E_ANYCASTD_PID[@]}"; do
		pid=${E2E_ANYCASTD_PID[$edge]}
		[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null
	done
	for edge in "${!E2E_ANYCASTD_PID[@]}"; do
		pid=${E2E_ANYCASTD_PID[$edge]}
		[[ -n "$pid" ]] || continue
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${E2E_TCP_PID[@]}" "${E2E_SPEAKER_PID[@]}" "${LAB_PIDS[@]}"; do
		[[ -n "$pid" ]] && kill -CONT "$pid" 2>/dev/null # a router paused by a test
		[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null
	done
	for role in "${!E2E_NS[@]}"; do _lab_del_ns "${E2E_NS[$role]}"; done
	if [[ -n "$LAB_TMP" && -d "$LAB_TMP" ]]; then
		if [[ -n "${ANYCASTD_KEEP_LAB:-}" ]]; then
			e2e_log "kept $LAB_TMP (ANYCASTD_KEEP_LAB)"
		else
			rm -rf "$LAB_TMP"
		fi
	fi
	exit "$rc"
}

# e2e_dump_logs: the tail of every daemon's log, for a failure.
e2e_dump_logs() {
	[[ -n "$LAB_TMP" && -d "$LAB_TMP" ]] || return 0
	local f
	for f in "$LAB_TMP"/*.log; do
		[[ -s "$f" ]] || continue
		echo "----- $(basename "$f") (last 40 lines) -----" >&2
		tail -n 40 "$f" >&2
	done
	if [[ -n "$E2E_ROUTER" ]]; then
		echo "----- router: ip route / ip -6 route -----" >&2
		ip -n "$E2E_ROUTER" route >&2
		ip -n "$E2E_ROUTER" -6 route >&2
		[[ -S "$LAB_TMP/router.ctl" ]] && birdc -s "$LAB_TMP/router.ctl" show protocols >&2
	fi
}

# The temporary directories of runs killed before their trap ran (named with the owner's pid).
_e2e_reap_stale_dirs() {
	local d pid
	for d in /tmp/aclab-e2e.*; do
		[[ -d "$d" ]] || continue
		pid=${d#/tmp/aclab-e2e.}
		pid=${pid%%.*}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		_lab_pid_alive "$pid" && continue
		lab_log "removing stale directory $d (owner $pid is gone)"
		rm -rf "$d"
	done
}

# e2e_setup XDP_PASS_OBJECT: namespaces client, router, edge1, edge2; links, addresses,
# forwarding on the router, the pass-through program on the router's edge ports.
e2e_setup() {
	local xdp_pass=$1
	lab_require_root
	[[ -r "$xdp_pass" ]] || lab_fail "pass-through XDP object not found: $xdp_pass (build target lab_xdp_pass)"
	local tool
	for tool in bird birdc socat ethtool; do
		command -v "$tool" >/dev/null || lab_fail "$tool is not installed (scripts/deps.sh)"
	done
	_lab_reap_stale
	_e2e_reap_stale_dirs

	local id="$$-$RANDOM" role
	LAB_TMP="$(mktemp -d "/tmp/aclab-e2e.$$.XXXXXX")"
	chmod 0700 "$LAB_TMP"
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for role in client router edge1 edge2; do
		E2E_NS[$role]="aclab-$id-$role"
		ip netns add "${E2E_NS[$role]}"
		e2e_ns "$role" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "${E2E_NS[$role]}" link set lo up
	done
	E2E_ROUTER=${E2E_NS[router]}
	LAB_CLIENT=${E2E_NS[client]} # lab.sh's lab_client, probes.sh's lab_echo
	local R=$E2E_ROUTER

	# router: forwarding (this namespace only), ECMP hashed on ports
	e2e_ns router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1

	# client <-> router
	ip -n "${E2E_NS[client]}" link add eth0 type veth peer name to-client netns "$R"
	ip -n "${E2E_NS[client]}" addr add "$E2E_CLIENT_V4/24" dev eth0
	ip -n "${E2E_NS[client]}" addr add "$E2E_CLIENT_V6/64" dev eth0 nodad
	ip -n "$R" addr add "$E2E_ROUTER_CLIENT_V4/24" dev to-client
	ip -n "$R" addr add "$E2E_ROUTER_CLIENT_V6/64" dev to-client nodad
	e2e_ns client ethtool -K eth0 tx off >/dev/null
	ip -n "${E2E_NS[client]}" link set eth0 up
	ip -n "$R" link set to-client up
	ip -n "${E2E_NS[client]}" route add 192.0.2.0/24 via "$E2E_ROUTER_CLIENT_V4"
	ip -n "${E2E_NS[client]}" -6 route add 2001:db8::/64 via "$E2E_ROUTER_CLIENT_V6"

	# router's bridge to the edges
	ip -n "$R" link add br0 type bridge
	ip -n "$R" link set br0 type bridge stp_state 0 forward_delay 0
	ip -n "$R" addr add "$E2E_ROUTER_V4/24" dev br0
	ip -n "$R" addr add "$E2E_ROUTER_V6/64" dev br0 nodad
	ip -n "$R" link set br0 up
	local edge
	for edge in edge1 edge2; do
		e2e_link_edge "$edge" "$xdp_pass"
	done
	e2e_log "lab up: ${E2E_NS[*]} (files in $LAB_TMP)"
}

# e2e_link_edge EDGE XDP_PASS: the edge's eth0 and the router's to-EDGE port on br0.
e2e_link_edge() {
	local edge=$1 xdp_pass=$2 E=${E2E_NS[$1]} R=$E2E_ROUTER
	ip -n "$E" link add "$E2E_EDGE_IF" type veth peer name "to-$edge" netns "$R"
	ip -n "$E" addr add "${E2E_EDGE_V4[$edge]}/24" dev "$E2E_EDGE_IF"
	ip -n "$E" addr add "${E2E_EDGE_V6[$edge]}/64" dev "$E2E_EDGE_IF" nodad
	# The router's port receives the edge's XDP_TX frames: it needs an XDP program of its own.
	ip -n "$R" link set dev "to-$edge" xdpdrv obj "$xdp_pass" sec xdp
	ip -n "$R" link set "to-$edge" master br0
	ip -n "$R" link set "to-$edge" up
	ip -n "$E" link set "$E2E_EDGE_IF" up
	# Slow-path replies (TCP, ICMP from the VIP) go back through the router.
	ip -n "$E" route add 203.0.113.0/24 via "$E2E_ROUTER_V4"
	ip -n "$E" -6 route add 2001:db8:ffff::/64 via "$E2E_ROUTER_V6"
}

# ---------------------------------------------------------------------------------------------
# Configs from the examples

# e2e_template SOURCE DEST FROM TO [FROM TO]...: DEST is SOURCE with every FROM replaced by its
# TO; fails when a FROM does not occur, so a drifted example fails here instead of silently
# testing something else.
e2e_template() {
	local src=$1 dst=$2 text from to
	shift 2
	text=$(<"$src")
	while (($# >= 2)); do
		from=$1 to=$2
		shift 2
		[[ $text == *"$from"* ]] || lab_fail "$src: expected the text '$from' (the lab templates the example with it)"
		text=${text//"$from"/"$to"}
	done
	printf '%s\n' "$text" >"$dst"
}

# The lab's BGP timers (BIRD's syntax): hold time E2E_HOLD_S (3 s), keepalive a third of it.
e2e_bird_timers() {
	local hold=${E2E_HOLD_S:-3}
	printf 'connect retry time 1;\n\thold time %d;\n\tkeepalive time %d;\n\terror wait time 1, 2;' "$hold" $((hold / 3))
}

e2e_router_conf() {
	e2e_template "$E2E_EXAMPLES/bird/router.conf" "$LAB_TMP/router.conf" \
		"log syslog all;" "log stderr all;" \
		"protocol kernel kernel4 {" $'protocol kernel kernel4 {\n\tmerge paths on;' \
		"protocol kernel kernel6 {" $'protocol kernel kernel6 {\n\tmerge paths on;' \
		"connect retry time 5;" "$(e2e_bird_timers)"
}

# e2e_edge_conf EDGE: the edge's BIRD config; edge2 gets its own addresses.
e2e_edge_conf() {
	local edge=$1 v4=${E2E_EDGE_V4[$1]}
	e2e_template "$E2E_EXAMPLES/bird/edge.conf" "$LAB_TMP/$edge.conf" \
		"log syslog all;" "log stderr all;" \
		"router id 198.51.100.2;" "router id $v4;" \
		"local 198.51.100.2 as 65001;" "local $v4 as 65001;" \
		"connect retry time 5;" "$(e2e_bird_timers)"
}

e2e_exabgp_conf() {
	local edge=$1 v4=${E2E_EDGE_V4[$1]}
	e2e_template "$E2E_EXAMPLES/exabgp/exabgp.conf" "$LAB_TMP/$edge.exabgp.conf" \
		"router-id 198.51.100.2;" "router-id $v4;" \
		"local-address 198.51.100.2;" "local-address $v4;" \
		"hold-time 9;" "hold-time 3;"
}

# ---------------------------------------------------------------------------------------------
# Routing daemons

# _e2e_start_bird ROLE CONF: BIRD in the role's namespace, socket $LAB_TMP/ROLE.ctl, log
# $LAB_TMP/ROLE.bird.log; waits until it answers on its socket. Sets E2E_SPEAKER_PID[ROLE].
_e2e_start_bird() {
	local role=$1 conf=$2 sock="$LAB_TMP/$1.ctl" log="$LAB_TMP/$1.bird.log"
	bird -p -c "$conf" >/dev/null 2>"$LAB_TMP/$role.parse" ||
		lab_fail "BIRD rejects $conf: $(cat "$LAB_TMP/$role.parse")"
	ip netns exec "${E2E_NS[$role]}" bird -f -c "$conf" -s "$sock" -P "$LAB_TMP/$role.bird.pid" >>"$log" 2>&1 &
	local pid=$!
	E2E_SPEAKER_PID[$role]=$pid
	local deadline=$((SECONDS + 10))
	until birdc -s "$sock" show status >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null || lab_fail "BIRD ($role) exited at start: $(tail -n 20 "$log")"
		((SECONDS < deadline)) || lab_fail "BIRD ($role) did not answer on $sock within 10 s"
		sleep 0.05
	done
}

e2e_start_router_bird() {
	e2e_router_conf
	_e2e_start_bird router "$LAB_TMP/router.conf"
	e2e_log "router BIRD up (pid ${E2E_SPEAKER_PID[router]})"
}

e2e_start_edge_bird() {
	local edge=$1
	e2e_edge_conf "$edge"
	E2E_SPEAKER[$edge]=bird
	_e2e_start_bird "$edge" "$LAB_TMP/$edge.conf"
	e2e_log "$edge BIRD up (pid ${E2E_SPEAKER_PID[$edge]}), socket $LAB_TMP/$edge.ctl"
}

# e2e_start_edge_exabgp EDGE: ExaBGP 4.2 from examples/exabgp/exabgp.conf; its named pipes
# $LAB_TMP/run/exabgp/<unique>.{in,out} are made first (ExaBGP looks for them only at start).
# Sets E2E_EXABGP_PIPE[EDGE] to the pipes' common prefix (anycastd's [route.exabgp] pipe).
declare -A E2E_EXABGP_PIPE=()
e2e_start_edge_exabgp() {
	local edge=$1 name
	command -v exabgp >/dev/null || lab_fail "exabgp is not installed (scripts/deps.sh)"
	e2e_exabgp_conf "$edge"
	name="aclab-$$-$edge"
	mkdir -p "$LAB_TMP/run/exabgp"
	E2E_EXABGP_PIPE[$edge]="$LAB_TMP/run/exabgp/$name"
	mkfifo -m 0600 "${E2E_EXABGP_PIPE[$edge]}.in" "${E2E_EXABGP_PIPE[$edge]}.out"
	ip netns exec "${E2E_NS[$edge]}" env "exabgp.api.pipename=$name" exabgp.daemon.user=root \
		exabgp.daemon.daemonize=false exabgp.log.destination=stdout \
		exabgp --root "$LAB_TMP" "$LAB_TMP/$edge.exabgp.conf" >>"$LAB_TMP/$edge.exabgp.log" 2>&1 &
	E2E_SPEAKER_PID[$edge]=$!
	E2E_SPEAKER[$edge]=exabgp
	# Ready when its pipe helper holds .in open for reading: a non-blocking open for writing then
	# succeeds (ENXIO before).
	local deadline=$((SECONDS + 15))
	until "$E2E_PYTHON" -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK))' \
		"${E2E_EXABGP_PIPE[$edge]}.in" 2>/dev/null; do
		kill -0 "${E2E_SPEAKER_PID[$edge]}" 2>/dev/null || lab_fail "ExaBGP ($edge) exited at start: $(tail -n 20 "$LAB_TMP/$edge.exabgp.log")"
		((SECONDS < deadline)) || lab_fail "ExaBGP ($edge) did not open its pipe within 15 s: $(tail -n 20 "$LAB_TMP/$edge.exabgp.log")"
		sleep 0.05
	done
	e2e_log "$edge ExaBGP up (pid ${E2E_SPEAKER_PID[$edge]}), pipes ${E2E_EXABGP_PIPE[$edge]}.{in,out}"
}

# e2e_frr_conf EDGE: examples/frr/frr.conf with the lab's timers (hold E2E_HOLD_S, keepalive a
# third of it, connect retry 1 s), logging to stdout, and the edge's own addresses, in the edge's
# FRR directory.
e2e_frr_conf() {
	local edge=$1
	e2e_template "$E2E_EXAMPLES/frr/frr.conf" "${E2E_FRR_DIR[$edge]}/frr.conf" \
		"log syslog informational" "log stdout informational" \
		"hostname edge1" "hostname $edge" \
		"bgp router-id 198.51.100.2" "bgp router-id ${E2E_EDGE_V4[$edge]}" \
		"ipv6 next-hop global 2001:db8:100::2" "ipv6 next-hop global ${E2E_EDGE_V6[$edge]}" \
		"neighbor 198.51.100.1 timers connect 5" \
		"neighbor 198.51.100.1 timers connect 1"$'\n'" neighbor 198.51.100.1 timers $((${E2E_HOLD_S:-3} / 3)) ${E2E_HOLD_S:-3}"
}

# _e2e_frr_daemon EDGE DAEMON ARGS...: an FRR daemon in the edge's namespace, started directly (no
# watchfrr, no host service), as user frr, everything in the edge's FRR directory: pid file, the
# zebra socket, the .vty sockets vtysh talks to (--vty_socket). No TCP vty (-P 0).
_e2e_frr_daemon() {
	local edge=$1 daemon=$2 dir=${E2E_FRR_DIR[$1]}
	shift 2
	ip netns exec "${E2E_NS[$edge]}" "/usr/lib/frr/$daemon" -u frr -g frr --vty_socket "$dir" \
		-z "$dir/zserv.api" -i "$dir/$daemon.pid" -P 0 "$@" >>"$LAB_TMP/$edge.$daemon.log" 2>&1 &
}

# e2e_frr_vtysh EDGE DAEMON COMMAND: vtysh against the edge's FRR.
e2e_frr_vtysh() {
	vtysh --vty_socket "${E2E_FRR_DIR[$1]}" -d "$2" -c "$3"
}

# e2e_start_edge_frr EDGE: FRR's zebra, then bgpd (e2e_start_edge_bgpd), in the edge's namespace.
# The directory is the frr user's (the daemons drop to it), under $LAB_TMP, which it may traverse.
declare -A E2E_FRR_DIR=()
e2e_start_edge_frr() {
	local edge=$1 dir="$LAB_TMP/$1.frr"
	[[ -x /usr/lib/frr/bgpd ]] && command -v vtysh >/dev/null || lab_fail "FRR is not installed (scripts/deps.sh)"
	E2E_FRR_DIR[$edge]=$dir
	mkdir -p "$dir"
	chown frr:frr "$dir"
	chmod 0711 "$LAB_TMP"
	e2e_frr_conf "$edge"
	_e2e_frr_daemon "$edge" zebra -f /dev/null
	LAB_PIDS+=("$!")
	local deadline=$((SECONDS + 10))
	until [[ -S "$dir/zserv.api" ]]; do
		((SECONDS < deadline)) || lab_fail "zebra ($edge) did not make its socket within 10 s: $(tail -n 20 "$LAB_TMP/$edge.zebra.log")"
		sleep 0.05
	done
	e2e_start_edge_bgpd "$edge"
}

# e2e_start_edge_bgpd EDGE: bgpd in the edge's namespace (zebra running); returns once bgpd is
# zebra's client and answers vtysh. A bgpd that opens its session before zebra told it the
# interfaces resets it and a BIRD router then waits out its error wait time (docs/route-signals.md,
# FRR's caveats): so the router's side of the session is restarted once bgpd is ready.
e2e_start_edge_bgpd() {
	local edge=$1
	E2E_SPEAKER[$edge]=frr
	_e2e_frr_daemon "$edge" bgpd -f "${E2E_FRR_DIR[$edge]}/frr.conf"
	E2E_SPEAKER_PID[$edge]=$!
	local deadline=$((SECONDS + 15))
	until e2e_frr_vtysh "$edge" zebra "show zebra client summary" 2>/dev/null | grep -q bgp &&
		e2e_frr_vtysh "$edge" bgpd "show version" >/dev/null 2>&1; do
		kill -0 "${E2E_SPEAKER_PID[$edge]}" 2>/dev/null || lab_fail "bgpd ($edge) exited at start: $(tail -n 20 "$LAB_TMP/$edge.bgpd.log")"
		((SECONDS < deadline)) || lab_fail "bgpd ($edge) not ready within 15 s: $(tail -n 20 "$LAB_TMP/$edge.bgpd.log")"
		sleep 0.05
	done
	[[ -S "$LAB_TMP/router.ctl" ]] && e2e_birdc router restart "$edge" >/dev/null
	e2e_log "$edge bgpd up (pid ${E2E_SPEAKER_PID[$edge]}), vty sockets in ${E2E_FRR_DIR[$edge]}"
}

# e2e_gobgp_conf EDGE: examples/gobgp/gobgpd.toml with the lab's timers and the edge's address.
e2e_gobgp_conf() {
	local edge=$1
	e2e_template "$E2E_EXAMPLES/gobgp/gobgpd.toml" "$LAB_TMP/$edge.gobgpd.toml" \
		'"198.51.100.2"' "\"${E2E_EDGE_V4[$edge]}\"" \
		"connect-retry = 5" "connect-retry = 1" \
		"hold-time = 9" "hold-time = ${E2E_HOLD_S:-3}" \
		"keepalive-interval = 3" "keepalive-interval = $((${E2E_HOLD_S:-3} / 3))"
}

# e2e_start_edge_gobgp EDGE: gobgpd in the edge's namespace, its API on the unix socket
# $LAB_TMP/EDGE.gobgpd.sock (E2E_GOBGP_API[EDGE], anycastd's [route.gobgp] api); returns once
# the API answers.
declare -A E2E_GOBGP_API=()
e2e_start_edge_gobgp() {
	local edge=$1 sock="$LAB_TMP/$1.gobgpd.sock"
	command -v gobgpd >/dev/null && command -v gobgp >/dev/null || lab_fail "gobgpd is not installed (scripts/deps.sh)"
	e2e_gobgp_conf "$edge"
	E2E_GOBGP_API[$edge]="unix://$sock"
	rm -f "$sock" # gobgpd does not remove a socket its killed predecessor left, and then fails to listen
	ip netns exec "${E2E_NS[$edge]}" gobgpd -f "$LAB_TMP/$edge.gobgpd.toml" --api-hosts "unix://$sock" \
		--pprof-disable >>"$LAB_TMP/$edge.gobgpd.log" 2>&1 &
	E2E_SPEAKER_PID[$edge]=$!
	E2E_SPEAKER[$edge]=gobgp
	local deadline=$((SECONDS + 15))
	until gobgp --target "unix://$sock" neighbor >/dev/null 2>&1; do
		kill -0 "${E2E_SPEAKER_PID[$edge]}" 2>/dev/null || lab_fail "gobgpd ($edge) exited at start: $(tail -n 20 "$LAB_TMP/$edge.gobgpd.log")"
		((SECONDS < deadline)) || lab_fail "gobgpd ($edge) did not answer on its API within 15 s: $(tail -n 20 "$LAB_TMP/$edge.gobgpd.log")"
		sleep 0.05
	done
	e2e_log "$edge gobgpd up (pid ${E2E_SPEAKER_PID[$edge]}), API $sock"
}

# e2e_birdc ROLE COMMAND...: birdc on the role's BIRD (router, edge1, edge2).
e2e_birdc() {
	local role=$1
	shift
	birdc -s "$LAB_TMP/$role.ctl" "$@"
}

# e2e_wait_session EDGE [DEADLINE_S]: until the router's BGP session to EDGE is Established.
# Prints the time it took.
e2e_wait_session() {
	local edge=$1 deadline=$((SECONDS + ${2:-30})) t0
	t0=$(e2e_now_us)
	until e2e_birdc router show protocols "$edge" 2>/dev/null | grep -q "Established"; do
		((SECONDS < deadline)) || lab_fail "the router's BGP session to $edge not Established within ${2:-30} s: $(e2e_birdc router show protocols all "$edge" 2>&1 | tail -n 20)"
		sleep 0.05
	done
	e2e_log "BGP session router-$edge Established after $(e2e_since_ms "$t0") ms"
}

# e2e_wait_bfd EDGE: until the router's BFD session to EDGE is Up.
e2e_wait_bfd() {
	local edge=$1 deadline=$((SECONDS + ${2:-30}))
	until e2e_birdc router show bfd sessions 2>/dev/null | grep -E "^${E2E_EDGE_V4[$edge]//./\\.}[[:space:]]" | grep -q " Up "; do
		((SECONDS < deadline)) || lab_fail "the router's BFD session to $edge not Up within ${2:-30} s: $(e2e_birdc router show bfd sessions 2>&1)"
		sleep 0.05
	done
}

# ---------------------------------------------------------------------------------------------
# The router's kernel table: the judge

# e2e_route_via EDGE [FAMILY]: true when the router's kernel table routes the VIP of FAMILY
# (4, default, or 6) through EDGE (a next hop of a single or multipath route).
e2e_route_via() {
	local edge=$1 fam=${2:-4} out
	if [[ $fam == 6 ]]; then
		out=$(ip -n "$E2E_ROUTER" -6 route show "$VIP6/128")
		# BIRD installs the edge's link-local next hop when it has one: match either.
		[[ $out == *"via ${E2E_EDGE_V6[$edge]} "* || $out == *"via ${E2E_LL6[$edge]:-none} "* ]]
	else
		out=$(ip -n "$E2E_ROUTER" -4 route show "$VIP4/32")
		[[ $out == *"via ${E2E_EDGE_V4[$edge]} "* ]]
	fi
}

# e2e_route_state: "edge1+edge2", "edge1", "edge2" or "none" for the IPv4 VIP.
e2e_route_state() {
	local s="" edge
	for edge in edge1 edge2; do
		e2e_route_via "$edge" 4 && s+="${s:++}$edge"
	done
	echo "${s:-none}"
}

# Each edge's IPv6 link-local address, as a next hop the router may install.
declare -A E2E_LL6=()
e2e_learn_ll6() {
	local edge
	for edge in edge1 edge2; do
		E2E_LL6[$edge]=$(ip -n "${E2E_NS[$edge]}" -6 -o addr show dev "$E2E_EDGE_IF" scope link 2>/dev/null |
			awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	done
}

# e2e_wait_route present|absent EDGE [DEADLINE_S] [T0] [FAMILY]: polls the router's table every
# ~10 ms until the VIP's route via EDGE is present (absent); prints the ms from T0 (default: the
# call). Fails after the deadline (default 15 s).
e2e_wait_route() {
	local want=$1 edge=$2 limit=${3:-15} t0=${4:-} fam=${5:-4} deadline
	[[ -n "$t0" ]] || t0=$(e2e_now_us)
	deadline=$((SECONDS + limit))
	while :; do
		if e2e_route_via "$edge" "$fam"; then
			[[ $want == present ]] && break
		else
			[[ $want == absent ]] && break
		fi
		if ((SECONDS >= deadline)); then
			lab_fail "expected the router's IPv$fam route via $edge to be $want within $limit s; router has: $(ip -n "$E2E_ROUTER" -"$fam" route show)"
		fi
		sleep 0.01
	done
	e2e_since_ms "$t0"
}

e2e_show_router_routes() {
	e2e_log "router's table for the VIPs:"
	{
		ip -n "$E2E_ROUTER" -4 route show "$VIP4/32"
		ip -n "$E2E_ROUTER" -6 route show "$VIP6/128"
	} | sed 's/^/    /' >&2
}

# ---------------------------------------------------------------------------------------------
# anycastd

# e2e_set_binaries ANYCASTD [ANYCASTCTL]
e2e_set_binaries() {
	E2E_ANYCASTD=$1
	E2E_ANYCASTCTL=${2:-}
	[[ -x "$E2E_ANYCASTD" ]] || lab_fail "anycastd binary not found or not executable: $E2E_ANYCASTD"
}

# e2e_base_config: what every edge's config starts with: the fast path on the edge's router-facing
# veth, the VIPs, echo on port 7.
e2e_base_config() {
	cat <<-EOF
			[datapath]
			kind = "xdp"
			interface = "$E2E_EDGE_IF"
			xdp_mode = "native"

			[anycast]
			addresses = ["$VIP4", "$VIP6"]
			loopback = "lo"

			[services.echo]
			port = 7
	EOF
}

# e2e_anycastd_config EDGE FILE SIGNAL [EXTRA_TOML]: the edge's config: the VIPs, echo on port 7,
# fast health timing (interval 200 ms, fast 100 ms, rise 3, fall 2), the maintenance file
# $LAB_TMP/EDGE.disable, a TCP check on port 8080, the route signal (bird: the edge's BIRD and its
# static protocols; exabgp: the edge's pipes, explicit next hops), drain 1 s, control socket in
# $LAB_TMP, no metrics listener.
e2e_anycastd_config() {
	local edge=$1 file=$2 signal=$3 extra=${4:-}
	{
		e2e_base_config
		cat <<-EOF

			[health]
			interval_ms = ${E2E_INTERVAL_MS:-200}
			fast_interval_ms = ${E2E_FAST_INTERVAL_MS:-100}
			rise = ${E2E_RISE:-3}
			fall = ${E2E_FALL:-2}
			disable_file = "$LAB_TMP/$edge.disable"

			[[health.check]]
			kind = "tcp"
			port = $E2E_TCP_PORT

			[route]
			signal = "$signal"
			drain_ms = ${E2E_DRAIN_MS:-1000}
		EOF
		case $signal in
		bird)
			cat <<-EOF

				[route.bird]
				socket = "$LAB_TMP/$edge.ctl"
				protocol = ["anycast_vips4", "anycast_vips6"]
			EOF
			;;
		exabgp)
			cat <<-EOF

				[route.exabgp]
				pipe = "${E2E_EXABGP_PIPE[$edge]}"
				next_hop4 = "${E2E_EDGE_V4[$edge]}"
				next_hop6 = "${E2E_EDGE_V6[$edge]}"
			EOF
			;;
		frr)
			cat <<-EOF

				[route.frr]
				asn = 65001
				route_map = "anycast"
				vty_socket = "${E2E_FRR_DIR[$edge]}"
				timeout_ms = ${E2E_SIGNAL_TIMEOUT_MS:-10000}
			EOF
			;;
		gobgp)
			cat <<-EOF

				[route.gobgp]
				api = "${E2E_GOBGP_API[$edge]}"
				next_hop4 = "${E2E_EDGE_V4[$edge]}"
				next_hop6 = "${E2E_EDGE_V6[$edge]}"
				communities = ["65001:100"]
				timeout_ms = ${E2E_SIGNAL_TIMEOUT_MS:-10000}
			EOF
			;;
		esac
		cat <<-EOF

			[control]
			socket = "$LAB_TMP/$edge.anycastd.sock"

			[metrics]
			listen = ""

			[log]
			level = "debug"
		EOF
		if [[ -n "$extra" ]]; then printf "\n%s\n" "$extra"; fi
	} >"$file"
}

# e2e_config_add FILE TABLE LINES: LINES (TOML keys) added to FILE right under its `[TABLE]`
# header (a table written by e2e_anycastd_config cannot be opened a second time further down);
# fails when FILE has no such header.
e2e_config_add() {
	local file=$1 header="[$2]" lines=$3 text
	text=$'\n'$(<"$file")$'\n'
	[[ $text == *$'\n'"$header"$'\n'* ]] || lab_fail "$file has no $header table to add to"
	text=${text/$'\n'"$header"$'\n'/$'\n'"$header"$'\n'"$lines"$'\n'}
	printf '%s' "${text#$'\n'}" >"$file"
}

# e2e_router_route EDGE [4|6]: the router BIRD's view of the VIP's route learned from EDGE (its
# BGP protocol is named after the edge), attributes and all (`show route ... all`); empty when
# the router has no such route.
e2e_router_route() {
	local edge=$1 prefix=$VIP4/32
	[[ ${2:-4} == 6 ]] && prefix=$VIP6/128
	e2e_birdc router show route for "$prefix" protocol "$edge" all 2>&1 | grep -E "^[0-9a-f:.]+/|^[[:space:]]" || true
}

# e2e_wait_router_route EDGE GREP_E_PATTERN present|absent [DEADLINE_S] [4|6]: until the
# router's route from EDGE has a line matching the pattern (present), or no longer has one
# (absent, which a route gone altogether also satisfies). Fails past the deadline (default 15 s).
e2e_wait_router_route() {
	local edge=$1 pattern=$2 want=$3 limit=${4:-15} fam=${5:-4} deadline route
	deadline=$((SECONDS + limit))
	while :; do
		route=$(e2e_router_route "$edge" "$fam")
		if grep -qE -- "$pattern" <<<"$route"; then
			[[ $want == present ]] && return 0
		else
			[[ $want == absent ]] && return 0
		fi
		((SECONDS < deadline)) || lab_fail "expected /$pattern/ to be $want in the router's IPv$fam route from $edge within $limit s; it has: ${route:-(no route)}"
		sleep 0.01
	done
}

# e2e_group_field EDGE FIELD: one field of the first group in `anycastctl status --json`
# (state, penalty, suppressed, held_out ...), as JSON (true/false, numbers, "strings" unquoted).
e2e_group_field() {
	e2e_ctl "$1" status --json 2>/dev/null | "$E2E_PYTHON" -c '
import json, sys
doc = json.load(sys.stdin)
groups = doc.get("status", doc).get("groups", [])
v = groups[0].get(sys.argv[1]) if groups else None
print(v if isinstance(v, str) else json.dumps(v))
' "$2"
}

# e2e_wait_group EDGE FIELD VALUE [DEADLINE_S]: until e2e_group_field prints VALUE.
e2e_wait_group() {
	local edge=$1 field=$2 want=$3 deadline=$((SECONDS + ${4:-15})) got
	until got=$(e2e_group_field "$edge" "$field") && [[ $got == "$want" ]]; do
		((SECONDS < deadline)) || lab_fail "expected $edge's group $field to be $want within ${4:-15} s, it is ${got:-?}: $(e2e_status "$edge")"
		sleep 0.05
	done
}

# e2e_start_tcp_server EDGE: the server the TCP check connects to (port 8080 on any address of
# the edge, so it listens before the VIP is there).
e2e_start_tcp_server() {
	local edge=$1
	ip netns exec "${E2E_NS[$edge]}" socat "TCP-LISTEN:$E2E_TCP_PORT,reuseaddr,fork" PIPE >>"$LAB_TMP/$edge.socat.log" 2>&1 &
	E2E_TCP_PID[$edge]=$!
	local deadline=$((SECONDS + 10))
	until ip netns exec "${E2E_NS[$edge]}" ss -Hltn "sport = :$E2E_TCP_PORT" | grep -q .; do
		((SECONDS < deadline)) || lab_fail "socat on $edge did not listen on $E2E_TCP_PORT within 10 s"
		sleep 0.05
	done
}

e2e_stop_tcp_server() {
	local edge=$1 pid=${E2E_TCP_PID[$1]:-}
	[[ -n "$pid" ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	E2E_TCP_PID[$edge]=""
}

# e2e_start_anycastd EDGE CONFIG [ARGS...]: anycastd in the edge's namespace, log
# $LAB_TMP/EDGE.anycastd.log; waits (30 s) for "anycastd started".
e2e_start_anycastd() {
	local edge=$1 conf=$2 log="$LAB_TMP/$1.anycastd.log"
	shift 2
	E2E_ANYCASTD_LOG[$edge]=$log
	local from
	touch "$log"
	from=$(($(wc -l <"$log") + 1))
	ip netns exec "${E2E_NS[$edge]}" "$E2E_ANYCASTD" --config "$conf" "$@" >>"$log" 2>&1 &
	local pid=$!
	E2E_ANYCASTD_PID[$edge]=$pid
	local deadline=$((SECONDS + 30))
	until tail -n "+$from" "$log" | grep -q "anycastd started"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			local rc=0
			wait "$pid" || rc=$?
			E2E_ANYCASTD_PID[$edge]=""
			lab_fail "anycastd on $edge exited with code $rc before 'anycastd started': $(tail -n 30 "$log")"
		fi
		((SECONDS < deadline)) || lab_fail "anycastd on $edge: no 'anycastd started' within 30 s: $(tail -n 30 "$log")"
		sleep 0.05
	done
	e2e_log "anycastd on $edge started (pid $pid)"
}

# e2e_stop_anycastd EDGE [DEADLINE_S]: SIGTERM, then e2e_wait_exit.
e2e_stop_anycastd() {
	[[ -n "${E2E_ANYCASTD_PID[$1]}" ]] || lab_fail "anycastd on $1 is not running"
	kill -TERM "${E2E_ANYCASTD_PID[$1]}" 2>/dev/null || true
	e2e_wait_exit "$@"
}

# e2e_wait_exit EDGE [DEADLINE_S]: waits (default 20 s) for the edge's anycastd to exit, without
# signalling it; sets E2E_RC to its exit code, or "timeout" (it is then killed).
e2e_wait_exit() {
	local edge=$1 deadline=$((SECONDS + ${2:-20})) pid=${E2E_ANYCASTD_PID[$1]}
	[[ -n "$pid" ]] || lab_fail "anycastd on $edge is not running"
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			E2E_ANYCASTD_PID[$edge]=""
			E2E_RC=timeout
			return 0
		fi
		sleep 0.01
	done
	E2E_RC=0
	wait "$pid" || E2E_RC=$?
	E2E_ANYCASTD_PID[$edge]=""
}

# e2e_ctl EDGE ARGS...: anycastctl against the edge's anycastd.
e2e_ctl() {
	local edge=$1
	shift
	[[ -x "$E2E_ANYCASTCTL" ]] || lab_fail "anycastctl not built"
	ip netns exec "${E2E_NS[$edge]}" "$E2E_ANYCASTCTL" --socket "$LAB_TMP/$edge.anycastd.sock" "$@"
}

# e2e_answers EDGE: the frames the edge's fast path has answered (XDP_TX) so far: veth's own
# counters (ethtool -S: rx_queue_N_xdp_tx, summed over queues), kept by the kernel whatever
# program is attached, so the deltas tell exactly which edge answered a stream.
e2e_answers() {
	e2e_ns "$1" ethtool -S "$E2E_EDGE_IF" | awk '/rx_queue_[0-9]+_xdp_tx:/ { n += $2 } END { print n + 0 }'
}

# e2e_wait_share EDGE SINCE [N]: waits (10 s at most) until EDGE has answered N (default 20) more
# than SINCE (an e2e_answers reading): a stream has reached it through the router's ECMP.
e2e_wait_share() {
	local deadline=$((SECONDS + 10))
	until (($(e2e_answers "$1") - $2 >= ${3:-20})); do
		((SECONDS < deadline)) || lab_fail "expected $1 to carry part of the stream within 10 s"
		sleep 0.05
	done
}

# e2e_probe ARGS...: tests/lab/bgp/probe.py in the client namespace.
e2e_probe() {
	ip netns exec "${E2E_NS[client]}" "$E2E_PYTHON" "$E2E_DIR/probe.py" "$@"
}

# e2e_fastpath_config EDGE FILE: a config that only answers echo on the VIPs (the flat form, the
# alias signal, which the edge's BIRD does not export): the route is then driven by hand with
# birdc. The maintenance file, control socket and metrics listener are per lab.
e2e_fastpath_config() {
	local edge=$1 file=$2
	{
		e2e_base_config
		cat <<-EOF

			[health]
			disable_file = "$LAB_TMP/$edge.disable"

			[control]
			socket = "$LAB_TMP/$edge.anycastd.sock"

			[metrics]
			listen = ""
		EOF
	} >"$file"
}

# e2e_probe_bg OUT ARGS...: probe.py in the background, its output in OUT; sets E2E_BG_PID to the
# probe's own pid (ip netns exec execs it), so that `kill -TERM` reaches it. e2e_probe_end OUT
# stops it, waits for it and sets E2E_OUT to its result line (not in a $(...) subshell: that
# cannot wait for it).
E2E_BG_PID=""
e2e_probe_bg() {
	local out=$1
	shift
	ip netns exec "${E2E_NS[client]}" "$E2E_PYTHON" "$E2E_DIR/probe.py" "$@" >"$out" 2>&1 &
	E2E_BG_PID=$!
	LAB_PIDS+=("$E2E_BG_PID")
}
e2e_probe_end() {
	local out=$1
	kill -TERM "$E2E_BG_PID" 2>/dev/null || true
	wait "$E2E_BG_PID" || true
	E2E_BG_PID=""
	E2E_OUT=$(tail -n 1 "$out")
}

# ---------------------------------------------------------------------------------------------
# The daemon labs: each edge with its routing daemon, the TCP check's server and anycastd

# e2e_start_speaker EDGE bird|exabgp|frr|gobgp: the edge's routing daemon and the TCP check's server.
e2e_start_speaker() {
	local edge=$1 speaker=$2
	case $speaker in
	bird) e2e_start_edge_bird "$edge" ;;
	exabgp) e2e_start_edge_exabgp "$edge" ;;
	frr) e2e_start_edge_frr "$edge" ;;
	gobgp) e2e_start_edge_gobgp "$edge" ;;
	*) lab_fail "unknown speaker $speaker" ;;
	esac
	e2e_start_tcp_server "$edge"
}

# e2e_start_edge_anycastd EDGE SPEAKER: writes $LAB_TMP/EDGE.toml (e2e_anycastd_config, the
# route signal of that routing daemon) and starts anycastd; E2E_START_US[EDGE] = its launch.
declare -A E2E_START_US=()
e2e_start_edge_anycastd() {
	local edge=$1 speaker=$2
	e2e_anycastd_config "$edge" "$LAB_TMP/$edge.toml" "$speaker"
	E2E_START_US[$edge]=$(e2e_now_us)
	e2e_start_anycastd "$edge" "$LAB_TMP/$edge.toml"
}

# e2e_wait_announced EDGE [DEADLINE_S]: both VIPs' routes via EDGE at the router; prints (as a
# measure) the time since anycastd was launched.
e2e_wait_announced() {
	local edge=$1 limit=${2:-30} ms
	ms=$(e2e_wait_route present "$edge" "$limit" "${E2E_START_US[$edge]}" 4)
	e2e_measure "anycastd on $edge launched -> IPv4 route via $edge" "$ms"
	ms=$(e2e_wait_route present "$edge" "$limit" "${E2E_START_US[$edge]}" 6)
	e2e_measure "anycastd on $edge launched -> IPv6 route via $edge" "$ms"
}

# e2e_daemon_lab SPEAKER1 SPEAKER2: the whole lab: router BIRD, edge1 with SPEAKER1, edge2 with
# SPEAKER2 (bird|exabgp|frr|gobgp), both BGP sessions up, then anycastd on both; returns when both edges
# are announced, v4 and v6 (the times from anycastd's launch are printed).
e2e_daemon_lab() {
	e2e_start_router_bird
	e2e_start_speaker edge1 "$1"
	e2e_start_speaker edge2 "$2"
	e2e_wait_session edge1
	e2e_wait_session edge2
	e2e_learn_ll6
	e2e_start_edge_anycastd edge1 "$1"
	e2e_start_edge_anycastd edge2 "$2"
	e2e_wait_announced edge1
	e2e_wait_announced edge2
	e2e_show_router_routes
}

# e2e_status EDGE: a one-line digest of the edge's `anycastctl status --json`: pid, program,
# answers, and per group its state, flaps, checks and route signal.
E2E_STATUS_DIGEST=$(
	cat <<-'PY'
		import json, sys
		text = sys.stdin.read()
		try:
		    doc = json.loads(text)
		except ValueError:
		    print("unparsable: " + text[:300].replace("\n", " "))
		    sys.exit(0)
		st = doc.get("status", doc)
		parts = ["pid %s prog %s answered %s" % (st.get("pid"), st.get("prog_id"), st.get("counters", {}).get("answered"))]
		for g in st.get("groups", []):
		    checks = ", ".join("%s: %s (%s)" % (c.get("name"), "ok" if c.get("ok") else "FAIL", c.get("detail"))
		                       for c in g.get("checks", []))
		    parts.append("group %s: %s (held out: %s, flaps %s; %s; route: %s)" % (
		        g.get("name"), g.get("state"), g.get("held_out") or "no", g.get("flaps"), checks,
		        g.get("route", {}).get("summary")))
		print("; ".join(parts))
	PY
)
e2e_status() {
	e2e_ctl "$1" status --json 2>&1 | "$E2E_PYTHON" -c "$E2E_STATUS_DIGEST"
}

# e2e_group_state EDGE [GROUP]: the state of GROUP (default: the first group) from
# `anycastctl status --json`.
e2e_group_state() {
	e2e_ctl "$1" status --json 2>/dev/null | "$E2E_PYTHON" -c '
import json, sys
doc = json.load(sys.stdin)
st = doc.get("status", doc)
want = sys.argv[1] if len(sys.argv) > 1 else ""
for g in st.get("groups", []):
    if not want or g.get("name") == want:
        print(g.get("state", "?"))
        break
else:
    print("none")
' ${2:+"$2"}
}

# e2e_signal EDGE FIELD: FIELD of the first group's route signal in `anycastctl status --json`
# (reachable, last_ok, last_detail, commands, failures, consecutive_failures, summary); "none"
# when there is no group, "unknown" when anycastd did not answer.
e2e_signal() {
	{ e2e_ctl "$1" status --json 2>/dev/null || true; } | "$E2E_PYTHON" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("unknown")
    sys.exit(0)
groups = doc.get("status", doc).get("groups", [])
value = groups[0].get("route", {}).get(sys.argv[1]) if groups else "none"
print(json.dumps(value) if isinstance(value, bool) else value)
' "$2"
}

# e2e_stream_start NAME: continuous echo streams (probe.py stream: eight source ports, one
# datagram every 10 ms) to each VIP, IPv4 and IPv6, from the client across an event.
# e2e_stream_check WHAT NAME stops them and fails unless every datagram of both was answered.
declare -A E2E_STREAM_PIDS=()
e2e_stream_start() {
	local name=$1 pids=""
	e2e_probe_bg "$LAB_TMP/$name.stream4" stream "$VIP4" 7 --interval 0.01 --sockets 8 --timeout 1
	pids=$E2E_BG_PID
	e2e_probe_bg "$LAB_TMP/$name.stream6" stream "$VIP6" 7 --interval 0.01 --sockets 8 --timeout 1
	E2E_STREAM_PIDS[$name]="$pids $E2E_BG_PID"
}
e2e_stream_check() {
	local what=$1 name=$2 pid fam out
	for pid in ${E2E_STREAM_PIDS[$name]}; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in ${E2E_STREAM_PIDS[$name]}; do wait "$pid" || true; done
	for fam in 4 6; do
		out=$(tail -n 1 "$LAB_TMP/$name.stream$fam")
		lab_log "$what, IPv$fam stream: $out"
		lab_expect_eq "$what: IPv$fam datagrams lost, wrong, refused" "lost=0 wrong=0 refused=0" \
			"lost=$(lab_field "$out" lost) wrong=$(lab_field "$out" wrong) refused=$(lab_field "$out" refused)"
	done
}

# e2e_log_status EDGE: logs the edge's `anycastctl status --json` (when anycastctl was given).
e2e_log_status() {
	if [[ -n "$E2E_ANYCASTCTL" && -x "$E2E_ANYCASTCTL" ]]; then
		lab_log "$1 status: $(e2e_status "$1")"
	fi
	return 0
}

# e2e_withdrawn_by CAUSE ACTION: runs ACTION (a command string) under a stream, waits for edge1's
# route to leave the router (v4, then v6), prints the times, checks edge2 answers.
e2e_withdrawn_by() {
	local cause=$1 action=$2 t0 ms
	e2e_stream_start withdraw
	sleep 0.3
	t0=$(e2e_now_us)
	eval "$action"
	ms=$(e2e_wait_route absent edge1 15 "$t0" 4)
	e2e_measure "$cause -> IPv4 route via edge1 gone" "$ms"
	ms=$(e2e_wait_route absent edge1 15 "$t0" 6)
	e2e_measure "$cause -> IPv6 route via edge1 gone" "$ms"
	e2e_route_via edge2 4 || lab_fail "expected the route via edge2 to stay: $(ip -n "$E2E_ROUTER" route show "$VIP4/32")"
	sleep 1.5 # past edge1's drain_ms
	e2e_stream_check "across edge1's withdrawal ($cause)" withdraw
	e2e_log_status edge1
	local a1 a2
	a1=$(e2e_answers edge1) a2=$(e2e_answers edge2)
	lab_expect_echo "echo $VIP4:7 with edge1 withdrawn ($cause)" 10 "$VIP4" 7 --count 10
	lab_expect_echo "echo [$VIP6]:7 with edge1 withdrawn ($cause)" 10 "$VIP6" 7 --count 10
	lab_expect_eq "echoes answered by edge2 / edge1 with edge1 withdrawn" "20/0" \
		"$(($(e2e_answers edge2) - a2))/$(($(e2e_answers edge1) - a1))"
}

# e2e_back_by CAUSE ACTION: runs ACTION, waits for edge1's route to come back, prints the time from
# the end of ACTION (the server listening, the file gone).
e2e_back_by() {
	local cause=$1 action=$2 t0 ms
	eval "$action"
	t0=$(e2e_now_us)
	ms=$(e2e_wait_route present edge1 30 "$t0" 4)
	e2e_measure "$cause -> IPv4 route via edge1 back (rise ${E2E_RISE:-3})" "$ms"
	ms=$(e2e_wait_route present edge1 30 "$t0" 6)
	e2e_measure "$cause -> IPv6 route via edge1 back" "$ms"
	lab_expect_echo "echo $VIP4:7 with edge1 back ($cause)" 10 "$VIP4" 7 --count 10
}
