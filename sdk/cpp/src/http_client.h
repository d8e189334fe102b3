// HttpClient: the minimal HTTP/1.1 client the Lambda runtime needs. One kept-alive connection to
// one server; a request at a time; responses with Content-Length, chunked bodies, or bodies
// ended by the server closing the connection. Blocking sockets, EINTR and partial writes
// handled, every read bounded. No exceptions; no allocation once its buffers have grown to the
// largest message seen.
//
// Internal to the library (not installed); tested by http_client_test.cc.
// Thread safety: none; one thread uses a client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct iovec;

namespace stepfn::lambda_runtime::internal {

// An error: what failed (a static string) and errno where a system call failed.
struct HttpError {
  const char* what = nullptr;
  int sys_errno = 0;
  bool ok() const { return what == nullptr; }
};

// A response. Views point into the client's buffer: valid until the next Request.
struct HttpResponse {
  int status = 0;
  std::string_view body;
  // The headers the Runtime API uses ("" when absent).
  std::string_view request_id;        // Lambda-Runtime-Aws-Request-Id
  std::string_view deadline_ms;       // Lambda-Runtime-Deadline-Ms
  std::string_view function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string_view trace_id;          // Lambda-Runtime-Trace-Id
  std::string_view client_context;    // Lambda-Runtime-Client-Context
  std::string_view cognito_identity;  // Lambda-Runtime-Cognito-Identity
  std::string_view content_type;      // Content-Type
};

struct HttpLimits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 256 * 1024 * 1024;
};

class HttpClient {
 public:
  // `host` is a name or an address ("127.0.0.1", "localhost", "::1"). Connects lazily.
  HttpClient(std::string host, std::string port, HttpLimits limits = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method path` with `body` (Content-Length; none for an empty body of a GET) and
  // `extra_headers` (complete "Name: value\r\n" lines, may be empty), then reads the response
  // into *response. The views in `path`, `extra_headers` and `body` may point into the previous
  // response (they are sent before the buffer is reused). A request that finds its kept-alive
  // connection closed by the server is retried once on a new connection.
  HttpError Request(std::string_view method, std::string_view path, std::string_view extra_headers,
                    std::string_view body, HttpResponse* response);

  // HTTP/1.1 pipelining: sends `first` and `second` in one write, then reads both answers.
  // Only the first's status is kept (*first_status; its body's first bytes in *first_body for a
  // status of 300 or more); *response gets the second's. The views in `first` may point into
  // the previous response. No retry: an error closes the connection.
  HttpError RequestPair(std::string_view method, std::string_view path,
                        std::string_view extra_headers, std::string_view body, int* first_status,
                        std::string* first_body, std::string_view second_method,
                        std::string_view second_path, HttpResponse* response);

  // For tests: an already connected socket (e.g. one end of a socketpair); the client owns it.
  void AdoptSocketForTest(int fd);
  int connections_opened() const { return connections_opened_; }

 private:
  HttpError Connect();
  void Close();
  HttpError Send(std::string_view method, std::string_view path, std::string_view extra_headers,
                 std::string_view body);
  // Reads more bytes at the end of the buffer (growing it up to `limit` bytes); *eof on EOF.
  HttpError Fill(size_t limit, bool* eof);
  HttpError ReadResponse(HttpResponse* response, bool* nothing_read);
  HttpError ReadChunked(size_t body_start, size_t* body_end, size_t* message_end);

  const std::string host_;
  const std::string port_;
  const HttpLimits limits_;
  int fd_ = -1;
  int connections_opened_ = 0;
  bool test_socket_ = false;
  // The request line and headers of the request being sent, and (RequestPair) of the second.
  void BuildHead(std::string_view method, std::string_view path, std::string_view extra_headers,
                 std::string_view body, std::string* head) const;
  HttpError SendAll(iovec* parts, int count);
  void Compact();
  std::string head_;
  std::string second_head_;
  std::string buf_;  // received bytes: [0, len_) valid; resized, never shrunk
  size_t len_ = 0;
  size_t consumed_ = 0;  // the previous response's end: bytes after it belong to the next one
};

}  // namespace stepfn::lambda_runtime::internal
