// State machines, versions and aliases; ValidateStateMachineDefinition.
//
// Records live in the store (one row per state machine, version and alias). AWS's behaviour
// matched here (recorded answers in shared/conformance and AWS's own test snapshots):
// - CreateStateMachine is idempotent: the same name with the same definition (byte for byte),
//   role, type, logging and tracing returns the existing machine; anything else is
//   StateMachineAlreadyExists. Tags of a repeated create are ignored.
// - revisionId appears once a machine is updated: a new machine has none; each update that
//   changes something gives it a new one (a UUID).
// - Publishing is idempotent: when the latest version has the machine's current revision, that
//   version is returned instead of a new one. Version numbers are never reused.
// - loggingConfiguration defaults to {"level": "OFF", "includeExecutionData": false} and
//   tracingConfiguration to {"enabled": false}; both are returned as stored.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "asl/validate.h"
#include "json/parse.h"
#include "json/write.h"
#include "server/request.h"
#include "server/service.h"

namespace stepfn::server {
namespace {

using api::AwsError;
using api::AwsOr;
using json::Value;

#define RETURN_IF_AWS_ERROR(expr)       \
  do {                                  \
    auto _aws_error = (expr);           \
    if (_aws_error) return *_aws_error; \
  } while (0)

constexpr std::string_view kAliasNamePattern = "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$";

AwsError StateMachineAlreadyExists(std::string_view arn) {
  return {400, "StateMachineAlreadyExists",
          "State Machine Already Exists: '" + std::string(arn) + "'"};
}
AwsError AliasNotFound() {
  return {400, "ResourceNotFound", "Request references a resource that does not exist."};
}
AwsError Conflict(std::string message) { return {400, "ConflictException", std::move(message)}; }

std::string_view TypeName(store::StateMachineType type) {
  return type == store::StateMachineType::Express ? "EXPRESS" : "STANDARD";
}

// The optional part of a JSON object under construction.
void SetIf(json::ObjectBuilder* b, std::string key, const std::string& text) {
  if (!text.empty()) b->Append(std::move(key), Value::String(text));
}

// JSON text stored by us, back to a value (an empty object when it does not parse).
Value StoredJson(const std::string& text) {
  if (text.empty()) return Value();
  auto parsed = json::Parse(text);
  return parsed.ok() ? *parsed : Value::EmptyObject();
}

// --- Logging, tracing --------------------------------------------------------------------------

struct LoggingConfig {
  std::string level = "OFF";
  bool include_execution_data = false;
  std::vector<std::string> log_group_arns;

  // As AWS returns it (and as we store it).
  std::string ToJsonText() const {
    json::ObjectBuilder b;
    b.Append("level", Value::String(level));
    b.Append("includeExecutionData", Value::Bool(include_execution_data));
    if (!log_group_arns.empty()) {
      std::vector<Value> destinations;
      for (const std::string& arn : log_group_arns) {
        destinations.push_back(Value::Object(
            {{"cloudWatchLogsLogGroup", Value::Object({{"logGroupArn", Value::String(arn)}})}}));
      }
      b.Append("destinations", Value::Array(std::move(destinations)));
    }
    return json::Write(std::move(b).Build());
  }
};

std::string DefaultTracingText() { return R"({"enabled":false})"; }

// Reads loggingConfiguration (shape checks into `in`).
std::optional<LoggingConfig> ReadLogging(RequestReader& in) {
  const Value* logging = in.Struct("loggingConfiguration");
  if (logging == nullptr) return std::nullopt;
  RequestReader nested = in.Nested(*logging, "loggingConfiguration");
  LoggingConfig config;
  config.level = nested.Enum("level", {"ALL", "ERROR", "FATAL", "OFF"}).value_or("OFF");
  config.include_execution_data = nested.Bool("includeExecutionData").value_or(false);
  if (const Value* destinations = nested.List("destinations")) {
    for (size_t i = 0; i < destinations->size(); ++i) {
      const Value& item = *destinations->at(i);
      if (item.is_null()) continue;
      std::string path = "loggingConfiguration.destinations." + std::to_string(i + 1) + ".member";
      RequestReader destination = nested.Nested(item, path);
      if (!item.is_object()) continue;
      const Value* group = destination.Struct("cloudWatchLogsLogGroup");
      std::string arn;
      if (group != nullptr) {
        RequestReader group_reader = destination.Nested(*group, path + ".cloudWatchLogsLogGroup");
        arn = group_reader.String("logGroupArn", 1, kMaxArnLength).value_or("");
      }
      config.log_group_arns.push_back(arn);
    }
  }
  return config;
}

std::optional<AwsError> CheckLogging(const LoggingConfig& config) {
  if (config.log_group_arns.size() > 1 ||
      (config.level != "OFF" && config.log_group_arns.size() != 1)) {
    return AwsError{400, "InvalidLoggingConfiguration",
                    "Invalid Logging Configuration: Must specify exactly one Log Destination."};
  }
  for (const std::string& arn : config.log_group_arns) {
    // arn:aws:logs:<region>:<account>:log-group:<name>:*
    if (!arn.starts_with("arn:") || arn.find(":logs:") == std::string::npos ||
        arn.find(":log-group:") == std::string::npos) {
      return AwsError{400, "InvalidLoggingConfiguration",
                      "Invalid Logging Configuration: Log Destination not valid: '" + arn + "'"};
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadTracing(RequestReader& in) {
  const Value* tracing = in.Struct("tracingConfiguration");
  if (tracing == nullptr) return std::nullopt;
  RequestReader nested = in.Nested(*tracing, "tracingConfiguration");
  bool enabled = nested.Bool("enabled").value_or(false);
  return json::Write(Value::Object({{"enabled", Value::Bool(enabled)}}));
}

// encryptionConfiguration is accepted (shape-checked) and not stored: definitions are not
// encrypted at rest by us.
void ReadEncryption(RequestReader& in) {
  const Value* encryption = in.Struct("encryptionConfiguration");
  if (encryption == nullptr) return;
  RequestReader nested = in.Nested(*encryption, "encryptionConfiguration");
  nested.String("kmsKeyId", 1, 2048);
  nested.Int("kmsDataKeyReusePeriodSeconds", 60, 900);
  nested.Enum("type", {"AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"}, Presence::Required);
}

// An IAM role ARN: arn:<partition>:iam::<account>:role/<name>.
std::optional<AwsError> CheckRoleArn(const std::string& role_arn) {
  std::vector<std::string_view> parts;
  std::string_view rest = role_arn;
  while (parts.size() < 5) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) break;
    parts.push_back(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  bool ok = parts.size() == 5 && parts[0] == "arn" && !parts[1].empty() && parts[2] == "iam" &&
            rest.starts_with("role/") && rest.size() > 5;
  if (ok) return std::nullopt;
  return AwsError{400, "InvalidArn", "Invalid Role Arn: '" + role_arn + "'"};
}

std::optional<AwsError> CheckDefinition(const std::string& definition, store::StateMachineType t) {
  std::vector<asl::Diagnostic> diagnostics = asl::ValidateText(
      definition, t == store::StateMachineType::Express ? asl::MachineType::Express
                                                        : asl::MachineType::Standard);
  if (!asl::HasErrors(diagnostics)) return std::nullopt;
  return AwsError{400, "InvalidDefinition", asl::InvalidDefinitionMessage(diagnostics)};
}

std::optional<AwsError> CheckVersionDescription(const std::optional<std::string>& description,
                                                bool publish) {
  if (description && !publish) {
    return AwsError::Validation("Version description can only be set when publish is true");
  }
  return std::nullopt;
}

// --- Versions --------------------------------------------------------------------------------

// Publishes the machine's current content as a version, or returns the latest version when it
// already has the machine's current revision (AWS's idempotent publish).
AwsOr<store::StateMachineRecord> Publish(ServiceContext* ctx,
                                         const store::StateMachineRecord& machine,
                                         const std::string& description) {
  if (machine.last_version_number > 0) {
    auto latest =
        ctx->store->GetStateMachine(ctx->arns.Version(machine.arn, machine.last_version_number));
    if (latest.ok() && latest->revision_id == machine.revision_id) return *latest;
    if (!latest.ok() && latest.status().code() != StatusCode::NotFound) {
      return StoreFailure(latest.status());
    }
  }
  store::StateMachineRecord version = machine;
  version.arn.clear();
  version.parent_arn.clear();
  version.description = description;
  version.creation_date = ctx->clock->NowMillis();
  version.update_date = version.creation_date;
  auto published = ctx->store->PublishVersion(machine.arn, std::move(version));
  if (!published.ok()) {
    if (published.status().code() == StatusCode::NotFound) {
      return StateMachineDoesNotExist(machine.arn);
    }
    return StoreFailure(published.status());
  }
  return std::move(published).value();
}

// Every record of `filter`, across pages.
Result<std::vector<store::StateMachineRecord>> ListAll(store::Store* store,
                                                       const store::StateMachineFilter& filter) {
  std::vector<store::StateMachineRecord> all;
  store::PageRequest page{store::kMaxPageSize, ""};
  while (true) {
    ASSIGN_OR_RETURN(auto listed, store->ListStateMachines(filter, page));
    for (auto& r : listed.items) all.push_back(std::move(r));
    if (listed.next_token.empty()) return all;
    page.token = listed.next_token;
  }
}

// --- Aliases ---------------------------------------------------------------------------------

struct Route {
  std::string version_arn;
  int64_t weight = 0;
};

std::string RoutesToJsonText(const std::vector<Route>& routes) {
  std::vector<Value> items;
  for (const Route& r : routes) {
    items.push_back(Value::Object({{"stateMachineVersionArn", Value::String(r.version_arn)},
                                   {"weight", Value::Int(r.weight)}}));
  }
  return json::Write(Value::Array(std::move(items)));
}

std::vector<Route> RoutesFromJsonText(const std::string& text) {
  std::vector<Route> routes;
  Value v = StoredJson(text);
  if (!v.is_array()) return routes;
  for (const Value& item : v.items()) {
    Route r;
    if (const Value* arn = item.find("stateMachineVersionArn"); arn && arn->is_string()) {
      r.version_arn = arn->as_string();
    }
    if (const Value* weight = item.find("weight"); weight && weight->is_int()) {
      r.weight = weight->as_int();
    }
    routes.push_back(std::move(r));
  }
  return routes;
}

// Reads routingConfiguration (1 to 2 items), worded as AWS words its violations.
std::optional<std::vector<Route>> ReadRoutes(RequestReader& in, Presence presence) {
  const Value* list = in.List("routingConfiguration", 0, SIZE_MAX, presence);
  if (list == nullptr) return std::nullopt;
  std::vector<Route> routes;
  std::string rendered = "[";
  for (size_t i = 0; i < list->size(); ++i) {
    const Value& item = *list->at(i);
    if (item.is_null()) continue;
    RequestReader route =
        in.Nested(item, "routingConfiguration." + std::to_string(i + 1) + ".member");
    if (!item.is_object()) continue;
    Route r;
    r.version_arn =
        route.String("stateMachineVersionArn", 1, kMaxArnLength, Presence::Required).value_or("");
    r.weight = route.Int("weight", 0, 100, Presence::Required).value_or(0);
    if (i > 0) rendered += ", ";
    rendered += "RoutingConfigurationListItem(stateMachineVersionArn=" + r.version_arn +
                ", weight=" + std::to_string(r.weight) + ")";
    routes.push_back(std::move(r));
  }
  rendered += "]";
  // AWS renders the list as its Java objects.
  Value shown = Value::String(rendered);
  if (list->size() < 1) {
    in.AddViolation("routingConfiguration", &shown,
                    "Member must have length greater than or equal to 1");
  } else if (list->size() > 2) {
    in.AddViolation("routingConfiguration", &shown,
                    "Member must have length less than or equal to 2");
  }
  return routes;
}

std::string JoinBracketed(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out + "]";
}

// The meaning of a routing configuration: version ARNs of one state machine, distinct, weights
// summing to 100, every version existing. Sets *machine_arn to their state machine's ARN.
std::optional<AwsError> CheckRoutes(ServiceContext* ctx, const std::vector<Route>& routes,
                                    std::string* machine_arn) {
  std::vector<std::string> arns;
  std::vector<std::string> weights;
  for (const Route& r : routes) {
    arns.push_back(r.version_arn);
    weights.push_back(std::to_string(r.weight));
  }
  std::vector<Arn> parsed;
  for (const Route& r : routes) {
    if (!r.version_arn.starts_with("arn:")) {
      return InvalidArnError("Invalid ARN prefix: " + r.version_arn);
    }
    Result<Arn> arn = ParseArn(r.version_arn);
    if (!arn.ok() || arn->kind != ArnKind::StateMachineVersion) {
      return AwsError::Validation(
          "Routing configuration must contain state machine version ARNs. Received: " +
          JoinBracketed(arns));
    }
    parsed.push_back(*arn);
  }
  if (routes.size() == 2 && routes[0].version_arn == routes[1].version_arn) {
    return AwsError::Validation(
        "Routing configuration must contain distinct state machine version ARNs. Received: " +
        JoinBracketed(arns));
  }
  std::string parent = UnqualifiedStateMachineArn(parsed[0]);
  for (const Arn& a : parsed) {
    if (UnqualifiedStateMachineArn(a) != parent) {
      return AwsError::Validation(
          "Routing configuration must contain state machine version ARNs of the same state "
          "machine. Received: " +
          JoinBracketed(arns));
    }
  }
  int64_t sum = 0;
  for (const Route& r : routes) sum += r.weight;
  if (sum != 100) {
    return AwsError::Validation("Sum of routing configuration weights must equal 100. Received: " +
                                JoinBracketed(weights));
  }
  for (const Route& r : routes) {
    auto version = ctx->store->GetStateMachine(r.version_arn);
    if (!version.ok()) {
      if (version.status().code() == StatusCode::NotFound) {
        return AwsError{400, "ResourceNotFound", "Resource not found: '" + r.version_arn + "'"};
      }
      return StoreFailure(version.status());
    }
    if (version->kind != store::StateMachineKind::Version) {
      return AwsError{400, "ResourceNotFound", "Resource not found: '" + r.version_arn + "'"};
    }
  }
  *machine_arn = parent;
  return std::nullopt;
}

// --- Responses -------------------------------------------------------------------------------

Value DescribeResponse(const store::StateMachineRecord& r, const std::string& name) {
  json::ObjectBuilder b;
  b.Append("stateMachineArn", Value::String(r.arn));
  b.Append("name", Value::String(name));
  b.Append("status", Value::String("ACTIVE"));
  b.Append("definition", Value::String(r.definition));
  b.Append("roleArn", Value::String(r.role_arn));
  b.Append("type", Value::String(TypeName(r.type)));
  b.Append("creationDate", EpochSeconds(r.creation_date));
  b.Append("loggingConfiguration", r.logging_configuration.empty()
                                       ? StoredJson(LoggingConfig{}.ToJsonText())
                                       : StoredJson(r.logging_configuration));
  b.Append("tracingConfiguration", r.tracing_configuration.empty()
                                       ? StoredJson(DefaultTracingText())
                                       : StoredJson(r.tracing_configuration));
  SetIf(&b, "revisionId", r.revision_id);
  SetIf(&b, "description", r.description);
  return std::move(b).Build();
}

Value AliasResponse(const store::StateMachineRecord& r) {
  json::ObjectBuilder b;
  b.Append("stateMachineAliasArn", Value::String(r.arn));
  b.Append("name", Value::String(r.name));
  SetIf(&b, "description", r.description);
  b.Append("routingConfiguration", StoredJson(r.routing_configuration));
  b.Append("creationDate", EpochSeconds(r.creation_date));
  b.Append("updateDate", EpochSeconds(r.update_date));
  return std::move(b).Build();
}

// --- Operations ------------------------------------------------------------------------------

AwsOr<Value> CreateStateMachine(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto name = in.String("name", 1, kMaxNameLength, Presence::Required);
  auto definition =
      in.String("definition", 1, kMaxDefinitionLength, Presence::Required, Sensitivity::Sensitive);
  auto role_arn = in.String("roleArn", 1, kMaxArnLength, Presence::Required);
  auto type = in.Enum("type", {"STANDARD", "EXPRESS"});
  auto logging = ReadLogging(in);
  auto tags = in.Tags("tags");
  auto tracing = ReadTracing(in);
  bool publish = in.Bool("publish").value_or(false);
  auto version_description = in.String("versionDescription", 0, kMaxDescriptionLength,
                                       Presence::Optional, Sensitivity::Sensitive);
  ReadEncryption(in);
  RETURN_IF_AWS_ERROR(in.Finish());
  RETURN_IF_AWS_ERROR(CheckVersionDescription(version_description, publish));
  RETURN_IF_AWS_ERROR(CheckName(*name));
  RETURN_IF_AWS_ERROR(CheckRoleArn(*role_arn));
  LoggingConfig logging_config = logging.value_or(LoggingConfig{});
  RETURN_IF_AWS_ERROR(CheckLogging(logging_config));
  store::StateMachineType machine_type =
      type == "EXPRESS" ? store::StateMachineType::Express : store::StateMachineType::Standard;
  RETURN_IF_AWS_ERROR(CheckDefinition(*definition, machine_type));

  store::StateMachineRecord record;
  record.arn = ctx->arns.StateMachine(*name);
  if (tags && tags->size() > kMaxTagsPerResource) return TooManyTagsError(record.arn);
  record.kind = store::StateMachineKind::StateMachine;
  record.name = *name;
  record.definition = *definition;
  record.role_arn = *role_arn;
  record.type = machine_type;
  record.logging_configuration = logging_config.ToJsonText();
  record.tracing_configuration = tracing.value_or(DefaultTracingText());
  record.creation_date = ctx->clock->NowMillis();
  record.update_date = record.creation_date;

  Status created = ctx->store->CreateStateMachine(record);
  if (created.code() == StatusCode::AlreadyExists) {
    auto existing = ctx->store->GetStateMachine(record.arn);
    if (!existing.ok()) return StoreFailure(existing.status());
    if (existing->definition != record.definition || existing->role_arn != record.role_arn ||
        existing->type != record.type ||
        existing->logging_configuration != record.logging_configuration ||
        existing->tracing_configuration != record.tracing_configuration) {
      return StateMachineAlreadyExists(record.arn);
    }
    return Value::Object({{"stateMachineArn", Value::String(existing->arn)},
                          {"creationDate", EpochSeconds(existing->creation_date)}});
  }
  if (!created.ok()) return StoreFailure(created);

  if (tags && !tags->empty()) {
    std::map<std::string, std::string> tag_map;
    for (const Tag& t : *tags) tag_map[t.key] = t.value;
    Status tagged = ctx->store->TagResource(record.arn, tag_map);
    if (!tagged.ok()) return StoreFailure(tagged);
  }
  json::ObjectBuilder out;
  out.Append("stateMachineArn", Value::String(record.arn));
  out.Append("creationDate", EpochSeconds(record.creation_date));
  if (publish) {
    auto stored = ctx->store->GetStateMachine(record.arn);
    if (!stored.ok()) return StoreFailure(stored.status());
    auto version = Publish(ctx, *stored, version_description.value_or(""));
    if (auto* e = std::get_if<AwsError>(&version)) return *e;
    out.Append("stateMachineVersionArn",
               Value::String(std::get<store::StateMachineRecord>(version).arn));
  }
  return std::move(out).Build();
}

AwsOr<Value> DescribeStateMachine(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineArn", 1, kMaxArnLength, Presence::Required);
  in.Enum("includedData", {"ALL_DATA", "METADATA_ONLY"});
  RETURN_IF_AWS_ERROR(in.Finish());
  auto parsed = ParseArnAs(
      *arn_text, {ArnKind::StateMachine, ArnKind::StateMachineVersion, ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  const Arn& arn = std::get<Arn>(parsed);
  auto record = ctx->store->GetStateMachine(*arn_text);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::NotFound) return StateMachineDoesNotExist(*arn_text);
    return StoreFailure(record.status());
  }
  if (record->kind == store::StateMachineKind::Alias) {
    // An alias ARN describes the state machine it belongs to.
    auto machine = ctx->store->GetStateMachine(record->parent_arn);
    if (!machine.ok()) {
      if (machine.status().code() == StatusCode::NotFound) {
        return StateMachineDoesNotExist(*arn_text);
      }
      return StoreFailure(machine.status());
    }
    return DescribeResponse(*machine, machine->name);
  }
  return DescribeResponse(*record, arn.state_machine);
}

AwsOr<Value> UpdateStateMachine(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineArn", 1, kMaxArnLength, Presence::Required);
  auto definition =
      in.String("definition", 1, kMaxDefinitionLength, Presence::Optional, Sensitivity::Sensitive);
  auto role_arn = in.String("roleArn", 1, kMaxArnLength);
  auto logging = ReadLogging(in);
  auto tracing = ReadTracing(in);
  bool publish = in.Bool("publish").value_or(false);
  auto version_description = in.String("versionDescription", 0, kMaxDescriptionLength,
                                       Presence::Optional, Sensitivity::Sensitive);
  bool encryption = in.Struct("encryptionConfiguration") != nullptr;
  ReadEncryption(in);
  RETURN_IF_AWS_ERROR(in.Finish());
  RETURN_IF_AWS_ERROR(CheckVersionDescription(version_description, publish));
  auto parsed = ParseArnAs(
      *arn_text, {ArnKind::StateMachine, ArnKind::StateMachineVersion, ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  // A version or an alias cannot be updated: AWS answers as for a missing machine.
  if (std::get<Arn>(parsed).kind != ArnKind::StateMachine) {
    return StateMachineDoesNotExist(*arn_text);
  }
  if (!definition && !role_arn && !logging && !tracing && !encryption) {
    return AwsError{400, "MissingRequiredParameter",
                    "Either the definition, the role ARN, the LoggingConfiguration, the "
                    "EncryptionConfiguration or the TracingConfiguration must be specified"};
  }
  if (role_arn) RETURN_IF_AWS_ERROR(CheckRoleArn(*role_arn));
  if (logging) RETURN_IF_AWS_ERROR(CheckLogging(*logging));

  auto current = ctx->store->GetStateMachine(*arn_text);
  if (!current.ok()) {
    if (current.status().code() == StatusCode::NotFound) return StateMachineDoesNotExist(*arn_text);
    return StoreFailure(current.status());
  }
  if (current->kind != store::StateMachineKind::StateMachine) {
    return StateMachineDoesNotExist(*arn_text);
  }
  if (definition) RETURN_IF_AWS_ERROR(CheckDefinition(*definition, current->type));

  store::StateMachineRecord updated = *current;
  if (definition) updated.definition = *definition;
  if (role_arn) updated.role_arn = *role_arn;
  if (logging) updated.logging_configuration = logging->ToJsonText();
  if (tracing) updated.tracing_configuration = *tracing;
  bool changed = updated.definition != current->definition ||
                 updated.role_arn != current->role_arn ||
                 updated.logging_configuration != current->logging_configuration ||
                 updated.tracing_configuration != current->tracing_configuration;
  EpochMillis now = ctx->clock->NowMillis();
  if (changed) {
    updated.revision_id = NewRevisionId();
    updated.update_date = now;
    Status stored = ctx->store->UpdateStateMachine(updated, current->revision_id);
    if (stored.code() == StatusCode::FailedPrecondition) {
      return Conflict("The state machine was updated concurrently; retry the update.");
    }
    if (stored.code() == StatusCode::NotFound) return StateMachineDoesNotExist(*arn_text);
    if (!stored.ok()) return StoreFailure(stored);
  }
  json::ObjectBuilder out;
  out.Append("updateDate", EpochSeconds(changed ? now : current->update_date));
  SetIf(&out, "revisionId", updated.revision_id);
  if (publish) {
    auto latest = ctx->store->GetStateMachine(updated.arn);  // last_version_number as stored
    if (!latest.ok()) return StoreFailure(latest.status());
    auto version = Publish(ctx, *latest, version_description.value_or(""));
    if (auto* e = std::get_if<AwsError>(&version)) return *e;
    out.Append("stateMachineVersionArn",
               Value::String(std::get<store::StateMachineRecord>(version).arn));
  }
  return std::move(out).Build();
}

AwsOr<Value> DeleteStateMachine(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineArn", 1, kMaxArnLength, Presence::Required);
  RETURN_IF_AWS_ERROR(in.Finish());
  auto parsed = ParseArnAs(
      *arn_text, {ArnKind::StateMachine, ArnKind::StateMachineVersion, ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  if (std::get<Arn>(parsed).kind != ArnKind::StateMachine) {
    return AwsError::Validation(
        "Deleting a state machine version or alias is not supported by DeleteStateMachine: use "
        "DeleteStateMachineVersion or DeleteStateMachineAlias");
  }
  Status deleted = ctx->store->DeleteStateMachine(*arn_text);
  if (!deleted.ok() && deleted.code() != StatusCode::NotFound) return StoreFailure(deleted);
  return Value::EmptyObject();
}

AwsOr<Value> ListStateMachines(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto max_results = in.MaxResults();
  auto next_token = in.NextToken();
  RETURN_IF_AWS_ERROR(in.Finish());
  constexpr std::string_view kScope = "ListStateMachines";
  auto token = UnwrapPageToken(kScope, next_token);
  if (auto* e = std::get_if<AwsError>(&token)) return *e;
  auto page = ctx->store->ListStateMachines({store::StateMachineKind::StateMachine, ""},
                                            {PageSize(max_results), std::get<std::string>(token)});
  if (!page.ok()) {
    if (page.status().code() == StatusCode::InvalidArgument) {
      return InvalidTokenError("Invalid token");
    }
    return StoreFailure(page.status());
  }
  std::vector<Value> items;
  for (const auto& r : page->items) {
    items.push_back(Value::Object({{"stateMachineArn", Value::String(r.arn)},
                                   {"name", Value::String(r.name)},
                                   {"type", Value::String(TypeName(r.type))},
                                   {"creationDate", EpochSeconds(r.creation_date)}}));
  }
  json::ObjectBuilder out;
  out.Append("stateMachines", Value::Array(std::move(items)));
  if (!page->next_token.empty()) {
    out.Append("nextToken", Value::String(WrapPageToken(kScope, page->next_token)));
  }
  return std::move(out).Build();
}

AwsOr<Value> PublishStateMachineVersion(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineArn", 1, kMaxArnLength, Presence::Required);
  auto revision_id = in.String("revisionId", 0, SIZE_MAX);
  auto description = in.String("description", 0, kMaxDescriptionLength, Presence::Optional,
                               Sensitivity::Sensitive);
  RETURN_IF_AWS_ERROR(in.Finish());
  auto parsed = ParseArnAs(
      *arn_text, {ArnKind::StateMachine, ArnKind::StateMachineVersion, ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  if (std::get<Arn>(parsed).kind != ArnKind::StateMachine) {
    return StateMachineDoesNotExist(*arn_text);
  }
  auto machine = ctx->store->GetStateMachine(*arn_text);
  if (!machine.ok()) {
    if (machine.status().code() == StatusCode::NotFound) return StateMachineDoesNotExist(*arn_text);
    return StoreFailure(machine.status());
  }
  if (revision_id && *revision_id != machine->revision_id) {
    return Conflict("Failed to publish the State Machine version for revision " + *revision_id +
                    ". The current State Machine revision is " + machine->revision_id + ".");
  }
  auto version = Publish(ctx, *machine, description.value_or(""));
  if (auto* e = std::get_if<AwsError>(&version)) return *e;
  const auto& v = std::get<store::StateMachineRecord>(version);
  return Value::Object({{"creationDate", EpochSeconds(v.creation_date)},
                        {"stateMachineVersionArn", Value::String(v.arn)}});
}

// ListStateMachineVersions and ListStateMachineAliases.
AwsOr<Value> ListChildren(ServiceContext* ctx, const api::OperationRequest& request,
                          store::StateMachineKind kind) {
  const bool versions = kind == store::StateMachineKind::Version;
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineArn", 1, kMaxArnLength, Presence::Required);
  auto max_results = in.MaxResults();
  auto next_token = in.NextToken();
  RETURN_IF_AWS_ERROR(in.Finish());
  auto parsed = ParseArnAs(
      *arn_text, {ArnKind::StateMachine, ArnKind::StateMachineVersion, ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  if (std::get<Arn>(parsed).kind != ArnKind::StateMachine) {
    return InvalidArnError("Qualified state machine ARNs are not supported: " + *arn_text);
  }
  std::string scope =
      std::string(versions ? "ListStateMachineVersions|" : "ListStateMachineAliases|") + *arn_text;
  auto token = UnwrapPageToken(scope, next_token);
  if (auto* e = std::get_if<AwsError>(&token)) return *e;
  if (!versions) {
    auto machine = ctx->store->GetStateMachine(*arn_text);
    if (!machine.ok()) {
      if (machine.status().code() == StatusCode::NotFound) {
        return StateMachineDoesNotExist(*arn_text);
      }
      return StoreFailure(machine.status());
    }
  }
  auto page = ctx->store->ListStateMachines({kind, *arn_text},
                                            {PageSize(max_results), std::get<std::string>(token)});
  if (!page.ok()) {
    if (page.status().code() == StatusCode::InvalidArgument) {
      return InvalidTokenError("Invalid token");
    }
    return StoreFailure(page.status());
  }
  std::vector<Value> items;
  for (const auto& r : page->items) {
    items.push_back(Value::Object(
        {{versions ? "stateMachineVersionArn" : "stateMachineAliasArn", Value::String(r.arn)},
         {"creationDate", EpochSeconds(r.creation_date)}}));
  }
  json::ObjectBuilder out;
  out.Append(versions ? "stateMachineVersions" : "stateMachineAliases",
             Value::Array(std::move(items)));
  if (!page->next_token.empty()) {
    out.Append("nextToken", Value::String(WrapPageToken(scope, page->next_token)));
  }
  return std::move(out).Build();
}

AwsOr<Value> DeleteStateMachineVersion(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineVersionArn", 1, kMaxLongArnLength, Presence::Required);
  RETURN_IF_AWS_ERROR(in.Finish());
  auto parsed = ParseArnAs(*arn_text, {ArnKind::StateMachineVersion});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  std::string machine_arn = UnqualifiedStateMachineArn(std::get<Arn>(parsed));
  auto aliases = ListAll(ctx->store, {store::StateMachineKind::Alias, machine_arn});
  if (!aliases.ok()) return StoreFailure(aliases.status());
  std::vector<std::string> referencing;
  for (const auto& alias : *aliases) {
    for (const Route& r : RoutesFromJsonText(alias.routing_configuration)) {
      if (r.version_arn == *arn_text) referencing.push_back(alias.name);
    }
  }
  if (!referencing.empty()) {
    return Conflict(
        "Version to be deleted must not be referenced by an alias. Current list of aliases "
        "referencing this version: " +
        JoinBracketed(referencing));
  }
  Status deleted = ctx->store->DeleteStateMachine(*arn_text);
  if (!deleted.ok() && deleted.code() != StatusCode::NotFound) return StoreFailure(deleted);
  return Value::EmptyObject();
}

AwsOr<Value> CreateStateMachineAlias(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto description = in.String("description", 0, kMaxDescriptionLength, Presence::Optional,
                               Sensitivity::Sensitive);
  auto name = in.String("name", 1, kMaxNameLength, Presence::Required);
  if (name && Utf16Length(*name) >= 1 && Utf16Length(*name) <= kMaxNameLength) {
    bool has_letter = false;
    bool allowed = true;
    for (char c : *name) {
      bool letter =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.';
      has_letter = has_letter || letter;
      allowed = allowed && (letter || (c >= '0' && c <= '9'));
    }
    if (!has_letter || !allowed) {
      Value shown = Value::String(*name);
      in.AddViolation(
          "name", &shown,
          "Member must satisfy regular expression pattern: " + std::string(kAliasNamePattern));
    }
  }
  auto routes = ReadRoutes(in, Presence::Required);
  RETURN_IF_AWS_ERROR(in.Finish());
  std::string machine_arn;
  RETURN_IF_AWS_ERROR(CheckRoutes(ctx, *routes, &machine_arn));

  store::StateMachineRecord alias;
  alias.arn = ctx->arns.Alias(machine_arn, *name);
  alias.kind = store::StateMachineKind::Alias;
  alias.parent_arn = machine_arn;
  alias.name = *name;
  alias.description = description.value_or("");
  alias.routing_configuration = RoutesToJsonText(*routes);
  alias.creation_date = ctx->clock->NowMillis();
  alias.update_date = alias.creation_date;
  Status created = ctx->store->CreateStateMachine(alias);
  if (created.code() == StatusCode::AlreadyExists) {
    auto existing = ctx->store->GetStateMachine(alias.arn);
    if (!existing.ok()) return StoreFailure(existing.status());
    if (existing->routing_configuration != alias.routing_configuration ||
        existing->description != alias.description) {
      return Conflict(
          "Failed to create alias because an alias with the same name and a different routing "
          "configuration already exists.");
    }
    return Value::Object({{"stateMachineAliasArn", Value::String(existing->arn)},
                          {"creationDate", EpochSeconds(existing->creation_date)}});
  }
  if (!created.ok()) return StoreFailure(created);
  return Value::Object({{"stateMachineAliasArn", Value::String(alias.arn)},
                        {"creationDate", EpochSeconds(alias.creation_date)}});
}

// The alias named by stateMachineAliasArn (`in` has been read and finished).
AwsOr<store::StateMachineRecord> GetAlias(ServiceContext* ctx, const std::string& arn_text) {
  auto parsed = ParseArnAs(arn_text, {ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  auto alias = ctx->store->GetStateMachine(arn_text);
  if (!alias.ok()) {
    if (alias.status().code() == StatusCode::NotFound) return AliasNotFound();
    return StoreFailure(alias.status());
  }
  if (alias->kind != store::StateMachineKind::Alias) return AliasNotFound();
  return std::move(alias).value();
}

AwsOr<Value> DescribeStateMachineAlias(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineAliasArn", 1, kMaxArnLength, Presence::Required);
  RETURN_IF_AWS_ERROR(in.Finish());
  auto alias = GetAlias(ctx, *arn_text);
  if (auto* e = std::get_if<AwsError>(&alias)) return *e;
  return AliasResponse(std::get<store::StateMachineRecord>(alias));
}

AwsOr<Value> UpdateStateMachineAlias(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineAliasArn", 1, kMaxArnLength, Presence::Required);
  auto description = in.String("description", 0, kMaxDescriptionLength, Presence::Optional,
                               Sensitivity::Sensitive);
  auto routes = ReadRoutes(in, Presence::Optional);
  RETURN_IF_AWS_ERROR(in.Finish());
  if (!description && !routes) {
    return AwsError::Validation(
        "Either the description or the routing configuration must be specified");
  }
  auto found = GetAlias(ctx, *arn_text);
  if (auto* e = std::get_if<AwsError>(&found)) return *e;
  store::StateMachineRecord alias = std::get<store::StateMachineRecord>(found);
  if (routes) {
    std::string machine_arn;
    RETURN_IF_AWS_ERROR(CheckRoutes(ctx, *routes, &machine_arn));
    if (machine_arn != alias.parent_arn) {
      return AwsError::Validation(
          "Routing configuration must contain state machine version ARNs of the alias's state "
          "machine. Received: " +
          JoinBracketed({(*routes)[0].version_arn}));
    }
    alias.routing_configuration = RoutesToJsonText(*routes);
  }
  if (description) alias.description = *description;
  alias.update_date = ctx->clock->NowMillis();
  Status updated = ctx->store->UpdateStateMachine(alias, std::nullopt);
  if (updated.code() == StatusCode::NotFound) return AliasNotFound();
  if (!updated.ok()) return StoreFailure(updated);
  return Value::Object({{"updateDate", EpochSeconds(alias.update_date)}});
}

AwsOr<Value> DeleteStateMachineAlias(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn_text = in.String("stateMachineAliasArn", 1, kMaxArnLength, Presence::Required);
  RETURN_IF_AWS_ERROR(in.Finish());
  auto parsed = ParseArnAs(*arn_text, {ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  auto alias = ctx->store->GetStateMachine(*arn_text);
  if (!alias.ok()) {
    if (alias.status().code() == StatusCode::NotFound) return Value::EmptyObject();
    return StoreFailure(alias.status());
  }
  if (alias->kind != store::StateMachineKind::Alias) return Value::EmptyObject();
  Status deleted = ctx->store->DeleteStateMachine(*arn_text);
  if (!deleted.ok() && deleted.code() != StatusCode::NotFound) return StoreFailure(deleted);
  return Value::EmptyObject();
}

AwsOr<Value> ValidateStateMachineDefinition(ServiceContext* /*ctx*/,
                                            const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto definition =
      in.String("definition", 1, kMaxDefinitionLength, Presence::Required, Sensitivity::Sensitive);
  auto type = in.Enum("type", {"STANDARD", "EXPRESS"});
  auto severity = in.Enum("severity", {"ERROR", "WARNING"});
  auto max_results = in.Int("maxResults", 0, 100);
  RETURN_IF_AWS_ERROR(in.Finish());
  std::vector<asl::Diagnostic> diagnostics = asl::ValidateText(
      *definition, type == "EXPRESS" ? asl::MachineType::Express : asl::MachineType::Standard);
  const bool failed = asl::HasErrors(diagnostics);
  const bool with_warnings = severity == "WARNING";
  const size_t limit =
      max_results && *max_results > 0 ? static_cast<size_t>(*max_results) : size_t{100};
  std::vector<Value> items;
  bool truncated = false;
  for (const asl::Diagnostic& d : diagnostics) {
    if (d.severity != asl::kSeverityError && !with_warnings) continue;
    if (items.size() == limit) {
      truncated = true;
      break;
    }
    json::ObjectBuilder b;
    b.Append("severity", Value::String(d.severity));
    b.Append("code", Value::String(d.code));
    b.Append("message", Value::String(d.message));
    SetIf(&b, "location", d.location);
    items.push_back(std::move(b).Build());
  }
  return Value::Object({{"result", Value::String(failed ? "FAIL" : "OK")},
                        {"diagnostics", Value::Array(std::move(items))},
                        {"truncated", Value::Bool(truncated)}});
}

}  // namespace

void RegisterStateMachineOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterSyncOperations(ctx, protocol,
                         {
                             {"CreateStateMachine", CreateStateMachine},
                             {"DescribeStateMachine", DescribeStateMachine},
                             {"UpdateStateMachine", UpdateStateMachine},
                             {"DeleteStateMachine", DeleteStateMachine},
                             {"ListStateMachines", ListStateMachines},
                             {"PublishStateMachineVersion", PublishStateMachineVersion},
                             {"DeleteStateMachineVersion", DeleteStateMachineVersion},
                             {"CreateStateMachineAlias", CreateStateMachineAlias},
                             {"DescribeStateMachineAlias", DescribeStateMachineAlias},
                             {"UpdateStateMachineAlias", UpdateStateMachineAlias},
                             {"DeleteStateMachineAlias", DeleteStateMachineAlias},
                             {"ValidateStateMachineDefinition", ValidateStateMachineDefinition},
                         });
  protocol->RegisterSync("ListStateMachineVersions", [ctx](const api::OperationRequest& request) {
    return ListChildren(ctx, request, store::StateMachineKind::Version);
  });
  protocol->RegisterSync("ListStateMachineAliases", [ctx](const api::OperationRequest& request) {
    return ListChildren(ctx, request, store::StateMachineKind::Alias);
  });
}

}  // namespace stepfn::server
