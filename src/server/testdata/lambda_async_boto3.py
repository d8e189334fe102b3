"""Invocations of type Event through boto3 (lambda_api_test.cc, a server at --time-scale 0):
python3 lambda_async_boto3.py ENDPOINT DIR.

Creates a function that always fails and one that succeeds, each with an event invoke
configuration whose destination is a third function that writes the invocation records it gets
into DIR; invokes both with InvocationType Event and reads the records back. Also the
configuration API's answers and refusals. Prints one JSON object.
"""
import glob
import json
import os
import sys
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT, DIR = sys.argv[1], sys.argv[2]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"

lam = boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=botocore.config.Config(retries={"total_max_attempts": 1}))
# botocore checks minimums itself; this client lets the server answer them.
raw = boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=botocore.config.Config(retries={"total_max_attempts": 1},
                                                 parameter_validation=False))

CODE = {
    # Fails every time, noting each attempt.
    "flaky": "import os\ndef handler(event, context):\n"
             "    open(os.path.join(%r, 'attempts.log'), 'a').write(context.aws_request_id + '\\n')\n"
             "    raise ValueError('always')\n" % DIR,
    "good": "def handler(event, context):\n    return {'seen': event}\n",
    # Keeps every record it is sent.
    "sink": "import json, os\ndef handler(event, context):\n"
            "    name = event['requestContext']['condition'] + '-' + context.aws_request_id\n"
            "    json.dump(event, open(os.path.join(%r, 'record-' + name + '.json'), 'w'))\n" % DIR,
}


def error(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    return None


def wait_for(pattern, count):
    for _ in range(300):
        found = sorted(glob.glob(os.path.join(DIR, pattern)))
        if len(found) >= count:
            time.sleep(0.05)  # let the writer finish
            return [json.load(open(f)) for f in found]
        time.sleep(0.1)
    return []


for name, code in CODE.items():
    folder = os.path.join(DIR, "code-" + name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "app.py"), "w") as f:
        f.write(code)
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                        Role="arn:aws:iam::123456789012:role/r",
                        Code={"S3Bucket": "stepfn-local", "S3Key": folder})

out = {}
out["missing"] = error(lam.get_function_event_invoke_config, FunctionName="flaky")
out["update_missing"] = error(lam.update_function_event_invoke_config, FunctionName="flaky",
                              MaximumRetryAttempts=1)
out["put"] = lam.put_function_event_invoke_config(
    FunctionName="flaky", MaximumRetryAttempts=1,
    DestinationConfig={"OnFailure": {"Destination": ARN + "sink"}})
out["put"].pop("ResponseMetadata")
out["put"]["LastModified"] = str(out["put"]["LastModified"])
out["too_many_retries"] = error(raw.put_function_event_invoke_config, FunctionName="flaky",
                                MaximumRetryAttempts=3)
out["too_young"] = error(raw.put_function_event_invoke_config, FunctionName="flaky",
                         MaximumEventAgeInSeconds=59)
out["bad_destination"] = error(lam.put_function_event_invoke_config, FunctionName="flaky",
                               DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::b"}})
lam.put_function_event_invoke_config(
    FunctionName="good", DestinationConfig={"OnSuccess": {"Destination": ARN + "sink"}})
updated = lam.update_function_event_invoke_config(FunctionName="good",
                                                  MaximumEventAgeInSeconds=600)
out["updated"] = {"age": updated["MaximumEventAgeInSeconds"],
                  "retries": updated["MaximumRetryAttempts"],
                  "on_success": updated["DestinationConfig"]["OnSuccess"].get("Destination")}
out["listed"] = [c["FunctionArn"] for c in
                 lam.list_function_event_invoke_configs(FunctionName="good")
                 ["FunctionEventInvokeConfigs"]]

out["flaky_status"] = lam.invoke(FunctionName="flaky", InvocationType="Event",
                                 Payload=b'{"job": 1}')["StatusCode"]
failed = wait_for("record-RetriesExhausted-*.json", 1)
out["failure_record"] = failed[0] if failed else None
out["attempts"] = len(open(os.path.join(DIR, "attempts.log")).read().split())
lam.invoke(FunctionName="good", InvocationType="Event", Payload=b'{"job": 2}')
succeeded = wait_for("record-Success-*.json", 1)
out["success_record"] = succeeded[0] if succeeded else None

lam.delete_function_event_invoke_config(FunctionName="good")
out["deleted"] = error(lam.get_function_event_invoke_config, FunctionName="good")
print(json.dumps(out))
