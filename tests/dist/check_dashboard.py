#!/usr/bin/python3
"""The Grafana dashboard imports anywhere and follows its variables.

    check_dashboard.py DASHBOARD_JSON

Fails unless: the JSON parses, with a uid and a title; a `datasource` variable (any Prometheus)
and an `instance` variable taken from anycastd_info exist; every panel queries through
`${datasource}` and restricts every anycastd metric it selects to `instance=~"$instance"` (a
panel that forgets it mixes the edges); panel ids are unique and every panel fits the 24-column
grid without overlapping another; and a row exists for each part the dashboard must show.
"""

import json
import re
import sys

ROWS = ("Answers", "Groups", "Route signals", "DNS", "NTP", "Datapath")
SELECTOR = re.compile(r"\b(anycastd_[a-zA-Z0-9_]+)(\{[^}]*\})?")


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    d = json.load(open(sys.argv[1]))
    problems = []
    if not d.get("uid") or not d.get("title"):
        problems.append("no uid or title")
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` variable of Prometheus data sources")
    inst = variables.get("instance", {})
    if inst.get("type") != "query" or "anycastd_info" not in json.dumps(inst.get("query")):
        problems.append("no `instance` query variable over anycastd_info")

    ids, cells = set(), {}
    for p in d["panels"]:
        where = f"panel {p.get('id')} {p.get('title')!r}"
        if p.get("id") in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(p.get("id"))
        g = p["gridPos"]
        if g["x"] < 0 or g["x"] + g["w"] > 24:
            problems.append(f"{where}: outside the 24 columns ({g})")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problems.append(f"{where}: overlaps {cells[(x, y)]}")
                    break
                cells[(x, y)] = where
            else:
                continue
            break
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"{where}: not queried through ${{datasource}}")
        if not p.get("targets"):
            problems.append(f"{where}: no query")
        for t in p.get("targets", []):
            for name, labels in SELECTOR.findall(t["expr"]):
                if 'instance=~"$instance"' not in labels:
                    problems.append(f"{where}: {name} not restricted to $instance in {t['expr']!r}")
    titles = [p["title"] for p in d["panels"] if p["type"] == "row"]
    for row in ROWS:
        if not any(row in t for t in titles):
            problems.append(f"no row for {row} (rows: {titles})")

    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    print(f"{len(d['panels'])} panels, {len(titles)} rows, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
