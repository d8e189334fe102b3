// StateProbe: hooks into Step for testing one state in isolation (the TestState API,
// engine/test_state.h). Normal executions carry no probe and pay one null check per hook.
//
// A Step run with a probe (StepWithProbe):
//   - starts its main frame at the state the probe names (any body: the machine, a Parallel
//     branch, a Map item processor) instead of StartAt;
//   - reports the stages of that state's data flow (after InputPath, after Parameters, the raw
//     result, after ResultSelector, after ResultPath);
//   - takes the context object ($$) from the probe when it gives one;
//   - lets the probe answer a Parallel or Map state as a whole (a mocked result or error)
//     instead of running branches or iterations;
//   - tells the probe which retrier or catcher matched an error, and lets it preset the retry
//     counts as if earlier attempts had failed;
//   - ends the execution (SUCCEEDED with the state's output) as soon as the main frame leaves
//     its state, when the probe asks, instead of moving on to the next state.
// Only the main frame (the state under test) is reported; child frames never are.
//
// Thread safety: a probe is used by the one thread running the Step.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/clock.h"
#include "common/states_error.h"
#include "eval/step.h"
#include "json/value.h"

namespace stepfn::asl {
struct Body;
struct State;
}  // namespace stepfn::asl

namespace stepfn::eval {

enum class ProbeStage : uint8_t {
  AfterInputPath,
  AfterParameters,  // Parameters of a Task or Pass state (without Result)
  Result,           // the raw result: a task's answer, a Pass state's Result or Parameters
  AfterResultSelector,
  AfterResultPath,  // before OutputPath
};

class StateProbe {
 public:
  virtual ~StateProbe() = default;

  // Where the main frame starts: state `StartState()` of `StartBody()`; a null body keeps the
  // program's StartAt.
  virtual const asl::Body* StartBody() const { return nullptr; }
  virtual int StartState() const { return 0; }

  // The state was entered. `retry_counts` holds one count per retrier (all 0) and
  // `retry_total` their sum ($$.State.RetryCount): the probe may raise them.
  virtual void OnEnter(const asl::State& state, std::vector<uint16_t>* retry_counts,
                       int* retry_total) {
    (void)state, (void)retry_counts, (void)retry_total;
  }

  virtual void OnStage(ProbeStage stage, const json::Value& value) { (void)stage, (void)value; }

  // The whole context object ($$) to use, or nullptr for the execution's own.
  virtual const json::Value* Context() const { return nullptr; }

  // A Parallel or Map state, after InputPath (`effective`). Return true and set *outcome to
  // stand for its branches or iterations: a result goes on through ResultSelector, ResultPath
  // and OutputPath, an error through Retry and Catch. Return false to run them.
  virtual bool AnswerFanout(const asl::State& state, const json::Value& effective,
                            Fallible<json::Value>* outcome) {
    (void)state, (void)effective, (void)outcome;
    return false;
  }

  // Retrier `index` matched `error`: it retries (`retrying`), or its attempts are spent.
  virtual void OnRetrier(size_t index, const StatesError& error, bool retrying) {
    (void)index, (void)error, (void)retrying;
  }
  // Catcher `index` matched `error`.
  virtual void OnCatcher(size_t index, const StatesError& error) { (void)index, (void)error; }

  // The main frame leaves its state with `output`, for `next` (nullptr: the state ends its
  // body). Return true to end the execution there, SUCCEEDED with `output`.
  virtual bool OnLeave(const asl::State* next, const json::Value& output) {
    (void)next, (void)output;
    return false;
  }
};

// Step (step.h) with `probe` hooked in for this call. REQUIRES: probe is not null.
void StepWithProbe(const asl::Program& program, ExecutionState& state,
                   std::span<const Input> inputs, EpochMillis now, StepOutput* out,
                   StateProbe* probe);

}  // namespace stepfn::eval
