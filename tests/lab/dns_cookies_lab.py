#!/usr/bin/python3
"""The NSID and cookies lab's client (tests/lab/test_dns_cookies_lab.sh), run in the client namespace.

One step per call (the shell reloads anycastd between steps):

  compare   dig +nsid +cookie and kdig +nsid +cookie against anycastd's VIP and knotd (same zone,
            same NSID text, same secret): rcode, flags, NSID text equal; a COOKIE of 24 bytes
            whose server part is version 1 in both; over the transport given.
  cross     a server cookie issued by anycastd A, sent to anycastd B (another namespace, the same
            secret file): NOERROR with the answer, not BADCOOKIE; the same cookie tampered with:
            BADCOOKIE from A, as knotd answers a cookie of its own tampered with.
  issue     a server cookie from A, written to a file (for rollover).
  accept    the cookie in the file sent to A: prints the rcode's name (NOERROR, BADCOOKIE).
  flood     COUNT queries without a cookie, then COUNT with a valid one, from one source in one
            instant: prints how many of each were answered whole.

Every failed check is printed; exit status 0 when every check held.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode

QNAME = "www.example.net."
CLIENT_COOKIE = bytes.fromhex("c0ffee0011223344")
SOURCE = "198.51.100.1"  # the client's address towards both anycastd instances
failures = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + (": " + detail if detail and not ok else ""))
    if not ok:
        failures.append(what)


def cookie_query(cookie, nsid=False):
    options = [dns.edns.GenericOption(10, cookie)]
    if nsid:
        options.insert(0, dns.edns.GenericOption(3, b""))
    q = dns.message.make_query(QNAME, "A", use_edns=0, payload=1232, options=options)
    return q


def ask(server, q, transport, source=None):
    if transport == "tcp":
        return dns.query.tcp(q, server, timeout=3, source=source)
    return dns.query.udp(q, server, timeout=3, source=source)


def option(reply, code):
    for o in reply.options:
        if o.otype == code:
            return o.to_wire() if hasattr(o, "to_wire") else o.data
    return None


def parse_tool(out):
    """status, flags, NSID text, cookie hex of a dig or kdig reply (their texts differ)."""
    status = re.search(r"status: (\w+)", out)
    flags = re.search(r"[Ff]lags: ([a-z ]+);", out)
    nsid = re.search(r"NSID: [0-9a-fA-F ]*\(?\"([^\"]*)\"", out)
    cookie = re.search(r"COOKIE: ([0-9a-fA-F]+)", out)
    return (status.group(1) if status else None, " ".join(sorted(flags.group(1).split())) if flags else None,
            nsid.group(1) if nsid else None, cookie.group(1).lower() if cookie else None)


def compare(args):
    tcp = ["+tcp"] if args.transport == "tcp" else ["+notcp"]
    for tool, cmd in (("dig", ["dig", "+nsid", "+cookie", "+norec", "+noadflag"]),
                      ("kdig", ["kdig", "+nsid", "+cookie", "+norec"])):
        got = {}
        for server in (args.vip, args.knot):
            out = subprocess.run(cmd + tcp + ["@" + server, QNAME, "A"], capture_output=True, text=True,
                                 timeout=20).stdout
            got[server] = parse_tool(out)
            status, flags, nsid, cookie = got[server]
            print(f"  {tool} {args.transport} @{server}: status {status}, flags {flags}, NSID {nsid!r}, "
                  f"cookie {cookie}")
            # knotd 3.2 answers a UDP query with a client cookie alone BADCOOKIE (with its cookie);
            # dig retries with that cookie and shows NOERROR, kdig does not retry. anycastd answers
            # it (RFC 7873 5.2.3), as the packet core does on every path: a known difference.
            want = "BADCOOKIE" if (tool, args.transport, server) == ("kdig", "udp", args.knot) else "NOERROR"
            check(f"{tool} {args.transport} @{server}: {want}", status == want, str(status))
            check(f"{tool} {args.transport} @{server}: NSID {args.nsid!r}", nsid == args.nsid, str(nsid))
            check(f"{tool} {args.transport} @{server}: a cookie of 24 bytes", cookie is not None and len(cookie) == 48,
                  str(cookie))
            check(f"{tool} {args.transport} @{server}: server cookie version 1",
                  cookie is not None and cookie[16:18] == "01" and cookie[18:24] == "000000", str(cookie))
        a, k = got[args.vip], got[args.knot]
        if (tool, args.transport) == ("kdig", "udp"):
            check(f"{tool} {args.transport}: NSID as knotd's (rcode differs, above)", a[2] == k[2], f"{a[2]} != {k[2]}")
        else:
            check(f"{tool} {args.transport}: rcode, flags and NSID as knotd's", a[:3] == k[:3], f"{a[:3]} != {k[:3]}")


def issue(server, transport):
    r = ask(server, cookie_query(CLIENT_COOKIE), transport, SOURCE)
    c = option(r, 10)
    check(f"{server}: a server cookie for a client cookie", c is not None and len(c) == 24, repr(c))
    return c


def cross(args):
    c = issue(args.vip, args.transport)
    if c is None:
        return
    r = ask(args.vip_b, cookie_query(c), args.transport, SOURCE)
    check("B accepts A's cookie: NOERROR with the answer",
          r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1, dns.rcode.to_text(r.rcode()))
    bad = c[:-1] + bytes([c[-1] ^ 0x01])
    ra = ask(args.vip, cookie_query(bad), args.transport, SOURCE)
    kc = ask(args.knot, cookie_query(CLIENT_COOKIE), args.transport)
    kc = option(kc, 10)
    check("knotd: a server cookie for a client cookie", kc is not None and len(kc) == 24, repr(kc))
    if kc is None:
        return
    rk = ask(args.knot, cookie_query(kc[:-1] + bytes([kc[-1] ^ 0x01])), args.transport)
    print(f"  tampered: anycastd {dns.rcode.to_text(ra.rcode())} ({len(ra.answer)} answers), "
          f"knotd {dns.rcode.to_text(rk.rcode())} ({len(rk.answer)} answers)")
    # Over UDP BADCOOKIE (RFC 7873 5.2.4); over TCP, where the client is not spoofed, Knot
    # answers as to a client cookie alone, with a fresh cookie, and so does anycastd.
    want = dns.rcode.BADCOOKIE if args.transport == "udp" else dns.rcode.NOERROR
    check(f"tampered cookie: {dns.rcode.to_text(want)} from anycastd", ra.rcode() == want,
          dns.rcode.to_text(ra.rcode()))
    check("tampered cookie: anycastd answers as knotd (rcode, answer count)",
          (ra.rcode(), len(ra.answer)) == (rk.rcode(), len(rk.answer)))
    check("the reply to a tampered cookie carries a fresh cookie",
          option(ra, 10) is not None and len(option(ra, 10)) == 24 and option(ra, 10)[16:] != bad[16:])


def flood(args):
    """COUNT queries without a cookie, then COUNT with a valid one: replies answered whole."""
    c = issue(args.vip, "udp")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((SOURCE, 0))
    counts = {}
    for kind, opts in (("nocookie", None), ("cookie", c)):
        q = cookie_query(opts) if opts else dns.message.make_query(QNAME, "A", use_edns=0, payload=1232)
        for i in range(args.count):
            q.id = (0x4000 if opts else 0x2000) + i
            s.sendto(q.to_wire(), (args.vip, 53))
        s.settimeout(1.0)
        whole = 0
        try:
            while True:
                r = dns.message.from_wire(s.recv(4096))
                if len(r.answer) and not (r.flags & dns.flags.TC):
                    whole += 1
        except socket.timeout:
            pass
        counts[kind] = whole
    print(f"{counts['nocookie']} {counts['cookie']}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("step", choices=["compare", "cross", "issue", "accept", "flood"])
    p.add_argument("--vip", required=True)
    p.add_argument("--vip-b")
    p.add_argument("--knot")
    p.add_argument("--nsid")
    p.add_argument("--transport", default="udp", choices=["udp", "tcp"])
    p.add_argument("--file")
    p.add_argument("--count", type=int, default=50)
    args = p.parse_args()
    if args.step == "compare":
        compare(args)
    elif args.step == "cross":
        cross(args)
    elif args.step == "issue":
        c = issue(args.vip, args.transport)
        if c is not None:
            with open(args.file, "w") as f:
                f.write(c.hex())
    elif args.step == "accept":
        with open(args.file) as f:
            c = bytes.fromhex(f.read().strip())
        r = ask(args.vip, cookie_query(c), args.transport, SOURCE)
        print(dns.rcode.to_text(r.rcode()))
        return 0
    elif args.step == "flood":
        flood(args)
        return 0
    for f in failures:
        print("FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
