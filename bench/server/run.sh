#!/usr/bin/env bash
# Server benchmarks: `stepfn serve` and moto_server side by side, in the same run, driven over
# HTTP by bench/server/sfn_load (C++, Boost.Beast, one keep-alive connection per thread), as
# the AWS SDKs reach them. Then a table of medians and ratios (report.py). BENCHMARKS.md,
# section "Server", has the figures and how to read them.
#
# Measures (each repetition starts fresh servers; medians over REPS repetitions):
#   start   StartExecution/s with 1 and 8 connections: the five-Pass STANDARD machine
#           (workloads/five-pass.asl.json). stepfn with fsync (the default) and --no-fsync;
#           moto_server with execution on, one account per execution (see sfn_load.cc).
#   sync    StartSyncExecution latency, one connection, the five-Pass EXPRESS machine
#           (stepfn only: moto_server 5.2.1 has no StartSyncExecution; one call records that).
#           As root, once more with server and client at SCHED_FIFO priority (sync-rt): a
#           diagnostic of how much of the tail is other work on the machine preempting them.
#   burst   states entered per second with BURST_EXECUTIONS executions running at once (all held
#           at a first Wait until every one has started), durable (fsync): the mocked-Task loop
#           (one commit per Task) and the Pass/Choice loop (one commit per execution). moto
#           runs the Pass/Choice loop, MOTO_BURST_EXECUTIONS of them (it is ~10^3x slower).
#           stepfn's Task loop runs a second time with the server on every core (the goal's
#           "2-core machine"; the client only polls meanwhile), and as root a third time, on
#           every core at SCHED_FIFO priority (burst-task-rt: a diagnostic, as sync-rt).
#   park    the server's RSS with PARK_EXECUTIONS executions parked in a one-hour Wait (fsync);
#           moto_server with MOTO_PARK_EXECUTIONS (one thread per execution: far fewer fit).
#
# Every measure also records the server's CPU time (utime + stime from /proc), so that the
# figures can be read per CPU-second on a machine shared with other work.
#
# Builds what it needs: $BUILD/stepfn (configures $BUILD as a Release build if it has no build
# files yet; STEPFN=/path/to/stepfn skips that) and sfn_load ($BUILD/sfn-load).
#
# Environment: BUILD (default build/), STEPFN, STEPFN_LABEL (what the report calls it), REPS
# (3), SERVER_CPUS (taskset list for the servers, default 1), CLIENT_CPUS (default 0),
# SKIP_MOTO=1, ONLY=start,sync,burst,park, RT=0 (no SCHED_FIFO diagnostics), START_SECONDS (5),
# SYNC_SECONDS (5), BURST_EXECUTIONS (1000), BURST_LIMIT (100 iterations), PARK_EXECUTIONS
# (100000), MOTO_START_REQUESTS (100), MOTO_BURST_EXECUTIONS (20), MOTO_BURST_LIMIT (10),
# MOTO_PARK_EXECUTIONS (300).
# Output: bench/out/server-<time>/results.jsonl (one JSON line per measure and repetition) and
# report.md (the tables).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
BUILD="${BUILD:-$root/build}"
[[ "$BUILD" = /* ]] || BUILD="$root/$BUILD"
REPS="${REPS:-3}"
SERVER_CPUS="${SERVER_CPUS:-1}"
CLIENT_CPUS="${CLIENT_CPUS:-0}"
ONLY="${ONLY:-start,sync,burst,park}"
START_SECONDS="${START_SECONDS:-5}"
SYNC_SECONDS="${SYNC_SECONDS:-5}"
BURST_EXECUTIONS="${BURST_EXECUTIONS:-1000}"
BURST_LIMIT="${BURST_LIMIT:-100}"
PARK_EXECUTIONS="${PARK_EXECUTIONS:-100000}"
MOTO_START_REQUESTS="${MOTO_START_REQUESTS:-100}"
MOTO_BURST_EXECUTIONS="${MOTO_BURST_EXECUTIONS:-20}"
MOTO_BURST_LIMIT="${MOTO_BURST_LIMIT:-10}"
MOTO_PARK_EXECUTIONS="${MOTO_PARK_EXECUTIONS:-300}"
workloads="$here/workloads"
rt_wanted="${RT:-1}"
RT=0
if [[ "$rt_wanted" != 0 && "$(id -u)" == 0 ]] && command -v chrt >/dev/null; then RT=1; fi

want() { [[ ",$ONLY," == *",$1,"* ]]; }

# --- build ----------------------------------------------------------------------------------
if [[ -z "${STEPFN:-}" ]]; then
  if [[ ! -f "$BUILD/build.ninja" && ! -f "$BUILD/Makefile" ]]; then
    cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  fi
  cmake --build "$BUILD" --target stepfn >&2
  STEPFN="$BUILD/stepfn"
fi
load_build="$BUILD/sfn-load"
if [[ ! -f "$load_build/build.ninja" ]]; then
  cmake -S "$here" -B "$load_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$load_build" >&2
LOAD="$load_build/sfn_load"
have_moto=0
if [[ "${SKIP_MOTO:-0}" != 1 ]]; then
  if command -v moto_server >/dev/null; then have_moto=1; else echo "run.sh: no moto_server" >&2; fi
fi

out="$root/bench/out/server-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

client=(taskset -c "$CLIENT_CPUS" "$LOAD")

# --- servers --------------------------------------------------------------------------------
server_pid=""
server_kind=""
server_data=""
endpoint=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {  # url
  for _ in $(seq 300); do
    if curl -s -o /dev/null -X POST "$1/" -H 'X-Amz-Target: AWSStepFunctions.ListActivities' \
      -H 'Content-Type: application/x-amz-json-1.0' \
      -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0' \
      -d '{}'; then
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: server at $1 did not answer" >&2
  return 1
}

stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  # The data directories hold hundreds of MB after the park measure: keep none.
  if [[ -n "$server_data" ]]; then rm -rf "$server_data"; fi
  server_data=""
}
trap stop_server EXIT

# start_stepfn NAME [serve flags...]: a fresh data directory each time.
start_stepfn() {
  local name="$1"
  shift
  stop_server
  local port data="$out/data-$name"
  port="$(free_port)"
  rm -rf "$data"
  taskset -c "$SERVER_CPUS" "$STEPFN" serve --port "$port" --data-dir "$data" \
    --mock-config "$workloads/mock-config.json" --log-level warn "$@" \
    >>"$out/stepfn.log" 2>&1 &
  server_pid=$!
  server_kind="$name"
  server_data="$data"
  endpoint="127.0.0.1:$port"
  wait_ready "http://$endpoint"
}

# A fresh moto_server with Step Functions execution switched on (checked by running a
# definition whose output is computed: PEERS.md).
start_moto() {
  stop_server
  local port
  port="$(free_port)"
  taskset -c "$SERVER_CPUS" moto_server -H 127.0.0.1 -p "$port" >>"$out/moto.log" 2>&1 &
  server_pid=$!
  server_kind=moto
  endpoint="127.0.0.1:$port"
  wait_ready "http://$endpoint"
  curl -s -o /dev/null -X POST "http://$endpoint/moto-api/config" \
    -H 'Content-Type: application/json' -d '{"stepfunctions": {"execute_state_machine": true}}'
  "$LOAD" create --moto 1 --account-base 100000000000 --endpoint "$endpoint" --name check --definition \
    "$workloads/five-pass.asl.json" --count 1 --out "$out/moto-check.arns"
  "$LOAD" burst --moto 1 --endpoint "$endpoint" --arns "$out/moto-check.arns" --executions 1 \
    --connections 1 --input '{"n": 0}' --expect '"n":5' --history-sample 1 >/dev/null || {
    echo "run.sh: moto_server did not execute the check definition" >&2
    return 1
  }
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }

# record REP SERVER TAG JSON-LINE CPU-TICKS [extra JSON object]: one line of results.jsonl.
record() {
  python3 - "$@" >>"$results" <<'PY'
import json, os, sys
rep, server, tag, line, ticks = sys.argv[1:6]
extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
try:
    r = json.loads(line)
except ValueError:
    r = {"error": line[-500:]}
r.update(extra)
r.update({"rep": int(rep), "server": server, "tag": tag,
          "server_cpu_s": int(ticks) / os.sysconf("SC_CLK_TCK"),
          "load": open("/proc/loadavg").read().split()[0]})
print(json.dumps(r))
PY
}

# run_measure REP TAG COMMAND...: runs a client command against the current server and records
# its JSON line with the server CPU time it cost.
run_measure() {
  local rep="$1" tag="$2"
  shift 2
  local c0 c1 line rc=0
  c0="$(cpu_ticks)"
  line="$("$@" 2>"$out/client.err")" || rc=$?
  c1="$(cpu_ticks)"
  if [[ -z "$line" ]]; then line="client exited $rc: $(tail -c 400 "$out/client.err")"; fi
  record "$rep" "$server_kind" "$tag" "$line" "$((c1 - c0))"
  echo "run.sh: rep $rep $server_kind $tag: $(tail -c 200 <<<"$line")" >&2
}

# --- measures -------------------------------------------------------------------------------
start_measures_stepfn() {  # rep name [serve flags]
  local rep="$1" name="$2"
  shift 2
  start_stepfn "$name" "$@"
  "$LOAD" create --endpoint "$endpoint" --name five --definition "$workloads/five-pass.asl.json" \
    --out "$out/five.arn"
  for c in 1 8; do
    run_measure "$rep" "start-c$c" "${client[@]}" start --endpoint "$endpoint" \
      --arns "$out/five.arn" --requests 100000000 --seconds "$START_SECONDS" --warmup 200 \
      --connections "$c" --input '{"n": 0}'
  done
  stop_server
}

start_measures_moto() {  # rep
  local rep="$1" n=$((MOTO_START_REQUESTS + 5))
  for c in 1 8; do
    start_moto
    "$LOAD" create --moto 1 --endpoint "$endpoint" --name five --count "$n" \
      --definition "$workloads/five-pass.asl.json" --out "$out/moto-five.arns"
    run_measure "$rep" "start-c$c" "${client[@]}" start --moto 1 --endpoint "$endpoint" \
      --arns "$out/moto-five.arns" --requests "$MOTO_START_REQUESTS" --warmup 5 \
      --connections "$c" --input '{"n": 0}'
    stop_server
  done
}

sync_measures() {  # rep
  local rep="$1"
  start_stepfn stepfn
  "$LOAD" create --endpoint "$endpoint" --name five-express --type EXPRESS \
    --definition "$workloads/five-pass.asl.json" --out "$out/five-express.arn"
  run_measure "$rep" sync "${client[@]}" sync --endpoint "$endpoint" \
    --arn "$(cat "$out/five-express.arn")" --requests 100000000 --seconds "$SYNC_SECONDS" \
    --warmup 1000 --input '{"n": 0}' --expect '"n":5'
  # Diagnostic: the same with the server's threads and the client at real-time priority
  # (SCHED_FIFO), so that the other work on a shared machine cannot preempt them. Its p99 says
  # what the tail is on a quiet machine; the row above is the honest figure.
  if ((RT)); then
    chrt -f -a -p 50 "$server_pid" >/dev/null
    run_measure "$rep" sync-rt chrt -f 50 "${client[@]}" sync --endpoint "$endpoint" \
      --arn "$(cat "$out/five-express.arn")" --requests 100000000 --seconds "$SYNC_SECONDS" \
      --warmup 1000 --input '{"n": 0}' --expect '"n":5'
  fi
  stop_server
  if ((have_moto)) && ((rep == 1)); then
    start_moto
    "$LOAD" create --moto 1 --endpoint "$endpoint" --name five-express --type EXPRESS --count 1 \
      --definition "$workloads/five-pass.asl.json" --out "$out/moto-five-express.arns"
    run_measure "$rep" sync "${client[@]}" sync --moto 1 --endpoint "$endpoint" \
      --arn "$(head -1 "$out/moto-five-express.arns")" --requests 1 --warmup 0 \
      --input '{"n": 0}' --expect '"n":5'
    stop_server
  fi
}

burst_stepfn() {  # rep tag workload suffix cpus [rt]
  local rep="$1" tag="$2" workload="$3" suffix="$4" cpus="$5" rt="${6:-}"
  local saved="$SERVER_CPUS"
  local pre=()
  SERVER_CPUS="$cpus"
  start_stepfn stepfn
  SERVER_CPUS="$saved"
  if [[ -n "$rt" ]]; then
    chrt -f -a -p 50 "$server_pid" >/dev/null
    pre=(chrt -f 50)
  fi
  "$LOAD" create --endpoint "$endpoint" --name "$workload" \
    --definition "$workloads/$workload.asl.json" --out "$out/$workload.arn"
  run_measure "$rep" "$tag" "${pre[@]}" "${client[@]}" burst --endpoint "$endpoint" \
    --arns "$out/$workload.arn" ${suffix:+--arn-suffix "$suffix"} \
    --executions "$BURST_EXECUTIONS" --connections 8 \
    --input "{\"i\": 0, \"limit\": $BURST_LIMIT}" --expect "\"i\":$BURST_LIMIT" \
    --gate-seconds 8 --history-sample 3 --server-pid "$server_pid"
  stop_server
}

burst_measures() {  # rep
  local rep="$1"
  if ((have_moto)); then
    start_moto
    "$LOAD" create --moto 1 --endpoint "$endpoint" --name pass-loop --count "$MOTO_BURST_EXECUTIONS" \
      --definition "$workloads/pass-loop.asl.json" --out "$out/moto-pass-loop.arns"
    run_measure "$rep" burst-pass "${client[@]}" burst --moto 1 --endpoint "$endpoint" \
      --arns "$out/moto-pass-loop.arns" --executions "$MOTO_BURST_EXECUTIONS" --connections 8 \
      --input "{\"i\": 0, \"limit\": $MOTO_BURST_LIMIT}" --expect "\"i\":$MOTO_BURST_LIMIT" \
      --gate-seconds 8 --history-sample 3 --timeout 1800 --server-pid "$server_pid"
    stop_server
  fi
  burst_stepfn "$rep" burst-task task-loop '#Bench' "$SERVER_CPUS"
  burst_stepfn "$rep" burst-pass pass-loop '' "$SERVER_CPUS"
  burst_stepfn "$rep" burst-task-allcores task-loop '#Bench' "0-$(($(nproc) - 1))"
  # Diagnostic: the same at SCHED_FIFO priority (other work on the machine cannot preempt the
  # server): close to what an idle machine would give.
  if ((RT)); then
    burst_stepfn "$rep" burst-task-rt task-loop '#Bench' "0-$(($(nproc) - 1))" rt
  fi
}

park_measures() {  # rep
  local rep="$1" before after
  start_stepfn stepfn
  "$LOAD" create --endpoint "$endpoint" --name wait-hour \
    --definition "$workloads/wait-hour.asl.json" --out "$out/wait-hour.arn"
  sleep 1
  before="$(rss_kb)"
  run_measure "$rep" park "${client[@]}" park --endpoint "$endpoint" --arns "$out/wait-hour.arn" \
    --executions "$PARK_EXECUTIONS" --connections 64
  sleep 3
  after="$(rss_kb)"
  python3 - "$results" "$before" "$after" "$(hwm_kb)" "$(du -sk "$server_data" | cut -f1)" <<'PY'
import json, sys
path, before, after, hwm, disk = sys.argv[1], *map(int, sys.argv[2:])
lines = open(path).read().splitlines()
r = json.loads(lines[-1])
r.update({"rss_before_kb": before, "rss_after_kb": after, "hwm_kb": hwm, "disk_kb": disk})
lines[-1] = json.dumps(r)
open(path, "w").write("\n".join(lines) + "\n")
PY
  stop_server
  if ((have_moto)); then
    start_moto
    "$LOAD" create --moto 1 --endpoint "$endpoint" --name wait-hour --count "$MOTO_PARK_EXECUTIONS" \
      --definition "$workloads/wait-hour.asl.json" --out "$out/moto-wait-hour.arns"
    sleep 1
    before="$(rss_kb)"
    run_measure "$rep" park "${client[@]}" park --moto 1 --endpoint "$endpoint" \
      --arns "$out/moto-wait-hour.arns" --executions "$MOTO_PARK_EXECUTIONS" --connections 8
    sleep 3
    after="$(rss_kb)"
    python3 - "$results" "$before" "$after" "$(hwm_kb)" <<'PY'
import json, sys
path, before, after, hwm = sys.argv[1], *map(int, sys.argv[2:])
lines = open(path).read().splitlines()
r = json.loads(lines[-1])
r.update({"rss_before_kb": before, "rss_after_kb": after, "hwm_kb": hwm})
lines[-1] = json.dumps(r)
open(path, "w").write("\n".join(lines) + "\n")
PY
    stop_server
  fi
}

for rep in $(seq "$REPS"); do
  if want start; then
    if ((have_moto)); then start_measures_moto "$rep"; fi
    start_measures_stepfn "$rep" stepfn
    start_measures_stepfn "$rep" stepfn-nofsync --no-fsync
  fi
  if want sync; then sync_measures "$rep"; fi
  if want burst; then burst_measures "$rep"; fi
  if want park; then park_measures "$rep"; fi
done

{
  echo "Machine: $(uname -m), $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); servers on CPU $SERVER_CPUS, client on CPU $CLIENT_CPUS"
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); stepfn ${STEPFN_LABEL:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -z "$(git -C "$root" status --porcelain -- src 2>/dev/null)" ]] || echo ' (src/ has uncommitted changes)')}; moto $(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo none)"
  echo "Repetitions: $REPS (median reported); load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  python3 "$here/report.py" "$results"
} | tee "$out/report.md"
echo "run.sh: raw results in $results" >&2
