#include "api/rest_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "api/dispatcher.h"
#include "api/raw_client_testing.h"
#include "json/parse.h"
#include "json/value.h"

namespace stepfn::api {
namespace {

using testing::CommandResult;
using testing::RawClient;
using testing::RawRequest;
using testing::RawResponse;
using testing::RunCommand;

json::Value Obj(std::vector<json::Member> members) {
  return json::Value::Object(std::move(members));
}

json::Value ParseOrNull(const std::string& text) {
  auto parsed = json::Parse(text);
  return parsed.ok() ? *parsed : json::Value();
}

std::string Field(const json::Value& v, const char* key) {
  const json::Value* at = v.find(key);
  if (at == nullptr) return "<missing>";
  if (at->is_string()) return at->as_string();
  if (at->is_int()) return std::to_string(at->as_int());
  return "<other>";
}

// Echoes what an operation received: its name, labels, query and body.
RestResponse Echo(const RestRequest& request) {
  std::vector<json::Member> labels, query;
  for (const auto& [k, v] : request.labels) labels.emplace_back(k, json::Value::String(v));
  for (const auto& [k, v] : request.query) {
    bool seen = false;
    for (const auto& member : query) seen = seen || member.first == k;
    if (!seen) query.emplace_back(k, json::Value::String(v));
  }
  return RestResponse::Json(Obj({{"operation", json::Value::String(request.operation)},
                                 {"labels", json::Value::Object(std::move(labels))},
                                 {"query", json::Value::Object(std::move(query))},
                                 {"body", json::Value::String(request.body)}}));
}

// A fake Lambda API, a fake CloudWatch Logs API and a fake Step Functions API on one port.
class RestJsonTest : public ::testing::Test {
 protected:
  void Start(const Credentials* credentials, HttpServerOptions options = {}) {
    sfn_ = std::make_unique<AwsJsonProtocol>(AwsJsonOptions{}, credentials, &clock_);
    sfn_->RegisterSync("ListStateMachines", [](const OperationRequest&) {
      return AwsOr<json::Value>(Obj({{"stateMachines", json::Value::EmptyArray()}}));
    });
    AwsJsonOptions logs_options;
    logs_options.target_prefix = "Logs_20140328";
    logs_options.signing_service = "logs";
    logs_options.json_version = "1.1";
    logs_ = std::make_unique<AwsJsonProtocol>(logs_options, credentials, &clock_);
    logs_->RegisterSync("DescribeLogGroups", [](const OperationRequest&) {
      return AwsOr<json::Value>(Obj({{"logGroups", json::Value::EmptyArray()}}));
    });
    logs_->RegisterSync("CreateLogGroup", [](const OperationRequest& request) {
      const json::Value* name = request.input.find("logGroupName");
      if (name != nullptr && name->is_string() && name->as_string() == "exists") {
        return AwsOr<json::Value>(AwsError{400, "ResourceAlreadyExistsException",
                                           "The specified log group already exists"});
      }
      return AwsOr<json::Value>(json::Value::EmptyObject());
    });

    lambda_ = std::make_unique<RestJsonProtocol>(RestJsonOptions{}, credentials, &clock_);
    ASSERT_TRUE(lambda_
                    ->Register("Invoke", "POST", "/2015-03-31/functions/{FunctionName}/invocations",
                               [this](RestRequest request, RestResponder responder) {
                                 Invoke(std::move(request), std::move(responder));
                               })
                    .ok());
    ASSERT_TRUE(lambda_->RegisterSync("ListFunctions", "GET", "/2015-03-31/functions/", Echo).ok());
    ASSERT_TRUE(lambda_
                    ->RegisterSync("GetFunction", "GET", "/2015-03-31/functions/{FunctionName}",
                                   [](const RestRequest& request) -> AwsOr<RestResponse> {
                                     const std::string* name = request.Label("FunctionName");
                                     if (*name == "missing") {
                                       return AwsError{404, "ResourceNotFoundException",
                                                       "Function not found: "
                                                       "arn:aws:lambda:us-east-1:123456789012:"
                                                       "function:missing"};
                                     }
                                     return RestResponse::Json(Obj(
                                         {{"Configuration",
                                           Obj({{"FunctionName", json::Value::String(*name)}})}}));
                                   })
                    .ok());
    ASSERT_TRUE(
        lambda_
            ->RegisterSync("PutFunctionConcurrency", "PUT",
                           "/2017-10-31/functions/{FunctionName}/concurrency",
                           [](const RestRequest& request) -> AwsOr<RestResponse> {
                             AwsOr<json::Value> body = request.JsonBody();
                             if (auto* error = std::get_if<AwsError>(&body)) return *error;
                             const json::Value* n =
                                 std::get<json::Value>(body).find("ReservedConcurrentExecutions");
                             if (n == nullptr || !n->is_int()) {
                               return AwsError{400, "InvalidParameterValueException",
                                               "ReservedConcurrentExecutions is required"};
                             }
                             return RestResponse::Json(Obj({{"ReservedConcurrentExecutions", *n}}));
                           })
            .ok());
    RestRouteOptions large;
    large.max_body_bytes = 4 * 1024 * 1024;
    ASSERT_TRUE(
        lambda_
            ->RegisterSync(
                "CreateFunction", "POST", "/2015-03-31/functions",
                [](const RestRequest& request) -> AwsOr<RestResponse> {
                  return RestResponse::Json(
                      Obj({{"bytes", json::Value::Int(static_cast<int64_t>(request.body.size()))}}),
                      201);
                },
                large)
            .ok());
    ASSERT_TRUE(
        lambda_
            ->RegisterSync(
                "DeleteFunction", "DELETE", "/2015-03-31/functions/{FunctionName}",
                [](const RestRequest&) -> AwsOr<RestResponse> { return RestResponse::Empty(204); })
            .ok());

    services_ = std::make_unique<ServiceDispatcher>(sfn_.get());
    services_->AddJson(sfn_.get());
    services_->AddJson(logs_.get());
    services_->AddRest(lambda_.get());
    options.threads = 2;
    auto server = HttpServer::Start(options, services_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  void TearDown() override {
    if (server_) server_->Stop();
    std::lock_guard<std::mutex> lock(threads_mu_);
    for (auto& t : threads_) t.join();
  }

  // Answers from another thread, later (as Invoke waits for a function).
  void Invoke(RestRequest request, RestResponder responder) {
    if (*request.Label("FunctionName") == "missing") {
      responder.Fail({404, "ResourceNotFoundException", "Function not found"});
      return;
    }
    std::lock_guard<std::mutex> lock(threads_mu_);
    threads_.emplace_back([request = std::move(request), r = std::move(responder)]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      json::Value payload = Obj({{"function", json::Value::String(*request.Label("FunctionName"))},
                                 {"payload", json::Value::String(request.body)}});
      RestResponse response = RestResponse::Json(payload);
      const std::string* qualifier = request.Query("Qualifier");
      response.headers.emplace_back("X-Amz-Executed-Version",
                                    qualifier != nullptr ? *qualifier : "$LATEST");
      r.Send(std::move(response));
    });
  }

  RawResponse Call(std::string_view method, std::string_view target, std::string_view body = "",
                   std::string_view headers = "") {
    RawClient client(server_->port());
    EXPECT_TRUE(client.Send(RawRequest(method, target, headers, body)));
    return client.Read();
  }

  std::string port() const { return std::to_string(server_->port()); }

  SystemClock clock_;
  Credentials allow_all_ = Credentials::AllowAll();
  // A test's own keys: declared before the server, so they outlive its threads.
  std::optional<Credentials> keys_;
  std::unique_ptr<AwsJsonProtocol> sfn_;
  std::unique_ptr<AwsJsonProtocol> logs_;
  std::unique_ptr<RestJsonProtocol> lambda_;
  std::unique_ptr<ServiceDispatcher> services_;
  std::unique_ptr<HttpServer> server_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;  // guarded by threads_mu_
};

TEST_F(RestJsonTest, RoutesByMethodAndPathWithDecodedLabelsAndQuery) {
  Start(&allow_all_);
  RawResponse listed = Call("GET", "/2015-03-31/functions/?Marker=a%20b%2Fc&MaxItems=5");
  ASSERT_EQ(listed.status, 200) << listed.head << listed.body;
  EXPECT_EQ(listed.Header("x-amzn-RequestId").size(), 36u);
  EXPECT_EQ(listed.Header("Content-Type"), "application/json");
  json::Value out = ParseOrNull(listed.body);
  EXPECT_EQ(Field(out, "operation"), "ListFunctions");
  EXPECT_EQ(Field(*out.find("query"), "Marker"), "a b/c");
  EXPECT_EQ(Field(*out.find("query"), "MaxItems"), "5");
  // Without the trailing slash too.
  EXPECT_EQ(Field(ParseOrNull(Call("GET", "/2015-03-31/functions").body), "operation"),
            "ListFunctions");
  // The same path under POST is CreateFunction.
  RawResponse created = Call("POST", "/2015-03-31/functions", "{}");
  EXPECT_EQ(created.status, 201);
  // A label, percent-decoded (an ARN with ':' and an escaped '/').
  RawResponse got =
      Call("GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afn%2Fx");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, R"({"Configuration":{"FunctionName":"arn:aws:lambda:us-east-1:1:fn/x"}})");
  // A literal segment beats a label: ".../functions/" is ListFunctions, not GetFunction("").
  RawResponse put =
      Call("PUT", "/2017-10-31/functions/f/concurrency", R"({"ReservedConcurrentExecutions": 7})");
  EXPECT_EQ(put.status, 200);
  EXPECT_EQ(put.body, R"({"ReservedConcurrentExecutions":7})");
  // 204 without a body.
  RawResponse deleted = Call("DELETE", "/2015-03-31/functions/f");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(deleted.Header("x-amzn-RequestId").size(), 36u);
}

TEST_F(RestJsonTest, AnswersLaterFromAnotherThread) {
  Start(&allow_all_);
  RawResponse invoked =
      Call("POST", "/2015-03-31/functions/my-fn/invocations?Qualifier=v1", R"({"a":1})");
  ASSERT_EQ(invoked.status, 200) << invoked.body;
  EXPECT_EQ(invoked.Header("X-Amz-Executed-Version"), "v1");
  EXPECT_EQ(invoked.body, R"({"function":"my-fn","payload":"{\"a\":1}"})");
}

TEST_F(RestJsonTest, ErrorsInLambdasShape) {
  Start(&allow_all_);
  RawResponse missing = Call("GET", "/2015-03-31/functions/missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(missing.Header("x-amzn-RequestId").size(), 36u);
  EXPECT_EQ(missing.body, R"({"Type":"User","Message":"Function not found: )"
                          R"(arn:aws:lambda:us-east-1:123456789012:function:missing"})");
  RawResponse bad_json = Call("PUT", "/2017-10-31/functions/f/concurrency", "{nope");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.Header("x-amzn-ErrorType"), "SerializationException");
  // A path under a Lambda API version with no route: Lambda's unknown-operation answer.
  RawResponse unknown = Call("GET", "/2015-03-31/functions/f/versions");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Header("x-amzn-ErrorType"), "UnknownOperationException");
  EXPECT_EQ(Field(ParseOrNull(unknown.body), "message"),
            "Unknown operation: GET /2015-03-31/functions/f/versions is not a Lambda API");
  RawResponse wrong_method = Call("PATCH", "/2015-03-31/functions/f");
  EXPECT_EQ(wrong_method.status, 404);
  EXPECT_EQ(wrong_method.Header("x-amzn-ErrorType"), "UnknownOperationException");
  // Paths no service claims still get Step Functions' answers.
  RawResponse get_root = Call("GET", "/");
  EXPECT_EQ(get_root.status, 405);
  EXPECT_EQ(get_root.Header("Allow"), "POST");
  RawResponse no_target = Call("POST", "/", "{}", "Content-Type: application/x-amz-json-1.0\r\n");
  EXPECT_EQ(no_target.status, 400);
  EXPECT_EQ(Field(ParseOrNull(no_target.body), "__type"), "UnknownOperationException");
}

TEST_F(RestJsonTest, AwsJsonServicesByTargetPrefix) {
  Start(&allow_all_);
  RawResponse logs = Call("POST", "/", "{}",
                          "X-Amz-Target: Logs_20140328.DescribeLogGroups\r\n"
                          "Content-Type: application/x-amz-json-1.1\r\n");
  ASSERT_EQ(logs.status, 200) << logs.body;
  EXPECT_EQ(logs.body, R"({"logGroups":[]})");
  EXPECT_EQ(logs.Header("Content-Type"), "application/x-amz-json-1.1");
  RawResponse sfn = Call("POST", "/", "{}",
                         "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
                         "Content-Type: application/x-amz-json-1.0\r\n");
  ASSERT_EQ(sfn.status, 200) << sfn.body;
  EXPECT_EQ(sfn.Header("Content-Type"), "application/x-amz-json-1.0");
  // An operation of one service is not another's.
  RawResponse crossed = Call("POST", "/", "{}",
                             "X-Amz-Target: Logs_20140328.ListStateMachines\r\n"
                             "Content-Type: application/x-amz-json-1.1\r\n");
  EXPECT_EQ(crossed.status, 400);
  EXPECT_EQ(Field(ParseOrNull(crossed.body), "__type"), "UnknownOperationException");
  // An unknown prefix: the fallback's unknown operation.
  RawResponse unknown = Call("POST", "/", "{}",
                             "X-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                             "Content-Type: application/x-amz-json-1.0\r\n");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Field(ParseOrNull(unknown.body), "__type"), "UnknownOperationException");
}

TEST_F(RestJsonTest, PerRouteBodyLimits) {
  HttpServerOptions options;
  options.max_body_bytes = 1024 * 1024;  // CreateFunction allows 4 MiB
  Start(&allow_all_, options);
  std::string two_mib(2 * 1024 * 1024, 'x');
  RawResponse created = Call("POST", "/2015-03-31/functions", two_mib);
  ASSERT_EQ(created.status, 201) << created.head << created.body;
  EXPECT_EQ(created.body, R"({"bytes":2097152})");
  // The same body to a route without a larger limit: refused before it is read.
  RawResponse refused = Call("PUT", "/2017-10-31/functions/f/concurrency", two_mib);
  EXPECT_EQ(refused.status, 413);
  EXPECT_EQ(refused.Header("x-amzn-ErrorType"), "ValidationException");
  // Over the route's own limit.
  std::string five_mib(5 * 1024 * 1024, 'x');
  RawResponse too_large = Call("POST", "/2015-03-31/functions", five_mib);
  EXPECT_EQ(too_large.status, 413);
  // Chunked bodies are bounded by the route's limit as they arrive.
  auto chunked = [&](std::string_view target, size_t bytes) {
    RawClient client(server_->port());
    std::string head = "POST " + std::string(target) +
                       " HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    EXPECT_TRUE(client.Send(head));
    std::string chunk(64 * 1024, 'y');
    char size_line[32];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
    for (size_t sent = 0; sent < bytes; sent += chunk.size()) {
      if (!client.Send(std::string(size_line) + chunk + "\r\n")) break;
    }
    client.Send("0\r\n\r\n");
    return client.Read();
  };
  EXPECT_EQ(chunked("/2015-03-31/functions", 2 * 1024 * 1024).status, 201);
  EXPECT_EQ(chunked("/2015-03-31/functions", 5 * 1024 * 1024).status, 413);
  // Step Functions keeps the server's default.
  RawResponse sfn = Call("POST", "/", two_mib,
                         "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
                         "Content-Type: application/x-amz-json-1.0\r\n");
  EXPECT_EQ(sfn.status, 413);
}

TEST(RestJsonRoutes, GreedyLabelsQueryLiteralsAndBadTemplates) {
  SystemClock clock;
  Credentials allow_all = Credentials::AllowAll();
  RestJsonProtocol protocol(RestJsonOptions{}, &allow_all, &clock);
  auto op = [](const RestRequest&) -> AwsOr<RestResponse> { return RestResponse::Empty(200); };
  EXPECT_TRUE(protocol.RegisterSync("GetObject", "GET", "/{Bucket}/{Key+}", op).ok());
  EXPECT_TRUE(protocol.RegisterSync("ListConfigs", "GET", "/f/{Name}/pc?List=ALL", op).ok());
  EXPECT_TRUE(protocol.RegisterSync("GetConfig", "GET", "/f/{Name}/pc", op).ok());
  EXPECT_TRUE(protocol.Matches("GET", "/bucket/a/b%20c/d"));
  EXPECT_TRUE(protocol.Matches("GET", "/f/x/pc?List=ALL"));
  EXPECT_TRUE(protocol.Matches("GET", "/f/x/pc"));
  EXPECT_FALSE(protocol.Matches("GET", "/bucket"));
  EXPECT_FALSE(protocol.Matches("PUT", "/bucket/key"));
  EXPECT_FALSE(protocol.RegisterSync("Bad", "GET", "/{A+}/b", op).ok());
  EXPECT_FALSE(protocol.RegisterSync("Bad", "GET", "/{}", op).ok());
  EXPECT_FALSE(protocol.RegisterSync("Bad", "GET", "/a{B}", op).ok());
  EXPECT_FALSE(protocol.RegisterSync("Bad", "GET", "/{A}/{A}", op).ok());
  EXPECT_FALSE(protocol.RegisterSync("Bad", "GET", "no-slash", op).ok());

  // Labels as operations see them.
  std::string key, list;
  RestJsonProtocol seen(RestJsonOptions{}, &allow_all, &clock);
  ASSERT_TRUE(seen.RegisterSync("GetObject", "GET", "/{Bucket}/{Key+}",
                                [&](const RestRequest& r) -> AwsOr<RestResponse> {
                                  key = *r.Label("Bucket") + "|" + *r.Label("Key");
                                  return RestResponse::Empty(200);
                                })
                  .ok());
  ASSERT_TRUE(seen.RegisterSync("List", "GET", "/f/{Name}/pc?List=ALL",
                                [&](const RestRequest& r) -> AwsOr<RestResponse> {
                                  list = "list " + *r.Label("Name");
                                  return RestResponse::Empty(200);
                                })
                  .ok());
  ASSERT_TRUE(seen.RegisterSync("Get", "GET", "/f/{Name}/pc",
                                [&](const RestRequest& r) -> AwsOr<RestResponse> {
                                  list = "get " + *r.Label("Name");
                                  return RestResponse::Empty(200);
                                })
                  .ok());
  HttpServerOptions options;
  options.threads = 1;
  auto server = HttpServer::Start(options, &seen);
  ASSERT_TRUE(server.ok());
  auto call = [&](std::string_view target) {
    RawClient client((*server)->port());
    EXPECT_TRUE(client.Send(RawRequest("GET", target, "", "")));
    return client.Read().status;
  };
  EXPECT_EQ(call("/b/dir/sub%2Fx/file%20name.txt"), 200);
  EXPECT_EQ(key, "b|dir/sub/x/file name.txt");
  EXPECT_EQ(call("/f/n1/pc?List=ALL"), 200);
  EXPECT_EQ(list, "list n1");
  EXPECT_EQ(call("/f/n2/pc"), 200);
  EXPECT_EQ(list, "get n2");
  EXPECT_EQ(call("/b"), 404);
  (*server)->Stop();
}

// Requests signed for a service: accepted when the scope names the route's signing name.
TEST(RestJsonAuth, SignedWithTheServicesSigningName) {
  SystemClock clock;
  auto keys = Credentials::FromList({{"AKIDGOOD", "good-secret", ""}});
  ASSERT_TRUE(keys.ok());
  RestJsonProtocol lambda(RestJsonOptions{}, &*keys, &clock);
  ASSERT_TRUE(lambda
                  .RegisterSync("ListFunctions", "GET", "/2015-03-31/functions/",
                                [](const RestRequest& r) -> AwsOr<RestResponse> {
                                  return RestResponse::Json(
                                      Obj({{"caller", json::Value::String(r.access_key_id)},
                                           {"region", json::Value::String(r.region)}}));
                                })
                  .ok());
  HttpServerOptions options;
  options.threads = 1;
  auto server = HttpServer::Start(options, &lambda);
  ASSERT_TRUE(server.ok());
  auto send = [&](const HttpRequest& request) {
    std::string raw = request.method + " " + request.target + " HTTP/1.1\r\n";
    for (const auto& [k, v] : request.headers) raw += k + ": " + v + "\r\n";
    raw += "Content-Length: 0\r\n\r\n";
    RawClient client((*server)->port());
    EXPECT_TRUE(client.Send(raw));
    return client.Read();
  };
  auto signed_request = [&](std::string_view service, std::string secret) {
    HttpRequest request;
    request.method = "GET";
    request.target = "/2015-03-31/functions/?MaxItems=2";
    request.headers.emplace_back("Host", "localhost");
    SignRequest(&request, {"AKIDGOOD", std::move(secret), ""}, "eu-west-1", service,
                clock.NowMillis());
    return request;
  };
  RawResponse ok = send(signed_request("lambda", "good-secret"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, R"({"caller":"AKIDGOOD","region":"eu-west-1"})");
  RawResponse other_service = send(signed_request("states", "good-secret"));
  EXPECT_EQ(other_service.status, 403);
  EXPECT_EQ(other_service.Header("x-amzn-ErrorType"), "InvalidSignatureException");
  RawResponse bad_secret = send(signed_request("lambda", "wrong"));
  EXPECT_EQ(bad_secret.status, 403);
  EXPECT_EQ(bad_secret.Header("x-amzn-ErrorType"), "InvalidSignatureException");
  EXPECT_NE(Field(ParseOrNull(bad_secret.body), "message"), "<missing>");
  RawClient client((*server)->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/2015-03-31/functions/", "", "")));
  RawResponse unsigned_request = client.Read();
  EXPECT_EQ(unsigned_request.status, 403);
  EXPECT_EQ(unsigned_request.Header("x-amzn-ErrorType"), "MissingAuthenticationTokenException");
  (*server)->Stop();
}

// boto3 against Lambda, CloudWatch Logs and Step Functions on one port.
TEST_F(RestJsonTest, Boto3) {
  if (!testing::PythonHas("boto3")) GTEST_SKIP() << "boto3 is not installed";
  Start(&allow_all_);
  CommandResult run =
      RunCommand("python3 " STEPFN_API_TESTDATA "/services_boto3.py " + port() + " allow_all");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  json::Value out = ParseOrNull(run.output);
  ASSERT_TRUE(out.is_object()) << run.output;
  EXPECT_EQ(Field(out, "invoke_status"), "200");
  EXPECT_EQ(Field(out, "invoke_version"), "v1");
  EXPECT_EQ(Field(out, "invoke_payload"), R"({"function":"my-fn","payload":"{\"a\": 1}"})");
  EXPECT_EQ(Field(out, "invoke_arn_function"),
            "arn:aws:lambda:us-east-1:123456789012:function:my-fn");
  EXPECT_EQ(Field(out, "list_marker"), "a b/c");
  EXPECT_EQ(Field(out, "list_max_items"), "5");
  EXPECT_EQ(Field(out, "concurrency"), "3");
  const json::Value* missing = out.find("missing");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(Field(*missing, "code"), "ResourceNotFoundException");
  EXPECT_EQ(Field(*missing, "message"),
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing");
  EXPECT_EQ(Field(*missing, "status"), "404");
  EXPECT_EQ(Field(*missing, "type"), "User");
  EXPECT_EQ(Field(*missing, "class"), "ResourceNotFoundException");
  EXPECT_EQ(Field(*missing, "request_id").size(), 36u);
  EXPECT_EQ(Field(*out.find("unknown"), "code"), "UnknownOperationException");
  EXPECT_EQ(Field(*out.find("unknown"), "status"), "404");
  EXPECT_EQ(Field(out, "logs_groups"), "0");
  EXPECT_EQ(Field(*out.find("logs_exists"), "code"), "ResourceAlreadyExistsException");
  EXPECT_EQ(Field(*out.find("logs_exists"), "class"), "ResourceAlreadyExistsException");
  EXPECT_EQ(Field(out, "sfn_machines"), "0");
}

TEST_F(RestJsonTest, Boto3WithAuthFile) {
  if (!testing::PythonHas("boto3")) GTEST_SKIP() << "boto3 is not installed";
  auto keys = Credentials::FromList({{"AKIDGOOD", "good-secret", ""}});
  ASSERT_TRUE(keys.ok());
  keys_ = std::move(keys).value();
  Start(&*keys_);
  CommandResult run =
      RunCommand("python3 " STEPFN_API_TESTDATA "/services_boto3.py " + port() + " auth");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  json::Value out = ParseOrNull(run.output);
  ASSERT_TRUE(out.is_object()) << run.output;
  EXPECT_EQ(Field(out, "lambda_good"), "ok");
  EXPECT_EQ(Field(out, "logs_good"), "ok");
  EXPECT_EQ(Field(out, "sfn_good"), "ok");
  EXPECT_EQ(Field(*out.find("lambda_bad_secret"), "code"), "InvalidSignatureException");
  EXPECT_EQ(Field(*out.find("lambda_bad_secret"), "status"), "403");
  EXPECT_EQ(Field(*out.find("lambda_unknown_key"), "code"), "UnrecognizedClientException");
  EXPECT_EQ(Field(*out.find("lambda_unknown_key"), "message"),
            "The security token included in the request is invalid.");
  EXPECT_EQ(Field(*out.find("logs_bad_secret"), "code"), "InvalidSignatureException");
  EXPECT_EQ(Field(*out.find("logs_bad_secret"), "status"), "400");
  EXPECT_EQ(Field(*out.find("logs_unknown_key"), "code"), "UnrecognizedClientException");
}

// The aws CLI against the same services.
TEST_F(RestJsonTest, AwsCli) {
  if (RunCommand("aws --version >/dev/null 2>&1").exit_code != 0) {
    GTEST_SKIP() << "the aws CLI is not installed";
  }
  Start(&allow_all_);
  auto aws = [&](const std::string& args) {
    return RunCommand(
        "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "
        "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 "
        "aws " +
        args + " --endpoint-url http://127.0.0.1:" + port() + " --output json 2>&1");
  };
  CommandResult groups = aws("logs describe-log-groups");
  EXPECT_EQ(groups.exit_code, 0) << groups.output;
  EXPECT_NE(groups.output.find("logGroups"), std::string::npos) << groups.output;
  CommandResult concurrency =
      aws("lambda put-function-concurrency --function-name f --reserved-concurrent-executions 4");
  EXPECT_EQ(concurrency.exit_code, 0) << concurrency.output;
  EXPECT_NE(concurrency.output.find("\"ReservedConcurrentExecutions\": 4"), std::string::npos)
      << concurrency.output;
  CommandResult missing = aws("lambda get-function --function-name missing");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("(ResourceNotFoundException) when calling the GetFunction "
                                "operation: Function not found: "),
            std::string::npos)
      << missing.output;
  CommandResult exists = aws("logs create-log-group --log-group-name exists");
  EXPECT_NE(exists.output.find("(ResourceAlreadyExistsException)"), std::string::npos)
      << exists.output;
}

}  // namespace
}  // namespace stepfn::api
