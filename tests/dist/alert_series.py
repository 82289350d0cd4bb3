#!/usr/bin/python3
"""Turns a lab's recorded scrapes of anycastd's metrics endpoint into a promtool rules test.

    alert_series.py RECORDING RULES EXPECTATIONS OUT

RECORDING is the directory tests/lab/test_alerts_lab.sh fills: scrape-0000.prom, scrape-0001.prom
... (one GET /metrics each, in order) and phases.txt (one "PHASE LAST_SCRAPE" line per phase, in
order). Every scrape becomes one sample of every series at a fixed synthetic interval (15 s, a
usual scrape interval), with the labels Prometheus adds (job, instance): the lab's seconds become
minutes, so that each phase outlasts the rules' `for:`. A series absent from a scrape is missing
before it first appears and stale after it goes, as Prometheus would see it.

EXPECTATIONS (tests/dist/alert_expectations.yml) says, per phase, which alerts fire at the phase's
last scrape and with which labels; every alert of RULES not named in a phase is expected silent
there. The expected annotations are the rule's own, with `{{ $labels.NAME }}` filled in from the
expected labels (so a template naming a label the alert does not carry fails too). OUT is the
test file for `promtool test rules`.
"""

import pathlib
import re
import sys

import yaml

INTERVAL_S = 15
JOB = "anycastd"
INSTANCE = "edge:9187"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
TEMPLATE = re.compile(r'\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}')


def parse_scrape(text: str, where: str) -> dict:
    """{series selector with job and instance: value} of one scrape."""
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise SystemExit(f"{where}:{n}: not a sample line of the text format: {line!r}")
        name, labels, value = m.groups()
        pairs = LABEL.findall(labels or "")
        pairs += [("job", JOB), ("instance", INSTANCE)]
        selector = name + "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}"
        out[selector] = value
    return out


def input_series(scrapes: list) -> list:
    series = {}
    for i, scrape in enumerate(scrapes):
        for selector in scrape:
            series.setdefault(selector, i)
    out = []
    for selector, first in series.items():
        values, seen = [], False
        for i, scrape in enumerate(scrapes):
            if selector in scrape:
                values.append(scrape[selector])
                seen = True
            elif i > first and seen:
                values.append("stale")
                seen = False
            else:
                values.append("_")
        out.append({"series": selector, "values": " ".join(values)})
    return out


def annotations(rule: dict, labels: dict) -> dict:
    def fill(text: str) -> str:
        def one(m):
            if m.group(1) not in labels:
                raise SystemExit(f"alert {rule['alert']}: its annotation names $labels.{m.group(1)}, "
                                 f"which the expected alert does not carry ({labels})")
            return labels[m.group(1)]
        filled = TEMPLATE.sub(one, text)
        if "{{" in filled:
            raise SystemExit(f"alert {rule['alert']}: an annotation template other than $labels.NAME: {text!r}")
        return filled
    return {k: fill(v) for k, v in rule.get("annotations", {}).items()}


def main() -> int:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    recording, rules_path, expectations_path, out_path = map(pathlib.Path, sys.argv[1:])
    files = sorted(recording.glob("scrape-*.prom"))
    if not files:
        raise SystemExit(f"{recording}: no scrape-*.prom: run the lab (lab.alerts) first")
    scrapes = [parse_scrape(f.read_text(), str(f)) for f in files]
    phases = {}
    for line in (recording / "phases.txt").read_text().splitlines():
        name, last = line.split()
        phases[name] = int(last)

    rules = [r for g in yaml.safe_load(rules_path.read_text())["groups"] for r in g["rules"] if "alert" in r]
    expected = yaml.safe_load(expectations_path.read_text())["phases"]
    if set(expected) != set(phases):
        raise SystemExit(f"the phases recorded ({sorted(phases)}) and expected ({sorted(expected)}) differ")
    names = {r["alert"] for r in rules}
    for phase, alerts in expected.items():
        unknown = set(alerts or {}) - names
        if unknown:
            raise SystemExit(f"{expectations_path}: phase {phase} expects {sorted(unknown)}, which {rules_path} lacks")

    tests = []
    for phase, last in phases.items():
        for rule in rules:
            exp = []
            for labels in (expected[phase] or {}).get(rule["alert"], []):
                labels = {"job": JOB, "instance": INSTANCE, **labels}
                exp.append({"exp_labels": labels, "exp_annotations": annotations(rule, labels)})
            tests.append({"eval_time": f"{last * INTERVAL_S}s", "alertname": rule["alert"], "exp_alerts": exp})

    doc = {
        "rule_files": [str(rules_path.resolve())],
        "evaluation_interval": f"{INTERVAL_S}s",
        "tests": [{"name": "recorded from the lab", "interval": f"{INTERVAL_S}s",
                   "input_series": input_series(scrapes),
                   "alert_rule_test": tests}],
    }
    with open(out_path, "w") as f:
        f.write(f"# Generated by tests/dist/alert_series.py from {recording}: {len(scrapes)} scrapes, "
                f"phases {', '.join(f'{p} (to {t * INTERVAL_S} s)' for p, t in phases.items())}.\n")
        yaml.safe_dump(doc, f, sort_keys=False, width=1000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
