#!/bin/sh
# without_dpdk.sh ANYCASTD ARGS...: runs a copy of ANYCASTD from a folder without anycastd-dpdk
# beside it, as on an edge with only the anycastd package installed, in a network namespace of
# its own (the start gets as far as the DPDK datapath; nothing of the host's is touched).
# Exits with the copy's status.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$1" "$dir/anycastd"
shift
rc=0
unshare --net "$dir/anycastd" "$@" || rc=$?
exit "$rc"
