"""Phase `start`: creates a state machine with a Wait and a mocked Task and starts executions
(on '<arn>#Happy', a mock test case). Phase `finish`: waits for them and reports their ends and
histories. The test restarts the server between the phases."""
import json
import time

from sfn_client import client, emit, ok, ROLE_ARN, ACCOUNT, REGION, ARGS

sfn = client()
phase = ARGS[0]
machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Restartable"
out = {}
if phase == "start":
    definition = {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}],
              "ResultPath": "$.t", "End": True}}}
    sfn.create_state_machine(name="Restartable", definition=json.dumps(definition), roleArn=ROLE_ARN)
    for i in range(20):
        sfn.start_execution(stateMachineArn=machine + "#Happy", name=f"r{i}", input=json.dumps({"i": i}))
    out["running"] = len(sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"])
else:
    end = time.time() + 15
    while time.time() < end and sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        time.sleep(0.05)
    results = []
    for i in range(20):
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:Restartable:r{i}"
        d = sfn.describe_execution(executionArn=arn)
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        results.append({"status": d["status"], "output": d.get("output"),
                        "types": [e["type"] for e in events],
                        "ids_ok": [e["id"] for e in events] == list(range(1, len(events) + 1))})
    out["results"] = results
emit(out)
