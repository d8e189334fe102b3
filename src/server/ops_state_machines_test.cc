// CreateStateMachine ... ValidateStateMachineDefinition, driven with real clients (boto3, the aws
// CLI, the JS SDK) against a TestServer (testing.h). Scripts are in testdata/; each boto3
// scenario prints what every call answered and the test checks it. Tests skip when a client is
// not installed.
#include <gtest/gtest.h>

#include <string>

#include "server/testing.h"

namespace stepfn::server {
namespace {

using namespace testing;

constexpr char kPrefix[] = "arn:aws:states:us-east-1:123456789012:";

// Runs one scenario of sm_boto3.py against a fresh server (memory store unless said).
json::Value Scenario(const std::string& scenario, StoreKind store = StoreKind::Memory) {
  TestServer server({.store = store});
  ScriptResult out = RunPythonScript(TestdataPath("sm_boto3.py"), server.endpoint(), scenario);
  EXPECT_TRUE(out.ok()) << out.output;
  return out.json;
}

std::string Code(const json::Value& out, std::string_view key) { return StrAt(out, {key, "code"}); }
std::string Message(const json::Value& out, std::string_view key) {
  return StrAt(out, {key, "message"});
}

#define REQUIRE_BOTO3() \
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed"

TEST(Harness, ServesBoto3OverBothStores) {
  REQUIRE_BOTO3();
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    TestServer server({.store = kind});
    ScriptResult out = RunPythonScript(TestdataPath("harness_boto3.py"), server.endpoint());
    ASSERT_TRUE(out.ok()) << out.output;
    EXPECT_NE(At(out.json, {"list_activities"}), nullptr) << out.output;
    EXPECT_NE(StrAt(out.json, {"unknown", "code"}), "<missing>") << out.output;
  }
}

TEST(StateMachines, Lifecycle) {
  REQUIRE_BOTO3();
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("lifecycle", kind);
    const std::string arn = std::string(kPrefix) + "stateMachine:lifecycle";
    EXPECT_EQ(StrAt(out, {"create", "stateMachineArn"}), arn);
    ASSERT_NE(At(out, {"create", "creationDate"}), nullptr);
    EXPECT_TRUE(At(out, {"create", "creationDate"})->is_number());
    EXPECT_EQ(At(out, {"create", "stateMachineVersionArn"}), nullptr);
    EXPECT_EQ(StrAt(out, {"describe", "name"}), "lifecycle");
    EXPECT_EQ(StrAt(out, {"describe", "status"}), "ACTIVE");
    EXPECT_EQ(StrAt(out, {"describe", "type"}), "STANDARD");
    EXPECT_EQ(StrAt(out, {"describe", "roleArn"}), "arn:aws:iam::123456789012:role/stepfn-test");
    EXPECT_EQ(StrAt(out, {"describe", "loggingConfiguration", "level"}), "OFF");
    EXPECT_EQ(StrAt(out, {"describe", "loggingConfiguration", "includeExecutionData"}), "false");
    EXPECT_EQ(StrAt(out, {"describe", "tracingConfiguration", "enabled"}), "false");
    // A machine never updated has no revisionId (as AWS).
    EXPECT_EQ(At(out, {"describe", "revisionId"}), nullptr);
    EXPECT_EQ(StrAt(out, {"describe_metadata", "ok"}), "true");
    EXPECT_EQ(At(out, {"list", "stateMachines"})->size(), 1u);
    const std::string revision = StrAt(out, {"update", "revisionId"});
    EXPECT_EQ(revision.size(), 36u) << revision;
    EXPECT_EQ(StrAt(out, {"describe_updated", "revisionId"}), revision);
    EXPECT_NE(StrAt(out, {"describe_updated", "definition"}).find("BASE_PASS_RESULT-R2"),
              std::string::npos);
    // The same definition again changes nothing: the revision stays.
    EXPECT_EQ(StrAt(out, {"update_same", "revisionId"}), revision);
    EXPECT_EQ(Code(out, "update_nothing"), "MissingRequiredParameter");
    EXPECT_EQ(StrAt(out, {"tags", "tags"}), "<not a string>");
    EXPECT_EQ(At(out, {"tags", "tags"})->size(), 1u);
    EXPECT_EQ(StrAt(out, {"delete", "ok"}), "true");
    EXPECT_EQ(Code(out, "describe_deleted"), "StateMachineDoesNotExist");
    EXPECT_EQ(Message(out, "describe_deleted"), "State Machine Does Not Exist: '" + arn + "'");
    EXPECT_EQ(StrAt(out, {"delete_again", "ok"}), "true");
    EXPECT_EQ(At(out, {"list_after", "stateMachines"})->size(), 0u);
  }
}

TEST(StateMachines, CreateErrors) {
  REQUIRE_BOTO3();
  json::Value out = Scenario("create_errors");
  EXPECT_EQ(Code(out, "invalid_name"), "InvalidName");
  EXPECT_EQ(Message(out, "invalid_name"), "Invalid Name: 'bad name'");
  EXPECT_EQ(Code(out, "invalid_name_char"), "InvalidName");
  EXPECT_EQ(Message(out, "long_name"), "1 validation error detected: Value '" +
                                           std::string(81, 'a') +
                                           "' at 'name' failed to satisfy constraint: Member "
                                           "must have length less than or equal to 80");
  // Recorded from AWS (shared/conformance/aws-recorded/validation).
  EXPECT_EQ(Code(out, "invalid_definition"), "InvalidDefinition");
  EXPECT_EQ(Message(out, "invalid_definition"),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
            "required: [States] at /'");
  EXPECT_EQ(Code(out, "not_json"), "InvalidDefinition");
  EXPECT_EQ(Message(out, "express_activity"),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine "
            "does not support Activity ARN at /States/A/Resource'");
  EXPECT_EQ(Code(out, "bad_role"), "InvalidArn");
  EXPECT_EQ(Message(out, "bad_role"), "Invalid Role Arn: 'not-a-role'");
  EXPECT_EQ(Code(out, "version_description_no_publish"), "ValidationException");
  EXPECT_EQ(Message(out, "version_description_no_publish"),
            "Version description can only be set when publish is true");
  EXPECT_EQ(Code(out, "logging_no_destination"), "InvalidLoggingConfiguration");
  EXPECT_EQ(Message(out, "logging_no_destination"),
            "Invalid Logging Configuration: Must specify exactly one Log Destination.");
  EXPECT_EQ(Message(out, "bad_type"),
            "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [STANDARD, EXPRESS]");
  EXPECT_EQ(Message(out, "too_large"),
            "1 validation error detected: Value at 'definition' failed to satisfy constraint: "
            "Member must have length less than or equal to 1048576");
  EXPECT_EQ(Message(out, "missing_role_and_long_name"),
            "2 validation errors detected: Value '" + std::string(81, 'b') +
                "' at 'name' failed to satisfy constraint: Member must have length less than or "
                "equal to 80; Value null at 'roleArn' failed to satisfy constraint: Member must "
                "not be null");
  EXPECT_EQ(Code(out, "too_many_tags"), "TooManyTags");
  EXPECT_EQ(At(out, {"list_after", "stateMachines"})->size(), 0u);
}

TEST(StateMachines, CreateIsIdempotent) {
  REQUIRE_BOTO3();
  json::Value out = Scenario("idempotency");
  const std::string arn = std::string(kPrefix) + "stateMachine:idem";
  EXPECT_EQ(StrAt(out, {"same", "ok"}), "true");
  EXPECT_EQ(StrAt(out, {"same", "response", "stateMachineArn"}), arn);
  ASSERT_NE(At(out, {"same", "response", "creationDate"}), nullptr);
  EXPECT_TRUE(
      At(out, {"same", "response", "creationDate"})->Equals(*At(out, {"first", "creationDate"})));
  // Recorded from AWS: a different definition, even only reformatted, is another machine.
  for (const char* key : {"other_definition", "reformatted_definition", "other_type"}) {
    EXPECT_EQ(Code(out, key), "StateMachineAlreadyExists") << key;
    EXPECT_EQ(Message(out, key), "State Machine Already Exists: '" + arn + "'") << key;
  }
  // Tags of the repeated create are ignored.
  ASSERT_NE(At(out, {"tags", "tags"}), nullptr);
  EXPECT_EQ(At(out, {"tags", "tags"})->size(), 1u);
  EXPECT_EQ(StrAt(*At(out, {"tags", "tags"})->at(0), {"key"}), "a");
}

TEST(StateMachines, ArnErrors) {
  REQUIRE_BOTO3();
  json::Value out = Scenario("arn_errors");
  EXPECT_EQ(Code(out, "not_an_arn"), "InvalidArn");
  EXPECT_EQ(Message(out, "not_an_arn"), "Invalid Arn: 'Invalid ARN prefix: abc'");
  EXPECT_EQ(Message(out, "activity_arn"),
            "Invalid Arn: 'Resource type not valid in this context: activity'");
  EXPECT_EQ(Message(out, "execution_arn"),
            "Invalid Arn: 'Resource type not valid in this context: execution'");
  EXPECT_EQ(Code(out, "missing"), "StateMachineDoesNotExist");
  EXPECT_EQ(Code(out, "long_arn"), "ValidationException");
  EXPECT_NE(Message(out, "long_arn")
                .find("at 'stateMachineArn' failed to satisfy constraint: Member must have "
                      "length less than or equal to 256"),
            std::string::npos);
  EXPECT_EQ(Code(out, "update_missing"), "StateMachineDoesNotExist");
  EXPECT_EQ(Code(out, "publish_missing"), "StateMachineDoesNotExist");
  EXPECT_EQ(Code(out, "aliases_missing"), "StateMachineDoesNotExist");
}

TEST(StateMachines, Pagination) {
  REQUIRE_BOTO3();
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("pagination", kind);
    EXPECT_EQ(StrAt(out, {"pages"}), "3");
    const json::Value* seen = At(out, {"seen"});
    ASSERT_NE(seen, nullptr);
    ASSERT_EQ(seen->size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(seen->at(i)->as_string(), "page-" + std::to_string(i));
    }
    EXPECT_EQ(StrAt(out, {"all_default"}), "5");
    EXPECT_EQ(StrAt(out, {"max_zero"}), "5");
    EXPECT_EQ(At(out, {"paginator"})->size(), 5u);
    EXPECT_EQ(Message(out, "too_many"),
              "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
              "constraint: Member must have value less than or equal to 1000");
    EXPECT_EQ(Code(out, "bad_token"), "InvalidToken");
    EXPECT_EQ(Code(out, "foreign_token"), "InvalidToken");
    EXPECT_EQ(Code(out, "empty_token"), "ValidationException");
  }
}

TEST(StateMachines, Versions) {
  REQUIRE_BOTO3();
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("versions", kind);
    const std::string arn = std::string(kPrefix) + "stateMachine:ver";
    EXPECT_EQ(StrAt(out, {"create", "stateMachineVersionArn"}), arn + ":1");
    EXPECT_EQ(StrAt(out, {"describe_v1", "stateMachineArn"}), arn + ":1");
    EXPECT_EQ(StrAt(out, {"describe_v1", "name"}), "ver");
    EXPECT_EQ(StrAt(out, {"describe_v1", "description"}), "first");
    EXPECT_EQ(At(out, {"describe_v1", "revisionId"}), nullptr);
    EXPECT_EQ(At(out, {"describe_machine", "description"}), nullptr);
    // Nothing changed since version 1: publishing returns it.
    EXPECT_EQ(StrAt(out, {"publish_same", "stateMachineVersionArn"}), arn + ":1");
    EXPECT_EQ(StrAt(out, {"update_publish", "stateMachineVersionArn"}), arn + ":2");
    const std::string revision = StrAt(out, {"update_publish", "revisionId"});
    EXPECT_EQ(StrAt(out, {"describe_v2", "revisionId"}), revision);
    EXPECT_EQ(StrAt(out, {"describe_v2", "description"}), "second");
    const json::Value* listed = At(out, {"list", "stateMachineVersions"});
    ASSERT_NE(listed, nullptr);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ(StrAt(*listed->at(0), {"stateMachineVersionArn"}), arn + ":2");  // newest first
    EXPECT_EQ(StrAt(*listed->at(1), {"stateMachineVersionArn"}), arn + ":1");
    EXPECT_EQ(At(out, {"list_page", "stateMachineVersions"})->size(), 1u);
    EXPECT_EQ(
        StrAt(*At(out, {"list_page_2", "stateMachineVersions"})->at(0), {"stateMachineVersionArn"}),
        arn + ":1");
    EXPECT_EQ(At(out, {"list_page_2", "nextToken"}), nullptr);
    EXPECT_EQ(Code(out, "publish_stale_revision"), "ConflictException");
    EXPECT_EQ(Message(out, "publish_stale_revision"),
              "Failed to publish the State Machine version for revision " + revision +
                  ". The current State Machine revision is " +
                  StrAt(out, {"update_3", "revisionId"}) + ".");
    EXPECT_EQ(StrAt(out, {"publish_current_revision", "stateMachineVersionArn"}), arn + ":3");
    EXPECT_EQ(StrAt(out, {"delete_v3", "ok"}), "true");
    EXPECT_EQ(StrAt(out, {"delete_v3_again", "ok"}), "true");
    EXPECT_EQ(Code(out, "describe_v3"), "StateMachineDoesNotExist");
    // Version numbers are never reused.
    EXPECT_EQ(StrAt(out, {"publish_after_delete", "stateMachineVersionArn"}), arn + ":4");
    EXPECT_EQ(Code(out, "update_version_arn"), "StateMachineDoesNotExist");
    EXPECT_EQ(Message(out, "update_version_arn"), "State Machine Does Not Exist: '" + arn + ":2'");
    EXPECT_EQ(Code(out, "delete_version_unqualified"), "InvalidArn");
    EXPECT_EQ(Code(out, "delete_machine_with_version_arn"), "ValidationException");
    EXPECT_EQ(StrAt(out, {"delete_machine", "ok"}), "true");
    EXPECT_EQ(Code(out, "describe_v1_after"), "StateMachineDoesNotExist");
    EXPECT_EQ(At(out, {"list_after", "stateMachineVersions"})->size(), 0u);
  }
}

TEST(StateMachines, Aliases) {
  REQUIRE_BOTO3();
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("aliases", kind);
    const std::string arn = std::string(kPrefix) + "stateMachine:ali";
    EXPECT_EQ(StrAt(out, {"create", "stateMachineAliasArn"}), arn + ":prod");
    EXPECT_TRUE(
        At(out, {"create_again", "creationDate"})->Equals(*At(out, {"create", "creationDate"})));
    // AWS's recorded messages (its test snapshots) from here on.
    EXPECT_EQ(Code(out, "create_conflict"), "ConflictException");
    EXPECT_EQ(Message(out, "create_conflict"),
              "Failed to create alias because an alias with the same name and a different "
              "routing configuration already exists.");
    EXPECT_EQ(StrAt(out, {"describe", "name"}), "prod");
    EXPECT_EQ(StrAt(out, {"describe", "description"}), "d");
    EXPECT_TRUE(
        At(out, {"describe", "updateDate"})->Equals(*At(out, {"describe", "creationDate"})));
    EXPECT_EQ(StrAt(*At(out, {"describe", "routingConfiguration"})->at(0), {"weight"}), "100");
    EXPECT_EQ(StrAt(out, {"describe_machine_via_alias", "stateMachineArn"}), arn);
    EXPECT_EQ(At(out, {"describe_updated", "routingConfiguration"})->size(), 2u);
    EXPECT_EQ(At(out, {"list", "stateMachineAliases"})->size(), 1u);
    EXPECT_EQ(Code(out, "delete_referenced_version"), "ConflictException");
    EXPECT_EQ(Message(out, "delete_referenced_version"),
              "Version to be deleted must not be referenced by an alias. Current list of aliases "
              "referencing this version: [prod]");
    EXPECT_EQ(Message(out, "sum"),
              "Sum of routing configuration weights must equal 100. Received: [70, 29]");
    EXPECT_EQ(Message(out, "duplicate"),
              "Routing configuration must contain distinct state machine version ARNs. "
              "Received: [" +
                  arn + ":1, " + arn + ":1]");
    EXPECT_EQ(
        Message(out, "not_version"),
        "Routing configuration must contain state machine version ARNs. Received: [" + arn + "]");
    EXPECT_EQ(Message(out, "too_many"),
              "1 validation error detected: Value '[RoutingConfigurationListItem("
              "stateMachineVersionArn=" +
                  arn +
                  ":1, weight=50), RoutingConfigurationListItem(stateMachineVersionArn=" + arn +
                  ":2, weight=30), RoutingConfigurationListItem(stateMachineVersionArn=" + arn +
                  ":3, weight=20)]' at 'routingConfiguration' failed to satisfy constraint: "
                  "Member must have length less than or equal to 2");
    EXPECT_EQ(Message(out, "weight_too_large"),
              "1 validation error detected: Value '101' at "
              "'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must "
              "have value less than or equal to 100");
    EXPECT_EQ(Code(out, "missing_version"), "ResourceNotFound");
    const std::string pattern =
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$";
    EXPECT_EQ(Message(out, "name_digits"),
              "1 validation error detected: Value '123' at 'name' " + pattern);
    EXPECT_EQ(Message(out, "name_space"),
              "1 validation error detected: Value 'INVALID ALIAS' at 'name' " + pattern);
    EXPECT_EQ(Code(out, "name_long"), "ValidationException");
    EXPECT_EQ(Code(out, "update_missing"), "ResourceNotFound");
    EXPECT_EQ(Message(out, "update_missing"), "Request references a resource that does not exist.");
    EXPECT_EQ(Code(out, "describe_missing"), "ResourceNotFound");
    EXPECT_EQ(StrAt(out, {"delete", "ok"}), "true");
    EXPECT_EQ(StrAt(out, {"delete_again", "ok"}), "true");
    EXPECT_EQ(StrAt(out, {"delete_version_after", "ok"}), "true");
    EXPECT_EQ(At(out, {"list_after", "stateMachineAliases"})->size(), 0u);
  }
}

TEST(StateMachines, ValidateStateMachineDefinition) {
  REQUIRE_BOTO3();
  json::Value out = Scenario("validate");
  EXPECT_EQ(StrAt(out, {"ok", "result"}), "OK");
  EXPECT_EQ(At(out, {"ok", "diagnostics"})->size(), 0u);
  EXPECT_EQ(StrAt(out, {"ok", "truncated"}), "false");
  // As recorded from AWS.
  EXPECT_EQ(StrAt(out, {"no_start_at", "result"}), "FAIL");
  const json::Value* d = At(out, {"no_start_at", "diagnostics"})->at(0);
  EXPECT_EQ(StrAt(*d, {"code"}), "SCHEMA_VALIDATION_FAILED");
  EXPECT_EQ(StrAt(*d, {"message"}), "These fields are required: [StartAt]");
  EXPECT_EQ(StrAt(*d, {"location"}), "/");
  EXPECT_EQ(StrAt(*d, {"severity"}), "ERROR");
  EXPECT_EQ(StrAt(*At(out, {"empty_dict", "diagnostics"})->at(0), {"message"}),
            "These fields are required: [States, StartAt]");
  const json::Value* blank = At(out, {"blank", "diagnostics"})->at(0);
  EXPECT_EQ(StrAt(*blank, {"message"}), "Definition must be a valid JSON object");
  EXPECT_EQ(At(*blank, {"location"}), nullptr);  // AWS sends none
  EXPECT_EQ(StrAt(*At(out, {"not_json", "diagnostics"})->at(0), {"code"}),
            "INVALID_JSON_DESCRIPTION");
  EXPECT_EQ(StrAt(*At(out, {"express_wftt", "diagnostics"})->at(0), {"message"}),
            "Express state machine does not support '.waitForTaskToken' service integration ");
  EXPECT_EQ(At(out, {"truncated", "diagnostics"})->size(), 2u);
  EXPECT_EQ(StrAt(out, {"truncated", "truncated"}), "true");
  EXPECT_EQ(Code(out, "max_results_too_large"), "ValidationException");
  EXPECT_EQ(Code(out, "empty"), "ValidationException");
}

TEST(StateMachines, LoggingAndTracing) {
  REQUIRE_BOTO3();
  json::Value out = Scenario("logging_tracing");
  EXPECT_EQ(StrAt(out, {"describe", "loggingConfiguration", "level"}), "ERROR");
  EXPECT_EQ(StrAt(out, {"describe", "loggingConfiguration", "includeExecutionData"}), "true");
  const json::Value* destinations = At(out, {"describe", "loggingConfiguration", "destinations"});
  ASSERT_NE(destinations, nullptr);
  EXPECT_EQ(StrAt(*destinations->at(0), {"cloudWatchLogsLogGroup", "logGroupArn"}),
            "arn:aws:logs:us-east-1:123456789012:log-group:stepfn-test:*");
  EXPECT_EQ(StrAt(out, {"describe", "tracingConfiguration", "enabled"}), "true");
  EXPECT_EQ(StrAt(out, {"describe_empty", "loggingConfiguration", "level"}), "OFF");
  EXPECT_EQ(Code(out, "two_destinations"), "InvalidLoggingConfiguration");
  EXPECT_EQ(StrAt(out, {"describe_updated", "loggingConfiguration", "level"}), "OFF");
  EXPECT_EQ(At(out, {"describe_updated", "loggingConfiguration", "destinations"}), nullptr);
  EXPECT_EQ(StrAt(out, {"describe_updated", "tracingConfiguration", "enabled"}), "true");
  EXPECT_EQ(Message(out, "bad_level"),
            "1 validation error detected: Value 'LOUD' at 'loggingConfiguration.level' failed to "
            "satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]");
}

TEST(StateMachines, AwsCli) {
  if (!HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  TestServer server;
  const std::string definition =
      ShellQuote(R"({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})");
  CommandResult created = RunAwsCli(
      server.endpoint(), "create-state-machine --name cli-machine --definition " + definition +
                             " --role-arn arn:aws:iam::123456789012:role/r --publish");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto parsed = json::Parse(created.output);
  ASSERT_TRUE(parsed.ok()) << created.output;
  const std::string arn = std::string(kPrefix) + "stateMachine:cli-machine";
  EXPECT_EQ(StrAt(*parsed, {"stateMachineArn"}), arn);
  EXPECT_EQ(StrAt(*parsed, {"stateMachineVersionArn"}), arn + ":1");

  CommandResult described = RunAwsCli(server.endpoint(),
                                      "describe-state-machine "
                                      "--state-machine-arn " +
                                          arn);
  ASSERT_EQ(described.exit_code, 0) << described.output;
  auto description = json::Parse(described.output);
  ASSERT_TRUE(description.ok()) << described.output;
  EXPECT_EQ(StrAt(*description, {"status"}), "ACTIVE");
  // aws CLI v1 prints timestamps as sent (epoch seconds); v2 as ISO 8601 text.
  const json::Value* created_at = At(*description, {"creationDate"});
  ASSERT_NE(created_at, nullptr) << described.output;
  EXPECT_TRUE(created_at->is_number() ||
              (created_at->is_string() && created_at->as_string().find('T') != std::string::npos))
      << described.output;

  CommandResult listed = RunAwsCli(server.endpoint(),
                                   "list-state-machine-versions "
                                   "--state-machine-arn " +
                                       arn);
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find(arn + ":1"), std::string::npos) << listed.output;

  CommandResult missing = RunAwsCli(server.endpoint(),
                                    "describe-state-machine "
                                    "--state-machine-arn " +
                                        std::string(kPrefix) + "stateMachine:nope");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("(StateMachineDoesNotExist)"), std::string::npos) << missing.output;

  CommandResult bad =
      RunAwsCli(server.endpoint(), "create-state-machine --name 'bad name' --definition " +
                                       definition + " --role-arn arn:aws:iam::123456789012:role/r");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("(InvalidName)"), std::string::npos) << bad.output;

  CommandResult validated =
      RunAwsCli(server.endpoint(), "validate-state-machine-definition --definition '{}'");
  ASSERT_EQ(validated.exit_code, 0) << validated.output;
  EXPECT_NE(validated.output.find("\"FAIL\""), std::string::npos) << validated.output;
}

TEST(StateMachines, JavaScriptSdk) {
  if (NodeSdkRoot().empty()) {
    GTEST_SKIP() << "node or @aws-sdk/client-sfn is not installed (STEPFN_NODE_SDK_ROOT)";
  }
  TestServer server;
  ScriptResult out = RunNodeScript(TestdataPath("sm_sdk.mjs"), server.endpoint());
  ASSERT_TRUE(out.ok()) << out.output;
  const std::string arn = std::string(kPrefix) + "stateMachine:js-machine";
  EXPECT_EQ(StrAt(out.json, {"arn"}), arn);
  EXPECT_EQ(StrAt(out.json, {"version"}), arn + ":1");
  EXPECT_EQ(StrAt(out.json, {"creationDateIsDate"}), "true");
  EXPECT_GE(std::stoi(StrAt(out.json, {"creationYear"})), 2024);
  EXPECT_EQ(StrAt(out.json, {"name"}), "js-machine");
  EXPECT_EQ(StrAt(out.json, {"status"}), "ACTIVE");
  EXPECT_EQ(StrAt(out.json, {"errorName"}), "StateMachineDoesNotExist");
  EXPECT_EQ(StrAt(out.json, {"errorIsModeled"}), "true");
  EXPECT_EQ(StrAt(out.json, {"invalidName"}), "InvalidName");
}

}  // namespace
}  // namespace stepfn::server
