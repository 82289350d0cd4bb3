#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the DNS packet path's NSID and cookie test frames (core.dns_edns.*), in the columns of
gen_dns_frames.py, whose query, reply and frame helpers build them (dnspython, scapy).

The server cookies are computed here with a SipHash-2-4 of this file's own (written from the
SipHash paper), checked first against the paper's vector and RFC 9018 appendix A.1, so that the
expected bytes do not come from the code under test. The test env uses the settings below.

Usage: gen_dns_edns_frames.py OUTPUT.tsv
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dns.edns
import gen_dns_frames as g

NSID = b"edge-1.example"
SECRET = bytes.fromhex("e5e973e5a6b2a43f48e7dc849e37bfcf")           # current
PREVIOUS = bytes.fromhex("000102030405060708090a0b0c0d0e0f")         # rollover
NOW = 1559731985
CLIENT4 = bytes([198, 51, 100, 7])                                    # gen_vectors.CLIENT4
CLIENT6 = bytes.fromhex("20010db8000c00000000000000000007")           # gen_vectors.CLIENT6
CC = bytes.fromhex("2464c4abcf10c957")
MASK = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def siphash24(key, msg):
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & MASK; v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK; v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & MASK; v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & MASK; v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)

    tail = len(msg) % 8
    padded = msg[:len(msg) - tail] + msg[len(msg) - tail:] + bytes(7 - tail) + bytes([len(msg) & 0xFF])
    for i in range(0, len(padded), 8):
        m = struct.unpack("<Q", padded[i:i + 8])[0]
        v[3] ^= m
        rnd(); rnd()
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        rnd()
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


assert siphash24(bytes(range(16)), bytes(range(15))) == struct.pack("<Q", 0xa129ca6149be45e5)
assert siphash24(SECRET, CC + bytes([1, 0, 0, 0]) + struct.pack(">I", 1559731985) + bytes([198, 51, 100, 100])) \
    == bytes.fromhex("1f8130c3eee29480")  # RFC 9018 A.1


def server_cookie(cc, stamp, addr, secret=SECRET):
    head = bytes([1, 0, 0, 0]) + struct.pack(">I", stamp & 0xFFFFFFFF)
    return head + siphash24(secret, cc + head + addr)


def opt(code, data=b""):
    return dns.edns.GenericOption(code, data)


ROWS = []
A_WWW = g.WWW_A


def answered(name, q_wire, outcome, options, family=4, **kw):
    request = g.frame(q_wire, family)
    rcode_ext = kw.pop("rcode_ext", None)
    rep = g.reply(q_wire, **kw)
    import dns.message
    r = dns.message.from_wire(rep)
    r.use_edns(0, r.ednsflags, g.UDP_SIZE, options=options)
    if rcode_ext is not None:
        r.set_rcode(rcode_ext)
    out = bytearray(r.to_wire(want_shuffle=False))
    q = dns.message.from_wire(q_wire)
    qlen = len(q.question[0].name.to_wire()) + 4
    out[12:12 + qlen] = q_wire[12:12 + qlen]
    ROWS.append((name, "answer", "none", outcome, bytes(request), g.reply_frame(request, bytes(out))))


def passed(name, q_wire, reason):
    ROWS.append((name, "pass", reason, "-", bytes(g.frame(q_wire)), None))


def q(options, qname="www.example.net.", qtype="A"):
    return g.query(qname, qtype, edns=0, options=options)


fresh4 = server_cookie(CC, NOW, CLIENT4)
fresh6 = server_cookie(CC, NOW, CLIENT6)
answered("nsid", q([opt(3)]), "noerror", [opt(3, NSID)], answer=[A_WWW])
answered("nsid_nxdomain", q([opt(3)], "nope.example.net."), "nxdomain", [opt(3, NSID)],
         authority=[g.soa()], rcode=3)
answered("client_cookie", q([opt(10, CC)]), "noerror", [opt(10, CC + fresh4)], answer=[A_WWW])
answered("client_cookie_v6", q([opt(10, CC)]), "noerror", [opt(10, CC + fresh6)], family=6, answer=[A_WWW])
answered("nsid_and_cookie", q([opt(10, CC), opt(3)]), "noerror", [opt(3, NSID), opt(10, CC + fresh4)],
         answer=[A_WWW])
# A server cookie made 20 minutes ago by this secret, by the previous one, and an hour and a half
# ago: the first two are valid (a fresh one comes back), the last is BADCOOKIE.
answered("valid_cookie", q([opt(10, CC + server_cookie(CC, NOW - 1200, CLIENT4))]), "noerror",
         [opt(10, CC + fresh4)], answer=[A_WWW])
answered("valid_cookie_previous_secret", q([opt(10, CC + server_cookie(CC, NOW - 1200, CLIENT4, PREVIOUS))]),
         "noerror", [opt(10, CC + fresh4)], answer=[A_WWW])
answered("expired_cookie", q([opt(10, CC + server_cookie(CC, NOW - 5400, CLIENT4))]), "badcookie",
         [opt(10, CC + fresh4)], aa=False, rcode_ext=23)
answered("future_cookie", q([opt(10, CC + server_cookie(CC, NOW + 600, CLIENT4))]), "badcookie",
         [opt(10, CC + fresh4)], aa=False, rcode_ext=23)
answered("other_client_cookie", q([opt(10, CC + server_cookie(CC, NOW - 10, bytes([198, 51, 100, 8])))]),
         "badcookie", [opt(10, CC + fresh4)], aa=False, rcode_ext=23)
answered("foreign_server_cookie", q([opt(10, CC + bytes(range(8)))]), "badcookie", [opt(10, CC + fresh4)],
         aa=False, rcode_ext=23)
answered("unknown_option_skipped", q([opt(65001, b"xy"), opt(10, CC)]), "noerror", [opt(10, CC + fresh4)],
         answer=[A_WWW])
# RFC 7873 5.2.2: a COOKIE shorter than 8 bytes, between 9 and 15, or over 40 is malformed.
passed("cookie_short", q([opt(10, CC[:7])]), "dns_edns")
passed("cookie_9", q([opt(10, CC + b"x")]), "dns_edns")
passed("cookie_41", q([opt(10, CC + bytes(33))]), "dns_edns")
passed("many_options", q([opt(65001)] * 9), "dns_edns")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lines = ["# Generated by tests/core/gen_dns_edns_frames.py (dnspython, scapy); do not edit.",
             "# name\taction\treason\toutcome\trequest_hex\treply_hex"]
    for name, action, reason, outcome, request, rep in ROWS:
        lines.append("\t".join([name, action, reason, outcome, request.hex(), rep.hex() if rep else "-"]))
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, sys.argv[1])


if __name__ == "__main__":
    main()
