#!/usr/bin/python3
"""A bounded DNS flood for the namespace lab: RATE queries a second for SECONDS, from one source.

Sends `NAME IN A` over UDP to HOST:PORT without waiting for answers (what a flood does), paced so
that it never exceeds RATE a second nor runs past SECONDS: a lab that drives the fast path's
response rate limiting (RRL) with it knows the load it put on the machine. Prints one line:

    target=192.0.2.10:53 sent=1500 seconds=5.00
"""

import argparse
import socket
import struct
import time


def query(qid: int, name: str) -> bytes:
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD set, one question
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".") if p)
    return header + labels + b"\x00" + struct.pack("!HH", 1, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--name", default="example.net.")
    ap.add_argument("--rate", type=int, default=300, help="queries a second, at most")
    ap.add_argument("--seconds", type=float, default=5.0, help="how long to send")
    args = ap.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setblocking(False)
    start = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - start) < args.seconds:
        due = int(elapsed * args.rate) + 1
        while sent < due:
            try:
                s.sendto(query(sent & 0xFFFF, args.name), (args.host, args.port))
            except BlockingIOError:
                break  # the socket's buffer is full: the next round sends the rest
            sent += 1
        try:
            while s.recv(4096):  # answers are not looked at, only kept from filling the buffer
                pass
        except BlockingIOError:
            pass
        time.sleep(0.005)
    print(f"target={args.host}:{args.port} sent={sent} seconds={time.monotonic() - start:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
