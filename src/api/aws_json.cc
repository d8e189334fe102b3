#include "api/aws_json.h"

#include <utility>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::api {

namespace {

constexpr std::string_view kContentType10 = "application/x-amz-json-1.0";
constexpr std::string_view kContentType11 = "application/x-amz-json-1.1";

void AddCommonHeaders(std::string_view request_id, std::string_view content_type,
                      HttpResponse* response) {
  response->headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  response->headers.emplace_back("Content-Type", std::string(content_type));
}

}  // namespace

HttpResponse AwsJsonErrorResponse(const AwsError& error, std::string_view request_id,
                                  std::string_view content_type) {
  HttpResponse response;
  response.status = error.http_status;
  AddCommonHeaders(request_id, content_type, &response);
  response.headers.emplace_back("x-amzn-ErrorType", error.code);
  response.body = AwsJsonErrorBody(error);
  return response;
}

HttpResponse AwsJsonSuccessResponse(const json::Value& output, std::string_view request_id,
                                    std::string_view content_type) {
  HttpResponse response;
  response.status = 200;
  AddCommonHeaders(request_id, content_type, &response);
  json::WriteTo(output, &response.body);
  return response;
}

void OperationResponder::Succeed(const json::Value& output) {
  report_.Report(200, {}, {});
  responder_.Send(AwsJsonSuccessResponse(output, report_.request_id, content_type_));
}

void OperationResponder::Fail(const AwsError& error) {
  report_.ReportError(error);
  responder_.Send(AwsJsonErrorResponse(error, report_.request_id, content_type_));
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
    : options_(std::move(options)),
      content_type_(options_.json_version == "1.1" ? kContentType11 : kContentType10),
      credentials_(credentials),
      clock_(clock) {}

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
  AnswerReport report = AnswerReport::Begin(observer_, options_.signing_service, NewRequestId());
  // A literal: responders may outlive the protocol.
  std::string_view content_type = options_.json_version == "1.1" ? kContentType11 : kContentType10;
  auto fail = [&](const AwsError& error) {
    report.ReportError(error);
    responder.Send(AwsJsonErrorResponse(error, report.request_id, content_type));
  };

  if (request.method != "POST") {
    AwsError error{
        405, "UnknownOperationException",
        "The " + options_.target_prefix + " API takes POST requests, not " + request.method};
    report.ReportError(error);
    HttpResponse response = AwsJsonErrorResponse(error, report.request_id, content_type);
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
  report.operation = operation->first;

  const std::string* request_type = request.FindHeader("Content-Type");
  std::string media_type = request_type == nullptr ? std::string() : MediaType(*request_type);
  if (media_type != kContentType10 && media_type != kContentType11) {
    fail(AwsError::Serialization(request_type == nullptr
                                     ? "The request has no Content-Type; expected '" +
                                           content_type_ + "'"
                                     : "Unsupported Content-Type '" + *request_type +
                                           "'; expected '" + content_type_ + "'"));
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
  call.request_id = report.request_id;
  const CallerIdentity& caller = std::get<CallerIdentity>(identity);
  call.access_key_id = caller.access_key_id;
  call.region = caller.region;
  if (const std::string* host = request.FindHeader("Host")) call.host = *host;
  operation->second(std::move(call),
                    OperationResponder(std::move(responder), std::move(report), content_type));
}

HttpResponse AwsJsonProtocol::Reject(RejectReason reason, std::string_view detail) {
  AwsError error = RejectionError(reason, detail);
  AnswerReport report = AnswerReport::Begin(observer_, options_.signing_service, NewRequestId());
  report.ReportError(error);
  return AwsJsonErrorResponse(error, report.request_id, content_type_);
}

}  // namespace stepfn::api
