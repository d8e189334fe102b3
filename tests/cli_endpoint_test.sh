#!/usr/bin/env bash
# The client commands against a real server: `stepfn serve` in memory, then `start`,
# `describe`, `history`, `run --endpoint` (same output as the in-process `run`),
# `conformance --endpoint`, and errors (unreachable endpoint, unknown ARNs, refused
# definitions, unusable options, a server with --auth and wrong keys). Each case must end with
# the expected exit status and a clear message, never a crash or a hang.
#
# Usage: tests/cli_endpoint_test.sh path/to/stepfn
# Prints one line per failing case, then "N passed, M failed"; exits non-zero on failure.
set -u

STEPFN=${1:?usage: $0 path/to/stepfn}
if [[ ! -x "$STEPFN" ]]; then
  echo "not an executable: $STEPFN" >&2
  exit 2
fi
STEPFN=$(cd "$(dirname "$STEPFN")" && pwd)/$(basename "$STEPFN")
WORK=$(mktemp -d)
SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 2
unset STEPFN_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

passed=0
failed=0
CASE_TIMEOUT=${CASE_TIMEOUT:-60}

fail() {
  failed=$((failed + 1))
  echo "FAIL $1: $2"
  if [[ -n ${3:-} ]]; then printf '%s\n' "$3" | head -c 800 | sed 's/^/    /'; fi
  echo
}

# check NAME EXPECTED_EXIT PATTERN -- ARGS...
# Runs stepfn ARGS; passes when the exit status is EXPECTED_EXIT, the output (stdout and
# stderr) contains PATTERN (fixed string) and nothing looks like a crash. Leaves stdout in
# $OUT.
OUT=""
check() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local all rc
  timeout "$CASE_TIMEOUT" "$STEPFN" "$@" >out.txt 2>err.txt
  rc=$?
  OUT=$(cat out.txt)
  all="$OUT$(printf '\n')$(cat err.txt)"
  if ((rc == 124)); then
    fail "$name" "timed out after ${CASE_TIMEOUT}s" "$all"
  elif ((rc != want)); then
    fail "$name" "exit $rc, expected $want" "$all"
  elif [[ $all == *"AddressSanitizer"* || $all == *"runtime error:"* ||
          $all == *"Segmentation"* || $all == *"terminate called"* ]]; then
    fail "$name" "crash or sanitizer report" "$all"
  elif [[ $all != *"$pattern"* ]]; then
    fail "$name" "output lacks '$pattern'" "$all"
  else
    passed=$((passed + 1))
  fi
}

# same NAME A B: passes when the texts are equal.
same() {
  if [[ $2 == "$3" ]]; then
    passed=$((passed + 1))
  else
    fail "$1" "outputs differ" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))"
  fi
}

# serve LOG ARGS...: starts `stepfn serve` in memory on a free port; sets ENDPOINT.
serve() {
  local log=$1
  shift
  "$STEPFN" serve --port 0 --in-memory --log-level warn "$@" 2>"$log" &
  SERVERS+=($!)
  ENDPOINT=""
  for _ in $(seq 100); do
    ENDPOINT=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1)
    [[ -n $ENDPOINT ]] && return 0
    sleep 0.1
  done
  echo "stepfn serve did not start:" >&2
  cat "$log" >&2
  exit 2
}

# ---- Inputs ----
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, 1)"},"Next":"W"},"W":{"Type":"Wait","Seconds":2,"Next":"B"},"B":{"Type":"Pass","End":true}}}' \
  >add.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"pass":true},"End":true}}}' >pass.json
printf '{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Oops","Cause":"on purpose"}}}' \
  >fail.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}' >invalid.json
printf '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}' \
  >tasks.json
printf '{"StateMachines":{"tasks":{"TestCases":{"Happy":{"T":"R"}}}},"MockedResponses":{"R":{"0":{"Return":{"mocked":true}}}}}' \
  >mocks.json
printf '[{"accessKeyId": "AKIDTEST", "secretAccessKey": "s3cret"}]' >auth.json

serve serve.log --time-scale 0 --mock-config mocks.json
E=$ENDPOINT

# ---- start, describe, history ----
check "start a definition file" 0 "arn:aws:states:" -- start add.json --input '{"a":41}' \
  --name first --endpoint "$E"
ARN=$OUT
[[ $ARN == *":execution:add:first" ]] || fail "start prints the execution ARN" "got '$ARN'"
check "start --wait" 0 '"sum": 42' -- start add.json --input '{"a":41}' --wait --endpoint "$E"
check "start --wait --json" 0 '"status":"SUCCEEDED","output":{"sum":42}' \
  -- start add.json --input '{"a":41}' --wait --json --endpoint "$E"
check "start --wait of a failing execution" 1 "error: Oops" -- start fail.json --wait \
  --endpoint "$E"
MACHINE="${ARN%:execution:*}:stateMachine:add"
check "start a state machine ARN" 0 ":execution:add:" -- start "$MACHINE" --endpoint "$E"
STEPFN_ENDPOINT=$E check "start an ARN with the endpoint from STEPFN_ENDPOINT" 0 \
  ":execution:add:by-env" -- start "$MACHINE" --name by-env
for _ in $(seq 50); do
  "$STEPFN" describe "$ARN" --endpoint "$E" | grep -q RUNNING || break
  sleep 0.1
done
check "describe" 0 "SUCCEEDED" -- describe "$ARN" --endpoint "$E"
[[ $OUT == *'output:'*'{"sum":42}'* ]] || fail "describe shows the output" "" "$OUT"
check "describe --json" 0 '"status":"SUCCEEDED"' -- describe "$ARN" --json --endpoint "$E"
STEPFN_ENDPOINT=$E check "describe with STEPFN_ENDPOINT" 0 "name:" -- describe "$ARN"
check "history" 0 "ExecutionSucceeded" -- history "$ARN" --endpoint "$E"
[[ $(head -1 <<<"$OUT") == *ExecutionStarted* ]] || fail "history starts with ExecutionStarted" "" "$OUT"
[[ $OUT == *"WaitStateEntered  W"* ]] || fail "history names the states entered" "" "$OUT"
check "history --reverse" 0 "ExecutionStarted" -- history "$ARN" --reverse --endpoint "$E"
[[ $(head -1 <<<"$OUT") == *ExecutionSucceeded* ]] || fail "history --reverse starts at the end" "" "$OUT"
check "history --json" 0 '"events":[{' -- history "$ARN" --json --endpoint "$E"

# ---- run --endpoint: the output of the in-process run ----
printf '{"a":1}' >a1.json
for args in "add.json --input-file a1.json" "fail.json"; do
  for mode in "" "--json"; do
    # shellcheck disable=SC2086
    local_out=$("$STEPFN" run $args $mode --time-scale 0 2>&1)
    local_rc=$?
    # shellcheck disable=SC2086
    remote_out=$("$STEPFN" run $args $mode --endpoint "$E" 2>&1)
    remote_rc=$?
    same "run $args $mode --endpoint: output" "$local_out" "$remote_out"
    same "run $args $mode --endpoint: exit status" "$local_rc" "$remote_rc"
  done
done
check "run --endpoint --history --json" 0 '"type":"WaitStateEntered"' \
  -- run add.json --input '{"a":1}' --history --json --endpoint "$E"
check "run --endpoint an EXPRESS machine" 0 '"pass": true' \
  -- run pass.json --type EXPRESS --endpoint "$E"
check "run --endpoint a mocked task" 0 '"mocked": true' \
  -- run tasks.json --test-case Happy --endpoint "$E"
check "run --endpoint an updated definition" 1 "error: Oops" \
  -- run fail.json --state-machine add --endpoint "$E"
check "start --test-case" 0 '"mocked":true' \
  -- start tasks.json --test-case Happy --wait --json --endpoint "$E"

# ---- errors ----
check "unreachable endpoint (run)" 2 "cannot reach http://127.0.0.1:1 (CreateStateMachine): connect: Connection refused" \
  -- run add.json --endpoint http://127.0.0.1:1
check "unreachable endpoint (describe)" 2 "cannot reach http://127.0.0.1:1 (DescribeExecution)" \
  -- describe "$ARN" --endpoint http://127.0.0.1:1
check "unknown execution (describe)" 2 "ExecutionDoesNotExist: Execution Does Not Exist" \
  -- describe "${ARN}-nope" --endpoint "$E"
check "unknown execution (history)" 2 "GetExecutionHistory at $E: ExecutionDoesNotExist" \
  -- history "${ARN}-nope" --endpoint "$E"
check "unknown state machine (start)" 2 "StateMachineDoesNotExist" \
  -- start "${MACHINE}-nope" --endpoint "$E"
check "unknown state machine (start --wait)" 2 "StateMachineDoesNotExist" \
  -- start "${MACHINE}-nope" --wait --endpoint "$E"
check "not an ARN" 2 "InvalidArn" -- describe not-an-arn --endpoint "$E"
check "invalid definition" 2 "InvalidDefinition: Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET" \
  -- run invalid.json --endpoint "$E"
check "same name, another type" 2 "exists on $E as STANDARD, not EXPRESS" \
  -- run add.json --type EXPRESS --endpoint "$E"
check "no endpoint" 2 "no endpoint: give --endpoint http://HOST:PORT or set STEPFN_ENDPOINT" \
  -- describe "$ARN"
check "https endpoint" 2 "https is not supported" -- start add.json --endpoint https://example.com
check "endpoint with a path" 2 "paths are not supported" -- history "$ARN" --endpoint "$E/x"
check "missing definition file" 2 "nosuch.json: no such file" -- run nosuch.json --endpoint "$E"
check "malformed input" 2 "InvalidExecutionInput: invalid JSON" \
  -- run add.json --input '{"a":' --endpoint "$E"
check "--time-scale with --endpoint" 2 "the server's clock decides" \
  -- run add.json --time-scale 0 --endpoint "$E"
check "--mock-config with --endpoint" 2 "the server reads its own" \
  -- run tasks.json --mock-config mocks.json --test-case Happy --endpoint "$E"
check "unknown test case" 2 "StartExecution at $E" -- run tasks.json --test-case Nope --endpoint "$E"

# ---- a server with --auth ----
serve auth.log --auth auth.json --time-scale 0
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=s3cret AWS_REGION=eu-west-1 \
  check "auth: the right key" 0 '"status":"SUCCEEDED"' -- run pass.json --json --endpoint "$ENDPOINT"
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=wrong \
  check "auth: a wrong secret" 2 "InvalidSignatureException" -- run add.json --endpoint "$ENDPOINT"
check "auth: the default test key" 2 "UnrecognizedClientException" \
  -- run add.json --endpoint "$ENDPOINT"

# ---- conformance --endpoint ----
if [[ -n ${STEPFN_SHARED:-} && -d $STEPFN_SHARED/conformance/aws-recorded ]]; then
  check "conformance --endpoint" 0 " passed, 0 failed" \
    -- conformance --endpoint "$E" --filter test_wait --category pure
  check "conformance --endpoint, unreachable" 2 "cannot reach http://127.0.0.1:1" \
    -- conformance --endpoint http://127.0.0.1:1
fi

echo "$passed passed, $failed failed"
((failed == 0))
