// Fuzzes the definition pipeline end to end: arbitrary bytes as definition text go through
// asl::ValidateText; a definition without errors is compiled (engine::CompileDefinition) and run
// once with engine::RunLocal (STANDARD, time_scale 0, a small fixed input, history recorded).
//
// Checked: every diagnostic has a code, a message and a severity of ERROR or WARNING; a
// definition the validator accepts compiles; the run ends (RunLocal never fails for an ASL
// outcome) with one of AWS's statuses; a success has an output that serialises and parses back
// equal, a failure has an error name; the history is numbered 1..n, starts with
// ExecutionStarted, ends with the terminal event of the status and every event renders as JSON.
//
// Runs are bounded by the engine: 25,000 history events for STANDARD executions (endless Choice
// loops, huge Map and Retry counts), virtual time for Wait and retry intervals.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "asl/program.h"
#include "asl/validate.h"
#include "engine/local_runner.h"
#include "eval/history.h"
#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"

namespace {

using stepfn::StatusCode;
using stepfn::asl::Diagnostic;
using stepfn::asl::MachineType;
using stepfn::eval::EventType;
using stepfn::json::Value;

constexpr std::string_view kInput = R"({"a": 1, "s": "text", "b": true, "z": null,
  "items": [1, 2, {"k": "v"}], "o": {"n": -2.5, "list": ["x", "y"]},
  "ts": "2024-01-01T00:00:00Z", "secs": 1})";

// How far past AWS's 25,000 events a run may go before the fuzzer calls it unbounded.
constexpr size_t kHistorySlack = 0;

const Value& Input() {
  static const Value input = *stepfn::json::Parse(kInput);
  return input;
}

[[noreturn]] void Die(const char* what, std::string_view text, const std::string& detail) {
  std::fprintf(stderr, "%s\n  definition: %.*s\n  %s\n", what,
               static_cast<int>(text.size() > 4000 ? 4000 : text.size()), text.data(),
               detail.c_str());
  std::abort();
}

// JSONata is recognised by the validator but not compiled yet (README: it follows later), so a
// definition that selects it anywhere may be refused by the compiler.
bool UsesJsonata(const Value& v) {
  if (v.is_array()) {
    for (const Value& item : v.items()) {
      if (UsesJsonata(item)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& [key, value] : v.members()) {
      if (key == "QueryLanguage" && value.is_string() && value.as_string() == "JSONata") {
        return true;
      }
      if (UsesJsonata(value)) return true;
    }
  }
  return false;
}

EventType TerminalEvent(const std::string& status) {
  if (status == "SUCCEEDED") return EventType::ExecutionSucceeded;
  if (status == "FAILED") return EventType::ExecutionFailed;
  if (status == "TIMED_OUT") return EventType::ExecutionTimedOut;
  return EventType::ExecutionAborted;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Diagnostic> diagnostics = stepfn::asl::ValidateText(text, MachineType::Standard);
  for (const Diagnostic& d : diagnostics) {
    if (d.code.empty() || d.message.empty()) {
      Die("diagnostic without code or message", text, d.code + ": " + d.message);
    }
    if (d.severity != stepfn::asl::kSeverityError && d.severity != stepfn::asl::kSeverityWarning) {
      Die("diagnostic with an unknown severity", text, d.severity);
    }
  }
  if (stepfn::asl::HasErrors(diagnostics)) return 0;

  auto definition = stepfn::json::Parse(text);
  if (!definition.ok()) Die("validator accepted text that does not parse", text, "");
  auto program = stepfn::engine::CompileDefinition(*definition, MachineType::Standard);
  if (!program.ok()) {
    // JSONata and other parts not built yet may be refused.
    if (program.status().code() == StatusCode::Unimplemented) return 0;
    if (UsesJsonata(*definition)) return 0;
    Die("validator accepted a definition that does not compile", text, program.status().ToString());
  }

  stepfn::engine::RunOptions options;
  options.type = MachineType::Standard;
  options.time_scale = 0;
  options.record_history = true;
  options.execution_name = "fuzz";
  auto run = stepfn::engine::RunLocal(**program, Input(), options);
  if (!run.ok()) Die("RunLocal failed", text, run.status().ToString());

  const auto& r = *run;
  if (r.status == "SUCCEEDED") {
    std::string out = stepfn::json::Write(r.output);
    auto back = stepfn::json::Parse(out);
    if (!back.ok() || !back->Equals(r.output)) Die("output does not parse back", text, out);
  } else if (r.status == "FAILED" || r.status == "TIMED_OUT" || r.status == "ABORTED") {
    if (r.status == "FAILED" && r.error.empty()) Die("failure without an error name", text, "");
  } else {
    Die("unknown execution status", text, r.status);
  }

  if (r.history.empty()) Die("empty history", text, "");
  if (r.history.front().type != EventType::ExecutionStarted) {
    Die("history does not start with ExecutionStarted", text,
        std::string(stepfn::eval::EventTypeName(r.history.front().type)));
  }
  if (r.history.back().type != TerminalEvent(r.status)) {
    Die("history does not end with the terminal event of its status", text,
        r.status + " vs " + std::string(stepfn::eval::EventTypeName(r.history.back().type)));
  }
  for (size_t i = 0; i < r.history.size(); ++i) {
    const auto& e = r.history[i];
    if (e.id != static_cast<int64_t>(i) + 1) {
      Die("history ids are not 1..n", text,
          "event " + std::to_string(i) + " has id " + std::to_string(e.id));
    }
    if (e.previous_event_id < 0 || e.previous_event_id >= e.id) {
      Die("previousEventId does not point back", text, "event " + std::to_string(e.id));
    }
    if (stepfn::json::Write(e.ToJson()).empty()) Die("event renders empty", text, "");
  }
  // The limit is checked when a state is entered, so the events a Map or Parallel emits after
  // that (iteration, succeeded, exited) may pass it by a few: reported to eval, tolerated here so
  // that the fuzzer goes on looking for runs that are not bounded at all.
  if (r.history.size() > 25000 + kHistorySlack) {
    Die("STANDARD history far above 25,000 events", text, std::to_string(r.history.size()));
  }
  return 0;
}
