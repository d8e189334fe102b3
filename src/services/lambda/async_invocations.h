// AsyncInvocations: what happens to an invocation of type Event after Invoke answered 202.
//
// Each event runs in the background and is retried as Lambda retries asynchronous invocations:
// - a function error (the function threw, crashed or timed out) is retried up to
//   MaximumRetryAttempts times (default 2), one minute before the second attempt and two minutes
//   before the third;
// - throttling (429) and the service's own errors (5xx) are retried with a backoff (1 s doubling
//   to 5 min) without counting as attempts, until the event is MaximumEventAgeInSeconds old
//   (default 6 hours);
// - any other refusal (the function was deleted, ...) is not retried.
// When the event ends, its invocation record (AWS's "version 1.0" shape) goes to the OnSuccess or
// OnFailure destination of the function's event invoke configuration, if one is set.
//
// Delays are multiplied by `time_scale` (`stepfn serve --time-scale`; 0 retries at once). Events
// are kept in memory: a server that stops drops the retries still waiting (each is logged).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "services/lambda/invoke.h"

namespace stepfn::lambda {

// A function's (or one qualifier's) PutFunctionEventInvokeConfig.
struct EventInvokeConfig {
  int max_retry_attempts = 2;
  int max_event_age_seconds = 21'600;
  std::string on_success;  // destination ARN, "" for none
  std::string on_failure;
};

// One event to run.
struct AsyncEvent {
  std::string request_id;
  std::string function_arn;  // qualified with the version that ran ("...:function:f:$LATEST")
  std::string payload;       // the request body
  EventInvokeConfig config;
  // Runs one attempt; `done` exactly once, from any thread.
  std::function<void(InvokeDone done)> run;
  // Sends an invocation record (JSON text) to a destination ARN.
  std::function<void(const std::string& destination, std::string record)> deliver;
};

struct AsyncInvocationsOptions {
  double time_scale = 1.0;
};

class AsyncInvocations {
 public:
  explicit AsyncInvocations(AsyncInvocationsOptions options = {});
  // Stops the timer thread; retries still waiting are dropped (and logged).
  ~AsyncInvocations();

  AsyncInvocations(const AsyncInvocations&) = delete;
  AsyncInvocations& operator=(const AsyncInvocations&) = delete;

  // Runs the event's first attempt now (on the caller's thread until it is handed to a worker).
  void Submit(AsyncEvent event);

  // Events submitted and not yet ended (running or waiting for a retry).
  int InFlight() const;

  // The invocation record sent to a destination (exposed for tests). `condition`: "Success",
  // "RetriesExhausted" or "EventAgeExceeded"; `outcome` is the last attempt's.
  static std::string Record(const AsyncEvent& event, const std::string& condition, int attempts,
                            const InvokeOutcome& outcome);

 private:
  // The queue and counters, shared with the callbacks of attempts still running so that an
  // attempt that ends after this object is gone finds them.
  struct Core;
  std::shared_ptr<Core> core_;
  std::thread timer_thread_;
};

}  // namespace stepfn::lambda
