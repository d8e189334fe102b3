#include "http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace stepfn::lambda_runtime::internal {
namespace {

constexpr size_t kInitialBuffer = 16 * 1024;
constexpr size_t kSlack = 4096;  // room for chunk framing and a response's head beside its body

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) {
    return false;
  }
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// A header value's place in the buffer (the buffer may move while the body is read).
struct Span {
  size_t offset = 0;
  size_t size = 0;
};

}  // namespace

HttpClient::HttpClient(std::string host, std::string port, HttpLimits limits)
    : host_(std::move(host)), port_(std::move(port)), limits_(limits) {
  head_.reserve(512);
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::AdoptSocketForTest(int fd) {
  Close();
  fd_ = fd;
  test_socket_ = true;
}

void HttpClient::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  len_ = 0;
  consumed_ = 0;
}

HttpError HttpClient::Connect() {
  if (test_socket_) {
    return {"connection closed (test socket)", 0};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found); rc != 0) {
    return {"cannot resolve the Runtime API's host", rc == EAI_SYSTEM ? errno : 0};
  }
  HttpError error{"cannot connect to the Runtime API", 0};
  for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
    int fd =
        ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) {
      error.sys_errno = errno;
      continue;
    }
    int rc = ::connect(fd, address->ai_addr, address->ai_addrlen);
    if (rc != 0 && errno == EINTR) {
      // The connection goes on in the background: wait for it, then ask how it ended.
      pollfd p{fd, POLLOUT, 0};
      while ((rc = ::poll(&p, 1, -1)) < 0 && errno == EINTR) {
      }
      int so_error = 0;
      socklen_t size = sizeof(so_error);
      if (rc > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &size) == 0) {
        rc = so_error == 0 ? 0 : -1;
        errno = so_error;
      } else {
        rc = -1;
      }
    }
    if (rc != 0) {
      error.sys_errno = errno;
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fd_ = fd;
    ++connections_opened_;
    error = {};
    break;
  }
  ::freeaddrinfo(found);
  return error;
}

void HttpClient::BuildHead(std::string_view method, std::string_view path,
                           std::string_view extra_headers, std::string_view body,
                           std::string* head) const {
  head->clear();
  head->append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  head->append(host_).append(":").append(port_).append("\r\n");
  if (!body.empty() || method != "GET") {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), body.size());
    (void)ec;
    head->append("Content-Length: ").append(digits, end).append("\r\n");
  }
  head->append(extra_headers).append("\r\n");
}

HttpError HttpClient::SendAll(iovec* next, int count) {
  while (count > 0 && next->iov_len == 0) {
    ++next;
    --count;
  }
  while (count > 0) {
    msghdr message{};
    message.msg_iov = next;
    message.msg_iovlen = static_cast<size_t>(count);
    ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      return {"cannot send to the Runtime API", errno};
    }
    auto left = static_cast<size_t>(sent);
    while (count > 0 && left >= next->iov_len) {
      left -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + left;
      next->iov_len -= left;
    }
  }
  return {};
}

HttpError HttpClient::Send(std::string_view method, std::string_view path,
                           std::string_view extra_headers, std::string_view body) {
  BuildHead(method, path, extra_headers, body, &head_);
  iovec parts[2] = {{head_.data(), head_.size()}, {const_cast<char*>(body.data()), body.size()}};
  return SendAll(parts, body.empty() ? 1 : 2);
}

// The previous response is no longer needed: keep only the bytes that followed it.
void HttpClient::Compact() {
  if (consumed_ > 0) {
    std::memmove(buf_.data(), buf_.data() + consumed_, len_ - consumed_);
    len_ -= consumed_;
    consumed_ = 0;
  }
}

HttpError HttpClient::RequestPair(std::string_view method, std::string_view path,
                                  std::string_view extra_headers, std::string_view body,
                                  int* first_status, std::string* first_body,
                                  std::string_view second_method, std::string_view second_path,
                                  HttpResponse* response) {
  if (fd_ < 0) {
    if (HttpError error = Connect(); !error.ok()) {
      return error;
    }
  }
  BuildHead(method, path, extra_headers, body, &head_);
  BuildHead(second_method, second_path, {}, {}, &second_head_);
  iovec parts[3] = {{head_.data(), head_.size()},
                    {const_cast<char*>(body.data()), body.size()},
                    {second_head_.data(), second_head_.size()}};
  if (HttpError error = SendAll(parts, 3); !error.ok()) {
    Close();
    return error;
  }
  Compact();
  HttpResponse first;
  bool nothing_read = false;
  if (HttpError error = ReadResponse(&first, &nothing_read); !error.ok()) {
    Close();
    return error;
  }
  *first_status = first.status;
  first_body->clear();
  if (first.status >= 300) {
    first_body->assign(first.body.substr(0, 500));
  }
  if (fd_ < 0) {
    return {"the Runtime API closed the connection after the first of two requests", 0};
  }
  Compact();
  if (HttpError error = ReadResponse(response, &nothing_read); !error.ok()) {
    Close();
    return error;
  }
  return {};
}

HttpError HttpClient::Fill(size_t limit, bool* eof) {
  *eof = false;
  if (len_ == buf_.size()) {
    if (buf_.size() >= limit) {
      return {"the Runtime API's response is too large", 0};
    }
    size_t grown = buf_.empty() ? kInitialBuffer : buf_.size() * 2;
    buf_.resize(grown < limit ? grown : limit);
  }
  for (;;) {
    ssize_t got = ::recv(fd_, buf_.data() + len_, buf_.size() - len_, 0);
    if (got > 0) {
      len_ += static_cast<size_t>(got);
      return {};
    }
    if (got == 0) {
      *eof = true;
      return {};
    }
    if (errno != EINTR) {
      return {"cannot read from the Runtime API", errno};
    }
  }
}

HttpError HttpClient::Request(std::string_view method, std::string_view path,
                              std::string_view extra_headers, std::string_view body,
                              HttpResponse* response) {
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      if (HttpError error = Connect(); !error.ok()) {
        return error;
      }
    }
    if (HttpError error = Send(method, path, extra_headers, body); !error.ok()) {
      Close();
      if (reused && attempt == 0 && (error.sys_errno == EPIPE || error.sys_errno == ECONNRESET)) {
        continue;  // the server closed the kept-alive connection: once more on a new one
      }
      return error;
    }
    // The previous response is no longer needed (the views into it have been sent).
    Compact();
    bool nothing_read = false;
    HttpError error = ReadResponse(response, &nothing_read);
    if (error.ok()) {
      return error;
    }
    Close();
    if (reused && attempt == 0 && nothing_read) {
      continue;
    }
    return error;
  }
}

HttpError HttpClient::ReadResponse(HttpResponse* response, bool* nothing_read) {
  *nothing_read = len_ == 0;
  const size_t limit = limits_.max_header_bytes + limits_.max_body_bytes + kSlack;

  // The head: up to the blank line.
  size_t header_end = std::string_view::npos;
  size_t scanned = 0;
  for (;;) {
    std::string_view have(buf_.data(), len_);
    size_t found = have.find("\r\n\r\n", scanned >= 3 ? scanned - 3 : 0);
    if (found != std::string_view::npos) {
      header_end = found + 4;
      break;
    }
    scanned = len_;
    if (len_ >= limits_.max_header_bytes) {
      return {"the Runtime API's response headers are too large", 0};
    }
    bool eof = false;
    if (HttpError error = Fill(limit, &eof); !error.ok()) {
      *nothing_read =
          *nothing_read && len_ == 0 && (error.sys_errno == ECONNRESET || error.sys_errno == EPIPE);
      return error;
    }
    if (eof) {
      return {len_ == 0 ? "the Runtime API closed the connection"
                        : "the Runtime API closed the connection mid-response",
              0};
    }
    *nothing_read = false;
  }
  if (header_end > limits_.max_header_bytes) {
    return {"the Runtime API's response headers are too large", 0};
  }

  // The status line: "HTTP/1.1 200 OK".
  std::string_view head(buf_.data(), header_end - 2);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return {"the Runtime API's response has no HTTP/1.x status line", 0};
  }
  int status = 0;
  auto [status_end, status_ec] =
      std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (status_ec != std::errc() || status_end != status_line.data() + 12 || status < 100 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return {"the Runtime API's response has a malformed status", 0};
  }
  if (status < 200) {
    return {"the Runtime API sent an unexpected 1xx response", 0};
  }
  const bool keep_alive_default = status_line[7] == '1';

  // The headers this client reads.
  Span request_id, deadline_ms, function_arn, trace_id, client_context, cognito_identity,
      content_type;
  bool have_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool close = !keep_alive_default;
  size_t position = line_end + 2;
  while (position < head.size()) {
    size_t end = head.find("\r\n", position);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    std::string_view line = head.substr(position, end - position);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return {"the Runtime API's response has a malformed header", 0};
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimWhitespace(line.substr(colon + 1));
    Span span{static_cast<size_t>(value.data() - buf_.data()), value.size()};
    if (EqualsIgnoreCase(name, "Content-Length")) {
      uint64_t parsed = 0;
      auto [parsed_end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (ec != std::errc() || parsed_end != value.data() + value.size() ||
          (have_length && parsed != content_length)) {
        return {"the Runtime API's response has a malformed Content-Length", 0};
      }
      have_length = true;
      content_length = parsed;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      chunked = ContainsIgnoreCase(value, "chunked");
    } else if (EqualsIgnoreCase(name, "Connection")) {
      if (ContainsIgnoreCase(value, "close")) {
        close = true;
      } else if (ContainsIgnoreCase(value, "keep-alive")) {
        close = false;
      }
    } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Aws-Request-Id")) {
      request_id = span;
    } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Deadline-Ms")) {
      deadline_ms = span;
    } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Invoked-Function-Arn")) {
      function_arn = span;
    } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Trace-Id")) {
      trace_id = span;
    } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Client-Context")) {
      client_context = span;
    } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Cognito-Identity")) {
      cognito_identity = span;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      content_type = span;
    }
    position = end + 2;
  }

  // The body.
  size_t body_start = header_end;
  size_t body_end = header_end;
  size_t message_end = header_end;
  if (status == 204 || status == 304) {
    // No body.
  } else if (chunked) {
    if (HttpError error = ReadChunked(body_start, &body_end, &message_end); !error.ok()) {
      return error;
    }
  } else if (have_length) {
    if (content_length > limits_.max_body_bytes) {
      return {"the Runtime API's response body is too large", 0};
    }
    body_end = header_end + static_cast<size_t>(content_length);
    while (len_ < body_end) {
      bool eof = false;
      if (HttpError error = Fill(limit, &eof); !error.ok()) {
        return error;
      }
      if (eof) {
        return {"the Runtime API closed the connection mid-response", 0};
      }
    }
    message_end = body_end;
  } else {
    // No length: the body runs to the end of the connection.
    for (;;) {
      if (len_ - body_start > limits_.max_body_bytes) {
        return {"the Runtime API's response body is too large", 0};
      }
      bool eof = false;
      if (HttpError error = Fill(limit, &eof); !error.ok()) {
        return error;
      }
      if (eof) {
        break;
      }
    }
    body_end = len_;
    message_end = len_;
    close = true;
  }

  auto view = [this](Span span) { return std::string_view(buf_.data() + span.offset, span.size); };
  response->status = status;
  response->body = std::string_view(buf_.data() + body_start, body_end - body_start);
  response->request_id = view(request_id);
  response->deadline_ms = view(deadline_ms);
  response->function_arn = view(function_arn);
  response->trace_id = view(trace_id);
  response->client_context = view(client_context);
  response->cognito_identity = view(cognito_identity);
  response->content_type = view(content_type);
  consumed_ = message_end;
  if (close) {
    // The views stay valid: closing keeps the buffer's bytes until the next request reads.
    ::close(fd_);
    fd_ = -1;
    len_ = 0;
    consumed_ = 0;
  }
  return {};
}

HttpError HttpClient::ReadChunked(size_t body_start, size_t* body_end, size_t* message_end) {
  const size_t limit = limits_.max_header_bytes + limits_.max_body_bytes + kSlack;
  size_t read = body_start;   // the next framing byte
  size_t write = body_start;  // where the next chunk's data goes (data is moved down in place)
  // Makes `count` bytes from `read` on available; moves unread bytes down over consumed framing
  // when the buffer is full, so framing never counts against the size limit.
  auto need = [&](size_t count) -> HttpError {
    while (len_ - read < count) {
      if (len_ == buf_.size() && read > write) {
        std::memmove(buf_.data() + write, buf_.data() + read, len_ - read);
        len_ -= read - write;
        read = write;
      }
      bool eof = false;
      if (HttpError error = Fill(limit, &eof); !error.ok()) {
        return error;
      }
      if (eof) {
        return {"the Runtime API closed the connection mid-response", 0};
      }
    }
    return {};
  };
  // The next CRLF-ended line from `read`, at most `max` bytes long; *line_end is its CR.
  auto next_line = [&](size_t max, size_t* line_end) -> HttpError {
    size_t searched = 0;  // bytes after `read` known to hold no CRLF (`read` may move down)
    for (;;) {
      std::string_view have(buf_.data() + read, len_ - read);
      size_t found = have.find("\r\n", searched);
      if (found != std::string_view::npos) {
        *line_end = read + found;
        return {};
      }
      if (have.size() > max) {
        return {"the Runtime API's chunked response has an overlong line", 0};
      }
      searched = have.empty() ? 0 : have.size() - 1;
      if (HttpError error = need(have.size() + 1); !error.ok()) {
        return error;
      }
    }
  };

  for (;;) {
    size_t line_end = 0;
    if (HttpError error = next_line(1024, &line_end); !error.ok()) {
      return error;
    }
    std::string_view line(buf_.data() + read, line_end - read);
    size_t extension = line.find(';');
    std::string_view digits = TrimWhitespace(line.substr(0, extension));
    uint64_t size = 0;
    auto [digits_end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || ec != std::errc() || digits_end != digits.data() + digits.size()) {
      return {"the Runtime API's chunked response has a malformed chunk size", 0};
    }
    read = line_end + 2;
    if (size == 0) {
      // Trailers, up to the blank line.
      for (;;) {
        if (HttpError error = next_line(limits_.max_header_bytes, &line_end); !error.ok()) {
          return error;
        }
        bool blank = line_end == read;
        read = line_end + 2;
        if (blank) {
          break;
        }
      }
      *body_end = write;
      *message_end = read;
      return {};
    }
    if (size > limits_.max_body_bytes - (write - body_start)) {
      return {"the Runtime API's response body is too large", 0};
    }
    if (HttpError error = need(static_cast<size_t>(size) + 2); !error.ok()) {
      return error;
    }
    std::memmove(buf_.data() + write, buf_.data() + read, static_cast<size_t>(size));
    write += static_cast<size_t>(size);
    read += static_cast<size_t>(size);
    if (buf_[read] != '\r' || buf_[read + 1] != '\n') {
      return {"the Runtime API's chunked response has a malformed chunk end", 0};
    }
    read += 2;
  }
}

}  // namespace stepfn::lambda_runtime::internal
