// RestJsonProtocol: the restJson1 protocol (the one AWS Lambda's API speaks) as an HttpServer
// Handler that dispatches to operations registered by HTTP method and path template.
//
//   RestJsonProtocol lambda({.service_name = "Lambda", .signing_service = "lambda"}, &creds,
//                           &clock);
//   lambda.Register("Invoke", "POST", "/2015-03-31/functions/{FunctionName}/invocations",
//                   [](RestRequest request, RestResponder out) { ... out.Send(...) later ... });
//   lambda.RegisterSync("ListFunctions", "GET", "/2015-03-31/functions/",
//                       [](const RestRequest& r) -> AwsOr<RestResponse> { ... });
//
// Path templates are the botocore model's `requestUri`: literal segments, labels `{Name}` (one
// non-empty segment, percent-decoded) and a greedy label `{Name+}` (the rest of the path, one or
// more segments, '/' kept, percent-decoded). A template may end in a query literal (`?List=ALL`,
// `?find=LayerVersion`, `?acl`): the request must carry that parameter (with that value).
// Matching ignores one trailing '/' on either side, compares literal segments byte for byte
// as sent, and prefers the route with more literal segments, then one with a query literal,
// then one without a greedy label.
//
// Each request is checked in this order, the first failure answered in restJson1's shape:
//   1. authentication (sigv4.h, with options.signing_service)   else 403
//      MissingAuthenticationTokenException, IncompleteSignatureException,
//      InvalidSignatureException, UnrecognizedClientException (Lambda answers these with 403)
//   2. a route matches method and path    else 404 UnknownOperationException
// Then the operation gets path labels, query parameters, headers and the raw body; it answers
// with status + headers + body (JSON by default) or an AwsError, now or later through its
// RestResponder.
//
// Errors, as botocore's rest-json parser and the JS SDK v3 read them: status, the header
// `x-amzn-ErrorType: <Code>` (read first by both) and a JSON body. Lambda's modeled errors carry
// `{"Type": "User", "Message": "..."}` ("Service" for 5xx), which is what an operation's
// AwsError becomes under options.error_type_field (botocore fills the modeled members Type and
// Message from it); errors of the front end (authentication, unknown route, refused requests)
// carry `{"message": "..."}` as AWS's front end sends them. Every answer carries
// `x-amzn-RequestId`.
//
// Thread safety: Register* must all happen before the protocol serves its first request; after
// that Handle, Reject, BodyLimit and Match may run on any number of threads at once. Operation
// functions are called on server threads, several at once, and must be thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/aws_error.h"
#include "api/http_server.h"
#include "api/protocol.h"
#include "api/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "json/value.h"

namespace stepfn::api {

using Parameters = std::vector<std::pair<std::string, std::string>>;

// What a restJson operation receives.
struct RestRequest {
  std::string operation;  // "Invoke"
  std::string method;     // "POST"
  std::string path;       // as sent, still percent-encoded
  Parameters labels;      // path labels, decoded: {"FunctionName", "my-function"}
  Parameters query;       // query parameters in order, decoded
  HttpHeaders headers;    // as sent
  std::string body;       // raw bytes
  std::string request_id;
  // From the request's SigV4 credential scope when it had one; empty otherwise.
  std::string access_key_id;
  std::string region;
  std::string host;  // the Host header as sent

  // The label's decoded value, or nullptr.
  const std::string* Label(std::string_view name) const;
  // The first query parameter with this name, or nullptr.
  const std::string* Query(std::string_view name) const;
  // The first header with this name (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
  // The body as a JSON object ({} when empty); SerializationException (400) when it is not
  // JSON or not an object.
  AwsOr<json::Value> JsonBody() const;
};

// What a restJson operation answers.
struct RestResponse {
  int status = 200;
  HttpHeaders headers;  // x-amzn-RequestId and Content-Type are added unless present
  std::string body;
  std::string content_type = "application/json";  // "" for none (an empty body)

  // `status` with `value` written as the JSON body.
  static RestResponse Json(const json::Value& value, int status = 200);
  // `status` and no body (204 No Content and the like).
  static RestResponse Empty(int status);
};

// Answers one restJson request, once, from any thread (like Responder). Dropping it unanswered
// answers 500.
class RestResponder {
 public:
  RestResponder(Responder responder, AnswerReport report, bool error_type_field)
      : responder_(std::move(responder)),
        report_(std::move(report)),
        error_type_field_(error_type_field) {}
  RestResponder(RestResponder&&) noexcept = default;
  RestResponder& operator=(RestResponder&&) noexcept = default;

  void Send(RestResponse response);
  // 200 with `output` as the JSON body.
  void Succeed(const json::Value& output) { Send(RestResponse::Json(output)); }
  void Fail(const AwsError& error);
  void Finish(AwsOr<RestResponse> outcome);

  const std::string& request_id() const { return report_.request_id; }

 private:
  Responder responder_;
  AnswerReport report_;
  bool error_type_field_ = true;
};

using RestOperation = std::function<void(RestRequest, RestResponder)>;
using SyncRestOperation = std::function<AwsOr<RestResponse>(const RestRequest&)>;

struct RestRouteOptions {
  // The most body bytes this route takes; 0: the server's default (HttpServerOptions::
  // max_body_bytes). Lambda's CreateFunction and UpdateFunctionCode take a 50 MB zip,
  // base64-encoded inside JSON: about 70 MB.
  size_t max_body_bytes = 0;
};

struct RestJsonOptions {
  std::string service_name = "Lambda";     // in messages
  std::string signing_service = "lambda";  // the SigV4 service name in credential scopes
  // Operation errors as {"Type": "User"|"Service", "Message": "..."} (Lambda's modeled error
  // shape); false: {"message": "..."}.
  bool error_type_field = true;
  // Authentication failures answer with this status (Lambda: 403).
  int auth_error_status = 403;
};

class RestJsonProtocol final : public Handler {
 public:
  // `credentials` and `clock` as for AwsJsonProtocol; both must outlive the protocol.
  RestJsonProtocol(RestJsonOptions options, const Credentials* credentials, Clock* clock);
  ~RestJsonProtocol() override;

  // Registers an operation under a method and path template (see above). InvalidArgument for a
  // malformed template (an unclosed or empty label, a greedy label before the last segment, a
  // label repeated). A second registration of the same method and template replaces the first.
  Status Register(std::string name, std::string method, std::string_view path_template,
                  RestOperation operation, RestRouteOptions route = {});
  Status RegisterSync(std::string name, std::string method, std::string_view path_template,
                      SyncRestOperation operation, RestRouteOptions route = {});
  // Tells `observer` of every answer (set before serving; it must outlive the protocol).
  void SetObserver(RequestObserver* observer) { observer_ = observer; }

  // True when a registered route matches this method and request target.
  bool Matches(std::string_view method, std::string_view target) const;
  // True when the target's path starts with the first segment of any registered template
  // ("/2015-03-31/..."): such a request is meant for this service even without a route.
  bool Claims(std::string_view target) const;

  void Handle(HttpRequest request, Responder responder) override;
  HttpResponse Reject(RejectReason reason, std::string_view detail) override;
  // The matching route's max_body_bytes, else `default_limit`.
  size_t BodyLimit(const HttpRequest& head, size_t default_limit) override;

  const RestJsonOptions& options() const { return options_; }

  struct Route;

 private:
  // The best route for the request, its labels filled; nullptr when none matches.
  const Route* Find(std::string_view method, std::string_view target, Parameters* labels) const;

  const RestJsonOptions options_;
  const Credentials* const credentials_;
  Clock* const clock_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<std::string> first_segments_;  // of every template, for Claims
  RequestObserver* observer_ = nullptr;
};

// A restJson error response: `error`'s status, x-amzn-ErrorType, x-amzn-RequestId and the body
// {"Type": ..., "Message": ...} (with `type_field`) or {"message": ...}.
HttpResponse RestJsonErrorResponse(const AwsError& error, std::string_view request_id,
                                   bool type_field);

}  // namespace stepfn::api
