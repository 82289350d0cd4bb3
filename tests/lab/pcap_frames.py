#!/usr/bin/env python3
"""The frames of pcap files as tcpdump reads them (`tcpdump -r FILE -nn -xx`), for the capture lab.

  pcap_frames.py count FILE                  frames tcpdump reads in FILE
  pcap_frames.py same EDGE CLIENT HOST       every frame of EDGE is byte for byte a frame CLIENT
                                             holds to or from HOST, and every such frame of CLIENT
                                             is in EDGE: prints "same=N" or what differs
  pcap_frames.py hosts FILE                  the destination addresses of FILE's frames, sorted, unique

Parsing tcpdump's output rather than the file keeps the check independent of anycastd's writer:
a file tcpdump cannot read fails here.
"""
import subprocess
import sys


def frames(path):
    out = subprocess.run(["tcpdump", "-r", path, "-nn", "-xx"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"tcpdump -r {path} failed: {out.stderr.strip()}")
    result = []
    for line in out.stdout.splitlines():
        if line.startswith("\t0x") or line.startswith("        0x"):
            hexpart = line.split(":", 1)[1].strip().split("  ")[0]
            result[-1][1] += hexpart.replace(" ", "")
        elif line and not line[0].isspace():
            result.append([line, ""])
    return result


def touches(summary, host):
    # "12:00:00.000 IP 198.51.100.2.40000 > 192.0.2.10.7: UDP, length 5" (IP6 alike)
    words = summary.split()
    ends = [w.rstrip(":") for w in words[2:5:2]] if len(words) > 4 else []
    return any(e.rsplit(".", 1)[0] == host for e in ends)


def main():
    cmd = sys.argv[1]
    if cmd == "count":
        print(len(frames(sys.argv[2])))
    elif cmd == "hosts":
        hosts = set()
        for summary, _ in frames(sys.argv[2]):
            words = summary.split()
            hosts.add(words[4].rstrip(":").rsplit(".", 1)[0])
        print(" ".join(sorted(hosts)))
    elif cmd == "same":
        edge = [f[1] for f in frames(sys.argv[2])]
        client = [f[1] for f in frames(sys.argv[3]) if touches(f[0], sys.argv[4])]
        missing = [c for c in client if c not in edge]
        extra = [e for e in edge if e not in client]
        if missing or extra or not edge:
            print(f"differ: edge={len(edge)} client={len(client)} missing_from_edge={len(missing)} "
                  f"not_in_client={len(extra)}")
            for e in extra[:2]:
                print(f"  edge only: {e}")
            for c in missing[:2]:
                print(f"  client only: {c}")
            sys.exit(1)
        print(f"same={len(edge)}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
