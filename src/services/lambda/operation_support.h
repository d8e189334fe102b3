// What the Lambda API's operations share (operations.cc, operations_policy.cc): reading a
// request's body and its function, writing responses, mapping store errors to AWS errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/aws_error.h"
#include "json/value.h"
#include "services/lambda/function_store.h"
#include "services/lambda/lambda_service.h"
#include "services/lambda/operations.h"

namespace stepfn::lambda::ops {

using api::AwsError;

// ---- Reading requests ------------------------------------------------------------------------

ApiOutcome Fail(AwsError error);
// The body as a JSON object ({} when empty), or a SerializationException.
std::variant<json::Value, AwsError> JsonBody(const ApiRequest& request);

// Typed members of a request body. A member of the wrong type is a SerializationException (the
// SDKs never send one).
struct Body {
  const json::Value& value;
  std::optional<AwsError> error;

  const json::Value* Member(std::string_view name, json::Type type, const char* type_name) {
    const json::Value* member = value.find(name);
    if (member == nullptr || member->is_null()) return nullptr;
    bool ok = member->type() == type || (type == json::Type::Double && member->is_number());
    if (!ok) {
      if (!error) {
        error = AwsError::Serialization("Unexpected value for " + std::string(name) +
                                        ": expected " + type_name);
      }
      return nullptr;
    }
    return member;
  }
  std::optional<std::string> String(std::string_view name) {
    const json::Value* member = Member(name, json::Type::String, "a string");
    if (member == nullptr) return std::nullopt;
    return member->as_string();
  }
  std::optional<int64_t> Int(std::string_view name) {
    const json::Value* member = Member(name, json::Type::Int, "an integer");
    if (member == nullptr) return std::nullopt;
    return member->as_int();
  }
  std::optional<bool> Bool(std::string_view name) {
    const json::Value* member = Member(name, json::Type::Bool, "a boolean");
    if (member == nullptr) return std::nullopt;
    return member->as_bool();
  }
  const json::Value* Object(std::string_view name) {
    return Member(name, json::Type::Object, "an object");
  }
};

// The function named by the FunctionName label (and the Qualifier query parameter when
// `qualifier_param`), and the function's record.
struct Target {
  FunctionRef ref;
  FunctionRecord function;
};

std::variant<Target, AwsError> FindFunction(LambdaService* service, const ApiRequest& request,
                                            bool allow_qualifier);
// The version record a qualifier names ($LATEST, a number, an alias), or 404.
std::variant<const VersionRecord*, AwsError> VersionOf(LambdaService* service,
                                                       const FunctionRecord& function,
                                                       const std::string& qualifier);
// FindFunction with a qualifier that must exist, returned apart: "" for the unqualified
// function and $LATEST (which share resource policies and event invoke configurations).
std::variant<std::pair<Target, std::string>, AwsError> QualifiedTarget(LambdaService* service,
                                                                       const ApiRequest& request);
// PreconditionFailed when the body's RevisionId is there and is not `current`.
std::optional<AwsError> CheckRevision(Body& body, const std::string& current);
// The page [first, last) of `keys` (sorted; `total` of them) that MaxItems (1..max_limit,
// default 50) and Marker (base64 of the first key to show) ask for.
std::variant<std::pair<size_t, size_t>, AwsError> Page(const ApiRequest& request, size_t total,
                                                       const std::vector<std::string>& keys,
                                                       long max_limit);
// A store's Status as the AWS error the API answers.
AwsError FromStatus(const Status& status);

// ---- Writing responses -----------------------------------------------------------------------

ApiResponse JsonResponse(const json::Value& value, int status = 200);
ApiResponse EmptyResponse(int status);
json::Value StringMapJson(const std::map<std::string, std::string>& map);

}  // namespace stepfn::lambda::ops
