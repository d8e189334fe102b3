// Wait states: Seconds, SecondsPath, Timestamp, TimestampPath, as a timer.
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

}  // namespace stepfn::eval::internal
