// stepfn_lambda_runtime_bench: what the C++ runtime client costs per invocation.
//
// A minimal Runtime API (a thread answering over loopback TCP with prepared bytes) serves N
// events to stepfn::lambda_runtime::Run with an echo handler (Response::Borrowed). Reports the
// round trip per invocation (client + server + kernel, both sides on this machine) and the
// client thread's own CPU time per invocation, user and system apart (RUSAGE_THREAD): the user
// time is the library's own work; the system time is its four socket calls.
//
//   stepfn_lambda_runtime_bench [invocations=200000] [payload_bytes=64]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "stepfn/lambda_runtime.h"

namespace {

bool ReadRequest(int fd, std::string& buffer) {
  // Reads one request (head + Content-Length body) and drops it from the buffer.
  char chunk[65536];
  for (;;) {
    size_t head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t length = 0;
      size_t at = buffer.find("Content-Length: ");
      if (at != std::string::npos && at < head_end) {
        length = std::strtoul(buffer.c_str() + at + 16, nullptr, 10);
      }
      if (buffer.size() >= head_end + 4 + length) {
        buffer.erase(0, head_end + 4 + length);
        return true;
      }
    }
    ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<size_t>(got));
  }
}

double Micros(const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + t.tv_usec; }

}  // namespace

int main(int argc, char** argv) {
  const long invocations = argc > 1 ? std::atol(argv[1]) : 200000;
  const size_t payload_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;

  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 1) != 0) {
    std::perror("listen");
    return 1;
  }
  socklen_t size = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  std::string api = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.c_str(), 1);

  std::string payload =
      "{\"data\":\"" + std::string(payload_bytes > 11 ? payload_bytes - 11 : 0, 'x') + "\"}";
  const std::string event =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
      "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
      "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:echo\r\n"
      "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n"
      "Content-Length: " +
      std::to_string(payload.size()) + "\r\n\r\n" + payload;
  const std::string accepted =
      "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
      "{\"status\":\"OK\"}\n";

  std::thread server([&] {
    int fd = ::accept(listener, nullptr, nullptr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::string buffer;
    for (long i = 0; i < invocations; ++i) {
      if (!ReadRequest(fd, buffer) || ::send(fd, event.data(), event.size(), MSG_NOSIGNAL) < 0 ||
          !ReadRequest(fd, buffer) ||
          ::send(fd, accepted.data(), accepted.size(), MSG_NOSIGNAL) < 0) {
        break;
      }
    }
    ReadRequest(fd, buffer);  // the next /next: answer by closing, which ends Run
    ::close(fd);
    ::close(listener);
  });

  long served = 0;
  rusage before{};
  ::getrusage(RUSAGE_THREAD, &before);
  auto start = std::chrono::steady_clock::now();
  stepfn::lambda_runtime::Run([&](const stepfn::lambda_runtime::Invocation& invocation) {
    ++served;
    return stepfn::lambda_runtime::Response::Borrowed(invocation.payload);
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  rusage after{};
  ::getrusage(RUSAGE_THREAD, &after);
  server.join();

  double seconds = std::chrono::duration<double>(elapsed).count();
  double user = Micros(after.ru_utime) - Micros(before.ru_utime);
  double system = Micros(after.ru_stime) - Micros(before.ru_stime);
  std::printf(
      "invocations %ld, payload %zu bytes\n"
      "round trip (client + server + kernel): %.2f us/invocation, %.0f invocations/s\n"
      "client CPU: user %.2f us + system %.2f us per invocation\n",
      served, payload.size(), seconds * 1e6 / static_cast<double>(served),
      static_cast<double>(served) / seconds, user / static_cast<double>(served),
      system / static_cast<double>(served));
  return served == invocations ? 0 : 1;
}
