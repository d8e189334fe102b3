#include "eval/step.h"

#include "asl/program.h"
#include "eval/stepper.h"

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

std::unique_ptr<ExecutionState> NewExecution(const asl::Program& program, ExecutionInfo info) {
  (void)program;
  auto st = std::make_unique<ExecutionState>();
  st->rng = info.seed;
  st->info = std::make_unique<ExecutionInfo>(std::move(info));
  return st;
}

void Step(const asl::Program& program, ExecutionState& state, std::span<const Input> inputs,
          EpochMillis now, StepOutput* out) {
  internal::Stepper stepper(program, state, now, out);
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

bool Redrivable(const ExecutionState& state) {
  auto s = static_cast<ExecutionStatus>(state.status);
  bool unsuccessful = s == ExecutionStatus::Failed || s == ExecutionStatus::TimedOut ||
                      s == ExecutionStatus::Aborted;
  return unsuccessful && state.redrive != nullptr && state.info != nullptr && !state.info->express;
}

void Redrive(const asl::Program& program, ExecutionState& state, EpochMillis now, StepOutput* out) {
  internal::Stepper stepper(program, state, now, out);
  stepper.Redrive();
}

std::string MapRunArn(const ExecutionState& state, size_t index) {
  if (state.info == nullptr || index >= state.map_runs.size()) return "";
  const ExecutionInfo& info = *state.info;
  // "arn:aws:states:<region>:<account>:" from the execution's ARN.
  std::string_view arn = info.execution_arn;
  size_t colons = 0, prefix = 0;
  for (size_t i = 0; i < arn.size() && colons < 5; ++i) {
    if (arn[i] == ':' && ++colons == 5) prefix = i + 1;
  }
  const MapRun& run = state.map_runs[index];
  return std::string(arn.substr(0, prefix)) + "mapRun:" + info.state_machine_name + "/" +
         run.label + ":" + run.id;
}

ExecutionStatus Status(const ExecutionState& state) {
  return static_cast<ExecutionStatus>(state.status);
}
const json::Value& Output(const ExecutionState& state) { return state.output; }
const StatesError& Failure(const ExecutionState& state) { return state.failure; }
int64_t EventCount(const ExecutionState& state) { return state.next_event_id - 1; }

}  // namespace stepfn::eval
