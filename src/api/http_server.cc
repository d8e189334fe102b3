#include "api/http_server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace stepfn::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

namespace {

// After a final response we stop sending and discard what the client still sends for this long
// (or this many bytes), so that it reads our response instead of a connection reset.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::chrono::milliseconds kStopLingerTime{100};
constexpr size_t kLingerMaxBytes = 16 * 1024 * 1024;
// Connections beyond max_connections that may be waiting for their rejection to be written at
// once; more than that are closed without a response.
constexpr size_t kRejectSlack = 1024;
// How long to pause accepting when the process is out of descriptors.
constexpr std::chrono::milliseconds kAcceptBackoff{50};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// The largest answer Responder::SendBeforeNext holds back (it is copied when it leaves).
constexpr size_t kMaxHeldBytes = 4096;

// A header name or value as it goes on the wire: CR and LF would end the header early (and let
// a value smuggle in headers of its own), so they become spaces.
void AppendHeaderText(std::string_view text, std::string* out) {
  size_t start = out->size();
  out->append(text);
  for (size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] == '\r' || (*out)[i] == '\n') (*out)[i] = ' ';
  }
}

// A response as it goes on the wire: the status line and headers, then the body, written with
// one gather write.
struct WireResponse {
  std::string head;
  std::string body;
  size_t sent = 0;     // bytes of head + body written so far
  int error = 0;       // errno of a failed write: the connection is closed
  bool close = false;  // "Connection: close"; the connection closes once it is written

  size_t size() const { return head.size() + body.size(); }
  // The bytes not written yet, as up to two buffers.
  std::array<asio::const_buffer, 2> Remaining() const {
    if (sent < head.size()) {
      return {asio::buffer(head.data() + sent, head.size() - sent),
              asio::buffer(body.data(), body.size())};
    }
    size_t offset = sent - head.size();
    return {asio::buffer(body.data() + offset, body.size() - offset), asio::const_buffer()};
  }
};

// HTTP/1.1 with the handler's headers, then Date (unless given), Server, Content-Length (none,
// and no body, for 1xx, 204 and 304) and "Connection: close" when closing. The handler's
// Content-Length, Connection and Transfer-Encoding are replaced by the server's.
WireResponse Serialize(HttpResponse response, bool close) {
  WireResponse wire;
  wire.close = close;
  std::string& head = wire.head;
  head.reserve(256);
  unsigned status = static_cast<unsigned>(response.status);
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head += http::obsolete_reason(http::int_to_status(status));
  head += "\r\n";
  bool has_date = false;
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
        EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    has_date = has_date || EqualsIgnoreCase(name, "Date");
    AppendHeaderText(name, &head);
    head += ": ";
    AppendHeaderText(value, &head);
    head += "\r\n";
  }
  if (!has_date) {
    head += "Date: ";
    head += HttpDate();
    head += "\r\n";
  }
  head += "Server: stepfn\r\n";
  bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless) {
    head += "Content-Length: ";
    head += std::to_string(response.body.size());
    head += "\r\n";
    wire.body = std::move(response.body);
  }
  if (close) head += "Connection: close\r\n";
  head += "\r\n";
  return wire;
}

// Writes what the socket takes now without waiting (a non-blocking gather write); records a
// failure in wire->error.
void WriteNow(int fd, WireResponse* wire) {
  while (wire->sent < wire->size() && wire->error == 0) {
    std::array<asio::const_buffer, 2> parts = wire->Remaining();
    iovec iov[2] = {{const_cast<void*>(parts[0].data()), parts[0].size()},
                    {const_cast<void*>(parts[1].data()), parts[1].size()}};
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = parts[1].size() > 0 ? 2 : 1;
    ssize_t n = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      wire->sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // the loop writes the rest when the socket can take it
    } else {
      wire->error = n < 0 ? errno : EPIPE;
    }
  }
}

int RejectStatus(RejectReason reason) {
  switch (reason) {
    case RejectReason::BadRequest:
      return 400;
    case RejectReason::HeaderTooLarge:
      return 431;
    case RejectReason::BodyTooLarge:
      return 413;
    case RejectReason::TruncatedBody:
      return 400;
    case RejectReason::RequestTimeout:
      return 408;
    case RejectReason::TooManyConnections:
      return 503;
    case RejectReason::InternalError:
      return 500;
  }
  return 500;
}

// Runs a loop's handlers until it stops. With a spin window, an idle loop polls (yielding its
// core between polls) until the window since its last handler has passed, then blocks.
// Handlers never throw (our code does not); Asio only rethrows what handlers throw.
void RunLoop(asio::io_context& ioc, std::chrono::microseconds spin) {
  ErrorCode ignored;
  if (spin.count() <= 0) {
    ioc.run(ignored);
    return;
  }
  IdleSpin idle(spin);
  while (!ioc.stopped()) {
    if (ioc.poll(ignored) > 0) {
      idle.Worked();
    } else if (!idle.Spin() && ioc.run_one(ignored) > 0) {
      idle.Worked();
    }
  }
}

}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::BadRequest:
      return "BadRequest";
    case RejectReason::HeaderTooLarge:
      return "HeaderTooLarge";
    case RejectReason::BodyTooLarge:
      return "BodyTooLarge";
    case RejectReason::TruncatedBody:
      return "TruncatedBody";
    case RejectReason::RequestTimeout:
      return "RequestTimeout";
    case RejectReason::TooManyConnections:
      return "TooManyConnections";
    case RejectReason::InternalError:
      return "InternalError";
  }
  return "Unknown";
}

std::string_view HttpDate() {
  thread_local std::time_t cached_at = -1;
  thread_local char buf[64];
  thread_local size_t size = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    size = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_at = now;
  }
  return std::string_view(buf, size);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

const std::string* HttpRequest::FindHeader(std::string_view name) const {
  return api::FindHeader(headers, name);
}

size_t Handler::BodyLimit(const HttpRequest&, size_t default_limit) { return default_limit; }

HttpResponse Handler::Reject(RejectReason reason, std::string_view detail) {
  HttpResponse response;
  response.status = RejectStatus(reason);
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = std::string(RejectReasonName(reason)) + ": " + std::string(detail) + "\n";
  return response;
}

// ---------------------------------------------------------------------------------------------
// Shared state

class Connection;

// What connections and responders share with the server. `alive` turns false (under `mu`,
// exclusively) before the event loops are torn down; a responder writes to its connection and
// posts to its loop only while it is true, holding `mu` shared.
struct ServerShared {
  std::shared_mutex mu;
  bool alive = true;  // guarded by mu
};

// One event loop and the connections that live on it.
struct Loop {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  // Touched only on this loop's thread (and after the thread joined).
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
};

// One listening socket; lives on loops_[0] (its acceptor and backoff timer are touched only
// there once accepting started).
struct Listener {
  explicit Listener(asio::io_context& ioc) : acceptor(ioc), backoff(ioc) {}
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  uint16_t port = 0;
};

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, Handler* handler)
      : options_(options), handler_(handler), shared_(std::make_shared<ServerShared>()) {}
  ~Impl() { Stop(); }

  Status Listen();
  void Run();
  void Stop();
  uint16_t port() const { return port_; }
  Result<uint16_t> AddListener(uint16_t port);
  void RemoveListener(uint16_t port);
  size_t open() const { return open_.load(); }

  // Called by a connection (on its loop) when it closes.
  void ConnectionClosed(bool rejecting) {
    if (rejecting) rejecting_.fetch_sub(1);
    if (open_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(drain_mu_);
      drain_cv_.notify_all();
    }
  }

  const HttpServerOptions& options() const { return options_; }
  Handler* handler() const { return handler_; }
  const std::shared_ptr<ServerShared>& shared() const { return shared_; }
  bool stopping() const { return stopping_.load(); }

 private:
  Result<std::shared_ptr<Listener>> Bind(uint16_t port);
  void DoAccept(const std::shared_ptr<Listener>& listener);

  const HttpServerOptions options_;
  Handler* const handler_;
  std::shared_ptr<ServerShared> shared_;
  std::vector<std::unique_ptr<Loop>> loops_;
  // By port; touched only on loops_[0] once the loops run (and before, by Listen).
  std::unordered_map<uint16_t, std::shared_ptr<Listener>> listeners_;
  size_t next_loop_ = 0;  // touched only by the accept loop
  uint16_t port_ = 0;
  std::atomic<size_t> open_{0};
  std::atomic<size_t> rejecting_{0};
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::mutex drain_mu_;
  std::condition_variable drain_cv_;
};

// ---------------------------------------------------------------------------------------------
// Connection

class ResponderState;
// Answers given on a loop's thread while its Handler runs: written when the Handler returns.
// Writing at once would wake the peer (the client; a Lambda runtime) while this thread still
// has the rest of its work to do (the remaining bookkeeping of an execution, the next
// invocation's dispatch): on a busy machine the peer then runs first and soon waits for locks
// this thread holds, and the work it hands back finds the execution still busy.
struct DeferredAnswer {
  std::shared_ptr<ResponderState> state;
  std::optional<HttpResponse> response;
  bool may_hold = false;
};
thread_local std::vector<DeferredAnswer>* t_deferred_answers = nullptr;
// Writes them, in the order they were given.
void DeliverDeferred(std::vector<DeferredAnswer>* answers);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Phase { Idle, Reading, Handling, Writing, Closing, Closed };

  Connection(tcp::socket socket, Loop* loop, HttpServer::Impl* server, bool rejecting,
             uint16_t local_port)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        loop_(loop),
        server_(server),
        rejecting_(rejecting),
        local_port_(local_port) {}

  // After the loops stopped (HttpServer::Stop): a connection still open (its request was not
  // answered within the drain time) hands over what it held back and closes.
  void CloseStopped() {
    std::lock_guard<std::mutex> lock(mu_);
    SendHeldNow();
    ErrorCode ignored;
    socket_.close(ignored);
  }

  // On the loop's thread.
  void Start() {
    std::lock_guard<std::mutex> lock(mu_);
    loop_->connections.emplace(this, shared_from_this());
    ErrorCode ec;
    tcp::endpoint remote = socket_.remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string(ec) + ":" + std::to_string(remote.port());
    if (rejecting_) {
      WriteFinal(server_->handler()->Reject(RejectReason::TooManyConnections,
                                            "the server has too many open connections"));
      return;
    }
    if (server_->stopping()) {
      Close();
      return;
    }
    ReadIdle();
  }

  // On the loop's thread: the server is stopping. Idle or half-read connections close now;
  // one whose request is being answered closes after its response is written.
  void OnServerStop() {
    std::lock_guard<std::mutex> lock(mu_);
    close_after_write_ = true;
    if (phase_ == Phase::Idle || phase_ == Phase::Reading) Close();
  }

  // The answer to the request handed out in Handling, from any thread (the Responder's Send),
  // under ServerShared::mu (shared) while the server is alive. The caller writes the response
  // and starts what comes next (the rest of a large response, the read of the next request, the
  // timer) itself, under the connection's lock: the client gets its answer without waiting for
  // the loop's thread to wake up, and the loop wakes only when there is something to read.
  //
  // `may_hold` (Responder::SendBeforeNext): when the client's next request is already in the
  // read buffer (it pipelined it), the answer is kept in held_ instead of written, and leaves
  // in the same write as the next answer.
  void Answer(uint64_t request_id, HttpResponse response, bool may_hold) {
    auto wire = std::make_unique<WireResponse>();
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != Phase::Handling || request_id != request_id_) return;
    // A stop since the request was read closes the connection.
    *wire =
        Serialize(std::move(response), !keep_alive_ || close_after_write_ || server_->stopping());
    if (may_hold && !wire->close && held_.empty() && buffer_.size() > 0 &&
        wire->size() <= kMaxHeldBytes) {
      held_.reserve(wire->size());
      held_.append(wire->head).append(wire->body);
      phase_ = Phase::Writing;
      AfterWrite();  // reads the pipelined request
      return;
    }
    PrependHeld(wire.get());
    WriteNow(socket_.native_handle(), wire.get());
    Finish(std::move(wire));
  }

  uint64_t request_id() const { return request_id_; }

 private:
  // Waits for the first byte of the next request (keep-alive idle time).
  void ReadIdle() {
    if (buffer_.size() > 0) {
      ReadHeader();
      return;
    }
    phase_ = Phase::Idle;
    Arm(server_->options().idle_timeout);
    socket_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](const ErrorCode& ec, size_t n) {
                              std::lock_guard<std::mutex> lock(self->mu_);
                              self->buffer_.commit(n);
                              if (ec || self->timed_out_) {
                                // Idle timeout, peer closed, or stop: no request to answer.
                                self->Close();
                                return;
                              }
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    phase_ = Phase::Reading;
    const HttpServerOptions& options = server_->options();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
    // No limit while the header is read: the handler decides it from the header (OnHeader).
    parser_->body_limit(boost::none);
    body_limit_ = options.max_body_bytes;
    Arm(options.request_timeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](const ErrorCode& ec, size_t) {
                              std::lock_guard<std::mutex> lock(self->mu_);
                              if (ec || self->timed_out_) {
                                self->OnReadError(ec);
                                return;
                              }
                              self->OnHeader();
                            });
  }

  void OnHeader() {
    const auto& header = parser_->get();
    // The request as far as it is known; OnRequest adds the body.
    head_ = HttpRequest();
    head_.method = std::string(header.method_string());
    head_.target = std::string(header.target());
    head_.version = static_cast<int>(header.version());
    head_.headers.reserve(16);
    for (const auto& field : header) {
      head_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    head_.remote_address = remote_;
    head_.local_port = local_port_;
    if (!parser_->is_done()) {
      body_limit_ = server_->handler()->BodyLimit(head_, server_->options().max_body_bytes);
      boost::optional<uint64_t> declared = parser_->content_length();
      if (declared && *declared > body_limit_) {
        WriteFinal(server_->handler()->Reject(
            RejectReason::BodyTooLarge, "request body exceeds " + std::to_string(body_limit_) +
                                            " bytes (Content-Length " + std::to_string(*declared) +
                                            ")"));
        return;
      }
      parser_->body_limit(body_limit_);  // bounds chunked bodies
    }
    auto expect = header.find(http::field::expect);
    if (expect != header.end() && EqualsIgnoreCase(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      // A held answer goes first.
      auto interim = std::make_shared<std::string>(std::move(held_));
      held_.clear();
      interim->append(kContinue);
      asio::async_write(socket_, asio::buffer(*interim),
                        [self = shared_from_this(), interim](const ErrorCode& ec, size_t) {
                          std::lock_guard<std::mutex> lock(self->mu_);
                          if (ec || self->timed_out_) {
                            self->OnReadError(ec);
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](const ErrorCode& ec, size_t) {
                       std::unique_lock<std::mutex> lock(self->mu_);
                       if (ec || self->timed_out_) {
                         self->OnReadError(ec);
                         return;
                       }
                       self->OnRequest(lock);
                     });
  }

  void OnReadError(const ErrorCode& ec) {
    if (phase_ == Phase::Closed) return;
    if (server_->stopping() && !timed_out_) {
      Close();
      return;
    }
    Handler* handler = server_->handler();
    if (timed_out_) {
      WriteFinal(handler->Reject(RejectReason::RequestTimeout,
                                 "the request was not complete within the read timeout"));
    } else if (ec == http::error::end_of_stream) {
      Close();  // closed before sending anything
    } else if (ec == http::error::header_limit) {
      WriteFinal(handler->Reject(RejectReason::HeaderTooLarge,
                                 "request headers exceed " +
                                     std::to_string(server_->options().max_header_bytes) +
                                     " bytes"));
    } else if (ec == http::error::body_limit) {
      WriteFinal(handler->Reject(RejectReason::BodyTooLarge,
                                 "request body exceeds " + std::to_string(body_limit_) + " bytes"));
    } else if (ec == http::error::partial_message) {
      if (parser_ && parser_->is_header_done()) {
        WriteFinal(handler->Reject(RejectReason::TruncatedBody,
                                   "the connection ended before the request body was complete"));
      } else {
        WriteFinal(handler->Reject(RejectReason::BadRequest,
                                   "the connection ended in the middle of the request headers"));
      }
    } else if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      WriteFinal(handler->Reject(RejectReason::BadRequest, "malformed HTTP: " + ec.message()));
    } else {
      Close();  // a socket error: nobody to answer
    }
  }

  // Hands the request to the Handler, without the lock (the Handler may answer at once).
  void OnRequest(std::unique_lock<std::mutex>& lock) {
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    keep_alive_ = message.keep_alive();
    HttpRequest request = std::move(head_);
    head_ = HttpRequest();
    request.body = std::move(message.body());
    phase_ = Phase::Handling;
    Disarm();
    ++request_id_;
    Responder responder = MakeResponder();
    lock.unlock();
    std::vector<DeferredAnswer> deferred;
    t_deferred_answers = &deferred;
    server_->handler()->Handle(std::move(request), std::move(responder));
    t_deferred_answers = nullptr;
    DeliverDeferred(&deferred);
  }

  Responder MakeResponder();

  // Writes a response and then closes (an error the connection cannot continue after).
  void WriteFinal(HttpResponse response) {
    auto wire = std::make_unique<WireResponse>(Serialize(std::move(response), true));
    PrependHeld(wire.get());
    Finish(std::move(wire));
  }

  // REQUIRES: mu_ (or the last reference). Closing with an answer held back (a stop while the
  // request behind it waits): offer it to the socket, without waiting.
  void SendHeldNow() {
    if (held_.empty() || !socket_.is_open()) return;
    (void)::send(socket_.native_handle(), held_.data(), held_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    held_.clear();
  }

  // REQUIRES: mu_. A held answer (see Answer) leaves first, in the same write.
  void PrependHeld(WireResponse* wire) {
    if (held_.empty()) return;
    wire->head.insert(0, held_);
    held_.clear();
  }

  // REQUIRES: mu_. Writes what is left of `wire` (all of it, or what Answer's write did not
  // take), then reads the next request or closes. Any thread.
  void Finish(std::unique_ptr<WireResponse> wire) {
    phase_ = Phase::Writing;
    close_after_write_ = close_after_write_ || wire->close;
    if (wire->error != 0) {
      CloseOnLoop();
      return;
    }
    if (wire->sent == wire->size()) {
      AfterWrite();
      return;
    }
    Arm(server_->options().write_timeout);
    std::array<asio::const_buffer, 2> rest = wire->Remaining();
    asio::async_write(
        socket_, rest,
        [self = shared_from_this(), wire = std::move(wire)](const ErrorCode& ec, size_t) {
          std::lock_guard<std::mutex> lock(self->mu_);
          if (ec || self->timed_out_) {
            self->Close();
            return;
          }
          self->AfterWrite();
        });
  }

  void AfterWrite() {
    if (close_after_write_) {
      Linger();
      return;
    }
    ReadIdle();
  }

  // Stops sending, discards what the peer still sends for a short while, then closes.
  void Linger() {
    phase_ = Phase::Closing;
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    Arm(server_->stopping() ? kStopLingerTime : kLingerTime);
    DiscardSome();
  }

  void DiscardSome() {
    if (!discard_) discard_ = std::make_unique<std::array<char, 4096>>();
    socket_.async_read_some(asio::buffer(*discard_),
                            [self = shared_from_this()](const ErrorCode& ec, size_t n) {
                              std::lock_guard<std::mutex> lock(self->mu_);
                              self->discarded_ += n;
                              if (ec || self->timed_out_ || self->discarded_ > kLingerMaxBytes) {
                                self->Close();
                                return;
                              }
                              self->DiscardSome();
                            });
  }

  // REQUIRES: mu_; on the loop's thread (the loop's registry of connections is its own).
  void Close() {
    if (phase_ == Phase::Closed) return;
    phase_ = Phase::Closed;
    SendHeldNow();
    ++timer_generation_;
    timer_waiting_ = false;
    deadline_ = kNoDeadline;
    timer_.cancel();
    ErrorCode ignored;
    socket_.close(ignored);
    server_->ConnectionClosed(rejecting_);
    // Last: may drop the registry's reference (callers hold their own).
    loop_->connections.erase(this);
  }

  // REQUIRES: mu_. Close, from a thread that may not be the loop's.
  void CloseOnLoop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->Close();
    });
  }

  // Starts the deadline for the next operation(s); once it passes, the pending socket operation
  // is cancelled and timed_out_ set.
  //
  // Deadlines are checked lazily: the timer is re-armed only when the new deadline comes before
  // the one it waits for; when it fires early (the deadline moved on since), it waits again for
  // the current deadline. A kept-alive connection moves its deadline on for every request
  // (idle, then the request's read, then none while it is handled), and re-arming Asio's timer
  // each time costs a timerfd_settime and, for the wait it replaces, a cancelled handler to run:
  // this way steady traffic re-arms about once per request_timeout instead of twice a request.
  // A deadline never fires late: the timer always waits for one at or before it.
  void Arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_ = std::chrono::steady_clock::now() + timeout;
    if (!timer_waiting_ || timer_expiry_ > deadline_) StartTimer();
  }

  // No deadline until the next Arm; a wait in progress finds none when it fires.
  void Disarm() { deadline_ = kNoDeadline; }

  // REQUIRES: mu_. Makes the timer wait for deadline_ (replacing the wait in progress, whose
  // handler then runs with operation_aborted and does nothing).
  void StartTimer() {
    uint64_t generation = ++timer_generation_;
    timer_waiting_ = true;
    timer_expiry_ = deadline_;
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this(), generation](const ErrorCode& ec) {
      if (ec) return;
      std::lock_guard<std::mutex> lock(self->mu_);
      if (generation != self->timer_generation_) return;
      self->timer_waiting_ = false;
      if (self->phase_ == Phase::Closed || self->deadline_ == kNoDeadline) return;
      if (std::chrono::steady_clock::now() < self->deadline_) {
        self->StartTimer();  // the deadline moved on while this wait was in progress
        return;
      }
      self->timed_out_ = true;
      ErrorCode ignored;
      self->socket_.cancel(ignored);
    });
  }

  static constexpr std::chrono::steady_clock::time_point kNoDeadline =
      std::chrono::steady_clock::time_point::max();

  // Guards everything below that changes: taken by the loop's handlers and by Answer (any
  // thread), never while the Handler runs.
  std::mutex mu_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  Loop* const loop_;
  HttpServer::Impl* const server_;
  const bool rejecting_;
  const uint16_t local_port_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest head_;  // the request line and headers of the request being read
  std::string held_;  // an answer held back until the next one (Answer's may_hold)
  size_t body_limit_ = 0;
  std::unique_ptr<std::array<char, 4096>> discard_;
  size_t discarded_ = 0;
  Phase phase_ = Phase::Idle;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool timed_out_ = false;
  // The deadline (Arm) and the timer's wait for it: timer_expiry_ <= deadline_ while
  // timer_waiting_.
  std::chrono::steady_clock::time_point deadline_ = kNoDeadline;
  std::chrono::steady_clock::time_point timer_expiry_ = kNoDeadline;
  bool timer_waiting_ = false;
  uint64_t timer_generation_ = 0;  // of the timer's current wait
  uint64_t request_id_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Responder

class ResponderState : public std::enable_shared_from_this<ResponderState> {
 public:
  ResponderState(std::weak_ptr<Connection> connection, uint64_t request_id,
                 std::shared_ptr<ServerShared> shared, Handler* handler)
      : connection_(std::move(connection)),
        request_id_(request_id),
        shared_(std::move(shared)),
        handler_(handler) {}

  // From any thread, once. No response: answer with the handler's InternalError response.
  // While a Handler runs on a loop's thread, answers given on that thread are written when it
  // returns (see Connection::OnRequest).
  void Deliver(std::optional<HttpResponse> response, bool may_hold = false);

  void DeliverNow(std::optional<HttpResponse> response, bool may_hold) {
    std::shared_lock<std::shared_mutex> lock(shared_->mu);
    if (!shared_->alive) return;
    std::shared_ptr<Connection> connection = connection_.lock();
    if (!connection) return;
    if (!response) {
      response =
          handler_->Reject(RejectReason::InternalError, "the request handler returned no response");
    }
    connection->Answer(request_id_, std::move(*response), may_hold);
  }

 private:
  std::weak_ptr<Connection> connection_;
  uint64_t request_id_;
  std::shared_ptr<ServerShared> shared_;
  Handler* handler_;
};

void ResponderState::Deliver(std::optional<HttpResponse> response, bool may_hold) {
  if (t_deferred_answers != nullptr) {
    t_deferred_answers->push_back({shared_from_this(), std::move(response), may_hold});
    return;
  }
  DeliverNow(std::move(response), may_hold);
}

void DeliverDeferred(std::vector<DeferredAnswer>* answers) {
  for (DeferredAnswer& answer : *answers) {
    answer.state->DeliverNow(std::move(answer.response), answer.may_hold);
  }
}

Responder Connection::MakeResponder() {
  return Responder(std::make_shared<ResponderState>(weak_from_this(), request_id_,
                                                    server_->shared(), server_->handler()));
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (state_) state_->Deliver(std::nullopt);
    state_ = std::move(other.state_);
  }
  return *this;
}

Responder::~Responder() {
  if (state_) state_->Deliver(std::nullopt);
}

void Responder::Send(HttpResponse response) {
  if (!state_) return;
  std::shared_ptr<ResponderState> state = std::move(state_);
  state_.reset();
  state->Deliver(std::move(response));
}

void Responder::SendBeforeNext(HttpResponse response) {
  if (!state_) return;
  std::shared_ptr<ResponderState> state = std::move(state_);
  state_.reset();
  state->Deliver(std::move(response), true);
}

// ---------------------------------------------------------------------------------------------
// Server

Status HttpServer::Impl::Listen() {
  if (options_.max_body_bytes == 0 || options_.max_header_bytes == 0) {
    return InvalidArgument("max_body_bytes and max_header_bytes must be positive");
  }
  int threads = options_.threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>());
  ASSIGN_OR_RETURN(std::shared_ptr<Listener> listener, Bind(options_.port));
  port_ = listener->port;
  listeners_.emplace(port_, std::move(listener));
  return Status::Ok();
}

Result<std::shared_ptr<Listener>> HttpServer::Impl::Bind(uint16_t port) {
  ErrorCode ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) return InvalidArgument("not an IP address: '" + options_.host + "'");
  tcp::endpoint endpoint(address, port);
  auto listener = std::make_shared<Listener>(loops_[0]->ioc);
  tcp::acceptor& acceptor = listener->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return Unavailable("cannot open a socket: " + ec.message());
  }
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return Unavailable("cannot set SO_REUSEADDR: " + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) {
    return Unavailable("cannot bind " + options_.host + ":" + std::to_string(port) + ": " +
                       ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Unavailable("cannot listen: " + ec.message());
  }
  tcp::endpoint local = acceptor.local_endpoint(ec);
  if (ec) return Unavailable("cannot read the bound address: " + ec.message());
  listener->port = local.port();
  return listener;
}

Result<uint16_t> HttpServer::Impl::AddListener(uint16_t port) {
  if (stopping_.load() || loops_.empty()) return Unavailable("the server is stopping");
  ASSIGN_OR_RETURN(std::shared_ptr<Listener> listener, Bind(port));
  uint16_t bound = listener->port;
  asio::post(loops_[0]->ioc, [this, listener = std::move(listener)]() mutable {
    if (stopping_.load()) {
      ErrorCode ignored;
      listener->acceptor.close(ignored);
      return;
    }
    listeners_[listener->port] = listener;
    DoAccept(listener);
  });
  return bound;
}

void HttpServer::Impl::RemoveListener(uint16_t port) {
  if (loops_.empty() || port == port_) return;
  asio::post(loops_[0]->ioc, [this, port] {
    auto it = listeners_.find(port);
    if (it == listeners_.end()) return;
    ErrorCode ignored;
    it->second->acceptor.close(ignored);
    it->second->backoff.cancel();
    listeners_.erase(it);
  });
}

void HttpServer::Impl::Run() {
  for (auto& [port, listener] : listeners_) DoAccept(listener);
  for (auto& loop : loops_) {
    loop->work.emplace(loop->ioc.get_executor());
    Loop* raw = loop.get();
    loop->thread = std::thread([raw, spin = options_.idle_spin] { RunLoop(raw->ioc, spin); });
  }
}

void HttpServer::Impl::DoAccept(const std::shared_ptr<Listener>& listener) {
  Loop* loop = loops_[next_loop_].get();
  next_loop_ = (next_loop_ + 1) % loops_.size();
  listener->acceptor.async_accept(loop->ioc, [this, loop, listener](const ErrorCode& ec,
                                                                    tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping_.load() || !listener->acceptor.is_open()) {
      return;
    }
    if (ec) {
      // Out of descriptors or memory: pause instead of spinning; other errors (a connection
      // reset before accept) concern one client only.
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE ||
          ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
        listener->backoff.expires_after(kAcceptBackoff);
        listener->backoff.async_wait([this, listener](const ErrorCode& wait_ec) {
          if (!wait_ec && !stopping_.load() && listener->acceptor.is_open()) DoAccept(listener);
        });
        return;
      }
      DoAccept(listener);
      return;
    }
    size_t before = open_.fetch_add(1);
    bool rejecting = false;
    if (before >= options_.max_connections) {
      if (rejecting_.load() >= kRejectSlack) {
        ErrorCode ignored;
        socket.close(ignored);
        open_.fetch_sub(1);
        DoAccept(listener);
        return;
      }
      rejecting_.fetch_add(1);
      rejecting = true;
    }
    ErrorCode ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection =
        std::make_shared<Connection>(std::move(socket), loop, this, rejecting, listener->port);
    asio::post(loop->ioc, [connection] { connection->Start(); });
    DoAccept(listener);
  });
}

void HttpServer::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (loops_.empty()) return;
  stopping_.store(true);
  if (loops_[0]->thread.joinable()) {
    asio::post(loops_[0]->ioc, [this] {
      for (auto& [port, listener] : listeners_) {
        ErrorCode ignored;
        listener->acceptor.close(ignored);
        listener->backoff.cancel();
      }
    });
    for (auto& loop : loops_) {
      Loop* raw = loop.get();
      asio::post(raw->ioc, [raw] {
        std::vector<std::shared_ptr<Connection>> connections;
        connections.reserve(raw->connections.size());
        for (auto& [ptr, connection] : raw->connections) connections.push_back(connection);
        for (auto& connection : connections) connection->OnServerStop();
      });
    }
    {
      std::unique_lock<std::mutex> lock(drain_mu_);
      drain_cv_.wait_for(lock, options_.drain_timeout, [this] { return open_.load() == 0; });
    }
  }
  {
    std::unique_lock<std::shared_mutex> lock(shared_->mu);
    shared_->alive = false;
  }
  for (auto& loop : loops_) {
    loop->work.reset();
    loop->ioc.stop();
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  // The loops are stopped: destroy what they held while the io_contexts still exist.
  for (auto& loop : loops_) {
    for (auto& [ptr, connection] : loop->connections) connection->CloseStopped();
    loop->connections.clear();
  }
  listeners_.clear();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      Handler* handler) {
  if (handler == nullptr) return InvalidArgument("HttpServer needs a handler");
  auto impl = std::make_unique<Impl>(options, handler);
  RETURN_IF_ERROR(impl->Listen());
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port(); }

Result<uint16_t> HttpServer::AddListener(uint16_t port) { return impl_->AddListener(port); }

void HttpServer::RemoveListener(uint16_t port) { impl_->RemoveListener(port); }

void HttpServer::Stop() { impl_->Stop(); }

size_t HttpServer::ConnectionCountForTest() const { return impl_->open(); }

Result<uint64_t> RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Unavailable("getrlimit(RLIMIT_NOFILE) failed: errno " + std::to_string(errno));
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return Unavailable("setrlimit(RLIMIT_NOFILE) failed: errno " + std::to_string(errno));
    }
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace stepfn::api
