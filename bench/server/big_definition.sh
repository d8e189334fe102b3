#!/usr/bin/env bash
# A large definition: what each execution of it costs the server. Creates an EXPRESS machine of
# about 77 KB (a Choice that ends at once, beside a chain of 400 Pass states it never enters),
# runs N StartSyncExecutions on one connection, and prints the p50 and the server's RSS before
# and after (the in-memory store keeps the last 10,000 EXPRESS executions).
#
#   bench/server/big_definition.sh BUILD [N]
#
# BUILD holds stepfn and sfn-load/sfn_load (bench/server's load generator).
set -euo pipefail
B="$1"
N="${2:-5000}"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$B/stepfn" serve --in-memory --port "$port" --log-level warn >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s -o /dev/null "$endpoint/" && break; sleep 0.1; done
read -r arn size < <(python3 - "$endpoint" <<'PY'
import json, sys, urllib.request
endpoint = sys.argv[1]
states = {
    "Go": {"Type": "Choice", "Default": "S0",
           "Choices": [{"Variable": "$.hello", "IsPresent": True, "Next": "Done"}]},
    "Done": {"Type": "Pass", "End": True},
}
n = 400
for i in range(n):
    state = {"Type": "Pass", "Comment": "x" * 60, "Result": {"i": i, "t": "padding" * 3},
             "ResultPath": f"$.r{i}"}
    state.update({"Next": f"S{i + 1}"} if i + 1 < n else {"End": True})
    states[f"S{i}"] = state
definition = json.dumps({"StartAt": "Go", "States": states})
request = urllib.request.Request(
    endpoint + "/",
    data=json.dumps({"name": "big", "definition": definition, "type": "EXPRESS",
                     "roleArn": "arn:aws:iam::123456789012:role/r"}).encode(),
    headers={"X-Amz-Target": "AWSStepFunctions.CreateStateMachine",
             "Content-Type": "application/x-amz-json-1.0"})
machine = json.loads(urllib.request.urlopen(request).read())
print(machine["stateMachineArn"], len(definition))
PY
)
rss_before="$(ps -o rss= -p "$server")"
result="$("$B/sfn-load/sfn_load" sync --endpoint "127.0.0.1:$port" --arn "$arn" \
  --input '{"hello":"world"}' --requests "$N" --warmup 0)"
rss_after="$(ps -o rss= -p "$server")"
p50="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["latency"]["p50_ms"])' "$result")"
echo "definition ${size} B, ${N} executions: p50 ${p50} ms, server RSS ${rss_before// /} KB -> ${rss_after// /} KB"
