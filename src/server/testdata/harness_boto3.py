"""Smoke test of the harness (testing.h): boto3 reaches the server and sees its answers."""
from sfn_client import client, emit, error_of

sfn = client()
emit({"list_activities": error_of(lambda: sfn.list_activities()),
      "unknown": error_of(lambda: sfn.describe_activity(
          activityArn="arn:aws:states:us-east-1:123456789012:activity:none"))})
