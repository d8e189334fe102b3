#include "services/lambda/lambda_service.h"

#include <cstdio>
#include <random>
#include <vector>

#include "api/aws_json.h"
#include "services/lambda/environments.h"

namespace stepfn::lambda {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool IsName(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsQualifier(std::string_view text) { return text == "$LATEST" || IsName(text); }

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

constexpr std::string_view kFunctionNamePattern =
    "Member must satisfy regular expression pattern: "
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
    "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";

double RandomUnit() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace

api::AwsError ResourceNotFound(std::string message) {
  return {404, "ResourceNotFoundException", std::move(message)};
}
api::AwsError ResourceConflict(std::string message) {
  return {409, "ResourceConflictException", std::move(message)};
}
api::AwsError InvalidParameterValue(std::string message) {
  return {400, "InvalidParameterValueException", std::move(message)};
}
api::AwsError InvalidRequestContent(std::string message) {
  return {400, "InvalidRequestContentException", std::move(message)};
}
api::AwsError PreconditionFailed(std::string message) {
  return {412, "PreconditionFailedException", std::move(message)};
}
api::AwsError RequestTooLarge(std::string message) {
  return {413, "RequestTooLargeException", std::move(message)};
}
api::AwsError RequestEntityTooLarge(std::string message) {
  return {413, "RequestEntityTooLargeException", std::move(message)};
}
api::AwsError ServiceError(std::string message) {
  return {500, "ServiceException", std::move(message)};
}
api::AwsError ValidationError(std::string_view value, std::string_view member,
                              std::string_view constraint) {
  std::string message = "1 validation error detected: Value '";
  message += value;
  message += "' at '";
  message += member;
  message += "' failed to satisfy constraint: ";
  message += constraint;
  return api::AwsError::Validation(std::move(message));
}
std::optional<api::AwsError> RangeError(int64_t value, int64_t min, int64_t max,
                                        std::string_view member) {
  if (value < min) {
    return ValidationError(
        std::to_string(value), member,
        "Member must have value greater than or equal to " + std::to_string(min));
  }
  if (value > max) {
    return ValidationError(std::to_string(value), member,
                           "Member must have value less than or equal to " + std::to_string(max));
  }
  return std::nullopt;
}

void EnvironmentsRunner::Attach(Environments* environments) {
  std::vector<Waiting> waiting;
  {
    std::lock_guard lock(mu_);
    if (detached_) return;
    environments_ = environments;
    waiting.swap(waiting_);
  }
  for (Waiting& w : waiting) {
    environments->Invoke(std::move(w.config), std::move(w.request), std::move(w.done));
  }
}

void EnvironmentsRunner::Detach() {
  std::vector<Waiting> waiting;
  {
    std::lock_guard lock(mu_);
    detached_ = true;
    environments_ = nullptr;
    waiting.swap(waiting_);
  }
  for (Waiting& w : waiting) {
    w.done(InvokeError{503, "ServiceException", "The Lambda service is stopping", ""});
  }
}

void EnvironmentsRunner::Run(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
                             InvokeDone done) {
  Environments* environments;
  {
    std::lock_guard lock(mu_);
    environments = environments_;
    if (environments == nullptr && !detached_) {
      waiting_.push_back({std::move(config), std::move(request), std::move(done)});
      return;
    }
  }
  if (environments == nullptr) {
    done(InvokeError{503, "ServiceException", "The Lambda service is stopping", ""});
    return;
  }
  // Environments outlive the runner's attachment: the server detaches before stopping them.
  environments->Invoke(std::move(config), std::move(request), std::move(done));
}

void EnvironmentsRunner::Retire(const std::string& function_arn, const std::string& version) {
  Environments* environments;
  {
    std::lock_guard lock(mu_);
    environments = environments_;
  }
  if (environments != nullptr) environments->Retire(function_arn, version);
}

LambdaService::LambdaService(FunctionStore* store, FunctionRunner* runner,
                             LambdaServiceOptions options)
    : store_(store),
      runner_(runner),
      options_(std::move(options)),
      async_(AsyncInvocationsOptions{options_.time_scale}) {}

std::string LambdaService::FunctionArn(std::string_view name, std::string_view qualifier) const {
  std::string arn = "arn:aws:lambda:" + options_.region + ":" + options_.account + ":function:";
  arn += name;
  if (!qualifier.empty()) {
    arn += ':';
    arn += qualifier;
  }
  return arn;
}

std::variant<FunctionRef, api::AwsError> LambdaService::ParseFunctionName(
    std::string_view text, std::string_view qualifier, bool allow_qualifier) const {
  auto bad_pattern = [&] { return ValidationError(text, "functionName", kFunctionNamePattern); };
  if (text.empty()) {
    return ValidationError(text, "functionName",
                           "Member must have length greater than or equal to 1");
  }
  if (text.size() > 256) {
    return ValidationError(text, "functionName",
                           "Member must have length less than or equal to 256");
  }
  FunctionRef ref;
  ref.region = options_.region;
  ref.account = options_.account;
  std::vector<std::string_view> parts = Split(text, ':');
  size_t name_index = 0;
  if (parts[0] == "arn") {
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    if (parts.size() < 7 || parts.size() > 8 || parts[1].rfind("aws", 0) != 0 ||
        parts[2] != "lambda" || parts[5] != "function" || parts[4].size() != 12 ||
        !IsDigits(parts[4]) || parts[3].empty()) {
      return bad_pattern();
    }
    ref.region = std::string(parts[3]);
    ref.account = std::string(parts[4]);
    name_index = 6;
  } else if (parts.size() >= 3 && parts[1] == "function") {
    // <account>:function:<name>[:<qualifier>]
    if (parts[0].size() != 12 || !IsDigits(parts[0]) || parts.size() > 4) return bad_pattern();
    ref.account = std::string(parts[0]);
    name_index = 2;
  } else if (parts.size() > 2) {
    return bad_pattern();
  }
  if (!IsName(parts[name_index])) return bad_pattern();
  ref.name = std::string(parts[name_index]);
  if (ref.name.size() > 64) {
    return ValidationError(text, "functionName",
                           "Member must have length less than or equal to 64");
  }
  if (name_index + 1 < parts.size()) {
    if (!IsQualifier(parts[name_index + 1])) return bad_pattern();
    ref.qualifier = std::string(parts[name_index + 1]);
  }
  if (!qualifier.empty()) {
    if (qualifier.size() > 128 || !IsQualifier(qualifier)) {
      return ValidationError(qualifier, "qualifier",
                             "Member must satisfy regular expression pattern: "
                             "(|[a-zA-Z0-9$_-]+)");
    }
    if (!ref.qualifier.empty() && ref.qualifier != qualifier) {
      return InvalidParameterValue(
          "The derived qualifier from the function name does not match the specified "
          "qualifier.");
    }
    ref.qualifier = std::string(qualifier);
  }
  if (!allow_qualifier && !ref.qualifier.empty()) {
    return InvalidParameterValue("Unsupported function name qualifier: " + ref.qualifier +
                                 ". Use the unqualified function name or ARN.");
  }
  if (ref.account != options_.account || ref.region != options_.region) {
    std::string arn = "arn:aws:lambda:" + ref.region + ":" + ref.account + ":function:" + ref.name +
                      (ref.qualifier.empty() ? "" : ":" + ref.qualifier);
    return ResourceNotFound("Function not found: " + arn);
  }
  return ref;
}

std::shared_ptr<const FunctionConfig> LambdaService::ConfigOf(const FunctionRecord& function,
                                                              const VersionRecord& version) const {
  auto config = std::make_shared<FunctionConfig>();
  config->name = function.name;
  config->arn = FunctionArn(function.name);
  config->version = version.version;
  config->runtime = version.runtime;
  config->handler = version.handler;
  config->code_dir = store_->CodeDir(version.code);
  config->code_sha256 = version.code.sha256;
  config->timeout_seconds = version.timeout;
  config->memory_mb = version.memory_size;
  config->environment = version.environment;
  config->reserved_concurrency = function.reserved_concurrency;
  config->region = options_.region;
  config->account = options_.account;
  config->revision = version.revision;
  return config;
}

std::variant<std::shared_ptr<const FunctionConfig>, api::AwsError> LambdaService::Resolve(
    const FunctionRef& ref) const {
  auto function = store_->Get(ref.name);
  std::string shown_qualifier = ref.qualifier.empty() ? "$LATEST" : ref.qualifier;
  auto not_found = [&] {
    return ResourceNotFound("Function not found: " + FunctionArn(ref.name, shown_qualifier));
  };
  if (!function.ok()) return not_found();
  std::string version = ref.qualifier.empty() ? "$LATEST" : ref.qualifier;
  if (!IsDigits(version) && version != "$LATEST") {
    auto alias = function->aliases.find(version);
    if (alias == function->aliases.end()) return not_found();
    version = alias->second.function_version;
    if (!alias->second.additional_version_weights.empty()) {
      double draw = RandomUnit();
      for (const auto& [other, weight] : alias->second.additional_version_weights) {
        if (draw < weight) {
          version = other;
          break;
        }
        draw -= weight;
      }
    }
  }
  if (version == "$LATEST") return ConfigOf(*function, function->latest);
  auto published = function->versions.find(std::atoi(version.c_str()));
  if (published == function->versions.end()) return not_found();
  return ConfigOf(*function, published->second);
}

void LambdaService::Invoke(InvokeRequest request, InvokeDone done) {
  std::string request_id = api::NewRequestId();
  auto fail = [&](api::AwsError error) {
    done(InvokeError{error.http_status, std::move(error.code), std::move(error.message),
                     request_id});
  };
  auto parsed = ParseFunctionName(request.function_name, request.qualifier);
  if (auto* error = std::get_if<api::AwsError>(&parsed)) return fail(std::move(*error));
  auto resolved = Resolve(std::get<FunctionRef>(parsed));
  if (auto* error = std::get_if<api::AwsError>(&resolved)) return fail(std::move(*error));
  std::shared_ptr<const FunctionConfig> config =
      std::move(std::get<std::shared_ptr<const FunctionConfig>>(resolved));
  switch (request.type) {
    case InvocationType::DryRun: {
      InvokeResponse response;
      response.status_code = 204;
      response.executed_version = config->version;
      response.request_id = request_id;
      done(std::move(response));
      return;
    }
    case InvocationType::Event: {
      InvokeResponse response;
      response.status_code = 202;
      response.request_id = request_id;
      done(std::move(response));
      SubmitEvent(std::get<FunctionRef>(parsed), std::move(config), std::move(request), request_id);
      return;
    }
    case InvocationType::RequestResponse:
      break;
  }
  runner_->Run(std::move(config), std::move(request),
               [done = std::move(done), request_id](InvokeOutcome outcome) mutable {
                 if (auto* response = std::get_if<InvokeResponse>(&outcome)) {
                   if (response->request_id.empty()) response->request_id = request_id;
                 } else if (auto* error = std::get_if<InvokeError>(&outcome)) {
                   if (error->request_id.empty()) error->request_id = request_id;
                 }
                 done(std::move(outcome));
               });
}

void LambdaService::SubmitEvent(const FunctionRef& ref,
                                std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
                                std::string request_id) {
  AsyncEvent event;
  event.request_id = std::move(request_id);
  event.function_arn = FunctionArn(config->name, config->version);
  event.payload = request.payload;
  std::string qualifier = ref.qualifier == "$LATEST" ? "" : ref.qualifier;
  if (auto function = store_->Get(ref.name); function.ok()) {
    auto found = function->event_invoke_configs.find(qualifier);
    if (found != function->event_invoke_configs.end()) event.config = found->second.config;
  }
  request.type = InvocationType::RequestResponse;
  request.log_tail = false;
  // Every attempt runs the version resolved when the event was accepted.
  event.run = [runner = runner_, config = std::move(config), request](InvokeDone done) {
    runner->Run(config, request, std::move(done));
  };
  event.deliver = [this](const std::string& destination, std::string record) {
    Deliver(destination, std::move(record));
  };
  async_.Submit(std::move(event));
}

void LambdaService::Deliver(const std::string& destination, std::string record) {
  if (destination.rfind("arn:", 0) == 0 && destination.find(":lambda:") != std::string::npos) {
    InvokeRequest request;
    request.function_name = destination;
    request.type = InvocationType::Event;
    request.payload = std::move(record);
    Invoke(std::move(request), [destination](InvokeOutcome outcome) {
      if (const auto* error = std::get_if<InvokeError>(&outcome)) {
        std::fprintf(stderr, "stepfn: could not deliver an invocation record to %s: %s: %s\n",
                     destination.c_str(), error->code.c_str(), error->message.c_str());
      }
    });
    return;
  }
  std::fprintf(stderr,
               "stepfn: invocation record for %s not delivered: only Lambda functions are served "
               "as destinations so far\n",
               destination.c_str());
}

}  // namespace stepfn::lambda
