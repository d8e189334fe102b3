// Event invoke configurations (Put/Update/Get/Delete/ListFunctionEventInvokeConfig[s]): how
// invocations of type Event are retried and where their records go (async_invocations.h).
#include "services/lambda/operations_event_config.h"

#include <utility>

#include "common/clock.h"
#include "services/lambda/operation_support.h"
#include "services/lambda/package.h"

namespace stepfn::lambda::ops {
namespace {

// LastModified, in epoch seconds as the API answers it, from the project's Clock.
double NowEpochSeconds() {
  SystemClock clock;
  return static_cast<double>(clock.NowMillis()) / 1000.0;
}

json::Value DestinationJson(const std::string& arn) {
  json::ObjectBuilder out;
  if (!arn.empty()) out.Append("Destination", json::Value::String(arn));
  return std::move(out).Build();
}

json::Value ConfigJson(const std::string& function_arn, const EventInvokeConfigRecord& record) {
  json::ObjectBuilder out;
  out.Append("LastModified", json::Value::Double(record.last_modified));
  out.Append("FunctionArn", json::Value::String(function_arn));
  out.Append("MaximumRetryAttempts", json::Value::Int(record.config.max_retry_attempts));
  out.Append("MaximumEventAgeInSeconds", json::Value::Int(record.config.max_event_age_seconds));
  json::ObjectBuilder destinations;
  destinations.Append("OnSuccess", DestinationJson(record.config.on_success));
  destinations.Append("OnFailure", DestinationJson(record.config.on_failure));
  out.Append("DestinationConfig", std::move(destinations).Build());
  return std::move(out).Build();
}

// A destination ARN: an SQS queue, SNS topic, Lambda function or EventBridge bus, as AWS accepts
// for asynchronous invocations ("" clears it).
std::optional<AwsError> CheckDestination(const std::string& arn) {
  if (arn.empty()) return std::nullopt;
  if (arn.size() > 350) {
    return ValidationError(arn, "destinationConfig.destination",
                           "Member must have length less than or equal to 350");
  }
  for (const char* service : {":sqs:", ":sns:", ":lambda:", ":events:"}) {
    if (arn.rfind("arn:aws", 0) == 0 && arn.find(service) != std::string::npos) {
      return std::nullopt;
    }
  }
  return InvalidParameterValue("The provided destination config DestinationConfig(" + arn +
                               ") is invalid: the destination must be an SQS queue, SNS topic, "
                               "Lambda function or EventBridge event bus ARN.");
}

// Reads the body's members into `record`; `replace` starts from the defaults (Put), else from
// the record as it is (Update).
std::optional<AwsError> ReadConfig(Body& body, bool replace, EventInvokeConfigRecord* record) {
  if (replace) record->config = EventInvokeConfig{};
  if (auto attempts = body.Int("MaximumRetryAttempts")) {
    if (auto error = RangeError(*attempts, 0, 2, "maximumRetryAttempts")) return error;
    record->config.max_retry_attempts = static_cast<int>(*attempts);
  }
  if (auto age = body.Int("MaximumEventAgeInSeconds")) {
    if (auto error = RangeError(*age, 60, 21'600, "maximumEventAgeInSeconds")) return error;
    record->config.max_event_age_seconds = static_cast<int>(*age);
  }
  if (const json::Value* destinations = body.Object("DestinationConfig")) {
    for (const auto& [member, target] : {std::pair{"OnSuccess", &record->config.on_success},
                                         std::pair{"OnFailure", &record->config.on_failure}}) {
      const json::Value* entry = destinations->find(member);
      if (entry == nullptr || entry->is_null()) {
        if (replace) target->clear();
        continue;
      }
      const json::Value* arn = entry->is_object() ? entry->find("Destination") : nullptr;
      std::string text = arn != nullptr && arn->is_string() ? arn->as_string() : "";
      if (auto error = CheckDestination(text)) return error;
      *target = text;
    }
  }
  if (body.error) return body.error;
  record->last_modified = NowEpochSeconds();
  return std::nullopt;
}

std::string QualifiedArn(LambdaService* service, const std::string& name,
                         const std::string& qualifier) {
  return service->FunctionArn(name, qualifier.empty() ? "$LATEST" : qualifier);
}

ApiOutcome WriteConfig(LambdaService* service, const ApiRequest& request, bool replace) {
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  auto target = QualifiedTarget(service, request);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  auto& [t, qualifier] = std::get<std::pair<Target, std::string>>(target);
  Body body{std::get<json::Value>(parsed)};
  std::optional<AwsError> refused;
  EventInvokeConfigRecord written;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    auto existing = f->event_invoke_configs.find(qualifier);
    if (!replace && existing == f->event_invoke_configs.end()) {
      return NotFound("no configuration");
    }
    EventInvokeConfigRecord record =
        existing == f->event_invoke_configs.end() ? EventInvokeConfigRecord{} : existing->second;
    refused = ReadConfig(body, replace, &record);
    if (refused) return InvalidArgument("refused");
    written = record;
    f->event_invoke_configs[qualifier] = std::move(record);
    return Status::Ok();
  });
  if (refused) return *refused;
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::NotFound) {
      return ResourceNotFound("The function " + QualifiedArn(service, t.ref.name, qualifier) +
                              " doesn't have an EventInvokeConfig");
    }
    return FromStatus(updated.status());
  }
  return JsonResponse(ConfigJson(QualifiedArn(service, t.ref.name, qualifier), written));
}

}  // namespace

ApiOutcome PutFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request) {
  return WriteConfig(service, request, true);
}

ApiOutcome UpdateFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request) {
  return WriteConfig(service, request, false);
}

ApiOutcome GetFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request) {
  auto target = QualifiedTarget(service, request);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  auto& [t, qualifier] = std::get<std::pair<Target, std::string>>(target);
  auto found = t.function.event_invoke_configs.find(qualifier);
  if (found == t.function.event_invoke_configs.end()) {
    return ResourceNotFound("The function " + QualifiedArn(service, t.ref.name, qualifier) +
                            " doesn't have an EventInvokeConfig");
  }
  return JsonResponse(ConfigJson(QualifiedArn(service, t.ref.name, qualifier), found->second));
}

ApiOutcome DeleteFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request) {
  auto target = QualifiedTarget(service, request);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  auto& [t, qualifier] = std::get<std::pair<Target, std::string>>(target);
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    if (f->event_invoke_configs.erase(qualifier) == 0) return NotFound("no configuration");
    return Status::Ok();
  });
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::NotFound) {
      return ResourceNotFound("The function " + QualifiedArn(service, t.ref.name, qualifier) +
                              " doesn't have an EventInvokeConfig");
    }
    return FromStatus(updated.status());
  }
  return EmptyResponse(204);
}

ApiOutcome ListFunctionEventInvokeConfigs(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  std::vector<std::string> keys;
  for (const auto& [qualifier, record] : t.function.event_invoke_configs) keys.push_back(qualifier);
  auto page = Page(request, keys.size(), keys, 50);
  if (auto* error = std::get_if<AwsError>(&page)) return *error;
  auto [first, last] = std::get<std::pair<size_t, size_t>>(page);
  std::vector<json::Value> configs;
  for (size_t i = first; i < last; ++i) {
    configs.push_back(ConfigJson(QualifiedArn(service, t.ref.name, keys[i]),
                                 t.function.event_invoke_configs.at(keys[i])));
  }
  json::ObjectBuilder out;
  out.Append("FunctionEventInvokeConfigs", json::Value::Array(std::move(configs)));
  if (last < keys.size()) {
    out.Append("NextMarker", json::Value::String(Base64Encode(keys[last])));
  }
  return JsonResponse(std::move(out).Build());
}

}  // namespace stepfn::lambda::ops
