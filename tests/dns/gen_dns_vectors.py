#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the expected answers of the zone compiler tests (tests/dns/data/*.zone), one per row.

Nothing here reads the zone files or runs the compiler: each answer is written by hand from what
the zone says, as dnspython builds the reply message (its name compression is the one the
compiler follows: longest known suffix, first occurrence, owners and NS/CNAME/SOA/PTR/MX RDATA).

Usage: gen_dns_vectors.py OUTPUT.tsv

Columns (tab separated, '#' starts a comment line):
  case  lookup  qname  qtype  entry_flags  rcode  aa  outcome  ancount  nscount  cuts  body_hex
lookup is "key NAME TYPE" (the table key; TYPE 0 is the node entry) or "nxdomain ZONE_INDEX"
(the zone's NXDOMAIN object); entry_flags are abi.h's AC_DNS_E_* ("-" for nxdomain rows);
outcome is a name of ac_dns_outcome_names; cuts are "end/ancount/nscount" per RRset, comma
separated; body_hex is the reply from offset 12 on: the question, then the records.
"""

import sys

try:
    import dns.message
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rrset
except ImportError as e:
    sys.exit(f"gen_dns_vectors.py: dnspython is missing ({e}); install Debian's python3-dnspython "
             "and run this with /usr/bin/python3")

E_DELEGATION = 1
E_SLOW = 2

SOA_NET = ("example.net.", 3600, "SOA",
           "ns1.example.net. hostmaster.example.net. 2026112601 7200 900 1209600 300")
NEG_TTL_NET = 300  # min(SOA TTL 3600, MINIMUM 300)
SOA_COM = ("example.com.", 60, "SOA", "ns.example.com. admin.example.com. 7 3600 600 86400 120")
NEG_TTL_COM = 60


def rrset(owner, ttl, rtype, *rdatas):
    rs = dns.rrset.RRset(dns.name.from_text(owner), dns.rdataclass.IN, dns.rdatatype.from_text(rtype))
    rs.update_ttl(ttl)
    for r in rdatas:
        rs.add(dns.rdata.from_text(dns.rdataclass.IN, rs.rdtype, r))
    return rs


def soa(which, ttl):
    owner, _, rtype, rdata = which
    return rrset(owner, ttl, rtype, rdata)


def reply(qname, qtype, answer=(), authority=(), additional=()):
    """The reply body (from offset 12) and the cuts after each RRset."""
    m = dns.message.Message(id=0)
    m.question = [dns.rrset.RRset(dns.name.from_text(qname), dns.rdataclass.IN,
                                  dns.rdatatype.from_text(qtype))]
    question_end = 12 + len(dns.name.from_text(qname).to_wire()) + 4
    cuts = []
    counts = {"answer": 0, "authority": 0, "additional": 0}
    for section, sets in (("answer", answer), ("authority", authority), ("additional", additional)):
        for rs in sets:
            getattr(m, section).append(rs)
            counts[section] += len(rs)
            cuts.append(f"{len(m.to_wire(want_shuffle=False)) - question_end}/{counts['answer']}/"
                        f"{counts['authority']}/{counts['additional']}")
    wire = m.to_wire(want_shuffle=False)  # records in zone file order, as the compiler keeps them
    return wire[12:].hex(), ",".join(cuts), counts["answer"], counts["authority"]


ROWS = []


def case(name, lookup, qname, qtype, flags, rcode, aa, outcome, answer=(), authority=(), additional=()):
    body, cuts, an, ns = reply(qname, qtype, answer, authority, additional)
    ROWS.append([name, lookup, qname, qtype, str(flags), str(rcode), str(aa), outcome, str(an), str(ns),
                 cuts or "-", body])


def node_nodata(qname, qtype, key):
    case(f"nodata_{qname}_{qtype}", f"key {key} 0", qname, qtype, 0, 0, 1, "nodata",
         authority=[soa(SOA_NET, NEG_TTL_NET)])


WWW_A = lambda owner="www.example.net.": rrset(owner, 3600, "A", "192.0.2.80", "192.0.2.81")

case("apex_soa", "key example.net. SOA", "example.net.", "SOA", 0, 0, 1, "noerror", answer=[soa(SOA_NET, 3600)])
# Additional records as Knot adds them: the A and AAAA of NS and MX targets in the zone.
case("apex_ns", "key example.net. NS", "example.net.", "NS", 0, 0, 1, "noerror",
     answer=[rrset("example.net.", 3600, "NS", "ns1.example.net.", "ns2.example.org.")],
     additional=[rrset("ns1.example.net.", 3600, "A", "192.0.2.53")])
case("apex_mx", "key example.net. MX", "example.net.", "MX", 0, 0, 1, "noerror",
     answer=[rrset("example.net.", 3600, "MX", "10 mail.example.net.")],
     additional=[rrset("mail.example.net.", 600, "A", "192.0.2.25")])
case("apex_a", "key example.net. A", "example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("example.net.", 3600, "A", "192.0.2.1")])
case("exact_a_ttl", "key mail.example.net. A", "mail.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("mail.example.net.", 600, "A", "192.0.2.25")])
case("exact_a_two", "key www.example.net. A", "www.example.net.", "A", 0, 0, 1, "noerror", answer=[WWW_A()])
case("exact_a_client_case", "key www.example.net. A", "WwW.ExAmple.NET.", "A", 0, 0, 1, "noerror",
     answer=[WWW_A()])
case("exact_aaaa", "key www.example.net. AAAA", "www.example.net.", "AAAA", 0, 0, 1, "noerror",
     answer=[rrset("www.example.net.", 3600, "AAAA", "2001:db8::80")])
case("zone_case_kept", "key mixed.case.example.net. A", "mixed.case.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("Mixed.Case.example.net.", 3600, "A", "192.0.2.99")])
case("txt_multi_string", "key txt.example.net. TXT", "txt.example.net.", "TXT", 0, 0, 1, "noerror",
     answer=[rrset("txt.example.net.", 3600, "TXT", '"first string" "second \\"quoted\\" string" "semi;colon"')])
node_nodata("www.example.net.", "MX", "www.example.net.")
node_nodata("example.net.", "TXT", "example.net.")

# CNAME: the CNAME type itself is not followed; other types follow the chain inside the zone.
case("cname_itself", "key alias.example.net. CNAME", "alias.example.net.", "CNAME", 0, 0, 1, "noerror",
     answer=[rrset("alias.example.net.", 3600, "CNAME", "www.example.net.")])
case("cname_a", "key alias.example.net. A", "alias.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("alias.example.net.", 3600, "CNAME", "www.example.net."), WWW_A()])
case("cname_chain_a", "key chain.example.net. A", "chain.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("chain.example.net.", 3600, "CNAME", "alias.example.net."),
             rrset("alias.example.net.", 3600, "CNAME", "www.example.net."), WWW_A()])
case("cname_chain_nodata", "key chain.example.net. 0", "chain.example.net.", "MX", 0, 0, 1, "nodata",
     answer=[rrset("chain.example.net.", 3600, "CNAME", "alias.example.net."),
             rrset("alias.example.net.", 3600, "CNAME", "www.example.net.")],
     authority=[soa(SOA_NET, NEG_TTL_NET)])
case("cname_dangling", "key dangling.example.net. 0", "dangling.example.net.", "A", 0, 3, 1, "nxdomain",
     answer=[rrset("dangling.example.net.", 3600, "CNAME", "nothere.example.net.")],
     authority=[soa(SOA_NET, NEG_TTL_NET)])
case("cname_outside", "key outside.example.net. 0", "outside.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("outside.example.net.", 3600, "CNAME", "www.example.org.")])

# Wildcards: the owner is the query name; names below the parent move with its length.
case("wildcard_a", "key *.wild.example.net. A", "host.wild.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("host.wild.example.net.", 3600, "A", "198.51.100.7")])
case("wildcard_mx_fixup", "key *.wild.example.net. MX", "a-much-longer-label.wild.example.net.", "MX", 0, 0, 1,
     "noerror", answer=[rrset("a-much-longer-label.wild.example.net.", 3600, "MX", "5 mx.wild.example.net.")])
case("wildcard_literal", "key *.wild.example.net. MX", "*.wild.example.net.", "MX", 0, 0, 1, "noerror",
     answer=[rrset("*.wild.example.net.", 3600, "MX", "5 mx.wild.example.net.")])
node_nodata("x.wild.example.net.", "TXT", "*.wild.example.net.")
case("wildcard_cname", "key *.wc.example.net. A", "some.deep.name.wc.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("some.deep.name.wc.example.net.", 3600, "CNAME", "www.example.net."), WWW_A()])
case("wildcard_cname_nodata", "key *.wc.example.net. 0", "q.wc.example.net.", "TXT", 0, 0, 1, "nodata",
     answer=[rrset("q.wc.example.net.", 3600, "CNAME", "www.example.net.")],
     authority=[soa(SOA_NET, NEG_TTL_NET)])

# Empty non-terminals, the parent of a wildcard included.
node_nodata("b.ent.example.net.", "A", "b.ent.example.net.")
node_nodata("ent.example.net.", "A", "ent.example.net.")
node_nodata("wild.example.net.", "A", "wild.example.net.")

# NXDOMAIN per zone, laid out for the apex and moved for longer names.
case("nxdomain_net", "nxdomain 0", "nope.example.net.", "A", "-", 3, 1, "nxdomain",
     authority=[soa(SOA_NET, NEG_TTL_NET)])
case("nxdomain_net_long", "nxdomain 0", "a.very.long.name.that.does.not.exist.example.net.", "AAAA", "-", 3, 1,
     "nxdomain", authority=[soa(SOA_NET, NEG_TTL_NET)])
case("nxdomain_com", "nxdomain 1", "nope.example.com.", "A", "-", 3, 1, "nxdomain",
     authority=[soa(SOA_COM, NEG_TTL_COM)])
case("second_zone_a", "key ns.example.com. A", "ns.example.com.", "A", 0, 0, 1, "noerror",
     answer=[rrset("ns.example.com.", 60, "A", "203.0.113.53")])

# Delegation: a referral for the cut and every name below it, AA clear, the glue in additional.
REFERRAL = [rrset("sub.example.net.", 3600, "NS", "ns.sub.example.net.", "ns.example.org.")]
GLUE = [rrset("ns.sub.example.net.", 3600, "A", "192.0.2.100")]
case("referral_at_cut", "key sub.example.net. 0", "sub.example.net.", "A", E_DELEGATION, 0, 0, "referral",
     authority=REFERRAL, additional=GLUE)
case("referral_below_cut", "key sub.example.net. 0", "deep.below.sub.example.net.", "A", E_DELEGATION, 0, 0,
     "referral", authority=REFERRAL, additional=GLUE)
case("cut_ds_nodata", "key sub.example.net. DS", "sub.example.net.", "DS", 0, 0, 1, "nodata",
     authority=[soa(SOA_NET, NEG_TTL_NET)])

# A CNAME into a delegation ends in the cut's NS in authority, AA kept (as Knot); the cut's DS is
# the parent's.
case("cname_to_cut", "key tocut.example.net. 0", "tocut.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("tocut.example.net.", 3600, "CNAME", "host.sub.example.net.")], authority=REFERRAL,
     additional=GLUE)
case("cname_to_cut_itself", "key tocut2.example.net. 0", "tocut2.example.net.", "AAAA", 0, 0, 1, "noerror",
     answer=[rrset("tocut2.example.net.", 3600, "CNAME", "sub.example.net.")], authority=REFERRAL,
     additional=GLUE)
case("cname_to_cut_ds", "key tocut2.example.net. DS", "tocut2.example.net.", "DS", 0, 0, 1, "nodata",
     answer=[rrset("tocut2.example.net.", 3600, "CNAME", "sub.example.net.")],
     authority=[soa(SOA_NET, NEG_TTL_NET)])
case("ttl_of_last_record", "key ttlmix.example.net. A", "ttlmix.example.net.", "A", 0, 0, 1, "noerror",
     answer=[rrset("ttlmix.example.net.", 60, "A", "192.0.2.60", "192.0.2.61")])

# Over AC_DNS_FAST_MAX: stored whole for the slow path, flagged slow.
case("large_txt_slow", "key big.example.net. TXT", "big.example.net.", "TXT", E_SLOW, 0, 1, "noerror",
     answer=[rrset("big.example.net.", 3600, "TXT", *[f'"record {i:02d} {"x" * 100}"' for i in range(12)])])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_dns_vectors.py OUTPUT.tsv")
    with open(sys.argv[1], "w") as f:
        f.write("# generated by tests/dns/gen_dns_vectors.py with dnspython; see its docstring\n")
        for row in ROWS:
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
