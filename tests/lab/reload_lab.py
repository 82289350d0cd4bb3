#!/usr/bin/python3
"""Every configuration key against a running anycastd (lab.reload, run by test_reload_lab.sh).

The keys come from `anycastd --list-keys` (control/config/config_keys.cpp, the table the parser checks
against); each has a row here. A reload row changes that one key in a full configuration, reloads
(`anycastctl reload`) and waits until `anycastctl status --json` shows the new value where the
daemon runs with it: a group's own settings (groups.*.config, the group object that runs) or the
daemon's (running: the tables the fast path took, the logger, the clock source). A restart row
changes the key and expects the reload refused with an error naming it, and nothing changed.
A key without a row fails the lab: add one when adding a key.

Then reloads that fail part-way (a zone that does not compile, a BIRD socket that is gone, a DNS
slow-path port already taken), each alongside other changes: refused, and the whole running
configuration as it was. And a group removed by a reload: withdrawn first, answered through its
drain, then not answered, the other groups untouched.

Environment (from lab.sh): LAB_EDGE, LAB_CLIENT, LAB_EDGE_IF, LAB_TMP, LAB_EXTRA_IF (a second interface
in the edge). Arguments: ANYCASTD
ANYCASTCTL UDP_ECHO. Standard library only.
"""

import copy
import json
import os
import re
import socket
import subprocess
import sys
import time

ANYCASTD, ANYCASTCTL, UDP_ECHO = sys.argv[1:4]
EDGE, CLIENT, EDGE_IF, TMP = (os.environ[k] for k in ("LAB_EDGE", "LAB_CLIENT", "LAB_EDGE_IF", "LAB_TMP"))
EXTRA_IF = os.environ["LAB_EXTRA_IF"]
CONF, SOCK, LOG = f"{TMP}/anycastd.toml", f"{TMP}/anycastd.sock", f"{TMP}/anycastd.log"
VIP4, VIP6, VIP_EXTRA, VIP_MORE, VIP_EXA = "192.0.2.21", "2001:db8::21", "192.0.2.22", "192.0.2.23", "192.0.2.24"
VIP_FRR, VIP_GOB = "192.0.2.41", "192.0.2.42"
DNS_PORT = 5353

failures = []


def log(msg):
    print(f"[reload] {msg}", file=sys.stderr, flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    failures.append(msg)


# ---- the configuration as data, written as TOML ------------------------------------------------

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)


def toml_table(path, table, out):
    plain = {k: v for k, v in table.items() if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))}
    if path and (plain or not table):
        out.append(f"[{path}]")
    for k, v in plain.items():
        out.append(f"{k} = {toml_value(v)}")
    for k, v in table.items():
        sub = f"{path}.{k}" if path else k
        if isinstance(v, dict):
            toml_table(sub, v, out)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for element in v:
                out.append(f"[[{sub}]]")
                toml_table_body(sub, element, out)


def toml_table_body(path, table, out):
    for k, v in table.items():
        if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict)):
            out.append(f"{k} = {toml_value(v)}")
    for k, v in table.items():
        if isinstance(v, dict):
            toml_table(f"{path}.{k}", v, out)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for element in v:
                out.append(f"[[{path}.{k}]]")
                toml_table_body(f"{path}.{k}", element, out)


def write_config(c):
    out = []
    toml_table("", c, out)
    with open(CONF, "w") as f:
        f.write("\n".join(out) + "\n")


ZONE = """$TTL 300
@ IN SOA ns1 hostmaster {serial} 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
"""


def write_secret(name):
    """A cookie secret file (16 bytes in hex, readable by root only), for the cookie rows."""
    path = f"{TMP}/{name}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (name.encode().hex() * 16)[:32].encode() + b"\n")
    os.close(fd)
    return path


def write_zone(name, serial):
    path = f"{TMP}/{name}"
    with open(path, "w") as f:
        f.write(ZONE.format(serial=serial))
    return path


def base_config():
    """Every section, with values other than the defaults where a row changes them."""
    return {
        "datapath": {"kind": "xdp", "interface": EDGE_IF, "xdp_mode": "native"},
        "anycast": {"loopback": "lo"},
        "services": {
            "echo": {"port": 7},
            "ntp": {"port": 123, "clock": "chrony", "chrony_socket": f"{TMP}/chronyd.sock",
                    "rate_limit": {"rate": 100, "burst": 8, "ipv4_prefix": 32, "ipv6_prefix": 64}},
            "dns": {"port": DNS_PORT, "slow_path": True,
                    "zone": [{"origin": "example.net", "file": write_zone("a.zone", 1)}],
                    "rrl": {"rate": 100, "slip": 3}},
        },
        "health": {"interval_ms": 200, "fast_interval_ms": 100, "rise": 1, "fall": 2, "hold_down_ms": 0,
                   "disable_file": f"{TMP}/disable", "check": [{"kind": "datapath", "timeout_ms": 100}],
                   "dampening": {"penalty": 100, "suppress": 3000, "reuse": 1000, "half_life_ms": 600000}},
        "route": {"signal": "alias", "drain_ms": 100, "graceful_shutdown": False,
                  "bird": {"socket": f"{TMP}/bird.ctl", "protocol": "anycast4", "gshut_protocol": [], "timeout_ms": 500},
                  "exabgp": {"pipe": f"{TMP}/exabgp", "next_hop4": "198.51.100.2", "next_hop6": "2001:db8:ffff::2",
                             "communities": ["64496:1"], "timeout_ms": 500, "local_as": 64496},
                  # short: with no gobgpd each retried announcement runs its whole timeout (gobgp's CLI
                  # waits for the API), and the daemon's loop with it
                  "frr": {"vty_socket": f"{TMP}/frr", "asn": 65001, "route_map": "anycast", "timeout_ms": 100},
                  "gobgp": {"api": f"unix://{TMP}/gobgp.sock", "next_hop4": "198.51.100.2",
                            "next_hop6": "2001:db8:ffff::2", "communities": ["64496:1"], "timeout_ms": 100}},
        "control": {"socket": SOCK},
        "metrics": {"listen": "127.0.0.1:9187"},
        "log": {"level": "info", "stats_interval_s": 0},
        "group": [
            {"name": "default", "addresses": [VIP4, VIP6], "services": ["echo", "ntp", "dns"],
             "route": {"drain_ms": 150}},
            {"name": "extra", "addresses": [VIP_EXTRA], "services": ["echo"], "disable_file": f"{TMP}/extra.off",
             "check": [{"kind": "exec", "command": "true", "timeout_ms": 100},
                       {"kind": "tcp", "port": 8080, "address": VIP_EXTRA, "timeout_ms": 100},
                       {"kind": "clock", "max_error_ms": 50, "timeout_ms": 100}],
             "route": {"signal": "bird"}},
            # No ExaBGP runs: its announcements fail and are retried, which changes nothing here.
            {"name": "exa", "addresses": [VIP_EXA], "services": ["echo"], "route": {"signal": "exabgp"}},
            # Nor bgpd nor gobgpd: their commands fail the same way.
            {"name": "frrg", "addresses": [VIP_FRR], "services": ["echo"], "route": {"signal": "frr"}},
            {"name": "gob", "addresses": [VIP_GOB], "services": ["echo"], "route": {"signal": "gobgp"}},
        ],
    }


def flat_config():
    c = base_config()
    del c["group"]
    for signal in ("bird", "exabgp", "frr", "gobgp"):  # the one group uses the alias signal
        c["route"].pop(signal)
    c["anycast"]["addresses"] = [VIP4, VIP6]
    return c


# ---- the running daemon ------------------------------------------------------------------------

def ctl(*args):
    return subprocess.run([ANYCASTCTL, "--socket", SOCK, *args], capture_output=True, text=True, timeout=30)


def status():
    r = ctl("status", "--json")
    if r.returncode != 0:
        raise RuntimeError(f"anycastctl status --json: exit {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)["status"]


def group(s, name):
    for g in s["groups"]:
        if g["name"] == name:
            return g["config"]
    return None


def hooks_of(s, name):
    """The group's hooks as status shows them (not part of its config: a reload changes them in place)."""
    return next(g["hooks"]["hooks"] for g in s["groups"] if g["name"] == name)


def service(s, name):
    for x in s["running"]["services"]:
        if x["name"] == name:
            return x
    return None


def settings(s):
    """What a refused reload must leave as it was."""
    return {"groups": sorted((g["name"], json.dumps(g["config"], sort_keys=True)) for g in s["groups"]),
            "running": json.dumps(s["running"], sort_keys=True),
            "zones": [(z["origin"], z["file"], z["serial"]) for z in s.get("dns", {}).get("zones", [])],
            "slow_path": (s.get("dns") or {}).get("slow_path", {}).get("port"),
            "interfaces": [(i["name"], i["state"]) for i in s.get("interfaces", [])]}


def reload(c):
    write_config(c)
    return ctl("reload")


def wait_for(what, pred, deadline_s=15):
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        try:
            s = status()
            last = s
            if pred(s):
                return True
        except (RuntimeError, KeyError, TypeError, IndexError, ValueError) as e:
            last = e
        time.sleep(0.1)
    if isinstance(last, dict):
        last = {"reloads": last["reloads"], "last_reload_error": last["last_reload_error"],
                "groups": [{k: g[k] for k in ("name", "state", "retiring", "config")} for g in last["groups"]],
                "running": last["running"]}
    fail(f"{what}: not seen within {deadline_s} s; last status: {json.dumps(last)[:3000]}")
    return False


def settle(c):
    """Reloads `c` and waits until every group of it runs with its settings."""
    r = reload(c)
    if r.returncode != 0:
        fail(f"reload to the base configuration refused: {r.stderr.strip()}")
        return
    names = [g["name"] for g in c["group"]] if "group" in c else ["default"]
    wait_for("the base configuration's groups running", lambda s: running_groups(s) == sorted(names), 20)


def running_groups(s):
    """The names of the groups once no reload's change is still draining (else None)."""
    if any(g["retiring"] for g in s["groups"]):
        return None
    return sorted(g["name"] for g in s["groups"])


# ---- the rows ----------------------------------------------------------------------------------
# key -> (change(config), check(status) -> bool[, base]); base "flat" for the single-group form.

def g_of(c, name):
    return next(g for g in c["group"] if g["name"] == name)


def drop_service(c, name):
    del c["services"][name]
    for g in c["group"]:
        g["services"] = [x for x in g["services"] if x != name]
    if name == "ntp":  # a clock check needs [services.ntp]
        g_of(c, "extra")["check"] = [k for k in g_of(c, "extra")["check"] if k["kind"] != "clock"]


def check_of(s, group_name, kind):
    g = group(s, group_name)
    return next((k for k in g["checks"] if k["kind"] == kind), None) if g else None


def both_groups(pred):
    return lambda s: all(group(s, n) is not None and pred(group(s, n)) for n in ("default", "extra"))


def bird_group(pred):  # extra takes [route.bird]
    return lambda s: group(s, "extra") is not None and pred(group(s, "extra"))


def exabgp_group(pred):  # exa takes [route.exabgp]
    return lambda s: group(s, "exa") is not None and pred(group(s, "exa"))


def frr_group(pred):  # frrg takes [route.frr]
    return lambda s: group(s, "frrg") is not None and pred(group(s, "frrg"))


def gobgp_group(pred):  # gob takes [route.gobgp]
    return lambda s: group(s, "gob") is not None and pred(group(s, "gob"))


def exa_state(c, state):
    """exa's own [group.route.STATE] (the alias groups could not carry a [route.STATE])."""
    return g_of(c, "exa")["route"].setdefault(state, {})


def dampening_is(**want):
    return lambda s: all(group(s, n)["timing"]["dampening"][k] == v for n in ("default", "extra") for k, v in want.items())


RELOAD_ROWS = {
    # a second interface (made by test_reload_lab.sh) attached, and detached when the base comes back
    "datapath.interface": (lambda c: c["datapath"].update(interface=[EDGE_IF, EXTRA_IF]),
                           lambda s: [(i["name"], i["state"]) for i in s["interfaces"]]
                           == [(EDGE_IF, "attached"), (EXTRA_IF, "attached")]),
    "group": (lambda c: c["group"].append({"name": "more", "addresses": [VIP_MORE], "services": ["echo"]}),
              lambda s: group(s, "more") is not None and group(s, "more")["addresses"] == [f"{VIP_MORE}/32"]),
    "anycast.addresses": (lambda c: c["anycast"].update(addresses=[VIP4]),
                          lambda s: group(s, "default")["addresses"] == [f"{VIP4}/32"], "flat"),
    "services.echo": (lambda c: drop_service(c, "echo"), lambda s: service(s, "echo") is None),
    "services.ntp": (lambda c: drop_service(c, "ntp"), lambda s: service(s, "ntp") is None and "ntp_clock" not in s["running"]),
    "services.dns": (lambda c: drop_service(c, "dns"), lambda s: service(s, "dns") is None and "dns" not in s),
    "services.echo.port": (lambda c: c["services"]["echo"].update(port=7007), lambda s: service(s, "echo")["port"] == 7007),
    "services.echo.allow": (lambda c: c["services"]["echo"].update(allow=["198.51.100.0/24"]),
                            lambda s: service(s, "echo")["allow"] == ["198.51.100.0/24"]),
    "services.ntp.port": (lambda c: c["services"]["ntp"].update(port=1123), lambda s: service(s, "ntp")["port"] == 1123),
    "services.ntp.allow": (lambda c: c["services"]["ntp"].update(allow=["2001:db8:ffff::/64"]),
                           lambda s: service(s, "ntp")["allow"] == ["2001:db8:ffff::/64"]),
    "services.ntp.clock": (lambda c: (c["services"]["ntp"].update(clock="kernel"), c["services"]["ntp"].pop("chrony_socket")),
                           lambda s: s["running"]["ntp_clock"]["kind"] == "kernel"),
    "services.ntp.chrony_socket": (lambda c: c["services"]["ntp"].update(chrony_socket=f"{TMP}/other.sock"),
                                   lambda s: s["running"]["ntp_clock"]["chrony_socket"] == f"{TMP}/other.sock"),
    "services.ntp.rate_limit": (lambda c: c["services"]["ntp"].pop("rate_limit"),
                                lambda s: service(s, "ntp")["rate_limit"]["interval_ns"] == 0),
    "services.ntp.rate_limit.rate": (lambda c: c["services"]["ntp"]["rate_limit"].update(rate=50),
                                     lambda s: service(s, "ntp")["rate_limit"]["interval_ns"] == 20_000_000),
    "services.ntp.rate_limit.burst": (lambda c: c["services"]["ntp"]["rate_limit"].update(burst=16),
                                      lambda s: service(s, "ntp")["rate_limit"]["burst"] == 16),
    "services.ntp.rate_limit.ipv4_prefix": (lambda c: c["services"]["ntp"]["rate_limit"].update(ipv4_prefix=24),
                                            lambda s: service(s, "ntp")["rate_limit"]["ipv4_prefix"] == 24),
    "services.ntp.rate_limit.ipv6_prefix": (lambda c: c["services"]["ntp"]["rate_limit"].update(ipv6_prefix=48),
                                            lambda s: service(s, "ntp")["rate_limit"]["ipv6_prefix"] == 48),
    "services.dns.port": (lambda c: c["services"]["dns"].update(port=5354),
                          lambda s: service(s, "dns")["port"] == 5354 and s["dns"]["slow_path"]["port"] == 5354),
    "services.dns.allow": (lambda c: c["services"]["dns"].update(allow=["198.51.100.1/32"]),
                           lambda s: service(s, "dns")["allow"] == ["198.51.100.1/32"]),
    "services.dns.slow_path": (lambda c: c["services"]["dns"].update(slow_path=False),
                               lambda s: "slow_path" not in s["dns"]),
    "services.dns.nsid": (lambda c: c["services"]["dns"].update(nsid="reload-site"),
                          lambda s: s["dns"]["edns"]["nsid"] == "reload-site"),
    "services.dns.cookie_secret_file": (lambda c: c["services"]["dns"].update(cookie_secret_file=write_secret("s1")),
                                        lambda s: s["dns"]["edns"]["cookie_secret_file"] == f"{TMP}/s1"),
    "services.dns.cookie_secret_previous_file": (
        lambda c: c["services"]["dns"].update(cookie_secret_file=write_secret("s2"),
                                              cookie_secret_previous_file=write_secret("s3")),
        lambda s: s["dns"]["edns"]["cookie_secret_previous_file"] == f"{TMP}/s3"),
    "services.dns.zone": (lambda c: c["services"]["dns"]["zone"].append({"origin": "example.org", "file": write_zone("b.zone", 2)}),
                          lambda s: sorted(z["origin"] for z in s["dns"]["zones"]) == ["example.net.", "example.org."]),
    "services.dns.zone[].origin": (lambda c: c["services"]["dns"]["zone"][0].update(origin="example.com"),
                                   lambda s: [z["origin"] for z in s["dns"]["zones"]] == ["example.com."]),
    "services.dns.zone[].file": (lambda c: c["services"]["dns"]["zone"][0].update(file=write_zone("c.zone", 3)),
                                 lambda s: [(z["file"], z["serial"]) for z in s["dns"]["zones"]] == [(f"{TMP}/c.zone", 3)]),
    "services.dns.rrl": (lambda c: c["services"]["dns"].pop("rrl"),  # the defaults: 200/s, slip 2
                         lambda s: service(s, "dns")["rate_limit"]["interval_ns"] == 5_000_000
                         and service(s, "dns")["rate_limit"]["slip"] == 2),
    "services.dns.rrl.rate": (lambda c: c["services"]["dns"]["rrl"].update(rate=50),
                              lambda s: service(s, "dns")["rate_limit"]["interval_ns"] == 20_000_000),
    "services.dns.rrl.slip": (lambda c: c["services"]["dns"]["rrl"].update(slip=1),
                              lambda s: service(s, "dns")["rate_limit"]["slip"] == 1),
    "health.interval_ms": (lambda c: c["health"].update(interval_ms=300), both_groups(lambda g: g["timing"]["interval_ms"] == 300)),
    "health.fast_interval_ms": (lambda c: c["health"].update(fast_interval_ms=50),
                                both_groups(lambda g: g["timing"]["fast_interval_ms"] == 50)),
    "health.rise": (lambda c: c["health"].update(rise=3), both_groups(lambda g: g["timing"]["rise"] == 3)),
    "health.fall": (lambda c: c["health"].update(fall=3), both_groups(lambda g: g["timing"]["fall"] == 3)),
    "health.hold_down_ms": (lambda c: c["health"].update(hold_down_ms=700), both_groups(lambda g: g["timing"]["hold_down_ms"] == 700)),
    "health.disable_file": (lambda c: c["health"].update(disable_file=f"{TMP}/all.off"),
                            lambda s: s["running"]["health"]["disable_file"] == f"{TMP}/all.off"),
    "health.check": (lambda c: c["health"]["check"].append({"kind": "exec", "command": "exit 0"}),
                     both_groups(lambda g: any(k.get("command") == "exit 0" for k in g["checks"]))),
    "health.check[].kind": (lambda c: c["health"]["check"][0].update(kind="exec", command="true"),
                            lambda s: group(s, "default")["checks"][0]["kind"] == "exec"),
    "health.check[].port": (lambda c: g_of(c, "extra")["check"][1].update(port=8081),
                            lambda s: check_of(s, "extra", "tcp")["port"] == 8081),
    "health.check[].address": (lambda c: g_of(c, "extra")["check"][1].update(address=VIP4),
                               lambda s: check_of(s, "extra", "tcp")["address"] == VIP4),
    "health.check[].command": (lambda c: g_of(c, "extra")["check"][0].update(command="test -d /"),
                               lambda s: check_of(s, "extra", "exec")["command"] == "test -d /"),
    "health.check[].timeout_ms": (lambda c: c["health"]["check"][0].update(timeout_ms=150),
                                  both_groups(lambda g: g["checks"][0]["timeout_ms"] == 150)),
    "health.check[].max_error_ms": (lambda c: g_of(c, "extra")["check"][2].update(max_error_ms=75),
                                    lambda s: check_of(s, "extra", "clock")["max_error_ms"] == 75),
    "route.signal": (lambda c: c["route"].update(signal="exabgp"),  # extra and exa give their own
                     lambda s: group(s, "default")["route"]["signal"] == "exabgp" and group(s, "extra")["route"]["signal"] == "bird"),
    "route.drain_ms": (lambda c: c["route"].update(drain_ms=300),  # default overrides it in its own [group.route]
                       lambda s: group(s, "extra")["route"]["drain_ms"] == 300 and group(s, "extra")["timing"]["drain_ms"] == 300
                       and group(s, "default")["route"]["drain_ms"] == 150),
    "route.graceful_shutdown": (lambda c: g_of(c, "exa")["route"].update(graceful_shutdown=True),  # not with alias
                                exabgp_group(lambda g: g["route"]["graceful_shutdown"] is True)),
    "route.bird": (lambda c: c["route"].update(bird={"socket": f"{TMP}/bird2.ctl", "protocol": "anycast4"}),  # timeout_ms back to 2000
                   bird_group(lambda g: g["route"]["bird"]["socket"] == f"{TMP}/bird2.ctl" and g["route"]["bird"]["timeout_ms"] == 2000)),
    "route.bird.socket": (lambda c: c["route"]["bird"].update(socket=f"{TMP}/bird2.ctl"),
                          bird_group(lambda g: g["route"]["bird"]["socket"] == f"{TMP}/bird2.ctl")),
    "route.bird.protocol": (lambda c: c["route"]["bird"].update(protocol=["anycast4", "anycast6"]),
                            bird_group(lambda g: g["route"]["bird"]["protocol"] == ["anycast4", "anycast6"])),
    "route.bird.gshut_protocol": (lambda c: (c["route"]["bird"].update(gshut_protocol="gshut4"),
                                             g_of(c, "extra")["route"].update(graceful_shutdown=True)),
                                  bird_group(lambda g: g["route"]["bird"]["draining_protocol"] == ["gshut4"])),  # its newer name
    "route.bird.timeout_ms": (lambda c: c["route"]["bird"].update(timeout_ms=900),
                              bird_group(lambda g: g["route"]["bird"]["timeout_ms"] == 900)),
    "route.exabgp": (lambda c: c["route"].update(exabgp={"next_hop4": "198.51.100.2"}),  # the rest back to the defaults
                     exabgp_group(lambda g: g["route"]["exabgp"]["pipe"] == "/run/exabgp/exabgp" and g["route"]["exabgp"]["communities"] == [])),
    "route.exabgp.pipe": (lambda c: c["route"]["exabgp"].update(pipe=f"{TMP}/exa2"),
                          exabgp_group(lambda g: g["route"]["exabgp"]["pipe"] == f"{TMP}/exa2")),
    "route.exabgp.next_hop4": (lambda c: c["route"]["exabgp"].update(next_hop4="198.51.100.3"),
                               exabgp_group(lambda g: g["route"]["exabgp"]["next_hop4"] == "198.51.100.3")),
    "route.exabgp.next_hop6": (lambda c: c["route"]["exabgp"].update(next_hop6="2001:db8:ffff::3"),
                               exabgp_group(lambda g: g["route"]["exabgp"]["next_hop6"] == "2001:db8:ffff::3")),
    "route.exabgp.communities": (lambda c: c["route"]["exabgp"].update(communities=["64496:2", "no-export"]),
                                 exabgp_group(lambda g: g["route"]["exabgp"]["communities"] == ["64496:2", "no-export"])),
    "route.exabgp.timeout_ms": (lambda c: c["route"]["exabgp"].update(timeout_ms=900),
                                exabgp_group(lambda g: g["route"]["exabgp"]["timeout_ms"] == 900)),
    "health.check[].soft": (lambda c: g_of(c, "extra")["check"][0].update(soft=True),
                            lambda s: check_of(s, "extra", "exec")["soft"] is True and check_of(s, "extra", "tcp")["soft"] is False),
    "health.dampening": (lambda c: c["health"].update(dampening={"penalty": 500}),  # the rest back to the defaults
                         dampening_is(penalty=500, suppress=2000, reuse=750, half_life_ms=900000)),
    "health.dampening.penalty": (lambda c: c["health"]["dampening"].update(penalty=250), dampening_is(penalty=250)),
    "health.dampening.suppress": (lambda c: c["health"]["dampening"].update(suppress=2500), dampening_is(suppress=2500)),
    "health.dampening.reuse": (lambda c: c["health"]["dampening"].update(reuse=900), dampening_is(reuse=900)),
    "health.dampening.half_life_ms": (lambda c: c["health"]["dampening"].update(half_life_ms=300000),
                                      dampening_is(half_life_ms=300000)),
    "health.dampening.max_penalty": (lambda c: c["health"]["dampening"].update(max_penalty=20000),
                                     dampening_is(max_penalty=20000)),
    "route.soft_drain_ms": (lambda c: g_of(c, "exa")["route"].update(soft_drain_ms=500),
                            exabgp_group(lambda g: g["route"]["soft_drain_ms"] == 500)),
    "route.ibgp": (lambda c: g_of(c, "exa")["route"].update(ibgp=True), exabgp_group(lambda g: g["route"]["ibgp"] is True)),
    "route.up": (lambda c: exa_state(c, "up").update(med=10), exabgp_group(lambda g: g["route"]["up"]["med"] == 10)),
    "route.degraded": (lambda c: exa_state(c, "degraded").update(med=20),
                       exabgp_group(lambda g: g["route"]["degraded"]["med"] == 20)),
    "route.draining": (lambda c: exa_state(c, "draining").update(med=30),
                       exabgp_group(lambda g: g["route"]["draining"]["med"] == 30)),
    "route.bird.draining_protocol": (lambda c: (c["route"]["bird"].pop("gshut_protocol"),  # its old name: one or the other
                                                c["route"]["bird"].update(draining_protocol="drain4"),
                                                g_of(c, "extra")["route"].update(graceful_shutdown=True)),
                                     bird_group(lambda g: g["route"]["bird"]["draining_protocol"] == ["drain4"])),
    "route.bird.degraded_protocol": (lambda c: c["route"]["bird"].update(degraded_protocol="degraded4"),
                                     bird_group(lambda g: g["route"]["bird"]["degraded_protocol"] == ["degraded4"])),
    "route.exabgp.local_as": (lambda c: c["route"]["exabgp"].update(local_as=64497),
                              exabgp_group(lambda g: g["route"]["exabgp"]["local_as"] == 64497)),
    "route.frr": (lambda c: c["route"].update(frr={"asn": 65002}),  # the rest back to the defaults
                  frr_group(lambda g: g["route"]["frr"]["asn"] == 65002 and g["route"]["frr"]["route_map"] == ""
                            and g["route"]["frr"]["vty_socket"] == "")),
    "route.frr.vtysh": (lambda c: c["route"]["frr"].update(vtysh="/bin/vtysh"),
                        frr_group(lambda g: g["route"]["frr"]["vtysh"] == "/bin/vtysh")),
    "route.frr.pathspace": (lambda c: (c["route"]["frr"].pop("vty_socket"), c["route"]["frr"].update(pathspace="edge")),
                            frr_group(lambda g: g["route"]["frr"]["pathspace"] == "edge")),
    "route.frr.vty_socket": (lambda c: c["route"]["frr"].update(vty_socket=f"{TMP}/frr2"),
                             frr_group(lambda g: g["route"]["frr"]["vty_socket"] == f"{TMP}/frr2")),
    "route.frr.asn": (lambda c: c["route"]["frr"].update(asn=65003), frr_group(lambda g: g["route"]["frr"]["asn"] == 65003)),
    "route.frr.route_map": (lambda c: c["route"]["frr"].update(route_map="edge-out"),
                            frr_group(lambda g: g["route"]["frr"]["route_map"] == "edge-out")),
    "route.frr.gshut_route_map": (lambda c: (c["route"]["frr"].update(gshut_route_map="edge-gshut"),
                                             g_of(c, "frrg")["route"].update(graceful_shutdown=True)),
                                  frr_group(lambda g: g["route"]["frr"]["gshut_route_map"] == "edge-gshut")),
    "route.frr.degraded_route_map": (lambda c: c["route"]["frr"].update(degraded_route_map="edge-degraded"),
                                     frr_group(lambda g: g["route"]["frr"]["degraded_route_map"] == "edge-degraded")),
    "route.frr.timeout_ms": (lambda c: c["route"]["frr"].update(timeout_ms=900),
                             frr_group(lambda g: g["route"]["frr"]["timeout_ms"] == 900)),
    "route.gobgp": (lambda c: c["route"].update(gobgp={"next_hop4": "198.51.100.3"}),  # the rest back to the defaults
                    gobgp_group(lambda g: g["route"]["gobgp"]["api"] == "127.0.0.1:50051" and g["route"]["gobgp"]["communities"] == [])),
    "route.gobgp.gobgp": (lambda c: c["route"]["gobgp"].update(gobgp="/bin/gobgp"),
                          gobgp_group(lambda g: g["route"]["gobgp"]["gobgp"] == "/bin/gobgp")),
    "route.gobgp.api": (lambda c: c["route"]["gobgp"].update(api="127.0.0.1:50052"),
                        gobgp_group(lambda g: g["route"]["gobgp"]["api"] == "127.0.0.1:50052")),
    "route.gobgp.next_hop4": (lambda c: c["route"]["gobgp"].update(next_hop4="198.51.100.3"),
                              gobgp_group(lambda g: g["route"]["gobgp"]["next_hop4"] == "198.51.100.3")),
    "route.gobgp.next_hop6": (lambda c: c["route"]["gobgp"].update(next_hop6="2001:db8:ffff::3"),
                              gobgp_group(lambda g: g["route"]["gobgp"]["next_hop6"] == "2001:db8:ffff::3")),
    "route.gobgp.communities": (lambda c: c["route"]["gobgp"].update(communities=["64496:2"]),
                                gobgp_group(lambda g: g["route"]["gobgp"]["communities"] == ["64496:2"])),
    "route.gobgp.timeout_ms": (lambda c: c["route"]["gobgp"].update(timeout_ms=900),
                               gobgp_group(lambda g: g["route"]["gobgp"]["timeout_ms"] == 900)),
    "route.up.med": (lambda c: exa_state(c, "up").update(med=7), exabgp_group(lambda g: g["route"]["up"]["med"] == 7)),
    "route.up.prepend": (lambda c: exa_state(c, "up").update(prepend=2), exabgp_group(lambda g: g["route"]["up"]["prepend"] == 2)),
    "route.up.communities": (lambda c: exa_state(c, "up").update(communities=["64496:9"]),
                               exabgp_group(lambda g: g["route"]["up"]["communities"] == ["64496:9"])),
    "route.up.large_communities": (lambda c: exa_state(c, "up").update(large_communities=["64496:1:2"]),
                                     exabgp_group(lambda g: g["route"]["up"]["large_communities"] == ["64496:1:2"])),
    "route.up.local_preference": (lambda c: (g_of(c, "exa")["route"].update(ibgp=True),
                                               exa_state(c, "up").update(local_preference=50)),
                                    exabgp_group(lambda g: g["route"]["up"]["local_preference"] == 50)),
    "route.degraded.med": (lambda c: exa_state(c, "degraded").update(med=7), exabgp_group(lambda g: g["route"]["degraded"]["med"] == 7)),
    "route.degraded.prepend": (lambda c: exa_state(c, "degraded").update(prepend=2), exabgp_group(lambda g: g["route"]["degraded"]["prepend"] == 2)),
    "route.degraded.communities": (lambda c: exa_state(c, "degraded").update(communities=["64496:9"]),
                               exabgp_group(lambda g: g["route"]["degraded"]["communities"] == ["64496:9"])),
    "route.degraded.large_communities": (lambda c: exa_state(c, "degraded").update(large_communities=["64496:1:2"]),
                                     exabgp_group(lambda g: g["route"]["degraded"]["large_communities"] == ["64496:1:2"])),
    "route.degraded.local_preference": (lambda c: (g_of(c, "exa")["route"].update(ibgp=True),
                                               exa_state(c, "degraded").update(local_preference=50)),
                                    exabgp_group(lambda g: g["route"]["degraded"]["local_preference"] == 50)),
    "route.draining.med": (lambda c: exa_state(c, "draining").update(med=7), exabgp_group(lambda g: g["route"]["draining"]["med"] == 7)),
    "route.draining.prepend": (lambda c: exa_state(c, "draining").update(prepend=2), exabgp_group(lambda g: g["route"]["draining"]["prepend"] == 2)),
    "route.draining.communities": (lambda c: exa_state(c, "draining").update(communities=["64496:9"]),
                               exabgp_group(lambda g: g["route"]["draining"]["communities"] == ["64496:9"])),
    "route.draining.large_communities": (lambda c: exa_state(c, "draining").update(large_communities=["64496:1:2"]),
                                     exabgp_group(lambda g: g["route"]["draining"]["large_communities"] == ["64496:1:2"])),
    "route.draining.local_preference": (lambda c: (g_of(c, "exa")["route"].update(ibgp=True),
                                               exa_state(c, "draining").update(local_preference=50)),
                                    exabgp_group(lambda g: g["route"]["draining"]["local_preference"] == 50)),
    "group[].name": (lambda c: g_of(c, "extra").update(name="extra2"),
                     lambda s: group(s, "extra2") is not None and group(s, "extra") is None),
    "group[].addresses": (lambda c: g_of(c, "extra").update(addresses=[VIP_EXTRA, VIP_MORE]),
                          lambda s: group(s, "extra")["addresses"] == [f"{VIP_EXTRA}/32", f"{VIP_MORE}/32"]),
    "group[].services": (lambda c: g_of(c, "default").update(services=["echo", "dns"]),
                         lambda s: group(s, "default")["services"] == ["echo", "dns"]),
    "group[].disable_file": (lambda c: g_of(c, "extra").update(disable_file=f"{TMP}/extra2.off"),
                             lambda s: group(s, "extra")["disable_file"] == f"{TMP}/extra2.off"),
    "group[].check": (lambda c: g_of(c, "default").update(check=[{"kind": "exec", "command": "exit 0"}]),
                      lambda s: any(k.get("command") == "exit 0" for k in group(s, "default")["checks"])),
    "group[].route": (lambda c: g_of(c, "default").pop("route"),  # its drain_ms 150 -> [route]'s 100
                      lambda s: group(s, "default")["route"]["drain_ms"] == 100),
    # [[hook]] (docs/hooks.md): the base has none; each row adds one and reads it back per group.
    "hook": (lambda c: c.update(hook=[{"command": ["/bin/true"]}]),
             lambda s: all([h["command"] for h in hooks_of(s, n)] == [["/bin/true"]] for n in ("default", "extra"))),
    "hook[].command": (lambda c: c.update(hook=[{"command": ["/bin/echo", "edge"]}]),
                       lambda s: [h["command"] for h in hooks_of(s, "default")] == [["/bin/echo", "edge"]]),
    "hook[].timeout_ms": (lambda c: c.update(hook=[{"command": ["/bin/true"], "timeout_ms": 1234}]),
                          lambda s: [h["timeout_ms"] for h in hooks_of(s, "default")] == [1234]),
    "hook[].groups": (lambda c: c.update(hook=[{"command": ["/bin/true"], "groups": ["extra"]}]),
                      lambda s: len(hooks_of(s, "extra")) == 1 and not hooks_of(s, "default")),
    "hook[].states": (lambda c: c.update(hook=[{"command": ["/bin/true"], "states": ["draining", "down"]}]),
                      lambda s: [h["states"] for h in hooks_of(s, "default")] == [["draining", "down"]]),
    "log.level": (lambda c: c["log"].update(level="warn"), lambda s: s["running"]["log"]["level"] == "warning"),
    "log.stats_interval_s": (lambda c: c["log"].update(stats_interval_s=60), lambda s: s["running"]["log"]["stats_interval_s"] == 60),
    "metrics.vip_series": (lambda c: c["metrics"].update(vip_series=1),
                           lambda s: s["vip_series"]["limit"] == 1 and s["vips"][-1]["vip"] == "other"),
}

DPDK = {"eal_args": ["--no-huge", "--vdev=net_null0"], "lcores": "0-1"}


def to_dpdk(c, key=None, value=None):
    c["datapath"] = {"kind": "dpdk", "dpdk": dict(DPDK)}
    if key:
        c["datapath"]["dpdk"][key] = value


# key -> change(config); the reload must be refused naming the key.
RESTART_ROWS = {
    "datapath.kind": lambda c: to_dpdk(c),
    "datapath.attach": lambda c: c["datapath"].update(attach="dispatcher"),
    "datapath.chain_map": lambda c: c.update(datapath={"attach": "chain", "chain_map": f"{TMP}/bpf/chain", "chain_index": 1}),
    "datapath.chain_index": lambda c: c.update(datapath={"attach": "chain", "chain_map": f"{TMP}/bpf/chain", "chain_index": 1}),
    "datapath.dispatcher_priority": lambda c: c["datapath"].update(attach="dispatcher", dispatcher_priority=10),
    "datapath.xdp_mode": lambda c: c["datapath"].update(xdp_mode="generic"),
    "datapath.vip_max_entries": lambda c: c["datapath"].update(vip_max_entries=131072),
    "datapath.allow_max_entries": lambda c: c["datapath"].update(allow_max_entries=512),
    "datapath.dpdk": lambda c: to_dpdk(c),
    "datapath.dpdk.eal_args": lambda c: to_dpdk(c),
    "datapath.dpdk.lcores": lambda c: to_dpdk(c),
    "datapath.dpdk.exception": lambda c: to_dpdk(c, "exception", "tap"),
    "datapath.dpdk.exception_interface": lambda c: to_dpdk(c, "exception_interface", "ac1"),
    "datapath.dpdk.exception_addresses": lambda c: to_dpdk(c, "exception_addresses", ["198.51.100.2/24"]),
    "datapath.dpdk.ports": lambda c: to_dpdk(c, "ports", [{"exception_interface": "ac1"}]),
    "datapath.dpdk.ports[].exception_interface": lambda c: to_dpdk(c, "ports", [{"exception_interface": "ac1"}]),
    "datapath.dpdk.ports[].exception_addresses":
        lambda c: to_dpdk(c, "ports", [{"exception_addresses": ["198.51.100.2/24"]}]),
    "datapath.dpdk.profile": lambda c: to_dpdk(c, "profile", "net_af_xdp"),
    "datapath.dpdk.rx_descriptors": lambda c: to_dpdk(c, "rx_descriptors", 512),
    "datapath.dpdk.tx_descriptors": lambda c: to_dpdk(c, "tx_descriptors", 512),
    "datapath.dpdk.burst": lambda c: to_dpdk(c, "burst", 16),
    "datapath.dpdk.idle_sleep_us": lambda c: to_dpdk(c, "idle_sleep_us", 10),
    "datapath.dpdk.binary": lambda c: to_dpdk(c, "binary", "/usr/sbin/anycastd-dpdk"),
    "datapath.dpdk.start_timeout_ms": lambda c: to_dpdk(c, "start_timeout_ms", 5000),
    "anycast.loopback": lambda c: c["anycast"].update(loopback="lo2"),
    "anycast.host_vips": lambda c: c["anycast"].update(host_vips="local_routes"),
    "control.socket": lambda c: c["control"].update(socket=f"{TMP}/other.sock"),
    "metrics.listen": lambda c: c["metrics"].update(listen="127.0.0.1:9188"),
    "shipped_default": lambda c: c.update(shipped_default=True),
}


def run_reload_row(key, row):
    change, check = row[0], row[1]
    base = flat_config() if len(row) > 2 and row[2] == "flat" else base_config()
    settle(base)
    before = status()["reloads"]
    c = copy.deepcopy(base)
    change(c)
    r = reload(c)
    if r.returncode != 0:
        fail(f"{key}: reload refused: {r.stderr.strip()}")
        return
    if wait_for(f"{key}: the new value in use", lambda s: s["reloads"] > before and running_groups(s) and check(s)):
        log(f"ok: {key}: took effect on reload")


def run_restart_row(key, change):
    base = base_config()
    settle(base)
    kept = settings(status())
    c = copy.deepcopy(base)
    change(c)
    r = reload(c)
    if r.returncode == 0:
        fail(f"{key}: changed by a reload, expected it refused (a restart-only key)")
        return
    said = r.stderr.strip()
    named = said.split(" changed: that takes a restart")[0].rsplit(": ", 1)[-1].split(", ")
    # A key inside an array of tables is named with its index (datapath.dpdk.ports[0].exception_interface).
    named = [re.sub(r"\[\d+\]", "[]", n) for n in named]
    # A table key (datapath.dpdk) is named through the keys inside it.
    if not any(n == key or n.startswith(key + ".") for n in named) or "takes a restart" not in said:
        fail(f"{key}: expected the refusal to name it as needing a restart, seen: {said}")
        return
    if settings(status()) != kept:
        fail(f"{key}: the refused reload changed the running configuration")
        return
    log(f"ok: {key}: reload refused: {said}")


# ---- reloads that fail part-way ----------------------------------------------------------------

def refused_whole(what, change, expect_in_error):
    base = base_config()
    settle(base)
    s0 = status()
    kept, failures_before = settings(s0), s0["reload_failures"]
    c = copy.deepcopy(base)
    # Changes a reload would make beside the failing one: none of them may be applied.
    c["health"]["interval_ms"] = 400
    g_of(c, "extra")["addresses"] = [VIP_EXTRA, VIP_MORE]
    c["group"].append({"name": "more", "addresses": ["192.0.2.25"], "services": ["echo"]})
    c["services"]["echo"]["port"] = 7007
    c["services"]["dns"]["zone"].append({"origin": "example.org", "file": write_zone("b.zone", 2)})
    c["datapath"]["interface"] = [EDGE_IF, EXTRA_IF]  # attached by the reload, and taken back
    change(c)
    r = reload(c)
    if r.returncode == 0:
        fail(f"{what}: reload accepted, expected refused")
        return
    if expect_in_error not in r.stderr:
        fail(f"{what}: expected the refusal to say '{expect_in_error}', seen: {r.stderr.strip()}")
    time.sleep(0.5)  # anything half applied would show by now (drain_ms 100-150)
    s1 = status()
    if settings(s1) != kept:
        fail(f"{what}: the refused reload changed the running configuration:\n  before {kept}\n  after  {settings(s1)}")
        return
    if s1["reload_failures"] != failures_before + 1 or expect_in_error not in s1["last_reload_error"]:
        fail(f"{what}: status reload_failures/last_reload_error not updated: {s1['reload_failures']} {s1['last_reload_error']}")
        return
    log(f"ok: {what}: refused, nothing changed: {r.stderr.strip()}")


def bad_zone(c):
    with open(f"{TMP}/bad.zone", "w") as f:
        f.write("$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\nwww IN A 192.0.2.999\n")
    c["services"]["dns"]["zone"][1]["file"] = f"{TMP}/bad.zone"


def bird_gone(c):
    g_of(c, "extra")["route"] = {"signal": "bird", "bird": {"socket": f"{TMP}/no-bird.ctl", "protocol": "anycast4"}}


def echo_count(host, port, count, timeout):
    out = subprocess.run(["ip", "netns", "exec", CLIENT, sys.executable, UDP_ECHO, host, str(port), "--count", str(count),
                          "--timeout", str(timeout), "--expect", "any"], capture_output=True, text=True, timeout=60).stdout
    fields = dict(f.split("=", 1) for f in out.split() if "=" in f)
    return int(fields.get("answered", -1))


def alias_on_lo(addr):
    out = subprocess.run(["ip", "-n", EDGE, "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
    return f" {addr}/" in out


def removed_group_drains():
    failed_before = len(failures)
    base = base_config()
    extra = g_of(base, "extra")
    extra["route"] = {"signal": "alias", "drain_ms": 2000}
    base["route"].pop("bird")  # no group uses it now
    extra["check"] = [extra["check"][0]]  # the exec check alone: it passes
    settle(base)
    if not wait_for("group extra up", lambda s: next(g for g in s["groups"] if g["name"] == "extra")["state"] == "up"):
        return
    default_since = next(g for g in status()["groups"] if g["name"] == "default")["since"]["unix"]
    if echo_count(VIP_EXTRA, 7, 3, 1) != 3:
        fail("group extra before its removal: echo not answered")
        return
    c = copy.deepcopy(base)
    c["group"] = [g for g in c["group"] if g["name"] != "extra"]
    t0 = time.monotonic()
    r = reload(c)
    if r.returncode != 0:
        fail(f"reload removing group extra refused: {r.stderr.strip()}")
        return
    while alias_on_lo(VIP_EXTRA) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    withdrawn_ms = (time.monotonic() - t0) * 1000
    if alias_on_lo(VIP_EXTRA):
        fail("group extra removed by a reload: its alias stayed on lo")
        return
    answered = echo_count(VIP_EXTRA, 7, 3, 0.3)
    if answered != 3:
        fail(f"group extra removed: withdrawn, then expected answered through its drain (2000 ms), answered {answered}/3")
    if not wait_for("group extra gone from status once drained", lambda s: all(g["name"] != "extra" for g in s["groups"])):
        return
    time.sleep(0.3)
    after = echo_count(VIP_EXTRA, 7, 3, 0.3)
    if after != 0:
        fail(f"group extra removed and drained: expected its VIP unanswered, answered {after}/3")
    s = status()
    d = next(g for g in s["groups"] if g["name"] == "default")
    if d["state"] != "up" or d["since"]["unix"] != default_since:
        fail(f"group default changed by the removal of extra: {d['state']} since {d['since']}")
    if len(failures) == failed_before:
        log(f"ok: group removed by a reload: withdrawn after {withdrawn_ms:.0f} ms, answered through the drain, "
            f"then unanswered; default untouched")


def main():
    keys = {}
    for line in subprocess.run([ANYCASTD, "--list-keys"], capture_output=True, text=True, check=True).stdout.splitlines():
        key, change = line.split()
        keys[key] = change
    for key, change in keys.items():
        rows = RELOAD_ROWS if change == "reload" else RESTART_ROWS
        if key not in rows:
            fail(f"{key} ({change}): no row in tests/lab/reload_lab.py; add one that changes it and checks the result")
    for key in list(RELOAD_ROWS) + list(RESTART_ROWS):
        if key not in keys:
            fail(f"{key}: a row for a key anycastd --list-keys does not list")

    write_config(base_config())
    check = subprocess.run([ANYCASTD, "--check", "--config", CONF], capture_output=True, text=True)
    if check.returncode != 0:
        fail(f"the base configuration is refused: {check.stderr.strip()}")
        return 1
    logf = open(LOG, "w")
    daemon = subprocess.Popen(["ip", "netns", "exec", EDGE, ANYCASTD, "--config", CONF], stdout=logf, stderr=logf)
    try:
        end = time.monotonic() + 30
        while "anycastd started" not in open(LOG).read():
            if daemon.poll() is not None or time.monotonic() > end:
                sys.stderr.write(open(LOG).read())
                fail("anycastd did not start")
                return 1
            time.sleep(0.1)
        log(f"anycastd started; {sum(v == 'reload' for v in keys.values())} reload keys, "
            f"{sum(v == 'restart' for v in keys.values())} restart-only keys")
        for key, change in keys.items():
            if change == "reload" and key in RELOAD_ROWS:
                run_reload_row(key, RELOAD_ROWS[key])
            elif change == "restart" and key in RESTART_ROWS:
                run_restart_row(key, RESTART_ROWS[key])

        refused_whole("a zone that does not compile", bad_zone, "bad.zone")
        refused_whole("a BIRD control socket that is gone", bird_gone, "no-bird.ctl")
        blocker = subprocess.Popen(["ip", "netns", "exec", EDGE, sys.executable, "-c",
                                    "import socket, time\n"
                                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                    "s.bind(('0.0.0.0', 5399))\n"
                                    "time.sleep(120)\n"])
        try:
            time.sleep(0.3)
            refused_whole("a DNS slow-path port already taken", lambda c: c["services"]["dns"].update(port=5399), "5399")
        finally:
            blocker.kill()
            blocker.wait()
        removed_group_drains()
        if daemon.poll() is not None:
            fail(f"anycastd exited (code {daemon.returncode}) during the lab")
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(20)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if failures:
            sys.stderr.write("---- anycastd's log (last 80 lines) ----\n" + "".join(open(LOG).readlines()[-80:]))
    for f in failures:
        log(f"FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
