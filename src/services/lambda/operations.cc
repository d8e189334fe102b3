#include "services/lambda/operations.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <optional>

#include "json/parse.h"
#include "json/write.h"
#include "services/lambda/operation_support.h"
#include "services/lambda/operations_event_config.h"
#include "services/lambda/operations_policy.h"
#include "services/lambda/package.h"

namespace stepfn::lambda {
namespace {

using api::AwsError;
using namespace ops;  // NOLINT: the operations' shared helpers

constexpr const char* kRuntimes[] = {
    "nodejs",     "nodejs4.3",       "nodejs6.10",     "nodejs8.10",    "nodejs10.x",
    "nodejs12.x", "nodejs14.x",      "nodejs16.x",     "java8",         "java8.al2",
    "java11",     "python2.7",       "python3.6",      "python3.7",     "python3.8",
    "python3.9",  "dotnetcore1.0",   "dotnetcore2.0",  "dotnetcore2.1", "dotnetcore3.1",
    "dotnet6",    "dotnet8",         "nodejs4.3-edge", "go1.x",         "ruby2.5",
    "ruby2.7",    "provided",        "provided.al2",   "nodejs18.x",    "python3.10",
    "java17",     "ruby3.2",         "ruby3.3",        "ruby3.4",       "python3.11",
    "nodejs20.x", "provided.al2023", "python3.12",     "java21",        "python3.13",
    "nodejs22.x", "nodejs24.x",      "python3.14",     "java25",        "dotnet10",
    "ruby4.0"};

// ---- Reading requests ------------------------------------------------------------------------

std::optional<AwsError> CheckRuntime(const std::string& runtime) {
  for (const char* known : kRuntimes) {
    if (runtime == known) return std::nullopt;
  }
  std::string set;
  for (const char* known : kRuntimes) {
    if (!set.empty()) set += ", ";
    set += known;
  }
  return InvalidParameterValue("Value " + runtime +
                               " at 'runtime' failed to satisfy constraint: Member must satisfy "
                               "enum value set: [" +
                               set + "] or be a valid ARN");
}

bool MatchesRole(const std::string& role) {
  // arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
  if (role.rfind("arn:", 0) != 0) return false;
  size_t pos = 4;
  size_t colon = role.find(':', pos);
  if (colon == std::string::npos) return false;
  std::string_view partition(role.data() + pos, colon - pos);
  if (!partition.empty() && partition.rfind("aws", 0) != 0) return false;
  pos = colon + 1;
  if (role.compare(pos, 5, "iam::") != 0) return false;
  pos += 5;
  for (int i = 0; i < 12; ++i, ++pos) {
    if (pos >= role.size() || !std::isdigit(static_cast<unsigned char>(role[pos]))) return false;
  }
  if (role.compare(pos, 6, ":role/") == 0) {
    pos += 6;
  } else if (role.compare(pos, 5, ":role") == 0) {
    pos += 5;
  } else {
    return false;
  }
  if (pos >= role.size()) return false;
  for (; pos < role.size(); ++pos) {
    char c = role[pos];
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("_+=,.@-/").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

constexpr std::string_view kRolePattern =
    "Member must satisfy regular expression pattern: "
    "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";

// The configuration members CreateFunction and UpdateFunctionConfiguration share, applied to
// `version`. `create` says whether absent members take defaults (they are left as they are on
// update).
std::optional<AwsError> ApplyConfiguration(Body& body, VersionRecord* version) {
  if (auto role = body.String("Role")) {
    if (!MatchesRole(*role)) return ValidationError(*role, "role", kRolePattern);
    version->role = *role;
  }
  if (auto runtime = body.String("Runtime")) {
    if (auto error = CheckRuntime(*runtime)) return error;
    version->runtime = *runtime;
  }
  if (auto handler = body.String("Handler")) {
    if (handler->size() > 128) {
      return ValidationError(*handler, "handler",
                             "Member must have length less than or equal to 128");
    }
    if (!handler->empty() && std::any_of(handler->begin(), handler->end(), [](char c) {
          return std::isspace(static_cast<unsigned char>(c));
        })) {
      return ValidationError(*handler, "handler",
                             "Member must satisfy regular expression pattern: [^\\s]+");
    }
    version->handler = *handler;
  }
  if (auto description = body.String("Description")) {
    if (description->size() > 256) {
      return ValidationError(*description, "description",
                             "Member must have length less than or equal to 256");
    }
    version->description = *description;
  }
  if (auto timeout = body.Int("Timeout")) {
    if (auto error = RangeError(*timeout, 1, 900, "timeout")) return *error;
    version->timeout = static_cast<int>(*timeout);
  }
  if (auto memory = body.Int("MemorySize")) {
    if (auto error = RangeError(*memory, 128, 10240, "memorySize")) return *error;
    version->memory_size = static_cast<int>(*memory);
  }
  if (const json::Value* environment = body.Object("Environment")) {
    std::map<std::string, std::string> variables;
    if (const json::Value* vars = environment->find("Variables"); vars && vars->is_object()) {
      size_t total = 0;
      for (const auto& [key, value] : vars->members()) {
        if (!value.is_string()) return AwsError::Serialization("Environment variables are strings");
        bool valid_key = !key.empty() && std::isalpha(static_cast<unsigned char>(key[0]));
        for (char c : key) {
          if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') valid_key = false;
        }
        if (!valid_key) {
          return ValidationError("[" + key + "]", "environment.variables",
                                 "Member must satisfy constraint: [Member must satisfy regular "
                                 "expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
        }
        total += key.size() + value.as_string().size();
        variables[key] = value.as_string();
      }
      if (total > 4096) {
        return InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. String measured: " +
            std::to_string(total));
      }
    }
    version->environment = std::move(variables);
  }
  if (const json::Value* tracing = body.Object("TracingConfig")) {
    if (const json::Value* mode = tracing->find("Mode"); mode && mode->is_string()) {
      if (mode->as_string() != "Active" && mode->as_string() != "PassThrough") {
        return ValidationError(mode->as_string(), "tracingConfig.mode",
                               "Member must satisfy enum value set: [Active, PassThrough]");
      }
      version->tracing_mode = mode->as_string();
    }
  }
  if (const json::Value* storage = body.Object("EphemeralStorage")) {
    if (const json::Value* size = storage->find("Size"); size && size->is_int()) {
      if (auto error = RangeError(size->as_int(), 512, 10240, "ephemeralStorage.size")) {
        return *error;
      }
      version->ephemeral_storage = static_cast<int>(size->as_int());
    }
  }
  if (const json::Value* logging = body.Object("LoggingConfig")) {
    if (const json::Value* format = logging->find("LogFormat"); format && format->is_string()) {
      if (format->as_string() != "JSON" && format->as_string() != "Text") {
        return ValidationError(format->as_string(), "loggingConfig.logFormat",
                               "Member must satisfy enum value set: [JSON, Text]");
      }
      version->log_format = format->as_string();
    }
    if (const json::Value* group = logging->find("LogGroup"); group && group->is_string()) {
      version->log_group = group->as_string();
    }
  }
  if (const json::Value* layers = body.Member("Layers", json::Type::Array, "a list");
      layers != nullptr && layers->size() > 0) {
    return InvalidParameterValue("stepfn does not run Lambda layers yet");
  }
  return body.error;
}

// The code of a request: ZipFile (base64 in the JSON body), or S3Bucket/S3Key with the
// "stepfn-local" bucket naming a local folder. Pinned in the store (see FunctionStore::AddZip).
std::variant<CodeRef, AwsError> ReadCode(LambdaService* service, const json::Value& code) {
  const json::Value* zip = code.find("ZipFile");
  const json::Value* bucket = code.find("S3Bucket");
  const json::Value* key = code.find("S3Key");
  const json::Value* image = code.find("ImageUri");
  if (image != nullptr && !image->is_null()) {
    return InvalidParameterValue(
        "stepfn runs functions from zip packages or local folders, not container images "
        "(PackageType Image)");
  }
  if (zip != nullptr && !zip->is_null()) {
    if (bucket != nullptr && !bucket->is_null()) {
      return InvalidParameterValue(
          "Please do not provide other FunctionCode parameters when providing a ZipFile.");
    }
    if (!zip->is_string()) return AwsError::Serialization("ZipFile must be base64 text");
    std::string bytes;
    if (!Base64Decode(zip->as_string(), &bytes)) {
      return InvalidParameterValue(std::string(kCouldNotUnzip));
    }
    auto added = service->store()->AddZip(bytes);
    if (!added.ok()) {
      if (added.status().code() == StatusCode::InvalidArgument ||
          added.status().code() == StatusCode::OutOfRange) {
        return InvalidParameterValue(added.status().message());
      }
      return ServiceError(added.status().message());
    }
    return std::move(added).value();
  }
  if (bucket != nullptr && bucket->is_string()) {
    if (key == nullptr || !key->is_string() || key->as_string().empty()) {
      return InvalidParameterValue("Please provide a source for function code.");
    }
    if (bucket->as_string() != kLocalCodeBucket) {
      return InvalidParameterValue(
          "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The "
          "specified bucket does not exist (stepfn reads code from the bucket '" +
          std::string(kLocalCodeBucket) + "' only: S3Key is then a local folder)");
    }
    auto added = service->store()->AddFolder(key->as_string());
    if (!added.ok()) return InvalidParameterValue(added.status().message());
    return std::move(added).value();
  }
  return InvalidParameterValue("Please provide a source for function code.");
}

// Unpins code once the request that added it is done with it.
struct CodePin {
  FunctionStore* store;
  CodeRef code;
  ~CodePin() { store->Unpin(code); }
};

// ---- Writing responses -----------------------------------------------------------------------

// FunctionConfiguration. `arn_qualifier` is appended to FunctionArn ("" for an unqualified
// request of $LATEST).
json::Value ConfigurationJson(const LambdaService* service, const FunctionRecord& function,
                              const VersionRecord& version, std::string_view arn_qualifier) {
  json::ObjectBuilder out;
  out.Append("FunctionName", json::Value::String(function.name));
  out.Append("FunctionArn",
             json::Value::String(service->FunctionArn(function.name, arn_qualifier)));
  out.Append("Runtime", json::Value::String(version.runtime));
  out.Append("Role", json::Value::String(version.role));
  out.Append("Handler", json::Value::String(version.handler));
  out.Append("CodeSize", json::Value::Int(version.code.size));
  out.Append("Description", json::Value::String(version.description));
  out.Append("Timeout", json::Value::Int(version.timeout));
  out.Append("MemorySize", json::Value::Int(version.memory_size));
  out.Append("LastModified", json::Value::String(version.last_modified));
  out.Append("CodeSha256", json::Value::String(version.code.sha256));
  out.Append("Version", json::Value::String(version.version));
  if (!version.environment.empty()) {
    json::ObjectBuilder environment;
    environment.Append("Variables", StringMapJson(version.environment));
    out.Append("Environment", std::move(environment).Build());
  }
  json::ObjectBuilder tracing;
  tracing.Append("Mode", json::Value::String(version.tracing_mode));
  out.Append("TracingConfig", std::move(tracing).Build());
  out.Append("RevisionId", json::Value::String(version.revision_id));
  out.Append("State", json::Value::String("Active"));
  out.Append("LastUpdateStatus", json::Value::String("Successful"));
  out.Append("PackageType", json::Value::String("Zip"));
  out.Append("Architectures", json::Value::Array({json::Value::String(version.architecture)}));
  json::ObjectBuilder storage;
  storage.Append("Size", json::Value::Int(version.ephemeral_storage));
  out.Append("EphemeralStorage", std::move(storage).Build());
  json::ObjectBuilder snap;
  snap.Append("ApplyOn", json::Value::String("None"));
  snap.Append("OptimizationStatus", json::Value::String("Off"));
  out.Append("SnapStart", std::move(snap).Build());
  json::ObjectBuilder logging;
  logging.Append("LogFormat", json::Value::String(version.log_format));
  logging.Append("LogGroup",
                 json::Value::String(version.log_group.empty() ? "/aws/lambda/" + function.name
                                                               : version.log_group));
  out.Append("LoggingConfig", std::move(logging).Build());
  return std::move(out).Build();
}

json::Value AliasJson(const LambdaService* service, const FunctionRecord& function,
                      const AliasRecord& alias) {
  json::ObjectBuilder out;
  out.Append("AliasArn", json::Value::String(service->FunctionArn(function.name, alias.name)));
  out.Append("Name", json::Value::String(alias.name));
  out.Append("FunctionVersion", json::Value::String(alias.function_version));
  out.Append("Description", json::Value::String(alias.description));
  if (!alias.additional_version_weights.empty()) {
    json::ObjectBuilder weights;
    for (const auto& [version, weight] : alias.additional_version_weights) {
      weights.Append(version, json::Value::Double(weight));
    }
    json::ObjectBuilder routing;
    routing.Append("AdditionalVersionWeights", std::move(weights).Build());
    out.Append("RoutingConfig", std::move(routing).Build());
  }
  out.Append("RevisionId", json::Value::String(alias.revision_id));
  return std::move(out).Build();
}

// ---- Shared steps ----------------------------------------------------------------------------

bool SameConfiguration(const VersionRecord& a, const VersionRecord& b) {
  return a.code.sha256 == b.code.sha256 && a.runtime == b.runtime && a.handler == b.handler &&
         a.role == b.role && a.timeout == b.timeout && a.memory_size == b.memory_size &&
         a.environment == b.environment && a.ephemeral_storage == b.ephemeral_storage &&
         a.tracing_mode == b.tracing_mode && a.log_format == b.log_format &&
         a.log_group == b.log_group && a.description == b.description;
}

// Publishes $LATEST as a new version (or answers the newest one when nothing changed since, as
// AWS does). Runs inside FunctionStore::Update.
const VersionRecord& Publish(FunctionStore* store, FunctionRecord* function,
                             const std::optional<std::string>& description) {
  if (!function->versions.empty()) {
    const VersionRecord& newest = function->versions.rbegin()->second;
    VersionRecord candidate = function->latest;
    if (description) candidate.description = *description;
    if (SameConfiguration(candidate, newest)) return newest;
  }
  int number = ++function->last_version;
  VersionRecord version = function->latest;
  version.version = std::to_string(number);
  if (description) version.description = *description;
  version.revision_id = NewRevisionId();
  version.last_modified = LambdaTimestampNow();
  version.revision = store->NextRevision();
  return function->versions[number] = std::move(version);
}

// ---- Operations ------------------------------------------------------------------------------

ApiOutcome CreateFunction(LambdaService* service, const ApiRequest& request) {
  if (request.body.size() > kMaxCreateRequestBytes) {
    return RequestEntityTooLarge("Request must be smaller than " +
                                 std::to_string(kMaxCreateRequestBytes) +
                                 " bytes for the CreateFunction operation");
  }
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  auto name = body.String("FunctionName");
  if (!name)
    return Fail(
        body.error.value_or(ValidationError("null", "functionName", "Member must not be null")));
  auto ref = service->ParseFunctionName(*name, "", false);
  if (auto* error = std::get_if<AwsError>(&ref)) return *error;
  if (!body.String("Role")) {
    return Fail(body.error.value_or(ValidationError("null", "role", "Member must not be null")));
  }
  const json::Value* code = body.Object("Code");
  if (code == nullptr) {
    return Fail(body.error.value_or(ValidationError("null", "code", "Member must not be null")));
  }
  if (auto type = body.String("PackageType"); type && *type != "Zip") {
    if (*type == "Image") {
      return InvalidParameterValue(
          "stepfn runs functions from zip packages or local folders, not container images "
          "(PackageType Image)");
    }
    return ValidationError(*type, "packageType",
                           "Member must satisfy enum value set: [Zip, Image]");
  }
  FunctionRecord function;
  function.name = std::get<FunctionRef>(ref).name;
  if (auto error = ApplyConfiguration(body, &function.latest)) return *error;
  if (function.latest.runtime.empty() || function.latest.handler.empty()) {
    return InvalidParameterValue(
        "Runtime and Handler are mandatory parameters for functions created with deployment "
        "packages.");
  }
  if (const json::Value* architectures =
          body.Member("Architectures", json::Type::Array, "a list")) {
    if (architectures->size() != 1 || !architectures->at(0)->is_string() ||
        (architectures->at(0)->as_string() != "x86_64" &&
         architectures->at(0)->as_string() != "arm64")) {
      return ValidationError(json::Write(*architectures), "architectures",
                             "Member must satisfy constraint: [Member must satisfy enum value "
                             "set: [x86_64, arm64]]");
    }
    function.latest.architecture = architectures->at(0)->as_string();
  }
  if (const json::Value* tags = body.Object("Tags")) {
    for (const auto& [key, value] : tags->members()) {
      if (value.is_string()) function.tags[key] = value.as_string();
    }
  }
  auto publish = body.Bool("Publish");
  if (body.error) return *body.error;
  if (service->store()->Get(function.name).ok()) {
    return ResourceConflict("Function already exist: " + function.name);
  }
  auto code_ref = ReadCode(service, *code);
  if (auto* error = std::get_if<AwsError>(&code_ref)) return *error;
  CodePin pin{service->store(), std::get<CodeRef>(code_ref)};
  function.latest.code = pin.code;
  function.latest.revision_id = NewRevisionId();
  function.latest.last_modified = LambdaTimestampNow();
  Status created = service->store()->Create(function);
  if (created.code() == StatusCode::AlreadyExists) {
    return ResourceConflict("Function already exist: " + function.name);
  }
  if (!created.ok()) return FromStatus(created);
  if (publish.value_or(false)) {
    VersionRecord published;
    auto updated = service->store()->Update(function.name, [&](FunctionRecord* f) {
      published = Publish(service->store(), f, std::nullopt);
      return Status::Ok();
    });
    if (!updated.ok()) return FromStatus(updated.status());
    return JsonResponse(ConfigurationJson(service, *updated, published, published.version), 201);
  }
  auto stored = service->store()->Get(function.name);
  if (!stored.ok()) return FromStatus(stored.status());
  return JsonResponse(ConfigurationJson(service, *stored, stored->latest, ""), 201);
}

ApiOutcome GetFunctionConfiguration(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, true);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto version = VersionOf(service, t.function, t.ref.qualifier);
  if (auto* error = std::get_if<AwsError>(&version)) return *error;
  return JsonResponse(ConfigurationJson(service, t.function,
                                        *std::get<const VersionRecord*>(version), t.ref.qualifier));
}

ApiOutcome GetFunction(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, true);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto found = VersionOf(service, t.function, t.ref.qualifier);
  if (auto* error = std::get_if<AwsError>(&found)) return *error;
  const VersionRecord& version = *std::get<const VersionRecord*>(found);
  json::ObjectBuilder out;
  out.Append("Configuration", ConfigurationJson(service, t.function, version, t.ref.qualifier));
  json::ObjectBuilder code;
  code.Append("RepositoryType",
              json::Value::String(version.code.kind == CodeRef::Kind::Folder ? "Local" : "S3"));
  // AWS's is a presigned URL of the package; ours is the package's file (a folder's own path for
  // local code, the unpacked directory for code stored before packages were kept).
  std::string package = service->store()->PackagePath(version.code);
  code.Append("Location", json::Value::String(
                              "file://" + (package.empty() ? service->store()->CodeDir(version.code)
                                                           : package)));
  out.Append("Code", std::move(code).Build());
  if (!t.function.tags.empty()) out.Append("Tags", StringMapJson(t.function.tags));
  if (t.function.reserved_concurrency) {
    json::ObjectBuilder concurrency;
    concurrency.Append("ReservedConcurrentExecutions",
                       json::Value::Int(*t.function.reserved_concurrency));
    out.Append("Concurrency", std::move(concurrency).Build());
  }
  return JsonResponse(std::move(out).Build());
}

ApiOutcome UpdateFunctionCode(LambdaService* service, const ApiRequest& request) {
  if (request.body.size() > kMaxCreateRequestBytes) {
    return RequestEntityTooLarge("Request must be smaller than " +
                                 std::to_string(kMaxCreateRequestBytes) +
                                 " bytes for the UpdateFunctionCode operation");
  }
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  auto publish = body.Bool("Publish");
  auto dry_run = body.Bool("DryRun");
  auto revision = body.String("RevisionId");
  if (const json::Value* architectures = body.Member("Architectures", json::Type::Array, "a list");
      architectures && architectures->size() > 0 && architectures->at(0)->is_string()) {
    t.function.latest.architecture = architectures->at(0)->as_string();
  }
  if (body.error) return *body.error;
  auto code_ref = ReadCode(service, input);
  if (auto* error = std::get_if<AwsError>(&code_ref)) return *error;
  CodePin pin{service->store(), std::get<CodeRef>(code_ref)};
  if (dry_run.value_or(false)) {
    VersionRecord preview = t.function.latest;
    preview.code = pin.code;
    return JsonResponse(ConfigurationJson(service, t.function, preview, ""));
  }
  std::string architecture = t.function.latest.architecture;
  VersionRecord published;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    if (revision && *revision != f->latest.revision_id) return FailedPrecondition("revision");
    f->latest.code = pin.code;
    f->latest.architecture = architecture;
    f->latest.revision_id = NewRevisionId();
    f->latest.last_modified = LambdaTimestampNow();
    f->latest.revision = service->store()->NextRevision();
    if (publish.value_or(false)) published = Publish(service->store(), f, std::nullopt);
    return Status::Ok();
  });
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::FailedPrecondition) {
      Body empty{input, std::nullopt};
      return *CheckRevision(empty, "");
    }
    return FromStatus(updated.status());
  }
  service->runner()->Retire(service->FunctionArn(t.ref.name), "$LATEST");
  if (publish.value_or(false)) {
    return JsonResponse(ConfigurationJson(service, *updated, published, published.version));
  }
  return JsonResponse(ConfigurationJson(service, *updated, updated->latest, ""));
}

ApiOutcome UpdateFunctionConfiguration(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  VersionRecord changed = t.function.latest;
  if (auto error = ApplyConfiguration(body, &changed)) return *error;
  auto revision = body.String("RevisionId");
  if (body.error) return *body.error;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    if (revision && *revision != f->latest.revision_id) return FailedPrecondition("revision");
    CodeRef code = f->latest.code;  // the code may have changed since `changed` was read
    f->latest = changed;
    f->latest.code = code;
    f->latest.revision_id = NewRevisionId();
    f->latest.last_modified = LambdaTimestampNow();
    f->latest.revision = service->store()->NextRevision();
    return Status::Ok();
  });
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::FailedPrecondition) {
      Body empty{input, std::nullopt};
      return *CheckRevision(empty, "");
    }
    return FromStatus(updated.status());
  }
  service->runner()->Retire(service->FunctionArn(t.ref.name), "$LATEST");
  return JsonResponse(ConfigurationJson(service, *updated, updated->latest, ""));
}

ApiOutcome ListFunctions(LambdaService* service, const ApiRequest& request) {
  bool all_versions = false;
  if (const std::string* version = request.Query("FunctionVersion")) {
    if (*version != "ALL") {
      return ValidationError(*version, "functionVersion",
                             "Member must satisfy enum value set: [ALL]");
    }
    all_versions = true;
  }
  std::vector<FunctionRecord> functions = service->store()->List();
  // One entry per function ($LATEST), or per version with FunctionVersion=ALL; keys sort as
  // the entries do ("name\x01<version number, zero-padded>").
  struct Entry {
    const FunctionRecord* function;
    const VersionRecord* version;
    std::string key;
  };
  std::vector<Entry> entries;
  for (const FunctionRecord& function : functions) {
    entries.push_back({&function, &function.latest, function.name + "\x01"});
    if (!all_versions) continue;
    for (const auto& [number, version] : function.versions) {
      char padded[16];
      std::snprintf(padded, sizeof(padded), "%010d", number);
      entries.push_back({&function, &version, function.name + "\x01" + padded});
    }
  }
  std::vector<std::string> keys;
  for (const Entry& entry : entries) keys.push_back(entry.key);
  auto page = Page(request, entries.size(), keys, 10000);
  if (auto* error = std::get_if<AwsError>(&page)) return *error;
  auto [start, end] = std::get<std::pair<size_t, size_t>>(page);
  std::vector<json::Value> items;
  for (size_t i = start; i < end; ++i) {
    const Entry& entry = entries[i];
    bool latest = entry.version == &entry.function->latest;
    items.push_back(
        ConfigurationJson(service, *entry.function, *entry.version,
                          latest ? (all_versions ? "$LATEST" : "") : entry.version->version));
  }
  json::ObjectBuilder out;
  out.Append("Functions", json::Value::Array(std::move(items)));
  if (end < entries.size()) out.Append("NextMarker", json::Value::String(Base64Encode(keys[end])));
  return JsonResponse(std::move(out).Build());
}

ApiOutcome DeleteFunction(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, true);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  std::string arn = service->FunctionArn(t.ref.name);
  if (t.ref.qualifier.empty()) {
    Status deleted = service->store()->Delete(t.ref.name);
    if (deleted.code() == StatusCode::NotFound) {
      return ResourceNotFound("Function not found: " + arn);
    }
    if (!deleted.ok()) return FromStatus(deleted);
    service->runner()->Retire(arn, "");
    return EmptyResponse(204);
  }
  const std::string& qualifier = t.ref.qualifier;
  if (qualifier == "$LATEST") {
    return InvalidParameterValue(
        "$LATEST version cannot be deleted without deleting the function.");
  }
  bool digits =
      std::all_of(qualifier.begin(), qualifier.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return InvalidParameterValue("Deletion of aliases is not supported.");
  int number = std::atoi(qualifier.c_str());
  std::string conflict;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    if (f->versions.count(number) == 0) return NotFound("version");
    std::string users;
    for (const auto& [name, alias] : f->aliases) {
      bool uses = alias.function_version == qualifier ||
                  alias.additional_version_weights.count(qualifier) != 0;
      if (uses) users += (users.empty() ? "" : ", ") + name;
    }
    if (!users.empty()) {
      conflict =
          "Unable to delete version because the following aliases reference it: [" + users + "]";
      return FailedPrecondition(conflict);
    }
    f->versions.erase(number);
    f->policies.erase(qualifier);
    f->event_invoke_configs.erase(qualifier);
    return Status::Ok();
  });
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::NotFound) {
      return ResourceNotFound("Function not found: " + service->FunctionArn(t.ref.name, qualifier));
    }
    if (!conflict.empty()) return ResourceConflict(conflict);
    return FromStatus(updated.status());
  }
  service->runner()->Retire(arn, qualifier);
  return EmptyResponse(204);
}

void Invoke(LambdaService* service, ApiRequest request, std::function<void(ApiOutcome)> done) {
  InvokeRequest invoke;
  if (const std::string* name = request.Label("FunctionName")) invoke.function_name = *name;
  if (const std::string* qualifier = request.Query("Qualifier")) invoke.qualifier = *qualifier;
  if (const std::string* type = request.Header("X-Amz-Invocation-Type")) {
    if (*type == "Event") {
      invoke.type = InvocationType::Event;
    } else if (*type == "DryRun") {
      invoke.type = InvocationType::DryRun;
    } else if (*type != "RequestResponse") {
      return done(ValidationError(*type, "invocationType",
                                  "Member must satisfy enum value set: [RequestResponse, Event, "
                                  "DryRun]"));
    }
  }
  if (const std::string* log = request.Header("X-Amz-Log-Type")) {
    if (*log == "Tail") {
      invoke.log_tail = true;
    } else if (*log != "None") {
      return done(
          ValidationError(*log, "logType", "Member must satisfy enum value set: [None, Tail]"));
    }
  }
  if (const std::string* context = request.Header("X-Amz-Client-Context")) {
    std::string decoded;
    if (context->size() > 3583) {
      return done(InvalidParameterValue(
          "Client context must be less than or equal to 3583 bytes (base64-encoded)."));
    }
    auto parsed = Base64Decode(*context, &decoded) ? json::Parse(decoded)
                                                   : Result<json::Value>(InvalidArgument("x"));
    if (!parsed.ok() || !parsed->is_object()) {
      return done(
          InvalidRequestContent("Client context must be a valid Base64-encoded JSON object."));
    }
    invoke.client_context = *context;
  }
  if (const std::string* trace = request.Header("X-Amzn-Trace-Id")) invoke.trace_header = *trace;
  if (request.body.size() > kMaxInvokePayloadBytes) {
    return done(RequestTooLarge("Request must be smaller than " +
                                std::to_string(kMaxInvokePayloadBytes) +
                                " bytes for the InvokeFunction operation"));
  }
  if (!request.body.empty()) {
    auto parsed = json::Parse(request.body);
    if (!parsed.ok()) {
      return done(InvalidRequestContent(
          "Could not parse request body into json: Could not parse payload into json: " +
          parsed.status().message()));
    }
  }
  invoke.payload = std::move(request.body);
  service->Invoke(std::move(invoke), [done = std::move(done)](InvokeOutcome outcome) {
    if (auto* error = std::get_if<InvokeError>(&outcome)) {
      return done(AwsError{error->http_status, std::move(error->code), std::move(error->message)});
    }
    InvokeResponse& response = std::get<InvokeResponse>(outcome);
    ApiResponse out;
    out.status = response.status_code;
    if (!response.function_error.empty()) {
      out.headers.emplace_back("X-Amz-Function-Error", response.function_error);
    }
    if (!response.log_result.empty()) {
      out.headers.emplace_back("X-Amz-Log-Result", response.log_result);
    }
    if (!response.executed_version.empty() && response.status_code == 200) {
      out.headers.emplace_back("X-Amz-Executed-Version", response.executed_version);
    }
    if (response.status_code == 200) {
      out.body = std::move(response.payload);
    } else {
      out.content_type = "";
    }
    done(std::move(out));
  });
}

ApiOutcome PublishVersion(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  auto sha = body.String("CodeSha256");
  auto description = body.String("Description");
  auto revision = body.String("RevisionId");
  if (body.error) return *body.error;
  std::optional<AwsError> refusal;
  VersionRecord published;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    if (revision && *revision != f->latest.revision_id) {
      Body check{input, std::nullopt};
      refusal = CheckRevision(check, f->latest.revision_id);
      return FailedPrecondition("revision");
    }
    if (sha && *sha != f->latest.code.sha256) {
      refusal = InvalidParameterValue(
          "CodeSHA256 (" + *sha + ") is different from current CodeSHA256 in $LATEST (" +
          f->latest.code.sha256 + "). Please try again with the CodeSHA256 in $LATEST.");
      return FailedPrecondition("sha");
    }
    published = Publish(service->store(), f, description);
    return Status::Ok();
  });
  if (refusal) return *refusal;
  if (!updated.ok()) return FromStatus(updated.status());
  return JsonResponse(ConfigurationJson(service, *updated, published, published.version), 201);
}

ApiOutcome ListVersionsByFunction(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  std::vector<const VersionRecord*> versions{&t.function.latest};
  std::vector<std::string> keys{"0000000000"};
  for (const auto& [number, version] : t.function.versions) {
    versions.push_back(&version);
    char padded[16];
    std::snprintf(padded, sizeof(padded), "%010d", number);
    keys.push_back(padded);
  }
  auto page = Page(request, versions.size(), keys, 10000);
  if (auto* error = std::get_if<AwsError>(&page)) return *error;
  auto [start, end] = std::get<std::pair<size_t, size_t>>(page);
  std::vector<json::Value> items;
  for (size_t i = start; i < end; ++i) {
    items.push_back(ConfigurationJson(service, t.function, *versions[i], versions[i]->version));
  }
  json::ObjectBuilder out;
  out.Append("Versions", json::Value::Array(std::move(items)));
  if (end < versions.size()) out.Append("NextMarker", json::Value::String(Base64Encode(keys[end])));
  return JsonResponse(std::move(out).Build());
}

std::optional<AwsError> CheckAliasName(const std::string& name) {
  bool all_digits = !name.empty() && std::all_of(name.begin(), name.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; });
  bool valid = !name.empty() && name.size() <= 128 && !all_digits &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
               });
  if (valid) return std::nullopt;
  return ValidationError(name, "name",
                         "Member must satisfy regular expression pattern: "
                         "(?!^[0-9]+$)([a-zA-Z0-9-_]+)");
}

// Reads FunctionVersion, Description and RoutingConfig into `alias`, checking that the versions
// exist in `function`.
std::optional<AwsError> ApplyAlias(LambdaService* service, Body& body,
                                   const FunctionRecord& function, AliasRecord* alias) {
  if (auto version = body.String("FunctionVersion")) {
    bool digits = !version->empty() && std::all_of(version->begin(), version->end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
    if (*version != "$LATEST" && !digits) {
      return ValidationError(*version, "functionVersion",
                             "Member must satisfy regular expression pattern: "
                             "(\\$LATEST|[0-9]+)");
    }
    if (digits && function.versions.count(std::atoi(version->c_str())) == 0) {
      return ResourceNotFound("Function not found: " +
                              service->FunctionArn(function.name, *version));
    }
    alias->function_version = *version;
  }
  if (auto description = body.String("Description")) {
    if (description->size() > 256) {
      return ValidationError(*description, "description",
                             "Member must have length less than or equal to 256");
    }
    alias->description = *description;
  }
  if (const json::Value* routing = body.Object("RoutingConfig")) {
    std::map<std::string, double> weights;
    if (const json::Value* additional = routing->find("AdditionalVersionWeights");
        additional && additional->is_object()) {
      for (const auto& [version, weight] : additional->members()) {
        if (!weight.is_number() || weight.as_double() < 0.0 || weight.as_double() > 1.0) {
          return ValidationError(json::Write(weight), "routingConfig.additionalVersionWeights",
                                 "Member must have value between 0.0 and 1.0");
        }
        if (function.versions.count(std::atoi(version.c_str())) == 0) {
          return ResourceNotFound("Function not found: " +
                                  service->FunctionArn(function.name, version));
        }
        weights[version] = weight.as_double();
      }
    }
    if (weights.size() > 1) {
      return InvalidParameterValue("Number of AdditionalVersionWeights cannot be greater than 1.");
    }
    alias->additional_version_weights = std::move(weights);
  }
  return body.error;
}

ApiOutcome CreateAlias(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  auto name = body.String("Name");
  if (!name)
    return Fail(body.error.value_or(ValidationError("null", "name", "Member must not be null")));
  if (auto error = CheckAliasName(*name)) return *error;
  if (!body.String("FunctionVersion")) {
    return Fail(
        body.error.value_or(ValidationError("null", "functionVersion", "Member must not be null")));
  }
  AliasRecord alias;
  alias.name = *name;
  std::optional<AwsError> refusal;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    if (f->aliases.count(alias.name) != 0) {
      refusal =
          ResourceConflict("Alias already exists: " + service->FunctionArn(f->name, alias.name));
      return AlreadyExists("alias");
    }
    refusal = ApplyAlias(service, body, *f, &alias);
    if (refusal) return InvalidArgument("alias");
    alias.revision_id = NewRevisionId();
    f->aliases[alias.name] = alias;
    return Status::Ok();
  });
  if (refusal) return *refusal;
  if (!updated.ok()) return FromStatus(updated.status());
  return JsonResponse(AliasJson(service, *updated, alias), 201);
}

std::variant<std::pair<Target, std::string>, AwsError> FindAlias(LambdaService* service,
                                                                 const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return std::move(*error);
  const std::string* name = request.Label("Name");
  std::string alias = name ? *name : "";
  if (auto error = CheckAliasName(alias)) return *error;
  Target& t = std::get<Target>(target);
  if (t.function.aliases.count(alias) == 0) {
    return ResourceNotFound("Alias not found: " + service->FunctionArn(t.ref.name, alias));
  }
  return std::make_pair(std::move(t), alias);
}

ApiOutcome GetAlias(LambdaService* service, const ApiRequest& request) {
  auto found = FindAlias(service, request);
  if (auto* error = std::get_if<AwsError>(&found)) return *error;
  auto& [t, name] = std::get<std::pair<Target, std::string>>(found);
  return JsonResponse(AliasJson(service, t.function, t.function.aliases.at(name)));
}

ApiOutcome UpdateAlias(LambdaService* service, const ApiRequest& request) {
  auto found = FindAlias(service, request);
  if (auto* error = std::get_if<AwsError>(&found)) return *error;
  auto& [t, name] = std::get<std::pair<Target, std::string>>(found);
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  auto revision = body.String("RevisionId");
  std::optional<AwsError> refusal;
  AliasRecord alias;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) -> Status {
    auto it = f->aliases.find(name);
    if (it == f->aliases.end()) {
      refusal = ResourceNotFound("Alias not found: " + service->FunctionArn(f->name, name));
      return NotFound("alias");
    }
    if (revision) {
      Body check{input, std::nullopt};
      refusal = CheckRevision(check, it->second.revision_id);
      if (refusal) return FailedPrecondition("revision");
    }
    alias = it->second;
    refusal = ApplyAlias(service, body, *f, &alias);
    if (refusal) return InvalidArgument("alias");
    alias.revision_id = NewRevisionId();
    it->second = alias;
    return Status::Ok();
  });
  if (refusal) return *refusal;
  if (!updated.ok()) return FromStatus(updated.status());
  return JsonResponse(AliasJson(service, *updated, alias));
}

ApiOutcome DeleteAlias(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  const std::string* name = request.Label("Name");
  std::string alias = name ? *name : "";
  if (auto error = CheckAliasName(alias)) return *error;
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) {
    f->aliases.erase(alias);  // deleting a missing alias succeeds, as on AWS
    f->policies.erase(alias);
    f->event_invoke_configs.erase(alias);
    return Status::Ok();
  });
  if (!updated.ok()) return FromStatus(updated.status());
  return EmptyResponse(204);
}

ApiOutcome ListAliases(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  const std::string* version = request.Query("FunctionVersion");
  std::vector<const AliasRecord*> aliases;
  std::vector<std::string> keys;
  for (const auto& [name, alias] : t.function.aliases) {
    if (version != nullptr && alias.function_version != *version) continue;
    aliases.push_back(&alias);
    keys.push_back(name);
  }
  auto page = Page(request, aliases.size(), keys, 10000);
  if (auto* error = std::get_if<AwsError>(&page)) return *error;
  auto [start, end] = std::get<std::pair<size_t, size_t>>(page);
  std::vector<json::Value> items;
  for (size_t i = start; i < end; ++i) items.push_back(AliasJson(service, t.function, *aliases[i]));
  json::ObjectBuilder out;
  out.Append("Aliases", json::Value::Array(std::move(items)));
  if (end < aliases.size()) out.Append("NextMarker", json::Value::String(Base64Encode(keys[end])));
  return JsonResponse(std::move(out).Build());
}

int ReservedTotal(LambdaService* service, const std::string& except) {
  int total = 0;
  for (const FunctionRecord& function : service->store()->List()) {
    if (function.name != except && function.reserved_concurrency) {
      total += *function.reserved_concurrency;
    }
  }
  return total;
}

ApiOutcome PutFunctionConcurrency(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto parsed = JsonBody(request);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const json::Value& input = std::get<json::Value>(parsed);
  Body body{input, std::nullopt};
  auto reserved = body.Int("ReservedConcurrentExecutions");
  if (!reserved) {
    return Fail(body.error.value_or(
        ValidationError("null", "reservedConcurrentExecutions", "Member must not be null")));
  }
  if (auto error = RangeError(*reserved, 0, std::numeric_limits<int64_t>::max(),
                              "reservedConcurrentExecutions")) {
    return *error;
  }
  if (*reserved + ReservedTotal(service, t.ref.name) >
      kAccountConcurrency - kMinUnreservedConcurrency) {
    return InvalidParameterValue(
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [" +
        std::to_string(kMinUnreservedConcurrency) + "].");
  }
  auto updated = service->store()->Update(t.ref.name, [&](FunctionRecord* f) {
    f->reserved_concurrency = static_cast<int>(*reserved);
    return Status::Ok();
  });
  if (!updated.ok()) return FromStatus(updated.status());
  json::ObjectBuilder out;
  out.Append("ReservedConcurrentExecutions", json::Value::Int(*reserved));
  return JsonResponse(std::move(out).Build());
}

ApiOutcome GetFunctionConcurrency(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  json::ObjectBuilder out;
  if (t.function.reserved_concurrency) {
    out.Append("ReservedConcurrentExecutions", json::Value::Int(*t.function.reserved_concurrency));
  }
  return JsonResponse(std::move(out).Build());
}

ApiOutcome DeleteFunctionConcurrency(LambdaService* service, const ApiRequest& request) {
  auto target = FindFunction(service, request, false);
  if (auto* error = std::get_if<AwsError>(&target)) return *error;
  Target& t = std::get<Target>(target);
  auto updated = service->store()->Update(t.ref.name, [](FunctionRecord* f) {
    f->reserved_concurrency.reset();
    return Status::Ok();
  });
  if (!updated.ok()) return FromStatus(updated.status());
  return EmptyResponse(204);
}

ApiOutcome GetAccountSettings(LambdaService* service, const ApiRequest&) {
  std::vector<FunctionRecord> functions = service->store()->List();
  int64_t code_size = 0;
  int reserved = 0;
  for (const FunctionRecord& function : functions) {
    code_size += function.latest.code.size;
    for (const auto& [number, version] : function.versions) code_size += version.code.size;
    if (function.reserved_concurrency) reserved += *function.reserved_concurrency;
  }
  json::ObjectBuilder limit;
  limit.Append("TotalCodeSize", json::Value::Int(80'530'636'800));
  limit.Append("CodeSizeUnzipped", json::Value::Int(262'144'000));
  limit.Append("CodeSizeZipped", json::Value::Int(52'428'800));
  limit.Append("ConcurrentExecutions", json::Value::Int(kAccountConcurrency));
  limit.Append("UnreservedConcurrentExecutions", json::Value::Int(kAccountConcurrency - reserved));
  json::ObjectBuilder usage;
  usage.Append("TotalCodeSize", json::Value::Int(code_size));
  usage.Append("FunctionCount", json::Value::Int(static_cast<int64_t>(functions.size())));
  json::ObjectBuilder out;
  out.Append("AccountLimit", std::move(limit).Build());
  out.Append("AccountUsage", std::move(usage).Build());
  return JsonResponse(std::move(out).Build());
}

const std::string* FindParameter(const ApiParameters& parameters, std::string_view name) {
  for (const auto& [key, value] : parameters) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace

const std::string* ApiRequest::Label(std::string_view name) const {
  return FindParameter(labels, name);
}
const std::string* ApiRequest::Query(std::string_view name) const {
  return FindParameter(query, name);
}
const std::string* ApiRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &value;
    }
  }
  return nullptr;
}

const std::vector<ApiOperation>& LambdaApiOperations() {
  static const std::vector<ApiOperation> operations = {
      {"CreateFunction", "POST", "/2015-03-31/functions", CreateFunction, nullptr,
       kMaxCreateRequestBytes, /*blocking=*/true},
      {"ListFunctions", "GET", "/2015-03-31/functions", ListFunctions, nullptr},
      {"GetFunction", "GET", "/2015-03-31/functions/{FunctionName}", GetFunction, nullptr},
      {"DeleteFunction", "DELETE", "/2015-03-31/functions/{FunctionName}", DeleteFunction, nullptr},
      {"GetFunctionConfiguration", "GET", "/2015-03-31/functions/{FunctionName}/configuration",
       GetFunctionConfiguration, nullptr},
      {"UpdateFunctionConfiguration", "PUT", "/2015-03-31/functions/{FunctionName}/configuration",
       UpdateFunctionConfiguration, nullptr},
      {"UpdateFunctionCode", "PUT", "/2015-03-31/functions/{FunctionName}/code", UpdateFunctionCode,
       nullptr, kMaxCreateRequestBytes, /*blocking=*/true},
      // The server's default body limit (8 MiB) is above the 6 MB payload limit, so Invoke
      // answers an oversized payload in AWS's words (RequestTooLargeException).
      {"Invoke", "POST", "/2015-03-31/functions/{FunctionName}/invocations", nullptr, Invoke},
      {"PublishVersion", "POST", "/2015-03-31/functions/{FunctionName}/versions", PublishVersion,
       nullptr},
      {"ListVersionsByFunction", "GET", "/2015-03-31/functions/{FunctionName}/versions",
       ListVersionsByFunction, nullptr},
      {"CreateAlias", "POST", "/2015-03-31/functions/{FunctionName}/aliases", CreateAlias, nullptr},
      {"ListAliases", "GET", "/2015-03-31/functions/{FunctionName}/aliases", ListAliases, nullptr},
      {"GetAlias", "GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", GetAlias, nullptr},
      {"UpdateAlias", "PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", UpdateAlias,
       nullptr},
      {"DeleteAlias", "DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", DeleteAlias,
       nullptr},
      {"PutFunctionConcurrency", "PUT", "/2017-10-31/functions/{FunctionName}/concurrency",
       PutFunctionConcurrency, nullptr},
      {"DeleteFunctionConcurrency", "DELETE", "/2017-10-31/functions/{FunctionName}/concurrency",
       DeleteFunctionConcurrency, nullptr},
      {"GetFunctionConcurrency", "GET", "/2019-09-30/functions/{FunctionName}/concurrency",
       GetFunctionConcurrency, nullptr},
      {"GetAccountSettings", "GET", "/2016-08-19/account-settings", GetAccountSettings, nullptr},
      {"AddPermission", "POST", "/2015-03-31/functions/{FunctionName}/policy", AddPermission,
       nullptr},
      {"GetPolicy", "GET", "/2015-03-31/functions/{FunctionName}/policy", GetPolicy, nullptr},
      {"RemovePermission", "DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}",
       RemovePermission, nullptr},
      {"TagResource", "POST", "/2017-03-31/tags/{Resource}", TagResource, nullptr},
      {"UntagResource", "DELETE", "/2017-03-31/tags/{Resource}", UntagResource, nullptr},
      {"ListTags", "GET", "/2017-03-31/tags/{Resource}", ListTags, nullptr},
      {"PutFunctionEventInvokeConfig", "PUT",
       "/2019-09-25/functions/{FunctionName}/event-invoke-config", PutFunctionEventInvokeConfig,
       nullptr},
      {"UpdateFunctionEventInvokeConfig", "POST",
       "/2019-09-25/functions/{FunctionName}/event-invoke-config", UpdateFunctionEventInvokeConfig,
       nullptr},
      {"GetFunctionEventInvokeConfig", "GET",
       "/2019-09-25/functions/{FunctionName}/event-invoke-config", GetFunctionEventInvokeConfig,
       nullptr},
      {"DeleteFunctionEventInvokeConfig", "DELETE",
       "/2019-09-25/functions/{FunctionName}/event-invoke-config", DeleteFunctionEventInvokeConfig,
       nullptr},
      {"ListFunctionEventInvokeConfigs", "GET",
       "/2019-09-25/functions/{FunctionName}/event-invoke-config/list",
       ListFunctionEventInvokeConfigs, nullptr},
  };
  return operations;
}

}  // namespace stepfn::lambda
