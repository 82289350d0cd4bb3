#!/usr/bin/python3
"""Every metric the Grafana dashboard or an alert rule queries is one anycastd serves.

    metric_names.py DASHBOARD_JSON RULES_YML RECORDING RENDER_METRICS_CPP

Takes the metric names (anycastd_...) out of every `expr` of the dashboard's panels and template
variables' queries and of the rules, and looks each up in the families of the scrapes the alerts
lab recorded from the real endpoint (RECORDING/scrape-*.prom): a metric renamed or dropped in
control/metrics/render_metrics.cpp and not in the dashboard or rules fails here.

The lab runs the XDP datapath, so the DPDK families (anycastd_dpdk_...) are not in its recording;
those are looked up as string literals in RENDER_METRICS_CPP instead, which a rename changes too.
"""

import json
import pathlib
import re
import sys

import yaml

NAME = re.compile(r"\banycastd_[a-zA-Z0-9_]+")
FAMILY = re.compile(r"^# TYPE (\S+) ", re.M)


def dashboard_queries(node) -> list:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "definition") and isinstance(v, str):
                out.append(v)
            elif k == "query" and isinstance(v, dict) and isinstance(v.get("query"), str):
                out.append(v["query"])
            else:
                out += dashboard_queries(v)
    elif isinstance(node, list):
        for v in node:
            out += dashboard_queries(v)
    return out


def main() -> int:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    dashboard, rules, recording, render = map(pathlib.Path, sys.argv[1:])
    used = {}  # name -> where
    for q in dashboard_queries(json.loads(dashboard.read_text())):
        for n in NAME.findall(q):
            used.setdefault(n, f"{dashboard.name}: {q}")
    for group in yaml.safe_load(rules.read_text())["groups"]:
        for r in group["rules"]:
            for n in NAME.findall(r["expr"]):
                used.setdefault(n, f"{rules.name}, alert {r.get('alert', r.get('record'))}")
    if len(used) < 10:
        raise SystemExit(f"only {len(used)} metric names found in {dashboard} and {rules}: is the extraction broken?")

    scrapes = sorted(recording.glob("scrape-*.prom"))
    if not scrapes:
        raise SystemExit(f"{recording}: no scrape-*.prom: run the lab (lab.alerts) first")
    served = set()
    for s in scrapes:
        served |= set(FAMILY.findall(s.read_text()))
    source = render.read_text()

    missing = []
    for name, where in sorted(used.items()):
        if name in served:
            continue
        if name.startswith("anycastd_dpdk_") and f'"{name}"' in source:
            print(f"ok (DPDK, in {render.name}): {name}")
            continue
        missing.append(f"{name} (used by {where})")
    print(f"{len(used)} metric names used, {len(scrapes)} scrapes with {len(served)} families")
    if missing:
        print("FAIL: not served by anycastd:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
