// Choice states: the first rule that matches, else Default, else States.NoChoiceMatched.
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

}  // namespace stepfn::eval::internal
