// HttpServer: a bounded HTTP/1.1 server (Boost.Asio + Boost.Beast) that hands each complete
// request to a Handler and writes the response the Handler gives back, possibly later and from
// another thread (long polls).
//
// Shape:
// - One io_context per thread (`threads`, default: one per core); each connection lives on one
//   of them for its whole life (round robin at accept). No locks on the request path.
// - Keep-alive and pipelining: a connection reads one request, hands it to the Handler, writes
//   its response, then reads the next. Pipelined requests wait in the read buffer, so responses
//   leave in request order.
// - Bounds: header bytes, body bytes, the time a client may take to send a request, the time a
//   kept-alive connection may stay idle, the time a response may take to write, and the number
//   of open connections. A request over a bound gets an error response (built by the Handler's
//   Reject, so the protocol decides its shape) and the connection is closed politely: the
//   response is written, our side shuts down, and what the client still sends is discarded for
//   a short while so that it can read the response before the socket closes.
// - `Expect: 100-continue` is answered before the body is read (or refused with the error when
//   the declared body is too large).
//
// Thread safety: Start, port, Stop and the destructor may be called from any thread but not
// concurrently with each other. Handler methods are called from the server's threads, several
// at once: a Handler must be thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/idle_spin.h"
#include "common/status.h"

namespace stepfn::api {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// ASCII case-insensitive equality (header names, "100-continue").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The Date header's value for now (RFC 1123, "Wed, 26 Nov 2026 16:40:00 GMT"); formatted once a
// second per thread. Valid until the thread's next call.
std::string_view HttpDate();
// The value of the first header named `name` (case-insensitive), or nullptr.
const std::string* FindHeader(const HttpHeaders& headers, std::string_view name);

// A complete request as it arrived.
struct HttpRequest {
  std::string method;   // "POST"
  std::string target;   // request target as sent, e.g. "/" or "/path?query" (still encoded)
  int version = 11;     // 10 or 11
  HttpHeaders headers;  // in arrival order, names as sent
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"
  uint16_t local_port = 0;     // the port of the listener that accepted the connection

  // The value of the first header named `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  // Content-Length, Date (unless given), Server and Connection are added by the server; CR
  // and LF in names and values are written as spaces.
  HttpHeaders headers;
  std::string body;  // not sent for 1xx, 204 and 304
};

class ResponderState;

// Delivers the response to one request. Move-only; Send may be called once, from any thread,
// at any time (a long poll answers after tens of seconds). Send writes the response on the
// calling thread, as far as the socket takes it without waiting, and starts what follows (the
// rest of the response, the read of the next request) from there, so neither the client nor
// the connection's event loop waits for the loop's thread to wake up. An answer given on a
// server thread while its Handler runs is written when the Handler returns. Dropping a
// Responder without calling Send answers the request with the Handler's
// Reject(InternalError). After the server stopped, or when the connection is gone, Send does
// nothing.
class Responder {
 public:
  Responder() = default;
  explicit Responder(std::shared_ptr<ResponderState> state) : state_(std::move(state)) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void Send(HttpResponse response);
  // Send, for an answer the client does not wait for before it sends its next request on the
  // connection: when that request is already there (the client pipelined it), this answer is
  // held back and leaves in the same write as the next one, so the client is woken once for
  // both. Otherwise the same as Send. For the Lambda Runtime API's 202 to a runtime that sends
  // its next GET /next right behind its result: one write and one wake-up of the runtime less
  // per invocation. The client must not wait for this answer alone (it would wait until the
  // next request is answered, which for a long poll may be minutes).
  void SendBeforeNext(HttpResponse response);
  bool sent() const { return state_ == nullptr; }

 private:
  std::shared_ptr<ResponderState> state_;
};

// Why the server answered a request without asking Handle.
enum class RejectReason {
  BadRequest,          // not HTTP/1.x the parser accepts; 400
  HeaderTooLarge,      // over max_header_bytes; 431
  BodyTooLarge,        // over max_body_bytes; 413
  TruncatedBody,       // the client closed its side in the middle of the body; 400
  RequestTimeout,      // the client did not finish the request in time; 408
  TooManyConnections,  // over max_connections; 503
  InternalError,       // a Responder was dropped without an answer; 500
};

std::string_view RejectReasonName(RejectReason reason);

class Handler {
 public:
  virtual ~Handler() = default;
  // Answers `request` through `responder`, now or later. Called on a server thread: do not block
  // it for long (hand slow work to another thread and keep the Responder).
  virtual void Handle(HttpRequest request, Responder responder) = 0;
  // The response for a request the server refused. `detail` says what happened in words. The
  // default is a plain-text response with the reason's status.
  virtual HttpResponse Reject(RejectReason reason, std::string_view detail);
  // The most body bytes this request may carry, decided from its request line and headers
  // (`head` has no body yet) before the body is read; `default_limit` is the server's
  // max_body_bytes. A larger answer lets specific routes take large uploads (Lambda's
  // CreateFunction); a body over the answer is refused with Reject(BodyTooLarge). Called on a
  // server thread for every request that has a body. The default is `default_limit`.
  virtual size_t BodyLimit(const HttpRequest& head, size_t default_limit);
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an IP address (v4 or v6) to bind
  uint16_t port = 0;               // 0: the kernel picks one (see HttpServer::port)
  int threads = 0;                 // event loops; 0: one per core
  // Request line + headers. AWS SDK requests carry a few hundred bytes of headers.
  size_t max_header_bytes = 64 * 1024;
  // Step Functions requests are small (a definition is at most 1 MiB, an input 256 KiB, both
  // JSON-escaped inside the request): 8 MiB leaves room and bounds memory per connection. The
  // default for every request; Handler::BodyLimit may allow more (or less) per route.
  size_t max_body_bytes = 8 * 1024 * 1024;
  // From the first byte of a request to its last.
  std::chrono::milliseconds request_timeout{30'000};
  // A kept-alive connection waiting for its next request (AWS's load balancers use 60 s).
  std::chrono::milliseconds idle_timeout{60'000};
  // Writing one response.
  std::chrono::milliseconds write_timeout{30'000};
  // Open connections; beyond this a new connection gets Reject(TooManyConnections) and is
  // closed. Each connection costs one file descriptor: keep this under RLIMIT_NOFILE.
  size_t max_connections = 10'000;
  // How long Stop waits for requests in flight to be answered and written.
  std::chrono::milliseconds drain_timeout{5'000};
  // How long an event loop keeps polling after its last work before it sleeps (common/
  // idle_spin.h); 0 sleeps at once.
  std::chrono::microseconds idle_spin = kDefaultIdleSpin;
};

class HttpServer {
 public:
  // Binds and listens, then starts the event loops. Fails (Unavailable) when the address cannot
  // be bound, InvalidArgument when options are unusable. `handler` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   Handler* handler);

  // Stops (see Stop).
  ~HttpServer();

  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const;

  // Listens on one more port of options.host (0: the kernel picks one), served by the same
  // loops and handler; requests tell which listener took them (HttpRequest::local_port). For a
  // server that must know which of its clients is calling without trusting what they send (the
  // Lambda Runtime API gives each worker process its own port). Returns the bound port;
  // Unavailable when it cannot bind or the server is stopping. Any thread, not concurrently
  // with Stop.
  Result<uint16_t> AddListener(uint16_t port = 0);
  // Stops accepting on a port added by AddListener; its open connections stay. Unknown ports
  // are ignored. Any thread, not concurrently with Stop.
  void RemoveListener(uint16_t port);

  // Stops accepting, closes idle connections, lets requests in flight finish for up to
  // options.drain_timeout, then closes everything and joins the threads. Idempotent.
  void Stop();

  // Open connections right now (for tests and metrics).
  size_t ConnectionCountForTest() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Raises this process's soft RLIMIT_NOFILE to its hard limit (a server needs a descriptor per
// connection). Returns the new soft limit.
Result<uint64_t> RaiseOpenFileLimit();

}  // namespace stepfn::api
