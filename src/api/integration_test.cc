// The API layer driven by real clients: boto3, the aws CLI, and a Python client holding 10,000
// connections at once. Each test starts an AwsJsonProtocol server on a loopback port 0 with
// fake operations, runs the client as a subprocess and checks what it saw. Tests skip when the
// client is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "api/aws_json.h"
#include "api/raw_client_testing.h"
#include "json/parse.h"

namespace stepfn::api {
namespace {

using namespace std::chrono_literals;
using testing::CommandResult;
using testing::RunCommand;

// The system clock moved by an offset (to make signatures look expired). Thread-safe.
class OffsetClock final : public Clock {
 public:
  EpochMillis NowMillis() override { return system_.NowMillis() + offset_.load(); }
  void set_offset(int64_t millis) { offset_.store(millis); }

 private:
  SystemClock system_;
  std::atomic<int64_t> offset_{0};
};

json::Value Obj(std::vector<json::Member> members) {
  return json::Value::Object(std::move(members));
}

class IntegrationTest : public ::testing::Test {
 protected:
  void Start(const Credentials* credentials, HttpServerOptions options = {}) {
    protocol_ = std::make_unique<AwsJsonProtocol>(AwsJsonOptions{}, credentials, &clock_);
    protocol_->RegisterSync("ListStateMachines", [](const OperationRequest&) {
      return AwsOr<json::Value>(Obj({{"stateMachines", json::Value::EmptyArray()}}));
    });
    protocol_->RegisterSync("StartExecution", [](const OperationRequest& request) {
      const json::Value* arn = request.input.find("stateMachineArn");
      if (arn != nullptr && arn->is_string() && arn->as_string().ends_with(":missing")) {
        return AwsOr<json::Value>(
            AwsError{400, "StateMachineDoesNotExist",
                     "State Machine Does Not Exist: '" + arn->as_string() + "'"});
      }
      return AwsOr<json::Value>(Obj({{"executionArn", json::Value::String("arn:x")},
                                     {"startDate", json::Value::Double(1700000000.5)}}));
    });
    protocol_->RegisterSync("StartSyncExecution", [](const OperationRequest&) {
      return AwsOr<json::Value>(Obj({{"executionArn", json::Value::String("arn:x")},
                                     {"startDate", json::Value::Int(1700000000)},
                                     {"stopDate", json::Value::Int(1700000001)},
                                     {"status", json::Value::String("SUCCEEDED")}}));
    });
    options.threads = 2;
    auto server = HttpServer::Start(options, protocol_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::string port() const { return std::to_string(server_->port()); }

  // Runs a client script from testdata and parses the JSON it prints.
  json::Value RunScript(const std::string& script, const std::string& args) {
    CommandResult run = RunCommand("python3 " STEPFN_API_TESTDATA "/" + script + " " + args);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    auto parsed = json::Parse(run.output);
    EXPECT_TRUE(parsed.ok()) << run.output;
    return parsed.ok() ? *parsed : json::Value();
  }

  static std::string Str(const json::Value& v, std::initializer_list<const char*> path) {
    const json::Value* at = &v;
    for (const char* key : path) {
      at = at->find(key);
      if (at == nullptr) return "<missing>";
    }
    if (at->is_string()) return at->as_string();
    if (at->is_int()) return std::to_string(at->as_int());
    return "<not a string>";
  }

  OffsetClock clock_;
  Credentials allow_all_ = Credentials::AllowAll();
  // A test's own keys: declared before the server, so they outlive its threads.
  std::optional<Credentials> keys_;
  std::unique_ptr<AwsJsonProtocol> protocol_;
  std::unique_ptr<HttpServer> server_;
};

// Writes an --auth file and loads it as the server would.
Credentials AuthFile() {
  char path[] = "/tmp/stepfn-api-auth-XXXXXX";
  int fd = mkstemp(path);
  STEPFN_CHECK(fd >= 0);
  std::string text = R"([{"accessKeyId": "AKIDGOOD", "secretAccessKey": "good-secret"}])";
  STEPFN_CHECK(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  auto credentials = Credentials::LoadFile(path);
  unlink(path);
  STEPFN_CHECK(credentials.ok());
  return std::move(credentials).value();
}

TEST_F(IntegrationTest, Boto3) {
  if (!testing::PythonHas("boto3")) GTEST_SKIP() << "boto3 is not installed";
  Start(&allow_all_);
  json::Value out = RunScript("boto3_client.py", port() + " allow_all");
  ASSERT_TRUE(out.is_object());
  ASSERT_NE(out.find("list"), nullptr);
  EXPECT_TRUE(out.find("list")->is_array());
  EXPECT_EQ(out.find("list")->size(), 0u);
  EXPECT_EQ(Str(out, {"list_request_id"}).size(), 36u);
  EXPECT_EQ(Str(out, {"unknown_operation", "__type"}), "UnknownOperationException");
  EXPECT_EQ(Str(out, {"unknown_operation", "error_type"}), "UnknownOperationException");
  EXPECT_EQ(Str(out, {"unknown_operation", "status"}), "400");
  EXPECT_EQ(Str(out, {"wrong_content_type", "__type"}), "SerializationException");
  EXPECT_EQ(Str(out, {"invalid_json", "__type"}), "SerializationException");
  EXPECT_EQ(Str(out, {"sync_no_prefix"}), "SUCCEEDED");
  EXPECT_EQ(Str(out, {"oversized", "code"}), "ValidationException");
  EXPECT_EQ(Str(out, {"oversized", "status"}), "413");
  EXPECT_EQ(Str(out, {"modeled_error", "code"}), "StateMachineDoesNotExist");
  EXPECT_EQ(Str(out, {"modeled_error_class"}), "StateMachineDoesNotExist");
}

TEST_F(IntegrationTest, Boto3WithAuthFile) {
  if (!testing::PythonHas("boto3")) GTEST_SKIP() << "boto3 is not installed";
  keys_ = AuthFile();
  Start(&*keys_);
  json::Value out = RunScript("boto3_client.py", port() + " auth");
  const json::Value* good = out.find("good");
  ASSERT_NE(good, nullptr);
  EXPECT_NE(good->find("ok"), nullptr) << Str(out, {"good", "code"});
  EXPECT_EQ(Str(out, {"bad_secret", "code"}), "InvalidSignatureException");
  EXPECT_EQ(Str(out, {"unknown_key", "code"}), "UnrecognizedClientException");
  EXPECT_EQ(Str(out, {"unknown_key", "message"}),
            "The security token included in the request is invalid.");
  EXPECT_EQ(Str(out, {"raw_bad_secret", "status"}), "400");
  EXPECT_EQ(Str(out, {"raw_bad_secret", "__type"}), "InvalidSignatureException");

  clock_.set_offset(60 * 60 * 1000);  // the server is an hour ahead: signatures look expired
  json::Value expired = RunScript("boto3_client.py", port() + " expired");
  EXPECT_EQ(Str(expired, {"expired", "code"}), "InvalidSignatureException");
  EXPECT_EQ(Str(expired, {"expired", "message"}).rfind("Signature expired: ", 0), 0u)
      << Str(expired, {"expired", "message"});
}

std::string AwsCli(const std::string& port, const std::string& key, const std::string& args) {
  return "AWS_ACCESS_KEY_ID=" + key + " AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 " +
         "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 " +
         "aws stepfunctions " + args + " --endpoint-url http://127.0.0.1:" + port +
         " --output json 2>&1";
}

TEST_F(IntegrationTest, AwsCli) {
  if (RunCommand("aws --version >/dev/null 2>&1").exit_code != 0) {
    GTEST_SKIP() << "the aws CLI is not installed";
  }
  Start(&allow_all_);
  CommandResult listed = RunCommand(AwsCli(port(), "test", "list-state-machines"));
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  auto parsed = json::Parse(listed.output);
  ASSERT_TRUE(parsed.ok()) << listed.output;
  ASSERT_NE(parsed->find("stateMachines"), nullptr);
  EXPECT_EQ(parsed->find("stateMachines")->size(), 0u);

  CommandResult missing =
      RunCommand(AwsCli(port(), "test",
                        "start-execution --state-machine-arn "
                        "arn:aws:states:us-east-1:123456789012:stateMachine:missing"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("(StateMachineDoesNotExist)"), std::string::npos) << missing.output;

  // Not registered on this fake server.
  CommandResult unknown = RunCommand(AwsCli(port(), "test", "list-activities"));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("(UnknownOperationException)"), std::string::npos)
      << unknown.output;
}

TEST_F(IntegrationTest, AwsCliWithAuthFile) {
  if (RunCommand("aws --version >/dev/null 2>&1").exit_code != 0) {
    GTEST_SKIP() << "the aws CLI is not installed";
  }
  keys_ = AuthFile();
  Start(&*keys_);
  CommandResult refused = RunCommand(AwsCli(port(), "test", "list-state-machines"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("(UnrecognizedClientException)"), std::string::npos)
      << refused.output;
  CommandResult bad_signature = RunCommand(AwsCli(port(), "AKIDGOOD", "list-state-machines"));
  EXPECT_NE(bad_signature.exit_code, 0);
  EXPECT_NE(bad_signature.output.find("(InvalidSignatureException)"), std::string::npos)
      << bad_signature.output;
}

// 10,000 connections open at once: every one is answered and the server keeps serving.
TEST_F(IntegrationTest, TenThousandConnections) {
  auto limit = RaiseOpenFileLimit();
  ASSERT_TRUE(limit.ok());
  if (*limit < 10'500) GTEST_SKIP() << "RLIMIT_NOFILE is " << *limit;
  Start(&allow_all_);
  json::Value out = RunScript("many_connections.py", port() + " 10000");
  EXPECT_EQ(Str(out, {"connected"}), "10000");
  EXPECT_EQ(Str(out, {"statuses", "200"}), "10000");
  EXPECT_EQ(Str(out, {"no_response"}), "0");
  std::cerr << "10,000 connections: "
            << (out.find("seconds") ? out.find("seconds")->as_double() : -1) << " s\n";
  testing::RawClient after(server_->port());
  ASSERT_TRUE(after.Send(testing::RawRequest("POST", "/",
                                             "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
                                             "Content-Type: application/x-amz-json-1.0\r\n",
                                             "{}")));
  EXPECT_EQ(after.Read().status, 200);
  for (int i = 0; i < 500 && server_->ConnectionCountForTest() > 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_LE(server_->ConnectionCountForTest(), 1u);
}

// Over the connection cap: each extra connection gets a 503 or is closed; none hangs, and the
// server keeps serving afterwards.
TEST_F(IntegrationTest, ConnectionsBeyondTheCap) {
  HttpServerOptions options;
  options.max_connections = 500;
  Start(&allow_all_, options);
  json::Value out = RunScript("many_connections.py", port() + " 3000");
  EXPECT_EQ(Str(out, {"connected"}), "3000");
  EXPECT_EQ(Str(out, {"statuses", "200"}), "500");
  const json::Value* statuses = out.find("statuses");
  ASSERT_NE(statuses, nullptr);
  int64_t answered = 0;
  for (const auto& [code, count] : statuses->members()) answered += count.as_int();
  std::cerr << "3,000 connections over a cap of 500: " << answered << " answered, "
            << Str(out, {"statuses", "503"}) << " with 503\n";
  EXPECT_GE(answered, 500);
  testing::RawClient after(server_->port());
  ASSERT_TRUE(after.Send(testing::RawRequest("POST", "/", "", "{}")));
  EXPECT_NE(after.Read().status, 0);
}

}  // namespace
}  // namespace stepfn::api
