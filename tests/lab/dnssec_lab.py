#!/usr/bin/python3
"""The DNSSEC lab's client (tests/lab/test_dnssec_lab.sh), run in the client namespace.

For each signed zone (--zones, in the order nsec, nsec3, nsec3-optout, nsec3-iter) every case of
CASES is asked with dig, over IPv4 and IPv6, of knotd (the reference) and of the server under
test on the VIPs (anycastd, or a second knotd with --knot-only):
  - knotd's reply must have the case's shape, written by hand (rcode, AA, TC, the record types
    of the answer and authority sections, the denial type of the zone), and both replies must
    pass the DNSSEC invariants: with DO every RRset in the answer and authority sections (a
    referral's NS excepted) and every in-zone RRset in the additional section comes with an RRSIG
    covering it, so a reply cut to the client's buffer never keeps an RRset without its
    signatures; without DO no RRSIG, NSEC or NSEC3 anywhere, and DS only when asked for;
  - the server under test's reply must equal knotd's as lab.dns compares them (dns_lab.compare:
    rcode, flags, EDNS version, question, sections as sets of records), and the DO bit must come
    back as knotd returns it; a truncated reply (TC) must have knotd's rcode and flags and no
    record knotd did not keep: Knot 3.2 keeps an RRset whose RRSIGs did not fit, which the
    invariant above refuses from the server under test;
  - on anycastd, the counters must show the path each answer took: the fast path's (answered.dns,
    the outcome, counters.dns.do for a DO query, the edge kernel saw nothing), or the slow
    path's (the pass reason: dns_no_room, dns_slow_answer, and dns_signed_proof for the cases
    whose proof depends on the query name; the edge kernel saw the datagram; the slow path's
    answer_do for a DO query). The counts per path are printed, and unless --growth-limited
    (native XDP on veth) the fast path must have given some DO answers. With --room BYTES (generic
    XDP: the largest reply frame its room allows, docs/dns.md "Frame growth") a case may pass
    as dns_no_room only if its reply's frame (Ethernet, IP, UDP and the message dig received)
    is longer than that; the cases that did are printed with their sizes. With --fast-required (the
    DPDK datapath) every case whose reply fits the client's size (no TC) must be the fast path's
    but those of PROOF with DO (dns_signed_proof).
Then, with --resolver4/--resolver6, unbound (validating, the zones' KSKs as trust anchors, stub
zones to the VIPs) is asked every case: AD set, never SERVFAIL (resolve(); the opt-out zone's
NXDOMAIN and wildcard answers validate as insecure, RFC 5155 9.2: no AD there).

Exit status 0 when every check held; every failed check is printed.
"""
import argparse
import subprocess
import sys
from dataclasses import dataclass, field

import dns.rdatatype
import yaml

import dns_lab
from dns_lab import Counters, compare, expect_deltas, fail, ok

DNSSEC_TYPES = {"RRSIG", "NSEC", "NSEC3"}


@dataclass
class Case:
    name: str
    label: str  # the owner, relative to the zone's origin
    qtype: str
    counter: str  # the fast path's outcome counter
    rcode: str
    aa: bool
    answer: set  # record types in the answer section (a set: RRSIGs come one per RRset)
    authority: set = field(default_factory=set)  # "DENIAL" stands for NSEC or NSEC3, by zone
    tc: object = False  # True, False, or None: as knotd cuts it (checked against knotd only)
    opts: list = field(default_factory=list)
    do: bool = True
    qname: str = ""  # filled per zone
    resolver: tuple = None  # (qname label, qtype) for unbound, when asked differently


IGNORE = ["+ignore"]  # the truncated reply, not dig's retry over TCP
DO = ["+dnssec"]
BASE = [
    Case("positive", "www", "A", "noerror", "NOERROR", True, {"A", "RRSIG"}),
    Case("CNAME", "alias", "A", "noerror", "NOERROR", True, {"CNAME", "A", "RRSIG"}),
    Case("NODATA", "www", "MX", "nodata", "NOERROR", True, set(), {"SOA", "DENIAL", "RRSIG"}),
    Case("NXDOMAIN", "nothere", "A", "nxdomain", "NXDOMAIN", True, set(), {"SOA", "DENIAL", "RRSIG"}),
    Case("wildcard answer", "foo.wild", "A", "noerror", "NOERROR", True, {"A", "RRSIG"}, {"DENIAL", "RRSIG"}),
    Case("wildcard NODATA", "foo.wild", "MX", "nodata", "NOERROR", True, set(), {"SOA", "DENIAL", "RRSIG"}),
    # chains whose end needs the proof about the last target (the slow path adds it, as knotd)
    Case("CNAME to a missing name", "dangling", "A", "nxdomain", "NXDOMAIN", True, {"CNAME", "RRSIG"},
         {"SOA", "DENIAL", "RRSIG"}),
    Case("CNAME to a wildcard", "towild", "A", "noerror", "NOERROR", True, {"CNAME", "A", "RRSIG"},
         {"DENIAL", "RRSIG"}),
    Case("CNAME to a wildcard, type absent", "towild", "MX", "nodata", "NOERROR", True, {"CNAME", "RRSIG"},
         {"SOA", "DENIAL", "RRSIG"}),
    Case("empty non-terminal", "b.ent", "A", "nodata", "NOERROR", True, set(), {"SOA", "DENIAL", "RRSIG"}),
    Case("referral with DS", "host.secure", "A", "referral", "NOERROR", False, set(), {"NS", "DS", "RRSIG"},
         resolver=("secure", "DS")),
    Case("referral without DS", "host.insecure", "A", "referral", "NOERROR", False, set(),
         {"NS", "DENIAL", "RRSIG"}, resolver=("insecure", "DS")),
]
SIZES = [
    Case("big TXT, buffer 512: TC", "big", "TXT", "truncated", "NOERROR", True, None, None, tc=True,
         opts=["+bufsize=512"] + IGNORE),
    Case("big TXT, buffer 1232: whole", "big", "TXT", "noerror", "NOERROR", True, {"TXT", "RRSIG"},
         opts=["+bufsize=1232"]),
    Case("bigger TXT, buffer 1232: TC (fits only without its RRSIG)", "bigger", "TXT", "truncated", "NOERROR",
         True, None, None, tc=True, opts=["+bufsize=1232"] + IGNORE),
    # the NSEC3 proofs do not fit 512 bytes, NSEC's may: as knotd cuts it
    Case("NXDOMAIN, buffer 512", "nothere", "A", "", "NXDOMAIN", True, None, None, tc=None,
         opts=["+bufsize=512"] + IGNORE),
]
NO_DO = [Case(c.name + ", no DO", c.label, c.qtype, c.counter, c.rcode, c.aa, c.answer - DNSSEC_TYPES,
              {t for t in c.authority - DNSSEC_TYPES - {"DENIAL"} if t != "DS"}, do=False)
         for c in BASE] + [
    Case("bigger TXT without DO, buffer 1232: whole", "bigger", "TXT", "noerror", "NOERROR", True, {"TXT"},
         opts=["+bufsize=1232"], do=False),
]


def zone_cases(origin, cases):
    out = []
    for c in cases:
        z = Case(**{**c.__dict__})
        z.qname = f"{c.label}.{origin}."
        z.opts = (DO if c.do else ["+nodnssec"]) + c.opts
        out.append(z)
    return out


def denial(variant):
    return "NSEC" if variant == "nsec" else "NSEC3"


def check_shape(who, case, r, variant):
    problems = []
    if r.status != case.rcode:
        problems.append(f"rcode {r.status}, expected {case.rcode}")
    if ("aa" in r.flags) != case.aa:
        problems.append(f"AA {'set' if 'aa' in r.flags else 'clear'}, expected {'set' if case.aa else 'clear'}")
    if case.tc is not None and ("tc" in r.flags) != case.tc:
        problems.append(f"TC {'set' if 'tc' in r.flags else 'clear'}, expected {'set' if case.tc else 'clear'}")
    for section, want in (("answer", case.answer), ("authority", case.authority)):
        if want is None:
            continue
        want = {denial(variant) if t == "DENIAL" else t for t in want}
        got = set(r.types(section))
        if got != want:
            problems.append(f"{section} types {sorted(got)}, expected {sorted(want)}")
    if problems:
        fail(f"{who}: {case.name} ({case.qname} {case.qtype}): " + "; ".join(problems) + f" [{r.summary()}]")
        return False
    return True


def check_invariants(who, case, r, origin, reference=False):
    """DNSSEC records with DO only, and then every RRset with its signatures. knotd (the
    reference) keeps an RRset whose RRSIGs did not fit in a truncated reply: its TC replies are
    not held to the second rule, the server under test's are."""
    problems = []
    if reference and "tc" in r.flags:
        return True
    sections = {s: getattr(r, s) for s in ("answer", "authority", "additional")}
    if not case.do:
        for s, recs in sections.items():
            bad = sorted({t for (_, _, t, _) in recs if t in DNSSEC_TYPES or (t == "DS" and case.qtype != "DS")})
            if bad:
                problems.append(f"{s} holds {bad} without DO")
    else:
        cut_suffixes = (f".secure.{origin}.", f".insecure.{origin}.")
        for s, recs in sections.items():
            covered = {(o, rd) for (o, _, t, rd) in recs if t == "RRSIG"}
            sigs = set()
            for (o, rd) in covered:
                # RRSIG RDATA (digestable) starts with the type covered, two bytes
                sigs.add((o, int(rd[:4], 16)))
            for (o, _, t, _) in recs:
                if t == "RRSIG":
                    continue
                if t == "NS" and s == "authority" and "aa" not in r.flags:
                    continue  # a delegation's NS is not signed (RFC 4035 2.2)
                if s == "additional" and ("." + o).endswith(cut_suffixes):
                    continue  # glue below a cut is not signed
                code = dns.rdatatype.from_text(t)
                if (o, code) not in sigs:
                    problems.append(f"{s}: {o} {t} without its RRSIG")
    if r.do != case.do and who.startswith("knotd"):
        problems.append(f"DO {'set' if r.do else 'clear'} in the reply, asked {'with' if case.do else 'without'}")
    if problems:
        fail(f"{who}: {case.name} ({case.qname} {case.qtype}): " + "; ".join(sorted(set(problems))))
        return False
    return True


def compare_truncated(case, fam, a, k, whole):
    """A truncated reply, from either server: rcode, the flags but TC and EDNS as knotd's, TC
    set, and no record that knotd's whole reply (`whole`, over TCP) lacks. Which records a cut
    keeps is the server's choice: knotd keeps an RRset without its RRSIGs (check_invariants
    refuses that from the server under test), and anycastd, whose proof records are written
    with uncompressed owners, may cut a reply knotd fits (NSEC's NXDOMAIN at 512 bytes)."""
    problems = []
    for what, x, y in (("rcode", a.status, k.status), ("flags", sorted(a.flags - {"tc"}), sorted(k.flags - {"tc"})),
                       ("EDNS version", a.edns, k.edns), ("question", a.question, k.question)):
        if x != y:
            problems.append(f"{what} {x}, knotd {y}")
    if "tc" not in a.flags:
        problems.append("TC clear, knotd's reply is truncated")
    for section in ("answer", "authority", "additional"):
        extra = set(getattr(a, section)) - set(getattr(whole, section))
        if extra:
            problems.append(f"{section}: records not in knotd's whole reply: {sorted(extra)}")
        if len(set(getattr(a, section))) != len(getattr(a, section)):
            problems.append(f"{section}: a record repeated")
    if problems:
        fail(f"{case.name} ({case.qname} {case.qtype}) over IPv{fam}, truncated: anycastd differs from knotd: "
             + "; ".join(problems))
        return False
    return True


def dig(server, case):
    """dns_lab.dig, plus the reply's DO bit."""
    cmd = ["dig", "+yaml", "+tries=1", "+timeout=3", f"@{server}", case.qname, case.qtype] + case.opts
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        docs = yaml.safe_load(out.stdout) or []
    except yaml.YAMLError as e:
        return None, f"dig printed no YAML ({e}): {out.stdout}{out.stderr}"
    msgs = [d["message"] for d in docs if d.get("type") == "MESSAGE"]
    if not msgs:
        return None, f"no reply ({' '.join(cmd)}): {out.stdout.strip()} {out.stderr.strip()}"
    m = msgs[-1]
    data = m["response_message_data"]
    r = dns_lab.Reply(data, m.get("socket_protocol"))
    opt = (data.get("OPT_PSEUDOSECTION") or {}).get("EDNS") or {}
    r.do = "do" in str(opt.get("flags") or "").split()
    r.size = int(str(m.get("message_size") or "0").rstrip("b"))  # dig prints "123b"
    return r, None


class DoCounters(Counters):
    """dns_lab's counters and the DO answers per path: counters.dns.do (the fast path's answers
    to DO queries) and the slow path's answer_do; each case says how they move."""

    def extra(self, status):
        slow = ((status.get("dns") or {}).get("slow_path") or {}).get("counters") or {}
        if "do" not in status["counters"]["dns"] or "answer_do" not in slow:
            raise SystemExit("dnssec_lab: anycastctl status --json has no counters.dns.do or "
                             "dns.slow_path.counters.answer_do (the DO answers per path)")
        return {"dns.do": status["counters"]["dns"]["do"], "slow.answer_do": slow["answer_do"]}


# The cases whose DO answer needs a denial proof that depends on where the query name sorts:
# the fast path passes them as dns_signed_proof and the slow path builds the proof.
PROOF = {"NXDOMAIN", "wildcard answer", "wildcard NODATA", "NXDOMAIN, buffer 512", "CNAME to a missing name",
         "CNAME to a wildcard", "CNAME to a wildcard, type absent"}
PRINTED = ("dns.do", "slow.answer_do", "passed.dns_no_room", "passed.dns_signed_proof", "passed.dns_slow_answer")


def case_alternatives(case, fam, fast_required=False):
    """(fast, slow): the counter moves allowed for the case, as dns_lab.expect_deltas takes them.
    fast_required: a case the fast path can answer has no slow alternative."""
    do = 1 if case.do else 0
    proof = case.do and case.name in PROOF
    fast = [{"answered.dns": 1, "dns." + case.counter: 1, "dns.do": do}] if case.counter and not proof else []
    reasons = ["dns_signed_proof"] if proof else [] if fast_required else ["dns_no_room", "dns_slow_answer"]
    return fast, [{"passed." + r: 1, f"kernel.udp{fam}": 1, "slow.answer_do": do} for r in reasons]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--knot4", required=True)
    p.add_argument("--knot6", required=True)
    p.add_argument("--vip4", required=True)
    p.add_argument("--vip6", required=True)
    p.add_argument("--zones", nargs=4, required=True, metavar="ORIGIN",
                   help="the NSEC, NSEC3, NSEC3 opt-out and NSEC3 iterations>0 zones' origins")
    p.add_argument("--knot-only", action="store_true", help="the server under test is a knotd: no counters")
    p.add_argument("--edge-ns")
    p.add_argument("--anycastctl")
    p.add_argument("--socket")
    p.add_argument("--growth-limited", action="store_true",
                   help="native XDP on veth (about 48 bytes of room): no DO answer needed from the fast path")
    p.add_argument("--room", type=int, metavar="BYTES",
                   help="generic XDP: dns_no_room only for a reply frame longer than BYTES")
    p.add_argument("--fast-required", action="store_true",
                   help="the DPDK datapath: every reply that fits the client's size (no TC) is the fast path's, "
                        "but the proofs that depend on the query name (dns_signed_proof)")
    p.add_argument("--do-only", action="store_true", help="only the DO cases (the native XDP run)")
    p.add_argument("--only", choices=["nsec", "nsec3", "nsec3-optout", "nsec3-iter"],
                   help="only this zone (the native XDP run)")
    p.add_argument("--resolver4")
    p.add_argument("--resolver6")
    args = p.parse_args()
    if not args.knot_only and not all((args.edge_ns, args.anycastctl, args.socket)):
        p.error("--edge-ns, --anycastctl and --socket are needed unless --knot-only")
    counters = None if args.knot_only else DoCounters(args)
    variants = ["nsec", "nsec3", "nsec3-optout", "nsec3-iter"]
    per_path = {"fast": 0, "slow": 0}
    fast_do = 0
    no_room = []  # the cases that passed as dns_no_room, each with its reply frame's size
    first = counters.snapshot() if counters else {}

    for variant, origin in zip(variants, args.zones):
        if args.only and variant != args.only:
            continue
        cases = zone_cases(origin, BASE + SIZES + ([] if args.do_only else NO_DO))
        for fam, knot, vip in ((4, args.knot4, args.vip4), (6, args.knot6, args.vip6)):
            for case in cases:
                k, err = dig(knot, case)
                if k is None:
                    fail(f"knotd: {case.name} over IPv{fam}: {err}")
                    continue
                if not (check_shape(f"knotd over IPv{fam}", case, k, variant)
                        & check_invariants(f"knotd over IPv{fam}", case, k, origin, reference=True)):
                    continue
                before = counters.snapshot() if counters else None
                a, err = dig(vip, case)
                after = counters.snapshot() if counters else None
                if a is None:
                    fail(f"server under test: {case.name} ({case.qname}) over IPv{fam}: {err}")
                    continue
                if "tc" in k.flags or "tc" in a.flags:
                    whole, err = dig(knot, Case(**{**case.__dict__, "opts": case.opts + ["+tcp"]}))
                    if whole is None:
                        fail(f"knotd over TCP: {case.name} over IPv{fam}: {err}")
                        continue
                    same = compare_truncated(case, fam, a, k, whole)
                    if "tc" not in k.flags:
                        print(f"dnssec_lab: note: {case.name} ({case.qname}) over IPv{fam}: TC set where knotd "
                              f"fits the reply", flush=True)
                else:
                    same = compare(case, fam, a, k)
                good = same & check_invariants(
                    f"VIP over IPv{fam}", case, a, origin, reference=args.knot_only)
                if a.do != k.do:
                    fail(f"{case.name} ({case.qname}) over IPv{fam}: DO {a.do} in the reply, knotd {k.do}")
                    good = False
                path = "as knotd"
                if counters:
                    fast, slow = case_alternatives(case, fam, args.fast_required and "tc" not in a.flags)
                    held = expect_deltas(f"{case.name} ({case.qname}) over IPv{fam}", before, after, fast + slow)
                    if held is None:
                        good = False
                    elif fast and held == 0:
                        path = "fast path"
                        per_path["fast"] += 1
                        fast_do += case.do
                    else:
                        path = "slow path (" + ", ".join(k for k, v in (fast + slow)[held].items()
                                                          if k.startswith("passed.") and v) + ")"
                        per_path["slow"] += 1
                        if (fast + slow)[held].get("passed.dns_no_room"):
                            # Ethernet, IPv4 or IPv6, UDP: the frame the fast path would have sent
                            frame = 14 + (20 if fam == 4 else 40) + 8 + a.size
                            no_room.append(f"{origin} {case.name} over IPv{fam}: {frame}-byte reply frame")
                            if args.room is not None and frame <= args.room:
                                fail(f"{case.name} ({case.qname}) over IPv{fam}: passed as dns_no_room, but its "
                                     f"{frame}-byte reply frame fits the fast path's room ({args.room} bytes)")
                                good = False
                if good:
                    ok(f"{origin} {case.name} over IPv{fam}: {path}, same as knotd: {a.summary()}")

        if args.resolver4:
            resolve(args, origin, variant)

    if counters:
        last = counters.snapshot()
        print("dnssec_lab: cases per path: " + ", ".join(f"{k} {v}" for k, v in per_path.items()), flush=True)
        print("dnssec_lab: counters moved: " + ", ".join(f"{k} +{last.get(k, 0) - first.get(k, 0)}" for k in PRINTED),
              flush=True)
        print(f"dnssec_lab: dns_no_room cases: {len(no_room)}" + "".join("\n  " + n for n in no_room), flush=True)
        if fast_do == 0 and not args.growth_limited:
            fail("the fast path gave none of the DO answers")
    if dns_lab.failures:
        print(f"dnssec_lab: {len(dns_lab.failures)} check(s) failed", flush=True)
        return 1
    print("dnssec_lab: all checks passed", flush=True)
    return 0


# Names an opt-out NSEC3 covers are insecure (RFC 5155 9.2): ldns-signzone -p sets the opt-out
# flag on every NSEC3 of the zone, so in the opt-out zone the NXDOMAIN and the wildcard answers,
# whose proofs cover the next closer name with such an NSEC3, validate as insecure: no AD (and
# no SERVFAIL). Its DS NODATA for the insecure delegation is a secure proof of an unsigned child.
OPTOUT_INSECURE = {"NXDOMAIN", "wildcard answer", "wildcard NODATA", "CNAME to a missing name",
                   "CNAME to a wildcard", "CNAME to a wildcard, type absent"}


def resolve(args, origin, variant):
    cases = BASE + SIZES[:3]
    for fam, server in ((4, args.resolver4), (6, args.resolver6)):
        for c in cases:
            label, qtype = c.resolver or (c.label, c.qtype)
            rcode = "NXDOMAIN" if c.rcode == "NXDOMAIN" else "NOERROR"
            want_ad = not (variant == "nsec3-optout" and c.name in OPTOUT_INSECURE)
            qname = f"{label}.{origin}."
            out = subprocess.run(["dig", "+yaml", "+tries=1", "+timeout=8", f"@{server}", qname, qtype],
                                 capture_output=True, text=True, check=False)
            try:
                docs = yaml.safe_load(out.stdout) or []
                m = [d["message"] for d in docs if d.get("type") == "MESSAGE"][-1]["response_message_data"]
            except (yaml.YAMLError, IndexError, KeyError, TypeError):
                fail(f"unbound over IPv{fam}: {qname} {qtype}: no reply: {out.stdout.strip()} {out.stderr.strip()}")
                continue
            flags = set((m.get("flags") or "").split())
            status = m["status"]
            if status != rcode or ("ad" in flags) != want_ad:
                fail(f"unbound over IPv{fam}: {origin} {c.name} ({qname} {qtype}): {status} "
                     f"AD {'set' if 'ad' in flags else 'clear'}, expected {rcode} AD {'set' if want_ad else 'clear'}")
            else:
                ok(f"unbound over IPv{fam}: {origin} {c.name} ({qname} {qtype}): {status}, "
                   f"AD {'set' if want_ad else 'clear (opt-out: insecure)'}")


if __name__ == "__main__":
    sys.exit(main())
