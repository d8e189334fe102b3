"""Drives Lambda (restJson1), CloudWatch Logs (awsJson1_1) and Step Functions (awsJson1_0) on one
test server with boto3; prints one JSON object.

usage: services_boto3.py PORT SCENARIO   (SCENARIO: allow_all | auth)
The server (rest_json_test.cc) registers fake operations: Lambda Invoke, ListFunctions,
GetFunction ("missing" is not found), PutFunctionConcurrency; Logs DescribeLogGroups and
CreateLogGroup ("exists" exists); Step Functions ListStateMachines. Under `auth` it accepts only
accessKeyId "AKIDGOOD" / secret "good-secret".
"""
import json
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

PORT = int(sys.argv[1])
SCENARIO = sys.argv[2]
ENDPOINT = f"http://127.0.0.1:{PORT}"


def client(service, key="test", secret="test"):
    config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                                    read_timeout=10)
    return boto3.client(service, endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, config=config)


def error_of(call, modeled=None):
    try:
        call()
        return "ok"
    except ClientError as e:
        out = {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
               "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
               "request_id": e.response["ResponseMetadata"].get("RequestId", ""),
               "class": type(e).__name__}
        if "Type" in e.response:
            out["type"] = e.response["Type"]
        return out


out = {}
if SCENARIO == "allow_all":
    lam = client("lambda")
    invoked = lam.invoke(FunctionName="my-fn", Payload=b'{"a": 1}', Qualifier="v1")
    out["invoke_status"] = invoked["StatusCode"]
    out["invoke_version"] = invoked.get("ExecutedVersion", "")
    out["invoke_payload"] = invoked["Payload"].read().decode()
    by_arn = lam.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:my-fn",
                        Payload=b"{}")
    out["invoke_arn_function"] = json.loads(by_arn["Payload"].read())["function"]
    # ListFunctions echoes what the operation received (the fake answers an echo, not the
    # modeled shape; read it raw).
    listed = {}

    def keep(http_response, **kwargs):
        listed.update(json.loads(http_response.content))

    lam.meta.events.register("after-call.lambda.ListFunctions",
                             lambda http_response, **kw: keep(http_response))
    lam.list_functions(Marker="a b/c", MaxItems=5)
    out["list_marker"] = listed["query"].get("Marker")
    out["list_max_items"] = listed["query"].get("MaxItems")
    out["concurrency"] = lam.put_function_concurrency(
        FunctionName="f", ReservedConcurrentExecutions=3)["ReservedConcurrentExecutions"]
    out["missing"] = error_of(lambda: lam.get_function(FunctionName="missing"))
    try:
        lam.get_function(FunctionName="missing")
    except lam.exceptions.ResourceNotFoundException as e:
        out["missing"]["class"] = "ResourceNotFoundException"
    out["unknown"] = error_of(lambda: lam.list_versions_by_function(FunctionName="f"))
    logs = client("logs")
    out["logs_groups"] = len(logs.describe_log_groups()["logGroups"])
    out["logs_exists"] = error_of(lambda: logs.create_log_group(logGroupName="exists"))
    try:
        logs.create_log_group(logGroupName="exists")
    except logs.exceptions.ResourceAlreadyExistsException:
        out["logs_exists"]["class"] = "ResourceAlreadyExistsException"
    out["sfn_machines"] = len(client("stepfunctions").list_state_machines()["stateMachines"])
elif SCENARIO == "auth":
    good = ("AKIDGOOD", "good-secret")
    out["lambda_good"] = error_of(
        lambda: client("lambda", *good).put_function_concurrency(
            FunctionName="f", ReservedConcurrentExecutions=1))
    out["logs_good"] = error_of(lambda: client("logs", *good).describe_log_groups())
    out["sfn_good"] = error_of(lambda: client("stepfunctions", *good).list_state_machines())
    out["lambda_bad_secret"] = error_of(
        lambda: client("lambda", "AKIDGOOD", "wrong").get_function(FunctionName="f"))
    out["lambda_unknown_key"] = error_of(
        lambda: client("lambda", "AKIDNOPE", "x").get_function(FunctionName="f"))
    out["logs_bad_secret"] = error_of(
        lambda: client("logs", "AKIDGOOD", "wrong").describe_log_groups())
    out["logs_unknown_key"] = error_of(lambda: client("logs", "AKIDNOPE", "x").describe_log_groups())
print(json.dumps(out))
