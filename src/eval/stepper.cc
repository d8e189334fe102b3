// Stepper's core: frames, events, the run loop, and what every state shares (entering,
// completing through ResultSelector/ResultPath/OutputPath, exiting, Retry and Catch, the end of
// the execution). The state types' own work is in state_*.cc.
#include "eval/stepper.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "asl/program.h"
#include "eval/io.h"
#include "expr/intrinsic.h"
#include "expr/timestamp.h"
#include "json/write.h"

namespace stepfn::eval::internal {

EventType EnteredType(StateType t) {
  switch (t) {
    case StateType::Pass:
      return EventType::PassStateEntered;
    case StateType::Task:
      return EventType::TaskStateEntered;
    case StateType::Choice:
      return EventType::ChoiceStateEntered;
    case StateType::Wait:
      return EventType::WaitStateEntered;
    case StateType::Succeed:
      return EventType::SucceedStateEntered;
    case StateType::Fail:
      return EventType::FailStateEntered;
    case StateType::Parallel:
      return EventType::ParallelStateEntered;
    case StateType::Map:
      return EventType::MapStateEntered;
  }
  return EventType::PassStateEntered;
}

EventType ExitedType(StateType t) {
  switch (t) {
    case StateType::Pass:
      return EventType::PassStateExited;
    case StateType::Task:
      return EventType::TaskStateExited;
    case StateType::Choice:
      return EventType::ChoiceStateExited;
    case StateType::Wait:
      return EventType::WaitStateExited;
    case StateType::Succeed:
      return EventType::SucceedStateExited;
    case StateType::Fail:
      return EventType::FailStateEntered;  // Fail never exits
    case StateType::Parallel:
      return EventType::ParallelStateExited;
    case StateType::Map:
      return EventType::MapStateExited;
  }
  return EventType::PassStateExited;
}

uint64_t NextRandom(uint64_t* s) {
  // splitmix64: deterministic, seeded per execution.
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void SetResource(const State& s, HistoryEvent* e) { e->resource = s.resource_names; }

bool ErrorMatches(const std::vector<std::string>& names, const std::string& error,
                  bool task_reported) {
  for (const auto& n : names) {
    if (n == error) return true;
    if (n == "States.ALL") {
      // States.ALL does not catch the terminal errors (but a task's oversized result it does).
      if (error != "States.Runtime" && (error != "States.DataLimitExceeded" || task_reported)) {
        return true;
      }
    }
    if (n == "States.TaskFailed" && error != "States.Timeout" && error != "States.Runtime" &&
        error != "States.DataLimitExceeded" && error.rfind("States.", 0) != 0) {
      return true;
    }
  }
  return false;
}

void Stepper::Bury(uint64_t id) {
  auto it = st_.frames.find(id);
  if (it == st_.frames.end()) return;
  it->second->phase = FramePhase::Done;
  if (graveyard_.capacity() == 0) graveyard_.reserve(16);  // one allocation for most Steps
  graveyard_.push_back(std::move(it->second));
  st_.frames.erase(it);
}

HistoryEvent& Stepper::EmitSlow(Frame* f, EventType type) {
  if ((f != nullptr && f->silent)) {
    scratch_ = HistoryEvent();
    return scratch_;
  }
  if (st_.next_event_id >= history_limit_) {
    // The last slot under the history limit is kept for the execution's final event.
    bool final_event = type == EventType::ExecutionSucceeded ||
                       type == EventType::ExecutionFailed || type == EventType::ExecutionTimedOut ||
                       type == EventType::ExecutionAborted;
    if (!final_event) {
      history_full_ = true;
      scratch_ = HistoryEvent();
      return scratch_;
    }
  }
  HistoryEvent& e =
      out_->discard_events ? (scratch_ = HistoryEvent()) : out_->events.emplace_back();
  e.id = st_.next_event_id++;
  e.previous_event_id = f ? f->last_event_id : (e.id - 1);
  e.timestamp = st_.now;
  e.type = type;
  if (f) f->last_event_id = e.id;
  return e;
}

Frame* Stepper::NewFrame(uint64_t parent, size_t child_index, const asl::Body* body,
                         json::Value input) {
  // `new Frame`, not make_unique<Frame>(): value-initialisation would zero the whole frame
  // before its members' initialisers run.
  std::unique_ptr<Frame> f(new Frame);
  f->id = NewId();
  f->parent = parent;
  f->child_index = child_index;
  f->body = body;
  f->state = body->start;
  f->input = std::move(input);
  Frame* raw = f.get();
  if (Frame* p = FindFrame(parent)) {
    raw->last_event_id = p->last_event_id;
    raw->silent = p->silent || (p->body->states[static_cast<size_t>(p->state)].distributed);
  }
  st_.frames.emplace(raw->id, std::move(f));
  return raw;
}

void Stepper::FreeFrame(uint64_t id) {
  Frame* f = FindFrame(id);
  if (f == nullptr) return;
  if (f->fanout) EndMapRun(*f->fanout, MapRunStatus::Aborted);
  AbortChildren(f);
  if (f->timeout_timer != 0) st_.pending.erase(f->timeout_timer);
  if (f->heartbeat_timer != 0) st_.pending.erase(f->heartbeat_timer);
  if (f->pending != 0) {
    Command& c = out_->commands.emplace_back();
    c.kind = f->phase == FramePhase::WaitTask ? CommandKind::CancelTask : CommandKind::CancelTimer;
    c.id = f->pending;
    st_.pending.erase(f->pending);
  }
  Bury(id);
}

void Stepper::AbortChildren(Frame* f) {
  if (!f->fanout) return;
  std::vector<uint64_t> running(f->fanout->running.begin(), f->fanout->running.end());
  std::sort(running.begin(), running.end());  // the same order after a replay
  f->fanout->running.clear();
  for (uint64_t c : running) FreeFrame(c);
}

// The constant part of $$ (Execution, StateMachine), built the first time a state needs it.
void Stepper::BuildExecutionContext() {
  const ExecutionInfo& info = *st_.info;
  json::ObjectBuilder exec;
  exec.Append("Id", json::Value::String(info.execution_arn));
  exec.Append("Input", st_.execution_input);
  exec.Append("StartTime", json::Value::String(FormatIso8601Millis(info.start_time)));
  exec.Append("Name", json::Value::String(info.execution_name));
  exec.Append("RoleArn", json::Value::String(info.role_arn));
  if (!info.express) exec.Append("RedriveCount", json::Value::Int(st_.redrive_count));
  json::ObjectBuilder sm;
  sm.Append("Id", json::Value::String(info.state_machine_arn));
  sm.Append("Name", json::Value::String(info.state_machine_name));
  json::ObjectBuilder ctx;
  ctx.Append("Execution", std::move(exec).Build());
  ctx.Append("StateMachine", std::move(sm).Build());
  st_.context_execution = std::move(ctx).Build();
}

json::Value Stepper::ContextFor(const Frame& f, const json::Value* map_item, int64_t index) {
  if (probe_ != nullptr) {
    if (const json::Value* given = probe_->Context()) return *given;
  }
  const State& s = StateOf(f);
  json::ObjectBuilder state;
  state.Reserve(3);
  state.Append("Name", json::Value::String(s.name));
  state.Append("EnteredTime", json::Value::String(FormatIso8601Millis(f.entered_time)));
  if (s.type == StateType::Task) state.Append("RetryCount", json::Value::Int(f.retry_total));
  if (st_.context_execution.is_null()) BuildExecutionContext();
  json::ObjectBuilder ctx(st_.context_execution);
  ctx.Append("State", std::move(state).Build());
  if (s.type == StateType::Task && !f.task_token.empty()) {
    ctx.Append("Task", json::Value::Object({{"Token", json::Value::String(f.task_token)}}));
  }
  if (map_item != nullptr) {
    json::ObjectBuilder item;
    item.Append("Index", json::Value::Int(index));
    item.Append("Value", *map_item);
    ctx.Append("Map", json::Value::Object({{"Item", std::move(item).Build()}}));
  }
  return std::move(ctx).Build();
}

expr::Scope Stepper::ScopeFor(const json::Value* input, const json::Value* context) {
  expr::Scope scope;
  scope.input = input;
  scope.context = context;
  uint64_t* rng = &st_.rng;
  scope.random = [rng] { return NextRandom(rng); };
  return scope;
}

bool Stepper::CheckSizeSlow(Frame* f, const json::Value& v, const char* what) {
  if (FitsPayloadLimit(v, st_.info->max_payload_bytes)) return true;
  FailState(f, {"States.DataLimitExceeded",
                std::string("The state/task '") + StateOf(*f).name + "' " + what +
                    " a result with a size exceeding the maximum number of bytes service limit."});
  return false;
}

void Stepper::Start(const json::Value& input) {
  const asl::Body& root = program_.root();
  st_.execution_input = input;
  HistoryEvent& e = Emit(nullptr, EventType::ExecutionStarted);
  e.previous_event_id = 0;
  e.payload = input;
  if (!st_.info->role_arn.empty()) e.name = json::Value::String(st_.info->role_arn);
  std::optional<double> timeout = program_.timeout_seconds();
  if (!timeout && st_.info->default_timeout_seconds > 0)
    timeout = st_.info->default_timeout_seconds;
  if (timeout) {
    st_.timeout_timer = NewId();
    st_.pending[st_.timeout_timer] = 0;
    Command& c = out_->commands.emplace_back();
    c.kind = CommandKind::StartTimer;
    c.id = st_.timeout_timer;
    c.fire_at = st_.now + static_cast<EpochMillis>(*timeout * 1000);
  }
  Frame* f = NewFrame(0, 0, &root, input);
  PlaceAtProbeStart(f);
  f->last_event_id = e.id;
  Ready(f);
}

void Stepper::Redrive() {
  STEPFN_CHECK(st_.redrive != nullptr);
  st_.status = static_cast<int>(ExecutionStatus::Running);
  st_.failure = StatesError();
  st_.output = json::Value();
  st_.context_execution = json::Value();  // $$.Execution.RedriveCount changes
  ++st_.redrive_count;
  HistoryEvent& e = Emit(nullptr, EventType::ExecutionRedriven);
  e.payload = json::Value::Int(st_.redrive_count);
  // The execution's timeout starts again.
  std::optional<double> timeout = program_.timeout_seconds();
  if (!timeout && st_.info->default_timeout_seconds > 0)
    timeout = st_.info->default_timeout_seconds;
  st_.timeout_timer = 0;
  if (timeout) {
    st_.timeout_timer = NewId();
    st_.pending[st_.timeout_timer] = 0;
    Command& c = out_->commands.emplace_back();
    c.kind = CommandKind::StartTimer;
    c.id = st_.timeout_timer;
    c.fire_at = st_.now + static_cast<EpochMillis>(*timeout * 1000);
  }
  Frame* f = NewFrame(0, 0, &program_.root(), st_.redrive->input);
  f->state = st_.redrive->state;
  f->last_event_id = e.id;
  Ready(f);
  // The point stays until the state runs only when it keeps children's results.
  if (st_.redrive->kept.empty()) st_.redrive.reset();
}

void Stepper::Deliver(const Input& in) {
  if (!running()) return;
  if (in.kind == InputKind::Stop) {
    for (auto& [id, frame] : st_.frames) frame->pending = 0;
    FinishExecution(ExecutionStatus::Aborted, json::Value(), {in.error, in.cause});
    return;
  }
  if (in.kind == InputKind::UpdateMapRun) {
    UpdateMapRun(in);
    return;
  }
  auto it = st_.pending.find(in.id);
  if (it == st_.pending.end()) return;
  uint64_t frame_id = it->second;
  if (in.kind == InputKind::TaskHeartbeat) {
    Frame* f = FindFrame(frame_id);
    if (f != nullptr && f->pending == in.id && f->heartbeat_timer != 0) {
      CancelTimer(&f->heartbeat_timer);
      f->heartbeat_timer = StartTaskTimer(f, f->heartbeat_seconds);
    }
    return;
  }
  if (in.kind == InputKind::TaskStarted) {
    // A worker took an activity task: ActivityStarted names it; the task stays pending.
    Frame* f = FindFrame(frame_id);
    if (f != nullptr && f->pending == in.id && IsActivity(StateOf(*f))) {
      HistoryEvent& e = Emit(f, EventType::ActivityStarted);
      if (in.value.is_string()) e.name = in.value;
    }
    return;
  }
  st_.pending.erase(it);
  if (in.id == st_.timeout_timer) {
    FinishExecution(ExecutionStatus::TimedOut, json::Value(),
                    {"States.Timeout", "The execution timed out."});
    return;
  }
  Frame* f = FindFrame(frame_id);
  if (f == nullptr) return;
  const State& s = StateOf(*f);
  bool timed_out = in.kind == InputKind::TimerFired && in.id == f->timeout_timer;
  bool heart_stopped = in.kind == InputKind::TimerFired && in.id == f->heartbeat_timer;
  if (timed_out || heart_stopped) {
    // The task ran past TimeoutSeconds, or sent no heartbeat for HeartbeatSeconds: it fails
    // with States.Timeout / States.HeartbeatTimeout; its result, should it still come, is
    // ignored.
    (timed_out ? f->timeout_timer : f->heartbeat_timer) = 0;
    CancelTaskTimers(f);
    Command& cancel = out_->commands.emplace_back();
    cancel.kind = CommandKind::CancelTask;
    cancel.id = f->pending;
    st_.pending.erase(f->pending);
    f->pending = 0;
    f->task_parameters = json::Value();
    const char* error = timed_out ? "States.Timeout" : "States.HeartbeatTimeout";
    HistoryEvent& e = Emit(f, IsActivity(s)         ? EventType::ActivityTimedOut
                              : IsLambdaFunction(s) ? EventType::LambdaFunctionTimedOut
                                                    : EventType::TaskTimedOut);
    e.SetFailure(error, "");
    SetResource(s, &e);
    FailState(f, {error, ""});
    f = FindFrame(frame_id);
    if (f != nullptr && (f->phase == FramePhase::Enter || f->phase == FramePhase::Execute)) {
      Ready(f);
    }
    return;
  }
  f->pending = 0;
  f->task_parameters = json::Value();  // kept only while the task is out
  CancelTaskTimers(f);
  switch (in.kind) {
    case InputKind::TaskSucceeded: {
      if (!FitsPayloadLimit(in.value, st_.info->max_payload_bytes)) {
        // An oversized result fails the task (AWS records the task's failure, and States.ALL
        // catches it). The cause names the resource: the function ARN, or the service.
        std::string who = s.name;
        if (IsLambdaFunction(s)) {
          who = s.resource;
        } else if (s.resource.starts_with("arn:aws:states:::") && s.resource_names.at(0)) {
          who = HistoryEvent::Text(*s.resource_names.at(0));
        }
        TaskFailed(f, {"States.DataLimitExceeded",
                       "The state/task '" + who +
                           "' returned a result with a size exceeding the maximum number of "
                           "bytes service limit."});
        break;
      }
      HistoryEvent& e = Emit(f, IsActivity(s)         ? EventType::ActivitySucceeded
                                : IsLambdaFunction(s) ? EventType::LambdaFunctionSucceeded
                                                      : EventType::TaskSucceeded);
      e.payload = in.value;
      if (!IsLambdaFunction(s)) SetResource(s, &e);
      CompleteState(f, in.value);
      break;
    }
    case InputKind::TaskFailed:
      TaskFailed(f, {in.error, in.cause});
      break;
    case InputKind::TimerFired:
      if (f->phase == FramePhase::WaitTimer) {
        ExitState(f, ApplyOutputPath(s, f->effective).value, s.next);
      } else if (f->phase == FramePhase::WaitRetry) {
        f->phase = FramePhase::Execute;
      }
      break;
    case InputKind::Start:
    case InputKind::TaskHeartbeat:
    case InputKind::TaskStarted:
    case InputKind::Stop:
    case InputKind::UpdateMapRun:
      break;
  }
  f = FindFrame(frame_id);
  if (f != nullptr && (f->phase == FramePhase::Enter || f->phase == FramePhase::Execute)) Ready(f);
}

void Stepper::TaskFailed(Frame* f, StatesError err) {
  const State& s = StateOf(*f);
  HistoryEvent& e = Emit(f, IsActivity(s)         ? EventType::ActivityFailed
                            : IsLambdaFunction(s) ? EventType::LambdaFunctionFailed
                                                  : EventType::TaskFailed);
  e.SetFailure(err.error, err.cause);
  SetResource(s, &e);
  task_reported_ = true;
  FailState(f, std::move(err));
  task_reported_ = false;
}

void Stepper::RunReady() {
  while (running() && !st_.ready.empty()) {
    if (budget_ <= 0) {
      out_->more = true;
      return;
    }
    if (graveyard_.size() >= 256) graveyard_.clear();  // no frame pointers are held here
    uint64_t id = st_.ready.back();
    st_.ready.pop_back();
    Frame* f = FindFrame(id);
    if (f == nullptr) continue;
    RunFrame(f);
  }
}

void Stepper::RunFrame(Frame* f) {
  // Each iteration handles one phase; returns when the frame blocks or is gone (Done: frames
  // removed during a Step stay allocated until it ends).
  while (running()) {
    switch (f->phase) {
      case FramePhase::Enter:
        if (--budget_ < 0 && f->parent == 0) {
          Ready(f);
          out_->more = true;
          return;
        }
        EnterState(f);
        break;
      case FramePhase::Execute:
        ExecuteState(f);
        break;
      case FramePhase::WaitChildren:
        Pump(f);
        if (f->phase == FramePhase::WaitChildren) return;
        break;
      case FramePhase::WaitTask:
      case FramePhase::WaitTimer:
      case FramePhase::WaitRetry:
      case FramePhase::Done:
        return;
    }
  }
}

void Stepper::EnterState(Frame* f) {
  const State& s = StateOf(*f);
  f->entered_time = st_.now;
  f->retry_total = 0;
  if (!s.retry.empty() || !f->retry_counts.empty()) f->retry_counts.assign(s.retry.size(), 0);
  if (probe_ != nullptr) ProbeEnter(f);
  HistoryEvent& e = Emit(f, EnteredType(s.type));
  e.name = s.name_value;
  e.payload = f->input;
  f->entered_event_id = e.id;
  f->phase = FramePhase::Execute;
}

void Stepper::ExecuteState(Frame* f) {
  if (!st_.redrive) {  // as a rule: no redriven state waiting
    ExecuteStateBody(f);
    return;
  }
  std::unique_ptr<RedrivePoint> point;
  if (f->parent == 0 && st_.redrive && st_.redrive->state == f->state) {
    point = std::move(st_.redrive);
  }
  redriving_ = point.get();
  ExecuteStateBody(f);
  redriving_ = nullptr;
}

void Stepper::ExecuteStateBody(Frame* f) {
  const State& s = StateOf(*f);
  // InputPath. Pass and Succeed states finish within this call: without an InputPath they read
  // their input in place (f->effective is for the states that wait, and for the others' code).
  const json::Value* effective = &f->input;
  if (s.input_path.kind != asl::OptionalPath::Kind::Absent) {
    json::Value in_ctx;
    if (s.uses_context) in_ctx = ContextFor(*f);
    auto in = ApplyInputPath(s, f->input, in_ctx);
    if (!in.ok()) {
      FailState(f, RuntimeError(*f, in.error.cause));
      return;
    }
    f->effective = std::move(in.value);
    effective = &f->effective;
  } else if (s.type != StateType::Pass && s.type != StateType::Succeed) {
    f->effective = f->input;
    effective = &f->effective;
  }
  Observe(*f, ProbeStage::AfterInputPath, *effective);
  switch (s.type) {
    case StateType::Pass: {
      if (s.result) {
        CompleteState(f, *s.result);
        return;
      }
      json::Value result;
      if (!ApplyTemplate(f, s.parameters, *effective, &result)) return;
      Observe(*f, ProbeStage::AfterParameters, result);
      CompleteState(f, std::move(result));
      return;
    }
    case StateType::Succeed: {
      auto out = ApplyOutputPath(s, *effective);
      if (!out.ok()) {
        FailState(f, RuntimeError(*f, out.error.cause));
        return;
      }
      ExitState(f, std::move(out.value), -1);
      return;
    }
    case StateType::Task:
      ExecuteTask(f);
      return;
    case StateType::Choice:
      ExecuteChoice(f);
      return;
    case StateType::Wait:
      ExecuteWait(f);
      return;
    case StateType::Fail:
      ExecuteFail(f);
      return;
    case StateType::Parallel:
      ExecuteParallel(f);
      return;
    case StateType::Map:
      ExecuteMap(f);
      return;
  }
}

void Stepper::CompleteState(Frame* f, json::Value raw_result) {
  const State& s = StateOf(*f);
  Observe(*f, ProbeStage::Result, raw_result);
  json::Value result;
  if (!s.result_selector) {
    result = std::move(raw_result);
  } else if (!ApplyTemplate(f, s.result_selector, raw_result, &result)) {
    return;
  }
  Observe(*f, ProbeStage::AfterResultSelector, result);
  json::Value output;
  const asl::OptionalPath& rp = s.result_path;
  if (rp.kind == asl::OptionalPath::Kind::Absent || rp.root_only) {
    output = std::move(result);
  } else if (rp.single_member && f->input.is_object()) {
    // "$.name" into an object input, the most common ResultPath: what ApplyResultPath does for
    // it, without the call.
    output = json::WithMember(f->input, rp.member, std::move(result));
  } else if (StatesError err; !ApplyResultPath(rp, f->input, std::move(result), &output, &err)) {
    FailState(f, RuntimeError(*f, err.cause));
    return;
  }
  Observe(*f, ProbeStage::AfterResultPath, output);
  if (s.output_path.kind != asl::OptionalPath::Kind::Absent) {
    json::Value out_ctx;
    if (s.uses_context) out_ctx = ContextFor(*f);
    auto out = ApplyOutputPath(s, output, out_ctx);
    if (!out.ok()) {
      // After the state's work is done: no Retry or Catch applies (AWS ends the execution).
      FailFrame(f, RuntimeError(*f, out.error.cause));
      return;
    }
    output = std::move(out.value);
  }
  if (!CheckSize(f, output, "returned")) return;
  ExitState(f, std::move(output), s.next);
}

void Stepper::ExitState(Frame* f, json::Value output, int next) {
  const State& s = StateOf(*f);
  HistoryEvent& e = Emit(f, ExitedType(s.type));
  e.name = s.name_value;
  e.payload = output;
  if (probe_ != nullptr && LeaveForProbe(f, &output, next)) return;
  if (next < 0 || s.end || s.type == StateType::Succeed) {
    if (next < 0) {
      FinishFrame(f, std::move(output));
      return;
    }
  }
  f->state = next;
  f->input = std::move(output);
  f->effective = json::Value();
  f->phase = FramePhase::Enter;
}

void Stepper::FailState(Frame* f, StatesError err, std::optional<EventType> give_up) {
  const State& s = StateOf(*f);
  bool retriable =
      s.type == StateType::Task || s.type == StateType::Parallel || s.type == StateType::Map;
  if (retriable) {
    for (size_t i = 0; i < s.retry.size(); ++i) {
      const asl::Retrier& r = s.retry[i];
      if (!ErrorMatches(r.error_equals, err.error, task_reported_)) continue;
      if (f->retry_counts[i] >= r.max_attempts) {
        ProbeRetrier(*f, i, err, false);
        break;
      }
      ProbeRetrier(*f, i, err, true);
      double delay = r.interval_seconds * std::pow(r.backoff_rate, f->retry_counts[i]);
      if (r.max_delay_seconds && delay > *r.max_delay_seconds) delay = *r.max_delay_seconds;
      if (r.jitter_full) {
        delay = delay * static_cast<double>(NextRandom(&st_.rng) % 1000001) / 1000000.0;
      }
      ++f->retry_counts[i];
      ++f->retry_total;
      StartTimer(f, st_.now + static_cast<EpochMillis>(delay * 1000), FramePhase::WaitRetry);
      return;
    }
  }
  if (give_up) Emit(f, *give_up);
  if (retriable) {
    for (size_t i = 0; i < s.catches.size(); ++i) {
      const asl::Catcher& c = s.catches[i];
      if (!ErrorMatches(c.error_equals, err.error, task_reported_)) continue;
      ProbeCatcher(*f, i, err);
      json::Value error_output = json::Value::Object(
          {{"Error", json::Value::String(err.error)}, {"Cause", json::Value::String(err.cause)}});
      json::Value merged;
      if (StatesError path_err;
          !ApplyResultPath(c.result_path, f->input, std::move(error_output), &merged, &path_err)) {
        FailFrame(f, RuntimeError(*f, path_err.cause));
        return;
      }
      ExitState(f, std::move(merged), c.next);
      return;
    }
  }
  FailFrame(f, std::move(err));
}

bool Stepper::ApplyTemplate(Frame* f, const std::optional<expr::PayloadTemplate>& t,
                            const json::Value& doc, json::Value* out) {
  if (!t) {
    *out = doc;
    return true;
  }
  json::Value ctx;
  if (StateOf(*f).uses_context) ctx = ContextFor(*f);
  auto r = t->Evaluate(ScopeFor(&doc, &ctx));
  if (!r.ok()) {
    FailState(f, Contextualise(*f, r.error));
    return false;
  }
  *out = std::move(r.value);
  return true;
}

void Stepper::StartTimer(Frame* f, EpochMillis at, FramePhase phase) {
  uint64_t id = NewId();
  st_.pending[id] = f->id;
  f->pending = id;
  f->phase = phase;
  Command& c = out_->commands.emplace_back();
  c.kind = CommandKind::StartTimer;
  c.id = id;
  c.fire_at = at;
}

void Stepper::FinishFrame(Frame* f, json::Value output) {
  f->phase = FramePhase::Done;
  if (f->parent == 0) {
    FinishExecution(ExecutionStatus::Succeeded, std::move(output), {});
    return;
  }
  ChildDone(f, true, std::move(output), {});
}

void Stepper::FailFrame(Frame* f, StatesError err) {
  f->phase = FramePhase::Done;
  if (f->parent == 0) {
    FinishExecution(ExecutionStatus::Failed, json::Value(), std::move(err));
    return;
  }
  ChildDone(f, false, json::Value(), std::move(err));
}

void Stepper::CaptureRedrivePoint() {
  if (st_.info->express || probe_ != nullptr) return;
  Frame* main = nullptr;
  for (auto& [id, frame] : st_.frames) {
    if (frame->parent == 0) main = frame.get();
  }
  if (main == nullptr || main->body != &program_.root()) return;
  // Stopped again before a redriven state ran: the point it had not used yet still holds.
  if (st_.redrive && main->phase == FramePhase::Enter && st_.redrive->state == main->state) return;
  auto point = std::make_unique<RedrivePoint>();
  point->state = main->state;
  point->input = main->input;
  const Fanout* fan = main->fanout.get();
  if (fan == nullptr && failed_fanout_frame_ == main->id) fan = failed_fanout_.get();
  if (fan != nullptr) {
    point->children = fan->total;
    for (size_t i = 0; i < fan->ok.size() && i < fan->results.size(); ++i) {
      if (fan->ok[i]) point->kept.emplace_back(i, fan->results[i]);
    }
  }
  st_.redrive = std::move(point);
}

void Stepper::FinishExecution(ExecutionStatus s, json::Value output, StatesError err) {
  st_.status = static_cast<int>(s);
  HistoryEvent* e = nullptr;
  switch (s) {
    case ExecutionStatus::Succeeded:
      e = &Emit(nullptr, EventType::ExecutionSucceeded);
      e->payload = output;
      st_.output = std::move(output);
      break;
    case ExecutionStatus::Failed:
      e = &Emit(nullptr, EventType::ExecutionFailed);
      break;
    case ExecutionStatus::TimedOut:
      e = &Emit(nullptr, EventType::ExecutionTimedOut);
      break;
    case ExecutionStatus::Aborted:
      e = &Emit(nullptr, EventType::ExecutionAborted);
      break;
    case ExecutionStatus::Running:
      return;
  }
  if (s != ExecutionStatus::Succeeded) {
    e->SetFailure(err.error, err.cause);
    st_.failure = std::move(err);
    CaptureRedrivePoint();
  }
  // Cancel everything still out, in id order (the same order after a replay).
  std::vector<uint64_t> out_ids;
  out_ids.reserve(st_.pending.size());
  for (const auto& [id, frame_id] : st_.pending) out_ids.push_back(id);
  std::sort(out_ids.begin(), out_ids.end());
  for (uint64_t id : out_ids) {
    Command& c = out_->commands.emplace_back();
    c.kind = CommandKind::CancelTimer;
    c.id = id;
  }
  st_.pending.clear();
  for (auto& [id, frame] : st_.frames) {
    if (frame->fanout) EndMapRun(*frame->fanout, MapRunStatus::Aborted);
    frame->phase = FramePhase::Done;
    graveyard_.push_back(std::move(frame));
  }
  st_.frames.clear();
  st_.ready.clear();
}

}  // namespace stepfn::eval::internal
