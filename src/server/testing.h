// A test harness for the Step Functions API: a real HttpServer on a loopback port with the
// awsJson protocol and every registered operation, over a MemoryStore or a SqliteStore in a
// fresh temporary directory; and helpers to drive it with real clients (boto3 scripts, the aws
// CLI, node with @aws-sdk/client-sfn), skipping cleanly when a client is not installed.
//
//   TestServer server;                                   // memory store, system clock
//   TestServer server({.store = StoreKind::Sqlite});     // SQLite in a temp dir (removed after)
//   server.endpoint();                                   // "http://127.0.0.1:PORT"
//
//   if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
//   ScriptResult out = RunPythonScript(TestdataPath("sm_boto3.py"), server.endpoint());
//   ASSERT_TRUE(out.ok()) << out.output;                 // exit 0 and one JSON value printed
//   out.json.find("created") ...
//
// Python scripts get the endpoint as their first argument; `testdata/sfn_client.py` (import it
// from a script in testdata/) makes boto3 clients for it and records errors as
// {"code", "message", "status"}. The aws CLI runs with dummy credentials, region us-east-1,
// no config files and one attempt.
//
// Test-only code, header-only (no library links gtest or this file). Not thread-safe: one test
// thread drives it; the server's own threads are the HttpServer's.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "api/aws_json.h"
#include "api/dispatcher.h"
#include "api/http_server.h"
#include "api/raw_client_testing.h"
#include "api/sigv4.h"
#include "common/clock.h"
#include "json/parse.h"
#include "server/service.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"

namespace stepfn::server::testing {

using api::testing::CommandResult;
using api::testing::RunCommand;

enum class StoreKind { Memory, Sqlite };

struct TestServerOptions {
  StoreKind store = StoreKind::Memory;
  // The clock operations read (nullptr: the system clock). Must outlive the server.
  Clock* clock = nullptr;
  ServerConfig config;
  int threads = 2;
  // Called before RegisterAllOperations: set ctx->executor, ctx->mocks, ... here.
  std::function<void(ServiceContext*)> before_register;
  // Called after RegisterAllOperations and before the server starts: register fakes here.
  std::function<void(ServiceContext*, api::AwsJsonProtocol*)> after_register;
  // Called before the server starts: add other services' protocols (owned by the test, which
  // must keep them alive until the TestServer is gone) to the port. `credentials` accept any key.
  std::function<void(api::ServiceDispatcher*, const api::Credentials* credentials, Clock*)>
      add_services;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {}) : options_(std::move(options)) {
    if (options_.store == StoreKind::Sqlite) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "stepfn-server-test-XXXXXX").string();
      char* made = ::mkdtemp(pattern.data());
      STEPFN_CHECK(made != nullptr);
      data_dir_ = pattern;
      store::SqliteOptions sqlite;
      sqlite.data_dir = data_dir_;
      sqlite.sync = store::SqliteOptions::Sync::Off;
      auto opened = store::SqliteStore::Open(sqlite);
      STEPFN_CHECK(opened.ok());
      store_ = std::move(opened).value();
    } else {
      store_ = std::make_unique<store::MemoryStore>();
    }
    context_ = std::make_unique<ServiceContext>();
    context_->config = options_.config;
    context_->arns = Arns(options_.config.region, options_.config.account);
    context_->store = store_.get();
    context_->clock = options_.clock != nullptr ? options_.clock : &system_clock_;
    if (options_.before_register) options_.before_register(context_.get());
    protocol_ = std::make_unique<api::AwsJsonProtocol>(api::AwsJsonOptions{}, &credentials_,
                                                       context_->clock);
    RegisterAllOperations(context_.get(), protocol_.get());
    if (options_.after_register) options_.after_register(context_.get(), protocol_.get());
    services_ = std::make_unique<api::ServiceDispatcher>(protocol_.get());
    services_->AddJson(protocol_.get());
    if (options_.add_services)
      options_.add_services(services_.get(), &credentials_, context_->clock);
    api::HttpServerOptions http;
    http.threads = options_.threads;
    auto server = api::HttpServer::Start(http, services_.get());
    STEPFN_CHECK(server.ok());
    server_ = std::move(server).value();
    endpoint_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  ~TestServer() {
    if (server_) server_->Stop();
    server_.reset();
    services_.reset();
    protocol_.reset();
    store_.reset();
    if (!data_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_dir_, ignored);
    }
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // "http://127.0.0.1:PORT".
  const std::string& endpoint() const { return endpoint_; }
  uint16_t port() const { return server_->port(); }
  ServiceContext* context() { return context_.get(); }
  store::Store* store() { return store_.get(); }
  // The SQLite data directory ("" for the memory store).
  const std::string& data_dir() const { return data_dir_; }

 private:
  TestServerOptions options_;
  SystemClock system_clock_;
  api::Credentials credentials_ = api::Credentials::AllowAll();
  std::string data_dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ServiceContext> context_;
  std::unique_ptr<api::AwsJsonProtocol> protocol_;
  std::unique_ptr<api::ServiceDispatcher> services_;
  std::unique_ptr<api::HttpServer> server_;
  std::string endpoint_;
};

// --- Clients --------------------------------------------------------------------------------

// src/server/testdata (STEPFN_SERVER_TESTDATA in the environment overrides it).
inline std::string TestdataDir() {
  if (const char* env = ::getenv("STEPFN_SERVER_TESTDATA"); env != nullptr && *env != '\0') {
    return env;
  }
  return (std::filesystem::path(__FILE__).parent_path() / "testdata").string();
}
inline std::string TestdataPath(const std::string& file) { return TestdataDir() + "/" + file; }

inline bool HasBoto3() { return api::testing::PythonHas("boto3 botocore"); }
inline bool HasAwsCli() { return RunCommand("aws --version >/dev/null 2>&1").exit_code == 0; }
// A command that runs version 2 of the aws CLI (`aws logs tail` exists only there), or "" when
// none is installed. Debian's awscli package puts it at /usr/bin/aws, which a `pip install awscli`
// (version 1) earlier on PATH may shadow.
inline std::string AwsCliV2() {
  for (const char* candidate : {"aws", "/usr/bin/aws"}) {
    CommandResult version = RunCommand(std::string(candidate) + " --version 2>&1");
    if (version.exit_code == 0 && version.output.rfind("aws-cli/2.", 0) == 0) return candidate;
  }
  return "";
}
inline bool HasNode() { return RunCommand("node --version >/dev/null 2>&1").exit_code == 0; }

// The directory holding node_modules/@aws-sdk/client-sfn: STEPFN_NODE_SDK_ROOT from the
// environment, the repository's, bench/'s, then npm's global one; "" when the JS SDK (or node)
// is not installed.
inline std::string NodeSdkRoot() {
  if (!HasNode()) return "";
  if (const char* env = ::getenv("STEPFN_NODE_SDK_ROOT"); env != nullptr && *env != '\0') {
    if (std::filesystem::exists(std::filesystem::path(env) / "node_modules" / "@aws-sdk" /
                                "client-sfn")) {
      return env;
    }
  }
  std::filesystem::path repo =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  for (const std::filesystem::path& root : {repo, repo / "bench"}) {
    if (std::filesystem::exists(root / "node_modules" / "@aws-sdk" / "client-sfn")) {
      return root.string();
    }
  }
  CommandResult global = RunCommand("npm root -g 2>/dev/null");
  std::string dir = global.output;
  while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
  if (global.exit_code == 0 && !dir.empty() &&
      std::filesystem::exists(std::filesystem::path(dir) / "@aws-sdk" / "client-sfn")) {
    return std::filesystem::path(dir).parent_path().string();
  }
  return "";
}

struct ScriptResult {
  int exit_code = -1;
  std::string output;  // stdout (stderr goes to the test's stderr)
  json::Value json;    // stdout parsed, when it is one JSON value
  bool parsed = false;
  bool ok() const { return exit_code == 0 && parsed; }
};

inline ScriptResult ParseScriptOutput(CommandResult run) {
  ScriptResult result;
  result.exit_code = run.exit_code;
  result.output = std::move(run.output);
  auto parsed = json::Parse(result.output);
  if (parsed.ok()) {
    result.json = std::move(parsed).value();
    result.parsed = true;
  }
  return result;
}

// `python3 SCRIPT ENDPOINT ARGS`, its stdout parsed as JSON.
inline ScriptResult RunPythonScript(const std::string& script, const std::string& endpoint,
                                    const std::string& args = "") {
  return ParseScriptOutput(RunCommand("python3 " + script + " " + endpoint + " " + args));
}

// `node SCRIPT ENDPOINT ARGS` with NODE_PATH at the SDK's node_modules (see NodeSdkRoot).
inline ScriptResult RunNodeScript(const std::string& script, const std::string& endpoint,
                                  const std::string& args = "") {
  std::string root = NodeSdkRoot();
  return ParseScriptOutput(RunCommand("NODE_PATH=" + root + "/node_modules node " + script + " " +
                                      endpoint + " " + args));
}

// The aws CLI's environment: dummy credentials, us-east-1, no config files, one attempt.
inline std::string AwsCliEnvironment() {
  return "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "
         "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 "
         "AWS_PAGER= ";
}

// `aws stepfunctions ARGS --endpoint-url ENDPOINT --region us-east-1 --output json`, stdout and
// stderr together in `output`. ARGS are passed to the shell as written (quote them).
inline CommandResult RunAwsCli(const std::string& endpoint, const std::string& args) {
  return RunCommand(AwsCliEnvironment() + "aws stepfunctions " + args + " --endpoint-url " +
                    endpoint + " --region us-east-1 --output json 2>&1");
}

// Quotes `text` for /bin/sh.
inline std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

// A member of a JSON object by a path of keys (an array's item by its index: "0"), or nullptr.
inline const json::Value* At(const json::Value& v, std::initializer_list<std::string_view> path) {
  const json::Value* at = &v;
  for (std::string_view key : path) {
    if (at->is_array()) {
      size_t index = 0;
      for (char c : key) index = c >= '0' && c <= '9' ? index * 10 + (c - '0') : SIZE_MAX / 16;
      at = key.empty() ? nullptr : at->at(index);
    } else {
      at = at->find(key);
    }
    if (at == nullptr) return nullptr;
  }
  return at;
}
// A string (or integer, as text) at a path; "<missing>" when absent, "<not a string>" when it
// is another type.
inline std::string StrAt(const json::Value& v, std::initializer_list<std::string_view> path) {
  const json::Value* at = At(v, path);
  if (at == nullptr) return "<missing>";
  if (at->is_string()) return at->as_string();
  if (at->is_int()) return std::to_string(at->as_int());
  if (at->is_bool()) return at->as_bool() ? "true" : "false";
  return "<not a string>";
}

}  // namespace stepfn::server::testing
