#!/usr/bin/env python3
"""Turns bench/run.sh's results.jsonl into Markdown tables: the workloads side by side with the
ratio peer time / stepfn time (the goal: at least 50x), then the Map memory and command figures.

Usage: report.py results.jsonl
"""

import json
import os
import sys

PEER = "aws-local-stepfunctions"
GOAL = 50.0


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def rate(r):
    if r["unit"] == "items":
        return f'{r["units_per_s"]:,.0f} items/s'
    return f'{r["units_per_s"]:,.0f} tr/s'


def seconds(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} us"


def main():
    rows = load(sys.argv[1])
    manifest_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads",
                                 "workloads.json")
    titles = {w["name"]: w["title"] for w in json.load(open(manifest_path))}
    by = {}
    for r in rows:
        by.setdefault((r["workload"], r["engine"]), r)

    print("| workload | executions | peer median | peer rate | stepfn median | stepfn rate "
          "| stepfn history events | stepfn peak RSS | peer / stepfn |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    all_goal = True
    compared = 0
    for name, title in titles.items():
        p = by.get((name, PEER))
        s = by.get((name, "stepfn"))
        if p is None and s is None:
            continue
        cells = [title]
        ex = (p or s).get("executions", "")
        cells.append(f"{ex:,}" if isinstance(ex, int) else str(ex))
        if p and p.get("ok"):
            cells += [seconds(p["wall_s_median"]), rate(p)]
        else:
            cells += ["failed: " + (p or {}).get("error", "not run")[:80], ""]
        if s and s.get("ok"):
            cells += [seconds(s["wall_s_median"]), rate(s),
                      f'{s["history_events_recorded"]:,} ({s["events_per_execution"]:,}/exec)',
                      f'{s["peak_rss_mb"]:.0f} MB']
        else:
            why = (s or {}).get("error", "pending")
            cells += ["pending" if s is None else "failed: " + why[:120], "", "", ""]
        if p and p.get("ok") and s and s.get("ok"):
            ratio = p["wall_s_median"] / s["wall_s_median"]
            all_goal = all_goal and ratio >= GOAL
            compared += 1
            cells.append(f"**{ratio:,.0f}x**" if ratio >= GOAL else f"{ratio:,.1f}x (goal {GOAL:.0f}x)")
        else:
            all_goal = False
            cells.append("pending")
        print("| " + " | ".join(cells) + " |")
    print()
    print(f"Goal (stepfn >= {GOAL:.0f}x faster on every workload): "
          + ("met" if all_goal and compared else "not met or not yet measured"))

    mem = [r for r in rows if r["workload"] == "map-memory"]
    if mem:
        print()
        print("| Map memory (workload (c)'s Map, one-digit results) | engine | items "
              "| peak RSS growth | bytes per item in flight |")
        print("|---|---|---:|---:|---:|")
        for r in mem:
            if not r.get("ok"):
                print(f'| failed: {r.get("error", "")[:120]} | {r["engine"]} | | | |')
                continue
            growth = r["peak_rss_after_mb"] - r["rss_before_mb"]
            label = "with history" if r["record_history"] else "without history"
            print(f'| {label} | {r["engine"]} | {r["items"]:,} | {growth:.1f} MB '
                  f'| {r["bytes_per_item"]:,.0f} |')

    cli = [r for r in rows if r["workload"].startswith("cli-")]
    if cli:
        print()
        print("| command | engine | wall time (median) | max RSS |")
        print("|---|---|---:|---:|")
        for r in cli:
            if not r.get("ok"):
                print(f'| {r["workload"]} | {r["engine"]} | failed: {r.get("error", "")[:100]} | |')
                continue
            wall = r.get("wall_s_median", r.get("wall_s_mean"))
            print(f'| `{r["workload"]}` | {r["engine"]} | {seconds(wall)} '
                  f'| {r["max_rss_mb"]:.1f} MB |')

    comp = [(n, by.get((n, PEER)), by.get((n, "stepfn"))) for n in titles]
    comp = [(n, p, s) for n, p, s in comp if (p and p.get("ok")) or (s and s.get("ok"))]
    if comp:
        print()
        print("| compile (validate + build the program), in process | peer | stepfn |")
        print("|---|---:|---:|")
        for n, p, s in comp:
            pc = f'{p["compile_ms"]:.2f} ms' if p and p.get("ok") and "compile_ms" in p else "-"
            sc = f'{s["compile_ms"]:.2f} ms' if s and s.get("ok") else "pending"
            print(f"| {titles[n]} | {pc} | {sc} |")


if __name__ == "__main__":
    main()
