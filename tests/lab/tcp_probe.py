#!/usr/bin/python3
"""TCP probe for the namespace lab: connects to HOST PORT, sends one line and expects the same
line back (a socat PIPE server). Prints one result line:

    target=192.0.2.10:8080 connected=1 echoed=1 error=none

Exit code 0 when the line came back, 1 otherwise.
"""

import argparse
import os
import socket
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    target = f"[{args.host}]:{args.port}" if family == socket.AF_INET6 else f"{args.host}:{args.port}"
    line = f"anycastd-lab tcp {os.urandom(4).hex()}\n".encode()
    connected = echoed = 0
    error = "none"
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as s:
            connected = 1
            s.sendall(line)
            got = b""
            while len(got) < len(line):
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            echoed = int(got == line)
            if not echoed:
                error = "mismatch"
    except OSError as e:
        error = type(e).__name__
    print(f"target={target} connected={connected} echoed={echoed} error={error}")
    return 0 if echoed else 1


if __name__ == "__main__":
    sys.exit(main())
