"""TestState through boto3 (ops_test_state_test.cc): answers, statuses and refusals.

`client()` (sfn_client.py) skips the `sync-` host prefix that boto3 puts before TestState.
"""
import json

from sfn_client import ROLE_ARN, client, emit, error_of

sfn = client()
raw = client(validate=False)  # sends what botocore's own checks would refuse
out = {}

out["pass_debug"] = error_of(lambda: sfn.test_state(
    definition=json.dumps({"Type": "Pass", "InputPath": "$.a", "Parameters": {"b.$": "$.x"},
                           "ResultPath": "$.r", "Next": "After"}),
    input=json.dumps({"a": {"x": 1}}), inspectionLevel="DEBUG"))

task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handler"}],
        "End": True}
# Lambda's model says Payload is a blob, so by default (STRICT) a mock gives it as a string;
# NONE lets it be any JSON.
out["task_result"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), input='{"v": 1}', inspectionLevel="TRACE",
    mock={"result": json.dumps({"Payload": {"ok": True}}), "fieldValidationMode": "NONE"}))
out["task_result_strict"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), input='{"v": 1}',
    mock={"result": json.dumps({"Payload": {"ok": True}})}))
out["task_result_string"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), input='{"v": 1}',
    mock={"result": json.dumps({"Payload": "ok", "StatusCode": 200})}))
out["task_retriable"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), input='{"v": 1}', inspectionLevel="DEBUG",
    mock={"errorOutput": {"error": "Busy", "cause": "try later"}},
    stateConfiguration={"retrierRetryCount": 1}))
out["task_caught"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), input='{"v": 1}', inspectionLevel="DEBUG",
    mock={"errorOutput": {"error": "Busy", "cause": "try later"}},
    stateConfiguration={"retrierRetryCount": 3}))
out["task_no_mock"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), roleArn=ROLE_ARN))
out["task_no_role"] = error_of(lambda: sfn.test_state(definition=json.dumps(task)))

machine = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1,
                                          "Next": "Big"}], "Default": "Small"},
    "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}}
out["state_name"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(machine), stateName="B", input='{"n": 2}'))
out["state_not_found"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(machine), stateName="Nope"))

parallel = {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}]}
out["parallel_no_mock"] = error_of(lambda: sfn.test_state(definition=json.dumps(parallel)))
out["pass_with_mock"] = error_of(lambda: sfn.test_state(
    definition='{"Type": "Pass", "End": true}', mock={"result": "{}"}))
out["bad_mock_json"] = error_of(lambda: sfn.test_state(
    definition=json.dumps(task), mock={"result": "not JSON"}))
out["bad_definition"] = error_of(lambda: sfn.test_state(definition='{"Type": "Pass"'))

out["no_definition"] = error_of(lambda: raw.test_state(input="{}"))
out["bad_level"] = error_of(lambda: raw.test_state(
    definition='{"Type": "Succeed"}', inspectionLevel="LOUD"))
out["long_state_name"] = error_of(lambda: raw.test_state(
    definition=json.dumps(machine), stateName="x" * 81))
out["negative_count"] = error_of(lambda: raw.test_state(
    definition=json.dumps(task), mock={"result": "{}"},
    stateConfiguration={"retrierRetryCount": -1}))
emit(out)
