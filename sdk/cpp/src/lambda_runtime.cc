#include "stepfn/lambda_runtime.h"

#include <time.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <utility>

#if defined(__cpp_exceptions)
#include <exception>
#endif

#include "http_client.h"

namespace stepfn::lambda_runtime {
namespace {

using internal::HttpClient;
using internal::HttpError;
using internal::HttpResponse;

constexpr std::string_view kNextPath = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInvocationPrefix = "/2018-06-01/runtime/invocation/";
constexpr std::string_view kInitErrorPath = "/2018-06-01/runtime/init/error";

int64_t NowMs() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

void Report(std::string_view context, const HttpError& error) {
  if (error.sys_errno != 0) {
    std::fprintf(stderr, "stepfn lambda runtime: %.*s: %s (errno %d)\n",
                 static_cast<int>(context.size()), context.data(), error.what, error.sys_errno);
  } else {
    std::fprintf(stderr, "stepfn lambda runtime: %.*s: %s\n", static_cast<int>(context.size()),
                 context.data(), error.what);
  }
}

// JSON string contents: quotes, backslashes and control characters escaped; other bytes as they
// are (UTF-8 passes through).
void AppendJsonEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
}

// A header value must not break the request: control characters (CR and LF among them) are
// dropped.
void AppendHeaderValue(std::string& out, std::string_view value) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    }
  }
}

void BuildError(std::string_view type, std::string_view message, bool with_stack, std::string& body,
                std::string& headers) {
  body.assign("{\"errorMessage\":\"");
  AppendJsonEscaped(body, message);
  body.append("\",\"errorType\":\"");
  AppendJsonEscaped(body, type);
  body.append(with_stack ? "\",\"stackTrace\":[]}" : "\"}");
  headers.assign("Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: ");
  AppendHeaderValue(headers, type);
  headers.append("\r\n");
}

// host:port from AWS_LAMBDA_RUNTIME_API ("[::1]:9001" for IPv6).
bool ParseAddress(std::string_view address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return false;
  }
  std::string_view host_part = address.substr(0, colon);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  std::string_view port_part = address.substr(colon + 1);
  for (char c : port_part) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  host->assign(host_part);
  port->assign(port_part);
  return true;
}

bool ClientFromEnvironment(std::string* host, std::string* port) {
  const char* address = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (address == nullptr || !ParseAddress(address, host, port)) {
    std::fprintf(stderr, "stepfn lambda runtime: AWS_LAMBDA_RUNTIME_API is %s\n",
                 address == nullptr ? "not set" : "not host:port");
    return false;
  }
  return true;
}

Response CallHandler(const Handler& handler, const Invocation& invocation) {
#if defined(__cpp_exceptions)
  try {
    return handler(invocation);
  } catch (const std::exception& e) {
    return Response::Failure("Unhandled", e.what());
  } catch (...) {
    return Response::Failure("Unhandled", "the handler threw an exception of unknown type");
  }
#else
  return handler(invocation);
#endif
}

}  // namespace

int64_t Invocation::RemainingTimeMs() const {
  int64_t left = deadline_ms - NowMs();
  return left > 0 ? left : 0;
}

Response Response::Success(std::string payload) {
  Response response;
  response.payload_ = std::move(payload);
  return response;
}

Response Response::Borrowed(std::string_view payload) {
  Response response;
  response.borrowed_ = true;
  response.view_ = payload;
  return response;
}

Response Response::Failure(std::string error_type, std::string error_message) {
  Response response;
  response.ok_ = false;
  response.error_type_ = std::move(error_type);
  response.error_message_ = std::move(error_message);
  return response;
}

int Run(const Handler& handler) {
  std::string host;
  std::string port;
  if (!ClientFromEnvironment(&host, &port)) {
    return 1;
  }
  HttpClient client(std::move(host), std::move(port));
  std::string path;         // /2018-06-01/runtime/invocation/<id>/response
  std::string error_body;   // an error's JSON
  std::string error_heads;  // an error's headers
  path.reserve(128);
  static constexpr std::string_view kJsonHeader = "Content-Type: application/json\r\n";

  // stepfn's Runtime API takes the next GET /next right behind a result (HTTP/1.1 pipelining):
  // one write and one wake-up less per invocation on each side. AWS's is not asked to.
  const char* pipelining = std::getenv("STEPFN_RUNTIME_API_PIPELINING");
  const bool pipelined = pipelining != nullptr && std::string_view(pipelining) == "1";
  std::string posted_body;  // the first bytes of a refused post's answer
  HttpResponse next;
  bool have_next = false;  // `next` came with the previous post

  for (;;) {
    if (!have_next) {
      if (HttpError error = client.Request("GET", kNextPath, {}, {}, &next); !error.ok()) {
        Report("GET /runtime/invocation/next", error);
        return 1;
      }
    }
    have_next = false;
    if (next.status != 200 || next.request_id.empty()) {
      std::fprintf(stderr,
                   "stepfn lambda runtime: GET /runtime/invocation/next answered %d: %.*s\n",
                   next.status, static_cast<int>(next.body.size() < 500 ? next.body.size() : 500),
                   next.body.data());
      return 1;
    }
    Invocation invocation;
    invocation.payload = next.body;
    invocation.request_id = next.request_id;
    invocation.function_arn = next.function_arn;
    invocation.trace_id = next.trace_id;
    invocation.client_context = next.client_context;
    invocation.cognito_identity = next.cognito_identity;
    std::from_chars(next.deadline_ms.data(), next.deadline_ms.data() + next.deadline_ms.size(),
                    invocation.deadline_ms);

    Response response = CallHandler(handler, invocation);

    path.assign(kInvocationPrefix).append(next.request_id);
    std::string_view heads = kJsonHeader;
    std::string_view body;
    if (response.ok()) {
      path.append("/response");
      body = response.payload();
    } else {
      path.append("/error");
      BuildError(response.error_type(), response.error_message(), true, error_body, error_heads);
      heads = error_heads;
      body = error_body;
    }
    int status = 0;
    HttpError error;
    if (pipelined) {
      HttpResponse following;
      error = client.RequestPair("POST", path, heads, body, &status, &posted_body, "GET", kNextPath,
                                 &following);
      if (error.ok()) {
        next = following;
        have_next = true;
      }
    } else {
      HttpResponse posted;
      error = client.Request("POST", path, heads, body, &posted);
      status = posted.status;
      if (status >= 300) {
        posted_body.assign(posted.body.substr(0, 500));
      }
    }
    if (!error.ok()) {
      Report(path, error);
      return 1;
    }
    if (status >= 500) {
      // AWS: a 500 is a non-recoverable state; the runtime exits promptly.
      std::fprintf(stderr, "stepfn lambda runtime: POST %s answered %d\n", path.c_str(), status);
      return 1;
    }
    if (status >= 300) {
      // e.g. 413 for a payload over the limit: the invocation failed, the runtime goes on.
      std::fprintf(stderr, "stepfn lambda runtime: POST %s answered %d: %s\n", path.c_str(), status,
                   posted_body.c_str());
    }
  }
}

int ReportInitError(std::string_view error_type, std::string_view error_message) {
  std::string host;
  std::string port;
  if (!ClientFromEnvironment(&host, &port)) {
    return 1;
  }
  HttpClient client(std::move(host), std::move(port));
  std::string body;
  std::string headers;
  BuildError(error_type, error_message, false, body, headers);
  HttpResponse posted;
  if (HttpError error = client.Request("POST", kInitErrorPath, headers, body, &posted);
      !error.ok()) {
    Report("POST /runtime/init/error", error);
  } else if (posted.status >= 300) {
    std::fprintf(stderr, "stepfn lambda runtime: POST /runtime/init/error answered %d\n",
                 posted.status);
  }
  return 1;
}

}  // namespace stepfn::lambda_runtime
