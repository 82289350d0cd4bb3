#!/usr/bin/python3
"""Helpers for the control-plane lab (test_control_lab.sh). Standard library only.

stream HOST PORT --records FILE: sends one echo datagram every --interval seconds (one connected
    socket) until SIGTERM/SIGINT or --duration; then waits --timeout for the last replies. A
    datagram is lost when no identical reply came within --timeout. Writes one line per datagram
    to FILE, "SEQ SEND_UNIX_TIME 1|0" (answered or not), and prints a summary:

        sent=412 answered=412 lost=0 wrong=0 refused=0 max_rtt_ms=0.4 loss_at_ms=

watch NS DEV ADDR...: every --interval seconds reads `ip -n NS -o addr show dev DEV` and records
    whether every ADDR is on DEV, until SIGTERM/SIGINT or --duration. Prints:

        samples=61 present=61 absent=0 first_absent= last_present=1764108603.120 max_gap_ms=52

    first_absent / last_present: Unix times of the first sample without / the last sample with
    all of them.

drain-report RECORDS --withdrawn T --exited T --drain-ms N: reads a stream's records and reports
    what the client saw around a withdrawal at T (first sample with the alias gone) and the
    daemon's exit at T (Unix times). Prints key=value pairs:

        before=60 before_lost=0 drain_window=38 drain_window_lost=0 after_withdrawn_answered=74
        answered_after_withdrawn_ms=1490 after_exit=10 after_exit_answered=0

    drain_window: datagrams sent in [withdrawn, withdrawn + drain_ms / 2].

notify-listen PATH OUT: binds a unix datagram socket at PATH (a NOTIFY_SOCKET) and appends each
    datagram to OUT as "UNIX_TIME MESSAGE" (newlines in the message as "|"), until SIGTERM.

ctl-stream SOCKET|URL: asks anycastd for its status over the control socket (or, given an
    http:// URL, GETs the metrics) in a tight loop (a fresh
    connection each time, no retry, --interval seconds between a reply and the next connect:
    enough to leave the machine's two CPUs to the restart being probed) until SIGTERM/SIGINT or
    --duration, and counts what a
    client would see fail: a refused connect (no listener, or no socket file), a connection
    reset or closed without a whole reply, a reply that is not ok, a reply slower than
    --timeout. Prints:

        requests=812 ok=812 refused=0 reset=0 bad=0 slow=0 pids=4242 max_ms=1830

    pids: the daemon pids the replies named (one across restarts in place).

http-get URL: prints the body of an HTTP GET (no proxies), exit 1 unless the status is 200.
"""

import argparse
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.parse


class Stop:
    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)

    def on_signal(self, signum, frame):
        self.stop = True


def stream(args) -> int:
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
    s.connect((args.host, args.port))
    s.setblocking(False)
    stopper = Stop()
    tag = os.urandom(4).hex()
    t0 = time.monotonic()
    wall0 = time.time()
    pending = {}  # payload -> (seq, monotonic send time)
    records = []  # [seq, unix send time, answered]
    wrong = refused = 0
    max_rtt = 0.0
    next_send = t0
    end = t0 + args.duration if args.duration > 0 else float("inf")
    if args.ready_file:
        open(args.ready_file, "w").close()

    def receive(wait):
        nonlocal wrong, refused, max_rtt
        try:
            r, _, _ = select.select([s], [], [], max(wait, 0))
        except InterruptedError:
            return
        if not r:
            return
        now = time.monotonic()
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                break
            except OSError:
                refused += 1
                continue
            entry = pending.pop(data, None)
            if entry is None:
                wrong += 1
                continue
            seq, sent_at = entry
            if now - sent_at <= args.timeout:
                records[seq][2] = 1
                max_rtt = max(max_rtt, (now - sent_at) * 1000)

    def expire(now):
        for p, (seq, sent_at) in list(pending.items()):
            if now - sent_at > args.timeout:
                del pending[p]

    seq = 0
    while not stopper.stop and time.monotonic() < end:
        now = time.monotonic()
        if now >= next_send:
            payload = f"anycastd-ctllab {tag} {seq} ".encode() + bytes(seq % 64)
            records.append([seq, wall0 + (now - t0), 0])
            pending[payload] = (seq, now)
            try:
                s.send(payload)
            except OSError:
                refused += 1
            seq += 1
            next_send += args.interval
            if next_send < now:  # fell behind (a stall): no burst
                next_send = now + args.interval
        expire(time.monotonic())
        receive(next_send - time.monotonic())
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        receive(min(0.05, deadline - time.monotonic()))
        expire(time.monotonic())

    with open(args.records, "w") as f:
        for r in records:
            f.write(f"{r[0]} {r[1]:.6f} {r[2]}\n")
    answered = sum(r[2] for r in records)
    lost_at = [f"{(r[1] - wall0) * 1000:.0f}" for r in records if not r[2]]
    print(f"sent={len(records)} answered={answered} lost={len(records) - answered} wrong={wrong} "
          f"refused={refused} max_rtt_ms={max_rtt:.1f} duration_ms={(time.monotonic() - t0) * 1000:.0f} "
          f"loss_at_ms={','.join(lost_at[:20])}", flush=True)
    return 0


def addresses_present(ns: str, dev: str, addrs) -> bool:
    out = subprocess.run(["ip", "-n", ns, "-o", "addr", "show", "dev", dev],
                         capture_output=True, text=True).stdout
    words = out.split()
    have = {w.split("/")[0] for i, w in enumerate(words) if i > 0 and words[i - 1] in ("inet", "inet6")}
    return all(a in have for a in addrs)


def watch(args) -> int:
    stopper = Stop()
    t0 = time.monotonic()
    end = t0 + args.duration if args.duration > 0 else float("inf")
    samples = present = 0
    first_absent = last_present = None
    max_gap = 0.0
    last = None
    next_at = t0
    if args.ready_file:
        open(args.ready_file, "w").close()
    while not stopper.stop and time.monotonic() < end:
        now = time.monotonic()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += args.interval
        at = time.time()
        ok = addresses_present(args.ns, args.dev, args.addrs)
        mono = time.monotonic()
        if last is not None:
            max_gap = max(max_gap, (mono - last) * 1000)
        last = mono
        samples += 1
        if ok:
            present += 1
            last_present = at
        elif first_absent is None:
            first_absent = at
    fmt = lambda t: "" if t is None else f"{t:.3f}"
    print(f"samples={samples} present={present} absent={samples - present} first_absent={fmt(first_absent)} "
          f"last_present={fmt(last_present)} max_gap_ms={max_gap:.0f}", flush=True)
    return 0


def drain_report(args) -> int:
    recs = []
    with open(args.records) as f:
        for line in f:
            seq, at, ok = line.split()
            recs.append((float(at), int(ok)))
    w, x = args.withdrawn, args.exited
    window_end = w + args.drain_ms / 2000.0
    before = [ok for at, ok in recs if at < w]
    window = [ok for at, ok in recs if w <= at <= window_end]
    after_w = [(at, ok) for at, ok in recs if at >= w]
    after_x = [ok for at, ok in recs if at > x]
    answered_after_w = [at for at, ok in after_w if ok]
    span = (max(answered_after_w) - w) * 1000 if answered_after_w else 0
    first_lost_after_w = min((at for at, ok in after_w if not ok), default=None)
    print(f"before={len(before)} before_lost={before.count(0)} drain_window={len(window)} "
          f"drain_window_lost={window.count(0)} after_withdrawn_answered={len(answered_after_w)} "
          f"answered_after_withdrawn_ms={span:.0f} "
          f"first_loss_after_withdrawn_ms={'' if first_lost_after_w is None else f'{(first_lost_after_w - w) * 1000:.0f}'} "
          f"after_exit={len(after_x)} after_exit_answered={sum(after_x)}")
    return 0


def notify_listen(args) -> int:
    stopper = Stop()
    try:
        os.unlink(args.path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(args.path)
    with open(args.out, "a") as out:
        while not stopper.stop:
            try:
                r, _, _ = select.select([s], [], [], 0.2)
            except InterruptedError:
                continue
            if not r:
                continue
            data = s.recv(65536)
            out.write(f"{time.time():.3f} {data.decode(errors='replace').replace(chr(10), '|')}\n")
            out.flush()
    return 0


def ctl_stream(args) -> int:
    import json
    stopper = Stop()
    counts = dict(requests=0, ok=0, refused=0, reset=0, bad=0, slow=0)
    pids = set()
    max_ms = 0.0
    end = time.time() + args.duration if args.duration else None
    if args.ready_file:
        open(args.ready_file, "w").close()
    while not stopper.stop and (end is None or time.time() < end):
        counts["requests"] += 1
        started = time.monotonic()
        if args.socket.startswith("http://"):
            http_once(args.socket, args.timeout, counts)
            max_ms = max(max_ms, (time.monotonic() - started) * 1000)
            time.sleep(args.interval)
            continue
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(args.timeout)
        try:
            s.connect(args.socket)
            s.sendall(b'{"command": "status"}\n')
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
            if not reply.endswith(b"\n"):
                counts["reset"] += 1
            else:
                doc = json.loads(reply)
                if doc.get("ok"):
                    counts["ok"] += 1
                    pids.add(doc["status"]["pid"])
                else:
                    counts["bad"] += 1
        except (ConnectionRefusedError, FileNotFoundError):
            counts["refused"] += 1
        except (ConnectionResetError, BrokenPipeError):
            counts["reset"] += 1
        except socket.timeout:
            counts["slow"] += 1
        except ValueError:
            counts["bad"] += 1
        finally:
            s.close()
        max_ms = max(max_ms, (time.monotonic() - started) * 1000)
        time.sleep(args.interval)
    print(" ".join(f"{k}={v}" for k, v in counts.items()) +
          f" pids={','.join(str(p) for p in sorted(pids))} max_ms={max_ms:.0f}")
    return 0


def http_once(url, timeout, counts):
    """One GET with no retry, counted as ctl_stream counts a status request."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        conn.request("GET", u.path or "/")
        resp = conn.getresponse()
        body = resp.read()
        counts["ok" if resp.status == 200 and body.startswith(b"# HELP") else "bad"] += 1
    except ConnectionRefusedError:
        counts["refused"] += 1
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected, http.client.IncompleteRead):
        counts["reset"] += 1
    except socket.timeout:
        counts["slow"] += 1
    finally:
        conn.close()


def http_get(args) -> int:
    u = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=5)
    conn.request("GET", u.path or "/")
    resp = conn.getresponse()
    body = resp.read().decode(errors="replace")
    sys.stdout.write(body)
    if resp.status != 200:
        print(f"http-get: status {resp.status}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("stream")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--records", required=True)
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--timeout", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=0)
    p.add_argument("--ready-file")
    p.set_defaults(fn=stream)
    p = sub.add_parser("watch")
    p.add_argument("ns")
    p.add_argument("dev")
    p.add_argument("addrs", nargs="+")
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--duration", type=float, default=0)
    p.add_argument("--ready-file")
    p.set_defaults(fn=watch)
    p = sub.add_parser("drain-report")
    p.add_argument("records")
    p.add_argument("--withdrawn", type=float, required=True)
    p.add_argument("--exited", type=float, required=True)
    p.add_argument("--drain-ms", type=float, required=True)
    p.set_defaults(fn=drain_report)
    p = sub.add_parser("notify-listen")
    p.add_argument("path")
    p.add_argument("out")
    p.set_defaults(fn=notify_listen)
    p = sub.add_parser("ctl-stream")
    p.add_argument("socket")
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--interval", type=float, default=0.002)
    p.add_argument("--duration", type=float, default=0)
    p.add_argument("--ready-file")
    p.set_defaults(fn=ctl_stream)
    p = sub.add_parser("http-get")
    p.add_argument("url")
    p.set_defaults(fn=http_get)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
