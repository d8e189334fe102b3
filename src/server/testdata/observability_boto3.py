"""Executions for the observability test (observability_test.cc): state machines with each
logging level and one with tracing, run through boto3. Prints one JSON object: the execution
ARNs and statuses the C++ test then looks for in /metrics, /logs and the collector's spans.

    python3 observability_boto3.py ENDPOINT
"""
import json
import time

from sfn_client import client, error_of, emit, ROLE_ARN, ACCOUNT, REGION

sfn = client()
out = {}
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def create(name, definition, kind="STANDARD", **kw):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE_ARN, type=kind, **kw)["stateMachineArn"]


def logging(level, group, data):
    return {"level": level, "includeExecutionData": data,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": LOGS + group + ":*"}}]}


def run(arn, name, input="{}", **kw):
    started = sfn.start_execution(stateMachineArn=arn, name=name, input=input, **kw)
    end = time.time() + 10
    while time.time() < end:
        d = sfn.describe_execution(executionArn=started["executionArn"])
        if d["status"] != "RUNNING":
            return {"arn": d["executionArn"], "status": d["status"],
                    "error": d.get("error", ""), "cause": d.get("cause", "")}
        time.sleep(0.02)
    return {"arn": started["executionArn"], "status": "STILL RUNNING"}


PASS_WAIT_PASS = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 0, "Next": "B"},
    "B": {"Type": "Pass", "End": True}}}
# No function "f" exists on this server: the task fails (Lambda.ResourceNotFoundException).
FAILING_TASK = {"StartAt": "T", "States": {
    "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "f"}, "End": True}}}

# Metrics: three successes, one failure.
plain = create("obs-plain", PASS_WAIT_PASS)
out["plain"] = [run(plain, f"p{i}", '{"i": %d}' % i) for i in range(3)]
failing = create("obs-failing", FAILING_TASK)
out["failing"] = run(failing, "f1")
out["missing"] = error_of(lambda: sfn.describe_execution(
    executionArn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:obs-plain:nope"))

# Execution logs, one machine per level.
logged = create("obs-all", PASS_WAIT_PASS,
                loggingConfiguration=logging("ALL", "/aws/vendedlogs/states/obs-all", True))
out["all"] = run(logged, "a1", '{"secret": 42}')
errors = create("obs-errors", FAILING_TASK,
                loggingConfiguration=logging("ERROR", "obs-errors", False))
out["errors"] = run(errors, "e1", '{"secret": 42}')
fatal = create("obs-fatal", FAILING_TASK, loggingConfiguration=logging("FATAL", "obs-fatal", True))
out["fatal"] = run(fatal, "x1")
fatal_ok = create("obs-fatal-ok", PASS_WAIT_PASS,
                  loggingConfiguration=logging("FATAL", "obs-fatal", True))
out["fatal_ok"] = run(fatal_ok, "x2")
# Logging turned off by an update: the next execution is not logged.
sfn.update_state_machine(stateMachineArn=logged,
                         loggingConfiguration={"level": "OFF", "includeExecutionData": False})
out["all_after_off"] = run(logged, "a2")
# EXPRESS, synchronously: its own stream (the ARN's uuid in its name).
express = create("obs-express", PASS_WAIT_PASS, kind="EXPRESS",
                 loggingConfiguration=logging("ALL", "obs-express", True))
sync = sfn.start_sync_execution(stateMachineArn=express, name="s1", input="{}")
out["express"] = {"arn": sync["executionArn"], "status": sync["status"]}

# Tracing: Pass, a Task retried once then caught, a Parallel of two branches, a Map of two.
traced = create("obs-traced", {"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Next": "T"},
    "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "f"}, "Next": "Par",
          "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Par"}]},
    "Par": {"Type": "Parallel", "Next": "M", "ResultPath": None, "Branches": [
        {"StartAt": "BA", "States": {"BA": {"Type": "Pass", "End": True}}},
        {"StartAt": "BB", "States": {"BB": {"Type": "Pass", "End": True}}}]},
    "M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
          "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}},
    tracingConfiguration={"enabled": True})
out["traced"] = run(traced, "t1", '{"items": [1, 2]}', traceHeader=TRACE)
out["untraced"] = run(plain, "p-with-header", traceHeader=TRACE)
emit(out)
