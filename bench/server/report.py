#!/usr/bin/env python3
"""Tables of bench/server/run.sh's results.jsonl: medians over repetitions, ratios, goals.

usage: report.py results.jsonl
"""
import json
import statistics
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def pick(rows, server, tag):
    return [r for r in rows if r.get("server") == server and r.get("tag") == tag]


def med(rows, fn):
    vals = []
    for r in rows:
        try:
            v = fn(r)
        except (KeyError, TypeError, ZeroDivisionError):
            continue
        if v is not None:
            vals.append(v)
    return statistics.median(vals) if vals else None


def spread(rows, fn):
    vals = []
    for r in rows:
        try:
            vals.append(fn(r))
        except (KeyError, TypeError, ZeroDivisionError):
            pass
    if len(vals) < 2:
        return ""
    return f" ({fmt(min(vals))}-{fmt(max(vals))})"


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        s = f"{v:,.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    elif abs(v) >= 1:
        s = f"{v:.2f}"
    else:
        s = f"{v:.3f}"
    return s + unit


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:,.0f}x" if a / b >= 10 else f"{a / b:.1f}x"


def errors(rows):
    bad = [r for r in rows if r.get("errors") or r.get("wrong") or r.get("error")]
    return bad


def main():
    rows = load(sys.argv[1])
    ok = lambda rs: [r for r in rs if not r.get("error") and not r.get("errors")
                     and not r.get("wrong")]
    out = []
    out.append("| measure | moto_server | stepfn | stepfn / moto | goal |")
    out.append("|---|---:|---:|---:|---|")

    rps = lambda r: r["requests_per_s"]
    for c in (1, 8):
        m = ok(pick(rows, "moto", f"start-c{c}"))
        s = ok(pick(rows, "stepfn", f"start-c{c}"))
        n = ok(pick(rows, "stepfn-nofsync", f"start-c{c}"))
        mv, sv, nv = med(m, rps), med(s, rps), med(n, rps)
        out.append(f"| StartExecution/s, {c} connection{'s' if c > 1 else ''} (five-Pass "
                   f"STANDARD; stepfn fsync on) | {fmt(mv)}{spread(m, rps)} | "
                   f"{fmt(sv)}{spread(s, rps)} | {ratio(sv, mv)} | |")
        out.append(f"| ... stepfn --no-fsync | | {fmt(nv)}{spread(n, rps)} | {ratio(nv, mv)} | |")
        p50 = lambda r: r["latency"]["p50_ms"]
        out.append(f"| ... latency p50 / p99 (ms) | {fmt(med(m, p50))} / "
                   f"{fmt(med(m, lambda r: r['latency']['p99_ms']))} | {fmt(med(s, p50))} / "
                   f"{fmt(med(s, lambda r: r['latency']['p99_ms']))} | | |")

    s = ok(pick(rows, "stepfn", "sync"))
    m = pick(rows, "moto", "sync")
    moto_sync = "-"
    if m:
        moto_sync = "not supported" if m[0].get("errors") else fmt(med(m, lambda r: r["latency"]["p99_ms"]))
    p50 = med(s, lambda r: r["latency"]["p50_ms"])
    p99 = med(s, lambda r: r["latency"]["p99_ms"])
    out.append(f"| StartSyncExecution p50 (ms), five-Pass EXPRESS, 1 connection | {moto_sync} | "
               f"{fmt(p50)}{spread(s, lambda r: r['latency']['p50_ms'])} | | |")
    out.append(f"| StartSyncExecution p99 (ms) | {moto_sync} | "
               f"{fmt(p99)}{spread(s, lambda r: r['latency']['p99_ms'])} | | p99 < 1 ms: "
               f"{'-' if p99 is None else 'met' if p99 < 1 else 'not met'} |")
    rt = ok(pick(rows, "stepfn", "sync-rt"))
    if rt:
        out.append(f"| ... diagnostic: server and client at SCHED_FIFO priority, p50 / p99 (ms) | | "
                   f"{fmt(med(rt, lambda r: r['latency']['p50_ms']))} / "
                   f"{fmt(med(rt, lambda r: r['latency']['p99_ms']))}"
                   f"{spread(rt, lambda r: r['latency']['p99_ms'])} | | |")

    rate = lambda r: r["states_entered_per_s"]
    t = ok(pick(rows, "stepfn", "burst-task"))
    ta = ok(pick(rows, "stepfn", "burst-task-allcores"))
    p = ok(pick(rows, "stepfn", "burst-pass"))
    mp = ok(pick(rows, "moto", "burst-pass"))
    n_exec = med(t, lambda r: r["executions"])
    goal = med(ta, rate) or med(t, rate)
    out.append(f"| durable states entered/s, {fmt(n_exec)} executions at once, mocked-Task loop "
               f"(a commit per Task), server pinned | n/a (no mocks) | {fmt(med(t, rate))}"
               f"{spread(t, rate)} | | |")
    out.append(f"| ... server on every core | | {fmt(med(ta, rate))}{spread(ta, rate)} | | "
               f">= 100,000/s: {'-' if goal is None else 'met' if goal >= 100000 else 'not met'} |")
    trt = ok(pick(rows, "stepfn", "burst-task-rt"))
    if trt:
        out.append(f"| ... diagnostic: server on every core at SCHED_FIFO priority | | "
                   f"{fmt(med(trt, rate))}{spread(trt, rate)} | | |")
    mexec = med(mp, lambda r: r["executions"])
    out.append(f"| states entered/s, Pass/Choice loop (a commit per execution), "
               f"stepfn {fmt(med(p, lambda r: r['executions']))} / moto {fmt(mexec)} "
               f"executions at once | {fmt(med(mp, rate))}{spread(mp, rate)} | "
               f"{fmt(med(p, rate))}{spread(p, rate)} | {ratio(med(p, rate), med(mp, rate))} | |")

    pk = [r for r in pick(rows, "stepfn", "park") if "rss_after_kb" in r]
    mk = [r for r in pick(rows, "moto", "park") if "rss_after_kb" in r]
    per = lambda r: (r["rss_after_kb"] - r["rss_before_kb"]) * 1024 / r["executions"]
    rss = med(pk, lambda r: r["rss_after_kb"] / 1024)
    pexec = med(pk, lambda r: r["executions"])
    out.append(f"| server RSS (MiB) with {fmt(pexec)} executions parked in a one-hour Wait "
               f"(moto: {fmt(med(mk, lambda r: r['executions']))}) | "
               f"{fmt(med(mk, lambda r: r['rss_after_kb'] / 1024))} | {fmt(rss)}{spread(pk, lambda r: r['rss_after_kb'] / 1024)} | | "
               f"<= 1 GiB: {'-' if rss is None else 'met' if rss <= 1024 else 'not met'} |")
    out.append(f"| ... RSS growth per parked execution (bytes) | {fmt(med(mk, per))} | "
               f"{fmt(med(pk, per))} | {ratio(med(mk, per), med(pk, per))} less | |")
    out.append(f"| ... StartExecution/s while parking ({fmt(med(pk, lambda r: r['connections']))} "
               f"/ {fmt(med(mk, lambda r: r['connections']))} connections) | "
               f"{fmt(med(mk, lambda r: r['starts_per_s']))} | {fmt(med(pk, lambda r: r['starts_per_s']))} | | |")

    out.append("")
    out.append("Per CPU-second of the server (work done / the server's utime + stime during the "
               "measure; steadier than wall-clock rates on a shared machine):")
    out.append("")
    out.append("| measure | moto_server | stepfn | stepfn / moto |")
    out.append("|---|---:|---:|---:|")
    per_cpu = lambda r: r["ok"] / r["server_cpu_s"]
    for c in (1, 8):
        m = ok(pick(rows, "moto", f"start-c{c}"))
        s = ok(pick(rows, "stepfn", f"start-c{c}"))
        out.append(f"| StartExecution per CPU-s, {c} connection{'s' if c > 1 else ''} | "
                   f"{fmt(med(m, per_cpu))} | {fmt(med(s, per_cpu))} | "
                   f"{ratio(med(s, per_cpu), med(m, per_cpu))} |")
    s = ok(pick(rows, "stepfn", "sync"))
    out.append(f"| StartSyncExecution per CPU-s | - | {fmt(med(s, per_cpu))} | |")
    pk = [r for r in pick(rows, "stepfn", "park") if "rss_after_kb" in r]
    mk = [r for r in pick(rows, "moto", "park") if "rss_after_kb" in r]
    park_cpu = lambda r: r["executions"] / r["server_cpu_s"]
    out.append(f"| StartExecution per CPU-s while parking (Wait) | {fmt(med(mk, park_cpu))} | "
               f"{fmt(med(pk, park_cpu))} | {ratio(med(pk, park_cpu), med(mk, park_cpu))} |")
    bcpu = lambda r: (r["states_entered_in_window_per_execution"] * r["executions"]
                      / r["server_cpu_s_window"])
    out.append(f"| states entered per CPU-s, mocked-Task loop (durable) | - | {fmt(med(t, bcpu))} | |")
    out.append(f"| ... server on every core | - | {fmt(med(ta, bcpu))} | |")
    if trt:
        out.append(f"| ... every core, SCHED_FIFO | - | {fmt(med(trt, bcpu))} | |")
    out.append(f"| states entered per CPU-s, Pass/Choice loop | {fmt(med(mp, bcpu))} | "
               f"{fmt(med(p, bcpu))} | {ratio(med(p, bcpu), med(mp, bcpu))} |")
    cpu_share = lambda r: r["server_cpu_s_window"] / r["server_span_seconds"]
    out.append("")
    out.append(f"Server CPU used inside the Task-loop window (CPU-s per wall-s; 2 = both cores): "
               f"pinned {fmt(med(t, cpu_share))}, every core {fmt(med(ta, cpu_share))}"
               f"{', every core at SCHED_FIFO ' + fmt(med(trt, cpu_share)) if trt else ''}. "
               f"History per execution: Task loop {fmt(med(t, lambda r: r['events_per_execution']))} "
               f"events / {fmt(med(t, lambda r: r['states_entered_per_execution']))} states "
               f"entered; Pass loop {fmt(med(p, lambda r: r['events_per_execution']))} / "
               f"{fmt(med(p, lambda r: r['states_entered_per_execution']))}; moto's Pass loop "
               f"{fmt(med(mp, lambda r: r['events_per_execution']))} / "
               f"{fmt(med(mp, lambda r: r['states_entered_per_execution']))}.")

    bad = [r for r in errors(rows) if not (r.get("server") == "moto" and r.get("tag") == "sync")]
    if m and m[0].get("errors"):
        out.append("")
        out.append(f"moto_server's StartSyncExecution: {m[0].get('first_error', '')[:60]!r} "
                   "(its log: NotImplementedError: The start_sync_execution action has not been "
                   "implemented).")
    if bad:
        out.append("")
        out.append("Failed or wrong measures (left out of the medians):")
        for r in bad:
            out.append(f"- rep {r.get('rep')} {r.get('server')} {r.get('tag')}: "
                       f"{(r.get('first_error') or r.get('first_wrong') or r.get('error') or '')[:200]!r}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
