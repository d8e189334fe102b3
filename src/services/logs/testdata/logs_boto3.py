"""Drives stepfn's CloudWatch Logs API with boto3; prints one JSON object.

usage: logs_boto3.py ENDPOINT
"""
import json
import sys
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                                read_timeout=10)
logs = boto3.client("logs", endpoint_url=ENDPOINT, region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test", config=config)


def error_of(call):
    try:
        call()
        return "ok"
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


out = {}
now = int(time.time() * 1000)
for i in range(7):
    logs.create_log_group(logGroupName=f"/aws/lambda/fn{i}")
out["exists"] = error_of(lambda: logs.create_log_group(logGroupName="/aws/lambda/fn0"))
out["bad_name"] = error_of(lambda: logs.create_log_group(logGroupName="bad name"))
pages = list(logs.get_paginator("describe_log_groups").paginate(
    logGroupNamePrefix="/aws/lambda/", PaginationConfig={"PageSize": 3}))
out["group_pages"] = [len(p["logGroups"]) for p in pages]
out["group_names"] = [g["logGroupName"] for p in pages for g in p["logGroups"]]
out["group_arn"] = pages[0]["logGroups"][0]["arn"]
logs.put_retention_policy(logGroupName="/aws/lambda/fn1", retentionInDays=7)
out["retention"] = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/fn1")[
    "logGroups"][0].get("retentionInDays")
out["bad_retention"] = error_of(
    lambda: logs.put_retention_policy(logGroupName="/aws/lambda/fn1", retentionInDays=2))
logs.delete_log_group(logGroupName="/aws/lambda/fn6")
out["missing_group"] = error_of(lambda: logs.delete_log_group(logGroupName="/aws/lambda/fn6"))

group = "/aws/lambda/fn0"
for name in ["a", "b", "c"]:
    logs.create_log_stream(logGroupName=group, logStreamName=name)
out["stream_exists"] = error_of(
    lambda: logs.create_log_stream(logGroupName=group, logStreamName="a"))
out["missing_stream"] = error_of(lambda: logs.put_log_events(
    logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now, "message": "x"}]))
logs.put_log_events(logGroupName=group, logStreamName="b",
                    logEvents=[{"timestamp": now - 3000, "message": "b first"}])
logs.put_log_events(logGroupName=group, logStreamName="a",
                    logEvents=[{"timestamp": now - 2000 + i, "message": f"a{i} ERROR x" if i % 2
                                else f"a{i} INFO"} for i in range(25)])
out["unordered"] = error_of(lambda: logs.put_log_events(
    logGroupName=group, logStreamName="c",
    logEvents=[{"timestamp": now, "message": "2"}, {"timestamp": now - 1, "message": "1"}]))
streams = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
out["streams_by_time"] = [s["logStreamName"] for s in streams["logStreams"]]
out["streams_paged"] = [len(p["logStreams"]) for p in logs.get_paginator(
    "describe_log_streams").paginate(logGroupName=group, PaginationConfig={"PageSize": 2})]

# GetLogEvents: the newest by default; tokens forward and backward.
first = logs.get_log_events(logGroupName=group, logStreamName="a", limit=10)
out["get_default"] = [e["message"] for e in first["events"]]
back = logs.get_log_events(logGroupName=group, logStreamName="a", limit=10,
                           nextToken=first["nextBackwardToken"])
out["get_back"] = [e["message"] for e in back["events"]]
head = logs.get_log_events(logGroupName=group, logStreamName="a", limit=10, startFromHead=True)
out["get_head"] = [e["message"] for e in head["events"]]
fwd = logs.get_log_events(logGroupName=group, logStreamName="a", limit=10,
                          nextToken=head["nextForwardToken"])
out["get_forward"] = [e["message"] for e in fwd["events"]]
# Following forward tokens until one repeats (what the paginator and `aws logs get-log-events`
# do) reads the whole stream.
token, seen = None, []
for _ in range(20):
    kw = {"nextToken": token} if token else {"startFromHead": True}
    page = logs.get_log_events(logGroupName=group, logStreamName="a", limit=7, **kw)
    seen += [e["message"] for e in page["events"]]
    if page["nextForwardToken"] == token:
        break
    token = page["nextForwardToken"]
out["get_all"] = len(seen)
window = logs.get_log_events(logGroupName=group, logStreamName="a", startTime=now - 2000 + 5,
                             endTime=now - 2000 + 8, startFromHead=True)
out["get_window"] = [e["message"] for e in window["events"]]

# FilterLogEvents: patterns, streams, pages.
f = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")
out["filter_error"] = len(f["events"])
out["filter_event_fields"] = sorted(f["events"][0].keys())
out["filter_phrase"] = [e["message"] for e in logs.filter_log_events(
    logGroupName=group, filterPattern='"b first"')["events"]]
out["filter_streams"] = len(logs.filter_log_events(
    logGroupName=group, logStreamNames=["b"])["events"])
out["filter_prefix"] = len(logs.filter_log_events(
    logGroupName=group, logStreamNamePrefix="a")["events"])
pages = list(logs.get_paginator("filter_log_events").paginate(
    logGroupName=group, PaginationConfig={"PageSize": 10}))
out["filter_pages"] = [len(p["events"]) for p in pages]
out["filter_time"] = [e["message"] for e in logs.filter_log_events(
    logGroupName=group, startTime=now - 3000, endTime=now - 2000)["events"]]
out["filter_missing"] = error_of(lambda: logs.filter_log_events(logGroupName="/nope"))
out["json_pattern"] = error_of(lambda: logs.filter_log_events(
    logGroupName=group, filterPattern="{ $.x = 1 }"))
logs.delete_log_stream(logGroupName=group, logStreamName="c")
out["after_delete"] = [s["logStreamName"] for s in logs.describe_log_streams(
    logGroupName=group)["logStreams"]]
print(json.dumps(out))
