#include "api/router.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "api/aws_json.h"
#include "api/raw_client_testing.h"
#include "json/value.h"

namespace stepfn::api {
namespace {

using testing::RawClient;
using testing::RawRequest;
using testing::RawResponse;

// Answers every request with "<name> <method> <target>".
class EchoHandler final : public Handler {
 public:
  explicit EchoHandler(std::string name) : name_(std::move(name)) {}
  void Handle(HttpRequest request, Responder responder) override {
    responder.Send(
        TextResponse(200, "text/plain", name_ + " " + request.method + " " + request.target));
  }
  HttpResponse Reject(RejectReason reason, std::string_view) override {
    return TextResponse(599, "text/plain",
                        name_ + " rejects " + std::string(RejectReasonName(reason)));
  }

 private:
  std::string name_;
};

RouteHandler Answer(std::string name) {
  return [name](HttpRequest request, Responder responder) {
    responder.Send(TextResponse(200, "text/plain", name + " " + request.target));
  };
}

// Runs `router` on a loopback server and sends one raw request.
class RouterTest : public ::testing::Test {
 protected:
  void Start(Handler* handler) {
    HttpServerOptions options;
    options.threads = 2;
    auto server = HttpServer::Start(options, handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  RawResponse Call(std::string_view method, std::string_view target, std::string_view headers = "",
                   std::string_view body = "") {
    RawClient client(server_->port());
    EXPECT_TRUE(client.Send(RawRequest(method, target, headers, body)));
    return client.Read();
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(RouterTest, RoutesByMethodAndPathAndFallsBackForTheRest) {
  EchoHandler fallback("fallback");
  Router router(&fallback);
  router.Route("GET", "/metrics", Answer("metrics"));
  router.RoutePrefix("GET", "/logs/", Answer("logs"));
  router.RoutePrefix("GET", "/logs/special/", Answer("special"));
  router.Route("GET", "/logs/exact", Answer("exact"));
  Start(&router);

  EXPECT_EQ(Call("GET", "/metrics").body, "metrics /metrics");
  EXPECT_EQ(Call("GET", "/metrics?x=1").body, "metrics /metrics?x=1");
  // Another method, or a longer path, is not the route: the fallback (AWS) answers.
  EXPECT_EQ(Call("POST", "/metrics").body, "fallback POST /metrics");
  EXPECT_EQ(Call("GET", "/metricsx").body, "fallback GET /metricsx");
  EXPECT_EQ(Call("POST", "/").body, "fallback POST /");
  EXPECT_EQ(Call("GET", "/").body, "fallback GET /");
  // Prefixes: the longest wins; an exact route beats any prefix; "/logs" alone is no prefix
  // match of "/logs/".
  EXPECT_EQ(Call("GET", "/logs//aws/group").body, "logs /logs//aws/group");
  EXPECT_EQ(Call("GET", "/logs/special/x").body, "special /logs/special/x");
  EXPECT_EQ(Call("GET", "/logs/exact").body, "exact /logs/exact");
  EXPECT_EQ(Call("GET", "/logs").body, "fallback GET /logs");
  // Rejections are the fallback's.
  EXPECT_EQ(router.Reject(RejectReason::BodyTooLarge, "big").body, "fallback rejects BodyTooLarge");
}

// Remembers every summary the protocol reports.
class RecordingObserver final : public RequestObserver {
 public:
  void OnAnswered(const RequestSummary& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(std::string(s.operation.empty() ? "-" : s.operation) + " " +
                    std::to_string(s.http_status) + " " + std::string(s.error_code));
    EXPECT_GE(s.micros, 0);
    EXPECT_EQ(s.request_id.size(), 36u);
  }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST_F(RouterTest, InFrontOfTheAwsProtocolWhichReportsEveryAnswer) {
  SystemClock clock;
  Credentials credentials = Credentials::AllowAll();
  AwsJsonProtocol protocol(AwsJsonOptions{}, &credentials, &clock);
  protocol.RegisterSync("ListStateMachines", [](const OperationRequest&) {
    return AwsOr<json::Value>(json::Value::Object({{"stateMachines", json::Value::EmptyArray()}}));
  });
  protocol.RegisterSync("DescribeExecution", [](const OperationRequest&) {
    return AwsOr<json::Value>(AwsError{400, "ExecutionDoesNotExist", "no"});
  });
  protocol.Register("GetActivityTask", [](OperationRequest, OperationResponder responder) {
    std::thread([responder = std::move(responder)]() mutable {
      responder.Succeed(json::Value::EmptyObject());
    }).detach();
  });
  RecordingObserver observer;
  protocol.SetObserver(&observer);
  Router router(&protocol);
  router.Route("GET", "/metrics", Answer("metrics"));
  Start(&router);

  const std::string json = "Content-Type: application/x-amz-json-1.0\r\n";
  RawResponse list =
      Call("POST", "/", json + "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n", "{}");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("stateMachines"), std::string::npos);
  EXPECT_EQ(
      Call("POST", "/", json + "X-Amz-Target: AWSStepFunctions.DescribeExecution\r\n", "{}").status,
      400);
  EXPECT_EQ(
      Call("POST", "/", json + "X-Amz-Target: AWSStepFunctions.GetActivityTask\r\n", "{}").status,
      200);
  EXPECT_EQ(Call("POST", "/", json + "X-Amz-Target: AWSStepFunctions.Nope\r\n", "{}").status, 400);
  EXPECT_EQ(Call("POST", "/", "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n", "{}").status,
            400);
  EXPECT_EQ(Call("GET", "/metrics").body, "metrics /metrics");
  EXPECT_EQ(Call("GET", "/").status, 405);
  (void)protocol.Reject(RejectReason::RequestTimeout, "slow");

  EXPECT_EQ(observer.seen(), (std::vector<std::string>{
                                 "ListStateMachines 200 ",
                                 "DescribeExecution 400 ExecutionDoesNotExist",
                                 "GetActivityTask 200 ",
                                 "- 400 UnknownOperationException",
                                 "ListStateMachines 400 SerializationException",
                                 "- 405 UnknownOperationException",
                                 "- 408 RequestTimeoutException",
                             }));
}

TEST(RouterHelpers, PathsQueriesAndEscapes) {
  EXPECT_EQ(TargetPath("/logs/a%2Fb?x=1"), "/logs/a%2Fb");
  EXPECT_EQ(TargetPath("/metrics"), "/metrics");
  EXPECT_EQ(TargetPath("/m#frag"), "/m");

  std::string out;
  EXPECT_TRUE(PercentDecode("%2Faws%2fx+y", false, &out));
  EXPECT_EQ(out, "/aws/x+y");
  EXPECT_TRUE(PercentDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("%2", false, &out));
  EXPECT_FALSE(PercentDecode("%zz", false, &out));
  EXPECT_FALSE(PercentDecode("abc%", false, &out));

  auto q = QueryParameters("/logs/g?stream=s%2F1&start=10&flag&&end=&bad=%z");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"stream", "s/1"}));
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"start", "10"}));
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"end", ""}));
  EXPECT_EQ(q[4], (std::pair<std::string, std::string>{"bad", "%z"}));
  EXPECT_TRUE(QueryParameters("/x").empty());
}

}  // namespace
}  // namespace stepfn::api
