// Resource-based policies (AddPermission, GetPolicy, RemovePermission) and tags (TagResource,
// UntagResource, ListTags): what deployment tools (SAM, CloudFormation, Terraform) write next to
// a function. stepfn keeps and reports both; it does not enforce policies (there is no IAM).
#include "services/lambda/operations_policy.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "json/write.h"
#include "services/lambda/operation_support.h"

namespace stepfn::lambda::ops {
namespace {

constexpr size_t kMaxPolicyBytes = 20'480;  // AWS's limit on a function's policy document
constexpr size_t kMaxTags = 50;             // tags per resource

bool AllOf(std::string_view text, bool (*ok)(char)) {
  return std::all_of(text.begin(), text.end(), [ok](char c) { return ok(c); });
}
bool IsIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}
bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// StatementId: 1 to 100 of [a-zA-Z0-9-_].
std::optional<AwsError> CheckStatementId(const std::string& id, std::string_view member) {
  if (id.empty() || id.size() > 100) {
    return ValidationError(id, member,
                           id.empty() ? "Member must have length greater than or equal to 1"
                                      : "Member must have length less than or equal to 100");
  }
  if (!AllOf(id, IsIdChar)) {
    return ValidationError(id, member,
                           "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)");
  }
  return std::nullopt;
}

// Action: "*", "lambda:*" or "lambda:<Letters>".
bool IsAction(const std::string& action) {
  if (action == "*" || action == "lambda:*") return true;
  return action.size() > 7 && action.rfind("lambda:", 0) == 0 &&
         AllOf(std::string_view(action).substr(7), IsLetter);
}

// The policy's Principal for what AddPermission was given: "*", an account (its root), an ARN,
// or a service ("sns.amazonaws.com").
json::Value PrincipalJson(const std::string& principal) {
  if (principal == "*") return json::Value::String("*");
  json::ObjectBuilder out;
  if (principal.size() == 12 && AllOf(principal, IsDigit)) {
    out.Append("AWS", json::Value::String("arn:aws:iam::" + principal + ":root"));
  } else if (principal.rfind("arn:", 0) == 0) {
    out.Append("AWS", json::Value::String(principal));
  } else {
    out.Append("Service", json::Value::String(principal));
  }
  return std::move(out).Build();
}

// The policy document GetPolicy answers (as a JSON string).
std::string PolicyDocument(const PolicyRecord& policy) {
  json::ObjectBuilder out;
  out.Append("Version", json::Value::String("2012-10-17"));
  out.Append("Id", json::Value::String("default"));
  out.Append("Statement", json::Value::Array(policy.statements));
  return json::Write(std::move(out).Build());
}

const std::string* StatementSid(const json::Value& statement) {
  const json::Value* sid = statement.find("Sid");
  return sid != nullptr && sid->is_string() ? &sid->as_string() : nullptr;
}

// The function a tag request's Resource ARN names (unqualified, existing).
std::variant<std::string, AwsError> TaggedFunction(LambdaService* service,
                                                   const ApiRequest& request) {
  const std::string* resource = request.Label("Resource");
  std::string arn = resource ? *resource : "";
  if (arn.rfind("arn:", 0) != 0) {
    return ValidationError(arn, "resource",
                           "Member must satisfy regular expression pattern: "
                           "arn:(aws[a-zA-Z-]*):lambda:.*");
  }
  auto parsed = service->ParseFunctionName(arn, "", true);
  if (auto* error = std::get_if<AwsError>(&parsed)) return std::move(*error);
  FunctionRef ref = std::get<FunctionRef>(std::move(parsed));
  if (!ref.qualifier.empty()) {
    return InvalidParameterValue(
        "Tags on function aliases and versions are not supported. Please specify a function "
        "ARN.");
  }
  if (!service->store()->Get(ref.name).ok()) {
    return ResourceNotFound("Function not found: " + service->FunctionArn(ref.name));
  }
  return std::move(ref.name);
}

}  // namespace

ApiOutcome AddPermission(LambdaService* service, const ApiRequest& request) {
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  Body body{std::get<json::Value>(parsed)};
  auto sid = body.String("StatementId");
  auto action = body.String("Action");
  auto principal = body.String("Principal");
  auto source_arn = body.String("SourceArn");
  auto source_account = body.String("SourceAccount");
  auto token = body.String("EventSourceToken");
  auto org = body.String("PrincipalOrgID");
  auto url_auth = body.String("FunctionUrlAuthType");
  auto revision = body.String("RevisionId");
  if (body.error) return *body.error;
  if (!sid) return ValidationError("null", "statementId", "Member must not be null");
  if (!action) return ValidationError("null", "action", "Member must not be null");
  if (!principal) return ValidationError("null", "principal", "Member must not be null");
  if (auto error = CheckStatementId(*sid, "statementId")) return *error;
  if (!IsAction(*action)) {
    return ValidationError(*action, "action",
                           "Member must satisfy regular expression pattern: "
                           "(lambda:[*]|lambda:[a-zA-Z]+|[*])");
  }
  if (principal->empty() || std::any_of(principal->begin(), principal->end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) != 0;
      })) {
    return ValidationError(*principal, "principal",
                           "Member must satisfy regular expression pattern: [^\\s]+");
  }
  if (url_auth && *url_auth != "NONE" && *url_auth != "AWS_IAM") {
    return ValidationError(*url_auth, "functionUrlAuthType",
                           "Member must satisfy enum value set: [NONE, AWS_IAM]");
  }
  auto target = QualifiedTarget(service, request);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  auto& [t, qualifier] = std::get<std::pair<Target, std::string>>(target);

  json::ObjectBuilder statement;
  statement.Append("Sid", json::Value::String(*sid));
  statement.Append("Effect", json::Value::String("Allow"));
  statement.Append("Principal", PrincipalJson(*principal));
  statement.Append("Action", json::Value::String(*action));
  statement.Append("Resource", json::Value::String(service->FunctionArn(t.ref.name, qualifier)));
  json::ObjectBuilder equals;
  if (source_account) equals.Append("AWS:SourceAccount", json::Value::String(*source_account));
  if (org) equals.Append("aws:PrincipalOrgID", json::Value::String(*org));
  if (token) equals.Append("lambda:EventSourceToken", json::Value::String(*token));
  if (url_auth) equals.Append("lambda:FunctionUrlAuthType", json::Value::String(*url_auth));
  json::ObjectBuilder condition;
  json::Value equals_value = std::move(equals).Build();
  if (equals_value.size() > 0) condition.Append("StringEquals", std::move(equals_value));
  if (source_arn) {
    json::ObjectBuilder like;
    like.Append("AWS:SourceArn", json::Value::String(*source_arn));
    condition.Append("ArnLike", std::move(like).Build());
  }
  json::Value condition_value = std::move(condition).Build();
  if (condition_value.size() > 0) statement.Append("Condition", std::move(condition_value));
  json::Value added = std::move(statement).Build();

  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    PolicyRecord& policy = f->policies[qualifier];
    if (revision && *revision != policy.revision_id) {
      return FailedPrecondition("revision");
    }
    for (const json::Value& existing : policy.statements) {
      const std::string* existing_sid = StatementSid(existing);
      if (existing_sid != nullptr && *existing_sid == *sid) return AlreadyExists("sid");
    }
    policy.statements.push_back(added);
    size_t size = PolicyDocument(policy).size();
    if (size > kMaxPolicyBytes) {
      policy.statements.pop_back();
      if (policy.statements.empty()) f->policies.erase(qualifier);
      return OutOfRange(std::to_string(size));
    }
    policy.revision_id = NewRevisionId();
    return Status::Ok();
  });
  if (!updated.ok()) {
    const Status& status = updated.status();
    if (status.code() == StatusCode::FailedPrecondition) {
      return PreconditionFailed(
          "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy "
          "API to retrieve the latest Revision Id");
    }
    if (status.code() == StatusCode::AlreadyExists) {
      return ResourceConflict("The statement id (" + *sid +
                              ") provided already exists. Please provide a new statement id, or "
                              "remove the existing statement.");
    }
    if (status.code() == StatusCode::OutOfRange) {
      return AwsError{400, "PolicyLengthExceededException",
                      "The final policy size (" + status.message() +
                          ") is bigger than the limit (" + std::to_string(kMaxPolicyBytes) + ")."};
    }
    return FromStatus(status);
  }
  json::ObjectBuilder out;
  out.Append("Statement", json::Value::String(json::Write(added)));
  return JsonResponse(std::move(out).Build(), 201);
}

ApiOutcome GetPolicy(LambdaService* service, const ApiRequest& request) {
  auto target = QualifiedTarget(service, request);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  auto& [t, qualifier] = std::get<std::pair<Target, std::string>>(target);
  auto policy = t.function.policies.find(qualifier);
  if (policy == t.function.policies.end() || policy->second.statements.empty()) {
    return ResourceNotFound("The resource you requested does not exist.");
  }
  json::ObjectBuilder out;
  out.Append("Policy", json::Value::String(PolicyDocument(policy->second)));
  out.Append("RevisionId", json::Value::String(policy->second.revision_id));
  return JsonResponse(std::move(out).Build());
}

ApiOutcome RemovePermission(LambdaService* service, const ApiRequest& request) {
  const std::string* label = request.Label("StatementId");
  std::string sid = label ? *label : "";
  if (auto error = CheckStatementId(sid, "statementId")) return *error;
  auto target = QualifiedTarget(service, request);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  auto& [t, qualifier] = std::get<std::pair<Target, std::string>>(target);
  const std::string* revision = request.Query("RevisionId");
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    auto policy = f->policies.find(qualifier);
    if (policy == f->policies.end()) return NotFound("sid");
    if (revision != nullptr && *revision != policy->second.revision_id) {
      return FailedPrecondition("revision");
    }
    std::vector<json::Value>& statements = policy->second.statements;
    auto it = std::find_if(statements.begin(), statements.end(), [&](const json::Value& s) {
      const std::string* existing = StatementSid(s);
      return existing != nullptr && *existing == sid;
    });
    if (it == statements.end()) return NotFound("sid");
    statements.erase(it);
    if (statements.empty()) {
      f->policies.erase(policy);
    } else {
      policy->second.revision_id = NewRevisionId();
    }
    return Status::Ok();
  });
  if (!updated.ok()) {
    const Status& status = updated.status();
    if (status.code() == StatusCode::NotFound) {
      return ResourceNotFound("Statement " + sid + " is not found in resource policy.");
    }
    if (status.code() == StatusCode::FailedPrecondition) {
      return PreconditionFailed(
          "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy "
          "API to retrieve the latest Revision Id");
    }
    return FromStatus(status);
  }
  return EmptyResponse(204);
}

ApiOutcome TagResource(LambdaService* service, const ApiRequest& request) {
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  Body body{std::get<json::Value>(parsed)};
  const json::Value* tags = body.Object("Tags");
  if (body.error) return *body.error;
  if (tags == nullptr) return ValidationError("null", "tags", "Member must not be null");
  std::map<std::string, std::string> added;
  for (const auto& [key, value] : tags->members()) {
    if (!value.is_string()) {
      return AwsError::Serialization("Unexpected value for Tags." + key + ": expected a string");
    }
    if (key.empty() || key.size() > 128 || value.as_string().size() > 256) {
      return InvalidParameterValue("Tag keys must be 1 to 128 characters and tag values at most " +
                                   std::string("256 characters: ") + key);
    }
    if (key.rfind("aws:", 0) == 0) {
      return InvalidParameterValue("Tag keys starting with 'aws:' are reserved: " + key);
    }
    added[key] = value.as_string();
  }
  auto function = TaggedFunction(service, request);
  if (auto* error = std::get_if<AwsError>(&function)) return *error;
  auto updated =
      service->store()->Update(std::get<std::string>(function), [&](FunctionRecord* f) -> Status {
        std::map<std::string, std::string> merged = f->tags;
        for (const auto& [key, value] : added) merged[key] = value;
        if (merged.size() > kMaxTags) return OutOfRange("tags");
        f->tags = std::move(merged);
        return Status::Ok();
      });
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::OutOfRange) {
      return InvalidParameterValue("Number of tags exceeds resource tag limit (" +
                                   std::to_string(kMaxTags) + ").");
    }
    return FromStatus(updated.status());
  }
  return EmptyResponse(204);
}

ApiOutcome UntagResource(LambdaService* service, const ApiRequest& request) {
  std::vector<std::string> keys;
  for (const auto& [name, value] : request.query) {
    if (name == "tagKeys") keys.push_back(value);
  }
  if (keys.empty()) return ValidationError("null", "tagKeys", "Member must not be null");
  auto function = TaggedFunction(service, request);
  if (auto* error = std::get_if<AwsError>(&function)) return *error;
  auto updated = service->store()->Update(std::get<std::string>(function), [&](FunctionRecord* f) {
    for (const std::string& key : keys) f->tags.erase(key);
    return Status::Ok();
  });
  if (!updated.ok()) return FromStatus(updated.status());
  return EmptyResponse(204);
}

ApiOutcome ListTags(LambdaService* service, const ApiRequest& request) {
  auto function = TaggedFunction(service, request);
  if (auto* error = std::get_if<AwsError>(&function)) return *error;
  auto record = service->store()->Get(std::get<std::string>(function));
  if (!record.ok()) return FromStatus(record.status());
  json::ObjectBuilder out;
  out.Append("Tags", StringMapJson(record->tags));
  return JsonResponse(std::move(out).Build());
}

}  // namespace stepfn::lambda::ops
