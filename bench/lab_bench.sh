#!/usr/bin/env bash
# The answered-rate benchmark: a client and an edge namespace on a veth pair, loadgen on the
# client (generator + answer-verifying receiver), each system under test on the edge in turn.
# Writes results.jsonl, results.json, results.md and answered.png to the output folder.
#
#   bench/lab_bench.sh [--smoke] [BUILD_DIR]         (as root; BUILD_DIR default: ./build)
#
# --smoke: a few thousand paced packets per system, checked for correctness only (every request
# answered by anycastd's systems, 90 % by a peer server on sockets, no bad answer); what CTest runs. Without it, the full run: for each system the
# offered load stepped up, then saturation runs interleaved across systems; medians and the
# loss-free rate in the report. Environment (defaults in brackets):
#   BENCH_ENGINE    loadgen's sending engine: auto, live or xsk [auto: live frames where the
#                   kernel allows them, else AF_XDP]. live where the kernel refuses live frames
#                   exits 77 (skipped) naming the refusal; results name the engine of each run
#   BENCH_GENERATORS  who sends: loadgen, trafgen or both ["loadgen"]. trafgen (netsniff-ng's,
#                   AF_PACKET with an mmap TX ring; IPv4 echo only) is the cross-check by a
#                   generator the project did not write: the same requests, its answers counted
#                   by loadgen's receiver (--recv-only); its results are "SYSTEM (trafgen)",
#                   at saturation only (its pacing does not reach the stepped rates)
#   BENCH_SERVICE   echo, ntp or dns [echo]: the request template and what the receiver accepts
#                   (ntp: 48-byte mode 3 requests, only server replies with the time count; dns:
#                   www.example.net. A with EDNS, only whole NOERROR answers to it count)
#   BENCH_SYSTEMS   systems, in the order they alternate ["floor anycastd socket"; ntp:
#                   "anycastd chronyd"; dns: "anycastd knotd_xdp knotd nsd"]; "drop" (an XDP
#                   program that drops every request) gives a generator's own ceiling
#   BENCH_RATES     paced offered loads, packets/s ["50000 100000 200000 400000 800000"]
#   BENCH_DURATION  seconds per measurement [1]
#   BENCH_REPEATS   interleaved saturation runs per system [5]
#   BENCH_THREADS   generator threads [one per queue: AF_XDP binds a socket per queue];
#                   BENCH_QUEUES veth queues per side [2; dns: 1]
#   BENCH_FAMILY    4 or 6 [4]; BENCH_SIZE frame bytes [64; ntp: headers + 48, its only size;
#                   dns: headers + 44, the query without padding]
#   BENCH_VIPS      destinations [16]
#   BENCH_OUT       output folder [BUILD_DIR/lab_bench]
#   BENCH_ISOLATE   1: the edge gets a CPU of its own [0]: its veth runs threaded NAPI, whose
#                   kernel threads (and the socket server, one thread) are pinned to the last
#                   CPU, the generator (one thread) to CPU 0. The responder is then the
#                   bottleneck, and its CPU time per answer is measured from those threads.
#
# NTP (BENCH_SERVICE=ntp): anycastd answers with clock = "chrony" from a chronyd of its own on
# the edge (-x: never touches the clock; local stratum 10; port 0), so answers say stratum 11.
# "chronyd" is the peer: a second chronyd (-x, local stratum 10, allow, port 123, its pid file
# and command socket in the lab's temp folder), answering from the kernel's sockets on the VIPs,
# as the socket server does for echo. Floor and socket answer echo only. Each system's run ends
# with offset samples from a real client (sntp, 5 queries to the first VIP) into ntp_clients.txt.
#
# DNS (BENCH_SERVICE=dns): every system serves tests/lab/dns/example.net.zone on the VIPs, with
# response rate limiting off: anycastd and dpdk, knotd and nsd on sockets, knotd_xdp (Knot's XDP
# mode: AF_XDP, answers made in user space), which answers on one veth queue only (see
# sys_knotd_xdp_start), hence one queue by default for every DNS system.
#
# "dpdk" is anycastd with the DPDK datapath: anycastd-dpdk takes the edge veth through net_af_xdp
# and polls it with one worker lcore (a 2-core machine has one to spare), so it needs
# BENCH_QUEUES=1: frames hashed to a queue without a worker would go to the kernel.
#
# Adding a system (a real peer): define sys_NAME_start, sys_NAME_stop and sys_NAME_pid
# (the pid whose CPU time is charged to the system, or 0 when the work is all in softirq) and
# add NAME to BENCH_SYSTEMS. The edge is ready for it: addresses, routes back to the client's
# sources, static neighbours, TX checksum offload off.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../tests/lab/lab.sh
source "$SRC/tests/lab/lab.sh"
# shellcheck source=../tests/lab/probes.sh
source "$SRC/tests/lab/probes.sh"

SMOKE=0
if [[ ${1:-} == --smoke ]]; then
	SMOKE=1
	shift
fi
BUILD="$(cd "${1:-$SRC/build}" && pwd)"
ANYCASTD="$BUILD/control/anycastd"
LOADGEN="$BUILD/bench/loadgen"
SOCKSERVER="$BUILD/bench/udp_echo_server"
DPDK_BIN="$BUILD/control/anycastd-dpdk"
FLOOR_OBJ="$BUILD/bench/xdp_floor.bpf.o"
DROP_OBJ="$BUILD/bench/xdp_drop.bpf.o"
PASS_OBJ="$BUILD/tests/lab/lab_xdp_pass.bpf.o"
REPORT="$SRC/bench/lab/report.py"
for f in "$ANYCASTD" "$LOADGEN" "$SOCKSERVER" "$FLOOR_OBJ" "$DROP_OBJ" "$PASS_OBJ"; do
	[[ -e $f ]] || lab_fail "missing $f: build first (cmake --build $BUILD -j2)"
done

SERVICE=${BENCH_SERVICE:-echo}
case $SERVICE in
echo) PORT=7 DEFAULT_SYSTEMS="floor anycastd socket" ;;
ntp) PORT=123 DEFAULT_SYSTEMS="anycastd chronyd" ;;
dns) PORT=53 DEFAULT_SYSTEMS="anycastd knotd_xdp knotd nsd" ;;
*) lab_fail "BENCH_SERVICE must be echo, ntp or dns, not '$SERVICE'" ;;
esac
SYSTEMS=(${BENCH_SYSTEMS:-$DEFAULT_SYSTEMS})
RATES=(${BENCH_RATES:-50000 100000 200000 400000 800000})
DURATION=${BENCH_DURATION:-1}
REPEATS=${BENCH_REPEATS:-5}
QUEUES=${BENCH_QUEUES:-$([[ $SERVICE == dns ]] && echo 1 || echo 2)}
THREADS=${BENCH_THREADS:-$QUEUES}
ENGINE=${BENCH_ENGINE:-auto}
case $ENGINE in auto | live | xsk) ;; *) lab_fail "BENCH_ENGINE must be auto, live or xsk, not '$ENGINE'" ;; esac
GENERATORS=(${BENCH_GENERATORS:-loadgen})
for gen in "${GENERATORS[@]}"; do
	case $gen in
	loadgen) ;;
	trafgen)
		[[ $SERVICE == echo && ${BENCH_FAMILY:-4} == 4 ]] ||
			lab_fail "the trafgen cross-check sends IPv4 echo requests (BENCH_SERVICE=echo, BENCH_FAMILY=4)"
		command -v trafgen >/dev/null || lab_fail "trafgen is missing (scripts/deps.sh installs netsniff-ng)"
		;;
	*) lab_fail "BENCH_GENERATORS takes loadgen and trafgen, not '$gen'" ;;
	esac
done
FAMILY=${BENCH_FAMILY:-4}
if [[ $SERVICE == ntp ]]; then
	SIZE=${BENCH_SIZE:-$((FAMILY == 4 ? 90 : 110))}
elif [[ $SERVICE == dns ]]; then
	SIZE=${BENCH_SIZE:-$((FAMILY == 4 ? 86 : 106))}
else
	SIZE=${BENCH_SIZE:-64}
fi
NVIPS=${BENCH_VIPS:-16}
OUT=${BENCH_OUT:-$BUILD/lab_bench}
ISOLATE=${BENCH_ISOLATE:-0}
EDGE_CPU=$(($(nproc) - 1))
SERVER_THREADS=$(nproc)
if ((ISOLATE)); then
	((EDGE_CPU > 0)) || lab_fail "BENCH_ISOLATE needs at least 2 CPUs"
	THREADS=1
	SERVER_THREADS=1
fi
# Names of our own for the veth pair: threaded NAPI's kernel threads are named after them, and
# other labs (veth-client, veth-edge) may run at the same time.
LAB_EDGE_IF="abe$$"
LAB_CLIENT_IF="abc$$"
if ((SMOKE)); then
	RATES=(5000)
	DURATION=5 # an upper bound: the count ends the run
	OUT=${BENCH_OUT:-$BUILD/lab_bench_smoke}
fi
SMOKE_COUNT=3000

if [[ $FAMILY == 4 ]]; then
	VIP_FIRST=192.0.2.1 VIP_PREFIX=192.0.2.0/24 SRC_FIRST=203.0.113.1 SRC_PREFIX=203.0.113.0/24
	CLIENT_ADDR=$LAB_CLIENT_V4
else
	VIP_FIRST=2001:db8::1 VIP_PREFIX=2001:db8::/64 SRC_FIRST=2001:db8:c::1 SRC_PREFIX=2001:db8:c::/64
	CLIENT_ADDR=$LAB_CLIENT_V6
fi
((NVIPS >= 1 && NVIPS <= 200)) || lab_fail "BENCH_VIPS must be 1 .. 200 (they live in $VIP_PREFIX)"

# lab_setup's layout, with QUEUES queues on each side of the pair and no program on the client:
# loadgen attaches its receiver there for each measurement.
bench_setup() {
	lab_require_root
	_lab_reap_stale
	local id="$$-$RANDOM" ns
	LAB_CLIENT="aclab-$id-client"
	LAB_EDGE="aclab-$id-edge"
	LAB_TMP="$(mktemp -d /tmp/aclab.XXXXXX)"
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ip netns add "$LAB_CLIENT"
	ip netns add "$LAB_EDGE"
	for ns in "$LAB_CLIENT" "$LAB_EDGE"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done
	ip -n "$LAB_CLIENT" link add "$LAB_CLIENT_IF" numtxqueues "$QUEUES" numrxqueues "$QUEUES" type veth \
		peer name "$LAB_EDGE_IF" netns "$LAB_EDGE" numtxqueues "$QUEUES" numrxqueues "$QUEUES"
	ip -n "$LAB_CLIENT" addr add "$LAB_CLIENT_V4/24" dev "$LAB_CLIENT_IF"
	ip -n "$LAB_CLIENT" addr add "$LAB_CLIENT_V6/64" dev "$LAB_CLIENT_IF" nodad
	ip -n "$LAB_EDGE" addr add "$LAB_EDGE_V4/24" dev "$LAB_EDGE_IF"
	ip -n "$LAB_EDGE" addr add "$LAB_EDGE_V6/64" dev "$LAB_EDGE_IF" nodad
	# Both sides: a partial checksum left by TX offload would reach the receiver unfinished.
	lab_client ethtool -K "$LAB_CLIENT_IF" tx off >/dev/null
	lab_edge ethtool -K "$LAB_EDGE_IF" tx off >/dev/null
	ip -n "$LAB_CLIENT" link set "$LAB_CLIENT_IF" up
	ip -n "$LAB_EDGE" link set "$LAB_EDGE_IF" up
	if ((ISOLATE)); then
		# Both sides' NAPI in kernel threads: the edge's on the edge CPU (set per system: a
		# veth has NAPI only while XDP runs, and "threaded" takes only then), the client's (the
		# receiver) on CPU 0 with the generator. The client keeps an XDP program throughout
		# (loadgen's receiver takes its place and puts it back), so its threads live, and are
		# pinned, once.
		ip -n "$LAB_CLIENT" link set dev "$LAB_CLIENT_IF" xdpdrv obj "$PASS_OBJ" sec xdp
		lab_client sh -c "echo 1 > /sys/class/net/$LAB_CLIENT_IF/threaded"
		local pids pid
		pids=$(napi_pids "$LAB_CLIENT_IF")
		[[ -n $pids ]] || lab_fail "no NAPI threads for $LAB_CLIENT_IF (threaded NAPI not taken?)"
		for pid in ${pids//,/ }; do taskset -pc 0 "$pid" >/dev/null; done
	fi
	CLIENT_MAC=$(lab_client cat "/sys/class/net/$LAB_CLIENT_IF/address")
	EDGE_MAC=$(lab_edge cat "/sys/class/net/$LAB_EDGE_IF/address")
	# Answers from the edge's kernel (the socket server) go back to the generator's many
	# sources through the client, whose address is resolved once and for all.
	ip -n "$LAB_EDGE" neigh replace "$LAB_CLIENT_V4" lladdr "$CLIENT_MAC" dev "$LAB_EDGE_IF" nud permanent
	ip -n "$LAB_EDGE" neigh replace "$LAB_CLIENT_V6" lladdr "$CLIENT_MAC" dev "$LAB_EDGE_IF" nud permanent
	ip -n "$LAB_EDGE" route add "$SRC_PREFIX" via "$CLIENT_ADDR" dev "$LAB_EDGE_IF"
	# Real clients on the client (sntp for NTP) reach the VIPs through the edge.
	if [[ $FAMILY == 4 ]]; then
		ip -n "$LAB_CLIENT" route add "$VIP_PREFIX" via "$LAB_EDGE_V4" dev "$LAB_CLIENT_IF"
	else
		ip -n "$LAB_CLIENT" -6 route add "$VIP_PREFIX" via "$LAB_EDGE_V6" dev "$LAB_CLIENT_IF"
	fi
	lab_log "namespaces $LAB_CLIENT and $LAB_EDGE up, $QUEUES queue(s) per side"
	engine_check
}

# The live engine where the kernel refuses live frames: nothing to measure here, and that is
# not a failure of the system under test. Exit 77 (CTest's SKIP_RETURN_CODE) with loadgen's own
# words; any other failure of the probe fails the run.
engine_check() {
	[[ $ENGINE == live ]] || return 0
	local out
	if ! out=$(lab_client "$LOADGEN" --engine live --dev "$LAB_CLIENT_IF" --dst-mac "$EDGE_MAC" --no-recv \
		--count 1 --duration 0.1 --settle 0 2>&1); then
		[[ $out == *"--engine live: the kernel refuses it"* ]] || lab_fail "loadgen --engine live failed: $out"
		echo "SKIP: ${out#loadgen: }"
		exit 77
	fi
}

edge_xdp() { ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" xdpdrv "$@"; }

# napi_pids [DEV]: the NAPI kernel threads of DEV (default: the edge veth), comma-separated
# (threaded NAPI, BENCH_ISOLATE=1); they exist while an XDP program is attached. Their names
# are cut to 15 characters, hence short interface names of our own.
napi_pids() {
	ps -eo pid=,comm= | awk -v p="napi/${1:-$LAB_EDGE_IF}" 'index($2, p) == 1 { printf "%s%s", sep, $1; sep = "," }'
}

# After a system started: in isolated mode, put the edge's NAPI threads on the edge's CPU.
edge_isolate() {
	((ISOLATE)) || return 0
	local pids pid
	lab_edge sh -c "echo 1 > /sys/class/net/$LAB_EDGE_IF/threaded"
	pids=$(napi_pids)
	[[ -n $pids ]] || lab_fail "no NAPI threads for $LAB_EDGE_IF (threaded NAPI not taken?)"
	for pid in ${pids//,/ }; do taskset -pc "$EDGE_CPU" "$pid" >/dev/null; done
}

# The CPU time charged to a system: its process (if any) and, isolated, the NAPI threads.
edge_pids() {
	local pids="$1"
	if ((ISOLATE)); then pids="${pids:+$pids,}$(napi_pids)"; fi
	echo "${pids:-0}"
}

# --- NTP: chronyd, the source anycastd reads and the peer ------------------------------------
# start_chronyd NAME CONFIG-LINES...: a chronyd in the edge namespace that never touches the
# clock, its files under $LAB_TMP/chrony-NAME (mode 0750: chronyd refuses others' directories);
# waits until it reports itself synchronised. Sets CHRONYD_PID.
start_chronyd() {
	local name=$1 dir="$LAB_TMP/chrony-$1" line
	shift
	mkdir -p -m 0750 "$dir"
	{
		echo "local stratum 10"
		echo "cmdport 0"
		echo "bindcmdaddress $dir/chronyd.sock"
		echo "pidfile $dir/chronyd.pid"
		for line in "$@"; do echo "$line"; done
	} >"$dir/chrony.conf"
	ip netns exec "$LAB_EDGE" chronyd -x -d -u root -f "$dir/chrony.conf" >>"$dir/chronyd.log" 2>&1 &
	CHRONYD_PID=$!
	LAB_PIDS+=("$CHRONYD_PID")
	local deadline=$((SECONDS + 10))
	until lab_edge chronyc -h "$dir/chronyd.sock" -c tracking 2>/dev/null | grep -q ",Normal\$"; do
		kill -0 "$CHRONYD_PID" 2>/dev/null || lab_fail "chronyd ($name) exited: $(cat "$dir/chronyd.log")"
		((SECONDS < deadline)) || lab_fail "chronyd ($name) not synchronised within 10 s: $(cat "$dir/chronyd.log")"
		sleep 0.1
	done
}

SOURCE_CHRONYD_PID=""
ntp_source_up() {
	[[ -n $SOURCE_CHRONYD_PID ]] && return 0
	start_chronyd source "port 0"
	SOURCE_CHRONYD_PID=$CHRONYD_PID
	lab_log "chronyd (anycastd's time source) up, pid $SOURCE_CHRONYD_PID"
}

# The service table a config for anycastd gets, after lab_write_config's echo.
service_config() {
	case $SERVICE in
	ntp)
		ntp_source_up
		printf '\n[services.ntp]\nclock = "chrony"\nchrony_socket = "%s"\n' "$LAB_TMP/chrony-source/chronyd.sock"
		;;
	dns) dns_config ;;
	esac
}

# anycastd answers NTP once it has read the clock: wait for it, or the first requests pass.
wait_ntp_clock() {
	[[ $SERVICE == ntp ]] || return 0
	lab_wait_log "NTP clock: .*answering stratum 11" 15
	# The daemon hands the state to the fast path at a later tick, which passes NTP until then
	# (ntp_no_clock): wait for a real client's answer at stratum 11.
	local deadline=$((SECONDS + 15))
	client_pass on
	until lab_client timeout 5 sntp -t 1 "$VIP_FIRST" 2>/dev/null | grep -q " s11 "; do
		((SECONDS < deadline)) || lab_fail "no NTP answer at stratum 11 from anycastd within 15 s"
		sleep 0.2
	done
	client_pass off
}

# client_pass on|off: the pass-through program on the client veth, which veth needs there for
# the edge's XDP_TX answers to reach the client's own sockets (loadgen brings its receiver).
client_pass() {
	((ISOLATE)) && return 0 # the client keeps one throughout
	if [[ $1 == on ]]; then
		ip -n "$LAB_CLIENT" link set dev "$LAB_CLIENT_IF" xdpdrv obj "$PASS_OBJ" sec xdp
	else
		ip -n "$LAB_CLIENT" link set dev "$LAB_CLIENT_IF" xdpdrv off
	fi
}

# ntp_clients SYSTEM: what a real client sees, 5 sntp queries to the first VIP (sntp only
# measures; it never sets the clock). The client veth runs the pass-through program meanwhile
# (XDP_TX frames need one on the peer), then gets back what it had.
ntp_clients() {
	[[ $SERVICE == ntp ]] || return 0
	local i out
	client_pass on
	for i in 1 2 3 4 5; do
		out=$(lab_client timeout 10 sntp -t 3 "$VIP_FIRST" 2>&1 | grep -E ' [+-][0-9.]+ \+/- ' || echo "no answer")
		echo "$1 $out" >>"$OUT/ntp_clients.txt"
		lab_log "sntp to $1: $out"
	done
	client_pass off
}

# --- systems under test -------------------------------------------------------------------
# The floor: bench/xdp_floor.c, the bare reflector every ratio is taken against.
sys_floor_start() {
	[[ $SERVICE == echo ]] || lab_fail "the floor reflects requests: it answers echo only"
	edge_xdp obj "$FLOOR_OBJ" sec xdp.frags
	edge_isolate
}
sys_floor_stop() { edge_xdp off; }
sys_floor_pid() { edge_pids ""; }

# The drop program: nothing answers, the edge costs the least; what a generator sends into it
# is its own ceiling.
sys_drop_start() {
	edge_xdp obj "$DROP_OBJ" sec xdp
	edge_isolate
}
sys_drop_stop() { edge_xdp off; }
sys_drop_pid() { edge_pids ""; }

# anycastd started with a config, as the labs do; it attaches its own program.
sys_anycastd_start() {
	lab_write_config "$LAB_TMP/anycastd.toml" "$VIP_PREFIX"
	service_config >>"$LAB_TMP/anycastd.toml"
	LAB_WAIT_UP=1 lab_start_anycastd "$ANYCASTD" "$LAB_TMP/anycastd.toml"
	wait_ntp_clock
	edge_isolate
}
sys_anycastd_stop() {
	lab_stop_anycastd
	[[ $LAB_ANYCASTD_RC == 0 ]] || lab_fail "anycastd exited with $LAB_ANYCASTD_RC"
}
sys_anycastd_pid() { edge_pids "$LAB_ANYCASTD_PID"; }

# anycastd with kind = "dpdk": the same daemon and VIPs, the port in anycastd-dpdk's hands. No
# exception addresses: the generator sends to the edge's MAC and nothing needs ARP.
sys_dpdk_start() {
	((QUEUES == 1)) || lab_fail "the dpdk system polls one queue: run it with BENCH_QUEUES=1"
	[[ -x $DPDK_BIN ]] || lab_fail "missing $DPDK_BIN: build first"
	cat >"$LAB_TMP/anycastd-dpdk.toml" <<-EOF
		[datapath]
		kind = "dpdk"

		[datapath.dpdk]
		eal_args = ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix=acbench$$", "--vdev=net_af_xdp0,iface=$LAB_EDGE_IF"]
		lcores = "0-1"
		exception = "tap"
		exception_interface = "acb0"
		binary = "$DPDK_BIN"

		[anycast]
		addresses = ["$VIP_PREFIX"]

		[services.echo]
		port = 7

		[control]
		socket = "$LAB_TMP/anycastd.sock"
	EOF
	service_config >>"$LAB_TMP/anycastd-dpdk.toml"
	LAB_WAIT_UP=1 lab_start_anycastd "$ANYCASTD" "$LAB_TMP/anycastd-dpdk.toml"
	wait_ntp_clock
}
sys_dpdk_stop() { sys_anycastd_stop; }
# The poll-mode process is where the work is done.
sys_dpdk_pid() { edge_pids "$(pgrep -P "$LAB_ANYCASTD_PID" -x anycastd-dpdk || echo "")"; }

# vip_local_route add|del: the VIP prefix as local on the edge's loopback, for the systems that
# answer from sockets (the kernel then delivers the VIPs' traffic to them).
vip_local_route() {
	if [[ $FAMILY == 4 ]]; then
		ip -n "$LAB_EDGE" route "$1" local "$VIP_PREFIX" dev lo
	else
		ip -n "$LAB_EDGE" -6 route "$1" local "$VIP_PREFIX" dev lo
	fi
}

# The recvmmsg/sendmmsg server with SO_REUSEPORT per core, answering from the VIPs on the
# loopback. The edge runs a pass-through XDP program: veth only takes frames sent by XDP
# (the generator's) when the receiving side runs one.
SOCK_PID=""
sys_socket_start() {
	[[ $SERVICE == echo ]] || lab_fail "the socket server answers echo only"
	edge_xdp obj "$PASS_OBJ" sec xdp
	vip_local_route add
	# ip netns exec itself (not the lab_edge function, which would fork a subshell) so that
	# $! is the server's own pid: its CPU time is measured and it gets the SIGTERM.
	ip netns exec "$LAB_EDGE" "$SOCKSERVER" --port 7 --family "$FAMILY" --threads "$SERVER_THREADS" \
		--first-cpu "$((ISOLATE ? EDGE_CPU : 0))" >"$LAB_TMP/socket.log" 2>&1 &
	SOCK_PID=$!
	LAB_PIDS+=("$SOCK_PID")
	local deadline=$((SECONDS + 10))
	until grep -qs listening "$LAB_TMP/socket.log"; do
		kill -0 "$SOCK_PID" 2>/dev/null || lab_fail "udp_echo_server exited: $(cat "$LAB_TMP/socket.log")"
		((SECONDS < deadline)) || lab_fail "udp_echo_server did not start within 10 s"
		sleep 0.1
	done
	edge_isolate
}
sys_socket_stop() {
	kill -TERM "$SOCK_PID"
	wait "$SOCK_PID" || lab_fail "udp_echo_server exited with $?: $(cat "$LAB_TMP/socket.log")"
	SOCK_PID=""
	vip_local_route del
	edge_xdp off
}
sys_socket_pid() { edge_pids "$SOCK_PID"; }

# chronyd serving NTP itself from the VIPs on the loopback (one thread, no rate limit: chronyd
# limits only with a ratelimit directive). The pass-through program on the edge, as for socket.
PEER_CHRONYD_PID=""
sys_chronyd_start() {
	[[ $SERVICE == ntp ]] || lab_fail "chronyd answers NTP: run it with BENCH_SERVICE=ntp"
	command -v chronyd >/dev/null || lab_fail "chronyd is missing (scripts/deps.sh installs chrony)"
	edge_xdp obj "$PASS_OBJ" sec xdp
	vip_local_route add
	start_chronyd peer "port 123" "allow all" "clientloglimit 1048576"
	PEER_CHRONYD_PID=$CHRONYD_PID
	edge_isolate
}
sys_chronyd_stop() {
	kill -TERM "$PEER_CHRONYD_PID"
	wait "$PEER_CHRONYD_PID" 2>/dev/null || true
	PEER_CHRONYD_PID=""
	vip_local_route del
	edge_xdp off
}
sys_chronyd_pid() { edge_pids "$PEER_CHRONYD_PID"; }

# --- DNS ---
ZONE_FILE="$SRC/tests/lab/dns/example.net.zone"

# anycastd's DNS service on the bench zone, RRL off (service_config's, for BENCH_SERVICE=dns).
dns_config() {
	cat <<-EOF

		[services.dns]
		port = 53
		slow_path = true

		[[services.dns.zone]]
		origin = "example.net"
		file = "$ZONE_FILE"

		[services.dns.rrl]
		rate = 0
	EOF
}

# The VIPs the generator sends to, one a line.
vip_list() {
	/usr/bin/python3 -c 'import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
for i in range(int(sys.argv[2])): print(a + i)' "$VIP_FIRST" "$NVIPS"
}

# The peers run in the edge namespace, as anycastd does, pinned to the edge CPU when isolated
# (threads and children inherit the mask).
peer_cpus() { if ((ISOLATE)); then echo "$EDGE_CPU"; else echo "0-$EDGE_CPU"; fi; }

# local_vips add|del: the VIP prefix routed to the edge's loopback, for servers on sockets.
local_vips() {
	if [[ $FAMILY == 4 ]]; then
		ip -n "$LAB_EDGE" route "$1" local "$VIP_PREFIX" dev lo
	else
		ip -n "$LAB_EDGE" -6 route "$1" local "$VIP_PREFIX" dev lo
	fi
}

# wait_dns WHAT PID: until the server answers www.example.net. A on the first VIP from inside the
# edge namespace (through its loopback), or fail naming the log.
wait_dns() {
	local deadline=$((SECONDS + 15))
	until [[ $(lab_edge dig +short +tries=1 +timeout=1 "@$VIP_FIRST" www.example.net A 2>/dev/null) == *192.0.2.1* ]]; do
		kill -0 "$2" 2>/dev/null || lab_fail "$1 exited: $(cat "$LAB_TMP/$1.log" 2>/dev/null)"
		((SECONDS < deadline)) || lab_fail "$1 did not answer www.example.net. A on $VIP_FIRST within 15 s: $(tail -20 "$LAB_TMP/$1.log")"
		sleep 0.2
	done
}

# knot_conf sockets|xdp LOG: knotd's config for the bench zone. Sockets: one listener per VIP, as
# many UDP workers as the socket server's threads. XDP: the edge veth in Knot's XDP mode and no
# socket listener, so that every answer counted is an XDP one. Knot's RRL is a module (mod-rrl)
# and stays unloaded: off.
knot_conf() {
	mkdir -p "$LAB_TMP/knot/run" "$LAB_TMP/knot/db"
	{
		echo "server:"
		echo "    rundir: \"$LAB_TMP/knot/run\""
		echo "    user: root:root"
		echo "    udp-workers: $SERVER_THREADS"
		echo "    tcp-workers: 1"
		echo "    background-workers: 1"
		if [[ $1 == xdp ]]; then
			echo "xdp:"
			echo "    listen: $LAB_EDGE_IF@53"
			echo "    udp: on"
		else
			echo "    listen: [ $(vip_list | sed 's/.*/"&@53"/' | paste -sd, -) ]"
		fi
		echo "database:"
		echo "    storage: \"$LAB_TMP/knot/db\""
		echo "log:"
		echo "  - target: \"$LAB_TMP/$2.log\""
		echo "    any: info"
		echo "zone:"
		echo "  - domain: example.net"
		echo "    file: \"$ZONE_FILE\""
		echo "    zonefile-sync: -1"
		echo "    zonefile-load: whole"
		echo "    journal-content: none"
	} >"$LAB_TMP/knot.conf"
}

# knotd on sockets: the VIPs on the loopback, a pass-through program on the veth (veth takes the
# generator's XDP frames only when the receiving side runs XDP), as for the socket server.
KNOT_PID=""
sys_knotd_start() {
	[[ $SERVICE == dns ]] || lab_fail "knotd serves DNS: run it with BENCH_SERVICE=dns"
	edge_xdp obj "$PASS_OBJ" sec xdp
	local_vips add
	knot_conf sockets knotd
	: >"$LAB_TMP/knotd.log"
	ip netns exec "$LAB_EDGE" taskset -c "$(peer_cpus)" knotd -c "$LAB_TMP/knot.conf" >>"$LAB_TMP/knotd.log" 2>&1 &
	KNOT_PID=$!
	LAB_PIDS+=("$KNOT_PID")
	wait_dns knotd "$KNOT_PID"
	edge_isolate
}
sys_knotd_stop() {
	kill -TERM "$KNOT_PID"
	wait "$KNOT_PID" || lab_fail "knotd exited with $?: $(tail -20 "$LAB_TMP/knotd.log")"
	KNOT_PID=""
	local_vips del
	edge_xdp off
}
sys_knotd_pid() { edge_pids "$KNOT_PID"; }

# knotd in its XDP mode: Knot attaches its own program to the edge veth and answers from AF_XDP
# sockets. It opens one per queue as the interface's "combined" channels count them, and veth
# counts its queues as RX and TX channels, none combined: Knot takes one queue, hence
# BENCH_QUEUES=1 (frames on another queue would go past it to the kernel, unanswered).
sys_knotd_xdp_start() {
	[[ $SERVICE == dns ]] || lab_fail "knotd serves DNS: run it with BENCH_SERVICE=dns"
	((QUEUES == 1)) || lab_fail "knotd_xdp answers on one veth queue (see above): run it with BENCH_QUEUES=1"
	knot_conf xdp knotd_xdp
	: >"$LAB_TMP/knotd_xdp.log"
	ip netns exec "$LAB_EDGE" taskset -c "$(peer_cpus)" knotd -c "$LAB_TMP/knot.conf" >>"$LAB_TMP/knotd_xdp.log" 2>&1 &
	KNOT_PID=$!
	LAB_PIDS+=("$KNOT_PID")
	local deadline=$((SECONDS + 15))
	until grep -q "initialized XDP interface $LAB_EDGE_IF" "$LAB_TMP/knotd_xdp.log" &&
		grep -q "example.net.\] loaded" "$LAB_TMP/knotd_xdp.log"; do
		# A kernel that refuses the helper Knot's XDP program calls (seen 2026-12 on the
		# project's machines): the peer cannot run here, which is no failure of the lab. Any
		# other failure to start is one.
		if grep -q "bpf_xdp_adjust_meta" "$LAB_TMP/knotd_xdp.log"; then
			kill -TERM "$KNOT_PID" 2>/dev/null || true
			wait "$KNOT_PID" 2>/dev/null || true
			KNOT_PID=""
			edge_xdp off
			SKIP_REASON="the kernel refuses bpf_xdp_adjust_meta, which Knot's XDP program calls: $(grep -m1 bpf_xdp_adjust_meta "$LAB_TMP/knotd_xdp.log")"
			return 0
		fi
		kill -0 "$KNOT_PID" 2>/dev/null || lab_fail "knotd (XDP) exited: $(tail -20 "$LAB_TMP/knotd_xdp.log")"
		((SECONDS < deadline)) || lab_fail "knotd (XDP) did not set up $LAB_EDGE_IF and load the zone within 15 s: $(tail -20 "$LAB_TMP/knotd_xdp.log")"
		sleep 0.1
	done
	lab_has_xdp "$LAB_EDGE" "$LAB_EDGE_IF" || lab_fail "knotd (XDP) left no program on $LAB_EDGE_IF"
	edge_isolate
}
sys_knotd_xdp_stop() {
	kill -TERM "$KNOT_PID"
	wait "$KNOT_PID" || lab_fail "knotd exited with $?: $(tail -20 "$LAB_TMP/knotd_xdp.log")"
	KNOT_PID=""
	# knotd leaves its program on the interface when it exits
	edge_xdp off
}
sys_knotd_xdp_pid() { edge_pids "$KNOT_PID"; }

# nsd on sockets, one server process per socket-server thread (SO_REUSEPORT), RRL off.
NSD_PID=""
sys_nsd_start() {
	[[ $SERVICE == dns ]] || lab_fail "nsd serves DNS: run it with BENCH_SERVICE=dns"
	edge_xdp obj "$PASS_OBJ" sec xdp
	local_vips add
	mkdir -p "$LAB_TMP/nsd"
	{
		echo "server:"
		vip_list | sed 's/.*/    ip-address: &/'
		echo "    ip-freebind: yes"
		echo "    port: 53"
		echo "    server-count: $SERVER_THREADS"
		echo "    reuseport: yes"
		echo "    username: \"\""
		echo "    chroot: \"\""
		echo "    database: \"\""
		echo "    zonelistfile: \"$LAB_TMP/nsd/zone.list\""
		echo "    xfrdfile: \"$LAB_TMP/nsd/xfrd.state\""
		echo "    xfrdir: \"$LAB_TMP/nsd\""
		echo "    pidfile: \"$LAB_TMP/nsd/nsd.pid\""
		echo "    logfile: \"$LAB_TMP/nsd.log\""
		echo "    rrl-ratelimit: 0"
		echo "    rrl-whitelist-ratelimit: 0"
		echo "remote-control:"
		echo "    control-enable: no"
		echo "zone:"
		echo "    name: example.net"
		echo "    zonefile: \"$ZONE_FILE\""
	} >"$LAB_TMP/nsd.conf"
	ip netns exec "$LAB_EDGE" taskset -c "$(peer_cpus)" nsd -d -c "$LAB_TMP/nsd.conf" >>"$LAB_TMP/nsd.log" 2>&1 &
	NSD_PID=$!
	LAB_PIDS+=("$NSD_PID")
	wait_dns nsd "$NSD_PID"
	edge_isolate
}
sys_nsd_stop() {
	kill -TERM "$NSD_PID"
	wait "$NSD_PID" || lab_fail "nsd exited with $?: $(tail -20 "$LAB_TMP/nsd.log")"
	NSD_PID=""
	local_vips del
	edge_xdp off
}
# nsd's processes: the one started becomes xfrd, its child main forks the servers
sys_nsd_pid() {
	edge_pids "$(ps -eo pid=,ppid= | awk -v root="$NSD_PID" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q in parent && q != root) q = parent[q]
			if (q == root) { printf "%s%s", sep, p; sep = "," } } }')"
}
# --- end DNS ---

# --- measurements -------------------------------------------------------------------------
# measure SYSTEM KIND RATE RUN [loadgen args...]: one loadgen run; appends a line to results.jsonl.
measure() {
	local sys=$1 kind=$2 rate=$3 run=$4
	shift 4
	local pid json="$LAB_TMP/run.json" args=()
	pid=$("sys_${sys}_pid")
	[[ $pid != 0 ]] && args+=(--cpu-pid "$pid")
	[[ $rate != 0 ]] && args+=(--rate "$rate")
	# --- DNS: Knot's XDP mode sends IPv4 answers without a UDP checksum (RFC 768 allows it) ---
	[[ $sys == knotd_xdp ]] && args+=(--accept-no-checksum)
	lab_client "$LOADGEN" --engine "$ENGINE" --dev "$LAB_CLIENT_IF" --dst-mac "$EDGE_MAC" --service "$SERVICE" --port "$PORT" \
		--family "$FAMILY" --size "$SIZE" \
		--vip "$VIP_FIRST" --vip-count "$NVIPS" --src "$SRC_FIRST" --src-count 200 \
		--threads "$THREADS" --duration "$DURATION" --json "$json" "${args[@]}" "$@" >"$LAB_TMP/run.txt" ||
		lab_fail "loadgen failed against $sys: $(cat "$LAB_TMP/run.txt")"
	lab_log "$sys $kind rate=$rate run=$run: $(cat "$LAB_TMP/run.txt")"
	printf '{"system": "%s", "kind": "%s", "target_pps": %s, "run": %s, "result": %s}\n' \
		"$sys" "$kind" "$rate" "$run" "$(cat "$json")" >>"$OUT/results.jsonl"
}

# --- trafgen: the cross-check by a generator the project did not write ----------------------
# loadgen's echo requests written in trafgen's own language, apart from loadgen's template code:
# the same MACs, sources (the last byte over 1..200), VIPs, source ports 10000-10999 and frame
# size; trafgen sums the checksums.
trafgen_config() {
	cat <<-EOF
		{
		  eth(da=$EDGE_MAC, sa=$CLIENT_MAC, type=0x0800),
		  ipv4(saddr=$SRC_FIRST, saddr[3]=dinc(1, 200), daddr=$VIP_FIRST, daddr[3]=dinc(1, $NVIPS), ttl=64),
		  udp(sport=dinc(10000, 10999), dport=$PORT),
		  fill('a', $((SIZE - 42)))
		}
	EOF
}

# measure_trafgen SYSTEM KIND RATE RUN [COUNT THREADS]: trafgen sends (COUNT frames or for
# DURATION seconds, THREADS processes; paced at RATE unless 0, which its per-frame gap holds only
# up to some 40 k/s here, so full runs take it unpaced) while loadgen's receiver counts the
# answers; appends a line for "SYSTEM (trafgen)" to results.jsonl. trafgen runs with
# --no-sock-mem and -Q (it would raise the host's socket memory sysctls and move IRQ
# affinities), and under a read-only /proc/sys of its own all the same.
measure_trafgen() {
	local sys=$1 kind=$2 rate=$3 run=$4 count=${5:-0} threads=${6:-$THREADS}
	local json="$LAB_TMP/run.json" args=() t0 t1 rc=0 recv_pid deadline
	# Paced by the gap between frames of each process: trafgen 0.6.8's --rate does not pace on a
	# network device (seen here: 3000 frames "at 5000pps" left in 50 ms).
	[[ $rate != 0 ]] && args+=(--gap "$((threads * 1000000000 / rate))ns")
	[[ $count != 0 ]] && args+=(--num "$count")
	trafgen_config >"$LAB_TMP/trafgen.cfg"
	: >"$LAB_TMP/recv.err"
	ip netns exec "$LAB_CLIENT" "$LOADGEN" --recv-only --dev "$LAB_CLIENT_IF" --dst-mac "$EDGE_MAC" --service echo \
		--port "$PORT" --size "$SIZE" --sport 10000 --sport-count 1000 --duration "$((DURATION + 2))" \
		--json "$json" >"$LAB_TMP/recv.txt" 2>"$LAB_TMP/recv.err" &
	recv_pid=$!
	LAB_PIDS+=("$recv_pid")
	deadline=$((SECONDS + 10))
	until grep -q "counting answers" "$LAB_TMP/recv.err"; do
		kill -0 "$recv_pid" 2>/dev/null || lab_fail "loadgen's receiver exited: $(cat "$LAB_TMP/recv.err")"
		((SECONDS < deadline)) || lab_fail "loadgen's receiver not ready within 10 s"
		sleep 0.05
	done
	t0=$(date +%s.%N)
	lab_client unshare --mount --propagation private sh -c \
		'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$@"' trafgen \
		timeout -s INT "$DURATION" trafgen --no-sock-mem -Q -C -o "$LAB_CLIENT_IF" -i "$LAB_TMP/trafgen.cfg" \
		-P "$threads" "${args[@]}" >"$LAB_TMP/trafgen.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	((rc == 0 || rc == 124)) || lab_fail "trafgen failed against $sys ($rc): $(cat "$LAB_TMP/trafgen.out")"
	kill -INT "$recv_pid" # its window ends; it waits its settle time for answers in flight
	wait "$recv_pid" || lab_fail "loadgen's receiver failed: $(cat "$LAB_TMP/recv.err" "$LAB_TMP/recv.txt")"
	/usr/bin/python3 - "$json" "$LAB_TMP/trafgen.out" "$t0" "$t1" <<-'EOF' >"$LAB_TMP/run.tg.json"
		import json, re, sys
		r = json.load(open(sys.argv[1]))
		out = open(sys.argv[2]).read()
		m = re.findall(r"(\d+) packets outgoing", out)
		if not m:
		    sys.exit("trafgen printed no 'packets outgoing': " + out)
		sent, seconds = int(m[-1]), float(sys.argv[4]) - float(sys.argv[3])
		r.update(engine="trafgen", xsk_mode="", sent=sent, seconds=seconds, offered_pps=sent / seconds,
		         answered_pps=r["answered"] / seconds, loss=1 - r["answered"] / sent if sent else 0)
		print(json.dumps(r))
	EOF
	lab_log "$sys (trafgen) $kind rate=$rate run=$run: $(/usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join(f"{k}={r[k]:.0f}" if isinstance(r[k], float) else f"{k}={r[k]}" for k in ("sent", "answered", "offered_pps", "answered_pps", "bad")))' "$LAB_TMP/run.tg.json")"
	printf '{"system": "%s (trafgen)", "kind": "%s", "target_pps": %s, "run": %s, "result": %s}\n' \
		"$sys" "$kind" "$rate" "$run" "$(cat "$LAB_TMP/run.tg.json")" >>"$OUT/results.jsonl"
}

# generate GEN SYSTEM KIND RATE RUN [COUNT THREADS]: one measurement by either generator.
generate() {
	local gen=$1 sys=$2 kind=$3 rate=$4 run=$5 count=${6:-0} threads=${7:-$THREADS}
	if [[ $gen == trafgen ]]; then
		measure_trafgen "$sys" "$kind" "$rate" "$run" "$count" "$threads"
	elif ((count)); then
		measure "$sys" "$kind" "$rate" "$run" --count "$count" --threads "$threads"
	else
		measure "$sys" "$kind" "$rate" "$run"
	fi
}

# smoke_check SYSTEM: the last run answered correctly: every request for anycastd's own systems;
# a peer server on sockets (chronyd, knotd, nsd, ...) may lose a few to its socket buffer when
# the machine is loaded (seen: chronyd 2959 of 3000 beside a sanitizer build), which says
# nothing of its answers: at least 90 % of them, none bad.
smoke_check() {
	local line ours=0
	line=$(tail -n 1 "$OUT/results.jsonl")
	case ${1% (trafgen)} in anycastd | dpdk | floor) ours=1 ;; drop) ours=2 ;; esac
	/usr/bin/python3 - "$1" "$line" "$ours" <<-'EOF'
		import json, sys
		r = json.loads(sys.argv[2])["result"]
		ours = sys.argv[3] == "1"
		problems = []
		if r["sent"] != 3000: problems.append(f"sent {r['sent']}, not 3000")
		if sys.argv[3] == "2":  # the drop program answers nothing
		    if r["answered"]: problems.append(f"{r['answered']} answers from a program that drops")
		elif r["answered"] < (r["sent"] if ours else 0.9 * r["sent"]):
		    problems.append(f"answered {r['answered']} of {r['sent']}" + ("" if ours else " (under 90 %)"))
		if r["bad"]: problems.append(f"{r['bad']} bad answers")
		if problems:
		    sys.exit(f"[lab] FAIL: {sys.argv[1]}: " + "; ".join(problems))
		print(f"[lab] ok: {sys.argv[1]} answered {r['answered']} of {r['sent']}, none bad", file=sys.stderr)
	EOF
}

# start_system SYSTEM: its sys_SYSTEM_start. A peer that cannot run on this kernel sets
# SKIP_REASON instead (its own error names what the kernel refused): that is logged and written
# to skipped.txt, the caller goes on to the next system. (Not called in a condition: errexit
# must stay on inside the start functions.)
SKIP_REASON=""
start_system() {
	SKIP_REASON=""
	"sys_$1_start"
	[[ -z $SKIP_REASON ]] && return 0
	lab_log "skip: $1 cannot run on this kernel: $SKIP_REASON"
	echo "$1: $SKIP_REASON" >>"$OUT/skipped.txt"
}

for sys in "${SYSTEMS[@]}"; do
	declare -F "sys_${sys}_start" >/dev/null ||
		lab_fail "unknown system '$sys' in BENCH_SYSTEMS (known: $(declare -F | awk '$3 ~ /^sys_.*_start$/ { sub(/^sys_/, "", $3); sub(/_start$/, "", $3); printf "%s ", $3 }'))"
done
bench_setup
mkdir -p "$OUT"
: >"$OUT/results.jsonl"
: >"$OUT/ntp_clients.txt"
: >"$OUT/skipped.txt"
{
	echo "{\"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\","
	echo " \"cpus\": $(nproc), \"kernel\": \"$(uname -r)\", \"started\": \"$(date -u +%FT%TZ)\","
	echo " \"load_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"service\": \"$SERVICE\", \"family\": $FAMILY, \"frame_len\": $SIZE,"
	echo " \"vips\": $NVIPS, \"engine\": \"$ENGINE\", \"threads\": $THREADS, \"queues\": $QUEUES, \"duration_s\": $DURATION, \"repeats\": $REPEATS,"
	echo " \"isolated\": $ISOLATE}"
} >"$OUT/machine.json"

if ((SMOKE)); then
	for sys in "${SYSTEMS[@]}"; do
		start_system "$sys"
		[[ -z $SKIP_REASON ]] || continue
		for gen in "${GENERATORS[@]}"; do
			generate "$gen" "$sys" smoke "${RATES[0]}" 0 "$SMOKE_COUNT" 1
			smoke_check "$sys$([[ $gen == trafgen ]] && echo " (trafgen)")"
		done
		ntp_clients "$sys"
		"sys_${sys}_stop"
	done
	lab_log "smoke run passed: every system that runs here answered correctly"
	exit 0
fi

# Stepped offered load, one system at a time, then saturation interleaved across systems.
for sys in "${SYSTEMS[@]}"; do
	start_system "$sys"
	[[ -z $SKIP_REASON ]] || continue
	# trafgen at saturation only: its pacing (a gap slept per frame) tops out near 40 k/s here.
	for rate in "${RATES[@]}"; do measure "$sys" step "$rate" 0; done
	ntp_clients "$sys"
	"sys_${sys}_stop"
done
for run in $(seq 1 "$REPEATS"); do
	for sys in "${SYSTEMS[@]}"; do
		start_system "$sys"
		[[ -z $SKIP_REASON ]] || continue
		for gen in "${GENERATORS[@]}"; do generate "$gen" "$sys" saturation 0 "$run"; done
		"sys_${sys}_stop"
	done
done
sed -i "s/}\$/, \"load_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"finished\": \"$(date -u +%FT%TZ)\"}/" \
	"$OUT/machine.json"
/usr/bin/python3 "$REPORT" "$OUT"
