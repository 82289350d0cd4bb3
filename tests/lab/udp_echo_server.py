#!/usr/bin/python3
"""UDP echo server (RFC 862) for the namespace lab: the kernel's answer to what the fast path
passes (lab.jumbo binds it to a VIP on the edge's loopback alias, so jumbo echo requests that
XDP passes as multi_buffer are still answered, by the slow path).

    udp_echo_server.py ADDRESS PORT [--ready-file FILE]

Every datagram is sent back whole to its sender from the bound address. The receive buffer takes
any datagram up to 64 KiB, so a jumbo request is never cut short (a cut one would come back
different and the client would count it wrong). --ready-file is created once the socket is bound.
"""

import argparse
import socket
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("address")
    ap.add_argument("port", type=int)
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    family = socket.AF_INET6 if ":" in args.address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((args.address, args.port))
    if args.ready_file:
        open(args.ready_file, "w").close()
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


if __name__ == "__main__":
    sys.exit(main())
