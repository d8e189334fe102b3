#!/usr/bin/env bash
# Instructions the server spends per StartSyncExecution: runs `stepfn serve` under callgrind
# (on tcmalloc, as `serve` runs normally; polling off, so idle threads add nothing), sets up
# the functions and machines of run.sh, warms up with 200 calls, zeroes the counters, makes N
# calls of one machine and dumps the profile.
#
#   bench/lambda/callgrind_server.sh BUILD MACHINE [N]
#
# BUILD holds stepfn, examples/functions/echo-cpp/bootstrap and sfn-load/sfn_load (as run.sh
# with NO_BUILD=1). MACHINE is one of setup_functions.py's: pass-only, invoke-cpp,
# invoke-python, arn-cpp. Prints the instructions per call and the profile's path; read it with
# `callgrind_annotate --inclusive=yes PROFILE`. Needs valgrind.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"
B="$1"
M="$2"
N="${3:-2000}"
tcmallocs=(/usr/lib/*/libtcmalloc_minimal.so.4)
tcmalloc="${tcmallocs[0]}"
out="$(mktemp -d)"
port="$(free_port)"
# STEPFN_SERVER_PRELOADED: the allocator is preloaded here, so `serve` does not re-execute
# itself (callgrind would not follow).
STEPFN_SERVER_PRELOADED=1 LD_PRELOAD="$tcmalloc" valgrind --tool=callgrind \
  --callgrind-out-file="$out/callgrind.out" "$B/stepfn" serve --in-memory --port "$port" \
  --log-level warn --idle-spin-us 0 >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"
wait_for_server "$endpoint" 600  # valgrind starts slowly
setup_functions "$endpoint" "$B"
machine_arn="$(arn "$M")"
call() {
  "$B/sfn-load/sfn_load" sync --endpoint "127.0.0.1:$port" --arn "$machine_arn" \
    --input '{"hello":"world"}' --expect world --requests "$1" --warmup 0 >/dev/null
}
call 200
callgrind_control -z "$server" >/dev/null 2>&1
call "$N"
callgrind_control -d "$server" >/dev/null 2>&1
profiles=("$out"/callgrind.out.*)
profile="${profiles[0]}"
total="$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
echo "$M: $((total / N)) instructions per call ($N calls); profile: $profile"
