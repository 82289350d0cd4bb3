# shellcheck shell=bash
# The namespace lab, sourced by the demo and the integration tests.
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
#   lab_setup XDP_PASS_OBJECT          # namespaces, veth, addresses, xdp pass on the client
#   lab_route_vip 192.0.2.10/32        # client -> edge route per VIP or prefix
#   lab_write_config FILE ADDR...      # anycastd config for the edge
#   lab_start_anycastd BIN FILE        # under ip netns exec edge; waits for "anycastd started"
#   lab_client CMD...  / lab_edge CMD...
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
# Roles: client and edge here, client, router, edge1, edge2 in the BGP labs (bgp/topology.sh),
# knot in the DNS lab.
# A zombie counts as gone: a script killed a moment ago may not have been reaped yet.
_lab_pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

_lab_reap_stale() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}' | grep -E '^aclab-[0-9]+-[0-9]+-(client|edge|router|edge[0-9]+|knot)$' || true); do
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
	# A frame sent with XDP_TX on veth is dropped unless the peer runs XDP.
	ip -n "$LAB_CLIENT" link set dev "$LAB_CLIENT_IF" xdpdrv obj "$xdp_pass" sec xdp

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

# lab_write_config FILE ADDRESS... : an anycastd config for the edge, echo on port 7, open to all.
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

		[anycast]
		addresses = [$list]
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

# lab_snmp NS PROTO FIELD: a counter from /proc/net/snmp (Udp, Tcp, Ip ...) in namespace NS.
lab_snmp() {
	ip netns exec "$1" cat /proc/net/snmp | awk -v p="$2:" -v f="$3" '
		$1 == p && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == p && hdr { if (f in col) print $col[f]; else print "missing"; exit }'
}

# lab_snmp6 NS FIELD: a counter from /proc/net/snmp6 (Udp6InDatagrams ...) in namespace NS.
lab_snmp6() {
	ip netns exec "$1" cat /proc/net/snmp6 | awk -v f="$2" '$1 == f { print $2; found = 1 } END { if (!found) print "missing" }'
}

# lab_udp_counters NS VAR: sets the associative array VAR (declare -A first) to the kernel's UDP
# counters in namespace NS: in4 noports4 csum4 in6 noports6 csum6 (Udp InDatagrams, NoPorts,
# InCsumErrors; Udp6InDatagrams, Udp6NoPorts, Udp6InCsumErrors).
lab_udp_counters() {
	local -n _c=$2
	_c["in4"]=$(lab_snmp "$1" Udp InDatagrams)
	_c["noports4"]=$(lab_snmp "$1" Udp NoPorts)
	_c["csum4"]=$(lab_snmp "$1" Udp InCsumErrors)
	_c["in6"]=$(lab_snmp6 "$1" Udp6InDatagrams)
	_c["noports6"]=$(lab_snmp6 "$1" Udp6NoPorts)
	_c["csum6"]=$(lab_snmp6 "$1" Udp6InCsumErrors)
	local k
	for k in "${!_c[@]}"; do
		[[ ${_c[$k]} =~ ^[0-9]+$ ]] || lab_fail "could not read UDP counter $k in $1: '${_c[$k]}'"
	done
}

# lab_echo ARGS...: the UDP echo client from the client namespace; prints its result line.
lab_echo() {
	lab_client "$LAB_PYTHON" "$LAB_DIR/udp_echo.py" "$@"
}

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

# lab_field LINE KEY: the value of KEY=... in a result line of udp_echo.py / tcp_probe.py.
lab_field() {
	local kv
	for kv in $1; do
		[[ $kv == "$2="* ]] && { echo "${kv#*=}"; return 0; }
	done
	echo missing
}

# lab_has_xdp NS DEV: true when a program is attached to DEV.
lab_has_xdp() {
	local link
	link=$(ip -n "$1" link show dev "$2") || return 1
	grep -q -E '\bxdp(generic|drv|offload)?\b|prog/xdp' <<<"$link"
}

# lab_expect_eq WHAT EXPECTED SEEN: fails the script, naming both, when they differ.
lab_expect_eq() {
	if [[ "$2" != "$3" ]]; then
		lab_dump_anycastd_log
		lab_fail "$1: expected $2, seen $3"
	fi
	lab_log "ok: $1 ($3)"
}

# lab_expect_echo WHAT EXPECTED_ANSWERED ECHO_ARGS...: runs the echo client and checks that
# exactly EXPECTED_ANSWERED datagrams were echoed byte for byte, with nothing wrong or refused.
lab_expect_echo() {
	local what=$1 want=$2
	shift 2
	local out
	out=$(lab_echo "$@" --expect any) || lab_fail "$what: echo client failed: $out"
	lab_log "$what: $out"
	local seen
	seen="answered=$(lab_field "$out" answered) wrong=$(lab_field "$out" wrong) refused=$(lab_field "$out" refused)"
	lab_expect_eq "$what" "answered=$want wrong=0 refused=0" "$seen"
}

# jq-like access to STATUS_JSON (what `anycastctl status --json` printed): json_get 'EXPR' with d
# the parsed reply, g(name) a group, check(group, prefix) a group's check.
json_get() {
	/usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
def g(name):
    return next(x for x in d["status"]["groups"] if x["name"] == name)
def check(group, prefix):
    return next(c for c in g(group)["checks"] if c["name"].startswith(prefix))
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$1" <<<"$STATUS_JSON"
}

# Background echo streams from the client (ctl_lab.py stream, one datagram every 20 ms), for what
# must lose nothing: start_stream NAME HOST, then stop_probe NAME; the summary is in $LAB_TMP/NAME.out.
wait_file() {
	local deadline=$((SECONDS + 10))
	until [[ -e $1 ]]; do
		((SECONDS >= deadline)) && lab_fail "expected $1 to appear within 10 s"
		sleep 0.02
	done
}
start_stream() { # start_stream NAME HOST
	rm -f "$LAB_TMP/$1.ready"
	# not through the lab_client function: $! must be the probe itself (ip netns exec execs it)
	ip netns exec "$LAB_CLIENT" "$LAB_PYTHON" "$LAB_DIR/ctl_lab.py" stream "$2" 7 --interval 0.02 --timeout 0.5 \
		--records "$LAB_TMP/$1.records" --ready-file "$LAB_TMP/$1.ready" >"$LAB_TMP/$1.out" &
	LAB_PIDS+=("$!")
	eval "PID_$1=$!"
	wait_file "$LAB_TMP/$1.ready"
}
# start_ctl_stream NAME SOCKET|URL [NS]: status requests over anycastd's control socket (or GETs of
# an http:// metrics URL, from namespace NS) in a tight loop, a fresh connection each and no retry
# (ctl_lab.py ctl-stream), until stop_probe NAME; expect_ctl_stream NAME WHAT then fails the lab
# if any client was refused, reset, answered wrongly or not within 10 s.
start_ctl_stream() {
	rm -f "$LAB_TMP/$1.ready"
	local in_ns=()
	[[ -n ${3:-} ]] && in_ns=(ip netns exec "$3")
	"${in_ns[@]}" "$LAB_PYTHON" "$LAB_DIR/ctl_lab.py" ctl-stream "$2" --ready-file "$LAB_TMP/$1.ready" >"$LAB_TMP/$1.out" &
	LAB_PIDS+=("$!")
	eval "PID_$1=$!"
	wait_file "$LAB_TMP/$1.ready"
}
expect_ctl_stream() {
	local out
	out=$(<"$LAB_TMP/$1.out")
	lab_log "$2: clients: $out"
	lab_expect_eq "$2: clients refused/reset/bad/slow" "refused=0 reset=0 bad=0 slow=0" \
		"refused=$(lab_field "$out" refused) reset=$(lab_field "$out" reset) bad=$(lab_field "$out" bad) slow=$(lab_field "$out" slow)"
	(($(lab_field "$out" ok) > 0)) || lab_fail "$2: no request was answered: $out"
}
stop_probe() { # stop_probe NAME: SIGTERM, wait; its summary line is then in $LAB_TMP/NAME.out
	local pid_var="PID_$1" rc=0
	kill -TERM "${!pid_var}" 2>/dev/null || true
	wait "${!pid_var}" || rc=$?
	((rc == 0)) || lab_fail "probe $1 failed (exit $rc): $(cat "$LAB_TMP/$1.out")"
}

# alias_present ADDR: whether ADDR is on the edge's loopback (an alias anycastd added, or not).
# (ip's output is read whole first: with pipefail, `ip | grep -q` fails when grep quits early and
# ip, which flushes per address, gets SIGPIPE.)
alias_present() {
	local fam=inet addrs
	[[ $1 == *:* ]] && fam=inet6
	addrs=$(ip -n "$LAB_EDGE" -o addr show dev lo)
	grep -qE "[[:space:]]$fam $1/" <<<"$addrs"
}
