// Fail states: Error/Cause, ErrorPath/CausePath (paths or intrinsic calls).
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

}  // namespace stepfn::eval::internal
