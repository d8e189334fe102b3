// CloudWatch Logs in `stepfn serve`: the API on the server's port, over the same LogStore as the
// execution logs and Lambda's logs, persisted under <data-dir>/logs across a restart.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "server/server.h"
#include "server/testing.h"

namespace stepfn::server {
namespace {

using testing::CommandResult;

// `aws ARGS` against `endpoint` (any service).
CommandResult Aws(const std::string& endpoint, const std::string& args) {
  return testing::RunCommand(testing::AwsCliEnvironment() + "aws " + args + " --endpoint-url " +
                             endpoint + " --region us-east-1 --output json 2>&1");
}

TEST(LogsService, ServedOnThePortAndKeptAcrossARestart) {
  if (!testing::HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  std::string pattern =
      (std::filesystem::temp_directory_path() / "stepfn-logs-service-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  ServerOptions options;
  options.port = 0;
  options.data_dir = pattern;
  options.fsync = false;
  {
    auto server = Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    // What Lambda's environments write, through the store the server exposes.
    ASSERT_TRUE((*server)
                    ->log_store()
                    ->Append("/aws/lambda/hello", "2026/11/26/[$LATEST]abc",
                             {{1764100000000, "START RequestId: r1"}, {1764100000001, "hi"}})
                    .ok());
    CommandResult put = Aws((*server)->endpoint(), "logs create-log-group --log-group-name /app/x");
    EXPECT_EQ(put.exit_code, 0) << put.output;
    CommandResult filtered =
        Aws((*server)->endpoint(), "logs filter-log-events --log-group-name /aws/lambda/hello");
    EXPECT_EQ(filtered.exit_code, 0) << filtered.output;
    EXPECT_NE(filtered.output.find("\"message\": \"hi\""), std::string::npos) << filtered.output;
    // Step Functions is still there.
    CommandResult machines = Aws((*server)->endpoint(), "stepfunctions list-state-machines");
    EXPECT_EQ(machines.exit_code, 0) << machines.output;
    (*server)->Stop();
  }
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  CommandResult groups = Aws((*server)->endpoint(), "logs describe-log-groups");
  EXPECT_EQ(groups.exit_code, 0) << groups.output;
  EXPECT_NE(groups.output.find("/aws/lambda/hello"), std::string::npos) << groups.output;
  EXPECT_NE(groups.output.find("/app/x"), std::string::npos) << groups.output;
  CommandResult events = Aws((*server)->endpoint(),
                             "logs get-log-events --log-group-name /aws/lambda/hello "
                             "--log-stream-name '2026/11/26/[$LATEST]abc' --start-from-head");
  EXPECT_NE(events.output.find("START RequestId: r1"), std::string::npos) << events.output;
  (*server)->Stop();
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
}

// `aws logs tail GROUP --follow` (version 2 of the CLI) shows the events already there and those
// appended while it follows: it polls FilterLogEvents with startTime and dedupes by eventId.
TEST(LogsService, AwsCliTailFollow) {
  std::string aws = testing::AwsCliV2();
  if (aws.empty()) GTEST_SKIP() << "version 2 of the aws CLI is not installed";
  ServerOptions options;
  options.port = 0;  // data_dir "" keeps everything in memory
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  logs::LogStore* logs = (*server)->log_store();
  ASSERT_TRUE(
      logs->Append("/aws/lambda/tailed", "2026/11/26/[$LATEST]s1", {{now_ms(), "before the tail"}})
          .ok());
  // The CLI polls every few seconds; run it for long enough to see two polls.
  std::string command = testing::AwsCliEnvironment() + "timeout 9 " + aws +
                        " logs tail /aws/lambda/tailed --follow --since 10m --format short"
                        " --endpoint-url " +
                        (*server)->endpoint() + " --region us-east-1 2>&1";
  std::future<testing::CommandResult> tail =
      std::async(std::launch::async, [command] { return testing::RunCommand(command); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(
      logs->Append("/aws/lambda/tailed", "2026/11/26/[$LATEST]s2", {{now_ms(), "while following"}})
          .ok());
  testing::CommandResult out = tail.get();
  // timeout(1) ends the follow with 124; anything else means the CLI gave up on its own.
  EXPECT_EQ(out.exit_code, 124) << out.output;
  size_t before = out.output.find("before the tail");
  size_t during = out.output.find("while following");
  EXPECT_NE(before, std::string::npos) << out.output;
  EXPECT_NE(during, std::string::npos) << out.output;
  EXPECT_LT(before, during) << out.output;
  // Each event once, though several polls saw it.
  EXPECT_EQ(out.output.find("before the tail", before + 1), std::string::npos) << out.output;
  (*server)->Stop();
}

}  // namespace
}  // namespace stepfn::server
