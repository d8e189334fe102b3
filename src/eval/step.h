// The interpreter: a pure step function.
//
//   Step(program, state, inputs, now) -> history events + commands, and `state` advanced.
//
// No threads, sleeps, clocks or I/O happen here: time arrives as `now`, task results and fired
// timers arrive as Inputs, and everything the outside world must do (run a task, start a
// timer) leaves as Commands. Given the same program, state and inputs, Step produces the same
// events, commands and state, which is what durability (replay after a crash) and testing
// (virtual time) rest on. Randomness (States.UUID, jitter) comes from a seed in the state.
//
// Parallel branches and Map iterations are child frames inside the ExecutionState; Step runs
// ready frames depth-first until every frame is blocked on a task, a timer or its children,
// or until a transition budget is spent (then `more` is set: call Step again with no inputs;
// this keeps one huge Map or an endless loop from holding a thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/states_error.h"
#include "eval/event_log.h"
#include "eval/execution_state.h"
#include "eval/history.h"
#include "json/value.h"

namespace stepfn::asl {
class Program;
struct State;
}  // namespace stepfn::asl

namespace stepfn::eval {

// What the context object ($$) says about the execution. Constant for an execution.
struct ExecutionInfo {
  std::string execution_arn;
  std::string execution_name;
  std::string state_machine_arn;
  std::string state_machine_name;
  std::string role_arn;
  EpochMillis start_time = 0;
  bool express = false;
  uint64_t seed = 0;  // for States.UUID / MathRandom / retry jitter
  // Limits (AWS's defaults).
  size_t max_payload_bytes = 256 * 1024;
  int64_t max_history_events = 25000;  // 0: no limit (EXPRESS keeps no history limit)
  // Used when the definition gives no TimeoutSeconds (EXPRESS: 300 s); 0: none.
  double default_timeout_seconds = 0;
};

// TaskHeartbeat: the task `id` is alive (SendTaskHeartbeat); it restarts HeartbeatSeconds.
enum class InputKind : uint8_t {
  Start,
  TaskSucceeded,
  TaskFailed,
  TaskHeartbeat,
  TaskStarted,  // an activity worker took the task (`value`: the worker's name, a string)
  TimerFired,
  Stop,
  // UpdateMapRun: `id` is the run's index in ExecutionState::map_runs; `value` an object with
  // any of maxConcurrency, toleratedFailureCount, toleratedFailurePercentage.
  UpdateMapRun
};

struct Input {
  InputKind kind = InputKind::Start;
  uint64_t id = 0;    // task or timer id, from the Command that asked for it
  json::Value value;  // Start: execution input; TaskSucceeded: the task's result
  std::string error;  // TaskFailed / Stop
  std::string cause;
};

enum class CommandKind : uint8_t { RunTask, StartTimer, CancelTask, CancelTimer };

struct Command {
  // Provided (empty) so that `commands.emplace_back()` runs the initialisers below without
  // zero-filling the whole command first.
  Command() {}  // NOLINT(modernize-use-equals-default)
  CommandKind kind = CommandKind::RunTask;
  uint64_t id = 0;
  // RunTask: the Task state (its name, Resource, ...; owned by the program) and its payload.
  const asl::State* state = nullptr;
  json::Value parameters;
  int retry_count = 0;
  double timeout_seconds = 0;  // 0: none
  // `.waitForTaskToken` and activity tasks: the token their answer must carry (SendTaskSuccess).
  std::string task_token;
  // StartTimer
  EpochMillis fire_at = 0;
};

enum class ExecutionStatus : uint8_t { Running, Succeeded, Failed, TimedOut, Aborted };
std::string_view ExecutionStatusName(ExecutionStatus s);  // "RUNNING", "SUCCEEDED", ...

struct StepOutput {
  EventLog events;  // appended in order
  // When set, events are counted (ids, the history limit) but not kept: for callers that
  // record no history.
  bool discard_events = false;
  std::vector<Command> commands;
  bool more = false;  // the budget ran out with frames still ready
};

// Creates the state of a new execution; the first Step must carry an InputKind::Start.
std::unique_ptr<ExecutionState> NewExecution(const asl::Program& program, ExecutionInfo info);

// Advances the execution. Inputs for ids that are no longer pending are ignored.
void Step(const asl::Program& program, ExecutionState& state, std::span<const Input> inputs,
          EpochMillis now, StepOutput* out);

// Redrive (AWS RedriveExecution): whether `state` ended unsuccessfully (FAILED, TIMED_OUT,
// ABORTED) with what a redrive needs (a STANDARD execution).
bool Redrivable(const ExecutionState& state);
// Revives an execution that Redrivable says may be redriven: RUNNING again, an ExecutionRedriven
// event (the history's ids continue), the execution's TimeoutSeconds started afresh, and the main
// flow about to enter again the state it did not finish, with the input it was entered with
// (retry counts from zero). A Parallel or Map state runs again only its branches / iterations
// that did not succeed; the others keep their results. Runs nothing: the next Step (with no
// inputs) continues the execution. REQUIRES: Redrivable(state).
void Redrive(const asl::Program& program, ExecutionState& state, EpochMillis now, StepOutput* out);

// The ARN of the execution's Distributed Map run `index` ("arn:aws:states:<region>:<account>:
// mapRun:<state machine>/<label>:<id>").
std::string MapRunArn(const ExecutionState& state, size_t index);

ExecutionStatus Status(const ExecutionState& state);
const json::Value& Output(const ExecutionState& state);   // when Succeeded
const StatesError& Failure(const ExecutionState& state);  // when Failed/TimedOut/Aborted
int64_t EventCount(const ExecutionState& state);

}  // namespace stepfn::eval
