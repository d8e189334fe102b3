// Task states: Parameters, TimeoutSeconds and HeartbeatSeconds timers, the RunTask command.
#include <algorithm>
#include <cmath>
#include <optional>

#include "asl/program.h"
#include "eval/io.h"
#include "eval/stepper.h"
#include "expr/intrinsic.h"
#include "expr/timestamp.h"
#include "json/write.h"

namespace stepfn::eval::internal {

void Stepper::ExecuteTask(Frame* f) {
  const State& s = StateOf(*f);
  f->task_token.clear();
  // Callbacks and activity tasks are answered by whoever holds their token.
  const bool activity = IsActivity(s);
  if (activity || s.waits_for_token) f->task_token = NewTaskToken();
  json::Value params;
  if (!ApplyTemplate(f, s.parameters, f->effective, &params)) return;
  Observe(*f, ProbeStage::AfterParameters, params);
  double timeout = 0;
  if (s.timeout_seconds.literal) timeout = *s.timeout_seconds.literal;
  if (s.timeout_seconds.path) {
    auto v = s.timeout_seconds.path->Evaluate(f->effective);
    if (!v.ok() || !v->is_number() || v->as_double() <= 0) {
      FailState(f, RuntimeError(*f,
                                "The TimeoutSecondsPath parameter does not reference a "
                                "positive integer: " +
                                    s.timeout_seconds.path->text()));
      return;
    }
    timeout = v->as_double();
  }
  double heartbeat = 0;
  if (s.heartbeat_seconds.literal) heartbeat = *s.heartbeat_seconds.literal;
  if (s.heartbeat_seconds.path) {
    auto v = s.heartbeat_seconds.path->Evaluate(f->effective);
    if (!v.ok() || !v->is_number() || v->as_double() <= 0) {
      FailState(f, RuntimeError(*f,
                                "The HeartbeatSecondsPath parameter does not reference a "
                                "positive integer: " +
                                    s.heartbeat_seconds.path->text()));
      return;
    }
    heartbeat = v->as_double();
  }
  if (activity) {
    // An activity task starts when a worker takes it (an InputKind::TaskStarted).
    HistoryEvent& sched = Emit(f, EventType::ActivityScheduled);
    SetResource(s, &sched);
    sched.payload = params;
  } else {
    // A Lambda function ARN as the Resource: AWS records LambdaFunction* events.
    const bool function = IsLambdaFunction(s);
    HistoryEvent& sched =
        Emit(f, function ? EventType::LambdaFunctionScheduled : EventType::TaskScheduled);
    SetResource(s, &sched);
    sched.payload = params;
    // timeoutInSeconds (whole seconds, as AWS's TimeoutInSeconds is a long).
    if (timeout > 0 && timeout < 2147483647.0) sched.index = static_cast<int32_t>(timeout);
    HistoryEvent& started =
        Emit(f, function ? EventType::LambdaFunctionStarted : EventType::TaskStarted);
    if (!function) SetResource(s, &started);
  }
  uint64_t id = NewId();
  st_.pending[id] = f->id;
  f->pending = id;
  f->phase = FramePhase::WaitTask;
  Command& c = out_->commands.emplace_back();
  c.kind = CommandKind::RunTask;
  c.id = id;
  c.state = &s;
  f->task_parameters = params;
  f->task_timeout_seconds = timeout;
  c.parameters = std::move(params);
  c.retry_count = f->retry_total;
  c.timeout_seconds = timeout;
  c.task_token = f->task_token;
  if (timeout > 0) f->timeout_timer = StartTaskTimer(f, timeout);
  f->heartbeat_seconds = heartbeat;
  if (heartbeat > 0) f->heartbeat_timer = StartTaskTimer(f, heartbeat);
}

// 32 hex digits from the execution's random stream: unguessable when the seed is random, and
// the same on a replay from the same state.
std::string Stepper::NewTaskToken() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(32);
  for (int i = 0; i < 2; ++i) {
    uint64_t r = NextRandom(&st_.rng);
    for (int b = 0; b < 16; ++b, r >>= 4) token.push_back(kHex[r & 15]);
  }
  return token;
}

std::string Stepper::NewUuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = NextRandom(&st_.rng), lo = NextRandom(&st_.rng);
  hi = (hi & ~uint64_t{0xf000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // variant 10
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    out.push_back(kHex[(word >> shift) & 15]);
  }
  return out;
}

uint64_t Stepper::StartTaskTimer(Frame* f, double seconds) {
  uint64_t t = NewId();
  st_.pending[t] = f->id;
  Command& timer = out_->commands.emplace_back();
  timer.kind = CommandKind::StartTimer;
  timer.id = t;
  timer.fire_at = st_.now + static_cast<EpochMillis>(seconds * 1000);
  return t;
}

void Stepper::CancelTimer(uint64_t* id) {
  if (*id == 0) return;
  Command& cancel = out_->commands.emplace_back();
  cancel.kind = CommandKind::CancelTimer;
  cancel.id = *id;
  st_.pending.erase(*id);
  *id = 0;
}

void Stepper::CancelTaskTimers(Frame* f) {
  CancelTimer(&f->timeout_timer);
  CancelTimer(&f->heartbeat_timer);
}

}  // namespace stepfn::eval::internal
