#include "api/protocol.h"

#include <openssl/rand.h>

#include <atomic>
#include <cstdio>
#include <utility>

#include "common/clock.h"

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

std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // Unique within the process at least.
    static std::atomic<uint64_t> counter{0};
    uint64_t n = counter.fetch_add(1);
    for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(n >> ((i % 8) * 8));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof(text),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return std::string(text, 36);
}

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
