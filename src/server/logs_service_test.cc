// CloudWatch Logs in `stepfn serve`: the API on the server's port, over the same LogStore as the
// execution logs and Lambda's logs, persisted under <data-dir>/logs across a restart.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

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

}  // namespace
}  // namespace stepfn::server
