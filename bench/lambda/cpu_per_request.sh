#!/usr/bin/env bash
# What one warm round trip costs the server and its workers: CPU time, context switches and
# system calls per request (perf stat over the server's and the workers' threads), with the p50
# latency, for the Invoke API and a lambda:invoke Task state (C++ and Python echo) and the Pass
# baseline. CPU time inflates on a loaded machine, but the counts of system calls are exact and
# the context switches stable: they show what a change removed when latencies drown in noise.
#
#   bench/lambda/cpu_per_request.sh BUILD [REQUESTS]
#
# BUILD holds stepfn, examples/functions/echo-cpp/bootstrap and sfn-load/sfn_load (as run.sh
# with NO_BUILD=1). Needs perf (software events only: task-clock, context-switches,
# raw_syscalls:sys_enter).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"
B="$1"
N="${2:-3000}"
port="$(free_port)"
log="$(mktemp)"
stats="$(mktemp)"
result="$(mktemp)"
"$B/stepfn" serve --in-memory --port "$port" --log-level warn >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -f "$log" "$stats" "$result"' EXIT
endpoint="http://127.0.0.1:$port"
wait_for_server "$endpoint"
setup_functions "$endpoint" "$B"
load="$B/sfn-load/sfn_load"
for measure in invoke-cpp task-cpp invoke-python task-python pass-only; do
  fn="${measure#*-}"
  case "$measure" in
    invoke-*) cmd=("$load" invoke --endpoint "127.0.0.1:$port" --function "echo-$fn");;
    task-*) cmd=("$load" sync --endpoint "127.0.0.1:$port" --arn "$(arn "invoke-$fn")"
                 --input '{"hello":"world"}' --expect world);;
    pass-only) cmd=("$load" sync --endpoint "127.0.0.1:$port" --arn "$(arn pass-only)"
                    --input '{"hello":"world"}' --expect world);;
  esac
  "${cmd[@]}" --requests 500 --warmup 0 >/dev/null  # starts and warms the worker
  pids="$(pgrep -d, -P "$server" || true)"
  pids="$server${pids:+,$pids}"
  perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter -p "$pids" -o "$stats" -- \
    "${cmd[@]}" --requests "$N" --warmup 0 >"$result"
  p50="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round(1000*d.get("p50_ms", d.get("latency", {}).get("p50_ms", 0))))' "$result")"
  awk -F, -v m="$measure" -v n="$N" -v p50="$p50" '
    /task-clock/ {t=$1} /context-switches/ {c=$1} /sys_enter/ {s=$1}
    END {printf "%-13s p50 %4d us  CPU/request %6.1f us  context switches/request %5.2f  syscalls/request %5.1f\n", m, p50, t*1000/n, c/n, s/n}' "$stats"
done
