#include "services/lambda/operation_support.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "json/parse.h"
#include "json/write.h"
#include "services/lambda/package.h"

namespace stepfn::lambda::ops {

ApiOutcome Fail(AwsError error) { return error; }

std::variant<json::Value, AwsError> JsonBody(const ApiRequest& request) {
  if (request.body.empty()) return json::Value::EmptyObject();
  auto parsed = json::Parse(request.body);
  if (!parsed.ok() || !parsed->is_object()) {
    return AwsError::Serialization("the request body is not a JSON object");
  }
  return std::move(parsed).value();
}

std::variant<Target, AwsError> FindFunction(LambdaService* service, const ApiRequest& request,
                                            bool allow_qualifier) {
  const std::string* name = request.Label("FunctionName");
  const std::string* qualifier = request.Query("Qualifier");
  auto parsed =
      service->ParseFunctionName(name ? *name : "", qualifier ? *qualifier : "", allow_qualifier);
  if (auto* error = std::get_if<AwsError>(&parsed)) return std::move(*error);
  Target target;
  target.ref = std::get<FunctionRef>(std::move(parsed));
  auto function = service->store()->Get(target.ref.name);
  if (!function.ok()) {
    return ResourceNotFound("Function not found: " + service->FunctionArn(target.ref.name));
  }
  target.function = std::move(function).value();
  return target;
}

std::variant<std::pair<Target, std::string>, AwsError> QualifiedTarget(LambdaService* service,
                                                                       const ApiRequest& request) {
  auto target = FindFunction(service, request, true);
  if (auto* error = std::get_if<AwsError>(&target)) return std::move(*error);
  Target& t = std::get<Target>(target);
  std::string qualifier = t.ref.qualifier == "$LATEST" ? "" : t.ref.qualifier;
  if (!qualifier.empty()) {
    auto version = VersionOf(service, t.function, qualifier);
    if (auto* error = std::get_if<AwsError>(&version)) return std::move(*error);
  }
  return std::make_pair(std::move(t), std::move(qualifier));
}

AwsError FromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::InvalidArgument:
    case StatusCode::OutOfRange:
      return InvalidParameterValue(status.message());
    case StatusCode::NotFound:
      return ResourceNotFound(status.message());
    case StatusCode::AlreadyExists:
    case StatusCode::FailedPrecondition:
      return ResourceConflict(status.message());
    default:
      return ServiceError(status.message());
  }
}

// The version record a qualifier names ($LATEST, a number, an alias), or 404.
std::variant<const VersionRecord*, AwsError> VersionOf(LambdaService* service,
                                                       const FunctionRecord& function,
                                                       const std::string& qualifier) {
  if (qualifier.empty() || qualifier == "$LATEST") return &function.latest;
  std::string version = qualifier;
  if (auto alias = function.aliases.find(qualifier); alias != function.aliases.end()) {
    version = alias->second.function_version;
    if (version == "$LATEST") return &function.latest;
  }
  bool digits = !version.empty() && std::all_of(version.begin(), version.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    auto it = function.versions.find(std::atoi(version.c_str()));
    if (it != function.versions.end()) return &it->second;
  }
  return ResourceNotFound("Function not found: " + service->FunctionArn(function.name, qualifier));
}

std::optional<AwsError> CheckRevision(Body& body, const std::string& current) {
  if (auto revision = body.String("RevisionId"); revision && *revision != current) {
    return PreconditionFailed(
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/"
        "GetAlias API to retrieve the latest Revision Id");
  }
  return std::nullopt;
}

ApiResponse JsonResponse(const json::Value& value, int status) {
  ApiResponse response;
  response.status = status;
  response.body = json::Write(value);
  return response;
}

ApiResponse EmptyResponse(int status) {
  ApiResponse response;
  response.status = status;
  response.content_type = "";
  return response;
}

json::Value StringMapJson(const std::map<std::string, std::string>& map) {
  json::ObjectBuilder out;
  for (const auto& [key, value] : map) out.Append(key, json::Value::String(value));
  return std::move(out).Build();
}
std::variant<std::pair<size_t, size_t>, AwsError> Page(const ApiRequest& request, size_t total,
                                                       const std::vector<std::string>& keys,
                                                       long max_limit) {
  size_t max_items = static_cast<size_t>(std::min(50L, max_limit));
  if (const std::string* text = request.Query("MaxItems")) {
    char* end = nullptr;
    long value = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || value < 1 || value > max_limit) {
      return ValidationError(
          *text, "maxItems",
          value < 1 ? "Member must have value greater than or equal to 1"
                    : "Member must have value less than or equal to " + std::to_string(max_limit));
    }
    max_items = static_cast<size_t>(value);
  }
  size_t start = 0;
  if (const std::string* marker = request.Query("Marker"); marker && !marker->empty()) {
    std::string key;
    if (!Base64Decode(*marker, &key)) return InvalidParameterValue("Invalid marker: " + *marker);
    start = static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), key) - keys.begin());
  }
  return std::make_pair(start, std::min(total, start + max_items));
}

}  // namespace stepfn::lambda::ops
