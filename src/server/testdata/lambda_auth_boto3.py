"""Lambda under --auth (lambda_api_test.cc): python3 lambda_auth_boto3.py ENDPOINT. Requests
signed for service "lambda" with a known key pass; a wrong secret is refused."""
import json
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]


def client(secret):
    return boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id="AKIDSTEPFN", aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"total_max_attempts": 1}))


out = {"listed": len(client("s3cret").list_functions()["Functions"])}
try:
    client("wrong").list_functions()
    out["wrong"] = "accepted"
except ClientError as e:
    out["wrong"] = e.response["Error"]["Code"]
    out["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
print(json.dumps(out))
