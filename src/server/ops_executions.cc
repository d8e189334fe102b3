// Executions: StartExecution, StartSyncExecution, StopExecution, DescribeExecution,
// ListExecutions, GetExecutionHistory, DescribeStateMachineForExecution.

#include "common/uuid.h"
#include "engine/mock_config.h"
#include "eval/history_codec.h"
#include "json/parse.h"
#include "json/write.h"
#include "server/executor.h"
#include "server/request.h"
#include "server/service.h"

namespace stepfn::server {
namespace {

using api::AwsError;
using api::AwsOr;
using api::OperationRequest;
using api::OperationResponder;

constexpr size_t kMaxInputLength = 262144;  // shape SensitiveData
constexpr size_t kMaxTraceHeaderLength = 256;
constexpr size_t kMaxErrorLength = 256;    // SensitiveError
constexpr size_t kMaxCauseLength = 32768;  // SensitiveCause

json::Value Str(std::string_view s) { return json::Value::String(s); }

// The state machine (or version) an execution starts on, resolved from the ARN a caller gave.
struct Target {
  store::StateMachineRecord machine;  // the unqualified state machine
  store::StateMachineRecord runs;     // what runs: the machine itself or a version
  std::string version_arn;
  std::string alias_arn;
};

AwsOr<Target> ResolveTarget(ServiceContext* ctx, const std::string& arn_text, const Arn& arn) {
  Target target;
  auto get = [&](const std::string& a) -> AwsOr<store::StateMachineRecord> {
    Result<store::StateMachineRecord> r = ctx->store->GetStateMachine(a);
    if (r.ok()) return std::move(*r);
    if (r.status().code() == StatusCode::NotFound) return StateMachineDoesNotExist(arn_text);
    return StoreFailure(r.status());
  };
  std::string unqualified = UnqualifiedStateMachineArn(arn);
  auto machine = get(unqualified);
  if (auto* e = std::get_if<AwsError>(&machine)) return *e;
  target.machine = std::move(std::get<store::StateMachineRecord>(machine));
  if (arn.kind == ArnKind::StateMachine) {
    target.runs = target.machine;
    return target;
  }
  auto qualified = get(arn_text);
  if (auto* e = std::get_if<AwsError>(&qualified)) return *e;
  store::StateMachineRecord record = std::move(std::get<store::StateMachineRecord>(qualified));
  if (record.kind == store::StateMachineKind::Version) {
    target.version_arn = record.arn;
    target.runs = std::move(record);
    return target;
  }
  // An alias: pick one of its versions by weight.
  target.alias_arn = record.arn;
  Result<json::Value> routing = json::Parse(record.routing_configuration);
  if (!routing.ok() || !routing->is_array() || routing->items().empty()) {
    return AwsError::InternalFailure("alias " + record.arn + " has no routing configuration");
  }
  int64_t pick = static_cast<int64_t>(RandomU64() % 100);
  std::string version_arn;
  for (const json::Value& route : routing->items()) {
    const json::Value* v = route.find("stateMachineVersionArn");
    const json::Value* w = route.find("weight");
    if (v == nullptr || !v->is_string()) continue;
    version_arn = v->as_string();
    int64_t weight = w != nullptr && w->is_int() ? w->as_int() : 0;
    if (pick < weight) break;
    pick -= weight;
  }
  auto version = get(version_arn);
  if (auto* e = std::get_if<AwsError>(&version)) return *e;
  target.version_arn = version_arn;
  target.runs = std::move(std::get<store::StateMachineRecord>(version));
  return target;
}

struct StartArgs {
  std::string machine_arn;  // without the "#test case" suffix
  std::string test_case;
  Arn arn;
  std::string name;
  std::string input_text;
  json::Value input;
  std::string trace_header;
};

// Reads and checks StartExecution's and StartSyncExecution's request.
AwsOr<StartArgs> ReadStart(ServiceContext* ctx, const OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("stateMachineArn", 1, kMaxArnLength, Presence::Required);
  auto name = in.String("name", 1, kMaxNameLength);
  auto input = in.String("input", 0, kMaxInputLength, Presence::Optional, Sensitivity::Sensitive);
  auto trace = in.String("traceHeader", 0, kMaxTraceHeaderLength);
  if (auto error = in.Finish()) return *error;
  StartArgs args;
  args.machine_arn = *arn;
  // AWS Step Functions Local: "<state machine ARN>#<test case>" runs the execution with the
  // mocked responses of that test case.
  size_t hash = args.machine_arn.find('#');
  if (hash != std::string::npos) {
    args.test_case = args.machine_arn.substr(hash + 1);
    args.machine_arn.resize(hash);
  }
  auto parsed = ParseArnAs(args.machine_arn, {ArnKind::StateMachine, ArnKind::StateMachineVersion,
                                              ArnKind::StateMachineAlias});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  args.arn = std::get<Arn>(parsed);
  if (!args.test_case.empty()) {
    if (ctx->mocks == nullptr) {
      return AwsError::Validation(
          "the state machine ARN names a mock test case ('#" + args.test_case +
          "') but this server has no mock configuration (stepfn serve --mock-config FILE)");
    }
    if (!ctx->mocks->HasTestCase(args.arn.state_machine, args.test_case)) {
      return AwsError::Validation("the mock configuration has no test case '" + args.test_case +
                                  "' for state machine '" + args.arn.state_machine + "'");
    }
  }
  if (name) {
    if (auto e = CheckName(*name)) return *e;
    args.name = *name;
  } else {
    args.name = NewUuid();
  }
  args.input_text = input ? *input : "{}";
  Result<json::Value> parsed_input = json::Parse(args.input_text);
  if (!parsed_input.ok()) {
    return AwsError{400, "InvalidExecutionInput",
                    "Invalid State Machine Execution Input: '" +
                        std::string(parsed_input.status().message()) + "'"};
  }
  args.input = std::move(*parsed_input);
  if (trace) args.trace_header = *trace;
  return args;
}

// Builds the Launch of an execution of `target` (whose definition it takes) with `args`.
AwsOr<Launch> PrepareLaunch(ServiceContext* ctx, Target&& target, const StartArgs& args) {
  bool express = target.runs.type == store::StateMachineType::Express;
  asl::MachineType type = express ? asl::MachineType::Express : asl::MachineType::Standard;
  Result<std::shared_ptr<const asl::Program>> program =
      ctx->executor->programs().Get(target.runs.definition, type);
  if (!program.ok()) {
    return AwsError{400, "InvalidDefinition", std::string(program.status().message())};
  }
  EpochMillis now = ctx->clock->NowMillis();
  Launch launch;
  launch.program = std::move(*program);
  store::ExecutionRecord& r = launch.record;
  r.arn = express ? ctx->arns.ExpressExecution(target.machine.name, args.name, NewUuid())
                  : ctx->arns.Execution(target.machine.name, args.name);
  r.name = args.name;
  r.state_machine_arn = target.machine.arn;
  r.state_machine_version_arn = target.version_arn;
  r.state_machine_alias_arn = target.alias_arn;
  r.status = store::ExecutionStatus::Running;
  r.input = args.input_text;
  r.start_date = now;
  r.definition = std::move(target.runs.definition);
  eval::ExecutionInfo& info = launch.info;
  info.execution_arn = r.arn;
  info.execution_name = r.name;
  info.state_machine_arn = args.machine_arn;
  info.state_machine_name = target.machine.name;
  info.role_arn = target.runs.role_arn;
  info.start_time = now;
  info.express = express;
  info.seed = RandomU64();
  if (express) {
    info.max_history_events = 0;
    info.default_timeout_seconds = 300;
  }
  launch.input = args.input;
  launch.mock_test_case = args.test_case;
  launch.trace_header = args.trace_header;
  return launch;
}

json::Value ExecutionJson(const store::ExecutionRecord& r, bool with_data) {
  json::ObjectBuilder o;
  o.Append("executionArn", Str(r.arn));
  o.Append("stateMachineArn", Str(r.state_machine_arn));
  o.Append("name", Str(r.name));
  o.Append("status", Str(store::ExecutionStatusName(r.status)));
  o.Append("startDate", EpochSeconds(r.start_date));
  if (r.stop_date != 0) o.Append("stopDate", EpochSeconds(r.stop_date));
  if (with_data) {
    o.Append("input", Str(r.input));
    o.Append("inputDetails", json::Value::Object({{"included", json::Value::Bool(true)}}));
    if (r.status == store::ExecutionStatus::Succeeded) {
      o.Append("output", Str(r.output));
      o.Append("outputDetails", json::Value::Object({{"included", json::Value::Bool(true)}}));
    }
    if (!r.error.empty()) o.Append("error", Str(r.error));
    if (!r.cause.empty()) o.Append("cause", Str(r.cause));
  }
  if (!r.map_run_arn.empty()) o.Append("mapRunArn", Str(r.map_run_arn));
  if (!r.state_machine_version_arn.empty()) {
    o.Append("stateMachineVersionArn", Str(r.state_machine_version_arn));
  }
  if (!r.state_machine_alias_arn.empty()) {
    o.Append("stateMachineAliasArn", Str(r.state_machine_alias_arn));
  }
  if (r.redrive_count > 0) {
    o.Append("redriveCount", json::Value::Int(r.redrive_count));
    o.Append("redriveDate", EpochSeconds(r.redrive_date));
  }
  return std::move(o).Build();
}

void StartExecution(ServiceContext* ctx, OperationRequest request, OperationResponder responder) {
  auto args = ReadStart(ctx, request);
  if (auto* e = std::get_if<AwsError>(&args)) return responder.Fail(*e);
  StartArgs& a = std::get<StartArgs>(args);
  auto target = ResolveTarget(ctx, a.machine_arn, a.arn);
  if (auto* e = std::get_if<AwsError>(&target)) return responder.Fail(*e);
  auto launch = PrepareLaunch(ctx, std::move(std::get<Target>(target)), a);
  if (auto* e = std::get_if<AwsError>(&launch)) return responder.Fail(*e);
  Launch& l = std::get<Launch>(launch);
  std::string arn = l.record.arn;
  std::string input = l.record.input;
  EpochMillis start = l.record.start_date;
  store::Store* store = ctx->executor->StoreFor(arn);
  auto r = std::make_shared<OperationResponder>(std::move(responder));
  ctx->executor->Start(std::move(l), [r, arn, input, start, store](Status status) {
    if (status.ok()) {
      r->Succeed(
          json::Value::Object({{"executionArn", Str(arn)}, {"startDate", EpochSeconds(start)}}));
      return;
    }
    if (status.code() == StatusCode::AlreadyExists) {
      // Idempotent: the same name and input on a RUNNING execution answers that execution.
      Result<store::ExecutionRecord> existing = store->GetExecution(arn);
      if (existing.ok() && existing->status == store::ExecutionStatus::Running &&
          existing->input == input) {
        r->Succeed(json::Value::Object(
            {{"executionArn", Str(arn)}, {"startDate", EpochSeconds(existing->start_date)}}));
        return;
      }
      r->Fail({400, "ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'"});
      return;
    }
    r->Fail(StoreFailure(status));
  });
}

void StartSyncExecution(ServiceContext* ctx, OperationRequest request,
                        OperationResponder responder) {
  auto args = ReadStart(ctx, request);
  if (auto* e = std::get_if<AwsError>(&args)) return responder.Fail(*e);
  StartArgs& a = std::get<StartArgs>(args);
  auto target = ResolveTarget(ctx, a.machine_arn, a.arn);
  if (auto* e = std::get_if<AwsError>(&target)) return responder.Fail(*e);
  if (std::get<Target>(target).runs.type != store::StateMachineType::Express) {
    return responder.Fail({400, "StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine"});
  }
  auto launch = PrepareLaunch(ctx, std::move(std::get<Target>(target)), a);
  if (auto* e = std::get_if<AwsError>(&launch)) return responder.Fail(*e);
  Launch& l = std::get<Launch>(launch);
  std::string trace = a.trace_header;
  auto r = std::make_shared<OperationResponder>(std::move(responder));
  ctx->executor->Start(
      std::move(l),
      [r](Status status) {
        if (!status.ok()) r->Fail(StoreFailure(status));
      },
      [r, trace](const store::ExecutionRecord& rec) {
        json::ObjectBuilder o;
        o.Append("executionArn", Str(rec.arn));
        o.Append("stateMachineArn", Str(rec.state_machine_arn));
        o.Append("name", Str(rec.name));
        o.Append("startDate", EpochSeconds(rec.start_date));
        o.Append("stopDate", EpochSeconds(rec.stop_date));
        o.Append("status", Str(store::ExecutionStatusName(rec.status)));
        if (!rec.error.empty()) o.Append("error", Str(rec.error));
        if (!rec.cause.empty()) o.Append("cause", Str(rec.cause));
        o.Append("input", Str(rec.input));
        o.Append("inputDetails", json::Value::Object({{"included", json::Value::Bool(true)}}));
        if (rec.status == store::ExecutionStatus::Succeeded) {
          o.Append("output", Str(rec.output));
          o.Append("outputDetails", json::Value::Object({{"included", json::Value::Bool(true)}}));
        }
        if (!trace.empty()) o.Append("traceHeader", Str(trace));
        EpochMillis ms = rec.stop_date - rec.start_date;
        // AWS bills express executions in 100 ms units with 64 MB of memory.
        o.Append("billingDetails",
                 json::Value::Object(
                     {{"billedMemoryUsedInMB", json::Value::Int(64)},
                      {"billedDurationInMilliseconds", json::Value::Int((ms / 100 + 1) * 100)}}));
        r->Succeed(std::move(o).Build());
      });
}

// Reads "executionArn" (a STANDARD or EXPRESS execution ARN) and the record.
AwsOr<store::ExecutionRecord> ReadExecution(ServiceContext* ctx, RequestReader& in,
                                            std::optional<std::string> arn) {
  if (auto error = in.Finish()) return *error;
  auto parsed = ParseArnAs(*arn, {ArnKind::Execution, ArnKind::ExpressExecution});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  Result<store::ExecutionRecord> record = ctx->executor->StoreFor(*arn)->GetExecution(*arn);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::NotFound) return ExecutionDoesNotExist(*arn);
    return StoreFailure(record.status());
  }
  return std::move(*record);
}

AwsOr<json::Value> DescribeExecution(ServiceContext* ctx, const OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("executionArn", 1, kMaxArnLength, Presence::Required);
  in.Enum("includedData", {"ALL_DATA", "METADATA_ONLY"});
  bool with_data = true;
  if (const json::Value* v = request.input.find("includedData"); v && v->is_string()) {
    with_data = v->as_string() != "METADATA_ONLY";
  }
  auto record = ReadExecution(ctx, in, arn);
  if (auto* e = std::get_if<AwsError>(&record)) return *e;
  const store::ExecutionRecord& r = std::get<store::ExecutionRecord>(record);
  json::ObjectBuilder o(ExecutionJson(r, with_data));
  // STANDARD executions say whether RedriveExecution would take them.
  if (r.arn.find(":express:") == std::string::npos) {
    if (r.status == store::ExecutionStatus::Failed ||
        r.status == store::ExecutionStatus::TimedOut ||
        r.status == store::ExecutionStatus::Aborted) {
      o.Append("redriveStatus", Str("REDRIVABLE"));
    } else {
      o.Append("redriveStatus", Str("NOT_REDRIVABLE"));
      o.Append("redriveStatusReason",
               Str("Execution is " + std::string(store::ExecutionStatusName(r.status)) +
                   " and cannot be redriven"));
    }
  }
  return std::move(o).Build();
}

AwsOr<json::Value> ListExecutions(ServiceContext* ctx, const OperationRequest& request) {
  RequestReader in(request.input);
  auto machine = in.String("stateMachineArn", 1, kMaxArnLength);
  auto map_run = in.String("mapRunArn", 1, kMaxLongArnLength);
  auto status = in.Enum("statusFilter", {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED",
                                         "PENDING_REDRIVE"});
  auto redrive_filter = in.Enum("redriveFilter", {"REDRIVEN", "NOT_REDRIVEN"});
  auto max_results = in.MaxResults();
  auto next = in.NextToken();
  if (auto error = in.Finish()) return *error;
  if (machine.has_value() == map_run.has_value()) {
    return AwsError::Validation("Exactly one of stateMachineArn and mapRunArn must be given");
  }
  store::ExecutionFilter filter;
  if (machine) {
    auto parsed = ParseArnAs(*machine, {ArnKind::StateMachine, ArnKind::StateMachineVersion,
                                        ArnKind::StateMachineAlias});
    if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
    const Arn& arn = std::get<Arn>(parsed);
    Result<store::StateMachineRecord> record = ctx->store->GetStateMachine(*machine);
    if (!record.ok()) {
      if (record.status().code() == StatusCode::NotFound) {
        return StateMachineDoesNotExist(*machine);
      }
      return StoreFailure(record.status());
    }
    if (record->type == store::StateMachineType::Express) {
      return AwsError{400, "StateMachineTypeNotSupported",
                      "This operation is not supported by this type of state machine"};
    }
    filter.state_machine_arn = UnqualifiedStateMachineArn(arn);
    if (arn.kind != ArnKind::StateMachine) filter.version_or_alias_arn = *machine;
  } else {
    auto parsed = ParseArnAs(*map_run, {ArnKind::MapRun});
    if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
    filter.map_run_arn = *map_run;
  }
  if (status) {
    Result<store::ExecutionStatus> s = store::ParseExecutionStatus(*status);
    if (s.ok()) filter.status = *s;
  }
  std::string scope = "ListExecutions|" + (machine ? *machine : *map_run) + "|" +
                      (status ? *status : std::string());
  auto token = UnwrapPageToken(scope, next);
  if (auto* e = std::get_if<AwsError>(&token)) return *e;
  store::PageRequest page;
  page.limit = PageSize(max_results);
  page.token = std::get<std::string>(token);
  Result<store::Page<store::ExecutionRecord>> listed = ctx->store->ListExecutions(filter, page);
  if (!listed.ok()) {
    if (listed.status().code() == StatusCode::InvalidArgument) {
      return InvalidTokenError("the token does not belong to this listing");
    }
    return StoreFailure(listed.status());
  }
  std::vector<json::Value> items;
  items.reserve(listed->items.size());
  for (const store::ExecutionRecord& r : listed->items) {
    // redriveFilter applies to the page the store gave (a page may hold fewer items; the token
    // still continues the listing).
    if (redrive_filter && (*redrive_filter == "REDRIVEN") != (r.redrive_count > 0)) continue;
    items.push_back(ExecutionJson(r, false));
  }
  json::ObjectBuilder o;
  o.Append("executions", json::Value::Array(std::move(items)));
  if (!listed->next_token.empty()) {
    o.Append("nextToken", Str(WrapPageToken(scope, listed->next_token)));
  }
  return std::move(o).Build();
}

// One history event in GetExecutionHistory's shape. `details` is stored as the object
// {"<kind>EventDetails": {...}}; without execution data its input and output are left out.
json::Value EventJson(const store::HistoryEventRecord& e, bool with_data) {
  json::ObjectBuilder o;
  o.Append("timestamp", EpochSeconds(e.timestamp));
  o.Append("type", Str(e.type));
  o.Append("id", json::Value::Int(e.id));
  o.Append("previousEventId", json::Value::Int(e.previous_event_id));
  if (!e.details.empty()) {
    // The executor keeps compact details (eval/history_codec.h); histories written before are
    // JSON text.
    // A payload kept as a value (EXPRESS executions) is written out first.
    std::string written;
    if (!e.payload.is_null()) written = store::PersistedDetails(e);
    const std::string_view whole = e.payload.is_null() ? std::string_view(e.details) : written;
    Result<json::Value> details = eval::IsCompactDetails(whole)
                                      ? eval::RenderCompactDetails(e.type, whole)
                                      : json::Parse(whole);
    if (details.ok() && details->is_object()) {
      for (const auto& [key, value] : details->members()) {
        if (with_data || !value.is_object()) {
          o.Append(key, value);
          continue;
        }
        json::ObjectBuilder inner(value);
        inner.Erase("input");
        inner.Erase("output");
        inner.Erase("inputDetails");
        inner.Erase("outputDetails");
        inner.Erase("parameters");
        o.Append(key, std::move(inner).Build());
      }
    }
  }
  return std::move(o).Build();
}

AwsOr<json::Value> GetExecutionHistory(ServiceContext* ctx, const OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("executionArn", 1, kMaxArnLength, Presence::Required);
  auto max_results = in.MaxResults();
  auto reverse = in.Bool("reverseOrder");
  auto next = in.NextToken();
  auto with_data = in.Bool("includeExecutionData");
  auto record = ReadExecution(ctx, in, arn);
  if (auto* e = std::get_if<AwsError>(&record)) return *e;
  bool backwards = reverse.value_or(false);
  std::string scope = "GetExecutionHistory|" + *arn + (backwards ? "|r" : "|f");
  auto token = UnwrapPageToken(scope, next);
  if (auto* e = std::get_if<AwsError>(&token)) return *e;
  int64_t from = backwards ? 0 : 1;
  const std::string& t = std::get<std::string>(token);
  if (!t.empty()) {
    char* end = nullptr;
    from = std::strtoll(t.c_str(), &end, 10);
    if (end == t.c_str() || *end != '\0') return InvalidTokenError("malformed history token");
  }
  int limit = PageSize(max_results);
  Result<std::vector<store::HistoryEventRecord>> events =
      ctx->executor->StoreFor(*arn)->GetHistory(*arn, from, limit + 1, backwards);
  if (!events.ok()) return StoreFailure(events.status());
  bool more = static_cast<int>(events->size()) > limit;
  if (more) events->resize(limit);
  std::vector<json::Value> items;
  items.reserve(events->size());
  for (const store::HistoryEventRecord& e : *events) {
    items.push_back(EventJson(e, with_data.value_or(true)));
  }
  json::ObjectBuilder o;
  o.Append("events", json::Value::Array(std::move(items)));
  if (more) {
    int64_t after = events->back().id + (backwards ? -1 : 1);
    o.Append("nextToken", Str(WrapPageToken(scope, std::to_string(after))));
  }
  return std::move(o).Build();
}

void StopExecution(ServiceContext* ctx, OperationRequest request, OperationResponder responder) {
  RequestReader in(request.input);
  auto arn = in.String("executionArn", 1, kMaxArnLength, Presence::Required);
  auto error = in.String("error", 0, kMaxErrorLength, Presence::Optional, Sensitivity::Sensitive);
  auto cause = in.String("cause", 0, kMaxCauseLength, Presence::Optional, Sensitivity::Sensitive);
  auto record = ReadExecution(ctx, in, arn);
  if (auto* e = std::get_if<AwsError>(&record)) return responder.Fail(*e);
  const store::ExecutionRecord& r = std::get<store::ExecutionRecord>(record);
  if (r.status != store::ExecutionStatus::Running) {
    // AWS answers a stop of an execution that already ended with its stop date.
    return responder.Succeed(json::Value::Object({{"stopDate", EpochSeconds(r.stop_date)}}));
  }
  eval::Input stop;
  stop.kind = eval::InputKind::Stop;
  stop.error = error.value_or("");
  stop.cause = cause.value_or("");
  auto resp = std::make_shared<OperationResponder>(std::move(responder));
  std::string execution_arn = *arn;
  store::Store* store = ctx->executor->StoreFor(execution_arn);
  ctx->executor->Deliver(execution_arn, std::move(stop), [resp, store, execution_arn](Status s) {
    Result<store::ExecutionRecord> now = store->GetExecution(execution_arn);
    if (!now.ok()) return resp->Fail(StoreFailure(now.status()));
    if (!s.ok() && now->status == store::ExecutionStatus::Running) {
      return resp->Fail(StoreFailure(s));
    }
    resp->Succeed(json::Value::Object({{"stopDate", EpochSeconds(now->stop_date)}}));
  });
}

void RedriveExecution(ServiceContext* ctx, OperationRequest request, OperationResponder responder) {
  RequestReader in(request.input);
  auto arn = in.String("executionArn", 1, kMaxArnLength, Presence::Required);
  in.String("clientToken", 1, 64);
  if (auto error = in.Finish()) return responder.Fail(*error);
  auto parsed = ParseArnAs(*arn, {ArnKind::Execution, ArnKind::ExpressExecution});
  if (auto* e = std::get_if<AwsError>(&parsed)) return responder.Fail(*e);
  if (std::get<Arn>(parsed).kind == ArnKind::ExpressExecution) {
    return responder.Fail({400, "ExecutionNotRedrivable",
                           "Execution is an EXPRESS execution and cannot be redriven."});
  }
  auto resp = std::make_shared<OperationResponder>(std::move(responder));
  std::string execution_arn = *arn;
  ctx->executor->Redrive(execution_arn, [resp, execution_arn](Result<EpochMillis> date) {
    if (date.ok()) {
      return resp->Succeed(json::Value::Object({{"redriveDate", EpochSeconds(*date)}}));
    }
    switch (date.status().code()) {
      case StatusCode::NotFound:
        return resp->Fail(ExecutionDoesNotExist(execution_arn));
      case StatusCode::FailedPrecondition:
        return resp->Fail({400, "ExecutionNotRedrivable", date.status().message()});
      default:
        return resp->Fail(StoreFailure(date.status()));
    }
  });
}

AwsOr<json::Value> DescribeStateMachineForExecution(ServiceContext* ctx,
                                                    const OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("executionArn", 1, kMaxArnLength, Presence::Required);
  in.Enum("includedData", {"ALL_DATA", "METADATA_ONLY"});
  auto record = ReadExecution(ctx, in, arn);
  if (auto* e = std::get_if<AwsError>(&record)) return *e;
  const store::ExecutionRecord& r = std::get<store::ExecutionRecord>(record);
  const std::string& source =
      r.state_machine_version_arn.empty() ? r.state_machine_arn : r.state_machine_version_arn;
  Result<store::StateMachineRecord> machine = ctx->store->GetStateMachine(source);
  json::ObjectBuilder o;
  o.Append("stateMachineArn", Str(r.state_machine_arn));
  o.Append("name",
           Str(machine.ok()                         ? machine->name
               : ParseArn(r.state_machine_arn).ok() ? ParseArn(r.state_machine_arn)->state_machine
                                                    : std::string()));
  o.Append("definition", Str(r.definition));
  if (machine.ok()) {
    o.Append("roleArn", Str(machine->role_arn));
    o.Append("updateDate", EpochSeconds(machine->update_date != 0 ? machine->update_date
                                                                  : machine->creation_date));
    if (!machine->logging_configuration.empty()) {
      if (auto v = json::Parse(machine->logging_configuration); v.ok()) {
        o.Append("loggingConfiguration", *v);
      }
    }
    if (!machine->tracing_configuration.empty()) {
      if (auto v = json::Parse(machine->tracing_configuration); v.ok()) {
        o.Append("tracingConfiguration", *v);
      }
    }
    if (!machine->revision_id.empty()) o.Append("revisionId", Str(machine->revision_id));
  }
  if (!r.map_run_arn.empty()) o.Append("mapRunArn", Str(r.map_run_arn));
  return std::move(o).Build();
}

}  // namespace

void RegisterExecutionOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterAsyncOperations(ctx, protocol,
                          {{"StartExecution", StartExecution},
                           {"StartSyncExecution", StartSyncExecution},
                           {"StopExecution", StopExecution},
                           {"RedriveExecution", RedriveExecution}});
  RegisterSyncOperations(ctx, protocol,
                         {{"DescribeExecution", DescribeExecution},
                          {"ListExecutions", ListExecutions},
                          {"GetExecutionHistory", GetExecutionHistory},
                          {"DescribeStateMachineForExecution", DescribeStateMachineForExecution}});
}

}  // namespace stepfn::server
