"""Step Functions Task states that call Lambda functions, end to end through boto3 (driven by
tests/lambda_task_e2e_test.cc, which creates the functions first: py-echo (Timeout 2 s),
py-flaky, node-double when node is installed ("node" argument), cpp-echo). Runs workflows that
call them through a function ARN and through lambda:invoke, with Retry and Catch, timeouts, a
missing function, a crash and a Map, and prints per scenario the execution's status, output,
error, cause, its history's event types and the details of its Lambda/Task events.

    python3 lambda_task_boto3.py ENDPOINT [node]
"""
import json
import time

from sfn_client import ACCOUNT, ARGS, REGION, ROLE_ARN, client, emit

sfn = client()
FN = "arn:aws:lambda:%s:%s:function:" % (REGION, ACCOUNT)
py, flaky, node, cpp = FN + "py-echo", FN + "py-flaky", FN + "node-double", FN + "cpp-echo"
has_node = "node" in ARGS


def run(name, definition, input_value):
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                   roleArn=ROLE_ARN)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(input_value))["executionArn"]
    deadline = time.time() + 120
    while True:
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING" or time.time() > deadline:
            break
        time.sleep(0.1)
    events = sfn.get_execution_history(executionArn=ex, maxResults=1000)["events"]
    out = {"status": d["status"], "types": [e["type"] for e in events], "details": []}
    if "output" in d:
        out["output"] = json.loads(d["output"])
    for k in ("error", "cause"):
        if k in d:
            out[k] = d[k]
    for e in events:
        if e["type"].startswith("LambdaFunction") or e["type"].startswith("Task") and \
                e["type"] not in ("TaskStateEntered", "TaskStateExited"):
            det = {k: v for k, v in e.items() if k.endswith("EventDetails")}
            out["details"].append({"type": e["type"], **det})
    return out


def task(resource, **fields):
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": resource, "End": True, **fields}}}


INVOKE = "arn:aws:states:::lambda:invoke"
out = {
    "arn_resource": run("arn-resource", task(py, TimeoutSeconds=30), {"a": 1}),
    "retry_then_succeed": run("retry", task(flaky, Retry=[{
        "ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1, "MaxAttempts": 3,
        "BackoffRate": 1}]), {"key": str(time.time())}),
    "catch_function_error": run("catch", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": INVOKE,
                 "Parameters": {"FunctionName": py, "Payload.$": "$"},
                 "Catch": [{"ErrorEquals": ["ValueError"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}}, {"fail": "yes"}),
    # py-echo's own Timeout is 2 s.
    "lambda_timeout": run("lambda-timeout", task(py), {"sleep": 5}),
    "state_timeout": run("state-timeout", task(py, TimeoutSeconds=1), {"sleep": 1.8}),
    "missing_function": run("missing", task(INVOKE, Parameters={
        "FunctionName": "no-such-function", "Payload": {}}), {}),
    "missing_function_arn": run("missing-arn", task(FN + "no-such-function"), {}),
    "crash": run("crash", task(py), {"crash": True}),
    "cpp": run("cpp", task(INVOKE, Parameters={
        "FunctionName": "cpp-echo", "Payload": {"hello": "c++"}},
        ResultSelector={"p.$": "$.Payload"}), {}),
}
if has_node:
    out["invoke"] = run("invoke", task(INVOKE, Parameters={
        "FunctionName": "node-double", "Payload": {"n.$": "$.n"}}, OutputPath="$.Payload"),
        {"n": 21})
    out["node_error"] = run("node-error", task(node), {"fail": True})
    out["map"] = run("map", {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
        "Iterator": {"StartAt": "Double", "States": {"Double": {
            "Type": "Task", "Resource": node, "End": True}}},
        "End": True}}}, {"items": [{"n": 1}, {"n": 2}, {"n": 3}]})
emit(out)
