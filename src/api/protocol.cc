#include "api/protocol.h"

#include <utility>

#include "common/clock.h"
#include "common/uuid.h"

namespace stepfn::api {

AnswerReport AnswerReport::Begin(RequestObserver* observer, std::string_view service,
                                 std::string request_id) {
  AnswerReport report;
  report.observer = observer;
  report.service = std::string(service);
  report.request_id = std::move(request_id);
  report.started = observer != nullptr ? MonotonicNanos() : 0;
  return report;
}

void AnswerReport::Report(int http_status, std::string_view error_code,
                          std::string_view error_message) const {
  if (observer == nullptr) return;
  RequestSummary summary;
  summary.operation = operation;
  summary.http_status = http_status;
  summary.error_code = error_code;
  summary.error_message = error_message;
  summary.micros = started == 0 ? 0 : (MonotonicNanos() - started) / 1000;
  summary.request_id = request_id;
  summary.service = service;
  observer->OnAnswered(summary);
}

std::string NewRequestId() { return NewUuid(); }

AwsError RejectionError(RejectReason reason, std::string_view detail) {
  std::string message(detail);
  switch (reason) {
    case RejectReason::BadRequest:
    case RejectReason::TruncatedBody:
      return AwsError::Serialization(std::move(message));
    case RejectReason::HeaderTooLarge:
      return {431, "ValidationException", std::move(message)};
    case RejectReason::BodyTooLarge:
      return {413, "ValidationException", std::move(message)};
    case RejectReason::RequestTimeout:
      return {408, "RequestTimeoutException", std::move(message)};
    case RejectReason::TooManyConnections:
      return AwsError::ServiceUnavailable(std::move(message));
    case RejectReason::InternalError:
      return AwsError::InternalFailure(std::move(message));
  }
  return AwsError::InternalFailure(std::move(message));
}

std::string ToLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string MediaType(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return ToLowerAscii(type);
}

}  // namespace stepfn::api
