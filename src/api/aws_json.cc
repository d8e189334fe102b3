#include "api/aws_json.h"

#include <openssl/rand.h>

#include <atomic>
#include <cstdio>
#include <utility>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::api {

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.0";

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return ToLower(type);
}

void AddCommonHeaders(std::string_view request_id, HttpResponse* response) {
  response->headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  response->headers.emplace_back("Content-Type", std::string(kContentType));
}

}  // namespace

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

HttpResponse AwsJsonErrorResponse(const AwsError& error, std::string_view request_id) {
  HttpResponse response;
  response.status = error.http_status;
  AddCommonHeaders(request_id, &response);
  response.headers.emplace_back("x-amzn-ErrorType", error.code);
  response.body = AwsJsonErrorBody(error);
  return response;
}

HttpResponse AwsJsonSuccessResponse(const json::Value& output, std::string_view request_id) {
  HttpResponse response;
  response.status = 200;
  AddCommonHeaders(request_id, &response);
  json::WriteTo(output, &response.body);
  return response;
}

void OperationResponder::Report(int http_status, std::string_view error_code,
                                std::string_view error_message) {
  if (observer_ == nullptr) return;
  RequestSummary summary;
  summary.operation = operation_;
  summary.http_status = http_status;
  summary.error_code = error_code;
  summary.error_message = error_message;
  summary.micros = (MonotonicNanos() - started_) / 1000;
  summary.request_id = request_id_;
  observer_->OnAnswered(summary);
}

void OperationResponder::Succeed(const json::Value& output) {
  Report(200, {}, {});
  responder_.Send(AwsJsonSuccessResponse(output, request_id_));
}

void OperationResponder::Fail(const AwsError& error) {
  Report(error.http_status, error.code, error.message);
  responder_.Send(AwsJsonErrorResponse(error, request_id_));
}

void OperationResponder::Finish(const AwsOr<json::Value>& outcome) {
  if (const auto* output = std::get_if<json::Value>(&outcome)) {
    Succeed(*output);
  } else {
    Fail(std::get<AwsError>(outcome));
  }
}

AwsJsonProtocol::AwsJsonProtocol(AwsJsonOptions options, const Credentials* credentials,
                                 Clock* clock)
    : options_(std::move(options)), credentials_(credentials), clock_(clock) {}

void AwsJsonProtocol::Register(std::string name, AsyncOperation operation) {
  operations_[std::move(name)] = std::move(operation);
}

void AwsJsonProtocol::RegisterSync(std::string name, SyncOperation operation) {
  Register(std::move(name), [operation = std::move(operation)](OperationRequest request,
                                                               OperationResponder responder) {
    responder.Finish(operation(request));
  });
}

void AwsJsonProtocol::Handle(HttpRequest request, Responder responder) {
  std::string request_id = NewRequestId();
  int64_t started = observer_ != nullptr ? MonotonicNanos() : 0;
  std::string_view known_operation;  // once the target names a registered operation
  auto report = [&](const AwsError& error) {
    if (observer_ == nullptr) return;
    RequestSummary summary;
    summary.operation = known_operation;
    summary.http_status = error.http_status;
    summary.error_code = error.code;
    summary.error_message = error.message;
    summary.micros = (MonotonicNanos() - started) / 1000;
    summary.request_id = request_id;
    observer_->OnAnswered(summary);
  };
  auto fail = [&](const AwsError& error) {
    report(error);
    responder.Send(AwsJsonErrorResponse(error, request_id));
  };

  if (request.method != "POST") {
    AwsError error{
        405, "UnknownOperationException",
        "The " + options_.target_prefix + " API takes POST requests, not " + request.method};
    report(error);
    HttpResponse response = AwsJsonErrorResponse(error, request_id);
    response.headers.emplace_back("Allow", "POST");
    responder.Send(std::move(response));
    return;
  }

  SigV4Options sigv4;
  sigv4.service = options_.signing_service;
  AwsOr<CallerIdentity> identity = Authenticate(request, *credentials_, sigv4, clock_->NowMillis());
  if (const auto* error = std::get_if<AwsError>(&identity)) {
    fail(*error);
    return;
  }

  const std::string* target = request.FindHeader("X-Amz-Target");
  if (target == nullptr) {
    fail(AwsError::UnknownOperation("The request has no X-Amz-Target header"));
    return;
  }
  std::string_view operation_name = *target;
  if (operation_name.size() <= options_.target_prefix.size() + 1 ||
      operation_name.substr(0, options_.target_prefix.size()) != options_.target_prefix ||
      operation_name[options_.target_prefix.size()] != '.') {
    fail(AwsError::UnknownOperation("Unknown operation: X-Amz-Target '" + *target + "'"));
    return;
  }
  operation_name.remove_prefix(options_.target_prefix.size() + 1);
  auto operation = operations_.find(std::string(operation_name));
  if (operation == operations_.end()) {
    fail(AwsError::UnknownOperation("Unknown operation: X-Amz-Target '" + *target + "'"));
    return;
  }
  known_operation = operation->first;

  const std::string* content_type = request.FindHeader("Content-Type");
  std::string media_type = content_type == nullptr ? std::string() : MediaType(*content_type);
  if (media_type != "application/x-amz-json-1.0" && media_type != "application/x-amz-json-1.1") {
    fail(AwsError::Serialization(
        content_type == nullptr
            ? std::string("The request has no Content-Type; expected 'application/x-amz-json-1.0'")
            : "Unsupported Content-Type '" + *content_type +
                  "'; expected 'application/x-amz-json-1.0'"));
    return;
  }

  json::Value input = json::Value::EmptyObject();
  if (!request.body.empty()) {
    Result<json::Value> parsed = json::Parse(request.body);
    if (!parsed.ok()) {
      fail(AwsError::Serialization("The request body is not valid JSON: " +
                                   parsed.status().message()));
      return;
    }
    if (!parsed->is_object()) {
      fail(AwsError::Serialization("The request body must be a JSON object, not " +
                                   std::string(json::TypeName(parsed->type()))));
      return;
    }
    input = std::move(parsed).value();
  }

  OperationRequest call;
  call.operation = std::string(operation_name);
  call.input = std::move(input);
  call.request_id = request_id;
  const CallerIdentity& caller = std::get<CallerIdentity>(identity);
  call.access_key_id = caller.access_key_id;
  call.region = caller.region;
  if (const std::string* host = request.FindHeader("Host")) call.host = *host;
  operation->second(std::move(call), OperationResponder(std::move(responder), request_id, observer_,
                                                        operation->first, started));
}

HttpResponse AwsJsonProtocol::Reject(RejectReason reason, std::string_view detail) {
  std::string message(detail);
  AwsError error;
  switch (reason) {
    case RejectReason::BadRequest:
      error = AwsError::Serialization(message);
      break;
    case RejectReason::HeaderTooLarge:
      error = {431, "ValidationException", message};
      break;
    case RejectReason::BodyTooLarge:
      error = {413, "ValidationException", message};
      break;
    case RejectReason::TruncatedBody:
      error = AwsError::Serialization(message);
      break;
    case RejectReason::RequestTimeout:
      error = {408, "RequestTimeoutException", message};
      break;
    case RejectReason::TooManyConnections:
      error = AwsError::ServiceUnavailable(message);
      break;
    case RejectReason::InternalError:
      error = AwsError::InternalFailure(message);
      break;
  }
  std::string request_id = NewRequestId();
  if (observer_ != nullptr) {
    RequestSummary summary;
    summary.http_status = error.http_status;
    summary.error_code = error.code;
    summary.error_message = error.message;
    summary.request_id = request_id;
    observer_->OnAnswered(summary);
  }
  return AwsJsonErrorResponse(error, request_id);
}

}  // namespace stepfn::api
