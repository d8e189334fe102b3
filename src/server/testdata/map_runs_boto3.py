"""DescribeMapRun, ListMapRuns and UpdateMapRun through boto3 (ops_map_runs_test.cc).

A Distributed Map over four items, one at a time; item 2 waits an hour. The run is looked at
while item 2 waits (two items done, one running, one pending), after UpdateMapRun lets two run
at once (item 3 starts and ends), and after StopExecution (ABORTED). A second execution whose
items all end shows a SUCCEEDED run with a stop date.
"""
import json
import time

from sfn_client import client, emit, error_of, ROLE_ARN

sfn = client()
definition = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map", "MaxConcurrency": 1, "Label": "Items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Pause",
                "States": {"Pause": {"Type": "Wait", "SecondsPath": "$.s", "End": True}},
            },
            "End": True,
        }
    },
}
machine = sfn.create_state_machine(name="fan", definition=json.dumps(definition),
                                   roleArn=ROLE_ARN)["stateMachineArn"]
out = {}


def wait_for(what, predicate, seconds=20):
    deadline = time.time() + seconds
    while True:
        value = what()
        if predicate(value) or time.time() > deadline:
            return value
        time.sleep(0.05)


slow = sfn.start_execution(stateMachineArn=machine, name="slow",
                           input=json.dumps([{"s": 0}, {"s": 0}, {"s": 3600}, {"s": 0}]))
slow_arn = slow["executionArn"]
runs = wait_for(lambda: sfn.list_map_runs(executionArn=slow_arn)["mapRuns"], lambda r: r)
out["listed"] = runs
run_arn = runs[0]["mapRunArn"]
out["waiting"] = wait_for(lambda: sfn.describe_map_run(mapRunArn=run_arn),
                          lambda d: d["itemCounts"]["succeeded"] == 2)
history = sfn.get_execution_history(executionArn=slow_arn)["events"]
out["started_event"] = [e.get("mapRunStartedEventDetails") for e in history
                        if e["type"] == "MapRunStarted"]
out["update"] = error_of(lambda: sfn.update_map_run(mapRunArn=run_arn, maxConcurrency=2,
                                                    toleratedFailureCount=1))
out["updated"] = wait_for(lambda: sfn.describe_map_run(mapRunArn=run_arn),
                          lambda d: d["itemCounts"]["succeeded"] == 3)
sfn.stop_execution(executionArn=slow_arn)
out["stopped"] = wait_for(lambda: sfn.describe_map_run(mapRunArn=run_arn),
                          lambda d: d["status"] != "RUNNING")

fast = sfn.start_execution(stateMachineArn=machine, name="fast",
                           input=json.dumps([{"s": 0}, {"s": 0}]))
wait_for(lambda: sfn.describe_execution(executionArn=fast["executionArn"])["status"],
         lambda s: s != "RUNNING")
fast_run = sfn.list_map_runs(executionArn=fast["executionArn"])["mapRuns"][0]["mapRunArn"]
out["finished"] = sfn.describe_map_run(mapRunArn=fast_run)
out["page"] = sfn.list_map_runs(executionArn=fast["executionArn"], maxResults=1)

missing_run = run_arn[:-4] + "0000"
out["missing_run"] = error_of(lambda: sfn.describe_map_run(mapRunArn=missing_run))
out["bad_arn"] = error_of(lambda: sfn.describe_map_run(mapRunArn="arn:aws:states:x"))
out["update_missing"] = error_of(lambda: sfn.update_map_run(mapRunArn=missing_run,
                                                            maxConcurrency=1))
out["bad_percentage"] = error_of(lambda: sfn.update_map_run(mapRunArn=run_arn,
                                                            toleratedFailurePercentage=150))
out["missing_execution"] = error_of(lambda: sfn.list_map_runs(
    executionArn=slow_arn[:-4] + "nope"))
emit(out)
