"""Executions through boto3: start, describe, list, history, stop, sync express, callbacks,
activities and the errors of each. Prints one JSON object of observations; the C++ test
(ops_executions_test.cc) asserts on them."""
import json
import threading
import time

from sfn_client import client, error_of, emit, ok, ROLE_ARN, ACCOUNT, REGION

sfn = client()
out = {}
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}"


def create(name, definition, kind="STANDARD"):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE_ARN, type=kind)["stateMachineArn"]


def wait_done(arn, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return ok(d)
        time.sleep(0.02)
    return ok(sfn.describe_execution(executionArn=arn))


def history(arn, **kw):
    events, token = [], None
    while True:
        args = dict(executionArn=arn, maxResults=kw.get("page", 100), **{k: v for k, v in kw.items() if k != "page"})
        if token:
            args["nextToken"] = token
        page = sfn.get_execution_history(**args)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return ok({"events": events})["events"]


# --- A simple run: Pass -> Wait -> Pass.
simple = create("simple", {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"n.$": "$.n", "ctx.$": "$$.Execution.Name"}, "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 0, "Next": "B"},
    "B": {"Type": "Pass", "End": True}}})
started = sfn.start_execution(stateMachineArn=simple, name="run1", input='{"n": 7}')
out["start_arn"] = started["executionArn"]
out["simple"] = wait_done(started["executionArn"])
events = history(started["executionArn"])
out["simple_types"] = [e["type"] for e in events]
out["simple_ids"] = [[e["id"], e["previousEventId"]] for e in events]
out["history_reverse_ids"] = [e["id"] for e in history(started["executionArn"], reverseOrder=True, page=2)]
out["history_paged_ids"] = [e["id"] for e in history(started["executionArn"], page=2)]
nodata = sfn.get_execution_history(executionArn=started["executionArn"], includeExecutionData=False)
out["history_nodata_first"] = ok(nodata)["events"][0]

# Idempotency: the same name and input while RUNNING -> the same execution; after the end ->
# ExecutionAlreadyExists.
out["again_after_end"] = error_of(lambda: sfn.start_execution(stateMachineArn=simple, name="run1", input='{"n": 7}'))

waiting = create("waiting", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}})
w1 = sfn.start_execution(stateMachineArn=waiting, name="w1", input="{}")
w1b = sfn.start_execution(stateMachineArn=waiting, name="w1", input="{}")
out["idempotent_same"] = w1["executionArn"] == w1b["executionArn"]
out["idempotent_other_input"] = error_of(lambda: sfn.start_execution(stateMachineArn=waiting, name="w1", input='{"x":1}'))
out["list_running"] = [e["name"] for e in sfn.list_executions(stateMachineArn=waiting, statusFilter="RUNNING")["executions"]]
out["stop"] = error_of(lambda: sfn.stop_execution(executionArn=w1["executionArn"], error="Mine", cause="because"))
out["stopped"] = ok(sfn.describe_execution(executionArn=w1["executionArn"]))
out["stopped_types"] = [e["type"] for e in history(w1["executionArn"])]
out["list_aborted"] = [e["status"] for e in sfn.list_executions(stateMachineArn=waiting)["executions"]]

# Listing with pages.
for i in range(5):
    sfn.start_execution(stateMachineArn=simple, name=f"page{i}")
names, token = [], None
while True:
    kw = {"stateMachineArn": simple, "maxResults": 2}
    if token:
        kw["nextToken"] = token
    page = sfn.list_executions(**kw)
    names += [e["name"] for e in page["executions"]]
    token = page.get("nextToken")
    if not token:
        break
out["list_paged_count"] = len(names)
out["list_paged_unique"] = len(set(names))

# DescribeStateMachineForExecution.
out["for_execution"] = ok(sfn.describe_state_machine_for_execution(executionArn=started["executionArn"]))

# Errors.
out["err_no_machine"] = error_of(lambda: sfn.start_execution(stateMachineArn=PREFIX + ":stateMachine:nope"))
out["err_bad_arn"] = error_of(lambda: sfn.start_execution(stateMachineArn="not-an-arn"))
out["err_bad_name"] = error_of(lambda: sfn.start_execution(stateMachineArn=simple, name="a b"))
out["err_bad_input"] = error_of(lambda: sfn.start_execution(stateMachineArn=simple, input="{nope"))
out["err_no_execution"] = error_of(lambda: sfn.describe_execution(executionArn=PREFIX + ":execution:simple:nope"))
out["err_history_no_execution"] = error_of(lambda: sfn.get_execution_history(executionArn=PREFIX + ":execution:simple:nope"))
out["err_sync_standard"] = error_of(lambda: sfn.start_sync_execution(stateMachineArn=simple))

# Failure with Catch/Fail.
failing = create("failing", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}})
f1 = sfn.start_execution(stateMachineArn=failing, name="f1")
out["failed"] = wait_done(f1["executionArn"])

# --- EXPRESS, synchronously.
express = create("fast", {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.r", "Next": "B"},
    "B": {"Type": "Pass", "End": True}}}, kind="EXPRESS")
out["sync"] = ok(sfn.start_sync_execution(stateMachineArn=express, input='{"q": 1}'))
express_fail = create("fastfail", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}, kind="EXPRESS")
out["sync_failed"] = ok(sfn.start_sync_execution(stateMachineArn=express_fail))
out["err_list_express"] = error_of(lambda: sfn.list_executions(stateMachineArn=express))

# --- Callbacks: .waitForTaskToken, answered by SendTaskSuccess / SendTaskFailure.
cb = create("callback", {"StartAt": "T", "States": {"T": {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}},
    "Catch": [{"ErrorEquals": ["Nope"], "ResultPath": "$.caught", "Next": "Caught"}], "End": True},
    "Caught": {"Type": "Pass", "End": True}}})


def scheduled_token(arn):
    for _ in range(200):
        for e in history(arn):
            if e["type"] == "TaskScheduled":
                params = json.loads(e["taskScheduledEventDetails"]["parameters"])
                return params["MessageBody"]["token"]
        time.sleep(0.02)
    return None


c1 = sfn.start_execution(stateMachineArn=cb, name="c1", input='{"a": 1}')
token = scheduled_token(c1["executionArn"])
out["token_len"] = len(token or "")
out["send_heartbeat"] = error_of(lambda: sfn.send_task_heartbeat(taskToken=token))
out["send_bad_output"] = error_of(lambda: sfn.send_task_success(taskToken=token, output="{nope"))
out["send_success"] = error_of(lambda: sfn.send_task_success(taskToken=token, output='{"answer": 42}'))
out["callback_done"] = wait_done(c1["executionArn"])
out["send_again"] = error_of(lambda: sfn.send_task_success(taskToken=token, output="{}"))
out["send_invalid"] = error_of(lambda: sfn.send_task_success(taskToken="garbage", output="{}"))
c2 = sfn.start_execution(stateMachineArn=cb, name="c2", input='{"a": 2}')
token2 = scheduled_token(c2["executionArn"])
out["send_failure"] = error_of(lambda: sfn.send_task_failure(taskToken=token2, error="Nope", cause="no way"))
out["callback_failed"] = wait_done(c2["executionArn"])

# --- Redrive: a callback answered with a failure the execution does not catch, then redriven
# and answered with success.
strict = create("strict", {"StartAt": "Before", "States": {
    "Before": {"Type": "Pass", "Result": {"b": 1}, "ResultPath": "$.before", "Next": "T"},
    "T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}})
d1 = sfn.start_execution(stateMachineArn=strict, name="d1", input='{"a": 1}')
out["redrive_running"] = error_of(lambda: sfn.redrive_execution(executionArn=d1["executionArn"]))
sfn.send_task_failure(taskToken=scheduled_token(d1["executionArn"]), error="Broken", cause="first try")
out["redrive_failed_first"] = wait_done(d1["executionArn"])
out["redrive"] = error_of(lambda: sfn.redrive_execution(executionArn=d1["executionArn"]))
token3 = None
for _ in range(200):
    tokens = [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
              for e in history(d1["executionArn"]) if e["type"] == "TaskScheduled"]
    if len(tokens) == 2:
        token3 = tokens[1]
        break
    time.sleep(0.02)
out["redrive_answer"] = error_of(lambda: sfn.send_task_success(taskToken=token3, output='{"ok": 2}'))
out["redrive_done"] = wait_done(d1["executionArn"])
out["redrive_types"] = [e["type"] for e in history(d1["executionArn"])]
out["redriven_listed"] = [[e["name"], e.get("redriveCount")] for e in
                          sfn.list_executions(stateMachineArn=strict, redriveFilter="REDRIVEN")["executions"]]
out["not_redriven_listed"] = len(sfn.list_executions(stateMachineArn=strict, redriveFilter="NOT_REDRIVEN")["executions"])
out["redrive_succeeded_again"] = error_of(lambda: sfn.redrive_execution(executionArn=d1["executionArn"]))
out["redrive_missing"] = error_of(lambda: sfn.redrive_execution(executionArn=PREFIX + ":execution:strict:nope"))

# --- Activities: a worker polls GetActivityTask while the execution waits.
activity = sfn.create_activity(name="worker-job")["activityArn"]
act = create("activity", {"StartAt": "T", "States": {"T": {
    "Type": "Task", "Resource": activity, "Parameters": {"job.$": "$.job"}, "End": True}}})
got = {}


def worker():
    t0 = time.time()
    task = sfn.get_activity_task(activityArn=activity, workerName="w-1")
    got["waited"] = time.time() - t0
    got["input"] = task.get("input")
    got["answer"] = error_of(lambda: sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"done": json.loads(task["input"])["job"]})))


th = threading.Thread(target=worker)
th.start()
time.sleep(0.3)  # the worker is already waiting when the task is queued
a1 = sfn.start_execution(stateMachineArn=act, name="a1", input='{"job": "j-7"}')
th.join(timeout=20)
out["activity_worker"] = got
out["activity_done"] = wait_done(a1["executionArn"])
out["activity_events"] = [[e["type"], e.get("activityStartedEventDetails", {}).get("workerName")]
                          for e in history(a1["executionArn"])]
out["started_role"] = history(started["executionArn"])[0]["executionStartedEventDetails"].get("roleArn")
out["err_no_activity"] = error_of(lambda: sfn.get_activity_task(activityArn=PREFIX + ":activity:missing"))

emit(out)
