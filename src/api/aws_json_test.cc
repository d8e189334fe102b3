#include "api/aws_json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include "api/raw_client_testing.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::api {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::RawResponse;

std::string AwsRequest(std::string_view target, std::string_view body,
                       std::string_view content_type = "application/x-amz-json-1.0",
                       std::string_view host = "localhost") {
  std::string out = "POST / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n";
  if (!target.empty()) out += "X-Amz-Target: " + std::string(target) + "\r\n";
  if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

// The __type of an error body ("" when the body is not one).
std::string ErrorType(const RawResponse& response) {
  auto parsed = json::Parse(response.body);
  if (!parsed.ok() || !parsed->is_object()) return "";
  const json::Value* type = parsed->find("__type");
  return type != nullptr && type->is_string() ? type->as_string() : "";
}

class AwsJsonTest : public ::testing::Test {
 protected:
  void Start(const Credentials* credentials = nullptr, HttpServerOptions options = {}) {
    protocol_ = std::make_unique<AwsJsonProtocol>(AwsJsonOptions{},
                                                  credentials ? credentials : &allow_all_, &clock_);
    protocol_->RegisterSync("ListStateMachines", [this](const OperationRequest& request) {
      std::lock_guard<std::mutex> lock(mu_);
      last_ = request;
      return AwsOr<json::Value>(
          json::Value::Object({{"stateMachines", json::Value::EmptyArray()}}));
    });
    protocol_->RegisterSync("DescribeExecution", [](const OperationRequest&) {
      return AwsOr<json::Value>(
          AwsError{400, "ExecutionDoesNotExist", "Execution Does Not Exist: 'x'"});
    });
    protocol_->Register(
        "GetActivityTask", [](OperationRequest request, OperationResponder responder) {
          std::thread([request = std::move(request), responder = std::move(responder)]() mutable {
            std::this_thread::sleep_for(50ms);
            responder.Succeed(json::Value::Object({{"echo", request.input}}));
          }).detach();
        });
    options.threads = 2;
    auto server = HttpServer::Start(options, protocol_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  RawResponse Call(const std::string& raw) {
    RawClient client(server_->port());
    EXPECT_TRUE(client.Send(raw));
    return client.Read();
  }

  OperationRequest last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

  SystemClock clock_;
  Credentials allow_all_ = Credentials::AllowAll();
  // A test's own keys: declared before the server, so they outlive its threads.
  std::optional<Credentials> keys_;
  std::unique_ptr<AwsJsonProtocol> protocol_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  OperationRequest last_;
};

TEST_F(AwsJsonTest, DispatchesByTarget) {
  Start();
  RawResponse response =
      Call(AwsRequest("AWSStepFunctions.ListStateMachines", R"({"maxResults":5})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"stateMachines":[]})");
  EXPECT_EQ(response.Header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_TRUE(std::regex_match(response.Header("x-amzn-RequestId"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                          "[0-9a-f]{12}")))
      << response.Header("x-amzn-RequestId");
  EXPECT_EQ(last().operation, "ListStateMachines");
  EXPECT_EQ(json::Write(last().input), R"({"maxResults":5})");
  EXPECT_EQ(last().request_id, response.Header("x-amzn-RequestId"));
}

TEST_F(AwsJsonTest, EmptyBodyIsAnEmptyObjectAndAnyHostIsAnswered) {
  Start();
  RawResponse response =
      Call(AwsRequest("AWSStepFunctions.ListStateMachines", "",
                      "application/x-amz-json-1.0; charset=utf-8", "sync-localhost:8083"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::Write(last().input), "{}");
  EXPECT_EQ(last().host, "sync-localhost:8083");
}

TEST_F(AwsJsonTest, OperationErrorsInAwsShape) {
  Start();
  RawResponse response = Call(AwsRequest("AWSStepFunctions.DescribeExecution", "{}"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Header("x-amzn-ErrorType"), "ExecutionDoesNotExist");
  EXPECT_EQ(response.body,
            R"({"__type":"ExecutionDoesNotExist","message":"Execution Does Not Exist: 'x'"})");
}

TEST_F(AwsJsonTest, AsyncOperation) {
  Start();
  RawResponse response = Call(AwsRequest("AWSStepFunctions.GetActivityTask", R"({"a":[1,2]})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"echo":{"a":[1,2]}})");
}

TEST_F(AwsJsonTest, UnknownOperations) {
  Start();
  for (std::string target : {"AWSStepFunctions.NoSuchThing", "DynamoDB_20120810.ListTables",
                             "AWSStepFunctions.", "AWSStepFunctionsListStateMachines", ""}) {
    RawResponse response = Call(AwsRequest(target, "{}"));
    EXPECT_EQ(response.status, 400) << target;
    EXPECT_EQ(ErrorType(response), "UnknownOperationException") << target;
    EXPECT_EQ(response.Header("x-amzn-ErrorType"), "UnknownOperationException") << target;
  }
  RawResponse get = Call("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(ErrorType(get), "UnknownOperationException");
  EXPECT_EQ(get.Header("Allow"), "POST");
}

TEST_F(AwsJsonTest, BadContentTypesAndBodies) {
  Start();
  const char* target = "AWSStepFunctions.ListStateMachines";
  struct Case {
    std::string content_type;
    std::string body;
  };
  for (const Case& c : std::vector<Case>{{"text/plain", "{}"},
                                         {"", "{}"},
                                         {"application/json", "{}"},
                                         {"application/x-amz-json-1.0", "{"},
                                         {"application/x-amz-json-1.0", "[]"},
                                         {"application/x-amz-json-1.0", "12"},
                                         {"application/x-amz-json-1.0", "{} {}"},
                                         {"application/x-amz-json-1.0", "{\"a\":\"\xff\"}"},
                                         {"application/x-amz-json-1.0", std::string(5000, '[')}}) {
    RawResponse response = Call(AwsRequest(target, c.body, c.content_type));
    EXPECT_EQ(response.status, 400) << c.content_type << " " << c.body.substr(0, 20);
    EXPECT_EQ(ErrorType(response), "SerializationException") << response.body;
  }
  // x-amz-json-1.1 is accepted too.
  EXPECT_EQ(Call(AwsRequest(target, "{}", "application/x-amz-json-1.1")).status, 200);
}

TEST_F(AwsJsonTest, ServerRejectionsInAwsShape) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  options.request_timeout = 200ms;
  Start(nullptr, options);
  RawResponse oversized =
      Call(AwsRequest("AWSStepFunctions.ListStateMachines", std::string(5000, ' ')));
  EXPECT_EQ(oversized.status, 413);
  EXPECT_EQ(ErrorType(oversized), "ValidationException");
  EXPECT_FALSE(oversized.Header("x-amzn-RequestId").empty());

  RawClient truncated(server_->port());
  std::string request = AwsRequest("AWSStepFunctions.ListStateMachines", "{\"maxResults\": 10}");
  ASSERT_TRUE(truncated.Send(request.substr(0, request.size() - 5)));
  truncated.ShutdownWrite();
  RawResponse truncated_response = truncated.Read();
  EXPECT_EQ(truncated_response.status, 400);
  EXPECT_EQ(ErrorType(truncated_response), "SerializationException");

  RawClient slow(server_->port());
  ASSERT_TRUE(slow.Send(request.substr(0, request.size() - 5)));
  RawResponse slow_response = slow.Read();
  EXPECT_EQ(slow_response.status, 408);
  EXPECT_EQ(ErrorType(slow_response), "RequestTimeoutException");
}

TEST_F(AwsJsonTest, SignaturesCheckedWithCredentials) {
  auto keys = Credentials::FromList({{"AKID", "secret", ""}});
  ASSERT_TRUE(keys.ok());
  keys_ = std::move(keys).value();
  Start(&*keys_);
  std::string body = "{}";
  auto signed_request = [&](const Credential& credential) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/";
    request.headers = {{"Host", "localhost"},
                       {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"},
                       {"Content-Type", "application/x-amz-json-1.0"}};
    request.body = body;
    SignRequest(&request, credential, "eu-central-1", "states", clock_.NowMillis());
    std::string raw = "POST / HTTP/1.1\r\n";
    for (const auto& [name, value] : request.headers) raw += name + ": " + value + "\r\n";
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return raw;
  };
  RawResponse good = Call(signed_request({"AKID", "secret", ""}));
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(last().access_key_id, "AKID");
  EXPECT_EQ(last().region, "eu-central-1");
  EXPECT_EQ(ErrorType(Call(signed_request({"AKID", "wrong", ""}))), "InvalidSignatureException");
  EXPECT_EQ(ErrorType(Call(signed_request({"OTHER", "secret", ""}))),
            "UnrecognizedClientException");
  RawResponse unsigned_response = Call(AwsRequest("AWSStepFunctions.ListStateMachines", "{}"));
  EXPECT_EQ(unsigned_response.status, 400);
  EXPECT_EQ(ErrorType(unsigned_response), "MissingAuthenticationTokenException");
}

TEST(AwsError, BodiesAndStatusMapping) {
  EXPECT_EQ(AwsJsonErrorBody({400, "InvalidArn", "Invalid Arn: 'a\"b'"}),
            R"({"__type":"InvalidArn","message":"Invalid Arn: 'a\"b'"})");
  EXPECT_EQ(AwsErrorFromStatus(InvalidArgument("x")).code, "ValidationException");
  EXPECT_EQ(AwsErrorFromStatus(InvalidArgument("x")).http_status, 400);
  EXPECT_EQ(AwsErrorFromStatus(Internal("x")).http_status, 500);
  EXPECT_EQ(AwsErrorFromStatus(Unavailable("disk full")).http_status, 503);
  EXPECT_EQ(AwsErrorFromStatus(NotFound("x")).code, "ResourceNotFound");
  HttpResponse response = AwsJsonErrorResponse(AwsError::Validation("bad"), "rid");
  EXPECT_EQ(response.status, 400);
  bool has_type = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "x-amzn-ErrorType") has_type = value == "ValidationException";
  }
  EXPECT_TRUE(has_type);
  EXPECT_NE(NewRequestId(), NewRequestId());
}

}  // namespace
}  // namespace stepfn::api
