"""Drives a test server with boto3 and botocore-signed raw requests; prints one JSON object.

usage: boto3_client.py PORT SCENARIO   (SCENARIO: allow_all | auth | expired)
The server (integration_test.cc) registers ListStateMachines, StartExecution and
StartSyncExecution; under `auth` it accepts only accessKeyId "AKIDGOOD" / secret "good-secret".
"""
import http.client
import json
import sys

import boto3
import botocore.config
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

PORT = int(sys.argv[1])
SCENARIO = sys.argv[2]
ENDPOINT = f"http://127.0.0.1:{PORT}"


def client(key="test", secret="test", inject_host_prefix=True):
    config = botocore.config.Config(
        retries={"total_max_attempts": 1}, inject_host_prefix=inject_host_prefix,
        connect_timeout=5, read_timeout=10)
    return boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, config=config)


def error_of(call):
    try:
        call()
        return {"ok": True}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


def raw(target, body, content_type="application/x-amz-json-1.0", key=("test", "test")):
    headers = {"X-Amz-Target": target, "Content-Type": content_type}
    request = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers=headers)
    SigV4Auth(Credentials(*key), "states", "us-east-1").add_auth(request)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request("POST", "/", body=body, headers=dict(request.headers))
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        body_json = json.loads(data)
    except ValueError:
        body_json = {"raw": data.decode("utf-8", "replace")}
    return {"status": response.status, "error_type": response.getheader("x-amzn-ErrorType"),
            "__type": body_json.get("__type"), "request_id": response.getheader("x-amzn-RequestId")}


out = {}
if SCENARIO == "allow_all":
    sfn = client()
    listed = sfn.list_state_machines()
    out["list"] = listed["stateMachines"]
    out["list_request_id"] = listed["ResponseMetadata"].get("RequestId")
    out["unknown_operation"] = raw("AWSStepFunctions.NoSuchOperation", b"{}")
    out["wrong_content_type"] = raw("AWSStepFunctions.ListStateMachines", b"{}", "text/plain")
    out["invalid_json"] = raw("AWSStepFunctions.ListStateMachines", b'{"maxResults": ')
    out["sync_no_prefix"] = client(inject_host_prefix=False).start_sync_execution(
        stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:x")["status"]
    # 9 MiB: over the server's 8 MiB limit.
    out["oversized"] = error_of(lambda: sfn.start_execution(
        stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:x",
        input=json.dumps({"pad": "x" * (9 * 1024 * 1024)})))
    out["modeled_error"] = error_of(lambda: sfn.start_execution(
        stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:missing"))
    try:
        sfn.start_execution(
            stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:missing")
    except sfn.exceptions.StateMachineDoesNotExist:
        out["modeled_error_class"] = "StateMachineDoesNotExist"
elif SCENARIO == "auth":
    out["good"] = error_of(lambda: client("AKIDGOOD", "good-secret").list_state_machines())
    out["bad_secret"] = error_of(lambda: client("AKIDGOOD", "wrong").list_state_machines())
    out["unknown_key"] = error_of(lambda: client("test", "test").list_state_machines())
    out["raw_bad_secret"] = raw("AWSStepFunctions.ListStateMachines", b"{}",
                                key=("AKIDGOOD", "nope"))
elif SCENARIO == "expired":
    out["expired"] = error_of(lambda: client("AKIDGOOD", "good-secret").list_state_machines())
json.dump(out, sys.stdout)
