#!/usr/bin/env python3
"""Crash test of `stepfn serve`: executions survive kill -9.

usage: server_crash_test.py [STEPFN]      (or STEPFN=/path/to/stepfn; default build/stepfn)

Starts `stepfn serve` (SQLite in a temporary data dir, fsync on, a mock configuration),
creates one STANDARD state machine that mixes Wait states (Seconds and SecondsPath), mocked
Task states (one whose first attempt throws, so a Retry interval timer is in flight), a
Parallel with a Task in each branch, a Map with a Task per item and a Choice, and starts
1,000 executions on "<machine ARN>#Crash" from several client threads. Meanwhile the server
is killed with SIGKILL three times, each after a random 0.2-2.5 s, and restarted on the same
data dir. Connection errors while it is down are retried (StartExecution is idempotent for
the same name and input). Then every execution must end SUCCEEDED with the output computed
here from its input and the mocks, and a history (GetExecutionHistory, paginated) with ids
1..N, sensible previousEventIds, every state entered and exited in order, waits and the retry
interval not cut short, and each Task scheduled once (the retried one twice).

Exits 0 when all holds (or when boto3 is missing: skipped), 1 with the failures listed.
Environment: CRASH_SEED (random seed), CRASH_EXECUTIONS (default 1000), CRASH_KILLS (3),
CRASH_KEEP=1 keeps the data dir and server logs.
"""
import concurrent.futures
import datetime
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    print("server_crash_test: SKIPPED: boto3 is not installed (pip install boto3)")
    sys.exit(0)

N = int(os.environ.get("CRASH_EXECUTIONS", "1000"))
KILLS = int(os.environ.get("CRASH_KILLS", "3"))
SEED = int(os.environ.get("CRASH_SEED", str(random.SystemRandom().randrange(1 << 31))))
START_THREADS = 8
CHECK_THREADS = 8
SETTLE_SECONDS = 120  # bound on waiting for the executions to end after the last start
HISTORY_PAGE = 40  # small enough that most histories take two pages
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/crash-test"
MACHINE = "crash-test"
TEST_CASE = "Crash"

CONNECTION_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
)

# ---------------------------------------------------------------------------------------------
# The state machine, its mocks, and what an execution must give.


def lambda_task(name, **fields):
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": name, "Payload.$": "$"}}
    task.update(fields)
    return task


DEFINITION = {
    "Comment": "stepfn crash test",
    "StartAt": "Prepare",
    "States": {
        "Prepare": lambda_task("Prepare", ResultSelector={"prep.$": "$.Payload.prep"},
                               ResultPath="$.prepared", Next="FirstWait"),
        "FirstWait": {"Type": "Wait", "Seconds": 2, "Next": "Flaky"},
        "Flaky": lambda_task("Flaky", ResultSelector={"flaky.$": "$.Payload.flaky"},
                             ResultPath="$.flaky", Next="Fork",
                             Retry=[{"ErrorEquals": ["Crash.Flaky"], "IntervalSeconds": 1,
                                     "MaxAttempts": 2, "BackoffRate": 1.0}]),
        "Fork": {"Type": "Parallel", "ResultPath": "$.branches", "Next": "Fan", "Branches": [
            {"StartAt": "BranchA", "States": {
                "BranchA": lambda_task("BranchA", ResultSelector={"a.$": "$.Payload"},
                                       End=True)}},
            {"StartAt": "BranchWait", "States": {
                "BranchWait": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "BranchB"},
                "BranchB": lambda_task("BranchB", OutputPath="$.Payload", End=True)}},
        ]},
        "Fan": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
                "ResultPath": "$.mapped", "Next": "Route",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Item",
                                  "States": {"Item": lambda_task(
                                      "Item", ResultSelector={"r.$": "$.Payload"},
                                      ResultPath="$.res", End=True)}}},
        "Route": {"Type": "Choice", "Default": "WaitB", "Choices": [
            {"Variable": "$.kind", "StringEquals": "a", "Next": "WaitA"}]},
        "WaitA": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Finish"},
        "WaitB": {"Type": "Wait", "Seconds": 3, "Next": "Finish"},
        "Finish": lambda_task("Finish", ResultSelector={"fin.$": "$.Payload.fin"},
                              ResultPath="$.finish", Next="Summarize"),
        "Summarize": {"Type": "Pass", "End": True, "Parameters": {
            "id.$": "$.id", "tag.$": "$.tag", "kind.$": "$.kind", "prepared.$": "$.prepared",
            "flaky.$": "$.flaky", "branches.$": "$.branches", "mapped.$": "$.mapped",
            "finish.$": "$.finish"}},
    },
}

PAYLOADS = {
    "Prepare": {"prep": "prepared-ok"},
    "Flaky": {"flaky": "second-attempt-ok"},
    "BranchA": {"branch": "A", "n": 1},
    "BranchB": {"branch": "B", "n": 2},
    "Item": {"item": "done"},
    "Finish": {"fin": "finished"},
}


def ok_response(payload):
    return {"0": {"Return": {"StatusCode": 200, "Payload": payload}}}


MOCKS = {
    "StateMachines": {MACHINE: {"TestCases": {TEST_CASE: {
        "Prepare": "Prepare", "Flaky": "Flaky", "BranchA": "BranchA", "BranchB": "BranchB",
        "Item": "Item", "Finish": "Finish"}}}},
    "MockedResponses": {
        "Prepare": ok_response(PAYLOADS["Prepare"]),
        # Attempt 0 throws (the Retry arms a 1 s interval timer), attempt 1 returns.
        "Flaky": {"0": {"Throw": {"Error": "Crash.Flaky", "Cause": "the first attempt fails"}},
                  "1": {"Return": {"StatusCode": 200, "Payload": PAYLOADS["Flaky"]}}},
        "BranchA": ok_response(PAYLOADS["BranchA"]),
        "BranchB": ok_response(PAYLOADS["BranchB"]),
        "Item": ok_response(PAYLOADS["Item"]),
        "Finish": ok_response(PAYLOADS["Finish"]),
    },
}

def make_input(i, rng):
    return {
        "id": i,
        "tag": "t%08x" % rng.randrange(1 << 32),
        "kind": "a" if i % 2 == 0 else "b",
        "delay": 1 + i % 3,  # seconds: BranchWait and WaitA (SecondsPath)
        "items": [{"i": k, "of": i} for k in range(1 + i % 4)],
    }


def expected_output(inp):
    return {
        "id": inp["id"], "tag": inp["tag"], "kind": inp["kind"],
        "prepared": {"prep": PAYLOADS["Prepare"]["prep"]},
        "flaky": {"flaky": PAYLOADS["Flaky"]["flaky"]},
        "branches": [{"a": PAYLOADS["BranchA"]}, PAYLOADS["BranchB"]],
        "mapped": [dict(item, res={"r": PAYLOADS["Item"]}) for item in inp["items"]],
        "finish": {"fin": PAYLOADS["Finish"]["fin"]},
    }


def expected_states(inp):
    """State name -> how many times it is entered (and exited)."""
    counts = {"Prepare": 1, "FirstWait": 1, "Flaky": 1, "Fork": 1, "BranchA": 1,
              "BranchWait": 1, "BranchB": 1, "Fan": 1, "Item": len(inp["items"]), "Route": 1,
              "Finish": 1, "Summarize": 1}
    counts["WaitA" if inp["kind"] == "a" else "WaitB"] = 1
    return counts


def main_flow(inp):
    wait = "WaitA" if inp["kind"] == "a" else "WaitB"
    return ["Prepare", "FirstWait", "Flaky", "Fork", "Fan", "Route", wait, "Finish", "Summarize"]


def expected_waits(inp):
    """Wait state -> the seconds it must last at least."""
    if inp["kind"] == "a":
        return {"FirstWait": 2, "BranchWait": inp["delay"], "WaitA": inp["delay"]}
    return {"FirstWait": 2, "BranchWait": inp["delay"], "WaitB": 3}


# ---------------------------------------------------------------------------------------------
# The server process.


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, workdir, mock_path):
        self.binary = binary
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.mock_path = mock_path
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.starts = 0
        self.logs = []
        self.probe = boto3.client(
            "stepfunctions", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id="test", aws_secret_access_key="test",
            config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1,
                                          read_timeout=5))

    def start(self):
        self.starts += 1
        log_path = os.path.join(self.workdir, "server-%d.log" % self.starts)
        self.logs.append(log_path)
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--port", str(self.port), "--data-dir", self.data_dir,
                 "--mock-config", self.mock_path, "--log-level", "info"],
                stdout=log, stderr=subprocess.STDOUT)
        began = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                raise Failure("stepfn serve exited with status %s at start %d:\n%s" %
                              (self.proc.returncode, self.starts, read_file(log_path)))
            try:
                self.probe.list_state_machines()
                return time.monotonic() - began
            except CONNECTION_ERRORS:
                pass
            except botocore.exceptions.ClientError as e:
                raise Failure("ListStateMachines failed after start %d: %s" % (self.starts, e))
            if time.monotonic() - began > 60:
                raise Failure("stepfn serve did not answer within 60 s of start %d:\n%s" %
                              (self.starts, read_file(log_path)))
            time.sleep(0.02)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


def read_file(path, limit=4000):
    try:
        with open(path, "r", errors="replace") as f:
            text = f.read()
        return text[-limit:]
    except OSError:
        return ""


def describe_status(code):
    if code is not None and code < 0:
        try:
            return "killed by " + signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit status %s" % code


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# The run.


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connection_errors = 0  # attempts botocore saw fail to connect or lose the connection
        self.server_errors = []  # 5xx answers (not expected even around a crash)
        self.start_retries = 0  # StartExecution calls our loop retried after botocore gave up
        self.already_exists = 0  # starts answered ExecutionAlreadyExists (checked: same input)
        self.started_at_kill = []

    def on_needs_retry(self, response=None, caught_exception=None, operation=None, **_):
        with self.lock:
            if caught_exception is not None:
                self.connection_errors += 1
            elif response is not None and response[0].status_code >= 500:
                self.server_errors.append("%s: HTTP %d %s" % (
                    operation.name if operation else "?", response[0].status_code,
                    response[0].text[:300]))


def client(endpoint, stats, pool):
    c = boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"},
                                      max_pool_connections=pool, connect_timeout=2,
                                      read_timeout=30))
    c.meta.events.register("needs-retry.*", stats.on_needs_retry)
    return c


def call(fn, stats, deadline, **kwargs):
    """fn(**kwargs), retrying connection errors (the server may be down) until `deadline`."""
    while True:
        try:
            return fn(**kwargs)
        except CONNECTION_ERRORS:
            if time.monotonic() > deadline:
                raise
            with stats.lock:
                stats.start_retries += 1
            time.sleep(0.1)


def run(binary):
    failures = []
    rng = random.Random(SEED)
    inputs = [make_input(i, rng) for i in range(N)]
    kill_delays = [rng.uniform(0.2, 2.5) for _ in range(KILLS)]
    workdir = tempfile.mkdtemp(prefix="stepfn-crash-test-")
    mock_path = os.path.join(workdir, "mocks.json")
    with open(mock_path, "w") as f:
        json.dump(MOCKS, f)
    server = Server(binary, workdir, mock_path)
    stats = Stats()
    timings = {}
    t0 = time.monotonic()
    keep = os.environ.get("CRASH_KEEP") == "1"
    kill_log = []
    kill_times = []  # wall-clock time of each SIGKILL
    in_flight = [{"running": 0, "wait": 0, "retry": 0, "task": 0} for _ in range(KILLS)]
    history_events = [0]
    try:
        server.start()
        sfn = client(server.endpoint, stats, START_THREADS + CHECK_THREADS + 2)
        machine_arn = sfn.create_state_machine(
            name=MACHINE, definition=json.dumps(DEFINITION), roleArn=ROLE_ARN,
            type="STANDARD")["stateMachineArn"]

        # Start the executions from several threads while another kills the server.
        arns = [None] * N
        started = [0]
        first_started = threading.Event()
        start_deadline = time.monotonic() + 120

        def start_one(i):
            name = "crash-%04d" % i
            text = json.dumps(inputs[i], sort_keys=True)
            try:
                r = call(sfn.start_execution, stats, start_deadline,
                         stateMachineArn=machine_arn + "#" + TEST_CASE, name=name, input=text)
                arns[i] = r["executionArn"]
            except botocore.exceptions.ClientError as e:
                code = e.response.get("Error", {}).get("Code")
                if code != "ExecutionAlreadyExists":
                    return "StartExecution %s: %s" % (name, e)
                # Only after a crash: the start was committed, the answer lost, and the
                # execution ended before the retry. It must be the same execution.
                arn = machine_arn.replace(":stateMachine:", ":execution:") + ":" + name
                d = call(sfn.describe_execution, stats, start_deadline, executionArn=arn)
                if d.get("input") != text:
                    return "StartExecution %s: ExecutionAlreadyExists with another input: %r" % (
                        name, d.get("input"))
                with stats.lock:
                    stats.already_exists += 1
                arns[i] = arn
            with stats.lock:
                started[0] += 1
            first_started.set()
            return None

        def killer():
            first_started.wait(60)
            for k, delay in enumerate(kill_delays):
                time.sleep(delay)
                with stats.lock:
                    at = started[0]
                t = time.monotonic() - t0
                kill_times.append(time.time())
                server.kill()
                restart = server.start()
                kill_log.append("kill %d at %.2f s (after %.2f s; %d started), back in %.2f s" %
                                (k + 1, t, delay, at, restart))

        kill_thread = threading.Thread(target=killer, daemon=True)
        kill_thread.start()
        ts = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(START_THREADS) as pool:
            for problem in pool.map(start_one, range(N)):
                if problem:
                    failures.append(problem)
        timings["start"] = time.monotonic() - ts
        kill_thread.join(120)
        if kill_thread.is_alive():
            raise Failure("the kill/restart thread did not finish")
        if server.starts != KILLS + 1:
            raise Failure("the server was restarted %d times, not %d" % (server.starts - 1, KILLS))
        if failures:
            raise Failure("%d starts failed" % len(failures))

        # Wait for every execution to end.
        tw = time.monotonic()
        settle_deadline = tw + SETTLE_SECONDS
        running = None
        while True:
            running = []
            for page in sfn.get_paginator("list_executions").paginate(
                    stateMachineArn=machine_arn, statusFilter="RUNNING"):
                running.extend(e["name"] for e in page["executions"])
            if not running or time.monotonic() > settle_deadline:
                break
            time.sleep(0.5)
        timings["settle"] = time.monotonic() - tw
        if running:
            failures.append("%d executions still RUNNING %d s after the last start (e.g. %s)" % (
                len(running), SETTLE_SECONDS, ", ".join(sorted(running)[:10])))

        listed = {}
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine_arn):
            for e in page["executions"]:
                if e["name"] in listed:
                    failures.append("ListExecutions lists %s twice" % e["name"])
                listed[e["name"]] = e["status"]
        names = {"crash-%04d" % i for i in range(N)}
        if set(listed) != names:
            missing = sorted(names - set(listed))
            extra = sorted(set(listed) - names)
            failures.append("ListExecutions: %d missing (%s), %d unexpected (%s)" % (
                len(missing), ", ".join(missing[:10]), len(extra), ", ".join(extra[:10])))

        # Check each execution: status, output, history.
        tc = time.monotonic()

        def check(i):
            problems = []
            arn = arns[i]
            d = sfn.describe_execution(executionArn=arn)
            if d["status"] != "SUCCEEDED":
                return ["%s: %s (error %r, cause %r)" % (d["name"], d["status"], d.get("error"),
                                                         d.get("cause"))]
            want = expected_output(inputs[i])
            got = json.loads(d.get("output", "null"))
            if got != want:
                problems.append("%s: output %s, expected %s" % (d["name"], json.dumps(got),
                                                                json.dumps(want)))
            events = []
            for page in sfn.get_paginator("get_execution_history").paginate(
                    executionArn=arn, PaginationConfig={"PageSize": HISTORY_PAGE}):
                events.extend(page["events"])
            with stats.lock:
                history_events[0] += len(events)
            problems.extend("%s: %s" % (d["name"], p)
                            for p in check_history(inputs[i], events, want))
            with stats.lock:
                count_in_flight(events, kill_times, in_flight)
            return problems

        with concurrent.futures.ThreadPoolExecutor(CHECK_THREADS) as pool:
            for problems in pool.map(check, [i for i in range(N) if arns[i]]):
                failures.extend(problems)
        timings["check"] = time.monotonic() - tc

        status = server.stop()
        if status != 0:
            failures.append("stepfn serve did not stop cleanly on SIGTERM (status %s)" % status)
    except Failure as e:
        failures.append(str(e))
    except Exception as e:  # a client error nobody expected, or the server gone
        failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        if server.proc is not None and server.proc.poll() is not None and \
                server.proc.returncode not in (0, -signal.SIGKILL):
            failures.append("stepfn serve died on its own (status %s; %s); its log ends:\n%s" % (
                server.proc.returncode, describe_status(server.proc.returncode),
                read_file(server.logs[-1], limit=2000)))
        if server.proc is not None and server.proc.poll() is None:
            server.kill()
    total = time.monotonic() - t0

    recovered = []
    for n, path in enumerate(server.logs):
        for line in read_file(path, limit=1 << 22).splitlines():
            if '"recovery done"' in line and n > 0:
                try:
                    rec = json.loads(line)
                except ValueError:
                    rec = {}
                recovered.append("%s recovered, %s failed" % (rec.get("recovered"),
                                                             rec.get("failed")))
                if rec.get("failed") != "0":
                    failures.append("server log %d: %s" % (n + 1, line.strip()))
            elif '"level":"error"' in line or '"level":"warn"' in line:
                stats.server_errors.append("server log %d: %s" % (n + 1, line[:300]))
            elif "Sanitizer" in line or "runtime error:" in line:
                failures.append("server log %d: %s" % (n + 1, line.strip()[:300]))

    print("server_crash_test: seed %d, %d executions, %d kills (SIGKILL), %.1f s" %
          (SEED, N, server.starts - 1, total))
    for line in kill_log:
        print("  " + line)
    if recovered:
        print("  recovery after each restart: " + "; ".join(recovered))
    for k in range(len(kill_times)):
        f = in_flight[k]
        print("  at kill %d, by their histories: %d executions running, %d in a Wait, %d waiting "
              "for a Retry interval, %d with a Task scheduled and not yet answered" % (
                  k + 1, f["running"], f["wait"], f["retry"], f["task"]))
        if f["running"] == 0:
            print("  note: kill %d came after every execution had ended" % (k + 1))
    print("  phases: " + ", ".join("%s %.1f s" % kv for kv in timings.items()))
    print("  history events checked: %d" % (history_events[0]))
    print("  connection errors retried: %d by botocore, %d by this script; "
          "starts answered ExecutionAlreadyExists (same input): %d" %
          (stats.connection_errors, stats.start_retries, stats.already_exists))
    if stats.server_errors:
        print("  anomalies (%d):" % len(stats.server_errors))
        for a in stats.server_errors[:20]:
            print("    " + a)
    if failures:
        print("server_crash_test: FAILED (%d problems)" % len(failures))
        for f in failures[:50]:
            print("  " + f)
        if len(failures) > 50:
            print("  ... and %d more" % (len(failures) - 50))
        print("  data dir and server logs kept in " + workdir)
        return 1
    if keep:
        print("  data dir and server logs kept in " + workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print("server_crash_test: OK")
    return 0


# ---------------------------------------------------------------------------------------------
# History checks.


def seconds(ts):
    if isinstance(ts, datetime.datetime):
        return ts.timestamp()
    return float(ts)


FINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


def check_history(inp, events, want_output):
    problems = []
    if not events:
        return ["empty history"]
    by_id = {}
    for k, e in enumerate(events):
        if e["id"] != k + 1:
            problems.append("event #%d has id %d (ids must be 1..N without gaps or duplicates)" %
                            (k + 1, e["id"]))
            return problems
        by_id[e["id"]] = e
    for e in events:
        prev = e.get("previousEventId", 0)
        if e["id"] == 1:
            if prev != 0:
                problems.append("ExecutionStarted has previousEventId %d" % prev)
        elif not 1 <= prev < e["id"]:
            problems.append("event %d (%s) has previousEventId %d" % (e["id"], e["type"], prev))
    if events[0]["type"] != "ExecutionStarted":
        problems.append("history starts with %s" % events[0]["type"])
    if events[-1]["type"] != "ExecutionSucceeded":
        problems.append("history ends with %s" % events[-1]["type"])
    for e in events[1:-1]:
        if e["type"] in FINAL or e["type"] == "ExecutionStarted":
            problems.append("%s in the middle of the history (event %d)" % (e["type"], e["id"]))
    started = events[0].get("executionStartedEventDetails", {})
    if json.loads(started.get("input", "null")) != inp:
        problems.append("ExecutionStarted input %r" % started.get("input"))
    ended = events[-1].get("executionSucceededEventDetails", {})
    if json.loads(ended.get("output", "null")) != want_output:
        problems.append("ExecutionSucceeded output %r" % ended.get("output"))
    times = [seconds(e["timestamp"]) for e in events]
    for k in range(1, len(times)):
        if times[k] < times[k - 1] - 0.0005:
            problems.append("event %d is timestamped before event %d" % (k + 1, k))
            break
    if problems:
        return problems

    # States: entered and exited in order, as often as the definition says.
    entered, exited, open_count = {}, {}, {}
    entered_at = {}
    durations = {}
    flow = []
    for e in events:
        t = e["type"]
        if t.endswith("StateEntered"):
            name = e["stateEnteredEventDetails"]["name"]
            entered[name] = entered.get(name, 0) + 1
            open_count[name] = open_count.get(name, 0) + 1
            entered_at.setdefault(name, []).append(seconds(e["timestamp"]))
            flow.append(name)
        elif t.endswith("StateExited"):
            name = e["stateExitedEventDetails"]["name"]
            exited[name] = exited.get(name, 0) + 1
            if open_count.get(name, 0) <= 0:
                problems.append("%s exited (event %d) without being entered" % (name, e["id"]))
            else:
                open_count[name] -= 1
            if entered_at.get(name):
                durations.setdefault(name, []).append(
                    seconds(e["timestamp"]) - entered_at[name].pop(0))
    want_states = expected_states(inp)
    for name in sorted(set(want_states) | set(entered) | set(exited)):
        w = want_states.get(name, 0)
        if entered.get(name, 0) != w or exited.get(name, 0) != w:
            problems.append("state %s entered %d and exited %d times, expected %d" % (
                name, entered.get(name, 0), exited.get(name, 0), w))
    top = [n for n in flow if n in set(main_flow(inp))]
    if top != main_flow(inp):
        problems.append("main flow entered %s, expected %s" % (top, main_flow(inp)))
    # The main flow's states one after another: each exited before the next is entered.
    depth = 0
    for e in events:
        t = e["type"]
        details = e.get("stateEnteredEventDetails") or e.get("stateExitedEventDetails")
        if details is None or details["name"] not in set(main_flow(inp)):
            continue
        if t.endswith("StateEntered"):
            depth += 1
        else:
            depth -= 1
        if depth not in (0, 1):
            problems.append("main-flow state %s overlaps another (event %d)" % (
                details["name"], e["id"]))
            break
    # Timers were not cut short by the crashes.
    for name, least in expected_waits(inp).items():
        for d in durations.get(name, []):
            if d < least - 0.01:
                problems.append("Wait %s lasted %.3f s, less than %d s" % (name, d, least))

    # Tasks: scheduled once each (the retried one twice), in the order of their state.
    scheduled, succeeded, failed_tasks = {}, {}, {}
    for e in events:
        t = e["type"]
        if t == "TaskScheduled":
            params = json.loads(e["taskScheduledEventDetails"].get("parameters", "{}"))
            fn = params.get("FunctionName", "?")
            scheduled[fn] = scheduled.get(fn, 0) + 1
            owner = owning_state(by_id, e)
            if owner != fn:
                problems.append("TaskScheduled %d (FunctionName %s) chains back to state %s" % (
                    e["id"], fn, owner))
        elif t in ("TaskSucceeded", "TaskFailed", "TaskStarted", "TaskTimedOut"):
            owner = owning_state(by_id, e)
            bucket = succeeded if t == "TaskSucceeded" else failed_tasks if t == "TaskFailed" \
                else None
            if t == "TaskTimedOut":
                problems.append("TaskTimedOut (event %d, state %s)" % (e["id"], owner))
            if bucket is not None:
                bucket[owner] = bucket.get(owner, 0) + 1
    items = len(inp["items"])
    want_sched = {"Prepare": 1, "Flaky": 2, "BranchA": 1, "BranchB": 1, "Item": items,
                  "Finish": 1}
    want_ok = dict(want_sched, Flaky=1)
    if scheduled != want_sched:
        problems.append("TaskScheduled per state %s, expected %s" % (scheduled, want_sched))
    if succeeded != want_ok:
        problems.append("TaskSucceeded per state %s, expected %s" % (succeeded, want_ok))
    if failed_tasks != {"Flaky": 1}:
        problems.append("TaskFailed per state %s, expected {'Flaky': 1}" % failed_tasks)
    # The retry interval (1 s) between Flaky's failure and its second attempt.
    fails = [e for e in events if e["type"] == "TaskFailed"]
    if fails:
        again = [e for e in events if e["type"] == "TaskScheduled" and e["id"] > fails[0]["id"]
                 and json.loads(e["taskScheduledEventDetails"].get("parameters", "{}")).get(
                     "FunctionName") == "Flaky"]
        if not again:
            problems.append("Flaky was not scheduled again after its failure")
        elif seconds(again[0]["timestamp"]) - seconds(fails[0]["timestamp"]) < 1 - 0.01:
            problems.append("Flaky retried %.3f s after its failure (IntervalSeconds 1)" % (
                seconds(again[0]["timestamp"]) - seconds(fails[0]["timestamp"])))
    return problems


def count_in_flight(events, kill_times, in_flight):
    """Adds to in_flight[k] what this execution had in flight at kill k, by its timestamps:
    a Wait timer, a Retry interval timer, a Task scheduled and not yet answered."""
    after = {}  # event id -> the events whose previousEventId it is (the same frame's next)
    for e in events[1:]:
        after.setdefault(e["previousEventId"], []).append(e)

    def next_of(e, kind):
        return next((n for n in after.get(e["id"], []) if n["type"] == kind), None)

    spans = {"wait": [], "retry": [], "task": []}
    for e in events:
        t = e["type"]
        if t == "WaitStateEntered":
            end = next_of(e, "WaitStateExited")
            if end:
                spans["wait"].append((e, end))
        elif t == "TaskFailed":
            end = next_of(e, "TaskScheduled")
            if end:
                spans["retry"].append((e, end))
        elif t == "TaskScheduled":
            started = next_of(e, "TaskStarted")
            end = started and (next_of(started, "TaskSucceeded") or next_of(started, "TaskFailed"))
            if end:
                spans["task"].append((e, end))
    first, last = seconds(events[0]["timestamp"]), seconds(events[-1]["timestamp"])
    for k, kill in enumerate(kill_times):
        if not first <= kill < last:
            continue
        in_flight[k]["running"] += 1
        for kind, pairs in spans.items():
            if any(seconds(a["timestamp"]) <= kill < seconds(b["timestamp"]) for a, b in pairs):
                in_flight[k][kind] += 1


def owning_state(by_id, e):
    """The state whose *StateEntered event `e` chains back to through previousEventId."""
    seen = 0
    while e is not None and seen < 10000:
        if e["type"].endswith("StateEntered"):
            return e["stateEnteredEventDetails"]["name"]
        e = by_id.get(e.get("previousEventId", 0))
        seen += 1
    return None


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STEPFN", "build/stepfn")
    if not os.access(binary, os.X_OK):
        print("server_crash_test: FAILED: %s is not an executable (build it: make build)" % binary)
        return 1
    return run(os.path.abspath(binary))


if __name__ == "__main__":
    sys.exit(main())
