#!/usr/bin/python3
"""The DNS lab's client (tests/lab/test_dns_lab.sh), run in the client namespace.

Every case in CASES is asked with dig, over IPv4 and IPv6, of knotd (the reference) and of
anycastd's VIP:
  - knotd's reply must have the case's expected shape (rcode, AA, TC, the types in the answer and
    authority sections): this proves the zone and the expectations, independently of anycastd;
  - anycastd's reply must equal knotd's: rcode (with the extended rcode), the header flags, EDNS
    present or not and its version, and the answer, authority and additional sections as sets of
    records (owner, TTL, type, RDATA: glue, and the addresses of NS and MX targets); EDNS options
    are left out;
  - the path the case names must have answered it: for "fast", the fast path's answered.dns and
    the case's outcome counter each moved by one, no dns_* pass counter moved, and the edge
    kernel's UDP InDatagrams stood still; for "slow", answered.dns stood still, the case's pass
    reason moved by one, and the edge kernel saw the UDP datagram (and, when dig used TCP, one
    more passive TCP open).
Mixed-case questions are also sent as raw bytes, and the question must come back byte for byte.
Then malformed messages (MALFORMED) go to the VIP from a plain UDP socket: each must move its
pass counter and reach the edge kernel, the fast path must answer none, and whatever comes back
(the slow path may answer an error) must be an error with no records.

Exit status 0 when every check held; every failed check is printed.
"""
import argparse
import json
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import yaml

ORIGIN = "example.net."


@dataclass
class Case:
    name: str
    qname: str
    qtype: str
    path: str  # "fast" or "slow"
    counter: str  # fast: the dns outcome counter; slow: the pass reason ("" when dig uses TCP only)
    rcode: str
    aa: bool
    answer: list  # record types in the answer section, in any order
    authority: list = field(default_factory=list)
    tc: bool = False
    opts: list = field(default_factory=list)  # extra dig options
    tcp: bool = False  # the answer comes over TCP (dig +tcp, or dig retrying after TC)
    udp: bool = True  # a UDP datagram goes to the server


def n(label):
    return label + "." + ORIGIN if label else ORIGIN


IGNORE = ["+ignore"]  # dig shows the truncated reply instead of retrying over TCP
CASES = [
    Case("apex SOA", n(""), "SOA", "fast", "noerror", "NOERROR", True, ["SOA"]),
    Case("apex NS", n(""), "NS", "fast", "noerror", "NOERROR", True, ["NS", "NS"]),
    Case("apex MX", n(""), "MX", "fast", "noerror", "NOERROR", True, ["MX", "MX"]),
    Case("A", n("www"), "A", "fast", "noerror", "NOERROR", True, ["A", "A"]),
    Case("AAAA", n("www"), "AAAA", "fast", "noerror", "NOERROR", True, ["AAAA"]),
    Case("TXT of several strings", n("txt"), "TXT", "fast", "noerror", "NOERROR", True, ["TXT"]),
    Case("CNAME chain", n("alias"), "A", "fast", "noerror", "NOERROR", True, ["CNAME", "CNAME", "A", "A"]),
    Case("CNAME chain, AAAA", n("alias"), "AAAA", "fast", "noerror", "NOERROR", True, ["CNAME", "CNAME", "AAAA"]),
    Case("CNAME asked for", n("alias"), "CNAME", "fast", "noerror", "NOERROR", True, ["CNAME"]),
    Case("CNAME to a name lacking the type", n("notype"), "AAAA", "fast", "nodata", "NOERROR", True, ["CNAME"], ["SOA"]),
    Case("CNAME to a missing name", n("dangling"), "A", "fast", "nxdomain", "NXDOMAIN", True, ["CNAME"], ["SOA"]),
    Case("wildcard", n("foo.wild"), "A", "fast", "noerror", "NOERROR", True, ["A"]),
    Case("wildcard, two labels down", n("a.b.wild"), "TXT", "fast", "noerror", "NOERROR", True, ["TXT"]),
    Case("wildcard owner asked for", n("*.wild"), "A", "fast", "noerror", "NOERROR", True, ["A"]),
    Case("wildcard, type absent", n("foo.wild"), "MX", "fast", "nodata", "NOERROR", True, [], ["SOA"]),
    Case("NXDOMAIN", n("nothere"), "A", "fast", "nxdomain", "NXDOMAIN", True, [], ["SOA"]),
    Case("NXDOMAIN below an empty non-terminal", n("x.ent"), "A", "fast", "nxdomain", "NXDOMAIN", True, [], ["SOA"]),
    Case("NODATA", n("www"), "MX", "fast", "nodata", "NOERROR", True, [], ["SOA"]),
    Case("empty non-terminal", n("ent"), "A", "fast", "nodata", "NOERROR", True, [], ["SOA"]),
    Case("empty non-terminal above a wildcard", n("wild"), "A", "fast", "nodata", "NOERROR", True, [], ["SOA"]),
    Case("out of zone: REFUSED", "www.example.org.", "A", "fast", "refused", "REFUSED", False, []),
    Case("referral below a cut", n("host.sub"), "A", "fast", "referral", "NOERROR", False, [], ["NS", "NS"]),
    Case("referral at a cut", n("sub"), "NS", "fast", "referral", "NOERROR", False, [], ["NS", "NS"]),
    # DS belongs to the parent side of a cut (RFC 4035 3.1.4.1): the parent's NODATA, no referral
    Case("DS at a cut: the parent answers", n("sub"), "DS", "fast", "nodata", "NOERROR", True, [], ["SOA"]),
    Case("mixed case", "wWw.ExAmPlE.NeT.", "A", "fast", "noerror", "NOERROR", True, ["A", "A"]),
    Case("mixed case, wildcard", "FoO.WiLd.eXaMpLe.NET.", "A", "fast", "noerror", "NOERROR", True, ["A"]),
    Case("no EDNS", n("www"), "A", "fast", "noerror", "NOERROR", True, ["A", "A"], opts=["+noedns"]),
    Case("EDNS version 1: BADVERS", n("www"), "A", "fast", "badvers", "BADVERS", False, [],
         opts=["+edns=1", "+noednsnegotiation"]),
    Case("big TXT with EDNS, whole", n("big"), "TXT", "fast", "noerror", "NOERROR", True, ["TXT"] * 6),
    Case("big TXT without EDNS: TC", n("big"), "TXT", "fast", "truncated", "NOERROR", True, [], tc=True,
         opts=["+noedns"] + IGNORE),
    Case("CNAME to the big TXT without EDNS: TC after the CNAME", n("bigalias"), "TXT", "fast", "truncated",
         "NOERROR", True, ["CNAME"], tc=True, opts=["+noedns"] + IGNORE),
    Case("huge TXT on UDP: TC from the slow path", n("huge"), "TXT", "slow", "dns_slow_answer", "NOERROR", True, [],
         tc=True, opts=IGNORE),
    Case("huge TXT: TC, dig retries over TCP, whole", n("huge"), "TXT", "slow", "dns_slow_answer", "NOERROR", True,
         ["TXT"] * 10, tcp=True),
    Case("A over TCP", n("www"), "A", "slow", "", "NOERROR", True, ["A", "A"], opts=["+tcp"], tcp=True, udp=False),
]

# Raw messages for the malformed checks: (what, pass reason, payload). The header is
# id, flags (RD), qdcount, ancount, nscount, arcount.
# Cases whose reply is no longer than dig's query (which carries a 12-byte EDNS cookie option our
# OPT drops): the frame does not grow, so no datapath may pass them as dns_no_room.
SHRINKING = {"out of zone: REFUSED", "EDNS version 1: BADVERS"}


def _hdr(qid, qd):
    return struct.pack("!HHHHHH", qid, 0x0100, qd, 0, 0, 0)


_WWW = b"\x03www\x07example\x03net\x00"
_IN_A = struct.pack("!HH", 1, 1)
MALFORMED = [
    ("compression loop in the question", "dns_malformed", _hdr(0x5101, 1) + b"\xc0\x0c" + _IN_A),
    ("label beyond the message end", "dns_malformed", _hdr(0x5102, 1) + b"\x03www\x28abc"),
    ("name over 255 bytes", "dns_malformed", _hdr(0x5103, 1) + (b"\x3f" + b"a" * 63) * 5 + b"\x00" + _IN_A),
    ("no question", "dns_qdcount", _hdr(0x5104, 0)),
    ("two questions", "dns_qdcount", _hdr(0x5105, 2) + _WWW + _IN_A + _WWW + _IN_A),
]
OUTCOMES = ["noerror", "nodata", "nxdomain", "referral", "refused", "truncated", "badvers"]

failures = []


def fail(msg):
    failures.append(msg)
    print(f"dns_lab: FAIL: {msg}", flush=True)


def ok(msg):
    print(f"dns_lab: ok: {msg}", flush=True)


# --- dig and its replies ---

class Reply:
    """What the comparison looks at in one reply, parsed from dig +yaml."""

    def __init__(self, data, protocol):
        self.protocol = protocol
        self.status = data["status"]  # BADVERS included: dig folds the extended rcode in
        self.flags = set((data.get("flags") or "").split())
        opt = (data.get("OPT_PSEUDOSECTION") or {}).get("EDNS")
        self.edns = None if opt is None else opt.get("version")
        self.question = data.get("QUESTION_SECTION") or []
        self.answer = [record(r) for r in data.get("ANSWER_SECTION") or []]
        self.authority = [record(r) for r in data.get("AUTHORITY_SECTION") or []]
        self.additional = [record(r) for r in data.get("ADDITIONAL_SECTION") or []]  # OPT is apart

    def types(self, section):
        return sorted(r[2] for r in getattr(self, section))

    def summary(self):
        return (f"{self.status} flags={' '.join(sorted(self.flags))} edns={self.edns} over {self.protocol} "
                f"answer={self.types('answer')} authority={self.types('authority')}")


def record(text):
    """(owner, TTL, type, canonical RDATA) of one record line: compared as a set member."""
    owner, ttl, rdclass, rdtype, rdata = text.split(None, 4)
    rd = dns.rdata.from_text(dns.rdataclass.from_text(rdclass), dns.rdatatype.from_text(rdtype), rdata)
    return (dns.name.from_text(owner).canonicalize().to_text(), int(ttl), rdtype, rd.to_digestable().hex())


def dig(server, case):
    cmd = ["dig", "+yaml", "+tries=1", "+timeout=3", f"@{server}", case.qname, case.qtype] + case.opts
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        docs = yaml.safe_load(out.stdout) or []
    except yaml.YAMLError as e:
        return None, f"dig printed no YAML ({e}): {out.stdout}{out.stderr}"
    msgs = [d["message"] for d in docs if d.get("type") == "MESSAGE"]
    if not msgs:
        return None, f"no reply ({' '.join(cmd)}): {out.stdout.strip()} {out.stderr.strip()}"
    m = msgs[-1]  # after a retry over TCP, the last one
    return Reply(m["response_message_data"], m.get("socket_protocol")), None


def check_shape(who, case, r):
    """The reply has the case's expected shape: written by hand, not taken from any server."""
    problems = []
    if r.status != case.rcode:
        problems.append(f"rcode {r.status}, expected {case.rcode}")
    if ("aa" in r.flags) != case.aa:
        problems.append(f"AA {'set' if 'aa' in r.flags else 'clear'}, expected {'set' if case.aa else 'clear'}")
    if ("tc" in r.flags) != case.tc:
        problems.append(f"TC {'set' if 'tc' in r.flags else 'clear'}, expected {'set' if case.tc else 'clear'}")
    if r.types("answer") != sorted(case.answer):
        problems.append(f"answer types {r.types('answer')}, expected {sorted(case.answer)}")
    if r.types("authority") != sorted(case.authority):
        problems.append(f"authority types {r.types('authority')}, expected {sorted(case.authority)}")
    if (r.protocol == "TCP") != case.tcp:
        problems.append(f"answered over {r.protocol}, expected {'TCP' if case.tcp else 'UDP'}")
    if problems:
        fail(f"{who}: {case.name} ({case.qname} {case.qtype}): " + "; ".join(problems) + f" [{r.summary()}]")
        return False
    return True


def compare(case, fam, a, k):
    problems = []
    if a.status != k.status:
        problems.append(f"rcode {a.status}, knotd {k.status}")
    if a.flags != k.flags:
        problems.append(f"flags {sorted(a.flags)}, knotd {sorted(k.flags)}")
    if a.edns != k.edns:
        problems.append(f"EDNS version {a.edns}, knotd {k.edns}")
    if a.question != k.question:
        problems.append(f"question {a.question}, knotd {k.question}")
    for section in ("answer", "authority", "additional"):
        sa, sk = set(getattr(a, section)), set(getattr(k, section))
        if len(sa) != len(getattr(a, section)):
            problems.append(f"{section}: a record repeated")
        if sa != sk:
            problems.append(f"{section}: only anycastd {sorted(sa - sk)}, only knotd {sorted(sk - sa)}")
    if problems:
        fail(f"{case.name} ({case.qname} {case.qtype}) over IPv{fam}: anycastd differs from knotd: " + "; ".join(problems))
        return False
    return True


# --- counters ---

class Counters:
    def __init__(self, args):
        self.args = args

    def snapshot(self):
        a = self.args
        out = subprocess.run([a.anycastctl, "--socket", a.socket, "status", "--json"],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"dns_lab: anycastctl status --json failed (exit {out.returncode}): {out.stderr.strip()}")
        status = json.loads(out.stdout)["status"]
        c = status["counters"]
        snap = {"answered.dns": c["answered"]["dns"]}
        if "dns" not in c:
            raise SystemExit("dns_lab: anycastctl status --json has no counters.dns (the DNS outcome counters)")
        for o in OUTCOMES:
            snap["dns." + o] = c["dns"][o]
        for reason, v in c["passed"].items():
            if reason.startswith("dns_"):
                snap["passed." + reason] = v
        snap.update(self.extra(status))
        snap.update(self.kernel())
        return snap

    def extra(self, status):
        """More counters from the same status (a subclass's: lab.dnssec's DO answers per path)."""
        return {}

    def kernel(self):
        def read(path):
            return subprocess.run(["ip", "netns", "exec", self.args.edge_ns, "cat", path],
                                  capture_output=True, text=True, check=True).stdout

        snmp = {}
        lines = read("/proc/net/snmp").splitlines()
        for head, vals in zip(lines[::2], lines[1::2]):
            proto = head.split(":")[0]
            for k, v in zip(head.split()[1:], vals.split()[1:]):
                snmp[f"{proto}.{k}"] = int(v)
        snmp6 = dict(line.split() for line in read("/proc/net/snmp6").splitlines() if line.strip())
        return {"kernel.udp4": snmp["Udp.InDatagrams"], "kernel.udp6": int(snmp6["Udp6InDatagrams"]),
                "kernel.tcp_opens": snmp["Tcp.PassiveOpens"]}


def expect_deltas(what, before, after, alternatives):
    """Every counter moved by want.get(name, 0), for one of the alternatives; returns the index of
    the one that held, or None."""
    problems = []
    for i, want in enumerate(alternatives):
        moved = [f"{k} +{after[k] - before[k]} (expected +{want.get(k, 0)})"
                 for k in sorted(before) if after[k] - before[k] != want.get(k, 0)]
        if not moved:
            return i
        problems.append(", ".join(moved))
    fail(f"{what}: counters: " + " | or: ".join(problems))
    return None


# Whether the fast path may fail to grow a frame in place (XDP on veth: bpf_xdp_adjust_tail grows
# only into the tailroom the peer's skb left, docs/dns.md "Frame growth"): a "fast" case may then
# pass as dns_no_room and be answered by the slow path, as knotd answers it. False on DPDK.
GROWTH_LIMITED = False


def case_deltas(case, fam):
    """The counter moves the case allows: one list of alternatives."""
    if case.path == "fast":
        fast = {"answered.dns": 1, "dns." + case.counter: 1}
        if GROWTH_LIMITED:
            return [fast, {"passed.dns_no_room": 1, f"kernel.udp{fam}": 1}]
        return [fast]
    want = {}
    if case.counter:
        want["passed." + case.counter] = 1
    if case.udp:
        want[f"kernel.udp{fam}"] = 1
    if case.tcp:
        want["kernel.tcp_opens"] = 1
    return [want]


# --- raw messages ---

def raw_exchange(server, payload, timeout):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, (server, 53))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def question_echo(server, qname, qtype):
    """The question of a raw query comes back byte for byte (case kept); returns a problem or None."""
    q = dns.message.make_query(qname, qtype, use_edns=0).to_wire()
    qlen = len(dns.name.from_text(qname).to_wire()) + 4
    r = raw_exchange(server, q, 3)
    if r is None:
        return "no reply"
    if r[12:12 + qlen] != q[12:12 + qlen]:
        return f"question sent {q[12:12 + qlen]!r}, came back {r[12:12 + qlen]!r}"
    return None


def check_malformed(args, counters):
    for fam, vip in ((4, args.vip4), (6, args.vip6)):
        for what, reason, payload in MALFORMED:
            before = counters.snapshot()
            r = raw_exchange(vip, payload, 1)
            after = counters.snapshot()
            good = expect_deltas(f"malformed ({what}) over IPv{fam}", before, after,
                                 [{"passed." + reason: 1, f"kernel.udp{fam}": 1}]) is not None
            if r is not None:
                qid, flags, _, an, ns, _ = struct.unpack("!HHHHHH", r[:12]) if len(r) >= 12 else (0, 0, 0, 0, 0, 0)
                rcode = flags & 0xF
                if len(r) < 12 or qid != struct.unpack("!H", payload[:2])[0] or not flags & 0x8000 \
                        or rcode not in (1, 2, 4, 5) or an or ns:
                    fail(f"malformed ({what}) over IPv{fam}: answered wrongly: {r.hex()}")
                    good = False
            if good:
                ok(f"malformed ({what}) over IPv{fam}: passed as {reason}, "
                   + ("no reply" if r is None else f"error reply rcode {dns.rcode.to_text(r[3] & 0xF)}"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--knot4", required=True)
    p.add_argument("--knot6", required=True)
    p.add_argument("--knot-only", action="store_true", help="check knotd's replies against the cases alone")
    p.add_argument("--vip4")
    p.add_argument("--vip6")
    p.add_argument("--edge-ns", help="the edge namespace (its kernel's UDP and TCP counters)")
    p.add_argument("--anycastctl")
    p.add_argument("--socket", help="anycastd's control socket")
    p.add_argument("--growth-limited", action="store_true",
                   help="the fast path may fail to grow a frame (XDP on veth): a fast case may pass as "
                        "dns_no_room to the slow path; at least the cases whose reply is no longer than their "
                        "query must be answered on the fast path")
    args = p.parse_args()
    global GROWTH_LIMITED
    GROWTH_LIMITED = args.growth_limited
    if not args.knot_only and not all((args.vip4, args.vip6, args.edge_ns, args.anycastctl, args.socket)):
        p.error("--vip4, --vip6, --edge-ns, --anycastctl and --socket are needed unless --knot-only")
    counters = None if args.knot_only else Counters(args)
    unanswered = 0  # anycastd's unanswered cases in a row: a few mean it answers nothing at all
    fast_answered = {4: 0, 6: 0}

    for fam, knot, vip in ((4, args.knot4, args.vip4), (6, args.knot6, args.vip6)):
        for case in CASES:
            k, err = dig(knot, case)
            if k is None:
                fail(f"knotd: {case.name} over IPv{fam}: {err}")
                continue
            if not check_shape(f"knotd over IPv{fam}", case, k) or args.knot_only:
                if args.knot_only:
                    ok(f"knotd over IPv{fam}: {case.name}: {k.summary()}")
                continue
            before = counters.snapshot()
            a, err = dig(vip, case)
            after = counters.snapshot()
            if a is None:
                fail(f"anycastd: {case.name} over IPv{fam}: {err}")
                unanswered += 1
                if unanswered == 3:
                    print("dns_lab: anycastd answered none of 3 cases in a row: stopping", flush=True)
                    return 1
                continue
            unanswered = 0
            good = compare(case, fam, a, k)
            held = expect_deltas(f"{case.name} over IPv{fam} ({case.path} path)", before, after,
                                 case_deltas(case, fam))
            path = case.path if held != 1 else "slow path (dns_no_room: the frame could not grow)"
            if held == 0 and case.path == "fast":
                fast_answered[fam] += 1
            if case.path == "fast" and case.name in SHRINKING and held != 0:
                fail(f"{case.name} over IPv{fam}: the reply is no longer than the query, so the fast path "
                     f"must answer it, yet it passed")
                good = False
            if good and held is not None:
                ok(f"{case.name} over IPv{fam}: {path}, same as knotd: {a.summary()}")

        for case in CASES:
            if case.name.startswith("mixed case"):
                servers = [("knotd", knot)] if args.knot_only else [("knotd", knot), ("anycastd", vip)]
                for who, server in servers:
                    before = counters.snapshot() if who == "anycastd" else None
                    problem = question_echo(server, case.qname, case.qtype)
                    if who == "anycastd":
                        if expect_deltas(f"{case.name}, raw question, over IPv{fam}", before, counters.snapshot(),
                                         case_deltas(case, fam)) is None:
                            continue
                    if problem:
                        fail(f"{who}: {case.name} over IPv{fam}: {problem}")
                    else:
                        ok(f"{who}: {case.name} over IPv{fam}: question {case.qname} echoed byte for byte")

    if not args.knot_only:
        check_malformed(args, counters)
        for fam in (4, 6):
            total = sum(1 for c in CASES if c.path == "fast")
            print(f"dns_lab: IPv{fam}: {fast_answered[fam]} of {total} fast-path cases answered on the fast path",
                  flush=True)
            # Those that must be fast read no answer object (REFUSED, BADVERS): at least one
            # answer from the table must come from the fast path too.
            if fast_answered[fam] <= len(SHRINKING):
                fail(f"IPv{fam}: the fast path answered none of the cases that read an answer from the table")

    if failures:
        print(f"dns_lab: {len(failures)} check(s) failed", flush=True)
        return 1
    print("dns_lab: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
