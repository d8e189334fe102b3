// TagResource, UntagResource, ListTagsForResource driven with boto3 and the aws CLI against a
// TestServer (testing.h); scripts in testdata/tags_boto3.py.
#include <gtest/gtest.h>

#include <string>

#include "server/testing.h"

namespace stepfn::server {
namespace {

using namespace testing;

json::Value Scenario(const std::string& scenario, StoreKind store = StoreKind::Memory) {
  TestServer server({.store = store});
  ScriptResult out = RunPythonScript(TestdataPath("tags_boto3.py"), server.endpoint(), scenario);
  EXPECT_TRUE(out.ok()) << out.output;
  return out.json;
}

TEST(Tags, StateMachine) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    json::Value out = Scenario("state_machine", kind);
    EXPECT_EQ(StrAt(out, {"tag", "ok"}), "true");
    const json::Value* tags = At(out, {"list", "tags"});
    ASSERT_NE(tags, nullptr);
    ASSERT_EQ(tags->size(), 3u);
    EXPECT_EQ(StrAt(*tags->at(0), {"key"}), "a");
    EXPECT_EQ(StrAt(*tags->at(0), {"value"}), "overwritten");
    EXPECT_EQ(StrAt(*tags->at(2), {"key"}), "empty");
    EXPECT_EQ(StrAt(*tags->at(2), {"value"}), "");
    EXPECT_EQ(StrAt(out, {"untag", "ok"}), "true");
    EXPECT_EQ(At(out, {"list_after_untag", "tags"})->size(), 2u);
    // Recorded from AWS (its test snapshots): versions are not taggable.
    EXPECT_EQ(StrAt(out, {"tag_version", "code"}), "ResourceNotFound");
    EXPECT_EQ(StrAt(out, {"tag_version", "message"}),
              "Resource not found: 'arn:aws:states:us-east-1:123456789012:stateMachine:tagged:1'");
    EXPECT_EQ(StrAt(out, {"tag_missing", "code"}), "ResourceNotFound");
    EXPECT_EQ(StrAt(out, {"list_missing", "code"}), "ResourceNotFound");
    EXPECT_EQ(StrAt(out, {"untag_missing", "code"}), "ResourceNotFound");
    EXPECT_EQ(StrAt(out, {"tag_execution", "message"}),
              "Invalid Arn: 'Resource type not valid in this context: execution'");
    EXPECT_EQ(StrAt(out, {"tag_not_arn", "code"}), "InvalidArn");
    // 2 + 48 = 50 tags fit; the 51st does not; overwriting one at 50 does.
    EXPECT_EQ(StrAt(out, {"tag_up_to_50", "ok"}), "true");
    EXPECT_EQ(StrAt(out, {"tag_51", "code"}), "TooManyTags");
    EXPECT_EQ(StrAt(out, {"overwrite_at_50", "ok"}), "true");
    EXPECT_EQ(StrAt(out, {"long_key", "code"}), "ValidationException");
    EXPECT_EQ(StrAt(out, {"long_value", "message"}),
              "1 validation error detected: Value '" + std::string(257, 'v') +
                  "' at 'tags.1.member.value' failed to satisfy constraint: Member must have "
                  "length less than or equal to 256");
    EXPECT_EQ(StrAt(out, {"long_untag_key", "message"}),
              "1 validation error detected: Value '" + std::string(129, 'k') +
                  "' at 'tagKeys.1.member' failed to satisfy constraint: Member must have length "
                  "less than or equal to 128");
    EXPECT_EQ(StrAt(out, {"count"}), "50");
    EXPECT_EQ(StrAt(out, {"list_deleted", "code"}), "ResourceNotFound");
  }
}

TEST(Tags, Activity) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  json::Value out = Scenario("activity");
  EXPECT_EQ(StrAt(out, {"tag", "ok"}), "true");
  ASSERT_EQ(At(out, {"list", "tags"})->size(), 1u);
  EXPECT_EQ(StrAt(*At(out, {"list", "tags"})->at(0), {"value"}), "x");
  EXPECT_EQ(StrAt(out, {"untag", "ok"}), "true");
  EXPECT_EQ(At(out, {"list_after", "tags"})->size(), 0u);
}

TEST(Tags, AwsCli) {
  if (!HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  TestServer server;
  CommandResult created = RunAwsCli(server.endpoint(), "create-activity --name cli-tagged");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string arn = "arn:aws:states:us-east-1:123456789012:activity:cli-tagged";
  CommandResult tagged =
      RunAwsCli(server.endpoint(), "tag-resource --resource-arn " + arn +
                                       " --tags key=team,value=payments key=env,value=dev");
  ASSERT_EQ(tagged.exit_code, 0) << tagged.output;
  CommandResult listed =
      RunAwsCli(server.endpoint(), "list-tags-for-resource --resource-arn " + arn);
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("payments"), std::string::npos) << listed.output;
  CommandResult missing = RunAwsCli(server.endpoint(),
                                    "list-tags-for-resource --resource-arn "
                                    "arn:aws:states:us-east-1:123456789012:stateMachine:none");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("(ResourceNotFound)"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace stepfn::server
