# The edge's chronyd for the labs that serve NTP (sourced after lab.sh and lab_setup): the time
# source anycastd reads over chronyd's command socket, with clock control off (-x) and no NTP port,
# so the host's clock is never touched.
# shellcheck shell=bash

# chronyd refuses a command socket directory that others may enter.
CHRONY_DIR="$LAB_TMP/chrony"
mkdir -m 0750 "$CHRONY_DIR"
CHRONY_SOCK="$CHRONY_DIR/chronyd.sock"
CHRONY_PID=""

# start_chronyd synced|unsynced: the edge's chronyd, clock control off, no NTP port.
start_chronyd() {
	local conf="$CHRONY_DIR/chrony-$1.conf"
	{
		[[ $1 == synced ]] && echo "local stratum 10"
		echo "port 0"
		echo "cmdport 0"
		echo "bindcmdaddress $CHRONY_SOCK"
		echo "pidfile $CHRONY_DIR/chronyd.pid"
	} >"$conf"
	ip netns exec "$LAB_EDGE" chronyd -x -d -u root -f "$conf" >>"$LAB_TMP/chronyd.log" 2>&1 &
	CHRONY_PID=$!
	LAB_PIDS+=("$CHRONY_PID")
	local deadline=$((SECONDS + 10)) want="Normal"
	[[ $1 == unsynced ]] && want="Not synchronised"
	until lab_edge chronyc -h "$CHRONY_SOCK" -c tracking 2>/dev/null | grep -q ",$want\$"; do
		((SECONDS >= deadline)) && lab_fail "chronyd ($1) did not report '$want' within 10 s: $(cat "$LAB_TMP/chronyd.log")"
		sleep 0.1
	done
	lab_log "chronyd ($1) up, pid $CHRONY_PID"
}

stop_chronyd() {
	kill -TERM "$CHRONY_PID"
	wait "$CHRONY_PID" 2>/dev/null || true
	CHRONY_PID=""
}
