#!/usr/bin/python3
"""Hostile-packet sender for the namespace lab (test_hostile_lab.sh), run in the client namespace.

Fires every malformed class at the edge's VIPs through an AF_PACKET socket on the client veth,
each frame followed by a valid echo request from an ordinary UDP socket, and watches the wire
with a capture on the same veth. It then proves, from anycastd's own counters (anycastctl status
--json, read before and after), that:

  - every valid request was answered (byte for byte, by the socket that sent it);
  - no malformed frame was answered: the only UDP frames coming back from a VIP's echo port are
    the answers to the valid requests;
  - every pass counter moved by exactly what went out on the wire for its reason: the frames of
    each class, plus any background frame the client's kernel sent meanwhile (ARP: not_ip; IP to
    an address that is no VIP: not_vip), which the capture sees and classifies;
  - the daemon is still running (its status answers at the end).

Frames the kernel refuses to send (shorter than an Ethernet header) are reported, not counted:
they never reach the edge. Prints one summary line and exits 1 on any failure, naming it.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter

import threading

from scapy.all import (  # noqa: E402 (scapy is slow to import, keep it in one place)
    ARP,
    Dot1AD,
    Dot1Q,
    Ether,
    ICMP,
    IP,
    IPOption_NOP,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Raw,
    TCP,
    UDP,
    conf,
)

ECHO = 7
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SPORT = 40777  # malformed frames' source port (above 1024 unless the class says otherwise)
MTU_FRAME = 1514


def fail(msg):
    print(f"hostile: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def counters(ctl, sock):
    out = subprocess.run([ctl, "--socket", sock, "status", "--json"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        fail(f"anycastctl status --json failed (exit {out.returncode}): {out.stderr.strip()} (is anycastd still running?)")
    doc = json.loads(out.stdout)
    c = doc["status"]["counters"]
    return Counter(c["passed"]), c


def classes(a):
    """(class name, expected pass reason, frame sent, frame on the wire) for every malformed frame."""
    eth = Ether(src=a.client_mac, dst=a.edge_mac)
    v4 = dict(src=a.client4, dst=a.vip4)
    v6 = dict(src=a.client6, dst=a.vip6)
    tag = 0

    def payload():
        nonlocal tag
        tag += 1
        return Raw(f"hostile {tag} ".encode() + bytes(24))

    def u(**kw):
        return UDP(sport=kw.pop("sport", SPORT), dport=ECHO, **kw)

    out = []

    def add(name, reason, frame, on_wire=None):
        out.append((name, reason, bytes(frame), bytes(frame) if on_wire is None else on_wire))

    rng = random.Random(862)
    udp4 = bytes(IP(**v4) / u() / payload())
    udp6 = bytes(IPv6(**v6) / u() / payload())

    # truncated at each header
    # Shorter than an Ethernet header: the kernel sends such a frame padded with zeros to 60 bytes
    # (seen here; root may send one, CAP_SYS_RAWIO), so what arrives is an Ethernet header of
    # type 0: not_ip. The core's own handling of them is fuzz_core's and the vectors'.
    add("zero_length", "not_ip", b"", bytes(60))
    add("truncated_eth", "not_ip", bytes(eth)[:10], bytes(eth)[:10] + bytes(50))
    add("truncated_vlan", "truncated", bytes(Ether(src=a.client_mac, dst=a.edge_mac, type=0x8100)) + b"\x00\x01")
    add("truncated_vlan2", "truncated", bytes(eth / Dot1AD(vlan=1) / Dot1Q(vlan=2))[:20])
    add("truncated_ip4", "truncated", bytes(eth / IP(**v4))[:14 + 12])
    add("truncated_ip6", "truncated", bytes(eth / IPv6(**v6))[:14 + 30])
    add("truncated_udp4", "truncated", bytes(eth / IP(**v4, len=24, proto=17) / Raw(udp4[20:24])))
    add("truncated_udp6", "truncated", bytes(eth / IPv6(**v6, nh=17, plen=4) / Raw(udp6[40:44])))
    # lying lengths
    add("ip4_len_beyond_frame", "bad_ip_length", eth / IP(**v4, len=len(udp4) + 100) / u() / payload())
    add("ip4_len_below_header", "bad_ip_length", eth / IP(**v4, len=19) / u() / payload())
    add("ip6_plen_beyond_frame", "bad_ip_length", eth / IPv6(**v6, plen=len(udp6) - 40 + 100) / u() / payload())
    add("udp4_len_below_header", "bad_udp_length", eth / IP(**v4) / u(len=7) / payload())
    add("udp4_len_beyond_ip", "bad_udp_length", eth / IP(**v4) / u(len=len(udp4) - 20 + 1) / payload())
    add("udp6_len_below_header", "bad_udp_length", eth / IPv6(**v6) / u(len=4) / payload())
    add("udp6_len_beyond_ip", "bad_udp_length", eth / IPv6(**v6) / u(len=len(udp6) - 40 + 9) / payload())
    # bad IP headers
    add("ip4_ihl_4", "bad_ip_header", eth / IP(**v4, ihl=4) / u() / payload())
    add("ip4_ihl_0", "bad_ip_header", eth / IP(**v4, ihl=0) / u() / payload())
    add("ip4_version_6", "bad_ip_header", bytes(eth / IP(**v4) / u() / payload())[:14] + bytes([0x65]) + udp4[1:])
    add("ip4_checksum_wrong", "bad_ip_header", eth / IP(**v4, chksum=0x1234) / u() / payload())
    add("ip6_version_4", "bad_ip_header", bytes(eth / IPv6(**v6))[:14] + bytes([0x40]) + udp6[1:])
    # IPv4 options
    add("ip4_options_nop", "ip_options", eth / IP(**v4, options=[IPOption_NOP()] * 4) / u() / payload())
    add("ip4_options_ihl_15", "ip_options", eth / IP(**v4, options=[IPOption_NOP()] * 40) / u() / payload())
    # every fragment kind
    add("frag4_first", "ip_fragment", eth / IP(**v4, flags="MF", frag=0, id=1) / u() / payload())
    add("frag4_middle", "ip_fragment", eth / IP(**v4, flags="MF", frag=8, id=1, proto=17) / payload())
    add("frag4_last", "ip_fragment", eth / IP(**v4, frag=16, id=1, proto=17) / payload())
    add("frag4_df_mf", "ip_fragment", eth / IP(**v4, flags="DF+MF", id=1) / u() / payload())
    add("frag6_first", "ip_fragment", eth / IPv6(**v6) / IPv6ExtHdrFragment(m=1, offset=0, id=1) / u() / payload())
    add("frag6_middle", "ip_fragment", eth / IPv6(**v6) / IPv6ExtHdrFragment(nh=17, m=1, offset=8, id=1) / payload())
    add("frag6_last", "ip_fragment", eth / IPv6(**v6) / IPv6ExtHdrFragment(nh=17, m=0, offset=16, id=1) / payload())
    add("frag6_atomic", "ip_fragment", eth / IPv6(**v6) / IPv6ExtHdrFragment(m=0, offset=0, id=1) / u() / payload())
    # IPv6 extension header chains
    add("ext6_hbh", "ipv6_ext_header", eth / IPv6(**v6) / IPv6ExtHdrHopByHop() / u() / payload())
    add("ext6_routing", "ipv6_ext_header", eth / IPv6(**v6) / IPv6ExtHdrRouting() / u() / payload())
    add("ext6_dstopts", "ipv6_ext_header", eth / IPv6(**v6) / IPv6ExtHdrDestOpt() / u() / payload())
    add("ext6_chain_hbh_dst_frag", "ipv6_ext_header",
        eth / IPv6(**v6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(m=1) / u() / payload())
    # VLAN stacks deeper than two
    add("vlan_3", "vlan_too_deep", eth / Dot1AD(vlan=10) / Dot1Q(vlan=20) / Dot1Q(vlan=30) / IP(**v4) / u() / payload())
    add("vlan_4", "vlan_too_deep",
        eth / Dot1AD(vlan=10) / Dot1AD(vlan=11) / Dot1Q(vlan=20) / Dot1Q(vlan=30) / IPv6(**v6) / u() / payload())
    # a zero IPv6 UDP checksum (RFC 8200 8.1)
    add("udp6_checksum_zero", "bad_udp_checksum", eth / IPv6(**v6) / u(chksum=0) / payload())
    # echo: well-known source ports would set two servers ping-ponging
    for sport in (0, 7, 19, 53, 123, 1023):
        add(f"echo4_sport_{sport}", "src_port_reserved", eth / IP(**v4) / u(sport=sport) / payload())
    add("echo6_sport_7", "src_port_reserved", eth / IPv6(**v6) / u(sport=7) / payload())
    # echo: sources a reply would hit nobody or everybody at
    for src in ("255.255.255.255", "224.0.0.1", "239.1.2.3", "0.0.0.0", "127.0.0.1", "240.0.0.1"):
        add(f"src4_{src}", "src_invalid", eth / IP(src=src, dst=a.vip4) / u() / payload())
    for src in ("ff02::1", "ff05::2", "::", "::1"):
        add(f"src6_{src}", "src_invalid", eth / IPv6(src=src, dst=a.vip6) / u() / payload())
    # maximum size (the veth's MTU): garbage, and a datagram whose IP length lies
    add("max_size_not_ip", "not_ip", bytes(Ether(src=a.client_mac, dst=a.edge_mac, type=0x88B5)) +
        rng.randbytes(MTU_FRAME - 14))
    lying = bytes(eth / IP(**v4, len=1600) / u() / Raw(rng.randbytes(MTU_FRAME - 42)))
    assert len(lying) == MTU_FRAME
    add("max_size_ip4_len_lies", "bad_ip_length", lying)
    # random bytes behind an Ethernet header of a type nobody here speaks (IEEE local experimental
    # 0x88B5/0x88B6): what the fast path must pass without looking further
    for i in range(20):
        body = rng.randbytes(rng.randrange(0, MTU_FRAME - 14 + 1))
        add(f"random_{i}", "not_ip", bytes(Ether(src=a.client_mac, dst=a.edge_mac, type=0x88B5 + (i & 1))) + body)
    # random bytes in place of a whole frame: the Ethernet addresses stay (the veth delivers them
    # either way) and the ethertype decides the class, so it is fixed to one of the above
    for i in range(10):
        body = rng.randbytes(rng.randrange(0, 200))
        frame = bytes(Ether(src=a.client_mac, dst=a.edge_mac, type=0x88B6)) + body
        add(f"random_short_{i}", "not_ip", frame)
    # not ours, to a VIP: TCP and ICMP pass as not_udp, an unknown port as port_unknown
    add("tcp4_to_vip", "not_udp", eth / IP(**v4) / TCP(sport=SPORT, dport=7, flags="S"))
    add("icmp4_to_vip", "not_udp", eth / IP(**v4) / ICMP())
    add("udp4_port_9", "port_unknown", eth / IP(**v4) / UDP(sport=SPORT, dport=9) / payload())

    # DNS messages the parser must refuse, whatever else is wrong with them (hand-built bytes: a
    # DNS library would not write most of these)
    def dns(name, reason, message, family=4):
        ip = IP(**v4) if family == 4 else IPv6(**v6)
        add(name, reason, eth / ip / UDP(sport=SPORT, dport=53) / Raw(message))

    def header(qd=1, an=0, ns=0, ar=0, flags=0x0100):
        return bytes([0x4D, 0x53, flags >> 8, flags & 0xFF, 0, qd, 0, an, 0, ns, 0, ar])

    www = b"\x03www\x07example\x03net\x00"
    a_in = b"\x00\x01\x00\x01"
    dns("dns_header_short", "dns_malformed", header()[:11])
    dns("dns_compression_loop", "dns_malformed", header() + b"\xc0\x0c" + a_in)
    dns("dns_pointer_in_question", "dns_malformed", header() + b"\x03www\xc0\x10" + a_in)
    dns("dns_label_beyond_end", "dns_malformed", header() + b"\x3fwww")
    dns("dns_name_over_255", "dns_malformed", header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + a_in)
    dns("dns_label_type_01", "dns_malformed", header() + b"\x43www\x00" + a_in)
    dns("dns_response", "dns_not_query", header(flags=0x8100) + www + a_in)
    dns("dns_opcode_notify", "dns_not_query", header(flags=0x2000) + www + a_in)
    dns("dns_no_question", "dns_qdcount", header(qd=0))
    dns("dns_two_questions", "dns_qdcount", header(qd=2) + www + a_in + www + a_in, family=6)
    dns("dns_class_chaos", "dns_class", header() + b"\x07version\x04bind\x00\x00\x10\x00\x03")
    dns("dns_qtype_any", "dns_qtype", header() + www + b"\x00\xff\x00\x01")
    dns("dns_qtype_axfr", "dns_qtype", header() + b"\x07example\x03net\x00\x00\xfc\x00\x01", family=6)
    dns("dns_answer_in_query", "dns_sections", header(an=1) + www + a_in)
    dns("dns_too_many_labels", "dns_long_name", header() + b"\x01a" * 20 + www + a_in)
    return out


class Capture:
    """Every frame on the interface, both ways, as (outgoing, bytes): a plain AF_PACKET socket in
    a thread, nothing dissected until the end, so that the capture cannot fall behind or die on
    a frame it does not understand."""

    def __init__(self, iface):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((iface, 0))
        self.sock.settimeout(0.1)
        self.frames = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.frames.append((addr[2] == PACKET_OUTGOING, data))

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()
        return self.frames


def background_reason(frame, a):
    """The pass reason of a frame the client's kernel sent by itself, or None if unexplained."""
    p = Ether(frame)
    if ARP in p:
        return "not_ip"
    if IP in p and p[IP].dst != a.vip4:
        return "not_vip"
    if IPv6 in p and p[IPv6].dst != a.vip6:
        return "not_vip"
    # The slow path answers some hostile DNS messages (FORMERR, REFUSED, NOTIMP) to the hostile
    # source port, where nothing listens: the client's kernel says so to the VIP in ICMP.
    if (IP in p and p[IP].proto == 1) or (IPv6 in p and p[IPv6].nh == 58):
        return "not_udp"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--client-mac", required=True)
    ap.add_argument("--edge-mac", required=True)
    ap.add_argument("--client4", required=True)
    ap.add_argument("--client6", required=True)
    ap.add_argument("--vip4", required=True)
    ap.add_argument("--vip6", required=True)
    ap.add_argument("--anycastctl", required=True)
    ap.add_argument("--socket", required=True)
    a = ap.parse_args()

    frames = classes(a)
    valid_ports = {}
    socks = {}
    for fam, vip in ((socket.AF_INET, a.vip4), (socket.AF_INET6, a.vip6)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
        s.connect((vip, ECHO))
        s.settimeout(2.0)
        socks[vip] = s
        valid_ports[vip] = s.getsockname()[1]

    conf.verb = 0
    capture = Capture(a.iface)
    time.sleep(0.5)
    before, _ = counters(a.anycastctl, a.socket)

    l2 = conf.L2socket(iface=a.iface)
    sent = {}
    refused = []
    valid_payloads = set()
    valid_sent = valid_answered = 0
    problems = []
    for i, (name, _reason, frame, wire) in enumerate(frames):
        try:
            l2.send(Raw(frame))
            sent[wire] = sent.get(wire, []) + [name]
        except OSError as e:
            refused.append(f"{name} ({len(frame)} bytes: {e.strerror})")
        vip = a.vip4 if i % 2 == 0 else a.vip6
        msg = f"valid after {name} {os.urandom(4).hex()}".encode()
        valid_payloads.add(msg)
        valid_sent += 1
        try:
            socks[vip].send(msg)
            reply = socks[vip].recv(65535)
            if reply == msg:
                valid_answered += 1
            else:
                problems.append(f"valid request after {name}: wrong reply {reply[:40]!r}")
        except socket.timeout:
            problems.append(f"valid request after {name} to {vip}: no answer within 2 s")
        except ConnectionRefusedError:
            problems.append(f"valid request after {name} to {vip}: refused (ICMP): the kernel, not the fast path")
    # a maximum-size valid request is answered whole
    big = bytes(range(256)) * 6
    big = big[:1500 - 28]
    valid_sent += 1
    socks[a.vip4].send(big)
    try:
        if socks[a.vip4].recv(65535) == big:
            valid_answered += 1
            valid_payloads.add(big)
        else:
            problems.append("maximum-size valid request: wrong reply")
    except (socket.timeout, ConnectionRefusedError) as e:
        problems.append(f"maximum-size valid request: {e!r}")

    time.sleep(1.0)
    after, totals = counters(a.anycastctl, a.socket)
    time.sleep(0.3)
    captured = capture.stop()

    # What went out on the wire, and what came back from the VIPs' echo port.
    expected = Counter()
    by_frame = {wire: reason for _name, reason, _frame, wire in frames}
    unexplained = []
    answered_malformed = []
    for outgoing, raw in captured:
        if outgoing:
            if raw in by_frame:
                expected[by_frame[raw]] += 1
                continue
            p = Ether(raw)
            if UDP in p and p[UDP].dport == ECHO and bytes(p[UDP].payload) in valid_payloads | {big}:
                continue  # a valid request: answered, not passed
            reason = background_reason(raw, a)
            if reason:
                expected[reason] += 1
            else:
                unexplained.append(f"{len(raw)} bytes {raw[:24].hex()}: {p.summary()}")
        else:
            p = Ether(raw)
            if UDP in p and p[UDP].sport == ECHO and bytes(p[UDP].payload) not in valid_payloads:
                answered_malformed.append(p.summary())

    on_wire = Counter(raw for outgoing, raw in captured if outgoing)
    missing_on_wire = [names for frame, names in sent.items() if on_wire[frame] < len(names)]
    delta = Counter({k: after[k] - before[k] for k in set(after) | set(before)})
    mismatch = {k: (expected[k], delta[k]) for k in set(expected) | set(delta) if expected[k] != delta[k]}

    by_class = Counter(reason for _n, reason, _f, wire in frames if wire in sent)
    print(f"hostile: frames={len(frames)} sent={sum(len(v) for v in sent.values())} refused_by_kernel={len(refused)} "
          f"valid_sent={valid_sent} valid_answered={valid_answered} malformed_answered={len(answered_malformed)} "
          f"unexplained_background={len(unexplained)} counter_mismatches={len(mismatch)}")
    print("hostile: sent per reason: " + " ".join(f"{k}={v}" for k, v in sorted(by_class.items())))
    print("hostile: pass counter deltas: " + " ".join(f"{k}={v}" for k, v in sorted(delta.items()) if v))
    if refused:
        print("hostile: refused by the kernel (never reached the edge): " + "; ".join(refused))
    for k, (want, seen) in sorted(mismatch.items()):
        problems.append(f"pass counter {k}: expected +{want} (frames on the wire), seen +{seen}")
    for s in answered_malformed:
        problems.append(f"a malformed frame was answered: {s}")
    for s in unexplained:
        problems.append(f"a frame on the wire nobody accounts for: {s}")
    for names in missing_on_wire:
        problems.append(f"sent but not seen on the wire: {names}")
    if valid_answered != valid_sent:
        problems.append(f"valid requests answered {valid_answered} of {valid_sent}")
    if totals["packets"].get("answer", 0) < valid_sent:
        problems.append(f"answer counter {totals['packets']} below the valid requests sent ({valid_sent})")
    if problems:
        fail("\n  ".join([""] + problems))
    print("hostile: ok")


main()
