#include "services/logs/logs_api.h"

#include <gtest/gtest.h>

#include "api/raw_client_testing.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::logs {
namespace {

using api::testing::CommandResult;
using api::testing::RunCommand;

class LogsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    protocol_ =
        std::make_unique<api::AwsJsonProtocol>(LogsProtocolOptions(), &credentials_, &clock_);
    RegisterLogsOperations(&store_, {}, protocol_.get());
    api::HttpServerOptions options;
    options.threads = 2;
    auto server = api::HttpServer::Start(options, protocol_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    endpoint_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_->Stop(); }

  CommandResult Aws(const std::string& args) {
    return RunCommand(
        "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "
        "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 "
        "aws logs " +
        args + " --endpoint-url " + endpoint_ + " --output json 2>&1");
  }

  SystemClock clock_;
  api::Credentials credentials_ = api::Credentials::AllowAll();
  LogStore store_{&clock_};
  std::unique_ptr<api::AwsJsonProtocol> protocol_;
  std::unique_ptr<api::HttpServer> server_;
  std::string endpoint_;
};

std::string Json(const json::Value* v) { return v == nullptr ? "<missing>" : json::Write(*v); }

TEST_F(LogsApiTest, Boto3) {
  if (!api::testing::PythonHas("boto3")) GTEST_SKIP() << "boto3 is not installed";
  CommandResult run =
      RunCommand("python3 " STEPFN_LOGS_TESTDATA "/logs_boto3.py " + endpoint_ + " 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto parsed = json::Parse(run.output);
  ASSERT_TRUE(parsed.ok()) << run.output;
  const json::Value& out = *parsed;
  EXPECT_EQ(Json(out.find("exists")),
            R"({"code":"ResourceAlreadyExistsException","message":"The specified log group )"
            R"(already exists","status":400})");
  EXPECT_EQ(Json(out.find("missing_group")),
            R"({"code":"ResourceNotFoundException","message":"The specified log group does not )"
            R"(exist.","status":400})");
  EXPECT_EQ(Json(out.find("missing_stream")),
            R"({"code":"ResourceNotFoundException","message":"The specified log stream does not )"
            R"(exist.","status":400})");
  EXPECT_NE(Json(out.find("bad_name")).find("InvalidParameterException"), std::string::npos);
  EXPECT_NE(Json(out.find("stream_exists")).find("ResourceAlreadyExistsException"),
            std::string::npos);
  EXPECT_NE(Json(out.find("bad_retention")).find("InvalidParameterException"), std::string::npos);
  EXPECT_NE(Json(out.find("unordered")).find("chronological order"), std::string::npos);
  EXPECT_EQ(Json(out.find("group_pages")), "[3,3,1]");
  EXPECT_EQ(Json(out.find("group_arn")),
            R"("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn0:*")");
  EXPECT_EQ(Json(out.find("retention")), "7");
  EXPECT_EQ(Json(out.find("streams_by_time")), R"(["a","b","c"])");
  EXPECT_EQ(Json(out.find("streams_paged")), "[2,1]");
  auto messages = [](int from, int to) {
    std::string s = "[";
    for (int i = from; i < to; ++i) {
      if (i > from) s += ",";
      s += "\"a" + std::to_string(i) + (i % 2 ? " ERROR x\"" : " INFO\"");
    }
    return s + "]";
  };
  EXPECT_EQ(Json(out.find("get_default")), messages(15, 25));
  EXPECT_EQ(Json(out.find("get_back")), messages(5, 15));
  EXPECT_EQ(Json(out.find("get_head")), messages(0, 10));
  EXPECT_EQ(Json(out.find("get_forward")), messages(10, 20));
  EXPECT_EQ(Json(out.find("get_all")), "25");
  EXPECT_EQ(Json(out.find("get_window")), messages(5, 8));
  EXPECT_EQ(Json(out.find("filter_error")), "12");
  EXPECT_EQ(Json(out.find("filter_event_fields")),
            R"(["eventId","ingestionTime","logStreamName","message","timestamp"])");
  EXPECT_EQ(Json(out.find("filter_phrase")), R"(["b first"])");
  EXPECT_EQ(Json(out.find("filter_streams")), "1");
  EXPECT_EQ(Json(out.find("filter_prefix")), "25");
  EXPECT_EQ(Json(out.find("filter_pages")), "[10,10,6]");
  EXPECT_EQ(Json(out.find("filter_time")), R"(["b first","a0 INFO"])");
  EXPECT_NE(Json(out.find("filter_missing")).find("ResourceNotFoundException"), std::string::npos);
  EXPECT_NE(Json(out.find("json_pattern")).find("InvalidParameterException"), std::string::npos);
  EXPECT_EQ(Json(out.find("after_delete")), R"(["a","b"])");
}

TEST_F(LogsApiTest, AwsCli) {
  if (RunCommand("aws --version >/dev/null 2>&1").exit_code != 0) {
    GTEST_SKIP() << "the aws CLI is not installed";
  }
  EpochMillis now = clock_.NowMillis();
  ASSERT_TRUE(store_
                  .Append("/aws/lambda/hello", "2026/11/26/[$LATEST]0123",
                          {{now - 10, "START RequestId: 1"},
                           {now - 5, "hello world"},
                           {now, "END RequestId: 1"}})
                  .ok());
  CommandResult groups = Aws("describe-log-groups --log-group-name-prefix /aws/lambda/");
  ASSERT_EQ(groups.exit_code, 0) << groups.output;
  EXPECT_NE(groups.output.find("\"logGroupName\": \"/aws/lambda/hello\""), std::string::npos)
      << groups.output;
  CommandResult events =
      Aws("get-log-events --log-group-name /aws/lambda/hello --log-stream-name "
          "'2026/11/26/[$LATEST]0123' --start-from-head");
  ASSERT_EQ(events.exit_code, 0) << events.output;
  EXPECT_NE(events.output.find("\"message\": \"hello world\""), std::string::npos) << events.output;
  EXPECT_NE(events.output.find("nextForwardToken"), std::string::npos) << events.output;
  CommandResult filtered =
      Aws("filter-log-events --log-group-name /aws/lambda/hello --filter-pattern RequestId");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.output;
  auto parsed = json::Parse(filtered.output);
  ASSERT_TRUE(parsed.ok()) << filtered.output;
  ASSERT_NE(parsed->find("events"), nullptr);
  EXPECT_EQ(parsed->find("events")->size(), 2u);
  CommandResult missing = Aws("describe-log-streams --log-group-name /nope");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("(ResourceNotFoundException) when calling the DescribeLogStreams "
                                "operation: The specified log group does not exist."),
            std::string::npos)
      << missing.output;
}

}  // namespace
}  // namespace stepfn::logs
