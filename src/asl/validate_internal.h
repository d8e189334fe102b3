// Shared between the validator's files (validate.cc, validate_states.cc, validate_fields.cc).
// Not part of the asl API.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asl/validate.h"
#include "json/value.h"

namespace stepfn::asl::internal {

enum class Language { JsonPath, Jsonata };

// Where a nested state machine sits: the top level, a Parallel branch, or a Map processor.
enum class MachineKind { Top, Branch, Processor };

// Collects diagnostics; one per validation run.
class Sink {
 public:
  Sink(MachineType type, std::vector<Diagnostic>* out) : type_(type), out_(out) {}

  MachineType type() const { return type_; }
  Language top_language() const { return top_language_; }
  void set_top_language(Language language) { top_language_ = language; }

  void Add(std::string_view code, std::string message, std::string location,
           std::string_view severity = kSeverityError) {
    out_->push_back(Diagnostic{std::string(code), std::move(message), std::move(location),
                               std::string(severity)});
  }
  void Schema(std::string message, std::string location) {
    Add("SCHEMA_VALIDATION_FAILED", std::move(message), std::move(location));
  }

 private:
  MachineType type_;
  Language top_language_ = Language::JsonPath;
  std::vector<Diagnostic>* out_;
};

// A transition out of a state: the target name and where it is written.
struct Transition {
  std::string target;
  std::string location;
};

// What the graph checks need from one state.
struct StateLinks {
  std::vector<Transition> transitions;
  bool terminal = false;
};

// "/States/X" joined with a field: "/States/X/Next". The top-level location is "" so that
// children read "/States/X"; Root() turns "" into "/" for machine-level diagnostics.
inline std::string Join(std::string_view base, std::string_view field) {
  std::string out;
  out.reserve(base.size() + field.size() + 1);
  out.append(base);
  out.push_back('/');
  out.append(field);
  return out;
}
inline std::string Root(std::string_view location) {
  return location.empty() ? std::string("/") : std::string(location);
}
inline std::string Indexed(std::string_view base, std::string_view field, size_t index) {
  return Join(base, field) + "[" + std::to_string(index) + "]";
}

// "[A, B]"
std::string BracketList(std::initializer_list<std::string_view> names);
std::string BracketList(const std::vector<std::string>& names);

// validate.cc: a (nested) state machine at `location` ("" for the top level).
void ValidateMachine(Sink& sink, const json::Value& machine, const std::string& location,
                     MachineKind kind, Language inherited);

// validate_states.cc: one state; fills `links` for the graph checks.
void ValidateState(Sink& sink, const std::string& name, const json::Value& state,
                   const std::string& location, Language inherited, StateLinks* links);

// validate_fields.cc: field-level checks shared by the state types.
void CheckRetry(Sink& sink, const json::Value& retry, const std::string& location);
void CheckCatch(Sink& sink, const json::Value& catchers, const std::string& location,
                Language language, StateLinks* links);
void CheckChoices(Sink& sink, const json::Value& choices, const std::string& location,
                  Language language, StateLinks* links);
// A payload template (Parameters, ResultSelector, ItemSelector, Assign in JSONPath): every
// "key.$" value must be a path or an intrinsic call. Diagnostics are reported at `location`.
void CheckPayloadTemplate(Sink& sink, const json::Value& tmpl, const std::string& location);
// A JSONPath-valued field (InputPath, SecondsPath, ...). `nullable` allows JSON null.
void CheckPathField(Sink& sink, std::string_view field, const json::Value& value,
                    const std::string& location, bool reference, bool nullable);
// A path or an intrinsic call (Fail's ErrorPath/CausePath).
void CheckPathOrIntrinsicField(Sink& sink, std::string_view field, const json::Value& value,
                               const std::string& location);
// Integer fields: value (or a JSONata expression when `language` is JSONata) within [min, max].
void CheckIntegerField(Sink& sink, std::string_view field, const json::Value& value,
                       const std::string& location, Language language, int64_t min, int64_t max);
void CheckNumberField(Sink& sink, std::string_view field, const json::Value& value,
                      const std::string& location, Language language, double min, double max);
// A string field (a JSONata expression is a string too).
void CheckStringField(Sink& sink, std::string_view field, const json::Value& value,
                      const std::string& location);
void CheckBoolField(Sink& sink, std::string_view field, const json::Value& value,
                    const std::string& location);
void CheckObjectField(Sink& sink, std::string_view field, const json::Value& value,
                      const std::string& location);
// One of `allowed`.
void CheckEnumField(Sink& sink, std::string_view field, const json::Value& value,
                    const std::string& location, std::initializer_list<std::string_view> allowed);
// A JSONata-capable value: anything, but strings that start with "{%" must end with "%}".
void CheckJsonataValue(Sink& sink, std::string_view field, const json::Value& value,
                       const std::string& location);

}  // namespace stepfn::asl::internal
