# shellcheck shell=bash
# shellcheck disable=SC2034 # a library: LAB_DIR, LAB_PYTHON, LAB_ANYCASTD_RC ... are for its users
# The namespace lab, sourced by the demo, the integration tests and the benchmarks: the lab's
# namespaces, anycastd's configs and anycastd's life in it. What is sent through the lab and
# checked (counters, the echo client, probe streams, assertions) is in probes.sh, next to it.
#
# Why two files: this one builds and tears down (namespaces, veth, routes, configs, starting and
# stopping anycastd and the servers the lab hosts, the cleanup trap); probes.sh only looks and
# asserts, on top of it. A script sources this file, then probes.sh if it calls any of its
# functions (probes.sh uses lab_log, lab_fail, lab_dump_anycastd_log and the LAB_* variables
# from here, so it comes second); nothing here calls into probes.sh.
#
#   client (veth-client) <--- veth pair ---> (veth-edge) edge
#   198.51.100.1/24                          198.51.100.2/24
#   2001:db8:ffff::1/64                      2001:db8:ffff::2/64
#
# Two namespaces with unique names (aclab-<pid>-<random>-client/-edge), documentation addresses
# only, no default route: the client routes only the VIPs (lab_route_vip) to the edge. Nothing is
# created in, or attached to, the host's namespace: every command runs under `ip -n` or
# `ip netns exec`. lab_setup installs a trap that kills what the lab started and deletes the
# namespaces on EXIT, INT and TERM, whichever step failed.
#
# Use:
#   source tests/lab/lab.sh
#   source tests/lab/probes.sh         # if the script probes or asserts
#   lab_setup XDP_PASS_OBJECT          # namespaces, veth (MTU $LAB_MTU if set), addresses, xdp pass on the client
#   lab_route_vip 192.0.2.10/32        # client -> edge route per VIP or prefix
#   lab_write_config FILE ADDR...      # anycastd config for the edge
#   lab_start_anycastd BIN FILE        # under ip netns exec edge; waits for "anycastd started"
#   lab_client CMD...  / lab_edge CMD...
#   lab_bg NS CMD...                   # a server in the lab (socat, knotd ...), killed at cleanup
#   lab_wait_listen NS PORT            # until that server listens
#   lab_stop_anycastd                  # SIGTERM, waits, sets LAB_ANYCASTD_RC

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_PYTHON=/usr/bin/python3

LAB_CLIENT_IF=veth-client
LAB_EDGE_IF=veth-edge
LAB_CLIENT_V4=198.51.100.1
LAB_EDGE_V4=198.51.100.2
LAB_CLIENT_V6=2001:db8:ffff::1
LAB_EDGE_V6=2001:db8:ffff::2

LAB_ANYCASTD_PID=""
LAB_ANYCASTD_RC=""
LAB_ANYCASTD_LOG=""
LAB_PIDS=()          # background processes the lab started (servers), killed at cleanup
LAB_CLEANUP_HOOKS=() # extra commands for the caller, run first at cleanup
LAB_TMP=""
LAB_CLIENT=""
LAB_EDGE=""

lab_log() { echo "[lab] $*" >&2; }

lab_fail() {
	echo "[lab] FAIL: $*" >&2
	exit 1
}

lab_require_root() {
	if [[ $EUID -ne 0 ]]; then
		echo "[lab] needs root (network namespaces, XDP): run it as root" >&2
		exit 1
	fi
}

lab_client() { ip netns exec "$LAB_CLIENT" "$@"; }
lab_edge() { ip netns exec "$LAB_EDGE" "$@"; }

# Kills every process left in namespace $1 (only the lab's own processes live there), then
# deletes it.
_lab_del_ns() {
	local ns=$1 pid
	ip netns list | awk '{print $1}' | grep -qxF -- "$ns" || return 0
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[[ -z "$(ip netns pids "$ns" 2>/dev/null)" ]] && break
		sleep 0.2
	done
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
}

# Labs whose script was killed without running its trap (a CTest timeout sends SIGKILL) leave
# namespaces behind; their names carry the owner's pid, so remove those whose owner is gone.
# Roles: client and edge here (client1, client2: a lab with two uplinks), client, router, edge1,
# edge2 in the BGP labs (bgp/topology.sh),
# knot in the DNS labs, resolver in lab.dnssec.
# A zombie counts as gone: a script killed a moment ago may not have been reaped yet.
_lab_pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

_lab_reap_stale() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}' | grep -E '^aclab-[0-9]+-[0-9]+-(client[0-9]*|edge|router|edge[0-9]+|knot|resolver)$' || true); do
		pid=${ns#aclab-}
		pid=${pid%%-*}
		if ! _lab_pid_alive "$pid"; then
			lab_log "removing stale namespace $ns (owner $pid is gone)"
			_lab_del_ns "$ns"
		fi
	done
}

lab_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	local hook pid
	for hook in "${LAB_CLEANUP_HOOKS[@]}"; do eval "$hook"; done
	if [[ -n "$LAB_ANYCASTD_PID" ]] && kill -0 "$LAB_ANYCASTD_PID" 2>/dev/null; then
		kill -TERM "$LAB_ANYCASTD_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$LAB_ANYCASTD_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$LAB_ANYCASTD_PID" 2>/dev/null
	fi
	for pid in "${LAB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${LAB_PIDS[@]}"; do
		for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$pid" 2>/dev/null
	done
	[[ -n "$LAB_CLIENT" ]] && _lab_del_ns "$LAB_CLIENT"
	[[ -n "$LAB_EDGE" ]] && _lab_del_ns "$LAB_EDGE"
	[[ -n "$LAB_TMP" && -d "$LAB_TMP" ]] && rm -rf "$LAB_TMP"
	exit "$rc"
}

# lab_setup XDP_PASS_OBJECT
lab_setup() {
	local xdp_pass=$1
	lab_require_root
	[[ -r "$xdp_pass" ]] || lab_fail "pass-through XDP object not found: $xdp_pass (build target lab_xdp_pass)"
	_lab_reap_stale

	local id="$$-$RANDOM"
	LAB_CLIENT="aclab-$id-client"
	LAB_EDGE="aclab-$id-edge"
	LAB_TMP="$(mktemp -d /tmp/aclab.XXXXXX)"
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	ip netns add "$LAB_CLIENT"
	ip netns add "$LAB_EDGE"
	local ns
	for ns in "$LAB_CLIENT" "$LAB_EDGE"; do
		# namespace-local: no DAD waits on the veth link-local and global addresses
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done

	# The pair is created inside the client namespace, its peer straight into the edge one.
	ip -n "$LAB_CLIENT" link add "$LAB_CLIENT_IF" type veth peer name "$LAB_EDGE_IF" netns "$LAB_EDGE"

	ip -n "$LAB_CLIENT" addr add "$LAB_CLIENT_V4/24" dev "$LAB_CLIENT_IF"
	ip -n "$LAB_CLIENT" addr add "$LAB_CLIENT_V6/64" dev "$LAB_CLIENT_IF" nodad
	ip -n "$LAB_EDGE" addr add "$LAB_EDGE_V4/24" dev "$LAB_EDGE_IF"
	ip -n "$LAB_EDGE" addr add "$LAB_EDGE_V6/64" dev "$LAB_EDGE_IF" nodad

	# veth TX checksum offload leaves a partial UDP checksum that a reflected frame keeps.
	lab_client ethtool -K "$LAB_CLIENT_IF" tx off >/dev/null
	# LAB_MTU (lab.jumbo: 9000) on both ends before anything is attached: the kernel checks a
	# veth program against the peer's MTU when it attaches.
	if [[ -n ${LAB_MTU:-} ]]; then
		ip -n "$LAB_CLIENT" link set dev "$LAB_CLIENT_IF" mtu "$LAB_MTU"
		ip -n "$LAB_EDGE" link set dev "$LAB_EDGE_IF" mtu "$LAB_MTU"
	fi
	# A frame sent with XDP_TX on veth is dropped unless the peer runs XDP. The frags-aware
	# section, so that the same pass-through attaches at any MTU (a plain `xdp` one is refused
	# when the peer's MTU exceeds a page).
	ip -n "$LAB_CLIENT" link set dev "$LAB_CLIENT_IF" xdpdrv obj "$xdp_pass" sec xdp.frags

	ip -n "$LAB_CLIENT" link set "$LAB_CLIENT_IF" up
	ip -n "$LAB_EDGE" link set "$LAB_EDGE_IF" up
	lab_log "namespaces $LAB_CLIENT and $LAB_EDGE up"
}

# lab_route_vip PREFIX: the client reaches PREFIX through the edge (v4 or v6 by its spelling).
lab_route_vip() {
	if [[ $1 == *:* ]]; then
		ip -n "$LAB_CLIENT" -6 route add "$1" via "$LAB_EDGE_V6" dev "$LAB_CLIENT_IF"
	else
		ip -n "$LAB_CLIENT" route add "$1" via "$LAB_EDGE_V4" dev "$LAB_CLIENT_IF"
	fi
}

# lab_write_config FILE [ADDRESS...] : an anycastd config for the edge, echo on port 7, open to all,
# the control socket $LAB_TMP/anycastd.sock. Without addresses, the caller appends its groups.
lab_write_config() {
	local file=$1
	shift
	local list="" a
	for a in "$@"; do list+="${list:+, }\"$a\""; done
	cat >"$file" <<-EOF
		[datapath]
		kind = "xdp"
		interface = "$LAB_EDGE_IF"
		xdp_mode = "native"

		[anycast]${list:+
		addresses = [$list]}
		loopback = "lo"

		[services.echo]
		port = 7

		[control]
		socket = "$LAB_TMP/anycastd.sock"
	EOF
}

# lab_append_health_route FILE: the [health] and [route] of the labs that watch the datapath
# check and the alias: checks every 500 ms (100 ms while rising or falling), rise 2, fall 1,
# drain 300 ms.
lab_append_health_route() {
	cat >>"$1" <<-EOF

		[health]
		interval_ms = 500
		fast_interval_ms = 100
		rise = 2
		fall = 1

		[[health.check]]
		kind = "datapath"

		[route]
		signal = "alias"
		drain_ms = 300
	EOF
}

# lab_write_dpdk_config FILE DPDK_BINARY ADDRESS... : as lab_write_config, for the DPDK datapath
# on the edge veth through net_af_xdp, with a TAP exception interface that takes the edge's
# addresses (flush them from the veth first: it is DPDK's port now).
lab_write_dpdk_config() {
	local file=$1 binary=$2
	shift 2
	local list="" a
	for a in "$@"; do list+="${list:+, }\"$a\""; done
	cat >"$file" <<-EOF
		[datapath]
		kind = "dpdk"

		[datapath.dpdk]
		eal_args = ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix=aclab$$", "--vdev=net_af_xdp0,iface=$LAB_EDGE_IF"]
		lcores = "0-1"
		exception = "tap"
		exception_interface = "ac0"
		exception_addresses = ["$LAB_EDGE_V4/24", "$LAB_EDGE_V6/64"]
		binary = "$binary"

		[anycast]
		addresses = [$list]

		[services.echo]
		port = 7

		[control]
		socket = "$LAB_TMP/anycastd.sock"
	EOF
}

# lab_start_anycastd BINARY CONFIG [ARGS...]: starts anycastd in the edge namespace, its stderr
# and stdout in $LAB_ANYCASTD_LOG, and waits (up to 30 s) for "anycastd started", then for every
# group to be announced ("-> up") unless LAB_WAIT_UP=0.
lab_start_anycastd() {
	local bin=$1 conf=$2
	shift 2
	[[ -x "$bin" ]] || lab_fail "anycastd binary not found or not executable: $bin"
	LAB_ANYCASTD_LOG="$LAB_TMP/anycastd.log"
	: >"$LAB_ANYCASTD_LOG"
	# ip netns exec execs the binary, so $! is anycastd's own pid.
	ip netns exec "$LAB_EDGE" "$bin" --config "$conf" "$@" >>"$LAB_ANYCASTD_LOG" 2>&1 &
	LAB_ANYCASTD_PID=$!
	local deadline=$((SECONDS + 30))
	until grep -q "anycastd started" "$LAB_ANYCASTD_LOG"; do
		if ! kill -0 "$LAB_ANYCASTD_PID" 2>/dev/null; then
			local rc=0
			wait "$LAB_ANYCASTD_PID" || rc=$?
			LAB_ANYCASTD_PID=""
			lab_dump_anycastd_log
			lab_fail "anycastd exited with code $rc before logging 'anycastd started'"
		fi
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "expected 'anycastd started' in anycastd's log within 30 s, not seen"
		fi
		sleep 0.1
	done
	lab_log "anycastd started (pid $LAB_ANYCASTD_PID)"
	[[ ${LAB_WAIT_UP:-1} == 1 ]] && lab_wait_log "ready -> up" 30
	return 0
}

# lab_wait_log PATTERN [DEADLINE_S]: waits for a line matching PATTERN (grep -E) in anycastd's log.
lab_wait_log() {
	local deadline=$((SECONDS + ${2:-30}))
	until grep -qE "$1" "$LAB_ANYCASTD_LOG"; do
		if ((SECONDS >= deadline)); then
			lab_dump_anycastd_log
			lab_fail "expected '$1' in anycastd's log within ${2:-30} s, not seen"
		fi
		sleep 0.05
	done
}

lab_dump_anycastd_log() {
	[[ -n "$LAB_ANYCASTD_LOG" && -s "$LAB_ANYCASTD_LOG" ]] || return 0
	echo "----- anycastd log -----" >&2
	cat "$LAB_ANYCASTD_LOG" >&2
	echo "------------------------" >&2
}

# lab_stop_anycastd [DEADLINE_S]: SIGTERM, wait for the exit; sets LAB_ANYCASTD_RC ("timeout" if
# it did not exit in time, and then it is killed).
lab_stop_anycastd() {
	local deadline=$((SECONDS + ${1:-20}))
	[[ -n "$LAB_ANYCASTD_PID" ]] || lab_fail "anycastd is not running"
	kill -TERM "$LAB_ANYCASTD_PID" 2>/dev/null || true # already gone: wait reports how
	while kill -0 "$LAB_ANYCASTD_PID" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			kill -KILL "$LAB_ANYCASTD_PID" 2>/dev/null || true
			wait "$LAB_ANYCASTD_PID" 2>/dev/null || true
			LAB_ANYCASTD_PID=""
			LAB_ANYCASTD_RC=timeout
			return 0
		fi
		sleep 0.1
	done
	local rc=0
	wait "$LAB_ANYCASTD_PID" || rc=$?
	LAB_ANYCASTD_PID=""
	LAB_ANYCASTD_RC=$rc
}

# The servers the lab hosts for anycastd (TCP servers on the VIP, knotd, listeners), started
# like anycastd inside a namespace and killed with it at cleanup.

# lab_bg NS CMD...: starts CMD in namespace NS in the background; killed at cleanup.
lab_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	LAB_PIDS+=("$!")
}

# lab_wait_listen NS PORT: waits (up to 10 s) until a TCP socket listens on PORT in NS.
lab_wait_listen() {
	local deadline=$((SECONDS + 10))
	# Read in full before matching: grep -q exiting early would SIGPIPE ss, and pipefail would
	# turn that into "absent".
	until [[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ]]; do
		((SECONDS >= deadline)) && lab_fail "expected a TCP listener on port $2 in $1 within 10 s"
		sleep 0.1
	done
}
