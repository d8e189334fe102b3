"""Shared helpers for the boto3 scripts of the server tests (src/server/testing.h).

A script is run as `python3 SCRIPT ENDPOINT [ARGS...]` and prints one JSON object. Import this
module from a script in this directory:

    from sfn_client import client, error_of, emit, ENDPOINT
    sfn = client()
    out = {"created": sfn.create_state_machine(...)}
    out["missing"] = error_of(lambda: sfn.describe_state_machine(stateMachineArn=...))
    emit(out)

`client()` skips the `sync-` host prefix (StartSyncExecution, TestState) and makes one attempt
per call. `error_of` returns {"ok": true, "response": ...} or {"code", "message", "status"}.
`emit` prints the object as JSON (datetimes as epoch seconds, floats).
"""
import datetime
import json
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError, ParamValidationError

ENDPOINT = sys.argv[1]
ARGS = sys.argv[2:]
ROLE_ARN = "arn:aws:iam::123456789012:role/stepfn-test"
ACCOUNT = "123456789012"
REGION = "us-east-1"


def client(key="test", secret="test", validate=True):
    config = botocore.config.Config(
        retries={"total_max_attempts": 1}, inject_host_prefix=False,
        connect_timeout=5, read_timeout=30, parameter_validation=validate)
    return boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret, config=config)


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def error_of(call):
    try:
        return {"ok": True, "response": _plain(call())}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    except ParamValidationError as e:
        return {"code": "ParamValidationError", "message": str(e), "status": 0}


def ok(response):
    return _plain(response)


def emit(out):
    json.dump(_plain(out), sys.stdout)
