// Executions, callbacks and activities through a real server and boto3
// (testdata/executions_boto3.py); restarts on the same data directory.
#include <gtest/gtest.h>

#include <filesystem>

#include "json/write.h"
#include "server/server.h"
#include "server/testing.h"

namespace stepfn::server {
namespace {

using testing::HasBoto3;
using testing::RunPythonScript;
using testing::TestdataPath;

std::string Text(const json::Value* v) {
  return v != nullptr && v->is_string() ? v->as_string() : (v ? json::Write(*v) : "<absent>");
}

const json::Value* At(const json::Value& root, std::initializer_list<std::string_view> path) {
  const json::Value* v = &root;
  for (std::string_view key : path) {
    if (v == nullptr || !v->is_object()) return nullptr;
    v = v->find(key);
  }
  return v;
}

std::string TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "stepfn-exec-test-XXXXXX").string();
  STEPFN_CHECK(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// A server on a free loopback port over SQLite in `dir`, without fsync (tests need no power-cut
// safety).
ServerOptions TestOptions(const std::string& dir) {
  ServerOptions options;
  options.port = 0;
  options.data_dir = dir;
  options.fsync = false;
  return options;
}

TEST(Executions, Boto3DrivesEveryExecutionOperation) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  std::string dir = TempDir();
  ServerOptions options = TestOptions(dir);
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto out = RunPythonScript(TestdataPath("executions_boto3.py"), (*server)->endpoint());
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value& r = out.json;

  EXPECT_EQ(Text(At(r, {"start_arn"})),
            "arn:aws:states:us-east-1:123456789012:execution:simple:run1");
  EXPECT_EQ(Text(At(r, {"simple", "status"})), "SUCCEEDED");
  EXPECT_EQ(Text(At(r, {"simple", "output"})), R"({"n":7,"ctx":"run1"})");
  EXPECT_EQ(json::Write(*At(r, {"simple_types"})),
            R"(["ExecutionStarted","PassStateEntered","PassStateExited","WaitStateEntered",)"
            R"("WaitStateExited","PassStateEntered","PassStateExited","ExecutionSucceeded"])");
  EXPECT_EQ(json::Write(*At(r, {"simple_ids"})),
            "[[1,0],[2,1],[3,2],[4,3],[5,4],[6,5],[7,6],[8,7]]");
  EXPECT_EQ(json::Write(*At(r, {"history_reverse_ids"})), "[8,7,6,5,4,3,2,1]");
  EXPECT_EQ(json::Write(*At(r, {"history_paged_ids"})), "[1,2,3,4,5,6,7,8]");
  const json::Value* nodata = At(r, {"history_nodata_first", "executionStartedEventDetails"});
  ASSERT_NE(nodata, nullptr);
  EXPECT_EQ(nodata->find("input"), nullptr);

  EXPECT_EQ(Text(At(r, {"again_after_end", "code"})), "ExecutionAlreadyExists");
  EXPECT_EQ(Text(At(r, {"idempotent_same"})), "true");
  EXPECT_EQ(Text(At(r, {"idempotent_other_input", "code"})), "ExecutionAlreadyExists");
  EXPECT_EQ(json::Write(*At(r, {"list_running"})), R"(["w1"])");
  EXPECT_EQ(Text(At(r, {"stop", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"stopped", "status"})), "ABORTED");
  EXPECT_EQ(Text(At(r, {"stopped", "error"})), "Mine");
  EXPECT_EQ(Text(At(r, {"stopped", "cause"})), "because");
  EXPECT_EQ(json::Write(*At(r, {"stopped_types"})),
            R"(["ExecutionStarted","WaitStateEntered","ExecutionAborted"])");
  EXPECT_EQ(json::Write(*At(r, {"list_aborted"})), R"(["ABORTED"])");
  EXPECT_EQ(Text(At(r, {"list_paged_count"})), "6");
  EXPECT_EQ(Text(At(r, {"list_paged_unique"})), "6");
  EXPECT_EQ(Text(At(r, {"for_execution", "name"})), "simple");
  EXPECT_NE(Text(At(r, {"for_execution", "definition"})).find("\"StartAt\""), std::string::npos);

  EXPECT_EQ(Text(At(r, {"err_no_machine", "code"})), "StateMachineDoesNotExist");
  EXPECT_EQ(Text(At(r, {"err_bad_arn", "code"})), "InvalidArn");
  EXPECT_EQ(Text(At(r, {"err_bad_name", "code"})), "InvalidName");
  EXPECT_EQ(Text(At(r, {"err_bad_input", "code"})), "InvalidExecutionInput");
  EXPECT_EQ(Text(At(r, {"err_no_execution", "code"})), "ExecutionDoesNotExist");
  EXPECT_EQ(Text(At(r, {"err_history_no_execution", "code"})), "ExecutionDoesNotExist");
  EXPECT_EQ(Text(At(r, {"err_sync_standard", "code"})), "StateMachineTypeNotSupported");
  EXPECT_EQ(Text(At(r, {"failed", "status"})), "FAILED");
  EXPECT_EQ(Text(At(r, {"failed", "error"})), "Boom");
  EXPECT_EQ(Text(At(r, {"failed", "cause"})), "on purpose");

  EXPECT_EQ(Text(At(r, {"sync", "status"})), "SUCCEEDED");
  EXPECT_EQ(Text(At(r, {"sync", "output"})), R"({"q":1,"r":{"ok":true}})");
  EXPECT_NE(Text(At(r, {"sync", "executionArn"})).find(":express:fast:"), std::string::npos);
  EXPECT_EQ(Text(At(r, {"sync_failed", "status"})), "FAILED");
  EXPECT_EQ(Text(At(r, {"sync_failed", "error"})), "E");
  EXPECT_EQ(Text(At(r, {"err_list_express", "code"})), "StateMachineTypeNotSupported");

  EXPECT_EQ(Text(At(r, {"token_len"})), "32");
  EXPECT_EQ(Text(At(r, {"send_heartbeat", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"send_bad_output", "code"})), "InvalidOutput");
  EXPECT_EQ(Text(At(r, {"send_success", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"callback_done", "status"})), "SUCCEEDED");
  EXPECT_EQ(Text(At(r, {"callback_done", "output"})), R"({"answer":42})");
  EXPECT_EQ(Text(At(r, {"send_again", "code"})), "TaskTimedOut");
  EXPECT_EQ(Text(At(r, {"send_invalid", "code"})), "InvalidToken");
  EXPECT_EQ(Text(At(r, {"send_failure", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"callback_failed", "status"})), "SUCCEEDED");
  EXPECT_NE(Text(At(r, {"callback_failed", "output"})).find("\"Error\":\"Nope\""),
            std::string::npos);

  EXPECT_EQ(Text(At(r, {"redrive_running", "code"})), "ExecutionNotRedrivable");
  EXPECT_EQ(Text(At(r, {"redrive_failed_first", "status"})), "FAILED");
  EXPECT_EQ(Text(At(r, {"redrive_failed_first", "redriveStatus"})), "REDRIVABLE");
  EXPECT_EQ(Text(At(r, {"redrive", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"redrive_answer", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"redrive_done", "status"})), "SUCCEEDED");
  EXPECT_EQ(Text(At(r, {"redrive_done", "redriveCount"})), "1");
  EXPECT_EQ(Text(At(r, {"redrive_done", "output"})), R"({"ok":2})");
  EXPECT_EQ(json::Write(*At(r, {"redrive_types"})),
            R"(["ExecutionStarted","PassStateEntered","PassStateExited","TaskStateEntered",)"
            R"("TaskScheduled","TaskStarted","TaskFailed","ExecutionFailed","ExecutionRedriven",)"
            R"("TaskStateEntered","TaskScheduled","TaskStarted","TaskSucceeded","TaskStateExited",)"
            R"("ExecutionSucceeded"])");
  EXPECT_EQ(Text(At(r, {"redrive_succeeded_again", "code"})), "ExecutionNotRedrivable");
  EXPECT_EQ(json::Write(*At(r, {"redriven_listed"})), R"([["d1",1]])");
  EXPECT_EQ(Text(At(r, {"not_redriven_listed"})), "0");
  EXPECT_EQ(Text(At(r, {"redrive_missing", "code"})), "ExecutionDoesNotExist");

  EXPECT_EQ(Text(At(r, {"activity_worker", "input"})), R"({"job":"j-7"})");
  EXPECT_EQ(Text(At(r, {"activity_worker", "answer", "ok"})), "true");
  EXPECT_EQ(Text(At(r, {"activity_done", "status"})), "SUCCEEDED");
  EXPECT_EQ(Text(At(r, {"activity_done", "output"})), R"({"done":"j-7"})");
  EXPECT_EQ(Text(At(r, {"err_no_activity", "code"})), "ActivityDoesNotExist");
  EXPECT_EQ(json::Write(*At(r, {"activity_events"})),
            R"([["ExecutionStarted",null],["TaskStateEntered",null],["ActivityScheduled",null],)"
            R"(["ActivityStarted","w-1"],["ActivitySucceeded",null],["TaskStateExited",null],)"
            R"(["ExecutionSucceeded",null]])");
  EXPECT_EQ(Text(At(r, {"started_role"})), "arn:aws:iam::123456789012:role/stepfn-test");
  (*server)->Stop();
  std::filesystem::remove_all(dir);
}

// Executions in flight when the server stops (a Wait, then a mocked Task that fails once and is
// retried) continue after a restart on the same data directory, with whole histories.
TEST(Executions, ContinueAfterARestart) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  std::string dir = TempDir();
  ServerOptions options = TestOptions(dir);
  options.mock_config = TestdataPath("restart_mocks.json");
  {
    auto first = Server::Start(options);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    auto out = RunPythonScript(TestdataPath("restart_boto3.py"), (*first)->endpoint(), {"start"});
    ASSERT_TRUE(out.ok()) << out.output;
    EXPECT_EQ(Text(At(out.json, {"running"})), "20");
    (*first)->Stop();
  }
  auto second = Server::Start(options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto out = RunPythonScript(TestdataPath("restart_boto3.py"), (*second)->endpoint(), {"finish"});
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value* results = At(out.json, {"results"});
  ASSERT_NE(results, nullptr);
  ASSERT_EQ(results->items().size(), 20u);
  for (const json::Value& r : results->items()) {
    EXPECT_EQ(Text(At(r, {"status"})), "SUCCEEDED");
    EXPECT_NE(Text(At(r, {"output"})).find(R"("t":{"answer":1})"), std::string::npos);
    EXPECT_EQ(Text(At(r, {"ids_ok"})), "true");
    EXPECT_EQ(json::Write(*At(r, {"types"})),
              R"(["ExecutionStarted","WaitStateEntered","WaitStateExited","TaskStateEntered",)"
              R"("TaskScheduled","TaskStarted","TaskFailed","TaskScheduled","TaskStarted",)"
              R"("TaskSucceeded","TaskStateExited","ExecutionSucceeded"])");
  }
  (*second)->Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stepfn::server
