#!/usr/bin/python3
"""UDP echo probes for the end-to-end BGP lab (runs in the client namespace).

stream HOST PORT: sends one datagram every --interval seconds, round-robin over --sockets
    connected sockets (distinct source ports, so a router hashing on ports spreads them over its
    ECMP next hops), until --duration has passed or SIGTERM/SIGINT arrives; then waits --timeout
    for the last replies. A datagram is lost when no identical reply came within --timeout of its
    sending. Prints one line:

        sent=412 answered=412 lost=0 wrong=0 refused=0 late=0 max_rtt_ms=3.1 loss_at_ms=

    loss_at_ms: the send times (ms since the start) of the lost datagrams, at most 20.

sample HOST PORT --router NS --via ADDR: every --interval seconds for --duration seconds, reads
    the router's route to HOST (`ip -n NS route show HOST`), sends one probe and waits up to
    --timeout for its echo, then reads the route again. A sample violates the rule "either no
    route via ADDR at the router, or the client answered" when the route via ADDR was there both
    before and after the probe and the probe was not answered. Prints one line per sample with
    --verbose, and a summary:

        samples=60 answered=60 route_via=60 no_route=0 violations=0 timeline=RRRR...

    timeline, one letter per sample: R route via ADDR and answered, a answered without a route
    via ADDR (another next hop), n no route via ADDR and unanswered, X violation, ? route changed
    during the probe and unanswered.

watch HOST --router NS --via ADDR: polls the router's route to HOST every --interval seconds until
    SIGTERM/SIGINT (or --duration) and prints how often the route via ADDR was there:

        polls=301 present=301 absent=0 first_absent_ms= changes=

    changes: the times (ms since the start) at which the state changed, with its new state.

Exit code: stream 0 when nothing was lost, wrong or refused (1 otherwise); sample 0 without
violations (1 otherwise); 2 on usage errors.
"""

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time


def make_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
    s.connect((host, port))
    s.setblocking(False)
    return s


def stream(args) -> int:
    socks = [make_socket(args.host, args.port) for _ in range(args.sockets)]
    tag = os.urandom(4).hex()
    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t0 = time.monotonic()
    pending = {}  # payload -> send time
    sent = answered = wrong = refused = late = 0
    lost_at = []
    max_rtt = 0.0
    seq = 0
    next_send = t0
    end = t0 + args.duration if args.duration > 0 else float("inf")
    by_fd = {s.fileno(): s for s in socks}
    if args.ready_file:
        open(args.ready_file, "w").close()

    def expire(now):
        for p, ts in list(pending.items()):
            if now - ts > args.timeout:
                del pending[p]
                lost_at.append((ts - t0) * 1000)

    def receive(wait):
        nonlocal answered, wrong, refused, late, max_rtt
        try:
            ready, _, _ = select.select(list(by_fd), [], [], max(wait, 0))
        except InterruptedError:
            return
        now = time.monotonic()
        for fd in ready:
            s = by_fd[fd]
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                except ConnectionRefusedError:
                    refused += 1
                    continue
                except OSError:
                    refused += 1
                    continue
                ts = pending.pop(data, None)
                if ts is not None:
                    answered += 1
                    max_rtt = max(max_rtt, (now - ts) * 1000)
                elif data.startswith(b"anycastd-e2e " + tag.encode()):
                    late += 1  # a reply after its timeout (already counted lost)
                else:
                    wrong += 1

    while not stop and time.monotonic() < end:
        now = time.monotonic()
        if now >= next_send:
            payload = f"anycastd-e2e {tag} {seq} ".encode() + bytes(seq % 200)
            s = socks[seq % len(socks)]
            try:
                s.send(payload)
                pending[payload] = now
            except OSError:
                refused += 1  # an ICMP error from an earlier datagram surfaced on send
                pending[payload] = now
            sent += 1
            seq += 1
            next_send += args.interval
            if next_send < now:  # we fell behind (a stall): do not burst
                next_send = now + args.interval
        expire(time.monotonic())
        receive(next_send - time.monotonic())
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        receive(min(0.05, deadline - time.monotonic()))
    expire(float("inf"))
    lost = len(lost_at)
    loss_list = ",".join(f"{x:.0f}" for x in sorted(lost_at)[:20])
    print(f"sent={sent} answered={answered} lost={lost} wrong={wrong} refused={refused} late={late} "
          f"max_rtt_ms={max_rtt:.1f} duration_ms={(time.monotonic() - t0) * 1000:.0f} loss_at_ms={loss_list}",
          flush=True)
    return 0 if lost == wrong == refused == 0 else 1


def route_via(router: str, host: str, via: str) -> bool:
    fam = "-6" if ":" in host else "-4"
    out = subprocess.run(["ip", "-n", router, fam, "route", "show", host], capture_output=True, text=True).stdout
    return any(f"via {v} " in out for v in via.split(","))


def sample(args) -> int:
    s = make_socket(args.host, args.port)
    tag = os.urandom(4).hex()
    t0 = time.monotonic()
    n = answered_n = via_n = no_route = violations = 0
    timeline = []
    next_at = t0
    while time.monotonic() - t0 < args.duration:
        now = time.monotonic()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += args.interval
        before = route_via(args.router, args.host, args.via)
        payload = f"anycastd-e2e {tag} {n} ".encode()
        answered = False
        sent_at = time.monotonic()
        try:
            s.send(payload)
            while True:
                left = args.timeout - (time.monotonic() - sent_at)
                if left <= 0:
                    break
                r, _, _ = select.select([s], [], [], left)
                if not r:
                    break
                try:
                    data = s.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    continue
                except OSError:
                    continue
                if data == payload:
                    answered = True
                    break
        except OSError:
            pass
        after = route_via(args.router, args.host, args.via)
        n += 1
        answered_n += answered
        via_n += before
        if answered:
            letter = "R" if before else "a"
        elif before and after:
            letter = "X"
            violations += 1
        elif before != after:
            letter = "?"
        else:
            letter = "n"
            no_route += 1
        timeline.append(letter)
        if args.verbose:
            print(f"t_ms={(sent_at - t0) * 1000:.0f} route_before={int(before)} answered={int(answered)} "
                  f"route_after={int(after)} {letter}", flush=True)
    print(f"samples={n} answered={answered_n} route_via={via_n} no_route={no_route} violations={violations} "
          f"timeline={''.join(timeline)}", flush=True)
    return 0 if violations == 0 else 1


def watch(args) -> int:
    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t0 = time.monotonic()
    polls = present = 0
    first_absent = None
    state = None
    changes = []
    if args.ready_file:
        open(args.ready_file, "w").close()
    while not stop and (args.duration <= 0 or time.monotonic() - t0 < args.duration):
        now = time.monotonic()
        there = route_via(args.router, args.host, args.via)
        polls += 1
        present += there
        if not there and first_absent is None:
            first_absent = (now - t0) * 1000
        if there != state:
            if state is not None:
                changes.append(f"{(now - t0) * 1000:.0f}:{'present' if there else 'absent'}")
            state = there
        time.sleep(max(0.0, args.interval - (time.monotonic() - now)))
    fa = "" if first_absent is None else f"{first_absent:.0f}"
    print(f"polls={polls} present={present} absent={polls - present} first_absent_ms={fa} "
          f"changes={','.join(changes)}", flush=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    st = sub.add_parser("stream")
    st.add_argument("host")
    st.add_argument("port", type=int)
    st.add_argument("--interval", type=float, default=0.01)
    st.add_argument("--duration", type=float, default=0, help="seconds; 0: until SIGTERM")
    st.add_argument("--sockets", type=int, default=8)
    st.add_argument("--timeout", type=float, default=1.0)
    st.add_argument("--ready-file", help="created once the sockets are open and sending starts")
    sa = sub.add_parser("sample")
    sa.add_argument("host")
    sa.add_argument("port", type=int)
    sa.add_argument("--router", required=True, help="the router's network namespace")
    sa.add_argument("--via", required=True, help="next hop address(es) of the edge, comma separated")
    sa.add_argument("--interval", type=float, default=0.05)
    sa.add_argument("--duration", type=float, default=3.0)
    sa.add_argument("--timeout", type=float, default=0.2)
    sa.add_argument("--verbose", action="store_true")
    wa = sub.add_parser("watch")
    wa.add_argument("host")
    wa.add_argument("--router", required=True, help="the router's network namespace")
    wa.add_argument("--via", required=True, help="next hop address(es) of the edge, comma separated")
    wa.add_argument("--interval", type=float, default=0.01)
    wa.add_argument("--duration", type=float, default=0, help="seconds; 0: until SIGTERM")
    wa.add_argument("--ready-file")
    args = ap.parse_args()
    return {"stream": stream, "sample": sample, "watch": watch}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
