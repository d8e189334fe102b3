// What the AWS protocols (aws_json.h, rest_json.h) share: request ids, telling a
// RequestObserver of each answer, the AWS error for a request the HTTP server refused, and
// small header helpers.
//
// Thread safety: plain values and pure functions; an AnswerReport is used by one thread at a
// time (it travels with its responder).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/aws_error.h"
#include "api/http_server.h"

namespace stepfn::api {

// What a RequestObserver learns of each request a protocol answered (metrics, request logs).
struct RequestSummary {
  // The operation's registered name; "" when the request failed before one was known (bad
  // method, authentication, unknown target or route) or was refused by the server (Reject).
  std::string_view operation;
  int http_status = 0;
  std::string_view error_code;     // "" on success
  std::string_view error_message;  // "" on success
  int64_t micros = 0;              // from the protocol receiving the request to its answer
  std::string_view request_id;
  // The service's SigV4 signing name ("states", "logs", "lambda"); "" for rejections the
  // server made before any service was known.
  std::string_view service;
};

// Told of every answer, on the thread that answers, before the response is sent. Keep it quick
// and thread-safe.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnAnswered(const RequestSummary& summary) = 0;
};

// The report one request owes its observer: who, since when, and (once known) which
// operation. Copyable; Report does nothing without an observer.
struct AnswerReport {
  RequestObserver* observer = nullptr;
  std::string service;    // signing name
  std::string operation;  // "" until known
  std::string request_id;
  int64_t started = 0;  // MonotonicNanos at arrival (0 without an observer)

  // Starts the clock when there is an observer.
  static AnswerReport Begin(RequestObserver* observer, std::string_view service,
                            std::string request_id);
  void Report(int http_status, std::string_view error_code, std::string_view error_message) const;
  void ReportError(const AwsError& error) const {
    Report(error.http_status, error.code, error.message);
  }
};

// A random (version 4) UUID, as AWS writes request ids.
std::string NewRequestId();

// The AWS error for a request the HTTP server refused: BadRequest and TruncatedBody ->
// SerializationException (400), HeaderTooLarge -> ValidationException (431), BodyTooLarge ->
// ValidationException (413), RequestTimeout -> RequestTimeoutException (408),
// TooManyConnections -> ServiceUnavailable (503), InternalError -> InternalFailure (500).
AwsError RejectionError(RejectReason reason, std::string_view detail);

// The media type of a Content-Type value, lower case, without parameters or blanks.
std::string MediaType(std::string_view content_type);

// ASCII lower case.
std::string ToLowerAscii(std::string_view text);

}  // namespace stepfn::api
