// RequestReader and the request helpers: AWS's wording of constraint violations, ARN, name and
// token errors, timestamps.
#include "server/request.h"

#include <gtest/gtest.h>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::server {
namespace {

json::Value Json(std::string_view text) {
  auto v = json::Parse(text);
  STEPFN_CHECK(v.ok());
  return *v;
}

TEST(RequestReader, ReadsMembersAndAcceptsAbsentOnes) {
  json::Value in = Json(R"({"name": "m", "maxResults": 5, "publish": true, "type": "EXPRESS"})");
  RequestReader r(in);
  EXPECT_EQ(r.String("name", 1, 80, Presence::Required), "m");
  EXPECT_EQ(r.MaxResults(), 5);
  EXPECT_EQ(r.NextToken(), std::nullopt);
  EXPECT_EQ(r.Bool("publish"), true);
  EXPECT_EQ(r.Enum("type", {"STANDARD", "EXPRESS"}), "EXPRESS");
  EXPECT_EQ(r.Struct("loggingConfiguration"), nullptr);
  EXPECT_FALSE(r.Finish().has_value());
}

TEST(RequestReader, OneViolationIsWordedAsAws) {
  std::string long_name(81, 'a');
  json::Value in = Json(R"({"name": ")" + long_name + R"("})");
  RequestReader r(in);
  r.String("name", 1, kMaxNameLength, Presence::Required);
  auto error = r.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "ValidationException");
  EXPECT_EQ(error->http_status, 400);
  EXPECT_EQ(error->message, "1 validation error detected: Value '" + long_name +
                                "' at 'name' failed to satisfy constraint: Member must have "
                                "length less than or equal to 80");
}

TEST(RequestReader, SeveralViolationsAreJoined) {
  json::Value in =
      Json(R"({"maxResults": 1001, "nextToken": "", "type": "FAST", "definition": ""})");
  RequestReader r(in);
  r.String("roleArn", 1, kMaxArnLength, Presence::Required);
  r.MaxResults();
  r.NextToken();
  r.Enum("type", {"STANDARD", "EXPRESS"});
  r.String("definition", 1, kMaxDefinitionLength, Presence::Required, Sensitivity::Sensitive);
  auto error = r.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "5 validation errors detected: "
            "Value null at 'roleArn' failed to satisfy constraint: Member must not be null; "
            "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value "
            "less than or equal to 1000; "
            "Value '' at 'nextToken' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1; "
            "Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy enum value "
            "set: [STANDARD, EXPRESS]; "
            "Value at 'definition' failed to satisfy constraint: Member must have length greater "
            "than or equal to 1");
}

TEST(RequestReader, NestedMembersAreNamedAsAws) {
  std::string long_key(129, 'k');
  json::Value in = Json(R"({"tags": [{"key": "a", "value": "b"}, {"key": ")" + long_key +
                        R"(", "value": "v"}], "loggingConfiguration": {"level": "LOUD"}})");
  RequestReader r(in);
  auto tags = r.Tags("tags");
  ASSERT_TRUE(tags.has_value());
  ASSERT_EQ(tags->size(), 2u);
  EXPECT_EQ((*tags)[0], (Tag{"a", "b"}));
  const json::Value* logging = r.Struct("loggingConfiguration");
  ASSERT_NE(logging, nullptr);
  RequestReader nested = r.Nested(*logging, "loggingConfiguration");
  nested.Enum("level", {"ALL", "ERROR", "FATAL", "OFF"});
  auto error = r.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "2 validation errors detected: Value '" + long_key +
                "' at 'tags.2.member.key' failed to satisfy constraint: Member must have length "
                "less than or equal to 128; Value 'LOUD' at 'loggingConfiguration.level' failed "
                "to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, "
                "OFF]");
}

TEST(RequestReader, WrongTypesAreSerializationErrors) {
  {
    json::Value in = Json(R"({"maxResults": "ten", "name": ""})");
    RequestReader r(in);
    r.String("name", 1, 80);
    r.MaxResults();
    auto error = r.Finish();
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "SerializationException");
    EXPECT_EQ(error->message, "STRING_VALUE can not be converted to an Integer");
  }
  {
    json::Value in = Json(R"({"name": {"a": 1}})");
    RequestReader r(in);
    r.String("name", 1, 80);
    EXPECT_EQ(r.Finish()->message, "Start of structure or map found where not expected.");
  }
  {
    json::Value in = Json(R"({"publish": "yes"})");
    RequestReader r(in);
    r.Bool("publish");
    EXPECT_EQ(r.Finish()->code, "SerializationException");
  }
}

TEST(RequestReader, LengthsCountUtf16Units) {
  EXPECT_EQ(Utf16Length("abc"), 3u);
  EXPECT_EQ(Utf16Length("\xC3\xA9"), 1u);          // é
  EXPECT_EQ(Utf16Length("\xE2\x82\xAC"), 1u);      // €
  EXPECT_EQ(Utf16Length("\xF0\x9F\x98\x80"), 2u);  // an emoji: a surrogate pair
  std::string eighty_e;
  for (int i = 0; i < 80; ++i) eighty_e += "\xC3\xA9";
  json::Value in = json::Value::Object({{"name", json::Value::String(eighty_e)}});
  RequestReader r(in);
  r.String("name", 1, 80);
  EXPECT_FALSE(r.Finish().has_value());
}

TEST(RequestHelpers, ArnErrors) {
  auto prefix = ParseArnAs("abc", {ArnKind::StateMachine});
  ASSERT_TRUE(std::holds_alternative<api::AwsError>(prefix));
  EXPECT_EQ(std::get<api::AwsError>(prefix).code, "InvalidArn");
  EXPECT_EQ(std::get<api::AwsError>(prefix).message, "Invalid Arn: 'Invalid ARN prefix: abc'");

  auto type =
      ParseArnAs("arn:aws:states:us-east-1:123456789012:activity:a", {ArnKind::StateMachine});
  ASSERT_TRUE(std::holds_alternative<api::AwsError>(type));
  EXPECT_EQ(std::get<api::AwsError>(type).message,
            "Invalid Arn: 'Resource type not valid in this context: activity'");

  auto ok = ParseArnAs("arn:aws:states:us-east-1:123456789012:stateMachine:m:3",
                       {ArnKind::StateMachine, ArnKind::StateMachineVersion});
  ASSERT_TRUE(std::holds_alternative<Arn>(ok));
  EXPECT_EQ(std::get<Arn>(ok).version, 3);

  auto malformed =
      ParseArnAs("arn:aws:states:us-east-1:123456789012:stateMachine", {ArnKind::StateMachine});
  ASSERT_TRUE(std::holds_alternative<api::AwsError>(malformed));
  EXPECT_EQ(std::get<api::AwsError>(malformed).code, "InvalidArn");
}

TEST(RequestHelpers, Names) {
  EXPECT_FALSE(CheckName("good-name_1.x").has_value());
  auto bad = CheckName("bad name");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->code, "InvalidName");
  EXPECT_EQ(bad->message, "Invalid Name: 'bad name'");
}

TEST(RequestHelpers, Timestamps) {
  EXPECT_EQ(json::Write(EpochSeconds(1700000000000)), "1700000000");
  EXPECT_EQ(json::Write(EpochSeconds(1700000000123)), "1700000000.123");
  EXPECT_EQ(json::Write(EpochSeconds(1700000000500)), "1700000000.5");
}

TEST(RequestHelpers, PageTokensAreBoundToTheirListing) {
  std::string token = WrapPageToken("ListActivities", "42:arn:aws:states:x");
  EXPECT_LE(token.size(), kMaxPageTokenLength);
  auto back = UnwrapPageToken("ListActivities", token);
  ASSERT_TRUE(std::holds_alternative<std::string>(back));
  EXPECT_EQ(std::get<std::string>(back), "42:arn:aws:states:x");

  auto other = UnwrapPageToken("ListStateMachines", token);
  ASSERT_TRUE(std::holds_alternative<api::AwsError>(other));
  EXPECT_EQ(std::get<api::AwsError>(other).code, "InvalidToken");
  auto garbage = UnwrapPageToken("ListActivities", std::string("!!not a token!!"));
  ASSERT_TRUE(std::holds_alternative<api::AwsError>(garbage));
  auto absent = UnwrapPageToken("ListActivities", std::nullopt);
  EXPECT_EQ(std::get<std::string>(absent), "");

  EXPECT_EQ(PageSize(std::nullopt), kDefaultPageSize);
  EXPECT_EQ(PageSize(0), kDefaultPageSize);
  EXPECT_EQ(PageSize(7), 7);
}

}  // namespace
}  // namespace stepfn::server
