#!/usr/bin/env bash
# Bad input through the command line: each case must end with a clear message (what, where,
# why) and exit 2 (unusable input) or 1 (an execution that failed), never a crash, a sanitizer
# report or a hang.
#
# Usage: tests/cli_bad_input_test.sh path/to/stepfn
# Prints one line per failing case, then "N passed, M failed"; exits non-zero on failure.
set -u

STEPFN=${1:?usage: $0 path/to/stepfn}
if [[ ! -x "$STEPFN" ]]; then
  echo "not an executable: $STEPFN" >&2
  exit 2
fi
STEPFN=$(cd "$(dirname "$STEPFN")" && pwd)/$(basename "$STEPFN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2

passed=0
failed=0
CASE_TIMEOUT=${CASE_TIMEOUT:-120}

# check NAME EXPECTED_EXIT PATTERN [STDIN_FILE] -- ARGS...
# Runs stepfn ARGS; passes when the exit status is EXPECTED_EXIT, the output (stdout and
# stderr) contains PATTERN (fixed string) and nothing looks like a crash.
check() {
  local name=$1 want=$2 pattern=$3 stdin=/dev/null
  shift 3
  if [[ $1 != -- ]]; then
    stdin=$1
    shift
  fi
  shift  # --
  local out rc
  out=$(timeout "$CASE_TIMEOUT" "$STEPFN" "$@" <"$stdin" 2>&1)
  rc=$?
  local why=""
  if ((rc == 124)); then
    why="timed out after ${CASE_TIMEOUT}s"
  elif ((rc != want)); then
    why="exit $rc, expected $want"
  elif [[ $out == *"AddressSanitizer"* || $out == *"runtime error:"* ||
          $out == *"Segmentation"* || $out == *"terminate called"* ]]; then
    why="crash or sanitizer report"
  elif [[ $out != *"$pattern"* ]]; then
    why="output lacks '$pattern'"
  fi
  if [[ -z $why ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: $why"
    printf '%s\n' "$out" | head -c 600 | sed 's/^/    /'
    echo
  fi
}

# repeat TEXT COUNT: TEXT repeated COUNT times, without a newline.
repeat() {
  local text=$1 count=$2 out=""
  local chunk=$text n=$count
  while ((n > 0)); do
    if ((n & 1)); then out+=$chunk; fi
    chunk+=$chunk
    n=$((n >> 1))
  done
  printf '%s' "$out"
}

# ---- Inputs ----
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}' >ok.json
printf '{"StartAt": "A", "States": {"A": {"Type": "Pass",\n  "End": true' >malformed.json
printf '{"StartAt":"A","States":{"A\xff\xfe":{"Type":"Pass","End":true}}}' >nonutf8.json
printf '{"a": "caf\xe9"}' >nonutf8-input.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":%s%s,"End":true}}}' \
  "$(repeat '[' 10000)" "$(repeat ']' 10000)" >deep.json
printf '{"a":%s1%s}' "$(repeat '{"a":' 10000)" "$(repeat '}' 10000)" >deep-input.json
truncate -s 100M big-input.json  # sparse: the size check must refuse it without reading it
printf '{"s":"%s"}' "$(repeat x 300000)" >input-300k.json
: >empty.json
printf ' \n\t ' >blank.json
mkdir adir
head -c 65536 "$STEPFN" >garbage.bin  # ELF bytes: NULs, control characters, invalid UTF-8
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a\0b","End":true}}}' >nul.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"%s","End":true}}}' \
  "$(repeat 0123456789abcdef 98304)" >def-1.5m.json  # 1.5 MiB of text
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"foo.bar","End":true}}}' \
  >notpath.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.a[?("},"End":true}}}' \
  >notpath-template.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.missing","End":true}}}' \
  >missing-path.json
printf '{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1e400,"End":true}}}' >huge-wait.json
printf '{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999999999,"End":true}}}' \
  >long-wait.json
printf '{"StartAt":"A","TimeoutSeconds":1e20,"States":{"A":{"Type":"Pass","End":true}}}' \
  >huge-timeout.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":123456789012345678901234567890,%s' \
  '"End":true}}}' >big-integer.json
printf '{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[%s,%s]}}}' \
  '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}' \
  '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}' >dup-branches.json
printf '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice",%s' \
  '"Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"E"}],"Default":"A"},"E":{"Type":"Succeed"}}}' \
  >endless.json
printf '[{"StartAt":"A"}]' >array.json
# A Map over 1,000,000 items: the input file is refused (AWS's 256 KiB input limit), so the
# items are built in the definition: 1,000 x 1,000 nested iterations (States.ArrayRange allows
# 1,000 items), stopped by the 25,000-event history limit of STANDARD executions.
printf '{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"items.$":%s},"Next":"M"},%s' \
  '"States.ArrayRange(1, 1000, 1)"' \
  '"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"items.$":"States.ArrayRange(1, 1000, 1)"},
   "ItemProcessor":{"StartAt":"M2","States":{"M2":{"Type":"Map","ItemsPath":"$.items",
   "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}},
   "End":true}}}' >million.json
printf '{"items":[%s0]}' "$(repeat '0,' 999999)" >million-input.json

# Parallel and Map nested alternately, LEVELS deep, the leaf a Pass.
nested() {
  local levels=$1 k inner def='{"StartAt":"L","States":{"L":{"Type":"Pass","Result":"leaf","End":true}}}'
  for ((k = 1; k <= levels; k++)); do
    inner=$def
    if ((k % 2)); then
      def='{"StartAt":"P'$k'","States":{"P'$k'":{"Type":"Parallel","End":true,"Branches":['$inner']}}}'
    else
      def='{"StartAt":"M'$k'","States":{"M'$k'":{"Type":"Map","End":true,"ItemsPath":"$.items",'
      def+='"ItemSelector":{"items.$":"$.items"},"ItemProcessor":'$inner'}}}'
    fi
  done
  printf '%s' "$def"
}
nested 60 >nested60.json
nested 300 >nested300.json  # deeper than the parser's 1,000 levels of JSON

# ---- Cases: definition files ----
# `validate` answers "invalid" with exit 1 (the command worked; the definition is refused) and
# exit 2 when the file cannot be read at all.
check "malformed definition" 2 "malformed.json: invalid JSON at line 2" -- run malformed.json
check "malformed definition (validate)" 1 "INVALID_JSON_DESCRIPTION" -- validate malformed.json
check "non-UTF-8 definition" 2 "nonutf8.json: invalid JSON at line 1, column 28 (byte 27): text is not valid UTF-8" \
  -- run nonutf8.json
check "definition nested 10,000 deep" 2 "deep.json: invalid JSON: nested deeper than 1000 levels" \
  -- run deep.json
check "definition nested 10,000 deep (validate)" 1 "nested deeper than 1000 levels" \
  -- validate deep.json
check "empty definition" 2 "empty.json: invalid JSON: empty document" -- run empty.json
check "blank definition" 2 "blank.json: invalid JSON: empty document" -- run blank.json
check "empty definition (validate)" 1 "Definition must be a valid JSON object" -- validate empty.json
check "directory as definition" 2 "adir: is a directory" -- run adir
check "directory as definition (validate)" 2 "adir: is a directory" -- validate adir
check "missing definition file" 2 "nosuch.json: no such file" -- run nosuch.json
check "binary garbage" 2 "garbage.bin: invalid JSON at line 1" -- run garbage.bin
check "NUL byte in a string" 2 "invalid JSON at line 1" -- run nul.json
check "definition of 1.5 MB" 2 "larger than the limit of 1048576 bytes" -- run def-1.5m.json
check "definition of 1.5 MB (validate)" 1 "Definition exceeds the maximum size of 1048576 bytes" \
  -- validate def-1.5m.json
check "definition is an array" 2 "Definition must be a valid JSON object" -- run array.json
check "path that is not JSONPath" 2 \
  "must be a valid JSONPath at /States/A/InputPath" -- run notpath.json
check "template path that is not JSONPath" 2 \
  "'x.\$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters" \
  -- run notpath-template.json
check "path that selects nothing" 1 "Invalid path '\$.missing'" -- run missing-path.json
check "Seconds of 1e400" 2 "number out of range (beyond 1.8e308)" -- run huge-wait.json
check "Seconds beyond AWS's range" 2 "/States/W/Seconds" -- run long-wait.json
check "TimeoutSeconds of 1e20" 2 "/TimeoutSeconds" -- run huge-timeout.json
check "integer beyond 64 bits" 0 "1.2345678901234568e+29" -- run big-integer.json
check "duplicate state names in two branches" 2 \
  "DUPLICATE_STATE_NAME: Duplicate State name: A at /States/P/Branches[1]/States/A" \
  -- run dup-branches.json
check "endless loop" 1 "maximum number of history events (25000)" \
  -- run endless.json --time-scale 0
check "Parallel/Map nested 60 levels" 0 "leaf" \
  -- run nested60.json --time-scale 0 --input '{"items":[1]}'
check "Parallel/Map nested 300 levels" 2 "nested deeper than 1000 levels" -- run nested300.json
check "Map over 1,000 x 1,000 items" 1 "maximum number of history events" \
  -- run million.json --time-scale 0

# ---- Cases: execution input ----
check "malformed input" 2 "InvalidExecutionInput: invalid JSON at line 1" \
  -- run ok.json --input '{"a":'
check "non-UTF-8 input" 2 "text is not valid UTF-8" -- run ok.json --input-file nonutf8-input.json
check "input nested 10,000 deep" 2 "nested deeper than 1000 levels" \
  -- run ok.json --input-file deep-input.json
check "input file of 100 MiB" 2 "104857600 bytes is larger than the limit of 262144 bytes" \
  -- run ok.json --input-file big-input.json
check "100 MB on standard input" 2 "standard input is larger than 262144 bytes" big-input.json \
  -- run ok.json --input-file -
check "input of 300 KB" 2 "bytes is larger than the limit of 262144 bytes" \
  -- run ok.json --input-file input-300k.json
check "input of 100 KB as an argument" 0 "" -- run ok.json --input "$(head -c 100000 input-300k.json)\"}"
check "input with 1,000,000 Map items" 2 "larger than the limit of 262144 bytes" \
  -- run million.json --input-file million-input.json
check "empty input file" 2 "InvalidExecutionInput: invalid JSON: empty document" \
  -- run ok.json --input-file empty.json
check "directory as input" 2 "adir: is a directory" -- run ok.json --input-file adir
check "input number 1e400" 2 "number out of range (beyond 1.8e308)" \
  -- run ok.json --input '{"n":1e400}'
check "binary garbage as input" 2 "InvalidExecutionInput: invalid JSON" \
  -- run ok.json --input-file garbage.bin

# ---- Cases: options ----
check "negative time scale" 2 "--time-scale" -- run ok.json --time-scale -1
check "unknown machine type" 2 "--type must be STANDARD or EXPRESS" -- run ok.json --type FOO
check "unknown option" 2 "" -- run ok.json --no-such-option
check "missing mock file" 2 "nosuch-mocks.json" \
  -- run ok.json --mock-config nosuch-mocks.json --test-case T
check "garbage mock file" 2 "garbage.bin" -- run ok.json --mock-config garbage.bin --test-case T

echo "$passed passed, $failed failed"
((failed == 0))
