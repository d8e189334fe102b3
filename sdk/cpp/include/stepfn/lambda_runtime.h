// stepfn::lambda_runtime: write a Lambda function in C++ as a `provided` runtime's `bootstrap`.
//
//   #include "stepfn/lambda_runtime.h"
//
//   int main() {
//     return stepfn::lambda_runtime::Run([](const stepfn::lambda_runtime::Invocation& in) {
//       if (in.payload.empty()) {
//         return stepfn::lambda_runtime::Response::Failure("InvalidInput", "no payload");
//       }
//       return stepfn::lambda_runtime::Response::Success(std::string(in.payload));
//     });
//   }
//
// Run speaks the AWS Lambda Runtime API (2018-06-01) to the address in AWS_LAMBDA_RUNTIME_API:
// it long-polls GET /runtime/invocation/next, calls the handler once per event, and posts the
// handler's answer to /runtime/invocation/<id>/response or /error, all over one kept-alive
// HTTP/1.1 connection. It works the same under stepfn and under AWS Lambda.
//
// The library needs only the C++20 standard library and POSIX sockets, and never throws. It does
// not allocate per invocation beyond what the handler's answer needs (its buffers are reused).
//
// Thread safety: Run and ReportInitError are called from one thread (the process's main loop);
// the handler runs on that thread, one invocation at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace stepfn::lambda_runtime {

// One event. The views point into the runtime's buffers: valid until the handler returns (and,
// for a Response::Borrowed answer, until that answer has been posted).
struct Invocation {
  std::string_view payload;           // the event as sent to Invoke (JSON text)
  std::string_view request_id;        // Lambda-Runtime-Aws-Request-Id
  int64_t deadline_ms = 0;            // Lambda-Runtime-Deadline-Ms: Unix time in ms
  std::string_view function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string_view trace_id;          // Lambda-Runtime-Trace-Id ("" when absent)
  std::string_view client_context;    // Lambda-Runtime-Client-Context, JSON ("" when absent)
  std::string_view cognito_identity;  // Lambda-Runtime-Cognito-Identity, JSON ("" when absent)

  // Milliseconds left before the deadline (0 when past it).
  int64_t RemainingTimeMs() const;
};

// What a handler answers: a JSON payload, or an error (type and message). Errors are posted as
// {"errorMessage": message, "errorType": type, "stackTrace": []} with the header
// Lambda-Runtime-Function-Error-Type: type.
class Response {
 public:
  // The result, JSON text (not checked: the caller of Invoke receives these bytes).
  static Response Success(std::string payload);
  // The same without a copy: `payload` must stay valid until the answer has been posted (e.g. a
  // view of Invocation::payload, which is, or of static data).
  static Response Borrowed(std::string_view payload);
  static Response Failure(std::string error_type, std::string error_message);

  bool ok() const { return ok_; }
  std::string_view payload() const { return borrowed_ ? view_ : std::string_view(payload_); }
  const std::string& error_type() const { return error_type_; }
  const std::string& error_message() const { return error_message_; }

 private:
  Response() = default;
  bool ok_ = true;
  bool borrowed_ = false;
  std::string payload_;
  std::string_view view_;
  std::string error_type_;
  std::string error_message_;
};

using Handler = std::function<Response(const Invocation&)>;

// Serves invocations until the Runtime API goes away or fails (a 5xx, a broken connection that a
// reconnect does not fix, a malformed answer): then writes the reason to stderr and returns 1,
// for main to return. Returns 1 at once when AWS_LAMBDA_RUNTIME_API is missing or malformed.
// A handler that throws (when exceptions are enabled) answers an error of type "Unhandled".
int Run(const Handler& handler);

// For a function whose own initialisation failed (before Run): posts
// {"errorMessage": message, "errorType": error_type} to /runtime/init/error, as AWS asks, and
// returns 1 for main to return (the process should then exit).
int ReportInitError(std::string_view error_type, std::string_view error_message);

}  // namespace stepfn::lambda_runtime
