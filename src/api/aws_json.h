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

// What a RequestObserver learns of each request the protocol answered (metrics, request logs).
struct RequestSummary {
  // The operation's registered name; "" when the request failed before one was known (bad
  // method, authentication, unknown target) or was refused by the server (Reject).
  std::string_view operation;
  int http_status = 0;
  std::string_view error_code;     // "" on success
  std::string_view error_message;  // "" on success
  int64_t micros = 0;              // from the protocol receiving the request to its answer
  std::string_view request_id;
};

// Told of every answer, on the thread that answers, before the response is sent. Keep it quick
// and thread-safe.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnAnswered(const RequestSummary& summary) = 0;
};

// Answers one operation request, once, from any thread (like Responder).
class OperationResponder {
 public:
  OperationResponder(Responder responder, std::string request_id)
      : responder_(std::move(responder)), request_id_(std::move(request_id)) {}
  // Also tells `observer` (may be null) of the answer; `started` is MonotonicNanos at arrival.
  OperationResponder(Responder responder, std::string request_id, RequestObserver* observer,
                     std::string operation, int64_t started)
      : responder_(std::move(responder)),
        request_id_(std::move(request_id)),
        observer_(observer),
        operation_(std::move(operation)),
        started_(started) {}
  OperationResponder(OperationResponder&&) noexcept = default;
  OperationResponder& operator=(OperationResponder&&) noexcept = default;

  // Answers 200 with `output` (a JSON object) as the body.
  void Succeed(const json::Value& output);
  void Fail(const AwsError& error);
  void Finish(const AwsOr<json::Value>& outcome);

 private:
  void Report(int http_status, std::string_view error_code, std::string_view error_message);

  Responder responder_;
  std::string request_id_;
  RequestObserver* observer_ = nullptr;
  std::string operation_;
  int64_t started_ = 0;
};

// An operation that answers later (long polls) or from another thread.
using AsyncOperation = std::function<void(OperationRequest, OperationResponder)>;
// An operation that answers at once.
using SyncOperation = std::function<AwsOr<json::Value>(const OperationRequest&)>;

struct AwsJsonOptions {
  std::string target_prefix = "AWSStepFunctions";
  // The SigV4 service name in credential scopes ("states" for Step Functions).
  std::string signing_service = "states";
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

 private:
  const AwsJsonOptions options_;
  const Credentials* const credentials_;
  Clock* const clock_;
  std::unordered_map<std::string, AsyncOperation> operations_;
  RequestObserver* observer_ = nullptr;
};

// A response in AWS's JSON shape (status, body, x-amzn-ErrorType, x-amzn-RequestId,
// Content-Type). Exposed for other protocol handlers and tests.
HttpResponse AwsJsonErrorResponse(const AwsError& error, std::string_view request_id);
HttpResponse AwsJsonSuccessResponse(const json::Value& output, std::string_view request_id);

// A random (version 4) UUID, as AWS writes request ids.
std::string NewRequestId();

}  // namespace stepfn::api
