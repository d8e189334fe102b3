#!/usr/bin/env bash
# ab_burst.sh OUT.jsonl STEPFN... : the durable burst (1,000 STANDARD executions at once, fsync
# on, run.sh's burst-task-allcores measure) for each given stepfn binary in turn, REPS rounds,
# so that binaries are compared side by side on a shared machine. One JSON line per run (stdout
# and appended to OUT.jsonl): states entered/s, the server's CPU seconds in the window and CPU
# microseconds per state entered (steadier than the rate when the load is high).
#
# Environment: REPS (3), LOAD (sfn_load; default build/sfn-load/sfn_load, built by run.sh),
# CPUS (taskset list for the server, default every core), WORKLOAD (task-loop; or pass-loop
# with SUFFIX=), SUFFIX (#Bench: the mock test case), EXECUTIONS (1000), LIMIT (100).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$1"
shift
REPS="${REPS:-3}"
W="$here/workloads"
LOAD="${LOAD:-$root/build/sfn-load/sfn_load}"
CPUS="${CPUS:-0-$(($(nproc) - 1))}"
WORKLOAD="${WORKLOAD:-task-loop}"
SUFFIX="${SUFFIX-#Bench}"
EXECUTIONS="${EXECUTIONS:-1000}"
LIMIT="${LIMIT:-100}"
for rep in $(seq "$REPS"); do
  for bin in "$@"; do
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    data=$(mktemp -d)
    taskset -c "$CPUS" "$bin" serve --port "$port" --data-dir "$data" \
      --mock-config "$W/mock-config.json" --log-level warn >>"$out.server.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
      curl -s -o /dev/null -X POST "http://127.0.0.1:$port/" \
        -H 'X-Amz-Target: AWSStepFunctions.ListActivities' \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0' \
        -d '{}' && break
      sleep 0.1
    done
    "$LOAD" create --endpoint "127.0.0.1:$port" --name "$WORKLOAD" \
      --definition "$W/$WORKLOAD.asl.json" --out "$data/arn" >/dev/null
    line=$("$LOAD" burst --endpoint "127.0.0.1:$port" --arns "$data/arn" \
      ${SUFFIX:+--arn-suffix "$SUFFIX"} --executions "$EXECUTIONS" --connections 8 \
      --input "{\"i\": 0, \"limit\": $LIMIT}" --expect "\"i\":$LIMIT" --gate-seconds 8 \
      --history-sample 3 --server-pid "$pid" || true)
    kill -TERM "$pid"
    wait "$pid" || true
    rm -rf "$data"
    python3 - "$bin" "$rep" "$line" "$EXECUTIONS" <<'PY' | tee -a "$out"
import json, sys
binary, rep, line, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
load = open("/proc/loadavg").read().split()[0]
try:
    r = json.loads(line)
except ValueError:
    print(json.dumps({"bin": binary, "rep": rep, "error": line[-300:], "load": load}))
    sys.exit()
states = r["states_entered_in_window_per_execution"] * n
cpu = r.get("server_cpu_s_window", 0)
print(json.dumps({"bin": binary, "rep": rep, "states_per_s": round(r["states_entered_per_s"]),
                  "server_cpu_s": round(cpu, 3),
                  "us_cpu_per_state": round(cpu / states * 1e6, 3) if states else None,
                  "states_per_cpu_s": round(states / cpu) if cpu else None,
                  "wrong": r["wrong"], "history_consistent": r["history_consistent"],
                  "events_per_execution": r["events_per_execution"], "load": load}))
PY
  done
done
