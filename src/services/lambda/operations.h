// The Lambda API (restJson1, as botocore's `lambda` 2015-03-31 model describes it): each
// operation a function of the LambdaService and one HTTP request (path labels, query, headers,
// body) that answers a status, headers and body, or an AWS error.
//
// Operations: CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
// UpdateFunctionConfiguration, ListFunctions, DeleteFunction, Invoke, PublishVersion,
// ListVersionsByFunction, CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases,
// PutFunctionConcurrency, GetFunctionConcurrency, DeleteFunctionConcurrency,
// GetAccountSettings; AddPermission, GetPolicy, RemovePermission, TagResource, UntagResource,
// ListTags (operations_policy.cc); Put/Update/Get/DeleteFunctionEventInvokeConfig,
// ListFunctionEventInvokeConfigs (operations_event_config.cc). README.md lists what each accepts
// and answers.
//
// Thread safety: operations run on the HTTP server's threads, several at once.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/aws_error.h"
#include "api/http_server.h"
#include "services/lambda/lambda_service.h"

namespace stepfn::lambda {

using ApiParameters = std::vector<std::pair<std::string, std::string>>;

// One request, as the restJson protocol hands it over.
struct ApiRequest {
  ApiParameters labels;  // path labels, decoded: {"FunctionName", "f"}
  ApiParameters query;   // decoded, in order
  api::HttpHeaders headers;
  std::string body;
  std::string request_id;

  const std::string* Label(std::string_view name) const;
  const std::string* Query(std::string_view name) const;
  const std::string* Header(std::string_view name) const;  // case-insensitive
};

struct ApiResponse {
  int status = 200;
  api::HttpHeaders headers;
  std::string body;
  std::string content_type = "application/json";  // "" for none
};

using ApiOutcome = api::AwsOr<ApiResponse>;
using SyncApiOperation = ApiOutcome (*)(LambdaService*, const ApiRequest&);
using AsyncApiOperation = void (*)(LambdaService*, ApiRequest, std::function<void(ApiOutcome)>);

struct ApiOperation {
  const char* name;       // "CreateFunction"
  const char* method;     // "POST"
  const char* path;       // "/2015-03-31/functions"
  SyncApiOperation sync;  // one of these two
  AsyncApiOperation async;
  size_t max_body_bytes = 0;  // 0: the server's default
  // Does disk work proportional to the request (a deployment package): run on the service's
  // package thread, not on the server's event-loop thread that received it, so that the other
  // requests of that loop are not held up behind it.
  bool blocking = false;
};

// Every operation, with its route.
const std::vector<ApiOperation>& LambdaApiOperations();

// Limits (AWS's).
inline constexpr size_t kMaxCreateRequestBytes = 69'905'067;  // a 50 MB zip, base64, in JSON
inline constexpr size_t kMaxInvokePayloadBytes = 6'291'456;   // 6 MB, synchronous
inline constexpr int kAccountConcurrency = 1000;
inline constexpr int kMinUnreservedConcurrency = 100;
// The S3 bucket that names a local folder as a function's code (README.md).
inline constexpr std::string_view kLocalCodeBucket = "stepfn-local";

}  // namespace stepfn::lambda
