"""State machines, versions, aliases and ValidateStateMachineDefinition driven with boto3.

usage: sm_boto3.py ENDPOINT SCENARIO   (see the functions below; ops_state_machines_test.cc)
Prints one JSON object: what each call answered ({"ok": true, "response": ...} or
{"code", "message", "status"}).
"""
import json

from sfn_client import ACCOUNT, ARGS, REGION, ROLE_ARN, client, emit, error_of, ok

sfn = client()
raw = client(validate=False)  # sends what botocore would refuse (AWS's own checks answer)
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:"

PASS = json.dumps({"Comment": "BASE_PASS_RESULT", "StartAt": "State_1", "States": {
    "State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}})
PASS_2 = json.dumps({"Comment": "BASE_PASS_RESULT-R2", "StartAt": "State_1", "States": {
    "State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}})


def create(name, definition=PASS, **kwargs):
    return sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN, **kwargs)


def lifecycle():
    out = {}
    out["create"] = ok(create("lifecycle", tags=[{"key": "team", "value": "a"}]))
    arn = out["create"]["stateMachineArn"]
    out["describe"] = ok(sfn.describe_state_machine(stateMachineArn=arn))
    out["describe_metadata"] = error_of(lambda: sfn.describe_state_machine(
        stateMachineArn=arn, includedData="METADATA_ONLY"))
    out["list"] = ok(sfn.list_state_machines())
    out["update"] = ok(sfn.update_state_machine(stateMachineArn=arn, definition=PASS_2))
    out["describe_updated"] = ok(sfn.describe_state_machine(stateMachineArn=arn))
    out["update_same"] = ok(sfn.update_state_machine(stateMachineArn=arn, definition=PASS_2))
    out["update_nothing"] = error_of(lambda: sfn.update_state_machine(stateMachineArn=arn))
    out["tags"] = ok(sfn.list_tags_for_resource(resourceArn=arn))
    out["delete"] = error_of(lambda: sfn.delete_state_machine(stateMachineArn=arn))
    out["describe_deleted"] = error_of(lambda: sfn.describe_state_machine(stateMachineArn=arn))
    out["delete_again"] = error_of(lambda: sfn.delete_state_machine(stateMachineArn=arn))
    out["list_after"] = ok(sfn.list_state_machines())
    return out


def create_errors():
    out = {}
    out["invalid_name"] = error_of(lambda: create("bad name"))
    out["invalid_name_char"] = error_of(lambda: create("bad:name"))
    out["long_name"] = error_of(lambda: create("a" * 81))
    out["invalid_definition"] = error_of(lambda: create(
        "invalid_def", definition=json.dumps({"Comment": "BASE_INVALID_DER", "StartAt": "State_1"})))
    out["not_json"] = error_of(lambda: create("not_json", definition="not a definition"))
    out["express_activity"] = error_of(lambda: create("express_activity", type="EXPRESS",
        definition=json.dumps({"StartAt": "A", "States": {"A": {
            "Type": "Task", "Resource": PREFIX + "activity:act", "End": True}}})))
    out["bad_role"] = error_of(lambda: sfn.create_state_machine(
        name="bad_role", definition=PASS, roleArn="not-a-role"))
    out["version_description_no_publish"] = error_of(lambda: create(
        "vd", versionDescription="HelloWorld!"))
    out["logging_no_destination"] = error_of(lambda: create(
        "logging", loggingConfiguration={"level": "ALL"}))
    out["bad_type"] = error_of(lambda: raw.create_state_machine(
        name="bad_type", definition=PASS, roleArn=ROLE_ARN, type="FAST"))
    out["too_large"] = error_of(lambda: create(
        "too_large", definition=json.dumps({"StartAt": "A", "Comment": "x" * 1048576,
                                            "States": {"A": {"Type": "Succeed"}}})))
    out["missing_role_and_long_name"] = error_of(lambda: raw.create_state_machine(
        name="b" * 81, definition=PASS))
    out["too_many_tags"] = error_of(lambda: create(
        "tags51", tags=[{"key": f"k{i}", "value": "v"} for i in range(51)]))
    out["list_after"] = ok(sfn.list_state_machines())
    return out


def idempotency():
    out = {}
    out["first"] = ok(create("idem", tags=[{"key": "a", "value": "1"}]))
    out["same"] = error_of(lambda: create("idem", tags=[{"key": "b", "value": "2"}]))
    out["other_definition"] = error_of(lambda: create("idem", definition=PASS_2))
    reformatted = json.dumps(json.loads(PASS), indent=2)
    out["reformatted_definition"] = error_of(lambda: create("idem", definition=reformatted))
    out["other_type"] = error_of(lambda: create("idem", type="EXPRESS"))
    out["tags"] = ok(sfn.list_tags_for_resource(resourceArn=out["first"]["stateMachineArn"]))
    return out


def arn_errors():
    out = {}
    out["not_an_arn"] = error_of(lambda: sfn.describe_state_machine(stateMachineArn="abc"))
    out["activity_arn"] = error_of(lambda: sfn.describe_state_machine(
        stateMachineArn=PREFIX + "activity:a"))
    out["execution_arn"] = error_of(lambda: sfn.delete_state_machine(
        stateMachineArn=PREFIX + "execution:m:e"))
    out["missing"] = error_of(lambda: sfn.describe_state_machine(
        stateMachineArn=PREFIX + "stateMachine:missing"))
    out["long_arn"] = error_of(lambda: sfn.describe_state_machine(
        stateMachineArn=PREFIX + "stateMachine:" + "m" * 300))
    out["update_missing"] = error_of(lambda: sfn.update_state_machine(
        stateMachineArn=PREFIX + "stateMachine:missing", definition=PASS))
    out["publish_missing"] = error_of(lambda: sfn.publish_state_machine_version(
        stateMachineArn=PREFIX + "stateMachine:missing"))
    out["aliases_missing"] = error_of(lambda: sfn.list_state_machine_aliases(
        stateMachineArn=PREFIX + "stateMachine:missing"))
    return out


def pagination():
    out = {}
    names = [f"page-{i}" for i in range(5)]
    for name in names:
        create(name)
    seen = []
    pages = 0
    token = None
    while True:
        kwargs = {"maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = sfn.list_state_machines(**kwargs)
        pages += 1
        seen += [m["name"] for m in page["stateMachines"]]
        token = page.get("nextToken")
        if not token:
            break
    out["pages"] = pages
    out["seen"] = seen
    out["all_default"] = len(sfn.list_state_machines()["stateMachines"])
    out["max_zero"] = len(sfn.list_state_machines(maxResults=0)["stateMachines"])
    out["paginator"] = [m["name"] for page in sfn.get_paginator("list_state_machines").paginate(
        PaginationConfig={"PageSize": 3}) for m in page["stateMachines"]]
    out["too_many"] = error_of(lambda: sfn.list_state_machines(maxResults=1001))
    out["bad_token"] = error_of(lambda: sfn.list_state_machines(nextToken="garbage-token"))
    activities_token = None
    sfn.create_activity(name="a1")
    sfn.create_activity(name="a2")
    activities_token = sfn.list_activities(maxResults=1)["nextToken"]
    out["foreign_token"] = error_of(lambda: sfn.list_state_machines(nextToken=activities_token))
    out["empty_token"] = error_of(lambda: raw.list_state_machines(nextToken=""))
    return out


def versions():
    out = {}
    out["create"] = ok(create("ver", publish=True, versionDescription="first"))
    arn = out["create"]["stateMachineArn"]
    v1 = out["create"]["stateMachineVersionArn"]
    out["describe_v1"] = ok(sfn.describe_state_machine(stateMachineArn=v1))
    out["describe_machine"] = ok(sfn.describe_state_machine(stateMachineArn=arn))
    out["publish_same"] = ok(sfn.publish_state_machine_version(stateMachineArn=arn))
    out["update_publish"] = ok(sfn.update_state_machine(
        stateMachineArn=arn, definition=PASS_2, publish=True, versionDescription="second"))
    v2 = out["update_publish"]["stateMachineVersionArn"]
    out["describe_v2"] = ok(sfn.describe_state_machine(stateMachineArn=v2))
    out["list"] = ok(sfn.list_state_machine_versions(stateMachineArn=arn))
    out["list_page"] = ok(sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1))
    out["list_page_2"] = ok(sfn.list_state_machine_versions(
        stateMachineArn=arn, maxResults=1, nextToken=out["list_page"]["nextToken"]))
    revision = out["update_publish"]["revisionId"]
    out["update_3"] = ok(sfn.update_state_machine(stateMachineArn=arn, definition=PASS))
    out["publish_stale_revision"] = error_of(lambda: sfn.publish_state_machine_version(
        stateMachineArn=arn, revisionId=revision))
    out["publish_current_revision"] = ok(sfn.publish_state_machine_version(
        stateMachineArn=arn, revisionId=out["update_3"]["revisionId"], description="third"))
    v3 = out["publish_current_revision"]["stateMachineVersionArn"]
    out["delete_v3"] = error_of(lambda: sfn.delete_state_machine_version(stateMachineVersionArn=v3))
    out["delete_v3_again"] = error_of(
        lambda: sfn.delete_state_machine_version(stateMachineVersionArn=v3))
    out["describe_v3"] = error_of(lambda: sfn.describe_state_machine(stateMachineArn=v3))
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS_2)
    out["publish_after_delete"] = ok(sfn.publish_state_machine_version(stateMachineArn=arn))
    out["update_version_arn"] = error_of(lambda: sfn.update_state_machine(
        stateMachineArn=v2, definition=PASS))
    out["delete_version_unqualified"] = error_of(
        lambda: sfn.delete_state_machine_version(stateMachineVersionArn=arn))
    out["delete_machine_with_version_arn"] = error_of(
        lambda: sfn.delete_state_machine(stateMachineArn=v2))
    out["delete_machine"] = error_of(lambda: sfn.delete_state_machine(stateMachineArn=arn))
    out["describe_v1_after"] = error_of(lambda: sfn.describe_state_machine(stateMachineArn=v1))
    out["list_after"] = ok(sfn.list_state_machine_versions(stateMachineArn=arn))
    return out


def aliases():
    out = {}
    created = create("ali", publish=True)
    arn = created["stateMachineArn"]
    v1 = created["stateMachineVersionArn"]
    v2 = sfn.update_state_machine(stateMachineArn=arn, definition=PASS_2,
                                  publish=True)["stateMachineVersionArn"]
    routing = [{"stateMachineVersionArn": v1, "weight": 100}]
    out["create"] = ok(sfn.create_state_machine_alias(
        name="prod", routingConfiguration=routing, description="d"))
    alias = out["create"]["stateMachineAliasArn"]
    out["create_again"] = ok(sfn.create_state_machine_alias(
        name="prod", routingConfiguration=routing, description="d"))
    out["create_conflict"] = error_of(lambda: sfn.create_state_machine_alias(
        name="prod", routingConfiguration=routing, description="other"))
    out["describe"] = ok(sfn.describe_state_machine_alias(stateMachineAliasArn=alias))
    out["describe_machine_via_alias"] = ok(sfn.describe_state_machine(stateMachineArn=alias))
    out["update"] = ok(sfn.update_state_machine_alias(
        stateMachineAliasArn=alias, routingConfiguration=[
            {"stateMachineVersionArn": v1, "weight": 50},
            {"stateMachineVersionArn": v2, "weight": 50}]))
    out["describe_updated"] = ok(sfn.describe_state_machine_alias(stateMachineAliasArn=alias))
    out["list"] = ok(sfn.list_state_machine_aliases(stateMachineArn=arn))
    out["delete_referenced_version"] = error_of(
        lambda: sfn.delete_state_machine_version(stateMachineVersionArn=v2))
    out["sum"] = error_of(lambda: sfn.create_state_machine_alias(name="sum", routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 70},
        {"stateMachineVersionArn": v2, "weight": 29}]))
    out["duplicate"] = error_of(lambda: sfn.create_state_machine_alias(
        name="dup", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50},
                                          {"stateMachineVersionArn": v1, "weight": 50}]))
    out["not_version"] = error_of(lambda: sfn.create_state_machine_alias(
        name="nv", routingConfiguration=[{"stateMachineVersionArn": arn, "weight": 100}]))
    out["too_many"] = error_of(lambda: sfn.create_state_machine_alias(
        name="many", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50},
                                           {"stateMachineVersionArn": v2, "weight": 30},
                                           {"stateMachineVersionArn": arn + ":3", "weight": 20}]))
    out["weight_too_large"] = error_of(lambda: sfn.create_state_machine_alias(
        name="heavy", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 101}]))
    out["missing_version"] = error_of(lambda: sfn.create_state_machine_alias(
        name="ghost", routingConfiguration=[{"stateMachineVersionArn": arn + ":99",
                                             "weight": 100}]))
    out["name_digits"] = error_of(lambda: sfn.create_state_machine_alias(
        name="123", routingConfiguration=routing))
    out["name_space"] = error_of(lambda: sfn.create_state_machine_alias(
        name="INVALID ALIAS", routingConfiguration=routing))
    out["name_long"] = error_of(lambda: sfn.create_state_machine_alias(
        name="A" * 81, routingConfiguration=routing))
    out["update_missing"] = error_of(lambda: sfn.update_state_machine_alias(
        stateMachineAliasArn=arn + ":nope", description="x"))
    out["describe_missing"] = error_of(lambda: sfn.describe_state_machine_alias(
        stateMachineAliasArn=arn + ":nope"))
    out["delete"] = error_of(lambda: sfn.delete_state_machine_alias(stateMachineAliasArn=alias))
    out["delete_again"] = error_of(
        lambda: sfn.delete_state_machine_alias(stateMachineAliasArn=alias))
    out["delete_version_after"] = error_of(
        lambda: sfn.delete_state_machine_version(stateMachineVersionArn=v2))
    out["list_after"] = ok(sfn.list_state_machine_aliases(stateMachineArn=arn))
    return out


def validate():
    out = {}
    out["ok"] = ok(sfn.validate_state_machine_definition(definition=PASS))
    out["no_start_at"] = ok(sfn.validate_state_machine_definition(
        definition=json.dumps({"States": {"StartState": {"Type": "Pass", "End": True}}}),
        type="EXPRESS"))
    out["empty_dict"] = ok(sfn.validate_state_machine_definition(definition="{}"))
    out["blank"] = ok(sfn.validate_state_machine_definition(definition=" ", type="STANDARD"))
    out["not_json"] = ok(sfn.validate_state_machine_definition(definition="not a definition"))
    out["express_wftt"] = ok(sfn.validate_state_machine_definition(type="EXPRESS", definition=(
        json.dumps({"StartAt": "S", "States": {"S": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.QueueUrl", "MessageBody": {"TaskToken.$": "$$.Task.Token"}},
            "End": True}}}))))
    many = {"StartAt": "S0", "States": {f"S{i}": {"Type": "Pass", "Next": f"Missing{i}"}
                                        for i in range(5)}}
    out["truncated"] = ok(sfn.validate_state_machine_definition(
        definition=json.dumps(many), maxResults=2))
    out["max_results_too_large"] = error_of(lambda: sfn.validate_state_machine_definition(
        definition=PASS, maxResults=101))
    out["empty"] = error_of(lambda: raw.validate_state_machine_definition(definition=""))
    return out


def logging_tracing():
    out = {}
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:stepfn-test:*"
    logging = {"level": "ERROR", "includeExecutionData": True,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}]}
    arn = create("logged", loggingConfiguration=logging,
                 tracingConfiguration={"enabled": True})["stateMachineArn"]
    out["describe"] = ok(sfn.describe_state_machine(stateMachineArn=arn))
    out["empty_logging"] = ok(create("logged_empty", loggingConfiguration={}))
    out["describe_empty"] = ok(sfn.describe_state_machine(
        stateMachineArn=out["empty_logging"]["stateMachineArn"]))
    two = dict(logging, destinations=logging["destinations"] * 2)
    out["two_destinations"] = error_of(lambda: sfn.update_state_machine(
        stateMachineArn=arn, loggingConfiguration=two))
    out["update_logging"] = ok(sfn.update_state_machine(
        stateMachineArn=arn, loggingConfiguration={"level": "OFF"}))
    out["describe_updated"] = ok(sfn.describe_state_machine(stateMachineArn=arn))
    out["bad_level"] = error_of(lambda: raw.create_state_machine(
        name="lv", definition=PASS, roleArn=ROLE_ARN, loggingConfiguration={"level": "LOUD"}))
    return out


emit(globals()[ARGS[0]]())
