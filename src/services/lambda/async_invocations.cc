#include "services/lambda/async_invocations.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include "common/clock.h"
#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"

namespace stepfn::lambda {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

// Lambda waits a minute before the second attempt and two before the third.
constexpr milliseconds kFunctionErrorDelays[] = {milliseconds(60'000), milliseconds(120'000)};
constexpr milliseconds kFirstBackoff(1'000);
constexpr milliseconds kMaxBackoff(300'000);

// A payload as the record shows it: parsed when it is JSON, else as a string.
json::Value PayloadJson(const std::string& payload) {
  if (payload.empty()) return json::Value();
  auto parsed = json::Parse(payload);
  return parsed.ok() ? std::move(parsed).value() : json::Value::String(payload);
}

}  // namespace

// One event's progress.
struct EventState {
  AsyncEvent event;
  int attempts = 0;         // attempts started (approximateInvokeCount)
  int function_errors = 0;  // attempts that ended in a function error
  milliseconds backoff = kFirstBackoff;
  // The event's age as Lambda counts it for MaximumEventAgeInSeconds: the delays waited before
  // retries, unscaled (so that --time-scale 0 retries at once yet still ages the event).
  milliseconds age{0};
};

struct AsyncInvocations::Core : std::enable_shared_from_this<Core> {
  explicit Core(AsyncInvocationsOptions o) : options(o) {}

  const AsyncInvocationsOptions options;
  std::mutex mu;
  std::condition_variable wake;
  std::multimap<SteadyTime, std::shared_ptr<EventState>> timers;  // guarded by mu
  int in_flight = 0;                                              // guarded by mu
  bool stopping = false;                                          // guarded by mu

  milliseconds Scaled(milliseconds delay) const {
    return milliseconds(
        static_cast<int64_t>(static_cast<double>(delay.count()) * options.time_scale));
  }

  void Attempt(std::shared_ptr<EventState> state) {
    ++state->attempts;
    std::function<void(InvokeDone)> run = state->event.run;
    run([core = shared_from_this(), state](InvokeOutcome outcome) mutable {
      core->Finished(std::move(state), std::move(outcome));
    });
  }

  void Finished(std::shared_ptr<EventState> state, InvokeOutcome outcome) {
    if (auto* response = std::get_if<InvokeResponse>(&outcome)) {
      if (response->function_error.empty()) return End(state, "Success", outcome);
      ++state->function_errors;
      if (state->function_errors > state->event.config.max_retry_attempts) {
        return End(state, "RetriesExhausted", outcome);
      }
      size_t index = std::min<size_t>(static_cast<size_t>(state->function_errors - 1),
                                      std::size(kFunctionErrorDelays) - 1);
      return Retry(std::move(state), kFunctionErrorDelays[index], std::move(outcome));
    }
    const InvokeError& error = std::get<InvokeError>(outcome);
    bool retriable = error.http_status == 429 || error.http_status >= 500;
    if (!retriable) return End(state, "RetriesExhausted", outcome);
    milliseconds delay = state->backoff;
    state->backoff = std::min(state->backoff * 2, kMaxBackoff);
    Retry(std::move(state), delay, std::move(outcome));
  }

  // Schedules the next attempt after `delay` (unscaled), unless the event would then be older
  // than its maximum age.
  void Retry(std::shared_ptr<EventState> state, milliseconds delay, InvokeOutcome last) {
    state->age += delay;
    if (state->age >
        milliseconds(static_cast<int64_t>(state->event.config.max_event_age_seconds) * 1000)) {
      return End(state, "EventAgeExceeded", last);
    }
    SteadyTime due = std::chrono::steady_clock::now() + Scaled(delay);
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) {
      std::fprintf(stderr,
                   "stepfn: asynchronous invocation %s of %s dropped: the server stopped before "
                   "its retry\n",
                   state->event.request_id.c_str(), state->event.function_arn.c_str());
      --in_flight;
      return;
    }
    timers.emplace(due, std::move(state));
    wake.notify_one();
  }

  void End(const std::shared_ptr<EventState>& state, const std::string& condition,
           const InvokeOutcome& outcome) {
    const AsyncEvent& event = state->event;
    if (condition != "Success") {
      std::string why;
      if (const auto* error = std::get_if<InvokeError>(&outcome)) {
        why = error->code + ": " + error->message;
      } else {
        why = "function error after " + std::to_string(state->attempts) + " attempts";
      }
      std::fprintf(stderr, "stepfn: asynchronous invocation %s of %s failed (%s): %s\n",
                   event.request_id.c_str(), event.function_arn.c_str(), condition.c_str(),
                   why.c_str());
    }
    const std::string& destination =
        condition == "Success" ? event.config.on_success : event.config.on_failure;
    if (!destination.empty() && event.deliver) {
      event.deliver(destination,
                    AsyncInvocations::Record(event, condition, state->attempts, outcome));
    }
    std::lock_guard<std::mutex> lock(mu);
    --in_flight;
  }

  void TimerLoop() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      if (timers.empty()) {
        wake.wait(lock);
        continue;
      }
      auto first = timers.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        wake.wait_until(lock, first->first);
        continue;
      }
      std::shared_ptr<EventState> state = std::move(first->second);
      timers.erase(first);
      lock.unlock();
      Attempt(std::move(state));
      lock.lock();
    }
    for (const auto& [due, state] : timers) {
      std::fprintf(stderr,
                   "stepfn: asynchronous invocation %s of %s dropped: the server stopped before "
                   "its retry\n",
                   state->event.request_id.c_str(), state->event.function_arn.c_str());
      --in_flight;
    }
    timers.clear();
  }
};

AsyncInvocations::AsyncInvocations(AsyncInvocationsOptions options)
    : core_(std::make_shared<Core>(options)) {
  timer_thread_ = std::thread([core = core_] { core->TimerLoop(); });
}

AsyncInvocations::~AsyncInvocations() {
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->stopping = true;
  }
  core_->wake.notify_all();
  timer_thread_.join();
}

void AsyncInvocations::Submit(AsyncEvent event) {
  auto state = std::make_shared<EventState>();
  state->event = std::move(event);
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    ++core_->in_flight;
  }
  core_->Attempt(std::move(state));
}

int AsyncInvocations::InFlight() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->in_flight;
}

std::string AsyncInvocations::Record(const AsyncEvent& event, const std::string& condition,
                                     int attempts, const InvokeOutcome& outcome) {
  SystemClock clock;
  json::ObjectBuilder context;
  context.Append("requestId", json::Value::String(event.request_id));
  context.Append("functionArn", json::Value::String(event.function_arn));
  context.Append("condition", json::Value::String(condition));
  context.Append("approximateInvokeCount", json::Value::Int(attempts));
  json::ObjectBuilder response_context;
  json::Value response_payload = json::Value();
  if (const auto* response = std::get_if<InvokeResponse>(&outcome)) {
    response_context.Append("statusCode", json::Value::Int(200));
    response_context.Append("executedVersion", json::Value::String(response->executed_version));
    if (!response->function_error.empty()) {
      response_context.Append("functionError", json::Value::String(response->function_error));
    }
    response_payload = PayloadJson(response->payload);
  } else {
    const InvokeError& error = std::get<InvokeError>(outcome);
    response_context.Append("statusCode", json::Value::Int(error.http_status));
    json::ObjectBuilder body;
    body.Append("errorType", json::Value::String(error.code));
    body.Append("errorMessage", json::Value::String(error.message));
    response_payload = std::move(body).Build();
  }
  json::ObjectBuilder out;
  out.Append("version", json::Value::String("1.0"));
  out.Append("timestamp", json::Value::String(FormatIso8601Millis(clock.NowMillis())));
  out.Append("requestContext", std::move(context).Build());
  out.Append("requestPayload", PayloadJson(event.payload));
  out.Append("responseContext", std::move(response_context).Build());
  out.Append("responsePayload", std::move(response_payload));
  return json::Write(std::move(out).Build());
}

}  // namespace stepfn::lambda
