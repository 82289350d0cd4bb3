#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the DNS packet path's test frames: a query frame per row, the verdict, the DNS outcome
and, when answered, the reply frame.

Nothing here reads dnscore.zone or runs the code under test: the records of
tests/core/data/dnscore.zone are written again below, the reply messages are built from them
with dnspython (whose name compression is the one the zone compiler follows: the longest known
suffix, first occurrence) and the frames around them with scapy (lengths and checksums its own).
The DNSSEC rows (DO set) take their records from the signed zones tests/core/data/nsec.test.signed
and nsec3.test.signed, read with dnspython, and pick the proofs by the RFCs' rules with dnspython's
own canonical order and NSEC3 hash (RFC 4035 3.1.3, RFC 5155 7.2).

Usage: gen_dns_frames.py OUTPUT.tsv

Columns (tab separated, '#' starts a comment line):
  name  action  reason  outcome  request_hex  reply_hex
action and reason are names of abi.h's ac_action_names and ac_pass_reason_names, outcome one of
ac_dns_outcome_names ("-" for a pass), reply_hex "-" for a pass (the frame comes back untouched).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))

try:
    import dns.edns
    import dns.flags
    import dns.message
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.dnssec
    import dns.rrset
    import dns.zone
    from scapy.all import IP, UDP, Dot1Q, Ether, IPv6, Raw
except ImportError as e:
    sys.exit(f"gen_dns_frames.py: {e}; install Debian's python3-dnspython and python3-scapy and "
             "run with /usr/bin/python3")

import gen_vectors as gv

DNS = 53
UDP_SIZE = 1232  # abi.h AC_DNS_UDP_SIZE: our OPT's payload size

SOA = ("example.net.", "SOA", "ns1.example.net. hostmaster.example.net. 2026112601 7200 900 1209600 300")
NEG_TTL = 300  # RFC 2308: min(SOA TTL 3600, MINIMUM 300)
LONG = ['"%d%s"' % (i, "x" * 99) for i in range(6)]  # six TXT strings of 100 bytes


def rrset(owner, ttl, rtype, *rdatas):
    rs = dns.rrset.RRset(dns.name.from_text(owner), dns.rdataclass.IN, dns.rdatatype.from_text(rtype))
    rs.update_ttl(ttl)
    for r in rdatas:
        rs.add(dns.rdata.from_text(dns.rdataclass.IN, rs.rdtype, r))
    return rs


def soa():
    return rrset(SOA[0], NEG_TTL, SOA[1], SOA[2])


def query(qname, qtype, qid=0x1234, rd=True, edns=None, do=False, options=(), qclass="IN",
          opcode=0, flags_extra=0, payload=4096):
    """A query as dig sends it; edns is the OPT's version (None: no OPT)."""
    m = dns.message.make_query(qname, qtype, qclass, use_edns=False, want_dnssec=False)
    m.id = qid
    m.flags = (dns.flags.RD if rd else 0) | flags_extra
    m.set_opcode(opcode)
    if edns is not None:
        m.use_edns(edns, dns.flags.DO if do else 0, payload, options=list(options))
    return m.to_wire()


def reply(q_wire, answer=(), authority=(), additional=(), rcode=0, aa=True, tc=False, ext_badvers=False):
    """The reply the spec calls for: ID, RD and CD of the query, QR, AA, TC, rcode; the question
    as the query wrote it; our OPT (size 1232, DO copied, version 0, no options) when the query
    had one. dnspython writes the sections; the question is the query's bytes."""
    q = dns.message.from_wire(q_wire)
    r = dns.message.Message(id=q.id)
    r.flags = dns.flags.QR | (q.flags & (dns.flags.RD | dns.flags.CD))
    if aa:
        r.flags |= dns.flags.AA
    if tc:
        r.flags |= dns.flags.TC
    r.set_rcode(rcode)
    r.question = q.question
    for rs in answer:
        r.answer.append(rs)
    for rs in authority:
        r.authority.append(rs)
    for rs in additional:
        r.additional.append(rs)
    if q.edns >= 0:
        r.use_edns(0, q.ednsflags & dns.flags.DO, UDP_SIZE)
        if ext_badvers:
            r.set_rcode(16)  # BADVERS: 0 in the header, 1 in the OPT
    wire = bytearray(r.to_wire(want_shuffle=False))
    # dnspython writes the question name lowercased where the query was not: the question is
    # the query's, byte for byte (the case the client sent).
    qlen = len(q.question[0].name.to_wire()) + 4
    wire[12:12 + qlen] = q_wire[12:12 + qlen]
    return bytes(wire)


def frame(payload, family=4, vlan=None, sport=gv.CLIENT_PORT):
    tags = ((0x8100, vlan),) if vlan else ()
    if family == 4:
        return gv.udp4(dport=DNS, sport=sport, payload=payload, vlans=tags)
    return gv.udp6(dport=DNS, sport=sport, payload=payload, vlans=tags)


def reply_frame(request, payload):
    """The request's frame turned around: MACs, addresses and ports swapped, tags kept, TTL or
    hop limit 64, the new payload, lengths and checksums by scapy."""
    req = Ether(bytes(request))
    out = Ether(dst=req.src, src=req.dst, type=req.type)
    layer = req.payload
    while isinstance(layer, Dot1Q):
        out = out / Dot1Q(prio=layer.prio, id=layer.id, vlan=layer.vlan, type=layer.type)
        layer = layer.payload
    if isinstance(layer, IP):
        out = out / IP(tos=layer.tos, id=layer.id, flags=layer.flags, frag=0, ttl=gv.REPLY_TTL,
                       proto=17, src=layer.dst, dst=layer.src)
    else:
        out = out / IPv6(tc=layer.tc, fl=layer.fl, nh=17, hlim=gv.REPLY_TTL, src=layer.dst, dst=layer.src)
    u = layer.payload
    out = out / UDP(sport=u.dport, dport=u.sport) / Raw(payload)
    wire = bytes(out)
    check = UDP(bytes(out[UDP]))  # scapy's checksum: never 0 on the wire (RFC 768)
    assert check.chksum != 0
    return wire


ROWS = []


def answered(name, q_wire, outcome, family=4, vlan=None, **kw):
    request = frame(q_wire, family, vlan)
    ROWS.append((name, "answer", "none", outcome, bytes(request), reply_frame(request, reply(q_wire, **kw))))


def passed(name, payload, reason, family=4):
    ROWS.append((name, "pass", reason, "-", bytes(frame(payload, family)), None))


WWW_A = rrset("www.example.net.", 3600, "A", "192.0.2.80", "192.0.2.81")

# --- positive answers
q = query("www.example.net.", "A")
answered("a_v4", q, "noerror", answer=[WWW_A])
answered("a_v6", q, "noerror", family=6, answer=[WWW_A])
answered("a_vlan", q, "noerror", vlan=42, answer=[WWW_A])
answered("a_no_rd", query("www.example.net.", "A", rd=False), "noerror", answer=[WWW_A])
q = query("www.example.net.", "AAAA")
answered("aaaa", q, "noerror", family=6, answer=[rrset("www.example.net.", 3600, "AAAA", "2001:db8::80")])
q = query("example.net.", "MX")
answered("mx", q, "noerror", answer=[rrset("example.net.", 3600, "MX", "10 mail.example.net.")],
         additional=[rrset("mail.example.net.", 3600, "A", "192.0.2.25")])  # as Knot: the target's address
q = query("example.net.", "NS", edns=0)
answered("ns_apex", q, "noerror", answer=[rrset("example.net.", 3600, "NS", "ns1.example.net.")],
         additional=[rrset("ns1.example.net.", 3600, "A", "192.0.2.53")])
q = query("txt.example.net.", "TXT")
answered("txt", q, "noerror", answer=[rrset("txt.example.net.", 3600, "TXT", '"hello" "world"')])
q = query("chain.example.net.", "A")
answered("cname_chain", q, "noerror",
         answer=[rrset("chain.example.net.", 3600, "CNAME", "alias.example.net."),
                 rrset("alias.example.net.", 3600, "CNAME", "www.example.net."), WWW_A])
q = query("WwW.ExAmPlE.NeT.", "A")
answered("mixed_case", q, "noerror", answer=[rrset("WwW.ExAmPlE.NeT.", 3600, "A", "192.0.2.80", "192.0.2.81")])

# --- negative answers: SOA in authority with the negative TTL
answered("nodata", query("www.example.net.", "MX"), "nodata", authority=[soa()])
answered("nxdomain", query("nothere.example.net.", "A"), "nxdomain", rcode=3, authority=[soa()])
answered("nxdomain_longer", query("a.b.c.nothere.example.net.", "AAAA"), "nxdomain", rcode=3,
         authority=[soa()])
answered("empty_non_terminal", query("b.ent.example.net.", "A"), "nodata", authority=[soa()])

# --- wildcard: the owner is the query name, pointers after it move with its length
q = query("host.wild.example.net.", "A")
answered("wildcard", q, "noerror", answer=[rrset("host.wild.example.net.", 3600, "A", "198.51.100.7")])
q = query("a-much-longer-name.below.wild.example.net.", "A")
answered("wildcard_longer", q, "noerror",
         answer=[rrset("a-much-longer-name.below.wild.example.net.", 3600, "A", "198.51.100.7")])
answered("wildcard_nodata", query("host.wild.example.net.", "TXT"), "nodata", authority=[soa()])

# --- referral: below the cut, NS in authority, AA clear, the glue in additional
answered("referral", query("host.sub.example.net.", "A"), "referral", aa=False,
         authority=[rrset("sub.example.net.", 3600, "NS", "ns.sub.example.net.")],
         additional=[rrset("ns.sub.example.net.", 3600, "A", "192.0.2.100")])

# --- outside every zone
answered("refused", query("www.example.org.", "A"), "refused", rcode=5, aa=False)
answered("refused_edns", query("www.example.org.", "A", edns=0), "refused", rcode=5, aa=False)

# --- EDNS0
answered("edns_do", query("www.example.net.", "A", edns=0, do=True), "noerror", answer=[WWW_A])
answered("edns_unknown_option",
         query("www.example.net.", "A", edns=0, options=[dns.edns.GenericOption(65001, b"\x01\x02\x03")]),
         "noerror", family=6, answer=[WWW_A])
answered("edns_badvers", query("www.example.net.", "A", edns=1, do=True), "badvers", aa=False,
         ext_badvers=True)
answered("long_with_edns", query("long.example.net.", "TXT", edns=0), "noerror",
         answer=[rrset("long.example.net.", 3600, "TXT", *LONG)])

# --- no EDNS: 512 bytes; whole RRsets that fit, TC
answered("truncated_no_edns", query("tolong.example.net.", "TXT"), "truncated", tc=True,
         answer=[rrset("tolong.example.net.", 3600, "CNAME", "long.example.net.")])
answered("truncated_to_nothing", query("long.example.net.", "TXT"), "truncated", tc=True)

# --- the name pass at its edges: the root name (no label), names of AC_DNS_MAX_LABELS (16) labels
answered("root_refused", query(".", "A"), "refused", rcode=5, aa=False)
answered("nxdomain_16_labels", query("a.b.c.d.e.f.g.h.i.j.k.l.m.n.example.net.", "A"), "nxdomain", rcode=3,
         authority=[soa()])
W16 = "a.b.c.d.e.f.g.h.i.j.k.l.m.wild.example.net."
answered("wildcard_16_labels", query(W16, "A"), "noerror", answer=[rrset(W16, 3600, "A", "198.51.100.7")])
# --- truncation through a wildcard: the cut keeps the CNAME, whose pointer moves with the query
# name; the TXT records' moving pointers lie past the cut and must not be written
answered("truncated_wildcard", query("x.twild.example.net.", "TXT"), "truncated", tc=True,
         answer=[rrset("x.twild.example.net.", 3600, "CNAME", "long.example.net.")])

# --- the UDP checksum is made of parts (docs/dns.md): the records' sum lands byte-swapped when
# they start at an odd offset of the datagram, which the query name's length decides (header 8 +
# 12 + name + 4); moved pointers, cuts and our OPT at both parities
q = query("hosts.wild.example.net.", "A")  # 24 bytes: the records at an even offset
answered("wildcard_even", q, "noerror", answer=[rrset("hosts.wild.example.net.", 3600, "A", "198.51.100.7")])
q = query("host.wild.example.net.", "A", edns=0)
answered("wildcard_odd_edns", q, "noerror", answer=[rrset("host.wild.example.net.", 3600, "A", "198.51.100.7")])
q = query("hosts.wild.example.net.", "A", edns=0, do=True)
answered("wildcard_even_edns_do", q, "noerror", family=6,
         answer=[rrset("hosts.wild.example.net.", 3600, "A", "198.51.100.7")])
answered("nxdomain_even_edns", query("nothere2.example.net.", "A", edns=0), "nxdomain", rcode=3,
         authority=[soa()])
answered("referral_odd_edns", query("hostx.sub.example.net.", "A", edns=0), "referral", aa=False,
         authority=[rrset("sub.example.net.", 3600, "NS", "ns.sub.example.net.")],
         additional=[rrset("ns.sub.example.net.", 3600, "A", "192.0.2.100")])
answered("truncated_wildcard_even", query("xy.twild.example.net.", "TXT"), "truncated", tc=True,
         answer=[rrset("xy.twild.example.net.", 3600, "CNAME", "long.example.net.")])
answered("truncated_edns_512_odd", query("x.twild.example.net.", "TXT", edns=0, payload=512), "truncated",
         tc=True, answer=[rrset("x.twild.example.net.", 3600, "CNAME", "long.example.net.")])
answered("truncated_edns_512_even", query("xy.twild.example.net.", "TXT", edns=0, do=True, payload=512),
         "truncated", family=6, tc=True, answer=[rrset("xy.twild.example.net.", 3600, "CNAME", "long.example.net.")])
answered("truncated_to_nothing_edns", query("long.example.net.", "TXT", edns=0, payload=512), "truncated", tc=True)

# --- additional records that do not fit: left out without TC, unless they are a referral's glue
answered("additional_left_out", query("bigmx.example.net.", "MX"), "noerror",
         answer=[rrset("bigmx.example.net.", 3600, "MX", "10 many.example.net.")])
answered("glue_truncated", query("www.bigsub.example.net.", "A"), "truncated", aa=False, tc=True,
         authority=[rrset("bigsub.example.net.", 3600, "NS", "ns.bigsub.example.net.")])

# --- DNSSEC: pre-signed zones (issue 24), asked with DO: every RRset with its RRSIGs, NODATA and
# referrals with their NSEC/NSEC3 proofs; NXDOMAIN and wildcards pass (their proofs depend on the
# name). Without DO a signed zone answers as an unsigned one.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SIGNED = {o: dns.zone.from_file(os.path.join(DATA, o + "signed"), o, relativize=False)
          for o in ("nsec.test.", "nsec3.test.")}
IN = dns.rdataclass.IN


def rr(origin, owner, rtype, ttl=None, covers=dns.rdatatype.NONE):
    """The owner's RRset of rtype (RRSIG: those covering `covers`) from the signed file."""
    z = SIGNED[origin]
    rtype = dns.rdatatype.from_text(rtype) if isinstance(rtype, str) else rtype
    rds = z.find_node(dns.name.from_text(owner)).find_rdataset(IN, rtype, covers)
    rs = dns.rrset.RRset(dns.name.from_text(owner), IN, rtype, covers)
    rs.update(rds)
    rs.update_ttl(rds.ttl if ttl is None else ttl)
    return rs


def signed(origin, owner, rtype, ttl=None):
    """An RRset and its RRSIGs, the RRSIGs with the RRset's TTL as sent."""
    covered = dns.rdatatype.from_text(rtype)
    data = rr(origin, owner, covered, ttl)
    return [data, rr(origin, owner, dns.rdatatype.RRSIG, data.ttl, covers=covered)]


def neg_soa(origin):
    return signed(origin, origin, "SOA", NEG_TTL)


def nsec_denial(origin, name):
    """RFC 4035 3.1.3.1, 3.1.3.2: the NSEC at the name, or the one covering it (canonical order)."""
    z = SIGNED[origin]
    name = dns.name.from_text(name)
    owners = sorted(n for n, node in z.nodes.items() if node.get_rdataset(IN, dns.rdatatype.NSEC))
    before = [n for n in owners if n <= name]
    return signed(origin, (before[-1] if before else owners[-1]).to_text(), "NSEC")


def nsec3_match(origin, name):
    """RFC 5155 7.2.3: the NSEC3 whose owner is the name's hash."""
    h = dns.dnssec.nsec3_hash(name, "", 0, 1).lower()
    return signed(origin, h + "." + origin, "NSEC3")


S, S3 = "nsec.test.", "nsec3.test."
answered("do_a", query("www." + S, "A", edns=0, do=True), "noerror", answer=signed(S, "www." + S, "A"))
answered("do_aaaa_v6", query("WWW.Nsec.Test.", "AAAA", edns=0, do=True), "noerror", family=6,
         answer=[r for r in signed(S, "www." + S, "AAAA")])
answered("signed_without_do", query("www." + S, "A", edns=0), "noerror", answer=[rr(S, "www." + S, "A")])
answered("signed_nxdomain_without_do", query("nope." + S, "A"), "nxdomain", rcode=3,
         authority=[rr(S, S, "SOA", NEG_TTL)])
answered("do_mx_additional", query(S, "MX", edns=0, do=True), "noerror", answer=signed(S, S, "MX"),
         additional=signed(S, "mail." + S, "A"))
answered("do_cname", query("alias." + S, "A", edns=0, do=True), "noerror",
         answer=signed(S, "alias." + S, "CNAME") + signed(S, "www." + S, "A"))
answered("do_nodata", query("www." + S, "MX", edns=0, do=True), "nodata",
         authority=neg_soa(S) + nsec_denial(S, "www." + S))
answered("do_empty_non_terminal", query("b.ent." + S, "TXT", edns=0, do=True), "nodata",
         authority=neg_soa(S) + nsec_denial(S, "b.ent." + S))
answered("do_referral_ds", query("host.secure." + S, "A", edns=0, do=True), "referral", aa=False,
         authority=[rr(S, "secure." + S, "NS")] + signed(S, "secure." + S, "DS"),
         additional=[rr(S, "ns.secure." + S, "A")])
answered("do_referral_no_ds", query("host.insecure." + S, "A", edns=0, do=True), "referral", aa=False,
         authority=[rr(S, "insecure." + S, "NS")] + nsec_denial(S, "insecure." + S),
         additional=[rr(S, "ns.insecure." + S, "A")])
answered("do_ds", query("secure." + S, "DS", edns=0, do=True), "noerror", answer=signed(S, "secure." + S, "DS"))
answered("do_ds_none", query("insecure." + S, "DS", edns=0, do=True), "nodata",
         authority=neg_soa(S) + nsec_denial(S, "insecure." + S))
answered("do_nsec3_nodata", query("www." + S3, "MX", edns=0, do=True), "nodata",
         authority=neg_soa(S3) + nsec3_match(S3, "www." + S3))
answered("do_nsec3_empty_non_terminal", query("b.ent." + S3, "A", edns=0, do=True), "nodata", family=6,
         authority=neg_soa(S3) + nsec3_match(S3, "b.ent." + S3))
answered("do_nsec3_referral_no_ds", query("host.insecure." + S3, "A", edns=0, do=True), "referral", aa=False,
         authority=[rr(S3, "insecure." + S3, "NS")] + nsec3_match(S3, "insecure." + S3),
         additional=[rr(S3, "ns.insecure." + S3, "A")])
answered("do_nsec3_a", query("www." + S3, "A", edns=0, do=True), "noerror", answer=signed(S3, "www." + S3, "A"))
passed("do_nxdomain", query("nope." + S, "A", edns=0, do=True), "dns_signed_proof")
passed("do_wildcard", query("x.wild." + S, "A", edns=0, do=True), "dns_signed_proof")
passed("do_nsec3_nxdomain", query("nope." + S3, "A", edns=0, do=True), "dns_signed_proof", family=6)

# --- passed to the slow path, untouched
WWW = query("www.example.net.", "A")
passed("not_query_qr", bytes([WWW[0], WWW[1], WWW[2] | 0x80]) + WWW[3:], "dns_not_query")
passed("opcode_notify", query("www.example.net.", "SOA", opcode=4), "dns_not_query")
passed("qdcount_0", WWW[:4] + b"\x00\x00" + WWW[6:12], "dns_qdcount")
passed("qdcount_2", WWW[:4] + b"\x00\x02" + WWW[6:] + WWW[12:], "dns_qdcount")
passed("class_ch", query("version.bind.", "TXT", qclass="CH"), "dns_class")
passed("qtype_any", query("www.example.net.", "ANY"), "dns_qtype")
passed("qtype_axfr", query("example.net.", "AXFR"), "dns_qtype")
passed("answer_count", WWW[:6] + b"\x00\x01" + WWW[8:], "dns_sections")
TSIG_LIKE = b"\x03key\x00" + struct.pack("!HHIH", 250, 255, 0, 0)
passed("tsig_additional", WWW[:10] + b"\x00\x01" + WWW[12:] + TSIG_LIKE, "dns_sections")
passed("opt_rdata_beyond", WWW[:10] + b"\x00\x01" + WWW[12:] + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 10),
       "dns_edns")
passed("compression_in_question", WWW[:12] + b"\xc0\x0c" + WWW[-4:], "dns_malformed")
passed("label_beyond_message", WWW[:12] + b"\x3fabc", "dns_malformed")
passed("header_short", WWW[:11], "dns_malformed")
passed("trailing_bytes", WWW + b"\x00", "dns_malformed")
NAME_256 = b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + b"\x00"  # 257 bytes
passed("name_over_255", WWW[:12] + NAME_256 + WWW[-4:], "dns_malformed")
NAME_17 = b"".join(b"\x01a" for _ in range(17)) + b"\x00"
passed("slow_answer", query("huge.example.net.", "TXT", edns=0), "dns_slow_answer")
passed("too_many_labels", WWW[:12] + NAME_17 + WWW[-4:], "dns_long_name", family=6)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lines = ["# Generated by tests/core/gen_dns_frames.py (dnspython, scapy); do not edit.",
             "# name\taction\treason\toutcome\trequest_hex\treply_hex"]
    names = set()
    for name, action, reason, outcome, request, rep in ROWS:
        assert name not in names, name
        names.add(name)
        lines.append("\t".join([name, action, reason, outcome, request.hex(), rep.hex() if rep else "-"]))
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, sys.argv[1])


if __name__ == "__main__":
    main()
