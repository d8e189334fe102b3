// stepfn_lambda_runtime_bench: what the C++ runtime client costs per invocation.
//
// A minimal Runtime API (a thread answering over loopback TCP with prepared bytes) serves N
// events to stepfn::lambda_runtime::Run with an echo handler (Response::Borrowed). Reports the
// round trip per invocation (client + server + kernel, both sides on this machine) and the
// client thread's CPU time per invocation (CLOCK_THREAD_CPUTIME_ID). Then the same exchange by
// a baseline client that only makes the four socket calls (send the GET, read the event, send
// the POST, read the 202) with no parsing: the difference is the library's own cost.
//
//   stepfn_lambda_runtime_bench [invocations=200000] [payload_bytes=64]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
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

double ThreadCpuMicros() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// A loopback listener on a free port.
int Listen(std::string* address_out) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 1) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  socklen_t size = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  *address_out = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  return listener;
}

// The Runtime API: answers `invocations` GET/POST pairs with prepared bytes, then closes.
std::thread Serve(int listener, long invocations, const std::string& event,
                  const std::string& accepted) {
  return std::thread([=] {
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
    ::shutdown(fd, SHUT_WR);  // ends Run (its next /next finds the connection closed)
    ReadRequest(fd, buffer);
    ::close(fd);
    ::close(listener);
  });
}

// Reads exactly `size` bytes (the baseline knows each answer's length).
bool ReadExactly(int fd, char* out, size_t size) {
  while (size > 0) {
    ssize_t got = ::recv(fd, out, size, 0);
    if (got <= 0) {
      return false;
    }
    out += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

void Print(const char* what, long served, double seconds, double cpu_micros) {
  std::printf("%-34s %8.2f us round trip, %7.0f invocations/s, client CPU %6.2f us/invocation\n",
              what, seconds * 1e6 / static_cast<double>(served),
              static_cast<double>(served) / seconds, cpu_micros / static_cast<double>(served));
}

}  // namespace

int main(int argc, char** argv) {
  const long invocations = argc > 1 ? std::atol(argv[1]) : 200000;
  const size_t payload_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;

  std::string payload =
      "{\"data\":\"" + std::string(payload_bytes > 11 ? payload_bytes - 11 : 0, 'x') + "\"}";
  const std::string request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
  const std::string event =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Lambda-Runtime-Aws-Request-Id: " +
      request_id +
      "\r\nLambda-Runtime-Deadline-Ms: 4102444800000\r\n"
      "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:echo\r\n"
      "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n"
      "Content-Length: " +
      std::to_string(payload.size()) + "\r\n\r\n" + payload;
  const std::string accepted =
      "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
      "{\"status\":\"OK\"}\n";
  std::printf("payload %zu bytes, %ld invocations\n", payload.size(), invocations);

  // stepfn::lambda_runtime::Run with an echo handler.
  {
    std::string api;
    int listener = Listen(&api);
    ::setenv("AWS_LAMBDA_RUNTIME_API", api.c_str(), 1);
    std::thread server = Serve(listener, invocations, event, accepted);
    long served = 0;
    double cpu = ThreadCpuMicros();
    auto start = std::chrono::steady_clock::now();
    stepfn::lambda_runtime::Run([&](const stepfn::lambda_runtime::Invocation& invocation) {
      ++served;
      return stepfn::lambda_runtime::Response::Borrowed(invocation.payload);
    });
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu = ThreadCpuMicros() - cpu;
    server.join();
    Print("stepfn_lambda_runtime (Run, echo)", served, seconds, cpu);
    if (served != invocations) {
      return 1;
    }
  }

  // The baseline: the same bytes, the four socket calls, no parsing.
  {
    std::string api;
    int listener = Listen(&api);
    std::thread server = Serve(listener, invocations, event, accepted);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(std::atoi(api.c_str() + api.rfind(':') + 1)));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      std::perror("connect");
      return 1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const std::string get = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string post =
        "POST /2018-06-01/runtime/invocation/" + request_id +
        "/response HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(payload.size()) +
        "\r\nContent-Type: application/json\r\n\r\n" + payload;
    std::string in(event.size() + accepted.size(), '\0');
    long served = 0;
    double cpu = ThreadCpuMicros();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < invocations; ++i) {
      if (::send(fd, get.data(), get.size(), MSG_NOSIGNAL) < 0 ||
          !ReadExactly(fd, in.data(), event.size()) ||
          ::send(fd, post.data(), post.size(), MSG_NOSIGNAL) < 0 ||
          !ReadExactly(fd, in.data(), accepted.size())) {
        break;
      }
      ++served;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu = ThreadCpuMicros() - cpu;
    ::send(fd, get.data(), get.size(), MSG_NOSIGNAL);
    ::close(fd);
    server.join();
    Print("baseline (socket calls only)", served, seconds, cpu);
  }
  return 0;
}
