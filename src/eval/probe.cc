// StepWithProbe and the Stepper's probe hooks (probe.h). Kept apart from the stepper so that
// the normal path reads as before: each hook is one call that does nothing without a probe.
#include "eval/probe.h"

#include <utility>

#include "asl/program.h"
#include "eval/stepper.h"

namespace stepfn::eval {

void StepWithProbe(const asl::Program& program, ExecutionState& state,
                   std::span<const Input> inputs, EpochMillis now, StepOutput* out,
                   StateProbe* probe) {
  internal::Stepper stepper(program, state, now, out);
  stepper.set_probe(probe);
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

namespace internal {

void Stepper::PlaceAtProbeStart(Frame* f) {
  if (probe_ == nullptr || probe_->StartBody() == nullptr) return;
  f->body = probe_->StartBody();
  f->state = probe_->StartState();
}

void Stepper::ProbeEnter(Frame* f) {
  if (probe_ == nullptr || f->parent != 0) return;
  probe_->OnEnter(StateOf(*f), &f->retry_counts, &f->retry_total);
}

bool Stepper::AnswerFanoutFromProbe(Frame* f) {
  if (probe_ == nullptr || f->parent != 0) return false;
  Fallible<json::Value> outcome{json::Value()};
  if (!probe_->AnswerFanout(StateOf(*f), f->effective, &outcome)) return false;
  if (!outcome.ok()) {
    FailState(f, std::move(outcome.error));
    return true;
  }
  if (!CheckSize(f, outcome.value, "returned")) return true;
  CompleteState(f, outcome.value);
  return true;
}

bool Stepper::LeaveForProbe(Frame* f, json::Value* output, int next) {
  if (probe_ == nullptr || f->parent != 0) return false;
  const State* next_state =
      next >= 0 ? &f->body->states[static_cast<size_t>(next)] : static_cast<const State*>(nullptr);
  if (!probe_->OnLeave(next_state, *output)) return false;
  FinishFrame(f, std::move(*output));
  return true;
}

}  // namespace internal
}  // namespace stepfn::eval
