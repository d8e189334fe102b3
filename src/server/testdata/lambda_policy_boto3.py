"""Resource policies and tags of Lambda functions through boto3 (lambda_api_test.cc):
python3 lambda_policy_boto3.py ENDPOINT PHASE DIR.

PHASE "main" creates a function (a local folder in DIR), adds, reads and removes permissions
(on the function and on an alias), tags and untags it, and tries the refusals; PHASE "restart"
reads what a restarted server kept. Prints one JSON object.
"""
import json
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT, PHASE, DIR = sys.argv[1], sys.argv[2], sys.argv[3]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:pol"

lam = boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=botocore.config.Config(retries={"total_max_attempts": 1}))


def error(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None


def policy(**kwargs):
    got = lam.get_policy(FunctionName="pol", **kwargs)
    return {"doc": json.loads(got["Policy"]), "revision": got["RevisionId"]}


out = {}
if PHASE == "main":
    os.makedirs(DIR + "/code", exist_ok=True)
    with open(DIR + "/code/app.py", "w") as f:
        f.write("def handler(event, context):\n    return event\n")
    lam.create_function(FunctionName="pol", Runtime="python3.12", Handler="app.handler",
                        Role="arn:aws:iam::123456789012:role/r", Tags={"team": "a"},
                        Code={"S3Bucket": "stepfn-local", "S3Key": DIR + "/code"})
    out["no_policy"] = error(lam.get_policy, FunctionName="pol")
    added = lam.add_permission(FunctionName="pol", StatementId="apigw", Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com",
                               SourceArn="arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/x")
    out["added_status"] = added["ResponseMetadata"]["HTTPStatusCode"]
    out["added"] = json.loads(added["Statement"])
    lam.add_permission(FunctionName="pol", StatementId="acct", Action="lambda:GetFunction",
                       Principal="210987654321", SourceAccount="210987654321")
    out["policy"] = policy()
    out["duplicate"] = error(lam.add_permission, FunctionName="pol", StatementId="apigw",
                             Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    out["stale_revision"] = error(lam.add_permission, FunctionName="pol", StatementId="x",
                                  Action="lambda:InvokeFunction", Principal="*",
                                  RevisionId="not-the-revision")
    out["bad_action"] = error(lam.add_permission, FunctionName="pol", StatementId="y",
                              Action="s3:GetObject", Principal="*")
    out["bad_sid"] = error(lam.add_permission, FunctionName="pol", StatementId="has space",
                           Action="lambda:InvokeFunction", Principal="*")
    out["missing_function"] = error(lam.add_permission, FunctionName="nope", StatementId="z",
                                    Action="lambda:InvokeFunction", Principal="*")
    out["missing_qualifier"] = error(lam.add_permission, FunctionName="pol", StatementId="z",
                                     Action="lambda:InvokeFunction", Principal="*",
                                     Qualifier="live")
    lam.create_alias(FunctionName="pol", Name="live", FunctionVersion="$LATEST")
    lam.add_permission(FunctionName="pol", StatementId="alias", Action="lambda:InvokeFunction",
                       Principal="*", Qualifier="live")
    out["alias_policy"] = policy(Qualifier="live")
    lam.remove_permission(FunctionName="pol", StatementId="acct")
    out["after_remove"] = policy()
    out["remove_missing"] = error(lam.remove_permission, FunctionName="pol", StatementId="acct")
    lam.tag_resource(Resource=ARN, Tags={"env": "dev", "team": "b"})
    out["tags"] = lam.list_tags(Resource=ARN)["Tags"]
    lam.untag_resource(Resource=ARN, TagKeys=["env", "absent"])
    out["untagged"] = lam.list_tags(Resource=ARN)["Tags"]
    out["get_function_tags"] = lam.get_function(FunctionName="pol").get("Tags")
    out["tag_alias"] = error(lam.tag_resource, Resource=ARN + ":live", Tags={"a": "b"})
    out["tag_missing"] = error(lam.list_tags, Resource=ARN.replace(":pol", ":nope"))
    out["too_many_tags"] = error(lam.tag_resource, Resource=ARN,
                                 Tags={"k%d" % i: "v" for i in range(60)})
    out["reserved_tag"] = error(lam.tag_resource, Resource=ARN, Tags={"aws:x": "y"})
    lam.delete_alias(FunctionName="pol", Name="live")
    lam.create_alias(FunctionName="pol", Name="live", FunctionVersion="$LATEST")
    out["alias_policy_after_delete"] = error(lam.get_policy, FunctionName="pol", Qualifier="live")
else:
    out["policy"] = policy()
    out["tags"] = lam.list_tags(Resource=ARN)["Tags"]
print(json.dumps(out))
