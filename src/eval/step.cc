#include "eval/step.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "asl/program.h"
#include "eval/io.h"
#include "expr/intrinsic.h"
#include "expr/timestamp.h"
#include "json/write.h"

namespace stepfn::eval {

ExecutionState::ExecutionState() = default;
ExecutionState::~ExecutionState() = default;

std::string_view ExecutionStatusName(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::Running:
      return "RUNNING";
    case ExecutionStatus::Succeeded:
      return "SUCCEEDED";
    case ExecutionStatus::Failed:
      return "FAILED";
    case ExecutionStatus::TimedOut:
      return "TIMED_OUT";
    case ExecutionStatus::Aborted:
      return "ABORTED";
  }
  return "UNKNOWN";
}

namespace {

using asl::State;
using asl::StateType;

// Transitions run per Step before yielding (see step.h).
constexpr int kTransitionBudget = 20000;

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

bool ErrorMatches(const std::vector<std::string>& names, const std::string& error) {
  for (const auto& n : names) {
    if (n == error) return true;
    if (n == "States.ALL") {
      // States.ALL does not catch the terminal errors.
      if (error != "States.DataLimitExceeded" && error != "States.Runtime") return true;
    }
    if (n == "States.TaskFailed" && error != "States.Timeout" && error != "States.Runtime" &&
        error != "States.DataLimitExceeded" && error.rfind("States.", 0) != 0) {
      return true;
    }
  }
  return false;
}

class Stepper {
 public:
  Stepper(const asl::Program& program, ExecutionState& st, EpochMillis now, StepOutput* out)
      : program_(program), st_(st), out_(out) {
    st_.now = now;
  }

  void Start(const json::Value& input);
  void Deliver(const Input& in);
  void RunReady();
  // Ends the execution when the history limit was reached during this Step.
  void FinishIfHistoryFull() {
    if (history_full_ && status() == ExecutionStatus::Running) {
      history_full_ = false;
      FinishExecution(
          ExecutionStatus::Failed, json::Value(),
          {"States.Runtime", "The execution reached the maximum number of history events (" +
                                 std::to_string(st_.info->max_history_events) + ")."});
    }
  }

 private:
  ExecutionStatus status() const { return static_cast<ExecutionStatus>(st_.status); }
  bool running() const { return status() == ExecutionStatus::Running && !history_full_; }
  const State& StateOf(const Frame& f) const {
    return f.body->states[static_cast<size_t>(f.state)];
  }
  Frame* FindFrame(uint64_t id) {
    auto it = st_.frames.find(id);
    return it == st_.frames.end() ? nullptr : it->second.get();
  }

  HistoryEvent& Emit(Frame* f, EventType type);
  void Ready(Frame* f) { st_.ready.push_back(f->id); }
  uint64_t NewId() { return st_.next_id++; }
  Frame* NewFrame(uint64_t parent, size_t child_index, const asl::Body* body, json::Value input);
  void FreeFrame(uint64_t id);
  // Removes a frame from the state. The object lives on until the Step ends, so pointers to it
  // stay valid (phase Done tells that it is gone).
  void Bury(uint64_t id);
  void AbortChildren(Frame* f);

  void RunFrame(Frame* f);
  void EnterState(Frame* f);
  void ExecuteState(Frame* f);
  void Pump(Frame* f);  // WaitChildren: start children, finish when all are done

  // State outcomes.
  void CompleteState(Frame* f, const json::Value& result);  // ResultSelector/Path/OutputPath
  void ExitState(Frame* f, json::Value output, int next);
  // Retry / Catch / fail the frame. `give_up` (if set) is emitted when no retry happens.
  void FailState(Frame* f, StatesError err, std::optional<EventType> give_up = std::nullopt);
  void FailFrame(Frame* f, StatesError err);       // the body fails
  void FinishFrame(Frame* f, json::Value output);  // the body succeeds

  void FinishExecution(ExecutionStatus s, json::Value output, StatesError err);

  void BuildExecutionContext();
  json::Value ContextFor(const Frame& f, const json::Value* map_item = nullptr, int64_t index = -1);
  expr::Scope ScopeFor(const json::Value* input, const json::Value* context);
  StatesError RuntimeError(const Frame& f, const std::string& why) const {
    if (why.rfind("An error occurred", 0) == 0) return {"States.Runtime", why};
    return {"States.Runtime", "An error occurred while executing the state '" + StateOf(f).name +
                                  "' (entered at the event id #" +
                                  std::to_string(f.entered_event_id) + "). " + why};
  }
  StatesError Contextualise(const Frame& f, StatesError e) const {
    if (e.error == "States.Runtime") return RuntimeError(f, e.cause);
    return e;
  }
  bool CheckSize(Frame* f, const json::Value& v, const char* what);

  // `doc` through the template `t` (Parameters, ResultSelector), or `doc` itself without one.
  // On failure the state fails (Retry/Catch apply) and false is returned.
  bool ApplyTemplate(Frame* f, const std::optional<expr::PayloadTemplate>& t,
                     const json::Value& doc, json::Value* out);
  void StartTimer(Frame* f, EpochMillis at, FramePhase phase);
  // A timer that runs beside a task (TimeoutSeconds, HeartbeatSeconds); returns its id.
  uint64_t StartTaskTimer(Frame* f, double seconds);
  void CancelTimer(uint64_t* id);  // and zeroes *id; nothing when it is 0
  void CancelTaskTimers(Frame* f);
  void ExecuteTask(Frame* f);
  void ExecuteChoice(Frame* f);
  void ExecuteWait(Frame* f);
  void ExecuteFail(Frame* f);
  void ExecuteParallel(Frame* f);
  void ExecuteMap(Frame* f);
  void StartChild(Frame* f);
  void ChildDone(Frame* child, bool ok, json::Value output, StatesError err);

  const asl::Program& program_;
  ExecutionState& st_;
  StepOutput* out_;
  int budget_ = kTransitionBudget;
  std::vector<uint64_t> pumping_;                  // frames whose Pump is on the stack
  HistoryEvent scratch_;                           // where silent frames' events go
  bool history_full_ = false;                      // an event was refused by the history limit
  std::vector<std::unique_ptr<Frame>> graveyard_;  // frames removed during this Step
};

void Stepper::Bury(uint64_t id) {
  auto it = st_.frames.find(id);
  if (it == st_.frames.end()) return;
  it->second->phase = FramePhase::Done;
  graveyard_.push_back(std::move(it->second));
  st_.frames.erase(it);
}

HistoryEvent& Stepper::Emit(Frame* f, EventType type) {
  if ((f != nullptr && f->silent)) {
    scratch_ = HistoryEvent();
    return scratch_;
  }
  // The last slot under the history limit is kept for the execution's final event.
  bool final_event = type == EventType::ExecutionSucceeded || type == EventType::ExecutionFailed ||
                     type == EventType::ExecutionTimedOut || type == EventType::ExecutionAborted;
  int64_t limit = st_.info->max_history_events;
  if (limit > 0 && !final_event && st_.next_event_id >= limit) {
    history_full_ = true;
    scratch_ = HistoryEvent();
    return scratch_;
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
  auto f = std::make_unique<Frame>();
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
  if (!info.express) exec.Append("RedriveCount", json::Value::Int(0));
  json::ObjectBuilder sm;
  sm.Append("Id", json::Value::String(info.state_machine_arn));
  sm.Append("Name", json::Value::String(info.state_machine_name));
  json::ObjectBuilder ctx;
  ctx.Append("Execution", std::move(exec).Build());
  ctx.Append("StateMachine", std::move(sm).Build());
  st_.context_execution = std::move(ctx).Build();
}

json::Value Stepper::ContextFor(const Frame& f, const json::Value* map_item, int64_t index) {
  const State& s = StateOf(f);
  json::ObjectBuilder state;
  state.Reserve(3);
  state.Append("Name", json::Value::String(s.name));
  state.Append("EnteredTime", json::Value::String(FormatIso8601Millis(f.entered_time)));
  if (s.type == StateType::Task) state.Append("RetryCount", json::Value::Int(f.retry_total));
  if (st_.context_execution.is_null()) BuildExecutionContext();
  json::ObjectBuilder ctx(st_.context_execution);
  ctx.Append("State", std::move(state).Build());
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

bool Stepper::CheckSize(Frame* f, const json::Value& v, const char* what) {
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
  f->last_event_id = e.id;
  Ready(f);
}

void Stepper::Deliver(const Input& in) {
  if (!running()) return;
  if (in.kind == InputKind::Stop) {
    for (auto& [id, frame] : st_.frames) frame->pending = 0;
    FinishExecution(ExecutionStatus::Aborted, json::Value(), {in.error, in.cause});
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
    const char* error = timed_out ? "States.Timeout" : "States.HeartbeatTimeout";
    HistoryEvent& e = Emit(f, EventType::TaskTimedOut);
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
  CancelTaskTimers(f);
  switch (in.kind) {
    case InputKind::TaskSucceeded: {
      HistoryEvent& e = Emit(f, EventType::TaskSucceeded);
      e.payload = in.value;
      SetResource(s, &e);
      if (!CheckSize(f, in.value, "returned")) break;
      CompleteState(f, in.value);
      break;
    }
    case InputKind::TaskFailed: {
      HistoryEvent& e = Emit(f, EventType::TaskFailed);
      e.SetFailure(in.error, in.cause);
      SetResource(s, &e);
      FailState(f, {in.error, in.cause});
      break;
    }
    case InputKind::TimerFired:
      if (f->phase == FramePhase::WaitTimer) {
        ExitState(f, ApplyOutputPath(s, f->effective).value, s.next);
      } else if (f->phase == FramePhase::WaitRetry) {
        f->phase = FramePhase::Execute;
      }
      break;
    case InputKind::Start:
    case InputKind::TaskHeartbeat:
    case InputKind::Stop:
      break;
  }
  f = FindFrame(frame_id);
  if (f != nullptr && (f->phase == FramePhase::Enter || f->phase == FramePhase::Execute)) Ready(f);
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
  f->retry_counts.assign(s.retry.size(), 0);
  HistoryEvent& e = Emit(f, EnteredType(s.type));
  e.name = s.name_value;
  e.payload = f->input;
  f->entered_event_id = e.id;
  f->phase = FramePhase::Execute;
}

void Stepper::ExecuteState(Frame* f) {
  const State& s = StateOf(*f);
  // InputPath.
  if (s.input_path.kind == asl::OptionalPath::Kind::Absent) {
    f->effective = f->input;
  } else {
    json::Value in_ctx;
    if (s.uses_context) in_ctx = ContextFor(*f);
    auto in = ApplyInputPath(s, f->input, in_ctx);
    if (!in.ok()) {
      FailState(f, RuntimeError(*f, in.error.cause));
      return;
    }
    f->effective = std::move(in.value);
  }
  switch (s.type) {
    case StateType::Pass: {
      json::Value result;
      if (s.result) {
        result = *s.result;
      } else if (!ApplyTemplate(f, s.parameters, f->effective, &result)) {
        return;
      }
      CompleteState(f, result);
      return;
    }
    case StateType::Succeed: {
      auto out = ApplyOutputPath(s, f->effective);
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

void Stepper::CompleteState(Frame* f, const json::Value& raw_result) {
  const State& s = StateOf(*f);
  json::Value result;
  if (!ApplyTemplate(f, s.result_selector, raw_result, &result)) return;
  json::Value output;
  if (s.result_path.kind == asl::OptionalPath::Kind::Absent) {
    output = std::move(result);
  } else {
    auto merged = ApplyResultPath(s.result_path, f->input, std::move(result));
    if (!merged.ok()) {
      FailState(f, RuntimeError(*f, merged.error.cause));
      return;
    }
    output = std::move(merged.value);
  }
  if (s.output_path.kind != asl::OptionalPath::Kind::Absent) {
    json::Value out_ctx;
    if (s.uses_context) out_ctx = ContextFor(*f);
    auto out = ApplyOutputPath(s, output, out_ctx);
    if (!out.ok()) {
      FailState(f, RuntimeError(*f, out.error.cause));
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
      if (!ErrorMatches(r.error_equals, err.error)) continue;
      if (f->retry_counts[i] >= r.max_attempts) break;
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
    for (const asl::Catcher& c : s.catches) {
      if (!ErrorMatches(c.error_equals, err.error)) continue;
      json::Value error_output = json::Value::Object(
          {{"Error", json::Value::String(err.error)}, {"Cause", json::Value::String(err.cause)}});
      auto merged = ApplyResultPath(c.result_path, f->input, std::move(error_output));
      if (!merged.ok()) {
        FailFrame(f, RuntimeError(*f, merged.error.cause));
        return;
      }
      ExitState(f, std::move(merged.value), c.next);
      return;
    }
  }
  FailFrame(f, std::move(err));
}

inline bool Stepper::ApplyTemplate(Frame* f, const std::optional<expr::PayloadTemplate>& t,
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

void Stepper::ExecuteTask(Frame* f) {
  const State& s = StateOf(*f);
  json::Value params;
  if (!ApplyTemplate(f, s.parameters, f->effective, &params)) return;
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
  HistoryEvent& sched = Emit(f, EventType::TaskScheduled);
  SetResource(s, &sched);
  sched.payload = params;
  HistoryEvent& started = Emit(f, EventType::TaskStarted);
  SetResource(s, &started);
  uint64_t id = NewId();
  st_.pending[id] = f->id;
  f->pending = id;
  f->phase = FramePhase::WaitTask;
  Command& c = out_->commands.emplace_back();
  c.kind = CommandKind::RunTask;
  c.id = id;
  c.state = &s;
  c.parameters = std::move(params);
  c.retry_count = f->retry_total;
  c.timeout_seconds = timeout;
  if (timeout > 0) f->timeout_timer = StartTaskTimer(f, timeout);
  f->heartbeat_seconds = heartbeat;
  if (heartbeat > 0) f->heartbeat_timer = StartTaskTimer(f, heartbeat);
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

void Stepper::ExecuteChoice(Frame* f) {
  const State& s = StateOf(*f);
  json::Value ctx;
  if (s.uses_context) ctx = ContextFor(*f);
  expr::Scope scope = ScopeFor(&f->effective, &ctx);
  int next = -1;
  for (const asl::ChoiceBranch& b : s.choices) {
    auto r = b.rule.Evaluate(scope);
    if (!r.ok()) {
      FailState(f, Contextualise(*f, r.error));
      return;
    }
    if (r.value) {
      next = b.next;
      break;
    }
  }
  if (next < 0) next = s.default_next;
  if (next < 0) {
    FailState(f, {"States.NoChoiceMatched",
                  "No Matches! at state '" + s.name + "' for input " + json::Write(f->effective)});
    return;
  }
  auto out = ApplyOutputPath(s, f->effective);
  if (!out.ok()) {
    FailState(f, RuntimeError(*f, out.error.cause));
    return;
  }
  ExitState(f, std::move(out.value), next);
}

void Stepper::ExecuteWait(Frame* f) {
  const State& s = StateOf(*f);
  EpochMillis at = st_.now;
  if (s.seconds) {
    at += static_cast<EpochMillis>(*s.seconds * 1000);
  } else if (s.seconds_path) {
    auto v = s.seconds_path->Evaluate(f->effective);
    const std::string& p = s.seconds_path->text();
    if (!v.ok()) {
      FailState(
          f, RuntimeError(*f, "The SecondsPath parameter does not reference an input value: " + p));
      return;
    }
    if (!v->is_int()) {
      std::string shown = v->is_string() ? v->as_string() : json::Write(*v);
      FailState(f, RuntimeError(*f, "The SecondsPath parameter cannot be parsed as a long value: " +
                                        p + " == " + shown));
      return;
    }
    if (v->as_int() < 0) {
      FailState(f, RuntimeError(*f, "The SecondsPath parameter references a negative value: " + p +
                                        " == " + json::Write(*v)));
      return;
    }
    at += v->as_int() * 1000;
  } else if (s.timestamp) {
    auto t = expr::ParseTimestamp(*s.timestamp);
    if (t.ok()) at = t->EpochMillis();
  } else if (s.timestamp_path) {
    auto v = s.timestamp_path->Evaluate(f->effective);
    const std::string& p = s.timestamp_path->text();
    if (!v.ok()) {
      FailState(f, RuntimeError(
                       *f, "The TimestampPath parameter does not reference an input value: " + p));
      return;
    }
    std::optional<expr::Timestamp> t;
    if (v->is_string()) t = expr::TryParseTimestamp(v->as_string());
    if (!t) {
      std::string shown = v->is_string() ? v->as_string() : json::Write(*v);
      FailState(f, RuntimeError(*f,
                                "The TimestampPath parameter does not reference a valid "
                                "ISO-8601 extended offset date-time format string: " +
                                    p + " == " + shown));
      return;
    }
    at = t->EpochMillis();
  }
  if (at <= st_.now) {
    ExitState(f, ApplyOutputPath(s, f->effective).value, s.next);
    return;
  }
  StartTimer(f, at, FramePhase::WaitTimer);
}

void Stepper::ExecuteFail(Frame* f) {
  const State& s = StateOf(*f);
  StatesError err;
  if (s.error) err.error = *s.error;
  if (s.cause) err.cause = *s.cause;
  auto from_path = [&](const std::optional<json::Path>& path, const char* field,
                       std::string* dst) -> bool {
    if (!path) return true;
    auto v = path->Evaluate(f->effective);
    if (!v.ok()) {
      FailFrame(f,
                RuntimeError(*f, "The JSONPath '" + path->text() + "' specified for the field '" +
                                     field + "' could not be found in the input '" +
                                     json::Write(f->effective) + "'"));
      return false;
    }
    *dst = v->is_string() ? v->as_string() : json::Write(*v);
    return true;
  };
  if (!from_path(s.error_path, "ErrorPath", &err.error)) return;
  if (!from_path(s.cause_path, "CausePath", &err.cause)) return;
  auto from_call = [&](const expr::IntrinsicPtr& call, std::string* dst) -> bool {
    if (!call) return true;
    json::Value ctx;
    if (s.uses_context) ctx = ContextFor(*f);
    auto v = expr::EvaluateIntrinsic(*call, ScopeFor(&f->effective, &ctx));
    if (!v.ok()) {
      FailFrame(f, Contextualise(*f, v.error));
      return false;
    }
    *dst = v.value.is_string() ? v.value.as_string() : json::Write(v.value);
    return true;
  };
  if (!from_call(s.error_call, &err.error)) return;
  if (!from_call(s.cause_call, &err.cause)) return;
  FailFrame(f, std::move(err));
}

void Stepper::ExecuteParallel(Frame* f) {
  const State& s = StateOf(*f);
  json::Value branch_input;
  if (!ApplyTemplate(f, s.parameters, f->effective, &branch_input)) return;
  Emit(f, EventType::ParallelStateStarted);
  auto fan = std::make_unique<Fanout>();
  fan->total = s.branches.size();
  fan->results.resize(fan->total);
  fan->items = branch_input;
  f->fanout = std::move(fan);
  f->phase = FramePhase::WaitChildren;
}

void Stepper::ExecuteMap(Frame* f) {
  const State& s = StateOf(*f);
  json::Value items;
  if (s.items_literal) {
    items = *s.items_literal;
  } else if (s.items_path) {
    auto v = s.items_path->Evaluate(f->effective);
    if (!v.ok()) {
      FailState(f, RuntimeError(*f, "Invalid path '" + s.items_path->text() +
                                        "' : No results for path: " + s.items_path->text()));
      return;
    }
    items = std::move(*v);
  } else {
    items = f->effective;
  }
  if (!items.is_array()) {
    FailState(f,
              RuntimeError(
                  *f, "Invalid path '" + (s.items_path ? s.items_path->text() : std::string("$")) +
                          "' : The value at the path must be an array: " + json::Write(items)));
    return;
  }
  auto fan = std::make_unique<Fanout>();
  if (s.distributed) {
    HistoryEvent& started = Emit(f, EventType::MapStateStarted);
    started.index = static_cast<int32_t>(items.size());
  }
  auto read_number = [&](const asl::NumberOrPath& n, const char* field, bool integer,
                         double* dst) -> bool {
    if (n.literal) {
      *dst = *n.literal;
      return true;
    }
    if (!n.path) return true;
    auto v = n.path->Evaluate(f->effective);
    bool valid = v.ok() && v->is_number() && (!integer || v->is_int());
    if (!valid) {
      std::string shown = !v.ok() ? "null" : v->is_string() ? v->as_string() : json::Write(*v);
      FailState(f, RuntimeError(*f, std::string("The ") + field + " field refers to value \"" +
                                        shown + "\" which is not a valid " +
                                        (integer ? "integer" : "float") + ": " + n.path->text()));
      return false;
    }
    *dst = v->as_double();
    return true;
  };
  double max_conc = 0;
  if (!read_number(s.max_concurrency, "MaxConcurrencyPath", true, &max_conc)) return;
  if (!read_number(s.tolerated_failure_count, "ToleratedFailureCountPath", true,
                   &fan->tolerated_count)) {
    return;
  }
  if (!read_number(s.tolerated_failure_percentage, "ToleratedFailurePercentagePath", false,
                   &fan->tolerated_percentage)) {
    return;
  }
  if (s.tolerated_failure_count.present() && fan->tolerated_count < 0) {
    FailState(f, RuntimeError(*f, "ToleratedFailureCount cannot be negative."));
    return;
  }
  if (s.tolerated_failure_percentage.present() &&
      (fan->tolerated_percentage < 0 || fan->tolerated_percentage > 100)) {
    FailState(f, RuntimeError(*f, "ToleratedFailurePercentage must be between 0 and 100."));
    return;
  }
  fan->max_concurrency = max_conc > 0 ? static_cast<size_t>(max_conc) : 0;
  fan->total = items.size();
  fan->items = items;
  fan->results.resize(fan->total);
  if (s.uses_context) fan->context = ContextFor(*f);
  if (s.distributed) {
    Emit(f, EventType::MapRunStarted);
  } else {
    HistoryEvent& e = Emit(f, EventType::MapStateStarted);
    e.index = static_cast<int32_t>(fan->total);
  }
  f->fanout = std::move(fan);
  f->phase = FramePhase::WaitChildren;
}

void Stepper::StartChild(Frame* f) {
  const State& s = StateOf(*f);
  Fanout& fan = *f->fanout;
  size_t i = fan.next_start++;
  if (s.type == StateType::Parallel) {
    Frame* c = NewFrame(f->id, i, s.branches[i].get(), fan.items);
    fan.running.insert(c->id);
    RunFrame(c);
    return;
  }
  json::Value item = fan.items.items()[i];
  if (s.parameters) {
    json::Value ctx;
    if (s.uses_context) {
      json::Value base = fan.context;
      json::ObjectBuilder b(base);
      json::ObjectBuilder it;
      it.Append("Index", json::Value::Int(static_cast<int64_t>(i)));
      it.Append("Value", item);
      b.Set("Map", json::Value::Object({{"Item", std::move(it).Build()}}));
      ctx = std::move(b).Build();
    }
    auto p = s.parameters->Evaluate(ScopeFor(&f->effective, &ctx));
    if (!p.ok()) {
      fan.failing = true;
      fan.error = Contextualise(*f, p.error);
      return;
    }
    item = std::move(p.value);
  }
  if (!s.distributed) {
    HistoryEvent& e = Emit(f, EventType::MapIterationStarted);
    e.name = s.name_value;
    e.index = static_cast<int32_t>(i);
  }
  Frame* c = NewFrame(f->id, i, s.processor.get(), std::move(item));
  fan.running.insert(c->id);
  RunFrame(c);
}

void Stepper::Pump(Frame* f) {
  pumping_.push_back(f->id);
  while (running() && f->phase != FramePhase::Done) {
    Fanout& fan = *f->fanout;
    if (fan.failing) break;
    if (fan.next_start >= fan.total) break;
    if (fan.max_concurrency > 0 && fan.running.size() >= fan.max_concurrency) break;
    StartChild(f);
    // The child that just ran holds no pointers any more: free what it left behind, so that a
    // Map of a million short iterations does not keep a million frames until the Step ends.
    if (running() && graveyard_.size() >= 256) graveyard_.clear();
  }
  pumping_.pop_back();
  if (!running() || f->phase == FramePhase::Done) return;
  Fanout& fan = *f->fanout;
  const State& s = StateOf(*f);
  bool parallel = s.type == StateType::Parallel;
  if (fan.failing) {
    AbortChildren(f);
    StatesError err = std::move(fan.error);
    f->fanout.reset();
    f->phase = FramePhase::Execute;
    if (s.distributed) Emit(f, EventType::MapRunFailed);
    FailState(f, std::move(err),
              parallel ? EventType::ParallelStateFailed : EventType::MapStateFailed);
    return;
  }
  if (fan.finished < fan.total) return;  // still waiting on children
  json::Value results = json::Value::Array(std::move(fan.results));
  f->fanout.reset();
  f->phase = FramePhase::Execute;
  if (parallel) {
    // AWS records no ParallelStateSucceeded event; the state exits directly.
  } else {
    if (s.distributed) Emit(f, EventType::MapRunSucceeded);
    Emit(f, EventType::MapStateSucceeded);
  }
  if (!CheckSize(f, results, "returned")) return;
  CompleteState(f, results);
}

void Stepper::ChildDone(Frame* child, bool ok, json::Value output, StatesError err) {
  Frame* parent = FindFrame(child->parent);
  uint64_t child_id = child->id;
  size_t index = child->child_index;
  int64_t last = child->last_event_id;
  Bury(child_id);
  if (parent == nullptr || !parent->fanout) return;
  Fanout& fan = *parent->fanout;
  fan.running.erase(child_id);
  ++fan.finished;
  const State& s = StateOf(*parent);
  if (parent->last_event_id < last) parent->last_event_id = last;
  if (s.type == StateType::Map && !s.distributed) {
    HistoryEvent& e =
        Emit(parent, ok ? EventType::MapIterationSucceeded : EventType::MapIterationFailed);
    e.name = s.name_value;
    e.index = static_cast<int32_t>(index);
    if (!ok) {
      e.SetFailure(err.error, err.cause);
    }
  }
  if (ok) {
    fan.results[index] = std::move(output);
  } else {
    ++fan.failed;
    bool tolerated = false;
    if (s.type == StateType::Map) {
      if (fan.tolerated_count >= 0 && static_cast<double>(fan.failed) <= fan.tolerated_count) {
        tolerated = true;
      }
      if (fan.tolerated_percentage >= 0 && fan.total > 0 &&
          100.0 * static_cast<double>(fan.failed) / static_cast<double>(fan.total) <=
              fan.tolerated_percentage) {
        tolerated = true;
      }
    }
    if (tolerated) {
      fan.results[index] = json::Value::Object(
          {{"Error", json::Value::String(err.error)}, {"Cause", json::Value::String(err.cause)}});
    } else if (!fan.failing) {
      fan.failing = true;
      if ((fan.tolerated_count >= 0 || fan.tolerated_percentage >= 0) && s.type == StateType::Map) {
        fan.error = {"States.ExceedToleratedFailureThreshold",
                     "The specified tolerated failure threshold was exceeded"};
      } else {
        fan.error = std::move(err);
      }
    }
  }
  if (parent->phase == FramePhase::WaitChildren &&
      std::find(pumping_.begin(), pumping_.end(), parent->id) == pumping_.end()) {
    Ready(parent);
  }
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
  }
  // Cancel everything still out.
  for (const auto& [id, frame_id] : st_.pending) {
    Command& c = out_->commands.emplace_back();
    c.kind = CommandKind::CancelTimer;
    c.id = id;
  }
  st_.pending.clear();
  for (auto& [id, frame] : st_.frames) {
    frame->phase = FramePhase::Done;
    graveyard_.push_back(std::move(frame));
  }
  st_.frames.clear();
  st_.ready.clear();
}

}  // namespace

std::unique_ptr<ExecutionState> NewExecution(const asl::Program& program, ExecutionInfo info) {
  (void)program;
  auto st = std::make_unique<ExecutionState>();
  st->rng = info.seed;
  st->info = std::make_unique<ExecutionInfo>(std::move(info));
  return st;
}

void Step(const asl::Program& program, ExecutionState& state, std::span<const Input> inputs,
          EpochMillis now, StepOutput* out) {
  Stepper stepper(program, state, now, out);
  for (const Input& in : inputs) {
    if (in.kind == InputKind::Start) {
      stepper.Start(in.value);
    } else {
      stepper.Deliver(in);
    }
  }
  stepper.RunReady();
  stepper.FinishIfHistoryFull();
}

ExecutionStatus Status(const ExecutionState& state) {
  return static_cast<ExecutionStatus>(state.status);
}
const json::Value& Output(const ExecutionState& state) { return state.output; }
const StatesError& Failure(const ExecutionState& state) { return state.failure; }
int64_t EventCount(const ExecutionState& state) { return state.next_event_id - 1; }

}  // namespace stepfn::eval
