// AwsJsonProtocol: the awsJson1_0 protocol (the one AWS Step Functions speaks) as an HttpServer
// Handler that dispatches to operations registered by name.
//
// A request is `POST <any path>` with `X-Amz-Target: <prefix>.<Operation>` (prefix
// "AWSStepFunctions" for Step Functions), `Content-Type: application/x-amz-json-1.0` and a JSON
// object body (an empty body counts as {}). The Host header is not checked: clients send
// StartSyncExecution to a "sync-" host prefix. Each request is checked in this order, and the
// first failure is answered in AWS's shape (see aws_error.h):
//   1. method POST                      else 405 UnknownOperationException
//   2. authentication (sigv4.h)         else 400 MissingAuthenticationTokenException,
//                                        IncompleteSignatureException, InvalidSignatureException,
//                                        UnrecognizedClientException
//   3. X-Amz-Target names a registered operation  else 400 UnknownOperationException
//   4. Content-Type application/x-amz-json-1.0 (or 1.1)  else 400 SerializationException
//   5. the body is one JSON object      else 400 SerializationException
// Requests the server refused before parsing (too large, truncated, too slow, too many
// connections) get the same shape through Reject.
//
// Every response carries `x-amzn-RequestId` (a fresh UUID) and the awsJson content type.
// One protocol object serves one service (one target prefix); api::ServiceDispatcher puts
// several services on one port.
//
// Thread safety: Register* must all happen before the protocol serves its first request; after
// that Handle and Reject may run on any number of threads at once. Operation functions are
// called on server threads, several at once, and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/aws_error.h"
#include "api/http_server.h"
#include "api/protocol.h"
#include "api/sigv4.h"
#include "common/clock.h"
#include "json/value.h"

namespace stepfn::api {

// What an operation receives.
struct OperationRequest {
  std::string operation;   // "ListStateMachines"
  json::Value input;       // the request body, an object
  std::string request_id;  // the x-amzn-RequestId the response will carry
  // From the request's SigV4 credential scope when it had one: the caller's access key id and
  // region ("us-east-1"); empty otherwise.
  std::string access_key_id;
  std::string region;
  std::string host;  // the Host header as sent
};

// Answers one operation request, once, from any thread (like Responder).
class OperationResponder {
 public:
  OperationResponder(Responder responder, std::string request_id)
      : responder_(std::move(responder)) {
    report_.request_id = std::move(request_id);
  }
  // Also tells the report's observer (when it has one) of the answer; `content_type` is the
  // awsJson version's ("application/x-amz-json-1.0").
  OperationResponder(Responder responder, AnswerReport report, std::string_view content_type)
      : responder_(std::move(responder)), report_(std::move(report)), content_type_(content_type) {}
  OperationResponder(OperationResponder&&) noexcept = default;
  OperationResponder& operator=(OperationResponder&&) noexcept = default;

  // Answers 200 with `output` (a JSON object) as the body.
  void Succeed(const json::Value& output);
  void Fail(const AwsError& error);
  void Finish(const AwsOr<json::Value>& outcome);

 private:
  Responder responder_;
  AnswerReport report_;
  std::string_view content_type_ = "application/x-amz-json-1.0";  // a literal
};

// An operation that answers later (long polls) or from another thread.
using AsyncOperation = std::function<void(OperationRequest, OperationResponder)>;
// An operation that answers at once.
using SyncOperation = std::function<AwsOr<json::Value>(const OperationRequest&)>;

struct AwsJsonOptions {
  // X-Amz-Target is "<target_prefix>.<Operation>": "AWSStepFunctions", "Logs_20140328",
  // "DynamoDB_20120810".
  std::string target_prefix = "AWSStepFunctions";
  // The SigV4 service name in credential scopes ("states" for Step Functions, "logs").
  std::string signing_service = "states";
  // The protocol version the service speaks: "1.0" (Step Functions, DynamoDB) or "1.1"
  // (CloudWatch Logs). Responses carry its content type; requests may use either.
  std::string json_version = "1.0";
};

class AwsJsonProtocol final : public Handler {
 public:
  // `credentials` decides who may call (Credentials::AllowAll() for the loopback default);
  // `clock` gives the time signatures are checked against. Both must outlive the protocol.
  AwsJsonProtocol(AwsJsonOptions options, const Credentials* credentials, Clock* clock);

  // Registers an operation under its name (without the prefix). A second registration of the
  // same name replaces the first.
  void Register(std::string name, AsyncOperation operation);
  void RegisterSync(std::string name, SyncOperation operation);
  // Tells `observer` of every answer, rejections included (set before serving; it must outlive
  // the protocol). One observer; null for none.
  void SetObserver(RequestObserver* observer) { observer_ = observer; }

  void Handle(HttpRequest request, Responder responder) override;
  HttpResponse Reject(RejectReason reason, std::string_view detail) override;

  const AwsJsonOptions& options() const { return options_; }

 private:
  const AwsJsonOptions options_;
  const std::string content_type_;  // "application/x-amz-json-<json_version>"
  const Credentials* const credentials_;
  Clock* const clock_;
  std::unordered_map<std::string, AsyncOperation> operations_;
  RequestObserver* observer_ = nullptr;
};

// A response in AWS's JSON shape (status, body, x-amzn-ErrorType, x-amzn-RequestId,
// Content-Type). Exposed for other protocol handlers and tests.
HttpResponse AwsJsonErrorResponse(const AwsError& error, std::string_view request_id,
                                  std::string_view content_type = "application/x-amz-json-1.0");
HttpResponse AwsJsonSuccessResponse(const json::Value& output, std::string_view request_id,
                                    std::string_view content_type = "application/x-amz-json-1.0");

}  // namespace stepfn::api
