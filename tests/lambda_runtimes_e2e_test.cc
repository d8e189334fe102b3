// The runtime clients (runtimes/python, runtimes/node) and the C++ library (sdk/cpp) through
// stepfn's own Runtime API server (services/lambda/environments.h): the example functions in
// every language, and errors shaped as AWS's recorded answers.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "json/parse.h"
#include "json/write.h"
#include "services/lambda/environments.h"

namespace stepfn::lambda {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool HaveProgram(const char* name) {
  std::string command = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

class LambdaRuntimesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/stepfn-runtimes-e2e-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    EnvironmentsOptions options;
    options.work_dir = root_ + "/work";
    auto environments = Environments::Start(std::move(options));
    ASSERT_TRUE(environments.ok()) << environments.status().ToString();
    environments_ = std::move(environments).value();
  }

  void TearDown() override {
    if (environments_) {
      environments_->Stop();
    }
    environments_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // A function whose code folder holds `files` (name -> text), or a copy of `copy_from`.
  std::shared_ptr<FunctionConfig> Function(const std::string& name, const std::string& runtime,
                                           const std::string& handler,
                                           const std::map<std::string, std::string>& files,
                                           const std::string& copy_from = "") {
    std::string dir = root_ + "/code-" + name;
    std::filesystem::create_directories(dir);
    if (!copy_from.empty()) {
      std::filesystem::copy(copy_from, dir, std::filesystem::copy_options::recursive);
    }
    for (const auto& [file, text] : files) {
      std::ofstream(dir + "/" + file) << text;
    }
    auto config = std::make_shared<FunctionConfig>();
    config->name = name;
    config->arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name;
    config->version = "$LATEST";
    config->runtime = runtime;
    config->handler = handler;
    config->code_dir = dir;
    config->timeout_seconds = 20;
    config->memory_mb = 512;
    return config;
  }

  InvokeResponse Invoke(const std::shared_ptr<FunctionConfig>& config, std::string payload) {
    auto promise = std::make_shared<std::promise<InvokeOutcome>>();
    std::future<InvokeOutcome> future = promise->get_future();
    InvokeRequest request;
    request.function_name = config->name;
    request.payload = std::move(payload);
    environments_->Invoke(config, std::move(request), [promise](InvokeOutcome outcome) {
      promise->set_value(std::move(outcome));
    });
    if (future.wait_for(60s) != std::future_status::ready) {
      ADD_FAILURE() << "the invocation did not end";
      return {};
    }
    InvokeOutcome outcome = future.get();
    if (auto* error = std::get_if<InvokeError>(&outcome)) {
      ADD_FAILURE() << error->code << ": " << error->message;
      return {};
    }
    return std::get<InvokeResponse>(std::move(outcome));
  }

  static json::Value Json(const std::string& text) {
    auto value = json::Parse(text);
    EXPECT_TRUE(value.ok()) << text;
    return value.ok() ? std::move(value).value() : json::Value();
  }

  std::string root_;
  std::unique_ptr<Environments> environments_;
};

TEST_F(LambdaRuntimesTest, EchoFunctionsInEveryLanguage) {
  const std::string examples = std::string(STEPFN_SOURCE_DIR) + "/examples/functions";
  std::vector<std::shared_ptr<FunctionConfig>> functions;
  if (HaveProgram("python3")) {
    functions.push_back(
        Function("echo-python", "python3.12", "app.handler", {}, examples + "/echo-python"));
  }
  if (HaveProgram("node")) {
    functions.push_back(
        Function("echo-node", "nodejs20.x", "index.handler", {}, examples + "/echo-node"));
  }
  auto cpp = Function("echo-cpp", "provided.al2023", "unused", {});
  std::filesystem::copy_file(STEPFN_ECHO_CPP_BOOTSTRAP, cpp->code_dir + "/bootstrap");
  functions.push_back(cpp);

  const std::string payload = R"({"text":"é \" \\ \n","list":[1,2.5,null,true],"nested":{"a":{}}})";
  for (const auto& function : functions) {
    SCOPED_TRACE(function->name);
    for (int round = 0; round < 20; ++round) {
      InvokeResponse response = Invoke(function, payload);
      ASSERT_EQ(response.function_error, "") << response.payload;
      EXPECT_EQ(response.status_code, 200);
      EXPECT_TRUE(Json(response.payload) == Json(payload)) << response.payload;
    }
    // A payload of several megabytes, both ways.
    std::string big = "{\"data\":\"" + std::string(5 * 1024 * 1024, 'x') + "\"}";
    InvokeResponse response = Invoke(function, big);
    ASSERT_EQ(response.function_error, "") << response.payload.substr(0, 500);
    EXPECT_TRUE(Json(response.payload) == Json(big));
  }
}

// The recorded AWS answer to a Python handler that raises (conformance case
// test_raise_exception): the same document, with this function's path for /var/task.
TEST_F(LambdaRuntimesTest, PythonExceptionAsAwsRecordedIt) {
  if (!HaveProgram("python3")) {
    GTEST_SKIP() << "python3 is not installed";
  }
  const char* shared = std::getenv("STEPFN_SHARED");
  std::string case_file =
      std::string(shared != nullptr ? shared : STEPFN_SOURCE_DIR "/../shared") +
      "/conformance/aws-recorded/services/"
      "error_handling.test_task_lambda.TestTaskLambda.test_raise_exception__c18409d6.json";
  std::string text = ReadFile(case_file);
  if (text.empty()) {
    GTEST_SKIP() << "no conformance data at " << case_file;
  }
  json::Value recorded = Json(text);
  const json::Value* handlers = recorded.find("lambda_handlers");
  ASSERT_NE(handlers, nullptr);
  ASSERT_EQ(handlers->size(), 1u);
  const std::string& code = handlers->members()[0].second.find("code")->as_string();
  const json::Value* cause = recorded.find("expected")->find("cause");
  ASSERT_NE(cause, nullptr);

  // AWS ran it as handler.py (its stack trace says so), handler "handler.handler".
  auto function = Function("raise", "python3.12", "handler.handler", {{"handler.py", code}});
  InvokeResponse response = Invoke(function, "{}");
  EXPECT_EQ(response.function_error, "Unhandled");

  std::string expected = json::Write(*cause);
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = expected.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in " << expected;
    expected.replace(at, from.size(), to);
  };
  replace("<uuid:1>", response.request_id);
  replace("/var/task/handler.py", function->code_dir + "/handler.py");
  EXPECT_TRUE(Json(response.payload) == Json(expected))
      << response.payload << "\nexpected " << expected;
}

TEST_F(LambdaRuntimesTest, NodeErrorShape) {
  if (!HaveProgram("node")) {
    GTEST_SKIP() << "node is not installed";
  }
  auto function = Function("boom", "nodejs20.x", "index.handler",
                           {{"index.mjs",
                             "export const handler = async () => {\n"
                             "  throw new TypeError('boom');\n};\n"}});
  InvokeResponse response = Invoke(function, "{}");
  EXPECT_EQ(response.function_error, "Unhandled");
  json::Value error = Json(response.payload);
  ASSERT_TRUE(error.is_object()) << response.payload;
  EXPECT_EQ(error.find("errorType")->as_string(), "TypeError");
  EXPECT_EQ(error.find("errorMessage")->as_string(), "boom");
  ASSERT_TRUE(error.find("trace")->is_array());
  EXPECT_EQ(error.find("trace")->at(0)->as_string(), "TypeError: boom");
  EXPECT_NE(error.find("trace")->at(1)->as_string().find(function->code_dir + "/index.mjs:2"),
            std::string::npos)
      << response.payload;
}

TEST_F(LambdaRuntimesTest, InitErrors) {
  struct Case {
    const char* runtime;
    const char* handler;
    const char* file;
    const char* code;
    const char* type;
    const char* message_start;
  };
  const Case cases[] = {
      {"python3.12", "app.handler", "other.py", "", "Runtime.ImportModuleError",
       "Unable to import module 'app': No module named 'app'"},
      {"python3.12", "app.handler", "app.py", "def other(e, c):\n    pass\n",
       "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'app'"},
      {"python3.12", "app.handler", "app.py", "def handler(e, c)\n", "Runtime.UserCodeSyntaxError",
       "Syntax error in module 'app'"},
      {"nodejs20.x", "index.handler", "other.js", "", "Runtime.ImportModuleError",
       "Error: Cannot find module 'index'"},
      {"nodejs20.x", "index.handler", "index.js", "exports.other = 1;\n", "Runtime.HandlerNotFound",
       "index.handler is undefined or not exported"},
  };
  int index = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.runtime) + " " + c.type);
    if (!HaveProgram(std::string(c.runtime).rfind("python", 0) == 0 ? "python3" : "node")) {
      continue;
    }
    auto function =
        Function("init-" + std::to_string(index++), c.runtime, c.handler, {{c.file, c.code}});
    InvokeResponse response = Invoke(function, "{}");
    EXPECT_EQ(response.function_error, "Unhandled");
    json::Value error = Json(response.payload);
    ASSERT_TRUE(error.is_object()) << response.payload;
    EXPECT_EQ(error.find("errorType")->as_string(), c.type) << response.payload;
    EXPECT_EQ(error.find("errorMessage")->as_string().rfind(c.message_start, 0), 0u)
        << response.payload;
  }
}

}  // namespace
}  // namespace stepfn::lambda
