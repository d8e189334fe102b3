// The interpreter's working parts, shared by step.cc and the state files (state_*.cc). Internal
// to eval/: Stepper applies one Step's inputs to an ExecutionState; see step.h for the contract.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asl/program.h"
#include "eval/probe.h"
#include "eval/step.h"

namespace stepfn::eval::internal {

using asl::State;
using asl::StateType;

// Transitions run per Step before yielding (see step.h).
inline constexpr int kTransitionBudget = 20000;

EventType EnteredType(StateType t);
EventType ExitedType(StateType t);
// splitmix64: deterministic, seeded per execution.
uint64_t NextRandom(uint64_t* s);
// Whether an ErrorEquals list matches `error` (States.ALL, States.TaskFailed wildcards).
// `task_reported`: the error ended a task (a result over the payload limit is then
// States.DataLimitExceeded that States.ALL catches, as AWS does).
bool ErrorMatches(const std::vector<std::string>& names, const std::string& error,
                  bool task_reported = false);
void SetResource(const State& s, HistoryEvent* e);
// A Task whose Resource is an activity ARN (arn:aws:states:<region>:<account>:activity:<name>).
inline bool IsActivity(const State& s) { return s.task_kind == asl::TaskKind::Activity; }
// A Task whose Resource is a Lambda function ARN
// (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]): its history says
// LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut instead of Task*.
inline bool IsLambdaFunction(const State& s) {
  return s.task_kind == asl::TaskKind::LambdaFunction;
}

class Stepper {
 public:
  Stepper(const asl::Program& program, ExecutionState& st, EpochMillis now, StepOutput* out)
      : program_(program), st_(st), out_(out) {
    st_.now = now;
    int64_t limit = st_.info->max_history_events;
    history_limit_ = limit > 0 ? limit : INT64_MAX;
  }

  // TestState hooks (probe.h): set before Start/Deliver; null for normal executions.
  void set_probe(StateProbe* probe) { probe_ = probe; }

  void Start(const json::Value& input);
  void Redrive();  // see eval::Redrive
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

  // Appends an event to the history (events of silent frames, and those refused by the history
  // limit, go to a scratch event). The common case, a frame's event recorded under the limit,
  // is inline: two of them per state entered.
  HistoryEvent& Emit(Frame* f, EventType type) {
    if (f == nullptr || f->silent || st_.next_event_id >= history_limit_ || out_->discard_events) {
      return EmitSlow(f, type);
    }
    HistoryEvent& e = out_->events.emplace_back();
    e.id = st_.next_event_id++;
    e.previous_event_id = f->last_event_id;
    e.timestamp = st_.now;
    e.type = type;
    f->last_event_id = e.id;
    return e;
  }
  HistoryEvent& EmitSlow(Frame* f, EventType type);
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
  void ExecuteStateBody(Frame* f);
  void Pump(Frame* f);  // WaitChildren: start children, finish when all are done

  // State outcomes.
  void CompleteState(Frame* f, json::Value result);  // ResultSelector/Path/OutputPath
  void ExitState(Frame* f, json::Value output, int next);
  // Retry / Catch / fail the frame. `give_up` (if set) is emitted when no retry happens.
  void FailState(Frame* f, StatesError err, std::optional<EventType> give_up = std::nullopt);
  void FailFrame(Frame* f, StatesError err);       // the body fails
  void FinishFrame(Frame* f, json::Value output);  // the body succeeds

  void FinishExecution(ExecutionStatus s, json::Value output, StatesError err);
  // On an unsuccessful end: where a redrive resumes (st_.redrive).
  void CaptureRedrivePoint();
  // A redriven Parallel/Map state's new fan-out keeps the children that succeeded before.
  void ApplyRedrivePoint(Frame* f, Fanout* fan);

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
  // Whether `v` fits the payload limit; when not, the state fails (States.DataLimitExceeded).
  // Values built by the engine mostly know their size already (one load, no call).
  bool CheckSize(Frame* f, const json::Value& v, const char* what) {
    size_t known = v.KnownSerializedSize();
    return (known != 0 && known <= st_.info->max_payload_bytes) || CheckSizeSlow(f, v, what);
  }
  bool CheckSizeSlow(Frame* f, const json::Value& v, const char* what);
  // A task's failure (its Failed event, then Retry/Catch).
  void TaskFailed(Frame* f, StatesError err);

  // `doc` through the template `t` (Parameters, ResultSelector), or `doc` itself without one.
  // On failure the state fails (Retry/Catch apply) and false is returned.
  bool ApplyTemplate(Frame* f, const std::optional<expr::PayloadTemplate>& t,
                     const json::Value& doc, json::Value* out);
  void StartTimer(Frame* f, EpochMillis at, FramePhase phase);
  // A timer that runs beside a task (TimeoutSeconds, HeartbeatSeconds); returns its id.
  std::string NewTaskToken();
  std::string NewUuid();  // a version 4 UUID from the execution's random stream
  // Distributed Map runs (state_parallel_map.cc).
  MapRun* RunOf(const Fanout& fan);
  void EndMapRun(const Fanout& fan, MapRunStatus status);
  void UpdateMapRun(const Input& in);
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

  // Probe hooks (probe.cc). Each does nothing without a probe, and reports only the main frame.
  void Observe(const Frame& f, ProbeStage stage, const json::Value& v) {
    if (probe_ != nullptr && f.parent == 0) probe_->OnStage(stage, v);
  }
  void PlaceAtProbeStart(Frame* f);
  void ProbeEnter(Frame* f);
  // True when the probe answered the Parallel/Map state of `f` (and the state went on).
  bool AnswerFanoutFromProbe(Frame* f);
  // True when the probe ended the execution as `f` leaves its state.
  bool LeaveForProbe(Frame* f, json::Value* output, int next);
  void ProbeRetrier(const Frame& f, size_t index, const StatesError& err, bool retrying) {
    if (probe_ != nullptr && f.parent == 0) probe_->OnRetrier(index, err, retrying);
  }
  void ProbeCatcher(const Frame& f, size_t index, const StatesError& err) {
    if (probe_ != nullptr && f.parent == 0) probe_->OnCatcher(index, err);
  }

  const asl::Program& program_;
  ExecutionState& st_;
  StepOutput* out_;
  int budget_ = kTransitionBudget;
  std::vector<uint64_t> pumping_;  // frames whose Pump is on the stack
  HistoryEvent scratch_;           // where silent frames' events go
  bool history_full_ = false;
  int64_t history_limit_ = INT64_MAX;  // ExecutionInfo::max_history_events (none: the largest)
  bool task_reported_ = false;  // FailState is handling a task's failure (see ErrorMatches) // an
                                // event was refused by the history limit
  std::vector<std::unique_ptr<Frame>> graveyard_;  // frames removed during this Step
  StateProbe* probe_ = nullptr;
  // The fan-out of a Parallel/Map state failing through its children, while FailState decides
  // (a redrive point keeps its children that succeeded).
  std::unique_ptr<Fanout> failed_fanout_;
  uint64_t failed_fanout_frame_ = 0;
  // The redrive point the main frame executes (taken from st_.redrive), during ExecuteState.
  RedrivePoint* redriving_ = nullptr;
};

}  // namespace stepfn::eval::internal
