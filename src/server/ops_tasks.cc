// Callbacks and activity workers: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat and
// GetActivityTask (a long poll of up to 60 s).
#include <atomic>
#include <unordered_map>

#include "json/parse.h"
#include "server/executor.h"
#include "server/request.h"
#include "server/service.h"
#include "server/timer_queue.h"

namespace stepfn::server {
namespace {

using api::AwsError;
using api::AwsOr;
using api::OperationRequest;
using api::OperationResponder;

constexpr size_t kMaxTaskTokenLength = 2048;
constexpr size_t kMaxOutputLength = 262144;
constexpr size_t kMaxErrorLength = 256;
constexpr size_t kMaxCauseLength = 32768;
constexpr int64_t kActivityPollMillis = 60'000;

json::Value Str(std::string_view s) { return json::Value::String(s); }

// Our tokens are 32 lower-case hex digits (eval::Stepper::NewTaskToken).
bool WellFormedToken(std::string_view token) {
  if (token.size() != 32) return false;
  for (char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

AwsError TaskTimedOut() {
  return {400, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'"};
}

// Finds the token's task and hands `input` (its id filled in here) to its execution; answers
// once the execution committed it.
void DeliverToTask(ServiceContext* ctx, const std::string& token, eval::Input input,
                   OperationResponder responder) {
  if (!WellFormedToken(token)) return responder.Fail(InvalidTokenError("Invalid token"));
  Result<store::TaskTokenRecord> record = ctx->store->GetTaskToken(token);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::NotFound) return responder.Fail(TaskTimedOut());
    return responder.Fail(StoreFailure(record.status()));
  }
  input.id = static_cast<uint64_t>(record->task_id);
  auto resp = std::make_shared<OperationResponder>(std::move(responder));
  ctx->executor->Deliver(record->execution_arn, std::move(input), [resp](Status s) {
    if (s.ok()) return resp->Succeed(json::Value::EmptyObject());
    if (s.code() == StatusCode::NotFound || s.code() == StatusCode::FailedPrecondition) {
      return resp->Fail(TaskTimedOut());
    }
    resp->Fail(StoreFailure(s));
  });
}

void SendTaskSuccess(ServiceContext* ctx, OperationRequest request, OperationResponder responder) {
  RequestReader in(request.input);
  auto token = in.String("taskToken", 1, kMaxTaskTokenLength, Presence::Required);
  auto output =
      in.String("output", 0, kMaxOutputLength, Presence::Required, Sensitivity::Sensitive);
  if (auto error = in.Finish()) return responder.Fail(*error);
  Result<json::Value> value = json::Parse(*output);
  if (!value.ok()) {
    return responder.Fail(
        {400, "InvalidOutput", "Invalid Output: '" + std::string(value.status().message()) + "'"});
  }
  eval::Input input;
  input.kind = eval::InputKind::TaskSucceeded;
  input.value = std::move(*value);
  DeliverToTask(ctx, *token, std::move(input), std::move(responder));
}

void SendTaskFailure(ServiceContext* ctx, OperationRequest request, OperationResponder responder) {
  RequestReader in(request.input);
  auto token = in.String("taskToken", 1, kMaxTaskTokenLength, Presence::Required);
  auto error = in.String("error", 0, kMaxErrorLength, Presence::Optional, Sensitivity::Sensitive);
  auto cause = in.String("cause", 0, kMaxCauseLength, Presence::Optional, Sensitivity::Sensitive);
  if (auto e = in.Finish()) return responder.Fail(*e);
  eval::Input input;
  input.kind = eval::InputKind::TaskFailed;
  input.error = error.value_or("");
  input.cause = cause.value_or("");
  DeliverToTask(ctx, *token, std::move(input), std::move(responder));
}

void SendTaskHeartbeat(ServiceContext* ctx, OperationRequest request,
                       OperationResponder responder) {
  RequestReader in(request.input);
  auto token = in.String("taskToken", 1, kMaxTaskTokenLength, Presence::Required);
  if (auto e = in.Finish()) return responder.Fail(*e);
  eval::Input input;
  input.kind = eval::InputKind::TaskHeartbeat;
  DeliverToTask(ctx, *token, std::move(input), std::move(responder));
}

// GetActivityTask long polls: a worker waits up to 60 s for a task of its activity.
class ActivityPolls {
 public:
  explicit ActivityPolls(ServiceContext* ctx)
      : ctx_(ctx), timeouts_(ctx->clock, [this](const std::string&, uint64_t id) { Expire(id); }) {}

  void Poll(std::string activity_arn, std::string worker, OperationResponder responder) {
    auto poll = std::make_shared<Pending>();
    poll->activity_arn = std::move(activity_arn);
    poll->worker = std::move(worker);
    poll->responder = std::move(responder);
    poll->id = next_.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      polls_[poll->id] = poll;
    }
    timeouts_.Add("", poll->id, ctx_->clock->NowMillis() + kActivityPollMillis);
    TryClaim(poll);
  }

 private:
  struct Pending {
    std::mutex mu;
    uint64_t id = 0;
    std::string activity_arn;
    std::string worker;
    OperationResponder responder{api::Responder(), ""};
    bool done = false;
    uint64_t waiter = 0;
  };

  // Registers for a wake-up first, then claims: a task queued in between still wakes us.
  void TryClaim(const std::shared_ptr<Pending>& poll) {
    {
      std::lock_guard<std::mutex> lock(poll->mu);
      if (poll->done) return;
      poll->waiter =
          ctx_->executor->WaitForActivity(poll->activity_arn, [this, poll] { TryClaim(poll); });
    }
    Result<std::optional<store::TaskTokenRecord>> claimed =
        ctx_->store->ClaimActivityTask(poll->activity_arn, poll->worker, ctx_->clock->NowMillis());
    if (claimed.ok() && !claimed->has_value()) return;  // wait for the wake-up or the timeout
    std::lock_guard<std::mutex> lock(poll->mu);
    if (poll->done) return;
    poll->done = true;
    ctx_->executor->Unwait(poll->waiter);
    Forget(poll->id);
    if (!claimed.ok()) return poll->responder.Fail(StoreFailure(claimed.status()));
    const store::TaskTokenRecord& task = **claimed;
    // The execution records ActivityStarted with the worker's name.
    eval::Input started;
    started.kind = eval::InputKind::TaskStarted;
    started.id = static_cast<uint64_t>(task.task_id);
    started.value = json::Value::String(poll->worker);
    ctx_->executor->Deliver(task.execution_arn, std::move(started), nullptr);
    poll->responder.Succeed(
        json::Value::Object({{"taskToken", Str(task.token)}, {"input", Str(task.input)}}));
  }

  void Expire(uint64_t id) {
    std::shared_ptr<Pending> poll;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = polls_.find(id);
      if (it == polls_.end()) return;
      poll = it->second;
      polls_.erase(it);
    }
    std::lock_guard<std::mutex> lock(poll->mu);
    if (poll->done) return;
    poll->done = true;
    ctx_->executor->Unwait(poll->waiter);
    // No task in 60 s: AWS answers with no taskToken.
    poll->responder.Succeed(json::Value::EmptyObject());
  }

  void Forget(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    polls_.erase(id);
  }

  ServiceContext* const ctx_;
  std::atomic<uint64_t> next_{1};
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Pending>> polls_;
  TimerQueue timeouts_;
};

void GetActivityTask(ServiceContext* ctx, ActivityPolls* polls, OperationRequest request,
                     OperationResponder responder) {
  RequestReader in(request.input);
  auto arn = in.String("activityArn", 1, kMaxArnLength, Presence::Required);
  auto worker = in.String("workerName", 1, kMaxNameLength);
  if (auto e = in.Finish()) return responder.Fail(*e);
  auto parsed = ParseArnAs(*arn, {ArnKind::Activity});
  if (auto* e = std::get_if<AwsError>(&parsed)) return responder.Fail(*e);
  Result<store::ActivityRecord> activity = ctx->store->GetActivity(*arn);
  if (!activity.ok()) {
    if (activity.status().code() == StatusCode::NotFound) {
      return responder.Fail(
          {400, "ActivityDoesNotExist", "Activity Does Not Exist: '" + *arn + "'"});
    }
    return responder.Fail(StoreFailure(activity.status()));
  }
  polls->Poll(*arn, worker.value_or(""), std::move(responder));
}

}  // namespace

void RegisterTaskOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterAsyncOperations(ctx, protocol,
                          {{"SendTaskSuccess", SendTaskSuccess},
                           {"SendTaskFailure", SendTaskFailure},
                           {"SendTaskHeartbeat", SendTaskHeartbeat}});
  // The polls live as long as the protocol's operations (the process).
  auto polls = std::make_shared<ActivityPolls>(ctx);
  protocol->Register("GetActivityTask",
                     [ctx, polls](OperationRequest req, OperationResponder resp) {
                       GetActivityTask(ctx, polls.get(), std::move(req), std::move(resp));
                     });
}

}  // namespace stepfn::server
