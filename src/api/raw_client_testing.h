// A blocking loopback HTTP client on plain sockets, for tests that must send what real clients
// do not (partial requests, pipelined bursts, oversized headers). Every read has a timeout, so a
// broken server fails a test instead of hanging it. Not thread-safe; tests only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace stepfn::api::testing {

struct RawResponse {
  int status = 0;  // 0: the connection closed (or timed out) before a full response
  std::string head;
  std::string body;
  bool closed = false;  // the connection was closed after this response

  // The value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const {
    std::string lower_head;
    for (char c : head) lower_head.push_back(static_cast<char>(std::tolower(c)));
    std::string key = "\r\n";
    for (char c : name) key.push_back(static_cast<char>(std::tolower(c)));
    key += ":";
    size_t pos = lower_head.find(key);
    if (pos == std::string::npos) return "";
    size_t start = pos + key.size();
    size_t end = head.find("\r\n", start);
    std::string value = head.substr(start, end - start);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    return value;
  }
};

class RawClient {
 public:
  explicit RawClient(uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response (Content-Length framed, or until close when it has none).
  RawResponse Read() {
    RawResponse response;
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) {
        response.closed = true;
        return response;
      }
    }
    response.head = buffer_.substr(0, header_end + 2);
    buffer_.erase(0, header_end + 4);
    if (response.head.size() > 12) response.status = std::atoi(response.head.c_str() + 9);
    std::string length = response.Header("Content-Length");
    if (response.status / 100 == 1 || response.status == 204 || response.status == 304) {
      return response;  // no body
    }
    if (!length.empty()) {
      size_t want = static_cast<size_t>(std::strtoull(length.c_str(), nullptr, 10));
      while (buffer_.size() < want) {
        if (!Fill()) {
          response.status = 0;
          response.closed = true;
          return response;
        }
      }
      response.body = buffer_.substr(0, want);
      buffer_.erase(0, want);
    } else {
      while (Fill()) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
      response.closed = true;
    }
    if (response.Header("Connection") == "close") response.closed = true;
    return response;
  }

  // True when the peer closes the connection (EOF or reset) within the timeout, with no data.
  bool ReadsEof() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// "POST / HTTP/1.1" with Host and Content-Length and the given extra header lines ("A: b\r\n").
inline std::string RawRequest(std::string_view method, std::string_view target,
                              std::string_view extra_headers, std::string_view body) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  out += "Host: localhost\r\n";
  out += extra_headers;
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout (stderr too when the command redirects it)
};

// Runs `command` with /bin/sh and collects its stdout.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) result.output.append(chunk, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// True when python3 can import every module named (space-separated).
inline bool PythonHas(const std::string& modules) {
  std::string imports;
  for (char c : modules) imports.push_back(c == ' ' ? ',' : c);
  return RunCommand("python3 -c 'import " + imports + "' >/dev/null 2>&1").exit_code == 0;
}

}  // namespace stepfn::api::testing
