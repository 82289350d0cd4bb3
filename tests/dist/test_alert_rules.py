#!/usr/bin/python3
"""`promtool test rules` on the alerts lab's recording, and proof that the test can fail.

    test_alert_rules.py RULES EXPECTATIONS RECORDING OUT_DIR

Builds OUT_DIR/alerts-test.yml from RECORDING (alert_series.py) and runs promtool on it: it must
pass. Then, for every alert, two broken copies of RULES in OUT_DIR/mutants/: the alert's
expression made to never fire, and replaced by one that fires all the time (anycastd_info); the
same recording and expectations must fail on each, or the test could not tell a broken rule.
"""

import copy
import pathlib
import subprocess
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
MUTATIONS = {
    "never fires": lambda expr: f"({expr.strip()}) unless on () vector(1)",
    "always fires": lambda expr: "anycastd_info",
}


def build_and_test(rules: pathlib.Path, expectations: pathlib.Path, recording: pathlib.Path,
                   out: pathlib.Path) -> subprocess.CompletedProcess:
    subprocess.run([sys.executable, str(HERE / "alert_series.py"), str(recording), str(rules), str(expectations),
                    str(out)], check=True)
    return subprocess.run(["promtool", "test", "rules", str(out)], capture_output=True, text=True)


def main() -> int:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    rules, expectations, recording, out_dir = map(pathlib.Path, sys.argv[1:])
    out_dir.mkdir(parents=True, exist_ok=True)

    result = build_and_test(rules, expectations, recording, out_dir / "alerts-test.yml")
    print(result.stdout + result.stderr)
    if result.returncode != 0:
        print(f"FAIL: promtool test rules on the recording ({out_dir / 'alerts-test.yml'})", file=sys.stderr)
        return 1

    doc = yaml.safe_load(rules.read_text())
    mutants = out_dir / "mutants"
    mutants.mkdir(exist_ok=True)
    survivors = []
    for gi, group in enumerate(doc["groups"]):
        for ri, rule in enumerate(group["rules"]):
            if "alert" not in rule:
                continue
            for what, mutate in MUTATIONS.items():
                broken = copy.deepcopy(doc)
                broken["groups"][gi]["rules"][ri]["expr"] = mutate(rule["expr"])
                stem = f"{rule['alert']}-{what.replace(' ', '-')}"
                path = mutants / f"{stem}.yml"
                path.write_text(yaml.safe_dump(broken, sort_keys=False))
                r = build_and_test(path, expectations, recording, mutants / f"{stem}-test.yml")
                verdict = "caught" if r.returncode != 0 else "NOT CAUGHT"
                print(f"{rule['alert']}, {what}: {verdict}")
                if r.returncode == 0:
                    survivors.append(f"{rule['alert']} ({what})")
    if survivors:
        print("FAIL: the recording's test passes with these alerts broken: " + ", ".join(survivors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
