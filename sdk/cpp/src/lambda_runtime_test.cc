#include "stepfn/lambda_runtime.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stepfn::lambda_runtime {
namespace {

// A Runtime API that answers each request with the next scripted response, then closes the
// connection when the script runs out (which ends Run). Records every request.
class ScriptedApi {
 public:
  struct Request {
    std::string head;  // request line and headers
    std::string body;
    int connection = 0;
  };

  explicit ScriptedApi(std::deque<std::string> script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    socklen_t size = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedApi() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!listener_closed_) {
        ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
      }
    }
    thread_.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  // When the script has run out, the listener closes too: a client that reconnects is refused.
  void Serve() {
    ServeConnections();
    std::lock_guard<std::mutex> lock(mutex_);
    ::close(listener_);
    listener_closed_ = true;
  }

  void ServeConnections() {
    int connection = 0;
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      ++connection;
      std::string buffer;
      bool open = true;
      while (open) {
        size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
          if (!Read(fd, &buffer)) {
            open = false;
            break;
          }
        }
        if (!open) {
          break;
        }
        Request request;
        request.head = buffer.substr(0, head_end + 4);
        request.connection = connection;
        size_t length = 0;
        if (size_t at = request.head.find("Content-Length: "); at != std::string::npos) {
          length = std::strtoul(request.head.c_str() + at + 16, nullptr, 10);
        }
        while (buffer.size() < head_end + 4 + length) {
          if (!Read(fd, &buffer)) {
            open = false;
            break;
          }
        }
        if (!open) {
          break;
        }
        request.body = buffer.substr(head_end + 4, length);
        buffer.erase(0, head_end + 4 + length);
        std::string reply;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(request);
          if (script_.empty()) {
            open = false;
            break;
          }
          reply = script_.front();
          script_.pop_front();
        }
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        if (reply.find("Connection: close") != std::string::npos) {
          open = false;
        }
      }
      ::close(fd);
      std::lock_guard<std::mutex> lock(mutex_);
      if (script_.empty()) {
        return;
      }
    }
  }

  static bool Read(int fd, std::string* buffer) {
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return false;
    }
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }

  int listener_ = -1;
  bool listener_closed_ = false;  // guarded by mutex_
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<std::string> script_;
  std::vector<Request> requests_;
};

std::string Event(std::string_view id, std::string_view body, std::string_view extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: " +
         std::string(id) +
         "\r\nLambda-Runtime-Deadline-Ms: 4102444800000\r\n"
         "Lambda-Runtime-Invoked-Function-Arn: "
         "arn:aws:lambda:us-east-1:123456789012:function:f\r\n" +
         std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

const std::string kAccepted =
    "HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";

TEST(LambdaRuntime, EchoesOverOneConnectionUntilTheApiGoesAway) {
  ScriptedApi api({Event("id-1", "{\"a\":1}",
                         "Lambda-Runtime-Trace-Id: Root=1-abc\r\nLambda-Runtime-Client-Context: "
                         "{\"custom\":{}}\r\n"),
                   kAccepted, Event("id-2", "[2]"), kAccepted});
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  std::vector<std::string> seen;
  int rc = lambda_runtime::Run([&](const Invocation& in) {
    seen.push_back(std::string(in.request_id) + " " + std::string(in.function_arn) + " " +
                   std::string(in.trace_id) + " " + std::string(in.client_context) + " " +
                   std::to_string(in.deadline_ms));
    EXPECT_GT(in.RemainingTimeMs(), 0);
    return Response::Borrowed(in.payload);
  });
  EXPECT_EQ(rc, 1);  // the API closed the connection when its script ran out
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0],
            "id-1 arn:aws:lambda:us-east-1:123456789012:function:f Root=1-abc {\"custom\":{}} "
            "4102444800000");
  EXPECT_EQ(seen[1], "id-2 arn:aws:lambda:us-east-1:123456789012:function:f   4102444800000");
  std::vector<ScriptedApi::Request> requests = api.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].head.substr(0, 50), "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n");
  EXPECT_EQ(requests[1].head.substr(0, 58),
            "POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1");
  EXPECT_NE(requests[1].head.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(requests[1].body, "{\"a\":1}");
  EXPECT_EQ(requests[3].body, "[2]");
  for (const auto& request : requests) {
    EXPECT_EQ(request.connection, 1);
  }
}

TEST(LambdaRuntime, PipelinesTheNextGetWhenStepfnSaysSo) {
  ScriptedApi api({Event("id-1", "{\"a\":1}"), kAccepted, Event("id-2", "[2]"), kAccepted});
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  ::setenv("STEPFN_RUNTIME_API_PIPELINING", "1", 1);
  std::vector<std::string> seen;
  int rc = lambda_runtime::Run([&](const Invocation& in) {
    seen.push_back(std::string(in.request_id) + " " + std::string(in.payload));
    return Response::Borrowed(in.payload);
  });
  ::unsetenv("STEPFN_RUNTIME_API_PIPELINING");
  EXPECT_EQ(rc, 1);  // the API closed the connection when its script ran out
  EXPECT_EQ(seen, (std::vector<std::string>{"id-1 {\"a\":1}", "id-2 [2]"}));
  std::vector<ScriptedApi::Request> requests = api.requests();
  ASSERT_GE(requests.size(), 4u);
  EXPECT_EQ(requests[1].head.substr(0, 58),
            "POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1");
  EXPECT_EQ(requests[1].body, "{\"a\":1}");
  EXPECT_EQ(requests[2].head.substr(0, 50), "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n");
  EXPECT_EQ(requests[3].body, "[2]");
  for (const auto& request : requests) {
    EXPECT_EQ(request.connection, 1);
  }
}

TEST(LambdaRuntime, PostsFailuresAsErrors) {
  ScriptedApi api({Event("id-1", "{}"), kAccepted});
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  lambda_runtime::Run([](const Invocation&) {
    return Response::Failure("Custom.Error\r\nX: y", "bad \"input\"\n\ttab \x01 é");
  });
  std::vector<ScriptedApi::Request> requests = api.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[1].head.substr(0, 55),
            "POST /2018-06-01/runtime/invocation/id-1/error HTTP/1.1");
  EXPECT_NE(requests[1].head.find("Lambda-Runtime-Function-Error-Type: Custom.ErrorX: y\r\n"),
            std::string::npos);
  EXPECT_EQ(requests[1].body,
            "{\"errorMessage\":\"bad \\\"input\\\"\\n\\ttab \\u0001 é\","
            "\"errorType\":\"Custom.Error\\r\\nX: y\",\"stackTrace\":[]}");
}

TEST(LambdaRuntime, ReconnectsWhenTheApiClosesEachConnection) {
  const std::string close =
      "HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  ScriptedApi api({Event("id-1", "1", "Connection: close\r\n"), close, Event("id-2", "2"), close});
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  int calls = 0;
  lambda_runtime::Run([&](const Invocation& in) {
    ++calls;
    return Response::Success("[" + std::string(in.payload) + "]");
  });
  EXPECT_EQ(calls, 2);
  std::vector<ScriptedApi::Request> requests = api.requests();
  ASSERT_GE(requests.size(), 4u);
  EXPECT_EQ(requests[1].body, "[1]");
  EXPECT_EQ(requests[3].body, "[2]");
  EXPECT_EQ(requests[2].connection, 3);  // a new connection after each "Connection: close"
  EXPECT_EQ(requests[3].connection, 3);
}

TEST(LambdaRuntime, StopsOnAServerError) {
  ScriptedApi api({Event("id-1", "{}"),
                   "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
                   Event("id-2", "{}"), kAccepted});
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  int calls = 0;
  EXPECT_EQ(lambda_runtime::Run([&](const Invocation&) {
              ++calls;
              return Response::Success("{}");
            }),
            1);
  EXPECT_EQ(calls, 1);
}

TEST(LambdaRuntime, ReportsInitErrors) {
  ScriptedApi api({kAccepted});
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  EXPECT_EQ(ReportInitError("Runtime.ConfigError", "TABLE is not set"), 1);
  std::vector<ScriptedApi::Request> requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].head.substr(0, 46), "POST /2018-06-01/runtime/init/error HTTP/1.1\r\n");
  EXPECT_NE(requests[0].head.find("Lambda-Runtime-Function-Error-Type: Runtime.ConfigError\r\n"),
            std::string::npos);
  EXPECT_EQ(requests[0].body,
            "{\"errorMessage\":\"TABLE is not set\",\"errorType\":\"Runtime.ConfigError\"}");
}

TEST(LambdaRuntime, NeedsTheApiAddress) {
  ::unsetenv("AWS_LAMBDA_RUNTIME_API");
  EXPECT_EQ(lambda_runtime::Run([](const Invocation&) { return Response::Success("{}"); }), 1);
  ::setenv("AWS_LAMBDA_RUNTIME_API", "no-port", 1);
  EXPECT_EQ(lambda_runtime::Run([](const Invocation&) { return Response::Success("{}"); }), 1);
  ::setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1", 1);  // nothing listens
  EXPECT_EQ(lambda_runtime::Run([](const Invocation&) { return Response::Success("{}"); }), 1);
}

}  // namespace
}  // namespace stepfn::lambda_runtime
