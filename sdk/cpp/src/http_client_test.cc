#include "http_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace stepfn::lambda_runtime::internal {
namespace {

// A client on one end of a socketpair; the test plays the server on the other end.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override { Reset({}); }
  void TearDown() override {
    if (peer_ >= 0) {
      ::close(peer_);
    }
  }

  void Reset(HttpLimits limits) {
    if (peer_ >= 0) {
      ::close(peer_);
    }
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_ = std::make_unique<HttpClient>("runtime.test", "9001", limits);
    client_->AdoptSocketForTest(fds[0]);
    peer_ = fds[1];
  }

  // Writes all of `bytes` unless the client closed its end (then returns false).
  bool ServerWrites(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(peer_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // What the client has sent so far.
  std::string ServerReads() {
    std::string out;
    char chunk[65536];
    for (;;) {
      ssize_t n = ::recv(peer_, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n <= 0) {
        return out;
      }
      out.append(chunk, static_cast<size_t>(n));
    }
  }

  HttpError Get(HttpResponse* response) {
    return client_->Request("GET", "/2018-06-01/runtime/invocation/next", {}, {}, response);
  }

  std::unique_ptr<HttpClient> client_;
  int peer_ = -1;
};

TEST_F(HttpClientTest, SendsTheRequestAndReadsAContentLengthResponse) {
  ServerWrites(
      "HTTP/1.1 200 OK\r\n"
      "content-type: application/json\r\n"
      "LAMBDA-RUNTIME-AWS-REQUEST-ID:   8476a536-e9f4-11e8-9739-2dfe598c3fcd  \r\n"
      "Lambda-Runtime-Deadline-Ms: 1542409706888\r\n"
      "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:123456789012:function:f\r\n"
      "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n"
      "Lambda-Runtime-Client-Context: {\"custom\":{}}\r\n"
      "Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\":\"x\"}\r\n"
      "Content-Length: 11\r\n"
      "\r\n"
      "{\"a\":\"b c\"}");
  HttpResponse response;
  HttpError error = Get(&response);
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{\"a\":\"b c\"}");
  EXPECT_EQ(response.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(response.deadline_ms, "1542409706888");
  EXPECT_EQ(response.function_arn, "arn:aws:lambda:us-east-2:123456789012:function:f");
  EXPECT_EQ(response.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
  EXPECT_EQ(response.client_context, "{\"custom\":{}}");
  EXPECT_EQ(response.cognito_identity, "{\"cognitoIdentityId\":\"x\"}");
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(ServerReads(),
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime.test:9001\r\n\r\n");
}

TEST_F(HttpClientTest, PostsABodyWithExtraHeaders) {
  ServerWrites("HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n");
  HttpResponse response;
  ASSERT_TRUE(client_
                  ->Request("POST", "/2018-06-01/runtime/invocation/id/response",
                            "Content-Type: application/json\r\n", "hello", &response)
                  .ok());
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.request_id, "");
  EXPECT_EQ(ServerReads(),
            "POST /2018-06-01/runtime/invocation/id/response HTTP/1.1\r\n"
            "Host: runtime.test:9001\r\nContent-Length: 5\r\n"
            "Content-Type: application/json\r\n\r\nhello");
  // An empty POST still says its length.
  ServerWrites("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(client_->Request("POST", "/p", {}, {}, &response).ok());
  EXPECT_EQ(ServerReads(),
            "POST /p HTTP/1.1\r\nHost: runtime.test:9001\r\nContent-Length: 0\r\n\r\n");
}

TEST_F(HttpClientTest, KeepsBytesOfTheNextResponse) {
  // Two responses in one write: the second waits in the buffer for the second request.
  ServerWrites(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree");
  HttpResponse response;
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, "one");
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, "two");
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, "three");
  EXPECT_EQ(client_->connections_opened(), 0);  // all on the adopted connection
}

TEST_F(HttpClientTest, PipelinesAPostAndTheNextGet) {
  // Both answers at once: the 202 and the next event.
  ServerWrites(
      "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"
      "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-2\r\nContent-Length: 3\r\n\r\n[2]");
  int status = 0;
  std::string first_body;
  HttpResponse next;
  HttpError error = client_->RequestPair(
      "POST", "/2018-06-01/runtime/invocation/id-1/response", "Content-Type: application/json\r\n",
      "{\"a\":1}", &status, &first_body, "GET", "/2018-06-01/runtime/invocation/next", &next);
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(status, 202);
  EXPECT_EQ(first_body, "");  // kept only for refusals
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.request_id, "id-2");
  EXPECT_EQ(next.body, "[2]");
  EXPECT_EQ(ServerReads(),
            "POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\n"
            "Host: runtime.test:9001\r\nContent-Length: 7\r\n"
            "Content-Type: application/json\r\n\r\n{\"a\":1}"
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime.test:9001\r\n\r\n");
  // A refused post: its answer's body is kept.
  ServerWrites(
      "HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\n\r\nbig!"
      "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-3\r\nContent-Length: 2\r\n\r\n{}");
  error = client_->RequestPair("POST", "/p", {}, "x", &status, &first_body, "GET", "/n", &next);
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(status, 413);
  EXPECT_EQ(first_body, "big!");
  EXPECT_EQ(next.request_id, "id-3");
  EXPECT_EQ(next.body, "{}");
}

TEST_F(HttpClientTest, ReadsChunkedBodiesWithExtensionsAndTrailers) {
  ServerWrites(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n"
      "Lambda-Runtime-Aws-Request-Id: id-1\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "1\r\n \r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Trailer: yes\r\n\r\n");
  HttpResponse response;
  HttpError error = Get(&response);
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(response.body, "hello 0123456789");
  EXPECT_EQ(response.request_id, "id-1");
}

TEST_F(HttpClientTest, ReadsAResponseThatArrivesOneByteAtATime) {
  const std::string message =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nLambda-Runtime-Aws-Request-Id: abc\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwxyz";
  std::thread writer([&] {
    for (char c : message) {
      ServerWrites(std::string_view(&c, 1));
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  HttpResponse response;
  HttpError error = Get(&response);
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(response.body, "abcdefg");
  EXPECT_EQ(response.request_id, "abc");
  error = Get(&response);
  writer.join();
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(response.body, "wxyz");
}

TEST_F(HttpClientTest, ReadsLargeBodies) {
  std::string body(3 * 1024 * 1024 + 17, 'x');
  body.back() = 'y';
  std::string chunked;
  for (size_t at = 0; at < body.size(); at += 70000) {
    size_t size = std::min<size_t>(70000, body.size() - at);
    char line[32];
    std::snprintf(line, sizeof(line), "%zx\r\n", size);
    chunked.append(line).append(body, at, size).append("\r\n");
  }
  chunked.append("0\r\n\r\n");
  std::thread writer([&] {
    ServerWrites("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                 body);
    ServerWrites("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
  });
  HttpResponse response;
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, body);
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, body);
  writer.join();
}

TEST_F(HttpClientTest, ChunkFramingDoesNotCountAgainstTheBodyLimit) {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 3000;
  Reset(limits);
  std::string message = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3000; ++i) {
    message += "1\r\nz\r\n";  // 6 bytes of framing per byte of body
  }
  message += "0\r\n\r\n";
  std::thread writer([&] { ServerWrites(message); });
  HttpResponse response;
  HttpError error = Get(&response);
  writer.join();
  ASSERT_TRUE(error.ok()) << error.what;
  EXPECT_EQ(response.body, std::string(3000, 'z'));
}

TEST_F(HttpClientTest, BodyUntilTheConnectionCloses) {
  ServerWrites("HTTP/1.1 200 OK\r\n\r\nall of it");
  ::shutdown(peer_, SHUT_WR);
  HttpResponse response;
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, "all of it");
  // The connection is gone and this client cannot open another.
  EXPECT_FALSE(Get(&response).ok());
}

TEST_F(HttpClientTest, ConnectionCloseEndsTheConnection) {
  ServerWrites("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  HttpResponse response;
  ASSERT_TRUE(Get(&response).ok());
  EXPECT_EQ(response.body, "ok");
  HttpError error = Get(&response);
  EXPECT_FALSE(error.ok());
  EXPECT_STREQ(error.what, "connection closed (test socket)");
}

TEST_F(HttpClientTest, RejectsMalformedResponses) {
  struct Case {
    const char* bytes;
    const char* error;
  };
  const Case cases[] = {
      {"HTTP/2 200 OK\r\n\r\n", "the Runtime API's response has no HTTP/1.x status line"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", "the Runtime API's response has a malformed status"},
      {"HTTP/1.1 100 Continue\r\n\r\n", "the Runtime API sent an unexpected 1xx response"},
      {"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "the Runtime API's response has a malformed header"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
       "the Runtime API's response has a malformed Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "the Runtime API's response has a malformed Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n",
       "the Runtime API's response body is too large"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
       "the Runtime API closed the connection mid-response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       "the Runtime API's chunked response has a malformed chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
       "the Runtime API's chunked response has a malformed chunk end"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
       "the Runtime API closed the connection mid-response"},
      {"HTTP/1.1 200 OK\r\nContent-", "the Runtime API closed the connection mid-response"},
      // Closed before answering: the client tries once more on a new connection (which a test
      // socket cannot open).
      {"", "connection closed (test socket)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    Reset({});
    ServerWrites(c.bytes);
    ::shutdown(peer_, SHUT_WR);
    HttpResponse response;
    HttpError error = Get(&response);
    ASSERT_FALSE(error.ok());
    EXPECT_STREQ(error.what, c.error);
  }
}

TEST_F(HttpClientTest, BoundsHeadersAndBodies) {
  HttpLimits limits;
  limits.max_header_bytes = 256;
  limits.max_body_bytes = 100;
  Reset(limits);
  std::thread writer(
      [&] { ServerWrites("HTTP/1.1 200 OK\r\nX: " + std::string(100000, 'a') + "\r\n\r\n"); });
  HttpResponse response;
  HttpError error = Get(&response);
  writer.join();
  EXPECT_STREQ(error.what, "the Runtime API's response headers are too large");

  Reset(limits);
  ServerWrites("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n");
  EXPECT_STREQ(Get(&response).what, "the Runtime API's response body is too large");

  Reset(limits);
  std::thread chunk_writer([&] {
    ServerWrites("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n60\r\n" +
                 std::string(96, 'b') + "\r\n10\r\n" + std::string(16, 'c') + "\r\n0\r\n\r\n");
  });
  error = Get(&response);
  chunk_writer.join();
  EXPECT_STREQ(error.what, "the Runtime API's response body is too large");

  Reset(limits);
  std::thread eof_writer([&] {
    ServerWrites("HTTP/1.1 200 OK\r\n\r\n" + std::string(200, 'd'));
    ::shutdown(peer_, SHUT_WR);
  });
  error = Get(&response);
  eof_writer.join();
  EXPECT_STREQ(error.what, "the Runtime API's response body is too large");
}

}  // namespace
}  // namespace stepfn::lambda_runtime::internal
