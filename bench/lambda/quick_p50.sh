#!/usr/bin/env bash
# Quick p50s, for comparing two builds in alternation: starts `stepfn serve --in-memory`, sets up
# run.sh's functions and machines, and prints the p50 of each measure in µs on one line.
#
#   MEASURES="task-cpp pass-only" bench/lambda/quick_p50.sh BUILD [REQUESTS]
#
# BUILD as run.sh's with NO_BUILD=1. MEASURES (default: invoke-cpp task-cpp pass-only
# invoke-python task-python): invoke-<fn> (Lambda's Invoke API), task-<fn> (StartSyncExecution
# of one lambda:invoke Task), pass-only. SERVE_ARGS are added to `stepfn serve`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"
B="$1"
N="${2:-3000}"
port="$(free_port)"
log="$(mktemp)"
# shellcheck disable=SC2086  # SERVE_ARGS is a list of flags
"$B/stepfn" serve --in-memory --port "$port" --log-level warn ${SERVE_ARGS:-} >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
endpoint="http://127.0.0.1:$port"
wait_for_server "$endpoint"
setup_functions "$endpoint" "$B"
load="$B/sfn-load/sfn_load"
line=""
for m in ${MEASURES:-invoke-cpp task-cpp pass-only invoke-python task-python}; do
  case "$m" in
    invoke-*) cmd=("$load" invoke --endpoint "127.0.0.1:$port" --function "echo-${m#*-}") ;;
    task-*) cmd=("$load" sync --endpoint "127.0.0.1:$port" --arn "$(arn "invoke-${m#*-}")"
      --input '{"hello":"world"}' --expect world) ;;
    pass-only) cmd=("$load" sync --endpoint "127.0.0.1:$port" --arn "$(arn pass-only)"
      --input '{"hello":"world"}' --expect world) ;;
    *) echo "unknown measure $m" >&2; exit 2 ;;
  esac
  r="$("${cmd[@]}" --requests "$N" --warmup 300)"
  # sfn_load's invoke measure gives p50_ms at the top level, sync under "latency".
  p50="$(python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print(round(1000 * d.get("p50_ms", d.get("latency", {}).get("p50_ms", 0))))' "$r")"
  line="$line $m=$p50"
done
echo "${line# }"
