// DescribeMapRun, ListMapRuns, UpdateMapRun. A Distributed Map run lives in its execution's
// state (eval::MapRun: counts, status, limits); the store knows which execution started which
// run (Store::FindMapRun). UpdateMapRun is an input to the execution, committed like any other.
#include <memory>
#include <string>

#include "api/aws_json.h"
#include "eval/state_codec.h"
#include "eval/step.h"
#include "json/value.h"
#include "server/execution_blob.h"
#include "server/executor.h"
#include "server/request.h"
#include "server/service.h"

namespace stepfn::server {
namespace {

using api::AwsError;
using api::AwsOr;
using api::OperationRequest;
using api::OperationResponder;
using json::Value;

constexpr size_t kMaxLongArnLength = 2000;  // shape LongArn

AwsError MapRunNotFound(std::string_view arn) {
  return {400, "ResourceNotFound", "Resource not found: '" + std::string(arn) + "'"};
}

// An execution's record and its decoded state (the last committed one).
struct Loaded {
  store::ExecutionRecord record;
  std::unique_ptr<eval::ExecutionState> state;
};

AwsOr<Loaded> LoadExecution(ServiceContext* ctx, const std::string& execution_arn) {
  Result<store::ExecutionRecord> record =
      ctx->executor->StoreFor(execution_arn)->GetExecution(execution_arn);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::NotFound) return ExecutionDoesNotExist(execution_arn);
    return StoreFailure(record.status());
  }
  Loaded loaded;
  loaded.record = std::move(*record);
  Result<ExecutionBlob> blob = DecodeExecutionBlob(loaded.record.state);
  if (!blob.ok()) return StoreFailure(blob.status());
  auto program =
      ctx->executor->programs().Get(loaded.record.definition, asl::MachineType::Standard);
  if (!program.ok()) return StoreFailure(program.status());
  auto state = eval::DecodeState(**program, blob->state);
  if (!state.ok()) return StoreFailure(state.status());
  loaded.state = std::move(*state);
  return loaded;
}

// The execution that started `map_run_arn`, and the run's index in its state.
struct FoundRun {
  Loaded execution;
  size_t index = 0;
};

AwsOr<FoundRun> FindRun(ServiceContext* ctx, const std::string& map_run_arn) {
  auto parsed = ParseArnAs(map_run_arn, {ArnKind::MapRun});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  Result<std::string> execution_arn = ctx->store->FindMapRun(map_run_arn);
  if (!execution_arn.ok()) {
    if (execution_arn.status().code() == StatusCode::NotFound) return MapRunNotFound(map_run_arn);
    return StoreFailure(execution_arn.status());
  }
  auto loaded = LoadExecution(ctx, *execution_arn);
  if (auto* e = std::get_if<AwsError>(&loaded)) {
    // The execution is gone (an evicted one): so is its run.
    if (e->code == "ExecutionDoesNotExist") return MapRunNotFound(map_run_arn);
    return *e;
  }
  FoundRun found{std::move(std::get<Loaded>(loaded)), 0};
  const auto& runs = found.execution.state->map_runs;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (eval::MapRunArn(*found.execution.state, i) == map_run_arn) {
      found.index = i;
      return found;
    }
  }
  return MapRunNotFound(map_run_arn);
}

std::string_view StatusName(eval::MapRunStatus status) {
  switch (status) {
    case eval::MapRunStatus::Running:
      return "RUNNING";
    case eval::MapRunStatus::Succeeded:
      return "SUCCEEDED";
    case eval::MapRunStatus::Failed:
      return "FAILED";
    case eval::MapRunStatus::Aborted:
      return "ABORTED";
  }
  return "RUNNING";
}

// MapRunItemCounts / MapRunExecutionCounts: one item per child here, so both are the same.
Value Counts(const eval::MapRun& run) {
  uint64_t running = run.started - run.succeeded - run.failed;
  uint64_t pending = run.total - run.started;
  uint64_t aborted = 0;
  if (run.status != eval::MapRunStatus::Running) {
    aborted = running + pending;  // what never ended or never started
    running = 0;
    pending = 0;
  }
  auto n = [](uint64_t v) { return Value::Int(static_cast<int64_t>(v)); };
  return Value::Object({{"pending", n(pending)},
                        {"running", n(running)},
                        {"succeeded", n(run.succeeded)},
                        {"failed", n(run.failed)},
                        {"timedOut", n(0)},
                        {"aborted", n(aborted)},
                        {"total", n(run.total)},
                        {"resultsWritten", n(0)},
                        {"failuresNotRedrivable", n(0)},
                        {"pendingRedrive", n(0)}});
}

AwsOr<Value> DescribeMapRun(ServiceContext* ctx, const OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("mapRunArn", 1, kMaxLongArnLength, Presence::Required);
  if (auto error = in.Finish()) return *error;
  auto found = FindRun(ctx, *arn);
  if (auto* e = std::get_if<AwsError>(&found)) return *e;
  const FoundRun& f = std::get<FoundRun>(found);
  const eval::MapRun& run = f.execution.state->map_runs[f.index];
  json::ObjectBuilder o;
  o.Append("mapRunArn", Value::String(*arn));
  o.Append("executionArn", Value::String(f.execution.record.arn));
  o.Append("status", Value::String(StatusName(run.status)));
  o.Append("startDate", EpochSeconds(run.start_date));
  if (run.stop_date != 0) o.Append("stopDate", EpochSeconds(run.stop_date));
  o.Append("maxConcurrency", Value::Int(static_cast<int64_t>(run.max_concurrency)));
  o.Append("toleratedFailurePercentage",
           Value::Double(run.tolerated_percentage < 0 ? 0 : run.tolerated_percentage));
  o.Append("toleratedFailureCount",
           Value::Int(run.tolerated_count < 0 ? 0 : static_cast<int64_t>(run.tolerated_count)));
  o.Append("itemCounts", Counts(run));
  o.Append("executionCounts", Counts(run));
  o.Append("redriveCount", Value::Int(0));
  return std::move(o).Build();
}

AwsOr<Value> ListMapRuns(ServiceContext* ctx, const OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("executionArn", 1, kMaxArnLength, Presence::Required);
  auto max_results = in.MaxResults();
  auto next_token = in.NextToken();
  if (auto error = in.Finish()) return *error;
  auto parsed = ParseArnAs(*arn, {ArnKind::Execution, ArnKind::ExpressExecution});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  std::string scope = "ListMapRuns|" + *arn;
  auto token = UnwrapPageToken(scope, next_token);
  if (auto* e = std::get_if<AwsError>(&token)) return *e;
  size_t offset = 0;
  const std::string& from = std::get<std::string>(token);
  if (!from.empty()) {
    char* end = nullptr;
    offset = std::strtoull(from.c_str(), &end, 10);
    if (end == from.c_str() || *end != '\0') return InvalidTokenError("Invalid token");
  }
  auto loaded = LoadExecution(ctx, *arn);
  if (auto* e = std::get_if<AwsError>(&loaded)) return *e;
  const Loaded& l = std::get<Loaded>(loaded);
  const auto& runs = l.state->map_runs;
  const size_t limit = static_cast<size_t>(PageSize(max_results));
  std::vector<Value> items;
  size_t i = offset;
  for (; i < runs.size() && items.size() < limit; ++i) {
    const eval::MapRun& run = runs[i];
    json::ObjectBuilder item;
    item.Append("executionArn", Value::String(*arn));
    item.Append("mapRunArn", Value::String(eval::MapRunArn(*l.state, i)));
    // The run's children belong to the state machine "<machine>/<label>".
    item.Append(
        "stateMachineArn",
        Value::String(ctx->arns.StateMachine(l.state->info->state_machine_name + "/" + run.label)));
    item.Append("startDate", EpochSeconds(run.start_date));
    if (run.stop_date != 0) item.Append("stopDate", EpochSeconds(run.stop_date));
    items.push_back(std::move(item).Build());
  }
  json::ObjectBuilder out;
  out.Append("mapRuns", Value::Array(std::move(items)));
  if (i < runs.size()) {
    out.Append("nextToken", Value::String(WrapPageToken(scope, std::to_string(i))));
  }
  return std::move(out).Build();
}

void UpdateMapRun(ServiceContext* ctx, OperationRequest request, OperationResponder responder) {
  RequestReader in(request.input);
  auto arn = in.String("mapRunArn", 1, kMaxLongArnLength, Presence::Required);
  auto max_concurrency = in.Int("maxConcurrency", 0, std::numeric_limits<int32_t>::max());
  auto percentage = in.Double("toleratedFailurePercentage", 0, 100);
  auto count = in.Int("toleratedFailureCount", 0, std::numeric_limits<int64_t>::max());
  if (auto error = in.Finish()) return responder.Fail(*error);
  auto found = FindRun(ctx, *arn);
  if (auto* e = std::get_if<AwsError>(&found)) return responder.Fail(*e);
  const FoundRun& f = std::get<FoundRun>(found);
  // A run that ended keeps the limits it ended with.
  if (f.execution.state->map_runs[f.index].status != eval::MapRunStatus::Running) {
    return responder.Succeed(Value::Object({}));
  }
  json::ObjectBuilder change;
  if (max_concurrency) change.Append("maxConcurrency", Value::Int(*max_concurrency));
  if (percentage) change.Append("toleratedFailurePercentage", Value::Double(*percentage));
  if (count) change.Append("toleratedFailureCount", Value::Int(*count));
  eval::Input input;
  input.kind = eval::InputKind::UpdateMapRun;
  input.id = f.index;
  input.value = std::move(change).Build();
  auto resp = std::make_shared<OperationResponder>(std::move(responder));
  ctx->executor->Deliver(f.execution.record.arn, std::move(input), [resp](Status committed) {
    // NotFound / FailedPrecondition: the execution ended meanwhile, and the run with it.
    if (committed.ok() || committed.code() == StatusCode::NotFound ||
        committed.code() == StatusCode::FailedPrecondition) {
      return resp->Succeed(Value::Object({}));
    }
    resp->Fail(StoreFailure(committed));
  });
}

}  // namespace

void RegisterMapRunOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterSyncOperations(ctx, protocol,
                         {{"DescribeMapRun", DescribeMapRun}, {"ListMapRuns", ListMapRuns}});
  RegisterAsyncOperations(ctx, protocol, {{"UpdateMapRun", UpdateMapRun}});
}

}  // namespace stepfn::server
