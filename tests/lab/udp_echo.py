#!/usr/bin/python3
"""UDP echo client for the namespace lab.

Sends COUNT datagrams with distinct payloads (each --size bytes long, if given), one at a time,
and waits up to TIMEOUT seconds for each echo. Prints one result line:

    target=192.0.2.10:7 sport=40123 sent=20 answered=20 wrong=0 lost=0 refused=0

answered: replies whose bytes equal the request; wrong: replies with other bytes; lost: no reply
in time; refused: an ICMP port unreachable came back (the kernel answered, not the service).
Exit code: 0 when the outcome matches --expect (all: every datagram answered exactly; none: not
one reply of any kind; any: always), 1 otherwise.
"""

import argparse
import os
import socket
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each reply")
    ap.add_argument("--sport", type=int, default=0, help="source port (default: ephemeral)")
    ap.add_argument("--source", default="", help="source address (default: the route's)")
    ap.add_argument("--expect", choices=("all", "none", "any"), default="all")
    ap.add_argument("--size", type=int, default=0,
                    help="every payload exactly this many bytes (default: varied, up to about 1 KB)")
    args = ap.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((args.source or ("::" if family == socket.AF_INET6 else "0.0.0.0"), args.sport))
    sport = s.getsockname()[1]
    if args.sport == 0 and sport < 1024:
        print(f"udp_echo: ephemeral source port {sport} is below 1024", file=sys.stderr)
        return 2
    # connected: replies from anyone else are filtered out, and ICMP errors surface as ECONNREFUSED
    s.connect((args.host, args.port))
    s.settimeout(args.timeout)

    tag = os.urandom(4).hex()
    answered = wrong = lost = refused = 0
    for i in range(args.count):
        # distinct payloads (the index is in the text) of varied lengths, up to about 1 KB
        head = f"anycastd-lab {tag} {i} ".encode()
        payload = head + bytes((i + k) & 0xFF for k in range((i * 97) % 1000))
        if args.size:
            # jumbo requests (lab.jumbo): the same distinct head, the filler up to the size asked
            payload = (head + bytes((i + k) & 0xFF for k in range(args.size)))[:args.size]
        try:
            s.send(payload)
            reply = s.recv(65535)
        except socket.timeout:
            lost += 1
            continue
        except ConnectionRefusedError:
            refused += 1
            continue
        if reply == payload:
            answered += 1
        else:
            wrong += 1

    target = f"[{args.host}]:{args.port}" if family == socket.AF_INET6 else f"{args.host}:{args.port}"
    print(f"target={target} sport={sport} sent={args.count} answered={answered} "
          f"wrong={wrong} lost={lost} refused={refused}")
    if args.expect == "all":
        return 0 if answered == args.count else 1
    if args.expect == "none":
        return 0 if answered == wrong == refused == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
