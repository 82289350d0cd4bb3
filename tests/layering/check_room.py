#!/usr/bin/python3
"""Compiles a room's layering probes (tests/layering/CMakeLists.txt) with the build's own
commands: allowed.cpp must compile; each refused_*.cpp must be refused because the header it
includes is not found, not for any other reason."""
import json
import pathlib
import re
import shlex
import subprocess
import sys


def main() -> int:
    commands_file, probe_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    commands = {pathlib.Path(e["file"]).resolve(): e for e in json.loads(commands_file.read_text())}
    probes = sorted(probe_dir.glob("*.cpp"))
    if not any(p.name == "allowed.cpp" for p in probes):
        print(f"{probe_dir}: no allowed.cpp: configure the build first")
        return 1
    bad = 0
    for probe in probes:
        entry = commands.get(probe.resolve())
        if entry is None:
            print(f"FAIL {probe.name}: not in {commands_file}")
            bad += 1
            continue
        argv = (shlex.split(entry["command"]) if "command" in entry else entry["arguments"]) + ["-fsyntax-only"]
        run = subprocess.run(argv, cwd=entry["directory"], capture_output=True, text=True)
        header = re.search(r'#include "([^"]+)"', probe.read_text()).group(1)
        if probe.name == "allowed.cpp":
            ok = run.returncode == 0
            what = "compiles" if ok else "does not compile:\n" + run.stderr[-3000:]
        else:
            not_found = re.search(rf"{re.escape(header)}: No such file|'{re.escape(header)}' file not found", run.stderr)
            ok = run.returncode != 0 and not_found is not None
            what = (f"refused: {header} not found" if ok
                    else f"not refused as it must be (rc {run.returncode}):\n" + run.stderr[-3000:])
        print(f"{'ok  ' if ok else 'FAIL'} {probe.name}: {what}")
        bad += not ok
    print(f"{len(probes) - bad} of {len(probes)} probes as the layering says")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
