"""Activities driven with boto3. usage: activities_boto3.py ENDPOINT SCENARIO"""
from sfn_client import ACCOUNT, ARGS, REGION, client, emit, error_of, ok

sfn = client()
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:"


def lifecycle():
    out = {}
    out["create"] = ok(sfn.create_activity(name="worker", tags=[{"key": "k", "value": "v"}]))
    arn = out["create"]["activityArn"]
    out["create_again"] = ok(sfn.create_activity(name="worker", tags=[{"key": "other", "value": "x"}]))
    out["describe"] = ok(sfn.describe_activity(activityArn=arn))
    out["tags"] = ok(sfn.list_tags_for_resource(resourceArn=arn))
    out["list"] = ok(sfn.list_activities())
    out["delete"] = error_of(lambda: sfn.delete_activity(activityArn=arn))
    out["describe_deleted"] = error_of(lambda: sfn.describe_activity(activityArn=arn))
    out["delete_again"] = error_of(lambda: sfn.delete_activity(activityArn=arn))
    out["list_after"] = ok(sfn.list_activities())
    return out


def errors():
    out = {}
    out["invalid_name"] = error_of(lambda: sfn.create_activity(name="TestActivity InvalidName$"))
    out["long_name"] = error_of(lambda: sfn.create_activity(name="a" * 81))
    out["not_an_arn"] = error_of(lambda: sfn.describe_activity(activityArn="worker"))
    out["state_machine_arn"] = error_of(lambda: sfn.describe_activity(
        activityArn=PREFIX + "stateMachine:m"))
    out["delete_bad_arn"] = error_of(lambda: sfn.delete_activity(activityArn="nope"))
    out["too_many_tags"] = error_of(lambda: sfn.create_activity(
        name="tagged", tags=[{"key": f"k{i}", "value": "v"} for i in range(51)]))
    out["long_tag_key"] = error_of(lambda: sfn.create_activity(
        name="tagged", tags=[{"key": "k" * 129, "value": "v"}]))
    out["list_too_many"] = error_of(lambda: sfn.list_activities(maxResults=1001))
    out["list_bad_token"] = error_of(lambda: sfn.list_activities(nextToken="x" * 20))
    return out


def pagination():
    for i in range(7):
        sfn.create_activity(name=f"act-{i}")
    names, pages, token = [], 0, None
    while True:
        page = sfn.list_activities(maxResults=3, **({"nextToken": token} if token else {}))
        pages += 1
        names += [a["name"] for a in page["activities"]]
        token = page.get("nextToken")
        if not token:
            break
    paginated = [a["name"] for p in sfn.get_paginator("list_activities").paginate(
        PaginationConfig={"PageSize": 2}) for a in p["activities"]]
    return {"pages": pages, "names": names, "paginator": paginated}


emit(globals()[ARGS[0]]())
