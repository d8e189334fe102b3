// DescribeMapRun, ListMapRuns and UpdateMapRun through a real server and boto3
// (testdata/map_runs_boto3.py).
#include <gtest/gtest.h>

#include <filesystem>

#include "json/write.h"
#include "server/server.h"
#include "server/testing.h"

namespace stepfn::server {
namespace {

using testing::At;
using testing::HasBoto3;
using testing::RunPythonScript;
using testing::StrAt;
using testing::TestdataPath;

TEST(MapRuns, Boto3DescribesListsAndUpdatesRuns) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  std::string dir = (std::filesystem::temp_directory_path() / "stepfn-maprun-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  ServerOptions options;
  options.port = 0;
  options.data_dir = dir;
  options.fsync = false;
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto out = RunPythonScript(TestdataPath("map_runs_boto3.py"), (*server)->endpoint());
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value& r = out.json;

  std::string run = StrAt(r, {"listed", "0", "mapRunArn"});
  EXPECT_EQ(run.rfind("arn:aws:states:us-east-1:123456789012:mapRun:fan/Items:", 0), 0u) << run;
  EXPECT_EQ(StrAt(r, {"listed", "0", "executionArn"}),
            "arn:aws:states:us-east-1:123456789012:execution:fan:slow");
  EXPECT_EQ(StrAt(r, {"listed", "0", "stateMachineArn"}),
            "arn:aws:states:us-east-1:123456789012:stateMachine:fan/Items");
  EXPECT_EQ(StrAt(r, {"started_event", "0", "mapRunArn"}), run);

  // Item 2 waits an hour: two done, one running, one pending.
  EXPECT_EQ(StrAt(r, {"waiting", "status"}), "RUNNING");
  EXPECT_EQ(StrAt(r, {"waiting", "maxConcurrency"}), "1");
  EXPECT_EQ(StrAt(r, {"waiting", "itemCounts", "succeeded"}), "2");
  EXPECT_EQ(StrAt(r, {"waiting", "itemCounts", "running"}), "1");
  EXPECT_EQ(StrAt(r, {"waiting", "itemCounts", "pending"}), "1");
  EXPECT_EQ(StrAt(r, {"waiting", "itemCounts", "total"}), "4");
  EXPECT_EQ(At(r, {"waiting", "stopDate"}), nullptr);

  // UpdateMapRun: item 3 runs beside item 2.
  EXPECT_EQ(StrAt(r, {"update", "ok"}), "true") << json::Write(r);
  EXPECT_EQ(StrAt(r, {"updated", "maxConcurrency"}), "2");
  EXPECT_EQ(StrAt(r, {"updated", "toleratedFailureCount"}), "1");
  EXPECT_EQ(StrAt(r, {"updated", "itemCounts", "succeeded"}), "3");
  EXPECT_EQ(StrAt(r, {"updated", "itemCounts", "pending"}), "0");

  // StopExecution aborts the run with its item.
  EXPECT_EQ(StrAt(r, {"stopped", "status"}), "ABORTED");
  EXPECT_EQ(StrAt(r, {"stopped", "itemCounts", "aborted"}), "1");
  EXPECT_NE(At(r, {"stopped", "stopDate"}), nullptr);

  EXPECT_EQ(StrAt(r, {"finished", "status"}), "SUCCEEDED");
  EXPECT_EQ(StrAt(r, {"finished", "itemCounts", "succeeded"}), "2");
  EXPECT_EQ(StrAt(r, {"finished", "executionCounts", "succeeded"}), "2");
  EXPECT_NE(At(r, {"finished", "stopDate"}), nullptr);
  EXPECT_EQ(At(r, {"page", "nextToken"}), nullptr);  // one run

  EXPECT_EQ(StrAt(r, {"missing_run", "code"}), "ResourceNotFound");
  EXPECT_EQ(StrAt(r, {"bad_arn", "code"}), "InvalidArn");
  EXPECT_EQ(StrAt(r, {"update_missing", "code"}), "ResourceNotFound");
  EXPECT_EQ(StrAt(r, {"bad_percentage", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(r, {"bad_percentage", "message"}),
            "1 validation error detected: Value '150' at 'toleratedFailurePercentage' failed to "
            "satisfy constraint: Member must have value less than or equal to 100");
  EXPECT_EQ(StrAt(r, {"missing_execution", "code"}), "ExecutionDoesNotExist");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stepfn::server
