#include "api/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "api/raw_client_testing.h"

namespace stepfn::api {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::RawRequest;
using testing::RawResponse;

// Answers "<method> <target> <body>"; target "/later" answers from another thread after 100 ms,
// "/drop" drops the responder, "/hold" keeps it in held_ until the test releases it,
// "/before-next" answers with SendBeforeNext.
class EchoHandler : public Handler {
 public:
  ~EchoHandler() override {
    for (auto& t : threads_) t.join();
  }

  void Handle(HttpRequest request, Responder responder) override {
    ++handled_;
    HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain");
    const std::string* host = request.FindHeader("host");
    response.headers.emplace_back("X-Seen-Host", host ? *host : "");
    response.body = request.method + " " + request.target + " " + request.body;
    response.headers.emplace_back("X-Local-Port", std::to_string(request.local_port));
    if (request.target == "/drop") return;
    if (request.target == "/hold") {
      std::lock_guard<std::mutex> lock(mu_);
      held_.push_back(std::move(responder));
      return;
    }
    if (request.target == "/big-later") {
      // Larger than the socket takes at once: the loop writes what the Responder's thread
      // could not.
      response.body.assign(8 * 1024 * 1024, 'x');
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back(
          [r = std::move(responder), response]() mutable { r.Send(std::move(response)); });
      return;
    }
    if (request.target == "/no-content") {
      response.status = 204;  // a 204 has no body, whatever the handler said
      response.headers.emplace_back("Content-Length", "12");
    }
    if (request.target == "/line-breaks") {
      response.headers.emplace_back("X-Value", "a\r\nX-Injected: yes\r\n");
    }
    if (request.target == "/answer-then-work") {
      // Answered at once, but the handler goes on for a while: the answer leaves when it
      // returns.
      responder.Send(std::move(response));
      std::this_thread::sleep_for(100ms);
      return;
    }
    if (request.target == "/before-next") {
      responder.SendBeforeNext(std::move(response));
      return;
    }
    if (request.target == "/later") {
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([r = std::move(responder), response]() mutable {
        std::this_thread::sleep_for(100ms);
        r.Send(std::move(response));
      });
      return;
    }
    responder.Send(std::move(response));
  }

  std::vector<Responder> TakeHeld() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(held_);
  }
  size_t HeldCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }

  std::atomic<int> handled_{0};

 private:
  std::mutex mu_;
  std::vector<Responder> held_;
  std::vector<std::thread> threads_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.threads = options.threads == 0 ? 2 : options.threads;
    auto server = HttpServer::Start(options, &handler_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  uint16_t port() const { return server_->port(); }

  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAndKeepsAlive) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "hello")));
  RawResponse first = client.Read();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "POST / hello");
  EXPECT_EQ(first.Header("Server"), "stepfn");
  EXPECT_FALSE(first.Header("Date").empty());
  EXPECT_EQ(first.Header("X-Seen-Host"), "localhost");
  ASSERT_TRUE(client.Send(RawRequest("GET", "/x?y=1", "", "")));
  RawResponse second = client.Read();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "GET /x?y=1 ");
  EXPECT_EQ(handler_.handled_.load(), 2);
}

TEST_F(HttpServerTest, ExtraListenersTellWhichPortTookTheRequest) {
  StartServer();
  auto extra = server_->AddListener();
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  ASSERT_NE(*extra, port());
  {
    RawClient main_client(port());
    ASSERT_TRUE(main_client.Send(RawRequest("GET", "/a", "", "")));
    EXPECT_EQ(main_client.Read().Header("X-Local-Port"), std::to_string(port()));
  }
  RawClient extra_client(*extra);
  ASSERT_TRUE(extra_client.connected());
  ASSERT_TRUE(extra_client.Send(RawRequest("GET", "/b", "", "")));
  RawResponse response = extra_client.Read();
  EXPECT_EQ(response.body, "GET /b ");
  EXPECT_EQ(response.Header("X-Local-Port"), std::to_string(*extra));

  // Removed: no new connections; the open one still works.
  server_->RemoveListener(*extra);
  bool refused = false;
  for (int attempt = 0; attempt < 100 && !refused; ++attempt) {
    RawClient late(*extra, 200);
    refused = !late.connected();
    if (!refused) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(refused);
  ASSERT_TRUE(extra_client.Send(RawRequest("GET", "/c", "", "")));
  EXPECT_EQ(extra_client.Read().body, "GET /c ");
  server_->Stop();
  EXPECT_FALSE(server_->AddListener().ok());
}

TEST_F(HttpServerTest, PipelinedRequestsAnswerInOrder) {
  StartServer();
  RawClient client(port());
  std::string burst;
  // The slow one first: its answer must still come first.
  burst += RawRequest("POST", "/later", "", "a");
  burst += RawRequest("POST", "/b", "", "b");
  burst += RawRequest("POST", "/c", "", "c");
  ASSERT_TRUE(client.Send(burst));
  EXPECT_EQ(client.Read().body, "POST /later a");
  EXPECT_EQ(client.Read().body, "POST /b b");
  EXPECT_EQ(client.Read().body, "POST /c c");
}

// SendBeforeNext: alone it is an ordinary answer; when the next request is already there
// (pipelined), the answer waits for that request's answer and both leave together, in order.
// A stop with an answer held back still delivers it.
TEST_F(HttpServerTest, SendBeforeNextWaitsForThePipelinedRequestsAnswer) {
  HttpServerOptions options;
  options.drain_timeout = 200ms;
  StartServer(options);
  RawClient client(port(), 300);
  ASSERT_TRUE(client.Send(RawRequest("POST", "/before-next", "", "alone")));
  EXPECT_EQ(client.Read().body, "POST /before-next alone");

  auto wait_held = [&](size_t n) {
    for (int i = 0; i < 400 && handler_.HeldCount() < n; ++i) std::this_thread::sleep_for(5ms);
    return handler_.HeldCount();
  };
  ASSERT_TRUE(client.Send(RawRequest("POST", "/before-next", "", "a") +
                          RawRequest("POST", "/hold", "", "b")));
  ASSERT_EQ(wait_held(1), 1u);
  RawResponse nothing = client.Read();  // the first answer waits for the second
  EXPECT_EQ(nothing.status, 0);
  EXPECT_TRUE(nothing.head.empty());
  std::vector<Responder> held = handler_.TakeHeld();
  HttpResponse answer;
  answer.body = "b answered";
  held[0].Send(std::move(answer));
  EXPECT_EQ(client.Read().body, "POST /before-next a");
  EXPECT_EQ(client.Read().body, "b answered");

  ASSERT_TRUE(client.Send(RawRequest("POST", "/before-next", "", "c") +
                          RawRequest("POST", "/hold", "", "d")));
  ASSERT_EQ(wait_held(1), 1u);
  server_->Stop();  // /hold is never answered: the drain times out and the connection closes
  RawResponse last = client.Read();
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.body, "POST /before-next c");
  handler_.TakeHeld();
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10) {
  StartServer();
  {
    RawClient client(port());
    ASSERT_TRUE(client.Send(RawRequest("POST", "/", "Connection: close\r\n", "x")));
    RawResponse response = client.Read();
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(response.closed);
    EXPECT_TRUE(client.ReadsEof());
  }
  {
    RawClient client(port());
    ASSERT_TRUE(client.Send("GET / HTTP/1.0\r\n\r\n"));
    RawResponse response = client.Read();
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(client.ReadsEof());
  }
}

TEST_F(HttpServerTest, ChunkedRequestBody) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(client.Read().body, "POST / abcde");
}

TEST_F(HttpServerTest, HeaderTooLarge) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(options);
  RawClient client(port());
  ASSERT_TRUE(
      client.Send(RawRequest("POST", "/", "X-Big: " + std::string(2000, 'a') + "\r\n", "")));
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 431);
  EXPECT_NE(response.body.find("HeaderTooLarge"), std::string::npos);
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_EQ(handler_.handled_.load(), 0);
}

TEST_F(HttpServerTest, DeclaredBodyTooLargeIsRefusedBeforeReading) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  RawClient client(port());
  // Only the header: the server must answer without waiting for the body.
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n"));
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 413);
  EXPECT_NE(response.body.find("1000 bytes"), std::string::npos);
  EXPECT_TRUE(client.ReadsEof());
}

TEST_F(HttpServerTest, OversizedBodySentAnywayStillGetsTheResponse) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  RawClient client(port());
  // Sending the whole body at once: the server discards it while lingering, so the client reads
  // the 413 rather than a connection reset.
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", std::string(200'000, 'x'))));
  EXPECT_EQ(client.Read().status, 413);
}

TEST_F(HttpServerTest, ChunkedBodyTooLarge) {
  HttpServerOptions options;
  options.max_body_bytes = 10;
  StartServer(options);
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
  EXPECT_EQ(client.Read().status, 413);
}

TEST_F(HttpServerTest, TruncatedBody) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly ten.."));
  client.ShutdownWrite();
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("TruncatedBody"), std::string::npos);
  EXPECT_EQ(handler_.handled_.load(), 0);
}

TEST_F(HttpServerTest, MalformedRequestLine) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send("NOT HTTP AT ALL\r\n\r\n"));
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("BadRequest"), std::string::npos);
}

TEST_F(HttpServerTest, ClientThatNeverFinishesIsDropped) {
  HttpServerOptions options;
  options.request_timeout = 200ms;
  StartServer(options);
  RawClient client(port());
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
  auto start = std::chrono::steady_clock::now();
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 408);
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  // A slowloris sending a header byte at a time is bounded by the same deadline.
  RawClient slow(port());
  bool dropped = false;
  for (int i = 0; i < 40 && !dropped; ++i) {
    dropped = !slow.Send("X");
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(slow.Read().status, 408);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedSilently) {
  HttpServerOptions options;
  options.idle_timeout = 150ms;
  StartServer(options);
  RawClient client(port());
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "")));
  EXPECT_EQ(client.Read().status, 200);
  EXPECT_TRUE(client.ReadsEof());
  for (int i = 0; i < 100 && server_->ConnectionCountForTest() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_->ConnectionCountForTest(), 0u);
}

// Deadlines are checked lazily (the timer waits for the earliest one it was given and then for
// the current one): a connection's idle deadline, moved on by each request, is still kept, and a
// request's read deadline that comes before the idle one still fires on time.
TEST_F(HttpServerTest, DeadlinesMovedOnByRequestsStillHold) {
  HttpServerOptions options;
  options.request_timeout = 200ms;
  options.idle_timeout = 400ms;
  StartServer(options);
  RawClient client(port());
  auto start = std::chrono::steady_clock::now();
  // Requests 100 ms apart for 600 ms: past the first request's read deadline (200 ms) and its
  // idle deadline (400 ms), the connection stays open because every request moved them on.
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "r" + std::to_string(i))));
    RawResponse response = client.Read();
    ASSERT_EQ(response.status, 200) << "request " << i;
    EXPECT_FALSE(response.closed);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 600ms);
  // Half a request, then silence: the read deadline (200 ms) answers 408 before the idle one.
  auto partial = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 408);
  auto waited = std::chrono::steady_clock::now() - partial;
  EXPECT_GE(waited, 190ms);
  EXPECT_LT(waited, 2s);
  // A fresh connection left idle is closed at its idle deadline, not before.
  RawClient idle(port());
  auto opened = std::chrono::steady_clock::now();
  ASSERT_TRUE(idle.Send(RawRequest("POST", "/", "", "x")));
  EXPECT_EQ(idle.Read().status, 200);
  EXPECT_TRUE(idle.ReadsEof());
  EXPECT_GE(std::chrono::steady_clock::now() - opened, 390ms);
}

TEST_F(HttpServerTest, ExpectContinue) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  RawResponse interim = client.Read();
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(client.Send("body"));
  EXPECT_EQ(client.Read().body, "POST / body");
}

TEST_F(HttpServerTest, ConnectionCapRejectsPolitely) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  RawClient a(port());
  RawClient b(port());
  ASSERT_TRUE(a.Send(RawRequest("POST", "/", "", "a")));
  ASSERT_TRUE(b.Send(RawRequest("POST", "/", "", "b")));
  EXPECT_EQ(a.Read().status, 200);
  EXPECT_EQ(b.Read().status, 200);
  {
    RawClient c(port());
    ASSERT_TRUE(c.Send(RawRequest("POST", "/", "", "c")));
    RawResponse response = c.Read();
    EXPECT_EQ(response.status, 503);
    EXPECT_TRUE(c.ReadsEof());
  }
  // The kept-alive ones still work.
  ASSERT_TRUE(a.Send(RawRequest("POST", "/", "", "a2")));
  EXPECT_EQ(a.Read().body, "POST / a2");
}

TEST_F(HttpServerTest, ResponderFromAnotherThreadAndDroppedResponder) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(RawRequest("POST", "/later", "", "x")));
  EXPECT_EQ(client.Read().body, "POST /later x");
  ASSERT_TRUE(client.Send(RawRequest("POST", "/drop", "", "x")));
  RawResponse dropped = client.Read();
  EXPECT_EQ(dropped.status, 500);
  EXPECT_NE(dropped.body.find("InternalError"), std::string::npos);
  // The connection stays usable.
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "y")));
  EXPECT_EQ(client.Read().body, "POST / y");
}

TEST_F(HttpServerTest, LargeAnswerFromAnotherThreadIsWrittenWhole) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/big-later", "", "")));
  // Not reading for a while: the socket fills, the rest waits for the loop.
  std::this_thread::sleep_for(100ms);
  RawResponse big = client.Read();
  EXPECT_EQ(big.status, 200);
  ASSERT_EQ(big.body.size(), 8u * 1024 * 1024);
  EXPECT_EQ(big.body.find_first_not_of('x'), std::string::npos);
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "after")));
  EXPECT_EQ(client.Read().body, "POST / after");
}

TEST_F(HttpServerTest, AnAnswerGivenWhileTheHandlerRunsLeavesWhenItReturns) {
  StartServer();
  RawClient client(port());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Send(RawRequest("POST", "/answer-then-work", "", "x")));
  EXPECT_EQ(client.Read().body, "POST /answer-then-work x");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "y")));
  EXPECT_EQ(client.Read().body, "POST / y");
}

TEST_F(HttpServerTest, ResponseFraming) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/no-content", "", "")));
  RawResponse empty = client.Read();
  EXPECT_EQ(empty.status, 204);
  EXPECT_EQ(empty.Header("Content-Length"), "");
  EXPECT_EQ(empty.body, "");
  // Line breaks in a header value cannot start headers of their own.
  ASSERT_TRUE(client.Send(RawRequest("GET", "/line-breaks", "", "")));
  RawResponse broken = client.Read();
  EXPECT_EQ(broken.status, 200);
  EXPECT_EQ(broken.Header("X-Injected"), "");
  EXPECT_EQ(broken.Header("X-Value"), "a  X-Injected: yes  ");
  EXPECT_EQ(broken.body, "GET /line-breaks ");
  // The connection is still in step.
  ASSERT_TRUE(client.Send(RawRequest("POST", "/", "", "z")));
  EXPECT_EQ(client.Read().body, "POST / z");
}

TEST_F(HttpServerTest, StopWaitsForRequestsInFlight) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(RawRequest("POST", "/hold", "", "x")));
  for (int i = 0; i < 200 && handler_.HeldCount() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(handler_.HeldCount(), 1u);
  RawClient idle(port());
  std::thread answer([&] {
    std::this_thread::sleep_for(100ms);
    for (Responder& r : handler_.TakeHeld()) {
      HttpResponse response;
      response.body = "late";
      r.Send(std::move(response));
    }
  });
  server_->Stop();
  answer.join();
  RawResponse response = client.Read();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "late");
  EXPECT_TRUE(idle.ReadsEof());
  // New connections are refused.
  RawClient after(port(), 500);
  EXPECT_FALSE(after.connected() && after.Send(RawRequest("GET", "/", "", "")) &&
               after.Read().status != 0);
}

TEST_F(HttpServerTest, ResponderOutlivingTheServerDoesNothing) {
  HttpServerOptions options;
  options.drain_timeout = 100ms;
  StartServer(options);
  {
    RawClient client(port());
    ASSERT_TRUE(client.Send(RawRequest("POST", "/hold", "", "x")));
    for (int i = 0; i < 200 && handler_.HeldCount() == 0; ++i) std::this_thread::sleep_for(5ms);
  }
  server_->Stop();
  server_.reset();
  for (Responder& r : handler_.TakeHeld()) r.Send(HttpResponse{});  // no crash, no effect
}

TEST_F(HttpServerTest, StopIsPromptWithIdleConnections) {
  StartServer();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 50; ++i) clients.push_back(std::make_unique<RawClient>(port()));
  std::this_thread::sleep_for(50ms);
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(HttpServerStart, BadAddressAndPortInUse) {
  EchoHandler handler;
  HttpServerOptions options;
  options.host = "not-an-ip";
  EXPECT_EQ(HttpServer::Start(options, &handler).status().code(), StatusCode::InvalidArgument);
  options.host = "127.0.0.1";
  options.threads = 1;
  auto first = HttpServer::Start(options, &handler);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  auto second = HttpServer::Start(options, &handler);
  EXPECT_EQ(second.status().code(), StatusCode::Unavailable);
}

TEST(HttpServerStart, RaiseOpenFileLimit) {
  auto limit = RaiseOpenFileLimit();
  ASSERT_TRUE(limit.ok());
  EXPECT_GT(*limit, 0u);
}

}  // namespace
}  // namespace stepfn::api
