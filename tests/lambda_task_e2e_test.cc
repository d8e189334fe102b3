// Step Functions Task states that call Lambda functions, end to end: a `stepfn serve` in this
// process (server::Server, memory store, a free port) with real worker processes; Python, Node
// and C++ functions created through the Lambda API's CreateFunction; workflows driven with
// boto3 (src/server/testdata/lambda_task_boto3.py) and the aws CLI: both resource forms, Retry
// and Catch on function errors, a Lambda timeout, a state TimeoutSeconds, a missing function, a
// crash, a Map; histories checked through GetExecutionHistory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "json/parse.h"
#include "json/write.h"
#include "server/server.h"
#include "server/testing.h"
#include "services/lambda/operations.h"

namespace stepfn {
namespace {

using namespace server::testing;
namespace fs = std::filesystem;

constexpr const char* kPyEcho = R"(
def handler(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail: " + str(event["fail"]))
    if isinstance(event, dict) and event.get("sleep"):
        import time
        time.sleep(event["sleep"])
    if isinstance(event, dict) and event.get("crash"):
        import os
        os._exit(3)
    return {"echo": event}
)";

constexpr const char* kPyFlaky = R"(
import os
def handler(event, context):
    path = "/tmp/stepfn-flaky-" + event["key"]
    n = int(open(path).read()) if os.path.exists(path) else 0
    open(path, "w").write(str(n + 1))
    if n < 2:
        raise RuntimeError("attempt " + str(n))
    os.remove(path)
    return {"attempts": n + 1}
)";

constexpr const char* kNodeDouble = R"(
exports.handler = async (event) => {
  if (event && event.fail) { const e = new Error("node failed"); e.name = "NodeError"; throw e; }
  return { doubled: (event && event.n || 0) * 2 };
};
)";

class LambdaTaskE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "stepfn-lambda-task-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    server::ServerOptions options;
    options.port = 0;
    options.fsync = false;
    auto server = server::Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // CreateFunction through the Lambda API, the code a local folder holding `files`.
  void Create(const std::string& name, const std::string& runtime, const std::string& handler,
              const std::vector<std::pair<std::string, std::string>>& files, int timeout,
              const std::string& copy_from = "") {
    fs::path code = fs::path(dir_) / name;
    fs::create_directories(code);
    for (const auto& [file, content] : files) std::ofstream(code / file) << content;
    if (!copy_from.empty()) {
      fs::copy_file(copy_from, code / "bootstrap");
      fs::permissions(code / "bootstrap", fs::perms::owner_all | fs::perms::group_read |
                                              fs::perms::group_exec | fs::perms::others_read |
                                              fs::perms::others_exec);
    }
    json::Value body = json::Value::Object(
        {{"FunctionName", json::Value::String(name)},
         {"Runtime", json::Value::String(runtime)},
         {"Role", json::Value::String("arn:aws:iam::123456789012:role/stepfn-test")},
         {"Handler", json::Value::String(handler)},
         {"Timeout", json::Value::Int(timeout)},
         {"Code", json::Value::Object({{"S3Bucket", json::Value::String("stepfn-local")},
                                       {"S3Key", json::Value::String(code.string())}})}});
    for (const lambda::ApiOperation& op : lambda::LambdaApiOperations()) {
      if (std::string_view(op.name) != "CreateFunction") continue;
      lambda::ApiRequest request;
      request.body = json::Write(body);
      request.request_id = "test-" + name;
      ASSERT_NE(op.sync, nullptr);
      lambda::ApiOutcome out = op.sync(server_->lambda(), request);
      if (const auto* error = std::get_if<api::AwsError>(&out)) {
        FAIL() << name << ": " << error->code << ": " << error->message;
      }
      return;
    }
    FAIL() << "no CreateFunction operation";
  }

  std::string dir_;
  std::unique_ptr<server::Server> server_;
};

std::vector<std::string> Types(const json::Value& scenario) {
  std::vector<std::string> types;
  if (const json::Value* t = scenario.find("types"); t != nullptr && t->is_array()) {
    for (const json::Value& v : t->items()) types.push_back(v.as_string());
  }
  return types;
}

// The details object of the first event of `type` in a scenario.
const json::Value* Details(const json::Value& scenario, const std::string& type) {
  const json::Value* list = scenario.find("details");
  if (list == nullptr) return nullptr;
  for (const json::Value& d : list->items()) {
    if (d.find("type")->as_string() == type) return &d;
  }
  return nullptr;
}

TEST_F(LambdaTaskE2ETest, WorkflowsCallFunctions) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  Create("py-echo", "python3.12", "app.handler", {{"app.py", kPyEcho}}, 2);
  Create("py-flaky", "python3.12", "app.handler", {{"app.py", kPyFlaky}}, 10);
  const bool node = HasNode();
  if (node) Create("node-double", "nodejs20.x", "index.handler", {{"index.js", kNodeDouble}}, 10);
  Create("cpp-echo", "provided.al2023", "unused", {}, 10, STEPFN_ECHO_CPP_BOOTSTRAP);

  ScriptResult out = RunPythonScript(TestdataPath("lambda_task_boto3.py"), server_->endpoint(),
                                     node ? "node" : "");
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value& r = out.json;
  const std::string fn = "arn:aws:lambda:us-east-1:123456789012:function:";

  // A function ARN: LambdaFunction* events, the function's output.
  const json::Value& arn = *r.find("arn_resource");
  EXPECT_EQ(StrAt(arn, {"status"}), "SUCCEEDED") << json::Write(arn);
  EXPECT_EQ(json::Write(*arn.find("output")), R"({"echo":{"a":1}})");
  EXPECT_EQ(Types(arn), (std::vector<std::string>{
                            "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                            "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                            "ExecutionSucceeded"}));
  const json::Value* scheduled = Details(arn, "LambdaFunctionScheduled");
  ASSERT_NE(scheduled, nullptr);
  EXPECT_EQ(StrAt(*scheduled, {"lambdaFunctionScheduledEventDetails", "resource"}), fn + "py-echo");
  EXPECT_EQ(StrAt(*scheduled, {"lambdaFunctionScheduledEventDetails", "input"}), R"({"a":1})");
  EXPECT_EQ(StrAt(*scheduled, {"lambdaFunctionScheduledEventDetails", "timeoutInSeconds"}), "30");

  // Retry on a function error until it succeeds.
  const json::Value& retry = *r.find("retry_then_succeed");
  EXPECT_EQ(StrAt(retry, {"status"}), "SUCCEEDED") << json::Write(retry);
  EXPECT_EQ(StrAt(retry, {"output", "attempts"}), "3");
  std::vector<std::string> retry_types = Types(retry);
  EXPECT_EQ(std::count(retry_types.begin(), retry_types.end(), "LambdaFunctionFailed"), 2);
  const json::Value* failed = Details(retry, "LambdaFunctionFailed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(StrAt(*failed, {"lambdaFunctionFailedEventDetails", "error"}), "RuntimeError");

  // lambda:invoke: Catch on the function's errorType; the cause is its error document.
  const json::Value& caught = *r.find("catch_function_error");
  EXPECT_EQ(StrAt(caught, {"status"}), "SUCCEEDED") << json::Write(caught);
  EXPECT_EQ(StrAt(caught, {"output", "Error"}), "ValueError");
  EXPECT_NE(StrAt(caught, {"output", "Cause"}).find("asked to fail: yes"), std::string::npos);
  EXPECT_EQ(Types(caught)[2], "TaskScheduled");
  EXPECT_EQ(Types(caught)[4], "TaskFailed");

  // The function ran past its own Timeout (2 s): Sandbox.Timedout.
  const json::Value& lambda_timeout = *r.find("lambda_timeout");
  EXPECT_EQ(StrAt(lambda_timeout, {"status"}), "FAILED") << json::Write(lambda_timeout);
  EXPECT_EQ(StrAt(lambda_timeout, {"error"}), "Sandbox.Timedout");

  // The state's TimeoutSeconds ran out first: States.Timeout, LambdaFunctionTimedOut.
  const json::Value& state_timeout = *r.find("state_timeout");
  EXPECT_EQ(StrAt(state_timeout, {"status"}), "FAILED") << json::Write(state_timeout);
  EXPECT_EQ(StrAt(state_timeout, {"error"}), "States.Timeout");
  EXPECT_EQ(Types(state_timeout)[4], "LambdaFunctionTimedOut");

  // A missing function: Lambda.ResourceNotFoundException with AWS's cause.
  const json::Value& missing = *r.find("missing_function");
  EXPECT_EQ(StrAt(missing, {"status"}), "FAILED");
  EXPECT_EQ(StrAt(missing, {"error"}), "Lambda.ResourceNotFoundException");
  EXPECT_NE(StrAt(missing, {"cause"})
                .find("(Service: AWSLambda; Status Code: 404; Error Code: "
                      "ResourceNotFoundException; Request ID: "),
            std::string::npos)
      << StrAt(missing, {"cause"});
  EXPECT_EQ(StrAt(*r.find("missing_function_arn"), {"error"}), "Lambda.ResourceNotFoundException");

  // A worker that exits: the task fails, the server lives on.
  const json::Value& crash = *r.find("crash");
  EXPECT_EQ(StrAt(crash, {"status"}), "FAILED") << json::Write(crash);
  EXPECT_NE(StrAt(crash, {"error"}), "");

  // The C++ echo through lambda:invoke.
  const json::Value& cpp = *r.find("cpp");
  EXPECT_EQ(StrAt(cpp, {"status"}), "SUCCEEDED") << json::Write(cpp);
  EXPECT_EQ(StrAt(cpp, {"output", "p", "hello"}), "c++");

  if (node) {
    const json::Value& invoke = *r.find("invoke");
    EXPECT_EQ(StrAt(invoke, {"status"}), "SUCCEEDED") << json::Write(invoke);
    EXPECT_EQ(StrAt(invoke, {"output", "doubled"}), "42");
    const json::Value& node_error = *r.find("node_error");
    EXPECT_EQ(StrAt(node_error, {"error"}), "NodeError") << json::Write(node_error);
    const json::Value& map = *r.find("map");
    EXPECT_EQ(StrAt(map, {"status"}), "SUCCEEDED") << json::Write(map);
    EXPECT_EQ(json::Write(*map.find("output")), R"([{"doubled":2},{"doubled":4},{"doubled":6}])");
    std::vector<std::string> map_types = Types(map);
    EXPECT_EQ(std::count(map_types.begin(), map_types.end(), "LambdaFunctionSucceeded"), 3);
  }
}

TEST_F(LambdaTaskE2ETest, AwsCliRunsAWorkflowThatCallsAFunction) {
  if (!HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  Create("py-echo", "python3.12", "app.handler", {{"app.py", kPyEcho}}, 5);
  const std::string definition =
      R"({"StartAt":"Call","States":{"Call":{"Type":"Task",)"
      R"("Resource":"arn:aws:lambda:us-east-1:123456789012:function:py-echo",)"
      R"("Parameters":{"from":"cli"},"End":true}}})";
  const std::string& endpoint = server_->endpoint();
  CommandResult created =
      RunAwsCli(endpoint,
                "create-state-machine --name cli-lambda "
                "--definition " +
                    ShellQuote(definition) + " --role-arn arn:aws:iam::123456789012:role/r");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto machine = json::Parse(created.output);
  ASSERT_TRUE(machine.ok()) << created.output;
  CommandResult started = RunAwsCli(
      endpoint, "start-execution --state-machine-arn " + StrAt(*machine, {"stateMachineArn"}));
  ASSERT_EQ(started.exit_code, 0) << started.output;
  auto execution = json::Parse(started.output);
  ASSERT_TRUE(execution.ok()) << started.output;
  const std::string arn = StrAt(*execution, {"executionArn"});
  json::Value described;
  for (int i = 0; i < 100; ++i) {
    CommandResult d = RunAwsCli(endpoint, "describe-execution --execution-arn " + arn);
    ASSERT_EQ(d.exit_code, 0) << d.output;
    auto parsed = json::Parse(d.output);
    ASSERT_TRUE(parsed.ok()) << d.output;
    described = *parsed;
    if (StrAt(described, {"status"}) != "RUNNING") break;
  }
  EXPECT_EQ(StrAt(described, {"status"}), "SUCCEEDED") << json::Write(described);
  EXPECT_EQ(StrAt(described, {"output"}), R"({"echo":{"from":"cli"}})");
  CommandResult history = RunAwsCli(endpoint, "get-execution-history --execution-arn " + arn);
  ASSERT_EQ(history.exit_code, 0) << history.output;
  EXPECT_NE(history.output.find("\"LambdaFunctionSucceeded\""), std::string::npos)
      << history.output;
  EXPECT_NE(history.output.find("\"lambdaFunctionScheduledEventDetails\""), std::string::npos);
}

}  // namespace
}  // namespace stepfn
