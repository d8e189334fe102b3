#!/usr/bin/env bash
# Lambda benchmarks: warm invoke round trips through Lambda's Invoke API and from a Task state,
# invocations per second with two warm workers, and cold starts, for the C++ echo function
# (sdk/cpp, examples/functions/echo-cpp) and the Python one (examples/functions/echo-python).
# The client is bench/server/sfn_load (`invoke` for the Lambda API, `sync` for
# StartSyncExecution), one keep-alive connection per thread. BENCHMARKS.md, section "Lambda",
# has the figures.
#
# Measures, each repeated REPS times on a fresh `stepfn serve --in-memory`:
#   invoke-<fn>      Invoke (RequestResponse) latency, one connection, after a warm-up
#   rate-<fn>        Invoke requests/s from 2 connections with reserved concurrency 2 (two warm
#                    workers)
#   cold-<fn>        Invoke latency right after UpdateFunctionConfiguration (a fresh worker)
#   task-<fn>        StartSyncExecution of an EXPRESS machine whose one Task calls the function
#                    (arn:aws:states:::lambda:invoke); pass-only is the same call with a Pass state
#                    instead, so task - pass is what the Task's invocation costs
#   arn-cpp          the same with the function's ARN as the Resource
#
# Environment: BUILD (default build/), REPS (3), INVOKES (requests per measure, 5000), COLD (cold
# starts per repetition, 20), NO_BUILD=1 (use BUILD's binaries as they are: stepfn,
# examples/functions/echo-cpp/bootstrap, sfn-load/sfn_load; e.g. a copy kept as the "before" of
# a comparison).
# Output: bench/out/lambda-<time>/results.jsonl and report.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
BUILD="${BUILD:-$root/build}"
[[ "$BUILD" = /* ]] || BUILD="$root/$BUILD"
REPS="${REPS:-3}"
INVOKES="${INVOKES:-5000}"
COLD="${COLD:-20}"

load_build="$BUILD/sfn-load"
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD/build.ninja" && ! -f "$BUILD/Makefile" ]]; then
    cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  fi
  cmake --build "$BUILD" --target stepfn echo_cpp >&2
  if [[ ! -f "$load_build/build.ninja" ]]; then
    cmake -S "$root/bench/server" -B "$load_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  fi
  cmake --build "$load_build" >&2
fi
STEPFN="$BUILD/stepfn"
CPP_BOOTSTRAP="$BUILD/examples/functions/echo-cpp/bootstrap"
LOAD="$load_build/sfn_load"

out="$root/bench/out/lambda-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
results="$out/results.jsonl"
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT

record() {  # measure rep json
  python3 -c 'import json,sys; d=json.loads(sys.argv[3]); d["measure"]=sys.argv[1]; d["rep"]=int(sys.argv[2]); print(json.dumps(d))' "$1" "$2" "$3" >>"$results"
}

for rep in $(seq "$REPS"); do
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$STEPFN" serve --in-memory --port "$port" --log-level warn >>"$out/stepfn.log" 2>&1 &
  server_pid=$!
  endpoint="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -s -o /dev/null "$endpoint/" && break; sleep 0.1; done
  arns="$(python3 "$here/setup_functions.py" "$endpoint" "$CPP_BOOTSTRAP" \
    "$root/examples/functions/echo-python")"
  arn() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$arns" "$1"; }
  for fn in cpp python; do
    record "invoke-$fn" "$rep" "$("$LOAD" invoke --endpoint "127.0.0.1:$port" \
      --function "echo-$fn" --requests "$INVOKES" --warmup 200)"
    record "task-$fn" "$rep" "$("$LOAD" sync --endpoint "127.0.0.1:$port" \
      --arn "$(arn "invoke-$fn")" --requests "$INVOKES" --warmup 200 \
      --input '{"hello":"world"}' --expect world)"
    curl -s -o /dev/null -X PUT "$endpoint/2017-10-31/functions/echo-$fn/concurrency" \
      -H 'Content-Type: application/json' -d '{"ReservedConcurrentExecutions": 2}'
    record "rate-$fn" "$rep" "$("$LOAD" invoke --endpoint "127.0.0.1:$port" \
      --function "echo-$fn" --requests "$INVOKES" --warmup 200 --connections 2)"
    record "cold-$fn" "$rep" "$("$LOAD" invoke --endpoint "127.0.0.1:$port" \
      --function "echo-$fn" --requests "$COLD" --warmup 0 --cold 1)"
  done
  record "arn-cpp" "$rep" "$("$LOAD" sync --endpoint "127.0.0.1:$port" --arn "$(arn arn-cpp)" \
    --requests "$INVOKES" --warmup 200 --input '{"hello":"world"}' --expect world)"
  record "pass-only" "$rep" "$("$LOAD" sync --endpoint "127.0.0.1:$port" \
    --arn "$(arn pass-only)" --requests "$INVOKES" --warmup 200 --input '{"hello":"world"}' \
    --expect world)"
  stop_server
done

python3 - "$results" >"$out/report.md" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r["measure"], []).append(r)
def val(r, key):  # sfn_load sync nests its latencies under "latency"
    return r.get(key, r.get("latency", {}).get(key))
def med(m, key):
    vals = [val(r, key) for r in by.get(m, []) if val(r, key) is not None]
    return statistics.median(vals) if vals else float("nan")
print("| measure | p50 ms | p90 ms | p99 ms | requests/s | reps |")
print("|---|---:|---:|---:|---:|---:|")
for m in sorted(by):
    print(f"| {m} | {med(m,'p50_ms'):.3f} | {med(m,'p90_ms'):.3f} | {med(m,'p99_ms'):.3f} | "
          f"{med(m,'requests_per_s'):.0f} | {len(by[m])} |")
for fn in ("cpp", "python"):
    t, p = med(f"task-{fn}", "p50_ms"), med("pass-only", "p50_ms")
    print(f"\ntask-{fn} - pass-only (p50): {1000*(t-p):.0f} us")
PY
cat "$out/report.md"
echo "run.sh: results in $out" >&2
