#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the packet core's test vectors: one frame per row, with the verdict the issue's spec
calls for and, for answered frames, the reply as scapy builds it from the request's fields.

Nothing here runs or imports the code under test: the expected replies are scapy's, so a bug
in the core's rewrite or checksum code cannot hide by agreeing with itself.

Usage: gen_vectors.py OUTPUT.tsv [FRAGS.tsv]

FRAGS.tsv, in the same columns: frames as an XDP program loaded frags-aware sees them under
BPF_PROG_TEST_RUN, where whatever does not fit the first page goes into fragments (the BPF test
bpf_frags_test.cpp). A frame that spans buffers passes as multi_buffer whatever it holds; the
small and the large-but-linear rows beside them are answered as usual. Not part of OUTPUT.tsv:
the native core has no buffers and would answer a jumbo echo request.

Columns (tab separated, '#' starts a comment line):
  name  config  action  reason  service  request_hex  reply_hex
action is a name from abi.h's ac_action_names, reason from ac_pass_reason_names ("none" when
answered), service from ac_service_names or "-"; reply_hex is "-" for a pass (the frame must
come back untouched). config names a table set in tests/common/test_tables.h.
"""

import os
import re
import struct
import sys

try:
    from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,
                           ICMPv6ND_NS, IPOption_Router_Alert, IPv6, IPv6ExtHdrDestOpt,
                           IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Padding,
                           Raw)
    from scapy.layers.ntp import NTPHeader
except ImportError as e:
    sys.exit(f"gen_vectors.py: scapy is missing ({e}); install Debian's python3-scapy "
             "(apt-get install python3-scapy) and run with /usr/bin/python3")

CLIENT_MAC = "02:00:00:00:00:01"
EDGE_MAC = "02:00:00:00:00:02"

# The client sources are inside the echo_allow lists, so the same rows also pass that config.
CLIENT4 = "198.51.100.7"
CLIENT6 = "2001:db8:c::7"

VIP4 = "192.0.2.10"              # exact /32
VIP4_IN_PREFIX = "203.0.113.77"  # inside 203.0.113.0/24
VIP4_OFF = "192.0.2.11"          # AC_VIP_F_ANSWERING cleared
VIP4_NO_SERVICE = "192.0.2.12"   # carries no service
VIP4_SPECIFIC_OFF = "203.0.113.99"  # a /32 not answering inside the answering /24
VIP6 = "2001:db8::10"
VIP6_IN_PREFIX = "2001:db8:1:2::99"  # inside 2001:db8:1::/48
VIP6_OFF = "2001:db8::11"
VIP6_NO_SERVICE = "2001:db8::12"
VIP6_SPECIFIC_OFF = "2001:db8:1:ff::5"  # inside 2001:db8:1:ff::/64, not answering

ECHO = 7
CLIENT_PORT = 40000
REQ_TTL = 57  # anything but 64, so the reset to 64 shows in the reply
REPLY_TTL = 64
PAYLOAD = b"anycastd echo test"

ETH_HLEN = 14
VLAN_HLEN = 4

# NTP: the clock state and the fixed clock of tests/common/test_tables.h (ntp_state, kTestTaiNs,
# kTestTaiStepNs), written again here so the expected replies do not come from the C++ side.
NTP = 123
NTP_UNIX_EPOCH = 2208988800
NS = 10**9
NTP_TAI_NS = (1764118800 + 37) * NS + 123456789
NTP_STEP_NS = 1500
NTP_STATES = {
    "default": dict(leap=0, stratum=11, precision=-24, root_delay=0x00000A3D,
                    root_dispersion=0x00001234, refid=0xC0000201,
                    reference=0xEB1F2A3B12345678, tai_offset=37, next_tai_offset=37, switch=None),
}
NTP_STATES["ntp_unsynced"] = dict(NTP_STATES["default"], leap=3, stratum=16, refid=0,
                                  reference=0, root_delay=0, root_dispersion=0xFFFF)
# A leap second inserted a second before the clock reads: the new offset applies.
NTP_STATES["ntp_leap"] = dict(NTP_STATES["default"], leap=1, next_tai_offset=38,
                              switch=NTP_TAI_NS - NS)
# Inserted a second after the receive time: still the old offset.
NTP_STATES["ntp_leap_pending"] = dict(NTP_STATES["default"], leap=1, next_tai_offset=38,
                                      switch=NTP_TAI_NS + NS)


def eth(vlans=()):
    """Ethernet with tags given outer first as (tpid, vid); tpid 0x88a8 is 802.1ad."""
    frame = Ether(dst=EDGE_MAC, src=CLIENT_MAC)
    for tpid, vid in vlans:
        frame = frame / (Dot1AD(vlan=vid, prio=3) if tpid == 0x88A8 else Dot1Q(vlan=vid, prio=5))
    return frame


def ip4(dst=VIP4, src=CLIENT4, **kw):
    kw.setdefault("ttl", REQ_TTL)
    kw.setdefault("id", 0x4242)
    return IP(src=src, dst=dst, **kw)


def ip6(dst=VIP6, src=CLIENT6, **kw):
    kw.setdefault("hlim", REQ_TTL)
    return IPv6(src=src, dst=dst, **kw)


def udp(dport=ECHO, sport=CLIENT_PORT, **kw):
    return UDP(sport=sport, dport=dport, **kw)


def udp4(dst=VIP4, src=CLIENT4, dport=ECHO, sport=CLIENT_PORT, payload=PAYLOAD, vlans=(),
         ip_kw=None, udp_kw=None):
    return (eth(vlans) / ip4(dst, src, **(ip_kw or {})) / udp(dport, sport, **(udp_kw or {})) /
            Raw(payload))


def udp6(dst=VIP6, src=CLIENT6, dport=ECHO, sport=CLIENT_PORT, payload=PAYLOAD, vlans=(),
         ip_kw=None, udp_kw=None):
    return (eth(vlans) / ip6(dst, src, **(ip_kw or {})) / udp(dport, sport, **(udp_kw or {})) /
            Raw(payload))


def echo_reply(request, recompute_udp_checksum=True, new_payload=None):
    """The echo reply the spec calls for, built afresh from the request's header fields: MACs,
    addresses and ports swapped, tags as they were, TTL/hop limit 64, checksums computed by
    scapy (a UDP checksum of 0, "none" in IPv4, stays 0), payload and Ethernet padding kept.
    recompute_udp_checksum=False keeps the request's UDP checksum as it is, for requests
    whose checksum is wrong on purpose. new_payload replaces the datagram's payload (NTP)."""
    raw = bytes(request)
    req = Ether(raw)
    reply = Ether(dst=req.src, src=req.dst, type=req.type)
    layer = req.payload
    offset = ETH_HLEN
    while isinstance(layer, (Dot1Q, Dot1AD)):
        reply = reply / type(layer)(prio=layer.prio, id=layer.id, vlan=layer.vlan, type=layer.type)
        layer = layer.payload
        offset += VLAN_HLEN
    if isinstance(layer, IP):
        assert layer.ihl == 5, "the fast path answers only IPv4 without options"
        reply = reply / IP(version=4, ihl=5, tos=layer.tos, len=layer.len, id=layer.id,
                           flags=layer.flags, frag=layer.frag, ttl=REPLY_TTL, proto=layer.proto,
                           src=layer.dst, dst=layer.src)
        offset += 20
    else:
        assert isinstance(layer, IPv6)
        reply = reply / IPv6(tc=layer.tc, fl=layer.fl, plen=layer.plen, nh=layer.nh,
                             hlim=REPLY_TTL, src=layer.dst, dst=layer.src)
        offset += 40
    u = layer.payload
    assert isinstance(u, UDP)
    payload = raw[offset + 8: offset + u.len] if new_payload is None else new_payload
    assert len(payload) == u.len - 8
    padding = raw[offset + u.len:]
    keep = u.chksum == 0 or not recompute_udp_checksum
    reply = reply / UDP(sport=u.dport, dport=u.sport, len=u.len,
                        chksum=u.chksum if keep else None) / Raw(payload)
    if padding:
        reply = reply / Padding(padding)
    out = bytes(reply)
    # Self-checks of this generator, not of the core: a reply is as long as its request, and
    # swapping leaves the ones'-complement sum alone, so scapy must arrive at the same checksum.
    assert len(out) == len(raw)
    if not keep and new_payload is None:
        assert Ether(out)[UDP].chksum == u.chksum, "scapy's reply checksum differs from the request's"
    return out


def ntp_time(tai_ns, state):
    """TAI nanoseconds to an NTP timestamp, the way RFC 5905 counts: UTC seconds since 1900 in
    the high 32 bits (modulo 2^32, era 0), the fraction of a second below."""
    switch = state["switch"]
    offset = state["next_tai_offset"] if switch is not None and tai_ns >= switch else state["tai_offset"]
    secs, rem = divmod(tai_ns - offset * NS, NS)
    return ((secs + NTP_UNIX_EPOCH) % 2**32) << 32 | (rem << 32) // NS


def ntp_payload(request):
    raw = bytes(request)
    u = Ether(raw)[UDP]
    return bytes(u.payload)[:u.len - 8]


def ntp_reply(request, config):
    """The RFC 5905 server reply to a client request: leap, version echoed, mode 4, stratum,
    poll echoed, precision, root delay and dispersion, reference ID and time from the state;
    origin = the request's transmit time; receive and transmit times = the first and second
    readings of the fixed clock."""
    state = NTP_STATES["default" if config in ("default", "echo_allow") else config]
    req = ntp_payload(request)
    version = (req[0] >> 3) & 7
    poll = struct.unpack("!b", req[2:3])[0]
    receive = ntp_time(NTP_TAI_NS, state)
    transmit = ntp_time(NTP_TAI_NS + NTP_STEP_NS, state)
    payload = struct.pack("!BBbbIIIQ", state["leap"] << 6 | version << 3 | 4, state["stratum"], poll,
                          state["precision"], state["root_delay"], state["root_dispersion"],
                          state["refid"], state["reference"])
    payload += req[40:48] + struct.pack("!QQ", receive, transmit)
    assert len(payload) == 48
    return echo_reply(request, new_payload=payload)


def ntp_kod(request):
    """The RATE kiss-o'-death (RFC 5905 7.4) as ntpd writes it: leap 3, version echoed, mode 4,
    stratum 0, reference ID "RATE"; origin, receive and transmit all the request's transmit
    time; poll, precision, root delay and dispersion and reference time as the request had them."""
    req = ntp_payload(request)
    version = (req[0] >> 3) & 7
    payload = bytes([3 << 6 | version << 3 | 4, 0]) + req[2:12] + b"RATE" + req[16:24]
    payload += req[40:48] * 3
    assert len(payload) == 48
    return echo_reply(request, new_payload=payload)


ROWS = []


def answer(name, request, config="default", service="echo", recompute_udp_checksum=True):
    ROWS.append((name, config, "answer", "none", service, bytes(request),
                 echo_reply(request, recompute_udp_checksum)))


def ntp_answer(name, request, config="default"):
    ROWS.append((name, config, "answer", "none", "ntp", bytes(request), ntp_reply(request, config)))


def ntp_kod_answer(name, request, config="ntp_kod"):
    ROWS.append((name, config, "answer", "none", "ntp", bytes(request), ntp_kod(request)))


def passed(name, request, reason, config="default"):
    ROWS.append((name, config, "pass", reason, "-", bytes(request), None))


def cut(packet, length):
    data = bytes(packet)
    assert length < len(data)
    return data[:length]


QINQ = ((0x88A8, 100), (0x8100, 200))

# --- answered echo, plain and tagged
answer("echo_v4", udp4())
answer("echo_v6", udp6())
answer("echo_v4_vlan", udp4(vlans=((0x8100, 42),)))
answer("echo_v6_vlan", udp6(vlans=((0x8100, 42),)))
answer("echo_v4_qinq", udp4(vlans=QINQ))
answer("echo_v6_qinq", udp6(vlans=QINQ))
answer("echo_v4_two_8021q", udp4(vlans=((0x8100, 7), (0x8100, 8))))  # 802.1Q in 802.1Q is seen too
answer("echo_v4_df_tos", udp4(ip_kw={"flags": "DF", "tos": 0xB8}))  # DF is no fragment
answer("echo_v6_tclass_flow", udp6(ip_kw={"tc": 0xB8, "fl": 0x12345}))


def reply_check_zero_id():
    """The IPv4 id that makes echo_v4()'s reply header checksum 0x0000: with id 0 the reply's
    checksum is c = ~S, S the sum of its other words, and an id of c makes that sum 0xFFFF."""
    return Ether(echo_reply(udp4(ip_kw={"id": 0})))[IP].chksum


# --- the reply's IPv4 checksum, updated for the TTL word only: every TTL the update meets
answer("echo_v4_ttl_64", udp4(ip_kw={"ttl": REPLY_TTL}))  # the word does not change
answer("echo_v4_ttl_255", udp4(ip_kw={"ttl": 255}))
answer("echo_v4_ttl_1", udp4(ip_kw={"ttl": 1}))
answer("echo_v4_reply_check_zero", udp4(ip_kw={"id": reply_check_zero_id()}))

# --- VIP matching: exact, prefix, longest prefix, outside
answer("vip4_prefix", udp4(dst=VIP4_IN_PREFIX))
answer("vip4_prefix_first", udp4(dst="203.0.113.0"))
answer("vip4_prefix_last", udp4(dst="203.0.113.255"))
answer("vip6_exact", udp6(dst=VIP6))
answer("vip6_prefix", udp6(dst=VIP6_IN_PREFIX))
answer("vip6_prefix_last", udp6(dst="2001:db8:1:ffff:ffff:ffff:ffff:ffff"))
passed("vip4_longest_match_off", udp4(dst=VIP4_SPECIFIC_OFF), "not_answering")
passed("vip6_longest_match_off", udp6(dst=VIP6_SPECIFIC_OFF), "not_answering")
passed("not_vip_v4", udp4(dst="192.0.2.99"), "not_vip")
passed("not_vip_v4_next_to_prefix", udp4(dst="203.0.114.0"), "not_vip")
passed("not_vip_v4_before_prefix", udp4(dst="203.0.112.255"), "not_vip")
passed("not_vip_v6", udp6(dst="2001:db8::99"), "not_vip")
passed("not_vip_v6_next_to_prefix", udp6(dst="2001:db8:2::"), "not_vip")

# --- truncated at each header
base4 = udp4()
base6 = udp6()
passed("trunc_eth_13", cut(base4, 13), "truncated")
passed("trunc_ip4_empty", cut(base4, ETH_HLEN), "truncated")
passed("trunc_ip4_19", cut(base4, ETH_HLEN + 19), "truncated")
passed("trunc_ip6_39", cut(base6, ETH_HLEN + 39), "truncated")
passed("trunc_vlan_tag", cut(udp4(vlans=((0x8100, 42),)), ETH_HLEN + 2), "truncated")
passed("trunc_vlan_outer_tag", cut(udp4(vlans=QINQ), ETH_HLEN + 3), "truncated")
passed("trunc_vlan_inner_tag", cut(udp4(vlans=QINQ), ETH_HLEN + VLAN_HLEN + 2), "truncated")
passed("trunc_ip4_after_qinq", cut(udp4(vlans=QINQ), ETH_HLEN + 2 * VLAN_HLEN + 10), "truncated")
passed("trunc_ip6_after_vlan", cut(udp6(vlans=((0x8100, 42),)), ETH_HLEN + VLAN_HLEN + 20),
       "truncated")
# The IP header is whole and its length consistent with the frame, but the datagram ends
# inside the UDP header.
passed("trunc_udp4", eth() / ip4(proto=17, len=24) / Raw(bytes(udp())[:4]), "truncated")
passed("trunc_udp6", eth() / ip6(nh=17, plen=4) / Raw(bytes(udp())[:4]), "truncated")
# On a real wire the 38-byte frame above arrives padded to 60: the same datagram, the same
# verdict. The padding must not be read as the rest of the UDP header.
passed("trunc_udp4_padded", eth() / ip4(proto=17, len=24) / Raw(bytes(udp())[:4]) /
       Padding(bytes(60 - 38)), "truncated")
passed("trunc_udp4_padded_nonzero", eth() / ip4(proto=17, len=24) / Raw(bytes(udp())[:4]) /
       Padding(b"\x00\x10" + bytes(60 - 38 - 2)), "truncated")

# --- malformed IP
passed("bad_version_4_in_ipv6_ethertype", Ether(dst=EDGE_MAC, src=CLIENT_MAC, type=0x86DD) /
       ip4() / udp() / Raw(PAYLOAD) / Raw(bytes(40)), "bad_ip_header")
passed("bad_version_6_in_ipv4_ethertype", Ether(dst=EDGE_MAC, src=CLIENT_MAC, type=0x0800) /
       ip6() / udp() / Raw(PAYLOAD), "bad_ip_header")
passed("bad_version_5", udp4(ip_kw={"version": 5}), "bad_ip_header")
passed("ihl_4", udp4(ip_kw={"ihl": 4}), "bad_ip_header")
passed("ihl_0", udp4(ip_kw={"ihl": 0}), "bad_ip_header")
passed("ip4_header_checksum_wrong", udp4(ip_kw={"chksum": 0x1234}), "bad_ip_header")
passed("ip4_options_ihl6", eth() / ip4(options=[IPOption_Router_Alert()]) / udp() / Raw(PAYLOAD),
       "ip_options")
passed("ip4_totlen_beyond_frame", udp4(ip_kw={"len": 20 + 8 + len(PAYLOAD) + 1}), "bad_ip_length")
passed("ip4_totlen_19", udp4(ip_kw={"len": 19}), "bad_ip_length")
passed("ip4_totlen_0", udp4(ip_kw={"len": 0}), "bad_ip_length")
passed("ip6_plen_beyond_frame", udp6(ip_kw={"plen": 8 + len(PAYLOAD) + 1}), "bad_ip_length")
passed("udp4_len_beyond_ip", udp4(udp_kw={"len": 8 + len(PAYLOAD) + 1}), "bad_udp_length")
passed("udp6_len_beyond_ip", udp6(udp_kw={"len": 8 + len(PAYLOAD) + 1}), "bad_udp_length")
passed("udp4_len_7", udp4(udp_kw={"len": 7}), "bad_udp_length")
passed("udp6_len_7", udp6(udp_kw={"len": 7}), "bad_udp_length")
passed("udp4_len_0", udp4(udp_kw={"len": 0}), "bad_udp_length")
# A UDP length that lies within the IP payload but past the frame's end cannot happen once the
# IP length is checked; a UDP length beyond a padded frame's IP length is still beyond the IP.
passed("udp4_len_into_padding", eth() / ip4() / udp(len=8 + 2 + 4) / Raw(b"hi") / Padding(bytes(16)),
       "bad_udp_length")

# --- fragments, extension headers
passed("frag4_first", udp4(ip_kw={"flags": "MF", "frag": 0}), "ip_fragment")
passed("frag4_middle", eth() / ip4(proto=17, flags="MF", frag=185) / Raw(bytes(range(64))),
       "ip_fragment")
passed("frag4_last", eth() / ip4(proto=17, frag=370) / Raw(bytes(range(64))), "ip_fragment")
passed("frag4_last_with_udp_shape", udp4(ip_kw={"frag": 1}), "ip_fragment")
passed("frag6_first", eth() / ip6() / IPv6ExtHdrFragment(offset=0, m=1, id=7) / udp() /
       Raw(PAYLOAD), "ip_fragment")
passed("frag6_last", eth() / ip6() / IPv6ExtHdrFragment(offset=185, m=0, id=7) /
       Raw(bytes(range(32))), "ip_fragment")
passed("ext6_hop_by_hop", eth() / ip6() / IPv6ExtHdrHopByHop() / udp() / Raw(PAYLOAD),
       "ipv6_ext_header")
passed("ext6_routing", eth() / ip6() / IPv6ExtHdrRouting() / udp() / Raw(PAYLOAD), "ipv6_ext_header")
passed("ext6_dest_opts", eth() / ip6() / IPv6ExtHdrDestOpt() / udp() / Raw(PAYLOAD),
       "ipv6_ext_header")

# --- not for the fast path
passed("vlan_stack_3", udp4(vlans=((0x88A8, 1), (0x8100, 2), (0x8100, 3))), "vlan_too_deep")
passed("arp_request", Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC) /
       ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT4, pdst=VIP4), "not_ip")
passed("arp_request_vlan", Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC) / Dot1Q(vlan=42) /
       ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT4, pdst=VIP4), "not_ip")
passed("lldp_ethertype", Ether(dst="01:80:c2:00:00:0e", src=CLIENT_MAC, type=0x88CC) /
       Raw(bytes(46)), "not_ip")
passed("tcp4_to_vip", eth() / ip4() / TCP(sport=CLIENT_PORT, dport=ECHO, flags="S"), "not_udp")
passed("tcp6_to_vip", eth() / ip6() / TCP(sport=CLIENT_PORT, dport=ECHO, flags="S"), "not_udp")
passed("icmp4_echo_to_vip", eth() / ip4() / ICMP(type=8, id=1, seq=1) / Raw(PAYLOAD), "not_udp")
passed("icmp6_echo_to_vip", eth() / ip6() / ICMPv6EchoRequest(id=1, seq=1) / Raw(PAYLOAD),
       "not_udp")
passed("nd6_ns_unicast_to_vip", eth() / ip6(hlim=255) / ICMPv6ND_NS(tgt=VIP6), "not_udp")
passed("nd6_ns_solicited_node", Ether(dst="33:33:ff:00:00:10", src=CLIENT_MAC) /
       ip6(dst="ff02::1:ff00:10", hlim=255) / ICMPv6ND_NS(tgt=VIP6), "not_vip")
passed("port_unknown_v4", udp4(dport=9), "port_unknown")
passed("port_unknown_v6", udp6(dport=9), "port_unknown")

# --- payload sizes, padding, checksums
answer("zero_payload_v4", udp4(payload=b""))
answer("zero_payload_v6", udp6(payload=b""))
answer("zero_payload_v4_padded", eth() / ip4() / udp() / Padding(bytes(60 - 42)))
answer("max_frame_v4", udp4(payload=bytes(i & 0xFF for i in range(1514 - ETH_HLEN - 20 - 8))))
answer("max_frame_v6", udp6(payload=bytes(i & 0xFF for i in range(1514 - ETH_HLEN - 40 - 8))))
# 1522: the largest frame two tags make of a 1500-byte MTU.
answer("max_frame_v4_qinq", udp4(vlans=QINQ, payload=bytes(i & 0xFF for i in range(1500 - 20 - 8))))
# Short frames are padded to 60 bytes on the wire; the padding is not the datagram's but stays
# in the frame (nonzero here so that any rewrite of it shows).
answer("eth_padding_v4", eth() / ip4() / udp() / Raw(b"hi") / Padding(b"\xa5" * 16))
answer("udp4_checksum_0", udp4(udp_kw={"chksum": 0}))
passed("udp6_checksum_0", udp6(udp_kw={"chksum": 0}), "bad_udp_checksum")
# A UDP checksum that is simply wrong is the client's problem: the reply keeps it as it was,
# still wrong, and the client's stack drops it (the fast path does not verify payload sums).
answer("udp4_checksum_wrong", udp4(udp_kw={"chksum": 0x1234}), recompute_udp_checksum=False)

# --- reflection guards
passed("src_port_1023_v4", udp4(sport=1023), "src_port_reserved")
passed("src_port_7_v6", udp6(sport=7), "src_port_reserved")
passed("src_port_0_v4", udp4(sport=0), "src_port_reserved")
answer("src_port_1024_v4", udp4(sport=1024))
answer("src_port_1024_v6", udp6(sport=1024))
passed("src4_broadcast", udp4(src="255.255.255.255"), "src_invalid")
passed("src4_multicast", udp4(src="224.0.0.1"), "src_invalid")
passed("src4_multicast_high", udp4(src="239.255.255.250"), "src_invalid")
passed("src4_unspecified", udp4(src="0.0.0.0"), "src_invalid")
passed("src4_loopback", udp4(src="127.0.0.1"), "src_invalid")
passed("src6_multicast", udp6(src="ff02::1"), "src_invalid")
passed("src6_unspecified", udp6(src="::"), "src_invalid")
passed("src6_loopback", udp6(src="::1"), "src_invalid")
answer("src6_near_loopback", udp6(src="::2"))  # not loopback: the guard must be exact

# --- allow lists
answer("allow4_hit", udp4(), config="echo_allow")
passed("allow4_miss", udp4(src="192.0.2.200"), "src_not_allowed", config="echo_allow")
answer("allow6_hit", udp6(src="2001:db8:c:ffff::1"), config="echo_allow")
passed("allow6_miss", udp6(src="2001:db8:d::7"), "src_not_allowed", config="echo_allow")
answer("allow4_hit_prefix_vip", udp4(dst=VIP4_IN_PREFIX, src="198.51.100.255"), config="echo_allow")

# --- switches
passed("vip4_not_answering", udp4(dst=VIP4_OFF), "not_answering")
passed("vip6_not_answering", udp6(dst=VIP6_OFF), "not_answering")
passed("global_off_v4", udp4(), "not_answering", config="global_off")
passed("global_off_v6", udp6(), "not_answering", config="global_off")
passed("global_off_not_vip", udp4(dst="192.0.2.99"), "not_vip", config="global_off")
passed("service_off_v4", udp4(dst=VIP4_NO_SERVICE), "service_off")
passed("service_off_v6", udp6(dst=VIP6_NO_SERVICE), "service_off")


# --- NTP server mode
def ntp_req(version=4, mode=3, poll=6, leap=0, extra=b""):
    """A client's request as ntpd/chronyd/sntp send it: every field set, transmit time given
    (a fraction exact in binary, so scapy's float field keeps it)."""
    header = NTPHeader(leap=leap, version=version, mode=mode, stratum=0, poll=poll, precision=-6,
                       delay=0, dispersion=0, id="0.0.0.0", ref=0, orig=0, recv=0,
                       sent=3973000123.6875)
    return bytes(header) + extra


ntp_answer("ntp_v4_client_v4", udp4(dport=NTP, payload=ntp_req()))
ntp_answer("ntp_v4_client_v6", udp6(dport=NTP, payload=ntp_req()))
ntp_answer("ntp_v3_client_v4", udp4(dport=NTP, payload=ntp_req(version=3)))
ntp_answer("ntp_v3_client_v6", udp6(dport=NTP, payload=ntp_req(version=3, poll=10)))
ntp_answer("ntp_src_port_123_v4", udp4(dport=NTP, sport=NTP, payload=ntp_req()))  # ntpd's clients
ntp_answer("ntp_src_port_123_v6", udp6(dport=NTP, sport=NTP, payload=ntp_req(version=3)))
ntp_answer("ntp_vlan_v4", udp4(dport=NTP, vlans=QINQ, payload=ntp_req()))
ntp_answer("ntp_prefix_vip_v6", udp6(dst=VIP6_IN_PREFIX, dport=NTP, payload=ntp_req()))
ntp_answer("ntp_client_leap_bits_ignored", udp4(dport=NTP, payload=ntp_req(leap=3, poll=-3)))
ntp_answer("ntp_udp4_checksum_0", udp4(dport=NTP, payload=ntp_req(), udp_kw={"chksum": 0}))
ntp_answer("ntp_allow_hit", udp4(dport=NTP, payload=ntp_req()), config="echo_allow")
ntp_answer("ntp_unsynced_v4", udp4(dport=NTP, payload=ntp_req()), config="ntp_unsynced")
ntp_answer("ntp_leap_applied_v4", udp4(dport=NTP, payload=ntp_req()), config="ntp_leap")
ntp_answer("ntp_leap_pending_v6", udp6(dport=NTP, payload=ntp_req()), config="ntp_leap_pending")
# Never an amplifier: control and private modes, whatever their size, go to the kernel.
passed("ntp_mode6_readvar", udp4(dport=NTP, payload=bytes.fromhex("160200010000000000000000")),
       "ntp_control")
passed("ntp_mode7_monlist", udp4(dport=NTP, payload=bytes.fromhex("1700032a") + bytes(4)),
       "ntp_control")
passed("ntp_mode7_48_bytes", udp6(dport=NTP, payload=ntp_req(version=2, mode=7)), "ntp_control")
passed("ntp_mode6_v4_48_bytes", udp4(dport=NTP, payload=ntp_req(mode=6)), "ntp_control")
passed("ntp_mode4_server_reply", udp4(dport=NTP, sport=NTP, payload=ntp_req(mode=4)), "ntp_mode")
passed("ntp_mode1_symmetric", udp4(dport=NTP, sport=NTP, payload=ntp_req(mode=1)), "ntp_mode")
passed("ntp_mode5_broadcast", udp6(dport=NTP, payload=ntp_req(mode=5)), "ntp_mode")
passed("ntp_mode0_reserved", udp4(dport=NTP, payload=ntp_req(mode=0)), "ntp_mode")
passed("ntp_version2", udp4(dport=NTP, payload=ntp_req(version=2)), "ntp_version")
passed("ntp_version5", udp4(dport=NTP, payload=ntp_req(version=5)), "ntp_version")
passed("ntp_version0", udp6(dport=NTP, payload=ntp_req(version=0)), "ntp_version")
passed("ntp_short_47", udp4(dport=NTP, payload=ntp_req()[:47]), "ntp_length")
passed("ntp_short_1", udp6(dport=NTP, payload=ntp_req()[:1]), "ntp_length")
passed("ntp_empty", udp4(dport=NTP, payload=b""), "ntp_length")
passed("ntp_empty_padded", eth() / ip4() / udp(dport=NTP) / Padding(bytes(60 - 42)), "ntp_length")
# Extension fields (NTS among them, RFC 8915) and MACs (symmetric keys): the reply would need them.
passed("ntp_extension_field", udp4(dport=NTP, payload=ntp_req(extra=struct.pack("!HH", 0x0104, 16) +
                                                                bytes(12))), "ntp_length")
passed("ntp_mac_sha1", udp4(dport=NTP, payload=ntp_req(extra=struct.pack("!I", 7) + bytes(20))),
       "ntp_length")
passed("ntp_mac_md5_v6", udp6(dport=NTP, payload=ntp_req(extra=struct.pack("!I", 7) + bytes(16))),
       "ntp_length")
passed("ntp_no_clock", udp4(dport=NTP, payload=ntp_req()), "ntp_no_clock", config="ntp_no_clock")
passed("ntp_service_off", udp4(dst=VIP4_NO_SERVICE, dport=NTP, payload=ntp_req()), "service_off")
passed("ntp_udp6_checksum_0", udp6(dport=NTP, payload=ntp_req(), udp_kw={"chksum": 0}),
       "bad_udp_checksum")
passed("ntp_global_off", udp6(dport=NTP, payload=ntp_req()), "not_answering", config="global_off")

# --- NTP rate limit: every source over it (config ntp_kod: a bucket of burst 0)
ntp_kod_answer("ntp_kod_v4", udp4(dport=NTP, payload=ntp_req()))
ntp_kod_answer("ntp_kod_v6", udp6(dport=NTP, payload=ntp_req()))
ntp_kod_answer("ntp_kod_v3_vlan", udp4(dport=NTP, vlans=QINQ, payload=ntp_req(version=3, poll=10)))
ntp_kod_answer("ntp_kod_src_port_123_v6", udp6(dst=VIP6_IN_PREFIX, dport=NTP, sport=NTP,
                                               payload=ntp_req(leap=3, poll=-3)))
ntp_kod_answer("ntp_kod_udp4_checksum_0", udp4(dport=NTP, payload=ntp_req(), udp_kw={"chksum": 0}))
# Only requests the fast path would answer meet the limiter; echo has none.
answer("ntp_kod_config_echo_unlimited", udp4(), config="ntp_kod")
passed("ntp_kod_config_mode6_passes", udp4(dport=NTP, payload=ntp_req(mode=6)), "ntp_control",
       config="ntp_kod")


# --- frames larger than a page, for a frags-aware XDP program (FRAGS.tsv). BPF_PROG_TEST_RUN
# puts up to a page less XDP's headroom and the shared-info tail (3,520 bytes on x86-64) in the
# first buffer and the rest in fragments; the sizes stay well clear of that line either way.
MAIN_ROWS = ROWS
ROWS = []
answer("frags_echo_v4_small", udp4())
answer("frags_echo_v6_small", udp6())
# large, yet in the first buffer: answered in place like any other request
answer("frags_echo_v4_3000", udp4(payload=bytes(range(256)) * 11 + bytes(184)))
answer("frags_echo_v6_3000", udp6(payload=bytes(range(256)) * 11 + bytes(184)))
# an 8000-byte echo payload: the request spans buffers, the kernel gets it whole
JUMBO = bytes((7 * i + 3) & 0xFF for i in range(8000))
passed("frags_echo_v4_8000", udp4(payload=JUMBO), "multi_buffer")
passed("frags_echo_v6_8000", udp6(payload=JUMBO), "multi_buffer")
passed("frags_echo_v4_8000_vlan", udp4(payload=JUMBO, vlans=((0x8100, 42),)), "multi_buffer")
# counted before any parsing: a jumbo frame that is none of ours is multi_buffer too
passed("frags_tcp_v4_8000", eth() / ip4(VIP4, CLIENT4) / TCP(sport=CLIENT_PORT, dport=80) / Raw(JUMBO),
       "multi_buffer")
passed("frags_not_vip_v6_8000", udp6(dst="2001:db8:ffff::99", payload=JUMBO), "multi_buffer")
FRAGS_ROWS = ROWS
ROWS = MAIN_ROWS


def write(path, rows, max_len):
    names = set()
    lines = [
        "# Generated by tests/common/gen_vectors.py (scapy); do not edit.",
        "# name\tconfig\taction\treason\tservice\trequest_hex\treply_hex",
    ]
    for name, config, action, reason, service, request, reply in rows:
        # Names become GoogleTest parameter names: letters, digits and underscores only.
        assert re.fullmatch(r"[a-z0-9_]+", name), name
        assert name not in names, f"duplicate row {name}"
        names.add(name)
        assert len(request) <= max_len, name
        lines.append("\t".join([name, config, action, reason, service, request.hex(),
                                reply.hex() if reply is not None else "-"]))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    write(sys.argv[1], ROWS, 1522)
    if len(sys.argv) == 3:
        write(sys.argv[2], FRAGS_ROWS, 9018)  # a 9000-byte MTU, Ethernet header and one tag


if __name__ == "__main__":
    main()
