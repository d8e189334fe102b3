"""TagResource, UntagResource, ListTagsForResource driven with boto3.
usage: tags_boto3.py ENDPOINT SCENARIO"""
import json

from sfn_client import ACCOUNT, ARGS, REGION, ROLE_ARN, client, emit, error_of, ok

sfn = client()
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def state_machine():
    out = {}
    created = sfn.create_state_machine(name="tagged", definition=PASS, roleArn=ROLE_ARN,
                                       publish=True, tags=[{"key": "a", "value": "1"}])
    arn = created["stateMachineArn"]
    out["tag"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=[
        {"key": "b", "value": "2"}, {"key": "a", "value": "overwritten"}, {"key": "empty", "value": ""}]))
    out["list"] = ok(sfn.list_tags_for_resource(resourceArn=arn))
    out["untag"] = error_of(lambda: sfn.untag_resource(resourceArn=arn, tagKeys=["b", "absent"]))
    out["list_after_untag"] = ok(sfn.list_tags_for_resource(resourceArn=arn))
    out["tag_version"] = error_of(lambda: sfn.tag_resource(
        resourceArn=created["stateMachineVersionArn"], tags=[{"key": "v", "value": "1"}]))
    out["tag_missing"] = error_of(lambda: sfn.tag_resource(
        resourceArn=PREFIX + "stateMachine:missing", tags=[{"key": "v", "value": "1"}]))
    out["list_missing"] = error_of(lambda: sfn.list_tags_for_resource(
        resourceArn=PREFIX + "activity:missing"))
    out["untag_missing"] = error_of(lambda: sfn.untag_resource(
        resourceArn=PREFIX + "stateMachine:missing", tagKeys=["a"]))
    out["tag_execution"] = error_of(lambda: sfn.tag_resource(
        resourceArn=PREFIX + "execution:tagged:e1", tags=[{"key": "v", "value": "1"}]))
    out["tag_not_arn"] = error_of(lambda: sfn.tag_resource(
        resourceArn="tagged", tags=[{"key": "v", "value": "1"}]))
    many = [{"key": f"k{i}", "value": "v"} for i in range(48)]
    out["tag_up_to_50"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=many))
    out["tag_51"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=[{"key": "one-more", "value": "v"}]))
    out["overwrite_at_50"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=[{"key": "k1", "value": "w"}]))
    out["long_key"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=[{"key": "k" * 129, "value": "v"}]))
    out["long_value"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v" * 257}]))
    out["long_untag_key"] = error_of(lambda: sfn.untag_resource(resourceArn=arn, tagKeys=["k" * 129]))
    out["count"] = len(sfn.list_tags_for_resource(resourceArn=arn)["tags"])
    sfn.delete_state_machine(stateMachineArn=arn)
    out["list_deleted"] = error_of(lambda: sfn.list_tags_for_resource(resourceArn=arn))
    return out


def activity():
    out = {}
    arn = sfn.create_activity(name="tagged-activity")["activityArn"]
    out["tag"] = error_of(lambda: sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "x"}]))
    out["list"] = ok(sfn.list_tags_for_resource(resourceArn=arn))
    out["untag"] = error_of(lambda: sfn.untag_resource(resourceArn=arn, tagKeys=["team"]))
    out["list_after"] = ok(sfn.list_tags_for_resource(resourceArn=arn))
    return out


emit(globals()[ARGS[0]]())
