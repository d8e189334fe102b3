// CreateActivity, DescribeActivity, DeleteActivity, ListActivities driven with boto3 and the aws
// CLI against a TestServer (testing.h); scripts in testdata/activities_boto3.py.
#include <gtest/gtest.h>

#include <string>

#include "server/testing.h"

namespace stepfn::server {
namespace {

using namespace testing;

json::Value Scenario(const std::string& scenario, StoreKind store = StoreKind::Memory) {
  TestServer server({.store = store});
  ScriptResult out =
      RunPythonScript(TestdataPath("activities_boto3.py"), server.endpoint(), scenario);
  EXPECT_TRUE(out.ok()) << out.output;
  return out.json;
}

TEST(Activities, Lifecycle) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("lifecycle", kind);
    const std::string arn = "arn:aws:states:us-east-1:123456789012:activity:worker";
    EXPECT_EQ(StrAt(out, {"create", "activityArn"}), arn);
    ASSERT_NE(At(out, {"create", "creationDate"}), nullptr);
    // Idempotent: the same activity, its creation date and its first tags.
    EXPECT_EQ(StrAt(out, {"create_again", "activityArn"}), arn);
    EXPECT_TRUE(
        At(out, {"create_again", "creationDate"})->Equals(*At(out, {"create", "creationDate"})));
    EXPECT_EQ(StrAt(out, {"describe", "name"}), "worker");
    EXPECT_EQ(StrAt(out, {"describe", "activityArn"}), arn);
    ASSERT_EQ(At(out, {"tags", "tags"})->size(), 1u);
    EXPECT_EQ(StrAt(*At(out, {"tags", "tags"})->at(0), {"key"}), "k");
    EXPECT_EQ(At(out, {"list", "activities"})->size(), 1u);
    EXPECT_EQ(StrAt(out, {"delete", "ok"}), "true");
    // Recorded from AWS (its test snapshots).
    EXPECT_EQ(StrAt(out, {"describe_deleted", "code"}), "ActivityDoesNotExist");
    EXPECT_EQ(StrAt(out, {"describe_deleted", "message"}),
              "Activity Does Not Exist: '" + arn + "'");
    EXPECT_EQ(StrAt(out, {"delete_again", "ok"}), "true");
    EXPECT_EQ(At(out, {"list_after", "activities"})->size(), 0u);
  }
}

TEST(Activities, Errors) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  json::Value out = Scenario("errors");
  EXPECT_EQ(StrAt(out, {"invalid_name", "code"}), "InvalidName");
  EXPECT_EQ(StrAt(out, {"invalid_name", "message"}), "Invalid Name: 'TestActivity InvalidName$'");
  EXPECT_EQ(StrAt(out, {"long_name", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(out, {"not_an_arn", "message"}), "Invalid Arn: 'Invalid ARN prefix: worker'");
  EXPECT_EQ(StrAt(out, {"state_machine_arn", "message"}),
            "Invalid Arn: 'Resource type not valid in this context: stateMachine'");
  EXPECT_EQ(StrAt(out, {"delete_bad_arn", "code"}), "InvalidArn");
  EXPECT_EQ(StrAt(out, {"too_many_tags", "code"}), "TooManyTags");
  EXPECT_EQ(StrAt(out, {"long_tag_key", "message"}),
            "1 validation error detected: Value '" + std::string(129, 'k') +
                "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length "
                "less than or equal to 128");
  EXPECT_EQ(StrAt(out, {"list_too_many", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(out, {"list_bad_token", "code"}), "InvalidToken");
}

TEST(Activities, Pagination) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("pagination", kind);
    EXPECT_EQ(StrAt(out, {"pages"}), "3");
    const json::Value* names = At(out, {"names"});
    ASSERT_NE(names, nullptr);
    ASSERT_EQ(names->size(), 7u);
    for (size_t i = 0; i < 7; ++i) EXPECT_EQ(names->at(i)->as_string(), "act-" + std::to_string(i));
    EXPECT_EQ(At(out, {"paginator"})->size(), 7u);
  }
}

TEST(Activities, AwsCli) {
  if (!HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  TestServer server;
  CommandResult created = RunAwsCli(server.endpoint(), "create-activity --name cli-worker");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_NE(created.output.find("arn:aws:states:us-east-1:123456789012:activity:cli-worker"),
            std::string::npos)
      << created.output;
  CommandResult listed = RunAwsCli(server.endpoint(), "list-activities");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("cli-worker"), std::string::npos) << listed.output;
  CommandResult missing = RunAwsCli(server.endpoint(),
                                    "describe-activity --activity-arn "
                                    "arn:aws:states:us-east-1:123456789012:activity:missing");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("(ActivityDoesNotExist)"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace stepfn::server
