#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Turns a lab_bench.sh run (OUT/results.jsonl, OUT/machine.json) into OUT/results.json (every
run plus the summary), OUT/results.md (the tables docs/benchmarks.md quotes) and OUT/answered.png
(answered against offered load, one line per system).

Usage: report.py OUT
"""

import json
import os
import statistics
import sys

LOSS_FREE = 0.001  # "loss-free": under 0.1 % of requests unanswered


def median(values):
    return statistics.median(values) if values else None


def summarise(runs):
    systems = []
    for r in runs:
        if r["system"] not in systems:
            systems.append(r["system"])
    summary = {}
    for s in systems:
        steps = [r for r in runs if r["system"] == s and r["kind"] == "step"]
        sat = [r for r in runs if r["system"] == s and r["kind"] == "saturation"]
        clean = [r["result"]["offered_pps"] for r in steps if r["result"]["loss"] < LOSS_FREE]
        summary[s] = {
            "steps": [{"target_pps": r["target_pps"], **{k: r["result"][k] for k in (
                "offered_pps", "answered_pps", "loss", "bad", "machine_cpu_s", "server_cpu_s", "answered")}}
                for r in steps],
            "saturation_answered_pps": [r["result"]["answered_pps"] for r in sat],
            "saturation_offered_pps": [r["result"]["offered_pps"] for r in sat],
            "saturation_median_pps": median([r["result"]["answered_pps"] for r in sat]),
            "saturation_offered_median_pps": median([r["result"]["offered_pps"] for r in sat]),
            "machine_cpu_ns_per_answer": median([r["result"]["machine_cpu_s"] / r["result"]["answered"] * 1e9
                                                 for r in sat if r["result"]["answered"]]),
            "server_cpu_ns_per_answer": median([r["result"]["server_cpu_s"] / r["result"]["answered"] * 1e9
                                                for r in sat if r["result"]["answered"]]),
            "bad_answers": sum(r["result"]["bad"] for r in runs if r["system"] == s),
            "loss_free_pps": max(clean) if clean else None,
        }
    ratios = {}
    # Each system against the floor measured by the same generator ("anycastd (trafgen)" against
    # "floor (trafgen)"); the drop program answers nothing and has no ratio.
    for s in summary:
        suffix = s[s.find(" ("):] if " (" in s else ""
        floor = "floor" + suffix
        if s == floor or floor not in summary or s.startswith("drop"):
            continue
        floor_runs = {r["run"]: r["result"]["answered_pps"] for r in runs
                      if r["system"] == floor and r["kind"] == "saturation"}
        paired = [r["result"]["answered_pps"] / floor_runs[r["run"]] for r in runs
                  if r["system"] == s and r["kind"] == "saturation" and floor_runs.get(r["run"])]
        ratios[f"{s}/floor"] = {"per_run": paired, "median": median(paired)}
    if "anycastd" in summary and "socket" in summary:
        best_socket = max(summary["socket"]["saturation_answered_pps"] +
                          [st["answered_pps"] for st in summary["socket"]["steps"]], default=0)
        if best_socket and summary["anycastd"]["saturation_median_pps"]:
            ratios["anycastd/socket_best"] = {
                "socket_best_pps": best_socket,
                "median": summary["anycastd"]["saturation_median_pps"] / best_socket}
    # --- DNS: anycastd against Knot's XDP mode run by run, and against the best socket server ---
    for s in ("anycastd", "dpdk"):
        if s not in summary:
            continue
        if "knotd_xdp" in summary:
            xdp_runs = {r["run"]: r["result"]["answered_pps"] for r in runs
                        if r["system"] == "knotd_xdp" and r["kind"] == "saturation"}
            paired = [r["result"]["answered_pps"] / xdp_runs[r["run"]] for r in runs
                      if r["system"] == s and r["kind"] == "saturation" and xdp_runs.get(r["run"])]
            ratios[f"{s}/knotd_xdp"] = {"per_run": paired, "median": median(paired)}
        peers = [p for p in ("knotd", "nsd") if p in summary]
        if peers and summary[s]["saturation_median_pps"]:
            best = max(max(summary[p]["saturation_answered_pps"] + [st["answered_pps"] for st in summary[p]["steps"]],
                           default=0) for p in peers)
            if best:
                ratios[f"{s}/sockets_best"] = {"sockets_best_pps": best,
                                                "median": summary[s]["saturation_median_pps"] / best}
    # --- end DNS ---
    return summary, ratios


def fmt_rate(v):
    return "—" if v is None else f"{v / 1e3:,.0f} k"


def engines(runs):
    """The engines loadgen sent with, as its results name them (engine/xsk mode)."""
    used = []
    for r in runs:
        e = r["result"].get("engine", "live")
        mode = r["result"].get("xsk_mode")
        name = f"{e} ({mode})" if mode else e
        if name not in used:
            used.append(name)
    return ", ".join(used)


def markdown(machine, summary, ratios, runs, skipped):
    out = []
    out.append(f"Machine: {machine.get('cpu')} ({machine.get('cpus')} CPUs), kernel {machine.get('kernel')}; "
               f"run {machine.get('started')} – {machine.get('finished', '?')}; load average before "
               f"{machine.get('load_before')}, after {machine.get('load_after', '?')}.")
    out.append(f"{machine.get('service', 'echo')}, IPv{machine.get('family')}, {machine.get('frame_len')}-byte frames, {machine.get('vips')} VIPs, "
               f"loadgen engine {engines(runs)}, {machine.get('threads')} generator threads, {machine.get('queues')} veth queues per side, "
               f"{machine.get('duration_s')} s per measurement, {machine.get('repeats')} interleaved saturation runs"
               + (", isolated: the edge's NAPI threads (and the socket server) alone on the last CPU, the generator"
                  " on CPU 0; the system's own CPU is those threads' and its process's." if machine.get("isolated") else
                  "; the system's own CPU is its process's (XDP work is in softirq, counted in the machine's)."))
    for line in skipped:
        out.append(f"Not measured here: {line}")
    out.append("")
    out.append("| system | saturation: answered/s, median (runs) | offered/s | ratio to floor (median of per-run) "
               "| loss-free rate | machine CPU ns / answer | system's own CPU ns / answer | bad answers |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s, v in summary.items():
        runs = ", ".join(f"{x / 1e3:.0f}" for x in v["saturation_answered_pps"])
        ratio = ratios.get(f"{s}/floor", {}).get("median")
        out.append(f"| {s} | **{fmt_rate(v['saturation_median_pps'])}** ({runs}) | "
                   f"{fmt_rate(v['saturation_offered_median_pps'])} | "
                   f"{'1.00x' if s.startswith('floor') else ('—' if ratio is None else f'{ratio:.2f}x')} | "
                   f"{fmt_rate(v['loss_free_pps'])} | "
                   f"{v['machine_cpu_ns_per_answer'] or 0:,.0f} | {v['server_cpu_ns_per_answer'] or 0:,.0f} | "
                   f"{v['bad_answers']} |")
    if "anycastd/socket_best" in ratios:
        r = ratios["anycastd/socket_best"]
        out.append("")
        out.append(f"anycastd at saturation / the socket server's best answered rate "
                   f"({r['socket_best_pps'] / 1e3:.0f} k/s): **{r['median']:.1f}x**.")
    # --- DNS ---
    for key, r in ratios.items():
        if key.endswith("/knotd_xdp"):
            per_run = ", ".join(f"{x:.2f}" for x in r["per_run"])
            out.append("")
            out.append(f"{key.split('/')[0]} at saturation / knotd's XDP mode, run by run: **{r['median']:.2f}x** "
                       f"(median; per run {per_run}).")
        elif key.endswith("/sockets_best"):
            out.append("")
            out.append(f"{key.split('/')[0]} at saturation / the best answered rate of knotd and nsd on sockets "
                       f"({r['sockets_best_pps'] / 1e3:.0f} k/s): **{r['median']:.1f}x**.")
    # --- end DNS ---
    out.append("")
    out.append("Stepped offered load (paced), answered/s and loss:")
    out.append("")
    systems = list(summary)
    out.append("| target/s | " + " | ".join(f"{s}: offered → answered (loss)" for s in systems) + " |")
    out.append("|---:|" + "---:|" * len(systems))
    targets = sorted({st["target_pps"] for v in summary.values() for st in v["steps"]})
    for t in targets:
        cells = []
        for s in systems:
            st = next((x for x in summary[s]["steps"] if x["target_pps"] == t), None)
            cells.append("—" if st is None else
                         f"{st['offered_pps'] / 1e3:.0f} k → {st['answered_pps'] / 1e3:.0f} k ({st['loss'] * 100:.2f} %)")
        out.append(f"| {t / 1e3:.0f} k | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def plot(summary, path, service):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    top = 0
    for s, v in summary.items():
        pts = [(st["offered_pps"], st["answered_pps"]) for st in v["steps"]]
        if v["saturation_median_pps"] is not None:
            pts.append((v["saturation_offered_median_pps"], v["saturation_median_pps"]))
        pts.sort()
        xs = [p[0] / 1e3 for p in pts]
        ys = [p[1] / 1e3 for p in pts]
        top = max([top] + xs + ys)
        ax.plot(xs, ys, marker="o", label=s)
    ax.plot([0, top], [0, top], color="grey", linestyle=":", linewidth=1, label="answered = offered")
    ax.set_xlabel("offered (k requests/s)")
    ax.set_ylabel("correct answers (k/s)")
    ax.set_title(f"{'DNS' if service == 'dns' else 'UDP echo'} over veth: answered against offered load")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT (the folder lab_bench.sh wrote)")
    out = sys.argv[1]
    with open(os.path.join(out, "machine.json")) as f:
        machine = json.load(f)
    with open(os.path.join(out, "results.jsonl")) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    if not runs:
        sys.exit(f"report.py: no runs in {out}/results.jsonl")
    summary, ratios = summarise(runs)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": machine, "summary": summary, "ratios": ratios, "runs": runs}, f, indent=1)
    skipped_path = os.path.join(out, "skipped.txt")
    skipped = []
    if os.path.exists(skipped_path):
        with open(skipped_path) as f:
            skipped = [line.strip() for line in f if line.strip()]
    md = markdown(machine, summary, ratios, runs, skipped)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    plot(summary, os.path.join(out, "answered.png"), machine.get("service", "echo"))
    print(md)
    print(f"written: {out}/results.json, {out}/results.md, {out}/answered.png")


if __name__ == "__main__":
    main()
