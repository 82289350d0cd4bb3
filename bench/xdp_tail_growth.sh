#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# How far bpf_xdp_adjust_tail can grow a received frame on a veth pair here, in native (xdpdrv)
# and generic (xdpgeneric) mode, for UDP frames of 80, 300, 1000 and 1400 bytes sent by the peer's
# kernel stack, with a plain SEC("xdp") program and a frags-aware SEC("xdp.frags") one. Root; builds its own namespaces (documentation addresses, no route out) and
# removes them on exit. Prints one line per mode and size. docs/dns.md quotes the figures.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
A=tga$$; B=tgb$$; NA=tgna$$; NB=tgnb$$
cleanup() { ip netns del $NA 2>/dev/null || true; ip netns del $NB 2>/dev/null || true; rm -rf /sys/fs/bpf/tg$$; rm -rf "$tmp"; }
trap cleanup EXIT
clang -O2 -g -target bpf -I/usr/include/"$(gcc -print-multiarch)" -c "$here/xdp_tail_growth.c" -o "$tmp/tg.o"
ip netns add $NA; ip netns add $NB
ip link add $A netns $NA type veth peer name $B netns $NB
ip -n $NA addr add 192.0.2.1/24 dev $A; ip -n $NB addr add 192.0.2.2/24 dev $B
ip -n $NA link set $A up; ip -n $NB link set $B up
bpftool prog loadall "$tmp/tg.o" /sys/fs/bpf/tg$$
map=$(bpftool prog show pinned /sys/fs/bpf/tg$$/tail_growth | grep -o 'map_ids [0-9]*' | awk '{print $2}')
value() { bpftool -j map lookup id "$map" key "$1" 0 0 0 | /usr/bin/python3 -c \
  'import json,sys; print(int.from_bytes(bytes(int(x, 16) for x in json.load(sys.stdin)["value"]), "little"))'; }
for name in tail_growth tail_growth_frags; do
  prog=$(bpftool prog show pinned /sys/fs/bpf/tg$$/$name | head -1 | cut -d: -f1)
  kind=$([[ $name == tail_growth ]] && echo xdp || echo xdp.frags)
  for mode in xdpdrv xdpgeneric; do
    # ip netns exec remounts /sys, so the program goes by id, not by its pin.
    ip netns exec $NB bpftool net attach $mode id "$prog" dev $B
    for size in 80 300 1000 1400; do
      bpftool map update id "$map" key 0 0 0 0 value 0 0 0 0
      bpftool map update id "$map" key 1 0 0 0 value 0 0 0 0
      ip netns exec $NA /usr/bin/python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x' * ($size - 42), ('192.0.2.2', 9))"
      sleep 0.3
      echo "$kind $mode frame=$size seen=$(value 1) max_growth=$(value 0)"
    done
    ip netns exec $NB bpftool net detach $mode dev $B
  done
done
